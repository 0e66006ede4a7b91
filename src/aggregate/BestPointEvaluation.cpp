// The best point of an aggregate, evaluated: its fold models and their ensemble on the test set
// (ROC curves, working points, split counts) and, with yields, the AMS curves.
#include "BestPointEvaluation.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "hepsweep/aggregate/ParameterSummaryFile.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/metrics/KolmogorovSmirnov.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/metrics/Physics.hpp"
#include "hepsweep/model/FoldScores.hpp"
#include "hepsweep/rundir/Manifest.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"

namespace hepsweep::aggregate {

using namespace detail;

namespace {

// Points of the curves summary.h5 keeps (as result files: rundir format 2).
constexpr std::size_t kCurvePoints = 2000;

// The curve for summary.h5 and the plots, at most kCurvePoints points long, as result files keep (the AUC
// from the whole curve; the working points stay exact).
RocCurve toCurve(const metrics::Roc& roc, std::string label, std::span<const double> signalEfficiencies) {
  RocCurve c;
  c.label = std::move(label);
  c.auc = metrics::auc(roc);
  const metrics::Roc thin = metrics::thinRoc(roc, signalEfficiencies, kCurvePoints);
  c.signalEfficiency = thin.tpr;
  c.backgroundEfficiency = thin.fpr;
  c.threshold = thin.threshold;
  return c;
}

double rejection(double eff) { return eff > 0 ? 1.0 / eff : std::numeric_limits<double>::infinity(); }

SplitCount countSplit(const std::string& split, const std::vector<float>& labels, const std::vector<float>& weights) {
  SplitCount c;
  c.split = split;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double w = i < weights.size() ? weights[i] : 1.0;
    if (labels[i] == 1) {
      ++c.signal;
      c.signalWeight += w;
    } else {
      ++c.background;
      c.backgroundWeight += w;
    }
  }
  return c;
}

// The working points of an ensemble ROC and of its fold models' ROCs, at each signal efficiency.
std::vector<WorkingPoint> workingPoints(const metrics::Roc& ens, const std::vector<metrics::Roc>& rocs,
                                        std::span<const double> signalEfficiencies) {
  std::vector<WorkingPoint> out;
  for (double e : signalEfficiencies) {
    if (!(e > 0 && e <= 1)) throwConfig("signal efficiency " + std::to_string(e) + " is outside (0, 1]");
    WorkingPoint wp;
    wp.signalEfficiency = e;
    wp.ensembleBackgroundEfficiency = metrics::bkgEffAtSigEff(ens, e);
    wp.ensembleBackgroundRejection = rejection(wp.ensembleBackgroundEfficiency);
    wp.ensembleThreshold = metrics::thresholdAtSigEff(ens, e);
    std::vector<double> rej;
    for (const auto& r : rocs) {
      wp.foldBackgroundEfficiency.push_back(metrics::bkgEffAtSigEff(r, e));
      rej.push_back(rejection(wp.foldBackgroundEfficiency.back()));
    }
    wp.foldMeanBackgroundEfficiency = mean(wp.foldBackgroundEfficiency);
    wp.foldStdBackgroundEfficiency = sampleStd(wp.foldBackgroundEfficiency);
    wp.foldMeanBackgroundRejection = mean(rej);
    wp.foldStdBackgroundRejection = sampleStd(rej);
    out.push_back(std::move(wp));
  }
  return out;
}

}  // namespace

