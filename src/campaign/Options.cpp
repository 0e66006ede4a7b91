#include "hepsweep/campaign/Options.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "BaselineOptions.hpp"
#include "OptionTable.hpp"
#include "SearchSpaceOptions.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::campaign {

const char* toString(SearchMethod m) {
  switch (m) {
    case SearchMethod::None: return "none";
    case SearchMethod::Grid: return "grid";
    case SearchMethod::Random: return "random";
    case SearchMethod::Bayes: return "bayes";
  }
  return "none";
}

const char* toString(BayesSchedule s) { return s == BayesSchedule::Rounds ? "rounds" : "asynchronous"; }

const char* toString(DataPlacement p) {
  switch (p) {
    case DataPlacement::Auto: return "auto";
    case DataPlacement::Node: return "node";
    case DataPlacement::Rows: return "rows";
  }
  return "auto";
}


using train::RunConfig;
using namespace detail;

namespace {

// Binds an option to a field: works on const (dump) and non-const (parse) configs alike.
#define HEPSWEEP_FIELD(path) [](auto& c) -> auto& { return c.path; }

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

#undef HEPSWEEP_FIELD

// model.widths and model.width/depth/step are alternative ways to give the layers: whichever a
// source sets wins, so `--set model.depth=4` works on a file that lists widths (and vice versa).
void resolveLayerAlternatives(RunConfig& c, const std::set<std::string>& assigned, const Origin& origin) {
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

// A sum such as 1.1600000000000001 shown as a person would write it.
std::string roughly(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// foldsGiveValidation: with k > 1 folds every item validates on its fold, whatever data.split.val says.
void validateImpl(const RunConfig& c, const std::string& context, bool foldsGiveValidation = false) {
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

}  // namespace

const OptionTable<RunConfig>& detail::runTable() {
  static const OptionTable<RunConfig> table{
      runOptions(), {resolveLayerAlternatives}, [](const RunConfig& c, const std::string& ctx) { validateImpl(c, ctx); }};
  return table;
}

namespace {

std::string contextOf(std::string_view sourceName, const std::vector<std::string>& overrides) {
  std::string ctx = "in " + std::string(sourceName);
  for (std::size_t i = 0; i < overrides.size(); ++i) ctx += (i ? " --set " : " with --set ") + overrides[i];
  return ctx;
}

std::string readCampaignFile(const std::string& tomlPath) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(tomlPath, ec))
    throwIo("cannot read campaign file " + str::quoted(tomlPath) + ": " +
            (fs::exists(tomlPath, ec) ? "not a regular file" : "no such file"));
  std::ifstream in(tomlPath, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) throwIo("cannot read campaign file " + str::quoted(tomlPath));
  return text.str();
}

// Only the file's own data.file is relative to the file; a --set path is as typed in the shell.
void resolveDataFile(RunConfig& cfg, const std::filesystem::path* campaignDir) {
  if (campaignDir && !cfg.data.file.empty() && std::filesystem::path(cfg.data.file).is_relative())
    cfg.data.file = std::filesystem::absolute(*campaignDir / cfg.data.file).lexically_normal().string();
}

RunConfig parseImpl(std::string_view text, std::string_view sourceName, const std::vector<std::string>& overrides,
                    const std::filesystem::path* campaignDir) {
  const auto& table = runTable();
  RunConfig cfg;
  const toml::table doc = parseDocument(text, sourceName);
  applyDocument(table, cfg, doc, sourceName);
  resolveDataFile(cfg, campaignDir);
  for (const auto& o : overrides) applyOverride(table, cfg, o);
  table.validate(cfg, contextOf(sourceName, overrides));
  return cfg;
}

// ---- the campaign sections: [cv], [search], [resources]; [search.space] is in SearchSpaceOptions.cpp ----

using search::Dimension;



// A choice plus the parametrised "bkg_eff@sig_eff=X".
OptionSpec<CampaignConfig> objectiveOption() {
  const std::string allowed(metrics::Objective::kAllowed);
  OptionSpec<CampaignConfig> s{"search.objective", "string", allowed,
                               "What ranks the points, on validation data, mean over folds (smaller is better): "
                               "val_loss; val_auc (stored as 1 - AUC); ams (the largest AMS over score cuts with "
                               "[metrics] yields, stored as -AMS); bkg_eff@sig_eff=X (weighted background "
                               "efficiency at signal efficiency X)",
                               true, {}, {}, {}, false};
  s.assign = [allowed](CampaignConfig& c, const toml::node& n, const Origin& o) {
    const std::string v = readString(n, "search.objective", o);
    const auto objective = metrics::Objective::parse(v);
    if (!objective)
      throwConfig("search.objective must be " + allowed + "; got " + str::quoted(v) + " (" + o.at(n) + ")");
    c.search.objective = *objective;
  };
  s.format = [](const CampaignConfig& c) { return formatString(c.search.objective.name()); };
  return s;
}

OptionSpec<CampaignConfig> budgetOption() {
  const Bounds b = closed(1, static_cast<double>(search::kMaxPoints));
  OptionSpec<CampaignConfig> s{"search.budget", "integer", b.describe(),
                               "random, bayes: number of points to try (required); grid ignores it", false, {}, {}, {},
                               false};
  s.assign = [b](CampaignConfig& c, const toml::node& n, const Origin& o) {
    c.search.budget = readInt(n, "search.budget", o, b, 1, static_cast<std::int64_t>(search::kMaxPoints));
  };
  s.format = [](const CampaignConfig& c) { return std::to_string(*c.search.budget); };
  s.present = [](const CampaignConfig& c) { return c.search.budget.has_value(); };
  return s;
}

#define HEPSWEEP_FIELD(path) [](auto& c) -> auto& { return c.path; }

std::vector<OptionSpec<CampaignConfig>> campaignOptions() {
  using C = CampaignConfig;
  std::vector<OptionSpec<C>> out;
  for (const auto& o : runTable().options) out.push_back(liftOption<C>(o, HEPSWEEP_FIELD(run)));
  out.push_back(intOption<C>("cv.folds", HEPSWEEP_FIELD(cv.folds), atLeast(1),
                             "k-fold cross-validation: 1 is the plain data.split; k > 1 cuts the rows outside the "
                             "test fraction into k folds, each validated on once"));
  out.push_back(enumOption<C>("search.method", HEPSWEEP_FIELD(search.method),
                              std::vector{SearchMethod::None, SearchMethod::Grid, SearchMethod::Random,
                                          SearchMethod::Bayes},
                              "How the points are chosen: none (the base configuration only), grid (every "
                              "combination of the space), random (search.budget draws), bayes (Gaussian-process "
                              "Bayesian optimisation, search.budget points; docs/search.md)"));
  out.push_back(budgetOption());
  out.push_back(objectiveOption());
  out.push_back(intOption<C>("search.initial_points", HEPSWEEP_FIELD(search.bayes.initialPoints),
                             closed(1, static_cast<double>(search::kMaxPoints)),
                             "bayes: points from the initial design before the Gaussian process is used (part of "
                             "the budget; capped at it)"));
  out.push_back(choiceOption<C>("search.initial_design", HEPSWEEP_FIELD(search.bayes.initialDesign),
                                search::initialDesigns(),
                                "bayes: how the initial points are spread: independent draws, a Latin hypercube, or "
                                "a randomly shifted Sobol sequence"));
  out.push_back(choiceOption<C>("search.acquisition", HEPSWEEP_FIELD(search.bayes.acquisition), search::acquisitions(),
                                "bayes: expected improvement, lower confidence bound, probability of improvement, or "
                                "scikit-optimize's gp_hedge portfolio choosing among the three"));
  out.push_back(floatOption<C>("search.xi", HEPSWEEP_FIELD(search.bayes.xi), any(),
                               "bayes, EI and PI: the improvement over the best objective that counts, in objective "
                               "units (larger explores more)"));
  out.push_back(floatOption<C>("search.kappa", HEPSWEEP_FIELD(search.bayes.kappa), atLeast(0),
                               "bayes, LCB: mean - kappa * standard deviation (larger explores more)"));
  out.push_back(choiceOption<C>("search.liar", HEPSWEEP_FIELD(search.bayes.liar), search::liars(),
                                "bayes: objective assumed for points still running when the next ones are proposed: "
                                "the minimum, mean or maximum of the results so far (constant liar), or kb (kriging "
                                "believer: the Gaussian process's predicted mean there, from the results alone)"));
  out.push_back(enumOption<C>("search.schedule", HEPSWEEP_FIELD(search.schedule),
                                std::vector{BayesSchedule::Asynchronous, BayesSchedule::Rounds},
                                "bayes with several rank groups: propose a point whenever a group runs out of items "
                                "(groups stay busy; proposals depend on the finishing order), or in rounds of one "
                                "point per group (groups wait for the slowest; exactly reproducible)"));
  out.push_back(enumOption<C>("search.early_stopping.rule", HEPSWEEP_FIELD(search.earlyStopping.rule),
                                std::vector{search::StoppingRule::None, search::StoppingRule::Median},
                                "Stop poor items while they train: none, or the median rule (stop an item after "
                                "epoch e when its best validation value so far is worse than the median of the "
                                "finished items of the same fold at e; val_loss, or 1 - val_auc for objective "
                                "val_auc; docs/search.md)"));
  out.push_back(intOption<C>("search.early_stopping.grace_epochs", HEPSWEEP_FIELD(search.earlyStopping.graceEpochs),
                             atLeast(1), "median rule: epochs every item trains before it may be stopped"));
  out.push_back(intOption<C>("search.early_stopping.min_completed",
                             HEPSWEEP_FIELD(search.earlyStopping.minCompleted), atLeast(1),
                             "median rule: finished items of the same fold needed before the rule applies"));
  out.push_back(spaceOption());
  out.push_back(intOption<C>("resources.ranks_per_item", HEPSWEEP_FIELD(resources.ranksPerItem), atLeast(1),
                             "MPI ranks that train one item (point x fold) together; must divide the number of "
                             "ranks and train.micro_batches"));
  out.push_back(enumOption<C>("resources.reduction", HEPSWEEP_FIELD(resources.reduction),
                              std::vector{dist::GradientSum::Deterministic, dist::GradientSum::Fast},
                                "Gradient sum across the ranks of an item: fixed-order tree (same weights for 1, 2 "
                                "or 4 ranks) or MPI_Allreduce in the library's order"));
  out.push_back(enumOption<C>("resources.data", HEPSWEEP_FIELD(resources.data),
                              std::vector{DataPlacement::Auto, DataPlacement::Node, DataPlacement::Rows},
                              "Where a job keeps the data while it trains items: node (one copy per node, shared by "
                              "its ranks, read once), rows (each rank reads each item's rows from the file: data "
                              "beyond a node's memory), or auto (node when the copy takes at most half of the "
                              "available memory)"));
  for (auto& o : baselineOptions()) out.push_back(std::move(o));
  return out;
}

#undef HEPSWEEP_FIELD

std::string divisorsText(int n) {
  std::vector<std::string> d;
  for (int i = 1; i <= n; ++i)
    if (n % i == 0) d.push_back(std::to_string(i));
  if (d.size() == 1) return d[0];
  const std::string last = d.back();
  d.pop_back();
  return str::join(d, ", ") + " or " + last;
}

// Constraints between the training keys and [resources]; `in` is " (in ship.toml ...)" or "".
void checkResources(const RunConfig& run, const ResourcesConfig& res, const std::string& in) {
  const int g = res.ranksPerItem;
  const int m = run.train.microBatches;
  if (m % g != 0)
    throwConfig("resources.ranks_per_item = " + std::to_string(g) + " must divide train.micro_batches = " +
                std::to_string(m) + " so that every rank gets whole micro-batches; set train.micro_batches = " +
                std::to_string((m / g + 1) * g) + " or ranks_per_item = " + divisorsText(m) + in);
  if (run.model.batchNorm && g > 1)
    throwConfig("batch normalisation with several ranks per item is not supported yet (model.batch_norm = true, "
                "resources.ranks_per_item = " + std::to_string(g) + ")" + in +
                "; set model.batch_norm = false or resources.ranks_per_item = 1");
}

// The values of one dimension that the load-time check combines. A grid runs exactly its grid
// values. Random and Bayesian searches draw anywhere in the space: every listed value, every
// value of an integer range with at most kEveryIntegerUpTo of them (divisibility rules such as
// ranks_per_item | micro_batches hold or fail between the ends), and otherwise the ends of the
// range: the rules between keys are monotone in each numeric key (a layer width
// width - (depth - 1) * step, micro_batches <= batch_size), so a box whose corners pass has no
// failing point inside.
constexpr std::uint64_t kEveryIntegerUpTo = 32;

std::vector<search::Value> valuesToCheck(const Dimension& d, bool grid, bool endsOnly) {
  if (grid || d.kind() == search::Kind::Choice) return d.gridValues();
  const std::optional<std::uint64_t> n = d.cardinality();
  if (!endsOnly && d.kind() == search::Kind::Integer && n && *n <= kEveryIntegerUpTo) {
    std::vector<search::Value> all;
    for (std::uint64_t k = 0; k < *n; ++k) all.push_back(d.value(d.min() + static_cast<double>(k)));
    return all;
  }
  return {d.value(d.min()), d.value(d.max())};
}

std::uint64_t combinations(const std::vector<std::vector<search::Value>>& axes) {
  std::uint64_t total = 1;
  for (const auto& a : axes) {
    if (total > search::kMaxPoints / a.size()) return search::kMaxPoints + 1;
    total *= a.size();
  }
  return total;
}

// One value of a dimension, read as the key's option reads it (so its own bounds and type are
// checked once, with the message naming the key and the value).
struct CheckedValue {
  search::Value value;
  toml::table holder;  // the parsed TOML value under "v"
};

// Every point the search may run is applied to the base configuration as its item applies it
// (one --set per searched key, in the space's order) and validated with the campaign's rules, so
// that a bad combination fails when the campaign is loaded, naming the combination, rather than
// as failed items mid-campaign. Grids: every point. Random and Bayesian: every combination of
// valuesToCheck; above search::kMaxPoints combinations, integer ranges are reduced to their ends,
// and if there are still too many, each value is checked with the other keys at their first value.
void checkPoints(const CampaignConfig& c, const std::string& in) {
  const auto& table = runTable();
  const auto& dims = c.search.space.dimensions();
  const bool grid = c.search.method == SearchMethod::Grid;
  std::vector<std::vector<search::Value>> axes;
  for (const auto& d : dims) axes.push_back(valuesToCheck(d, grid, false));
  if (!grid && combinations(axes) > search::kMaxPoints)
    for (std::size_t i = 0; i < dims.size(); ++i) axes[i] = valuesToCheck(dims[i], false, true);
  const bool everyCombination = combinations(axes) <= search::kMaxPoints;

  const Origin origin{"[search.space]", true};
  std::vector<std::vector<CheckedValue>> parsed(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i)
    for (const auto& v : axes[i]) {
      CheckedValue cv{v, parseDocument("v = " + v.toml, "[search.space]")};
      try {
        RunConfig run = c.run;
        std::set<std::string> assigned;
        applyNode(table, run, dims[i].key(), *cv.holder.get("v"), origin.name, origin, assigned);
      } catch (const Error& e) {
        if (e.category() != ErrorCategory::Config) throw;
        throwConfig("search.space key " + str::quoted(dims[i].key()) + ": value " + v.toml + " is refused" + in +
                    ": " + e.what());
      }
      parsed[i].push_back(std::move(cv));
    }

  const auto check = [&](const std::vector<std::size_t>& pick) {
    RunConfig run = c.run;
    try {
      for (std::size_t i = 0; i < dims.size(); ++i) {
        std::set<std::string> assigned;
        applyNode(table, run, dims[i].key(), *parsed[i][pick[i]].holder.get("v"), origin.name, origin, assigned);
        finishSource(table, run, assigned, origin);
      }
      validateImpl(run, "", c.cv.folds > 1);
      checkResources(run, c.resources, "");
    } catch (const Error& e) {
      if (e.category() != ErrorCategory::Config) throw;
      if (dims.size() == 1)
        throwConfig("search.space key " + str::quoted(dims[0].key()) + ": value " + parsed[0][pick[0]].value.toml +
                    " is refused" + in + ": " + e.what());
      search::Point p;
      for (std::size_t i = 0; i < dims.size(); ++i) p.values.push_back(parsed[i][pick[i]].value);
      throwConfig("search.space point " + p.describe() + " is refused" + in + ": " + e.what());
    }
  };
  std::vector<std::size_t> pick(dims.size(), 0);
  if (!everyCombination) {
    for (std::size_t i = 0; i < dims.size(); ++i) {
      for (std::size_t k = 0; k < parsed[i].size(); ++k) {
        pick[i] = k;
        check(pick);
      }
      pick[i] = 0;
    }
    return;
  }
  // Mixed-radix count over the combinations, last dimension fastest (the grid's order).
  while (true) {
    check(pick);
    std::size_t d = dims.size();
    while (d > 0 && ++pick[d - 1] == parsed[d - 1].size()) pick[--d] = 0;
    if (d == 0) break;
  }
}

void validateCampaignImpl(const CampaignConfig& c, const std::string& context) {
  const std::string in = context.empty() ? "" : " (" + context + ")";
  validateImpl(c.run, context, c.cv.folds > 1);
  checkResources(c.run, c.resources, in);
  checkBaseline(c, in);
  const auto& s = c.search;
  if (s.method == SearchMethod::None) {
    if (!s.space.empty())
      throwConfig("search.space lists " + std::to_string(s.space.size()) + " key(s) but search.method = \"none\"" + in +
                  "; set search.method = \"grid\" or \"random\", or empty the space (--set search.space={})");
    return;
  }
  if (s.space.empty())
    throwConfig("search.method = " + formatString(toString(s.method)) + " needs at least one key in [search.space]" + in +
                ", e.g. \"model.dropout\" = [0.1, 0.2]");
  if ((s.method == SearchMethod::Random || s.method == SearchMethod::Bayes) && !s.budget)
    throwConfig("search.method = " + formatString(toString(s.method)) + " needs search.budget (the number of points to try), "
                "e.g. budget = 20 in [search]" + in);
  try {
    makeSearcher(c);
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::Config) throw;
    throwConfig(std::string(e.what()) + in);
  }
  checkPoints(c, in);
}

const OptionTable<CampaignConfig>& campaignTable() {
  static const OptionTable<CampaignConfig> table{
      campaignOptions(),
      {[](CampaignConfig& c, const std::set<std::string>& assigned, const Origin& o) {
        resolveLayerAlternatives(c.run, assigned, o);
      }},
      validateCampaignImpl};
  return table;
}

void applyCampaignOverride(CampaignConfig& cfg, std::string_view text) {
  const auto& table = campaignTable();
  const Assignment a = parseAssignment(text, [&](std::string_view key) {
    if (key.substr(0, kSpacePrefix.size()) == kSpacePrefix) return false;
    const OptionSpec<CampaignConfig>* s = table.find(key);
    return s && s->bareWordIsString;
  });
  const Origin origin{"--set " + std::string(text), true};
  // search.space.<key>=<dimension> sets one dimension; --set search.space={...} replaces them all.
  if (a.key.size() > kSpacePrefix.size() && a.key.compare(0, kSpacePrefix.size(), kSpacePrefix) == 0) {
    setDimension(cfg.search.space, readDimension(a.key.substr(kSpacePrefix.size()), a.value(), origin, origin.name));
    return;
  }
  std::set<std::string> assigned;
  applyNode(table, cfg, a.key, a.value(), origin.name, origin, assigned);
  finishSource(table, cfg, assigned, origin);
}

CampaignConfig parseCampaignImpl(std::string_view text, std::string_view sourceName,
                                 const std::vector<std::string>& overrides, const std::filesystem::path* campaignDir) {
  const auto& table = campaignTable();
  CampaignConfig cfg;
  const toml::table doc = parseDocument(text, sourceName);
  applyDocument(table, cfg, doc, sourceName);
  resolveDataFile(cfg.run, campaignDir);
  for (const auto& o : overrides) applyCampaignOverride(cfg, o);
  table.validate(cfg, contextOf(sourceName, overrides));
  return cfg;
}

}  // namespace

