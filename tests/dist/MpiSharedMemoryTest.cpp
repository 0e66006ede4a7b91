// Node-shared memory (dist::allocateShared) under mpiexec: the ranks of a node see one block, what
// the node's filler wrote is what every rank reads after publish(), and a filler's failure reaches
// every rank as the same error instead of leaving the others waiting. On one host every rank is
// on the same node.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "MpiTesting.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/SharedMemory.hpp"

namespace hepsweep::dist {
namespace {

using mpitest::world;

// Distinct values over a block bigger than a page, so a block that is per rank (not shared) or
// copied short shows.
TEST(MpiSharedMemory, EveryRankReadsWhatTheFillerWrote) {
  Communicator& comm = world();
  const std::size_t n = 3 * 1024 * 1024 + 7;  // 24 MB of int64
  const auto block = allocateShared(comm, n * sizeof(std::int64_t));
  ASSERT_EQ(block->bytes().size(), n * sizeof(std::int64_t));
  EXPECT_EQ(block->nodeRanks(), comm.size());
  auto* values = reinterpret_cast<std::int64_t*>(block->bytes().data());
  if (block->filler()) {
    for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<std::int64_t>(i * 2654435761u);
  }
  block->publish();
  EXPECT_EQ(block->filler(), comm.rank() == 0);
  for (std::size_t i = 0; i < n; i += 4093) ASSERT_EQ(values[i], static_cast<std::int64_t>(i * 2654435761u)) << i;
  EXPECT_EQ(values[n - 1], static_cast<std::int64_t>((n - 1) * 2654435761u));
  // One block for the node: a write by the last rank is seen by the first after a barrier.
  comm.barrier();
  if (comm.rank() == comm.size() - 1) values[5] = -42;
  block->publish();
  EXPECT_EQ(values[5], -42);
}

TEST(MpiSharedMemory, AFillersErrorReachesEveryRank) {
  Communicator& comm = world();
  const auto block = allocateShared(comm, 1024);
  const std::string error = block->filler() ? "cannot read 'data.h5': truncated" : "";
  try {
    block->publish(error, ErrorCategory::Input);
    FAIL() << "publish() should have thrown on rank " << comm.rank();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_EQ(std::string(e.what()), "cannot read 'data.h5': truncated");
  }
}

}  // namespace
}  // namespace hepsweep::dist
