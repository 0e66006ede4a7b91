#pragma once
// Shared by the campaign tests: the example campaign of the issue, an independent field-by-field
// comparison of RunConfig (not via toToml, which is under test), and error capture.
#include <gtest/gtest.h>

#include <string>

#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep::campaign::testing {

inline const char* kExampleCampaign = R"(seed = 42
[data]
file = "ship.h5"
features = []                 # empty: all
balance = "downsample"        # none | downsample | reweight
split = { train = 0.34, val = 0.33, test = 0.33 }
[preprocess]
scaler = "standard"           # none | standard | pca
[model]
widths = [25, 20]
activation = "relu"
dropout = 0.2
[train]
optimizer = "adam"
learning_rate = 1e-3
batch_size = 100
epochs = 100
early_stopping = { monitor = "val_loss", patience = 10, restore_best = true }
[output]
dir = "runs/ship"
)";

// Every field of RunConfig, written out by hand from the headers, so that a field the option
// table forgets to declare shows up as a mismatch after a round trip.
inline void expectSameConfig(const train::RunConfig& a, const train::RunConfig& b) {
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.data.file, b.data.file);
  EXPECT_EQ(a.data.features, b.data.features);
  EXPECT_EQ(a.data.balance, b.data.balance);
  EXPECT_EQ(a.data.parameter, b.data.parameter);
  EXPECT_EQ(a.data.heldOut, b.data.heldOut);
  EXPECT_EQ(a.data.split.train, b.data.split.train);
  EXPECT_EQ(a.data.split.val, b.data.split.val);
  EXPECT_EQ(a.data.split.test, b.data.split.test);
  EXPECT_EQ(a.preprocess.scaler, b.preprocess.scaler);
  EXPECT_EQ(a.preprocess.pcaComponents, b.preprocess.pcaComponents);
  EXPECT_EQ(a.preprocess.whiten, b.preprocess.whiten);
  EXPECT_EQ(a.preprocess.fitOn, b.preprocess.fitOn);
  EXPECT_EQ(a.preprocess.missing, b.preprocess.missing);
  EXPECT_EQ(a.model.widths, b.model.widths);
  EXPECT_EQ(a.model.width, b.model.width);
  EXPECT_EQ(a.model.depth, b.model.depth);
  EXPECT_EQ(a.model.step, b.model.step);
  EXPECT_EQ(a.model.activation, b.model.activation);
  EXPECT_EQ(a.model.leakySlope, b.model.leakySlope);
  EXPECT_EQ(a.model.eluAlpha, b.model.eluAlpha);
  EXPECT_EQ(a.model.dropout, b.model.dropout);
  EXPECT_EQ(a.model.batchNorm, b.model.batchNorm);
  EXPECT_EQ(a.model.batchNormMomentum, b.model.batchNormMomentum);
  EXPECT_EQ(a.model.batchNormEpsilon, b.model.batchNormEpsilon);
  EXPECT_EQ(a.model.init, b.model.init);
  EXPECT_EQ(a.train.optimizer.kind, b.train.optimizer.kind);
  EXPECT_EQ(a.train.optimizer.learningRate, b.train.optimizer.learningRate);
  EXPECT_EQ(a.train.optimizer.beta1, b.train.optimizer.beta1);
  EXPECT_EQ(a.train.optimizer.beta2, b.train.optimizer.beta2);
  EXPECT_EQ(a.train.optimizer.epsilon, b.train.optimizer.epsilon);
  EXPECT_EQ(a.train.optimizer.momentum, b.train.optimizer.momentum);
  EXPECT_EQ(a.train.optimizer.nesterov, b.train.optimizer.nesterov);
  EXPECT_EQ(a.train.optimizer.momentumDecay, b.train.optimizer.momentumDecay);
  EXPECT_EQ(a.train.batchSize, b.train.batchSize);
  EXPECT_EQ(a.train.microBatches, b.train.microBatches);
  EXPECT_EQ(a.train.epochs, b.train.epochs);
  EXPECT_EQ(a.train.l1, b.train.l1);
  EXPECT_EQ(a.train.l2, b.train.l2);
  EXPECT_EQ(a.train.classWeightAuto, b.train.classWeightAuto);
  EXPECT_EQ(a.train.classWeightSignal, b.train.classWeightSignal);
  EXPECT_EQ(a.train.classWeightBackground, b.train.classWeightBackground);
  EXPECT_EQ(a.train.shuffle, b.train.shuffle);
  EXPECT_EQ(a.train.earlyStopping.enabled, b.train.earlyStopping.enabled);
  EXPECT_EQ(a.train.earlyStopping.monitor, b.train.earlyStopping.monitor);
  EXPECT_EQ(a.train.earlyStopping.patience, b.train.earlyStopping.patience);
  EXPECT_EQ(a.train.earlyStopping.minDelta, b.train.earlyStopping.minDelta);
  EXPECT_EQ(a.train.earlyStopping.restoreBest, b.train.earlyStopping.restoreBest);
  EXPECT_EQ(a.train.lrSchedule.kind, b.train.lrSchedule.kind);
  EXPECT_EQ(a.train.lrSchedule.warmupEpochs, b.train.lrSchedule.warmupEpochs);
  EXPECT_EQ(a.train.lrSchedule.stepSize, b.train.lrSchedule.stepSize);
  EXPECT_EQ(a.train.lrSchedule.gamma, b.train.lrSchedule.gamma);
  EXPECT_EQ(a.train.lrSchedule.minLr, b.train.lrSchedule.minLr);
  EXPECT_EQ(a.train.lrSchedule.monitor, b.train.lrSchedule.monitor);
  EXPECT_EQ(a.train.lrSchedule.factor, b.train.lrSchedule.factor);
  EXPECT_EQ(a.train.lrSchedule.patience, b.train.lrSchedule.patience);
  EXPECT_EQ(a.train.lrSchedule.minDelta, b.train.lrSchedule.minDelta);
  EXPECT_EQ(a.train.lrSchedule.cooldown, b.train.lrSchedule.cooldown);
  EXPECT_EQ(a.metrics.signalEfficiencies, b.metrics.signalEfficiencies);
  EXPECT_EQ(a.metrics.threshold, b.metrics.threshold);
  EXPECT_EQ(a.output.dir, b.output.dir);
  EXPECT_EQ(a.output.scores, b.output.scores);
}

// Runs f, expects an Error(Config) and returns its message ("" and a failure otherwise).
template <class F>
std::string configError(F&& f) {
  try {
    f();
  } catch (const hepsweep::Error& e) {
    EXPECT_EQ(e.category(), hepsweep::ErrorCategory::Config) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a configuration error";
  return "";
}

inline const char* kMinimalCampaign = "[data]\nfile = \"x.h5\"\n";

// The k-fold x hyperparameter example of docs/campaign.md, appended to kExampleCampaign.
inline const char* kCampaignSections = R"([cv]
folds = 5
[search]
method = "grid"                                   # grid | random | bayes
budget = 20                                       # random (grid ignores it)
objective = "val_loss"                            # mean over folds
[search.space]
"model.widths" = [[25, 20], [64, 32]]             # explicit list
"train.learning_rate" = { min = 1e-4, max = 1e-2, log = true, steps = 3 }   # steps: grid only
"model.dropout" = { min = 0.0, max = 0.5 }
"train.batch_size" = { min = 32, max = 512, type = "int", log = true }
"model.activation" = ["relu", "elu"]
[resources]
ranks_per_item = 2
)";

inline train::RunConfig parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parseRunConfig(text, "ship.toml", overrides);
}

}  // namespace hepsweep::campaign::testing
