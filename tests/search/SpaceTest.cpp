// Search space: dimensions, validation, grid values, unit mapping, value text, points.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "SearchTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/search/Space.hpp"

using namespace hepsweep;
using namespace hepsweep::search;
using namespace hepsweep::search::test;

namespace {

std::vector<double> numbers(const std::vector<Value>& values) {
  std::vector<double> out;
  for (const Value& v : values) out.push_back(v.number);
  return out;
}

double parseDouble(const std::string& text) {
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  EXPECT_EQ(*end, '\0') << text;
  return x;
}

}  // namespace

// Real text must read back as the identical double and always be a TOML float (a "1" would be
// read as an integer by the campaign parser); a fixed %g precision would fail the round trip.
TEST(FormatReal, ShortestRoundTripAndAlwaysFloat) {
  EXPECT_EQ(formatReal(1e-3), "0.001");
  EXPECT_EQ(formatReal(1.0), "1.0");
  EXPECT_EQ(formatReal(-2.0), "-2.0");
  EXPECT_EQ(formatReal(0.25), "0.25");
  EXPECT_EQ(formatReal(0.1 + 0.2), "0.30000000000000004");
  // Python repr spellings at the fixed/scientific boundaries.
  EXPECT_EQ(formatReal(1e-4), "0.0001");
  EXPECT_EQ(formatReal(1e-5), "1e-05");
  EXPECT_EQ(formatReal(2.5e-7), "2.5e-07");
  EXPECT_EQ(formatReal(1e16), "1e+16");
  EXPECT_EQ(formatReal(123456.5), "123456.5");
  EXPECT_EQ(formatReal(0.0), "0.0");
  const std::uint64_t key = rng::streamKey(11, rng::Stream::Misc);
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const double x = std::ldexp(rng::uniform(key, i) - 0.5, static_cast<int>(rng::below(key, i + 5000, 240)) - 120);
    const std::string s = formatReal(x);
    EXPECT_EQ(parseDouble(s), x) << s;
    EXPECT_NE(s.find_first_of(".e"), std::string::npos) << s;
  }
}

// Every invalid description is a Config error naming the key, so a user knows which line to fix.
TEST(Dimension, ValidationErrorsNameTheKey) {
  const std::string k = "train.learning_rate";
  EXPECT_NE(errorOf([&] { Dimension::real(k, 0.01, 0.0001); }).find(k), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real(k, 0.5, 0.5); }).find("min must be smaller than max"), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real(k, 0.0, 1.0, true); }).find("log = true needs min > 0"), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real(k, -1.0, 1.0, true); }).find(k), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real(k, 0.0, 1.0, false, 0); }).find("steps must be >= 1"), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real(k, 0.0, 1.0, false, -3); }).find(k), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real(k, 0.0, 1.0, false, 1000000); }).find("limit"), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real(k, 0.0, INFINITY); }).find("finite"), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real(k, NAN, 1.0); }).find(k), std::string::npos);
  const std::string b = "train.batch_size";
  EXPECT_NE(errorOf([&] { Dimension::integer(b, 32.5, 512); }).find(b), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::integer(b, 32, 512.25); }).find("integral"), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::integer(b, 0, 512, true); }).find(b), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::integer(b, 1e17, 1e18); }).find("2^53"), std::string::npos);
  const std::string a = "model.activation";
  EXPECT_NE(errorOf([&] { Dimension::choices(a, {}); }).find(a), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::choices(a, {"\"relu\"", "\"elu\"", "\"relu\""}); }).find("twice"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::choices(a, {"\"relu\"", "  "}); }).find(a), std::string::npos);
  EXPECT_NE(errorOf([&] { Dimension::real("", 0, 1); }).find("empty"), std::string::npos);

  Space space;
  space.add(Dimension::real("model.dropout", 0.0, 0.5));
  EXPECT_NE(errorOf([&] { space.add(Dimension::choices("model.dropout", {"0.1"})); }).find("model.dropout"),
            std::string::npos);
  EXPECT_EQ(space.size(), 1u);
}

