// summary.h5: the Summary as plain HDF5 tables (one dataset per column) that pandas reads with a
// dict comprehension; layout documented in docs/aggregate.md.
#include <map>
#include <set>

#include "hepsweep/aggregate/ParameterSummaryFile.hpp"
#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/aggregate/Importance.hpp"
#include "hepsweep/aggregate/Baseline.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/io/Columns.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/rundir/Overrides.hpp"

namespace hepsweep::aggregate {
namespace {

using io::h5::Group;
namespace h5 = io::h5;
constexpr auto kDeflate = h5::Deflate::On;

template <class T>
void column(const Group& g, const std::string& name, const std::vector<T>& v) {
  g.write<T>(name, std::span<const T>(v.data(), v.size()));
}
void strings(const Group& g, const std::string& name, const std::vector<std::string>& v) { g.writeStrings(name, v); }

const char* className(int cls) { return cls == 1 ? "signal" : "background"; }

// The keys of the (key, value) lists `list(row)` of all rows, in first-seen order: points may
// search different keys when run directories extend a study, items may have different metrics.
template <class Rows, class List>
std::vector<std::string> keysInOrder(const Rows& rows, List list) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& row : rows)
    for (const auto& [k, v] : list(row))
      if (seen.insert(k).second) keys.push_back(k);
  return keys;
}

// The value of `key` in a (key, value) list; `missing` when it has none.
template <class V>
V valueOf(const std::vector<std::pair<std::string, V>>& kv, const std::string& key, V missing) {
  for (const auto& [k, v] : kv)
    if (k == key) return v;
  return missing;
}
std::string lookup(const std::vector<std::pair<std::string, std::string>>& kv, const std::string& key) {
  return valueOf<std::string>(kv, key, "");
}
double metricOf(const std::vector<std::pair<std::string, double>>& kv, const std::string& key) {
  return valueOf(kv, key, std::numeric_limits<double>::quiet_NaN());
}

void writeItems(const Group& g, const Summary& s, const std::vector<std::string>& params, const std::vector<std::string>& metrics) {
  h5::writeColumns(g, s.items, kDeflate, h5::column<std::string>("run_dir", &ItemSummary::runDir),
                   h5::column<std::string>("result_file", &ItemSummary::resultFile),
                   h5::column<std::int64_t>("item", &ItemSummary::item), h5::column<std::int64_t>("point", &ItemSummary::point),
                   h5::column<std::int64_t>("fold", &ItemSummary::fold),
                   h5::column<double>("objective", &ItemSummary::objective),
                   h5::column<std::int64_t>("epochs_run", &ItemSummary::epochsRun),
                   h5::column<std::int64_t>("best_epoch", &ItemSummary::bestEpoch),
                   h5::column<double>("seconds", &ItemSummary::seconds));
  for (const auto& m : metrics) {
    // epochs_run, best_epoch and objective are metrics too; they are already columns.
    if (g.exists(m)) continue;
    h5::writeColumns(g, s.items, kDeflate,
                     h5::column<double>(m, [&](const ItemSummary& it) { return metricOf(it.metrics, m); }));
  }
  for (const auto& p : params)
    h5::writeColumns(g, s.items, kDeflate,
                     h5::column<std::string>(p, [&](const ItemSummary& it) { return lookup(it.parameters, p); }));
}

// One group per /items row, so that /items stays a flat table of equal-length columns.
void writeHistory(const Group& g, const Summary& s) {
  for (std::size_t i = 0; i < s.items.size(); ++i) {
    const auto h = g.createGroup(std::to_string(i));
    column(h, "train_loss", s.items[i].trainLoss);
    column(h, "val_loss", s.items[i].valLoss);
    column(h, "val_auc", s.items[i].valAuc);
  }
}

void writePoints(const Group& g, const Summary& s, const std::vector<std::string>& params, const std::vector<std::string>& metrics) {
  h5::writeColumns(g, s.points, kDeflate, h5::column<std::int64_t>("point", &PointSummary::point),
                   h5::column<std::int64_t>("rank", &PointSummary::rank),
                   h5::column<std::int64_t>("folds_done", &PointSummary::foldsDone),
                   h5::column<std::int64_t>("folds_expected", &PointSummary::foldsExpected),
                   h5::column<std::int64_t>("complete", [](const PointSummary& p) { return p.complete() ? 1 : 0; }),
                   h5::column<std::int64_t>("folds_raced_out", &PointSummary::foldsRacedOut),
                   h5::column<double>("objective_mean", &PointSummary::objectiveMean),
                   h5::column<double>("objective_std", &PointSummary::objectiveStd));
  for (const auto& m : metrics) {
    // metrics/objective is already objective_mean/std.
    if (g.exists(m + "_mean")) continue;
    h5::writeColumns(g, s.points, kDeflate,
                     h5::column<double>(m + "_mean", [&](const PointSummary& p) { return metricOf(p.metricMean, m); }),
                     h5::column<double>(m + "_std", [&](const PointSummary& p) { return metricOf(p.metricStd, m); }));
  }
  for (const auto& key : params)
    h5::writeColumns(g, s.points, kDeflate,
                     h5::column<std::string>(key, [&](const PointSummary& p) { return lookup(p.parameters, key); }));
}

