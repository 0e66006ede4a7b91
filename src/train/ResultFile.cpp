#include "hepsweep/train/ResultFile.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <optional>
#include <tuple>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Physics.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/io/Columns.hpp"

namespace hepsweep::train {
namespace {

template <class T>
std::span<const T> asSpan(const std::vector<T>& v) { return {v.data(), v.size()}; }
std::span<const float> asSpan(const Eigen::VectorXf& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }

// The per-epoch columns of /history in result files and checkpoints (result files lead with
// "epoch"; a checkpoint's epochs are 1..n).
auto historyColumns() {
  namespace h5 = io::h5;
  return std::make_tuple(h5::column<double>("train_loss", &EpochRecord::trainLoss),
                         h5::column<double>("val_loss", &EpochRecord::valLoss),
                         h5::column<double>("val_auc", &EpochRecord::valAuc),
                         h5::column<double>("learning_rate", &EpochRecord::learningRate),
                         h5::column<double>("epoch_seconds", &EpochRecord::seconds));
}

// The test ROC at a bounded number of points; the attribute says how many the full curve had.
void writeRoc(const io::h5::Group& g, const metrics::Roc& roc, std::span<const double> signalEfficiencies) {
  const metrics::Roc thin = metrics::thinRoc(roc, signalEfficiencies, kStoredCurvePoints);
  g.setAttr("points_full", static_cast<std::int64_t>(roc.fpr.size()));
  g.write<double>("fpr", asSpan(thin.fpr));
  g.write<double>("tpr", asSpan(thin.tpr));
  g.write<double>("threshold", asSpan(thin.threshold));
}

void writeSplitScores(const io::h5::Group& scores, const std::string& name, const SplitData& s, const EvalResult& e) {
  scores.write<float>(name, asSpan(e.scores));
  scores.write<float>(name + "_labels", asSpan(s.labels));
  scores.write<float>(name + "_weights", asSpan(s.weights));
  scores.write<std::int64_t>(name + "_rows", asSpan(s.rows));
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

// The AMS scan of one split (`scan`(scores, labels, yields, b_r): metrics::amsScan, or
// metrics::bestAms where only the maximum is kept), or nullopt with the reason appended to `notes`
// when it is undefined (an empty split, or a class whose summed yield is <= 0, e.g. negative
// weights or a split without that class). `totals` gets the summed yields whenever the split has events.
template <class Scan>
auto amsOfSplit(const RunConfig& cfg, const PreparedData& data, const SplitData& split, const EvalResult& e,
                const data::ClassFactors& balance, const char* name, std::vector<std::string>& notes,
                std::pair<double, double>& totals, Scan&& scan)
    -> std::optional<decltype(scan(std::span<const float>{}, std::span<const float>{}, std::span<const float>{}, 0.0))> {
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
  return scan(asSpan(e.scores), asSpan(split.labels), w, cfg.metrics.amsRegularisation);
}

metrics::AmsScan fullScan(std::span<const float> scores, std::span<const float> labels, std::span<const float> w,
                          double br) {
  return metrics::amsScan(scores, labels, w, br);
}
double bestOnly(std::span<const float> scores, std::span<const float> labels, std::span<const float> w, double br) {
  return metrics::bestAms(scores, labels, w, br);
}

}  // namespace

TestSignificance readTestSignificance(const std::string& path) {
  const io::h5::File f = io::h5::File::open(path);
  const io::h5::Group g = f.openGroup("metrics");
  TestSignificance s{g.readScalarDouble("ams"),
                     g.readScalarDouble("ams_threshold"),
                     g.readScalarDouble("ams_signal"),
                     g.readScalarDouble("ams_background"),
                     g.readScalarDouble("ams_s_over_sqrt_b"),
                     g.readScalarDouble("ams_signal_efficiency"),
                     g.readScalarDouble("ams_regularisation"),
                     {}};
  if (g.hasAttr("note")) s.note = g.attrString("note");
  return s;
}

namespace {

// metrics/: the AUC and loss of each split, binary and multi-class alike (for multi-class the AUC
// is the mean one-vs-rest AUC), in the order binary result files have always had.
void writeLossAndAuc(const io::h5::Group& m, const TrainResult& r) {
  m.writeScalar("test_auc", r.test.auc);
  m.writeScalar("test_auc_weighted", r.test.aucWeighted);
  m.writeScalar("test_loss", r.test.loss);
  m.writeScalar("val_auc", r.val.auc);
  m.writeScalar("val_loss", r.val.loss);
  m.writeScalar("train_auc", r.train.auc);
  m.writeScalar("train_loss", r.train.loss);
}

// metrics/: the epochs, timing and split sizes of a run, binary and multi-class alike.
void writeRunCounts(const io::h5::Group& m, const TrainResult& r, const PreparedData& data) {
  m.writeScalar("best_epoch", static_cast<std::int64_t>(r.bestEpoch));
  m.writeScalar("epochs_run", static_cast<std::int64_t>(r.epochsRun));
  m.writeScalar("stopped_early", static_cast<std::int64_t>(r.stoppedEarly));
  m.writeScalar("train_seconds", r.trainSeconds);
  m.writeScalar("samples_per_second", r.samplesPerSecond);
  m.writeScalar("n_train", static_cast<std::int64_t>(data.train.size()));
  m.writeScalar("n_val", static_cast<std::int64_t>(data.val.size()));
  m.writeScalar("n_test", static_cast<std::int64_t>(data.test.size()));
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
  // One scan at a time, each dropped once written: a scan holds a point per distinct score (the
  // test and validation scans of 2M events together were a third of an item's peak memory).
  {
    const auto test = amsOfSplit(cfg, data, data.test, r.test, data::ClassFactors{}, "test", notes, testTotals, fullScan);
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
      const metrics::AmsScan thin = metrics::thinAmsScan(*test, kStoredCurvePoints);
      const auto curve = f.createGroup("ams_curve");
      curve.setAttr("points_full", static_cast<std::int64_t>(test->ams.size()));
      curve.write<double>("threshold", asSpan(thin.threshold));
      curve.write<double>("signal", asSpan(thin.signal));
      curve.write<double>("background", asSpan(thin.background));
      curve.write<double>("ams", asSpan(thin.ams));
    }
  }
  const double valAms = [&] {
    const auto val = amsOfSplit(cfg, data, data.val, r.val, data.balanceFactors, "validation", notes, valTotals, bestOnly);
    return val ? *val : nan;
  }();
  m.writeScalar("val_ams", valAms);
  const metrics::Objective& obj = cfg.metrics.objective;
  const std::string& name = obj.name();
  const double objective =
      obj.compute(r.val.loss, r.val.auc, valAms, [&](double eff) { return r.val.weightedBkgEffAt(eff); });
  m.writeScalar("objective", objective);
  m.setAttr("name", name, "objective");
  std::string note = notes.empty() ? std::string() : "AMS undefined: " + str::join(notes, "; ") + ".";
  if (std::isnan(objective))
    note += std::string(note.empty() ? "" : " ") + "The objective " + str::quoted(name) +
            " is undefined (NaN): the search counts this item as failed." +
            (obj.kind() == metrics::Objective::Kind::Ams ? "" : " The validation split's weighted ROC needs both classes with summed weight > 0.");
  if (!note.empty()) m.setAttr("note", note);
}

// Multi-class: a split's softmax outputs as an (events, classes) float32 dataset (row-major:
// event i's K probabilities in row i, as numpy's scores[i] and PyTorch's softmax(dim=1) give them;
// the (classes x events) column-major Eigen matrix has that very layout) with the class-index
// labels, weights and data-file rows.
void writeSplitProbabilities(const io::h5::Group& scores, const std::string& name, const SplitData& s,
                             const EvalResult& e) {
  scores.write2d<float>(name, e.probabilities.data(), static_cast<std::size_t>(e.probabilities.cols()),
                        static_cast<std::size_t>(e.probabilities.rows()));
  scores.write<float>(name + "_labels", asSpan(s.labels));
  scores.write<float>(name + "_weights", asSpan(s.weights));
  scores.write<std::int64_t>(name + "_rows", asSpan(s.rows));
}

// Row-major (rows x cols) copy of per-row vectors (NaN where a row is short).
std::vector<double> rowMajor(const std::vector<std::vector<double>>& rows, std::size_t cols) {
  std::vector<double> out(rows.size() * cols, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < cols && c < rows[r].size(); ++c) out[r * cols + c] = rows[r][c];
  return out;
}

// The multi-class parts of a result file (docs/hdf5-layout.md): per-class one-vs-rest ROC curves,
// AUCs and background efficiencies, the argmax confusion matrix, and the objective (validation
// loss or mean one-vs-rest AUC; the campaign refuses the signal/background objectives).
void writeMultiClassMetrics(const io::h5::File& f, const io::h5::Group& m, const RunConfig& cfg,
                            const PreparedData& data, const TrainResult& r) {
  const std::size_t k = data.classNames.size(), e = cfg.metrics.signalEfficiencies.size();
  const std::span<const double> efficiencies = asSpan(cfg.metrics.signalEfficiencies);
  const auto roc = f.createGroup("roc");
  roc.setAttr("curves", std::string("one-vs-rest: class_<k> = class k's probability, class k against all others (test split, unweighted)"));
  for (std::size_t c = 0; c < k; ++c) {
    const auto g = roc.createGroup("class_" + std::to_string(c));
    g.setAttr("class_name", data.classNames[c]);
    const metrics::Roc& curve = r.test.rocPerClass.at(c);
    if (!curve.fpr.empty()) {
      writeRoc(g, curve, efficiencies);
      continue;
    }
    // A class absent from the test split (or the only one in it) has no curve: empty datasets.
    const std::vector<double> none;
    g.setAttr("points_full", std::int64_t{0});
    for (const char* name : {"fpr", "tpr", "threshold"}) g.write<double>(name, asSpan(none));
  }
  writeLossAndAuc(m, r);
  m.write<double>("auc_per_class", asSpan(r.test.aucPerClass), false);
  m.write<double>("auc_per_class_weighted", asSpan(r.test.aucPerClassWeighted), false);
  m.write<double>("val_auc_per_class", asSpan(r.val.aucPerClass), false);
  m.write<double>("signal_efficiency", efficiencies, false);
  const std::vector<double> eff = rowMajor(r.test.bkgEffPerClass, e);
  m.write2d<double>("background_efficiency", eff.data(), k, e, false);
  m.write2d<double>("confusion", r.test.confusionMatrix.data(), k, k, false);
  double diagonal = 0, total = 0;
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t q = 0; q < k; ++q) {
      total += r.test.confusionMatrix[t * k + q];
      if (t == q) diagonal += r.test.confusionMatrix[t * k + q];
    }
  m.writeScalar("accuracy", total > 0 ? diagonal / total : std::numeric_limits<double>::quiet_NaN());
  const metrics::Objective& obj = cfg.metrics.objective;
  const double objective = obj.compute(r.val.loss, r.val.auc, std::numeric_limits<double>::quiet_NaN(),
                                       [](double) { return std::numeric_limits<double>::quiet_NaN(); });
  m.writeScalar("objective", objective);
  m.setAttr("name", obj.name(), "objective");
  if (std::isnan(objective))
    m.setAttr("note", "The objective " + str::quoted(obj.name()) +
                          " is undefined (NaN): the search counts this item as failed.");
}

}  // namespace