// Log spacing: both ends are the exact bounds (not pow(10, log10(x)) approximations) and interior
// points form a geometric sequence; one step is the geometric midpoint.
TEST(Dimension, LogGridExactEndpointsAndGeometricSpacing) {
  const std::vector<Value> g = Dimension::real("lr", 1e-4, 1e-2, true, 3).gridValues();
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].number, 1e-4);
  EXPECT_EQ(g[2].number, 1e-2);
  EXPECT_DOUBLE_EQ(g[1].number, 1e-3);
  EXPECT_EQ(g[0].toml, "0.0001");
  EXPECT_EQ(g[2].toml, "0.01");

  const std::vector<Value> g7 = Dimension::real("lr", 3e-5, 0.7, true, 7).gridValues();
  ASSERT_EQ(g7.size(), 7u);
  EXPECT_EQ(g7.front().number, 3e-5);
  EXPECT_EQ(g7.back().number, 0.7);
  const double ratio = std::pow(0.7 / 3e-5, 1.0 / 6.0);
  for (std::size_t i = 1; i < g7.size(); ++i) EXPECT_NEAR(g7[i].number / g7[i - 1].number, ratio, 1e-12 * ratio);

  const std::vector<Value> one = Dimension::real("lr", 1e-4, 1e-2, true, 1).gridValues();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_DOUBLE_EQ(one[0].number, std::sqrt(1e-4 * 1e-2));
}

// Linear spacing and the documented default of 3 steps (min, midpoint, max) when steps is absent.
TEST(Dimension, LinearGridAndDefaultSteps) {
  EXPECT_EQ(numbers(Dimension::real("model.dropout", 0.0, 0.5).gridValues()), (std::vector<double>{0.0, 0.25, 0.5}));
  EXPECT_EQ(numbers(Dimension::real("x", -1.0, 3.0, false, 5).gridValues()),
            (std::vector<double>{-1.0, 0.0, 1.0, 2.0, 3.0}));
  EXPECT_EQ(numbers(Dimension::real("x", 2.0, 4.0, false, 1).gridValues()), (std::vector<double>{3.0}));
  EXPECT_EQ(Dimension::real("x", 0.0, 1.0).steps(), std::nullopt);
}

// Integer grids: spaced values rounded to integers, duplicates removed, exact powers of two from a
// log grid, and integer text without a decimal point.
TEST(Dimension, IntegerGridRoundsAndDeduplicates) {
  EXPECT_EQ(numbers(Dimension::integer("n", 1, 4, false, 10).gridValues()), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(numbers(Dimension::integer("n", 1, 3, true, 10).gridValues()), (std::vector<double>{1, 2, 3}));
  const std::vector<Value> b = Dimension::integer("train.batch_size", 32, 512, true, 5).gridValues();
  EXPECT_EQ(numbers(b), (std::vector<double>{32, 64, 128, 256, 512}));
  EXPECT_EQ(b[1].toml, "64");
  EXPECT_EQ(b[1].kind, Kind::Integer);
  // 0..10 in 4 steps: 0, 3.33, 6.67, 10 -> 0, 3, 7, 10.
  EXPECT_EQ(numbers(Dimension::integer("n", 0, 10, false, 4).gridValues()), (std::vector<double>{0, 3, 7, 10}));
  EXPECT_EQ(numbers(Dimension::integer("n", 32, 512, true).gridValues()), (std::vector<double>{32, 128, 512}));
}

// Choices keep their order and text; the number is the index.
TEST(Dimension, ChoicesKeepOrderAndText) {
  const Dimension d = Dimension::choices("model.widths", {"[25, 20]", "[64, 32]", "[128]"});
  const std::vector<Value> g = d.gridValues();
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[1].toml, "[64, 32]");
  EXPECT_EQ(g[2].number, 2.0);
  EXPECT_EQ(g[0].kind, Kind::Choice);
  EXPECT_EQ(d.cardinality(), 3u);
  EXPECT_EQ(Dimension::integer("n", -2, 5).cardinality(), 8u);
  EXPECT_EQ(Dimension::real("x", 0, 1).cardinality(), std::nullopt);
}

