// Real multi-process tests of MpiCommunicator and the group layout (run with 2 and 4 ranks).
// Expected values are computed here from the rank numbers, never by the code under test.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "MpiTesting.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Environment.hpp"
#include "hepsweep/dist/GroupLayout.hpp"

namespace hepsweep::dist {
namespace {

using mpitest::world;

// ctest starts this binary through mpiexec: MpiMode::Auto must see a launcher there, or a real
// campaign would run as N unrelated serial copies.
TEST(MpiEnvironment, LauncherIsDetected) {
  if (world().size() < 2) GTEST_SKIP() << "a singleton may run without a launcher";
  const Launcher launcher = Environment::detectLauncher();
  EXPECT_TRUE(launcher == Launcher::Mpiexec || launcher == Launcher::Srun);
}

// Broadcast from the last rank (not 0, so a root that is ignored shows), of every type; the string
// has a different length on each rank and must take the root's.
TEST(MpiCollectives, BroadcastFromNonZeroRoot) {
  Communicator& comm = world();
  const int root = comm.size() - 1;
  const bool isRoot = comm.rank() == root;

  std::vector<std::byte> bytes(5, std::byte{0});
  if (isRoot) bytes = {std::byte{1}, std::byte{2}, std::byte{0xff}, std::byte{0}, std::byte{9}};
  comm.broadcast(std::span(bytes), root);
  EXPECT_EQ(bytes, (std::vector<std::byte>{std::byte{1}, std::byte{2}, std::byte{0xff}, std::byte{0}, std::byte{9}}));

  std::vector<std::int64_t> ints = {comm.rank(), -1};
  if (isRoot) ints = {1LL << 40, -7};
  comm.broadcast(std::span(ints), root);
  EXPECT_EQ(ints, (std::vector<std::int64_t>{1LL << 40, -7}));

  std::vector<double> doubles = {0.0, 0.0, 0.0};
  if (isRoot) doubles = {0.1, -1e300, 5e-324};
  comm.broadcast(std::span(doubles), root);
  EXPECT_EQ(doubles, (std::vector<double>{0.1, -1e300, 5e-324}));

  std::string text(static_cast<std::size_t>(comm.rank()) * 3 + 1, 'x');
  if (isRoot) text = "m_{#mu#pi} [GeV]\n\xce\xbc";
  comm.broadcast(text, root);
  EXPECT_EQ(text, "m_{#mu#pi} [GeV]\n\xce\xbc");
}

TEST(MpiCollectives, AllreduceSumMinMax) {
  Communicator& comm = world();
  const int n = comm.size();
  const std::int64_t r = comm.rank();
  // Sum of 0..n-1 and of squares, extremes at the first and last rank.
  const std::int64_t sumRanks = std::int64_t{n} * (n - 1) / 2;

  std::vector<std::int64_t> sum = {r, r * r, 1LL << 40};
  comm.allreduce(std::span(sum), ReduceOp::Sum);
  std::int64_t squares = 0;
  for (int k = 0; k < n; ++k) squares += std::int64_t{k} * k;
  EXPECT_EQ(sum, (std::vector<std::int64_t>{sumRanks, squares, n * (1LL << 40)}));

  std::vector<std::int64_t> lo = {r, -r};
  comm.allreduce(std::span(lo), ReduceOp::Min);
  EXPECT_EQ(lo, (std::vector<std::int64_t>{0, -(n - 1)}));
  std::vector<std::int64_t> hi = {r, -r};
  comm.allreduce(std::span(hi), ReduceOp::Max);
  EXPECT_EQ(hi, (std::vector<std::int64_t>{n - 1, 0}));

  // Halves are exact in double, so the sum does not depend on MPI's order.
  std::vector<double> d = {0.5 * static_cast<double>(r), 1.0};
  comm.allreduce(std::span(d), ReduceOp::Sum);
  EXPECT_EQ(d, (std::vector<double>{0.5 * static_cast<double>(sumRanks), static_cast<double>(n)}));
  std::vector<double> dmin = {static_cast<double>(r) - 0.25};
  comm.allreduce(std::span(dmin), ReduceOp::Min);
  EXPECT_EQ(dmin[0], -0.25);
  std::vector<double> dmax = {static_cast<double>(r) - 0.25};
  comm.allreduce(std::span(dmax), ReduceOp::Max);
  EXPECT_EQ(dmax[0], static_cast<double>(n - 1) - 0.25);
}

TEST(MpiCollectives, AllgatherFixedVariableAndStrings) {
  Communicator& comm = world();
  const int n = comm.size();
  const auto ranks = comm.allgather(std::int64_t{comm.rank()} * 10);
  ASSERT_EQ(ranks.size(), static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) EXPECT_EQ(ranks[k], k * 10);

  // Rank k contributes k values (rank 0 none), each equal to k + 0.5.
  const std::vector<double> mine(static_cast<std::size_t>(comm.rank()), comm.rank() + 0.5);
  const auto all = comm.allgatherv(std::span<const double>(mine));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) EXPECT_EQ(all[k], std::vector<double>(static_cast<std::size_t>(k), k + 0.5));

