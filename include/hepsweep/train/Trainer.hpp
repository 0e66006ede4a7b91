#pragma once
// One training run, as the tutorial notebooks do it: load, split, balance, preprocess, then the
// loop (forward, loss, backward, step, callbacks) with early stopping on validation loss, then
// the test-set evaluation. The loop itself is in fit(); everything it needs is prepared first.
#include <Eigen/Core>
#include <cstdint>
#include <functional>
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
#include "hepsweep/train/LrSchedule.hpp"

namespace hepsweep::train {

// The raw feature values the splits draw from: a row-major table of `rows` x `stride` floats (the
// whole data file, held once per node or process, or the rows one rank of a group needs), and
// where each input feature lies in a row. The preprocessing is applied as batches and evaluation
// chunks are gathered (data::Preprocessor), so memory holds the raw table and nothing per event
// beyond labels and weights.
struct FeatureSource {
  const float* table = nullptr;
  data::Index rows = 0, stride = 0;
  std::vector<data::Index> columns;  // per input feature (PreparedData::featureNames order)
  const float* row(data::Index r) const { return table + r * stride; }
};

// The events of one split.
struct SplitData {
  std::vector<data::Index> rows;  // row indices into the input file, one per event of the split
  // tableRow[i]: the row of the source table holding event i, or -1 when this rank does not hold
  // it. Empty: the table holds every row of the file, so event i is at rows[i].
  std::vector<data::Index> tableRow;
  Eigen::VectorXf labels;         // every event
  // train: after balancing and class weights; val: after balancing (ResultFile divides the
  // balance factors out again for yields); test: as read
  Eigen::VectorXf weights;
  Eigen::Index size() const { return labels.size(); }
  data::Index tableRowOf(Eigen::Index event) const {
    const auto e = static_cast<std::size_t>(event);
    return tableRow.empty() ? rows[e] : tableRow[e];
  }
};

// This process's place in the group that trains an item (size 1: it holds everything).
struct RankShare {
  int size = 1;
  int rank = 0;
};

// Evaluation runs over fixed chunks of this many events of a split; chunk c is computed by rank
// c % G of the group, so an event's output has the same bits for every group size.
inline constexpr Eigen::Index kEvalChunk = 1024;
// Budget of a Trainer's copy of its training and validation inputs after preprocessing (kept
// when both together fit; otherwise every batch is preprocessed as it is gathered).
inline constexpr std::size_t kPreprocessedBytes = std::size_t{64} << 20;

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

// The split rule of a training: the configuration's seed, fractions and balancing, at fold `fold`
// of `folds` (1, 0: the plain train/validation/test split).
data::SplitRule splitRule(const RunConfig& cfg, int folds = 1, int fold = 0);

struct PreparedData {
  std::vector<std::string> featureNames;  // input features, in the order the model expects
  // Multi-class data (labels are class indices): the class names; empty for signal/background.
  // Balance and class-weight factors are then per class and applied to the split weights; the
  // signal/background fields below (balanceFactors, trainFactors, nSignalInput, ...) do not apply.
  std::vector<std::string> classNames;
  // The network's outputs: 1 (a logit) for signal/background, one per class for multi-class.
  int outputs() const { return classNames.empty() ? 1 : static_cast<int>(classNames.size()); }
  data::PreprocessParams preprocess;
  SplitData train, val, test;
  FeatureSource source;
  // The source's memory when this process read the rows itself (a single training, or the rows of
  // one rank); empty when the table is held by the caller (a campaign's copy per node), which must
  // then outlive this object.
  data::FeatureMatrix ownTable;
  bool hasWeights = false;
  std::string dataFile;
  std::string dataSha256;
  data::SplitRule split;                // the rule the rows come from (result files store it)
  std::int64_t dataRows = 0;            // rows of the data file
  bool keyIsId = false;                 // fold key: the event id (the data has ids), else the row index
  data::ClassFactors balanceFactors;    // data.balance = "reweight" factors (train and validation)
  data::ClassFactors trainFactors;      // balance x class weights: train weight = input weight x factor
  std::int64_t nSignalInput = 0, nBackgroundInput = 0;
  // Summed weights of the training events by class, as the loss sees them (after balancing and
  // class weights).
  double trainWeightSignal = 0, trainWeightBackground = 0;
};

// The preprocessing fits of one job's items, kept for its later items. On one job's data a fit is
// a function of its rows (the split rule, or every row with preprocess.fit_on = "all"), the
// selected columns and the preprocess.* keys alone, and reads every fit row several times: with
// several points per fold, most items of a campaign would repeat their fold's fit exactly (the
// same parameters, bit for bit). Holds a few vectors per fit; the oldest beyond kKept go.
class PreprocessFits {
 public:
  static constexpr std::size_t kKept = 64;
  struct Key {
    data::SplitRule rule;  // unused with fit_on = "all"
    std::vector<data::Index> columns;
    data::PreprocessConfig config;
    bool operator==(const Key& o) const;
  };
  // The fit stored under `key`, else fit() stored under it.
  const data::PreprocessParams& get(const Key& key, const std::function<data::PreprocessParams()>& fit);
  std::size_t fitted() const { return fitted_; }  // fits computed, not found