void detail::evaluateBest(Summary& s, const CollectOptions& o) {
  const PointSummary& best = s.points.front();
  s.bestPoint = best.point;
  std::vector<std::size_t> foldItems;
  for (std::size_t i = 0; i < s.items.size(); ++i)
    if (s.items[i].point == best.point) foldItems.push_back(i);
  std::sort(foldItems.begin(), foldItems.end(), [&](std::size_t a, std::size_t b) { return s.items[a].fold < s.items[b].fold; });

  std::vector<std::string> files;
  for (const std::size_t i : foldItems) {
    s.bestItems.push_back(static_cast<std::int64_t>(i));
    files.push_back(s.items[i].resultFile);
  }
  // Stored scores, or recomputed from the fold models on the rebuilt splits (output.scores = "none").
  const model::FoldScores scores = model::foldScores(files, true);
  s.scoresRecomputed = scores.recomputed;
  s.testRows = scores.testRows;
  s.testLabels = scores.testLabels;
  s.testWeights = scores.testWeights;
  {
    const auto file = io::h5::File::open(files.front());
    if (file.exists("model/feature_names")) s.features = file.readStrings("model/feature_names");
  }
  s.overtrainingNote = scores.trainNote;
  if (!scores.classNames.empty()) {
    evaluateBestMulti(s, o, scores, foldItems);
    return;
  }
  s.parametrised = readParameterSummary(files);
  const model::FoldScores::Split none;
  s.splitCounts.push_back(countSplit("train", scores.train.empty() ? none.labels : scores.train.front().labels,
                                     scores.train.empty() ? none.weights : scores.train.front().weights));
  s.splitCounts.push_back(countSplit("val", scores.firstVal.labels, scores.firstVal.weights));
  s.splitCounts.push_back(countSplit("test", s.testLabels, s.testWeights));

  std::vector<metrics::Roc> rocs;
  std::vector<double> foldAuc;
  std::vector<double> ensembleSum(s.testRows.size(), 0.0);
  for (std::size_t k = 0; k < foldItems.size(); ++k) {
    const ItemSummary& it = s.items[foldItems[k]];
    const std::vector<float>& test = scores.test[k];
    const model::FoldScores::Split& train = scores.train.empty() ? none : scores.train[k];
    for (std::size_t i = 0; i < test.size(); ++i) ensembleSum[i] += test[i];
    const std::string label = "fold " + std::to_string(it.fold);
    rocs.push_back(metrics::rocCurve(test, s.testLabels));
    s.roc.push_back(toCurve(rocs.back(), label, o.signalEfficiencies));
    foldAuc.push_back(s.roc.back().auc);
    s.foldTestScores.push_back(test);

    for (int cls : {1, 0}) {
      OvertrainingCheck c;
      c.label = label;
      c.cls = cls;
      c.fold = it.fold;
      for (std::size_t i = 0; i < train.scores.size(); ++i)
        if (train.labels[i] == static_cast<float>(cls)) {
          c.trainScores.push_back(train.scores[i]);
          c.trainWeights.push_back(train.weights[i]);
        }
      for (std::size_t i = 0; i < test.size(); ++i)
        if (s.testLabels[i] == static_cast<float>(cls)) {
          c.testScores.push_back(test[i]);
          c.testWeights.push_back(s.testWeights[i]);
        }
      if (c.trainScores.empty() || c.testScores.empty()) continue;
      const metrics::KsResult ks = metrics::ksTwoSample(c.trainScores, c.testScores, c.trainWeights, c.testWeights);
      c.ksStatistic = ks.statistic;
      c.ksPValue = ks.pValue;
      c.trainEffectiveSize = ks.effectiveSizeA;
      c.testEffectiveSize = ks.effectiveSizeB;
      if (!o.keepScoreDistributions) {
        c.trainScores = {}, c.trainWeights = {}, c.testScores = {}, c.testWeights = {};
      }
      s.overtraining.push_back(std::move(c));
    }
  }
  const double k = static_cast<double>(foldItems.size());
  s.ensembleTestScores.resize(ensembleSum.size());
  for (std::size_t i = 0; i < ensembleSum.size(); ++i) s.ensembleTestScores[i] = static_cast<float>(ensembleSum[i] / k);
  const metrics::Roc ens = metrics::rocCurve(s.ensembleTestScores, s.testLabels);
  s.roc.push_back(toCurve(ens, "ensemble", o.signalEfficiencies));
  s.ensembleTestAuc = s.roc.back().auc;
  s.ensembleTestAucWeighted = metrics::auc(s.ensembleTestScores, s.testLabels, s.testWeights);
  s.foldMeanTestAuc = mean(foldAuc);
  s.foldStdTestAuc = sampleStd(foldAuc);

  s.workingPoints = workingPoints(ens, rocs, o.signalEfficiencies);

  // With event weights, the same curves and working points weighted (physics efficiencies are
  // fractions of the expected yields, not of the simulated events), next to the counted ones.
  if (std::any_of(s.testWeights.begin(), s.testWeights.end(), [](float w) { return w != 1.0f; })) {
    std::vector<metrics::Roc> weighted;
    for (std::size_t k = 0; k < foldItems.size(); ++k) {
      weighted.push_back(metrics::rocCurve(s.foldTestScores[k], s.testLabels, s.testWeights));
      s.rocWeighted.push_back(toCurve(weighted.back(), s.roc[k].label + ", weighted", o.signalEfficiencies));
    }
    const metrics::Roc ensW = metrics::rocCurve(s.ensembleTestScores, s.testLabels, s.testWeights);
    s.rocWeighted.push_back(toCurve(ensW, "ensemble, weighted", o.signalEfficiencies));
    s.workingPointsWeighted = workingPoints(ensW, weighted, o.signalEfficiencies);
  }
}

