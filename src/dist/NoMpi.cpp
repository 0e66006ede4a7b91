// The factories of a build without MPI (HEPSWEEP_WITH_MPI=OFF), in place of the Mpi*.cpp sources:
// the only communicator is the one-rank LocalCommunicator, so the local implementations serve all.
#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/Environment.hpp"
#include "hepsweep/dist/SharedLock.hpp"

#include <string>

namespace hepsweep::dist {

std::unique_ptr<Communicator> world(Environment& environment) {
  // Environment refuses to start under a launcher in this build, so this cannot happen.
  if (environment.usesMpi()) throw Error(ErrorCategory::Internal, "an MPI environment in a build without MPI");
  return std::make_unique<LocalCommunicator>();
}

std::unique_ptr<SharedLock> makeSharedLock(Communicator& comm, std::size_t registers) {
  if (registers == 0) throw Error(ErrorCategory::Internal, "shared lock: no registers");
  if (comm.size() != 1)
    throw Error(ErrorCategory::Internal, "shared lock: a communicator of " + std::to_string(comm.size()) +
                                             " ranks in a build without MPI");
  return std::make_unique<LocalSharedLock>(registers);
}

}  // namespace hepsweep::dist
