#pragma once
// One training run, as the tutorial notebooks do it: load, split, balance, preprocess, then the
// loop (forward, loss, backward, step, callbacks) with early stopping on validation loss, then
// the test-set evaluation. The loop itself is in fit(); everything it needs is prepared first.
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "hepsweep/core/Log.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/GradientReduction.hpp"
#include "hepsweep/data/Dataset.hpp"
#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/nn/Optimizer.hpp"
#include "hepsweep/train/Config.hpp"

namespace hepsweep::train {

// The rows of one split, preprocessed and ready for the network. When a group of ranks shares an
// item, each rank holds the network inputs of only the events it trains on or evaluates.
struct SplitData {
  std::vector<data::Index> rows;  // row indices into the input file, one per event of the split
  data::FeatureMatrix x;          // network inputs of the events held here, in split order
  // held[i]: the row of x holding event i, or -1 when this rank does not hold it.
  // Empty: x holds every event, in order.
  std::vector<Eigen::Index> held;
  Eigen::VectorXf labels;         // every event
  // train: after balancing and class weights; val: after balancing (ResultFile divides the
  // balance factors out again for yields); test: as read
  Eigen::VectorXf weights;
  Eigen::Index size() const { return labels.size(); }
  Eigen::Index inputRow(Eigen::Index event) const { return held.empty() ? event : held[static_cast<std::size_t>(event)]; }
};

// This process's place in the group that trains an item (size 1: it holds everything).
struct RankShare {
  int size = 1;
  int rank = 0;
};

// Evaluation runs over fixed chunks of this many events of a split; chunk c is computed by rank
// c % G of the group, so an event's output has the same bits for every group size.
inline constexpr Eigen::Index kEvalChunk = 1024;

// The training events (indices into the train split) of each micro-batch slot: the first epoch
// order is a seeded permutation (identity without shuffling) cut into batches of `batch` and each
// batch into `micro` slices, slice k going to slot k; later epochs permute the events within each
// slot. A rank then needs the events of its own slots only. The same for every group size.
std::vector<std::vector<data::Index>> microBatchSlots(data::Index events, data::Index batch, int micro,
                                                      std::uint64_t seed, bool shuffle);

// The events of each split that rank `share.rank` of a group of `share.size` needs: the training
// events of its micro-batch slots and the events of its evaluation chunks (sorted, per split).
struct HeldEvents {
  std::vector<data::Index> train, val, test;
};
HeldEvents heldEvents(const RunConfig& cfg, data::Index nTrain, data::Index nVal, data::Index nTest,
                      const RankShare& share);

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
// Same, from an already loaded dataset (`dataFile`/`sha256` are only recorded). With a
// `partition`, its train/val/test rows are used instead of the seeded split of data.split
// (campaign folds); balancing, preprocessing and class weights are applied as usual.
PreparedData prepareData(const RunConfig& cfg, const data::Dataset& ds, const std::string& dataFile,
                         const std::string& sha256, const Logger& log = {},
                         const data::Partition* partition = nullptr);
// Same, reading feature values through `reader` (e.g. io::DatasetRows: HDF5 hyperslabs), holding
// only the events rank `share.rank` needs (heldEvents); `columns` has every event's label and
// weight, the feature names and missing-value information (its feature matrix may be empty).
// Every rank of a group gets identical preprocessing parameters, labels and weights.
PreparedData prepareData(const RunConfig& cfg, const data::Dataset& columns, const data::RowReader& reader,
                         const std::string& dataFile, const std::string& sha256, const Logger& log,
                         const data::Partition* partition, const RankShare& share);

struct EpochRecord {
  int epoch = 0;  // 1-based, as Keras prints it
  double trainLoss = 0, valLoss = 0, valAuc = 0, learningRate = 0, seconds = 0;
};

struct EvalResult {
  double loss = 0;
  double auc = 0, aucWeighted = 0;  // aucWeighted NaN when a class's summed weight is <= 0
  metrics::Roc roc, rocWeighted;     // rocWeighted empty then
  std::vector<double> bkgEff;      // at cfg.metrics.signalEfficiencies (unweighted)
  std::vector<double> bkgEffWeighted;
  metrics::Confusion confusion;    // at cfg.metrics.threshold (weighted by the event weights)
  Eigen::VectorXf scores;          // sigmoid outputs, one per event of the split

