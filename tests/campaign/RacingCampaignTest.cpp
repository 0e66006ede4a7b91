// [search.racing] through the hepsweep command: a grid of 4 points x 3 folds whose points 2 and 3
// have a hopeless learning rate (1e-7: the validation loss stays where it started). With racing,
// fold 0 of each hopeless point is trained, it loses the race against the best complete point,
// and its folds 1 and 2 are recorded as raced out (never trained) while the good points keep all
// their folds; `status` counts them as raced out (not pending, not failed), the same seed gives
// the same raced-out set, 2 rank groups (MPI) race out the same points, and a job killed right
// after a decision resumes without training the skipped folds. An asynchronous Bayesian search with
// racing killed by kill -9 after a decision resumes to the same search as an uninterrupted run, and
// two slices run one after the other race out the items each decides.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
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
    const fs::path out = workDir("racing_data") / "higgs.h5";
    const CliRun r = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label --quiet -o " + out.string());
    EXPECT_EQ(r.status, 0) << r.out;
    return out;
  }();
  return data;
}

constexpr int kFolds = 3;

fs::path writeCampaign(const fs::path& dir, const std::string& racing, int batch = 64) {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 3\n[data]\nfile = \"" << exampleData().string()
                   << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
                      "[model]\nwidths = [8]\n[train]\nbatch_size = "
                   << batch << "\nepochs = 3\nearly_stopping = { enabled = false }\n[output]\ndir = \""
                   << (dir / "run").string() << "\"\n[cv]\nfolds = " << kFolds
                   << "\n[search]\nmethod = \"grid\"\n"
                   << racing << "[search.space]\n\"train.learning_rate\" = [0.01, 0.02, 1e-7, 2e-7]\n";
  return p;
}

nlohmann::json lastJson(const CliRun& r) {
  const auto line = r.out.rfind("\n{");
  return nlohmann::json::parse(r.out.substr(line == std::string::npos ? r.out.find('{') : line + 1));
}

const std::string kRacing = "racing = { enabled = true, z = 1.645, min_folds = 1 }\n";
const std::vector<int> kRacedOut{7, 8, 10, 11};  // folds 1 and 2 of points 2 and 3

std::string mpiexec(int n) {
  return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec -n " + std::to_string(n) + " ";
}

// The run directory as racing left it: raced-out items have a marker and no result, every other
// item a result.
void expectRaced(const fs::path& run) {
  for (int id = 0; id < 4 * kFolds; ++id) {
    char name[16];
    std::snprintf(name, sizeof name, "%06d", id);
    const fs::path item = run / "items" / name;
    const bool out = std::find(kRacedOut.begin(), kRacedOut.end(), id) != kRacedOut.end();
    EXPECT_EQ(fs::exists(item / "raced_out.txt"), out) << "item " << id;
    EXPECT_EQ(fs::exists(item / "result.h5"), !out) << "item " << id;
    if (out) {
      EXPECT_NE(readText(item / "raced_out.txt").find("raced out after 1 fold(s)"), std::string::npos) << id;
    }
  }
}

nlohmann::json statusOf(const fs::path& run) {
  const CliRun r = hepsweep::test::run(kCli + " status " + run.string() + " --json");
  EXPECT_EQ(r.status, 0) << r.out;
  return lastJson(r);
}

}  // namespace

