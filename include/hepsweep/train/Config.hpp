#pragma once
// The resolved configuration of one training run: every section of the campaign file that a
// single training needs. Campaign-level sections (folds, search, resources) live in campaign/.
#include <cstdint>
#include <string>
#include <vector>

#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/nn/Config.hpp"

namespace hepsweep::train {

struct DataConfig {
  std::string file;                   // HDF5 file written by `hepsweep convert`
  std::vector<std::string> features;  // empty: all features of the file, in file order
  data::BalanceMode balance = data::BalanceMode::None;
  data::SplitFractions split;
  // Parametrised network (docs/parametrised.md): the input feature that is a physics parameter
  // (empty: none); background events take values drawn from the signal's (data/Parametrise.hpp).
  std::string parameter;
  std::vector<double> heldOut;  // parameter values whose signal events are kept out of training and validation
};

// The per-epoch validation quantity early stopping and the plateau schedule watch.
enum class Monitor { ValLoss, ValAuc };
const char* toString(Monitor m);  // "val_loss", "val_auc"
inline bool maximises(Monitor m) { return m == Monitor::ValAuc; }

struct EarlyStoppingConfig {
  bool enabled = true;
  Monitor monitor = Monitor::ValLoss;
  int patience = 10;
  double minDelta = 0.0;
  bool restoreBest = true;
};

// How the learning rate changes from epoch to epoch (train/LrSchedule.hpp computes it).
enum class LrScheduleKind { Constant, Step, Exponential, Cosine, Plateau };
const char* toString(LrScheduleKind k);

struct LrScheduleConfig {
  LrScheduleKind kind = LrScheduleKind::Constant;
  // Epochs of linear warm-up before the schedule proper (any kind): epoch e <= W uses lr x e / W.
  int warmupEpochs = 0;
  int stepSize = 10;     // step: epochs between reductions
  double gamma = 0.1;    // step: factor per step_size epochs; exponential: factor per epoch
  double minLr = 0.0;    // cosine: the rate it anneals to; plateau: the floor
  // plateau: Keras' ReduceLROnPlateau and its defaults
  Monitor monitor = Monitor::ValLoss;
  double factor = 0.1;
  int patience = 10;
  double minDelta = 1e-4;
  int cooldown = 0;
};

struct LoopConfig {
  nn::OptimizerConfig optimizer;
  int batchSize = 100;
  // Each batch is cut into this many micro-batches whose gradients are summed in a fixed tree
  // order. The split does not depend on the number of ranks training the item, so groups of
  // 1, 2 or 4 ranks give bitwise-identical weights (ranks share the micro-batches).
  int microBatches = 4;
  int epochs = 100;
  float l1 = 0.0f;
  float l2 = 0.0f;
  // Multipliers of the per-event weights by class ("auto" in the file means balanced:
  // n_total / (2 n_class), like scikit-learn's class_weight="balanced").
  bool classWeightAuto = false;
  double classWeightSignal = 1.0;
  double classWeightBackground = 1.0;
  bool shuffle = true;
  EarlyStoppingConfig earlyStopping;
  LrScheduleConfig lrSchedule;
};

struct MetricsConfig {
  std::vector<double> signalEfficiencies{0.5, 0.8, 0.9};
  double threshold = 0.5;  // for accuracy and the confusion matrix
  // Expected yields for the significance (AMS, s/sqrt(b)): each split's event weights are scaled
  // per class to the whole sample (x N_class / n_class in the split) and then multiplied by
  // luminosity and the class's scale factor (docs/campaign.md, [metrics]).
  double luminosity = 1.0;
  double signalScale = 1.0;
  double backgroundScale = 1.0;
  double amsRegularisation = 10.0;  // b_r of the AMS (HiggsML: 10)
  // Not a key of [metrics]: the campaign copies search.objective here so that the result file can
  // store the objective's value (metrics/objective).
  metrics::Objective objective;
};

// Per-event scores in the result file: none (the stages after training recompute the ones they
// need from the stored model and the split rule), the test split, or every split. Each stored
// event costs 16 bytes (score, label, weight, row).
enum class ScoreOutput { None, Test, All };
const char* toString(ScoreOutput s);

struct OutputConfig {
  std::string dir = "runs/default";
  ScoreOutput scores = ScoreOutput::None;
};

struct RunConfig {
  std::uint64_t seed = 42;
  DataConfig data;
  data::PreprocessConfig preprocess;
  nn::ModelConfig model;
  LoopConfig train;
  MetricsConfig metrics;
  OutputConfig output;
};

}  // namespace hepsweep::train
