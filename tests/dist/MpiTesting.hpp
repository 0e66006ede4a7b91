#pragma once
// Shared by the MPI test files: the world communicator the test main created.
#include "hepsweep/dist/Communicator.hpp"

namespace hepsweep::dist::mpitest {
Communicator& world();
}
