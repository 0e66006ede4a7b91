// A campaign with search.method = "bayes" run through the hepsweep command: rounds of proposals
// until the budget is spent, search.h5, status, a rerun that does nothing, the same points for
// the same seed, and the batch-system flow (search propose between sliced train runs).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../e2e/CliRun.hpp"

namespace fs = std::filesystem;
using namespace hepsweep::test;

namespace {

const fs::path& exampleData() {
  static const fs::path data = [] {
    const fs::path out = workDir("bayes_data") / "higgs.h5";
    const CliRun r = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label --quiet -o " + out.string());
    EXPECT_EQ(r.status, 0) << r.out;
    return out;
  }();
  return data;
}

// 2 folds; budget points, the first 2 from a Latin hypercube.
fs::path writeCampaign(const fs::path& dir, int budget) {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 5\n[data]\nfile = \"" << exampleData().string()
                   << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
                      "[model]\nwidths = [8]\n[train]\nbatch_size = 128\nepochs = 2\n[output]\ndir = \""
                   << (dir / "run").string()
                   << "\"\n[cv]\nfolds = 2\n[search]\nmethod = \"bayes\"\nbudget = " << budget
                   << "\ninitial_points = 2\ninitial_design = \"lhs\"\nacquisition = \"EI\"\n"
                      "[search.space]\n\"model.dropout\" = { min = 0.0, max = 0.5 }\n"
                      "\"train.learning_rate\" = { min = 0.0001, max = 0.01, log = true }\n";
  return p;
}

// The last line that is a JSON object (log lines may precede it).
nlohmann::json lastJson(const CliRun& r) {
  const auto line = r.out.rfind("\n{");
  return nlohmann::json::parse(r.out.substr(line == std::string::npos ? r.out.find('{') : line + 1));
}

std::string proposals(const fs::path& runDir) {
  const CliRun r = run("/usr/bin/python3 -c \"import h5py; f = h5py.File('" + (runDir / "search.h5").string() +
                       "'); print([x.decode() for x in f['points']['model.dropout'][:]], f.attrs['method'])\"");
  EXPECT_EQ(r.status, 0) << r.out;
  return r.out;
}

}  // namespace

// The campaign proposes in rounds until the budget is spent; every point's folds are trained and
// observed; status shows the best point; a rerun trains nothing; another run directory with the
// same seed gets the same points.
TEST(BayesCampaign, RunsTheBudgetAndResumesToNothing) {
  const fs::path dir = workDir("bayes_camp");
  const fs::path toml = writeCampaign(dir, 4);
  CliRun r = run(kCli + " train " + toml.string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = lastJson(r);
  EXPECT_EQ(j["total"], 8);
  EXPECT_EQ(j["done"], 8);
  EXPECT_EQ(j["ran_here"], 8);
  ASSERT_TRUE(fs::exists(dir / "run/search.h5"));

  r = run(kCli + " status " + (dir / "run").string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  j = lastJson(r);
  EXPECT_EQ(j["total"], 8);
  EXPECT_EQ(j["search"]["proposed"], 4);
  EXPECT_EQ(j["search"]["observed"], 4);
  EXPECT_TRUE(j["search"].contains("best")) << r.out;

  r = run(kCli + " train " + toml.string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(lastJson(r)["ran_here"], 0);

  const fs::path again = workDir("bayes_camp_again");
  r = run(kCli + " train " + writeCampaign(again, 4).string() + " --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(proposals(dir / "run"), proposals(again / "run"));
}

// Batch-system rounds: sliced train runs only train proposed points; `search propose` observes the
// finished ones and proposes the next, with the model once two results are in.
TEST(BayesCampaign, ProposeBetweenSlicedRuns) {
  const fs::path dir = workDir("bayes_propose");
  const fs::path toml = writeCampaign(dir, 6);
  const std::string runDir = (dir / "run").string();
  ASSERT_EQ(run(kCli + " train " + toml.string() + " --items 0/2 --quiet").status, 0);  // no points yet
  CliRun r = run(kCli + " search propose " + runDir + " --n 2 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = lastJson(r);
  ASSERT_EQ(j["proposed"].size(), 2u);
  EXPECT_EQ(j["proposed"][1]["items"], nlohmann::json::array({2, 3}));
  for (const char* slice : {"0/2", "1/2"}) {
    r = run(kCli + " train " + toml.string() + " --items " + slice + " --json --quiet");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(lastJson(r)["ran_here"], 2) << slice;
  }
  r = run(kCli + " search propose " + runDir + " --n 2 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  j = lastJson(r);
  EXPECT_EQ(j["observed"], 2);
  EXPECT_EQ(j["proposed"][0]["point"], 2);
  EXPECT_EQ(j["proposed"][1]["point"], 3);
  EXPECT_TRUE(j.contains("best"));
  // A bad --n is a usage error.
  EXPECT_EQ(run(kCli + " search propose " + runDir + " --n 0").status, 2);
}
