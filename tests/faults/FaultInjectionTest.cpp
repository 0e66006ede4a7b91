// Faults injected on purpose, against the hepsweep command as a user runs it: every case must end
// in a clear message naming the file or key and a documented non-zero exit, with no input
// overwritten, no half-written output under its final name, no finished result lost, no crash.
// Families (docs/reliability.md): a full disk, corrupted run-directory files, an output that is an
// input, a data file replaced under a campaign, --fresh while another process runs, impossible
// configurations and data, signals, leftovers of killed processes.
#include <cctype>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../e2e/CliRun.hpp"

namespace {

namespace fs = std::filesystem;
using hepsweep::test::CliRun;
using hepsweep::test::kCli;
using hepsweep::test::kSource;
using hepsweep::test::readText;
using hepsweep::test::run;

const std::string kPython = "/usr/bin/python3";

std::string sha(const fs::path& p) {
  const CliRun r = run("sha256sum " + p.string());
  return r.out.substr(0, 64);
}

// The messages' case differs between the C library's strerror and ours.
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Names in `dir` that look like temporaries (NAME.tmp-...): none may be left after a failure.
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().find(".tmp-") != std::string::npos) out.push_back(it->path().string());
  return out;
}

// One converted data file and one finished 2-fold x 2-point campaign for the whole suite; each
// test works on copies.
class Faults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("hepsweep-faults-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const CliRun c = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label -q -o " +
                         data().string());
    ASSERT_EQ(c.status, 0) << c.out;
    writeCampaign(dir_ / "c.toml", run0().string());
    const CliRun t = run(kCli + " train " + (dir_ / "c.toml").string() + " -q");
    ASSERT_EQ(t.status, 0) << t.out;
    const CliRun a = run(kCli + " aggregate " + run0().string() + " --no-report -o " + (dir_ / "summary.h5").string());
    ASSERT_EQ(a.status, 0) << a.out;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static void writeCampaign(const fs::path& toml, const std::string& runDir, const std::string& extra = "") {
    std::ofstream(toml) << "seed = 3\n[data]\nfile = \"" << data().string()
                        << "\"\n[model]\nwidths = [8]\n[train]\nepochs = 3\nbatch_size = 256\n[output]\ndir = \""
                        << runDir << "\"\n[cv]\nfolds = 2\n[search]\nmethod = \"grid\"\n[search.space]\n"
                        << "\"model.dropout\" = [0.0, 0.2]\n" << extra;
  }
  static fs::path data() { return dir_ / "higgs.h5"; }
  static fs::path run0() { return dir_ / "run"; }
  static fs::path model() { return dir_ / "best-model.h5"; }
  // A copy of the finished campaign's run directory, and its campaign file pointing at it.
  static fs::path copyRun(const std::string& name) {
    const fs::path to = dir_ / name;
    fs::remove_all(to);
    fs::copy(run0(), to, fs::copy_options::recursive);
    writeCampaign(dir_ / (name + ".toml"), to.string());
    return to;
  }
  static fs::path dir_;
};
fs::path Faults::dir_;

// ---- an output that is an input ----------------------------------------------------------------

