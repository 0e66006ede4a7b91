// inspect::inspect on constructed datasets: per-class moments without the missing-value marker,
// weighted missing fractions, non-finite values, separation ranking and its noise floor,
// correlations against hand-computed values, the warnings (leaked label, duplicate, constant,
// near-constant, no separation, perfect separation), and the plot data and scripts of the report.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/inspect/Inspect.hpp"
#include "hepsweep/report/Gnuplot.hpp"

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
  const auto j = nlohmann::ordered_json::parse(inspect::toJson(r));
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

// NaN and inf values (kept by convert --allow-nonfinite) are left out like missing values and
// counted per class. Before, a NaN made the distinct-value loop spin forever (this test has a
// ctest TIMEOUT) and an inf made the separation throw. Rows 0-3 signal (weights 1, 2, 1, 1),
// rows 4-7 background (weight 1). `n` has NaN in rows 1 (signal, w 2) and 6; `i` has +inf in row 0
// (signal, w 1) and -inf in rows 4 and 5; `all_nan` has nothing else.
TEST(Inspect, NonFiniteValuesAreLeftOutAndCounted) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const std::vector<float> y{1, 1, 1, 1, 0, 0, 0, 0}, w{1, 2, 1, 1, 1, 1, 1, 1};
  const std::vector<float> n{1, nan, 3, 5, 2, 4, nan, 6}, i{inf, 2, 3, 4, -inf, -inf, 7, 8};
  const std::vector<float> allNan(8, nan);
  const inspect::Inspection r =
      inspect::inspect(makeDataset({"n", "i", "all_nan", "n_copy"}, {n, i, allNan, n}, y, w), "t.h5");
  const auto& fn = feature(r, "n");
  EXPECT_EQ(fn.signal.nonfinite, 1);
  EXPECT_EQ(fn.background.nonfinite, 1);
  EXPECT_DOUBLE_EQ(fn.signal.nonfiniteFraction, 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(fn.background.nonfiniteFraction, 1.0 / 4.0);
  EXPECT_EQ(fn.signal.missing, 0);
  EXPECT_EQ(fn.signal.moments.count, 3u);
  EXPECT_DOUBLE_EQ(fn.signal.moments.mean, 3.0);  // 1, 3, 5 with weights 1
  EXPECT_DOUBLE_EQ(fn.background.moments.mean, 4.0);
  EXPECT_TRUE(std::isfinite(fn.separation));
  EXPECT_TRUE(std::isfinite(fn.auc));
  const auto& fi = feature(r, "i");
  EXPECT_EQ(fi.signal.nonfinite, 1);
  EXPECT_EQ(fi.background.nonfinite, 2);
  EXPECT_DOUBLE_EQ(fi.signal.moments.mean, 11.0 / 4.0);  // 2 (w 2), 3, 4
  EXPECT_EQ(fi.background.moments.max, 8.0);
  EXPECT_TRUE(std::isfinite(fi.separation));
  // Every present value of `i` in signal (2-4) is below background (7, 8): perfect separation.
  EXPECT_TRUE(hasWarning(r, "perfect_separation", "i"));
  EXPECT_TRUE(hasWarning(r, "nonfinite", "n"));
  EXPECT_TRUE(hasWarning(r, "nonfinite", "i"));
  EXPECT_TRUE(hasWarning(r, "constant", "all_nan"));
  EXPECT_TRUE(std::isnan(feature(r, "all_nan").separation));
  // NaN in the same rows does not hide a copy.
  EXPECT_TRUE(hasWarning(r, "duplicate", "n_copy"));
  // Correlations use only finite pairs: n and i share signal rows 2, 3 and background row 7.
  EXPECT_TRUE(std::isfinite(r.correlationSignal(0, 1)));
  const auto j = nlohmann::ordered_json::parse(inspect::toJson(r));
  EXPECT_EQ(j["features"][0]["signal"]["nonfinite"], 1);
  EXPECT_EQ(j["features"][1]["background"]["nonfinite"], 2);
  EXPECT_NE(inspect::textSummary(r).find("[nonfinite]"), std::string::npos);
}

