#pragma once
// Running the hepsweep command from tests.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

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

// The whole content of a text file ("" when it cannot be read).
inline std::string readText(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Compares two HDF5 files object by object (tests/e2e/compare_results.py), ignoring what
// legitimately differs between two runs: creation time, timing figures, paths and command lines.
inline CliRun compareResults(const std::filesystem::path& a, const std::filesystem::path& b) {
  return run("/usr/bin/python3 " + kSource + "/tests/e2e/compare_results.py " + a.string() + " " + b.string() +
             " --ignore /@created --ignore /@config --ignore /@command_line --ignore /@run_dir"
             " --ignore /@ranks_per_item --ignore /history/epoch_seconds"
             " --ignore /metrics/train_seconds --ignore /metrics/samples_per_second");
}

// Runs `command` in its own process group and sends `sig` to it once `watch` exists (and, for a
// log file, has at least `lines` lines). Returns the exit status, or -signal when killed
// (-1000 when it could not be started).
inline int interruptWhen(const std::string& command, const std::filesystem::path& watch, int lines, int sig) {
  const std::string cmd = "exec " + command + " > /dev/null 2>&1";
  const pid_t pid = ::fork();
  if (pid < 0) return -1000;
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  const auto countLines = [&] {
    std::ifstream f(watch);
    return static_cast<int>(std::count(std::istreambuf_iterator<char>(f), {}, '\n'));
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline && !(std::filesystem::exists(watch) && (lines <= 1 || countLines() >= lines)))
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(-pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

}  // namespace hepsweep::test
