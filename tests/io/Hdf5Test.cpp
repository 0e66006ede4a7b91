// The HDF5 wrapper: round trips, hyperslab reads, streaming appends, atomic writes and errors.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <type_traits>
#include <numeric>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/Columns.hpp"
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

// Chunks filtered outside HDF5 (ChunkCompressor) and written whole (ChunkWriter) read back, through
// HDF5's own unshuffle + inflate, as the values written: 2-D float, 1-D int8 and int64, at level 0
// (no filters), 1, 4 and 9, with a short last chunk. A wrong shuffle order, a wrong element size or
// a missing zero pad would give other values (or an HDF5 read error).
TEST(Hdf5, ChunkWriterWritesWhatHdf5Reads) {
  const std::size_t chunkRows = 100, rows = 1037;  // 10 whole chunks and one of 37 rows
  std::vector<float> x(rows * 3);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::ldexp(static_cast<float>(i % 977) - 488.25f, static_cast<int>(i % 11) - 5);
  std::vector<std::int8_t> y(rows);
  std::vector<std::int64_t> id(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    y[i] = static_cast<std::int8_t>(i % 3 == 0);
    id[i] = (std::int64_t{1} << 53) + 1 - static_cast<std::int64_t>(i * i);
  }
  for (const int level : {0, 1, 4, 9}) {
    const std::string path = tempPath("chunks" + std::to_string(level) + ".h5");
    h5::writeAtomically(path, [&](h5::File& file) {
      h5::ChunkWriter<float> xw(file, "x", 3, chunkRows, level);
      h5::ChunkWriter<std::int8_t> yw(file, "y", 0, chunkRows, level);
      h5::ChunkWriter<std::int64_t> iw(file, "id", 0, chunkRows, level);
      h5::ChunkCompressor z(level);
      std::vector<std::byte> out;
      for (std::size_t r = 0; r < rows; r += chunkRows) {
        const std::size_t n = std::min(chunkRows, rows - r);
        z.compress(std::as_bytes(std::span(x.data() + r * 3, n * 3)), xw.chunkBytes(), sizeof(float), out);
        xw.write(out, n);
        z.compress(std::as_bytes(std::span(y.data() + r, n)), yw.chunkBytes(), 1, out);
        yw.write(out, n);
        z.compress(std::as_bytes(std::span(id.data() + r, n)), iw.chunkBytes(), 8, out);
        iw.write(out, n);
      }
      EXPECT_EQ(xw.rows(), rows);
    });
    const h5::File file = h5::File::open(path);
    EXPECT_EQ(file.shape("x"), (std::vector<std::size_t>{rows, 3})) << "level " << level;
    EXPECT_EQ(file.read<float>("x"), x) << "level " << level;
    EXPECT_EQ(file.read<std::int8_t>("y"), y) << "level " << level;
    EXPECT_EQ(file.read<std::int64_t>("id"), id) << "level " << level;
    EXPECT_EQ(file.readRows<float>("x", 1030, 7), std::vector<float>(x.begin() + 3090, x.end())) << "level " << level;
  }
}

// The filtered bytes depend only on the data and the level (not on the compressor instance or
// what it compressed before), and the short last chunk is padded with zeros: the ground for
// convert's output being identical whatever the number of threads.
TEST(Hdf5, ChunkCompressorIsDeterministicAndPadsWithZeros) {
  std::vector<float> v(4096 * 7);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i)) * 100.0f;
  const std::size_t chunk = v.size() * sizeof(float);
  const auto bytes = [&](std::size_t n) { return std::as_bytes(std::span(v.data(), n)); };
  h5::ChunkCompressor a(4), b(4);
  std::vector<std::byte> outA, outB, padded;
  b.compress(bytes(v.size() / 2), chunk, 4, outB);  // a different chunk first
  a.compress(bytes(v.size()), chunk, 4, outA);
  b.compress(bytes(v.size()), chunk, 4, outB);
  EXPECT_EQ(outA, outB);
  EXPECT_LT(outA.size(), chunk);

  std::vector<float> zeroTail(v.begin(), v.begin() + 1000);
  zeroTail.resize(v.size(), 0.0f);
  a.compress(bytes(1000), chunk, 4, outA);
  b.compress(std::as_bytes(std::span(zeroTail)), chunk, 4, padded);
  EXPECT_EQ(outA, padded);

  h5::ChunkCompressor none(0);
  none.compress(bytes(1000), chunk, 4, outA);
  ASSERT_EQ(outA.size(), chunk);
  EXPECT_EQ(std::memcmp(outA.data(), zeroTail.data(), chunk), 0);
  EXPECT_THROW(none.compress(bytes(v.size()), chunk - 4, 4, outA), Error);
  EXPECT_THROW(h5::ChunkCompressor(10), Error);
}

