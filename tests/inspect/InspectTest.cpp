// inspect::inspect on constructed datasets: per-class moments without the missing-value marker,
// weighted missing fractions, separation ranking, correlations against hand-computed values, and
// the warnings (leaked label, duplicate, constant, near-constant, no separation).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/inspect/Inspect.hpp"

using namespace hepsweep;

namespace {

data::Dataset makeDataset(const std::vector<std::string>& names, const std::vector<std::vector<float>>& columns,
                          const std::vector<float>& labels, const std::vector<float>& weights = {}) {
  data::Dataset ds;
  ds.featureNames = names;
  const auto n = static_cast<Eigen::Index>(labels.size());
  ds.features.resize(n, static_cast<Eigen::Index>(columns.size()));
  for (std::size_t j = 0; j < columns.size(); ++j)
    for (Eigen::Index i = 0; i < n; ++i) ds.features(i, static_cast<Eigen::Index>(j)) = columns[j][static_cast<std::size_t>(i)];
  ds.labels = Eigen::Map<const Eigen::VectorXf>(labels.data(), n);
  ds.weights = weights.empty() ? Eigen::VectorXf::Ones(n) : Eigen::VectorXf(Eigen::Map<const Eigen::VectorXf>(weights.data(), n));
  return ds;
}

bool hasWarning(const inspect::Inspection& r, const std::string& kind, const std::string& feature) {
  return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const inspect::Warning& w) {
    return w.kind == kind && std::find(w.features.begin(), w.features.end(), feature) != w.features.end();
  });
}

const inspect::FeatureStats& feature(const inspect::Inspection& r, const std::string& name) {
  for (const auto& f : r.features)
    if (f.name == name) return f;
  throw std::runtime_error("no feature " + name);
}

}  // namespace

// Signal rows 0-3, background rows 4-7. `m` uses -999 as missing in row 1 (signal, weight 2) and
// row 5 (background, weight 1). Signal present values of m: 1 (w 1), 3 (w 1), 5 (w 1) -> mean 3,
// std sqrt(8/3); missing fraction 2/5 (weights 1,2,1,1 sum 5). Background present: 3, 4, 5 (w 1
// each) -> mean 4; missing fraction 1/4.
TEST(Inspect, MomentsExcludeMissingAndMissingFractionIsWeighted) {
  const std::vector<float> y{1, 1, 1, 1, 0, 0, 0, 0}, w{1, 2, 1, 1, 1, 1, 1, 1};
  data::Dataset ds = makeDataset({"m", "x"}, {{1, -999, 3, 5, 3, -999, 4, 5}, {1, 2, 3, 4, 5, 6, 7, 8}}, y, w);
  ds.missingValue = -999.0f;
  ds.missingFeatures = {"m"};
  const inspect::Inspection r = inspect::inspect(ds, "t.h5");
  const auto& m = feature(r, "m");
  EXPECT_TRUE(m.usesMissing);
  EXPECT_EQ(m.signal.missing, 1);
  EXPECT_EQ(m.background.missing, 1);
  EXPECT_DOUBLE_EQ(m.signal.missingFraction, 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.background.missingFraction, 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.signal.moments.mean, 3.0);
  EXPECT_NEAR(m.signal.moments.std, std::sqrt(8.0 / 3.0), 1e-12);
  EXPECT_EQ(m.signal.moments.min, 1.0);
  EXPECT_EQ(m.signal.moments.max, 5.0);
  EXPECT_DOUBLE_EQ(m.background.moments.mean, 4.0);
  // x does not use the marker: its moments see all rows, weighted (signal: (1+4+3+4)/5 = 2.4).
  const auto& x = feature(r, "x");
  EXPECT_FALSE(x.usesMissing);
  EXPECT_DOUBLE_EQ(x.signal.moments.mean, 12.0 / 5.0);
  EXPECT_EQ(x.signal.missing, 0);
  // x separates perfectly (signal 1-4 below background 5-8): AUC 0, separation 1.
  EXPECT_DOUBLE_EQ(x.auc, 0.0);
  EXPECT_NEAR(x.separation, 1.0, 1e-12);
  EXPECT_EQ(x.rank, 1);
  EXPECT_TRUE(hasWarning(r, "perfect_separation", "x"));
  EXPECT_TRUE(r.weighted);
}

// A column equal to the label (or to any two values, one per class) is the leaked label; an exact
// copy of another column is a duplicate; a single-valued column is constant.
TEST(Inspect, FlagsLeakedLabelDuplicateAndConstantColumns) {
  const std::vector<float> y{1, 0, 1, 0, 1, 0, 1, 0};
  const std::vector<float> a{0.3f, 1.2f, 0.5f, 0.1f, 2.0f, 0.7f, 0.4f, 0.9f};
  const std::vector<float> leak{7, 3, 7, 3, 7, 3, 7, 3};
  const std::vector<float> constant(8, 2.5f);
  const data::Dataset ds = makeDataset({"a", "is_signal", "a_copy", "const"}, {a, leak, a, constant}, y);
  const inspect::Inspection r = inspect::inspect(ds, "t.h5");
  EXPECT_TRUE(hasWarning(r, "label_copy", "is_signal"));
  EXPECT_FALSE(hasWarning(r, "label_copy", "a"));
  EXPECT_TRUE(hasWarning(r, "duplicate", "a_copy"));
  EXPECT_TRUE(hasWarning(r, "duplicate", "a"));
  EXPECT_TRUE(hasWarning(r, "constant", "const"));
  EXPECT_FALSE(hasWarning(r, "constant", "a"));
  EXPECT_DOUBLE_EQ(feature(r, "is_signal").auc, 1.0);
  EXPECT_NEAR(feature(r, "is_signal").separation, 1.0, 1e-12);
  EXPECT_FALSE(r.weighted);
  // The JSON carries the warnings with their kind and columns.
  const auto j = inspect::toJson(r);
  bool found = false;
  for (const auto& w : j["warnings"])
    if (w["kind"] == "label_copy" && w["features"][0] == "is_signal") found = true;
  EXPECT_TRUE(found);
}

