// The scheduler simulator: the asynchronous hand-out on a simulated clock, checked against a
// schedule worked out by hand, the fold bookkeeping, determinism, and the lock's effect at scale.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "SearchTestUtil.hpp"
#include "hepsweep/search/Bayes.hpp"
#include "hepsweep/search/Schedule.hpp"
#include "hepsweep/search/Simulator.hpp"

using namespace hepsweep;
using namespace hepsweep::search;
using namespace hepsweep::search::test;

namespace {

Space line() { return Space({Dimension::real("x", 0, 1), Dimension::real("y", 0, 1)}); }

double bowl(const Point& p, int fold) {
  const double x = p.values[0].number - 0.3, y = p.values[1].number - 0.6;
  return x * x + y * y + 0.01 * fold;
}

}  // namespace

// 2 groups, 4 points of 1 fold, every item 100 s, every proposal 10 s under the lock:
//   group 0 asks at 0: proposes (lock 0-10), trains 10-110; group 1 asks at 0, waits for the lock
//   until 10, proposes (10-20), trains 20-120; group 0 asks at 110: proposes (110-120), trains
//   120-220; group 1 asks at 120: proposes (120-130), trains 130-230; group 0 at 220 finds
//   nothing left (budget spent) and stops; group 1 at 230 too.
// Catches a lock that does not serialise, proposal time not counted, and wrong utilisation sums.
TEST(Simulator, MatchesAScheduleWorkedOutByHand) {
  RandomSearcher s(line(), 4, 3);
  SimulationOptions o;
  o.groups = 2;
  o.folds = 1;
  o.medianItemSeconds = 100;
  o.itemSpread = 0;
  o.proposalSeconds = 10;
  const SimulationResult r = simulate(s, bowl, o);
  EXPECT_EQ(r.items, 4);
  EXPECT_EQ(r.proposals, 4);
  EXPECT_DOUBLE_EQ(r.proposalSeconds, 40);
  EXPECT_DOUBLE_EQ(r.lockWaitSeconds, 10);
  EXPECT_DOUBLE_EQ(r.wallSeconds, 230);
  EXPECT_DOUBLE_EQ(r.steadySeconds, 220);
  EXPECT_NEAR(r.utilisation, 400.0 / (2 * 230), 1e-12);
  EXPECT_NEAR(r.steadyUtilisation, 390.0 / (2 * 220), 1e-12);
  EXPECT_TRUE(s.finished());
  ASSERT_FALSE(r.trace.empty());
  EXPECT_DOUBLE_EQ(r.trace.front().seconds, 110);  // point 0 observed when group 0 next asks
  EXPECT_DOUBLE_EQ(r.trace.back().best, *s.best()->objective);
}

// With 3 folds the folds of one point go to different groups and a point is proposed once: the
// point's observed objective is the mean over its folds' objectives.
TEST(Simulator, FoldsOfAPointAreItemsAndItsResultIsTheirMean) {
  RandomSearcher s(line(), 5, 8);
  SimulationOptions o;
  o.groups = 3;
  o.folds = 3;
  o.medianItemSeconds = 50;
  o.proposalSeconds = 1;
  const SimulationResult r = simulate(s, bowl, o);
  EXPECT_EQ(r.proposals, 5);
  EXPECT_EQ(r.items, 15);
  for (const Observation& ob : s.observations()) {
    const Point& p = s.point(ob.id);
    ASSERT_TRUE(ob.objective);
    EXPECT_NEAR(*ob.objective, (bowl(p, 0) + bowl(p, 1) + bowl(p, 2)) / 3, 1e-12);
  }
}

// A fixed proposal time makes the simulation a function of the seed, through a Bayesian search
// whose proposals depend on the arrival order: two runs give the same proposals and trace.
TEST(Simulator, FixedProposalTimeIsDeterministic) {
  const auto run = [] {
    BayesOptions b;
    b.initialPoints = 5;
    b.acquisition = AcquisitionKind::EI;
    auto s = std::make_unique<BayesSearcher>(line(), 14, 21, b);
    SimulationOptions o;
    o.groups = 4;
    o.folds = 2;
    o.proposalSeconds = 2;
    o.seed = 4;
    const SimulationResult r = simulate(*s, bowl, o);
    return std::make_pair(stateToJson(s->state()), r);
  };
  const auto [a, ra] = run();
  const auto [b, rb] = run();
  EXPECT_EQ(a, b);
  EXPECT_EQ(ra.wallSeconds, rb.wallSeconds);
  ASSERT_EQ(ra.trace.size(), rb.trace.size());
  for (std::size_t i = 0; i < ra.trace.size(); ++i) EXPECT_EQ(ra.trace[i].best, rb.trace[i].best);
}

// 200 groups, items of 600 s (log-normal spread 0.5), 5 folds: one proposal per 15 s of the lock is
// needed. At 0.5 s a proposal the groups stay busy (>= 95 % until the first group runs out); at
// 30 s the lock is the bottleneck and they idle (< 60 %). Catches a simulator that lets groups
// propose in parallel.
TEST(Simulator, SlowProposalsUnderTheLockIdleTheGroups) {
  const auto utilisation = [](double proposalSeconds) {
    RandomSearcher s(line(), 400, 2);
    SimulationOptions o;
    o.groups = 200;
    o.folds = 5;
    o.proposalSeconds = proposalSeconds;
    return simulate(s, bowl, o).steadyUtilisation;
  };
  EXPECT_GE(utilisation(0.5), 0.95);
  EXPECT_LT(utilisation(30), 0.6);
}

TEST(Simulator, BadOptionsAreErrors) {
  RandomSearcher s(line(), 4, 3);
  SimulationOptions o;
  o.groups = 0;
  EXPECT_TRUE(contains(errorOf([&] { simulate(s, bowl, o); }), "groups"));
  o.groups = 2;
  o.medianItemSeconds = 0;
  EXPECT_TRUE(contains(errorOf([&] { simulate(s, bowl, o); }), "median"));
}

// The hand-out the campaign runs: resumed items first, then fold after fold of each point, a
// point proposed at its fold 0; nothing once the budget is spent and every fold handed out.
TEST(Schedule, HandOutOrder) {
  RandomSearcher s(line(), 2, 1);
  const std::vector<std::int64_t> resumed{7, 9};
  EXPECT_EQ(handOut(s, 0, resumed, 0, 2).item, 7);
  EXPECT_EQ(handOut(s, 1, resumed, 0, 2).item, 9);
  Handout h = handOut(s, 2, resumed, 0, 2);
  EXPECT_EQ(h.item, 0);
  EXPECT_EQ(h.proposed.size(), 1u);
  h = handOut(s, 3, resumed, 0, 2);
  EXPECT_EQ(h.item, 1);
  EXPECT_TRUE(h.proposed.empty());
  EXPECT_EQ(handOut(s, 4, resumed, 0, 2).item, 2);
  EXPECT_EQ(handOut(s, 5, resumed, 0, 2).item, 3);
  EXPECT_EQ(handOut(s, 6, resumed, 0, 2).item, std::nullopt);
}