const char* toString(ScoreOutput s) {
  switch (s) {
    case ScoreOutput::None: return "none";
    case ScoreOutput::Test: return "test";
    case ScoreOutput::All: return "all";
  }
  return "none";
}

rundir::SplitRecord splitRecord(const PreparedData& data) {
  rundir::SplitRecord r;
  r.rule = data.split;
  r.dataRows = data.dataRows;
  r.keyIsId = data.keyIsId;
  r.nTrain = data.train.size();
  r.nVal = data.val.size();
  r.nTest = data.test.size();
  r.trainDigest = data::rowsDigest(data.train.rows);
  r.valDigest = data::rowsDigest(data.val.rows);
  r.testDigest = data::rowsDigest(data.test.rows);
  r.trainFactors = data.trainFactors;
  r.valFactors = data.balanceFactors;
  return r;
}

namespace {

// Multi-class result body: class names, the (events, classes) scores, the split record and the
// metrics (writeMultiClassMetrics) with the scalars every result file has.
void writeMultiClassBody(const io::h5::File& f, const RunConfig& cfg, const PreparedData& data, const TrainResult& r) {
  f.setAttr("n_classes", static_cast<std::int64_t>(data.classNames.size()));
  f.writeStrings("class_names", data.classNames);
  // The test probabilities are always kept (output.scores = "none" acts as "test"): aggregate
  // builds the fold ensemble from them and, unlike a sigmoid score, does not recompute them.
  {
    const ScoreOutput kept = cfg.output.scores == ScoreOutput::All ? ScoreOutput::All : ScoreOutput::Test;
    const auto scores = f.createGroup("scores");
    scores.setAttr("kept", std::string(toString(kept)));
    writeSplitProbabilities(scores, "test", data.test, r.test);
    if (kept == ScoreOutput::All) {
      writeSplitProbabilities(scores, "val", data.val, r.val);
      writeSplitProbabilities(scores, "train", data.train, r.train);
    }
  }
  rundir::writeSplitRecord(f.createGroup("split"), splitRecord(data));
  const auto m = f.createGroup("metrics");
  writeMultiClassMetrics(f, m, cfg, data, r);
  writeRunCounts(m, r, data);
}

}  // namespace

