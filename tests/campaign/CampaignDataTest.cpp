// A campaign's cost at realistic sizes: its data are read once per job (each chunk of the data file
// decompressed once, however many items train), the two placements of resources.data give the
// same results to the bit, and a result file records its item's own configuration and a split
// rule that rebuilds its rows, at a size that does not grow with the number of events.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../io/CountingInflate.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"

using namespace hepsweep;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = fs::temp_directory_path() / ("hepsweep-campaign-data-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// `rows` events of 4 features with ids (the fold key), converted with convert's defaults.
std::string makeData(const TempDir& d, int rows, const std::string& name = "events") {
  const std::string csv = d.file(name + ".csv");
  {
    std::ofstream out(csv);
    out << "id,a,b,c,d,label\n";
    rng::CounterRng r(23);
    for (int i = 0; i < rows; ++i) {
      const int label = i % 3 == 0 ? 1 : 0;
      out << 900000 + i * 13 << "," << r.normal() + label << "," << r.normal() << "," << 10.0 + r.normal() << ","
          << r.normal() * 0.5 + label << "," << label << "\n";
    }
  }
  io::ConvertOptions o;
  o.labelledFiles = {csv};
  o.labelColumn = "label";
  o.idColumn = "id";
  o.output = d.file(name + ".h5");
  io::convert(o);
  return o.output;
}

// 2 folds x 2 points of a small network.
campaign::CampaignConfig campaignOf(const std::string& data, const std::string& runDir,
                                    const std::vector<std::string>& extra = {}) {
  const std::string toml = "seed = 3\n[data]\nfile = \"" + data +
                           "\"\nbalance = \"downsample\"\n[model]\nwidths = [8]\n[train]\nepochs = 3\nbatch_size = 256\n"
                           "[output]\ndir = \"" + runDir + "\"\n[cv]\nfolds = 2\n[search]\nmethod = \"grid\"\n"
                           "[search.space]\n\"model.dropout\" = [0.0, 0.25]\n";
  return campaign::parseCampaign(toml, "test.toml", extra);
}

void run(const campaign::CampaignConfig& c) {
  dist::LocalCommunicator world;
  campaign::RunOptions o;
  o.quiet = true;
  const campaign::RunSummary s = campaign::runCampaign(c, campaign::toToml(c), world, o, Logger{});
  ASSERT_EQ(s.done, 4);
  ASSERT_EQ(s.failed, 0);
}

// Chunks of a dataset of the file.
long chunksOf(const std::string& path, const std::string& name) {
  const auto f = io::h5::File::open(path);
  const io::h5::BlockReader<float> d(f, name);
  return static_cast<long>((d.rows() + d.chunkRows() - 1) / d.chunkRows());
}

std::string resultOf(const std::string& runDir, int item) {
  char name[16];
  std::snprintf(name, sizeof name, "%06d", item);
  return (fs::path(runDir) / "items" / name / "result.h5").string();
}

}  // namespace

// resources.data = "node": the whole campaign (4 items) decompresses every chunk of the data file
// exactly once (counted through zlib for HDF5's reads, through libdeflate for the feature table);
// the items themselves read nothing. With "rows" each item reads the file again, in at most one
// pass per preprocessing statistic plus one for its rows.
TEST(CampaignData, EveryChunkIsDecompressedOnceForTheWholeJob) {
  TempDir d;
  const std::string data = makeData(d, 30000);
  const long chunks = chunksOf(data, "features");
  ASSERT_GT(chunks, 1);
  const long columns = chunksOf(data, "labels") + chunksOf(data, "weights") + chunksOf(data, "ids");
  // The feature table is decoded outside HDF5 (libdeflate), the other columns through HDF5 (zlib).
  long before = iotest::inflateCount();
  const long decodedBefore = iotest::deflateDecodeCount();
  run(campaignOf(data, d.file("node"), {"resources.data=\"node\""}));
  EXPECT_EQ(iotest::inflateCount() - before, columns);
  EXPECT_EQ(iotest::deflateDecodeCount() - decodedBefore, chunks);

  before = iotest::inflateCount();
  run(campaignOf(data, d.file("rows"), {"resources.data=\"rows\""}));
  // (HDF5's own chunk cache may keep a small table's chunks, so this is an upper bound.)
  const long perItem = 3 /* fit: imputation means, column sums, centred squares */ + 1 /* the item's rows */;
  EXPECT_LE(iotest::inflateCount() - before, columns + 4 * perItem * chunks);
}

// The two placements train on the same values: every item's weights, metrics and stored scores are
// bitwise equal.
TEST(CampaignData, NodeAndRowsGiveIdenticalResults) {
  TempDir d;
  const std::string data = makeData(d, 6000);
  run(campaignOf(data, d.file("node"), {"resources.data=\"node\"", "output.scores=\"all\""}));
  run(campaignOf(data, d.file("rows"), {"resources.data=\"rows\"", "output.scores=\"all\""}));
  for (int item = 0; item < 4; ++item) {
    const auto a = io::h5::File::open(resultOf(d.file("node"), item));
    const auto b = io::h5::File::open(resultOf(d.file("rows"), item));
    for (const char* name : {"model/layer_0/W", "model/layer_1/b", "scores/test", "scores/train", "history/val_loss"})
      EXPECT_EQ(a.read<double>(name), b.read<double>(name)) << "item " << item << " " << name;
    for (const char* name : {"metrics/objective", "metrics/test_auc", "metrics/ams"})
      EXPECT_EQ(a.readScalarDouble(name), b.readScalarDouble(name)) << "item " << item << " " << name;
  }
}