RunConfig loadRunConfig(const std::string& tomlPath, const std::vector<std::string>& overrides) {
  const std::filesystem::path dir = std::filesystem::path(tomlPath).parent_path();
  return parseImpl(readCampaignFile(tomlPath), tomlPath, overrides, &dir);
}

RunConfig parseRunConfig(std::string_view tomlText, std::string_view sourceName,
                         const std::vector<std::string>& overrides) {
  return parseImpl(tomlText, sourceName, overrides, nullptr);
}

void applyOverrides(RunConfig& config, const std::vector<std::string>& overrides) {
  const auto& table = runTable();
  for (const auto& o : overrides) applyOverride(table, config, o);
  std::string ctx;
  for (const auto& o : overrides) ctx += (ctx.empty() ? "after --set " : " --set ") + o;
  table.validate(config, ctx);
}

void validateRunConfig(const RunConfig& config) { runTable().validate(config, ""); }

std::string toToml(const RunConfig& config) {
  return dumpToml(runTable(), config,
                  "# hepsweep resolved configuration: every key, defaults filled in (docs/campaign.md)\n");
}

std::vector<std::pair<std::string, std::string>> flattenOptions(const RunConfig& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : runTable().options) out.emplace_back(o.key, o.format(config));
  return out;
}

CampaignConfig loadCampaign(const std::string& tomlPath, const std::vector<std::string>& overrides) {
  const std::filesystem::path dir = std::filesystem::path(tomlPath).parent_path();
  return parseCampaignImpl(readCampaignFile(tomlPath), tomlPath, overrides, &dir);
}

