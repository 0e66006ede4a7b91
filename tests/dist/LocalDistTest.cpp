// Unit tests of the dist module without MPI: the LocalCommunicator contract (every collective
// succeeds and leaves the data as a one-rank run would), the local work queue, group layout errors,
// and launcher detection from environment variables.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/Environment.hpp"
#include "hepsweep/dist/GradientReduction.hpp"
#include "hepsweep/dist/GroupLayout.hpp"
#include "hepsweep/dist/SharedMemory.hpp"
#include "hepsweep/dist/WorkQueue.hpp"

namespace hepsweep::dist {
namespace {

// Training code calls collectives unconditionally; on one rank they must keep the data unchanged
// (a Local allreduce that zeroed or doubled values would corrupt every serial run).
TEST(LocalCommunicator, CollectivesAreIdentities) {
  LocalCommunicator comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  comm.barrier();

  std::vector<double> d = {1.5, -2.0, 7.25};
  comm.allreduce(std::span(d), ReduceOp::Sum);
  comm.allreduce(std::span(d), ReduceOp::Min);
  comm.allreduce(std::span(d), ReduceOp::Max);
  EXPECT_EQ(d, (std::vector<double>{1.5, -2.0, 7.25}));

  std::vector<std::int64_t> i = {3, -9};
  comm.allreduce(std::span(i), ReduceOp::Sum);
  comm.broadcast(std::span(i), 0);
  EXPECT_EQ(i, (std::vector<std::int64_t>{3, -9}));

  std::vector<float> g = {0.5f, 1e-30f};
  comm.allreduce(std::span(g), ReduceOp::Sum);
  reduceGradients(comm, g);
  reduceGradients(comm, g, GradientSum::Fast);
  GradientExchange exchange(comm, g.size());
  EXPECT_FALSE(exchange.sharedMemory()) << "one rank has nobody to share with";
  exchange.reduce(g);
  EXPECT_EQ(g, (std::vector<float>{0.5f, 1e-30f}));
  std::vector<float> wrongLength(3);
  EXPECT_THROW(exchange.reduce(wrongLength), Error) << "a buffer of another length is a caller's bug";

  std::string text = "signal";
  comm.broadcast(text, 0);
  EXPECT_EQ(text, "signal");

  EXPECT_EQ(comm.allgather(std::int64_t{42}), (std::vector<std::int64_t>{42}));
  EXPECT_EQ(comm.allgather(std::string("abc")), (std::vector<std::string>{"abc"}));
  const std::vector<double> mine = {1.0, 2.0};
  const auto all = comm.allgatherv(std::span<const double>(mine));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], mine);

  std::vector<float> received(2);
  comm.sendReceive(0, g, received);
  EXPECT_EQ(received, g);

  auto sub = comm.split(3);
  EXPECT_EQ(sub->size(), 1);
  EXPECT_EQ(sub->rank(), 0);
}

// Misuse is a bug and must be reported, not silently ignored by the no-op implementation.
TEST(LocalCommunicator, RejectsBadRootPeerAndSizes) {
  LocalCommunicator comm;
  std::vector<double> d(2);
  EXPECT_THROW(comm.broadcast(std::span(d), 1), Error);
  std::vector<float> a(2), b(3);
  EXPECT_THROW(comm.sendReceive(0, a, b), Error);
  EXPECT_THROW(comm.sendReceive(1, a, a), Error);
  EXPECT_THROW(comm.split(-1), Error);
}

// The local queue hands out exactly the given items, in order, then nothing, forever.
TEST(LocalWorkQueue, HandsOutEachItemOnceThenNothing) {
  LocalCommunicator comm;
  auto queue = comm.makeWorkQueue({7, 3, 11});
  EXPECT_EQ(queue->itemCount(), 3u);
  EXPECT_EQ(queue->next(), std::optional<std::int64_t>(7));
  EXPECT_EQ(queue->next(), std::optional<std::int64_t>(3));
  EXPECT_EQ(queue->next(), std::optional<std::int64_t>(11));
  EXPECT_EQ(queue->next(), std::nullopt);
  EXPECT_EQ(queue->next(), std::nullopt);
  queue->poll();

  auto fresh = comm.makeWorkQueue(allItems(4));
  std::vector<std::int64_t> got;
  while (auto item = nextItemForGroup(*fresh, comm)) got.push_back(*item);
  EXPECT_EQ(got, (std::vector<std::int64_t>{0, 1, 2, 3}));
}

// A duplicated id would run an item twice: refused.
TEST(LocalWorkQueue, RejectsDuplicateItems) {
  LocalCommunicator comm;
  EXPECT_THROW(comm.makeWorkQueue({1, 2, 1}), Error);
  EXPECT_TRUE(allItems(0).empty());
}

