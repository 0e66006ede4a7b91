#include "hepsweep/baseline/Result.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <span>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/metrics/KolmogorovSmirnov.hpp"
#include "hepsweep/metrics/Metrics.hpp"

namespace hepsweep::baseline {
namespace {

constexpr const char* kKind = "hepsweep-baseline-xgboost";

template <class T>
std::span<const T> asSpan(const std::vector<T>& v) { return {v.data(), v.size()}; }

// The AUC when both classes have events with positive summed weight, else NaN (a tiny fold).
double aucOrNan(const SplitScores& s, bool weighted) {
  try {
    return metrics::auc(s.scores, s.labels, weighted ? asSpan(s.weights) : std::span<const float>{});
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::Input) throw;
    return std::numeric_limits<double>::quiet_NaN();
  }
}

// Train against test scores of one class, weighted, as aggregate's overtraining check does it.
metrics::KsResult ksOfClass(const ItemRecord& r, float cls) {
  std::vector<float> a, wa, b, wb;
  for (std::size_t i = 0; i < r.train.scores.size(); ++i)
    if (r.train.labels[i] == cls) a.push_back(r.train.scores[i]), wa.push_back(r.train.weights[i]);
  for (std::size_t i = 0; i < r.test.scores.size(); ++i)
    if (r.test.labels[i] == cls) b.push_back(r.test.scores[i]), wb.push_back(r.test.weights[i]);
  if (a.empty() || b.empty()) return metrics::KsResult{std::numeric_limits<double>::quiet_NaN(),
                                                       std::numeric_limits<double>::quiet_NaN(), 0, 0, 0};
  return metrics::ksTwoSample(a, b, wa, wb);
}

void writeSplit(const io::h5::Group& g, const std::string& name, const SplitScores& s) {
  g.write<float>(name, asSpan(s.scores));
  g.write<float>(name + "_labels", asSpan(s.labels));
  g.write<float>(name + "_weights", asSpan(s.weights));
  g.write<std::int64_t>(name + "_rows", asSpan(s.rows));
}

SplitScores readSplit(const io::h5::Group& g, const std::string& name) {
  SplitScores s;
  s.scores = g.read<float>(name);
  s.labels = g.read<float>(name + "_labels");
  s.weights = g.read<float>(name + "_weights");
  s.rows = g.read<std::int64_t>(name + "_rows");
  return s;
}

}  // namespace

void markMissing(std::vector<float>& table, float missingValue, const std::vector<std::uint8_t>& usesMissing) {
  if (std::isnan(missingValue) || usesMissing.empty()) return;
  const std::size_t cols = usesMissing.size();
  for (std::size_t i = 0; i < table.size(); ++i)
    if (usesMissing[i % cols] && table[i] == missingValue) table[i] = std::numeric_limits<float>::quiet_NaN();
}

ItemMetrics computeMetrics(const ItemRecord& r) {
  ItemMetrics m;
  m.testAuc = aucOrNan(r.test, false);
  m.testAucWeighted = aucOrNan(r.test, true);
  m.valAuc = aucOrNan(r.val, false);
  m.trainAuc = aucOrNan(r.train, false);
  const metrics::Roc roc = metrics::rocCurve(r.test.scores, r.test.labels);
  for (double e : r.signalEfficiencies) m.bkgEff.push_back(metrics::bkgEffAtSigEff(roc, e));
  try {
    const metrics::Roc w = metrics::rocCurve(r.test.scores, r.test.labels, r.test.weights);
    for (double e : r.signalEfficiencies) m.bkgEffWeighted.push_back(metrics::bkgEffAtSigEff(w, e));
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::Input) throw;
    m.bkgEffWeighted.assign(r.signalEfficiencies.size(), std::numeric_limits<double>::quiet_NaN());
  }
  const metrics::KsResult s = ksOfClass(r, 1.0f), b = ksOfClass(r, 0.0f);
  m.ksSignalD = s.statistic, m.ksSignalP = s.pValue;
  m.ksBackgroundD = b.statistic, m.ksBackgroundP = b.pValue;
  return m;
}

