// The scheduler simulator: the asynchronous hand-out on a simulated clock, checked against a
// schedule worked out by hand, the fold bookkeeping, determinism, and the lock's effect at scale.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

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

// Learning curves by point id (the random searcher's points differ in x, not in what the test
// gives them); fold f adds `foldStep` * f to every value.
ItemCurve byId(std::vector<std::vector<double>> curves, double foldStep = 0) {
  return [curves = std::move(curves), foldStep](const Point& p, int fold) {
    std::vector<double> c = curves.at(static_cast<std::size_t>(p.id));
    for (double& v : c) v += foldStep * fold;
    return c;
  };
}

// ASHA replayed on curves worked out by hand: 1 group (items one after the other), 9 epochs of
// 1 s, rungs at epochs 1 and 3 (r = 1, eta = 3), keep the best max(1, floor(n / 3)) of the n values
// at a rung:
//   point 0: first at rung 1 (5) and rung 3 (3): continues to epoch 9, objective 1;
//   point 1: rung 1 value 6 against {5}: cutoff 5, stopped at epoch 1, objective 6;
//   point 2: rung 1 value 4 against {5, 6}: continues; rung 3 value 3.2 against {3}: stopped;
//   point 3: rung 1 value 4.5 against {5, 6, 4}: keep 1, cutoff 4, stopped.
// These are the decisions `hepsweep train` takes on the same curves in the same order (both call
// rungEpochs and rungDecision). Catches a simulator that judges at the wrong epochs, compares with
// values recorded later, or counts a stopped item's epochs in full.
TEST(Simulator, AshaReplayStopsWhatTheRungRuleStops) {
  RandomSearcher s(line(), 4, 3);
  SimulationOptions o;
  o.groups = 1;
  o.epochs = 9;
  o.medianItemSeconds = 9;
  o.itemSpread = 0;
  o.proposalSeconds = 0;
  o.earlyStopping.rule = StoppingRule::Asha;
  o.earlyStopping.minEpochs = 1;
  o.earlyStopping.reductionFactor = 3;
  const SimulationResult r = simulate(s,
                                      byId({{5, 4, 3, 2, 1, 1, 1, 1, 1},
                                            {6, 6, 6, 6, 6, 6, 6, 6, 6},
                                            {4, 3.5, 3.2, 3, 0.5, 0.5, 0.5, 0.5, 0.5},
                                            {4.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}}),
                                      o);
  EXPECT_EQ(r.items, 4);
  EXPECT_EQ(r.stoppedItems, 3);
  EXPECT_EQ(r.epochs, 9 + 1 + 3 + 1);
  EXPECT_DOUBLE_EQ(r.wallSeconds, 14);
  ASSERT_EQ(s.observations().size(), 4u);
  const std::vector<double> objective{1, 6, 3.2, 4.5};
  const std::vector<std::int64_t> stopped{0, 1, 1, 1};
  for (const Observation& ob : s.observations()) {
    ASSERT_TRUE(ob.objective);
    EXPECT_DOUBLE_EQ(*ob.objective, objective.at(static_cast<std::size_t>(ob.id))) << "point " << ob.id;
    EXPECT_EQ(ob.stoppedFolds, stopped.at(static_cast<std::size_t>(ob.id))) << "point " << ob.id;
  }
  // The trace's one step: point 0, observed when it ended after 9 epochs (9 s).
  ASSERT_EQ(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].id, 0);
  EXPECT_EQ(r.trace[0].epochs, 9);
  EXPECT_DOUBLE_EQ(r.trace[0].seconds, 9);
}

// Hyperband with R = 9, r = 1, eta = 3 has brackets 0, 1, 2 with first rungs at 1, 3 and 9: the
// point of bracket 2 (point 2, the worst curve) has no rung below 9 epochs and trains in full;
// point 1 (bracket 1) is alone at its rung 3 and continues; point 3 (bracket 0) is judged against
// point 0 only at rung 1 and stopped. Catches brackets mixed up in the comparison.
TEST(Simulator, HyperbandComparesWithinABracket) {
  RandomSearcher s(line(), 4, 3);
  SimulationOptions o;
  o.groups = 1;
  o.epochs = 9;
  o.medianItemSeconds = 9;
  o.itemSpread = 0;
  o.proposalSeconds = 0;
  o.earlyStopping.rule = StoppingRule::Hyperband;
  const std::vector<double> good(9, 1.0), bad(9, 7.0);
  const SimulationResult r = simulate(s, byId({good, bad, bad, bad}), o);
  EXPECT_EQ(r.stoppedItems, 1);
  EXPECT_EQ(r.epochs, 9 + 9 + 9 + 1);
}