// fromUnit covers the bounds exactly at u = 0 and 1, toUnit inverts it, and every kind stays in range;
// a log mapping done in the wrong base or a choice index off by one would break the inverse.
TEST(Dimension, UnitMappingInvertsAndRespectsBounds) {
  const std::vector<Dimension> dims = {
      Dimension::real("a", 1e-4, 1e-2, true), Dimension::real("b", -3.0, 5.0),
      Dimension::integer("c", 32, 512, true), Dimension::integer("d", -4, 9),
      Dimension::choices("e", {"\"relu\"", "\"elu\"", "\"tanh\""}), Dimension::integer("f", 1, 2, true)};
  for (const Dimension& d : dims) {
    if (d.kind() != Kind::Choice) {
      EXPECT_EQ(d.fromUnit(0.0).number, d.min()) << d.key();
      EXPECT_EQ(d.fromUnit(1.0).number, d.max()) << d.key();
    }
    const std::uint64_t key = rng::streamKey(3, rng::Stream::Misc);
    for (std::uint64_t i = 0; i < 500; ++i) {
      const Value v = d.fromUnit(rng::uniform(key, i));
      const double u = d.toUnit(v);
      ASSERT_GE(u, 0.0);
      ASSERT_LE(u, 1.0);
      const Value back = d.fromUnit(u);
      if (d.kind() == Kind::Real) EXPECT_NEAR(back.number, v.number, 1e-12 * std::abs(v.number)) << d.key();
      else EXPECT_EQ(back, v) << d.key();
      if (d.kind() != Kind::Choice) {
        EXPECT_GE(v.number, d.min());
        EXPECT_LE(v.number, d.max());
      }
    }
  }
  EXPECT_NE(errorOf([&] { dims[0].fromUnit(1.5); }, ErrorCategory::Internal).find("outside"), std::string::npos);
}

// Coordinates for plots: the number, log10 for log dimensions, the index for lists.
TEST(Space, CoordinatesAndUnitCoordinates) {
  const Space space({Dimension::real("lr", 1e-4, 1e-2, true), Dimension::integer("bs", 32, 512),
                     Dimension::choices("act", {"\"relu\"", "\"elu\""})});
  const Point p = space.parsePoint({{"lr", "1e-3"}, {"bs", "64"}, {"act", "\"elu\""}});
  const std::vector<double> c = space.coordinates(p);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_DOUBLE_EQ(c[0], -3.0);
  EXPECT_EQ(c[1], 64.0);
  EXPECT_EQ(c[2], 1.0);
  const std::vector<double> u = space.unitCoordinates(p);
  EXPECT_DOUBLE_EQ(u[0], 0.5);
  EXPECT_DOUBLE_EQ(u[1], (64.0 - 32.0 + 0.5) / 481.0);
  EXPECT_DOUBLE_EQ(u[2], 0.75);
}

// Parsing accepts equivalent TOML spellings and returns canonical text; bad text names the key.
TEST(Dimension, ParseCanonicalisesAndRejects) {
  const Dimension lr = Dimension::real("train.learning_rate", 1e-4, 1e-2, true);
  EXPECT_EQ(lr.parse("1e-3").toml, "0.001");
  EXPECT_EQ(lr.parse(" +0.001 ").number, 1e-3);
  EXPECT_EQ(Dimension::real("x", 0, 100).parse("64").toml, "64.0");
  const Dimension n = Dimension::integer("train.epochs", 1, 100000);
  EXPECT_EQ(n.parse("1_000").toml, "1000");
  EXPECT_EQ(n.parse("64.0").toml, "64");
  EXPECT_NE(errorOf([&] { n.parse("6.5"); }).find("train.epochs"), std::string::npos);
  EXPECT_NE(errorOf([&] { lr.parse("0.5"); }).find("outside"), std::string::npos);
  EXPECT_NE(errorOf([&] { lr.parse("fast"); }).find("'fast' is not a number"), std::string::npos);
  const Dimension act = Dimension::choices("model.activation", {"\"relu\"", "\"elu\""});
  EXPECT_EQ(act.parse("\"elu\"").number, 1.0);
  const std::string msg = errorOf([&] { act.parse("\"selu\""); });
  EXPECT_NE(msg.find("model.activation"), std::string::npos);
  EXPECT_NE(msg.find("\"relu\", \"elu\""), std::string::npos);
}

