// Campaigns as a user runs them: k folds x a grid, run directories, resume after kill -9,
// slices, failures, refusal of a changed campaign, and MPI rank groups.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "CliRun.hpp"

namespace fs = std::filesystem;
using namespace hepsweep::test;

namespace {

const fs::path& exampleData() {
  static const fs::path data = [] {
    const fs::path out = workDir("campaign_data") / "higgs.h5";
    const CliRun r = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label --quiet -o " + out.string());
    EXPECT_EQ(r.status, 0) << r.out;
    return out;
  }();
  return data;
}

// 2 folds x 2 grid points = 4 items.
std::string campaignText(const fs::path& runDir, int epochs = 3, const std::string& extra = "") {
  return "seed = 11\n[data]\nfile = \"" + exampleData().string() + "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
         "[model]\nwidths = [16, 8]\ndropout = 0.1\n[train]\nbatch_size = 64\nepochs = " + std::to_string(epochs) + "\n"
         "early_stopping = { patience = 100 }\n[output]\ndir = \"" + runDir.string() + "\"\n"
         "[cv]\nfolds = 2\n[search]\nmethod = \"grid\"\n[search.space]\n\"model.widths\" = [[16, 8], [8]]\n" + extra;
}

fs::path writeCampaign(const fs::path& dir, const std::string& text) {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << text;
  return p;
}

nlohmann::json campaignStatus(const fs::path& runDir) {
  const CliRun r = run(kCli + " status " + runDir.string() + " --json");
  EXPECT_EQ(r.status, 0) << r.out;
  return nlohmann::json::parse(r.out.substr(r.out.find('{')));
}

// Open MPI refuses to start as root without these variables (CI runs as root).
std::string mpiexec(int n) {
  return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -n " + std::to_string(n) +
         (n > 2 ? " --oversubscribe " : " ");
}

}  // namespace

