// `hepsweep submit templates DIR`, then `hepsweep submit ... --templates DIR` and
// HEPSWEEP_TEMPLATES, as docs/submit.md ("Templates") tells a site to use them.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace fs = std::filesystem;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

namespace {

std::string readFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct CmdRun {
  int status = -1;
  std::string out;
};
CmdRun run(const std::string& command) {
  CmdRun r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace

// The documented flow: write the templates, add a line, submit (dry run) with --templates, or with
// HEPSWEEP_TEMPLATES; a bad directory is a configuration error (exit 2).
TEST(TemplatesCli, WriteEditAndUse) {
  const fs::path dir = fs::path(testing::TempDir()) / ("hepsweep_templates_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string cli = HEPSWEEP_CLI;
  CmdRun r = run(cli + " submit templates " + (dir / "site").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_HAS(r.out, (dir / "site/slurm/train.sh").string());
  std::ofstream(dir / "site/slurm/site.sbatch", std::ios::app) << "#SBATCH --account=atlas\n";
  std::ofstream(dir / "c.toml") << "[data]\nfile = \"d.h5\"\n[output]\ndir = \"run\"\n";
  r = run("cd " + dir.string() + " && " + cli + " submit slurm c.toml --templates site");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_HAS(readFile(dir / "run/jobs/slurm/train.sh"), "#SBATCH --account=atlas\nset -u\n");
  fs::remove_all(dir / "run");
  r = run("cd " + dir.string() + " && HEPSWEEP_TEMPLATES=site " + cli + " submit slurm c.toml");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_HAS(readFile(dir / "run/jobs/slurm/aggregate.sh"), "#SBATCH --account=atlas\nset -u\n");
  r = run("cd " + dir.string() + " && HEPSWEEP_TEMPLATES=nowhere " + cli + " submit slurm c.toml");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_HAS(r.out, "no such directory (from the environment variable HEPSWEEP_TEMPLATES)");
  r = run(cli + " submit templates " + (dir / "site").string());
  EXPECT_EQ(r.status, 4) << r.out;
}
