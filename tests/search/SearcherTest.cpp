// Grid and random searchers: order, size, determinism, distributions, duplicates, observations,
// resume from a saved state, and the method factory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "SearchTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/search/Searcher.hpp"

using namespace hepsweep;
using namespace hepsweep::search;
using namespace hepsweep::search::test;

namespace {

// The space of the campaign example in the issue, in file order.
Space exampleSpace() {
  return Space({Dimension::choices("model.widths", {"[25, 20]", "[64, 32]"}),
                Dimension::real("train.learning_rate", 1e-4, 1e-2, true, 3),
                Dimension::real("model.dropout", 0.0, 0.5),
                Dimension::integer("train.batch_size", 32, 512, true),
                Dimension::choices("model.activation", {"\"relu\"", "\"elu\""})});
}

// A space with a continuous dimension, so random draws are independent (no deduplication).
Space mixedSpace() {
  return Space({Dimension::real("lr", 1e-5, 1e-1, true), Dimension::real("dropout", 0.1, 0.6),
                Dimension::integer("bs", 32, 512, true), Dimension::integer("layers", 1, 4),
                Dimension::choices("act", {"\"relu\"", "\"elu\"", "\"tanh\""})});
}

std::vector<std::string> described(const std::vector<Point>& points) {
  std::vector<std::string> out;
  for (const Point& p : points) out.push_back(p.describe());
  return out;
}

}  // namespace

// Size 2 x 3 x 3 x 3 x 2 and itertools.product order (last dimension fastest), checked against
// nested loops over the axes; a first-dimension-fastest order or a dropped axis would differ.
TEST(GridSearcher, OrderAndSizeOfExampleSpace) {
  const Space space = exampleSpace();
  GridSearcher grid(space);
  EXPECT_EQ(grid.method(), "grid");
  ASSERT_EQ(grid.totalPoints(), 2u * 3u * 3u * 3u * 2u);
  const std::vector<Point> points = grid.propose(1000);
  ASSERT_EQ(points.size(), 108u);

  std::vector<std::vector<Value>> axes;
  for (const Dimension& d : space.dimensions()) axes.push_back(d.gridValues());
  std::size_t id = 0;
  for (const Value& a : axes[0])
    for (const Value& b : axes[1])
      for (const Value& c : axes[2])
        for (const Value& d : axes[3])
          for (const Value& e : axes[4]) {
            ASSERT_EQ(points[id].id, static_cast<std::int64_t>(id));
            ASSERT_EQ(points[id].values, (std::vector<Value>{a, b, c, d, e})) << id;
            ++id;
          }
  EXPECT_EQ(points[0].describe(),
            "model.widths=[25, 20] train.learning_rate=0.0001 model.dropout=0.0 train.batch_size=32 "
            "model.activation=\"relu\"");
  EXPECT_EQ(points[1].describe(),
            "model.widths=[25, 20] train.learning_rate=0.0001 model.dropout=0.0 train.batch_size=32 "
            "model.activation=\"elu\"");
  EXPECT_EQ(points[2].values[3].toml, "128");
  EXPECT_EQ(points[107].describe(),
            "model.widths=[64, 32] train.learning_rate=0.01 model.dropout=0.5 train.batch_size=512 "
            "model.activation=\"elu\"");
  const std::vector<std::string> texts = described(points);
  const std::set<std::string> distinct(texts.begin(), texts.end());
  EXPECT_EQ(distinct.size(), 108u);
}

// exhausted() turns true exactly when the last point has been proposed; finished() also waits for
// the results; propose() past the end returns nothing.
TEST(GridSearcher, ExhaustedAndFinishedSemantics) {
  GridSearcher grid(Space({Dimension::integer("n", 1, 5, false, 5), Dimension::choices("c", {"1", "2"})}));
  ASSERT_EQ(grid.totalPoints(), 10u);
  EXPECT_EQ(grid.propose(4).size(), 4u);
  EXPECT_FALSE(grid.exhausted());
  EXPECT_EQ(grid.propose(0).size(), 0u);
  const std::vector<Point> rest = grid.propose(100);
  ASSERT_EQ(rest.size(), 6u);
  EXPECT_EQ(rest.front().id, 4);
  EXPECT_TRUE(grid.exhausted());
  EXPECT_FALSE(grid.finished());
  EXPECT_TRUE(grid.propose(3).empty());
  EXPECT_EQ(grid.pending().size(), 10u);
  for (std::int64_t id = 0; id < 10; ++id) grid.observe(id, 1.0 / static_cast<double>(id + 1));
  EXPECT_TRUE(grid.finished());
  EXPECT_EQ(grid.best()->id, 9);
}

