// A Bayesian search on a batch system: the rounds (propose -> train array) planned from the budget,
// the initial points and --points-per-round; the Slurm and HTCondor chains as golden files (byte-exact,
// HEPSWEEP_UPDATE_GOLDEN=1 rewrites them), the dependencies submit.sh asks for (fake sbatch), the
// DAG's order (strict checker); and a local run of the generated chain through the hepsweep command,
// with a fake sbatch that runs each job at once, ending with the budget's points observed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../e2e/CliRun.hpp"
#include "CondorChecker.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/submit/Condor.hpp"
#include "hepsweep/submit/Job.hpp"
#include "hepsweep/submit/Slurm.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace fs = std::filesystem;
using namespace hepsweep;
using namespace hepsweep::submit;
namespace cc = hepsweep::test::condor;

namespace {

const fs::path kGolden = fs::path(HEPSWEEP_SOURCE_DIR) / "tests/submit/golden";

std::string readFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}
std::string maskVersion(std::string text) {
  // The short version (0.1.0+commit): the header must not repeat "hepsweep" or carry the compiler.
  const std::string v = versionShort();
  for (std::size_t at; (at = text.find(v)) != std::string::npos;) text.replace(at, v.size(), "VERSION");
  return text;
}
void expectGolden(const std::string& dir, const std::vector<GeneratedFile>& files) {
  const bool update = std::getenv("HEPSWEEP_UPDATE_GOLDEN") != nullptr;
  for (const auto& f : files) {
    const fs::path golden = kGolden / dir / f.name;
    if (update) writeFile(golden, maskVersion(f.text));
    ASSERT_TRUE(fs::exists(golden)) << golden << " missing: run with HEPSWEEP_UPDATE_GOLDEN=1";
    EXPECT_EQ(maskVersion(f.text), readFile(golden)) << "generated " << f.name << " differs from " << golden;
  }
}
fs::path scratch(const std::string& name) {
  const fs::path d = fs::path(testing::TempDir()) / ("hepsweep_chain_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
std::string sq(const std::string& s) { return "'" + s + "'"; }

// Budget 5, 2 initial points, 2 per round, 2 folds: rounds of 2, 2 and 1 points over 4 slices.
CampaignJob bobJob() {
  CampaignJob j;
  j.hepsweep = "/opt/hepsweep/bin/hepsweep";
  j.campaignFile = "/home/bob/ship/bayes.toml";
  j.workDir = "/home/bob/ship";
  j.runDir = "/home/bob/ship/runs/bayes";
  j.sets = {"train.epochs=20"};
  j.itemCount = 10;
  j.sliceCount = 4;
  j.rounds = planRounds(5, 2, 2, 2, 4);
  j.slices = {0, 1, 2, 3};
  j.memory = "4G";
  j.dataFile = "/home/bob/ship/ship.h5";
  return j;
}

// A fake sbatch: runs the job at once (array tasks in index order), logs its arguments, prints an id.
void writeRunningSbatch(const fs::path& bin) {
  fs::create_directories(bin);
  writeFile(bin / "sbatch",
            "#!/bin/bash\n"
            "n=$(( $(cat \"$COUNTER\" 2>/dev/null || echo 100) + 1 )); echo $n > \"$COUNTER\"\n"
            "echo \"$@\" >> \"$SBATCH_OUT\"\n"
            "array=; args=()\n"
            "for a in \"$@\"; do case \"$a\" in --array=*) array=${a#--array=};; --*) ;; *) args+=(\"$a\");; esac; done\n"
            "script=${args[0]}; rest=(\"${args[@]:1}\")\n"
            "export SLURM_JOB_ID=$n\n"
            "run() { [ -n \"${RUN_JOBS:-}\" ] || return 0; bash \"$script\" \"${rest[@]}\" >> \"$JOB_LOG\" 2>&1 || "
            "echo \"FAILED $script ${rest[*]} task ${SLURM_ARRAY_TASK_ID:-}\" >> \"$JOB_LOG\"; }\n"
            "if [ -n \"$array\" ]; then\n"
            "  IFS=, read -ra parts <<< \"${array%%\\%*}\"\n"
            "  for p in \"${parts[@]}\"; do s=${p%-*}; e=${p#*-}\n"
            "    for ((i = s; i <= e; i++)); do export SLURM_ARRAY_TASK_ID=$i; run; done\n"
            "  done\n"
            "else run; fi\n"
            "echo \"$n;cluster\"\n");
  fs::permissions(bin / "sbatch", fs::perms(0755));
}

}  // namespace

// Hand-checked: budget 5, 2 initial, 2 per round, 1 fold, 2 slices: totals 2, 4, 5; items 0-1,
// 2-3, 4 -> slices {0,1}, {0,1}, {0}. Catches an off-by-one in the last round or in the slices.
TEST(PlanRounds, HandCheckedRounds) {
  const auto r = planRounds(5, 2, 2, 1, 2);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].totalPoints, 2);
  EXPECT_EQ(r[1].totalPoints, 4);
  EXPECT_EQ(r[2].totalPoints, 5);
  EXPECT_EQ(r[0].slices, (std::vector<int>{0, 1}));
  EXPECT_EQ(r[2].slices, (std::vector<int>{0}));
  // 3 folds, 5 slices: point 1's items are 3, 4, 5 -> slices 3, 4, 0.
  const auto f = planRounds(2, 1, 1, 3, 5);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].slices, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(f[1].slices, (std::vector<int>{0, 3, 4}));
  // Initial points beyond the budget: one round of the budget.
  const auto one = planRounds(3, 10, 2, 1, 3);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].totalPoints, 3);
  EXPECT_THROW(planRounds(5, 2, 0, 1, 2), Error);
}

