// [search.early_stopping] through the hepsweep command: a grid campaign (one process, items in id
// order) whose last point has a hopeless learning rate (1e-7: its validation loss stays where it
// started). With rule = "median" that item is stopped after the grace epochs and recorded as such
// (result.h5 attributes, status count), with the median the test recomputes from the other items'
// histories; with the rule off (the default) nothing is stopped and every item runs every epoch.
// An item killed and resumed after later items of its fold finished decides as without the kill.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
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
    const fs::path out = workDir("stopping_data") / "higgs.h5";
    const CliRun r = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label --quiet -o " + out.string());
    EXPECT_EQ(r.status, 0) << r.out;
    return out;
  }();
  return data;
}

constexpr int kEpochs = 5;
constexpr int kGrace = 2;

fs::path writeCampaign(const fs::path& dir, const std::string& earlyStopping) {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 3\n[data]\nfile = \"" << exampleData().string()
                   << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
                      "[model]\nwidths = [8]\n[train]\nbatch_size = 64\nepochs = "
                   << kEpochs << "\nearly_stopping = { enabled = false }\n[output]\ndir = \"" << (dir / "run").string()
                   << "\"\n[search]\nmethod = \"grid\"\n"
                      "[search.space]\n\"train.learning_rate\" = [0.01, 0.005, 0.003, 1e-7]\n"
                   << earlyStopping;
  return p;
}

nlohmann::json lastJson(const CliRun& r) {
  const auto line = r.out.rfind("\n{");
  return nlohmann::json::parse(r.out.substr(line == std::string::npos ? r.out.find('{') : line + 1));
}

// Per item: epochs run and the stop attributes; plus the median of items 0-2's running-best
// val_loss at the stopped epoch, recomputed with numpy from their histories.
nlohmann::json inspect(const fs::path& runDir) {
  const std::string script =
      "import h5py, json, numpy as np, sys\n"
      "d = sys.argv[1]; out = {}\n"
      "for i in range(4):\n"
      "    f = h5py.File(f'{d}/items/{i:06d}/result.h5', 'r')\n"
      "    a = f.attrs\n"
      "    out[str(i)] = {'epochs_run': int(f['metrics/epochs_run'][()]),\n"
      "                   'stopped_by': a['stopped_by'] if 'stopped_by' in a else None,\n"
      "                   'stopped_epoch': int(a['stopped_epoch']) if 'stopped_epoch' in a else None,\n"
      "                   'stopped_value': float(a['stopped_value']) if 'stopped_value' in a else None,\n"
      "                   'stopped_median': float(a['stopped_median']) if 'stopped_median' in a else None,\n"
      "                   'running_best': np.minimum.accumulate(f['history/val_loss'][:]).tolist()}\n"
      "print(json.dumps(out))\n";
  const fs::path py = runDir.parent_path() / "read_items.py";
  std::ofstream(py) << script;
  const CliRun r = run("/usr/bin/python3 " + py.string() + " " + runDir.string());
  EXPECT_EQ(r.status, 0) << r.out;
  return lastJson(r);
}

}  // namespace

