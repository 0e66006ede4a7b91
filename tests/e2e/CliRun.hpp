#pragma once
// Running the hepsweep command from tests.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace hepsweep::test {

struct CliRun {
  int status = -1;
  std::string out;  // stdout and stderr together
};

inline CliRun run(const std::string& command) {
  CliRun r;
  std::FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline const std::string kCli = HEPSWEEP_CLI;
inline const std::string kSource = HEPSWEEP_SOURCE_DIR;

// A fresh directory; the process id keeps tests that ctest runs in parallel (one process per
// test) out of each other's way.
inline std::filesystem::path workDir(const std::string& name) {
  const std::filesystem::path d =
      std::filesystem::path(testing::TempDir()) / ("hepsweep_e2e_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// Compares two HDF5 files object by object (tests/e2e/compare_results.py), ignoring what
// legitimately differs between two runs: creation time, timing figures, paths and command lines.
inline CliRun compareResults(const std::filesystem::path& a, const std::filesystem::path& b) {
  return run("/usr/bin/python3 " + kSource + "/tests/e2e/compare_results.py " + a.string() + " " + b.string() +
             " --ignore /@created --ignore /@config --ignore /@command_line --ignore /@run_dir"
             " --ignore /@ranks_per_item --ignore /history/epoch_seconds"
             " --ignore /metrics/train_seconds --ignore /metrics/samples_per_second");
}

}  // namespace hepsweep::test
