// Physics metrics (metrics/Physics.hpp): separation, weighted moments and correlation, AMS and
// the AMS-maximising cut, each against numbers computed by hand (in the comments) or by an
// independent brute-force formula in the test.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/metrics/Physics.hpp"

using namespace hepsweep;
using namespace hepsweep::metrics;

namespace {

// The HiggsML challenge's own formula (its starting kit, AMS(s, b) with b_r = 10), written out
// independently of the library.
double higgsMlAms(double s, double b) {
  const double br = 10.0;
  return std::sqrt(2.0 * ((s + b + br) * std::log(1.0 + s / (b + br)) - s));
}

}  // namespace

// Two bins, signal (3, 1), background (1, 3) -> fractions (.75,.25) vs (.25,.75):
// 1/2 * [(.5)^2/1 + (.5)^2/1] = 0.25. Catches a missing 1/2, unnormalised histograms or a
// squared-denominator typo.
TEST(Separation, TwoBinHandComputed) {
  const std::vector<double> s{3, 1}, b{1, 3};
  EXPECT_NEAR(separation(std::span<const double>(s), std::span<const double>(b)), 0.25, 1e-15);
  // Normalisation: scaling one histogram changes nothing.
  const std::vector<double> b10{10, 30};
  EXPECT_NEAR(separation(std::span<const double>(s), std::span<const double>(b10)), 0.25, 1e-15);
}

// Values 0 and 1 binned into 2 bins over [0, 1]: signal events at 0,0,0,1, background at 0,1,1,1
// -> the 2-bin case above. Disjoint values give 1; identical distributions give 0.
TEST(Separation, FromValuesBinsOverCommonRange) {
  const std::vector<float> v{0, 0, 0, 1, 0, 1, 1, 1}, y{1, 1, 1, 1, 0, 0, 0, 0};
  EXPECT_NEAR(separation(v, y, {}, 2), 0.25, 1e-15);
  const std::vector<float> disjoint{0, 0.1f, 0.2f, 0.3f, 5, 6, 7, 8};
  EXPECT_NEAR(separation(disjoint, y, {}, 40), 1.0, 1e-15);
  const std::vector<float> same{1, 2, 3, 4, 1, 2, 3, 4};
  EXPECT_NEAR(separation(same, y, {}, 4), 0.0, 1e-15);
}

// Weights: signal 0 with weight 3, signal 1 with weight 1 equals three unit events at 0.
TEST(Separation, WeightsCountAsEvents) {
  const std::vector<float> v{0, 1, 0, 1}, y{1, 1, 0, 0}, w{3, 1, 1, 3};
  EXPECT_NEAR(separation(v, y, w, 2), 0.25, 1e-15);
}

// Negative weights: signal at 0 (w 2), 0 (w -1), 1 (w 1) -> signal histogram (1, 1);
// background (1, 3). Fractions (.5,.5) vs (.25,.75): 1/2[(.25^2)/.75 + (.25^2)/1.25] = 1/15.
// A bin with s + b <= 0 is skipped: signal (-1, 2), background (1, 1) -> fractions (-1, 2) and
// (.5,.5); bin 0 has -0.5 <= 0 and is skipped, bin 1: (1.5^2)/2.5 = 0.9, times 1/2 = 0.45.
TEST(Separation, NegativeWeightsHandComputed) {
  const std::vector<float> v{0, 0, 1, 0, 1}, y{1, 1, 1, 0, 0}, w{2, -1, 1, 1, 3};
  EXPECT_NEAR(separation(v, y, w, 2), 1.0 / 15.0, 1e-12);
  const std::vector<double> s{-1, 2}, b{1, 1};
  EXPECT_NEAR(separation(std::span<const double>(s), std::span<const double>(b)), 0.45, 1e-12);
}

