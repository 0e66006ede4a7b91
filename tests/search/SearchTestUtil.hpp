#pragma once
// Helpers shared by the search module's tests.
#include <gtest/gtest.h>

#include <string>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::search::test {

// Runs f, expects Error(category), returns its message.
template <class F>
std::string errorOf(F&& f, ErrorCategory category = ErrorCategory::Config) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), category) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no hepsweep::Error thrown";
  return "";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace hepsweep::search::test
