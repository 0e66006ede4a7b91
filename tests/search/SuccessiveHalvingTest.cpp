// Asynchronous successive halving and Hyperband on hand-built numbers: the rung epochs of each
// bracket (a rung at the maximum is not one), the number of brackets at the exact powers, the
// cutoff (the k-th best with k = max(1, floor(n / eta)), the run's own value counted), ties,
// direction (smaller is better), non-finite values and the bracket of a point. Each case names
// the off-by-one or the wrong direction it would catch.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/search/EarlyStopping.hpp"

using namespace hepsweep;
using namespace hepsweep::search;

namespace {

EarlyStoppingOptions halving(StoppingRule rule, int minEpochs, int eta) {
  EarlyStoppingOptions o;
  o.rule = rule;
  o.minEpochs = minEpochs;
  o.reductionFactor = eta;
  return o;
}

using Values = std::vector<double>;

}  // namespace

// Catches a rung at the maximum epoch (there the run is finished, not judged), a missing first
// rung (r itself), and a geometric step off by one power.
TEST(SuccessiveHalving, RungsAreGeometricBelowTheMaximum) {
  const auto asha = halving(StoppingRule::Asha, 1, 3);
  EXPECT_EQ(rungEpochs(asha, 27, 0), (std::vector<int>{1, 3, 9}));
  EXPECT_EQ(rungEpochs(asha, 28, 0), (std::vector<int>{1, 3, 9, 27}));
  EXPECT_EQ(rungEpochs(halving(StoppingRule::Asha, 2, 2), 20, 0), (std::vector<int>{2, 4, 8, 16}));
  EXPECT_EQ(rungEpochs(halving(StoppingRule::Asha, 5, 3), 5, 0), (std::vector<int>{}));
  EXPECT_EQ(rungEpochs(halving(StoppingRule::Asha, 5, 3), 6, 0), (std::vector<int>{5}));
}

// Catches brackets counted with a rounded logarithm (R = r * eta^s exactly must give s_max = s),
// an extra bracket past s_max, and bracket s starting at the wrong power.
TEST(SuccessiveHalving, HyperbandBracketsAndTheirRungs) {
  const auto hb = halving(StoppingRule::Hyperband, 1, 3);
  EXPECT_EQ(haltingBrackets(hb, 27), 4);  // s_max = 3: 27 = 3^3
  EXPECT_EQ(haltingBrackets(hb, 26), 3);
  EXPECT_EQ(haltingBrackets(hb, 1), 1);
  EXPECT_EQ(haltingBrackets(halving(StoppingRule::Hyperband, 2, 2), 16), 4);  // 2, 4, 8, 16
  EXPECT_EQ(haltingBrackets(halving(StoppingRule::Asha, 1, 3), 27), 1);        // asha: one bracket
  EXPECT_EQ(rungEpochs(hb, 27, 0), (std::vector<int>{1, 3, 9}));
  EXPECT_EQ(rungEpochs(hb, 27, 1), (std::vector<int>{3, 9}));
  EXPECT_EQ(rungEpochs(hb, 27, 2), (std::vector<int>{9}));
  EXPECT_EQ(rungEpochs(hb, 27, 3), (std::vector<int>{}));  // the last bracket trains every run fully
}

// Catches a bracket assignment other than point mod brackets (e.g. by item id or at random).
TEST(SuccessiveHalving, PointsCycleThroughTheBrackets) {
  std::vector<int> got;
  for (std::int64_t p = 0; p < 7; ++p) got.push_back(bracketOf(p, 3));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(bracketOf(5, 1), 0);
  EXPECT_THROW(bracketOf(0, 0), Error);
}

// The first run at a rung has nothing to lose to; the second continues only if it is at least as
// good as the first (k = max(1, floor(2/3)) = 1). Catches a cutoff taken without the run's own
// value, and the wrong direction (keeping the larger value).
TEST(SuccessiveHalving, FirstArrivalsContinueAndSmallerIsBetter) {
  RungDecision d = rungDecision(3, 0.5, Values{}, 3);
  EXPECT_FALSE(d.stop);
  EXPECT_EQ(d.compared, 1u);
  EXPECT_EQ(d.epoch, 3);
  EXPECT_DOUBLE_EQ(d.cutoff, 0.5);
  d = rungDecision(3, 0.6, Values{0.5}, 3);
  EXPECT_TRUE(d.stop);
  EXPECT_DOUBLE_EQ(d.cutoff, 0.5);
  EXPECT_EQ(d.compared, 2u);
  EXPECT_FALSE(rungDecision(3, 0.4, Values{0.5}, 3).stop);
}

