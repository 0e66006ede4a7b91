// `hepsweep aggregate` end to end: a real (tiny) 3-fold x 2-point campaign on the bundled HIGGS
// sample, then the command, checked by an independent h5py/numpy reading of the same result
// files (check_summary.py) and for its documented errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../e2e/CliRun.hpp"
namespace {

namespace fs = std::filesystem;

using hepsweep::test::kCli;
using hepsweep::test::kSource;
using hepsweep::test::run;
using hepsweep::test::readText;

// One campaign for all tests of this file (training is the slow part).
class AggregateCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("hepsweep-aggregate-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const auto c = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label -o " +
                       (dir_ / "higgs.h5").string());
    ASSERT_EQ(c.status, 0) << c.out;
    // The 7 high-level features only: the inspect report of the aggregate must show just these.
    std::ofstream(dir_ / "c.toml") << "seed = 5\n[data]\nfile = \"higgs.h5\"\nfeatures = [\"m_jj\", \"m_jjj\", "
                                      "\"m_lv\", \"m_jlv\", \"m_bb\", \"m_wbb\", \"m_wwbb\"]\n[model]\nwidths = [8]\n"
                                      "[train]\nepochs = 2\n[cv]\nfolds = 3\n[search]\nmethod = \"grid\"\n"
                                      "[search.space]\n\"model.dropout\" = [0.0, 0.3]\n[output]\nscores = \"test\"\n"
                                      "dir = \"" + (dir_ / "run").string() + "\"\n";
    const auto t = run(kCli + " train " + (dir_ / "c.toml").string() + " --quiet");
    ASSERT_EQ(t.status, 0) << t.out;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static fs::path dir_;
};
fs::path AggregateCli::dir_;

// Catches a wrong best point, objective, ensemble or summary table on real result files (the
// expected values come from h5py/numpy in check_summary.py), and a --json object missing the
// documented keys or paths.
TEST_F(AggregateCli, JsonAndSummaryMatchAnIndependentReading) {
  const fs::path run_ = dir_ / "run";
  const auto r = run(kCli + " aggregate " + run_.string() + " --no-report --json -o " + (dir_ / "s.h5").string());
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  for (const char* key : {"best_point", "best_objective", "ensemble_test_auc", "summary", "best_model", "report", "points"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["report"].is_null());
  EXPECT_EQ(j["summary"], (dir_ / "s.h5").string());
  EXPECT_EQ(j["best_model"], (dir_ / "best-model.h5").string());
  EXPECT_TRUE(fs::exists(dir_ / "best-model.h5"));
  EXPECT_EQ(j["points"].size(), 2u);
  std::ofstream(dir_ / "out.json") << j.dump();
  const auto check = run("/usr/bin/python3 " + kSource + "/tests/aggregate/check_summary.py " + run_.string() + " " +
                         (dir_ / "out.json").string() + " " + (dir_ / "s.h5").string());
  EXPECT_EQ(check.status, 0) << check.out;
}

// Catches a missing result aggregated silently (exit 0) and an error that does not name the
// file; --allow-incomplete must then succeed and list it.
TEST_F(AggregateCli, IncompleteRunIsAnErrorUnlessAllowed) {
  const fs::path copy = dir_ / "partial";
  fs::copy(dir_ / "run", copy, fs::copy_options::recursive);
  fs::remove(copy / "items" / "000004" / "result.h5");
  const auto r = run(kCli + " aggregate " + copy.string() + " --no-report");
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("000004/result.h5"), std::string::npos) << r.out;
  const auto ok = run(kCli + " aggregate " + copy.string() + " --no-report --allow-incomplete --json");
  ASSERT_EQ(ok.status, 0) << ok.out;
  const auto j = nlohmann::json::parse(ok.out.substr(ok.out.find('{')));
  EXPECT_EQ(j["incomplete"].size(), 1u);
}

