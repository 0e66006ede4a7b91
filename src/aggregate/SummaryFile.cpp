// summary.h5: the Summary as plain HDF5 tables (one dataset per column) that pandas reads with a
// dict comprehension; layout documented in docs/aggregate.md.
#include <map>
#include <set>

#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/rundir/Overrides.hpp"

namespace hepsweep::aggregate {
namespace {

using io::h5::Group;

template <class T>
void column(const Group& g, const std::string& name, const std::vector<T>& v) {
  g.write<T>(name, std::span<const T>(v.data(), v.size()));
}
void strings(const Group& g, const std::string& name, const std::vector<std::string>& v) { g.writeStrings(name, v); }

const char* className(int cls) { return cls == 1 ? "signal" : "background"; }

// Parameter keys in first-seen order over the given parameter lists (points may search
// different keys when run directories extend a study).
std::vector<std::string> parameterKeys(const Summary& s) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& p : s.points)
    for (const auto& [k, v] : p.parameters)
      if (seen.insert(k).second) keys.push_back(k);
  return keys;
}

std::string lookup(const std::vector<std::pair<std::string, std::string>>& kv, const std::string& key) {
  for (const auto& [k, v] : kv)
    if (k == key) return v;
  return "";
}

std::vector<std::string> metricNames(const Summary& s) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& it : s.items)
    for (const auto& [k, v] : it.metrics)
      if (seen.insert(k).second) names.push_back(k);
  return names;
}

double metricOf(const std::vector<std::pair<std::string, double>>& kv, const std::string& key) {
  for (const auto& [k, v] : kv)
    if (k == key) return v;
  return std::numeric_limits<double>::quiet_NaN();
}

void writeItems(const Group& g, const Summary& s, const std::vector<std::string>& params, const std::vector<std::string>& metrics) {
  std::vector<std::string> runDir, resultFile;
  std::vector<std::int64_t> item, point, fold, epochsRun, bestEpoch;
  std::vector<double> objective, seconds;
  for (const auto& it : s.items) {
    runDir.push_back(it.runDir);
    resultFile.push_back(it.resultFile);
    item.push_back(it.item);
    point.push_back(it.point);
    fold.push_back(it.fold);
    epochsRun.push_back(it.epochsRun);
    bestEpoch.push_back(it.bestEpoch);
    objective.push_back(it.objective);
    seconds.push_back(it.seconds);
  }
  strings(g, "run_dir", runDir);
  strings(g, "result_file", resultFile);
  column(g, "item", item);
  column(g, "point", point);
  column(g, "fold", fold);
  column(g, "objective", objective);
  column(g, "epochs_run", epochsRun);
  column(g, "best_epoch", bestEpoch);
  column(g, "seconds", seconds);
  for (const auto& m : metrics) {
    // epochs_run, best_epoch and objective are metrics too; they are already columns.
    if (g.exists(m)) continue;
    std::vector<double> v;
    for (const auto& it : s.items) v.push_back(metricOf(it.metrics, m));
    column(g, m, v);
  }
  for (const auto& p : params) {
    std::vector<std::string> v;
    for (const auto& it : s.items) v.push_back(lookup(it.parameters, p));
    strings(g, p, v);
  }
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
  std::vector<std::int64_t> point, rank, foldsDone, foldsExpected, complete;
  std::vector<double> objMean, objStd;
  for (const auto& p : s.points) {
    point.push_back(p.point);
    rank.push_back(p.rank);
    foldsDone.push_back(p.foldsDone);
    foldsExpected.push_back(p.foldsExpected);
    complete.push_back(p.complete() ? 1 : 0);
    objMean.push_back(p.objectiveMean);
    objStd.push_back(p.objectiveStd);
  }
  column(g, "point", point);
  column(g, "rank", rank);
  column(g, "folds_done", foldsDone);
  column(g, "folds_expected", foldsExpected);
  column(g, "complete", complete);
  column(g, "objective_mean", objMean);
  column(g, "objective_std", objStd);
  for (const auto& m : metrics) {
    // metrics/objective is already objective_mean/std.
    if (g.exists(m + "_mean")) continue;
    std::vector<double> mean, std;
    for (const auto& p : s.points) {
      mean.push_back(metricOf(p.metricMean, m));
      std.push_back(metricOf(p.metricStd, m));
    }
    column(g, m + "_mean", mean);
    column(g, m + "_std", std);
  }
  for (const auto& key : params) {
    std::vector<std::string> v;
    for (const auto& p : s.points) v.push_back(lookup(p.parameters, key));
    strings(g, key, v);
  }
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
  std::vector<std::int64_t> folds;
  std::vector<std::string> files;
  for (auto i : s.bestItems) {
    folds.push_back(s.items[static_cast<std::size_t>(i)].fold);
    files.push_back(s.items[static_cast<std::size_t>(i)].resultFile);
  }
  column(g, "items", s.bestItems);
  column(g, "folds", folds);
  strings(g, "result_files", files);

  const auto wp = g.createGroup("working_points");
  std::vector<double> cols[9];
  std::vector<double> perFold;
  for (const auto& w : s.workingPoints) {
    cols[0].push_back(w.signalEfficiency);
    cols[1].push_back(w.ensembleBackgroundEfficiency);
    cols[2].push_back(w.ensembleBackgroundRejection);
    cols[3].push_back(w.ensembleThreshold);
    cols[4].push_back(w.foldMeanBackgroundEfficiency);
    cols[5].push_back(w.foldStdBackgroundEfficiency);
    cols[6].push_back(w.foldMeanBackgroundRejection);
    cols[7].push_back(w.foldStdBackgroundRejection);
    perFold.insert(perFold.end(), w.foldBackgroundEfficiency.begin(), w.foldBackgroundEfficiency.end());
  }
  const char* names[8] = {"signal_efficiency", "ensemble_background_efficiency", "ensemble_background_rejection",
                          "ensemble_threshold", "fold_mean_background_efficiency", "fold_std_background_efficiency",
                          "fold_mean_background_rejection", "fold_std_background_rejection"};
  for (int i = 0; i < 8; ++i) column(wp, names[i], cols[i]);
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
  std::vector<std::int64_t> fold, cls;
  std::vector<std::string> label;
  std::vector<double> d, p, nTrain, nTest;
  for (const auto& c : s.overtraining) {
    fold.push_back(c.fold);
    cls.push_back(c.cls);
    label.push_back(c.label + " " + className(c.cls));
    d.push_back(c.ksStatistic);
    p.push_back(c.ksPValue);
    nTrain.push_back(c.trainEffectiveSize);
    nTest.push_back(c.testEffectiveSize);
    if (c.trainScores.empty() && c.testScores.empty()) continue;
    const auto h = g.createGroup("fold_" + std::to_string(c.fold) + "_" + className(c.cls));
    h.setAttr("ks_statistic", c.ksStatistic);
    h.setAttr("ks_p_value", c.ksPValue);
    column(h, "train_scores", c.trainScores);
    column(h, "train_weights", c.trainWeights);
    column(h, "test_scores", c.testScores);
    column(h, "test_weights", c.testWeights);
  }
  column(g, "fold", fold);
  column(g, "class", cls);
  strings(g, "label", label);
  column(g, "ks_statistic", d);
  column(g, "ks_p_value", p);
  column(g, "train_effective_size", nTrain);
  column(g, "test_effective_size", nTest);
}

