#include "hepsweep/train/ResultFile.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <optional>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Physics.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/core/Version.hpp"

namespace hepsweep::train {
namespace {

template <class T>
std::span<const T> asSpan(const std::vector<T>& v) { return {v.data(), v.size()}; }
std::span<const float> asSpan(const Eigen::VectorXf& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }
std::span<const double> asSpan(const Eigen::VectorXd& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }

void writeRoc(const io::h5::Group& g, const metrics::Roc& roc) {
  g.write<double>("fpr", asSpan(roc.fpr));
  g.write<double>("tpr", asSpan(roc.tpr));
  g.write<double>("threshold", asSpan(roc.threshold));
}

void writeSplitScores(const io::h5::Group& scores, const std::string& name, const SplitData& s, const EvalResult& e) {
  scores.write<float>(name, asSpan(e.scores));
  scores.write<float>(name + "_labels", asSpan(s.labels));
  scores.write<float>(name + "_weights", asSpan(s.weights));
}

// Event weights of a split as expected yields of the whole sample: the split holds n_c of the N_c
// events of class c, so each stands for N_c / n_c of them; balancing factors (a per-class
// constant on the validation weights) are divided out, then luminosity and the class's scale
// factor applied. Row balancing (downsampling) only changes n_c, which the ratio accounts for.
std::vector<float> expectedYieldWeights(const RunConfig& cfg, const PreparedData& data, const SplitData& s,
                                        const data::ClassFactors& applied) {
  double ns = 0, nb = 0;
  for (Eigen::Index i = 0; i < s.labels.size(); ++i) (s.labels[i] > 0.5f ? ns : nb) += 1;
  const auto factor = [&](double total, double inSplit, double balance, double scale) {
    return inSplit > 0 ? cfg.metrics.luminosity * scale * total / inSplit / balance : 0.0;
  };
  return metrics::scaleByClass(asSpan(s.labels), asSpan(s.weights),
                               factor(static_cast<double>(data.nSignalInput), ns, applied.signal, cfg.metrics.signalScale),
                               factor(static_cast<double>(data.nBackgroundInput), nb, applied.background,
                                      cfg.metrics.backgroundScale));
}

// The AMS scan of one split, or nullopt with the reason appended to `notes` when it is undefined
// (an empty split, or a class whose summed yield is <= 0, e.g. negative weights or a split
// without that class). `totals` gets the summed yields whenever the split has events.
std::optional<metrics::AmsScan> amsOfSplit(const RunConfig& cfg, const PreparedData& data, const SplitData& split,
                                           const EvalResult& e, const data::ClassFactors& balance, const char* name,
                                           std::vector<std::string>& notes, std::pair<double, double>& totals) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  totals = {nan, nan};
  if (split.size() == 0) {
    notes.push_back(std::string("the ") + name + " split is empty");
    return std::nullopt;
  }
  const std::vector<float> w = expectedYieldWeights(cfg, data, split, balance);
  double s = 0, b = 0;
  for (Eigen::Index i = 0; i < split.labels.size(); ++i) (split.labels[i] > 0.5f ? s : b) += w[static_cast<std::size_t>(i)];
  totals = {s, b};
  if (!(s > 0) || !(b > 0)) {
    notes.push_back(std::string("the summed expected yield of the ") + name + " split is " + str::formatDouble(s, "%.6g") +
                    " (signal) and " + str::formatDouble(b, "%.6g") + " (background); the AMS needs both > 0");
    return std::nullopt;
  }
  return metrics::amsScan(asSpan(e.scores), asSpan(split.labels), w, cfg.metrics.amsRegularisation);
}

// Test-set significance at the AMS-maximising cut (metrics/ams*, the curve in /ams_curve), the
// validation AMS, and the campaign objective's value (metrics/objective, smaller is better). An
// undefined AMS is NaN with the reason in the attribute metrics/@note, never a failed training;
// only an objective that is itself undefined becomes NaN, which the search counts as failed.
void writePhysicsMetrics(const io::h5::Group& f, const io::h5::Group& m, const RunConfig& cfg, const PreparedData& data,
                         const TrainResult& r) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.writeScalar("ams_regularisation", cfg.metrics.amsRegularisation);
  std::vector<std::string> notes;
  std::pair<double, double> testTotals, valTotals;
  const auto test = amsOfSplit(cfg, data, data.test, r.test, data::ClassFactors{}, "test", notes, testTotals);
  m.writeScalar("ams", test ? test->bestAms() : nan);
  m.writeScalar("ams_threshold", test ? test->bestThreshold() : nan);
  m.writeScalar("ams_signal", test ? test->bestSignal() : nan);
  m.writeScalar("ams_background", test ? test->bestBackground() : nan);
  m.writeScalar("ams_s_over_sqrt_b", test ? metrics::sOverSqrtB(test->bestSignal(), test->bestBackground()) : nan);
  m.writeScalar("ams_signal_efficiency", test ? test->signalEfficiency() : nan);
  m.writeScalar("ams_background_efficiency", test ? test->backgroundEfficiency() : nan);
  m.writeScalar("expected_signal", testTotals.first);
  m.writeScalar("expected_background", testTotals.second);
  if (test) {
    const auto curve = f.createGroup("ams_curve");
    curve.write<double>("threshold", asSpan(test->threshold));
    curve.write<double>("signal", asSpan(test->signal));
    curve.write<double>("background", asSpan(test->background));
    curve.write<double>("ams", asSpan(test->ams));
  }
  const auto val = amsOfSplit(cfg, data, data.val, r.val, data.balanceFactors, "validation", notes, valTotals);
  const double valAms = val ? val->bestAms() : nan;
  m.writeScalar("val_ams", valAms);
  const std::string& name = cfg.metrics.objective;
  double objective = r.val.loss;
  if (name == "val_auc") objective = 1.0 - r.val.auc;
  else if (name == "ams") objective = -valAms;
  else if (const auto eff = metrics::parseBkgEffObjective(name))
    objective = r.val.weightedBkgEffAt(*eff);
  else if (name != "val_loss") throwConfig("unknown search.objective " + str::quoted(name));
  m.writeScalar("objective", objective);
  m.setAttr("name", name, "objective");
  std::string note = notes.empty() ? std::string() : "AMS undefined: " + str::join(notes, "; ") + ".";
  if (std::isnan(objective))
    note += std::string(note.empty() ? "" : " ") + "The objective " + str::quoted(name) +
            " is undefined (NaN): the search counts this item as failed." +
            (name == "ams" ? "" : " The validation split's weighted ROC needs both classes with summed weight > 0.");
  if (!note.empty()) m.setAttr("note", note);
}

}  // namespace