// TMVA's range: the weighted mean +- 8 RMS of both classes cuts an outlier off. Signal 0 (w 1),
// 1 (w 1); background 0 (w 1), 1 (w 3), 100 (w 0.0004): mean 4.04/6.0004 = 0.6733, RMS 0.938,
// so the top is min(100, 0.6733 + 8 x 0.938 = 8.18), widened by one bin (20 bins: width 0.43).
// 0 falls in bin 0, 1 in bin 2; the outlier in no bin and not in the normalisation: signal
// (.5, .5), background (.25, .75) -> 1/2[(.25^2)/.75 + (.25^2)/1.25] = 1/15. Without the cut, 0 and
// 1 share a bin (separation ~5e-5); normalising by the sum including the outlier moves the
// result by ~1e-5.
TEST(Separation, TmvaRangeCutsAtEightRms) {
  const std::vector<float> v{0, 1, 0, 1, 100}, y{1, 1, 0, 0, 0}, w{1, 1, 1, 3, 0.0004f};
  const SeparationHistograms h = separationHistograms(v, y, w, 20);
  EXPECT_FALSE(h.integer);
  EXPECT_EQ(h.low, 0.0);
  EXPECT_GT(h.high, 8.5);
  EXPECT_LT(h.high, 8.7);
  ASSERT_EQ(h.signal.size(), 20u);
  EXPECT_EQ(h.signal[0], 1.0);
  EXPECT_EQ(h.signal[2], 1.0);
  EXPECT_EQ(h.background[0], 1.0);
  EXPECT_EQ(h.background[2], 3.0);
  double sumB = 0;
  for (double x : h.background) sumB += x;
  EXPECT_EQ(sumB, 4.0);  // the outlier is in no bin
  EXPECT_EQ(h.filledBins(), 2u);
  EXPECT_NEAR(separation(v, y, w, 20), 1.0 / 15.0, 1e-12);
}

// The top of the range is widened by one bin width so that the maximum is inside: signal 0.25,
// 1.5; background 0.25, 0.25; 2 bins over [0.25, 1.5 + 1.25/2): s (.5, .5), b (1, 0) ->
// 1/2[(.5^2)/1.5 + (.5^2)/.5] = 1/3. Without the margin 1.5 would fall out and give 0.
TEST(Separation, MaximumFallsInsideTheRange) {
  const std::vector<float> v{0.25f, 1.5f, 0.25f, 0.25f}, y{1, 1, 0, 0};
  const SeparationHistograms h = separationHistograms(v, y, {}, 2);
  EXPECT_EQ(h.low, 0.25);
  EXPECT_EQ(h.high, 2.125);
  EXPECT_NEAR(separation(v, y, {}, 2), 1.0 / 3.0, 1e-15);
}

// Integer-valued columns spanning at most 2 x bins integers get one bin per integer over
// [min, max + 1), as TMVA bins a variable declared 'I'. Signal 0, 0, 1, 2; background 1, 2, 3, 3
// with bins = 2: integer bins give s (.5, .25, .25, 0), b (0, .25, .25, .5) -> 1/2(.25/.5 + .25/.5)
// = 0.5; two float bins would give 1/3. A wider integer span (0 and 10: 11 > 4) keeps the float
// binning.
TEST(Separation, IntegerColumnsGetOneBinPerValue) {
  const std::vector<float> v{0, 0, 1, 2, 1, 2, 3, 3}, y{1, 1, 1, 1, 0, 0, 0, 0};
  const SeparationHistograms h = separationHistograms(v, y, {}, 2);
  EXPECT_TRUE(h.integer);
  EXPECT_EQ(h.low, 0.0);
  EXPECT_EQ(h.high, 4.0);
  EXPECT_EQ(h.signal.size(), 4u);
  EXPECT_NEAR(separation(v, y, {}, 2), 0.5, 1e-15);
  const std::vector<float> wide{0, 10, 0, 10}, y2{1, 1, 0, 0};
  const SeparationHistograms hw = separationHistograms(wide, y2, {}, 2);
  EXPECT_FALSE(hw.integer);
  EXPECT_EQ(hw.signal.size(), 2u);
}

TEST(Separation, NeedsBothClasses) {
  const std::vector<float> v{1, 2}, y{1, 1};
  EXPECT_THROW(separation(v, y), Error);
}

// x = (1,2,3), w = (1,1,2): sum w = 4, mean = (1+2+6)/4 = 2.25,
// var = (1.5625 + 0.0625 + 2*0.5625)/4 = 2.75/4 = 0.6875.
TEST(Moments, WeightedHandComputed) {
  const std::vector<float> x{1, 2, 3}, w{1, 1, 2};
  const Moments m = weightedMoments(x, w);
  EXPECT_DOUBLE_EQ(m.sumWeights, 4.0);
  EXPECT_DOUBLE_EQ(m.mean, 2.25);
  EXPECT_NEAR(m.std, std::sqrt(0.6875), 1e-15);
  EXPECT_EQ(m.min, 1.0);
  EXPECT_EQ(m.max, 3.0);
}

