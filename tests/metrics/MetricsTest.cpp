// ROC curve, AUC, working points and confusion matrix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "hepsweep/metrics/Physics.hpp"

using namespace hepsweep;
using namespace hepsweep::metrics;

namespace {

// The definition: weighted probability that a signal event outscores a background event, ties 1/2.
double pairwiseAuc(const std::vector<float>& s, const std::vector<float>& y, const std::vector<float>& w) {
  double num = 0, sw = 0, bw = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double wi = w.empty() ? 1.0 : w[i];
    (y[i] == 1.0f ? sw : bw) += wi;
    if (y[i] != 1.0f) continue;
    for (std::size_t j = 0; j < s.size(); ++j) {
      if (y[j] != 0.0f) continue;
      const double wj = w.empty() ? 1.0 : w[j];
      if (s[i] > s[j]) num += wi * wj;
      else if (s[i] == s[j]) num += 0.5 * wi * wj;
    }
  }
  return num / (sw * bw);
}

struct Sample {
  std::vector<float> scores, labels, weights;
};

// Scores on a coarse grid (many ties, including across classes), signal shifted upwards.
Sample randomSample(std::size_t n, std::uint64_t key, double negativeShare) {
  Sample x;
  for (std::size_t i = 0; i < n; ++i) {
    const bool sig = rng::uniform(key, 3 * i) < 0.4;
    const double raw = rng::uniform(key, 3 * i + 1) + (sig ? 0.3 : 0.0);
    x.scores.push_back(static_cast<float>(std::floor(raw * 12.0) / 12.0));
    x.labels.push_back(sig ? 1.0f : 0.0f);
    const double u = rng::uniform(key, 3 * i + 2);
    x.weights.push_back(static_cast<float>(u < negativeShare ? -0.5 * u : 0.2 + 2.0 * u));
  }
  return x;
}

}  // namespace

// Tie-aware AUC must equal the O(n^2) pairwise definition, unweighted, weighted and with
// negative weights; a tie treated as a win or a loss, or ties split across points, would show.
TEST(Auc, MatchesPairwiseDefinitionWithTiesAndWeights) {
  for (const double neg : {0.0, 0.15}) {
    const Sample x = randomSample(700, neg == 0.0 ? 1 : 2, neg);
    const double unweighted = auc(x.scores, x.labels);
    EXPECT_NEAR(unweighted, pairwiseAuc(x.scores, x.labels, {}), 1e-12);
    const double weighted = auc(x.scores, x.labels, x.weights);
    EXPECT_NEAR(weighted, pairwiseAuc(x.scores, x.labels, x.weights), 1e-12);
    EXPECT_NEAR(auc(rocCurve(x.scores, x.labels, x.weights)), weighted, 1e-15);
  }
}

TEST(Auc, PerfectInvertedAndConstantClassifiers) {
  const std::vector<float> labels{1, 1, 1, 0, 0};
  const std::vector<float> perfect{0.9f, 0.8f, 0.7f, 0.2f, 0.1f};
  const std::vector<float> inverted{0.1f, 0.2f, 0.3f, 0.8f, 0.9f};
  const std::vector<float> constant(5, 0.5f);
  EXPECT_DOUBLE_EQ(auc(perfect, labels), 1.0);
  EXPECT_DOUBLE_EQ(auc(inverted, labels), 0.0);
  EXPECT_DOUBLE_EQ(auc(constant, labels), 0.5);
  const Roc flat = rocCurve(constant, labels);
  EXPECT_EQ(flat.fpr.size(), 2u);  // the start and the single threshold
}

// Hand-built curve: signal {0.9, 0.5, 0.5, 0.1}, background {0.7, 0.5, 0.3, 0.3}.
// Points (fpr, tpr, threshold): (0,0,inf) (0,.25,.9) (.25,.25,.7) (.5,.75,.5) (1,.75,.3) (1,1,.1).
// AUC by counting pairs: (4 + 2*2.5 + 0) / 16 = 0.5625.
class HandBuilt : public ::testing::Test {
 protected:
  std::vector<float> scores{0.9f, 0.5f, 0.5f, 0.1f, 0.7f, 0.5f, 0.3f, 0.3f};
  std::vector<float> labels{1, 1, 1, 1, 0, 0, 0, 0};
  Roc roc = rocCurve(scores, labels);
};