namespace {

AmsCurve toAmsCurve(const metrics::AmsScan& full, std::string label) {
  const metrics::AmsScan scan = metrics::thinAmsScan(full, kCurvePoints);
  AmsCurve c;
  c.label = std::move(label);
  c.threshold = scan.threshold;
  c.signal = scan.signal;
  c.background = scan.background;
  c.ams = scan.ams;
  c.totalSignal = scan.totalSignal;
  c.totalBackground = scan.totalBackground;
  c.maxAms = scan.bestAms();
  c.thresholdAtMax = scan.bestThreshold();
  c.signalAtMax = scan.bestSignal();
  c.backgroundAtMax = scan.bestBackground();
  c.signalEfficiency = scan.signalEfficiency();
  c.backgroundEfficiency = scan.backgroundEfficiency();
  c.sOverSqrtB = metrics::sOverSqrtB(c.signalAtMax, c.backgroundAtMax);
  return c;
}

}  // namespace

// The AMS-vs-threshold curves of the best point's fold models and of their ensemble on the test
// set. Every fold was tested on the same events (evaluateBest checks it) with the same yield
// scaling, which its result file records as the summed expected yields per class
// (metrics/expected_signal, expected_background): dividing by the summed test weights gives the
// per-class factor luminosity x scale x N_c / n_c without re-deriving the campaign's split.
void detail::evaluateAms(Summary& s) {
  if (s.bestItems.empty() || s.testLabels.empty()) return;
  if (!s.multiClass.empty()) {
    s.amsNote = "Multi-class campaign: the AMS is a signal-against-background quantity; none is computed.";
    return;
  }
  const ItemSummary& first = s.items[static_cast<std::size_t>(s.bestItems.front())];
  double expectedSignal = NAN, expectedBackground = NAN;
  for (const auto& [k, v] : first.metrics) {
    if (k == "expected_signal") expectedSignal = v;
    if (k == "expected_background") expectedBackground = v;
    if (k == "ams_regularisation") s.amsRegularisation = v;
  }
  if (std::isnan(expectedSignal) || std::isnan(expectedBackground)) {
    s.amsNote = "The result files hold no expected yields (metrics/expected_signal absent or NaN): written by a version "
                "before the physics metrics, or the test split is empty (the attribute metrics/@note of " +
                first.resultFile + " says why). No AMS curve.";
    return;
  }
  double sumSignal = 0, sumBackground = 0;
  for (std::size_t i = 0; i < s.testLabels.size(); ++i) {
    (s.testLabels[i] == 1 ? sumSignal : sumBackground) += s.testWeights[i];
    if (s.testWeights[i] != 1) s.testWeighted = true;
  }
  if (!(sumSignal > 0) || !(sumBackground > 0)) {
    s.amsNote = "The summed test-set weight of a class is not positive (signal " + std::to_string(sumSignal) +
                ", background " + std::to_string(sumBackground) + "): the AMS is undefined.";
    return;
  }
  s.signalYieldFactor = expectedSignal / sumSignal;
  s.backgroundYieldFactor = expectedBackground / sumBackground;
  const std::vector<float> yields =
      metrics::scaleByClass(s.testLabels, s.testWeights, s.signalYieldFactor, s.backgroundYieldFactor);
  for (std::size_t k = 0; k < s.bestItems.size() && k < s.foldTestScores.size(); ++k) {
    const ItemSummary& it = s.items[static_cast<std::size_t>(s.bestItems[k])];
    s.ams.push_back(toAmsCurve(metrics::amsScan(s.foldTestScores[k], s.testLabels, yields, s.amsRegularisation),
                               "fold " + std::to_string(it.fold)));
  }
  s.ams.push_back(toAmsCurve(metrics::amsScan(s.ensembleTestScores, s.testLabels, yields, s.amsRegularisation), "ensemble"));
}

}  // namespace hepsweep::aggregate