// Slurm: golden files, and submit.sh's order and dependencies with a fake sbatch: each propose
// after every train task of the round before (afterany), each train array after its proposal
// (afterok), aggregate after the last round; every dependent job is cancelled, not left pending,
// when its dependency can never be met (a failed proposal; the real test is SlurmIntegrationTest).
TEST(SearchChainSlurm, GoldenAndDependencies) {
  SlurmOptions o;
  o.partition = "short";
  o.time = "1:00:00";
  const CampaignJob job = bobJob();
  const fs::path base = scratch("slurm");
  const auto files = slurmFiles(job, o, base / "jobs");
  std::vector<GeneratedFile> masked = files;
  for (auto& f : masked) {
    for (std::size_t at; (at = f.text.find(base.string())) != std::string::npos;) f.text.replace(at, base.string().size(), "JOBS_BASE");
  }
  expectGolden("slurm-bayes", masked);
  writeGenerated(base / "jobs", files);
  writeRunningSbatch(base / "bin");
  const std::string log = (base / "sbatch.txt").string();
  const int st = std::system(("PATH=" + sq((base / "bin").string()) + ":/usr/bin:/bin COUNTER=" + sq((base / "n").string()) +
                              " SBATCH_OUT=" + sq(log) + " bash " + sq((base / "jobs/submit.sh").string()) + " > /dev/null")
                                 .c_str());
  ASSERT_EQ(st, 0);
  EXPECT_EQ(readFile(log),
            "--parsable propose.sh 2\n"
            "--parsable --dependency=afterok:101 --kill-on-invalid-dep=yes --array=0-3 train.sh 0\n"
            "--parsable --dependency=afterany:102 --kill-on-invalid-dep=yes propose.sh 4\n"
            "--parsable --dependency=afterok:103 --kill-on-invalid-dep=yes --array=0-3 train.sh 0\n"
            "--parsable --dependency=afterany:104 --kill-on-invalid-dep=yes propose.sh 5\n"
            "--parsable --dependency=afterok:105 --kill-on-invalid-dep=yes --array=0-1 train.sh 0\n"
            "--parsable --dependency=afterany:106 --kill-on-invalid-dep=yes aggregate.sh\n");
}