// Near-constant: 199 of 200 events share one value (99.5% >= 99%).
TEST(Inspect, FlagsNearConstantColumn) {
  std::vector<float> y(200), v(200, 1.0f), u(200);
  for (std::size_t i = 0; i < 200; ++i) {
    y[i] = static_cast<float>(i % 2);
    u[i] = static_cast<float>(i);
  }
  v[17] = 2.0f;
  const inspect::Inspection r = inspect::inspect(makeDataset({"v", "u"}, {v, u}, y), "t.h5");
  EXPECT_TRUE(hasWarning(r, "near_constant", "v"));
  EXPECT_FALSE(hasWarning(r, "near_constant", "u"));
}

// Correlations per class against hand computation. Signal rows: x = (1,2,3), z = (1,3,2) ->
// r = 0.5 (see PhysicsTest); background rows: x = (1,2,3), z = (3,2,1) -> r = -1. The pair's
// difference is 1.5. Weights (1,1,2) on signal give 1/sqrt(5.5).
TEST(Inspect, CorrelationPerClassAndLargestDifference) {
  const std::vector<float> y{1, 1, 1, 0, 0, 0}, w{1, 1, 2, 1, 1, 1};
  const std::vector<float> x{1, 2, 3, 1, 2, 3}, z{1, 3, 2, 3, 2, 1};
  const inspect::Inspection r = inspect::inspect(makeDataset({"x", "z"}, {x, z}, y), "t.h5");
  EXPECT_NEAR(r.correlationSignal(0, 1), 0.5, 1e-12);
  EXPECT_NEAR(r.correlationBackground(0, 1), -1.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.correlationSignal(0, 0), 1.0);
  ASSERT_EQ(r.largestDifferences.size(), 1u);
  EXPECT_NEAR(r.largestDifferences[0].difference(), 1.5, 1e-12);
  const inspect::Inspection rw = inspect::inspect(makeDataset({"x", "z"}, {x, z}, y, w), "t.h5");
  EXPECT_NEAR(rw.correlationSignal(0, 1), 1.0 / std::sqrt(5.5), 1e-12);
  EXPECT_NEAR(rw.correlationSignal(1, 0), 1.0 / std::sqrt(5.5), 1e-12);
}

// Correlations skip rows where either feature is missing (pairwise complete): with the marker in
// a row that would otherwise break the perfect linear relation, r stays 1.
TEST(Inspect, CorrelationIsPairwiseComplete) {
  const std::vector<float> y{1, 1, 1, 1, 0, 0, 0};
  const std::vector<float> x{1, 2, 3, -999, 1, 2, 3}, z{2, 4, 6, 100, 1, 5, 2};
  data::Dataset ds = makeDataset({"x", "z"}, {x, z}, y);
  ds.missingValue = -999.0f;
  const inspect::Inspection r = inspect::inspect(ds, "t.h5");
  EXPECT_NEAR(r.correlationSignal(0, 1), 1.0, 1e-12);
}

// A feature drawn from the same distribution for both classes is flagged "no separation"; a
// shifted one is not. Deterministic pseudo-random values (a fixed LCG) keep the test exact.
TEST(Inspect, NoSeparationFlagFollowsSampleSize) {
  const std::size_t n = 4000;
  std::vector<float> y(n), same(n), shifted(n);
  std::uint32_t state = 12345;
  const auto uniform = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / static_cast<float>(1u << 24);
  };
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>(i % 2);
    same[i] = uniform();
    shifted[i] = uniform() + (y[i] == 1.0f ? 0.3f : 0.0f);
  }
  const inspect::Inspection r = inspect::inspect(makeDataset({"same", "shifted"}, {same, shifted}, y), "t.h5");
  EXPECT_TRUE(feature(r, "same").noSeparation) << feature(r, "same").separation << " vs noise "
                                               << feature(r, "same").separationNoise;
  EXPECT_FALSE(feature(r, "shifted").noSeparation);
  EXPECT_EQ(r.ranking[0], 1u);
  EXPECT_GT(feature(r, "shifted").auc, 0.6);
}

TEST(Inspect, NeedsBothClasses) {
  const std::vector<float> y{1, 1};
  EXPECT_THROW(inspect::inspect(makeDataset({"x"}, {{1, 2}}, y), "t.h5"), Error);
}
