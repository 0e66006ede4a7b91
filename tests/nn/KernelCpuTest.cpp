// The binary on older CPUs, emulated by qemu-x86_64 (Debian's qemu-user): on an x86-64-v2 CPU
// (qemu's Nehalem model) hepsweep chooses the v2 kernels, refuses HEPSWEEP_KERNEL=v3 with a clear
// error, and the kernel tests (test_nn_kernels: products, layer pass, optimiser, a training run)
// pass there, so no AVX instruction is reached on that path (qemu would stop with SIGILL); the
// same on a baseline x86-64 CPU (qemu64) with the portable kernels, and on Haswell with v3.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "hepsweep/BuildInfo.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace {

struct Result {
  int status = -1;
  std::string out;
};

Result run(const std::string& cmd) {
  Result r;
  if (std::FILE* p = popen((cmd + " 2>&1").c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  }
  return r;
}

bool haveQemu() { return run("command -v qemu-x86_64").status == 0; }

void skipUnlessPossible() {
#if !defined(__x86_64__)
  GTEST_SKIP() << "x86-64 only";
#endif
  if (*hepsweep::build::kArch)
    GTEST_SKIP() << "this build is compiled with -march=" << hepsweep::build::kArch
                 << " as a whole, so it is not meant to run on older CPUs";
  if (!haveQemu()) GTEST_SKIP() << "qemu-x86_64 not installed (scripts/install-deps.sh installs qemu-user)";
}

TEST(KernelCpu, OlderCpusGetTheirLevelAndRunTheKernelTests) {
  skipUnlessPossible();
  if (testing::Test::IsSkipped()) return;
  const std::string cli = HEPSWEEP_CLI;
  const std::string tests = HEPSWEEP_KERNEL_TESTS;
  for (const auto& [cpu, level] : {std::pair{"qemu64", "portable"}, std::pair{"Nehalem", "v2"}, std::pair{"Haswell", "v3"}}) {
    const std::string q = std::string("env -u HEPSWEEP_KERNEL qemu-x86_64 -cpu ") + cpu + " ";
    const Result v = run(q + "'" + cli + "' --version");
    EXPECT_EQ(v.status, 0) << cpu << ": " << v.out;
    EXPECT_NE(v.out.find(std::string("kernel: ") + level + " "), std::string::npos) << cpu << ": " << v.out;
    // The kernel tests on that CPU: every level it supports, against portable.
    const Result t = run(q + "'" + tests + "' --gtest_brief=1");
    EXPECT_EQ(t.status, 0) << cpu << ":\n" << t.out;
  }
  const Result refused = run("HEPSWEEP_KERNEL=v3 qemu-x86_64 -cpu Nehalem '" + cli + "' --version");
  EXPECT_EQ(refused.status, 2) << refused.out;
  EXPECT_NE(refused.out.find("HEPSWEEP_KERNEL=v3: kernel level v3 (x86-64-v3: AVX2, FMA) is not supported by this CPU; "
                             "it supports portable, v2"),
            std::string::npos)
      << refused.out;
}

}  // namespace
