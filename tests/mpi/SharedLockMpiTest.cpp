// dist::SharedLock over MPI ranks (run under mpiexec -n 2 and -n 4, and with osc pt2pt).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "MpiTesting.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/SharedLock.hpp"

namespace hepsweep::dist {
namespace {

// Every rank adds 1 to a register 200 times, each a read-modify-write under the lock. Without
// mutual exclusion (say a shared lock, or a lock granted lazily and never forced by the read) two
// ranks read the same value and one increment is lost: the total would fall short of 200 * size.
TEST(SharedLockMpi, IncrementsUnderTheLockAreNeverLost) {
  Communicator& world = mpitest::world();
  auto lock = makeSharedLock(world, 2);
  constexpr int kRounds = 200;
  for (int i = 0; i < kRounds; ++i) {
    auto guard = lock->acquire();
    const std::int64_t v = guard.get(0);
    guard.set(0, v + 1);
    guard.set(1, world.rank());
    guard.commit();
    lock->poll();
  }
  world.barrier();
  auto guard = lock->acquire();
  EXPECT_EQ(guard.get(0), static_cast<std::int64_t>(kRounds) * world.size());
  EXPECT_GE(guard.get(1), 0);
  EXPECT_LT(guard.get(1), world.size());
  guard.commit();
  world.barrier();
}

// A rank that holds the lock for a while (it sleeps inside) keeps the others out: each records
// the time it entered and left; no two ranks' intervals may overlap. Catches a lock that is only
// taken when the first RMA operation completes but released early, or not exclusive.
TEST(SharedLockMpi, HoldersDoNotOverlapInTime) {
  Communicator& world = mpitest::world();
  auto lock = makeSharedLock(world, 1);
  using Clock = std::chrono::steady_clock;
  std::vector<double> mine;
  const auto origin = Clock::now();
  world.barrier();
  for (int i = 0; i < 3; ++i) {
    auto guard = lock->acquire();
    const double enter = std::chrono::duration<double>(Clock::now() - origin).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const double leave = std::chrono::duration<double>(Clock::now() - origin).count();
    guard.set(0, guard.get(0) + 1);
    guard.commit();
    mine.push_back(enter);
    mine.push_back(leave);
  }
  // steady_clock is per-node monotonic; all ranks of this test share one node, and the barrier
  // above lines up the origins to within the barrier's skew (well under the 20 ms held).
  const auto all = world.allgatherv(std::span<const double>(mine));
  std::vector<std::pair<double, double>> intervals;
  for (const auto& r : all)
    for (std::size_t i = 0; i + 1 < r.size(); i += 2) intervals.emplace_back(r[i], r[i + 1]);
  std::sort(intervals.begin(), intervals.end());
  for (std::size_t i = 1; i < intervals.size(); ++i)
    EXPECT_GE(intervals[i].first, intervals[i - 1].second - 0.005) << "holders " << i - 1 << " and " << i << " overlap";
  world.barrier();
}

// A guard destroyed without commit() (an exception in the critical section) releases the lock
// and leaves the registers as they were, so the next holder is not blocked and sees no half-done
// change.
TEST(SharedLockMpi, UncommittedChangesAreDiscardedAndTheLockReleased) {
  Communicator& world = mpitest::world();
  auto lock = makeSharedLock(world, 1);
  if (world.rank() == 0) {
    auto guard = lock->acquire();
    guard.set(0, 99);
  }
  world.barrier();
  {
    auto guard = lock->acquire();
    EXPECT_EQ(guard.get(0), 0);
    guard.commit();
  }
  world.barrier();
}

}  // namespace
}  // namespace hepsweep::dist