void writeResultFile(const std::string& path, const RunConfig& cfg, const RunRecord& run,
                     const PreparedData& data, const TrainResult& r, const nn::Network& net) {
  io::h5::writeAtomically(path, [&](io::h5::File& f) {
    rundir::ResultHeader h;
    h.config = run.configToml;
    h.seed = cfg.seed;
    h.version = versionString();
    h.created = utcTimestamp();
    h.commandLine = run.commandLine;
    h.dataFile = data.dataFile;
    h.dataSha256 = data.dataSha256;
    h.item = run.item;
    rundir::writeResultHeader(f, h);
    for (const auto& [k, v] : run.textAttrs) f.setAttr(k, v);
    for (const auto& [k, v] : run.intAttrs) f.setAttr(k, v);
    for (const auto& [k, v] : run.realAttrs) f.setAttr(k, v);

    const auto hist = f.createGroup("history");
    std::apply([&](const auto&... cols) {
      io::h5::writeColumns(hist, r.history, io::h5::Deflate::Off,
                           io::h5::column<std::int64_t>("epoch", &EpochRecord::epoch), cols...);
    }, historyColumns());

    if (!data.classNames.empty()) {
      writeMultiClassBody(f, cfg, data, r);
    } else {
      const std::span<const double> efficiencies = asSpan(cfg.metrics.signalEfficiencies);
      writeRoc(f.createGroup("roc"), r.test.roc, efficiencies);
      if (data.hasWeights && !r.test.weightedRoc().fpr.empty())
        writeRoc(f.createGroup("roc_weighted"), r.test.weightedRoc(), efficiencies);

      if (cfg.output.scores != ScoreOutput::None) {
        const auto scores = f.createGroup("scores");
        scores.setAttr("kept", std::string(toString(cfg.output.scores)));
        writeSplitScores(scores, "test", data.test, r.test);
        if (cfg.output.scores == ScoreOutput::All) {
          writeSplitScores(scores, "val", data.val, r.val);
          writeSplitScores(scores, "train", data.train, r.train);
        }
      }
      rundir::writeSplitRecord(f.createGroup("split"), splitRecord(data));

      const auto m = f.createGroup("metrics");
      writeLossAndAuc(m, r);
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
      writeRunCounts(m, r, data);
      writePhysicsMetrics(f, m, cfg, data, r);
    }

    rundir::writePreprocess(f.createGroup("preprocess"), data.preprocess);
    const auto model = f.createGroup("model");
    model.writeStrings("feature_names", data.featureNames);
    rundir::writeNetwork(model, net);
    if (run.writeExtra) run.writeExtra(f);
    rundir::sealContent(f);
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
    f.setAttr("format_version", std::int64_t{3});
    f.setAttr("item_id", c.itemId);
    f.setAttr("campaign_sha256", c.campaignSha256);
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
    const auto ls = f.createGroup("lr_schedule");
    ls.writeScalar("rate", static_cast<double>(c.schedule.rate));
    ls.writeScalar("best", c.schedule.best);
    ls.writeScalar("wait", static_cast<std::int64_t>(c.schedule.wait));
    ls.writeScalar("cooldown", static_cast<std::int64_t>(c.schedule.cooldown));
    const auto h = f.createGroup("history");
    std::apply([&](const auto&... cols) { io::h5::writeColumns(h, c.history, io::h5::Deflate::Off, cols...); },
               historyColumns());
    rundir::sealContent(f);
  },
  // Not flushed to the disk (two fsyncs of the four an item paid): a checkpoint only saves time
  // after a kill, and a kill of the process leaves the page cache, so the file is there whole.
  // After a crash of the machine it may be missing or older (the item resumes earlier or from its
  // first epoch) or torn (its content checksum fails, readCheckpoint says so, and the campaign sets
  // it aside and trains the item from its first epoch): the same results, bit for bit, either way.
  Durability::Transient);
}

