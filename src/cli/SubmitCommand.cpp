// Placeholder until the command lands (owned by its module's engineer).
#include "Commands.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep::cli {
int submitCommand(const Args&) { throw Error(ErrorCategory::Internal, "submit: under construction"); }
}  // namespace hepsweep::cli
