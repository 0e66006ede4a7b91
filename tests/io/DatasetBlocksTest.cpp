// io::DatasetBlocks, the front-to-back block reader of `apply`: it decodes the chunks itself
// (h5::ChunkReader + h5::ChunkDecoder, libdeflate) instead of HDF5's zlib filter, possibly on
// several threads. Checked against HDF5's own reading of the same files, whatever the block size
// and thread count, for convert's compressed and uncompressed outputs and for layouts it must
// leave to HDF5; HDF5's inflate is counted (CountingInflate.hpp) to show who decoded.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "CountingInflate.hpp"
#include "IoTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"

using namespace hepsweep;

namespace {

constexpr int kRows = 20000;

// kRows events x 3 features with ids and weights, converted at `level` (0: no filters).
std::string convertFile(const iotest::TempDir& d, int level) {
  const std::string csv = d / "events.csv";
  {
    std::ofstream out(csv);
    out << "event,a,b,c,w,label\n";
    rng::CounterRng r(23);
    for (int i = 0; i < kRows; ++i)
      out << 7 * i + 3 << "," << r.normal() << "," << r.normal() * 1e4 << "," << (r.uniform() < 0.1 ? 0.0 : r.normal())
          << "," << 0.5 + r.uniform() << "," << (r.uniform() < 0.4) << "\n";
  }
  io::ConvertOptions o;
  o.labelledFiles = {csv};
  o.labelColumn = "label";
  o.idColumn = "event";
  o.weightColumn = "w";
  o.compressionLevel = level;
  o.output = d / ("events-" + std::to_string(level) + ".h5");
  io::convert(o);
  return o.output;
}

// Reads the whole file in blocks of `block` rows and compares every value with readDataset's
// (HDF5's own reading) bit for bit.
void expectSameAsHdf5(const std::string& path, std::int64_t block, int threads) {
  const data::Dataset want = io::readDataset(path);
  io::DatasetBlocks file(path, threads);
  const std::int64_t rows = file.info().rows;
  const auto width = static_cast<std::size_t>(want.cols());
  ASSERT_EQ(file.info().featureNames.size(), width);
  int differing = 0;
  for (std::int64_t first = 0; first < rows; first += block) {
    const std::int64_t n = std::min(block, rows - first);
    const io::DatasetBlocks::Block b = file.read(first, n);
    ASSERT_EQ(b.first, first);
    ASSERT_EQ(b.rows, n);
    for (std::int64_t i = 0; i < n; ++i) {
      const auto r = static_cast<Eigen::Index>(first + i);
      differing += std::memcmp(b.features + i * static_cast<std::int64_t>(width), want.features.row(r).data(),
                               width * sizeof(float)) != 0;
      differing += b.labels[i] != static_cast<std::int8_t>(want.labels[r]);
      differing += std::memcmp(&b.weights[i], &want.weights[r], sizeof(float)) != 0;
      if (want.hasIds()) differing += b.ids[i] != want.ids[static_cast<std::size_t>(r)];
    }
  }
  EXPECT_EQ(differing, 0) << path << ", blocks of " << block << " rows, " << threads << " threads";
}

}  // namespace

// Compressed (shuffle + deflate) and uncompressed files, blocks aligned and not aligned with the
// chunks (4096 rows), smaller and larger than a chunk, one and three threads.
TEST(DatasetBlocks, ReadsWhatHdf5ReadsForAnyBlockAndThreadCount) {
  const iotest::TempDir d;
  for (const int level : {4, 0}) {
    const std::string path = convertFile(d, level);
    for (const std::int64_t block : {std::int64_t{1024}, std::int64_t{3000}, std::int64_t{16384}, std::int64_t{kRows}})
      for (const int threads : {1, 3}) expectSameAsHdf5(path, block, threads);
  }
}

// The chunks of a compressed file are inflated by the decoder, not by HDF5's zlib filter (whose
// inflateInit_ calls are counted): one HDF5 inflate would mean a dataset fell back to HDF5.
TEST(DatasetBlocks, DecodesCompressedChunksItself) {
  const iotest::TempDir d;
  const std::string path = convertFile(d, 4);
  io::DatasetBlocks file(path, 2);
  const long before = iotest::inflateCount();
  for (std::int64_t first = 0; first < kRows; first += 8192) file.read(first, std::min<std::int64_t>(8192, kRows - first));
  EXPECT_EQ(iotest::inflateCount() - before, 0);
}

