// A campaign with search.method = "bayes" run through the hepsweep command: rounds of proposals
// until the budget is spent, search.h5, status, a rerun that does nothing, the same points for
// the same seed, and the batch-system flow (search propose between sliced train runs).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

constexpr const char* kDefaultSpace =
    "\"model.dropout\" = { min = 0.0, max = 0.5 }\n"
    "\"train.learning_rate\" = { min = 0.0001, max = 0.01, log = true }\n";

// 2 folds; budget points, the first 2 from a Latin hypercube. `search` adds [search] keys,
// `after` whole sections after the space.
fs::path writeCampaign(const fs::path& dir, int budget, const std::string& search = "",
                       const std::string& space = kDefaultSpace, const std::string& after = "") {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 5\n[data]\nfile = \"" << exampleData().string()
                   << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
                      "[model]\nwidths = [8]\n[train]\nbatch_size = 128\nepochs = 2\n[output]\ndir = \""
                   << (dir / "run").string()
                   << "\"\n[cv]\nfolds = 2\n[search]\nmethod = \"bayes\"\nbudget = " << budget
                   << "\ninitial_points = 2\ninitial_design = \"lhs\"\nacquisition = \"EI\"\n"
                   << search << "[search.space]\n" << space << after;
  return p;
}

// The last line that is a JSON object (log lines may precede it).
nlohmann::json lastJson(const CliRun& r) {
  const auto line = r.out.rfind("\n{");
  return nlohmann::json::parse(r.out.substr(line == std::string::npos ? r.out.find('{') : line + 1));
}

// search.h5's points next to their items' result files, read with h5py: per point its
// objective, status and stopped_folds from search.h5, and per fold item metrics/objective (with
// its name attribute), val_loss, val_ams and whether the median rule stopped it.
nlohmann::json pointsAndItems(const fs::path& runDir, int folds) {
  const std::string script =
      "import h5py, json, math, sys\n"
      "run, folds = sys.argv[1], int(sys.argv[2])\n"
      "num = lambda x: None if math.isnan(x) else float(x)\n"
      "text = lambda x: x.decode() if isinstance(x, bytes) else str(x)\n"
      "out = []\n"
      "with h5py.File(run + '/search.h5', 'r') as f:\n"
      "    p = f['points']\n"
      "    for i in range(len(p['id'])):\n"
      "        items = []\n"
      "        for k in range(folds):\n"
      "            with h5py.File(f'{run}/items/{i * folds + k:06d}/result.h5', 'r') as r:\n"
      "                m = r['metrics']\n"
      "                items.append({'objective': num(m['objective'][()]), 'name': text(m['objective'].attrs['name']),\n"
      "                              'val_loss': num(m['val_loss'][()]), 'val_ams': num(m['val_ams'][()]),\n"
      "                              'stopped': 'stopped_by' in r.attrs})\n"
      "        out.append({'objective': num(p['objective'][i]), 'status': text(p['status'][i]),\n"
      "                    'stopped_folds': int(p['stopped_folds'][i]), 'items': items})\n"
      "print(json.dumps(out))\n";
  const fs::path py = runDir.parent_path() / "points_and_items.py";
  std::ofstream(py) << script;
  const CliRun r = run("/usr/bin/python3 " + py.string() + " " + runDir.string() + " " + std::to_string(folds));
  EXPECT_EQ(r.status, 0) << r.out;
  return nlohmann::json::parse(r.out.substr(r.out.rfind("\n[") == std::string::npos ? 0 : r.out.rfind("\n[") + 1));
}