  // Background efficiency at `signalEfficiency` on the weighted ROC; NaN when that is undefined.
  double weightedBkgEffAt(double signalEfficiency) const;
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

struct Checkpoint;

// Callbacks plug into the loop as in Keras/ensmallen: they see each finished epoch and may stop
// training. Early stopping (with the best-weights checkpoint) is one; the progress display and a
// campaign item's checkpoint files and log are others. The history is kept by the Trainer.
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
  int epochsWithoutImprovement() const { return wait_; }
  void save(Checkpoint& c) const;
  void load(const Checkpoint& c);

 private:
  EarlyStoppingConfig cfg_;
  double best_;
  int bestEpoch_ = 0;
  int wait_ = 0;
  bool improvedLast_ = false;
  bool stopped_ = false;
  Eigen::VectorXf bestParams_, bestState_;
};

// Everything a resumed training needs to continue bit-identically (the random streams need
// nothing: they are keyed by seed and epoch).
struct Checkpoint {
  int epochsDone = 0;
  Eigen::VectorXf params, state;
  nn::Optimizer::State optimizer;
  float learningRate = 0;
  // Early stopping: best monitored value, its epoch, epochs without improvement, its weights.
  double best = 0;
  int bestEpoch = 0;
  int wait = 0;
  Eigen::VectorXf bestParams, bestState;
  std::vector<EpochRecord> history;
};

class Trainer {
 public:
  // `group`: the ranks that train this item together (nullptr: this process alone). Every rank
  // of the group constructs a Trainer with the same configuration and data and calls the same
  // methods; they exchange gradients and validation outputs and end with identical weights.
  Trainer(const RunConfig& cfg, const PreparedData& data, Logger log = {}, dist::Communicator* group = nullptr,
          dist::GradientSum reduction = dist::GradientSum::Deterministic);

  // Train to the end (or continue after resume()) and evaluate every split with the kept
  // weights. Early stopping (with the best-weights checkpoint) always runs first; `callbacks`
  // (progress display, checkpoint files, ...) follow in order after each epoch, and any of them
  // may stop training.
  TrainResult fit(const std::vector<Callback*>& callbacks = {});
  const nn::Network& network() const { return net_; }

  // Evaluate the current network on a split (inference mode).
  EvalResult evaluate(const SplitData& split);

  // One pass over the training rows shuffled for this (1-based) epoch: per batch and
  // micro-batch, forward, loss, backward; then the tree-ordered gradient sum (across the group),
  // penalty and optimiser step. Returns the mean training loss. Allocates nothing.
  double trainOneEpoch(int epoch);

  Checkpoint checkpoint() const;
  void resume(const Checkpoint& c);  // before fit(); Error(Config) when it does not fit the network
  int epochsDone() const { return epochsDone_; }

 private:
  // Sigmoid outputs and logits of a split, computed in fixed chunks shared among the group.
  void computeLogits(const SplitData& split, Eigen::VectorXf& logits);

  const RunConfig& cfg_;
  const PreparedData& data_;
  Logger log_;
  dist::LocalCommunicator local_;
  dist::Communicator& group_;
  dist::GradientSum reduction_;
  nn::Network net_;
  std::unique_ptr<nn::Optimizer> optimizer_;
  EarlyStopping early_;
  std::vector<EpochRecord> history_;
  int epochsDone_ = 0;
  // Preallocated per-step buffers: the loop allocates nothing after the first epoch.
  dist::MicroBatchAccumulator accumulator_;
  Eigen::VectorXf zeros_;
  data::FeatureMatrix batchX_;
  Eigen::RowVectorXf batchY_, batchW_, dlogits_;
  std::vector<std::uint64_t> batchCounter_;
  std::vector<std::vector<data::Index>> slots_;      // microBatchSlots of the train split
  std::vector<std::vector<data::Index>> epochSlots_;  // this epoch's order within each slot
  std::vector<double> lossSlots_;
  Eigen::VectorXf logits_;
};

// Network inputs for a feature count; exposed for tests.
nn::Network makeNetwork(const RunConfig& cfg, int inputs);

}  // namespace hepsweep::train
