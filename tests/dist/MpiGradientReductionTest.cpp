// The deterministic gradient reduction across real processes: for every power-of-two group size G
// that fits the world (1, 2 and 4 with 4 ranks), each rank sums its share of M micro-batches and
// reduceGradients combines the shares; every rank of every layout must hold exactly the bits of a
// serial tree sum over all M micro-batches computed here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "MpiTesting.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/dist/GradientReduction.hpp"
#include "hepsweep/dist/GroupLayout.hpp"

namespace hepsweep::dist {
namespace {

using mpitest::world;

constexpr int kMicroBatches = 8;
constexpr std::size_t kLength = 4099;  // not a multiple of any SIMD width

// Micro-batch k's gradient, a pure function of (seed, k) so every rank can build any of them.
// Magnitudes 2^-24 .. 2^24, both signs: the order of additions shows in the bits.
std::vector<float> microBatchGradient(std::uint64_t seed, int k) {
  const std::uint64_t key = rng::derive(rng::streamKey(seed, rng::Stream::Misc), static_cast<std::uint64_t>(k));
  std::vector<float> g(kLength);
  for (std::size_t i = 0; i < kLength; ++i) {
    const double mantissa = 1.0 + rng::uniform(key, 3 * i);
    const int exponent = static_cast<int>(rng::below(key, 3 * i + 1, 49)) - 24;
    const double sign = (rng::bits(key, 3 * i + 2) & 1) ? -1.0 : 1.0;
    g[i] = static_cast<float>(sign * std::ldexp(mantissa, exponent));
  }
  return g;
}

// Balanced pairwise tree over [lo, hi), hi - lo a power of two, written independently of the library.
std::vector<float> serialTree(const std::vector<std::vector<float>>& parts, std::size_t lo, std::size_t hi) {
  if (hi - lo == 1) return parts[lo];
  const std::size_t mid = lo + (hi - lo) / 2;
  std::vector<float> left = serialTree(parts, lo, mid);
  const std::vector<float> right = serialTree(parts, mid, hi);
  for (std::size_t i = 0; i < left.size(); ++i) left[i] = left[i] + right[i];
  return left;
}

bool sameBits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(MpiGradientReduction, BitwiseIdenticalForEveryPowerOfTwoGroupSize) {
  Communicator& comm = world();
  const std::uint64_t seed = 20261122;
  std::vector<std::vector<float>> all;
  for (int k = 0; k < kMicroBatches; ++k) all.push_back(microBatchGradient(seed, k));
  const std::vector<float> expected = serialTree(all, 0, all.size());

  // Guard against data that cannot tell orders apart: left-to-right summation must differ.
  std::vector<float> naive = all[0];
  for (int k = 1; k < kMicroBatches; ++k) {
    for (std::size_t i = 0; i < kLength; ++i) naive[i] += all[k][i];
  }
  ASSERT_FALSE(sameBits(naive, expected));

  int layouts = 0;
  for (int g = 1; g <= comm.size(); g *= 2) {
    if (comm.size() % g != 0) continue;
    const GroupLayout layout = makeGroups(comm, g);
    const MicroBatchRange share = microBatchShare(kMicroBatches, g, layout.group->rank());
    MicroBatchAccumulator accumulator(kLength);
    for (int k = share.first; k < share.first + share.count; ++k) accumulator.add(all[k]);
    std::vector<float> buffer(kLength);
    accumulator.finish(buffer);
    reduceGradients(*layout.group, buffer);
    EXPECT_TRUE(sameBits(buffer, expected)) << "G = " << g << ", world rank " << comm.rank();
    ++layouts;
  }
  EXPECT_GE(layouts, comm.size() >= 2 ? 2 : 1);
}

// G = 3 takes the gather fallback: every rank of the group must end with the same bits, equal to
// ((p0 + p1) + p2) of the three ranks' partial sums (the documented treeSum shape for 3 parts).
TEST(MpiGradientReduction, NonPowerOfTwoGroupFallsBackToOrderedTree) {
  Communicator& comm = world();
  if (comm.size() < 3) GTEST_SKIP() << "needs at least 3 ranks";
  const bool inTriple = comm.rank() < 3;
  auto group = comm.split(inTriple ? 0 : 1);
  std::vector<float> buffer = microBatchGradient(99, comm.rank());
  reduceGradients(*group, buffer);
  if (inTriple) {
    const auto p0 = microBatchGradient(99, 0), p1 = microBatchGradient(99, 1), p2 = microBatchGradient(99, 2);
    std::vector<float> expected(kLength);
    for (std::size_t i = 0; i < kLength; ++i) expected[i] = (p0[i] + p1[i]) + p2[i];
    EXPECT_TRUE(sameBits(buffer, expected)) << "world rank " << comm.rank();
  } else {
    EXPECT_TRUE(sameBits(buffer, microBatchGradient(99, comm.rank()))) << "a group of one is left unchanged";
  }
}

// The exchange a training keeps for its steps: through node-shared memory (mpiexec runs these
// tests on one node), the same bits as the serial tree for every power-of-two group size, on
// successive calls with different data (the two alternating copies of the slots), and for a
// second exchange made on the same group (the slots handed out again).
TEST(MpiGradientReduction, SharedMemoryExchangeGivesTheTreeBitsOnEveryStep) {
  Communicator& comm = world();
  int layouts = 0;
  for (int g = 1; g <= comm.size(); g *= 2) {
    if (comm.size() % g != 0) continue;
    const GroupLayout layout = makeGroups(comm, g);
    const MicroBatchRange share = microBatchShare(kMicroBatches, g, layout.group->rank());
    for (int exchangeNo = 0; exchangeNo < 2; ++exchangeNo) {
      GradientExchange exchange(*layout.group, kLength);
      EXPECT_EQ(exchange.sharedMemory(), g > 1) << "G = " << g;
      for (int step = 0; step < 3; ++step) {
        const std::uint64_t seed = 1000 + 10 * static_cast<std::uint64_t>(exchangeNo) + static_cast<std::uint64_t>(step);
        std::vector<std::vector<float>> all;
        for (int k = 0; k < kMicroBatches; ++k) all.push_back(microBatchGradient(seed, k));
        MicroBatchAccumulator accumulator(kLength);
        for (int k = share.first; k < share.first + share.count; ++k) accumulator.add(all[k]);
        std::vector<float> buffer(kLength);
        accumulator.finish(buffer);
        exchange.reduce(buffer);
        EXPECT_TRUE(sameBits(buffer, serialTree(all, 0, all.size())))
            << "G = " << g << ", exchange " << exchangeNo << ", step " << step << ", world rank " << comm.rank();
      }
    }
    ++layouts;
  }
  EXPECT_GE(layouts, comm.size() >= 2 ? 2 : 1);
}

// The sharded step a training takes (reduceOwnRange, an update of the own range, shareOwnRanges,
// and once per epoch gatherOwnRanges), for every group size that fits the world, 3 included: the
// own ranges tile the buffer on 16-float boundaries, each holds the bits of the whole reduce(),
// the partial sum is read from partialSlot() without a copy, and after sharing (and gathering, three
// vectors: two rounds) every rank holds every rank's update. A range summed or copied from the
// wrong rank or copy, or a step writing where another rank reads, changes the bits.
TEST(MpiGradientReduction, ShardedStepGivesTheBitsOfTheWholeStepOnEveryRank) {
  Communicator& comm = world();
  for (int g = 1; g <= comm.size(); ++g) {
    if (comm.size() % g != 0 && g != 3) continue;
    const int colour = comm.rank() / g;
    auto group = comm.split(colour);  // with G = 3 of 4 ranks, the last group has one rank
    GradientExchange whole(*group, kLength);
    GradientExchange sharded(*group, kLength);
    EXPECT_EQ(sharded.sharded(), group->size() > 1) << "G = " << g;
    const GradientExchange::Range own = sharded.ownRange();
    EXPECT_EQ(own.first % 16, 0u);
    EXPECT_LE(own.first + own.count, kLength);
    if (!sharded.sharded()) {
      EXPECT_EQ(own.count, kLength);
    }
    std::vector<float> params = microBatchGradient(7, 100);  // the same start on every rank
    for (int step = 0; step < 3; ++step) {
      const std::uint64_t seed = 500 + static_cast<std::uint64_t>(step);
      std::vector<float> expected = microBatchGradient(seed, group->rank());
      whole.reduce(expected);
      const std::vector<float> mine = microBatchGradient(seed, group->rank());
      std::vector<float> out(kLength, -1.0f);
      float* slot = sharded.partialSlot();
      EXPECT_EQ(slot != nullptr, sharded.sharded());
      if (slot) std::copy(mine.begin(), mine.end(), slot);
      else std::copy(mine.begin(), mine.end(), out.begin());
      sharded.reduceOwnRange(slot ? slot : out.data(), out);
      EXPECT_TRUE(sameBits({out.data() + own.first, own.count}, {expected.data() + own.first, own.count}))
          << "G = " << g << ", step " << step << ", world rank " << comm.rank();
      // A step of the own range; every rank then must hold the whole step's result.
      std::vector<float> reference = params;
      for (std::size_t i = 0; i < kLength; ++i) reference[i] = reference[i] - 0.5f * expected[i];
      for (std::size_t i = own.first; i < own.first + own.count; ++i) params[i] = params[i] - 0.5f * out[i];
      sharded.shareOwnRanges(params);
      EXPECT_TRUE(sameBits(params, reference)) << "G = " << g << ", step " << step << ", world rank " << comm.rank();
    }
    // Three state vectors current in the own ranges only (rank-specific values elsewhere).
    std::vector<std::vector<float>> state(3, std::vector<float>(kLength)), truth = state;
    for (std::size_t k = 0; k < 3; ++k) {
      truth[k] = microBatchGradient(900 + k, 0);
      state[k] = microBatchGradient(950 + k, group->rank() + 1);
      std::copy_n(truth[k].begin() + static_cast<std::ptrdiff_t>(own.first), own.count,
                  state[k].begin() + static_cast<std::ptrdiff_t>(own.first));
    }
    std::vector<std::span<float>> spans(state.begin(), state.end());
    sharded.gatherOwnRanges(spans);
    for (std::size_t k = 0; k < 3; ++k)
      EXPECT_TRUE(sameBits(state[k], truth[k])) << "G = " << g << ", vector " << k << ", world rank " << comm.rank();
  }
}

// Three ranks through shared memory: ((p0 + p1) + p2), as the message path's gather fallback.
TEST(MpiGradientReduction, SharedMemoryExchangeOfThreeRanksKeepsTheOrderedTree) {
  Communicator& comm = world();
  if (comm.size() < 3) GTEST_SKIP() << "needs at least 3 ranks";
  const bool inTriple = comm.rank() < 3;
  auto group = comm.split(inTriple ? 0 : 1);
  GradientExchange exchange(*group, kLength);
  EXPECT_EQ(exchange.sharedMemory(), group->size() > 1);
  for (int step = 0; step < 3; ++step) {
    std::vector<float> buffer = microBatchGradient(99 + step, comm.rank());
    exchange.reduce(buffer);
    if (!inTriple) continue;
    const auto p0 = microBatchGradient(99 + step, 0), p1 = microBatchGradient(99 + step, 1),
               p2 = microBatchGradient(99 + step, 2);
    std::vector<float> expected(kLength);
    for (std::size_t i = 0; i < kLength; ++i) expected[i] = (p0[i] + p1[i]) + p2[i];
    EXPECT_TRUE(sameBits(buffer, expected)) << "step " << step << ", world rank " << comm.rank();
  }
}

// The fast path is a plain sum: close to the exact sum (not bitwise), and the same on all ranks
// of the group is not promised, so only the value is checked.
TEST(MpiGradientReduction, FastModeSums) {
  Communicator& comm = world();
  std::vector<float> buffer = microBatchGradient(5, comm.rank());
  reduceGradients(comm, buffer, GradientSum::Fast);
  std::vector<double> exact(kLength, 0.0), magnitude(kLength, 0.0);
  for (int r = 0; r < comm.size(); ++r) {
    const auto part = microBatchGradient(5, r);
    for (std::size_t i = 0; i < kLength; ++i) {
      exact[i] += part[i];
      magnitude[i] += std::fabs(part[i]);
    }
  }
  for (std::size_t i = 0; i < kLength; ++i) {
    ASSERT_NEAR(buffer[i], exact[i], 1e-6 * magnitude[i]) << "element " << i;
  }
}

}  // namespace
}  // namespace hepsweep::dist
