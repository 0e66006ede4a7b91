// Permutation feature importance (aggregate --importance) on a constructed data set where the
// answer is known: `info` separates signal from background (shifted by 2 sigma), `twin` is `info`
// plus a little noise (|r| ~ 0.99), `noise` carries no information at all. A real 3-fold campaign is
// trained in-process on it, then aggregated with importance.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/aggregate/Importance.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/report/Report.hpp"

namespace hepsweep::aggregate {
namespace {

namespace fs = std::filesystem;

// One trained campaign shared by the tests (training is the slow part).
class ImportanceTest : public ::testing::Test {
 protected:
  static fs::path dir;
  static std::string runDir, dataFile;

  static void SetUpTestSuite() {
    dir = fs::temp_directory_path() / ("hepsweep-importance-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string csv = (dir / "events.csv").string();
    {
      std::ofstream out(csv);
      out << "info,noise,twin,label\n";
      out.precision(9);
      const std::uint64_t key = rng::streamKey(99, rng::Stream::Misc);
      for (int i = 0; i < 3000; ++i) {
        const int label = i % 2;
        const auto c = static_cast<std::uint64_t>(i) * 4;
        const double info = rng::normal(key, c) + 2.0 * label;
        out << static_cast<float>(info) << "," << static_cast<float>(rng::normal(key, c + 1)) << ","
            << static_cast<float>(info + 0.1 * rng::normal(key, c + 2)) << "," << label << "\n";
      }
    }
    dataFile = (dir / "events.h5").string();
    io::ConvertOptions co;
    co.labelledFiles = {csv};
    co.labelColumn = "label";
    co.output = dataFile;
    io::convert(co);
    runDir = (dir / "run").string();
    const std::string toml = "seed = 5\n[data]\nfile = \"" + dataFile +
                             "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n[model]\nwidths = [8]\n"
                             "[train]\nepochs = 10\nbatch_size = 64\nlearning_rate = 1e-2\n[output]\ndir = \"" + runDir +
                             "\"\nscores = \"all\"\n[cv]\nfolds = 3\n[search]\nmethod = \"grid\"\n"
                             "[search.space]\n\"model.dropout\" = [0.0, 0.2]\n";
    const campaign::CampaignConfig c = campaign::parseCampaign(toml, "importance-test.toml");
    dist::LocalCommunicator world;
    campaign::RunOptions ro;
    ro.quiet = true;
    campaign::runCampaign(c, toml, world, ro, Logger{});
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  static Summary collectWith(ImportanceOptions o) {
    o.enabled = true;
    Summary s = collect({runDir});
    computeImportance(s, o);
    return s;
  }
  static std::size_t indexOf(const FeatureImportance& imp, const std::string& name) {
    for (std::size_t i = 0; i < imp.names.size(); ++i)
      if (imp.names[i] == name) return i;
    ADD_FAILURE() << "no importance entry " << name;
    return 0;
  }
};
fs::path ImportanceTest::dir;
std::string ImportanceTest::runDir, ImportanceTest::dataFile;

// Shuffling the informative feature destroys the separation in every fold; shuffling the noise
// feature changes nothing beyond its spread. (`twin` is grouped with `info` so that the network
// cannot fall back on it.) Catches shuffling the wrong column, a sign error in the drop, or
// scoring events other than the validation ones with the permuted column.
TEST_F(ImportanceTest, InformativeFeatureMattersNoiseDoesNot) {
  ImportanceOptions o;
  o.groups = {{"info", "twin"}};
  const Summary s = collectWith(o);
  ASSERT_EQ(s.importance.size(), 1u);
  const FeatureImportance& imp = s.importance.front();
  EXPECT_EQ(imp.point, s.bestPoint);
  ASSERT_EQ(imp.names, (std::vector<std::string>{"info+twin", "noise"}));
  ASSERT_EQ(imp.folds, (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(imp.baseline.size(), 3u);
  // The unshuffled validation events score as in training: the baseline is the fold's val_auc.
  int checked = 0;
  for (const auto& it : s.items) {
    if (it.point != imp.point) continue;
    for (const auto& [name, v] : it.metrics) {
      if (name != "val_auc") continue;
      EXPECT_EQ(imp.baseline[static_cast<std::size_t>(it.fold)], v) << "fold " << it.fold;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_GT(imp.baseline[k], 0.85) << "fold " << k << ": the campaign did not learn the constructed separation";
    EXPECT_GT(imp.validationEvents[k], 500) << "fold " << k << ": too few validation events";
  }
  const std::size_t info = indexOf(imp, "info+twin"), noise = indexOf(imp, "noise");
  std::printf("AUC drop: info+twin %.4f +- %.4f, noise %.4f +- %.4f\n", imp.mean[info], imp.std[info], imp.mean[noise],
              imp.std[noise]);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_GT(imp.drop[info][k], 0.25) << "fold " << k;
  EXPECT_GT(imp.mean[info], 10 * imp.std[info]);
  EXPECT_LT(std::abs(imp.mean[noise]), 0.02);
  EXPECT_LE(std::abs(imp.mean[noise]), 3 * imp.std[noise] + 1e-3) << "noise importance outside its spread";
  // The mean and spread are of the per-fold drops.
  const double m = (imp.drop[info][0] + imp.drop[info][1] + imp.drop[info][2]) / 3;
  EXPECT_NEAR(imp.mean[info], m, 1e-12);
  EXPECT_EQ(imp.seed, 5u) << "the default seed is the campaign's";
}

// Same seed: the same bits; another seed: other shuffles (so the seed is really used).
TEST_F(ImportanceTest, FixedSeedGivesIdenticalBits) {
  ImportanceOptions o;
  o.seed = 123;
  o.repeats = 2;
  const FeatureImportance a = collectWith(o).importance.front();
  const FeatureImportance b = collectWith(o).importance.front();
  ASSERT_EQ(a.drop.size(), 3u);
  for (std::size_t g = 0; g < a.drop.size(); ++g) {
    ASSERT_EQ(a.drop[g].size(), b.drop[g].size());
    EXPECT_EQ(std::memcmp(a.drop[g].data(), b.drop[g].data(), a.drop[g].size() * sizeof(double)), 0) << a.names[g];
  }
  EXPECT_EQ(std::memcmp(a.mean.data(), b.mean.data(), a.mean.size() * sizeof(double)), 0);
  o.seed = 124;
  const FeatureImportance c = collectWith(o).importance.front();
  bool differs = false;
  for (std::size_t g = 0; g < a.drop.size(); ++g) differs |= a.drop[g] != c.drop[g];
  EXPECT_TRUE(differs) << "another seed gave the same drops: the seed does not reach the shuffles";
}

// Automatic grouping joins info and twin (|r| ~ 0.99) and leaves noise alone; without a threshold
// every feature is its own entry, and info alone matters less than info+twin (twin stands in).
TEST_F(ImportanceTest, CorrelatedFeaturesGroupedAboveThreshold) {
  ImportanceOptions o;
  o.correlationThreshold = 0.9;
  const FeatureImportance grouped = collectWith(o).importance.front();
  EXPECT_EQ(grouped.names, (std::vector<std::string>{"info+twin", "noise"}));
  EXPECT_EQ(grouped.members.front(), (std::vector<std::string>{"info", "twin"}));
  const FeatureImportance single = collectWith(ImportanceOptions{}).importance.front();
  EXPECT_EQ(single.names, (std::vector<std::string>{"info", "noise", "twin"}));
  EXPECT_GT(grouped.mean[0], single.mean[0]);
  EXPECT_GT(grouped.mean[0], single.mean[2]);
}

TEST_F(ImportanceTest, BadGroupsAreConfigErrorsNamingTheFeature) {
  ImportanceOptions o;
  o.groups = {{"info", "nosuch"}};
  try {
    collectWith(o);
    FAIL() << "an unknown feature in a group was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_NE(std::string(e.what()).find("nosuch"), std::string::npos) << e.what();
  }
  o.groups = {{"info"}, {"twin", "info"}};
  EXPECT_THROW(collectWith(o), Error);
  o.groups = {};
  o.correlationThreshold = 1.5;
  EXPECT_THROW(collectWith(o), Error);
}

// summary.h5 /importance as h5py users read it, and the report's bar chart and table.
TEST_F(ImportanceTest, StoredInSummaryAndDrawnInReport) {
  ImportanceOptions o;
  o.seed = 77;
  o.allPoints = true;
  const Summary s = collectWith(o);
  const std::string path = (dir / "summary.h5").string();
  writeSummaryFile(path, s);
  const auto f = io::h5::File::open(path);
  const FeatureImportance& imp = s.importance.front();
  EXPECT_EQ(f.readStrings("importance/feature"), imp.names);
  EXPECT_EQ(f.read<double>("importance/mean"), imp.mean);
  EXPECT_EQ(f.read<double>("importance/std"), imp.std);
  std::size_t rows = 0, cols = 0;
  const std::vector<double> drop = f.read2d<double>("importance/drop", rows, cols);
  ASSERT_EQ(rows, imp.names.size());
  ASSERT_EQ(cols, 3u);
  for (std::size_t g = 0; g < rows; ++g)
    for (std::size_t k = 0; k < cols; ++k) EXPECT_EQ(drop[g * cols + k], imp.drop[g][k]);
  EXPECT_EQ(f.read<std::int64_t>("importance/fold"), (std::vector<std::int64_t>{0, 1, 2}));
  const auto g = f.openGroup("importance");
  EXPECT_EQ(g.attrInt("seed"), 77);
  EXPECT_EQ(g.attrString("metric"), "val_auc");
  // --importance-all-points: both points, the best first, each under /importance/points/<point>.
  ASSERT_EQ(s.importance.size(), 2u);
  EXPECT_EQ(s.importance[0].point, s.bestPoint);
  for (const auto& p : s.importance) {
    const std::string name = "importance/points/" + std::to_string(p.point);
    ASSERT_TRUE(f.exists(name)) << name;
    EXPECT_EQ(f.read<double>(name + "/mean"), p.mean);
    EXPECT_EQ(f.openGroup(name).attrInt("point"), p.point);
  }

  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const std::string reportDir = (dir / "report").string();
  report::writeReport(s, reportDir);
  EXPECT_TRUE(fs::exists(fs::path(reportDir) / "importance.png"));
  EXPECT_TRUE(fs::exists(fs::path(reportDir) / "importance.dat"));
  std::ifstream in(fs::path(reportDir) / "index.html");
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("id=\"importance\""), std::string::npos);
  EXPECT_NE(html.find("info"), std::string::npos);
}

// The data file is needed: gone, the error names it and says what needed it.
TEST_F(ImportanceTest, MissingDataFileIsAnInputError) {
  const std::string moved = dataFile + ".moved";
  fs::rename(dataFile, moved);
  try {
    collectWith(ImportanceOptions{});
    fs::rename(moved, dataFile);
    FAIL() << "no error without the data file";
  } catch (const Error& e) {
    fs::rename(moved, dataFile);
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("events.h5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--importance"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hepsweep::aggregate
