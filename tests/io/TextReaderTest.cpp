// Unit tests of the streaming text reader: separators, gzip, line handling, hashing, numbers.
#include "hepsweep/io/TextReader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "IoTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"

using namespace hepsweep;
using namespace hepsweep::io;
using hepsweep::iotest::TempDir;
using hepsweep::iotest::gzipBytes;
using hepsweep::iotest::writeFile;

namespace {

struct ReadAll {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::uint64_t> lines;
  Separator::Kind sep;
  std::string sha;
};

ReadAll readAll(const std::string& path, Separator sep = {}, std::size_t block = 1 << 20) {
  TextReader r(path, sep, block);
  ReadAll out;
  out.header = r.header();
  out.sep = r.separator().kind;
  std::vector<std::string_view> f;
  while (r.next(f)) {
    out.rows.emplace_back(f.begin(), f.end());
    out.lines.push_back(r.lineNumber());
  }
  out.sha = r.finishChecksum();
  return out;
}

std::string errorOf(const std::function<void()>& fn, ErrorCategory* cat = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (cat) *cat = e.category();
    return e.what();
  }
  return "";
}

}  // namespace

// Auto-detection must pick the right separator for each of the four text styles we meet
// (CSV, TSV, whitespace-aligned, SHiP's ", "), with names trimmed; a wrong pick would give one
// giant column or split names containing spaces such as "Decay Z (cm)".
TEST(TextReader, AutoDetectsSeparators) {
  TempDir d;
  const std::vector<std::string> want{"a b", "c", "Decay Z (cm)"};
  struct Case {
    std::string text;
    Separator::Kind kind;
  };
  const Case cases[] = {
      {"a b,c,Decay Z (cm)\n1,2,3\n", Separator::Kind::Comma},
      {"a b\tc\tDecay Z (cm)\n1\t2\t3\n", Separator::Kind::Tab},
      {"a b, c,  Decay Z (cm)\n1, 2, 3\n", Separator::Kind::Comma},
  };
  for (const auto& c : cases) {
    writeFile(d / "in.txt", c.text);
    const auto r = readAll(d / "in.txt");
    EXPECT_EQ(r.sep, c.kind) << c.text;
    EXPECT_EQ(r.header, want) << c.text;
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0], (std::vector<std::string>{"1", "2", "3"}));
  }
  writeFile(d / "ws.txt", "  x   y z\n 1  2 3 \n4\t 5 6\n");
  const auto r = readAll(d / "ws.txt");
  EXPECT_EQ(r.sep, Separator::Kind::Whitespace);
  EXPECT_EQ(r.header, (std::vector<std::string>{"x", "y", "z"}));
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1], (std::vector<std::string>{"4", "5", "6"}));
}

// --sep overrides detection: a ';' file read with a literal separator, and "space" meaning a
// single space (so a double space is an empty field, i.e. a field-count error).
TEST(TextReader, ExplicitSeparators) {
  TempDir d;
  writeFile(d / "semi.txt", "a;b,c\n1;2,5\n");
  const auto r = readAll(d / "semi.txt", Separator::parse(";"));
  EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(r.rows[0], (std::vector<std::string>{"1", "2,5"}));
  EXPECT_EQ(Separator::parse("tab").kind, Separator::Kind::Tab);
  EXPECT_EQ(Separator::parse("comma").kind, Separator::Kind::Comma);
  EXPECT_EQ(Separator::parse("whitespace").kind, Separator::Kind::Whitespace);
  EXPECT_THROW(Separator::parse(""), Error);
  writeFile(d / "sp.txt", "a b\n1  2\n");
  const std::string msg = errorOf([&] { readAll(d / "sp.txt", Separator::parse("space")); });
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found 3"), std::string::npos) << msg;
}