TEST_F(HandBuilt, CurvePoints) {
  const std::vector<double> fpr{0, 0, 0.25, 0.5, 1, 1}, tpr{0, 0.25, 0.25, 0.75, 0.75, 1};
  EXPECT_EQ(roc.fpr, fpr);
  EXPECT_EQ(roc.tpr, tpr);
  ASSERT_EQ(roc.threshold.size(), 6u);
  EXPECT_EQ(roc.threshold[0], std::numeric_limits<double>::infinity());
  EXPECT_EQ(roc.threshold[3], static_cast<double>(0.5f));
  EXPECT_DOUBLE_EQ(auc(roc), 0.5625);
}

// Interpolation between (.25,.25) and (.5,.75) at sig eff .5 gives .375 and threshold .6;
// a lookup of the nearest point instead of interpolating would give .25 or .5.
TEST_F(HandBuilt, BackgroundEfficiencyAndThresholdAtSignalEfficiency) {
  EXPECT_DOUBLE_EQ(bkgEffAtSigEff(roc, 0.5), 0.375);
  EXPECT_NEAR(thresholdAtSigEff(roc, 0.5), 0.6, 1e-7);
  EXPECT_DOUBLE_EQ(bkgEffAtSigEff(roc, 0.25), 0.0);   // reached before any background passes
  EXPECT_DOUBLE_EQ(bkgEffAtSigEff(roc, 0.75), 0.5);   // the tightest cut reaching 75%, not (1, .75)
  EXPECT_DOUBLE_EQ(bkgEffAtSigEff(roc, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(bkgEffAtSigEff(roc, 0.0), 0.0);
  EXPECT_NEAR(thresholdAtSigEff(roc, 0.25), 0.9, 1e-7);
  EXPECT_EQ(thresholdAtSigEff(roc, 0.0), std::numeric_limits<double>::infinity());
  for (const double bad : {-0.1, 1.5, std::nan("")}) {
    try {
      (void)bkgEffAtSigEff(roc, bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Config);
    }
    EXPECT_THROW((void)thresholdAtSigEff(roc, bad), Error);
  }
}

// Confusion at score >= threshold, weighted: a strict > would move the 0.5 events.
TEST_F(HandBuilt, ConfusionWeighted) {
  const std::vector<float> w{1, 2, 3, 4, 10, 20, 30, 40};
  const Confusion c = confusion(scores, labels, w, 0.5);
  EXPECT_DOUBLE_EQ(c.truePositive, 1 + 2 + 3);
  EXPECT_DOUBLE_EQ(c.falseNegative, 4);
  EXPECT_DOUBLE_EQ(c.falsePositive, 10 + 20);
  EXPECT_DOUBLE_EQ(c.trueNegative, 30 + 40);
  EXPECT_DOUBLE_EQ(c.accuracy(), (6.0 + 70.0) / 110.0);
  const Confusion u = confusion(scores, labels, {}, 0.6);
  EXPECT_DOUBLE_EQ(u.truePositive, 1);
  EXPECT_DOUBLE_EQ(u.falsePositive, 1);
  EXPECT_DOUBLE_EQ(u.accuracy(), (1.0 + 3.0) / 8.0);
  EXPECT_TRUE(std::isnan(Confusion{}.accuracy()));
}

// Positive weights: starts at (0,0,+inf), ends at exactly (1,1), both rates non-decreasing,
// thresholds strictly decreasing, one point per distinct score.
TEST(Roc, EndpointsAndMonotonicity) {
  const Sample x = randomSample(2000, 5, 0.0);
  const Roc roc = rocCurve(x.scores, x.labels, x.weights);
  const std::set<float> distinct(x.scores.begin(), x.scores.end());
  ASSERT_EQ(roc.fpr.size(), distinct.size() + 1);
  EXPECT_EQ(roc.fpr.front(), 0.0);
  EXPECT_EQ(roc.tpr.front(), 0.0);
  EXPECT_EQ(roc.fpr.back(), 1.0);
  EXPECT_EQ(roc.tpr.back(), 1.0);
  for (std::size_t i = 1; i < roc.fpr.size(); ++i) {
    EXPECT_GE(roc.fpr[i], roc.fpr[i - 1]);
    EXPECT_GE(roc.tpr[i], roc.tpr[i - 1]);
    EXPECT_LT(roc.threshold[i], roc.threshold[i - 1]);
  }
}

// Negative weights are not clipped: a negative-weight signal event at the top score makes
// the first tpr negative, as the summed weights say.
TEST(Roc, NegativeWeightsReportedAsIs) {
  const std::vector<float> scores{0.9f, 0.8f, 0.7f, 0.1f};
  const std::vector<float> labels{1, 1, 0, 0};
  const std::vector<float> w{-1.0f, 3.0f, 1.0f, 1.0f};
  const Roc roc = rocCurve(scores, labels, w);
  EXPECT_DOUBLE_EQ(roc.tpr[1], -0.5);
  EXPECT_DOUBLE_EQ(roc.tpr[2], 1.0);
  EXPECT_DOUBLE_EQ(roc.tpr.back(), 1.0);
}

TEST(Roc, InvalidInputsAreErrors) {
  const std::vector<float> s{0.1f, 0.2f}, y{1, 0}, oneClass{1, 1}, badLabel{1, 2}, w3{1, 1, 1};
  EXPECT_THROW((void)rocCurve(s, oneClass), Error);
  EXPECT_THROW((void)rocCurve(s, badLabel), Error);
  EXPECT_THROW((void)rocCurve(s, y, w3), Error);
  const std::vector<float> nan{std::nanf(""), 0.2f};
  try {
    (void)auc(nan, y);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("position 0"), std::string::npos) << e.what();
  }
}

// Sanity of the O(n log n) path on a large sample: continuous scores, AUC of a shifted
// distribution within sampling error of the analytic value Phi(shift / sqrt(2)).
TEST(Roc, LargeSampleAgreesWithAnalyticAuc) {
  const std::size_t n = 200000;
  std::vector<float> s(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = i % 2 == 0 ? 1.0f : 0.0f;
    s[i] = static_cast<float>(rng::normal(77, i) + (y[i] == 1.0f ? 1.0 : 0.0));
  }
  const double expected = 0.5 * std::erfc(-1.0 / 2.0);  // Phi(1/sqrt(2))
  EXPECT_NEAR(auc(s, y), expected, 0.005);
}

// Curves of bounded size (result files, summary.h5): on 200,000 events with continuous scores the
// ROC keeps at most 2,000 points, the working points at the configured signal efficiencies
// (interpolated on the curve) and their thresholds are those of the full curve exactly, any other
// efficiency within the curve's resolution, and the AUC of the events (computed without the
// curve) equals the full curve's to the bit. Catches a thinning that drops the points around a
// working point, or an AUC computed on the thinned curve.
TEST(ThinRoc, KeepsWorkingPointsExactAndTheShape) {
  const std::uint64_t key = rng::streamKey(9, rng::Stream::Misc);
  const std::size_t n = 200000;
  std::vector<float> scores(n), labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool sig = rng::uniform(key, 2 * i) < 0.3;
    labels[i] = sig ? 1.0f : 0.0f;
    scores[i] = static_cast<float>(rng::normal(key, 2 * i + 1) + (sig ? 1.2 : 0.0));
  }
  const Roc full = rocCurve(scores, labels);
  ASSERT_GT(full.tpr.size(), 100000u);
  const std::vector<double> wps{0.3, 0.5, 0.8, 0.9, 0.99, 0.999};
  const Roc thin = thinRoc(full, wps, 2000);
  EXPECT_LE(thin.tpr.size(), 2000u);
  EXPECT_GE(thin.tpr.size(), 1000u);  // the budget is used, not a handful of points
  EXPECT_EQ(thin.tpr.front(), 0.0);
  EXPECT_EQ(thin.fpr.back(), 1.0);
  for (const double e : wps) {
    EXPECT_EQ(bkgEffAtSigEff(thin, e), bkgEffAtSigEff(full, e)) << e;
    EXPECT_EQ(thresholdAtSigEff(thin, e), thresholdAtSigEff(full, e)) << e;
  }
  for (double e = 0.01; e < 1.0; e += 0.0137)
    EXPECT_NEAR(bkgEffAtSigEff(thin, e), bkgEffAtSigEff(full, e), 2e-3) << e;
  // The low-background end the rejection plot shows on a log axis is sampled too: the thinned
  // curve reaches background efficiencies within a factor 1.5 of the full curve's smallest.
  double smallest = 1, smallestThin = 1;
  for (const double f : full.fpr)
    if (f > 0) smallest = std::min(smallest, f);
  for (const double f : thin.fpr)
    if (f > 0) smallestThin = std::min(smallestThin, f);
  EXPECT_LE(smallestThin, 1.5 * smallest);
  EXPECT_EQ(auc(scores, labels), auc(full));
}