void writePreprocess(const io::h5::Group& g, const data::PreprocessParams& p) {
  g.setAttr("scaler", std::string(data::toString(p.scaler)));
  g.setAttr("missing", std::string(data::toString(p.missing)));
  g.setAttr("has_missing_value", static_cast<std::int64_t>(p.hasMissingValue));
  g.setAttr("missing_value", static_cast<double>(p.missingValue));
  g.writeStrings("input_names", p.inputNames);
  g.writeStrings("output_names", p.outputNames);
  g.write<std::uint8_t>("uses_missing", asSpan(p.usesMissing), false);
  g.write<double>("impute_mean", asSpan(p.imputeMean), false);
  g.write<std::int64_t>("indicator_of", asSpan(p.indicatorOf), false);
  g.write<double>("mean", asSpan(p.mean), false);
  g.write<double>("scale", asSpan(p.scale), false);
  // Row-major copy: component k is row k, as scikit-learn's PCA.components_.
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> c = p.components;
  g.write2d<double>("components", c.data(), static_cast<std::size_t>(c.rows()), static_cast<std::size_t>(c.cols()), false);
  g.write<double>("explained_variance", asSpan(p.explainedVariance), false);
}

data::PreprocessParams readPreprocess(const io::h5::Group& g) {
  data::PreprocessParams p;
  p.scaler = data::parseScalerKind(g.attrString("scaler"));
  p.missing = data::parseMissingPolicy(g.attrString("missing"));
  p.hasMissingValue = g.attrInt("has_missing_value") != 0;
  p.missingValue = static_cast<float>(g.attrDouble("missing_value"));
  p.inputNames = g.readStrings("input_names");
  p.outputNames = g.readStrings("output_names");
  p.usesMissing = g.read<std::uint8_t>("uses_missing");
  const auto toVec = [](const std::vector<double>& v) {
    return Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size())));
  };
  p.imputeMean = toVec(g.read<double>("impute_mean"));
  p.indicatorOf = g.read<std::int64_t>("indicator_of");
  p.mean = toVec(g.read<double>("mean"));
  p.scale = toVec(g.read<double>("scale"));
  std::size_t rows = 0, cols = 0;
  const auto c = g.read2d<double>("components", rows, cols);
  p.components = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      c.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  p.explainedVariance = toVec(g.read<double>("explained_variance"));
  return p;
}