// A grid beyond the cap is refused up front with a message pointing to random search.
TEST(GridSearcher, RefusesHugeGrid) {
  Space space;
  for (int i = 0; i < 5; ++i) space.add(Dimension::real("x" + std::to_string(i), 0, 1, false, 20));
  const std::string msg = errorOf([&] { GridSearcher grid(space); });
  EXPECT_TRUE(contains(msg, "random")) << msg;
  EXPECT_TRUE(contains(msg, "x4")) << msg;
}

// Same seed -> same points, whatever the batch sizes (point i depends only on seed and i);
// another seed -> other points; a larger budget extends the same sequence.
TEST(RandomSearcher, DeterministicAndIndependentOfBatching) {
  RandomSearcher one(mixedSpace(), 40, 12345);
  const std::vector<Point> all = one.propose(40);
  ASSERT_EQ(all.size(), 40u);

  RandomSearcher batched(mixedSpace(), 40, 12345);
  std::vector<Point> pieces;
  for (std::size_t n : {1u, 3u, 7u, 2u, 100u})
    for (Point& p : batched.propose(n)) pieces.push_back(std::move(p));
  EXPECT_EQ(described(pieces), described(all));
  for (std::size_t i = 0; i < pieces.size(); ++i) EXPECT_EQ(pieces[i].id, static_cast<std::int64_t>(i));

  RandomSearcher longer(mixedSpace(), 60, 12345);
  const std::vector<Point> extended = longer.propose(60);
  EXPECT_EQ(described(std::vector<Point>(extended.begin(), extended.begin() + 40)), described(all));

  RandomSearcher other(mixedSpace(), 40, 12346);
  const std::vector<Point> otherPoints = other.propose(40);
  std::size_t same = 0;
  for (std::size_t i = 0; i < 40; ++i) same += otherPoints[i].describe() == all[i].describe();
  EXPECT_EQ(same, 0u);
}

// Bounds hold for every kind, and the distributions are the documented ones: log-uniform for log
// reals and log integers (rounding intervals), uniform integers inclusive of both ends, uniform
// choices. A linear draw on a log dimension, or an exclusive upper integer bound, would show here.
TEST(RandomSearcher, BoundsAndDistributions) {
  const std::size_t n = 6000;
  RandomSearcher rs(mixedSpace(), static_cast<std::int64_t>(n), 7);
  const std::vector<Point> points = rs.propose(n);
  ASSERT_EQ(points.size(), n);
  std::size_t lrBelow1e3 = 0, bsUpTo128 = 0, dropoutBelowHalf = 0;
  std::map<double, std::size_t> layers, act;
  for (const Point& p : points) {
    const double lr = p.values[0].number, dropout = p.values[1].number, bs = p.values[2].number;
    ASSERT_GE(lr, 1e-5);
    ASSERT_LE(lr, 1e-1);
    ASSERT_GE(dropout, 0.1);
    ASSERT_LE(dropout, 0.6);
    ASSERT_GE(bs, 32);
    ASSERT_LE(bs, 512);
    ASSERT_EQ(bs, std::round(bs));
    lrBelow1e3 += lr < 1e-3;
    bsUpTo128 += bs <= 128;
    dropoutBelowHalf += dropout < 0.35;
    ++layers[p.values[3].number];
    ++act[p.values[4].number];
  }
  const double nn = static_cast<double>(n);
  // 4 sigma of a binomial proportion at n = 6000 is about 0.026.
  EXPECT_NEAR(lrBelow1e3 / nn, 0.5, 0.03);  // log10 midpoint of [1e-5, 1e-1]
  EXPECT_NEAR(bsUpTo128 / nn, std::log(128.5 / 31.5) / std::log(512.5 / 31.5), 0.03);
  EXPECT_NEAR(dropoutBelowHalf / nn, 0.5, 0.03);
  ASSERT_EQ(layers.size(), 4u);  // 1, 2, 3, 4 all reached
  EXPECT_EQ(layers.begin()->first, 1.0);
  EXPECT_EQ(layers.rbegin()->first, 4.0);
  for (const auto& [value, count] : layers) EXPECT_NEAR(count / nn, 0.25, 0.03) << value;
  ASSERT_EQ(act.size(), 3u);
  for (const auto& [value, count] : act) EXPECT_NEAR(count / nn, 1.0 / 3.0, 0.03) << value;
}

