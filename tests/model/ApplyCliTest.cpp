// `hepsweep apply` and `hepsweep export` as a user runs them, on a real tiny campaign trained by
// the CLI (convert -> train with cv.folds = 3), with best-model.h5 made by model::fromResultFiles.
#include <gtest/gtest.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>

#include "../e2e/CliRun.hpp"
#include "ModelTestUtil.hpp"
#include "hepsweep/core/Checksum.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/model/Model.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace hepsweep::model {
namespace {

using testing::TempDir;

using hepsweep::test::kCli;
using hepsweep::test::run;
using CliResult = hepsweep::test::CliRun;

struct CliCampaign {
  std::unique_ptr<TempDir> dir;
  std::string data, model;
  std::vector<std::string> results;
};

CliCampaign& cliCampaign() {
  static CliCampaign c = [] {
    CliCampaign c;
    c.dir = std::make_unique<TempDir>("cli");
    testing::CampaignSpec spec;
    spec.rows = 6000;  // 1200 test events: more than one 1024-event scoring chunk
    testing::writeCsv(c.dir->file("events.csv"), spec);
    c.data = c.dir->file("events.h5");
    CliResult r = run(kCli + " convert " + c.dir->file("events.csv") + " --label label --id event -q -o " + c.data);
    EXPECT_EQ(r.status, 0) << r.out;
    std::ofstream toml(c.dir->file("campaign.toml"));
    toml << "seed = 5\n[data]\nfile = \"events.h5\"\n[model]\nwidths = [8]\n[train]\nepochs = 2\nbatch_size = 128\n"
            "[output]\ndir = \"" << c.dir->file("run") << "\"\nscores = \"all\"\n[cv]\nfolds = 3\n";
    toml.close();
    r = run(kCli + " train " + c.dir->file("campaign.toml") + " --quiet");
    EXPECT_EQ(r.status, 0) << r.out;
    for (int k = 0; k < 3; ++k) c.results.push_back(c.dir->file("run/items/00000" + std::to_string(k) + "/result.h5"));
    c.model = c.dir->file("best-model.h5");
    writeModel(c.model, fromResultFiles(c.results));
    return c;
  }();
  return c;
}

std::string shortest(float v) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// Would catch any drift between apply and the training's evaluation: the held-out test events,
// given as a CSV in split order, must get every fold's scores/test back bit for bit.
TEST(ApplyCli, TestSetScoresAreBitExact) {
  CliCampaign& c = cliCampaign();
  const data::Dataset ds = io::readDataset(c.data);
  const auto first = io::h5::File::open(c.results[0]);
  const auto rows = first.read<std::int64_t>("scores/test_rows");
  ASSERT_GT(rows.size(), 1024u);
  std::ofstream csv(c.dir->file("test-events.csv"));
  csv << "event," << str::join(ds.featureNames, ",") << "\n";
  for (const auto r : rows) {
    csv << ds.ids[static_cast<std::size_t>(r)];
    for (Eigen::Index j = 0; j < ds.cols(); ++j) csv << "," << shortest(ds.features(r, j));
    csv << "\n";
  }
  csv.close();
  const CliResult r = run(kCli + " apply " + c.model + " " + c.dir->file("test-events.csv") + " --id event --per-fold -o " +
                    c.dir->file("test-scored.h5"));
  ASSERT_EQ(r.status, 0) << r.out;
  const auto out = io::h5::File::open(c.dir->file("test-scored.h5"));
  std::size_t n = 0, k = 0;
  const auto perFold = out.read2d<float>("fold_scores", n, k);
  ASSERT_EQ(n, rows.size());
  ASSERT_EQ(k, 3u);
  const auto ids = out.read<std::int64_t>("ids");
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(ids[i], ds.ids[static_cast<std::size_t>(rows[i])]);
  for (std::size_t f = 0; f < 3; ++f) {
    const auto want = io::h5::File::open(c.results[f]).read<float>("scores/test");
    int differing = 0;
    for (std::size_t i = 0; i < n; ++i) differing += std::memcmp(&perFold[i * 3 + f], &want[i], sizeof(float)) != 0;
    EXPECT_EQ(differing, 0) << "fold " << f;
  }
}

// The same for the HDF5 path (chunks decoded outside HDF5, possibly on several threads, the
// preprocessing reading the file's own columns): the test events converted to HDF5, compressed
// or not, give every fold's scores/test back bit for bit, and the output is the same whatever
// the thread count and block size: every dataset's values (the output's chunks are compressed on
// the threads, and blocks of 1024 or 3072 rows fill its 8192-row chunks across blocks).
TEST(ApplyCli, TestSetScoresAreBitExactFromHdf5WithAnyThreadCount) {
  CliCampaign& c = cliCampaign();
  const data::Dataset ds = io::readDataset(c.data);
  const auto rows = io::h5::File::open(c.results[0]).read<std::int64_t>("scores/test_rows");
  ASSERT_GT(rows.size(), 1024u);
  // The columns in another order than the model's, so each fold must find its inputs by name.
  std::vector<std::string> names(ds.featureNames.rbegin(), ds.featureNames.rend());
  std::ofstream csv(c.dir->file("test-events-h5.csv"));
  csv << "event,label," << str::join(names, ",") << "\n";
  for (const auto r : rows) {
    csv << ds.ids[static_cast<std::size_t>(r)] << "," << ds.labels[r];
    for (Eigen::Index j = ds.cols(); j-- > 0;) csv << "," << shortest(ds.features(r, j));
    csv << "\n";
  }
  csv.close();
  std::vector<std::vector<float>> want;
  for (std::size_t f = 0; f < 3; ++f) want.push_back(io::h5::File::open(c.results[f]).read<float>("scores/test"));
  std::vector<float> reference;
  std::string referenceDigest;
  for (const std::string level : {"4", "0"}) {
    const std::string h5 = c.dir->file("test-events-" + level + ".h5");
    CliResult r = run(kCli + " convert " + c.dir->file("test-events-h5.csv") + " --label label --id event -q " +
                      "--compression-level " + level + " -o " + h5);
    ASSERT_EQ(r.status, 0) << r.out;
    for (const std::string options : {"--threads 1", "--threads 3 --chunk-rows 1024", "--threads 2 --chunk-rows 3072"}) {
      const std::string out = c.dir->file("test-scored-h5.h5");
      r = run(kCli + " apply " + c.model + " " + h5 + " --per-fold -q " + options + " -o " + out);
      ASSERT_EQ(r.status, 0) << r.out;
      std::size_t n = 0, k = 0;
      const auto file = io::h5::File::open(out);
      const auto perFold = file.read2d<float>("fold_scores", n, k);
      ASSERT_EQ(n, rows.size());
      ASSERT_EQ(k, 3u);
      for (std::size_t f = 0; f < 3; ++f) {
        int differing = 0;
        for (std::size_t i = 0; i < n; ++i) differing += std::memcmp(&perFold[i * 3 + f], &want[f][i], sizeof(float)) != 0;
        EXPECT_EQ(differing, 0) << "fold " << f << ", level " << level << ", " << options;
      }
      const auto score = file.read<float>("score");
      if (reference.empty()) reference = score;
      EXPECT_EQ(std::memcmp(score.data(), reference.data(), score.size() * sizeof(float)), 0) << options;
      const auto ids = file.read<std::int64_t>("ids");
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(ids[i], ds.ids[static_cast<std::size_t>(rows[i])]);
      const auto labels = file.read<std::int8_t>("labels");
      for (std::size_t i = 0; i < n; ++i)
        ASSERT_EQ(labels[i], static_cast<std::int8_t>(ds.labels[static_cast<Eigen::Index>(rows[i])])) << i;
      // The provenance names the input, which differs between the two levels.
      const std::string digest = file.contentDigest({"provenance/input_paths", "provenance/input_xxh128"});
      if (referenceDigest.empty()) referenceDigest = digest;
      EXPECT_EQ(digest, referenceDigest) << "level " << level << ", " << options;
    }
  }
}

// Would catch out-of-fold scores that come from a model that trained on the event: each fold's
// validation events (never trained on by that fold) must be scored by that fold alone.
TEST(ApplyCli, OutOfFoldOnTheTrainingFile) {
  CliCampaign& c = cliCampaign();
  const CliResult r = run(kCli + " apply " + c.model + " " + c.data + " --out-of-fold --per-fold --json -o " + c.dir->file("oof.h5"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"out_of_fold_counts\""), std::string::npos) << r.out;
  const auto out = io::h5::File::open(c.dir->file("oof.h5"));
  const auto fold = out.read<std::int8_t>("fold");
  const auto score = out.read<float>("score");
  std::size_t n = 0, k = 0;
  const auto perFold = out.read2d<float>("fold_scores", n, k);
  for (std::size_t f = 0; f < 3; ++f) {
    const auto res = io::h5::File::open(c.results[f]);
    for (const auto row : res.read<std::int64_t>("scores/val_rows")) {
      const auto i = static_cast<std::size_t>(row);
      ASSERT_EQ(fold[i], static_cast<std::int8_t>(f)) << "row " << row;
      ASSERT_EQ(score[i], perFold[i * 3 + f]);
    }
    if (f == 0) {
      for (const auto row : res.read<std::int64_t>("scores/test_rows")) ASSERT_EQ(fold[static_cast<std::size_t>(row)], -1);
    }
  }
  EXPECT_EQ(out.attrString("mode"), "out_of_fold");
  EXPECT_EQ(out.attrString("model_sha256").size(), 64u);
}

// --checksum reaches the output and the JSON summary under the kind's name, and an unknown kind
// is refused naming the option (not silently replaced by the default).
TEST(ApplyCli, ChecksumOptionNamesTheKindInTheOutputAndJson) {
  CliCampaign& c = cliCampaign();
  const std::string out = c.dir->file("checksum.h5");
  CliResult r = run(kCli + " apply " + c.model + " " + c.data + " --checksum sha256 --json -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string sha = sha256File(c.data);
  EXPECT_NE(r.out.find("\"input_checksum\":\"sha256\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"sha256\":\"" + sha + "\""), std::string::npos) << r.out;
  EXPECT_EQ(io::h5::File::open(out).openGroup("provenance").readStrings("input_sha256"), std::vector<std::string>{sha});
  r = run(kCli + " apply " + c.model + " " + c.data + " --json -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"xxh128\":\"" + xxh128File(c.data) + "\""), std::string::npos) << r.out;
  r = run(kCli + " apply " + c.model + " " + c.data + " --checksum md5 -o " + out);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("apply --checksum 'md5': expected xxh128 or sha256"), std::string::npos) << r.out;
}