void writeProvenance(const Group& g, const Summary& s) {
  std::vector<std::string> paths, shas;
  std::vector<std::int64_t> rows;
  for (const auto& in : s.inputs) {
    paths.push_back(in.path);
    shas.push_back(in.sha256);
    rows.push_back(in.rows);
  }
  strings(g, "input_paths", paths);
  strings(g, "input_sha256", shas);
  column(g, "input_rows", rows);
  std::vector<std::string> split;
  std::vector<std::int64_t> sig, bkg;
  std::vector<double> sigW, bkgW;
  for (const auto& c : s.splitCounts) {
    split.push_back(c.split);
    sig.push_back(c.signal);
    bkg.push_back(c.background);
    sigW.push_back(c.signalWeight);
    bkgW.push_back(c.backgroundWeight);
  }
  strings(g, "split", split);
  column(g, "split_signal", sig);
  column(g, "split_background", bkg);
  column(g, "split_signal_weight", sigW);
  column(g, "split_background_weight", bkgW);
}

}  // namespace

void writeSummaryFile(const std::string& path, const Summary& s, const std::string& commandLine) {
  const auto params = parameterKeys(s);
  const auto metrics = metricNames(s);
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
    strings(f, "run_dirs", s.runDirs);
    strings(f, "incomplete", s.incomplete);
    strings(f, "parameter_names", params);
    strings(f, "metric_names", metrics);
    writeItems(f.createGroup("items"), s, params, metrics);
    writeHistory(f.createGroup("history"), s);
    writePoints(f.createGroup("points"), s, params, metrics);
    writeBest(f.createGroup("best"), s);
    writeOvertraining(f.createGroup("overtraining"), s);
    writeProvenance(f.createGroup("provenance"), s);
  });
}

}  // namespace hepsweep::aggregate