// Large offset (1e6 + {0, 1}): the naive E[x^2] - E[x]^2 in float would give garbage; exact 0.5.
TEST(Moments, LargeOffsetKeepsPrecision) {
  const std::vector<float> x{1e6f, 1e6f + 1};
  EXPECT_NEAR(weightedMoments(x).std, 0.5, 1e-12);
}

// Negative weights: x = (0, 1, 2), w = (2, -1, 1): sum 2, mean (0 - 1 + 2)/2 = 0.5,
// var = (2*0.25 - 1*0.25 + 1*2.25)/2 = 2.5/2 = 1.25. A negative variance gives NaN:
// x = (0, 1), w = (1, -0.5): sum .5, mean -1, var = (1*1 - .5*4)/.5 = -2.
TEST(Moments, NegativeWeightsHandComputed) {
  const std::vector<float> x{0, 1, 2}, w{2, -1, 1};
  const Moments m = weightedMoments(x, w);
  EXPECT_DOUBLE_EQ(m.mean, 0.5);
  EXPECT_NEAR(m.std, std::sqrt(1.25), 1e-15);
  const std::vector<float> x2{0, 1}, w2{1, -0.5f};
  EXPECT_TRUE(std::isnan(weightedMoments(x2, w2).std));
}

// x = (1,2,3), y = (1,3,2) unweighted: r = 0.5 (cov 0.5/… by hand: dx=(-1,0,1), dy=(-1,1,0),
// sum dxdy = 1, sum dx^2 = 2, sum dy^2 = 2 -> 1/2). Weighting the last point by 2:
// mean x = 9/4, mean y = 8/4 = 2; dx = (-1.25,-.25,.75), dy = (-1,1,0);
// cxy = 1.25 - .25 + 0 = 1; cxx = 1.5625 + .0625 + 2*.5625 = 2.75; cyy = 1 + 1 + 0 = 2
// -> r = 1/sqrt(5.5).
TEST(Correlation, WeightedHandComputed) {
  const std::vector<float> x{1, 2, 3}, y{1, 3, 2}, w{1, 1, 2};
  EXPECT_NEAR(weightedCorrelation(x, y), 0.5, 1e-15);
  EXPECT_NEAR(weightedCorrelation(x, y, w), 1.0 / std::sqrt(5.5), 1e-15);
  const std::vector<float> neg{-2, -4, -6};
  EXPECT_DOUBLE_EQ(weightedCorrelation(x, neg), -1.0);
  const std::vector<float> constant{5, 5, 5};
  EXPECT_TRUE(std::isnan(weightedCorrelation(x, constant)));
}

// Known counts against the HiggsML formula, including the b_r = 0 limit sqrt(2((s+b)ln(1+s/b)-s))
// and the small-s/b limit s/sqrt(b).
TEST(Ams, MatchesHiggsMlFormula) {
  for (const auto& [s, b] : std::vector<std::pair<double, double>>{{10, 100}, {500, 12000}, {1, 0.5}, {250, 2}})
    EXPECT_NEAR(ams(s, b), higgsMlAms(s, b), 1e-12) << s << " " << b;
  // s = 10, b = 100, b_r = 10: 2*(120 ln(12/11) - 10) = 2*(120*0.0870113769896297 - 10)
  // = 0.88273048... -> 0.93953738...
  EXPECT_NEAR(ams(10, 100), std::sqrt(2 * (120 * std::log(12.0 / 11.0) - 10)), 1e-12);
  EXPECT_NEAR(ams(10, 100), 0.9395374, 1e-6);
  EXPECT_NEAR(ams(1, 1e8, 0), 1.0 / std::sqrt(1e8), 1e-9);
  EXPECT_DOUBLE_EQ(sOverSqrtB(10, 25), 2.0);
  EXPECT_EQ(ams(0, 5), 0.0);
  EXPECT_EQ(ams(-3, 5), 0.0);  // a deficit is no evidence for signal
  EXPECT_TRUE(std::isnan(ams(1, -20)));
  EXPECT_TRUE(std::isnan(sOverSqrtB(1, 0)));
}

