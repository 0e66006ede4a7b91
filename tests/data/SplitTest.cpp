// Stratified train/val/test split and class balancing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/data/Split.hpp"

using namespace hepsweep;
using namespace hepsweep::data;

namespace {

// nSig signal and nBkg background labels, interleaved pseudo-randomly so that classes are not
// in contiguous blocks (a split ignoring labels would then not be stratified by accident).
std::vector<float> makeLabels(int nSig, int nBkg, std::uint64_t key = 7) {
  std::vector<float> labels(static_cast<std::size_t>(nSig), 1.0f);
  labels.resize(static_cast<std::size_t>(nSig + nBkg), 0.0f);
  rng::shuffle(labels.data(), labels.size(), key);
  return labels;
}

int countClass(const std::vector<Index>& rows, const std::vector<float>& labels, float cls) {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(),
                                        [&](Index r) { return labels[static_cast<std::size_t>(r)] == cls; }));
}

}  // namespace

// Per-class counts follow round(f * n_class); catches splitting the whole set instead of per class.
TEST(Split, StratifiedCountsPerClass) {
  const auto labels = makeLabels(301, 699);
  const Partition p = stratifiedSplit(labels, {0.6, 0.2, 0.2}, 42);
  EXPECT_EQ(countClass(p.train, labels, 1.0f), 181);  // round(180.6)
  EXPECT_EQ(countClass(p.val, labels, 1.0f), 60);     // round(60.2)
  EXPECT_EQ(countClass(p.test, labels, 1.0f), 60);    // rest
  EXPECT_EQ(countClass(p.train, labels, 0.0f), 419);  // round(419.4)
  EXPECT_EQ(countClass(p.val, labels, 0.0f), 140);    // round(139.8)
  EXPECT_EQ(countClass(p.test, labels, 0.0f), 140);
}

// The three parts are sorted, pairwise disjoint and cover every row exactly once.
TEST(Split, DisjointSortedAndCovering) {
  const auto labels = makeLabels(123, 456);
  const Partition p = stratifiedSplit(labels, {0.5, 0.3, 0.2}, 3);
  std::vector<Index> all;
  for (const auto* part : {&p.train, &p.val, &p.test}) {
    EXPECT_TRUE(std::is_sorted(part->begin(), part->end()));
    all.insert(all.end(), part->begin(), part->end());
  }
  std::sort(all.begin(), all.end());
  std::vector<Index> expected(labels.size());
  std::iota(expected.begin(), expected.end(), Index{0});
  EXPECT_EQ(all, expected);
}

// Same seed, same split; another seed, another split; and the split is not "first rows first".
TEST(Split, DeterministicAndSeeded) {
  const auto labels = makeLabels(200, 300);
  const SplitFractions f{0.6, 0.2, 0.2};
  const Partition a = stratifiedSplit(labels, f, 11);
  const Partition b = stratifiedSplit(labels, f, 11);
  const Partition c = stratifiedSplit(labels, f, 12);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.train, c.train);
  std::vector<Index> firstRows(a.train.size());
  std::iota(firstRows.begin(), firstRows.end(), Index{0});
  EXPECT_NE(a.train, firstRows);
}

// Pins the documented scheme (per-class shuffle keyed derive(streamKey(seed, Split), label)), so a
// change that would silently alter every user's split across versions is caught.
TEST(Split, FollowsDocumentedStreamScheme) {
  const auto labels = makeLabels(10, 15);
  const Partition p = stratifiedSplit(labels, {0.6, 0.2, 0.2}, 5);
  std::vector<Index> expectTrain, expectVal, expectTest;
  for (int c = 0; c < 2; ++c) {
    std::vector<Index> rows;
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == static_cast<float>(c)) rows.push_back(static_cast<Index>(i));
    rng::shuffle(rows.data(), rows.size(), rng::derive(rng::streamKey(5, rng::Stream::Split), static_cast<std::uint64_t>(c)));
    const auto nTrain = static_cast<std::ptrdiff_t>(std::llround(0.6 * static_cast<double>(rows.size())));
    const auto nVal = static_cast<std::ptrdiff_t>(std::llround(0.2 * static_cast<double>(rows.size())));
    expectTrain.insert(expectTrain.end(), rows.begin(), rows.begin() + nTrain);
    expectVal.insert(expectVal.end(), rows.begin() + nTrain, rows.begin() + nTrain + nVal);
    expectTest.insert(expectTest.end(), rows.begin() + nTrain + nVal, rows.end());
  }
  // Each part in ascending row order (the split reads them off a per-row mark, not by sorting).
  for (auto* v : {&expectTrain, &expectVal, &expectTest}) std::sort(v->begin(), v->end());
  EXPECT_EQ(p.train, expectTrain);
  EXPECT_EQ(p.val, expectVal);
  EXPECT_EQ(p.test, expectTest);
}