// Runs a bayes campaign ranked by `objective` and checks that the search ranked its points by it:
// search.h5's points/objective is the fold mean of the items' metrics/objective (stored under
// that name), which for these objectives is not the mean validation loss the search used to read
// whatever the objective. Returns the points for objective-specific checks.
nlohmann::json expectSearchRanksBy(const fs::path& dir, const std::string& objective) {
  const CliRun r =
      run(kCli + " train " + writeCampaign(dir, 3, "objective = \"" + objective + "\"\n").string() + " --quiet");
  EXPECT_EQ(r.status, 0) << r.out;
  const nlohmann::json points = pointsAndItems(dir / "run", 2);
  EXPECT_EQ(points.size(), 3u);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    EXPECT_EQ(p["status"], "observed") << objective << " point " << i;
    double mean = 0, loss = 0;
    for (const auto& it : p["items"]) {
      EXPECT_EQ(it["name"], objective);
      mean += it["objective"].get<double>() / 2;
      loss += it["val_loss"].get<double>() / 2;
    }
    EXPECT_NEAR(p["objective"].get<double>(), mean, 1e-12 * std::max(1.0, std::abs(mean))) << objective << " " << i;
    EXPECT_GT(std::abs(p["objective"].get<double>() - loss), 1e-6) << objective << " " << i << ": ranked by val_loss";
  }
  return points;
}

