// libFuzzer target for the ROOT reader: the input bytes are written to a file (the reader works
// on files, with pread), opened, and every tree is read in full. Any hepsweep::Error is the
// expected outcome for a corrupt file; a crash, a sanitizer report, a hang or an out-of-memory is
// a bug. Built and run by scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/RootFile.hpp"

namespace {

std::string scratchPath() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/hepsweep-root-fuzz-" + std::to_string(::getpid()) + ".root";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = scratchPath();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const hepsweep::io::RootFile file(path);
    for (const auto& key : file.trees()) {
      const hepsweep::io::RootTree tree = file.tree(key.path);
      if (tree.columns().empty()) continue;
      std::vector<std::size_t> all(tree.columns().size());
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
      hepsweep::io::RootRowReader rows(tree, all);
      // Bounded so that a huge (but consistent) entry count in a crafted file is not a "hang".
      for (int n = 0; n < 100000 && rows.next(); ++n)
        for (std::size_t i = 0; i < all.size(); ++i) (void)rows.asText(i);
    }
  } catch (const hepsweep::Error&) {
  }
  return 0;
}