CampaignConfig parseCampaign(std::string_view tomlText, std::string_view sourceName,
                             const std::vector<std::string>& overrides) {
  return parseCampaignImpl(tomlText, sourceName, overrides, nullptr);
}

void applyOverrides(CampaignConfig& config, const std::vector<std::string>& overrides) {
  // An item's point sets searched keys only: every point was checked when the campaign was loaded,
  // so the item checks its own configuration, not the rest of the space against its values.
  bool point = !overrides.empty();
  for (const auto& o : overrides) {
    const std::string key(str::trim(std::string_view(o).substr(0, o.find('='))));
    point = point && config.search.space.indexOf(key).has_value();
  }
  for (const auto& o : overrides) applyCampaignOverride(config, o);
  std::string ctx;
  for (const auto& o : overrides) ctx += (ctx.empty() ? "after --set " : " --set ") + o;
  if (point) {
    validateImpl(config.run, ctx, config.cv.folds > 1);
    checkResources(config.run, config.resources, " (" + ctx + ")");
  } else {
    campaignTable().validate(config, ctx);
  }
}

void validateCampaign(const CampaignConfig& config) { campaignTable().validate(config, ""); }

std::string toToml(const CampaignConfig& config) {
  return dumpToml(campaignTable(), config,
                  "# hepsweep resolved campaign: every key, defaults filled in (docs/campaign.md)\n");
}

