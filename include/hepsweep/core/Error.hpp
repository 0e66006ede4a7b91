#pragma once
// One error type for the whole library. The category decides the CLI's exit code; the message
// carries the context a user needs to fix the problem (file, line, column, key, offending text).
#include <stdexcept>
#include <string>

namespace hepsweep {

enum class ErrorCategory {
  Input,    // bad input data: unparsable number, wrong field count, missing column, NaN...
  Config,   // bad campaign file, unknown key, bad --set, bad command-line option
  Io,       // file system or HDF5 failure: unreadable input, unwritable output
  Numeric,  // training diverged, matrix not positive definite, ...
  Internal  // a bug in hepsweep
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCategory category, const std::string& message)
      : std::runtime_error(message), category_(category) {}
  ErrorCategory category() const noexcept { return category_; }

 private:
  ErrorCategory category_;
};

// Exit codes of the command-line tool, one per category (0 is success).
int exitCode(ErrorCategory category) noexcept;
const char* categoryName(ErrorCategory category) noexcept;

[[noreturn]] inline void throwInput(const std::string& m) { throw Error(ErrorCategory::Input, m); }
[[noreturn]] inline void throwConfig(const std::string& m) { throw Error(ErrorCategory::Config, m); }
[[noreturn]] inline void throwIo(const std::string& m) { throw Error(ErrorCategory::Io, m); }
[[noreturn]] inline void throwNumeric(const std::string& m) { throw Error(ErrorCategory::Numeric, m); }

}  // namespace hepsweep