// Every command that reads one file and writes another refuses an output that is its input (also
// through a symbolic link), exit 2, and the input is unchanged byte for byte.
TEST_F(Faults, OutputThatIsAnInputIsRefusedForEveryCommand) {
  const fs::path csv = dir_ / "sig.csv", link = dir_ / "data-link.h5";
  run("gzip -dc " + kSource + "/examples/higgs/higgs-5k.csv.gz | head -200 > " + csv.string());
  fs::remove(link);
  fs::create_symlink(data(), link);
  const fs::path summary = dir_ / "summary.h5";
  struct Case {
    std::string command;
    fs::path input;
  };
  const std::vector<Case> cases = {
      {"apply " + model().string() + " " + data().string() + " -o " + data().string(), data()},
      {"apply " + model().string() + " " + data().string() + " -o " + link.string(), data()},
      {"apply " + model().string() + " " + data().string() + " -o " + model().string(), model()},
      {"convert --signal " + csv.string() + " --background " + csv.string() + " -o " + csv.string(), csv},
      {"convert " + csv.string() + " --label label -o " + csv.string(), csv},
      {"export " + model().string() + " --format onnx -o " + model().string(), model()},
      {"aggregate " + run0().string() + " --no-report -o " + summary.string() + " --best-model " + data().string(), data()},
      {"aggregate " + run0().string() + " --no-report -o " + (run0() / "items/000000/result.h5").string(),
       run0() / "items/000000/result.h5"},
  };
  for (const Case& c : cases) {
    const std::string before = sha(c.input);
    const CliRun r = run(kCli + " " + c.command);
    EXPECT_EQ(r.status, 2) << c.command << "\n" << r.out;
    EXPECT_NE(r.out.find("would destroy what is being read"), std::string::npos) << c.command << "\n" << r.out;
    EXPECT_EQ(sha(c.input), before) << "the input changed: " << c.command;
  }
}

// ---- corrupted run-directory files -----------------------------------------------------------