// CRLF endings, a missing final newline, blank trailing lines, a UTF-8 BOM and quoted header
// names are all ordinary in files from Windows/Excel/pandas and must read as the plain file does.
TEST(TextReader, LineEndingsBlankLinesBomQuotes) {
  TempDir d;
  writeFile(d / "plain.csv", "x,y\n1,2\n3,4\n");
  writeFile(d / "crlf.csv", "\xEF\xBB\xBF\"x\",\"y\"\r\n1,2\r\n3,4\r\n\r\n\r\n");
  writeFile(d / "nonl.csv", "x,y\n1,2\n3,4");
  writeFile(d / "blank.csv", "x,y\n1,2\n3,4\n\n   \n\n");
  const auto ref = readAll(d / "plain.csv");
  for (const char* name : {"crlf.csv", "nonl.csv", "blank.csv"}) {
    const auto r = readAll(d / name);
    EXPECT_EQ(r.header, ref.header) << name;
    EXPECT_EQ(r.rows, ref.rows) << name;
  }
}

// A line longer than the read block must be reassembled across blocks; line numbers must count
// every physical line so that error messages point at the right place.
TEST(TextReader, LinesSpanningBlocksAndLineNumbers) {
  TempDir d;
  std::string text = "a,b\n";
  for (int i = 0; i < 300; ++i) text += std::to_string(i) + "," + std::string(100, '7') + "\n";
  text += "\n";  // a blank line in the middle is skipped but counted
  text += "x,y\n";
  writeFile(d / "long.csv", text);
  const auto small = readAll(d / "long.csv", {}, 64);
  const auto big = readAll(d / "long.csv");
  EXPECT_EQ(small.rows, big.rows);
  ASSERT_EQ(small.rows.size(), 301u);
  EXPECT_EQ(small.rows[299][0], "299");
  EXPECT_EQ(small.lines[0], 2u);
  EXPECT_EQ(small.lines[300], 303u);
}

// The gzip path must give exactly the bytes of the plain file, also for files made of several
// concatenated gzip members (cat a.gz b.gz) and with tiny read blocks, and the hash must be the
// hash of the compressed bytes (what sha256sum prints for the .gz), computed in the same pass.
TEST(TextReader, GzipEqualsPlainAndHashesRawBytes) {
  TempDir d;
  std::string part1 = "p,q,r\n", part2;
  for (int i = 0; i < 2000; ++i) part1 += std::to_string(i) + ",0.5," + std::to_string(i * 3) + "\n";
  for (int i = 0; i < 1500; ++i) part2 += std::to_string(-i) + ",1e3,-0.25\n";
  writeFile(d / "plain.csv", part1 + part2);
  writeFile(d / "one.csv.gz", gzipBytes(part1 + part2));
  writeFile(d / "two.csv.gz", gzipBytes(part1) + gzipBytes(part2));
  const auto ref = readAll(d / "plain.csv");
  EXPECT_EQ(ref.sha, sha256File(d / "plain.csv"));
  for (const char* name : {"one.csv.gz", "two.csv.gz"}) {
    for (std::size_t block : {std::size_t{64}, std::size_t{1000}, std::size_t{1} << 20}) {
      const auto r = readAll(d / name, {}, block);
      EXPECT_EQ(r.header, ref.header) << name;
      EXPECT_EQ(r.rows, ref.rows) << name << " block " << block;
      EXPECT_EQ(r.sha, sha256File(d / name)) << name;
    }
  }
  ByteSource plain(d / "plain.csv"), gz(d / "one.csv.gz");
  EXPECT_FALSE(plain.gzipped());
  EXPECT_TRUE(gz.gzipped());
}

// A truncated or corrupt .gz must be an error naming the file, never silently fewer rows.
TEST(TextReader, TruncatedAndCorruptGzip) {
  TempDir d;
  std::string text = "a,b\n";
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7 % 13) + "\n";
  const std::string gz = gzipBytes(text);
  writeFile(d / "trunc.csv.gz", gz.substr(0, gz.size() / 2));
  std::string bad = gz;
  bad[bad.size() / 2] ^= 0x55;
  bad[bad.size() / 2 + 1] ^= 0x55;
  writeFile(d / "corrupt.csv.gz", bad);
  for (const char* name : {"trunc.csv.gz", "corrupt.csv.gz"}) {
    ErrorCategory cat{};
    const std::string msg = errorOf([&] { readAll(d / name); }, &cat);
    EXPECT_EQ(cat, ErrorCategory::Input) << name;
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
    EXPECT_NE(msg.find("gzip"), std::string::npos) << msg;
  }
}