// test = 0: every row goes to train or val, whatever the rounding.
TEST(Split, ZeroTestFraction) {
  const auto labels = makeLabels(7, 9);
  const Partition p = stratifiedSplit(labels, {0.5, 0.5, 0.0}, 1);
  EXPECT_TRUE(p.test.empty());
  EXPECT_EQ(p.train.size() + p.val.size(), labels.size());
  EXPECT_EQ(countClass(p.train, labels, 1.0f), 4);  // round(3.5) rounds half away from zero
  EXPECT_EQ(countClass(p.val, labels, 1.0f), 3);
}

TEST(Split, InvalidFractionsAreConfigErrors) {
  const auto labels = makeLabels(10, 10);
  for (const SplitFractions f : {SplitFractions{0.7, 0.2, 0.2}, SplitFractions{1.2, -0.1, -0.1},
                                 SplitFractions{0.0, 0.5, 0.5}, SplitFractions{0.5, 0.0, 0.5}}) {
    try {
      (void)stratifiedSplit(labels, f, 1);
      FAIL() << "expected an error for " << f.train << "/" << f.val << "/" << f.test;
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Config) << e.what();
    }
  }
}

TEST(Split, EmptyClassOrEmptyPartAreInputErrors) {
  try {
    (void)stratifiedSplit(makeLabels(0, 10), {0.6, 0.2, 0.2}, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("signal"), std::string::npos) << e.what();
  }
  // 2 signal events: round(0.4) = 0 validation events for signal.
  try {
    (void)stratifiedSplit(makeLabels(2, 100), {0.6, 0.2, 0.2}, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("val"), std::string::npos) << e.what();
  }
  const std::vector<float> bad{0.0f, 1.0f, 2.0f};
  EXPECT_THROW((void)stratifiedSplit(bad, {0.6, 0.2, 0.2}, 1), Error);
}

TEST(Balance, ParseAndPrintRoundTrip) {
  for (const auto m : {BalanceMode::None, BalanceMode::Downsample, BalanceMode::Reweight})
    EXPECT_EQ(parseBalanceMode(toString(m)), m);
  try {
    (void)parseBalanceMode("downsampel");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_NE(std::string(e.what()).find("unknown balance mode 'downsampel'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("did you mean 'downsample'?"), std::string::npos) << e.what();
  }
}

// Downsampling keeps every minority row and as many majority rows, as a sorted subset of the input.
TEST(Balance, DownsampleCountsAndSubset) {
  const auto labels = makeLabels(150, 400);
  std::vector<Index> rows;  // every other row, to check that only the given rows are used
  for (Index i = 0; i < static_cast<Index>(labels.size()); i += 2) rows.push_back(i);
  const int sig = countClass(rows, labels, 1.0f), bkg = countClass(rows, labels, 0.0f);
  ASSERT_LT(sig, bkg);
  const auto kept = balanceRows(rows, labels, BalanceMode::Downsample, 9);
  EXPECT_EQ(countClass(kept, labels, 1.0f), sig);
  EXPECT_EQ(countClass(kept, labels, 0.0f), sig);
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  EXPECT_TRUE(std::includes(rows.begin(), rows.end(), kept.begin(), kept.end()));
  for (const Index r : rows) {  // all minority rows survive
    if (labels[static_cast<std::size_t>(r)] == 1.0f) {
      EXPECT_TRUE(std::binary_search(kept.begin(), kept.end(), r)) << r;
    }
  }
}

TEST(Balance, DownsampleDeterministicAndSeeded) {
  const auto labels = makeLabels(400, 100);
  std::vector<Index> rows(labels.size());
  std::iota(rows.begin(), rows.end(), Index{0});
  const auto a = balanceRows(rows, labels, BalanceMode::Downsample, 1);
  EXPECT_EQ(a, balanceRows(rows, labels, BalanceMode::Downsample, 1));
  EXPECT_NE(a, balanceRows(rows, labels, BalanceMode::Downsample, 2));
  EXPECT_EQ(balanceRows(rows, labels, BalanceMode::Reweight, 1), rows);
  EXPECT_EQ(balanceRows(rows, labels, BalanceMode::None, 1), rows);
}

// Reweight factors equalise the summed class weights and keep the total, using signed sums.
TEST(Balance, ReweightFactorsEqualiseClassesWithNegativeWeights) {
  const auto labels = makeLabels(60, 240);
  std::vector<float> weights(labels.size());
  for (std::size_t i = 0; i < weights.size(); ++i)
    weights[i] = static_cast<float>(rng::uniform(123, i) * 2.0 - 0.4);  // about 20% negative
  std::vector<Index> rows(labels.size());
  std::iota(rows.begin(), rows.end(), Index{0});
  double s = 0, b = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) (labels[i] == 1.0f ? s : b) += weights[i];
  ASSERT_GT(s, 0.0);
  ASSERT_GT(b, 0.0);
  const ClassFactors f = balanceFactors(rows, labels, weights, BalanceMode::Reweight);
  EXPECT_NEAR(f.signal * s, f.background * b, 1e-9 * (s + b));
  EXPECT_NEAR(f.signal * s + f.background * b, s + b, 1e-9 * (s + b));

  const ClassFactors none = balanceFactors(rows, labels, weights, BalanceMode::Downsample);
  EXPECT_EQ(none.signal, 1.0);
  EXPECT_EQ(none.background, 1.0);
}

// Unit weights (empty span): factors are n_total / (2 n_class), as scikit-learn's "balanced".
TEST(Balance, ReweightUnitWeights) {
  const auto labels = makeLabels(25, 75);
  std::vector<Index> rows(labels.size());
  std::iota(rows.begin(), rows.end(), Index{0});
  const ClassFactors f = balanceFactors(rows, labels, {}, BalanceMode::Reweight);
  EXPECT_DOUBLE_EQ(f.signal, 100.0 / 50.0);
  EXPECT_DOUBLE_EQ(f.background, 100.0 / 150.0);
}

TEST(Balance, ReweightNonPositiveClassSumIsError) {
  const std::vector<float> labels{1, 1, 0, 0};
  const std::vector<float> weights{1.0f, -1.5f, 1.0f, 1.0f};
  const std::vector<Index> rows{0, 1, 2, 3};
  try {
    (void)balanceFactors(rows, labels, weights, BalanceMode::Reweight);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("signal"), std::string::npos) << e.what();
  }
}

