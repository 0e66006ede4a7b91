// Placeholder until the command lands (owned by its module's engineer).
#include "Commands.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep::cli {
int inspectCommand(const Args&) { throw Error(ErrorCategory::Internal, "inspect: under construction"); }
}  // namespace hepsweep::cli