TEST(ApplyCli, CsvWithWorkingPointAndMissingFeatureError) {
  CliCampaign& c = cliCampaign();
  CliResult r = run(kCli + " apply " + c.model + " " + c.data + " --csv --at-signal-efficiency 0.8 -q -o " + c.dir->file("s.csv"));
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream in(c.dir->file("s.csv"));
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "event,score,pass_at_0.8,label,weight");
  // A CSV without f2.
  std::ofstream bad(c.dir->file("bad.csv"));
  bad << "f0,f1,f3,f4\n1,2,3,4\n";
  bad.close();
  r = run(kCli + " apply " + c.model + " " + c.dir->file("bad.csv") + " -o " + c.dir->file("bad.h5"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("'f2'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad.csv"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(c.dir->file("bad.h5")));
}

TEST(ApplyCli, ExportOnnxAndLwtnnPassTheIndependentChecks) {
  CliCampaign& c = cliCampaign();
  if (std::system("/usr/bin/python3 -c 'import onnx, numpy' > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with onnx and numpy is not available";
  const std::string check = std::string("/usr/bin/python3 ") + HEPSWEEP_SOURCE_DIR + "/tests/model/check_export.py ";
  CliResult r = run(kCli + " export " + c.model + " --format onnx -o " + c.dir->file("m.onnx"));
  ASSERT_EQ(r.status, 0) << r.out;
  r = run(check + "onnx " + c.dir->file("m.onnx"));
  EXPECT_EQ(r.status, 0) << r.out;
  r = run(kCli + " export " + c.model + " --format lwtnn --fold 1 -o " + c.dir->file("m.json"));
  ASSERT_EQ(r.status, 0) << r.out;
  r = run(check + "lwtnn " + c.dir->file("m.json"));
  EXPECT_EQ(r.status, 0) << r.out;
}

// Every option `--help` prints is explained in the command's docs page.
TEST(ApplyCli, EveryOptionIsDocumented) {
  for (const std::string cmd : {"apply", "export"}) {
    const CliResult help = run(kCli + " " + cmd + " --help");
    ASSERT_EQ(help.status, 0) << help.out;
    std::ifstream page(std::string(HEPSWEEP_SOURCE_DIR) + "/docs/" + cmd + ".md");
    ASSERT_TRUE(page) << "docs/" << cmd << ".md is missing";
    const std::string doc((std::istreambuf_iterator<char>(page)), {});
    const std::regex opt("--[a-z][a-z0-9-]+");
    std::set<std::string> options;
    for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), opt); it != std::sregex_iterator(); ++it)
      options.insert(it->str());
    EXPECT_GE(options.size(), 4u) << help.out;
    for (const auto& o : options) EXPECT_NE(doc.find(o), std::string::npos) << o << " missing from docs/" << cmd << ".md";
  }
}

}  // namespace
}  // namespace hepsweep::model
