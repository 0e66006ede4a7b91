#include "hepsweep/campaign/Options.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "OptionTable.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::campaign {

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
                          false, {}, {}};
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
                    std::vector{ScalerKind::None, ScalerKind::Standard, ScalerKind::Pca},
                    "Feature transformation: none, zero mean and unit variance, or PCA"),
      intOption<C>("preprocess.pca_components", HEPSWEEP_FIELD(preprocess.pcaComponents), atLeast(0),
                   "Principal components kept by the pca scaler; 0 keeps all"),
      boolOption<C>("preprocess.whiten", HEPSWEEP_FIELD(preprocess.whiten),
                    "pca scaler: scale each component to unit variance"),
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
      intOption<C>("train.epochs", HEPSWEEP_FIELD(train.epochs), atLeast(1),
                   "Maximum number of passes over the training rows"),
      floatOption<C>("train.l1", HEPSWEEP_FIELD(train.l1), atLeast(0), "L1 penalty on the weights (not biases)"),
      floatOption<C>("train.l2", HEPSWEEP_FIELD(train.l2), atLeast(0), "L2 penalty on the weights (not biases)"),
      classWeightOption(),
      boolOption<C>("train.shuffle", HEPSWEEP_FIELD(train.shuffle),
                    "Reshuffle the training rows every epoch (seeded)"),
      boolOption<C>("train.early_stopping.enabled", HEPSWEEP_FIELD(train.earlyStopping.enabled),
                    "Stop when the monitored validation quantity stops improving"),
      choiceOption<C>("train.early_stopping.monitor", HEPSWEEP_FIELD(train.earlyStopping.monitor),
                      {"val_loss", "val_auc"}, "Quantity watched: validation loss (lower is better) or AUC (higher)"),
      intOption<C>("train.early_stopping.patience", HEPSWEEP_FIELD(train.earlyStopping.patience), atLeast(0),
                   "Epochs without improvement before stopping"),
      floatOption<C>("train.early_stopping.min_delta", HEPSWEEP_FIELD(train.earlyStopping.minDelta), atLeast(0),
                     "Smallest change that counts as an improvement"),
      boolOption<C>("train.early_stopping.restore_best", HEPSWEEP_FIELD(train.earlyStopping.restoreBest),
                    "Keep the weights of the best epoch rather than the last"),

      floatListOption<C>("metrics.signal_efficiencies", HEPSWEEP_FIELD(metrics.signalEfficiencies),
                         openClosed(0, 1), "Signal efficiencies at which background efficiency/rejection is reported"),
      floatOption<C>("metrics.threshold", HEPSWEEP_FIELD(metrics.threshold), closed(0, 1),
                     "Classifier output cut for accuracy and the confusion matrix"),

      stringOption<C>("output.dir", HEPSWEEP_FIELD(output.dir),
                      "Directory of the results (relative: to the current working directory)"),
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

void validateImpl(const RunConfig& c, const std::string& context) {
  const std::string in = context.empty() ? "" : " (" + context + ")";
  if (c.data.file.empty())
    throwConfig("data.file is not set" + in +
                ": give the HDF5 file written by `hepsweep convert` in [data], or --set data.file=path");

  const auto& s = c.data.split;
  const double sum = s.train + s.val + s.test;
  if (std::fabs(sum - 1.0) > 1e-6)
    throwConfig("data.split fractions must sum to 1, got train " + formatDouble(s.train) + " + val " +
                formatDouble(s.val) + " + test " + formatDouble(s.test) + " = " + roughly(sum) + in);
  if (c.train.earlyStopping.enabled && s.val == 0.0)
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
  if (m.dropout.size() != 1 && m.dropout.size() != layers)
    throwConfig("model.dropout lists " + std::to_string(m.dropout.size()) + " rates but the network has " +
                std::to_string(layers) + " hidden layers" + in + "; give one number for all, or one per layer");

  const auto& opt = c.train.optimizer;
  if (opt.kind == nn::OptimizerKind::Sgd && opt.nesterov && opt.momentum <= 0.0f)
    throwConfig("train.nesterov = true needs train.momentum > 0" + in);
}

const OptionTable<RunConfig>& runTable() {
  static const OptionTable<RunConfig> table{runOptions(), {resolveLayerAlternatives}, validateImpl};
  return table;
}

std::string contextOf(std::string_view sourceName, const std::vector<std::string>& overrides) {
  std::string ctx = "in " + std::string(sourceName);
  for (std::size_t i = 0; i < overrides.size(); ++i) ctx += (i ? " --set " : " with --set ") + overrides[i];
  return ctx;
}

RunConfig parseImpl(std::string_view text, std::string_view sourceName, const std::vector<std::string>& overrides,
                    const std::filesystem::path* campaignDir) {
  const auto& table = runTable();
  RunConfig cfg;
  const toml::table doc = parseDocument(text, sourceName);
  applyDocument(table, cfg, doc, sourceName);
  // Only the file's own data.file is relative to the file; a --set path is as typed in the shell.
  if (campaignDir && !cfg.data.file.empty() && std::filesystem::path(cfg.data.file).is_relative())
    cfg.data.file = std::filesystem::absolute(*campaignDir / cfg.data.file).lexically_normal().string();
  for (const auto& o : overrides) applyOverride(table, cfg, o);
  table.validate(cfg, contextOf(sourceName, overrides));
  return cfg;
}

}  // namespace

RunConfig loadRunConfig(const std::string& tomlPath, const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(tomlPath, ec))
    throwIo("cannot read campaign file " + str::quoted(tomlPath) + ": " +
            (fs::exists(tomlPath, ec) ? "not a regular file" : "no such file"));
  std::ifstream in(tomlPath, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) throwIo("cannot read campaign file " + str::quoted(tomlPath));
  const fs::path dir = fs::path(tomlPath).parent_path();
  return parseImpl(text.str(), tomlPath, overrides, &dir);
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

std::vector<OptionInfo> listOptions() { return describeOptions(runTable()); }

std::string optionsMarkdown() { return markdownTables(listOptions()); }

std::string optionsHelp() { return helpText(listOptions()); }

}  // namespace hepsweep::campaign
