// The HDF5 wrapper: round trips, hyperslab reads, streaming appends, atomic writes and errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/Hdf5.hpp"

using namespace hepsweep;
namespace h5 = hepsweep::io::h5;
namespace fs = std::filesystem;

namespace {
std::string tempPath(const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / "hepsweep_hdf5_test";
  fs::create_directories(dir);
  return (dir / name).string();
}
std::vector<char> bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
}  // namespace

// Every element type, strings, scalars and attributes come back exactly as written.
TEST(Hdf5, RoundTripOfDatasetsAndAttributes) {
  const std::string path = tempPath("roundtrip.h5");
  std::vector<float> f(3000);
  std::iota(f.begin(), f.end(), -1.5f);
  const std::vector<std::int64_t> big{std::int64_t{1} << 53 | 1, -7};
  const std::vector<std::string> names{"lepton_pT", "Decay Z (cm)", "ünïcode"};
  h5::writeAtomically(path, [&](h5::File& file) {
    file.write<float>("a/b/f", f);  // intermediate groups are created
    file.write<std::int64_t>("ids", big);
    file.writeStrings("names", names);
    file.writeScalar("auc", 0.875);
    file.writeScalar("epochs", std::int64_t{12});
    file.setAttr("config", std::string("seed = 42\n"));
    file.setAttr("seed", std::int64_t{42});
    file.setAttr("unit", std::string("GeV"), "a/b/f");
  });
  const h5::File file = h5::File::open(path);
  EXPECT_EQ(file.read<float>("a/b/f"), f);
  EXPECT_EQ(file.read<std::int64_t>("ids"), big);
  EXPECT_EQ(file.readStrings("names"), names);
  EXPECT_EQ(file.readScalarDouble("auc"), 0.875);
  EXPECT_EQ(file.readScalarInt("epochs"), 12);
  EXPECT_EQ(file.attrString("config"), "seed = 42\n");
  EXPECT_EQ(file.attrInt("seed"), 42);
  EXPECT_EQ(file.attrString("unit", "a/b/f"), "GeV");
  EXPECT_TRUE(file.exists("a/b"));
  EXPECT_FALSE(file.exists("a/x/y"));
  EXPECT_FALSE(file.hasAttr("nope"));
}

// 2-D row-major layout and hyperslab row reads: the reads an MPI rank does for its share.
TEST(Hdf5, TwoDimensionalAndRowRanges) {
  const std::string path = tempPath("rows.h5");
  const std::size_t rows = 5000, cols = 3;
  std::vector<double> m(rows * cols);
  std::iota(m.begin(), m.end(), 0.0);
  h5::writeAtomically(path, [&](h5::File& file) { file.write2d<double>("m", m.data(), rows, cols); });
  const h5::File file = h5::File::open(path);
  std::size_t r = 0, c = 0;
  EXPECT_EQ(file.read2d<double>("m", r, c), m);
  EXPECT_EQ(r, rows);
  EXPECT_EQ(c, cols);
  const auto part = file.readRows<double>("m", 100, 2);
  EXPECT_EQ(part, (std::vector<double>{300, 301, 302, 303, 304, 305}));
  EXPECT_THROW(file.readRows<double>("m", 4999, 2), Error);
}

// Streaming appends in pieces give the same dataset as one write.
TEST(Hdf5, RowAppenderStreamsInPieces) {
  const std::string path = tempPath("append.h5");
  std::vector<float> all(10007 * 4);
  std::iota(all.begin(), all.end(), 0.0f);
  h5::writeAtomically(path, [&](h5::File& file) {
    h5::RowAppender<float> app(file, "x", 4, 1000);
    std::size_t done = 0;
    for (std::size_t step : {1u, 999u, 5000u, 4007u}) {
      app.append(all.data() + done * 4, step);
      done += step;
    }
    EXPECT_EQ(app.rows(), 10007u);
    h5::RowAppender<std::int8_t> labels(file, "y", 0);
    const std::vector<std::int8_t> y{0, 1, 1};
    labels.append(y.data(), y.size());
  });
  const h5::File file = h5::File::open(path);
  EXPECT_EQ(file.read<float>("x"), all);
  EXPECT_EQ(file.shape("x"), (std::vector<std::size_t>{10007, 4}));
  EXPECT_EQ(file.read<std::int8_t>("y"), (std::vector<std::int8_t>{0, 1, 1}));
}

// A failure while filling leaves neither the final file nor the temporary one behind, and an
// existing file of that name is untouched: a half-written output never looks complete.
TEST(Hdf5, FailedWriteLeavesNoOutput) {
  const std::string path = tempPath("failed.h5");
  fs::remove(path);
  EXPECT_THROW(h5::writeAtomically(path, [&](h5::File& file) {
                 file.writeScalar("x", 1.0);
                 throw Error(ErrorCategory::Input, "bad row");
               }),
               Error);
  EXPECT_FALSE(fs::exists(path));
  // Nothing else in the directory starts with the file's name: no temporary left behind.
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_NE(e.path().filename().string().rfind(fs::path(path).filename().string() + ".tmp-", 0), 0u) << e.path();

  h5::writeAtomically(path, [&](h5::File& file) { file.writeScalar("x", 1.0); });
  EXPECT_THROW(h5::writeAtomically(path, [&](h5::File&) { throw Error(ErrorCategory::Input, "bad"); }), Error);
  EXPECT_EQ(h5::File::open(path).readScalarDouble("x"), 1.0);
}

// Identical content gives identical bytes (no object timestamps): the basis of the
// bitwise-reproducible result files.
TEST(Hdf5, IdenticalContentGivesIdenticalBytes) {
  const std::string a = tempPath("same_a.h5"), b = tempPath("same_b.h5");
  const auto fill = [](h5::File& file) {
    std::vector<float> v(5000, 0.25f);
    file.write<float>("g/v", v);
    file.writeStrings("s", std::vector<std::string>{"x", "y"});
    file.setAttr("k", std::string("v"));
  };
  h5::writeAtomically(a, fill);
  h5::writeAtomically(b, fill);
  EXPECT_EQ(bytes(a), bytes(b));
}

// Errors name the file and the object instead of dumping HDF5's stack.
TEST(Hdf5, ErrorsNameFileAndObject) {
  try {
    h5::File::open(tempPath("does_not_exist.h5"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(std::string(e.what()).find("does_not_exist.h5"), std::string::npos);
  }
  const std::string notH5 = tempPath("plain.txt");
  std::ofstream(notH5) << "a,b\n1,2\n";
  EXPECT_THROW(h5::File::open(notH5), Error);

  const std::string path = tempPath("errs.h5");
  h5::writeAtomically(path, [](h5::File& f) { f.writeScalar("x", 1.0); });
  const h5::File file = h5::File::open(path);
  try {
    file.read<float>("missing/thing");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("errs.h5:/missing/thing"), std::string::npos) << e.what();
  }
  EXPECT_THROW(h5::File::create("/nonexistent-dir/x.h5"), Error);
}