// best/ams/<fold_K | ensemble>: the AMS-vs-threshold curve as columns, its maximum as attributes.
void writeAms(const Group& best, const Summary& s) {
  best.setAttr("ams_regularisation", s.amsRegularisation);
  best.setAttr("luminosity", s.luminosity);
  best.setAttr("signal_scale", s.signalScale);
  best.setAttr("background_scale", s.backgroundScale);
  if (s.ams.empty()) {
    if (!s.amsNote.empty()) best.setAttr("ams_note", s.amsNote);
    return;
  }
  const auto g = best.createGroup("ams");
  g.setAttr("regularisation", s.amsRegularisation);
  g.setAttr("signal_yield_factor", s.signalYieldFactor);
  g.setAttr("background_yield_factor", s.backgroundYieldFactor);
  for (const AmsCurve& c : s.ams) {
    const std::string name = c.label == "ensemble" ? "ensemble" : "fold_" + c.label.substr(c.label.find(' ') + 1);
    const auto h = g.createGroup(name);
    h.setAttr("label", c.label);
    h.setAttr("ams", c.maxAms);
    h.setAttr("threshold", c.thresholdAtMax);
    h.setAttr("signal", c.signalAtMax);
    h.setAttr("background", c.backgroundAtMax);
    h.setAttr("s_over_sqrt_b", c.sOverSqrtB);
    h.setAttr("signal_efficiency", c.signalEfficiency);
    h.setAttr("background_efficiency", c.backgroundEfficiency);
    h.setAttr("total_signal", c.totalSignal);
    h.setAttr("total_background", c.totalBackground);
    column(h, "threshold", c.threshold);
    column(h, "signal", c.signal);
    column(h, "background", c.background);
    column(h, "ams", c.ams);
    if (c.label == "ensemble") {
      best.setAttr("ensemble_ams", c.maxAms);
      best.setAttr("ensemble_ams_threshold", c.thresholdAtMax);
      best.setAttr("ensemble_ams_signal", c.signalAtMax);
      best.setAttr("ensemble_ams_background", c.backgroundAtMax);
      best.setAttr("ensemble_ams_signal_efficiency", c.signalEfficiency);
    }
  }
}

// A multi-class best point (docs/hdf5-layout.md): per-class one-vs-rest AUCs, curves and
// background efficiencies, the confusion matrices and the test probabilities (events x classes).
void writeMultiClassBest(const Group& g, const Summary& s) {
  const MultiClassSummary& m = s.multiClass;
  const std::size_t k = m.classNames.size(), folds = m.foldAuc.size();
  strings(g, "class_names", m.classNames);
  g.write<double>("auc_per_class", std::span<const double>(m.ensembleAuc), false);
  g.write<double>("auc_per_class_weighted", std::span<const double>(m.ensembleAucWeighted), false);
  std::vector<double> foldAuc;
  for (const auto& a : m.foldAuc) foldAuc.insert(foldAuc.end(), a.begin(), a.end());
  g.write2d<double>("fold_auc_per_class", foldAuc.data(), folds, k, false);
  g.write<double>("fold_mean_auc_per_class", std::span<const double>(m.foldMeanAuc), false);
  g.write<double>("fold_std_auc_per_class", std::span<const double>(m.foldStdAuc), false);
  g.write2d<double>("confusion", m.confusion.data(), k, k, false);
  g.write2d<double>("confusion_weighted", m.confusionWeighted.data(), k, k, false);
  g.write<double>("signal_efficiency", std::span<const double>(m.signalEfficiencies), false);
  std::vector<double> eff;
  for (const auto& e : m.backgroundEfficiency) eff.insert(eff.end(), e.begin(), e.end());
  g.write2d<double>("background_efficiency", eff.data(), k, m.signalEfficiencies.size(), false);
  std::vector<std::string> splits;
  std::vector<std::int64_t> counts;
  for (const auto& [split, n] : m.classCounts) {
    splits.push_back(split);
    counts.insert(counts.end(), n.begin(), n.end());
  }
  strings(g, "class_count_splits", splits);
  g.write2d<std::int64_t>("class_counts", counts.data(), splits.size(), k, false);
  const auto roc = g.createGroup("roc");
  for (std::size_t c = 0; c < m.roc.size(); ++c) {
    const auto r = roc.createGroup("class_" + std::to_string(c));
    r.setAttr("label", m.roc[c].label);
    r.setAttr("auc", m.roc[c].auc);
    column(r, "signal_efficiency", m.roc[c].signalEfficiency);
    column(r, "background_efficiency", m.roc[c].backgroundEfficiency);
    column(r, "threshold", m.roc[c].threshold);
  }
  const auto test = g.createGroup("test");
  column(test, "rows", s.testRows);
  column(test, "labels", s.testLabels);
  column(test, "weights", s.testWeights);
  test.write2d<float>("ensemble_score", m.ensembleTestScores.data(), s.testRows.size(), k);
  for (std::size_t f = 0; f < m.foldTestScores.size(); ++f)
    test.write2d<float>("fold_" + std::to_string(s.items[static_cast<std::size_t>(s.bestItems[f])].fold) + "_score",
                        m.foldTestScores[f].data(), s.testRows.size(), k);
}