 private:
  std::vector<std::pair<Key, data::PreprocessParams>> fits_;
  std::size_t fitted_ = 0;
};

// When the classes' summed training weights differ by more than kWeightImbalance and
// data.balance is not "reweight": a warning naming both sums and the fix (the network then
// learns to call everything the heavier class, and its scores pile up at one end). Else empty.
inline constexpr double kWeightImbalance = 100.0;
std::string weightImbalanceWarning(const RunConfig& cfg, const PreparedData& data);

// When an input feature reproduces the label on the training events this process holds
// (data::LabelCopyFinder: one value for every signal event, another for every background one): a
// warning naming each such feature and the fix. Else empty.
std::string labelCopyWarning(const PreparedData& data);

// Load the data file named in the configuration and prepare the three splits (a single training).
PreparedData prepareData(const RunConfig& cfg, const Logger& log = {});
// From events in memory whose table holds every row of the data file (events.features; e.g. a
// campaign's copy shared by the ranks of a node, which must outlive the result). The features of
// cfg.data.features are selected by name; `rule` gives the rows.
// `fits`: the job's earlier fits (campaigns), or null.
PreparedData prepareData(const RunConfig& cfg, const data::EventTable& events, const data::SplitRule& rule,
                         const std::string& dataFile, const std::string& sha256, const Logger& log = {},
                         PreprocessFits* fits = nullptr);
// Same, with the table in `ds` itself (a Dataset read whole; `ds` must outlive the result) and the
// configuration's own split (splitRule(cfg)).
PreparedData prepareData(const RunConfig& cfg, const data::Dataset& ds, const std::string& dataFile,
                         const std::string& sha256, const Logger& log = {});
// Same, reading feature values through `reader` (io::DatasetRows: the file, chunk by chunk, every
// column) and holding only the events rank `share.rank` needs (heldEvents), for data beyond what a
// node can hold; events.features is not used. Every rank of a group gets identical preprocessing
// parameters, labels and weights.
PreparedData prepareData(const RunConfig& cfg, const data::EventTable& events, const data::RowReader& reader,
                         const data::SplitRule& rule, const std::string& dataFile, const std::string& sha256,
                         const Logger& log, const RankShare& share, PreprocessFits* fits = nullptr);

// Refuses (Config error naming model.width/depth or model.widths) a network that with its optimiser
// state and a batch's activations would not fit this process's available memory; `inputs` is the
// network's input count. Every Trainer checks; a campaign checks its base network before any item.
void checkNetworkFits(const RunConfig& cfg, std::int64_t inputs);

struct EpochRecord {
  int epoch = 0;  // 1-based, as Keras prints it
  double trainLoss = 0, valLoss = 0, valAuc = 0, learningRate = 0, seconds = 0;
};

struct EvalResult {
  double loss = 0;
  double auc = 0, aucWeighted = 0;  // aucWeighted NaN when a class's summed weight is <= 0
  // rocWeighted: empty when undefined, and when every weight is 1 (it would equal roc: a split of
  // 1M events holds its ROC once, not twice); weightedRoc() gives the curve in both cases.
  metrics::Roc roc, rocWeighted;
  bool unitWeights = false;
  std::vector<double> bkgEff;      // at cfg.metrics.signalEfficiencies (unweighted)
  std::vector<double> bkgEffWeighted;
  metrics::Confusion confusion;    // at cfg.metrics.threshold (weighted by the event weights)
  Eigen::VectorXf scores;          // sigmoid outputs, one per event of the split
  // Multi-class networks (scores empty): softmax outputs (classes x events), the one-vs-rest AUC
  // of each class (auc is their mean, aucWeighted the mean of the weighted ones) and the
  // argmax confusion matrix (classes x classes row-major, true x predicted, weighted).
  Eigen::MatrixXf probabilities;
  std::vector<double> aucPerClass, aucPerClassWeighted;
  std::vector<double> confusionMatrix;
  // With curves: each class's one-vs-rest ROC (unweighted) and its background efficiency (the
  // other classes' fraction passing) at each cfg.metrics.signalEfficiencies, by class.
  std::vector<metrics::Roc> rocPerClass;
  std::vector<std::vector<double>> bkgEffPerClass;