// The noise floor uses the Kish effective counts of the events where the feature is present.
// Signal: x = 0, 1 present (w 1, 1) and one missing event of weight 10; background: 0, 1, 0, 1
// (w 1). Present Kish counts: n_s = 2^2/2 = 2, n_b = 4. The whole-class count scaled by the present
// fraction (the earlier approximation) gives 12^2/102 x 2/12 = 0.235 instead of 2. Identical
// shapes fill k = 2 bins: separation_noise = (2 - 1)(1/2 + 1/4)/4 = 0.1875, auc_noise =
// sqrt((2 + 4 + 1)/(12 x 2 x 4)) = sqrt(7/96).
TEST(Inspect, NoiseUsesKishCountsOfThePresentEvents) {
  const std::vector<float> y{1, 1, 1, 0, 0, 0, 0}, w{1, 1, 10, 1, 1, 1, 1};
  const std::vector<float> x{0, 1, -999, 0, 1, 0, 1};
  data::Dataset ds = makeDataset({"x"}, {x}, y, w);
  ds.missingValue = -999.0f;
  ds.missingFeatures = {"x"};
  const inspect::Inspection r = inspect::inspect(ds, "t.h5");
  const auto& f = feature(r, "x");
  EXPECT_DOUBLE_EQ(f.signal.effectiveCount, 2.0);
  EXPECT_DOUBLE_EQ(f.background.effectiveCount, 4.0);
  EXPECT_DOUBLE_EQ(f.separationNoise, 0.1875);
  EXPECT_DOUBLE_EQ(f.aucNoise, std::sqrt(7.0 / 96.0));
  EXPECT_EQ(f.separation, 0.0);
  EXPECT_TRUE(f.noSeparation);
}

// Perfect separation is decided on the values (disjoint ranges), not on an AUC that has to come
// out as exactly 1.0 after weighted sums: weights 0.1, 0.2, 0.7 make the sums inexact. One
// overlapping event removes the warning.
TEST(Inspect, PerfectSeparationFromDisjointRanges) {
  const std::vector<float> y{1, 1, 1, 0, 0, 0}, w{0.1f, 0.2f, 0.7f, 0.3f, 0.3f, 0.4f};
  const std::vector<float> high{5.5f, 6.25f, 7.125f, 1.5f, 2.25f, 3.125f};
  const inspect::Inspection r = inspect::inspect(makeDataset({"high"}, {high}, y, w), "t.h5");
  EXPECT_TRUE(hasWarning(r, "perfect_separation", "high"));
  EXPECT_NEAR(feature(r, "high").auc, 1.0, 1e-6);
  std::vector<float> overlap = high;
  overlap[3] = 6.0f;
  EXPECT_FALSE(hasWarning(inspect::inspect(makeDataset({"high"}, {overlap}, y, w), "t.h5"), "perfect_separation",
                          "high"));
}

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The blocks of a gnuplot data file: rows of numbers, '#' lines skipped, blocks split at blank lines.
std::vector<std::vector<std::vector<double>>> dataBlocks(const std::string& text) {
  std::vector<std::vector<std::vector<double>>> blocks(1);
  std::istringstream in(text);
  std::string line;
  int blank = 0;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (++blank == 2 && !blocks.back().empty()) blocks.emplace_back();
      continue;
    }
    blank = 0;
    if (line[0] == '#') continue;
    std::istringstream row(line);
    std::vector<double> values;
    std::string cell;
    while (row >> cell) values.push_back(std::strtod(cell.c_str(), nullptr));
    blocks.back().push_back(values);
  }
  return blocks;
}

}  // namespace