void writeNetwork(const io::h5::Group& g, const nn::Network& net) {
  const auto& params = net.params();
  const auto& state = net.state();
  g.setAttr("inputs", static_cast<std::int64_t>(net.inputs()));
  g.setAttr("layers", static_cast<std::int64_t>(net.layers().size()));
  g.setAttr("output", std::string("sigmoid(logit)"));
  // The activation constants are not visible in the layers; `apply` rebuilds the network from them.
  g.setAttr("leaky_slope", static_cast<double>(net.config().leakySlope));
  g.setAttr("elu_alpha", static_cast<double>(net.config().eluAlpha));
  g.setAttr("batch_norm_epsilon", static_cast<double>(net.config().batchNormEpsilon));
  g.setAttr("batch_norm_momentum", static_cast<double>(net.config().batchNormMomentum));
  g.write<float>("params", asSpan(params), false);
  g.write<float>("state", asSpan(state), false);
  for (std::size_t l = 0; l < net.layers().size(); ++l) {
    const nn::DenseLayerView& v = net.layers()[l];
    const io::h5::Group lg = g.createGroup("layer_" + std::to_string(l));
    lg.setAttr("activation", std::string(nn::toString(v.activation)));
    lg.setAttr("dropout", static_cast<double>(v.dropout));
    lg.setAttr("batch_norm", static_cast<std::int64_t>(v.batchNorm));
    // Parameters hold W column-major (outputs x inputs); the same bytes read row-major are W^T,
    // so transpose explicitly to store (outputs x inputs) row-major as h5py shows it.
    const Eigen::Map<const Eigen::MatrixXf> w(params.data() + v.weightOffset, v.outputs, v.inputs);
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> wr = w;
    lg.write2d<float>("W", wr.data(), static_cast<std::size_t>(v.outputs), static_cast<std::size_t>(v.inputs), false);
    lg.write<float>("b", std::span<const float>(params.data() + v.biasOffset, static_cast<std::size_t>(v.outputs)), false);
    if (v.batchNorm) {
      const auto n = static_cast<std::size_t>(v.outputs);
      lg.write<float>("gamma", std::span<const float>(params.data() + v.gammaOffset, n), false);
      lg.write<float>("beta", std::span<const float>(params.data() + v.betaOffset, n), false);
      lg.write<float>("running_mean", std::span<const float>(state.data() + v.runningMeanOffset, n), false);
      lg.write<float>("running_var", std::span<const float>(state.data() + v.runningVarOffset, n), false);
    }
  }
}

