// Splits and balancing of multi-class labels (class indices 0 .. K-1): every class stratified
// with the fractions, the first two classes split exactly as signal/background would be (class c
// keyed derive(.., c)), downsampling to the smallest class, reweighting to equal class sums, and
// the errors naming the class.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/data/Split.hpp"

using namespace hepsweep;
using namespace hepsweep::data;

namespace {

// counts[c] events of class c, shuffled.
std::vector<float> labelsOf(std::vector<int> counts, std::uint64_t key = 9) {
  std::vector<float> labels;
  for (std::size_t c = 0; c < counts.size(); ++c) labels.resize(labels.size() + static_cast<std::size_t>(counts[c]), static_cast<float>(c));
  rng::shuffle(labels.data(), labels.size(), key);
  return labels;
}

int count(const std::vector<Index>& rows, const std::vector<float>& labels, float c) {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(), [&](Index r) { return labels[static_cast<std::size_t>(r)] == c; }));
}

std::vector<Index> all(std::size_t n) {
  std::vector<Index> rows(n);
  std::iota(rows.begin(), rows.end(), Index{0});
  return rows;
}

}  // namespace

TEST(MultiClassSplit, EveryClassIsStratified) {
  const auto labels = labelsOf({301, 150, 549});
  const Partition p = stratifiedSplit(labels, {0.6, 0.2, 0.2}, 42);
  const int want[3][3] = {{181, 60, 60}, {90, 30, 30}, {329, 110, 110}};  // round(0.6 n), round(0.2 n), rest
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(count(p.train, labels, static_cast<float>(c)), want[c][0]) << c;
    EXPECT_EQ(count(p.val, labels, static_cast<float>(c)), want[c][1]) << c;
    EXPECT_EQ(count(p.test, labels, static_cast<float>(c)), want[c][2]) << c;
  }
  EXPECT_EQ(p.train.size() + p.val.size() + p.test.size(), labels.size());
  EXPECT_TRUE(std::is_sorted(p.train.begin(), p.train.end()));
}

// Classes 0 and 1 take the rows a signal/background split gives them: adding a third class does
// not move them (the streams are per class).
TEST(MultiClassSplit, FirstTwoClassesSplitAsBinary) {
  std::vector<float> binary = labelsOf({200, 300}, 4);
  std::vector<float> three = binary;
  three.resize(three.size() + 100, 2.0f);
  const Partition b = stratifiedSplit(binary, {0.5, 0.3, 0.2}, 11);
  const Partition m = stratifiedSplit(three, {0.5, 0.3, 0.2}, 11);
  const auto firstRows = [&](const std::vector<Index>& rows) {
    std::vector<Index> out;
    for (const Index r : rows)
      if (r < static_cast<Index>(binary.size())) out.push_back(r);
    return out;
  };
  EXPECT_EQ(firstRows(m.train), b.train);
  EXPECT_EQ(firstRows(m.val), b.val);
  EXPECT_EQ(firstRows(m.test), b.test);
}

TEST(MultiClassSplit, DownsampleToTheSmallestClass) {
  const auto labels = labelsOf({40, 25, 70, 33});
  const std::vector<Index> kept = balanceRows(all(labels.size()), labels, BalanceMode::Downsample, 5);
  for (int c = 0; c < 4; ++c) EXPECT_EQ(count(kept, labels, static_cast<float>(c)), 25) << c;
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  EXPECT_EQ(kept, balanceRows(all(labels.size()), labels, BalanceMode::Downsample, 5));
  EXPECT_NE(kept, balanceRows(all(labels.size()), labels, BalanceMode::Downsample, 6));
}

TEST(MultiClassSplit, ReweightGivesEqualClassSums) {
  const auto labels = labelsOf({40, 25, 70});
  std::vector<float> weights(labels.size());
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<float>(0.2 + rng::uniform(3, i));
  const std::vector<double> f = classBalanceFactors(all(labels.size()), labels, weights, BalanceMode::Reweight);
  ASSERT_EQ(f.size(), 3u);
  std::vector<double> sums(3, 0.0);
  double total = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    sums[static_cast<std::size_t>(labels[i])] += weights[i];
    total += weights[i];
  }
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(f[static_cast<std::size_t>(c)] * sums[static_cast<std::size_t>(c)], total / 3, 1e-9 * total) << c;
  EXPECT_EQ(classBalanceFactors(all(labels.size()), labels, weights, BalanceMode::None), std::vector<double>(3, 1.0));
  // The binary factors keep their meaning.
  const auto binary = labelsOf({25, 75});
  const std::vector<double> fb = classBalanceFactors(all(100), binary, {}, BalanceMode::Reweight);
  const ClassFactors cf = balanceFactors(all(100), binary, {}, BalanceMode::Reweight);
  EXPECT_EQ(fb, (std::vector<double>{cf.background, cf.signal}));
  EXPECT_THROW(balanceFactors(all(labels.size()), labels, weights, BalanceMode::Reweight), Error);
}

TEST(MultiClassSplit, AbsentClassOrBadLabelIsAnError) {
  auto labels = labelsOf({10, 0, 10, 10});  // class 1 missing
  try {
    stratifiedSplit(labels, {0.6, 0.2, 0.2}, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("no class 1 events"), std::string::npos) << e.what();
  }
  labels[3] = 2.5f;
  EXPECT_THROW(stratifiedSplit(labels, {0.6, 0.2, 0.2}, 1), Error);
}