// Structural errors: empty file, duplicate names, wrong field counts (both directions), and an
// unreadable file (Io). Each message must name the file, the line and the column concerned.
TEST(TextReader, StructuralErrors) {
  TempDir d;
  ErrorCategory cat{};
  writeFile(d / "empty.csv", "");
  std::string msg = errorOf([&] { readAll(d / "empty.csv"); }, &cat);
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find("empty.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;

  writeFile(d / "blank.csv", "\n  \n\r\n");
  EXPECT_NE(errorOf([&] { readAll(d / "blank.csv"); }).find("empty"), std::string::npos);

  writeFile(d / "dup.csv", "a, b, a\n1,2,3\n");
  msg = errorOf([&] { readAll(d / "dup.csv"); }, &cat);
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find("dup.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'a'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fields 1 and 3"), std::string::npos) << msg;

  writeFile(d / "short.csv", "a,b,c\n1,2,3\n4,5\n");
  msg = errorOf([&] { readAll(d / "short.csv"); });
  EXPECT_NE(msg.find("short.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column 'c'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'4,5'"), std::string::npos) << msg;

  writeFile(d / "long.csv", "a,b\n1,2\n3,4,oops\n");
  msg = errorOf([&] { readAll(d / "long.csv"); });
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'oops'"), std::string::npos) << msg;

  msg = errorOf([&] { readAll(d / "does-not-exist.csv"); }, &cat);
  EXPECT_EQ(cat, ErrorCategory::Io);
  EXPECT_NE(msg.find("does-not-exist.csv"), std::string::npos) << msg;
}

// A file without line breaks is refused once a line passes the limit (32 MiB), not read into
// memory until it runs out (convert --signal /dev/zero did); a binary file is named as such, not
// read as a header of odd column names.
TEST(TextReader, EndlessLinesAndBinaryFilesAreRefused) {
  TempDir d;
  ErrorCategory cat{};
  std::string msg = errorOf([&] {
    TextReader r("/dev/zero", {}, 1 << 20);
  }, &cat);
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find("'/dev/zero', line 1: longer than 32 MiB without a line break"), std::string::npos) << msg;

  std::string body = "a,b\n1,2\n";
  body += std::string(33u << 20, '7');  // the third line never ends
  writeFile(d / "endless.csv", body);
  msg = errorOf([&] { readAll(d / "endless.csv"); });
  EXPECT_NE(msg.find("line 3: longer than 32 MiB"), std::string::npos) << msg;

  // The first bytes of an HDF5 file.
  writeFile(d / "data.h5", std::string("\x89HDF\r\n\x1a\n\0\0\0\0", 12) + "x,y\n");
  msg = errorOf([&] { readAll(d / "data.h5"); }, &cat);
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find("'" + (d / "data.h5") + "' is not a text table: its first line holds binary bytes"), std::string::npos)
      << msg;
  // UTF-8 names are text.
  writeFile(d / "utf8.csv", "\xC3\xA9nergie,\xCE\xB7\n1,2\n");
  EXPECT_EQ(readAll(d / "utf8.csv").header, (std::vector<std::string>{"\xC3\xA9nergie", "\xCE\xB7"}));
  // A long but finite line is fine.
  writeFile(d / "wide.csv", "a\n" + std::string(2u << 20, '1') + "\n");
  EXPECT_EQ(readAll(d / "wide.csv").rows.size(), 1u);
}

// pandas' to_csv writes the index under an empty name; it must get pandas' own name, not make
// the header unusable.
TEST(TextReader, EmptyHeaderNameGetsPandasName) {
  TempDir d;
  writeFile(d / "pd.csv", ",x,y\n0,1,2\n");
  EXPECT_EQ(readAll(d / "pd.csv").header, (std::vector<std::string>{"Unnamed: 0", "x", "y"}));
}