// Constructed case: scores and weights chosen so that the AMS peaks at a middle threshold.
// Signal: 0.9 (w 5), 0.8 (w 5), 0.3 (w 5); background: 0.85 (w 1), 0.5 (w 50), 0.2 (w 100).
// Cuts from the top: >=0.9: s 5 b 0; >=0.85: s 5 b 1; >=0.8: s 10 b 1; >=0.5: s 10 b 51;
// >=0.3: s 15 b 51; >=0.2: s 15 b 151. The best is >= 0.8 (s 10, b 1).
TEST(AmsScan, FindsTheMaximisingCut) {
  const std::vector<float> sc{0.9f, 0.8f, 0.3f, 0.85f, 0.5f, 0.2f}, y{1, 1, 1, 0, 0, 0}, w{5, 5, 5, 1, 50, 100};
  const AmsScan scan = amsScan(sc, y, w);
  ASSERT_EQ(scan.threshold.size(), 6u);
  const std::vector<double> s{5, 5, 10, 10, 15, 15}, b{0, 1, 1, 51, 51, 151};
  double best = -1;
  std::size_t bestIndex = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_DOUBLE_EQ(scan.signal[i], s[i]);
    EXPECT_DOUBLE_EQ(scan.background[i], b[i]);
    EXPECT_NEAR(scan.ams[i], higgsMlAms(s[i], b[i]), 1e-12);
    if (higgsMlAms(s[i], b[i]) > best) best = higgsMlAms(s[i], b[i]), bestIndex = i;
  }
  EXPECT_EQ(bestIndex, 2u);
  EXPECT_EQ(scan.best, 2u);
  EXPECT_FLOAT_EQ(static_cast<float>(scan.bestThreshold()), 0.8f);
  EXPECT_DOUBLE_EQ(scan.bestSignal(), 10.0);
  EXPECT_DOUBLE_EQ(scan.bestBackground(), 1.0);
  EXPECT_DOUBLE_EQ(scan.signalEfficiency(), 10.0 / 15.0);
  EXPECT_DOUBLE_EQ(scan.backgroundEfficiency(), 1.0 / 151.0);
  EXPECT_DOUBLE_EQ(scan.totalSignal, 15.0);
  EXPECT_DOUBLE_EQ(scan.totalBackground, 151.0);
}

// Ties: events sharing a score are cut together (no threshold separates them), so the scan has
// one point per distinct score.
TEST(AmsScan, TiedScoresFormOnePoint) {
  const std::vector<float> sc{0.7f, 0.7f, 0.7f, 0.1f}, y{1, 0, 1, 0};
  const AmsScan scan = amsScan(sc, y, {});
  ASSERT_EQ(scan.threshold.size(), 2u);
  EXPECT_DOUBLE_EQ(scan.signal[0], 2.0);
  EXPECT_DOUBLE_EQ(scan.background[0], 1.0);
}

// Negative weights: signal 0.9 (w 4), 0.6 (w -3), 0.5 (w 2); background 0.7 (w 1), 0.1 (w 10).
// Cuts: >=0.9 s 4 b 0; >=0.7 s 4 b 1; >=0.6 s 1 b 1; >=0.5 s 3 b 1; >=0.1 s 3 b 11.
// The negative weight lowers s at 0.6, so the best is the tightest cut (s 4, b 0), and the
// signal efficiency there is 4/3 > 1: nothing is clipped.
TEST(AmsScan, NegativeWeightsHandComputed) {
  const std::vector<float> sc{0.9f, 0.6f, 0.5f, 0.7f, 0.1f}, y{1, 1, 1, 0, 0}, w{4, -3, 2, 1, 10};
  const AmsScan scan = amsScan(sc, y, w);
  const std::vector<double> s{4, 4, 1, 3, 3}, b{0, 1, 1, 1, 11};
  ASSERT_EQ(scan.signal.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(scan.signal[i], s[i]);
    EXPECT_DOUBLE_EQ(scan.background[i], b[i]);
  }
  EXPECT_EQ(scan.best, 0u);
  EXPECT_NEAR(scan.bestAms(), higgsMlAms(4, 0), 1e-12);
  EXPECT_DOUBLE_EQ(scan.signalEfficiency(), 4.0 / 3.0);
}

