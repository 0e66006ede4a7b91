// The training keys of the campaign file: their declarations (one per option: type, bounds, doc)
// and the rules between them.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "OptionTables.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::campaign {

using train::RunConfig;
using namespace detail;

namespace {

// "none" | "auto" | { signal = w, background = w }: three fields behind one key.
OptionSpec<RunConfig> classWeightOption() {
  OptionSpec<RunConfig> s{"train.class_weight", "string or table",
                          "\"none\", \"auto\", or { signal = w, background = w } with w > 0",
                          "Per-class event-weight multipliers; \"auto\" balances the classes (n_total / (2 n_class))",
                          false, {}, {}, {}, false};
  s.assign = [](RunConfig& c, const toml::node& n, const Origin& o) {
    const std::string key = "train.class_weight";
    auto& t = c.train;
    if (n.is_string()) {
      const std::string v = readString(n, key, o);
      if (v != "none" && v != "auto")
        throwConfig(key + " must be \"none\", \"auto\" or a table { signal = w, background = w }; got " +
                    str::quoted(v) + " (" + o.at(n) + ")");
      t.classWeightAuto = v == "auto";
      t.classWeightSignal = t.classWeightBackground = 1.0;
      return;
    }
    if (!n.is_table()) throwType(key, "\"none\", \"auto\" or a table { signal = ..., background = ... }", n, o);
    t.classWeightAuto = false;
    t.classWeightSignal = t.classWeightBackground = 1.0;
    for (const auto& [k, v] : inFileOrder(*n.as_table())) {
      const std::string sub = key + "." + std::string(k->str());
      if (k->str() == "signal") t.classWeightSignal = readDouble(*v, sub, o, above(0));
      else if (k->str() == "background") t.classWeightBackground = readDouble(*v, sub, o, above(0));
      else throwUnknownKey(sub, o.at(k->source()), {key + ".signal", key + ".background"});
    }
  };
  s.format = [](const RunConfig& c) -> std::string {
    const auto& t = c.train;
    if (t.classWeightAuto) return "\"auto\"";
    if (t.classWeightSignal == 1.0 && t.classWeightBackground == 1.0) return "\"none\"";
    return "{ signal = " + formatDouble(t.classWeightSignal) + ", background = " +
           formatDouble(t.classWeightBackground) + " }";
  };
  return s;
}

// data.parameter and data.held_out: written to the resolved configuration only when set, so a
// campaign without a parameter dumps (and stores in every result file) the same text as before.
OptionSpec<RunConfig> parameterOption() {
  OptionSpec<RunConfig> s = stringOption<RunConfig>(
      "data.parameter", HEPSWEEP_FIELD(data.parameter),
      "Parametrised network (docs/parametrised.md): the input feature that is a physics parameter (e.g. \"mass\"); "
      "signal events keep their value, background events get values drawn from the signal's (seeded by seed and "
      "the event's row). Per-value AUC and background efficiencies are reported. Unset: an ordinary classifier");
  s.present = [](const RunConfig& c) { return !c.data.parameter.empty(); };
  return s;
}

OptionSpec<RunConfig> heldOutOption() {
  OptionSpec<RunConfig> s = floatListOption<RunConfig>(
      "data.held_out", HEPSWEEP_FIELD(data.heldOut), Bounds{},
      "With data.parameter: parameter values whose signal events are removed from training and validation (and "
      "never drawn for background there), to test the interpolation on the test split");
  s.present = [](const RunConfig& c) { return !c.data.heldOut.empty(); };
  return s;
}

std::vector<OptionSpec<RunConfig>> runOptions() {
  using C = RunConfig;
  using data::BalanceMode, data::ScalerKind, data::FitOn, data::MissingPolicy;
  using nn::Activation, nn::Initializer, nn::OptimizerKind;
  using train::LrScheduleKind, train::Monitor;
  return {
      intOption<C>("seed", HEPSWEEP_FIELD(seed), atLeast(0),
                   "Seed of every random stream (split, balancing, initialisation, shuffling, dropout); up to 2^63 - 1"),

      stringOption<C>("data.file", HEPSWEEP_FIELD(data.file),
                      "HDF5 file written by `hepsweep convert` (required; relative: to the campaign file's directory)"),
      nameListOption<C>("data.features", HEPSWEEP_FIELD(data.features),
                        "Input features by name, in this order; empty: all features of the file, in file order"),
      enumOption<C>("data.balance", HEPSWEEP_FIELD(data.balance),
                    std::vector{BalanceMode::None, BalanceMode::Downsample, BalanceMode::Reweight},
                    "Class balancing of the training rows: drop majority rows, or reweight events"),
      floatOption<C>("data.split.train", HEPSWEEP_FIELD(data.split.train), openClosed(0, 1),
                     "Fraction of each class used for training"),
      floatOption<C>("data.split.val", HEPSWEEP_FIELD(data.split.val), closed(0, 1),
                     "Fraction of each class used for validation (early stopping, model choice)"),
      floatOption<C>("data.split.test", HEPSWEEP_FIELD(data.split.test), closed(0, 1),
                     "Fraction of each class held out for the final metrics; the three fractions sum to 1"),

      parameterOption(),
      heldOutOption(),

      enumOption<C>("preprocess.scaler", HEPSWEEP_FIELD(preprocess.scaler),
                    std::vector{ScalerKind::None, ScalerKind::Standard, ScalerKind::Pca, ScalerKind::PcaUnscaled},
                    "Feature transformation: none; standard (zero mean, unit variance); pca (standardise, then rotate "
                    "onto the principal components, as scikit-learn's Pipeline([StandardScaler(), PCA()])); "
                    "pca_unscaled (rotate the centred features as they are, as PCA() alone: only for features in one "
                    "common unit, else the largest-valued feature takes the first component)"),
      intOption<C>("preprocess.pca_components", HEPSWEEP_FIELD(preprocess.pcaComponents), atLeast(0),
                   "Principal components kept by the pca and pca_unscaled scalers; 0 keeps all"),
      boolOption<C>("preprocess.whiten", HEPSWEEP_FIELD(preprocess.whiten),
                    "pca and pca_unscaled scalers: scale each component to unit variance"),
      enumOption<C>("preprocess.fit_on", HEPSWEEP_FIELD(preprocess.fitOn), std::vector{FitOn::Train, FitOn::All},
                    "Rows the scaler and imputation are fitted on (\"all\" leaks test information)"),
      enumOption<C>("preprocess.missing", HEPSWEEP_FIELD(preprocess.missing),
                    std::vector{MissingPolicy::Keep, MissingPolicy::Mean, MissingPolicy::MeanIndicator},
                    "Missing values (the file's marker, e.g. -999): keep, replace by the mean, or also add indicator columns"),

      intListOption<C>("model.widths", HEPSWEEP_FIELD(model.widths), atLeast(1),
                       "Hidden layer widths; empty: built from model.width, model.depth, model.step"),
      intOption<C>("model.width", HEPSWEEP_FIELD(model.width), atLeast(0),
                   "First hidden layer width when model.widths is empty (setting it clears model.widths)"),
      intOption<C>("model.depth", HEPSWEEP_FIELD(model.depth), atLeast(0),
                   "Number of hidden layers when model.widths is empty (setting it clears model.widths)"),
      intOption<C>("model.step", HEPSWEEP_FIELD(model.step), atLeast(0),
                   "Width decrease from one hidden layer to the next when model.widths is empty"),
      enumOption<C>("model.activation", HEPSWEEP_FIELD(model.activation),
                    std::vector{Activation::Relu, Activation::LeakyRelu, Activation::Elu, Activation::Tanh,
                                Activation::Sigmoid, Activation::Softplus, Activation::Linear},
                    "Activation of the hidden layers (the output is always a sigmoid)"),
      floatOption<C>("model.leaky_slope", HEPSWEEP_FIELD(model.leakySlope), atLeast(0),
                     "Negative slope of leaky_relu"),
      floatOption<C>("model.elu_alpha", HEPSWEEP_FIELD(model.eluAlpha), above(0), "Alpha of elu"),
      floatOrListOption<C>("model.dropout", HEPSWEEP_FIELD(model.dropout), closedOpen(0, 1),
                           "Dropout rate after each hidden layer: one number for all, or one per hidden layer"),
      boolOption<C>("model.batch_norm", HEPSWEEP_FIELD(model.batchNorm),
                    "Batch normalisation after each hidden layer's linear transform"),
      floatOption<C>("model.batch_norm_momentum", HEPSWEEP_FIELD(model.batchNormMomentum), openClosed(0, 1),
                     "Running-statistics momentum, PyTorch convention: running = (1 - m) running + m batch"),
      floatOption<C>("model.batch_norm_epsilon", HEPSWEEP_FIELD(model.batchNormEpsilon), above(0),
                     "Added to the batch variance before the square root"),
      enumOption<C>("model.init", HEPSWEEP_FIELD(model.init),
                    std::vector{Initializer::Auto, Initializer::HeNormal, Initializer::HeUniform,
                                Initializer::GlorotNormal, Initializer::GlorotUniform},
                    "Weight initialisation; auto: He for relu-like activations, Glorot otherwise"),

      enumOption<C>("train.optimizer", HEPSWEEP_FIELD(train.optimizer.kind),
                    std::vector{OptimizerKind::Adam, OptimizerKind::NAdam, OptimizerKind::Sgd}, "Optimizer"),
      floatOption<C>("train.learning_rate", HEPSWEEP_FIELD(train.optimizer.learningRate), above(0),
                     "Step size"),
      floatOption<C>("train.beta1", HEPSWEEP_FIELD(train.optimizer.beta1), closedOpen(0, 1),
                     "adam/nadam: decay of the first-moment average"),
      floatOption<C>("train.beta2", HEPSWEEP_FIELD(train.optimizer.beta2), closedOpen(0, 1),
                     "adam/nadam: decay of the second-moment average"),
      floatOption<C>("train.epsilon", HEPSWEEP_FIELD(train.optimizer.epsilon), above(0),
                     "adam/nadam: denominator term (PyTorch default 1e-8; Keras uses 1e-7)"),
      floatOption<C>("train.momentum", HEPSWEEP_FIELD(train.optimizer.momentum), atLeast(0), "sgd: momentum"),
      boolOption<C>("train.nesterov", HEPSWEEP_FIELD(train.optimizer.nesterov),
                    "sgd: Nesterov momentum (needs train.momentum > 0)"),
      floatOption<C>("train.momentum_decay", HEPSWEEP_FIELD(train.optimizer.momentumDecay), atLeast(0),
                     "nadam: momentum decay (PyTorch's momentum_decay)"),
      intOption<C>("train.batch_size", HEPSWEEP_FIELD(train.batchSize), atLeast(1), "Events per mini-batch"),
      intOption<C>("train.micro_batches", HEPSWEEP_FIELD(train.microBatches), atLeast(1),
                   "Each batch is cut into this many micro-batches whose gradients are summed in a fixed order; "
                   "groups of 1, 2 or 4 ranks then train bitwise-identical weights. Must be a multiple of "
                   "resources.ranks_per_item"),
      intOption<C>("train.epochs", HEPSWEEP_FIELD(train.epochs), atLeast(1),
                   "Maximum number of passes over the training rows"),
      floatOption<C>("train.l1", HEPSWEEP_FIELD(train.l1), atLeast(0), "L1 penalty on the weights (not biases)"),
      floatOption<C>("train.l2", HEPSWEEP_FIELD(train.l2), atLeast(0), "L2 penalty on the weights (not biases)"),
      classWeightOption(),
      boolOption<C>("train.shuffle", HEPSWEEP_FIELD(train.shuffle),
                    "Reshuffle the training rows every epoch (seeded)"),
      boolOption<C>("train.early_stopping.enabled", HEPSWEEP_FIELD(train.earlyStopping.enabled),
                    "Stop when the monitored validation quantity stops improving"),
      enumOption<C>("train.early_stopping.monitor", HEPSWEEP_FIELD(train.earlyStopping.monitor),
                    std::vector{Monitor::ValLoss, Monitor::ValAuc}, "Quantity watched: validation loss (lower is better) or AUC (higher)"),
      intOption<C>("train.early_stopping.patience", HEPSWEEP_FIELD(train.earlyStopping.patience), atLeast(0),
                   "Epochs without improvement before stopping"),
      floatOption<C>("train.early_stopping.min_delta", HEPSWEEP_FIELD(train.earlyStopping.minDelta), atLeast(0),
                     "Smallest change that counts as an improvement"),
      boolOption<C>("train.early_stopping.restore_best", HEPSWEEP_FIELD(train.earlyStopping.restoreBest),
                    "Keep the weights of the best epoch rather than the last"),
      enumOption<C>("train.lr_schedule.kind", HEPSWEEP_FIELD(train.lrSchedule.kind),
                    std::vector{LrScheduleKind::Constant, LrScheduleKind::Step, LrScheduleKind::Exponential,
                                LrScheduleKind::Cosine, LrScheduleKind::Plateau},
                    "Learning rate after the warm-up: constant; step (x gamma every step_size epochs); exponential "
                    "(x gamma every epoch); cosine (from train.learning_rate down to min_lr over the remaining "
                    "epochs); plateau (x factor when the monitored quantity stalls, as Keras' ReduceLROnPlateau)"),
      intOption<C>("train.lr_schedule.warmup_epochs", HEPSWEEP_FIELD(train.lrSchedule.warmupEpochs), atLeast(0),
                   "Linear warm-up before the schedule (any kind): epoch e <= W trains at learning_rate x e / W; "
                   "0: none"),
      intOption<C>("train.lr_schedule.step_size", HEPSWEEP_FIELD(train.lrSchedule.stepSize), atLeast(1),
                   "step: epochs between two reductions"),
      floatOption<C>("train.lr_schedule.gamma", HEPSWEEP_FIELD(train.lrSchedule.gamma), openClosed(0, 1),
                     "step: factor applied every step_size epochs; exponential: factor applied every epoch "
                     "(e.g. 0.95)"),
      floatOption<C>("train.lr_schedule.min_lr", HEPSWEEP_FIELD(train.lrSchedule.minLr), atLeast(0),
                     "cosine: the rate it anneals towards (PyTorch's eta_min); plateau: the rate is never lowered below this"),
      enumOption<C>("train.lr_schedule.monitor", HEPSWEEP_FIELD(train.lrSchedule.monitor),
                    std::vector{Monitor::ValLoss, Monitor::ValAuc},
                      "plateau: quantity watched, validation loss (lower is better) or AUC (higher)"),
      floatOption<C>("train.lr_schedule.factor", HEPSWEEP_FIELD(train.lrSchedule.factor), Bounds{0.0, 1.0, true, true},
                     "plateau: the rate is multiplied by this when the monitored quantity stalls"),
      intOption<C>("train.lr_schedule.patience", HEPSWEEP_FIELD(train.lrSchedule.patience), atLeast(0),
                   "plateau: epochs without improvement before the rate is lowered"),
      floatOption<C>("train.lr_schedule.min_delta", HEPSWEEP_FIELD(train.lrSchedule.minDelta), atLeast(0),
                     "plateau: smallest change that counts as an improvement"),
      intOption<C>("train.lr_schedule.cooldown", HEPSWEEP_FIELD(train.lrSchedule.cooldown), atLeast(0),
                   "plateau: epochs after a reduction during which stalling is not counted"),

      floatListOption<C>("metrics.signal_efficiencies", HEPSWEEP_FIELD(metrics.signalEfficiencies),
                         openClosed(0, 1), "Signal efficiencies at which background efficiency/rejection is reported"),
      floatOption<C>("metrics.threshold", HEPSWEEP_FIELD(metrics.threshold), closed(0, 1),
                     "Classifier output cut for accuracy and the confusion matrix"),
      floatOption<C>("metrics.luminosity", HEPSWEEP_FIELD(metrics.luminosity), above(0),
                     "Multiplies the event weights (scaled to the whole sample) to give expected yields for the "
                     "significance: e.g. weights in fb and luminosity in fb^-1; 1 when the weights already are yields"),
      floatOption<C>("metrics.signal_scale", HEPSWEEP_FIELD(metrics.signalScale), above(0),
                     "Extra factor on the signal yield (e.g. a cross-section ratio or the inverse of the fraction of "
                     "generated signal that the file holds)"),
      floatOption<C>("metrics.background_scale", HEPSWEEP_FIELD(metrics.backgroundScale), above(0),
                     "Extra factor on the background yield"),
      floatOption<C>("metrics.ams_regularisation", HEPSWEEP_FIELD(metrics.amsRegularisation), atLeast(0),
                     "b_r of the approximate median significance AMS = sqrt(2((s+b+b_r) ln(1+s/(b+b_r)) - s)); "
                     "HiggsML uses 10"),

      stringOption<C>("output.dir", HEPSWEEP_FIELD(output.dir),
                      "Directory of the results (relative: to the current working directory)"),
      enumOption<C>("output.scores", HEPSWEEP_FIELD(output.scores),
                    std::vector{train::ScoreOutput::None, train::ScoreOutput::Test, train::ScoreOutput::All},
                    "Per-event scores kept in each result file, with their labels, weights and data-file rows: "
                    "none (aggregate recomputes the best point's from its models), the test split, or all splits; "
                    "16 bytes per stored event (2M events, all: 32 MB per item)"),
  };
}

}  // namespace