// The float32 must be the correctly rounded value of the decimal text. strtof (glibc, correctly
// rounded, an implementation independent of fast_float) is the reference; the cases include
// halfway-ish decimals, denormals, the largest float and exponent forms.
TEST(Numbers, ParseFloatIsCorrectlyRounded) {
  const char* texts[] = {"0", "-0", "1e3", "-0.5", "0.1", "3.4028235e38", "1.17549435e-38", "4.56e-41",
                         "1.401298464324817e-45", "0.8692932", "16777217", "0.30000000000000004",
                         "+2.5", "1E-7", ".5", "5.", "123456789.123456789", "6491.84", "-999.0",
                         "2.2250738585072014e-308", "7.038531e-26"};
  for (const char* t : texts) {
    const float got = parseFloat(t, false, {"f", 1, "c", 1});
    const float want = std::strtof(t, nullptr);
    std::uint32_t a, b;
    std::memcpy(&a, &got, 4);
    std::memcpy(&b, &want, 4);
    EXPECT_EQ(a, b) << t;
  }
  // A sweep of random-looking decimals near float32 rounding boundaries.
  for (std::uint32_t bits = 0x3f800000u; bits < 0x3f800000u + 20000u; bits += 7) {
    float f;
    std::memcpy(&f, &bits, 4);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.12g", static_cast<double>(f) + 1e-12);
    const float got = parseFloat(buf, false, {"f", 1, "c", 1});
    EXPECT_EQ(got, std::strtof(buf, nullptr)) << buf;
  }
}

// Non-numbers, nan/inf and overflow are errors naming file, line, column and the text;
// --allow-nonfinite keeps nan/inf literals but never turns an overflow into inf.
TEST(Numbers, RejectsBadNumbers) {
  const FieldContext at{"data.csv", 17, "pt", 4};
  for (const char* bad : {"abc", "1.2.3", "1,5", "0x10", "", "1e", "--1", "+-1", "1 2"}) {
    ErrorCategory cat{};
    const std::string msg = errorOf([&] { parseFloat(bad, false, at); }, &cat);
    EXPECT_EQ(cat, ErrorCategory::Input) << bad;
    EXPECT_NE(msg.find("data.csv"), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 17"), std::string::npos) << msg;
    EXPECT_NE(msg.find("column 'pt'"), std::string::npos) << msg;
  }
  EXPECT_NE(errorOf([&] { parseFloat("abc", false, at); }).find("'abc'"), std::string::npos);
  for (const char* nf : {"nan", "NaN", "inf", "-inf", "Infinity"}) {
    const std::string msg = errorOf([&] { parseFloat(nf, false, at); });
    EXPECT_NE(msg.find("allow-nonfinite"), std::string::npos) << msg;
    EXPECT_FALSE(std::isfinite(parseFloat(nf, true, at))) << nf;
  }
  EXPECT_TRUE(std::isnan(parseFloat("nan", true, at)));
  EXPECT_EQ(parseFloat("-inf", true, at), -INFINITY);
  const std::string ovf = errorOf([&] { parseFloat("1e39", true, at); });
  EXPECT_NE(ovf.find("float32 range"), std::string::npos) << ovf;
}

// Event numbers must be exact: values above 2^24 (float) and 2^53 (double) would be corrupted by
// any floating-point detour.
TEST(Numbers, ParseInt64Exact) {
  const FieldContext at{"ids.csv", 3, "EventId", 1};
  EXPECT_EQ(parseInt64("16777217", at), 16777217);
  EXPECT_EQ(parseInt64("9007199254740993", at), 9007199254740993LL);
  EXPECT_EQ(parseInt64("-9223372036854775808", at), INT64_MIN);
  EXPECT_EQ(parseInt64("+42", at), 42);
  for (const char* bad : {"1.0", "1e3", "9223372036854775808", "x", ""}) {
    const std::string msg = errorOf([&] { parseInt64(bad, at); });
    EXPECT_NE(msg.find("ids.csv"), std::string::npos) << bad << ": " << msg;
    EXPECT_NE(msg.find("column 'EventId'"), std::string::npos) << msg;
  }
}