// The correlation heat maps print every cell's value whatever the number of features, in cells
// big enough to read (at least 36 pixels: "-0.12" at 8 points), dark text on light cells and white
// on dark ones. Before, 17 or more features drew no numbers at all and 30 features got 24-pixel cells.
TEST(InspectReport, CorrelationNumbersAtAnyFeatureCount) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "needs gnuplot on PATH";
  const int nf = 30;
  std::vector<std::string> names;
  std::vector<std::vector<float>> columns(nf);
  std::vector<float> y;
  for (int i = 0; i < 200; ++i) {
    y.push_back(static_cast<float>(i % 2));
    for (int j = 0; j < nf; ++j)
      columns[static_cast<std::size_t>(j)].push_back(static_cast<float>((i * (j + 3)) % 17) + (j == 1 ? static_cast<float>(i) : 0.f));
  }
  for (int j = 0; j < nf; ++j) names.push_back("f" + std::to_string(j));
  const data::Dataset ds = makeDataset(names, columns, y);
  const inspect::Inspection r = inspect::inspect(ds, "t.h5");
  const auto dir = std::filesystem::path(testing::TempDir()) / "hepsweep_inspect_heatmap";
  std::filesystem::remove_all(dir);
  inspect::writeReport(r, ds, dir.string());
  const std::string script = slurp(dir / "correlation_signal.gp");
  EXPECT_NE(script.find("with labels font ',8' tc rgb variable"), std::string::npos) << script;
  EXPECT_NE(script.find("? 0xffffff : 0x202020"), std::string::npos);
  const report::gnuplot::PngInfo png = report::gnuplot::checkPng((dir / "correlation_signal.png").string());
  EXPECT_GE(png.width, 36u * nf);
  EXPECT_GE(png.height, 36u * nf);
}

// The distribution panels: the script's x range is exactly the data's first and last edge (the
// float edge 0.233f = 0.23299999535... written as "0.233" put the first bin outside the range,
// and gnuplot dropped it from the y autoscale: a cut-off peak), and the y range holds the tallest
// bin. The histogram itself: the range is the 0.5% to 99.5% quantiles (with 101 values: the
// smallest and the second largest), each class normalised to its weighted events with a value,
// so the fractions inside plus the share outside make 1. Integer columns get a bin per value.
TEST(InspectReport, PlotRangesHoldEveryBinExactly) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "needs gnuplot on PATH";
  std::vector<float> y, w, pt, njet;
  for (int i = 0; i <= 100; ++i) {
    y.push_back(static_cast<float>(i % 2));
    w.push_back(i % 2 ? 1.0f : 3.0f);
    // The peak in the first bin: ten extra events at the minimum.
    pt.push_back(i < 10 ? 0.233f : 0.233f + 0.01f * static_cast<float>(i));
    njet.push_back(static_cast<float>(i % 4));
  }
  const data::Dataset ds = makeDataset({"pt", "njet"}, {pt, njet}, y, w);
  const inspect::Inspection r = inspect::inspect(ds, "t.h5");
  const auto dir = std::filesystem::path(testing::TempDir()) / "hepsweep_inspect_ranges";
  std::filesystem::remove_all(dir);
  inspect::writeReport(r, ds, dir.string());
  const auto blocks = dataBlocks(slurp(dir / "distributions.dat"));
  ASSERT_EQ(blocks.size(), 2u);
  const std::string script = slurp(dir / "distributions.gp");
  const std::regex xr(R"(set xrange \[([^:\]]+):([^\]]+)\])"), yr(R"(set yrange \[([^:\]]+):([^\]]+)\])");
  std::vector<std::pair<double, double>> xranges, yranges;
  for (auto it = std::sregex_iterator(script.begin(), script.end(), xr); it != std::sregex_iterator(); ++it)
    xranges.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  for (auto it = std::sregex_iterator(script.begin(), script.end(), yr); it != std::sregex_iterator(); ++it)
    yranges.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  // The script draws twice (PNG, SVG): each panel's ranges appear twice, in feature order.
  ASSERT_EQ(xranges.size(), 4u);
  ASSERT_EQ(yranges.size(), 4u);
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& rows = blocks[k];
    ASSERT_GE(rows.size(), 2u);
    EXPECT_EQ(xranges[k].first, rows.front()[0]) << "panel " << k;
    EXPECT_EQ(xranges[k].second, rows.back()[0]) << "panel " << k;
    double top = 0;
    for (const auto& row : rows) top = std::max({top, row[1], row[2]});
    EXPECT_GE(yranges[k].second, top) << "panel " << k;
    EXPECT_EQ(yranges[k].first, 0.0);
  }
  // pt: first edge the float minimum, last edge the second largest value (99.5% quantile of 101).
  EXPECT_EQ(blocks[0].front()[0], static_cast<double>(0.233f));
  EXPECT_EQ(blocks[0].back()[0], static_cast<double>(0.233f + 0.01f * 99.0f));
  // Signal (odd i, weight 1, 50 events): the largest value (i = 100) is background, so every
  // signal event is inside: the signal fractions sum to 1. Background (even i, weight 3, 51
  // events): the event at i = 100 is outside: 50/51 inside.
  double sumS = 0, sumB = 0;
  for (std::size_t k = 0; k + 1 < blocks[0].size(); ++k) {
    sumS += blocks[0][k][1];
    sumB += blocks[0][k][2];
  }
  EXPECT_NEAR(sumS, 1.0, 1e-9);
  EXPECT_NEAR(sumB, 50.0 / 51.0, 1e-9);
  // The peak bin: ten events at the minimum (i = 0..9: five signal, five background) plus none
  // else within the first bin's width -> signal 5/50, background 5/51.
  EXPECT_NEAR(blocks[0][0][1], 5.0 / 50.0, 1e-9);
  EXPECT_NEAR(blocks[0][0][2], 5.0 / 51.0, 1e-9);
  // njet: one bin per integer 0..3 centred on it, each class's fractions summing to 1.
  ASSERT_EQ(blocks[1].size(), 5u);
  EXPECT_EQ(blocks[1].front()[0], -0.5);
  EXPECT_EQ(blocks[1].back()[0], 3.5);
  double sumJet = 0;
  for (std::size_t k = 0; k < 4; ++k) sumJet += blocks[1][k][1];
  EXPECT_NEAR(sumJet, 1.0, 1e-9);
}