// Catches: the rule not applied, applied before the grace period, the wrong median (e.g. of last
// values rather than running bests), and a stopped item not recorded.
TEST(EarlyStoppingCampaign, MedianRuleStopsTheHopelessPoint) {
  const fs::path dir = workDir("stopping_on");
  const fs::path toml = writeCampaign(
      dir, "[search.early_stopping]\nrule = \"median\"\ngrace_epochs = " + std::to_string(kGrace) + "\nmin_completed = 3\n");
  CliRun r = run(kCli + " train " + toml.string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(lastJson(r)["done"], 4);

  const nlohmann::json items = inspect(dir / "run");
  for (const char* id : {"0", "1", "2"}) {
    EXPECT_TRUE(items[id]["stopped_by"].is_null()) << id;
    EXPECT_EQ(items[id]["epochs_run"], kEpochs) << id;
  }
  const auto& bad = items["3"];
  ASSERT_EQ(bad["stopped_by"], "median_rule") << items.dump();
  EXPECT_EQ(bad["stopped_epoch"], kGrace);
  EXPECT_EQ(bad["epochs_run"], kGrace);
  std::vector<double> at;
  for (const char* id : {"0", "1", "2"}) at.push_back(items[id]["running_best"][kGrace - 1].get<double>());
  std::sort(at.begin(), at.end());
  EXPECT_DOUBLE_EQ(bad["stopped_median"].get<double>(), at[1]);
  EXPECT_DOUBLE_EQ(bad["stopped_value"].get<double>(), bad["running_best"][kGrace - 1].get<double>());
  EXPECT_GT(bad["stopped_value"].get<double>(), bad["stopped_median"].get<double>());

  r = run(kCli + " status " + (dir / "run").string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto s = lastJson(r);
  EXPECT_EQ(s["done"], 4);
  EXPECT_EQ(s["stopped"], 1);
  EXPECT_EQ(s["stopped_items"], nlohmann::json::array({3}));
  r = run(kCli + " status " + (dir / "run").string());
  EXPECT_NE(r.out.find("1 of the done items were stopped early"), std::string::npos) << r.out;
}

// Off by default: the same campaign without the section trains every item to the end.
TEST(EarlyStoppingCampaign, OffByDefaultStopsNothing) {
  const fs::path dir = workDir("stopping_off");
  CliRun r = run(kCli + " train " + writeCampaign(dir, "").string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json items = inspect(dir / "run");
  for (const char* id : {"0", "1", "2", "3"}) {
    EXPECT_TRUE(items[id]["stopped_by"].is_null()) << id;
    EXPECT_EQ(items[id]["epochs_run"], kEpochs) << id;
  }
  r = run(kCli + " status " + (dir / "run").string() + " --json");
  EXPECT_EQ(lastJson(r)["stopped"], 0);
}

namespace {

// One fold, items in id order: 0, 1 good, 2 hopeless (1e-7), 3, 4 good. With min_completed = 2,
// item 2 is compared with items 0 and 1 and stopped at the grace epoch; item 3, finished on its
// own, would move the median (and the count) if it counted for it.
fs::path writeResumeCampaign(const fs::path& dir) {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 3\n[data]\nfile = \"" << exampleData().string()
                   << "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
                      "[model]\nwidths = [32, 32]\n[train]\nbatch_size = 16\nepochs = 4\n"
                      "early_stopping = { enabled = false }\n[output]\ndir = \"" << (dir / "run").string()
                   << "\"\n[search]\nmethod = \"grid\"\n"
                      "[search.space]\n\"train.learning_rate\" = [0.01, 0.005, 1e-7, 0.02, 0.03]\n"
                      "[search.early_stopping]\nrule = \"median\"\ngrace_epochs = 3\nmin_completed = 2\n";
  return p;
}

// Item 2's result attributes and epochs, as h5py reads them (repr keeps every digit).
std::string itemTwo(const fs::path& runDir) {
  const fs::path py = runDir.parent_path() / "item_two.py";
  std::ofstream(py) << "import h5py, sys\n"
                       "f = h5py.File(sys.argv[1] + '/items/000002/result.h5', 'r'); a = f.attrs\n"
                       "print(repr(a.get('stopped_by')), repr(a.get('stopped_epoch')), repr(a.get('stopped_compared')),\n"
                       "      repr(float(a.get('stopped_median', 0.0))), repr(float(a.get('stopped_value', 0.0))),\n"
                       "      int(f['metrics/epochs_run'][()]))\n";
  const CliRun r = run("/usr/bin/python3 " + py.string() + " " + runDir.string());
  EXPECT_EQ(r.status, 0) << r.out;
  return r.out;
}

}  // namespace

// Item 2 killed (kill -9) after its first epoch; items 3 and 4 trained meanwhile (other slices, as
// batch arrays do); then item 2 resumed. It decides as in the uninterrupted run: stopped at the
// same epoch by the same median of the same 2 items (its median_peers.txt lists 0 and 1). Catches
// the reference items read again at each epoch (items 3 and 4 would count: 4 compared, another
// median).
TEST(EarlyStoppingCampaign, MedianRuleDecidesTheSameAfterAKillAndLaterPeers) {
  const fs::path whole = workDir("stopping_resume_whole");
  CliRun r = run(kCli + " train " + writeResumeCampaign(whole).string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string expected = itemTwo(whole / "run");
  ASSERT_NE(expected.find("'median_rule' 3 2 "), std::string::npos) << expected;

  const fs::path dir = workDir("stopping_resume_kill");
  const fs::path toml = writeResumeCampaign(dir);
  const int st = interruptWhen(kCli + " train " + toml.string() + " --quiet", dir / "run/items/000002/log.txt", 1, SIGKILL);
  ASSERT_NE(st, -1000);
  ASSERT_FALSE(fs::exists(dir / "run/items/000002/result.h5")) << "the kill came after item 2 had finished";
  ASSERT_FALSE(fs::exists(dir / "run/items/000003/result.h5"));
  EXPECT_EQ(readText(dir / "run/items/000002/median_peers.txt").substr(readText(dir / "run/items/000002/median_peers.txt").find('\n') + 1),
            "0\n1\n");
  for (const char* slice : {"3/5", "4/5"}) {
    r = run(kCli + " train " + toml.string() + " --items " + slice + " --quiet");
    ASSERT_EQ(r.status, 0) << slice << ": " << r.out;
  }
  ASSERT_TRUE(fs::exists(dir / "run/items/000004/result.h5"));
  ASSERT_FALSE(fs::exists(dir / "run/items/000002/result.h5"));
  // Item 3 finished on its own: a reference item for any item that started after it, so it would
  // change item 2's comparison if it counted.
  const CliRun stopped = run(kCli + " status " + (dir / "run").string() + " --json");
  ASSERT_EQ(stopped.status, 0) << stopped.out;
  for (const auto& id : lastJson(stopped)["stopped_items"]) EXPECT_NE(id, 3) << stopped.out;
  r = run(kCli + " train " + toml.string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(itemTwo(dir / "run"), expected);
}
