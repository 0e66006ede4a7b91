// The racing rule on constructed fold objectives (pure numbers, no training): where its boundary
// lies, that it waits for a spread and a complete point, and that it keeps the better point for
// objectives where higher is better once they are stored as the campaign stores them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <optional>

#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/Racing.hpp"

using namespace hepsweep;
using search::RacePoint;

namespace {

search::RacingOptions on(double z = 1.645, int minFolds = 1) {
  search::RacingOptions o;
  o.enabled = true;
  o.z = z;
  o.minFolds = minFolds;
  return o;
}

}  // namespace

TEST(Racing, PooledSpreadWeighsPointsByTheirDegreesOfFreedom) {
  // Point 0: folds 1, 3 (squares 2, 1 degree); point 1: 2, 4, 6 (squares 8, 2 degrees);
  // point 2 has one fold and adds nothing. Pooled variance (2 + 8) / 3.
  const std::vector<RacePoint> points{{{1, 3}}, {{2, 4, 6}}, {{9}}};
  const auto r = search::raceReference(points, 3);
  ASSERT_TRUE(r.spread.has_value());
  EXPECT_NEAR(*r.spread, std::sqrt(10.0 / 3.0), 1e-12);
  EXPECT_EQ(r.spreadDegrees, 3);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_DOUBLE_EQ(*r.best, 4.0);  // only point 1 is complete (3 folds)
}

TEST(Racing, FailedPointsAreNeitherReferenceNorSpread) {
  const std::vector<RacePoint> points{{{0.1, 0.1, 0.1}, true}, {{0.5, 0.7, 0.6}}};
  const auto r = search::raceReference(points, 3);
  EXPECT_DOUBLE_EQ(*r.best, 0.6);
  EXPECT_NEAR(*r.spread, 0.1, 1e-12);
}

TEST(Racing, EliminationBoundaryIsMeanMinusZTimesStandardError) {
  // Best complete mean 0.5, pooled spread 0.1 (from the complete point's folds 0.4, 0.5, 0.6).
  const std::vector<RacePoint> reference{{{0.4, 0.5, 0.6}}};
  const auto r = search::raceReference(reference, 3);
  ASSERT_NEAR(*r.spread, 0.1, 1e-12);
  const double z = 2.0;
  // One fold: raced out iff m - 2 * 0.1 > 0.5, i.e. m > 0.7.
  EXPECT_FALSE(search::raceOut({{0.6999}}, r, 3, on(z)).has_value());
  EXPECT_FALSE(search::raceOut({{0.7}}, r, 3, on(z)).has_value()) << "a tie with the best stays in the race";
  const auto out = search::raceOut({{0.7001}}, r, 3, on(z));
  ASSERT_TRUE(out.has_value());
  EXPECT_NEAR(out->bound, 0.7001 - 0.2, 1e-12);
  EXPECT_EQ(out->foldsTrained, 1);
  EXPECT_DOUBLE_EQ(out->best, 0.5);
  // Two folds: the standard error shrinks by sqrt(2), so a mean of 0.66 is out (0.66 - 0.1414 > 0.5)
  // though it would survive with one fold.
  EXPECT_FALSE(search::raceOut({{0.66}}, r, 3, on(z)).has_value());
  EXPECT_TRUE(search::raceOut({{0.62, 0.70}}, r, 3, on(z)).has_value());
  // A better point is never raced out, however large z is or small.
  EXPECT_FALSE(search::raceOut({{0.3}}, r, 3, on(0.0)).has_value());
  EXPECT_TRUE(search::raceOut({{0.5001}}, r, 3, on(0.0)).has_value());
}

TEST(Racing, NothingIsRacedOutBeforeTheSpreadOrABestPointIsKnown) {
  // Complete point but one fold per point (k = 1 is never raced; here k = 3 with one fold each): no spread.
  const std::vector<RacePoint> single{{{0.1}}, {{0.2}}};
  const auto noSpread = search::raceReference(single, 3);
  EXPECT_FALSE(noSpread.spread.has_value());
  EXPECT_FALSE(search::raceOut({{10.0}}, noSpread, 3, on()).has_value());
  // A spread, but no point complete yet.
  const std::vector<RacePoint> partial{{{0.1, 0.2}}};
  const auto noBest = search::raceReference(partial, 3);
  EXPECT_TRUE(noBest.spread.has_value());
  EXPECT_FALSE(noBest.best.has_value());
  EXPECT_FALSE(search::raceOut({{10.0}}, noBest, 3, on()).has_value());
}

TEST(Racing, MinFoldsDisabledCompleteAndFailedPointsStay) {
  const std::vector<RacePoint> reference{{{0.4, 0.5, 0.6}}};
  const auto r = search::raceReference(reference, 3);
  EXPECT_FALSE(search::raceOut({{5.0}}, r, 3, on(1.645, 2)).has_value()) << "min_folds = 2 spares the first fold";
  EXPECT_TRUE(search::raceOut({{5.0, 5.0}}, r, 3, on(1.645, 2)).has_value());
  search::RacingOptions off = on();
  off.enabled = false;
  EXPECT_FALSE(search::raceOut({{5.0}}, r, 3, off).has_value());
  EXPECT_FALSE(search::raceOut({{5.0, 5.0, 5.0}}, r, 3, on()).has_value()) << "complete points are not raced";
  EXPECT_FALSE(search::raceOut({{5.0}, true}, r, 3, on()).has_value()) << "failed points are not raced";
  EXPECT_FALSE(search::raceOut({{NAN}}, r, 3, on()).has_value());
}