// Log integers with a tiny range and min = 1: rounding intervals start at 0.5, so 1 gets
// ln(1.5/0.5)/ln(3.5/0.5) of the mass; every value stays in [1, 3].
TEST(RandomSearcher, LogIntegerSmallRange) {
  const std::size_t n = 4000;
  RandomSearcher rs(Space({Dimension::integer("k", 1, 3, true), Dimension::real("x", 0, 1)}),
                    static_cast<std::int64_t>(n), 99);
  std::map<double, std::size_t> counts;
  for (const Point& p : rs.propose(n)) ++counts[p.values[0].number];
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts.begin()->first, 1.0);
  EXPECT_EQ(counts.rbegin()->first, 3.0);
  EXPECT_NEAR(counts[1.0] / static_cast<double>(n), std::log(3.0) / std::log(7.0), 0.035);
  EXPECT_NEAR(counts[3.0] / static_cast<double>(n), std::log(3.5 / 2.5) / std::log(7.0), 0.035);
}

// Small discrete spaces: no duplicate points; a budget larger than the space gives every point
// once and then the searcher is exhausted early; still deterministic across batchings.
TEST(RandomSearcher, SmallDiscreteSpaceHasNoDuplicates) {
  const Space space({Dimension::integer("n", 1, 5), Dimension::choices("c", {"\"a\"", "\"b\"", "\"c\""})});
  RandomSearcher twelve(space, 12, 5);
  const std::vector<std::string> d12 = described(twelve.propose(100));
  ASSERT_EQ(d12.size(), 12u);
  EXPECT_EQ(std::set<std::string>(d12.begin(), d12.end()).size(), 12u);

  RandomSearcher forty(space, 40, 5);
  EXPECT_EQ(forty.totalPoints(), 15u);
  std::vector<std::string> d15;
  for (std::size_t n : {4u, 4u, 4u, 4u})
    for (const Point& p : forty.propose(n)) d15.push_back(p.describe());
  ASSERT_EQ(d15.size(), 15u);
  EXPECT_TRUE(forty.exhausted());
  EXPECT_EQ(std::set<std::string>(d15.begin(), d15.end()).size(), 15u);
  // The first 12 draws do not depend on the budget.
  EXPECT_EQ(std::vector<std::string>(d15.begin(), d15.begin() + 12), d12);

  // A skewed (log) dimension filled completely exercises the fallback past the redraws.
  RandomSearcher full(Space({Dimension::integer("k", 1, 300, true)}), 300, 1);
  const std::vector<std::string> all = described(full.propose(300));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 300u);
  RandomSearcher again(Space({Dimension::integer("k", 1, 300, true)}), 300, 1);
  EXPECT_EQ(described(again.propose(300)), all);
}

// The override text of every drawn value parses back to exactly the number the searcher holds.
TEST(RandomSearcher, OverrideTextRoundTrips) {
  RandomSearcher rs(mixedSpace(), 300, 2024);
  for (const Point& p : rs.propose(300)) {
    const std::vector<std::string> overrides = p.toOverrides();
    ASSERT_EQ(overrides.size(), p.values.size());
    for (std::size_t i = 0; i < overrides.size(); ++i) {
      const Value& v = p.values[i];
      ASSERT_EQ(overrides[i], v.key + "=" + v.toml);
      if (v.kind == Kind::Choice) continue;
      char* end = nullptr;
      EXPECT_EQ(std::strtod(v.toml.c_str(), &end), v.number) << v.toml;
      EXPECT_EQ(*end, '\0');
      if (v.kind == Kind::Integer) EXPECT_EQ(v.toml.find_first_of(".e"), std::string::npos) << v.toml;
      else EXPECT_NE(v.toml.find_first_of(".e"), std::string::npos) << v.toml;
    }
  }
}

