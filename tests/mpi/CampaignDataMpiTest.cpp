// A campaign's data under mpiexec: with resources.data = "node" the ranks of a node share one
// copy, which they fill together (each rank decodes a share of the feature table's chunks), and
// every rank reads from it exactly what one process reads from the file (features, labels,
// weights, fold keys); "rows" reads the same events through the file. A chunk that a rank other
// than the first fails to decode is an error on every rank, not a hang. Rank 0's own work during the
// read (the run directory's claim) runs once and leaves the copy exact.
#include <gtest/gtest.h>
#include <unistd.h>
#include <hdf5.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "CampaignData.hpp"
#include "MpiTesting.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::campaign {
namespace {

using dist::mpitest::world;
namespace fs = std::filesystem;

// 6 whole chunks of 4096 rows and a partial one: 7 chunks, not a multiple of 2 or 4 ranks, so the
// ranks' shares differ in size and the last one ends inside a chunk.
constexpr int kRows = 6 * 4096 + 1234;

// Rank 0 converts a small file with ids; every rank gets its path.
std::string sharedDataFile() {
  dist::Communicator& comm = world();
  std::string path;
  if (comm.rank() == 0) {
    const fs::path dir = fs::temp_directory_path() / ("hepsweep-campaign-data-mpi-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
      std::ofstream out(dir / "events.csv");
      out << "id,a,b,c,label\n";
      rng::CounterRng r(31);
      for (int i = 0; i < kRows; ++i)
        out << 70000 + 3 * i << "," << r.normal() << "," << r.normal() + 5 << "," << r.normal() * 2 << "," << (i % 2)
            << "\n";
    }
    io::ConvertOptions o;
    o.labelledFiles = {(dir / "events.csv").string()};
    o.labelColumn = "label";
    o.idColumn = "id";
    o.output = (dir / "events.h5").string();
    io::convert(o);
    path = o.output;
  }
  comm.broadcast(path, 0);
  return path;
}

// Chunks of /features in the file.
std::size_t featureChunks(const std::string& path) {
  const auto f = io::h5::File::open(path);
  const io::h5::BlockReader<float> table(f, "features");
  return (table.rows() + table.chunkRows() - 1) / table.chunkRows();
}

TEST(CampaignDataMpi, SharedCopyEqualsOneProcessRead) {
  const std::string path = sharedDataFile();
  if (world().size() > 1) {
    ASSERT_NE(featureChunks(path) % static_cast<std::size_t>(world().size()), 0u) << "chunks split evenly";
  }
  const data::Dataset ref = io::readDataset(path);
  for (const DataPlacement placement : {DataPlacement::Node, DataPlacement::Rows}) {
    const CampaignData d(path, placement, world(), Logger{});
    const data::EventTable& e = d.events();
    ASSERT_EQ(e.rows(), ref.rows());
    ASSERT_EQ(e.header->featureNames, ref.featureNames);
    EXPECT_TRUE(e.keysAreIds);
    EXPECT_EQ(d.inMemory(), placement == DataPlacement::Node);
    if (placement == DataPlacement::Node) {
      EXPECT_GT(d.sharedBytes(), 0u);
    }
    for (data::Index i = 0; i < ref.rows(); ++i) {
      ASSERT_EQ(e.labels[static_cast<std::size_t>(i)], ref.labels[i]) << i;
      ASSERT_EQ(e.weights[static_cast<std::size_t>(i)], ref.weights[i]) << i;
      ASSERT_EQ(e.keys[static_cast<std::size_t>(i)], static_cast<std::uint64_t>(ref.ids[static_cast<std::size_t>(i)])) << i;
      if (e.features) {
        for (data::Index j = 0; j < ref.cols(); ++j) ASSERT_EQ(e.features[i * ref.cols() + j], ref.features(i, j)) << i;
      }
    }
  }
  world().barrier();
  if (world().rank() == 0) fs::remove_all(fs::path(path).parent_path());
}

// The node's copy, filled by all its ranks, holds the bytes one process loads alone (a
// LocalCommunicator: the single-rank path), features, fold keys, labels and weights, to the bit.
TEST(CampaignDataMpi, CopyFilledByEveryRankIsBitwiseTheSingleRankLoad) {
  const std::string path = sharedDataFile();
  dist::LocalCommunicator self;
  const CampaignData alone(path, DataPlacement::Node, self, Logger{});
  const CampaignData node(path, DataPlacement::Node, world(), Logger{});
  const data::EventTable &a = alone.events(), &b = node.events();
  ASSERT_EQ(a.rows(), kRows);
  ASSERT_EQ(b.rows(), kRows);
  ASSERT_EQ(node.sharedBytes(), alone.sharedBytes());
  const auto rows = static_cast<std::size_t>(kRows), cols = a.header->featureNames.size();
  EXPECT_EQ(std::memcmp(a.features, b.features, rows * cols * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(a.keys.data(), b.keys.data(), rows * sizeof(std::uint64_t)), 0);
  EXPECT_EQ(std::memcmp(a.labels.data(), b.labels.data(), rows * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(a.weights.data(), b.weights.data(), rows * sizeof(float)), 0);
  // And HDF5's own read of the table, row by row (the first and last rows of every chunk included).
  const data::Dataset ref = io::readDataset(path);
  for (data::Index i = 0; i < ref.rows(); ++i)
    for (data::Index j = 0; j < ref.cols(); ++j)
      ASSERT_EQ(std::memcmp(&b.features[i * ref.cols() + j], &ref.features(i, j), sizeof(float)), 0) << i << " " << j;
  world().barrier();
  if (world().rank() == 0) fs::remove_all(fs::path(path).parent_path());
}

// Work that world rank 0 does during the read (the campaign's run-directory claim) runs once on
// every rank, in both placements, and a late rank 0 (its work takes a while, so the other ranks
// take the parts it would have decoded) still leaves the node's copy bitwise the one-process load.
TEST(CampaignDataMpi, WorkDuringTheReadRunsOnceAndALateRankZeroLeavesTheCopyExact) {
  const std::string path = sharedDataFile();
  dist::LocalCommunicator self;
  const CampaignData alone(path, DataPlacement::Node, self, Logger{});
  for (const DataPlacement placement : {DataPlacement::Node, DataPlacement::Rows}) {
    int calls = 0;
    const auto meanwhile = [&] {
      ++calls;
      if (world().rank() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    };
    const CampaignData d(path, placement, world(), Logger{}, meanwhile);
    EXPECT_EQ(calls, 1) << "rank " << world().rank();
    ASSERT_EQ(d.events().rows(), kRows);
    const auto rows = static_cast<std::size_t>(kRows);
    EXPECT_EQ(std::memcmp(alone.events().labels.data(), d.events().labels.data(), rows * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(alone.events().keys.data(), d.events().keys.data(), rows * sizeof(std::uint64_t)), 0);
    if (placement == DataPlacement::Node) {
      const std::size_t cols = alone.events().header->featureNames.size();
      EXPECT_EQ(std::memcmp(alone.events().features, d.events().features, rows * cols * sizeof(float)), 0);
    }
  }
  world().barrier();
  if (world().rank() == 0) fs::remove_all(fs::path(path).parent_path());
}

// The last chunk of /features is damaged: whichever rank of the node takes the part holding it
// (the ranks take parts as they come free) fails. Every rank gets the same Error(Io), naming the
// file, the chunk and the rank that read it, and the job goes on (a hang would fail through
// ctest's timeout).
TEST(CampaignDataMpi, ADamagedChunkOnAnotherRankIsAnErrorOnEveryRank) {
  const std::string path = sharedDataFile();
  const std::size_t chunks = featureChunks(path);
  if (world().rank() == 0) {
    // Overwrite the middle of the last chunk's stored (deflated) bytes.
    haddr_t address = 0;
    hsize_t size = 0;
    {
      const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
      const hid_t set = H5Dopen2(file, "features", H5P_DEFAULT);
      const hsize_t offset[2] = {(chunks - 1) * 4096, 0};
      unsigned mask = 0;
      ASSERT_GE(H5Dget_chunk_info_by_coord(set, offset, &mask, &address, &size), 0);
      H5Dclose(set);
      H5Fclose(file);
    }
    ASSERT_GT(size, 64u);
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(address + size / 2));
    const std::string garbage(32, '\xa5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    ASSERT_TRUE(f.good());
  }
  world().barrier();
  try {
    const CampaignData d(path, DataPlacement::Node, world(), Logger{});
    ADD_FAILURE() << "a damaged chunk was accepted on rank " << world().rank();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.category(), ErrorCategory::Io) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("damaged"), std::string::npos) << msg;
    EXPECT_NE(msg.find("chunk " + std::to_string(chunks - 1)), std::string::npos) << msg;
    if (world().size() > 1) {
      EXPECT_NE(msg.find(" of " + std::to_string(world().size()) + " on its node]"), std::string::npos) << msg;
      // The same message on every rank: the reader's, broadcast.
      std::int64_t length[2] = {static_cast<std::int64_t>(msg.size()), -static_cast<std::int64_t>(msg.size())};
      world().allreduce(std::span<std::int64_t>(length, 2), dist::ReduceOp::Max);
      EXPECT_EQ(length[0], -length[1]) << msg;
    }
  }
  // Still in step: a collective after the failure completes on every rank.
  world().barrier();
  if (world().rank() == 0) fs::remove_all(fs::path(path).parent_path());
}

}  // namespace
}  // namespace hepsweep::campaign
