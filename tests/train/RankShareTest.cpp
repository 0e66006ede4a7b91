// A rank of a group that trains one item together holds only the events it trains on or
// evaluates, read from the HDF5 file as hyperslabs (io::DatasetRows), and must see exactly the
// same inputs and preprocessing as a single process holding everything.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <unistd.h>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/train/Trainer.hpp"

using namespace hepsweep;
namespace fs = std::filesystem;

namespace {

// A converted data file of `n` events (labels alternate; 3 features, one PCA-worthy offset).
std::string dataFile(int n) {
  static std::string path;
  static int made = 0;
  if (made == n) return path;
  const fs::path dir = fs::temp_directory_path() / ("hepsweep-rankshare-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path csv = dir / "events.csv";
  {
    std::ofstream out(csv);
    out << "label,a,b,c\n";
    rng::CounterRng r(11);
    for (int i = 0; i < n; ++i) {
      const int label = i % 3 == 0 ? 1 : 0;
      out << label << "," << r.normal() + label << "," << 100.0 + r.normal() << "," << r.normal() * 0.5 + 2.0 * label << "\n";
    }
  }
  io::ConvertOptions o;
  o.labelledFiles = {csv.string()};
  o.labelColumn = "label";
  o.output = (dir / "events.h5").string();
  io::convert(o);
  path = o.output;
  made = n;
  return path;
}

train::RunConfig config() {
  train::RunConfig cfg;
  cfg.seed = 5;
  cfg.data.split = {0.6, 0.2, 0.2};
  cfg.train.batchSize = 256;
  cfg.train.microBatches = 4;
  return cfg;
}

}  // namespace

// Rows in any order, with repeats, across several blocks: the same values as reading the whole
// file, and each block read once for the whole request. Catches a scatter that shifts rows after a
// repeat or at a block boundary, and a reader that decompresses a chunk again for every row.
TEST(DatasetRows, ReadsRequestedRowsInAnyOrder) {
  const std::string path = dataFile(20000);
  const data::Dataset all = io::readDataset(path);
  const io::DatasetRows file(path, {"c", "a"});
  EXPECT_EQ(file.columns().features.rows(), 0);
  EXPECT_EQ(file.columns().featureNames, (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(file.columns().labels, all.labels);
  std::vector<data::Index> rows;
  rng::CounterRng r(3);
  for (int i = 0; i < 18000; ++i) rows.push_back(static_cast<data::Index>(r.next() % 20000));
  rows.push_back(rows.front());
  rows.push_back(19999);
  rows.push_back(0);
  data::FeatureMatrix got;
  file.read(rows, got);
  ASSERT_EQ(got.rows(), static_cast<Eigen::Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(got(static_cast<Eigen::Index>(i), 0), all.features(rows[i], 2)) << "request " << i << " row " << rows[i];
    ASSERT_EQ(got(static_cast<Eigen::Index>(i), 1), all.features(rows[i], 0)) << "request " << i << " row " << rows[i];
  }
  const std::int64_t blocks = (20000 + file.blockRows() - 1) / file.blockRows();
  EXPECT_EQ(file.blocksRead(), blocks);
  // Rows of one block read in two calls in ascending order: the block is read once.
  const io::DatasetRows pass(path);
  pass.read(std::vector<data::Index>{15000, 10, 5000, 10}, got);
  const std::int64_t first = pass.blocksRead();
  std::set<data::Index> touched{10 / pass.blockRows(), 5000 / pass.blockRows(), 15000 / pass.blockRows()};
  EXPECT_EQ(first, static_cast<std::int64_t>(touched.size()));
  pass.read(std::vector<data::Index>{15001, 19999}, got);
  EXPECT_EQ(pass.blocksRead(), first + (19999 / pass.blockRows() != 15000 / pass.blockRows() ? 1 : 0));
  EXPECT_EQ(got(0, 1), all.features(15001, 1));
  EXPECT_EQ(got(1, 2), all.features(19999, 2));
  EXPECT_THROW(file.read(std::vector<data::Index>{20000}, got), Error);
}

// Every training event sits in exactly one micro-batch slot, and the slot sizes add up batch by
// batch as the micro-batch split of each batch (k*b/M .. (k+1)*b/M).
TEST(RankShare, MicroBatchSlotsPartitionTheTrainingEvents) {
  for (const bool shuffle : {false, true}) {
    const auto slots = train::microBatchSlots(1000, 96, 4, 9, shuffle);
    ASSERT_EQ(slots.size(), 4u);
    std::vector<data::Index> all;
    for (const auto& s : slots) all.insert(all.end(), s.begin(), s.end());
    std::sort(all.begin(), all.end());
    std::vector<data::Index> expect(1000);
    std::iota(expect.begin(), expect.end(), 0);
    EXPECT_EQ(all, expect);
    // 10 full batches of 96 (24 per slot) and a last batch of 40 (10 per slot).
    for (const auto& s : slots) EXPECT_EQ(s.size(), 250u);
    if (!shuffle) {
      EXPECT_EQ(slots[1].front(), 24);
    }
  }
}

// For groups of 2 and 4, reading through the file (resources.data = "rows"): every rank fits the
// same preprocessing as one process holding the whole table, holds fewer than all events, holds
// together with the others every event, and the raw features of the events it holds are bitwise
// those of the whole table. Catches a rank that fits on its own share, or that maps events to the
// wrong rows of its partial table.
TEST(RankShare, RanksHoldTheirShareWithIdenticalInputs) {
  const std::string path = dataFile(20000);
  const data::Dataset all = io::readDataset(path);
  const std::vector<std::uint64_t> keys = data::foldKeys(all.ids, static_cast<std::size_t>(all.rows()));
  for (const auto scaler : {data::ScalerKind::Standard, data::ScalerKind::Pca}) {
    auto cfg = config();
    cfg.preprocess.scaler = scaler;
    cfg.data.features = {"c", "a"};
    const data::EventTable events = data::eventTable(all, keys);
    const train::PreparedData one = train::prepareData(cfg, events, train::splitRule(cfg), path, "x");
    for (const int g : {1, 2, 4}) {
      std::vector<int> holders(static_cast<std::size_t>(one.train.size()), 0);
      for (int r = 0; r < g; ++r) {
        const io::DatasetRows file(path);
        const train::PreparedData p =
            train::prepareData(cfg, data::eventTable(file.columns(), keys), file, train::splitRule(cfg), path, "x", {}, {g, r});
        EXPECT_TRUE((p.preprocess.mean.array() == one.preprocess.mean.array()).all());
        EXPECT_TRUE((p.preprocess.scale.array() == one.preprocess.scale.array()).all());
        ASSERT_EQ(p.train.rows, one.train.rows);
        ASSERT_EQ(p.test.rows, one.test.rows);
        EXPECT_TRUE((p.train.weights.array() == one.train.weights.array()).all());
        if (g > 1) {
          EXPECT_LT(p.source.rows, all.rows()) << "G=" << g;
        }
        for (const train::SplitData* s : {&p.train, &p.val, &p.test}) {
          const train::SplitData& ref = s == &p.train ? one.train : s == &p.val ? one.val : one.test;
          for (Eigen::Index e = 0; e < s->size(); ++e) {
            const data::Index at = s->tableRowOf(e);
            if (at < 0) continue;
            for (std::size_t j = 0; j < p.source.columns.size(); ++j)
              ASSERT_EQ(p.source.row(at)[p.source.columns[j]], one.source.row(ref.tableRowOf(e))[one.source.columns[j]])
                  << "G=" << g << " rank " << r << " event " << e;
            if (s == &p.train) ++holders[static_cast<std::size_t>(e)];
          }
        }
      }
      EXPECT_EQ(std::count(holders.begin(), holders.end(), 0), 0) << "a training event no rank holds, G=" << g;
    }
  }
}

// A campaign's items share their fold's preprocessing fit (train::PreprocessFits): an item finds
// the fit of an earlier item with the same fit rows, columns and preprocess.* keys, and computes
// its own whenever one of them differs. Each fit equals the one computed without the store, bit for
// bit. Catches a key that ignores the fold (fold 1 would get fold 0's scaler), the columns or the
// scaler, and a store that returns a fit for the wrong rows.
TEST(PreprocessFits, ItemsOfAFoldShareTheirFitAndOthersFitTheirOwn) {
  const std::string path = dataFile(20000);
  const data::Dataset all = io::readDataset(path);
  const std::vector<std::uint64_t> keys = data::foldKeys(all.ids, static_cast<std::size_t>(all.rows()));
  const data::EventTable events = data::eventTable(all, keys);
  train::PreprocessFits fits;
  const auto check = [&](const train::RunConfig& cfg, int fold, std::size_t fittedAfter) -> data::PreprocessParams {
    const data::SplitRule rule = train::splitRule(cfg, 3, fold);
    const train::PreparedData alone = train::prepareData(cfg, events, rule, path, "x");
    const train::PreparedData shared = train::prepareData(cfg, events, rule, path, "x", {}, &fits);
    EXPECT_EQ(fits.fitted(), fittedAfter) << "fold " << fold;
    EXPECT_EQ(shared.preprocess.mean.size(), alone.preprocess.mean.size());
    EXPECT_EQ(shared.preprocess.scale.size(), alone.preprocess.scale.size());
    if (shared.preprocess.mean.size() != alone.preprocess.mean.size() ||
        shared.preprocess.scale.size() != alone.preprocess.scale.size())
      return shared.preprocess;
    EXPECT_TRUE((shared.preprocess.mean.array() == alone.preprocess.mean.array()).all()) << "fold " << fold;
    EXPECT_TRUE((shared.preprocess.scale.array() == alone.preprocess.scale.array()).all()) << "fold " << fold;
    EXPECT_EQ(shared.preprocess.outputNames, alone.preprocess.outputNames);
    return shared.preprocess;
  };
  auto cfg = config();
  const data::PreprocessParams f0 = check(cfg, 0, 1);
  const data::PreprocessParams f1 = check(cfg, 1, 2);
  EXPECT_FALSE((f0.mean.array() == f1.mean.array()).all()) << "two folds' fits should differ";
  cfg.train.optimizer.learningRate = 0.01f;  // another point of the search: same fit rows
  check(cfg, 0, 2);
  check(cfg, 1, 2);
  cfg.data.features = {"c", "a"};
  check(cfg, 0, 3);
  cfg.preprocess.scaler = data::ScalerKind::Pca;
  check(cfg, 0, 4);
  cfg.data.balance = data::BalanceMode::Downsample;
  check(cfg, 0, 5);
  cfg.preprocess.fitOn = data::FitOn::All;  // every row: one fit for all folds
  check(cfg, 0, 6);
  check(cfg, 2, 6);
}