  const auto names = comm.allgather("rank-" + std::to_string(comm.rank()));
  ASSERT_EQ(names.size(), static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) EXPECT_EQ(names[k], "rank-" + std::to_string(k));
}

// The transport step of the butterfly: each rank gets exactly its partner's buffer.
TEST(MpiCollectives, SendReceiveWithPartner) {
  Communicator& comm = world();
  const int peer = comm.rank() ^ 1;
  if (peer >= comm.size()) GTEST_SKIP() << "odd world size";
  const std::vector<float> send = {static_cast<float>(comm.rank()), 1.5f, -2.0f};
  std::vector<float> received(3);
  comm.sendReceive(peer, send, received);
  EXPECT_EQ(received, (std::vector<float>{static_cast<float>(peer), 1.5f, -2.0f}));
}

// Colour by parity, key reversing the order: the sub-communicator must contain exactly the ranks of
// one parity, ordered by key. Also creates and frees many sub-communicators (each freed once).
TEST(MpiCollectives, SplitByColourAndKey) {
  Communicator& comm = world();
  const int n = comm.size();
  auto sub = comm.split(comm.rank() % 2, -comm.rank());
  const auto members = sub->allgather(std::int64_t{comm.rank()});
  std::vector<std::int64_t> expected;
  for (int k = n - 1; k >= 0; --k) {
    if (k % 2 == comm.rank() % 2) expected.push_back(k);
  }
  EXPECT_EQ(members, expected);
  EXPECT_EQ(sub->size(), static_cast<int>(expected.size()));
  EXPECT_EQ(members[static_cast<std::size_t>(sub->rank())], comm.rank());
  for (int i = 0; i < 200; ++i) {
    auto temporary = comm.split(0);
    EXPECT_EQ(temporary->size(), n);
  }
}

// Groups are consecutive world ranks; the leader is the lowest; counts and indices agree.
TEST(MpiGroupLayout, GroupsOfEveryDivisor) {
  Communicator& comm = world();
  const int n = comm.size();
  for (int g = 1; g <= n; ++g) {
    if (n % g != 0) continue;
    const GroupLayout layout = makeGroups(comm, g);
    EXPECT_EQ(layout.ranksPerGroup, g);
    EXPECT_EQ(layout.groupCount, n / g);
    EXPECT_EQ(layout.groupIndex, comm.rank() / g);
    EXPECT_EQ(layout.group->size(), g);
    EXPECT_EQ(layout.leader, comm.rank() % g == 0);
    const auto members = layout.group->allgather(std::int64_t{comm.rank()});
    for (int k = 0; k < g; ++k) EXPECT_EQ(members[k], layout.groupIndex * g + k);
  }
}

// The configuration error must name the key, the value, the world size and the valid choices.
TEST(MpiGroupLayout, NonDividingGroupSizeIsAConfigError) {
  Communicator& comm = world();
  std::string expected;
  switch (comm.size()) {
    case 2: expected = "resources.ranks_per_item = 3 does not divide the 2 MPI ranks; use 1 or 2"; break;
    case 4: expected = "resources.ranks_per_item = 3 does not divide the 4 MPI ranks; use 1, 2 or 4"; break;
    default: GTEST_SKIP() << "expected messages written for 2 and 4 ranks";
  }
  try {
    makeGroups(comm, 3);
    FAIL() << "3 ranks per item must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_EQ(std::string(e.what()), expected);
  }
  EXPECT_THROW(makeGroups(comm, 8), Error);
}

}  // namespace
}  // namespace hepsweep::dist