void writeResult(const std::string& path, const ItemRecord& r) {
  const ItemMetrics m = computeMetrics(r);
  const metrics::Roc roc = metrics::rocCurve(r.test.scores, r.test.labels);
  io::h5::writeAtomically(path, [&](io::h5::File& f) {
    f.setAttr("kind", std::string(kKind));
    f.setAttr("item", r.id);
    f.setAttr("point", r.point);
    f.setAttr("fold", static_cast<std::int64_t>(r.fold));
    f.setAttr("folds", static_cast<std::int64_t>(r.folds));
    f.setAttr("campaign_sha256", r.campaignSha256);
    f.setAttr("data_file", r.dataFile);
    f.setAttr("data_sha256", r.dataSha256);
    f.setAttr("hepsweep_version", versionString());
    f.setAttr("xgboost_version", xgboostVersion());
    f.setAttr("train_seconds", r.trainSeconds);
    f.writeStrings("config", std::vector<std::string>{r.configToml});
    f.writeStrings("feature_names", r.featureNames);
    f.setAttr("missing_value", static_cast<double>(r.missingValue));
    f.write<std::uint8_t>("uses_missing", asSpan(r.usesMissing));

    const auto p = f.createGroup("params");
    p.writeScalar("trees", static_cast<std::int64_t>(r.params.trees));
    p.writeScalar("max_depth", static_cast<std::int64_t>(r.params.maxDepth));
    p.writeScalar("learning_rate", r.params.learningRate);
    p.writeScalar("early_stopping_rounds", static_cast<std::int64_t>(r.params.earlyStoppingRounds));
    p.writeScalar("seed", static_cast<std::int64_t>(r.params.seed));
    p.writeScalar("threads", static_cast<std::int64_t>(r.params.threads));

    const auto h = f.createGroup("history");
    h.write<double>("val_logloss", asSpan(r.history.valLoss));
    h.writeScalar("best_round", static_cast<std::int64_t>(r.history.bestRound));
    h.writeScalar("rounds_run", static_cast<std::int64_t>(r.history.roundsRun));
    h.writeScalar("stopped_early", static_cast<std::int64_t>(r.history.stoppedEarly));

    const auto g = f.createGroup("metrics");
    g.writeScalar("test_auc", m.testAuc);
    g.writeScalar("test_auc_weighted", m.testAucWeighted);
    g.writeScalar("val_auc", m.valAuc);
    g.writeScalar("train_auc", m.trainAuc);
    g.write<double>("signal_efficiencies", asSpan(r.signalEfficiencies));
    g.write<double>("test_bkg_eff", asSpan(m.bkgEff));
    g.write<double>("test_bkg_eff_weighted", asSpan(m.bkgEffWeighted));
    g.writeScalar("ks_signal_statistic", m.ksSignalD);
    g.writeScalar("ks_signal_p", m.ksSignalP);
    g.writeScalar("ks_background_statistic", m.ksBackgroundD);
    g.writeScalar("ks_background_p", m.ksBackgroundP);

    const metrics::Roc thin = metrics::thinRoc(roc, r.signalEfficiencies, kStoredRocPoints);
    const auto rg = f.createGroup("roc");
    rg.setAttr("points_full", static_cast<std::int64_t>(roc.fpr.size()));
    rg.write<double>("fpr", asSpan(thin.fpr));
    rg.write<double>("tpr", asSpan(thin.tpr));
    rg.write<double>("threshold", asSpan(thin.threshold));

    const auto s = f.createGroup("scores");
    writeSplit(s, "train", r.train);
    writeSplit(s, "val", r.val);
    writeSplit(s, "test", r.test);

    // The trees as XGBoost saves them: xgboost.Booster().load_model(bytearray(f["model"][()]))
    f.write<std::uint8_t>("model", asSpan(r.model));
    f.setAttr("format", std::string("ubj"), "model");
  });
}

std::vector<std::string> resultFiles(const std::string& runDir) {
  namespace fs = std::filesystem;
  const fs::path items = fs::path(runDir) / "baseline" / "items";
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(items, ec)) return out;
  for (const auto& e : fs::directory_iterator(items)) {
    const fs::path r = e.path() / "result.h5";
    if (fs::exists(r)) out.push_back(r.string());
  }
  std::sort(out.begin(), out.end());  // item directories are zero-padded: name order is id order
  return out;
}

StoredResult readResult(const std::string& path, bool withScores) {
  const io::h5::File f = io::h5::File::open(path);
  if (!f.hasAttr("kind") || f.attrString("kind") != kKind)
    throwInput(path + ": not a BDT baseline result file (no root attribute kind = \"" + std::string(kKind) + "\")");
  StoredResult out;
  ItemRecord& r = out.record;
  r.id = f.attrInt("item");
  r.point = f.attrInt("point");
  r.fold = static_cast<int>(f.attrInt("fold"));
  r.folds = static_cast<int>(f.attrInt("folds"));
  r.campaignSha256 = f.attrString("campaign_sha256");
  r.dataFile = f.attrString("data_file");
  r.dataSha256 = f.attrString("data_sha256");
  r.trainSeconds = f.attrDouble("train_seconds");
  r.configToml = f.readStrings("config").at(0);
  r.featureNames = f.readStrings("feature_names");
  r.missingValue = static_cast<float>(f.attrDouble("missing_value"));
  r.usesMissing = f.read<std::uint8_t>("uses_missing");
  const auto p = f.openGroup("params");
  r.params.trees = static_cast<int>(p.readScalarInt("trees"));
  r.params.maxDepth = static_cast<int>(p.readScalarInt("max_depth"));
  r.params.learningRate = p.readScalarDouble("learning_rate");
  r.params.earlyStoppingRounds = static_cast<int>(p.readScalarInt("early_stopping_rounds"));
  r.params.seed = static_cast<std::uint64_t>(p.readScalarInt("seed"));
  r.params.threads = static_cast<int>(p.readScalarInt("threads"));
  const auto h = f.openGroup("history");
  r.history.valLoss = h.read<double>("val_logloss");
  r.history.bestRound = static_cast<int>(h.readScalarInt("best_round"));
  r.history.roundsRun = static_cast<int>(h.readScalarInt("rounds_run"));
  r.history.stoppedEarly = h.readScalarInt("stopped_early") != 0;
  const auto g = f.openGroup("metrics");
  ItemMetrics& m = out.metrics;
  m.testAuc = g.readScalarDouble("test_auc");
  m.testAucWeighted = g.readScalarDouble("test_auc_weighted");
  m.valAuc = g.readScalarDouble("val_auc");
  m.trainAuc = g.readScalarDouble("train_auc");
  r.signalEfficiencies = g.read<double>("signal_efficiencies");
  m.bkgEff = g.read<double>("test_bkg_eff");
  m.bkgEffWeighted = g.read<double>("test_bkg_eff_weighted");
  m.ksSignalD = g.readScalarDouble("ks_signal_statistic");
  m.ksSignalP = g.readScalarDouble("ks_signal_p");
  m.ksBackgroundD = g.readScalarDouble("ks_background_statistic");
  m.ksBackgroundP = g.readScalarDouble("ks_background_p");
  if (withScores) {
    const auto s = f.openGroup("scores");
    r.train = readSplit(s, "train");
    r.val = readSplit(s, "val");
    r.test = readSplit(s, "test");
  }
  r.model = f.read<std::uint8_t>("model");
  return out;
}

}  // namespace hepsweep::baseline