// k-fold partitions: the test hold-out is the single-split test set for every k; the folds'
// validation sets are disjoint and cover every non-test row exactly once; fold membership is
// a function of the key alone (so apply can recompute it), and depends on the seed.
TEST(FoldPartition, FoldsCoverTheNonTestRowsOnceWithAFixedTestSet) {
  const int n = 1000;
  std::vector<float> labels(n);
  std::vector<std::uint64_t> keys(n);
  for (int i = 0; i < n; ++i) {
    labels[static_cast<std::size_t>(i)] = i % 3 == 0 ? 1.0f : 0.0f;
    keys[static_cast<std::size_t>(i)] = 1000000007ULL + static_cast<std::uint64_t>(i) * 7919ULL;
  }
  const hepsweep::data::SplitFractions f{0.6, 0.2, 0.2};
  const auto single = hepsweep::data::stratifiedSplit(labels, f, 5);
  const int k = 5;
  std::vector<int> seenAsVal(n, 0);
  for (int fold = 0; fold < k; ++fold) {
    const auto p = hepsweep::data::foldPartition(labels, keys, f, k, fold, 5);
    EXPECT_EQ(p.test, single.test);
    EXPECT_EQ(p.train.size() + p.val.size() + p.test.size(), static_cast<std::size_t>(n));
    // Exactly: the non-test rows in ascending order, by their key's fold.
    std::vector<Index> rest, expectVal, expectTrain;
    std::merge(single.train.begin(), single.train.end(), single.val.begin(), single.val.end(), std::back_inserter(rest));
    for (const Index r : rest)
      (hepsweep::data::foldOf(keys[static_cast<std::size_t>(r)], k, 5) == fold ? expectVal : expectTrain).push_back(r);
    EXPECT_EQ(p.val, expectVal);
    EXPECT_EQ(p.train, expectTrain);
    for (auto r : p.val) {
      ++seenAsVal[static_cast<std::size_t>(r)];
      EXPECT_EQ(hepsweep::data::foldOf(keys[static_cast<std::size_t>(r)], k, 5), fold);
    }
    EXPECT_NEAR(static_cast<double>(p.val.size()), 0.8 * n / k, 0.8 * n / k * 0.3);
  }
  std::vector<bool> isTest(n, false);
  for (auto r : single.test) isTest[static_cast<std::size_t>(r)] = true;
  for (int i = 0; i < n; ++i) EXPECT_EQ(seenAsVal[static_cast<std::size_t>(i)], isTest[static_cast<std::size_t>(i)] ? 0 : 1) << i;
  // k = 1 is the plain split.
  const auto one = hepsweep::data::foldPartition(labels, keys, f, 1, 0, 5);
  EXPECT_EQ(one.train, single.train);
  EXPECT_EQ(one.val, single.val);
  // The assignment depends on the seed.
  int moved = 0;
  for (int i = 0; i < 200; ++i)
    moved += hepsweep::data::foldOf(keys[static_cast<std::size_t>(i)], k, 5) != hepsweep::data::foldOf(keys[static_cast<std::size_t>(i)], k, 6);
  EXPECT_GT(moved, 100);
  EXPECT_THROW(hepsweep::data::foldPartition(labels, keys, f, k, k, 5), hepsweep::Error);
}