// Failures (nullopt, NaN, inf) are recorded as failures and never chosen as best; observing an
// unknown id, observing twice, or passing a point that is not the proposal are caller bugs.
TEST(Searcher, ObserveWithFailures) {
  RandomSearcher rs(mixedSpace(), 6, 3);
  const std::vector<Point> p = rs.propose(6);
  rs.observe(2, 0.7);
  rs.observe(0, std::nullopt);
  rs.observe(p[4], std::nan(""));
  rs.observe(1, -INFINITY);
  rs.observe(5, 0.4);
  ASSERT_EQ(rs.observations().size(), 5u);
  EXPECT_EQ(rs.observations()[0], (Observation{2, 0.7}));
  EXPECT_EQ(rs.observations()[2], (Observation{4, std::nullopt}));
  EXPECT_EQ(rs.observations()[3], (Observation{1, std::nullopt}));
  EXPECT_EQ(rs.best(), (Observation{5, 0.4}));
  EXPECT_EQ(rs.pending(), (std::vector<std::int64_t>{3}));
  EXPECT_TRUE(rs.exhausted());
  EXPECT_FALSE(rs.finished());
  rs.observe(3, 0.4);
  EXPECT_EQ(rs.best(), (Observation{3, 0.4}));  // tie: smallest id
  EXPECT_TRUE(rs.finished());

  EXPECT_TRUE(contains(errorOf([&] { rs.observe(6, 1.0); }, ErrorCategory::Internal), "never proposed"));
  EXPECT_TRUE(contains(errorOf([&] { rs.observe(-1, 1.0); }, ErrorCategory::Internal), "never proposed"));
  EXPECT_TRUE(contains(errorOf([&] { rs.observe(2, 1.0); }, ErrorCategory::Internal), "second result"));
  RandomSearcher fresh(mixedSpace(), 6, 3);
  fresh.propose(2);
  Point wrong = p[1];
  wrong.id = 0;
  EXPECT_TRUE(contains(errorOf([&] { fresh.observe(wrong, 1.0); }, ErrorCategory::Internal), "proposed as"));

  RandomSearcher none(mixedSpace(), 2, 3);
  none.propose(2);
  none.observe(0, std::nullopt);
  EXPECT_EQ(none.best(), std::nullopt);
}

// Save after some proposals and results (through the JSON text), restore into a fresh searcher:
// same proposals, observations, pending ids, and the same next proposals as the original.
TEST(Searcher, StateRoundTripGivesIdenticalNextProposals) {
  for (const std::string method : {"random", "grid"}) {
    auto original = makeSearcher(method, exampleSpace(), 30, 77);
    original->propose(7);
    original->observe(3, 0.25);
    original->observe(0, std::nullopt);
    original->observe(5, 1.0 / 3.0, 2);  // two folds stopped early
    const std::string json = stateToJson(original->state());

    auto resumed = makeSearcher(method, exampleSpace(), 30, 77);
    resumed->restore(stateFromJson(json, exampleSpace(), "state.json"));
    EXPECT_EQ(described(resumed->proposals()), described(original->proposals())) << method;
    EXPECT_EQ(resumed->observations(), original->observations()) << method;
    EXPECT_EQ(resumed->observations()[2].objective, 1.0 / 3.0);  // exact through JSON
    EXPECT_EQ(resumed->observations()[2].stoppedFolds, 2);
    EXPECT_EQ(resumed->observations()[0].stoppedFolds, 0);
    EXPECT_EQ(resumed->pending(), (std::vector<std::int64_t>{1, 2, 4, 6})) << method;
    const std::vector<Point> next = original->propose(5);
    const std::vector<Point> nextResumed = resumed->propose(5);
    EXPECT_EQ(described(nextResumed), described(next)) << method;
    EXPECT_EQ(nextResumed.front().id, 7);
    EXPECT_EQ(stateToJson(resumed->state()), stateToJson(original->state())) << method;
  }
}

// A state written before stopped folds were recorded (no "stopped_folds" in its observations)
// still reads: no fold counts as stopped.
TEST(Searcher, StateWithoutStoppedFoldsReads) {
  auto original = makeSearcher("random", exampleSpace(), 5, 7);
  original->propose(2);
  original->observe(1, 0.5, 1);
  std::string json = stateToJson(original->state());
  const auto at = json.find(",\n   \"stopped_folds\": 1");
  ASSERT_NE(at, std::string::npos) << json;
  json.erase(at, std::string(",\n   \"stopped_folds\": 1").size());
  const State state = stateFromJson(json, exampleSpace(), "old.json");
  ASSERT_EQ(state.observations.size(), 1u);
  EXPECT_EQ(state.observations[0], (Observation{1, 0.5, 0}));
}

// Resume with a larger random budget continues the same sequence.
TEST(Searcher, ResumeWithLargerBudget) {
  RandomSearcher first(mixedSpace(), 10, 8);
  first.propose(10);
  RandomSearcher more(mixedSpace(), 25, 8);
  more.restore(first.state());
  EXPECT_FALSE(more.exhausted());
  EXPECT_EQ(more.propose(100).size(), 15u);
  RandomSearcher reference(mixedSpace(), 25, 8);
  EXPECT_EQ(described(reference.propose(25)), described(more.proposals()));
}