void writeResultFile(const std::string& path, const RunConfig& cfg, const RunRecord& run,
                     const PreparedData& data, const TrainResult& r, const nn::Network& net) {
  io::h5::writeAtomically(path, [&](io::h5::File& f) {
    f.setAttr("format", std::string("hepsweep-result"));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("config", run.configToml);
    f.setAttr("seed", static_cast<std::int64_t>(cfg.seed));
    f.setAttr("version", versionString());
    f.setAttr("created", utcTimestamp());
    f.setAttr("command_line", run.commandLine);
    f.setAttr("data_file", data.dataFile);
    f.setAttr("data_sha256", data.dataSha256);
    for (const auto& [k, v] : run.textAttrs) f.setAttr(k, v);
    for (const auto& [k, v] : run.intAttrs) f.setAttr(k, v);
    for (const auto& [k, v] : run.realAttrs) f.setAttr(k, v);

    const auto hist = f.createGroup("history");
    std::vector<std::int64_t> epoch;
    std::vector<double> tl, vl, va, lr, sec;
    for (const auto& h : r.history) {
      epoch.push_back(h.epoch);
      tl.push_back(h.trainLoss);
      vl.push_back(h.valLoss);
      va.push_back(h.valAuc);
      lr.push_back(h.learningRate);
      sec.push_back(h.seconds);
    }
    hist.write<std::int64_t>("epoch", asSpan(epoch), false);
    hist.write<double>("train_loss", asSpan(tl), false);
    hist.write<double>("val_loss", asSpan(vl), false);
    hist.write<double>("val_auc", asSpan(va), false);
    hist.write<double>("learning_rate", asSpan(lr), false);
    hist.write<double>("epoch_seconds", asSpan(sec), false);

    writeRoc(f.createGroup("roc"), r.test.roc);
    if (data.hasWeights && !r.test.rocWeighted.fpr.empty()) writeRoc(f.createGroup("roc_weighted"), r.test.rocWeighted);

    const auto scores = f.createGroup("scores");
    writeSplitScores(scores, "test", data.test, r.test);
    writeSplitScores(scores, "val", data.val, r.val);
    writeSplitScores(scores, "train", data.train, r.train);

    const auto split = f.createGroup("split");
    split.write<std::int64_t>("train", asSpan(data.train.rows));
    split.write<std::int64_t>("val", asSpan(data.val.rows));
    split.write<std::int64_t>("test", asSpan(data.test.rows));

    const auto m = f.createGroup("metrics");
    m.writeScalar("test_auc", r.test.auc);
    m.writeScalar("test_auc_weighted", r.test.aucWeighted);
    m.writeScalar("test_loss", r.test.loss);
    m.writeScalar("val_auc", r.val.auc);
    m.writeScalar("val_loss", r.val.loss);
    m.writeScalar("train_auc", r.train.auc);
    m.writeScalar("train_loss", r.train.loss);
    m.write<double>("signal_efficiency", asSpan(cfg.metrics.signalEfficiencies), false);
    m.write<double>("background_efficiency", asSpan(r.test.bkgEff), false);
    std::vector<double> rejection;
    for (double e : r.test.bkgEff) rejection.push_back(e > 0 ? 1.0 / e : std::numeric_limits<double>::infinity());
    m.write<double>("background_rejection", asSpan(rejection), false);
    m.write<double>("background_efficiency_weighted", asSpan(r.test.bkgEffWeighted), false);
    m.writeScalar("threshold", cfg.metrics.threshold);
    m.writeScalar("accuracy", r.test.confusion.accuracy());
    // scikit-learn's layout: [[TN, FP], [FN, TP]].
    const double cm[4] = {r.test.confusion.trueNegative, r.test.confusion.falsePositive,
                          r.test.confusion.falseNegative, r.test.confusion.truePositive};
    m.write2d<double>("confusion", cm, 2, 2, false);
    m.writeScalar("best_epoch", static_cast<std::int64_t>(r.bestEpoch));
    m.writeScalar("epochs_run", static_cast<std::int64_t>(r.epochsRun));
    m.writeScalar("stopped_early", static_cast<std::int64_t>(r.stoppedEarly));
    m.writeScalar("train_seconds", r.trainSeconds);
    m.writeScalar("samples_per_second", r.samplesPerSecond);
    m.writeScalar("n_train", static_cast<std::int64_t>(data.train.size()));
    m.writeScalar("n_val", static_cast<std::int64_t>(data.val.size()));
    m.writeScalar("n_test", static_cast<std::int64_t>(data.test.size()));
    writePhysicsMetrics(f, m, cfg, data, r);

    writePreprocess(f.createGroup("preprocess"), data.preprocess);
    const auto model = f.createGroup("model");
    model.writeStrings("feature_names", data.featureNames);
    writeNetwork(model, net);
  });
}