// Overrides and describe() are key=text in the space's order, ready for applyOverrides.
TEST(Point, OverridesAndDescribe) {
  const Space space({Dimension::choices("model.widths", {"[25, 20]", "[64, 32]"}),
                     Dimension::real("train.learning_rate", 1e-4, 1e-2, true)});
  Point p = space.parsePoint({{"model.widths", "[25, 20]"}, {"train.learning_rate", "1e-4"}});
  EXPECT_EQ(p.toOverrides(), (std::vector<std::string>{"model.widths=[25, 20]", "train.learning_rate=0.0001"}));
  EXPECT_EQ(p.describe(), "model.widths=[25, 20] train.learning_rate=0.0001");
  Point q = p;
  q.id = 7;
  EXPECT_TRUE(p.sameValues(q));
  q.values[1] = space[1].value(2e-4);
  EXPECT_FALSE(p.sameValues(q));
}

// parsePoint insists on the space's keys in order, naming the offending key.
TEST(Space, ParsePointChecksKeys) {
  const Space space({Dimension::real("a", 0, 1), Dimension::integer("b", 0, 9)});
  EXPECT_NE(errorOf([&] { space.parsePoint({{"b", "1"}, {"a", "0.5"}}); }).find("'b'"), std::string::npos);
  EXPECT_NE(errorOf([&] { space.parsePoint({{"a", "0.5"}}); }).find("lacks key 'b'"), std::string::npos);
  EXPECT_NE(errorOf([&] { space.parsePoint({{"a", "0.5"}, {"b", "1"}, {"c", "2"}}); }).find("'c'"),
            std::string::npos);
  EXPECT_EQ(space.indexOf("b"), 1u);
  EXPECT_EQ(space.indexOf("z"), std::nullopt);
  EXPECT_EQ(Space({Dimension::integer("b", 0, 9), Dimension::choices("c", {"1", "2"})}).cardinality(), 20u);
  EXPECT_EQ(space.cardinality(), std::nullopt);
}

// The mixed-radix numbering random and Bayesian search share: number r's values list integers
// from min and choices in order, last dimension fastest (the grid order, checked by hand here),
// and rankOf inverts valuesAt. A real dimension has no numbering.
TEST(Space, MixedRadixNumbering) {
  const Space space({Dimension::integer("n", 2, 4), Dimension::choices("act", {"\"relu\"", "\"elu\""})});
  ASSERT_EQ(space.cardinality(), 6u);
  const std::vector<std::string> expected{"n=2 act=\"relu\"", "n=2 act=\"elu\"", "n=3 act=\"relu\"",
                                          "n=3 act=\"elu\"",  "n=4 act=\"relu\"", "n=4 act=\"elu\""};
  for (std::uint64_t r = 0; r < 6; ++r) {
    const Point p{-1, space.valuesAt(r)};
    EXPECT_EQ(p.describe(), expected[r]) << r;
    EXPECT_EQ(space.rankOf(p.values), r);
  }
  const Space mixed({Dimension::integer("n", 2, 4), Dimension::real("x", 0, 1)});
  errorOf([&] { mixed.valuesAt(0); }, ErrorCategory::Internal);
  errorOf([&] { mixed.rankOf(mixed.draw(1)); }, ErrorCategory::Internal);
}
