// The run directory's schemas (rundir): what one version writes, every later reader reads back
// unchanged, and what an older version wrote still reads or is refused with its version named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/rundir/Manifest.hpp"
#include "hepsweep/rundir/Overrides.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"

using namespace hepsweep;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = fs::temp_directory_path() / ("hepsweep-rundir-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Values with spaces, quotes and brackets: what a join on spaces would split.
const rundir::Overrides kPoint{{"model.widths", "[25, 20]"},
                               {"model.activation", "\"leaky relu\""},
                               {"train.class_weight", "{ signal = 2.0 }"},
                               {"train.learning_rate", "0.001"}};

}  // namespace

// Catches override strings split inside TOML values (lists, strings, tables with spaces).
TEST(Overrides, JoinedTextParsesBack) {
  const auto p = rundir::parseJoinedOverrides(rundir::joinOverrides(kPoint));
  EXPECT_EQ(p, kPoint);
  EXPECT_TRUE(rundir::parseJoinedOverrides("").empty());
  EXPECT_NE(errorOf([] { rundir::parseJoinedOverrides("justaword"); }).find("justaword"), std::string::npos);
  EXPECT_EQ(rundir::fromAssignments(rundir::toAssignments(kPoint)), kPoint);
  EXPECT_EQ(rundir::describeParameters({}), "(base configuration)");
}

// A manifest round-trips its items with their structured values; an empty point stays empty.
TEST(Manifest, RoundTripsStructuredOverrides) {
  TempDir d;
  rundir::Manifest m;
  m.config = "seed = 3\n";
  m.seed = 3;
  m.version = "hepsweep test";
  m.dataFile = "/data.h5";
  m.dataSha256 = "abc";
  m.folds = 2;
  m.items = {{0, 0, 0, kPoint}, {1, 0, 1, kPoint}, {2, 1, 0, {}}, {3, 1, 1, {{"model.dropout", "0.25"}}}};
  rundir::writeManifest(d.file("manifest.h5"), m);
  const rundir::Manifest r = rundir::readManifest(d.file("manifest.h5"));
  EXPECT_EQ(r.formatVersion, rundir::kManifestFormatVersion);
  ASSERT_EQ(r.items.size(), m.items.size());
  for (std::size_t i = 0; i < m.items.size(); ++i) {
    EXPECT_EQ(r.items[i].id, m.items[i].id);
    EXPECT_EQ(r.items[i].point, m.items[i].point);
    EXPECT_EQ(r.items[i].fold, m.items[i].fold);
    EXPECT_EQ(r.items[i].overrides, m.items[i].overrides) << i;
  }
  EXPECT_EQ(r.config, m.config);
  EXPECT_EQ(r.folds, 2);
}