// Racing replayed through claimRaceItem with the rounds schedule, 2 groups, 3 folds, 2 points a
// round. Round 1 (points 0, 1) has no complete point: nothing is raced out; point 0's folds
// {1, 1.2, 0.8} (mean 1) and point 1's {2, 2.2, 1.8} give the pooled spread 0.2. Round 2: point
// 2's fold 0 is 5, so before its fold 1 the bound 5 - 1.645 * 0.2 > 1: folds 1 and 2 are skipped
// and its result is 5; point 3's folds {1.1, 0.9, 1.0} stay in the race. Catches folds handed out
// before the previous one finished, a race decided without the reference, and raced-out folds
// trained or counted.
TEST(Simulator, RacingReplaySkipsTheFoldsTheCampaignWouldSkip) {
  RandomSearcher s(line(), 4, 5);
  SimulationOptions o;
  o.groups = 2;
  o.folds = 3;
  o.epochs = 1;
  o.medianItemSeconds = 10;
  o.itemSpread = 0;
  o.proposalSeconds = 0;
  o.schedule = SimulatedSchedule::Rounds;
  o.racing.enabled = true;
  const std::vector<std::vector<double>> folds{{1, 1.2, 0.8}, {2, 2.2, 1.8}, {5, 5, 5}, {1.1, 0.9, 1.0}};
  const SimulationResult r = simulate(
      s, [&](const Point& p, int fold) { return std::vector<double>{folds.at(static_cast<std::size_t>(p.id)).at(static_cast<std::size_t>(fold))}; },
      o);
  EXPECT_EQ(r.racedOutItems, 2);
  EXPECT_EQ(r.items, 10);
  EXPECT_EQ(r.proposals, 4);
  ASSERT_TRUE(s.finished());
  const std::vector<double> expected{1, 2, 5, 1};
  for (const Observation& ob : s.observations()) {
    ASSERT_TRUE(ob.objective);
    EXPECT_NEAR(*ob.objective, expected.at(static_cast<std::size_t>(ob.id)), 1e-12) << "point " << ob.id;
  }
  // Round 1: 6 items of 10 s on 2 groups, a point's folds one after the other (point 0 on one
  // group, point 1 on the other): 30 s. Round 2: point 2's fold 0 and point 3's folds: 30 s.
  EXPECT_DOUBLE_EQ(r.wallSeconds, 60);
}

// Without racing the rounds schedule trains every fold and waits for the round's last item.
TEST(Simulator, RoundsWithoutRacingTrainEveryFold) {
  RandomSearcher s(line(), 4, 5);
  SimulationOptions o;
  o.groups = 2;
  o.folds = 3;
  o.medianItemSeconds = 10;
  o.itemSpread = 0;
  o.proposalSeconds = 1;
  o.schedule = SimulatedSchedule::Rounds;
  const SimulationResult r = simulate(s, bowl, o);
  EXPECT_EQ(r.items, 12);
  EXPECT_EQ(r.racedOutItems, 0);
  // Two rounds of 6 items on 2 groups (30 s each), each after a batch of 2 proposals (2 s).
  EXPECT_DOUBLE_EQ(r.wallSeconds, 64);
}

// The same seed gives the same proposals, decisions and trace with ASHA on several groups (the
// decisions depend on which item reaches a rung first, hence on the drawn durations); another seed
// gives other durations. Catches an unseeded draw or an order that depends on memory layout.
TEST(Simulator, AshaAndRacingReplaysAreDeterministicUnderTheSeed) {
  const auto run = [](std::uint64_t seed, SimulatedSchedule schedule, bool racing) {
    BayesOptions b;
    b.initialPoints = 5;
    b.acquisition = AcquisitionKind::EI;
    auto s = std::make_unique<BayesSearcher>(line(), 16, 21, b);
    SimulationOptions o;
    o.groups = 3;
    o.folds = 2;
    o.epochs = 9;
    o.proposalSeconds = 1;
    o.seed = seed;
    o.schedule = schedule;
    o.racing.enabled = racing;
    o.earlyStopping.rule = StoppingRule::Asha;
    const ItemCurve curve = [](const Point& p, int fold) {
      std::vector<double> c;
      for (int e = 1; e <= 9; ++e) c.push_back(bowl(p, fold) + std::exp(-e / (1 + 5 * p.values[1].number)));
      return c;
    };
    const SimulationResult r = simulate(*s, curve, o);
    return std::make_tuple(stateToJson(s->state()), r.wallSeconds, r.epochs, r.stoppedItems, r.racedOutItems);
  };
  for (const bool racing : {false, true}) {
    const auto schedule = racing ? SimulatedSchedule::Rounds : SimulatedSchedule::Asynchronous;
    const auto a = run(4, schedule, racing);
    EXPECT_EQ(a, run(4, schedule, racing));
    EXPECT_GT(std::get<3>(a), 0) << "ASHA stopped nothing: the test does not exercise it";
    EXPECT_NE(std::get<1>(a), std::get<1>(run(5, schedule, racing)));
  }
}

TEST(Simulator, RacingNeedsRoundsAndMedianIsNotReplayed) {
  RandomSearcher s(line(), 4, 3);
  SimulationOptions o;
  o.folds = 3;
  o.racing.enabled = true;
  EXPECT_TRUE(contains(errorOf([&] { simulate(s, bowl, o); }), "rounds"));
  o.racing.enabled = false;
  o.earlyStopping.rule = StoppingRule::Median;
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
