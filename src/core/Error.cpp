#include "hepsweep/core/Error.hpp"

namespace hepsweep {

int exitCode(ErrorCategory category) noexcept {
  switch (category) {
    case ErrorCategory::Input: return 3;
    case ErrorCategory::Config: return 2;
    case ErrorCategory::Io: return 4;
    case ErrorCategory::Numeric: return 5;
    case ErrorCategory::Internal: return 70;
  }
  return 70;
}

const char* categoryName(ErrorCategory category) noexcept {
  switch (category) {
    case ErrorCategory::Input: return "input error";
    case ErrorCategory::Config: return "configuration error";
    case ErrorCategory::Io: return "I/O error";
    case ErrorCategory::Numeric: return "numerical error";
    case ErrorCategory::Internal: return "internal error";
  }
  return "error";
}

}  // namespace hepsweep
