// The median stopping rule on hand-built learning curves: medians checked by hand (odd and even
// counts), the grace period, the minimum number of completed curves, ties, curves of different
// lengths and non-finite values. Each case would catch the bug it is named for.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/search/EarlyStopping.hpp"

using namespace hepsweep;
using namespace hepsweep::search;

namespace {

EarlyStoppingOptions medianOptions(int grace, int minCompleted) {
  EarlyStoppingOptions o;
  o.rule = StoppingRule::Median;
  o.graceEpochs = grace;
  o.minCompleted = minCompleted;
  return o;
}

using Curve = std::vector<double>;

}  // namespace

// Running best is the prefix minimum (a later, worse epoch does not raise it).
TEST(MedianRule, RunningBestIsPrefixMinimum) {
  const Curve c{0.9, 0.7, 0.8, 0.6, 0.65};
  EXPECT_EQ(runningBest(c), (Curve{0.9, 0.7, 0.7, 0.6, 0.6}));
}

// A NaN epoch must not become the best (NaN compares false with everything).
TEST(MedianRule, NonFiniteValuesCountAsWorst) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Curve c{nan, 0.5, nan};
  const Curve r = runningBest(c);
  EXPECT_TRUE(std::isinf(r[0]) && r[0] > 0);
  EXPECT_EQ(r[1], 0.5);
  EXPECT_EQ(r[2], 0.5);
}

// numpy.median: the middle value, or the mean of the two middle ones; the input order is irrelevant.
TEST(MedianRule, MedianOddAndEvenCounts) {
  EXPECT_DOUBLE_EQ(median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_DOUBLE_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_DOUBLE_EQ(median({5.0}), 5.0);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(median({inf, inf, 1.0, 0.0}), inf);  // not inf - inf
  EXPECT_THROW(median({}), Error);
}

// Hand-checked: completed running bests at epoch 2 are 0.5, 0.6, 0.4 (median 0.5); at epoch 3
// 0.3, 0.6, 0.4 (median 0.4). A curve at 0.55 after 2 epochs is stopped, at 0.45 it is not.
TEST(MedianRule, StopsWhenWorseThanMedianAtThatEpoch) {
  MedianStoppingRule rule(medianOptions(1, 3));
  rule.addCompleted(Curve{0.9, 0.5, 0.3});
  rule.addCompleted(Curve{0.8, 0.6, 0.7});
  rule.addCompleted(Curve{0.7, 0.4, 0.4});
  ASSERT_TRUE(rule.medianAt(2));
  EXPECT_DOUBLE_EQ(*rule.medianAt(2), 0.5);
  EXPECT_DOUBLE_EQ(*rule.medianAt(3), 0.4);

  const StopDecision bad = rule.check(Curve{0.9, 0.55});
  EXPECT_TRUE(bad.stop);
  EXPECT_EQ(bad.epoch, 2);
  EXPECT_DOUBLE_EQ(bad.value, 0.55);
  EXPECT_DOUBLE_EQ(bad.median, 0.5);
  EXPECT_EQ(bad.compared, 3u);

  EXPECT_FALSE(rule.check(Curve{0.9, 0.45}).stop);
  // The running best, not the last value: epoch 3 is bad (0.9) but the best so far (0.35) beats 0.4.
  EXPECT_FALSE(rule.check(Curve{0.35, 0.9, 0.9}).stop);
}

// Equal to the median is not worse: a tie keeps training.
TEST(MedianRule, TieWithMedianIsNotStopped) {
  MedianStoppingRule rule(medianOptions(1, 1));
  rule.addCompleted(Curve{0.5, 0.4});
  EXPECT_FALSE(rule.check(Curve{0.6, 0.4}).stop);
  EXPECT_TRUE(rule.check(Curve{0.6, 0.40000001}).stop);
}

// No stop before grace_epochs epochs, however bad the curve.
TEST(MedianRule, GracePeriod) {
  MedianStoppingRule rule(medianOptions(3, 1));
  rule.addCompleted(Curve{0.1, 0.1, 0.1, 0.1});
  EXPECT_FALSE(rule.check(Curve{9.0}).stop);
  EXPECT_FALSE(rule.check(Curve{9.0, 9.0}).stop);
  EXPECT_EQ(rule.check(Curve{9.0, 9.0}).compared, 0u);  // the rule was not consulted
  EXPECT_TRUE(rule.check(Curve{9.0, 9.0, 9.0}).stop);
}

// Fewer completed curves than min_completed: no median, nothing stopped; one more and it applies.
TEST(MedianRule, MinCompleted) {
  MedianStoppingRule rule(medianOptions(1, 3));
  rule.addCompleted(Curve{0.1, 0.1});
  rule.addCompleted(Curve{0.2, 0.2});
  EXPECT_FALSE(rule.medianAt(1));
  EXPECT_FALSE(rule.check(Curve{5.0, 5.0}).stop);
  rule.addCompleted(Curve{});  // an empty curve is not a completed run
  EXPECT_EQ(rule.completedCount(), 2u);
  EXPECT_FALSE(rule.check(Curve{5.0, 5.0}).stop);
  rule.addCompleted(Curve{0.3, 0.3});
  EXPECT_TRUE(rule.check(Curve{5.0, 5.0}).stop);
}

// A completed curve that ended at epoch 2 counts with its final running best at epoch 4 (it must
// not be dropped, nor read past its end).
TEST(MedianRule, ShorterCompletedCurvesExtendFlat) {
  MedianStoppingRule rule(medianOptions(1, 3));
  rule.addCompleted(Curve{0.9, 0.2});              // at epoch 4: 0.2
  rule.addCompleted(Curve{0.9, 0.8, 0.7, 0.6});    // 0.6
  rule.addCompleted(Curve{0.9, 0.8, 0.7, 0.1});    // 0.1
  EXPECT_DOUBLE_EQ(*rule.medianAt(4), 0.2);
  EXPECT_DOUBLE_EQ(*rule.medianAt(7), 0.2);  // past every curve's end
  EXPECT_TRUE(rule.check(Curve{0.9, 0.9, 0.9, 0.25}).stop);
  EXPECT_FALSE(rule.check(Curve{0.9, 0.9, 0.9, 0.15}).stop);
}

TEST(MedianRule, RejectsBadOptions) {
  EXPECT_THROW(MedianStoppingRule(medianOptions(0, 1)), Error);
  EXPECT_THROW(MedianStoppingRule(medianOptions(1, 0)), Error);
  EXPECT_EQ(earlyStoppingRules(), (std::vector<std::string>{"none", "median", "asha", "hyperband"}));
}