// Equal AMS at two cuts: the tightest wins (the documented tie rule). A zero-weight signal event
// at 0.5 adds nothing, so >= 0.9 and >= 0.5 both have s 5, b 0; taking the last maximum instead
// of the first would pick 0.5.
TEST(AmsScan, TiesGoToTheTightestCut) {
  const std::vector<float> sc{0.9f, 0.5f, 0.1f}, y{1, 1, 0}, w{5, 0, 5};
  const AmsScan scan = amsScan(sc, y, w);
  ASSERT_EQ(scan.ams.size(), 3u);
  EXPECT_EQ(scan.ams[0], scan.ams[1]);
  EXPECT_EQ(scan.best, 0u);
  EXPECT_FLOAT_EQ(static_cast<float>(scan.bestThreshold()), 0.9f);
}

// The objective text "bkg_eff@sig_eff=X": X strictly inside (0, 1), a plain decimal and nothing
// else; everything else is not this objective (the campaign then names the allowed values).
TEST(BkgEffObjective, ParsesOnlyPlainEfficienciesInsideZeroOne) {
  EXPECT_EQ(parseBkgEffObjective("bkg_eff@sig_eff=0.8"), 0.8);
  EXPECT_EQ(parseBkgEffObjective("bkg_eff@sig_eff=.5"), 0.5);
  EXPECT_EQ(parseBkgEffObjective("bkg_eff@sig_eff=5e-1"), 0.5);
  for (const char* bad : {"bkg_eff@sig_eff=", "bkg_eff@sig_eff=0", "bkg_eff@sig_eff=1", "bkg_eff@sig_eff=1.5",
                          "bkg_eff@sig_eff=-0.2", "bkg_eff@sig_eff=abc", "bkg_eff@sig_eff=0.8x",
                          "bkg_eff@sig_eff= 0.8", "bkg_eff@sig_eff=0.8 ", "bkg_eff@sig_eff=+0.8",
                          "bkg_eff@sig_eff=nan", "bkg_eff@sig_eff=0x0.8", "bkg_eff@sig=0.8", "val_loss", "ams", ""})
    EXPECT_FALSE(parseBkgEffObjective(bad).has_value()) << bad;
}

TEST(AmsScan, RejectsBadInput) {
  const std::vector<float> sc{0.5f, 0.4f}, y{1, 1};
  EXPECT_THROW(amsScan(sc, y, {}), Error);  // no background
  const std::vector<float> y2{1, 2};
  EXPECT_THROW(amsScan(sc, y2, {}), Error);
  const std::vector<float> nan{std::nanf(""), 0.4f}, y3{1, 0};
  EXPECT_THROW(amsScan(nan, y3, {}), Error);
}

// bestAms (the validation AMS, whose curve is not stored) equals amsScan(...).bestAms() to the bit:
// on scores with many ties, float weights of different magnitudes (negative ones too) and several
// regularisations. Catches a walk that sums a tie group's weights in another order, or that
// compares against another starting maximum.
TEST(AmsScan, BestAmsEqualsTheScansMaximumBitForBit) {
  hepsweep::rng::CounterRng r(17);
  for (const int distinct : {3, 50, 5000}) {
    std::vector<float> scores(20000), labels(20000), weights(20000);
    for (std::size_t i = 0; i < scores.size(); ++i) {
      scores[i] = static_cast<float>(r.below(static_cast<std::uint64_t>(distinct))) / static_cast<float>(distinct);
      labels[i] = r.below(3) == 0 ? 1.0f : 0.0f;
      weights[i] = static_cast<float>(r.uniform() * std::pow(10.0, static_cast<double>(r.below(6))) - (r.below(20) == 0 ? 5.0 : 0.0));
    }
    for (const double br : {0.0, 10.0, 1e3}) {
      const double full = hepsweep::metrics::amsScan(scores, labels, weights, br).bestAms();
      const double best = hepsweep::metrics::bestAms(scores, labels, weights, br);
      EXPECT_EQ(std::memcmp(&full, &best, sizeof full), 0) << distinct << " distinct scores, b_r " << br << ": " << full << " vs " << best;
    }
  }
}