// Layouts the decoder does not handle are read through HDF5 with the same result: a contiguous
// feature table, labels stored as 32-bit integers, weights with a checksum filter.
TEST(DatasetBlocks, LeavesOtherLayoutsToHdf5) {
  const iotest::TempDir d;
  const std::string path = d / "other.h5";
  const std::size_t rows = 5000;
  std::vector<float> features(rows * 2), weights(rows);
  std::vector<std::int32_t> labels(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    features[2 * i] = static_cast<float>(i) * 0.5f;
    features[2 * i + 1] = -static_cast<float>(i);
    labels[i] = static_cast<std::int32_t>(i % 2);
    weights[i] = 1.0f + static_cast<float>(i % 7);
  }
  io::h5::writeAtomically(path, [&](io::h5::File& f) {
    f.setAttr("format", std::string(io::kDatasetFormat));
    f.setAttr("format_version", io::kDatasetFormatVersion);
    f.write2d<float>("features", features.data(), rows, 2, /*compress=*/false);
    f.write<std::int32_t>("labels", labels);
    f.writeStrings("feature_names", std::vector<std::string>{"x", "y"});
    const hsize_t dims[1] = {rows}, chunk[1] = {1000};
    const io::h5::Handle space(H5Screate_simple(1, dims, nullptr));
    const io::h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_chunk(dcpl.id(), 1, chunk);
    H5Pset_fletcher32(dcpl.id());
    const io::h5::Handle ds(H5Dcreate2(f.id(), "weights", H5T_IEEE_F32LE, space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT));
    ASSERT_GE(H5Dwrite(ds.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, weights.data()), 0);
  });
  for (const int threads : {1, 2}) expectSameAsHdf5(path, 1536, threads);
}

// A label other than 0 or 1 is an input error naming the file and the row.
TEST(DatasetBlocks, LabelOutsideZeroOneIsAnInputError) {
  const iotest::TempDir d;
  const std::string path = convertFile(d, 0);
  {
    const io::h5::File f = io::h5::File::open(path, io::h5::File::Mode::ReadWrite);
    const io::h5::Handle ds(H5Dopen2(f.id(), "labels", H5P_DEFAULT));
    const hsize_t start[1] = {12345}, count[1] = {1};
    const io::h5::Handle space(H5Dget_space(ds.id()));
    H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    const io::h5::Handle mem(H5Screate_simple(1, count, nullptr));
    const std::int8_t two = 2;
    ASSERT_GE(H5Dwrite(ds.id(), H5T_NATIVE_INT8, mem.id(), space.id(), H5P_DEFAULT, &two), 0);
  }
  io::DatasetBlocks file(path);
  EXPECT_NO_THROW(file.read(0, 12000));
  try {
    file.read(12000, 1000);
    FAIL() << "label 2 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("labels[12345] is 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

// Stored bytes that do not inflate to the chunk's size (corrupt, truncated, too long) are an I/O
// error naming the dataset, never garbage values or a crash.
TEST(DatasetBlocks, DamagedChunkIsAnIoErrorNamingTheDataset) {
  io::h5::ChunkDecoder decoder;
  std::vector<std::byte> out(4096 * 4);
  std::vector<std::byte> garbage(3000);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<std::byte>((i * 131 + 7) % 251);
  // A valid zlib stream of the right size, then cut short and given a wrong target size.
  std::vector<unsigned char> plain(out.size());
  std::iota(plain.begin(), plain.end(), static_cast<unsigned char>(0));
  uLongf packedSize = compressBound(static_cast<uLong>(plain.size()));
  std::vector<unsigned char> packed(packedSize);
  ASSERT_EQ(compress2(packed.data(), &packedSize, plain.data(), static_cast<uLong>(plain.size()), 4), Z_OK);
  const auto* p = reinterpret_cast<const std::byte*>(packed.data());
  decoder.decode({p, packedSize}, true, true, 4, out, "f.h5:/features");  // intact: fine
  std::vector<std::byte> shorter(out.size() - 4);
  const std::vector<std::pair<std::span<const std::byte>, std::span<std::byte>>> bad{
      {garbage, out}, {{p, packedSize / 2}, out}, {{p, packedSize}, shorter}};
  for (const auto& [stored, into] : bad) {
    try {
      decoder.decode(stored, true, true, 4, into, "f.h5:/features");
      FAIL() << "damaged chunk accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Io);
      EXPECT_NE(std::string(e.what()).find("f.h5:/features"), std::string::npos) << e.what();
    }
  }
}
