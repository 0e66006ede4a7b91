#include "hepsweep/aggregate/Baseline.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/baseline/Result.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/metrics/Metrics.hpp"

namespace hepsweep::aggregate {
namespace {

constexpr std::size_t kBaselineCurvePoints = 2000;

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::numeric_limits<double>::quiet_NaN() : s / static_cast<double>(v.size());
}

double minOrNan(double a, double b) { return std::isnan(b) ? a : std::min(a, b); }

}  // namespace

void collectBaseline(Summary& s, std::span<const std::string> runDirs, std::span<const double> signalEfficiencies) {
  // Every fold's result of each point, by point (the first run directory holding it).
  std::map<std::int64_t, std::vector<baseline::StoredResult>> byPoint;
  for (const auto& dir : runDirs)
    for (const auto& path : baseline::resultFiles(dir)) {
      baseline::StoredResult r = baseline::readResult(path, true);
      auto& folds = byPoint[r.record.point];
      if (std::none_of(folds.begin(), folds.end(), [&](const auto& x) { return x.record.fold == r.record.fold; }))
        folds.push_back(std::move(r));
    }
  if (byPoint.empty()) return;
  BaselineSummary& b = s.baseline;
  b.signalEfficiencies.assign(signalEfficiencies.begin(), signalEfficiencies.end());
  std::vector<std::vector<float>> ensembles;  // by point: mean test score over folds
  std::vector<float> labels;
  for (auto& [point, folds] : byPoint) {
    std::sort(folds.begin(), folds.end(), [](const auto& x, const auto& y) { return x.record.fold < y.record.fold; });
    BaselinePoint p;
    p.point = point;
    const baseline::BoosterParams& params = folds.front().record.params;
    p.trees = params.trees;
    p.maxDepth = params.maxDepth;
    p.learningRate = params.learningRate;
    p.minKsPValue = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> valAuc;
    const baseline::SplitScores& test0 = folds.front().record.test;
    std::vector<double> sum(test0.scores.size(), 0.0);
    for (const auto& f : folds) {
      const baseline::SplitScores& t = f.record.test;
      // Every fold holds out the same test rows (cv.folds cut the rest): the ensemble averages them.
      if (t.rows != test0.rows)
        throwInput("baseline point " + std::to_string(point) + ": fold " + std::to_string(f.record.fold) +
                   " has other test rows than fold " + std::to_string(folds.front().record.fold) +
                   "; the run directories hold different campaigns");
      p.foldTestAuc.push_back(f.metrics.testAuc);
      p.foldTreesKept.push_back(f.record.history.bestRound);
      valAuc.push_back(f.metrics.valAuc);
      p.minKsPValue = minOrNan(minOrNan(f.metrics.ksSignalP, p.minKsPValue), f.metrics.ksBackgroundP);
      p.trainSeconds += f.record.trainSeconds;
      for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += t.scores[i];
    }
    p.foldMeanTestAuc = mean(p.foldTestAuc);
    p.foldStdTestAuc = sampleStd(p.foldTestAuc);
    p.meanValAuc = mean(valAuc);
    std::vector<float> ens(sum.size());
    for (std::size_t i = 0; i < sum.size(); ++i) ens[i] = static_cast<float>(sum[i] / static_cast<double>(folds.size()));
    const metrics::Roc roc = metrics::rocCurve(ens, test0.labels);
    p.ensembleTestAuc = metrics::auc(roc);
    for (double e : signalEfficiencies) p.ensembleBackgroundEfficiency.push_back(metrics::bkgEffAtSigEff(roc, e));
    b.points.push_back(std::move(p));
    ensembles.push_back(std::move(ens));
    labels = test0.labels;
  }
  for (std::size_t i = 0; i < b.points.size(); ++i)
    if (b.bestPoint < 0 || b.points[i].meanValAuc > b.points[static_cast<std::size_t>(b.bestPoint)].meanValAuc)
      b.bestPoint = static_cast<std::int64_t>(i);
  const auto best = static_cast<std::size_t>(b.bestPoint);
  const metrics::Roc roc = metrics::rocCurve(ensembles[best], byPoint[b.points[best].point].front().record.test.labels);
  const metrics::Roc thin = metrics::thinRoc(roc, signalEfficiencies, kBaselineCurvePoints);
  RocCurve c;
  c.label = "BDT baseline";
  c.auc = b.points[best].ensembleTestAuc;
  c.signalEfficiency = thin.tpr;
  c.backgroundEfficiency = thin.fpr;
  c.threshold = thin.threshold;
  b.roc.push_back(std::move(c));
}

void writeBaseline(const io::h5::Group& parent, const Summary& s) {
  const BaselineSummary& b = s.baseline;
  if (b.points.empty()) return;
  const io::h5::Group g = parent.createGroup("baseline");
  g.setAttr("best_point", b.points[static_cast<std::size_t>(b.bestPoint)].point);
  const auto column = [&](const std::string& name, auto get) {
    std::vector<double> v;
    for (const auto& p : b.points) v.push_back(static_cast<double>(get(p)));
    g.write<double>(name, std::span<const double>(v));
  };
  std::vector<std::int64_t> points;
  for (const auto& p : b.points) points.push_back(p.point);
  g.write<std::int64_t>("point", std::span<const std::int64_t>(points));
  column("trees", [](const BaselinePoint& p) { return p.trees; });
  column("max_depth", [](const BaselinePoint& p) { return p.maxDepth; });
  column("learning_rate", [](const BaselinePoint& p) { return p.learningRate; });
  column("fold_mean_test_auc", [](const BaselinePoint& p) { return p.foldMeanTestAuc; });
  column("fold_std_test_auc", [](const BaselinePoint& p) { return p.foldStdTestAuc; });
  column("ensemble_test_auc", [](const BaselinePoint& p) { return p.ensembleTestAuc; });
  column("mean_val_auc", [](const BaselinePoint& p) { return p.meanValAuc; });
  column("min_ks_p_value", [](const BaselinePoint& p) { return p.minKsPValue; });
  column("train_seconds", [](const BaselinePoint& p) { return p.trainSeconds; });
  g.write<double>("signal_efficiencies", std::span<const double>(b.signalEfficiencies));
  // (points, working points), row-major.
  std::vector<double> eff;
  for (const auto& p : b.points) eff.insert(eff.end(), p.ensembleBackgroundEfficiency.begin(), p.ensembleBackgroundEfficiency.end());
  g.write2d<double>("ensemble_bkg_eff", eff.data(), b.points.size(), b.signalEfficiencies.size());
  const RocCurve& c = b.roc.front();
  const io::h5::Group r = g.createGroup("roc");
  r.setAttr("auc", c.auc);
  r.write<double>("signal_efficiency", std::span<const double>(c.signalEfficiency));
  r.write<double>("background_efficiency", std::span<const double>(c.backgroundEfficiency));
  r.write<double>("threshold", std::span<const double>(c.threshold));
}

}  // namespace hepsweep::aggregate