void detail::resolveLayerAlternatives(RunConfig& c, const std::set<std::string>& assigned, const Origin& origin) {
  const bool listSet = assigned.count("model.widths") > 0;
  const bool shapeSet =
      assigned.count("model.width") > 0 || assigned.count("model.depth") > 0 || assigned.count("model.step") > 0;
  auto& m = c.model;
  if (listSet && !m.widths.empty()) {
    if (shapeSet && (m.width > 0 || m.depth > 0 || m.step > 0))
      throwConfig("model.widths and model.width/depth/step both given in " + origin.name +
                  "; they are alternatives: keep model.widths, or set model.widths = [] and use width/depth/step");
    m.width = m.depth = m.step = 0;
  } else if (shapeSet && !listSet) {
    m.widths.clear();
  }
}

namespace {
// A sum such as 1.1600000000000001 shown as a person would write it.
std::string roughly(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

void detail::validateRun(const RunConfig& c, const std::string& context, bool foldsGiveValidation) {
  const std::string in = context.empty() ? "" : " (" + context + ")";
  if (c.data.file.empty())
    throwConfig("data.file is not set" + in +
                ": give the HDF5 file written by `hepsweep convert` in [data], or --set data.file=path");

  const auto& s = c.data.split;
  const double sum = s.train + s.val + s.test;
  if (std::fabs(sum - 1.0) > 1e-6)
    throwConfig("data.split fractions must sum to 1, got train " + formatDouble(s.train) + " + val " +
                formatDouble(s.val) + " + test " + formatDouble(s.test) + " = " + roughly(sum) + in);
  if (c.train.earlyStopping.enabled && s.val == 0.0 && !foldsGiveValidation)
    throwConfig("train.early_stopping needs validation rows but data.split.val = 0" + in +
                "; give data.split.val > 0 or set train.early_stopping.enabled = false");

  if (!c.data.heldOut.empty() && c.data.parameter.empty())
    throwConfig("data.held_out lists parameter values but data.parameter is not set" + in +
                "; name the parameter feature, e.g. parameter = \"mass\" in [data]");
  // aggregate reads the scores from the result files: recomputing them from the data file would
  // score the background with the file's parameter column, not with the values drawn for it.
  if (!c.data.parameter.empty() && c.output.scores != train::ScoreOutput::All)
    throwConfig("data.parameter needs output.scores = \"all\"" + in +
                ": the background's drawn parameter values live in the training only, so aggregate must read every "
                "split's scores from the result files instead of recomputing them from the data file");
  if (!c.data.parameter.empty() && !c.data.features.empty() &&
      std::find(c.data.features.begin(), c.data.features.end(), c.data.parameter) == c.data.features.end())
    throwConfig("data.parameter = " + str::quoted(c.data.parameter) + " is not among data.features" + in +
                ": the parameter is an input of the network; add it to data.features");

  const auto& m = c.model;
  std::size_t layers = m.widths.size();
  if (m.widths.empty()) {
    if (m.width < 1 || m.depth < 1)
      throwConfig("model.widths is empty, so model.width and model.depth must be >= 1; got width = " +
                  std::to_string(m.width) + ", depth = " + std::to_string(m.depth) + in);
    const long long last = static_cast<long long>(m.width) - static_cast<long long>(m.depth - 1) * m.step;
    if (last < 1)
      throwConfig("model.width = " + std::to_string(m.width) + ", depth = " + std::to_string(m.depth) +
                  ", step = " + std::to_string(m.step) + " gives a last hidden layer of width " +
                  std::to_string(last) + in + "; reduce depth or step");
    layers = static_cast<std::size_t>(m.depth);
  }
  // Deeper networks than this are a typo (depth = 1000 instead of 10), not a classifier: they
  // would train for hours before anyone notices.
  constexpr std::size_t kMaxLayers = 100;
  if (layers > kMaxLayers)
    throwConfig("the network has " + std::to_string(layers) + " hidden layers (" +
                (m.widths.empty() ? "model.depth" : "model.widths") + ")" + in + "; hepsweep trains at most " +
                std::to_string(kMaxLayers));
  if (m.dropout.size() != 1 && m.dropout.size() != layers)
    throwConfig("model.dropout lists " + std::to_string(m.dropout.size()) + " rates but the network has " +
                std::to_string(layers) + " hidden layers" + in + "; give one number for all, or one per layer");

  if (c.train.microBatches > c.train.batchSize)
    throwConfig("train.micro_batches = " + std::to_string(c.train.microBatches) + " must be <= train.batch_size = " +
                std::to_string(c.train.batchSize) + in +
                ": each micro-batch needs at least one event; lower train.micro_batches or raise train.batch_size");

  const auto& opt = c.train.optimizer;
  if (opt.kind == nn::OptimizerKind::Sgd && opt.nesterov && opt.momentum <= 0.0f)
    throwConfig("train.nesterov = true needs train.momentum > 0" + in);

  const auto& ls = c.train.lrSchedule;
  if (ls.warmupEpochs >= c.train.epochs)
    throwConfig("train.lr_schedule.warmup_epochs = " + std::to_string(ls.warmupEpochs) + " must be < train.epochs = " +
                std::to_string(c.train.epochs) + in + ": the warm-up would be the whole training");
  if (ls.kind == train::LrScheduleKind::Plateau && s.val == 0.0 && !foldsGiveValidation)
    throwConfig("train.lr_schedule.kind = \"plateau\" watches the validation rows but data.split.val = 0" + in +
                "; give data.split.val > 0 or choose another schedule");
  if (ls.kind == train::LrScheduleKind::Cosine && !(ls.minLr < static_cast<double>(opt.learningRate)))
    throwConfig("train.lr_schedule.min_lr = " + formatDouble(ls.minLr) + " must be below train.learning_rate = " +
                formatFloat(opt.learningRate) + " for the cosine schedule" + in);
}

const OptionTable<RunConfig>& detail::runTable() {
  static const OptionTable<RunConfig> table{
      runOptions(), {resolveLayerAlternatives}, [](const RunConfig& c, const std::string& ctx) { validateRun(c, ctx, false); }};
  return table;
}

}  // namespace hepsweep::campaign