void writeBest(const Group& g, const Summary& s) {
  // Whether the best point's per-event scores were recomputed from its fold models (output.scores
  // = "none"), and why the overtraining check is missing when it is.
  g.setAttr("scores_recomputed", static_cast<std::int64_t>(s.scoresRecomputed));
  if (!s.overtrainingNote.empty()) g.setAttr("overtraining_note", s.overtrainingNote);
  const PointSummary* best = nullptr;
  for (const auto& p : s.points)
    if (p.point == s.bestPoint) best = &p;
  if (!best) return;
  g.setAttr("point", best->point);
  g.setAttr("parameters", rundir::describeParameters(best->parameters));
  for (const auto& [k, v] : best->parameters) g.setAttr(k, v);
  g.setAttr("objective_mean", best->objectiveMean);
  g.setAttr("objective_std", best->objectiveStd);
  g.setAttr("folds_used", static_cast<std::int64_t>(s.bestItems.size()));
  g.setAttr("ensemble_test_auc", s.ensembleTestAuc);
  g.setAttr("ensemble_test_auc_weighted", s.ensembleTestAucWeighted);
  g.setAttr("fold_mean_test_auc", s.foldMeanTestAuc);
  g.setAttr("fold_std_test_auc", s.foldStdTestAuc);
  const auto itemOf = [&](auto i) -> const ItemSummary& { return s.items[static_cast<std::size_t>(i)]; };
  h5::writeColumns(g, s.bestItems, kDeflate, h5::column<std::int64_t>("items", [](auto i) { return i; }),
                   h5::column<std::int64_t>("folds", [&](auto i) { return itemOf(i).fold; }),
                   h5::column<std::string>("result_files", [&](auto i) { return itemOf(i).resultFile; }));

  if (!s.multiClass.empty()) {
    writeMultiClassBest(g, s);
    return;
  }
  const auto wp = g.createGroup("working_points");
  h5::writeColumns(wp, s.workingPoints, kDeflate, h5::column<double>("signal_efficiency", &WorkingPoint::signalEfficiency),
                   h5::column<double>("ensemble_background_efficiency", &WorkingPoint::ensembleBackgroundEfficiency),
                   h5::column<double>("ensemble_background_rejection", &WorkingPoint::ensembleBackgroundRejection),
                   h5::column<double>("ensemble_threshold", &WorkingPoint::ensembleThreshold),
                   h5::column<double>("fold_mean_background_efficiency", &WorkingPoint::foldMeanBackgroundEfficiency),
                   h5::column<double>("fold_std_background_efficiency", &WorkingPoint::foldStdBackgroundEfficiency),
                   h5::column<double>("fold_mean_background_rejection", &WorkingPoint::foldMeanBackgroundRejection),
                   h5::column<double>("fold_std_background_rejection", &WorkingPoint::foldStdBackgroundRejection));
  std::vector<double> perFold;
  for (const auto& w : s.workingPoints)
    perFold.insert(perFold.end(), w.foldBackgroundEfficiency.begin(), w.foldBackgroundEfficiency.end());
  // Outside the working-point table so that every dataset of that group is one 1-D column.
  g.write2d<double>("fold_background_efficiency", perFold.data(), s.workingPoints.size(), s.bestItems.size(), false);

  const auto roc = g.createGroup("roc");
  std::vector<double> foldAuc;
  for (const auto& c : s.roc) {
    const std::string name = c.label == "ensemble" ? "ensemble" : "fold_" + c.label.substr(c.label.find(' ') + 1);
    const auto r = roc.createGroup(name);
    r.setAttr("label", c.label);
    r.setAttr("auc", c.auc);
    column(r, "signal_efficiency", c.signalEfficiency);
    column(r, "background_efficiency", c.backgroundEfficiency);
    column(r, "threshold", c.threshold);
    if (c.label != "ensemble") foldAuc.push_back(c.auc);
  }
  column(g, "fold_test_auc", foldAuc);

  const auto test = g.createGroup("test");
  column(test, "rows", s.testRows);
  column(test, "labels", s.testLabels);
  column(test, "weights", s.testWeights);
  column(test, "ensemble_score", s.ensembleTestScores);
  std::vector<float> fold;
  for (const auto& f : s.foldTestScores) fold.insert(fold.end(), f.begin(), f.end());
  test.write2d<float>("fold_scores", fold.data(), s.foldTestScores.size(), s.testRows.size());
  writeAms(g, s);
}