// The rule minimises stored objectives: for val_auc that is 1 - AUC. A point with a clearly
// higher AUC than the best complete point must stay; one with a clearly lower AUC must go. A sign
// error (racing on the AUC itself) would swap the two.
TEST(Racing, DirectionFollowsTheStoredObjective) {
  const auto auc = *metrics::Objective::parse("val_auc");
  const auto loss = *metrics::Objective::parse("val_loss");
  const auto nan = [](double) { return NAN; };
  const auto storedAuc = [&](double a) { return auc.compute(NAN, a, NAN, nan); };
  const auto storedLoss = [&](double l) { return loss.compute(l, NAN, NAN, nan); };

  const std::vector<RacePoint> aucRef{{{storedAuc(0.90), storedAuc(0.91), storedAuc(0.92)}}};
  const auto ra = search::raceReference(aucRef, 3);
  EXPECT_TRUE(search::raceOut({{storedAuc(0.70)}}, ra, 3, on()).has_value()) << "a much worse AUC is raced out";
  EXPECT_FALSE(search::raceOut({{storedAuc(0.99)}}, ra, 3, on()).has_value()) << "a better AUC stays";

  const std::vector<RacePoint> lossRef{{{storedLoss(0.30), storedLoss(0.31), storedLoss(0.32)}}};
  const auto rl = search::raceReference(lossRef, 3);
  EXPECT_TRUE(search::raceOut({{storedLoss(0.60)}}, rl, 3, on()).has_value()) << "a much larger loss is raced out";
  EXPECT_FALSE(search::raceOut({{storedLoss(0.10)}}, rl, 3, on()).has_value()) << "a smaller loss stays";
}

using search::claimRaceItem;
using search::ItemOutcome;
using search::ItemResults;
using search::RaceClaim;
using search::RacingOptions;

// The racing hand-out the campaign and the simulator share, on 2 points x 3 folds. Point 0 is
// complete with folds {1, 1.2, 0.8} (best mean 1, spread 0.2); point 1's fold 0 (5) is finished,
// fold 1 is next: its bound 5 - 1.645 * 0.2 > 1 raced it out (folds 1 and 2, one action), and with
// nothing else to hand out and nothing in flight the claim is None. Without point 1's fold 0, its
// fold 1 waits while fold 0 trains (Wait), and a fresh point's fold 0 goes out (Item).
TEST(Racing, ClaimHandsOutFoldsInOrderAndRacesOutBeforeTheNextFold) {
  std::map<std::int64_t, double> done{{0, 1.0}, {1, 1.2}, {2, 0.8}, {3, 5.0}};
  const ItemResults results{3, [&](std::int64_t id) -> std::optional<ItemOutcome> {
                              const auto it = done.find(id);
                              if (it == done.end()) return std::nullopt;
                              return ItemOutcome{it->second, false, false};
                            }};
  const RacingOptions racing = on();
  RaceClaim c = claimRaceItem({{4, false}, {5, false}}, 2, results, racing);
  EXPECT_EQ(c.kind, RaceClaim::Kind::None);
  ASSERT_EQ(c.racedOut.size(), 1u);
  EXPECT_EQ(c.racedOut[0].point, 1);
  EXPECT_EQ(c.racedOut[0].fromFold, 1);
  ASSERT_TRUE(c.racedOut[0].decision);
  EXPECT_NEAR(c.racedOut[0].decision->bound, 5 - 1.645 * 0.2, 1e-12);

  // Racing off: the same fold goes out.
  c = claimRaceItem({{4, false}, {5, false}}, 2, results, RacingOptions{});
  EXPECT_EQ(c.kind, RaceClaim::Kind::Item);
  EXPECT_EQ(c.index, 0u);
  EXPECT_TRUE(c.racedOut.empty());

  done.erase(3);
  c = claimRaceItem({{3, true}, {4, false}, {5, false}}, 2, results, racing);
  EXPECT_EQ(c.kind, RaceClaim::Kind::Wait);
  c = claimRaceItem({{3, true}, {4, false}, {5, false}, {6, false}, {7, false}}, 3, results, racing);
  EXPECT_EQ(c.kind, RaceClaim::Kind::Item);
  EXPECT_EQ(c.index, 3u);

  // A point raced out before (fold 1 says so) whose fold 2 was not recorded: one action without a
  // decision, for that item only.
  done[3] = 5.0;
  const ItemResults marked{3, [&](std::int64_t id) -> std::optional<ItemOutcome> {
                             if (id == 4) return ItemOutcome{std::nullopt, false, true};
                             return results.read(id);
                           }};
  c = claimRaceItem({{5, false}}, 2, marked, racing);
  ASSERT_EQ(c.racedOut.size(), 1u);
  EXPECT_FALSE(c.racedOut[0].decision);
  EXPECT_EQ(c.racedOut[0].fromFold, 2);
  EXPECT_EQ(c.kind, RaceClaim::Kind::None);
}
