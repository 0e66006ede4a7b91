// Run under mpiexec -n 2 by ctest: rank 1 gives up through Environment::abort while rank 0 waits in
// a barrier. The job must end (not hang until the ctest timeout) with rank 1's message and its
// exit code reported by mpiexec.
#include <memory>

#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/Environment.hpp"

int main(int argc, char** argv) {
  hepsweep::dist::Environment environment(argc, argv, hepsweep::dist::MpiMode::Always);
  auto world = hepsweep::dist::world(environment);
  if (world->rank() == 1) environment.abort(3, "rank one gives up: boom");
  world->barrier();
  return 0;
}
