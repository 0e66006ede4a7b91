// GoogleTest main for tests run under mpiexec: MPI is started through dist::Environment; rank 0
// prints the usual report, the other ranks print only their failures (prefixed with the rank), and
// the exit code is non-zero on every rank when any rank failed, so ctest sees it.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "MpiTesting.hpp"
#include "hepsweep/dist/Environment.hpp"

namespace hepsweep::dist::mpitest {

namespace {
std::unique_ptr<Communicator> worldCommunicator;

class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_, result.file_name() ? result.file_name() : "?",
                 result.line_number(), result.message());
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed()) {
      std::fprintf(stderr, "[rank %d] FAILED %s.%s\n", rank_, info.test_suite_name(), info.name());
    }
  }

 private:
  int rank_;
};
}  // namespace

Communicator& world() { return *worldCommunicator; }

}  // namespace hepsweep::dist::mpitest

int main(int argc, char** argv) {
  using namespace hepsweep::dist;
  ::testing::InitGoogleTest(&argc, argv);
  Environment environment(argc, argv, MpiMode::Always);
  mpitest::worldCommunicator = world(environment);
  Communicator& comm = mpitest::world();
  if (comm.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new mpitest::RankFailurePrinter(comm.rank()));
  }
  const std::int64_t failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  const auto failures = comm.allgather(failed);
  std::string failedRanks;
  for (std::size_t r = 0; r < failures.size(); ++r) {
    if (failures[r] != 0) failedRanks += (failedRanks.empty() ? "" : ", ") + std::to_string(r);
  }
  if (comm.rank() == 0 && !failedRanks.empty()) {
    std::fprintf(stderr, "MPI test failed on rank(s) %s of %d\n", failedRanks.c_str(), comm.size());
  }
  mpitest::worldCommunicator.reset();
  return failedRanks.empty() ? 0 : 1;
}
