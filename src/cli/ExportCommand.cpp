// Placeholder until the command lands (owned by its module's engineer).
#include "Commands.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep::cli {
int exportCommand(const Args&) { throw Error(ErrorCategory::Internal, "export: under construction"); }
}  // namespace hepsweep::cli