// HTCondor: golden files; the strict checker accepts them; the DAG runs propose1 -> train1 ->
// propose2 -> ... -> observe -> aggregate, each train node over its round's slices.
TEST(SearchChainCondor, GoldenAndDagOrder) {
  const CampaignJob job = bobJob();
  const auto files = condorFiles(job, {}, campaign::CampaignConfig{}, job.runDir / "jobs/condor");
  expectGolden("condor-bayes", files);
  const fs::path dir = scratch("condor");
  writeGenerated(dir, files);
  const cc::Dag dag = cc::parseDag(readFile(dir / "campaign.dag"), dir);
  EXPECT_EQ(dag.jobs.size(), 8u);
  const std::vector<std::pair<std::string, std::string>> chain{
      {"propose1", "train1"}, {"train1", "propose2"}, {"propose2", "train2"}, {"train2", "propose3"},
      {"propose3", "train3"}, {"train3", "observe"},  {"observe", "aggregate"}};
  for (const auto& e : chain)
    EXPECT_NE(std::find(dag.edges.begin(), dag.edges.end(), e), dag.edges.end()) << e.first << " -> " << e.second;
  EXPECT_EQ(dag.edges.size(), chain.size());
  EXPECT_EQ(cc::parseSubmit(readFile(dir / "train-3.sub")).queueItems, (std::vector<std::string>{"0", "1"}));
  const cc::Submit propose = cc::parseSubmit(readFile(dir / "propose-2.sub"));
  EXPECT_EQ(cc::jobArguments(propose, {}),
            (std::vector<std::string>{"/opt/hepsweep/bin/hepsweep", "search", "propose", "/home/bob/ship/runs/bayes",
                                      "--total", "4", "--campaign", "/home/bob/ship/bayes.toml", "--set",
                                      "train.epochs=20"}));
  CondorOptions transfer;
  transfer.transferFiles = true;
  EXPECT_THROW(condorFiles(job, transfer, campaign::CampaignConfig{}, "/x"), Error);
}