  // Background efficiency at `signalEfficiency` on the weighted ROC; NaN when that is undefined.
  double weightedBkgEffAt(double signalEfficiency) const;
  // The weighted ROC (roc itself for unit weights); empty when undefined.
  const metrics::Roc& weightedRoc() const { return unitWeights ? roc : rocWeighted; }
};

struct TrainResult {
  std::vector<EpochRecord> history;
  int bestEpoch = 0;     // 1-based epoch whose weights are kept
  int epochsRun = 0;
  bool stoppedEarly = false;
  // A callback interrupted the loop (CallbackResult::Interrupt): nothing after the loop ran, the
  // evaluations are empty and the weights are those of the last epoch.
  bool interrupted = false;
  double trainSeconds = 0;  // the training loop alone
  double evaluateSeconds = 0;  // the evaluation of every split with the kept weights, after the loop
  double samplesPerSecond = 0;
  EvalResult train, val, test;  // evaluated with the kept weights
};

struct Checkpoint;

// Callbacks plug into the loop as in Keras/ensmallen: they see each finished epoch and may stop
// training. Early stopping (with the best-weights checkpoint) is one; the progress display and a
// campaign item's checkpoint files and log are others. The history is kept by the Trainer.
//   Continue   train on;
//   Stop       end training after this epoch: the kept weights are evaluated (early stopping);
//   Interrupt  end at this epoch boundary unfinished: fit() returns at once with `interrupted` set,
//              without the callbacks after this one, onTrainEnd or the evaluation (a stop request:
//              the item's checkpoint resumes it).
enum class CallbackResult { Continue, Stop, Interrupt };

class Callback {
 public:
  virtual ~Callback() = default;
  virtual CallbackResult onEpochEnd(const EpochRecord& rec, nn::Network& net) = 0;
  virtual void onTrainEnd(nn::Network& /*net*/) {}
  // True when this callback had already stopped training at the epoch a resumed run starts from
  // (its decision outlived the kill that came before the end): fit() then trains no epoch.
  virtual bool finishedBefore() const { return false; }
};

// Keeps the weights of the best epoch by the monitored quantity, and stops after `patience`
// epochs without an improvement larger than min_delta (when enabled).
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(const EarlyStoppingConfig& cfg);
  CallbackResult onEpochEnd(const EpochRecord& rec, nn::Network& net) override;
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
  // Whose state this is, set by the campaign and checked on resume: a checkpoint copied from
  // another item or campaign is not resumed (-1 / empty: a checkpoint without an owner).
  std::int64_t itemId = -1;
  std::string campaignSha256;
  int epochsDone = 0;
  Eigen::VectorXf params, state;
  nn::Optimizer::State optimizer;
  float learningRate = 0;
  // Early stopping: best monitored value, its epoch, epochs without improvement, its weights.
  double best = 0;
  int bestEpoch = 0;
  int wait = 0;
  Eigen::VectorXf bestParams, bestState;
  // The learning-rate schedule's state (reduce-on-plateau's rate, best value and counters).
  LrScheduleState schedule;
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

