#pragma once
// One training run, as the tutorial notebooks do it: load, split, balance, preprocess, then the
// loop (forward, loss, backward, step, callbacks) with early stopping on validation loss, then
// the test-set evaluation. The loop itself is in fit(); everything it needs is prepared first.
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "hepsweep/core/Log.hpp"
#include "hepsweep/data/Dataset.hpp"
#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/nn/Optimizer.hpp"
#include "hepsweep/train/Config.hpp"

namespace hepsweep::train {

// The rows of one split, preprocessed and ready for the network.
struct SplitData {
  std::vector<data::Index> rows;  // row indices into the input file
  data::FeatureMatrix x;          // rows x network inputs (row-major)
  Eigen::VectorXf labels;
  Eigen::VectorXf weights;        // after balancing and class weights (train), as read (val/test)
  Eigen::Index size() const { return x.rows(); }
};

struct PreparedData {
  std::vector<std::string> featureNames;  // input features, in the order the model expects
  data::PreprocessParams preprocess;
  SplitData train, val, test;
  bool hasWeights = false;
  std::string dataFile;
  std::string dataSha256;
  data::ClassFactors balanceFactors;
  std::int64_t nSignalInput = 0, nBackgroundInput = 0;
};

// Load the data file named in the configuration and prepare the three splits.
PreparedData prepareData(const RunConfig& cfg, const Logger& log = {});
// Same, from an already loaded dataset (tests; `dataFile`/`sha256` are only recorded).
PreparedData prepareData(const RunConfig& cfg, const data::Dataset& ds, const std::string& dataFile,
                         const std::string& sha256, const Logger& log = {});

struct EpochRecord {
  int epoch = 0;  // 1-based, as Keras prints it
  double trainLoss = 0, valLoss = 0, valAuc = 0, learningRate = 0, seconds = 0;
};

struct EvalResult {
  double loss = 0;
  double auc = 0, aucWeighted = 0;
  metrics::Roc roc, rocWeighted;
  std::vector<double> bkgEff;      // at cfg.metrics.signalEfficiencies (unweighted)
  std::vector<double> bkgEffWeighted;
  metrics::Confusion confusion;    // at cfg.metrics.threshold (weighted by the event weights)
  Eigen::VectorXf scores;          // sigmoid outputs, one per event of the split
};

struct TrainResult {
  std::vector<EpochRecord> history;
  int bestEpoch = 0;     // 1-based epoch whose weights are kept
  int epochsRun = 0;
  bool stoppedEarly = false;
  double trainSeconds = 0;  // the training loop alone
  double samplesPerSecond = 0;
  EvalResult train, val, test;  // evaluated with the kept weights
};

// Callbacks plug into the loop as in Keras/ensmallen: they see each finished epoch and may stop
// training. Early stopping and the best-weights checkpoint are callbacks; so is the history.
class Callback {
 public:
  virtual ~Callback() = default;
  // Return true to stop training after this epoch.
  virtual bool onEpochEnd(const EpochRecord& rec, nn::Network& net) = 0;
  virtual void onTrainEnd(nn::Network& /*net*/) {}
};

// Keeps the weights of the best epoch by the monitored quantity, and stops after `patience`
// epochs without an improvement larger than min_delta (when enabled).
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(const EarlyStoppingConfig& cfg);
  bool onEpochEnd(const EpochRecord& rec, nn::Network& net) override;
  void onTrainEnd(nn::Network& net) override;
  int bestEpoch() const { return bestEpoch_; }
  bool improvedLast() const { return improvedLast_; }
  bool stopped() const { return stopped_; }

 private:
  EarlyStoppingConfig cfg_;
  double best_;
  int bestEpoch_ = 0;
  int wait_ = 0;
  bool improvedLast_ = false;
  bool stopped_ = false;
  Eigen::VectorXf bestParams_, bestState_;
};

class Trainer {
 public:
  Trainer(const RunConfig& cfg, const PreparedData& data, Logger log = {});
  // Train from scratch to the end and evaluate every split with the kept weights. Early
  // stopping (with the best-weights checkpoint) always runs first; `callbacks` (progress display,
  // ...) follow in order after each epoch, and any of them may stop training.
  TrainResult fit(const std::vector<Callback*>& callbacks = {});
  const nn::Network& network() const { return net_; }

  // Evaluate the current network on a split (inference mode).
  EvalResult evaluate(const SplitData& split);

  // One pass over the training rows shuffled for this (1-based) epoch: per batch, forward,
  // loss, backward, penalty, optimiser step. Returns the mean training loss. Allocates nothing.
  double trainOneEpoch(int epoch, nn::Optimizer& optimizer);

 private:

  const RunConfig& cfg_;
  const PreparedData& data_;
  Logger log_;
  nn::Network net_;
  // Preallocated per-step buffers: the loop allocates nothing after the first epoch.
  data::FeatureMatrix batchX_;
  Eigen::RowVectorXf batchY_, batchW_, dlogits_;
  std::vector<std::uint64_t> batchCounter_;
  std::vector<data::Index> order_;
};

// Network inputs for a feature count; exposed for tests.
nn::Network makeNetwork(const RunConfig& cfg, int inputs);

}  // namespace hepsweep::train
