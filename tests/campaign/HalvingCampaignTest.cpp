// [search.early_stopping] rule = "asha" / "hyperband" through the hepsweep command: a grid
// campaign of 6 points (one process, items in id order), 4 epochs, rungs at 1 and 2 epochs
// (min_epochs 1, reduction_factor 2), half of whose points have a hopeless learning rate (the
// others' order was picked so that one item is stopped at each rung). Every
// decision is recomputed independently from the items' validation histories
// (tests/campaign/check_rungs.py) and compared with the items' rungs.txt and result.h5
// attributes; two runs give the same files; a run killed after a stop decision and before the
// item's result resumes to the same decision; hyperband keeps its brackets apart.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../e2e/CliRun.hpp"

namespace fs = std::filesystem;
using namespace hepsweep::test;

namespace {

const fs::path& exampleData() {
  static const fs::path data = [] {
    const fs::path out = workDir("halving_data") / "higgs.h5";
    const CliRun r = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label --quiet -o " + out.string());
    EXPECT_EQ(r.status, 0) << r.out;
    return out;
  }();
  return data;
}

constexpr int kItems = 6;
constexpr int kEpochs = 4;

fs::path writeCampaign(const fs::path& dir, const std::string& rule) {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 5\n[data]\nfile = \"" << exampleData().string()
                   << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
                      "[model]\nwidths = [16]\n[train]\nbatch_size = 64\nepochs = "
                   << kEpochs << "\nearly_stopping = { enabled = false }\n[output]\ndir = \"" << (dir / "run").string()
                   << "\"\n[search]\nmethod = \"grid\"\n"
                      "[search.space]\n\"train.learning_rate\" = [0.003, 1e-7, 0.01, 2e-7, 0.005, 3e-7]\n"
                      "[search.early_stopping]\nrule = \""
                   << rule << "\"\nmin_epochs = 1\nreduction_factor = 2\n";
  return p;
}

nlohmann::json lastJson(const CliRun& r) {
  const auto line = r.out.rfind("\n{");
  return nlohmann::json::parse(r.out.substr(line == std::string::npos ? r.out.find('{') : line + 1));
}

nlohmann::json check(const fs::path& runDir, int brackets) {
  const CliRun r = run("/usr/bin/python3 " + kSource + "/tests/campaign/check_rungs.py " + runDir.string() + " " +
                       std::to_string(kItems) + " 1 " + std::to_string(kEpochs) + " 1 2 " + std::to_string(brackets));
  EXPECT_EQ(r.status, 0) << r.out;
  return lastJson(r);
}

// The rungs.txt and the stop attributes of every item, as one text (what two runs must share).
std::string decisions(const fs::path& runDir) {
  std::string out;
  for (int i = 0; i < kItems; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    out += std::string("item ") + id + "\n" + readText(runDir / "items" / id / "rungs.txt");
  }
  return out;
}

}  // namespace