// Beyond --max-features the correlations and plots cover the features with the largest
// separation (2,000 features failed inside gnuplot; 10,000 ran out of time and memory with the
// full matrices): the matrices are N x N over exactly those features, in file order, the pairs
// come from them, the ranking still lists every feature, and the summary and the page say so.
TEST(InspectReport, ManyFeaturesAreLimitedToTheMostSeparating) {
  const int nf = 300;
  std::vector<std::string> names;
  std::vector<std::vector<float>> columns(nf);
  std::vector<float> y;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(0.f, 1.f);
  for (int i = 0; i < 400; ++i) {
    y.push_back(static_cast<float>(i % 2));
    for (int j = 0; j < nf; ++j) {
      // Features 7, 14, ..., 294 separate the classes, by more as j grows; the others are noise.
      const float shift = j % 7 == 0 && j > 0 ? static_cast<float>(j) / 300.f * y.back() : 0.f;
      columns[static_cast<std::size_t>(j)].push_back(uniform(rng) + shift);
    }
  }
  for (int j = 0; j < nf; ++j) names.push_back("f" + std::to_string(j));
  const data::Dataset ds = makeDataset(names, columns, y);
  inspect::Options o;
  o.maxFeatures = 20;
  const inspect::Inspection r = inspect::inspect(ds, "t.h5", o);
  EXPECT_EQ(r.ranking.size(), static_cast<std::size_t>(nf));
  ASSERT_EQ(r.shown.size(), 20u);
  EXPECT_TRUE(std::is_sorted(r.shown.begin(), r.shown.end()));
  EXPECT_EQ(r.correlationSignal.rows(), 20);
  EXPECT_EQ(r.correlationBackground.cols(), 20);
  // The 20 shown are the top of the ranking, and the strongest separating feature is among them.
  std::vector<std::size_t> top(r.ranking.begin(), r.ranking.begin() + 20);
  std::sort(top.begin(), top.end());
  EXPECT_EQ(r.shown, top);
  EXPECT_NE(std::find(r.shown.begin(), r.shown.end(), std::size_t{294}), r.shown.end());
  for (const inspect::CorrelationPair& p : r.largestDifferences) {
    EXPECT_NE(std::find(r.shown.begin(), r.shown.end(), p.first), r.shown.end());
    EXPECT_NE(std::find(r.shown.begin(), r.shown.end(), p.second), r.shown.end());
  }
  EXPECT_NE(inspect::textSummary(r).find("cover the 20 features with the largest separation of 300"), std::string::npos);
  EXPECT_EQ(nlohmann::ordered_json::parse(inspect::toJson(r))["correlation"]["features"].size(), 20u);
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "needs gnuplot on PATH for the page";
  const auto dir = std::filesystem::path(testing::TempDir()) / "hepsweep_inspect_many";
  std::filesystem::remove_all(dir);
  inspect::writeReport(r, ds, dir.string());
  EXPECT_NE(slurp(dir / "index.html").find("cover the 20 features with the largest separation, of 300"), std::string::npos);
  EXPECT_NE(slurp(dir / "correlation_signal.gp").find("f294"), std::string::npos);
}

