// The feature table is read in whole chunks, in file order: each chunk is decompressed at most
// once per pass, whatever rows are asked for (the cost of a campaign item at realistic data sizes
// was HDF5 decompressing the same chunk again for every scattered hyperslab). Decompressions are
// counted through zlib's inflateInit_, which HDF5 calls once per chunk, and libdeflate's
// decompressor for the chunks decoded outside HDF5 (CountingInflate.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <numeric>
#include <set>
#include <vector>

#include "CountingInflate.hpp"
#include "IoTestUtil.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"

using namespace hepsweep;

namespace {

constexpr int kRows = 50000;

// A converted file of kRows events x 5 features (the default shuffle + deflate output).
std::string makeFile(const iotest::TempDir& d) {
  const std::string csv = d / "events.csv";
  {
    std::ofstream out(csv);
    out << "a,b,c,d,e,label\n";
    rng::CounterRng r(17);
    for (int i = 0; i < kRows; ++i) {
      for (int j = 0; j < 5; ++j) out << r.normal() + j << ",";
      out << (i % 2) << "\n";
    }
  }
  io::ConvertOptions o;
  o.labelledFiles = {csv};
  o.labelColumn = "label";
  o.output = d / "events.h5";
  io::convert(o);
  return o.output;
}

struct CountedFile : ::testing::Test {
  iotest::TempDir dir;
  std::string path;
  void SetUp() override { path = makeFile(dir); }
};

}  // namespace

// The whole table: every chunk exactly once (decoded outside HDF5: libdeflate's count; HDF5
// decompresses nothing), and the values of HDF5's read, to the bit.
TEST_F(CountedFile, WholeTableDecompressesEachChunkOnce) {
  const data::Dataset all = io::readDataset(path);
  const io::DatasetRows file(path);  // for the chunk size
  const long chunks = (kRows + file.blockRows() - 1) / file.blockRows();
  ASSERT_GT(chunks, 4) << "the test needs a table of several chunks";
  std::vector<float> table(static_cast<std::size_t>(kRows) * 5);
  ASSERT_GT(iotest::inflateCount(), 0) << "the counter sees no decompression: HDF5 no longer calls inflateInit_";
  const long before = iotest::inflateCount() + iotest::deflateDecodeCount();
  io::readFeatureTable(path, table);
  EXPECT_EQ(iotest::inflateCount() + iotest::deflateDecodeCount() - before, chunks);
  for (int i = 0; i < kRows; ++i)
    for (int j = 0; j < 5; ++j)
      ASSERT_EQ(std::memcmp(&table[static_cast<std::size_t>(i * 5 + j)], &all.features(i, j), sizeof(float)), 0) << i;
}

// The shares of 1 to 5 parts (as the ranks of a node fill its copy): consecutive whole chunks,
// together every row once, each chunk decoded once, rows outside a share untouched, and the same
// values as the whole read.
TEST_F(CountedFile, SharesCoverTheTableOnceAndTouchNothingElse) {
  const io::DatasetRows file(path);
  const long chunkRows = file.blockRows(), chunks = (kRows + chunkRows - 1) / chunkRows;
  std::vector<float> whole(static_cast<std::size_t>(kRows) * 5);
  io::readFeatureTable(path, whole);
  const float untouched = -12345.5f;
  for (int parts = 1; parts <= 5; ++parts) {
    std::vector<float> table(whole.size(), untouched);
    std::int64_t next = 0;
    for (int part = 0; part < parts; ++part) {
      std::vector<float> alone(whole.size(), untouched);
      const long before = iotest::inflateCount() + iotest::deflateDecodeCount();
      const io::FeatureShare s = io::readFeatureTableShare(path, alone, part, parts);
      const long decoded = iotest::inflateCount() + iotest::deflateDecodeCount() - before;
      EXPECT_EQ(s.first, next) << part << " of " << parts;
      EXPECT_EQ(s.first % chunkRows, 0);
      EXPECT_TRUE(s.end == kRows || s.end % chunkRows == 0);
      EXPECT_EQ(decoded, (s.end - s.first + chunkRows - 1) / chunkRows);
      EXPECT_LE(decoded, chunks / parts + 1);
      next = s.end;
      for (std::size_t i = 0; i < alone.size(); ++i) {
        const auto row = static_cast<std::int64_t>(i / 5);
        if (row < s.first || row >= s.end) ASSERT_EQ(alone[i], untouched) << "row " << row << " part " << part;
        else table[i] = alone[i];
      }
    }
    EXPECT_EQ(next, kRows) << parts << " parts";
    EXPECT_EQ(std::memcmp(table.data(), whole.data(), whole.size() * sizeof(float)), 0) << parts << " parts";
  }
}

// Scattered rows in any order in one read: each chunk holding some of them once, no other.
TEST_F(CountedFile, ScatteredRowsDecompressEachTouchedChunkOnce) {
  const io::DatasetRows file(path);
  std::vector<data::Index> rows;
  rng::CounterRng r(5);
  for (int i = 0; i < 20000; ++i) rows.push_back(static_cast<data::Index>(r.next() % (kRows / 2)) * 2);
  std::set<data::Index> touched;
  for (const auto row : rows) touched.insert(row / file.blockRows());
  data::FeatureMatrix out;
  const long before = iotest::inflateCount();
  file.read(rows, out);
  EXPECT_EQ(iotest::inflateCount() - before, static_cast<long>(touched.size()));
}

// A pass as the preprocessing fit makes it: ascending rows in successive reads of 4096 rows that
// straddle chunk boundaries. The chunk shared by two reads is not decompressed again.
TEST_F(CountedFile, AscendingBlocksOfAPassShareTheirBoundaryChunk) {
  const io::DatasetRows file(path);
  std::vector<data::Index> fitRows;
  for (data::Index i = 0; i < kRows; i += 3) fitRows.push_back(i);
  data::FeatureMatrix out;
  const long before = iotest::inflateCount();
  for (std::size_t start = 0; start < fitRows.size(); start += 4096)
    file.read(std::span<const data::Index>(fitRows).subspan(start, std::min<std::size_t>(4096, fitRows.size() - start)), out);
  const long chunks = (kRows + file.blockRows() - 1) / file.blockRows();
  EXPECT_EQ(iotest::inflateCount() - before, chunks);
  EXPECT_EQ(file.blocksRead(), chunks);
}