// skipNoise: random leading byte planes go as stored blocks before libdeflate's part, and a chunk
// equal to the previous one reuses its bytes. What HDF5 (zlib) and ChunkDecoder (libdeflate)
// inflate must be the values written, for: scores in (0, 1) (two random planes stored), random
// int64 (every plane stored: the last stored block is the final one), 4-wide random floats (a
// stored prefix of 98304 bytes: two stored blocks), a constant column (reused) and short last
// chunks. A wrong block header, length, final bit or Adler-32 fails the reads.
TEST(Hdf5, ChunkCompressorSkippingNoiseWritesWhatZlibAndLibdeflateRead) {
  const std::size_t chunkRows = 8192, rows = 3 * chunkRows + 1000;
  std::uint64_t state = 12345;
  const auto next = [&] {  // splitmix64: every bit of every output random
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  std::vector<float> score(rows), wide(rows * 4), ones(rows, 1.0f);
  std::vector<std::int64_t> noise(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    score[i] = static_cast<float>(next() >> 40) / 16777216.0f;
    noise[i] = static_cast<std::int64_t>(next());
    for (std::size_t j = 0; j < 4; ++j) {
      const auto bits = static_cast<std::uint32_t>(next() >> 32) & 0x3fffffffu;  // finite, no NaN
      std::memcpy(&wide[i * 4 + j], &bits, 4);
    }
  }
  const std::string path = tempPath("noise.h5");
  std::size_t plainScoreBytes = 0, noiseScoreBytes = 0, storedNoiseBytes = 0;
  h5::writeAtomically(path, [&](h5::File& file) {
    h5::ChunkWriter<float> sw(file, "score", 0, chunkRows, 1), ww(file, "wide", 4, chunkRows, 1), ow(file, "ones", 0, chunkRows, 1);
    h5::ChunkWriter<std::int64_t> nw(file, "noise", 0, chunkRows, 1);
    h5::ChunkCompressor z(1, true), plain(1);
    std::vector<std::byte> out, ref;
    for (std::size_t r = 0; r < rows; r += chunkRows) {
      const std::size_t n = std::min(chunkRows, rows - r);
      z.compress(std::as_bytes(std::span(score.data() + r, n)), sw.chunkBytes(), 4, out);
      plain.compress(std::as_bytes(std::span(score.data() + r, n)), sw.chunkBytes(), 4, ref);
      noiseScoreBytes += out.size();
      plainScoreBytes += ref.size();
      sw.write(out, n);
      z.compress(std::as_bytes(std::span(wide.data() + r * 4, n * 4)), ww.chunkBytes(), 4, out);
      ww.write(out, n);
      z.compress(std::as_bytes(std::span(ones.data() + r, n)), ow.chunkBytes(), 4, out);
      ow.write(out, n);
      z.compress(std::as_bytes(std::span(noise.data() + r, n)), nw.chunkBytes(), 8, out);
      if (n == chunkRows) storedNoiseBytes = out.size();
      nw.write(out, n);
    }
  });
  // Stored: 2 header bytes, one block (5 bytes + 65535) per 65535 bytes, the Adler-32.
  EXPECT_EQ(storedNoiseBytes, 2 + 65536 + 5 * 2 + 4);
  EXPECT_LT(noiseScoreBytes, plainScoreBytes * 102 / 100);  // the random planes held nothing to gain
  const h5::File file = h5::File::open(path);
  EXPECT_EQ(file.read<float>("score"), score);
  EXPECT_EQ(file.read<float>("wide"), wide);
  EXPECT_EQ(file.read<float>("ones"), ones);
  EXPECT_EQ(file.read<std::int64_t>("noise"), noise);
  h5::ChunkDecoder d;
  const auto viaLibdeflate = [&](const std::string& name, auto* out, std::size_t width) {
    using T = std::remove_pointer_t<decltype(out)>;
    h5::ChunkReader<T> reader(file, name);
    ASSERT_TRUE(reader.decodable()) << name;
    typename h5::ChunkReader<T>::Stored stored;
    std::vector<T> chunk(chunkRows * width);
    for (std::size_t c = 0; c < reader.chunks(); ++c) {
      reader.readStored(c, stored);
      reader.decode(stored, d, chunk.data());
      const std::size_t n = std::min(chunkRows, rows - c * chunkRows) * width;
      std::copy(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n), out + c * chunkRows * width);
    }
  };
  std::vector<float> s2(rows), w2(rows * 4);
  std::vector<std::int64_t> n2(rows);
  viaLibdeflate("score", s2.data(), 1);
  viaLibdeflate("wide", w2.data(), 4);
  viaLibdeflate("noise", n2.data(), 1);
  EXPECT_EQ(s2, score);
  EXPECT_EQ(w2, wide);
  EXPECT_EQ(n2, noise);
}