// Tied scores (a few distinct values) give a short curve: returned whole, unchanged.
TEST(ThinRoc, ShortCurvesComeBackUnchanged) {
  const Sample x = randomSample(50000, rng::streamKey(4, rng::Stream::Misc), 0.0);
  const Roc full = rocCurve(x.scores, x.labels);
  ASSERT_LT(full.tpr.size(), 30u);
  const Roc thin = thinRoc(full, std::vector<double>{0.5}, 2000);
  EXPECT_EQ(thin.tpr, full.tpr);
  EXPECT_EQ(thin.fpr, full.fpr);
  EXPECT_EQ(thin.threshold, full.threshold);
}

// The AMS curve of 100,000 test events kept at 2,000 points: the maximum (its cut, yields and
// value) is the full scan's, and the totals are unchanged. Catches a thinning that loses the best
// cut, which the report marks and `hepsweep train` prints.
TEST(ThinAmsScan, KeepsTheMaximum) {
  const std::uint64_t key = rng::streamKey(12, rng::Stream::Misc);
  const std::size_t n = 100000;
  std::vector<float> scores(n), labels(n), weights(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool sig = rng::uniform(key, 3 * i) < 0.2;
    labels[i] = sig ? 1.0f : 0.0f;
    scores[i] = static_cast<float>(rng::uniform(key, 3 * i + 1) * 0.7 + (sig ? 0.3 : 0.0));
    weights[i] = static_cast<float>(sig ? 0.01 : 0.5 + rng::uniform(key, 3 * i + 2));
  }
  const AmsScan full = amsScan(scores, labels, weights);
  ASSERT_GT(full.ams.size(), 50000u);
  const AmsScan thin = thinAmsScan(full, 2000);
  EXPECT_LE(thin.ams.size(), 2000u);
  EXPECT_EQ(thin.bestAms(), full.bestAms());
  EXPECT_EQ(thin.bestThreshold(), full.bestThreshold());
  EXPECT_EQ(thin.bestSignal(), full.bestSignal());
  EXPECT_EQ(thin.bestBackground(), full.bestBackground());
  EXPECT_EQ(thin.totalSignal, full.totalSignal);
  EXPECT_EQ(thin.threshold.front(), full.threshold.front());
  EXPECT_EQ(thin.threshold.back(), full.threshold.back());
  for (std::size_t i = 1; i < thin.threshold.size(); ++i) ASSERT_LT(thin.threshold[i], thin.threshold[i - 1]);
}