// One rank: only ranks_per_item = 1 is valid, and the error says what to use instead.
TEST(GroupLayout, LocalWorldAcceptsOneRankPerGroupOnly) {
  LocalCommunicator comm;
  const GroupLayout layout = makeGroups(comm, 1);
  EXPECT_EQ(layout.groupCount, 1);
  EXPECT_EQ(layout.groupIndex, 0);
  EXPECT_TRUE(layout.leader);
  EXPECT_EQ(layout.group->size(), 1);
  try {
    makeGroups(comm, 2);
    FAIL() << "ranks_per_item = 2 on one rank must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_STREQ(e.what(), "resources.ranks_per_item = 2 does not divide the 1 MPI rank; use 1");
  }
  try {
    makeGroups(comm, 0);
    FAIL() << "ranks_per_item = 0 must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_STREQ(e.what(), "resources.ranks_per_item = 0 must be at least 1; use 1");
  }
}

// Auto mode starts MPI only under a launcher; getting this wrong either runs N full campaigns side
// by side (srun without PMI) or starts MPI for a plain serial run.
TEST(Environment, DetectsLauncherFromEnvironment) {
  auto with = [](std::map<std::string, std::string> vars) {
    return Environment::detectLauncher([vars](const char* name) -> const char* {
      const auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    });
  };
  EXPECT_EQ(with({}), Launcher::None);
  EXPECT_EQ(with({{"OMPI_COMM_WORLD_SIZE", "4"}}), Launcher::Mpiexec);
  EXPECT_EQ(with({{"OMPI_COMM_WORLD_SIZE", "2"}, {"SLURM_STEP_ID", "0"}, {"PMIX_RANK", "0"}}), Launcher::Mpiexec);
  EXPECT_EQ(with({{"PMI_RANK", "0"}, {"PMI_SIZE", "2"}}), Launcher::Mpiexec);
  EXPECT_EQ(with({{"SLURM_STEP_ID", "0"}, {"PMIX_RANK", "1"}}), Launcher::Srun);
  EXPECT_EQ(with({{"SLURM_STEP_ID", "0"}, {"SLURM_STEP_NUM_TASKS", "4"}}), Launcher::SrunWithoutPmi);
  EXPECT_EQ(with({{"SLURM_STEP_ID", "0"}, {"SLURM_STEP_NUM_TASKS", "1"}}), Launcher::None);
  // A batch script in a 4-task allocation is still one process.
  EXPECT_EQ(with({{"SLURM_JOB_ID", "12"}, {"SLURM_NTASKS", "4"}}), Launcher::None);
}

// MpiMode::Never gives a Local world without touching MPI; a second Environment is a bug.
TEST(Environment, NeverModeIsLocal) {
  Environment environment(MpiMode::Never);
  EXPECT_FALSE(environment.usesMpi());
  EXPECT_EQ(environment.worldSize(), 1);
  EXPECT_EQ(environment.rankLabel(), "");
  auto comm = world(environment);
  EXPECT_EQ(comm->size(), 1);
  EXPECT_NE(dynamic_cast<LocalCommunicator*>(comm.get()), nullptr);
  EXPECT_THROW(Environment second(MpiMode::Never), Error);
}

// A build without MPI (HEPSWEEP_WITH_MPI=OFF) refuses to run under a launcher, where every rank
// would run the whole campaign on its own, and refuses MpiMode::Always; Never still works. (In a
// build with MPI these constructors would start MPI, which tests/dist/MpiTestMain.cpp covers.)
TEST(Environment, WithoutMpiALauncherOrAlwaysIsRefused) {
  if (Environment::mpiBuiltIn()) GTEST_SKIP() << "this build has MPI; the refusal exists only without it";
  EXPECT_NE(Environment::mpiDescription().find("HEPSWEEP_WITH_MPI=OFF"), std::string::npos);
  const auto refusal = [](MpiMode mode) -> std::string {
    try {
      Environment environment(mode);
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Config);
      return e.what();
    }
    return "";
  };
  EXPECT_NE(refusal(MpiMode::Always).find("built without MPI"), std::string::npos);
  ASSERT_EQ(::setenv("OMPI_COMM_WORLD_SIZE", "2", 1), 0);
  const std::string underMpiexec = refusal(MpiMode::Auto);
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_NE(underMpiexec.find("built without MPI"), std::string::npos) << underMpiexec;
  EXPECT_NE(underMpiexec.find("started by mpiexec"), std::string::npos) << underMpiexec;
  // Nothing is left half-made: a plain Environment still starts after the refusals.
  Environment environment(MpiMode::Auto);
  EXPECT_FALSE(environment.usesMpi());
}

}  // namespace
}  // namespace hepsweep::dist

// One process: the "shared" block is this process's memory, filled and read by the same rank, and
// a filler's error comes back from publish().
TEST(LocalSharedMemory, BlockIsThisProcessesAndReportsTheFillersError) {
  hepsweep::dist::LocalCommunicator comm;
  const auto block = hepsweep::dist::allocateShared(comm, 4096);
  ASSERT_EQ(block->bytes().size(), 4096u);
  EXPECT_TRUE(block->filler());
  EXPECT_EQ(block->nodeRanks(), 1);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block->bytes().data()) % 64, 0u);
  block->bytes()[4095] = std::byte{7};
  block->publish();
  EXPECT_EQ(block->bytes()[4095], std::byte{7});
  EXPECT_THROW(block->publish("bad file", hepsweep::ErrorCategory::Input), hepsweep::Error);
}
