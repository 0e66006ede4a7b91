// Unit tests of the fixed summation tree (no communication): the accumulator and treeSum follow
// the documented shape, and summing each rank's share of micro-batches and then combining the
// shares pairwise reproduces the tree over all micro-batches bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/dist/GradientReduction.hpp"

namespace hepsweep::dist {
namespace {

// Values spread over 2^-24 .. 2^24 with both signs, so the order of additions shows in the bits.
std::vector<std::vector<float>> wideRangeParts(std::size_t count, std::size_t length, std::uint64_t seed) {
  const std::uint64_t key = rng::streamKey(seed, rng::Stream::Misc);
  std::vector<std::vector<float>> parts(count, std::vector<float>(length));
  std::uint64_t counter = 0;
  for (auto& part : parts) {
    for (float& v : part) {
      const double mantissa = 1.0 + rng::uniform(key, counter++);
      const int exponent = static_cast<int>(rng::below(key, counter++, 49)) - 24;
      const double sign = (rng::bits(key, counter++) & 1) ? -1.0 : 1.0;
      v = static_cast<float>(sign * std::ldexp(mantissa, exponent));
    }
  }
  return parts;
}

// The documented shape, written out independently: first p parts (p the largest power of two
// below n) plus the rest.
std::vector<float> referenceTree(const std::vector<std::vector<float>>& parts, std::size_t lo, std::size_t hi) {
  if (hi - lo == 1) return parts[lo];
  std::size_t p = 1;
  while (p * 2 < hi - lo) p *= 2;
  std::vector<float> left = referenceTree(parts, lo, lo + p);
  const std::vector<float> right = referenceTree(parts, lo + p, hi);
  for (std::size_t i = 0; i < left.size(); ++i) left[i] = left[i] + right[i];
  return left;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Catches any change of the tree shape (e.g. left-to-right accumulation, wrong final collapse for a
// count that is not a power of two) in both the accumulator and treeSum.
TEST(TreeSum, MatchesDocumentedShapeForEveryCount) {
  const std::size_t length = 257;
  for (std::size_t n = 1; n <= 17; ++n) {
    const auto parts = wideRangeParts(n, length, 100 + n);
    const auto expected = referenceTree(parts, 0, n);

    std::vector<std::span<const float>> views(parts.begin(), parts.end());
    std::vector<float> viaTreeSum(length);
    treeSum(views, viaTreeSum);
    EXPECT_TRUE(sameBits(viaTreeSum, expected)) << "treeSum, n = " << n;

    MicroBatchAccumulator accumulator(length);
    for (const auto& part : parts) accumulator.add(part);
    EXPECT_EQ(accumulator.count(), n);
    std::vector<float> viaAccumulator(length);
    accumulator.finish(viaAccumulator);
    EXPECT_TRUE(sameBits(viaAccumulator, expected)) << "accumulator, n = " << n;
    EXPECT_EQ(accumulator.count(), 0u);

    // In place, into a separate output and into the first part's own buffer.
    for (const bool intoFirst : {false, true}) {
      std::vector<std::vector<float>> scratch = parts;
      std::vector<float*> pointers;
      for (auto& part : scratch) pointers.push_back(part.data());
      std::vector<float> viaInPlace(length, -1.0f);
      float* out = intoFirst ? scratch[0].data() : viaInPlace.data();
      treeSumInPlace(pointers, length, out);
      EXPECT_TRUE(sameBits(std::vector<float>(out, out + length), expected))
          << "treeSumInPlace, n = " << n << (intoFirst ? " into the first part" : "");
    }
  }
}

// The test data must be able to fail: left-to-right summation gives other bits than the tree.
TEST(TreeSum, DiffersFromLeftToRightSum) {
  const auto parts = wideRangeParts(8, 1000, 7);
  std::vector<float> naive = parts[0];
  for (std::size_t k = 1; k < parts.size(); ++k) {
    for (std::size_t i = 0; i < naive.size(); ++i) naive[i] += parts[k][i];
  }
  EXPECT_FALSE(sameBits(naive, referenceTree(parts, 0, parts.size())));
}

// The property the distributed reduction relies on: with M micro-batches and G ranks (powers of
// two, G <= M), each rank's share summed by the accumulator, then combined pairwise in rank order,
// equals the tree over all M micro-batches. Would fail for uneven or non-consecutive shares.
TEST(MicroBatchShare, SharesComposeToTheFullTree) {
  const int m = 8;
  const std::size_t length = 513;
  const auto parts = wideRangeParts(m, length, 42);
  const auto full = referenceTree(parts, 0, m);
  for (int g = 1; g <= m; g *= 2) {
    std::vector<std::vector<float>> partials;
    int next = 0;
    for (int r = 0; r < g; ++r) {
      const MicroBatchRange share = microBatchShare(m, g, r);
      EXPECT_EQ(share.first, next) << "shares must be consecutive";
      EXPECT_EQ(share.count, m / g);
      next = share.first + share.count;
      MicroBatchAccumulator accumulator(length);
      for (int k = share.first; k < share.first + share.count; ++k) accumulator.add(parts[k]);
      partials.emplace_back(length);
      accumulator.finish(partials.back());
    }
    EXPECT_EQ(next, m);
    EXPECT_TRUE(sameBits(referenceTree(partials, 0, partials.size()), full)) << "G = " << g;
  }
}

TEST(MicroBatchShare, UnevenSplitCoversEverythingOnce) {
  int next = 0;
  for (int r = 0; r < 3; ++r) {
    const MicroBatchRange share = microBatchShare(8, 3, r);
    EXPECT_EQ(share.first, next);
    EXPECT_GE(share.count, 2);
    EXPECT_LE(share.count, 3);
    next += share.count;
  }
  EXPECT_EQ(next, 8);
  EXPECT_THROW(microBatchShare(8, 2, 2), Error);
}

TEST(MicroBatchAccumulator, EmptyGivesZerosAndWrongLengthIsRefused) {
  MicroBatchAccumulator accumulator(3);
  std::vector<float> out = {1.0f, 2.0f, 3.0f};
  accumulator.finish(out);
  EXPECT_EQ(out, (std::vector<float>{0.0f, 0.0f, 0.0f}));
  std::vector<float> shortGradient(2);
  EXPECT_THROW(accumulator.add(shortGradient), Error);
  // Reused after finish: the second batch's result must not contain the first one's.
  const std::vector<float> a = {1.0f, 1.0f, 1.0f}, b = {2.0f, 2.0f, 2.0f};
  accumulator.add(a);
  accumulator.finish(out);
  accumulator.add(b);
  accumulator.finish(out);
  EXPECT_EQ(out, b);
}

TEST(IsPowerOfTwo, Values) {
  EXPECT_TRUE(isPowerOfTwo(1));
  EXPECT_TRUE(isPowerOfTwo(4));
  EXPECT_TRUE(isPowerOfTwo(1024));
  EXPECT_FALSE(isPowerOfTwo(0));
  EXPECT_FALSE(isPowerOfTwo(3));
  EXPECT_FALSE(isPowerOfTwo(-4));
}

}  // namespace
}  // namespace hepsweep::dist