// A state that no longer matches the campaign is refused with a Config error saying why.
TEST(Searcher, RestoreRefusesMismatchedState) {
  RandomSearcher rs(mixedSpace(), 10, 8);
  rs.propose(4);
  rs.observe(1, 0.5);
  const State state = rs.state();

  RandomSearcher otherSeed(mixedSpace(), 10, 9);
  EXPECT_TRUE(contains(errorOf([&] { otherSeed.restore(state); }), "seed 8"));
  GridSearcher grid(mixedSpace());
  EXPECT_TRUE(contains(errorOf([&] { grid.restore(state); }), "method = \"random\""));
  Space changed({Dimension::real("lr", 1e-5, 1e-2, true), Dimension::real("dropout", 0.1, 0.6),
                 Dimension::integer("bs", 32, 512, true), Dimension::integer("layers", 1, 4),
                 Dimension::choices("act", {"\"relu\"", "\"elu\"", "\"tanh\""})});
  RandomSearcher edited(changed, 10, 8);
  EXPECT_TRUE(contains(errorOf([&] { edited.restore(state); }), "changed since it started"));
  RandomSearcher smaller(mixedSpace(), 3, 8);
  EXPECT_TRUE(contains(errorOf([&] { smaller.restore(state); }), "already proposed 4"));

  State twice = state;
  twice.observations.push_back(Observation{1, 0.1});
  RandomSearcher a(mixedSpace(), 10, 8);
  EXPECT_TRUE(contains(errorOf([&] { a.restore(twice); }), "two results for point 1"));
  State unknown = state;
  unknown.observations.push_back(Observation{9, 0.1});
  RandomSearcher b(mixedSpace(), 10, 8);
  EXPECT_TRUE(contains(errorOf([&] { b.restore(unknown); }), "point 9"));

  RandomSearcher used(mixedSpace(), 10, 8);
  used.propose(1);
  errorOf([&] { used.restore(state); }, ErrorCategory::Internal);
}

// Malformed or foreign state text is a Config error naming the source.
TEST(Searcher, StateFromJsonRejectsBadText) {
  const Space space = mixedSpace();
  EXPECT_TRUE(contains(errorOf([&] { stateFromJson("{not json", space, "s.json"); }), "s.json"));
  EXPECT_TRUE(contains(errorOf([&] { stateFromJson("{\"a\": 1}", space, "s.json"); }), "not a search state"));
  RandomSearcher rs(space, 3, 1);
  rs.propose(2);
  std::string json = stateToJson(rs.state());
  const std::string renamed = json.replace(json.find("\"dropout\""), 9, "\"dropuot\"");
  EXPECT_TRUE(contains(errorOf([&] { stateFromJson(renamed, space, "s.json"); }), "dropuot"));
}

// The factory: known methods, budget rules, a helpful message for typos.
TEST(MakeSearcher, MethodsAndBudget) {
  EXPECT_EQ(availableMethods(), (std::vector<std::string>{"grid", "random", "bayes"}));
  EXPECT_EQ(makeSearcher("grid", exampleSpace(), std::nullopt, 1)->totalPoints(), 108u);
  EXPECT_EQ(makeSearcher("grid", exampleSpace(), 20, 1)->totalPoints(), 108u);  // grid ignores budget
  EXPECT_EQ(makeSearcher("random", exampleSpace(), 20, 1)->totalPoints(), 20u);
  const std::string typo = errorOf([&] { makeSearcher("gird", exampleSpace(), 20, 1); });
  EXPECT_TRUE(contains(typo, "'gird'")) << typo;
  EXPECT_TRUE(contains(typo, "did you mean 'grid'")) << typo;
  EXPECT_TRUE(contains(typo, "grid, random, bayes")) << typo;
  EXPECT_EQ(makeSearcher("bayes", exampleSpace(), 20, 1)->totalPoints(), 20u);
  EXPECT_TRUE(contains(errorOf([&] { makeSearcher("random", exampleSpace(), std::nullopt, 1); }), "needs budget"));
  EXPECT_TRUE(contains(errorOf([&] { makeSearcher("random", exampleSpace(), 0, 1); }), "budget = 0"));
  EXPECT_TRUE(contains(errorOf([&] { makeSearcher("random", exampleSpace(), 1000000, 1); }), "limit"));
  EXPECT_TRUE(contains(errorOf([&] { makeSearcher("grid", Space(), std::nullopt, 1); }), "[search.space]"));
}