// rocCurve sorts by the bits of the scores (a radix sort): its thresholds must come out in the
// order of the floats for negative and positive scores, zeros of both signs (equal, one point),
// infinities and values that differ in the last bit; checked against a comparison sort.
TEST(Roc, ScoreOrderOverTheWholeFloatRange) {
  std::vector<float> s, y;
  const float specials[] = {-0.0f, 0.0f, -1.0f, 1.0f, 1e-38f, -1e-38f, 1e-45f, -1e-45f, 3e38f, -3e38f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::nextafter(1.0f, 2.0f), std::nextafter(-1.0f, -2.0f)};
  for (std::size_t i = 0; i < 3000; ++i) {
    const double u = rng::uniform(9, 2 * i);
    float v = static_cast<float>((u - 0.5) * std::pow(10.0, 8.0 * rng::uniform(9, 2 * i + 1) - 4.0));
    if (i % 7 == 0) v = specials[i / 7 % (sizeof specials / sizeof *specials)];
    s.push_back(v);
    y.push_back(i % 3 == 0 ? 1.0f : 0.0f);
  }
  std::vector<std::size_t> order(s.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s[a] > s[b]; });
  std::vector<double> thresholds{std::numeric_limits<double>::infinity()}, tpr{0.0};
  double sig = 0;
  for (std::size_t i = 0; i < order.size();) {
    const float t = s[order[i]];
    for (; i < order.size() && s[order[i]] == t; ++i) sig += y[order[i]];
    thresholds.push_back(t);
    tpr.push_back(sig);
  }
  for (double& v : tpr) v /= sig;
  const Roc roc = rocCurve(s, y);
  ASSERT_EQ(roc.threshold.size(), thresholds.size());
  for (std::size_t k = 0; k < thresholds.size(); ++k) {
    EXPECT_EQ(roc.threshold[k], thresholds[k]) << k;
    EXPECT_EQ(roc.tpr[k], tpr[k]) << k;
  }
}