// The report links the inspect report of the campaign's data file (written into REPORT/inspect),
// and --json quotes the test-set AMS; once the data file is gone the report still succeeds and
// says so. Catches a missing link or page, a data file that is not the campaign's, and an
// aggregation that fails because the data moved.
TEST_F(AggregateCli, ReportLinksTheInspectPageAndSurvivesAMissingDataFile) {
  const fs::path report = dir_ / "report-inspect";
  const auto r = run(kCli + " aggregate " + (dir_ / "run").string() + " --json -o " + (dir_ / "s2.h5").string() +
                     " --best-model " + (dir_ / "m2.h5").string() + " --report " + report.string());
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  ASSERT_TRUE(j.contains("ams"));
  ASSERT_FALSE(j["ams"].empty());
  EXPECT_EQ(j["ams"].back()["model"], "ensemble");
  EXPECT_TRUE(j["ensemble_ams"].is_number());
  EXPECT_TRUE(fs::exists(report / "ams.png"));
  ASSERT_TRUE(fs::exists(report / "inspect" / "index.html"));
  const std::string html = readText(report / "index.html");
  EXPECT_NE(html.find("href=\"inspect/index.html\""), std::string::npos);
  std::ifstream inspectJson(report / "inspect" / "inspect.json");
  const auto ij = nlohmann::json::parse(inspectJson);
  EXPECT_EQ(ij["rows"], 5000);
  // Restricted to the campaign's data.features (the data file has 28), in the campaign's order.
  ASSERT_EQ(ij["features"].size(), 7u);
  EXPECT_EQ(ij["features"][0]["name"], "m_jj");
  EXPECT_NE(html.find("the 7 features the campaign trained on"), std::string::npos);

  // --no-inspect leaves the inspect report out (and its link and section).
  const fs::path report3 = dir_ / "report-no-inspect";
  const auto skip = run(kCli + " aggregate " + (dir_ / "run").string() + " -o " + (dir_ / "s4.h5").string() +
                        " --best-model " + (dir_ / "m4.h5").string() + " --report " + report3.string() + " --no-inspect");
  ASSERT_EQ(skip.status, 0) << skip.out;
  EXPECT_FALSE(fs::exists(report3 / "inspect"));
  const std::string html3 = readText(report3 / "index.html");
  EXPECT_EQ(html3.find("inspect/index.html"), std::string::npos);
  // The text summary names the objective as a person reads it.
  EXPECT_NE(skip.out.find("ranked by validation loss"), std::string::npos) << skip.out;

  fs::rename(dir_ / "higgs.h5", dir_ / "higgs-moved.h5");
  const fs::path report2 = dir_ / "report-no-data";
  const auto gone = run(kCli + " aggregate " + (dir_ / "run").string() + " -o " + (dir_ / "s3.h5").string() +
                        " --best-model " + (dir_ / "m3.h5").string() + " --report " + report2.string());
  fs::rename(dir_ / "higgs-moved.h5", dir_ / "higgs.h5");
  ASSERT_EQ(gone.status, 0) << gone.out;
  EXPECT_FALSE(fs::exists(report2 / "inspect"));
  const std::string html2 = readText(report2 / "index.html");
  EXPECT_NE(html2.find("is gone (moved or deleted since training)"), std::string::npos);
}

// Result files without per-event scores (output.scores = "none", the default): aggregate recomputes
// the best point's scores from its fold models on the rebuilt splits, and the summary is the one
// the stored scores give, to the bit. Without the data file it cannot, and says so, naming it.
// Catches recomputed scores that drift from the training's and an aggregation that silently
// drops the ensemble.
TEST_F(AggregateCli, RecomputesScoresTheResultFilesDoNotKeep) {
  // The same campaign trained again keeping no scores: the training is bitwise reproducible, so
  // only how aggregate gets the scores differs.
  const fs::path stripped = dir_ / "stripped";
  const auto train = run(kCli + " train " + (dir_ / "c.toml").string() + " --quiet --set output.scores=\"none\" " +
                         "--set output.dir=" + stripped.string());
  ASSERT_EQ(train.status, 0) << train.out;
  ASSERT_FALSE(fs::exists(stripped / "items" / "000000" / "result.h5") &&
               run("/usr/bin/python3 -c \"import h5py, sys; sys.exit('scores' in h5py.File('" +
                   (stripped / "items" / "000000" / "result.h5").string() + "'))\"").status != 0);
  const auto a = run(kCli + " aggregate " + (dir_ / "run").string() + " --no-report -o " + (dir_ / "kept.h5").string() +
                     " --best-model " + (dir_ / "kept-model.h5").string());
  ASSERT_EQ(a.status, 0) << a.out;
  const auto b = run(kCli + " aggregate " + stripped.string() + " --no-report -o " + (dir_ / "recomputed.h5").string() +
                     " --best-model " + (dir_ / "recomputed-model.h5").string());
  ASSERT_EQ(b.status, 0) << b.out;
  const auto cmp = run("/usr/bin/python3 -c \"import h5py, numpy as np, sys\na = h5py.File('" + (dir_ / "kept.h5").string() +
                       "')['best']; b = h5py.File('" + (dir_ / "recomputed.h5").string() +
                       "')['best']\nbad = [k for k in ('test/ensemble_score', 'test/fold_scores', 'test/rows', "
                       "'test/labels', 'test/weights') if not np.array_equal(a[k][:], b[k][:])]\n"
                       "bad += [g for g in a['roc'] if not np.array_equal(a['roc'][g]['background_efficiency'][:], "
                       "b['roc'][g]['background_efficiency'][:])]\nprint(bad); sys.exit(1 if bad else 0)\"");
  EXPECT_EQ(cmp.status, 0) << cmp.out;

  fs::rename(dir_ / "higgs.h5", dir_ / "higgs-away.h5");
  const auto gone = run(kCli + " aggregate " + stripped.string() + " --no-report -o " + (dir_ / "x.h5").string());
  fs::rename(dir_ / "higgs-away.h5", dir_ / "higgs.h5");
  EXPECT_EQ(gone.status, 3) << gone.out;
  EXPECT_NE(gone.out.find("higgs.h5"), std::string::npos) << gone.out;
  EXPECT_NE(gone.out.find("output.scores"), std::string::npos) << gone.out;
}