// Catches: a sign error in the rule (the good points would be raced out instead), racing before a
// point is complete, skipped folds left pending or counted as failed, and raced-out items trained.
TEST(RacingCampaign, HopelessPointsAreRacedOutAfterFoldZero) {
  const fs::path dir = workDir("racing_on");
  const CliRun r = run(kCli + " train " + writeCampaign(dir, kRacing).string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = lastJson(r);
  EXPECT_EQ(j["done"], 8);
  EXPECT_EQ(j["raced_out"], 4);
  EXPECT_EQ(j["failed"], 0);
  expectRaced(dir / "run");

  const auto s = statusOf(dir / "run");
  EXPECT_EQ(s["raced_out"], 4);
  EXPECT_EQ(s["raced_out_items"], nlohmann::json(kRacedOut));
  EXPECT_EQ(s["pending"], 0);
  EXPECT_EQ(s["failed"], 0);
  EXPECT_NE(run(kCli + " status " + (dir / "run").string()).out.find("4 item(s) raced out"), std::string::npos);

  // aggregate needs no --allow-incomplete: it ranks the complete points and lists the raced-out ones
  // after them, with the folds they trained.
  const CliRun agg = run(kCli + " aggregate " + (dir / "run").string() + " --no-report -o " +
                         (dir / "summary.h5").string());
  ASSERT_EQ(agg.status, 0) << agg.out;
  EXPECT_NE(agg.out.find("4 item(s) raced out"), std::string::npos) << agg.out;
  const fs::path py = dir / "points.py";
  std::ofstream(py) << "import h5py, json, sys\n"
                       "f = h5py.File(sys.argv[1])\np = f['points']\n"
                       "print(json.dumps({'rank': p['rank'][:].tolist(), 'folds_done': p['folds_done'][:].tolist(),\n"
                       "  'folds_raced_out': p['folds_raced_out'][:].tolist(), 'complete': p['complete'][:].tolist(),\n"
                       "  'raced_out': len(f['raced_out'])}))\n";
  const CliRun pts = run("/usr/bin/python3 " + py.string() + " " + (dir / "summary.h5").string());
  ASSERT_EQ(pts.status, 0) << pts.out;
  const auto p = lastJson(pts);
  EXPECT_EQ(p["complete"], nlohmann::json({1, 1, 0, 0})) << p.dump();
  EXPECT_EQ(p["folds_done"], nlohmann::json({3, 3, 1, 1})) << p.dump();
  EXPECT_EQ(p["folds_raced_out"], nlohmann::json({0, 0, 2, 2})) << p.dump();
  EXPECT_EQ(p["raced_out"], 4);

  // A second run with the same seed races out the same items; a rerun in place trains nothing.
  const fs::path again = workDir("racing_again");
  ASSERT_EQ(run(kCli + " train " + writeCampaign(again, kRacing).string() + " --quiet").status, 0);
  expectRaced(again / "run");
  const CliRun rerun = run(kCli + " train " + (dir / "campaign.toml").string() + " --json --quiet");
  ASSERT_EQ(rerun.status, 0) << rerun.out;
  EXPECT_EQ(lastJson(rerun)["ran_here"], 0);
}

// Off (the default): every fold of every point trains.
TEST(RacingCampaign, OffTrainsEveryFold) {
  const fs::path dir = workDir("racing_off");
  const CliRun r = run(kCli + " train " + writeCampaign(dir, "").string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(lastJson(r)["done"], 12);
  EXPECT_EQ(statusOf(dir / "run")["raced_out"], 0);
}

// Two rank groups: a point's next fold waits for its previous one, so the hopeless points' fold 0
// finishes only after a good point is complete, whatever the order of completion.
TEST(RacingCampaign, TwoRankGroupsRaceOutTheSamePoints) {
  const fs::path dir = workDir("racing_mpi");
  const CliRun r = run(mpiexec(2) + kCli + " train " + writeCampaign(dir, kRacing).string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  expectRaced(dir / "run");
}

// kill -9 right after the first decision (the marker of item 7 written), then the same command:
// the skipped folds stay skipped, the rest finishes, with the same outcome as the uninterrupted run.
TEST(RacingCampaign, KillNineAfterADecisionResumes) {
  const fs::path dir = workDir("racing_kill");
  const fs::path toml = writeCampaign(dir, kRacing, 16);
  const int st = interruptWhen(kCli + " train " + toml.string() + " --quiet", dir / "run/items/000007/raced_out.txt", 1,
                               SIGKILL);
  ASSERT_NE(st, -1000);
  ASSERT_TRUE(fs::exists(dir / "run/items/000007/raced_out.txt"));
  EXPECT_FALSE(fs::exists(dir / "run/items/000011/result.h5")) << "the kill came after the whole run";
  const CliRun again = run(kCli + " train " + toml.string() + " --json --quiet");
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_EQ(lastJson(again)["raced_out"], 4);
  expectRaced(dir / "run");
  EXPECT_EQ(statusOf(dir / "run")["pending"], 0);
}

// A Bayesian search in rounds with racing: a raced-out point is observed (not left pending) with
// the mean of the folds it trained, so the search reaches its budget.
TEST(RacingCampaign, BayesRoundsObserveRacedOutPoints) {
  const fs::path dir = workDir("racing_bayes");
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 5\n[data]\nfile = \"" << exampleData().string()
                   << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
                      "[model]\nwidths = [8]\n[train]\nbatch_size = 64\nepochs = 3\nearly_stopping = { enabled = false }\n"
                      "[output]\ndir = \"" << (dir / "run").string() << "\"\n[cv]\nfolds = 3\n"
                      "[search]\nmethod = \"bayes\"\nschedule = \"rounds\"\nbudget = 6\ninitial_points = 6\n"
                   << kRacing << "[search.space]\n\"train.learning_rate\" = { min = 1e-7, max = 0.05, log = true }\n";
  const CliRun r = run(kCli + " train " + p.string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto s = statusOf(dir / "run");
  EXPECT_EQ(s["search"]["observed"], 6) << s.dump();
  EXPECT_EQ(s["pending"], 0) << s.dump();
  // search.h5's objective of each point is the mean of the result files it has.
  const fs::path py = dir / "check.py";
  std::ofstream(py) << "import h5py, sys, os\n"
                       "d = sys.argv[1]; f = h5py.File(d + '/search.h5'); bad = 0; raced = 0\n"
                       "for i, (pid, obj) in enumerate(zip(f['points/id'][:], f['points/objective'][:])):\n"
                       "    vals = []\n"
                       "    for fold in range(3):\n"
                       "        item = d + '/items/%06d/' % (pid * 3 + fold)\n"
                       "        if os.path.exists(item + 'raced_out.txt'): raced += 1; continue\n"
                       "        vals.append(float(h5py.File(item + 'result.h5')['metrics/objective'][()]))\n"
                       "    bad += abs(sum(vals) / len(vals) - obj) > 1e-12\n"
                       "print(bad, raced)\n";
  const CliRun chk = run("/usr/bin/python3 " + py.string() + " " + (dir / "run").string());
  ASSERT_EQ(chk.status, 0) << chk.out;
  int bad = -1, raced = -1;
  ASSERT_EQ(std::sscanf(chk.out.c_str(), "%d %d", &bad, &raced), 2) << chk.out;
  EXPECT_EQ(bad, 0) << chk.out;
  EXPECT_EQ(raced, s["raced_out"].get<int>());
}

namespace {

// A Bayesian search with the asynchronous schedule and racing, one rank group (so the order of
// completion, hence every decision and proposal, is fixed): 3 random points, then 3 model points
// fitted with the racing points' partial means.
fs::path writeAsyncBayes(const fs::path& dir) {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 4\n[data]\nfile = \"" << exampleData().string()
                   << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
                      "[model]\nwidths = [8]\n[train]\nbatch_size = 16\nepochs = 3\nearly_stopping = { enabled = false }\n"
                      "[output]\ndir = \"" << (dir / "run").string() << "\"\n[cv]\nfolds = 3\n"
                      "[search]\nmethod = \"bayes\"\nschedule = \"asynchronous\"\nbudget = 6\ninitial_points = 3\n"
                      "acquisition = \"EI\"\n"
                   << kRacing
                   << "[search.space]\n\"train.learning_rate\" = [0.01, 0.02, 1e-7, 2e-7]\n"
                      "\"model.dropout\" = { min = 0.0, max = 0.3 }\n";
  return p;
}

// Every point's values in search.h5 and the raced-out items, as text.
std::string searchOutcome(const fs::path& runDir) {
  const fs::path py = runDir.parent_path() / "outcome.py";
  std::ofstream(py) << "import h5py, os, sys\n"
                       "d = sys.argv[1]; f = h5py.File(d + '/search.h5', 'r')\n"
                       "pts = [(a.decode(), b.decode(), s.decode()) for a, b, s in zip(f['points/train.learning_rate'][:],\n"
                       "       f['points/model.dropout'][:], f['points/status'][:])]\n"
                       "raced = sorted(int(i) for i in os.listdir(d + '/items') if os.path.exists(d + '/items/' + i + '/raced_out.txt'))\n"
                       "print(pts, raced)\n";
  const CliRun r = run("/usr/bin/python3 " + py.string() + " " + runDir.string());
  EXPECT_EQ(r.status, 0) << r.out;
  return r.out;
}

}  // namespace

// kill -9 right after the first racing decision of an asynchronous Bayesian search, then the same
// command: the search completes with the same points (the model points included, which depend on
// every observation and partial mean) and the same raced-out items as an uninterrupted run, and no
// item is trained twice. Catches a resume that forgets a decision, re-decides a point from other
// results, re-proposes a point, or loses a raced-out point's observation.
TEST(RacingCampaign, AsyncBayesKillNineAfterADecisionResumesToTheSameSearch) {
  const fs::path whole = workDir("racing_async_whole");
  const CliRun r = run(kCli + " train " + writeAsyncBayes(whole).string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = lastJson(r);
  ASSERT_GE(j["raced_out"].get<int>(), 1) << r.out;
  const std::string expected = searchOutcome(whole / "run");
  int first = -1;
  for (int id = 0; id < 18 && first < 0; ++id) {
    char name[16];
    std::snprintf(name, sizeof name, "%06d", id);
    if (fs::exists(whole / "run/items" / name / "raced_out.txt")) first = id;
  }
  ASSERT_GE(first, 0);

  const fs::path dir = workDir("racing_async_kill");
  const fs::path toml = writeAsyncBayes(dir);
  char name[16];
  std::snprintf(name, sizeof name, "%06d", first);
  const int st = interruptWhen(kCli + " train " + toml.string() + " --quiet", dir / "run/items" / name / "raced_out.txt",
                               1, SIGKILL);
  ASSERT_NE(st, -1000);
  ASSERT_TRUE(fs::exists(dir / "run/items" / name / "raced_out.txt"));
  EXPECT_LT(statusOf(dir / "run")["search"]["observed"].get<int>(), 6) << "the kill came after the whole run";
  const CliRun again = run(kCli + " train " + toml.string() + " --json --quiet");
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_EQ(lastJson(again)["raced_out"], j["raced_out"]);
  EXPECT_EQ(lastJson(again)["done"], j["done"]);
  EXPECT_EQ(searchOutcome(dir / "run"), expected);
  EXPECT_EQ(statusOf(dir / "run")["pending"], 0);
  for (int id = 0; id < 18; ++id) {
    std::snprintf(name, sizeof name, "%06d", id);
    std::ifstream log(dir / "run/items" / name / "log.txt");
    int firstEpochs = 0;
    for (std::string line; std::getline(log, line);) firstEpochs += line.rfind("epoch 1 ", 0) == 0;
    EXPECT_LE(firstEpochs, 1) << "item " << id << " trained twice";
  }
}

// Two slices (--items 0/2, then 1/2, as two batch jobs): slice 0 trains folds 0 and 2 of points 0
// and 2 and fold 1 of points 1 and 3, with no complete point yet, so nothing is raced out; slice 1
// decides each of its items when it takes it, from its point's folds finished by then: point 0
// completes, fold 1 of point 2 loses on its folds 0 and 2, fold 0 of point 3 loses on its fold 1,
// and fold 2 of point 3 follows (its point lost already). Catches slices that never race, that
// skip items of another slice, or that train an item of a point already raced out.
TEST(RacingCampaign, SlicesDecideTheirOwnItems) {
  const fs::path dir = workDir("racing_slices");
  const fs::path toml = writeCampaign(dir, kRacing);
  CliRun r = run(kCli + " train " + toml.string() + " --items 0/2 --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(lastJson(r)["raced_out"], 0) << r.out;
  EXPECT_EQ(lastJson(r)["ran_here"], 6) << r.out;
  r = run(kCli + " train " + toml.string() + " --items 1/2 --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(lastJson(r)["raced_out"], 3) << r.out;
  EXPECT_EQ(lastJson(r)["ran_here"], 3) << r.out;
  const auto s = statusOf(dir / "run");
  EXPECT_EQ(s["raced_out_items"], nlohmann::json({7, 9, 11})) << s.dump();
  EXPECT_EQ(s["pending"], 0) << s.dump();
  EXPECT_EQ(s["done"], 9) << s.dump();
  EXPECT_NE(readText(dir / "run/items/000007/raced_out.txt").find("raced out after 2 fold(s)"), std::string::npos);
  EXPECT_NE(readText(dir / "run/items/000011/raced_out.txt").find("raced out after 1 fold(s)"), std::string::npos);
  // The whole campaign again: nothing left to train.
  r = run(kCli + " train " + toml.string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(lastJson(r)["ran_here"], 0) << r.out;
}
