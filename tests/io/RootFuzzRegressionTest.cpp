// Replays every input of fuzz/regression/ through the fuzz target's own entry
// (fuzz/root_reader_entry.hpp): inputs on which the ROOT reader once crashed, overflowed, hung or
// ran out of memory under libFuzzer (fuzz/regression/README.md says which bug each found). Each
// must now end in a result or a hepsweep::Error; under the asan preset any memory error or
// undefined behaviour they reach is reported too.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "../../fuzz/root_reader_entry.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace {

std::vector<std::filesystem::path> regressionInputs() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(HEPSWEEP_SOURCE_DIR) + "/fuzz/regression"))
    if (e.is_regular_file() && e.path().filename() != "README.md") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(RootFuzzRegression, EveryInputEndsInAResultOrAnError) {
  const auto inputs = regressionInputs();
  ASSERT_FALSE(inputs.empty()) << "fuzz/regression is empty";
  for (const auto& path : inputs) {
    SCOPED_TRACE(path.filename().string());
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NO_THROW(hepsweep::fuzz::readRootBytes(bytes.data(), bytes.size()));
  }
}