// k = floor(n / eta): with eta = 3, n = 5 keeps 1, n = 6 keeps 2, n = 9 keeps 3. Catches
// ceil instead of floor, n counted without the run itself, and the k-th taken from the wrong end.
TEST(SuccessiveHalving, CutoffIsTheKthBest) {
  // n = 5, k = 1: only the best continues.
  RungDecision d = rungDecision(1, 0.2, Values{0.1, 0.3, 0.4, 0.5}, 3);
  EXPECT_TRUE(d.stop);
  EXPECT_DOUBLE_EQ(d.cutoff, 0.1);
  EXPECT_EQ(d.compared, 5u);
  // n = 6, k = 2: the second best continues, the third does not.
  d = rungDecision(1, 0.2, Values{0.1, 0.3, 0.4, 0.5, 0.6}, 3);
  EXPECT_FALSE(d.stop);
  EXPECT_DOUBLE_EQ(d.cutoff, 0.2);
  d = rungDecision(1, 0.3, Values{0.1, 0.2, 0.4, 0.5, 0.6}, 3);
  EXPECT_TRUE(d.stop);
  EXPECT_DOUBLE_EQ(d.cutoff, 0.2);
  // n = 9, k = 3, given in no particular order.
  d = rungDecision(1, 0.35, Values{0.9, 0.1, 0.8, 0.3, 0.7, 0.2, 0.6, 0.5}, 3);
  EXPECT_TRUE(d.stop);
  EXPECT_DOUBLE_EQ(d.cutoff, 0.3);
  EXPECT_FALSE(rungDecision(1, 0.25, Values{0.9, 0.1, 0.8, 0.3, 0.7, 0.2, 0.6, 0.5}, 3).stop);
  // eta = 2, n = 4: the better half continues.
  EXPECT_FALSE(rungDecision(1, 0.2, Values{0.1, 0.3, 0.4}, 2).stop);
  EXPECT_TRUE(rungDecision(1, 0.3, Values{0.1, 0.2, 0.4}, 2).stop);
}

// A tie with the cutoff continues (stopping is strictly worse). Catches >= instead of >.
TEST(SuccessiveHalving, TiesWithTheCutoffContinue) {
  const RungDecision d = rungDecision(9, 0.3, Values{0.3, 0.3, 0.5}, 3);
  EXPECT_FALSE(d.stop);
  EXPECT_DOUBLE_EQ(d.cutoff, 0.3);
  EXPECT_TRUE(rungDecision(9, 0.3000001, Values{0.3, 0.3, 0.5}, 3).stop);
}

// NaN and infinities are the worst values: a NaN run is stopped, a NaN peer never sets the cutoff.
TEST(SuccessiveHalving, NonFiniteValuesAreWorst) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(rungDecision(1, nan, Values{0.5}, 2).stop);
  EXPECT_TRUE(std::isinf(rungDecision(1, nan, Values{0.5}, 2).value));
  EXPECT_FALSE(rungDecision(1, 0.9, Values{nan, nan, nan}, 2).stop);  // k = 2 of {0.9, inf, inf, inf}
  EXPECT_DOUBLE_EQ(rungDecision(1, 0.9, Values{nan, nan, nan}, 2).cutoff, std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(rungDecision(1, 0.9, Values{nan, 0.1, nan}, 4).cutoff, 0.1);
}

TEST(SuccessiveHalving, RejectsBadOptions) {
  EXPECT_THROW(rungEpochs(halving(StoppingRule::Asha, 0, 3), 10, 0), Error);
  EXPECT_THROW(rungEpochs(halving(StoppingRule::Asha, 1, 1), 10, 0), Error);
  EXPECT_THROW(haltingBrackets(halving(StoppingRule::Hyperband, 1, 3), 0), Error);
  EXPECT_THROW(rungDecision(1, 0.1, Values{}, 1), Error);
}

// Rung peers (what the campaign and the simulator compare an item with): 3 folds, items 0 and 3 are
// fold 0 of points 0 and 1. With one bracket they are peers; with two, points 0 and 1 fall in
// brackets 0 and 1 and are not, while point 2 (item 6) shares point 0's bracket. Another fold
// (item 4) is never a peer. Catches a comparison across folds or across brackets.
TEST(SuccessiveHalving, RungPeersShareFoldAndBracket) {
  EXPECT_TRUE(rungPeers(0, 3, 3, 1));
  EXPECT_FALSE(rungPeers(0, 4, 3, 1));
  EXPECT_FALSE(rungPeers(0, 3, 3, 2));
  EXPECT_TRUE(rungPeers(0, 6, 3, 2));
  EXPECT_FALSE(rungPeers(1, 6, 3, 2));
}
