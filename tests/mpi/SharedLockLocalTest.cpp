// dist::SharedLock on one process (LocalSharedLock, what a serial campaign uses).
#include <gtest/gtest.h>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/SharedLock.hpp"

namespace hepsweep::dist {
namespace {

// Committed values persist to the next holder; uncommitted ones (guard destroyed, as when an
// exception leaves the critical section) are dropped. Catches a guard that writes on destruction.
TEST(SharedLockLocal, CommitKeepsAndDestructionDiscards) {
  LocalCommunicator comm;
  auto lock = makeSharedLock(comm, 2);
  ASSERT_EQ(lock->registerCount(), 2u);
  {
    auto g = lock->acquire();
    EXPECT_EQ(g.get(0), 0);
    EXPECT_EQ(g.get(1), 0);
    g.set(1, 7);
    g.commit();
  }
  {
    auto g = lock->acquire();
    EXPECT_EQ(g.get(1), 7);
    g.set(1, 8);
  }
  auto g = lock->acquire();
  EXPECT_EQ(g.get(1), 7);
  g.commit();
}

// Misuse is a bug (Internal), not a deadlock or silent corruption: taking the lock twice on one
// rank, a register past the end, using a guard after commit, and a lock without registers.
TEST(SharedLockLocal, MisuseIsAnInternalError) {
  LocalCommunicator comm;
  auto lock = makeSharedLock(comm, 1);
  const auto category = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.category();
    }
    return ErrorCategory::Io;  // "nothing thrown" shows as a wrong category
  };
  {
    auto g = lock->acquire();
    EXPECT_EQ(category([&] { (void)lock->acquire(); }), ErrorCategory::Internal);
    EXPECT_EQ(category([&] { (void)g.get(1); }), ErrorCategory::Internal);
    g.commit();
    EXPECT_EQ(category([&] { g.set(0, 1); }), ErrorCategory::Internal);
    EXPECT_EQ(category([&] { g.commit(); }), ErrorCategory::Internal);
  }
  // Released by commit: it can be taken again.
  auto again = lock->acquire();
  again.commit();
  EXPECT_EQ(category([&] { (void)makeSharedLock(comm, 0); }), ErrorCategory::Internal);
}

}  // namespace
}  // namespace hepsweep::dist
