// io::InputReader, the one row interface of convert and apply: the same events from a ROOT tree and
// from a CSV come out identical through it, only the selected columns are parsed, and its errors
// name the file (and tree), the line or entry and the column.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <functional>

#include "ErrorTestUtil.hpp"
#include "IoTestUtil.hpp"
#include "RootTestWriter.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Checksum.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/io/Convert.hpp"

using namespace hepsweep;
using namespace hepsweep::io;
using hepsweep::iotest::errorOf;
using hepsweep::iotest::expectHas;
using hepsweep::iotest::TempDir;
using hepsweep::iotest::writeFile;

namespace {

constexpr int kRows = 50;

std::string shortest(double v) {
  char buf[64];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// Tree T with a (float), b (double), evt (int64) and a jagged branch; the CSV "same.csv" holds
// the same values (b printed as a double, so convert's rounding to float32 is exercised on both),
// plus a column "junk" that is not a number.
void writeInputs(const TempDir& d) {
  std::vector<float> a;
  std::vector<double> b;
  std::vector<std::int64_t> evt;
  std::string csv = "junk,evt,b,a\n";
  for (int i = 0; i < kRows; ++i) {
    a.push_back(0.1f * static_cast<float>(i) - 2.0f);
    b.push_back(std::exp(0.3 * i) / 7.0);
    evt.push_back(4294967296LL + i);
    csv += "x" + std::to_string(i) + "," + std::to_string(evt.back()) + "," + shortest(b.back()) + "," +
           shortest(static_cast<double>(a.back())) + "\n";
  }
  rootw::Tree t;
  t.entries = kRows;
  t.branches = {rootw::branch("a", "TLeafF", a), rootw::branch("b", "TLeafD", b), rootw::branch("evt", "TLeafL", evt),
                rootw::branch("jets", "TLeafF", a)};
  t.branches.back().jagged = true;
  t.branches.back().title = "jets[njet]/F";
  rootw::File f;
  f.codec = rootw::Codec::Lz4;
  f.trees = {t};
  writeFile(d / "t.root", rootw::write(f));
  writeFile(d / "same.csv", csv);
}

struct Rows {
  std::vector<std::uint32_t> b, a;
  std::vector<std::int64_t> evt;
};

Rows readAll(InputReader& r) {
  r.select({r.requireColumn("b", "test"), r.requireColumn("evt", "test"), r.requireColumn("a", "test")});
  Rows out;
  while (r.next()) {
    out.b.push_back(std::bit_cast<std::uint32_t>(r.feature(0, false)));
    out.evt.push_back(r.integer(1));
    out.a.push_back(std::bit_cast<std::uint32_t>(r.weight(2)));
  }
  return out;
}

}  // namespace

// Would catch a ROOT value decoded or rounded differently from its decimal text, a column
// selected by position instead of name, or rows lost between on-disk and embedded baskets.
TEST(InputReader, RootAndCsvGiveTheSameValues) {
  TempDir d;
  writeInputs(d);
  InputReader root = InputReader::open(d / "t.root", Separator{});
  InputReader text = InputReader::open(d / "same.csv", Separator{});
  EXPECT_TRUE(root.isRoot());
  EXPECT_FALSE(text.isRoot());
  EXPECT_EQ(root.separatorName(), "root");
  EXPECT_EQ(text.separatorName(), "comma");
  const Rows fromRoot = readAll(root);
  const Rows fromText = readAll(text);
  ASSERT_EQ(fromRoot.a.size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(fromRoot.a, fromText.a);
  EXPECT_EQ(fromRoot.b, fromText.b);
  EXPECT_EQ(fromRoot.evt, fromText.evt);
  EXPECT_EQ(fromRoot.evt.back(), 4294967296LL + kRows - 1);
  EXPECT_EQ(root.rowsRead(), kRows);
  EXPECT_EQ(text.rowsRead(), kRows);
  EXPECT_EQ(root.finishChecksum(), sha256File(d / "t.root"));
  EXPECT_EQ(text.finishChecksum(), sha256File(d / "same.csv"));
}

// Would catch apply's --checksum xxh128 recording a hash of part of the file (a gzip input hashed
// after decompression, or the rows left unread), or SHA-256 under the XXH128 name; the background
// SHA-256 thread must give the same digest as hashing in read().
TEST(InputReader, ChecksumKindIsTheWholeFileOfThatKind) {
  TempDir d;
  writeInputs(d);
  for (const bool background : {false, true}) {
    for (const char* input : {"t.root", "same.csv"}) {
      SCOPED_TRACE(std::string(input) + (background ? ", in the background" : ""));
      InputReader x = InputReader::open(d / input, Separator{}, 64, background, ChecksumKind::Xxh128);
      InputReader s = InputReader::open(d / input, Separator{}, 64, background, ChecksumKind::Sha256);
      x.select({x.requireColumn("a", "--features")});
      s.select({s.requireColumn("a", "--features")});
      ASSERT_TRUE(x.next());  // one row only: the rest must still be hashed
      ASSERT_TRUE(s.next());
      EXPECT_EQ(x.finishChecksum(), xxh128File(d / input));
      EXPECT_EQ(s.finishChecksum(), sha256File(d / input));
    }
  }
}

// Would catch every field being parsed (the "junk" column is never selected, so it must not
// matter) and errors that do not say where the bad value is.
TEST(InputReader, ParsesOnlySelectedColumnsAndNamesTheLocation) {
  TempDir d;
  writeInputs(d);
  InputReader text = InputReader::open(d / "same.csv", Separator{});
  EXPECT_EQ(readAll(text).a.size(), static_cast<std::size_t>(kRows));

  InputReader junk = InputReader::open(d / "same.csv", Separator{});
  junk.select({junk.requireColumn("junk", "--features")});
  ASSERT_TRUE(junk.next());
  expectHas(errorOf([&] { (void)junk.feature(0, false); }), {"same.csv", "line 2", "'junk'", "'x0'"});
  expectHas(errorOf([&] { (void)junk.integer(0); }), {"same.csv", "line 2", "'x0'"});

  InputReader root = InputReader::open(d / "t.root:T", Separator{});
  expectHas(errorOf([&] { (void)root.requireColumn("jets", "--features"); }),
            {"t.root", "'T'", "'jets'", "jagged", "--features"});
  expectHas(errorOf([&] { (void)root.requireColumn("B", "--weight"); }), {"t.root", "'T'", "'B'", "--weight", "did you mean 'b'?"});
  expectHas(errorOf([&] { (void)text.requireColumn("ev", "--id"); }), {"same.csv", "'ev'", "--id", "did you mean 'evt'?"});
}