// Chunks go in row order and only the last may be short: a chunk after a short one is a bug in
// the caller and is refused instead of leaving a hole of unwritten rows.
TEST(Hdf5, ChunkWriterRefusesAChunkAfterAShortOne) {
  const std::string path = tempPath("short.h5");
  EXPECT_THROW(h5::writeAtomically(path, [&](h5::File& file) {
                 h5::ChunkWriter<float> w(file, "x", 0, 10, 1);
                 h5::ChunkCompressor z(1);
                 std::vector<float> v(10, 1.0f);
                 std::vector<std::byte> out;
                 z.compress(std::as_bytes(std::span(v.data(), 5)), w.chunkBytes(), 4, out);
                 w.write(out, 5);
                 w.write(out, 5);
               }),
               Error);
  EXPECT_FALSE(fs::exists(path));
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

namespace {
// Limits the size of files this process writes (RLIMIT_FSIZE, with SIGXFSZ ignored so that an
// oversized write fails with EFBIG instead of killing the process), until destroyed.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    oldHandler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim = saved_;
    lim.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, oldHandler_);
  }

 private:
  rlimit saved_{};
  void (*oldHandler_)(int) = nullptr;
};
}  // namespace

// A write that fails (here: beyond the file size limit, as a full disk or a quota would) is an
// Error(Io) naming the file and the reason, the temporary file is removed, and HDF5 is left able
// to go on: further files are written, and the process exits normally (HDF5 1.10 alone left the
// failed file half-closed and crashed in its exit handler, which would fail this test binary).
// Both the writes of the first chunks and the writes at close are covered.
TEST(Hdf5, WriteFailureIsACleanErrorAndHdf5GoesOn) {
  const std::string path = tempPath("limited.h5");
  fs::remove(path);
  std::vector<float> v(4096 * 16);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i));  // incompressible enough
  // Direct chunk writes fail at once; RowAppender's chunks wait in HDF5's chunk cache and fail
  // when the dataset is closed, which only the file's close reports.
  for (const bool direct : {true, false}) {
    std::string message;
    {
      FileSizeLimit limit(128 * 1024);
      try {
        h5::writeAtomically(path, [&](h5::File& file) {
          if (direct) {
            h5::ChunkWriter<float> w(file, "x", 16, 4096, 0);
            h5::ChunkCompressor z(0);
            std::vector<std::byte> out;
            z.compress(std::as_bytes(std::span(v)), w.chunkBytes(), 4, out);
            for (int c = 0; c < 4; ++c) w.write(out, 4096);
            ADD_FAILURE() << "1 MiB written under a 128 KiB limit";
          } else {
            h5::RowAppender<float>(file, "y", 0, 8192, 0).append(v.data(), v.size());
          }
        });
      } catch (const Error& e) {
        EXPECT_EQ(e.category(), ErrorCategory::Io);
        message = e.what();
      }
    }
    EXPECT_NE(message.find("File too large"), std::string::npos) << (direct ? "direct: " : "cached: ") << message;
    // The message names the file the user asked for, not the temporary it was written as.
    EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
    EXPECT_EQ(message.find(".tmp-"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(path));
    for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
      EXPECT_EQ(e.path().filename().string().find("limited.h5.tmp-"), std::string::npos) << e.path();
  }
  h5::writeAtomically(path, [&](h5::File& file) { file.write<float>("x", v); });
  EXPECT_EQ(h5::File::open(path).read<float>("x"), v);
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

// writeColumns stores a table of structs as the hand-written loops did (one vector per field,
// written in order): the same bytes, so files written before and after the helper are alike to
// h5py and to checksums; and the deflate choice reaches the numeric columns (2000 rows: above the
// size at which Group::write compresses).
TEST(Hdf5, WriteColumnsGivesTheBytesOfTheLoopItReplaces) {
  struct Row {
    std::int64_t id;
    double value;
    std::string name;
    int cls;
  };
  std::vector<Row> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back({i * 7, std::sin(i * 0.1), "row " + std::to_string(i), i % 2});
  for (const h5::Deflate deflate : {h5::Deflate::Off, h5::Deflate::On}) {
    const bool compress = deflate == h5::Deflate::On;
    const std::string a = tempPath("columns_helper.h5"), b = tempPath("columns_loop.h5");
    h5::writeAtomically(a, [&](h5::File& f) {
      h5::writeColumns(f.createGroup("t"), rows, deflate, h5::column<std::int64_t>("id", &Row::id),
                       h5::column<double>("value", &Row::value), h5::column<std::string>("name", &Row::name),
                       h5::column<std::int8_t>("class", &Row::cls),
                       h5::column<double>("twice", [](const Row& r) { return 2 * r.value; }));
    });
    h5::writeAtomically(b, [&](h5::File& f) {
      std::vector<std::int64_t> id;
      std::vector<double> value, twice;
      std::vector<std::string> name;
      std::vector<std::int8_t> cls;
      for (const Row& r : rows) {
        id.push_back(r.id);
        value.push_back(r.value);
        name.push_back(r.name);
        cls.push_back(static_cast<std::int8_t>(r.cls));
        twice.push_back(2 * r.value);
      }
      const h5::Group g = f.createGroup("t");
      g.write<std::int64_t>("id", id, compress);
      g.write<double>("value", value, compress);
      g.writeStrings("name", name);
      g.write<std::int8_t>("class", cls, compress);
      g.write<double>("twice", twice, compress);
    });
    EXPECT_EQ(bytes(a), bytes(b)) << (compress ? "deflate on" : "deflate off");
    const h5::File f = h5::File::open(a);
    EXPECT_EQ(f.readStrings("t/name")[1999], "row 1999");
    EXPECT_EQ(f.read<std::int64_t>("t/id")[3], 21);
    EXPECT_EQ(f.read<std::int8_t>("t/class")[1], 1);
  }
  // Different column orders are different files: the helper keeps the order it is given.
  const std::string c = tempPath("columns_order_1.h5"), d = tempPath("columns_order_2.h5");
  h5::writeAtomically(c, [&](h5::File& f) {
    h5::writeColumns(f, rows, h5::Deflate::Off, h5::column<std::int64_t>("id", &Row::id),
                     h5::column<double>("value", &Row::value));
  });
  h5::writeAtomically(d, [&](h5::File& f) {
    h5::writeColumns(f, rows, h5::Deflate::Off, h5::column<double>("value", &Row::value),
                     h5::column<std::int64_t>("id", &Row::id));
  });
  EXPECT_NE(bytes(c), bytes(d));
}
