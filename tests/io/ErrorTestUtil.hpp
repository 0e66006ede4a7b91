#pragma once
// Assertions on hepsweep::Error messages, shared by the ROOT reader, io::InputReader, convert and apply
// tests: run a call that must fail, then check that its message names what it should (file,
// tree, branch, entry, option...).
#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::iotest {

// The message of the Error that `f` throws (a test failure when it throws none, or one of another
// category than `category` when given).
inline std::string errorOf(const std::function<void()>& f, std::optional<ErrorCategory> category = std::nullopt) {
  try {
    f();
  } catch (const Error& e) {
    if (category) {
      EXPECT_EQ(e.category(), *category) << e.what();
    }
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

// An Error(Input): bad or unsupported input data.
inline std::string inputErrorOf(const std::function<void()>& f) { return errorOf(f, ErrorCategory::Input); }

// Every one of `parts` occurs in `msg`.
inline void expectHas(const std::string& msg, std::initializer_list<std::string> parts) {
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
}

}  // namespace hepsweep::iotest
