#pragma once
// The one entry of the ROOT reader's fuzzing, shared by the libFuzzer target
// (fuzz/root_reader_fuzz.cpp) and the unit test that replays fuzz/regression/ (so the inputs that
// once crashed it run in every test pass, under ASan/UBSan in the asan preset): the bytes are
// written to a file (the reader works on files, with pread), opened, and every tree is read in
// full. Any hepsweep::Error is the expected outcome for a corrupt file; anything else (another
// exception, a crash, a sanitizer report, a hang, an out-of-memory) is a bug.
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
  try {
    const io::RootFile file(path);
    for (const auto& key : file.trees()) {
      const io::RootTree tree = file.tree(key.path);
      if (tree.columns().empty()) continue;
      std::vector<std::size_t> all(tree.columns().size());
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
      io::RootRowReader rows(tree, all);
      // Bounded so that a huge (but consistent) entry count in a crafted file is not a "hang".
      for (int n = 0; n < 100000 && rows.next(); ++n, ++entries)
        for (std::size_t i = 0; i < all.size(); ++i) (void)rows.asText(i);
    }
  } catch (const Error&) {
  }
  std::remove(path.c_str());
  return entries;
}

}  // namespace hepsweep::fuzz