// A multi-class file is inspected class by class: class c against the other two. Feature `a`
// separates class 1 alone (shifted up), `b` class 2 alone; class 0 differs in neither, so its
// one-vs-rest AUCs mirror the others'. The one-vs-rest moments are the class's own and those of
// the other classes pooled; inspect() itself refuses the file (it would mistake class 1 for signal).
TEST(Inspect, MultiClassFilesAreInspectedEachClassAgainstTheRest) {
  std::vector<float> a, b, y, w;
  std::mt19937 gen(3);
  std::normal_distribution<float> g;
  for (int i = 0; i < 600; ++i) {
    const int c = i % 3;
    y.push_back(static_cast<float>(c));
    a.push_back(g(gen) + (c == 1 ? 3.0f : 0.0f));
    b.push_back(g(gen) + (c == 2 ? 3.0f : 0.0f));
    w.push_back(c == 0 ? 2.0f : 1.0f);
  }
  data::Dataset ds = makeDataset({"a", "b"}, {a, b}, y, w);
  ds.classNames = {"hnl_pimu", "hnl_rhomu", "background"};
  EXPECT_THROW(inspect::inspect(ds, "mc.h5"), Error);
  const inspect::ClassInspection r = inspect::inspectClasses(ds, "mc.h5");
  ASSERT_EQ(r.oneVsRest.size(), 3u);
  EXPECT_EQ(r.classRows, (std::vector<std::int64_t>{200, 200, 200}));
  EXPECT_DOUBLE_EQ(r.classWeights[0], 400.0);
  EXPECT_EQ(r.oneVsRest[1].nSignal, 200);
  EXPECT_EQ(r.oneVsRest[1].nBackground, 400);
  EXPECT_EQ(r.oneVsRest[1].features[r.oneVsRest[1].ranking[0]].name, "a");
  EXPECT_EQ(r.oneVsRest[2].features[r.oneVsRest[2].ranking[0]].name, "b");
  EXPECT_GT(feature(r.oneVsRest[1], "a").auc, 0.9);
  EXPECT_GT(feature(r.oneVsRest[2], "b").auc, 0.9);
  EXPECT_LT(feature(r.oneVsRest[0], "a").auc, 0.4);  // class 0 lies below the pooled rest in a
  // Class 1's own mean of `a` (around 3) against the others' (around 0, class 0 weighted twice).
  double own = 0, rest = 0, restW = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] == 1.0f) own += a[i] / 200.0;
    else {
      rest += w[i] * a[i];
      restW += w[i];
    }
  }
  EXPECT_NEAR(feature(r.oneVsRest[1], "a").signal.moments.mean, own, 1e-5);
  EXPECT_NEAR(feature(r.oneVsRest[1], "a").background.moments.mean, rest / restW, 1e-5);
  const auto j = nlohmann::json::parse(inspect::toJson(r));
  EXPECT_EQ(j["classes"][2]["name"], "background");
  EXPECT_EQ(j["classes"][0]["events"], 200);
  EXPECT_TRUE(j["one_vs_rest"].contains("hnl_rhomu"));
  EXPECT_NE(inspect::textSummary(r).find("== class 2: background =="), std::string::npos);
  // A class without events: refused naming it.
  for (auto& v : ds.labels) v = v == 2.0f ? 0.0f : v;
  try {
    inspect::inspectClasses(ds, "mc.h5");
    FAIL() << "a class without events was inspected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'background'"), std::string::npos) << e.what();
  }
}
