#pragma once
// The one entry of the ROOT reader's fuzzing, shared by the libFuzzer target
// (fuzz/root_reader_fuzz.cpp) and the unit test that replays fuzz/regression/ (so the inputs that
// found bugs run in every test pass, under ASan/UBSan in the asan preset): the bytes are written
// to a file (the reader works on files, with pread), opened, every tree is looked up as convert
// and apply do and read in full, every value decoded each way. A hepsweep::Error is the expected
// outcome for a corrupt file; anything else (another exception, a crash, a sanitizer report, a
// hang, an out-of-memory) is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/RootFile.hpp"

namespace hepsweep::fuzz {

inline std::string scratchPath() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/hepsweep-root-fuzz-" + std::to_string(::getpid()) + ".root";
}

// Returns the number of entries read (for the replay test's report).
inline std::int64_t readRootBytes(const std::uint8_t* data, std::size_t size) {
  static const std::string path = scratchPath();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  std::int64_t entries = 0;
  // Values decoded over all trees and selections: bounded so that a huge (but consistent) entry
  // count, or thousands of array columns, in a crafted file is not a "hang".
  long budget = 1'000'000;
  // Errors are expected; each step catches its own so that one failing tree or value does not
  // hide the code after it from the fuzzer.
  const auto attempt = [](const auto& step) {
    try {
      step();
    } catch (const Error&) {
    }
  };
  attempt([&] {
    const io::RootFile file(path);
    attempt([&] { (void)file.tree(""); });  // the default tree (or why there is none)
    for (const auto& key : file.trees()) {
      // The lookups convert and apply offer: a bare name, a cycle.
      attempt([&] { (void)file.tree(key.path.substr(key.path.rfind('/') + 1)); });
      attempt([&] { (void)file.tree(key.path + ";" + std::to_string(key.cycle)); });
      attempt([&] {
        const io::RootTree tree = file.tree(key.path);
        (void)tree.friendWarning();
        for (const auto& u : tree.unsupported()) (void)tree.refusal(u);
        // All columns together, then each alone (one corrupt branch must not hide the others).
        std::vector<std::vector<std::size_t>> selections(1);
        for (std::size_t i = 0; i < tree.columns().size(); ++i) {
          selections.front().push_back(i);
          selections.push_back({i});
        }
        if (selections.size() == 1) return;
        for (const auto& selection : selections)
          attempt([&] {
            io::RootRowReader rows(tree, selection);
            while (budget > 0 && rows.next()) {
              budget -= static_cast<long>(selection.size());
              ++entries;
              for (std::size_t i = 0; i < selection.size(); ++i) {
                (void)rows.asText(i);
                (void)rows.asFloat(i);
                (void)rows.asDouble(i);
                attempt([&] { (void)rows.asInt64(i); });  // refuses non-integral and out-of-range values
              }
            }
          });
      });
    }
  });
  std::remove(path.c_str());
  return entries;
}

}  // namespace hepsweep::fuzz
