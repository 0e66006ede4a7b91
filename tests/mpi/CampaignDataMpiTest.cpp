// A campaign's data under mpiexec: with resources.data = "node" the ranks of a node share one
// copy, and every rank reads from it exactly what one process reads from the file (features,
// labels, weights, fold keys); "rows" reads the same events through the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "CampaignData.hpp"
#include "MpiTesting.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"

namespace hepsweep::campaign {
namespace {

using dist::mpitest::world;
namespace fs = std::filesystem;

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
      for (int i = 0; i < 20000; ++i)
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

TEST(CampaignDataMpi, SharedCopyEqualsOneProcessRead) {
  const std::string path = sharedDataFile();
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

}  // namespace
}  // namespace hepsweep::campaign