std::vector<std::pair<std::string, std::string>> flattenCampaign(const CampaignConfig& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : campaignTable().options) {
    if (o.present && !o.present(config)) continue;
    if (o.key == "search.space") {
      for (const auto& d : config.search.space.dimensions()) out.emplace_back(spaceEntryName(d.key()), dimensionText(d));
      continue;
    }
    out.emplace_back(o.key, o.format(config));
  }
  return out;
}

std::vector<std::string> diffCampaigns(const CampaignConfig& a, const CampaignConfig& b) {
  const auto fa = flattenCampaign(a);
  const auto fb = flattenCampaign(b);
  const auto lookup = [](const auto& flat, const std::string& key) -> std::optional<std::string> {
    for (const auto& [k, v] : flat)
      if (k == key) return v;
    return std::nullopt;
  };
  std::vector<std::string> keys;
  for (const auto* flat : {&fa, &fb})
    for (const auto& kv : *flat)
      if (std::find(keys.begin(), keys.end(), kv.first) == keys.end()) keys.push_back(kv.first);
  std::vector<std::string> out;
  for (const auto& k : keys) {
    const auto va = lookup(fa, k);
    const auto vb = lookup(fb, k);
    if (va != vb) out.push_back(k + ": " + va.value_or("(not set)") + " -> " + vb.value_or("(not set)"));
  }
  return out;
}

std::vector<OptionInfo> listOptions() { return describeOptions(campaignTable()); }

std::string optionsMarkdown() { return markdownTables(listOptions()); }

std::string optionsHelp() { return helpText(listOptions()); }

}  // namespace hepsweep::campaign