// A result file changed after it was written (one metric edited, as a flipped byte would), one cut
// short, and a foreign file in its place: status lists them and reads on; aggregate refuses naming
// them; train moves them aside (never deleting them) and trains those items again, after which
// the results equal the original ones.
TEST_F(Faults, DamagedResultFilesAreFoundSetAsideAndRetrained) {
  const fs::path r = copyRun("damaged");
  const fs::path edited = r / "items/000001/result.h5", cut = r / "items/000002/result.h5",
                 foreign = r / "items/000003/result.h5";
  ASSERT_EQ(run(kPython + " -c \"import h5py; f = h5py.File('" + edited.string() +
                "', 'r+'); f['metrics/objective'][()] = f['metrics/objective'][()] - 0.5\"").status, 0);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  std::ofstream(foreign) << "not an HDF5 file\n";

  const CliRun status = run(kCli + " status " + r.string());
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_NE(status.out.find("3 item(s) have an invalid result file"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("was changed after it was written"), std::string::npos) << status.out;

  const CliRun agg = run(kCli + " aggregate " + r.string() + " --no-report -o " + (r / "s.h5").string());
  EXPECT_EQ(agg.status, 3) << agg.out;
  EXPECT_NE(agg.out.find("000001/result.h5"), std::string::npos) << agg.out;
  EXPECT_NE(agg.out.find("run `hepsweep train` on it again"), std::string::npos) << agg.out;
  EXPECT_FALSE(fs::exists(r / "s.h5"));

  const CliRun train = run(kCli + " train " + (dir_ / "damaged.toml").string() + " -q");
  EXPECT_EQ(train.status, 0) << train.out;
  for (const fs::path& p : {edited, cut, foreign}) EXPECT_TRUE(fs::exists(p.string() + ".invalid-1")) << p;
  for (int item = 1; item <= 3; ++item) {
    const std::string name = "items/00000" + std::to_string(item) + "/result.h5";
    const CliRun same = hepsweep::test::compareResults(run0() / name, r / name);
    EXPECT_EQ(same.status, 0) << name << "\n" << same.out;
  }
  EXPECT_EQ(run(kCli + " aggregate " + r.string() + " --no-report -o " + (r / "s.h5").string()).status, 0);
}

// A checkpoint with an impossible epoch count, another item's checkpoint copied over an
// unfinished item's, and a torn one (its first half: what a machine crash can leave, since
// checkpoints are written without fsync, Durability::Transient): none is resumed; all are set
// aside (kept, never deleted) and the items train again from their first epoch.
TEST_F(Faults, InvalidCheckpointsAreNotResumed) {
  const fs::path r = dir_ / "checkpoints";
  writeCampaign(dir_ / "checkpoints.toml", r.string(), "");
  const std::string cmd = kCli + " train " + (dir_ / "checkpoints.toml").string() +
                          " --set train.epochs=150 --set train.early_stopping.enabled=false -q";
  // A real checkpoint of item 0: the campaign stopped (SIGTERM) once item 0 has one.
  const int st = hepsweep::test::interruptWhen(cmd, r / "items/000000/checkpoint.h5", 1, SIGTERM);
  ASSERT_EQ(st, 75);
  ASSERT_TRUE(fs::exists(r / "items/000000/checkpoint.h5"));
  ASSERT_FALSE(fs::exists(r / "items/000001/result.h5"));
  // Item 0's checkpoint copied to item 1; item 0's own with epochs_done edited to 1000.
  fs::create_directories(r / "items/000001");
  fs::copy_file(r / "items/000000/checkpoint.h5", r / "items/000001/checkpoint.h5");
  fs::create_directories(r / "items/000002");
  fs::copy_file(r / "items/000000/checkpoint.h5", r / "items/000002/checkpoint.h5");
  fs::resize_file(r / "items/000002/checkpoint.h5", fs::file_size(r / "items/000002/checkpoint.h5") / 2);
  ASSERT_EQ(run(kPython + " -c \"import h5py; h5py.File('" + (r / "items/000000/checkpoint.h5").string() +
                "', 'r+').attrs['epochs_done'] = 1000\"").status, 0);
  const CliRun train = run(cmd + " -v");
  EXPECT_EQ(train.status, 0) << train.out;
  EXPECT_NE(train.out.find("it is item 0's, not item 1's"), std::string::npos) << train.out;
  EXPECT_NE(train.out.find("records 1000 epochs done"), std::string::npos) << train.out;
  EXPECT_NE(train.out.find("item 2 (point 1, fold 0): model.dropout=0.2: its checkpoint cannot be resumed"), std::string::npos) << train.out;
  for (const char* item : {"000000", "000001", "000002"}) {
    EXPECT_TRUE(fs::exists(r / "items" / item / "checkpoint.h5.invalid-1")) << item;
    EXPECT_TRUE(fs::exists(r / "items" / item / "result.h5")) << item;
    EXPECT_EQ(run("/usr/bin/python3 -c \"import h5py, sys; sys.exit(len(h5py.File('" +
                  (r / "items" / item / "result.h5").string() + "')['history/epoch']) != 150)\"").status, 0)
        << item << ": not trained from its first epoch";
  }
}

// A damaged manifest and an edited campaign.toml: train and aggregate refuse, naming the file and
// what to do; status still reports the items.
TEST_F(Faults, DamagedManifestAndEditedCampaignFileAreRefused) {
  const fs::path a = copyRun("manifest");
  std::ofstream(a / "manifest.h5", std::ios::trunc) << "garbage";
  CliRun t = run(kCli + " train " + (dir_ / "manifest.toml").string() + " -q");
  EXPECT_EQ(t.status, 3) << t.out;
  EXPECT_NE(t.out.find("manifest.h5"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("restore it"), std::string::npos) << t.out;
  CliRun g = run(kCli + " aggregate " + a.string() + " --no-report -o " + (a / "s.h5").string());
  EXPECT_NE(g.status, 0) << g.out;
  EXPECT_NE(g.out.find("manifest.h5"), std::string::npos) << g.out;
  CliRun s = run(kCli + " status " + a.string());
  EXPECT_EQ(s.status, 0) << s.out;
  EXPECT_NE(s.out.find("warning:"), std::string::npos) << s.out;

  const fs::path b = copyRun("edited");
  std::ofstream(b / "campaign.toml", std::ios::app) << "\n# edited\n";
  t = run(kCli + " train " + (dir_ / "edited.toml").string() + " -q");
  EXPECT_EQ(t.status, 3) << t.out;
  EXPECT_NE(t.out.find("campaign.toml' was changed after the campaign started"), std::string::npos) << t.out;
  g = run(kCli + " aggregate " + b.string() + " --no-report -o " + (b / "s.h5").string());
  EXPECT_EQ(g.status, 3) << g.out;
  EXPECT_NE(g.out.find("was changed after the campaign started"), std::string::npos) << g.out;
}

// status reads only: on a directory that is not a run directory it creates nothing.
TEST_F(Faults, StatusCreatesNothing) {
  const fs::path empty = dir_ / "not-a-run";
  fs::create_directories(empty);
  const CliRun s = run(kCli + " status " + empty.string());
  EXPECT_NE(s.status, 0) << s.out;
  EXPECT_TRUE(fs::is_empty(empty));
  const CliRun gone = run(kCli + " status " + (dir_ / "nowhere").string());
  EXPECT_NE(gone.status, 0);
  EXPECT_FALSE(fs::exists(dir_ / "nowhere"));
}

// ---- the data file replaced under a campaign ---------------------------------------------------

// Resuming a campaign whose data file was replaced is refused, with both checksums; a moved run
// directory (same data, output.dir changed) resumes.
TEST_F(Faults, ReplacedDataFileIsRefusedMovedRunDirectoryResumes) {
  const fs::path r = copyRun("swap");
  fs::remove(r / "items/000003/result.h5");
  const fs::path other = dir_ / "other.h5";
  ASSERT_EQ(run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label -q --drop m_bb -o " +
                other.string()).status, 0);
  const fs::path saved = dir_ / "higgs-saved.h5";
  fs::copy_file(data(), saved, fs::copy_options::overwrite_existing);
  fs::copy_file(other, data(), fs::copy_options::overwrite_existing);
  const CliRun t = run(kCli + " train " + (dir_ / "swap.toml").string() + " -q");
  fs::copy_file(saved, data(), fs::copy_options::overwrite_existing);
  EXPECT_EQ(t.status, 3) << t.out;
  EXPECT_NE(t.out.find("has changed since this campaign started"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(sha(saved)), std::string::npos) << t.out;
  EXPECT_FALSE(fs::exists(r / "items/000003/result.h5"));

  const fs::path moved = dir_ / "swap-moved";
  fs::rename(r, moved);
  const CliRun resume = run(kCli + " train " + (dir_ / "swap.toml").string() + " --set output.dir=" + moved.string() + " -q");
  EXPECT_EQ(resume.status, 0) << resume.out;
  EXPECT_TRUE(fs::exists(moved / "items/000003/result.h5"));
}

// ---- --fresh while another process runs ---------------------------------------------------------

// --fresh on a run directory that another live process is training refuses, and that campaign's
// finished results survive.
TEST_F(Faults, FreshWhileAnotherProcessRunsIsRefused) {
  const fs::path r = dir_ / "busy";
  writeCampaign(dir_ / "busy.toml", r.string(), "");
  const std::string longRun = kCli + " train " + (dir_ / "busy.toml").string() +
                              " --set train.epochs=2000 --set train.early_stopping.enabled=false -q";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + longRun + " > /dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(r / "items/000000/log.txt") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const CliRun fresh = run(kCli + " train " + (dir_ / "busy.toml").string() + " --fresh -q");
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(fresh.status, 2) << fresh.out;
  EXPECT_NE(fresh.out.find("in use"), std::string::npos) << fresh.out;
  EXPECT_TRUE(fs::exists(r / "items/000000/log.txt")) << "--fresh cleared a directory in use";
}

// ---- impossible configurations and data -----------------------------------------------------------

// Each is refused up front with the key or feature named, before any item runs.
TEST_F(Faults, ImpossibleConfigurationsAreRefusedUpFront) {
  struct Case {
    std::string set, expect;
    int status;
  };
  const std::vector<Case> cases = {
      {"--set cv.folds=100000", "cv.folds = 100000", 2},
      {"--set model.widths=[100000000]", "model.widths = [100000000]", 2},
      {"--set model.widths=[] --set model.width=8 --set model.depth=1000", "hidden layers", 2},
      {"--set train.learning_rate=1e6", "training diverged", 5},
  };
  for (const Case& c : cases) {
    const fs::path r = dir_ / "impossible";
    fs::remove_all(r);
    const CliRun t = run(kCli + " train " + (dir_ / "c.toml").string() + " --set output.dir=" + r.string() + " " + c.set +
                         " -q --set search.method=none --set search.space={}");
    EXPECT_NE(t.out.find(c.expect), std::string::npos) << c.set << "\n" << t.out;
    if (c.status == 5) {
      EXPECT_EQ(t.status, 6) << c.set << "\n" << t.out;  // the campaign ran: its items failed
    } else {
      EXPECT_EQ(t.status, c.status) << c.set << "\n" << t.out;
      std::error_code ec;
      EXPECT_TRUE(!fs::exists(r / "items") || fs::is_empty(r / "items")) << c.set;
    }
  }
}

// Weights no class can be learned from, and NaN among the inputs: the message names the class or
// the feature and row (not "training diverged"); a campaign whose items all failed exits 6.
TEST_F(Faults, UnlearnableWeightsAndNonFiniteInputsAreNamed) {
  const fs::path csv = dir_ / "weights.csv";
  run("gzip -dc " + kSource + "/examples/higgs/higgs-5k.csv.gz | head -2001 > " + (dir_ / "head.csv").string());
  // All-zero weights for the signal; a NaN in one feature of one event.
  ASSERT_EQ(run(kPython + " -c \"import pandas as pd; d = pd.read_csv('" + (dir_ / "head.csv").string() +
                "'); d['w'] = (d['label'] == 0).astype(float); d.to_csv('" + csv.string() +
                "', index=False); d.loc[7, 'm_bb'] = float('nan'); d.drop(columns='w').to_csv('" +
                (dir_ / "nan.csv").string() + "', index=False, na_rep='nan')\"").status, 0);
  ASSERT_EQ(run(kCli + " convert " + csv.string() + " --label label --weight w -q -o " + (dir_ / "w.h5").string()).status, 0);
  CliRun t = run(kCli + " train " + (dir_ / "c.toml").string() + " --set data.file=" + (dir_ / "w.h5").string() +
                 " --set output.dir=" + (dir_ / "wrun").string() + " -q");
  EXPECT_EQ(t.status, 6) << t.out;
  CliRun st = run(kCli + " status " + (dir_ / "wrun").string());
  EXPECT_NE(st.out.find("signal events of the training split have a summed weight of 0"), std::string::npos) << st.out;

  ASSERT_EQ(run(kCli + " convert " + (dir_ / "nan.csv").string() + " --label label --allow-nonfinite -q -o " +
                (dir_ / "nan.h5").string()).status, 0);
  t = run(kCli + " train " + (dir_ / "c.toml").string() + " --set data.file=" + (dir_ / "nan.h5").string() +
          " --set output.dir=" + (dir_ / "nanrun").string() + " -q");
  EXPECT_EQ(t.status, 6) << t.out;
  st = run(kCli + " status " + (dir_ / "nanrun").string());
  EXPECT_NE(st.out.find("feature 'm_bb' is nan in row"), std::string::npos) << st.out;
  EXPECT_EQ(st.out.find("diverged"), std::string::npos) << st.out;
}

// ---- signals and leftovers -------------------------------------------------------------------------

// SIGINT (Ctrl-C) stops at an epoch boundary like SIGTERM (exit 75, checkpoint kept); the run
// resumes to the uninterrupted result.
TEST_F(Faults, InterruptStopsAtAnEpochBoundaryAndResumes) {
  const fs::path r = dir_ / "sigint";
  writeCampaign(dir_ / "sigint.toml", r.string(), "");
  const std::string cmd = kCli + " train " + (dir_ / "sigint.toml").string() +
                          " --set train.epochs=60 --set train.early_stopping.enabled=false -q";
  const int st = hepsweep::test::interruptWhen(cmd, r / "items/000000/log.txt", 3, SIGINT);
  EXPECT_EQ(st, 75);
  EXPECT_TRUE(fs::exists(r / "items/000000/checkpoint.h5"));
  EXPECT_EQ(run(cmd).status, 0);
  EXPECT_TRUE(fs::exists(r / "items/000003/result.h5"));
}

// Temporaries a killed process left (its pid is gone) are removed by the next run; those of live
// processes and of other hosts stay.
TEST_F(Faults, TemporariesOfDeadProcessesAreRemoved) {
  const fs::path r = copyRun("leftovers");
  const CliRun host = run("hostname");
  const std::string me = host.out.substr(0, host.out.find('\n'));
  // A pid that cannot be running: beyond the kernel's pid_max.
  const fs::path dead = r / ("campaign.toml.tmp-" + me + "-4194305-0");
  const fs::path deadItem = r / "items/000000" / ("checkpoint.h5.tmp-" + me + "-4194305-3");
  const fs::path live = r / ("manifest.h5.tmp-" + me + "-" + std::to_string(::getpid()) + "-0");
  const fs::path foreign = r / "campaign.toml.tmp-otherhost-4194305-0";
  for (const fs::path& p : {dead, deadItem, live, foreign}) std::ofstream(p) << "x";
  fs::remove(r / "items/000000/result.h5");
  EXPECT_EQ(run(kCli + " train " + (dir_ / "leftovers.toml").string() + " -q").status, 0);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_FALSE(fs::exists(deadItem));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(foreign));
}

// ---- a full disk -----------------------------------------------------------------------------------

// Writing onto a full file system (a 300 KB tmpfs): every command ends with exit 4 and a message
// naming the file and saying the disk is full, leaves neither its output nor a temporary behind,
// and never crashes (HDF5 used to segfault at exit after a failed close). Needs mount(2): skipped,
// saying why, where the test cannot mount (not root, or no CAP_SYS_ADMIN).
TEST_F(Faults, FullDiskEndsInExitFourWithNothingLeftBehind) {
  const fs::path mnt = dir_ / "full";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=300k") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(errno) << "): the full-disk cases need one";
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};
  const std::vector<std::pair<std::string, fs::path>> cases = {
      {"convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label -q -o " + (mnt / "d.h5").string(), mnt / "d.h5"},
      {"apply " + model().string() + " " + data().string() + " -q -o " + (mnt / "s.h5").string(), mnt / "s.h5"},
      {"apply " + model().string() + " " + data().string() + " --csv -q -o " + (mnt / "s.csv").string(), mnt / "s.csv"},
      {"aggregate " + run0().string() + " --no-report -o " + (mnt / "sum.h5").string() + " --best-model " +
           (mnt / "m.h5").string(), mnt / "sum.h5"},
      {"export " + model().string() + " --format onnx -o " + (mnt / "m.onnx").string(), mnt / "m.onnx"},
  };
  for (const auto& [command, output] : cases) {
    // Fill the disk but for a few KB, so even small outputs fail.
    run("dd if=/dev/zero of=" + (mnt / "filler").string() + " bs=1k count=290 2>/dev/null");
    const CliRun r = run(kCli + " " + command);
    EXPECT_EQ(r.status, 4) << command << "\n" << r.out;
    EXPECT_NE(lower(r.out).find("no space left"), std::string::npos) << command << "\n" << r.out;
    EXPECT_FALSE(fs::exists(output)) << command;
    EXPECT_TRUE(temporaries(mnt).empty()) << command;
    fs::remove(mnt / "filler");
  }
  // A campaign whose run directory fills up: the job stops (exit 4) and a rerun elsewhere works.
  writeCampaign(dir_ / "full.toml", (mnt / "run").string());
  run("dd if=/dev/zero of=" + (mnt / "filler").string() + " bs=1k count=250 2>/dev/null");
  const CliRun t = run(kCli + " train " + (dir_ / "full.toml").string() + " -q");
  EXPECT_EQ(t.status, 4) << t.out;
  EXPECT_NE(lower(t.out).find("no space left"), std::string::npos) << t.out;
  EXPECT_TRUE(temporaries(mnt).empty());
}

}  // namespace