// A result file's config is its item's own configuration (the point's values applied), its values
// are also a structured list, and its split rule rebuilds exactly the rows it trained on (the
// rows the stored scores belong to).
TEST(CampaignData, ResultRecordsTheItemsConfigurationAndItsSplitRule) {
  TempDir d;
  const std::string data = makeData(d, 6000);
  run(campaignOf(data, d.file("run"), {"output.scores=\"all\""}));
  const io::DatasetRows file(data);
  const std::vector<std::uint64_t> keys = data::foldKeys(file.columns().ids, static_cast<std::size_t>(file.rows()));
  const std::span<const float> labels(file.columns().labels.data(), static_cast<std::size_t>(file.rows()));
  for (int item = 0; item < 4; ++item) {
    const std::string path = resultOf(d.file("run"), item);
    const auto f = io::h5::File::open(path);
    const rundir::ResultHeader h = rundir::readResultHeader(f);
    ASSERT_TRUE(h.item);
    const std::string dropout = item < 2 ? "0.0" : "0.25";
    EXPECT_EQ(h.item->overrides, (rundir::Overrides{{"model.dropout", dropout}}));
    EXPECT_EQ(h.item->fold, item % 2);
    const campaign::CampaignConfig c = campaign::parseCampaign(h.config, path);
    EXPECT_EQ(c.run.model.dropout, (std::vector<float>{item < 2 ? 0.0f : 0.25f})) << "config of item " << item;

    const rundir::SplitRecord rec = rundir::readSplitRecord(f.openGroup("split"));
    EXPECT_TRUE(rec.keyIsId);
    const data::Partition p = rundir::rebuildPartition(rec, labels, keys, path);
    EXPECT_EQ(p.train, f.read<std::int64_t>("scores/train_rows"));
    EXPECT_EQ(p.val, f.read<std::int64_t>("scores/val_rows"));
    EXPECT_EQ(p.test, f.read<std::int64_t>("scores/test_rows"));
  }
}

// With the default output.scores = "none", a result file's size does not follow the number of
// events: curves are bounded, no row lists or scores are kept. Five times the events, at most a
// few percent more bytes.
TEST(CampaignData, ResultSizeDoesNotGrowWithTheEvents) {
  TempDir d;
  const std::string small = makeData(d, 12000, "small"), large = makeData(d, 60000, "large");
  run(campaignOf(small, d.file("small")));
  run(campaignOf(large, d.file("large")));
  const auto a = fs::file_size(resultOf(d.file("small"), 0)), b = fs::file_size(resultOf(d.file("large"), 0));
  EXPECT_LT(static_cast<double>(b), 1.05 * static_cast<double>(a)) << a << " vs " << b << " bytes";
  const auto f = io::h5::File::open(resultOf(d.file("large"), 0));
  EXPECT_FALSE(f.exists("scores"));
  EXPECT_LE(f.shape("roc/fpr").at(0), 2000u);
  EXPECT_GT(f.attrInt("points_full", "roc"), 2000);
}

// A run directory written before result format 2 is not extended with items of the new format: the
// run is refused with the version that wrote it and what to do, and nothing in it changes.
TEST(CampaignData, RefusesToResumeARunDirectoryOfFormatOne) {
  TempDir d;
  const std::string data = makeData(d, 3000);
  const campaign::CampaignConfig c = campaignOf(data, d.file("old"));
  fs::create_directories(d.path / "old" / "items");
  std::ofstream(d.path / "old" / "campaign.toml") << campaign::toToml(c);
  io::h5::writeAtomically(d.file("old/manifest.h5"), [&](io::h5::File& f) {
    f.setAttr("format", std::string("hepsweep-campaign-manifest"));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("seed", std::int64_t{3});
    f.setAttr("version", std::string("hepsweep 0.1.0+oldbuild"));
    f.setAttr("data_file", data);
    f.setAttr("data_sha256", std::string("x"));
    f.write<std::int64_t>("items/id", std::vector<std::int64_t>{0}, false);
    f.write<std::int64_t>("items/point", std::vector<std::int64_t>{0}, false);
    f.write<std::int64_t>("items/fold", std::vector<std::int64_t>{0}, false);
    f.writeStrings("items/overrides", std::vector<std::string>{"model.dropout=0.0"});
  });
  dist::LocalCommunicator world;
  campaign::RunOptions o;
  o.quiet = true;
  try {
    campaign::runCampaign(c, campaign::toToml(c), world, o, Logger{});
    FAIL() << "a format 1 run directory was extended";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("hepsweep 0.1.0+oldbuild"), std::string::npos) << msg;
    EXPECT_NE(msg.find("manifest format 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("aggregate"), std::string::npos) << msg;
  }
  EXPECT_TRUE(fs::is_empty(d.path / "old" / "items"));
}