// The whole chain without a batch system: `hepsweep submit slurm` on a small bayes campaign, then
// submit.sh with an sbatch that runs each job at once, in the order submitted. Every job succeeds,
// each round trains only what its proposal added, and the search ends with the budget's points
// proposed and observed and every item done.
TEST(SearchChainLocal, GeneratedChainRunsToTheBudget) {
  using namespace hepsweep::test;
  const fs::path dir = scratch("local");
  const fs::path data = dir / "higgs.h5";
  CliRun r = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label --quiet -o " + data.string());
  ASSERT_EQ(r.status, 0) << r.out;
  const fs::path toml = dir / "campaign.toml";
  std::ofstream(toml) << "seed = 5\n[data]\nfile = \"" << data.string()
                      << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n[model]\nwidths = [8]\n"
                         "[train]\nbatch_size = 128\nepochs = 2\n[output]\ndir = \"run\"\n[cv]\nfolds = 2\n"
                         "[search]\nmethod = \"bayes\"\nbudget = 5\ninitial_points = 2\n"
                         "[search.space]\n\"model.dropout\" = { min = 0.0, max = 0.5 }\n";
  r = run("cd " + sq(dir.string()) + " && " + kCli + " submit slurm campaign.toml --points-per-round 2 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.rfind("\n{") == std::string::npos ? 0 : r.out.rfind("\n{") + 1));
  ASSERT_EQ(j["rounds"].size(), 3u);
  EXPECT_EQ(j["rounds"][2]["points"], 5);

  writeRunningSbatch(dir / "bin");
  const fs::path jobLog = dir / "jobs.txt";
  r = run("cd /tmp && PATH=" + sq((dir / "bin").string()) + ":/usr/bin:/bin RUN_JOBS=1 COUNTER=" + sq((dir / "n").string()) +
          " SBATCH_OUT=" + sq((dir / "sbatch.txt").string()) + " JOB_LOG=" + sq(jobLog.string()) + " bash " +
          sq((dir / "run/jobs/slurm/submit.sh").string()));
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string jobs = readFile(jobLog);
  EXPECT_EQ(jobs.find("FAILED"), std::string::npos) << jobs;
  EXPECT_NE(r.out.find("aggregate 107"), std::string::npos) << r.out;

  r = run(kCli + " status " + (dir / "run").string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto s = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(s["total"], 10);
  EXPECT_EQ(s["done"], 10);
  EXPECT_EQ(s["search"]["proposed"], 5);
  EXPECT_EQ(s["search"]["observed"], 5);
  EXPECT_TRUE(fs::exists(dir / "run/summary.h5"));
  // Run again: everything is done and proposed; the chain trains and proposes nothing more.
  r = run("cd /tmp && PATH=" + sq((dir / "bin").string()) + ":/usr/bin:/bin RUN_JOBS=1 COUNTER=" + sq((dir / "n").string()) +
          " SBATCH_OUT=" + sq((dir / "sbatch.txt").string()) + " JOB_LOG=" + sq(jobLog.string()) + " bash " +
          sq((dir / "run/jobs/slurm/submit.sh").string()));
  ASSERT_EQ(r.status, 0) << r.out;
  r = run(kCli + " status " + (dir / "run").string() + " --json");
  EXPECT_EQ(nlohmann::json::parse(r.out.substr(r.out.find('{')))["search"]["proposed"], 5);
}

// `search propose --total` and the run directory it sets up: a train slice run on RUN_DIR/campaign.toml
// trains exactly the proposed points' items.
TEST(SearchChainLocal, ProposeTotalSetsUpTheRunDirectory) {
  using namespace hepsweep::test;
  const fs::path dir = scratch("total");
  const fs::path data = dir / "higgs.h5";
  ASSERT_EQ(run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label --quiet -o " + data.string()).status, 0);
  const fs::path toml = dir / "c.toml";
  std::ofstream(toml) << "seed = 1\n[data]\nfile = \"" << data.string()
                      << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n[model]\nwidths = [4]\n"
                         "[train]\nbatch_size = 256\nepochs = 1\n[output]\ndir = \"" << (dir / "run").string()
                      << "\"\n[search]\nmethod = \"bayes\"\nbudget = 4\ninitial_points = 2\n"
                         "[search.space]\n\"model.dropout\" = { min = 0.0, max = 0.5 }\n";
  const std::string runDir = (dir / "run").string();
  CliRun r = run(kCli + " search propose " + runDir + " --total 2 --json");
  EXPECT_NE(r.status, 0);  // no campaign.toml yet and no --campaign
  r = run(kCli + " search propose " + runDir + " --total 2 --campaign " + toml.string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out.substr(r.out.find('{')))["proposed"].size(), 2u);
  r = run(kCli + " search propose " + runDir + " --total 2 --campaign " + toml.string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out.substr(r.out.find('{')))["proposed"].size(), 0u);  // already 2
  // A different campaign is refused.
  r = run(kCli + " search propose " + runDir + " --total 3 --campaign " + toml.string() + " --set train.epochs=3");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("train.epochs"), std::string::npos) << r.out;
  // Slices of RUN_DIR/campaign.toml train the two points' items, and only them.
  int ran = 0;
  for (const char* slice : {"0/2", "1/2"}) {
    r = run(kCli + " train " + runDir + "/campaign.toml --items " + slice + " --json --quiet");
    ASSERT_EQ(r.status, 0) << r.out;
    ran += nlohmann::json::parse(r.out.substr(r.out.rfind("\n{") + 1))["ran_here"].get<int>();
  }
  EXPECT_EQ(ran, 2);
  EXPECT_TRUE(fs::exists(dir / "run/items/000000/result.h5"));
  EXPECT_TRUE(fs::exists(dir / "run/items/000001/result.h5"));
  EXPECT_FALSE(fs::exists(dir / "run/items/000002"));
}