// Catches bad command lines accepted: no run directory, a directory that does not exist (named),
// and a signal efficiency outside (0, 1].
TEST_F(AggregateCli, CommandLineErrors) {
  EXPECT_NE(run(kCli + " aggregate").status, 0);
  const auto missing = run(kCli + " aggregate " + (dir_ / "nope").string());
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.out.find("nope"), std::string::npos) << missing.out;
  const auto eff = run(kCli + " aggregate " + (dir_ / "run").string() + " --no-report --signal-efficiencies 0.5,1.5");
  EXPECT_NE(eff.status, 0);
  EXPECT_NE(eff.out.find("1.5"), std::string::npos) << eff.out;
}

// -o into a directory that does not exist yet creates it (as --report does) and puts
// best-model.h5 next to the summary; a parent that cannot be a directory is named in the error,
// not reported by HDF5 as a failure to create "summary.h5.tmp-PID".
TEST_F(AggregateCli, OutputIntoAMissingDirectory) {
  const fs::path out = dir_ / "new/sub/summary.h5";
  const auto r = run(kCli + " aggregate " + (dir_ / "run").string() + " --no-report -o " + out.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(fs::exists(out));
  EXPECT_TRUE(fs::exists(dir_ / "new/sub/best-model.h5"));
  std::ofstream(dir_ / "afile") << "x\n";
  const auto bad = run(kCli + " aggregate " + (dir_ / "run").string() + " --no-report -o " +
                       (dir_ / "afile/summary.h5").string());
  EXPECT_EQ(bad.status, 4) << bad.out;
  EXPECT_NE(bad.out.find("cannot create the directory '" + (dir_ / "afile").string() + "' for the summary file"),
            std::string::npos)
      << bad.out;
  EXPECT_EQ(bad.out.find(".tmp-"), std::string::npos) << bad.out;
}

}  // namespace

namespace {
// A single training's output directory is aggregated (tests/e2e, EndToEnd.OneModel...); a
// directory that is neither that nor a run directory must still be refused, naming what it is.
TEST_F(AggregateCli, RefusesAnItemDirectoryAndAnEmptyDirectoryNamingWhy) {
  const auto item = run(kCli + " aggregate " + (dir_ / "run/items/000000").string() + " --no-report");
  EXPECT_NE(item.status, 0) << item.out;
  EXPECT_NE(item.out.find("is item 0 of the campaign in"), std::string::npos) << item.out;
  EXPECT_NE(item.out.find("aggregate that run directory instead"), std::string::npos) << item.out;
  EXPECT_FALSE(fs::exists(dir_ / "run/items/000000/summary.h5"));

  fs::create_directories(dir_ / "empty");
  const auto empty = run(kCli + " aggregate " + (dir_ / "empty").string() + " --no-report");
  EXPECT_NE(empty.status, 0) << empty.out;
  EXPECT_NE(empty.out.find("nor a single training's output directory (it has no result.h5)"), std::string::npos)
      << empty.out;
}
}  // namespace