// Every item runs once, its result and log are in the run directory, and a rerun does nothing.
TEST(Campaign, EveryItemRunsOnceAndRerunSkipsThem) {
  const fs::path dir = workDir("camp_once");
  const fs::path toml = writeCampaign(dir, campaignText(dir / "run"));
  CliRun r = run(kCli + " train " + toml.string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out.substr(r.out.rfind('{')));
  EXPECT_EQ(j["total"], 4);
  EXPECT_EQ(j["done"], 4);
  EXPECT_EQ(j["ran_here"], 4);
  for (int id = 0; id < 4; ++id) {
    char name[16];
    std::snprintf(name, sizeof name, "%06d", id);
    EXPECT_TRUE(fs::exists(dir / "run/items" / name / "result.h5")) << id;
    EXPECT_FALSE(fs::exists(dir / "run/items" / name / "checkpoint.h5")) << id;
  }
  EXPECT_TRUE(fs::exists(dir / "run/campaign.toml"));
  EXPECT_TRUE(fs::exists(dir / "run/manifest.h5"));
  const auto s = campaignStatus(dir / "run");
  EXPECT_EQ(s["total"], 4);
  EXPECT_EQ(s["done"], 4);
  EXPECT_EQ(s["pending"], 0);

  r = run(kCli + " train " + toml.string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  j = nlohmann::json::parse(r.out.substr(r.out.rfind('{')));
  EXPECT_EQ(j["ran_here"], 0);
  EXPECT_EQ(j["done"], 4);
}

// A second run with a different campaign is refused, naming the differing key; --fresh starts over.
TEST(Campaign, ChangedCampaignIsRefusedUnlessFresh) {
  const fs::path dir = workDir("camp_changed");
  const fs::path toml = writeCampaign(dir, campaignText(dir / "run"));
  ASSERT_EQ(run(kCli + " train " + toml.string() + " --quiet").status, 0);
  const CliRun refused = run(kCli + " train " + toml.string() + " --set train.epochs=4");
  EXPECT_EQ(refused.status, 2) << refused.out;
  EXPECT_NE(refused.out.find("train.epochs"), std::string::npos) << refused.out;
  const CliRun fresh = run(kCli + " train " + toml.string() + " --set train.epochs=4 --fresh --quiet");
  EXPECT_EQ(fresh.status, 0) << fresh.out;
}

// --items I/N slices are disjoint and together cover every item exactly once.
TEST(Campaign, SlicesCoverAllItemsOnce) {
  const fs::path dir = workDir("camp_slices");
  const fs::path toml = writeCampaign(dir, campaignText(dir / "run"));
  std::int64_t ran = 0;
  for (int i = 0; i < 3; ++i) {
    const CliRun r = run(kCli + " train " + toml.string() + " --json --items " + std::to_string(i) + "/3");
    ASSERT_EQ(r.status, 0) << r.out;
    const auto j = nlohmann::json::parse(r.out.substr(r.out.rfind('{')));
    ran += j["ran_here"].get<std::int64_t>();
    // Slice i holds the items whose id % 3 == i: 0 and 3, then 1, then 2.
    EXPECT_EQ(j["total"], i == 0 ? 2 : 1);
  }
  EXPECT_EQ(ran, 4);
  EXPECT_EQ(campaignStatus(dir / "run")["done"], 4);
}

// A diverging point is recorded as failed with its reason; the other items finish, and the
// campaign exits with the documented status for failed items (6), not 0.
TEST(Campaign, DivergingPointFailsAloneAndIsReported) {
  const fs::path dir = workDir("camp_fail");
  std::string text = campaignText(dir / "run");
  text.replace(text.find("\"model.widths\" = [[16, 8], [8]]"), std::string("\"model.widths\" = [[16, 8], [8]]").size(),
               "\"train.learning_rate\" = [0.001, 1e30]");
  text.replace(text.find("[train]\n"), 8, "[train]\noptimizer = \"sgd\"\n");
  const fs::path toml = writeCampaign(dir, text);
  const CliRun r = run(kCli + " train " + toml.string() + " --quiet");
  EXPECT_EQ(r.status, 6) << r.out;
  const auto s = campaignStatus(dir / "run");
  EXPECT_EQ(s["done"], 2);
  EXPECT_EQ(s["failed"], 2);
  ASSERT_EQ(s["failures"].size(), 2u);
  EXPECT_NE(s["failures"][0]["reason"].template get<std::string>().find("diverged"), std::string::npos) << s.dump();
}

// kill -9 of the whole job at several moments, then the same command again: the results are
// identical to those of an uninterrupted run.
TEST(Campaign, KillNineAndRerunGivesIdenticalResults) {
  const fs::path ref = workDir("camp_kill_ref");
  // Small batches make epochs long enough for the kills to land mid-item.
  auto text = [&](const fs::path& d) {
    std::string t = campaignText(d / "run", 8);
    t.replace(t.find("\"model.widths\" = [[16, 8], [8]]"), std::string("\"model.widths\" = [[16, 8], [8]]").size(),
              "\"model.widths\" = [[64, 64], [32, 32]]");
    t.replace(t.find("batch_size = 64"), 15, "batch_size = 16");
    return t;
  };
  ASSERT_EQ(run(kCli + " train " + writeCampaign(ref, text(ref)).string() + " --quiet").status, 0);

  // Moments: the first checkpoint of item 0; item 1 finished; the third checkpoint of item 2.
  const std::vector<std::pair<std::string, int>> moments{{"000000/checkpoint.h5", 1}, {"000001/result.h5", 1},
                                                         {"000002/log.txt", 3}};
  int k = 0;
  for (const auto& [file, lines] : moments) {
    const fs::path dir = workDir("camp_kill_" + std::to_string(k++));
    const fs::path toml = writeCampaign(dir, text(dir));
    const int status = interruptWhen(kCli + " train " + toml.string() + " --quiet", dir / "run/items" / file, lines, SIGKILL);
    ASSERT_NE(status, -1000) << "could not start hepsweep train";
    const CliRun again = run(kCli + " train " + toml.string() + " --quiet");
    ASSERT_EQ(again.status, 0) << again.out;
    for (const char* item : {"000000", "000001", "000002", "000003"}) {
      const CliRun cmp = compareResults(ref / "run/items" / item / "result.h5", dir / "run/items" / item / "result.h5");
      EXPECT_EQ(cmp.status, 0) << "kill at " << file << ", item " << item << ":\n" << cmp.out;
    }
  }
}

// The same with reduce-on-plateau lowering the rate during the items: its state (rate, best
// value, counters) travels in the checkpoint, so resumed items train at the same rates to the
// same results. Stopped (SIGTERM: a checkpoint at that epoch) once item 0 has logged 6 epochs,
// past its first reduction, and killed once item 2 has logged 2.
TEST(Campaign, InterruptedPlateauScheduleGivesIdenticalResults) {
  const std::string schedule =
      "[train.lr_schedule]\nkind = \"plateau\"\npatience = 1\nfactor = 0.5\nmin_delta = 0.02\n";
  auto text = [&](const fs::path& d) {
    std::string t = campaignText(d / "run", 8, schedule);
    t.replace(t.find("\"model.widths\" = [[16, 8], [8]]"), std::string("\"model.widths\" = [[16, 8], [8]]").size(),
              "\"model.widths\" = [[64, 64], [32, 32]]");
    t.replace(t.find("batch_size = 64"), 15, "batch_size = 16");
    return t;
  };
  const fs::path ref = workDir("camp_plateau_ref");
  ASSERT_EQ(run(kCli + " train " + writeCampaign(ref, text(ref)).string() + " --quiet").status, 0);
  // Item 0 must lower its rate before the stop, or this would not test the checkpointed state.
  const CliRun rates = run("/usr/bin/python3 -c \"import h5py,sys; "
                           "print(len(set(h5py.File(sys.argv[1])['history/learning_rate'][:5])))\" " +
                           (ref / "run/items/000000/result.h5").string());
  ASSERT_EQ(rates.status, 0) << rates.out;
  EXPECT_GE(std::stoi(rates.out), 2) << "item 0 did not lower its learning rate within 5 epochs";

  struct Moment {
    std::string file;
    int lines, signal;
  };
  int k = 0;
  for (const Moment& m : {Moment{"000000/log.txt", 6, SIGTERM}, Moment{"000002/log.txt", 2, SIGKILL}}) {
    const fs::path dir = workDir("camp_plateau_" + std::to_string(k++));
    const fs::path toml = writeCampaign(dir, text(dir));
    ASSERT_NE(interruptWhen(kCli + " train " + toml.string() + " --quiet", dir / "run/items" / m.file, m.lines, m.signal),
              -1000);
    const CliRun again = run(kCli + " train " + toml.string() + " --quiet");
    ASSERT_EQ(again.status, 0) << again.out;
    for (const char* item : {"000000", "000001", "000002", "000003"}) {
      const CliRun cmp = compareResults(ref / "run/items" / item / "result.h5", dir / "run/items" / item / "result.h5");
      EXPECT_EQ(cmp.status, 0) << "signal " << m.signal << " at " << m.file << ", item " << item << ":\n" << cmp.out;
    }
  }
}

// Under MPI: 2 ranks as 2 groups of 1 and as 1 group of 2, 4 ranks as 1 group of 4 and as 2
// groups of 2: every item runs exactly once, and all give results identical to the serial run
// (deterministic tree reduction of micro-batches).
TEST(CampaignMpi, GroupsOfOneTwoAndFourTrainIdenticalWeights) {
  const fs::path ref = workDir("camp_mpi_ref");
  ASSERT_EQ(run(kCli + " train " + writeCampaign(ref, campaignText(ref / "run")).string() + " --quiet").status, 0);
  const std::vector<std::pair<int, int>> layouts{{2, 1}, {2, 2}, {4, 4}, {4, 2}};
  for (const auto& [ranks, g] : layouts) {
    const fs::path dir = workDir("camp_mpi_" + std::to_string(ranks) + "_" + std::to_string(g));
    const fs::path toml = writeCampaign(dir, campaignText(dir / "run", 3, "[resources]\nranks_per_item = " + std::to_string(g) + "\n"));
    const CliRun r = run(mpiexec(ranks) + kCli + " train " + toml.string() + " --json");
    ASSERT_EQ(r.status, 0) << r.out;
    const auto j = nlohmann::json::parse(r.out.substr(r.out.rfind('{')));
    EXPECT_EQ(j["done"], 4) << ranks << " ranks, groups of " << g;
    // Summed over the groups' leaders: 4 means every item ran exactly once (none twice).
    EXPECT_EQ(j["ran_here"], 4) << ranks << " ranks, groups of " << g;
    for (const char* item : {"000000", "000001", "000002", "000003"}) {
      const CliRun cmp = compareResults(ref / "run/items" / item / "result.h5", dir / "run/items" / item / "result.h5");
      EXPECT_EQ(cmp.status, 0) << ranks << " ranks, groups of " << g << ", item " << item << ":\n" << cmp.out;
    }
  }
}

// A group of 2 steps each rank's half of the parameters (and of the optimiser's moments), so the
// checkpoint the writing rank takes must hold the other rank's half too (gathered at each epoch's
// end): stopped by SIGUSR1 (what Slurm sends before the walltime: a checkpoint at the epoch
// boundary; SIGKILL would leave the launched ranks dying after the launcher, racing the second
// run) once item 0 has logged 3 epochs, and run again, the group resumes item 0 from it and every
// item ends identical to the serial run. Moments missing from the checkpoint would change the
// resumed steps' bits.
TEST(CampaignMpi, GroupOfTwoStoppedAndResumedGivesIdenticalResults) {
  auto text = [&](const fs::path& d, const std::string& extra) {
    std::string t = campaignText(d / "run", 8, extra);
    t.replace(t.find("\"model.widths\" = [[16, 8], [8]]"), std::string("\"model.widths\" = [[16, 8], [8]]").size(),
              "\"model.widths\" = [[64, 64], [32, 32]]");
    t.replace(t.find("batch_size = 64"), 15, "batch_size = 16");
    return t;
  };
  const fs::path ref = workDir("camp_mpi_kill_ref");
  ASSERT_EQ(run(kCli + " train " + writeCampaign(ref, text(ref, "")).string() + " --quiet").status, 0);
  const fs::path dir = workDir("camp_mpi_kill");
  const fs::path toml = writeCampaign(dir, text(dir, "[resources]\nranks_per_item = 2\n"));
  ASSERT_NE(interruptWhen(mpiexec(2) + kCli + " train " + toml.string() + " --quiet", dir / "run/items/000000/log.txt", 3,
                          SIGUSR1),
            -1000);
  ASSERT_TRUE(fs::exists(dir / "run/items/000000/checkpoint.h5")) << "stopped without item 0's checkpoint";
  ASSERT_FALSE(fs::exists(dir / "run/items/000000/result.h5")) << "item 0 finished before the stop: nothing resumed";
  const CliRun again = run(mpiexec(2) + kCli + " train " + toml.string() + " --quiet");
  ASSERT_EQ(again.status, 0) << again.out;
  for (const char* item : {"000000", "000001", "000002", "000003"}) {
    const CliRun cmp = compareResults(ref / "run/items" / item / "result.h5", dir / "run/items" / item / "result.h5");
    EXPECT_EQ(cmp.status, 0) << "item " << item << ":\n" << cmp.out;
  }
}

// ranks_per_item must divide the number of ranks: a clear error, not a hang.
TEST(CampaignMpi, NonDividingGroupSizeIsRefused) {
  const fs::path dir = workDir("camp_mpi_bad");
  const fs::path toml = writeCampaign(dir, campaignText(dir / "run", 3, "[resources]\nranks_per_item = 4\n"));
  const CliRun r = run(mpiexec(2) + kCli + " train " + toml.string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("does not divide"), std::string::npos) << r.out;
}

// A new run directory's claim runs on rank 0 while the ranks read the data: when it fails (here
// the run directory cannot be made, its parent is a file), every rank stops with rank 0's error
// once the read is done, not a hang (ctest's timeout) and not a data error.
TEST(CampaignMpi, AClaimThatFailsDuringTheDataReadStopsEveryRank) {
  const fs::path dir = workDir("camp_mpi_claim");
  std::ofstream(dir / "not-a-dir") << "a file\n";
  const fs::path runDir = dir / "not-a-dir" / "run";
  const fs::path toml = writeCampaign(dir, campaignText(runDir, 3, "[resources]\ndata = \"node\"\n"));
  const CliRun r = run(mpiexec(2) + kCli + " train " + toml.string() + " --fresh");
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("cannot create run directory '" + runDir.string() + "'"), std::string::npos) << r.out;
}