namespace {
Eigen::VectorXf toEigen(const std::vector<float>& v) {
  return Eigen::Map<const Eigen::VectorXf>(v.data(), static_cast<Eigen::Index>(v.size()));
}
// Dataset name of optimiser state vector i (appending avoids GCC 12's false -Wrestrict on
// "literal" + std::string temporaries).
std::string stateVectorName(std::size_t i) {
  std::string name = "v";
  name += std::to_string(i);
  return name;
}
}  // namespace

void writeCheckpoint(const std::string& path, const Checkpoint& c) {
  io::h5::writeAtomically(path, [&](io::h5::File& f) {
    f.setAttr("format", std::string("hepsweep-checkpoint"));
    f.setAttr("epochs_done", static_cast<std::int64_t>(c.epochsDone));
    f.write<float>("params", asSpan(c.params), false);
    f.write<float>("state", asSpan(c.state), false);
    const auto opt = f.createGroup("optimizer");
    opt.setAttr("steps", c.optimizer.steps);
    opt.setAttr("learning_rate", static_cast<double>(c.learningRate));
    opt.writeStrings("names", c.optimizer.names);
    for (std::size_t i = 0; i < c.optimizer.vectors.size(); ++i)
      opt.write<float>(stateVectorName(i), asSpan(c.optimizer.vectors[i]), false);
    const auto es = f.createGroup("early_stopping");
    es.writeScalar("best", c.best);
    es.writeScalar("best_epoch", static_cast<std::int64_t>(c.bestEpoch));
    es.writeScalar("wait", static_cast<std::int64_t>(c.wait));
    es.write<float>("best_params", asSpan(c.bestParams), false);
    es.write<float>("best_state", asSpan(c.bestState), false);
    const auto h = f.createGroup("history");
    std::vector<double> cols[5];
    for (const auto& r : c.history) {
      cols[0].push_back(r.trainLoss);
      cols[1].push_back(r.valLoss);
      cols[2].push_back(r.valAuc);
      cols[3].push_back(r.learningRate);
      cols[4].push_back(r.seconds);
    }
    const char* names[5] = {"train_loss", "val_loss", "val_auc", "learning_rate", "epoch_seconds"};
    for (int i = 0; i < 5; ++i) h.write<double>(names[i], asSpan(cols[i]), false);
  });
}

Checkpoint readCheckpoint(const std::string& path) {
  const auto f = io::h5::File::open(path);
  if (!f.hasAttr("format") || f.attrString("format") != "hepsweep-checkpoint")
    throwIo("'" + path + "' is not a hepsweep checkpoint");
  Checkpoint c;
  c.epochsDone = static_cast<int>(f.attrInt("epochs_done"));
  c.params = toEigen(f.read<float>("params"));
  c.state = toEigen(f.read<float>("state"));
  const auto opt = f.openGroup("optimizer");
  c.optimizer.steps = opt.attrInt("steps");
  c.learningRate = static_cast<float>(opt.attrDouble("learning_rate"));
  c.optimizer.names = opt.readStrings("names");
  for (std::size_t i = 0; i < c.optimizer.names.size(); ++i)
    c.optimizer.vectors.push_back(toEigen(opt.read<float>(stateVectorName(i))));
  const auto es = f.openGroup("early_stopping");
  c.best = es.readScalarDouble("best");
  c.bestEpoch = static_cast<int>(es.readScalarInt("best_epoch"));
  c.wait = static_cast<int>(es.readScalarInt("wait"));
  c.bestParams = toEigen(es.read<float>("best_params"));
  c.bestState = toEigen(es.read<float>("best_state"));
  const auto h = f.openGroup("history");
  const auto tl = h.read<double>("train_loss"), vl = h.read<double>("val_loss"), va = h.read<double>("val_auc"),
             lr = h.read<double>("learning_rate"), sec = h.read<double>("epoch_seconds");
  for (std::size_t i = 0; i < tl.size(); ++i)
    c.history.push_back({static_cast<int>(i) + 1, tl[i], vl[i], va[i], lr[i], sec[i]});
  return c;
}

}  // namespace hepsweep::train