// Catches: no rung decisions, decisions at the wrong epochs (off-by-one rungs), the cutoff taken
// in the wrong direction or without the item's own value, a stopped item that trains on or is not
// recorded (attributes, status counts), and a run that is not a function of the seed.
TEST(HalvingCampaign, AshaDecisionsMatchTheRuleAndRepeat) {
  const fs::path dir = workDir("asha_a");
  CliRun r = run(kCli + " train " + writeCampaign(dir, "asha").string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(lastJson(r)["done"], kItems);
  const nlohmann::json got = check(dir / "run", 1);
  EXPECT_TRUE(got["mismatches"].empty()) << got.dump(1);
  // The hopeless points (items 1, 3, 5) lose at the first rung to item 0; item 4 (n = 5 there,
  // the best 2 continue) passes the first rung and loses at the second to item 2 (n = 3, k = 1).
  EXPECT_EQ(got["stopped"], nlohmann::json::array({1, 3, 4, 5})) << got.dump(1);
  for (const char* id : {"1", "3", "5"}) {
    EXPECT_EQ(got["items"][id]["stopped_by"], "asha") << id;
    EXPECT_EQ(got["items"][id]["epochs_run"], 1) << id;
  }
  EXPECT_EQ(got["items"]["4"]["epochs_run"], 2);
  // Items 0 and 2 reached both rungs (1 and 2) and went on to the end.
  for (const char* id : {"0", "2"}) {
    EXPECT_EQ(got["items"][id]["rungs"].size(), 2u) << got.dump(1);
    EXPECT_EQ(got["items"][id]["epochs_run"], kEpochs);
  }

  r = run(kCli + " status " + (dir / "run").string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(lastJson(r)["stopped"], got["stopped"].size());
  EXPECT_EQ(lastJson(r)["stopped_items"], got["stopped"]);

  // The report's rungs: one block per item in rungs.dat (all 6 reached the first rung), the 4 stop
  // decisions flagged, and the table of the rungs on the page.
  r = run(kCli + " aggregate " + (dir / "run").string() + " --report " + (dir / "report").string() + " --no-inspect");
  ASSERT_EQ(r.status, 0) << r.out;
  std::istringstream dat(readText(dir / "report/rungs.dat"));
  int blocks = 0, stops = 0;
  for (std::string line; std::getline(dat, line);) {
    if (line.rfind("# item ", 0) == 0) ++blocks;
    double epoch = 0, value = 0, stopped = 0, bracket = 0;
    if (!line.empty() && line[0] != '#' && std::istringstream(line) >> epoch >> value >> stopped >> bracket && stopped == 1)
      ++stops;
  }
  EXPECT_EQ(blocks, kItems);
  EXPECT_EQ(stops, 4);
  EXPECT_NE(readText(dir / "report/index.html").find("rungs.png"), std::string::npos);
  EXPECT_NE(readText(dir / "report/index.html").find("items reached"), std::string::npos);

  const fs::path again = workDir("asha_b");
  r = run(kCli + " train " + writeCampaign(again, "asha").string() + " --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(decisions(again / "run"), decisions(dir / "run"));
  for (int i = 0; i < kItems; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    const CliRun c = compareResults(dir / "run/items" / id / "result.h5", again / "run/items" / id / "result.h5");
    EXPECT_EQ(c.status, 0) << id << "\n" << c.out;
  }
}

// Hyperband with r = 1, eta = 2, 4 epochs: brackets 0 (rungs 1, 2), 1 (rung 2) and 2 (none), point
// i in bracket i mod 3. Catches brackets mixed in one comparison, a wrong bracket count or
// assignment, and the last bracket judged at all.
TEST(HalvingCampaign, HyperbandComparesWithinBrackets) {
  const fs::path dir = workDir("hyperband");
  const CliRun r = run(kCli + " train " + writeCampaign(dir, "hyperband").string() + " --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json got = check(dir / "run", 3);
  EXPECT_TRUE(got["mismatches"].empty()) << got.dump(1);
  for (const char* id : {"2", "5"}) {  // bracket 2: trained to the end, never judged
    EXPECT_TRUE(got["items"][id]["rungs"].empty()) << id;
    EXPECT_EQ(got["items"][id]["epochs_run"], kEpochs) << id;
  }
  // Bracket 1 (items 1, 4) is judged at epoch 2 only; item 1 is the first there and continues.
  ASSERT_EQ(got["items"]["1"]["rungs"].size(), 1u) << got.dump(1);
  EXPECT_EQ(got["items"]["1"]["rungs"][0][0], 2);
  EXPECT_EQ(got["items"]["1"]["epochs_run"], kEpochs);
  // Bracket 0: item 3 (hopeless) loses to item 0 at the first rung.
  EXPECT_EQ(got["items"]["3"]["stopped_by"], "hyperband");
  EXPECT_EQ(got["items"]["3"]["epochs_run"], 1);
}

// The state a kill -9 leaves right after a stop decision: the item's checkpoint holds the rung's
// epoch and its rungs.txt the decision, but its result is not written. Made here by stopping the
// job with SIGTERM during item 1's first epoch (its checkpoint then holds epoch 1) and putting the
// decision an uninterrupted run recorded in its rungs.txt. The resumed job must stop item 1 at once
// with that decision (not train it on: the checkpoint's epoch is past the trainer's loop), and
// every item must end as in the uninterrupted run. Catches a resume that re-decides, or trains on.
TEST(HalvingCampaign, ResumeAfterAStopDecisionKeepsIt) {
  const fs::path ref = workDir("asha_ref");
  // Wider, slower epochs so that the signal lands inside item 1's first epoch.
  const std::string sets = " --set train.batch_size=16 --set \"model.widths=[64, 64]\" --quiet";
  CliRun r = run(kCli + " train " + writeCampaign(ref, "asha").string() + sets);
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string item1 = readText(ref / "run/items/000001/rungs.txt");
  ASSERT_NE(item1.find(" stop\n"), std::string::npos) << item1;

  const fs::path dir = workDir("asha_resume");
  const std::string command = kCli + " train " + writeCampaign(dir, "asha").string() + sets;
  EXPECT_EQ(interruptWhen(command, dir / "run/items/000001/heartbeat", 1, SIGTERM), 75);
  ASSERT_TRUE(fs::exists(dir / "run/items/000001/checkpoint.h5")) << "the signal came too late for item 1";
  ASSERT_FALSE(fs::exists(dir / "run/items/000001/result.h5"));
  ASSERT_FALSE(fs::exists(dir / "run/items/000001/rungs.txt"));
  std::ofstream(dir / "run/items/000001/rungs.txt") << item1;

  r = run(command);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(decisions(dir / "run"), decisions(ref / "run"));
  for (const char* id : {"000000", "000001", "000002", "000003"}) {
    const CliRun c = compareResults(ref / "run/items" / id / "result.h5", dir / "run/items" / id / "result.h5");
    EXPECT_EQ(c.status, 0) << id << "\n" << c.out;
  }
  EXPECT_NE(readText(dir / "run/items/000001/log.txt").find("stopped by asha at the rung of epoch 1"), std::string::npos)
      << readText(dir / "run/items/000001/log.txt");
}
