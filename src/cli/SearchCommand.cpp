// Placeholder until the command lands (owned by its module's engineer).
#include "Commands.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep::cli {
int searchCommand(const Args&) { throw Error(ErrorCategory::Internal, "search: under construction"); }
}  // namespace hepsweep::cli