// Every dataset of search.h5's points, observations and models groups, exactly (floats as repr).
std::string searchDatasets(const fs::path& runDir) {
  const CliRun r = run("/usr/bin/python3 -c \"import h5py, sys\n"
                       "with h5py.File(sys.argv[1], 'r') as f:\n"
                       "    for g in ('points', 'observations', 'models'):\n"
                       "        for k in sorted(f[g]):\n"
                       "            print(g + '/' + k, [x.decode() if isinstance(x, bytes) else repr(x) for x in f[g][k][()].tolist()])\" " +
                       (runDir / "search.h5").string());
  EXPECT_EQ(r.status, 0) << r.out;
  return r.out;
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

// objective = "ams": the search minimises the stored -AMS (points/objective = -(fold mean of
// val_ams)), and status reports it as a validation AMS, positive, not as "ams = -1.9".
TEST(BayesCampaign, RanksByTheAmsObjective) {
  const fs::path dir = workDir("bayes_ams");
  const nlohmann::json points = expectSearchRanksBy(dir, "ams");
  double best = INFINITY;
  for (const auto& p : points) {
    double ams = 0;
    for (const auto& it : p["items"]) ams += it["val_ams"].get<double>() / 2;
    EXPECT_NEAR(p["objective"].get<double>(), -ams, 1e-12 * std::max(1.0, ams));
    EXPECT_GT(ams, 0);
    best = std::min(best, p["objective"].get<double>());
  }
  const std::string runDir = (dir / "run").string();
  CliRun r = run(kCli + " status " + runDir + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = lastJson(r);
  EXPECT_EQ(j["search"]["objective"], "ams");
  EXPECT_EQ(j["search"]["best"]["objective"].get<double>(), best);
  EXPECT_EQ(j["search"]["best"]["quantity"], "validation AMS");
  EXPECT_EQ(j["search"]["best"]["value"].get<double>(), -best);
  r = run(kCli + " status " + runDir);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("best: point"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("validation AMS "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ams = -"), std::string::npos) << r.out;
}

// objective = "bkg_eff@sig_eff=0.8": a background efficiency, in [0, 1], stored as is.
TEST(BayesCampaign, RanksByTheBackgroundEfficiencyObjective) {
  for (const auto& p : expectSearchRanksBy(workDir("bayes_bkg_eff"), "bkg_eff@sig_eff=0.8")) {
    EXPECT_GE(p["objective"].get<double>(), 0.0);
    EXPECT_LE(p["objective"].get<double>(), 1.0);
  }
}

// With the median rule or asha on, points whose folds it stopped are recorded in search.h5
// (points/stopped_folds = how many of the point's items carry stopped_by) and counted by status.
// The space has a hopeless learning rate (1e-7) beside good ones, so some fold is stopped.
TEST(BayesCampaign, RecordsPointsWithStoppedFolds) {
  for (const std::string rule : {"rule = \"median\"\ngrace_epochs = 1\nmin_completed = 1\n",
                                 "rule = \"asha\"\nmin_epochs = 1\nreduction_factor = 2\n"}) {
    SCOPED_TRACE(rule);
    const fs::path dir = workDir(rule.find("asha") == std::string::npos ? "bayes_stopped" : "bayes_stopped_asha");
    const fs::path toml = writeCampaign(dir, 3, "", "\"train.learning_rate\" = [0.02, 0.01, 1e-7]\n",
                                        "[search.early_stopping]\n" + rule);
    CliRun r = run(kCli + " train " + toml.string() + " --set train.epochs=4 --quiet");
    ASSERT_EQ(r.status, 0) << r.out;
    const nlohmann::json points = pointsAndItems(dir / "run", 2);
    ASSERT_EQ(points.size(), 3u);
    std::int64_t stoppedPoints = 0, stoppedFolds = 0;
    for (const auto& p : points) {
      std::int64_t n = 0;
      for (const auto& it : p["items"]) n += it["stopped"].get<bool>() ? 1 : 0;
      EXPECT_EQ(p["stopped_folds"], n) << points.dump();
      stoppedPoints += n > 0 ? 1 : 0;
      stoppedFolds += n;
    }
    ASSERT_GT(stoppedFolds, 0) << "no fold was stopped: the test checks nothing; " << points.dump();
    r = run(kCli + " status " + (dir / "run").string() + " --json");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(lastJson(r)["search"]["stopped_points"], stoppedPoints);
    EXPECT_EQ(lastJson(r)["stopped"], stoppedFolds);
  }
}

// schedule = "rounds" interrupted part-way (kill -9 right after the first model-based point's
// first fold finished; SIGTERM, the clean stop Slurm's walltime warning triggers, in the middle
// of a later item) and run again with the same command: search.h5's points, objectives,
// observations and model fits are identical to those of an uninterrupted run with the same seed.
TEST(BayesCampaign, RoundsResumeAfterAnInterruptionProposesTheSamePoints) {
  // Longer items (more epochs, smaller batches) so that the signals land mid-campaign.
  // [64, 64]: an item then takes ~0.1 s, so the SIGTERM at item 6 lands well before item 9 ends.
  const std::string sets =
      " --set search.schedule=rounds --set train.epochs=6 --set train.batch_size=32 --set \"model.widths=[64, 64]\" --quiet";
  const fs::path ref = workDir("bayes_rounds_ref");
  CliRun r = run(kCli + " train " + writeCampaign(ref, 5).string() + sets);
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string expected = searchDatasets(ref / "run");
  ASSERT_NE(expected.find("points/status ['observed', 'observed', 'observed', 'observed', 'observed']"), std::string::npos)
      << expected;

  struct Interruption {
    const char* name;
    const char* watch;  // under items/
    int lines;
    int signal;
    int status;  // exit status of the interrupted run
  };
  const std::vector<Interruption> cases{{"kill9", "000004/result.h5", 1, SIGKILL, -SIGKILL},
                                        {"term", "000006/log.txt", 2, SIGTERM, 75}};
  for (const Interruption& c : cases) {
    const fs::path dir = workDir(std::string("bayes_rounds_") + c.name);
    const std::string command = kCli + " train " + writeCampaign(dir, 5).string() + sets;
    EXPECT_EQ(interruptWhen(command, dir / "run/items" / c.watch, c.lines, c.signal), c.status) << c.name;
    // It was interrupted before the end: the last point's items are not both done.
    EXPECT_FALSE(fs::exists(dir / "run/items/000008/result.h5") && fs::exists(dir / "run/items/000009/result.h5"))
        << c.name << ": the campaign finished before the signal";
    r = run(command);
    ASSERT_EQ(r.status, 0) << c.name << "\n" << r.out;
    EXPECT_EQ(searchDatasets(dir / "run"), expected) << c.name;
  }
}
