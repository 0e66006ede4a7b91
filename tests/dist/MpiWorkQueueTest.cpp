// The dynamic work queue across real processes (2 and 4 ranks, also with Open MPI's osc pt2pt
// forced, the path taken across nodes without RDMA): every item is handed out exactly once under
// contention, a pending list is honoured, groups see the same items, and ranks get items while
// world rank 0 (which holds the counter) is busy computing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "MpiTesting.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/dist/GroupLayout.hpp"
#include "hepsweep/dist/WorkQueue.hpp"

namespace hepsweep::dist {
namespace {

using mpitest::world;
using Clock = std::chrono::steady_clock;

// Takes items until the queue is empty, sleeping a random 0..maxMicros after each.
std::vector<std::int64_t> drain(WorkQueue& queue, std::uint64_t seed, int maxMicros) {
  std::vector<std::int64_t> got;
  std::uint64_t counter = 0;
  const std::uint64_t key = rng::streamKey(seed, rng::Stream::Misc);
  while (auto item = queue.next()) {
    got.push_back(*item);
    if (maxMicros > 0) {
      const auto pause = static_cast<long>(rng::below(key, counter++, static_cast<std::uint64_t>(maxMicros)));
      std::this_thread::sleep_for(std::chrono::microseconds(pause));
    }
  }
  return got;
}

// Union over ranks must be the item list, with no duplicate: a lost or repeated item fails here.
void expectExactlyOnce(const std::vector<std::vector<std::int64_t>>& perRank, std::vector<std::int64_t> items) {
  std::vector<std::int64_t> all;
  for (const auto& got : perRank) all.insert(all.end(), got.begin(), got.end());
  std::sort(all.begin(), all.end());
  std::sort(items.begin(), items.end());
  EXPECT_EQ(all, items);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "an item was handed out twice";
}

TEST(MpiWorkQueue, EveryItemExactlyOnceWithRandomPauses) {
  Communicator& comm = world();
  auto queue = comm.makeWorkQueue(allItems(60));
  const auto got = drain(*queue, 1000 + static_cast<std::uint64_t>(comm.rank()), 3000);
  EXPECT_EQ(queue->next(), std::nullopt) << "an exhausted queue stays exhausted";
  expectExactlyOnce(comm.allgatherv(std::span<const std::int64_t>(got)), allItems(60));
}

TEST(MpiWorkQueue, EveryItemExactlyOnceUnderHeavyContention) {
  Communicator& comm = world();
  auto queue = comm.makeWorkQueue(allItems(3000));
  const auto got = drain(*queue, 0, 0);
  expectExactlyOnce(comm.allgatherv(std::span<const std::int64_t>(got)), allItems(3000));
}

// With items that take time, work spreads over the ranks: none idles while items remain.
TEST(MpiWorkQueue, NoRankIdlesWhileItemsRemain) {
  Communicator& comm = world();
  const std::int64_t count = 8 * comm.size();
  auto queue = comm.makeWorkQueue(allItems(count));
  std::vector<std::int64_t> got;
  while (auto item = queue->next()) {
    got.push_back(*item);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto perRank = comm.allgatherv(std::span<const std::int64_t>(got));
  expectExactlyOnce(perRank, allItems(count));
  for (std::size_t r = 0; r < perRank.size(); ++r) EXPECT_GE(perRank[r].size(), 2u) << "rank " << r;
}

// After a resume only the pending ids are handed out, each once, starting with the list's first.
TEST(MpiWorkQueue, PendingItemsAfterResume) {
  Communicator& comm = world();
  const std::vector<std::int64_t> pending = {17, 3, 40, 41, 1000000007, 5};
  auto queue = comm.makeWorkQueue(pending);
  EXPECT_EQ(queue->itemCount(), pending.size());
  std::vector<std::int64_t> got;
  if (comm.rank() == 0) {
    const auto first = queue->next();
    EXPECT_EQ(first, std::optional<std::int64_t>(17));
    if (first) got.push_back(*first);
  }
  comm.barrier();  // the first item is taken before anyone else asks
  const auto rest = drain(*queue, 7 + static_cast<std::uint64_t>(comm.rank()), 500);
  got.insert(got.end(), rest.begin(), rest.end());
  expectExactlyOnce(comm.allgatherv(std::span<const std::int64_t>(got)), pending);
}

// Group leaders take items and broadcast them: all members of a group work on the same sequence,
// and the groups together cover every item once.
TEST(MpiWorkQueue, GroupsShareTheirLeadersItems) {
  Communicator& comm = world();
  if (comm.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  const GroupLayout layout = makeGroups(comm, 2);
  auto queue = comm.makeWorkQueue(allItems(25));
  std::vector<std::int64_t> got;
  while (auto item = nextItemForGroup(*queue, *layout.group)) {
    got.push_back(*item);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto perRank = comm.allgatherv(std::span<const std::int64_t>(got));
  std::vector<std::vector<std::int64_t>> perGroup;
  for (std::size_t r = 0; r < perRank.size(); r += 2) {
    EXPECT_EQ(perRank[r], perRank[r + 1]) << "ranks " << r << " and " << r + 1 << " of one group";
    perGroup.push_back(perRank[r]);
  }
  expectExactlyOnce(perGroup, allItems(25));
}

// Rank 0 holds the counter but computes for 1.5 s without taking items, only calling poll() as a
// training step would: the other ranks must take every item meanwhile. This fails if progress
// needed rank 0 to call next() or to block in MPI (no rank may be dedicated to coordination).
TEST(MpiWorkQueue, OthersProgressWhileRankZeroComputes) {
  Communicator& comm = world();
  if (comm.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  auto queue = comm.makeWorkQueue(allItems(12));
  std::vector<std::int64_t> got;
  double seconds = 0.0;
  const auto start = Clock::now();
  if (comm.rank() == 0) {
    while (Clock::now() - start < std::chrono::milliseconds(1500)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      queue->poll();
    }
    got = drain(*queue, 0, 0);
  } else {
    got = drain(*queue, 0, 0);
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  const auto perRank = comm.allgatherv(std::span<const std::int64_t>(got));
  expectExactlyOnce(perRank, allItems(12));
  EXPECT_TRUE(perRank[0].empty()) << "rank 0 found items left after computing for 1.5 s";
  if (comm.rank() != 0) {
    EXPECT_LT(seconds, 1.4);
  }
}

// Ranks disagreeing on the list would skip or repeat items: every rank must refuse.
TEST(MpiWorkQueue, DifferentListsOnRanksAreRefused) {
  Communicator& comm = world();
  if (comm.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  std::vector<std::int64_t> shorter = {0, 1, 2};
  if (comm.rank() == 1) shorter.pop_back();
  EXPECT_THROW(comm.makeWorkQueue(shorter), Error);
  std::vector<std::int64_t> otherIds = {0, 1, 2};
  if (comm.rank() == 1) otherIds[2] = 3;
  EXPECT_THROW(comm.makeWorkQueue(otherIds), Error);
}

}  // namespace
}  // namespace hepsweep::dist