void writeOvertraining(const Group& g, const Summary& s) {
  for (const auto& c : s.overtraining) {
    if (c.trainScores.empty() && c.testScores.empty()) continue;
    const auto h = g.createGroup("fold_" + std::to_string(c.fold) + "_" + className(c.cls));
    h.setAttr("ks_statistic", c.ksStatistic);
    h.setAttr("ks_p_value", c.ksPValue);
    column(h, "train_scores", c.trainScores);
    column(h, "train_weights", c.trainWeights);
    column(h, "test_scores", c.testScores);
    column(h, "test_weights", c.testWeights);
  }
  h5::writeColumns(g, s.overtraining, kDeflate, h5::column<std::int64_t>("fold", &OvertrainingCheck::fold),
                   h5::column<std::int64_t>("class", &OvertrainingCheck::cls),
                   h5::column<std::string>("label", [](const OvertrainingCheck& c) { return c.label + " " + className(c.cls); }),
                   h5::column<double>("ks_statistic", &OvertrainingCheck::ksStatistic),
                   h5::column<double>("ks_p_value", &OvertrainingCheck::ksPValue),
                   h5::column<double>("train_effective_size", &OvertrainingCheck::trainEffectiveSize),
                   h5::column<double>("test_effective_size", &OvertrainingCheck::testEffectiveSize));
}

void writeProvenance(const Group& g, const Summary& s) {
  h5::writeColumns(g, s.inputs, kDeflate, h5::column<std::string>("input_paths", &InputFile::path),
                   h5::column<std::string>("input_sha256", &InputFile::sha256),
                   h5::column<std::int64_t>("input_rows", &InputFile::rows));
  h5::writeColumns(g, s.splitCounts, kDeflate, h5::column<std::string>("split", &SplitCount::split),
                   h5::column<std::int64_t>("split_signal", &SplitCount::signal),
                   h5::column<std::int64_t>("split_background", &SplitCount::background),
                   h5::column<double>("split_signal_weight", &SplitCount::signalWeight),
                   h5::column<double>("split_background_weight", &SplitCount::backgroundWeight));
}

}  // namespace

void writeSummaryFile(const std::string& path, const Summary& s, const std::string& commandLine) {
  const auto params = keysInOrder(s.points, [](const PointSummary& p) -> const auto& { return p.parameters; });
  const auto metrics = keysInOrder(s.items, [](const ItemSummary& it) -> const auto& { return it.metrics; });
  io::h5::writeAtomically(path, [&](io::h5::File& f) {
    f.setAttr("format", std::string("hepsweep-summary"));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("objective", s.objective);
    f.setAttr("folds", static_cast<std::int64_t>(s.folds));
    f.setAttr("seed", static_cast<std::int64_t>(s.seed));
    f.setAttr("version", s.version);
    f.setAttr("aggregate_version", versionString());
    f.setAttr("created", s.created);
    f.setAttr("command_line", commandLine);
    f.setAttr("campaign", s.campaignToml);
    f.setAttr("data_file", s.dataFile);
    f.setAttr("data_sha256", s.dataSha256);
    f.setAttr("n_signal", s.nSignal);
    f.setAttr("n_background", s.nBackground);
    f.setAttr("n_train", s.nTrain);
    f.setAttr("n_val", s.nVal);
    f.setAttr("n_test", s.nTest);
    f.setAttr("wall_seconds", s.wallSeconds);
    f.setAttr("best_point", s.bestPoint);
    if (!s.multiClass.empty()) {
      f.setAttr("n_classes", static_cast<std::int64_t>(s.multiClass.classNames.size()));
      strings(f, "class_names", s.multiClass.classNames);
    }
    strings(f, "run_dirs", s.runDirs);
    strings(f, "incomplete", s.incomplete);
    strings(f, "raced_out", s.racedOut);
    strings(f, "parameter_names", params);
    strings(f, "metric_names", metrics);
    writeItems(f.createGroup("items"), s, params, metrics);
    writeHistory(f.createGroup("history"), s);
    writePoints(f.createGroup("points"), s, params, metrics);
    writeBest(f.createGroup("best"), s);
    writeOvertraining(f.createGroup("overtraining"), s);
    writeImportance(f, s.importance);
    writeParameterSummary(f, s.parametrised);
    writeProvenance(f.createGroup("provenance"), s);
    writeBaseline(f, s);
  });
}

}  // namespace hepsweep::aggregate