// A manifest of format 1 (joined overrides only) still reads; one from a newer version is refused
// with that version named.
TEST(Manifest, ReadsFormatOneAndRefusesNewer) {
  TempDir d;
  io::h5::writeAtomically(d.file("v1.h5"), [&](io::h5::File& f) {
    f.setAttr("format", std::string(rundir::kManifestFormat));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("seed", std::int64_t{7});
    f.setAttr("version", std::string("hepsweep 0.1.0+old"));
    f.setAttr("data_file", std::string("/d.h5"));
    f.setAttr("data_sha256", std::string("x"));
    f.write<std::int64_t>("items/id", std::vector<std::int64_t>{0}, false);
    f.write<std::int64_t>("items/point", std::vector<std::int64_t>{0}, false);
    f.write<std::int64_t>("items/fold", std::vector<std::int64_t>{0}, false);
    f.writeStrings("items/overrides", std::vector<std::string>{rundir::joinOverrides(kPoint)});
  });
  const rundir::Manifest v1 = rundir::readManifest(d.file("v1.h5"));
  EXPECT_EQ(v1.formatVersion, 1);
  EXPECT_EQ(v1.items.at(0).overrides, kPoint);

  io::h5::writeAtomically(d.file("v9.h5"), [&](io::h5::File& f) {
    f.setAttr("format", std::string(rundir::kManifestFormat));
    f.setAttr("format_version", std::int64_t{9});
    f.setAttr("version", std::string("hepsweep 9.0"));
  });
  const std::string msg = errorOf([&] { rundir::readManifest(d.file("v9.h5")); });
  EXPECT_NE(msg.find("format_version 9"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hepsweep 9.0"), std::string::npos) << msg;
}

// The header names the item, its structured values and its configuration; a file written with
// only the joined text (format 1) gives the same values.
TEST(ResultSchema, HeaderRoundTripsAndReadsFormatOne) {
  TempDir d;
  rundir::ResultHeader h;
  h.config = "seed = 1\n[model]\nwidths = [25, 20]\n";
  h.seed = 1;
  h.version = "v";
  h.dataFile = "/d.h5";
  h.dataSha256 = "s";
  h.item = rundir::ItemIdentity{5, 2, 1, 3, kPoint, "/run", 2, "c0ffee"};
  io::h5::writeAtomically(d.file("r.h5"), [&](io::h5::File& f) { rundir::writeResultHeader(f, h); });
  const rundir::ResultHeader r = rundir::readResultHeader(io::h5::File::open(d.file("r.h5")));
  EXPECT_EQ(r.config, h.config);
  ASSERT_TRUE(r.item);
  EXPECT_EQ(r.item->id, 5);
  EXPECT_EQ(r.item->point, 2);
  EXPECT_EQ(r.item->fold, 1);
  EXPECT_EQ(r.item->folds, 3);
  EXPECT_EQ(r.item->ranksPerItem, 2);
  EXPECT_EQ(r.item->overrides, kPoint);
  EXPECT_EQ(r.item->campaignSha256, "c0ffee");

  io::h5::writeAtomically(d.file("old.h5"), [&](io::h5::File& f) {
    f.setAttr("format", std::string(rundir::kResultFormat));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("item_id", std::int64_t{4});
    f.setAttr("item_overrides", rundir::joinOverrides(kPoint));
  });
  const rundir::ResultHeader old = rundir::readResultHeader(io::h5::File::open(d.file("old.h5")));
  EXPECT_EQ(old.formatVersion, 1);
  ASSERT_TRUE(old.item);
  EXPECT_EQ(old.item->overrides, kPoint);

  io::h5::writeAtomically(d.file("foreign.h5"), [&](io::h5::File& f) { f.setAttr("format", std::string("other")); });
  const std::string msg = errorOf([&] { rundir::readResultHeader(io::h5::File::open(d.file("foreign.h5"))); });
  EXPECT_NE(msg.find("foreign.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a hepsweep result file"), std::string::npos) << msg;
}

// The split record rebuilds exactly the rows it was made from (folds and balancing included), and
// a changed data file (labels) is caught by the digests, not trained on silently.
TEST(ResultSchema, SplitRecordRebuildsTheRowsAndCatchesChangedData) {
  TempDir d;
  const std::size_t n = 5000;
  std::vector<float> labels(n);
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = i % 3 == 0 ? 1.0f : 0.0f;
    keys[i] = 100000 + i * 7;  // ids, not row indices
  }
  rundir::SplitRecord r;
  r.rule = data::SplitRule{42, {0.6, 0.2, 0.2}, 4, 2, data::BalanceMode::Downsample};
  r.dataRows = static_cast<std::int64_t>(n);
  r.keyIsId = true;
  const data::Partition p = data::itemPartition(labels, keys, r.rule);
  r.trainDigest = data::rowsDigest(p.train);
  r.valDigest = data::rowsDigest(p.val);
  r.testDigest = data::rowsDigest(p.test);
  r.trainFactors = {1.5, 0.75};
  io::h5::writeAtomically(d.file("s.h5"), [&](io::h5::File& f) { rundir::writeSplitRecord(f.createGroup("split"), r); });
  const rundir::SplitRecord back = rundir::readSplitRecord(io::h5::File::open(d.file("s.h5")).openGroup("split"));
  EXPECT_EQ(back.rule.folds, 4);
  EXPECT_EQ(back.rule.fold, 2);
  EXPECT_EQ(back.rule.balance, data::BalanceMode::Downsample);
  EXPECT_EQ(back.trainFactors.signal, 1.5);
  const data::Partition rebuilt = rundir::rebuildPartition(back, labels, keys, "s.h5");
  EXPECT_EQ(rebuilt.train, p.train);
  EXPECT_EQ(rebuilt.val, p.val);
  EXPECT_EQ(rebuilt.test, p.test);

  labels[10] = 1.0f - labels[10];
  const std::string msg = errorOf([&] { rundir::rebuildPartition(back, labels, keys, "s.h5"); });
  EXPECT_NE(msg.find("s.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not the ones it was trained on"), std::string::npos) << msg;
}

// The network's layer groups rebuild the flat buffers exactly (no flat copy is stored), with
// batch normalisation; a NaN parameter is refused instead of scoring garbage.
TEST(ResultSchema, NetworkRoundTripsFromItsLayers) {
  TempDir d;
  nn::ModelConfig cfg;
  cfg.widths = {6, 4};
  cfg.batchNorm = true;
  cfg.dropout = {0.1f, 0.2f};
  cfg.activation = nn::Activation::Elu;
  nn::Network net(5, cfg, 99);
  for (Eigen::Index i = 0; i < net.state().size(); ++i) net.state()[i] = 0.5f + static_cast<float>(i);
  io::h5::writeAtomically(d.file("n.h5"), [&](io::h5::File& f) { rundir::writeNetwork(f.createGroup("model"), net); });
  const auto f = io::h5::File::open(d.file("n.h5"));
  EXPECT_FALSE(f.exists("model/params"));
  const rundir::StoredNetwork s = rundir::readNetwork(f.openGroup("model"));
  EXPECT_EQ(s.inputs, 5);
  EXPECT_EQ(s.config.widths, cfg.widths);
  EXPECT_TRUE(s.config.batchNorm);
  EXPECT_EQ(s.config.activation, nn::Activation::Elu);
  EXPECT_TRUE((s.params.array() == net.params().array()).all());
  EXPECT_TRUE((s.state.array() == net.state().array()).all());

  net.params()[3] = std::nanf("");
  io::h5::writeAtomically(d.file("nan.h5"), [&](io::h5::File& g) { rundir::writeNetwork(g.createGroup("model"), net); });
  const std::string msg = errorOf([&] { rundir::readNetwork(io::h5::File::open(d.file("nan.h5")).openGroup("model")); });
  EXPECT_NE(msg.find("NaN"), std::string::npos) << msg;
}

// The layout names item directories as the campaign always has (items/000042), and naming a
// directory creates nothing: status and aggregate only read.
TEST(RunDirectory, NamesWithoutCreating) {
  TempDir d;
  const rundir::RunDirectory dir(d.path / "run");
  EXPECT_EQ(dir.resultFile(42), d.path / "run" / "items" / "000042" / "result.h5");
  EXPECT_FALSE(fs::exists(d.path / "run"));
  EXPECT_EQ(dir.status(42), rundir::ItemStatus::Pending);
  EXPECT_FALSE(fs::exists(d.path / "run"));
  dir.create();
  EXPECT_TRUE(fs::is_directory(d.path / "run" / "items"));
}