  // Evaluate the current network on a split (inference mode). `curves`: also the ROC curves,
  // working points and confusion matrix; without, the loss, AUC and scores only (the per-epoch
  // validation, and the training split at the end), which saves a curve of the split's size.
  EvalResult evaluate(const SplitData& split, bool curves = true);

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
  // f(start, count, inputs) for each of this rank's fixed evaluation chunks of `split`.
  template <class F>
  void forEachEvalChunk(const SplitData& split, F&& f);
  // evaluate() of `split` from its logits, already in logits_.
  EvalResult evaluateLogits(const SplitData& split, bool curves);
  // After an epoch's evaluate() of the validation split: keeps its logits with the weights and
  // state that computed them. At the end: puts them back into logits_ and returns true when the
  // network still has those weights and state bit for bit (else false: evaluate again).
  void keepValLogits();
  bool keptValLogits();
  // Multi-class: the logits (classes x events) of a split, in the same chunks.
  void computeLogitsMulti(const SplitData& split, Eigen::MatrixXf& logits);
  EvalResult evaluateMulti(const SplitData& split, bool curves);
  // Multi-class: forward, cross-entropy and backward of this rank's micro-batches of the step
  // (the `total` events gathered in batchX_), each micro-batch's gradient into its buffer.
  void multiClassStep(Eigen::Index batch, Eigen::Index total, std::uint64_t dropoutKey);
  // Network inputs of `count` events of `split` (indices into it), preprocessed into `out`'s rows
  // from `firstRow` on.
  void gather(const SplitData& split, const data::Index* events, Eigen::Index count, data::FeatureMatrix& out,
              Eigen::Index firstRow = 0);
  // The preprocessed rows of `split` (row-major, one row of preprocessor outputs per event of the
  // split; rows of events this rank does not hold are zero), or nullptr when it is not kept.
  const float* preprocessed(const SplitData& split) const;

  const RunConfig& cfg_;
  const PreparedData& data_;
  Logger log_;
  dist::LocalCommunicator local_;
  dist::Communicator& group_;
  nn::Network net_;
  std::unique_ptr<nn::Optimizer> optimizer_;
  EarlyStopping early_;
  LrSchedule schedule_;
  std::vector<EpochRecord> history_;
  int epochsDone_ = 0;
  // Preallocated per-step buffers: the loop allocates nothing after the first epoch.
  dist::MicroBatchAccumulator accumulator_;
  dist::GradientExchange exchange_;  // the group's gradient sum (collective, made with the Trainer)
  Eigen::VectorXf zeros_;
  data::FeatureMatrix batchX_;
  Eigen::RowVectorXf batchY_, batchW_, dlogits_;
  std::vector<std::uint64_t> batchCounter_;
  std::vector<std::vector<data::Index>> slots_;      // microBatchSlots of the train split
  std::vector<std::vector<data::Index>> epochSlots_;  // this epoch's order within each slot
  std::vector<double> lossSlots_;
  // This rank's non-empty micro-batches of the current step: slot and end row in batchX_.
  struct Segment {
    int slot;
    Eigen::Index end;
  };
  std::vector<Segment> segments_;
  std::vector<Eigen::Index> segmentEnds_;
  std::vector<float> segmentGrads_;       // one gradient buffer per micro-batch this rank computes
  std::vector<float*> segmentGradPtrs_;
  Eigen::VectorXf logits_;
  // The last epoch's validation logits and the weights and state that computed them: fit()'s final
  // evaluation of the validation split reuses them when the network it ends with has these bits.
  Eigen::VectorXf valLogits_, valLogitsParams_, valLogitsState_;
  bool valLogitsKept_ = false;
  Eigen::MatrixXf dlogitsMulti_, logitsMulti_;  // multi-class: (classes x batch), (classes x split)
  double firstValLoss_ = 0;  // epoch 1's validation loss: the scale divergence is judged on
  data::Preprocessor preprocessor_;
  data::FeatureMatrix evalX_;
  std::vector<data::Index> evalEvents_;
  // The training and validation events preprocessed once (the constructor), when they fit
  // kPreprocessedBytes: every epoch then copies rows instead of transforming them again.
  std::vector<float> trainInputs_, valInputs_;
};

}  // namespace hepsweep::train