Checkpoint readCheckpoint(const std::string& path) {
  const auto f = io::h5::File::open(path);
  if (!f.hasAttr("format") || f.attrString("format") != "hepsweep-checkpoint")
    throwInput("'" + path + "' is not a hepsweep checkpoint");
  rundir::verifyContent(f);
  Checkpoint c;
  if (f.hasAttr("item_id")) c.itemId = f.attrInt("item_id");
  if (f.hasAttr("campaign_sha256")) c.campaignSha256 = f.attrString("campaign_sha256");
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
  if (f.exists("lr_schedule")) {
    const auto ls = f.openGroup("lr_schedule");
    c.schedule.rate = static_cast<float>(ls.readScalarDouble("rate"));
    c.schedule.best = ls.readScalarDouble("best");
    c.schedule.wait = static_cast<int>(ls.readScalarInt("wait"));
    c.schedule.cooldown = static_cast<int>(ls.readScalarInt("cooldown"));
  } else {
    // Format 2 predates schedules: the training it belongs to ran at a constant rate.
    c.schedule.rate = c.learningRate;
  }
  const auto h = f.openGroup("history");
  const auto tl = h.read<double>("train_loss"), vl = h.read<double>("val_loss"), va = h.read<double>("val_auc"),
             lr = h.read<double>("learning_rate"), sec = h.read<double>("epoch_seconds");
  for (std::size_t i = 0; i < tl.size(); ++i)
    c.history.push_back({static_cast<int>(i) + 1, tl[i], vl[i], va[i], lr[i], sec[i]});
  return c;
}

}  // namespace hepsweep::train
