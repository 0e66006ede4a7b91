// Unit tests of the flat-TTree reader (io/RootFile.hpp) on files made by RootTestWriter.hpp: every
// leaf type and codec, on-disk plus embedded baskets, multi-block objects, arrays, directories and
// cycles; every refusal (jagged, TBranchElement, leaf list, Float16/Double32, RNTuple, class
// versions, foreign codecs) names file, tree, branch and class; corrupt input (truncation, bad
// checksum, bad block header, seek past the end, every single-byte change) ends in an Error,
// never a crash (these run under ASan/UBSan in the asan preset).
// Long on purpose (~800 lines): each leaf type, codec, refusal and corruption case is a few lines
// next to the others of its kind, all written through the same RootTestWriter helpers.
#include "hepsweep/io/RootFile.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include "ErrorTestUtil.hpp"
#include "IoTestUtil.hpp"
#include "RootTestWriter.hpp"
#include "hepsweep/core/Error.hpp"

using namespace hepsweep;
using namespace hepsweep::io;
using hepsweep::iotest::TempDir;
using hepsweep::iotest::expectHas;
using hepsweep::iotest::inputErrorOf;
using hepsweep::iotest::writeFile;

namespace {

constexpr int kEntries = 300;

// Deterministic, varied values (no RNG needed: a fixed formula covering signs and extremes).
template <class T>
std::vector<T> valuesOf(int n, int salt) {
  std::vector<T> v;
  for (int i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      v.push_back((i * 7 + salt) % 3 == 0);
    } else if constexpr (std::is_floating_point_v<T>) {
      v.push_back(static_cast<T>((i - 150) * 0.37 + salt) / static_cast<T>(7.0));
    } else {
      const auto lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
      v.push_back(i == 0 ? lo : i == 1 ? hi : static_cast<T>(i * 37 + salt));
    }
  }
  return v;
}

// A branch of kEntries values whose baskets are not aligned with the other branches' (as in real
// files), plus an embedded one.
template <class T>
rootw::Branch branchOf(const std::string& name, const char* leaf, const std::vector<T>& values) {
  rootw::Branch b = rootw::branch(name, leaf, values);
  const int first = 97 + static_cast<int>(name.size());
  b.basketEntries = {first, kEntries - first - 50};
  b.embeddedEntries = 50;
  return b;
}

rootw::Tree allTypesTree() {
  rootw::Tree t;
  t.entries = kEntries;
  t.branches = {branchOf("b", "TLeafO", valuesOf<bool>(kEntries, 1)),
                branchOf("i8", "TLeafB", valuesOf<std::int8_t>(kEntries, 2)),
                branchOf("u8", "TLeafB", valuesOf<std::uint8_t>(kEntries, 3)),
                branchOf("i16", "TLeafS", valuesOf<std::int16_t>(kEntries, 4)),
                branchOf("u16", "TLeafS", valuesOf<std::uint16_t>(kEntries, 5)),
                branchOf("i32", "TLeafI", valuesOf<std::int32_t>(kEntries, 6)),
                branchOf("u32", "TLeafI", valuesOf<std::uint32_t>(kEntries, 7)),
                branchOf("i64", "TLeafL", valuesOf<std::int64_t>(kEntries, 8)),
                branchOf("u64", "TLeafL", valuesOf<std::uint64_t>(kEntries, 9)),
                branchOf("f", "TLeafF", valuesOf<float>(kEntries, 10)),
                branchOf("d", "TLeafD", valuesOf<double>(kEntries, 11))};
  return t;
}

std::string writeTemp(const TempDir& d, const std::string& name, const rootw::File& f) {
  const std::string path = d / name;
  writeFile(path, rootw::write(f));
  return path;
}

// All columns of a tree, read through RootRowReader.
std::vector<std::size_t> allColumns(const RootTree& t) {
  std::vector<std::size_t> c(t.columns().size());
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = i;
  return c;
}

// Reads everything; returns the number of rows.
std::int64_t readAll(const RootTree& t) {
  if (t.columns().empty()) return 0;
  RootRowReader r(t, allColumns(t));
  std::int64_t n = 0;
  while (r.next()) {
    for (std::size_t i = 0; i < t.columns().size(); ++i) (void)r.asDouble(i);
    ++n;
  }
  return n;
}

template <class T>
void expectColumn(RootRowReader& r, std::size_t col, const std::vector<T>& expected, std::int64_t entry) {
  const T want = expected[static_cast<std::size_t>(entry)];
  if constexpr (std::is_same_v<T, float>) {
    const float got = r.asFloat(col);
    EXPECT_EQ(std::memcmp(&got, &want, 4), 0) << "entry " << entry;
  } else if constexpr (std::is_same_v<T, double>) {
    EXPECT_EQ(r.asDouble(col), want) << "entry " << entry;
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    EXPECT_EQ(r.asText(col), std::to_string(want)) << "entry " << entry;
  } else {
    EXPECT_EQ(r.asInt64(col), static_cast<std::int64_t>(want)) << "entry " << entry;
  }
}

class RootCodecs : public ::testing::TestWithParam<rootw::Codec> {};

std::string codecName(const ::testing::TestParamInfo<rootw::Codec>& info) {
  static const char* const names[] = {"None", "Zlib", "Lzma", "Lz4", "Zstd"};
  return names[static_cast<int>(info.param)];
}

// Offset of the 8-byte SeekKey in the last (big, 64-bit) key header whose class is `cls`: the
// copy in a key list, which the reader follows.
std::size_t lastKeySeekAt(const std::string& bytes, const std::string& cls) {
  const std::size_t at = bytes.rfind(static_cast<char>(cls.size()) + cls);
  if (at == std::string::npos) throw std::runtime_error("no key of class " + cls);
  return at - 16;  // SeekKey, SeekPdir precede the class name
}


// Offset, in a file written with an uncompressed TTree object, of the TTree's 8-byte basket
// position that points at the first TBasket key (whose big key header, Nbytes .. SeekPdir, is 34
// bytes before its class name); npos when there is none.
std::size_t firstBasketSeekAt(const std::string& bytes) {
  const std::size_t keyStart = bytes.find("\x07TBasket") - 34;
  return bytes.rfind(rootw::be<std::int64_t>(static_cast<std::int64_t>(keyStart)));
}

// A tree of one entry whose only branch "v" (float) holds `value`.
rootw::Tree oneValueTree(const std::string& name, const std::string& dir, float value, int cycle = 1) {
  rootw::Tree t;
  t.name = name;
  t.dir = dir;
  t.cycle = cycle;
  t.entries = 1;
  t.branches = {rootw::branch("v", "TLeafF", std::vector<float>{value})};
  return t;
}

// The first entry of a tree's first column.
float firstValue(const RootTree& t) {
  RootRowReader r(t, {0});
  EXPECT_TRUE(r.next());
  return r.asFloat(0);
}

}  // namespace

// Every numeric leaf type round-trips exactly through each codec, across unaligned on-disk
// baskets and the basket embedded in the TTree object (catches a wrong byte order, a wrong
// signedness, a lost embedded basket or misplaced basket boundaries).
TEST_P(RootCodecs, AllLeafTypesExact) {
  TempDir d;
  rootw::File f;
  f.codec = GetParam();
  f.blockSize = 700;  // several blocks per object: the TTree and most baskets are multi-block
  f.trees = {allTypesTree()};
  const std::string path = writeTemp(d, "types.root", f);
  const RootFile file(path);
  EXPECT_EQ(file.rootVersionText(), "6.26/00");
  const RootTree t = file.tree("");
  EXPECT_EQ(t.entries(), kEntries);
  EXPECT_TRUE(t.unsupported().empty());
  ASSERT_EQ(t.columns().size(), 11u);
  const RootType types[] = {RootType::Bool,  RootType::Int8,   RootType::UInt8, RootType::Int16,
                            RootType::UInt16, RootType::Int32, RootType::UInt32, RootType::Int64,
                            RootType::UInt64, RootType::Float, RootType::Double};
  for (std::size_t i = 0; i < 11; ++i) EXPECT_EQ(t.columns()[i].type, types[i]) << t.columns()[i].name;

  RootRowReader r(t, allColumns(t));
  std::int64_t n = 0;
  while (r.next()) {
    const std::int64_t e = r.entry();
    EXPECT_EQ(r.asInt64(0), valuesOf<bool>(kEntries, 1)[static_cast<std::size_t>(e)] ? 1 : 0);
    expectColumn(r, 1, valuesOf<std::int8_t>(kEntries, 2), e);
    expectColumn(r, 2, valuesOf<std::uint8_t>(kEntries, 3), e);
    expectColumn(r, 3, valuesOf<std::int16_t>(kEntries, 4), e);
    expectColumn(r, 4, valuesOf<std::uint16_t>(kEntries, 5), e);
    expectColumn(r, 5, valuesOf<std::int32_t>(kEntries, 6), e);
    expectColumn(r, 6, valuesOf<std::uint32_t>(kEntries, 7), e);
    expectColumn(r, 7, valuesOf<std::int64_t>(kEntries, 8), e);
    expectColumn(r, 8, valuesOf<std::uint64_t>(kEntries, 9), e);
    expectColumn(r, 9, valuesOf<float>(kEntries, 10), e);
    expectColumn(r, 10, valuesOf<double>(kEntries, 11), e);
    ++n;
  }
  EXPECT_EQ(n, kEntries);
  if (f.codec != rootw::Codec::None) {
    EXPECT_GT(r.decompressSeconds(), 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, RootCodecs,
                         ::testing::Values(rootw::Codec::None, rootw::Codec::Zlib, rootw::Codec::Lzma,
                                           rootw::Codec::Lz4, rootw::Codec::Zstd),
                         codecName);

// Integer reads of out-of-range or non-integral values are errors, not wrapped or truncated.
TEST(RootReader, Int64ConversionRefusesWhatItCannotRepresent) {
  TempDir d;
  rootw::File f;
  rootw::Tree t;
  t.entries = 2;
  auto u = rootw::branch("u", "TLeafL", std::vector<std::uint64_t>{5, std::numeric_limits<std::uint64_t>::max()});
  u.basketEntries = {2};
  u.embeddedEntries = 0;
  auto x = rootw::branch("x", "TLeafF", std::vector<float>{3.0f, 2.5f});
  x.basketEntries = {1};
  x.embeddedEntries = 1;
  t.branches = {u, x};
  f.trees = {t};
  const RootTree tree = RootFile(writeTemp(d, "ints.root", f)).tree("T");
  RootRowReader r(tree, {0, 1});
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.asInt64(0), 5);
  EXPECT_EQ(r.asInt64(1), 3);
  ASSERT_TRUE(r.next());
  expectHas(inputErrorOf([&] { (void)r.asInt64(0); }), {"entry 1", "'u'", "18446744073709551615", "int64"});
  expectHas(inputErrorOf([&] { (void)r.asInt64(1); }), {"entry 1", "'x'", "2.5", "not an integer"});
  EXPECT_EQ(r.asText(1), "2.5");
  EXPECT_FALSE(r.next());
}

// Fixed-size arrays become one column per element, named as in TTree::Draw (x[1], m[1][2]), in
// entry-major order (catches a transposed or mis-strided array).
TEST(RootReader, FixedSizeArraysAreColumns) {
  TempDir d;
  rootw::File f;
  rootw::Tree t;
  t.entries = 4;
  std::vector<float> x;
  for (int i = 0; i < 12; ++i) x.push_back(static_cast<float>(i) + 0.5f);
  auto bx = rootw::branch("x", "TLeafF", x, 3);
  bx.title = "x[3]/F";
  bx.basketEntries = {3};
  bx.embeddedEntries = 1;
  std::vector<double> m;
  for (int i = 0; i < 24; ++i) m.push_back(i * 10.0);
  auto bm = rootw::branch("m", "TLeafD", m, 6);
  bm.title = "m[2][3]/D";
  bm.basketEntries = {1, 3};
  bm.embeddedEntries = 0;
  t.branches = {bx, bm};
  f.trees = {t};
  const RootTree tree = RootFile(writeTemp(d, "arrays.root", f)).tree("");
  const std::vector<std::string> names = {"x[0]",    "x[1]",    "x[2]",    "m[0][0]", "m[0][1]",
                                          "m[0][2]", "m[1][0]", "m[1][1]", "m[1][2]"};
  EXPECT_EQ(tree.columnNames(), names);
  RootRowReader r(tree, {1, 8});
  for (int e = 0; e < 4; ++e) {
    ASSERT_TRUE(r.next());
    EXPECT_EQ(r.asFloat(0), x[static_cast<std::size_t>(e * 3 + 1)]);
    EXPECT_EQ(r.asDouble(1), m[static_cast<std::size_t>(e * 6 + 5)]);
  }
  EXPECT_FALSE(r.next());
  EXPECT_EQ(tree.column("m[1][2]"), 8);
  EXPECT_EQ(tree.column("m"), -1);
}

// Trees in subdirectories, several trees per file, the highest cycle, an explicit ";cycle", the
// default tree, TNtuple; unknown and ambiguous names list what the file holds.
TEST(RootReader, KeysDirectoriesAndCycles) {
  TempDir d;
  rootw::File f;
  f.trees = {oneValueTree("sig", "", 1.0f, 1), oneValueTree("sig", "", 3.0f, 3), oneValueTree("sig", "", 2.0f, 2),
             oneValueTree("bkg", "sub", 4.0f, 1)};
  f.trees.back().className = "TNtuple";
  const std::string path = writeTemp(d, "keys.root", f);
  const RootFile file(path);
  ASSERT_EQ(file.trees().size(), 2u);
  EXPECT_EQ(file.trees()[0].path, "sig");
  EXPECT_EQ(file.trees()[0].cycle, 3);
  EXPECT_EQ(file.trees()[1].path, "sub/bkg");
  EXPECT_EQ(firstValue(file.tree("sig")), 3.0f);
  EXPECT_EQ(firstValue(file.tree("sig;2")), 2.0f);
  EXPECT_EQ(firstValue(file.tree("sub/bkg")), 4.0f);
  EXPECT_EQ(firstValue(file.tree("bkg")), 4.0f);
  expectHas(inputErrorOf([&] { file.tree(""); }), {path, "2 trees", "sig", "sub/bkg", ":TREE"});
  expectHas(inputErrorOf([&] { file.tree("sgi"); }), {path, "no tree 'sgi'", "did you mean 'sig'?"});
  expectHas(inputErrorOf([&] { file.tree("sig;7"); }), {"no cycle 7"});
}

// Each unsupported branch kind is listed with its name, class and reason, and its refusal message
// names file, tree, branch and class; the readable branches next to it still read.
TEST(RootReader, UnsupportedBranchesAreNamed) {
  TempDir d;
  rootw::File f;
  rootw::Tree t;
  t.entries = 2;
  const auto plain = [](const std::string& name) {
    auto b = rootw::branch(name, "TLeafF", std::vector<float>{1.0f, 2.0f});
    b.basketEntries = {2};
    b.embeddedEntries = 0;
    return b;
  };
  auto jagged = plain("jets_pt");
  jagged.jagged = true;
  jagged.title = "jets_pt[njets]/F";
  auto element = plain("muons");
  element.branchClass = "TBranchElement";
  auto leafList = plain("vtx");
  leafList.nLeaves = 3;
  leafList.title = "x/F:y/F:z/F";
  auto f16 = plain("f16");
  f16.leafClass = "TLeafF16";
  auto d32 = plain("d32");
  d32.leafClass = "TLeafD32";
  auto chars = plain("label");
  chars.leafClass = "TLeafC";
  auto split = plain("obj");
  split.subBranches = 2;
  auto external = plain("ext");
  external.fileName = "other.root";
  auto oldBranch = plain("old");
  oldBranch.version = 9;
  auto newBranch = plain("new");
  newBranch.version = 14;
  auto objectLeaf = plain("objleaf");
  objectLeaf.leafClass = "TLeafElement";
  auto noBaskets = plain("lost");  // entries counted, but no basket written (file not closed)
  noBaskets.basketEntries = {};
  t.branches = {plain("pt"), jagged,   element,   leafList,   f16,      d32,      chars,
                split,       external, oldBranch, newBranch, objectLeaf, noBaskets};
  f.trees = {t};
  const std::string path = writeTemp(d, "unsupported.root", f);
  const RootTree tree = RootFile(path).tree("");
  EXPECT_EQ(tree.columnNames(), std::vector<std::string>{"pt"});
  EXPECT_EQ(readAll(tree), 2);
  struct Want {
    const char* name;
    const char* cls;
    const char* reason;
  };
  const Want wants[] = {{"jets_pt", "TLeafF", "jagged"},           {"muons", "TBranchElement", "std::vector"},
                        {"vtx", "TBranch", "leaf list"},           {"f16", "TLeafF16", "Float16_t"},
                        {"d32", "TLeafD32", "Double32_t"},         {"label", "TLeafC", "TLeafC"},
                        {"obj", "TBranch", "2 sub-branches"},      {"ext", "TBranch", "other.root"},
                        {"old", "TBranch", "class version 9 (written by ROOT 6.26/00)"},
                        {"new", "TBranch", "class version 14 (written by ROOT 6.26/00) is not supported (versions 10-13"},
                        {"objleaf", "TLeafElement", "object leaves"},
                        {"lost", "TLeafF", "has 2 entries but no baskets"}};
  ASSERT_EQ(tree.unsupported().size(), std::size(wants));
  for (const auto& w : wants) {
    const auto* u = tree.unsupportedBranch(w.name);
    ASSERT_NE(u, nullptr) << w.name;
    EXPECT_EQ(u->className, w.cls) << w.name;
    EXPECT_NE(u->reason.find(w.reason), std::string::npos) << w.name << ": " << u->reason;
    expectHas(tree.refusal(*u), {"ROOT file '" + path + "'", "tree 'T'", "branch '" + std::string(w.name) + "'",
                                 "(" + std::string(w.cls) + ")", w.reason});
  }
  EXPECT_NE(tree.unsupportedBranch("jets_pt[0]"), nullptr);
}

// Whole-tree refusals: TTree class versions outside 16-20 (naming the ROOT version that wrote the
// file), RNTuple keys, friend trees (flagged, not followed; a friend list that cannot be read is
// said to be unknown, not taken for "no friends"), files without trees.
TEST(RootReader, TreeLevelRefusals) {
  TempDir d;
  rootw::File f;
  f.rootVersion = 52200;
  rootw::Tree t;
  t.entries = 1;
  auto b = rootw::branch("v", "TLeafF", std::vector<float>{1.0f});
  b.basketEntries = {1};
  b.embeddedEntries = 0;
  t.branches = {b};
  t.version = 15;
  f.trees = {t};
  f.rntuples = {"ntuple"};
  const std::string path = writeTemp(d, "old.root", f);
  const RootFile file(path);
  expectHas(inputErrorOf([&] { file.tree("T"); }),
            {path, "'T'", "TTree class version 15", "written by ROOT 5.22/00", "not supported"});
  expectHas(inputErrorOf([&] { file.tree("ntuple"); }), {path, "'ntuple'", "RNTuple is not supported"});
  f.trees[0].version = 21;
  f.rootVersion = 63800;
  const std::string future = writeTemp(d, "future.root", f);
  expectHas(inputErrorOf([&] { RootFile(future).tree("T"); }),
            {future, "tree 'T'", "TTree class version 21", "written by ROOT 6.38/00", "versions 16-20"});

  rootw::File g;
  g.rntuples = {"events"};
  const std::string onlyRn = writeTemp(d, "rn.root", g);
  expectHas(inputErrorOf([&] { RootFile(onlyRn).tree(""); }), {onlyRn, "'events'", "RNTuple"});

  t.version = 19;
  t.friends = true;
  rootw::File h;
  h.trees = {t};
  const std::string friendsPath = writeTemp(d, "friends.root", h);
  const RootTree withFriends = RootFile(friendsPath).tree("");
  expectHas(withFriends.friendWarning(), {friendsPath, "tree 'T'", "has friend trees", "not followed"});
  EXPECT_EQ(readAll(withFriends), 1);
  t.friends = false;
  h.trees = {t};
  EXPECT_EQ(RootFile(writeTemp(d, "nofriends.root", h)).tree("").friendWarning(), "");
  t.unreadableFriends = true;
  h.trees = {t};
  const std::string unknownPath = writeTemp(d, "unknownfriends.root", h);
  const RootTree unknown = RootFile(unknownPath).tree("");
  expectHas(unknown.friendWarning(), {unknownPath, "could not determine whether tree 'T' has friend trees",
                                      "unknown class", "not followed"});
  EXPECT_EQ(readAll(unknown), 1);

  writeFile(d / "text.root", "pt,eta\n1,2\n");
  expectHas(inputErrorOf([&] { RootFile(d / "text.root"); }), {"text.root", "not a ROOT file"});
  EXPECT_FALSE(isRootFile(d / "text.root"));
}

namespace {

// A small LZ4 file and the offset of the first basket's compressed block.
std::string lz4File(std::size_t& blockAt) {
  rootw::File f;
  f.codec = rootw::Codec::Lz4;
  f.trees = {allTypesTree()};
  const std::string bytes = rootw::write(f);
  blockAt = bytes.find("L4");
  return bytes;
}

}  // namespace

// Compressed-block problems: a changed byte under the LZ4 checksum, an unknown or ROOT's old
// "CS" block header, a block claiming more bytes than the object: clear errors naming the
// branch and basket.
TEST(RootReader, CorruptBlocks) {
  TempDir d;
  std::size_t at = 0;
  const std::string good = lz4File(at);
  ASSERT_NE(at, std::string::npos);

  std::string bad = good;
  bad[at + 9 + 12] = static_cast<char>(bad[at + 9 + 12] ^ 0x20);
  writeFile(d / "checksum.root", bad);
  expectHas(inputErrorOf([&] { readAll(RootFile(d / "checksum.root").tree("")); }),
            {"checksum.root", "tree 'T'", "branch 'b'", "basket 0", "checksum mismatch"});

  bad = good;
  bad.replace(at, 2, "QQ");
  writeFile(d / "magic.root", bad);
  expectHas(inputErrorOf([&] { readAll(RootFile(d / "magic.root").tree("")); }),
            {"magic.root", "branch 'b'", "unknown compression block header 'QQ"});

  bad = good;
  bad.replace(at, 2, "CS");
  writeFile(d / "cs.root", bad);
  expectHas(inputErrorOf([&] { readAll(RootFile(d / "cs.root").tree("")); }), {"'CS'", "not supported"});

  bad = good;
  bad[at + 8] = 0x7F;  // uncompressed size far beyond the basket
  writeFile(d / "size.root", bad);
  expectHas(inputErrorOf([&] { readAll(RootFile(d / "size.root").tree("")); }), {"size.root", "uncompressed bytes"});
}

// A file cut anywhere (a failed copy, a job killed while writing) is an Error at open or at read:
// never a crash, never fewer rows without an error.
TEST(RootReader, TruncatedFilesAreErrors) {
  TempDir d;
  std::size_t at = 0;
  const std::string good = lz4File(at);
  const std::string path = d / "cut.root";
  for (std::size_t len = 0; len < good.size(); len += 1 + len / 16) {
    writeFile(path, good.substr(0, len));
    try {
      const RootTree t = RootFile(path).tree("");
      ADD_FAILURE() << "a file cut at " << len << " of " << good.size() << " bytes opened with "
                    << readAll(t) << " rows";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Input) << e.what();
    }
  }
  writeFile(path, good.substr(0, good.size() - 1));
  expectHas(inputErrorOf([&] { RootFile{path}; }), {"cut.root", "truncated"});
}

// Basket positions beyond the end of the file (a corrupt index) are reported as such.
TEST(RootReader, SeekPastEndIsAnError) {
  TempDir d;
  rootw::File f;
  f.codec = rootw::Codec::None;  // an uncompressed TTree object, so its basket index can be patched
  f.trees = {allTypesTree()};
  std::string bytes = rootw::write(f);
  const std::size_t seekAt = firstBasketSeekAt(bytes);
  ASSERT_NE(seekAt, std::string::npos);
  bytes.replace(seekAt, 8, rootw::be<std::int64_t>(std::int64_t{1} << 40));
  writeFile(d / "seek.root", bytes);
  expectHas(inputErrorOf([&] { readAll(RootFile(d / "seek.root").tree("")); }),
            {"seek.root", "branch 'b'", "past the end of the file", "truncated or corrupt"});
}

// Every single-byte change of a small file (an uncompressed one, so the change reaches the
// parser rather than a checksum) either reads or throws Error: a miniature of the fuzz target
// that runs in every test pass, under ASan in the asan preset.
TEST(RootReader, EveryByteFlipIsHandled) {
  TempDir d;
  rootw::File f;
  f.codec = rootw::Codec::None;
  rootw::Tree t;
  t.entries = 3;
  auto a = rootw::branch("a", "TLeafI", std::vector<std::int32_t>{1, 2, 3});
  a.basketEntries = {2};
  a.embeddedEntries = 1;
  auto x = rootw::branch("x", "TLeafD", std::vector<double>{1, 2, 3, 4, 5, 6});
  x.length = 2;
  x.basketEntries = {3};
  x.embeddedEntries = 0;
  t.branches = {a, x};
  f.trees = {t};
  const std::string good = rootw::write(f);
  const std::string path = d / "flip.root";
  writeFile(path, good);
  // One byte changed in place and restored afterwards: rewriting whole files costs more time.
  std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
  const auto poke = [&](std::size_t at, char c) {
    io.seekp(static_cast<std::streamoff>(at));
    io.put(c);
    io.flush();
  };
  int errors = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    poke(i, static_cast<char>(good[i] ^ 0xA5));
    struct Restore {
      std::function<void()> f;
      ~Restore() { f(); }
    } restore{[&] { poke(i, good[i]); }};
    try {
      const RootFile file(path);
      for (const auto& k : file.trees()) readAll(file.tree(k.path));
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

// parseRootInputSpec: "file.root:tree", a bare ROOT file, text files untouched, and a tree
// selector on a non-ROOT file is an error rather than a silent text read.
TEST(RootReader, InputSpec) {
  TempDir d;
  rootw::File f;
  f.trees = {allTypesTree()};
  const std::string path = writeTemp(d, "in.root", f);
  writeFile(d / "in.csv", "a\n1\n");
  const auto spec = parseRootInputSpec(path + ":dir/T");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->file, path);
  EXPECT_EQ(spec->tree, "dir/T");
  ASSERT_TRUE(parseRootInputSpec(path));
  EXPECT_EQ(parseRootInputSpec(path)->tree, "");
  EXPECT_FALSE(parseRootInputSpec(d / "in.csv"));
  EXPECT_FALSE(parseRootInputSpec(d / "absent.root:T"));
  expectHas(inputErrorOf([&] { parseRootInputSpec(d / "in.csv:T"); }), {"in.csv", "not a ROOT file"});
}

// The codec is read from each block's own header: one object whose blocks alternate ZLIB, LZMA,
// LZ4 and ZSTD reads exactly (a reader deciding once per object, or from the file header, fails).
TEST(RootReader, MixedCodecsInOneObject) {
  TempDir d;
  rootw::File f;
  f.codecs = {rootw::Codec::Zlib, rootw::Codec::Lzma, rootw::Codec::Lz4, rootw::Codec::Zstd};
  f.blockSize = 100;  // the TTree object and each basket span several blocks
  f.trees = {allTypesTree()};
  const std::string bytes = rootw::write(f);
  for (const char* magic : {"ZL\x08", "XZ", "L4\x01", "ZS\x01"})
    EXPECT_NE(bytes.find(magic), std::string::npos) << "no block of codec " << magic;
  writeFile(d / "mixed.root", bytes);
  const RootTree t = RootFile(d / "mixed.root").tree("");
  RootRowReader r(t, allColumns(t));
  while (r.next()) {
    const std::int64_t e = r.entry();
    expectColumn(r, 5, valuesOf<std::int32_t>(kEntries, 6), e);
    expectColumn(r, 8, valuesOf<std::uint64_t>(kEntries, 9), e);
    expectColumn(r, 9, valuesOf<float>(kEntries, 10), e);
    expectColumn(r, 10, valuesOf<double>(kEntries, 11), e);
  }
  EXPECT_EQ(r.entry(), kEntries);
}

// TLeafG (Long_t, 8 bytes on disk) reads as int64, or uint64 when unsigned.
TEST(RootReader, LongLeavesAreInt64) {
  TempDir d;
  rootw::File f;
  rootw::Tree t;
  t.entries = kEntries;
  t.branches = {branchOf("g", "TLeafG", valuesOf<std::int64_t>(kEntries, 12)),
                branchOf("ug", "TLeafG", valuesOf<std::uint64_t>(kEntries, 13))};
  f.trees = {t};
  const RootTree tree = RootFile(writeTemp(d, "long.root", f)).tree("");
  ASSERT_EQ(tree.columns().size(), 2u);
  EXPECT_EQ(tree.columns()[0].type, RootType::Int64);
  EXPECT_EQ(tree.columns()[1].type, RootType::UInt64);
  RootRowReader r(tree, {0, 1});
  while (r.next()) {
    expectColumn(r, 0, valuesOf<std::int64_t>(kEntries, 12), r.entry());
    expectColumn(r, 1, valuesOf<std::uint64_t>(kEntries, 13), r.entry());
  }
  EXPECT_EQ(r.entry(), kEntries);
}

namespace {

// Every value of every column of the file's tree `name`, as text.
std::vector<std::string> allValues(const std::string& path, const std::string& name) {
  const RootTree t = RootFile(path).tree(name);
  RootRowReader r(t, allColumns(t));
  std::vector<std::string> out;
  while (r.next())
    for (std::size_t i = 0; i < t.columns().size(); ++i) out.push_back(r.asText(i));
  return out;
}

}  // namespace

// The 64-bit layout of files over 2 GiB (header fVersion >= 1000000 with 64-bit fEND/fSeekFree/
// fSeekInfo, TKey 1004 and TDirectory 1005 records with 64-bit seeks) with every object past
// 2 GiB and the baskets past 4 GiB (a 4 GiB file, mostly a hole on disk): the same values as the
// small layout. Catches a seek read as 32 bits, truncated to int32/uint32, or a 32-bit field
// assumed in a 64-bit record.
TEST(RootReader, BigFileLayoutReadsLikeTheSmallOne) {
  TempDir d;
  rootw::File small;
  small.codec = rootw::Codec::Zstd;
  small.trees = {allTypesTree(), allTypesTree()};
  small.trees[1].dir = "a/b";
  rootw::File big = small;
  big.bigFile = true;
  big.objectsAt = (std::uint64_t{1} << 31) + 4096;
  big.basketsAt = (std::uint64_t{1} << 32) + 4096;
  rootw::writeFile(d / "small.root", small);
  rootw::writeFile(d / "big.root", big);
  ASSERT_GT(std::filesystem::file_size(d / "big.root"), std::uint64_t{1} << 32);
  const RootFile file(d / "big.root");
  EXPECT_EQ(file.rootVersionText(), "6.26/00");
  ASSERT_EQ(file.trees().size(), 2u);
  EXPECT_EQ(file.trees()[1].path, "a/b/T");
  for (const char* name : {"T", "a/b/T"}) {
    const auto want = allValues(d / "small.root", name);
    ASSERT_EQ(want.size(), static_cast<std::size_t>(kEntries) * 11);
    EXPECT_EQ(allValues(d / "big.root", name), want) << name;
  }
}

// Directories inside directories (TDirectoryFile keys in a subdirectory's key list): trees are
// found by full path and, when unique, by bare name; "a/b" is two directories, not one key.
TEST(RootReader, NestedDirectories) {
  TempDir d;
  rootw::File f;
  f.trees = {oneValueTree("events", "a/b", 1.0f), oneValueTree("events", "a/c/d", 2.0f), oneValueTree("events", "a", 3.0f)};
  f.trees[1].name = "deep";
  const std::string bytes = rootw::write(f);
  EXPECT_EQ(bytes.find("a/b"), std::string::npos) << "the writer made one key named 'a/b'";
  writeFile(d / "nested.root", bytes);
  const RootFile file(d / "nested.root");
  std::vector<std::string> paths;
  for (const auto& k : file.trees()) paths.push_back(k.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"a/events", "a/b/events", "a/c/d/deep"}));
  EXPECT_EQ(firstValue(file.tree("a/b/events")), 1.0f);
  EXPECT_EQ(firstValue(file.tree("/a/c/d/deep")), 2.0f);
  EXPECT_EQ(firstValue(file.tree("deep")), 2.0f);
  EXPECT_EQ(firstValue(file.tree("a/events")), 3.0f);
  expectHas(inputErrorOf([&] { file.tree("events"); }), {"'events' is ambiguous", "a/events", "a/b/events"});
}

// Crafted 64-bit seeks near INT64_MAX (directory, tree and basket keys): an error naming the
// file, never a signed overflow in seek + key length (UBSan in the asan preset would report it).
TEST(RootReader, SeeksNearInt64MaxAreErrors) {
  TempDir d;
  rootw::File f;
  f.codec = rootw::Codec::None;
  f.bigFile = true;
  f.trees = {allTypesTree()};
  f.trees[0].dir = "sub";
  const std::string good = rootw::write(f);
  const std::string huge = rootw::be<std::int64_t>(std::numeric_limits<std::int64_t>::max() - 3);

  std::string bad = good;
  bad.replace(lastKeySeekAt(good, "TDirectoryFile"), 8, huge);
  writeFile(d / "dir.root", bad);
  expectHas(inputErrorOf([&] { RootFile(d / "dir.root"); }), {"dir.root", "directory 'sub'", "corrupt position"});

  bad = good;
  bad.replace(lastKeySeekAt(good, "TTree"), 8, huge);
  writeFile(d / "tree.root", bad);
  expectHas(inputErrorOf([&] { RootFile(d / "tree.root").tree(""); }),
            {"tree.root", "tree 'sub/T'", "past the end of the file"});

  bad = good;
  const std::size_t seekAt = firstBasketSeekAt(bad);
  ASSERT_NE(seekAt, std::string::npos);
  bad.replace(seekAt, 8, huge);
  writeFile(d / "basket.root", bad);
  expectHas(inputErrorOf([&] { readAll(RootFile(d / "basket.root").tree("")); }),
            {"basket.root", "branch 'b'", "basket 0", "past the end of the file"});
}

namespace {

// `bytes` cut to `len` bytes, with the header's fEND saying so (a file whose writer stopped
// cleanly at that point, or a copy cut and "repaired"): the open-time size check passes and the
// reader's deeper bounds checks are what must catch it.
std::string cutWithEnd(const std::string& bytes, std::size_t len, bool big) {
  std::string out = bytes.substr(0, len);
  if (big) out.replace(rootw::kHeaderEnd, 8, rootw::be<std::int64_t>(static_cast<std::int64_t>(len)));
  else out.replace(rootw::kHeaderEnd, 4, rootw::be<std::int32_t>(static_cast<std::int32_t>(len)));
  return out;
}

}  // namespace

// Cuts inside the baskets (laid out after the tree and the key lists) and inside the top key list,
// with fEND patched to match: a clear error naming the file (and branch and basket), never a
// crash and never fewer rows without an error.
TEST(RootReader, TruncatedInsideBasketsAndKeyLists) {
  TempDir d;
  for (const bool big : {false, true}) {
    SCOPED_TRACE(big ? "big layout" : "small layout");
    rootw::File f;
    f.codec = rootw::Codec::Lz4;
    f.bigFile = big;
    f.basketsAt = 1 << 16;
    f.trees = {allTypesTree()};
    const std::string good = rootw::write(f);
    const std::string path = d / "cut.root";
    writeFile(path, good);
    ASSERT_EQ(allValues(path, "").size(), static_cast<std::size_t>(kEntries) * 11);
    for (std::size_t len = f.basketsAt; len < good.size(); len += 97) {
      writeFile(path, cutWithEnd(good, len, big));
      const RootTree t = RootFile(path).tree("");  // the tree and key lists are whole
      expectHas(inputErrorOf([&] { readAll(t); }), {"cut.root", "tree 'T'", "branch '", "basket ", "past the end"});
    }

    rootw::File inlined = f;
    inlined.basketsAt = 0;
    const std::string normal = rootw::write(inlined);
    // The top directory's key list is the last object; its key header starts with its size.
    const std::size_t listAt = normal.rfind(std::string("\x05TFile\x09test.root", 16)) - (big ? 34 : 26);
    for (std::size_t len = listAt + 1; len < normal.size(); len += 7) {
      writeFile(path, cutWithEnd(normal, len, big));
      expectHas(inputErrorOf([&] { RootFile{path}; }), {"cut.root", "key list of the top directory", "past the end"});
    }
  }
}

namespace {

// One ROOT "XZ" block of `data` whose LZMA2 dictionary size is rewritten to 2^log2Dict bytes in
// the .xz block header (CRC32 recomputed): the decoder sizes its dictionary from that field.
std::string xzBlockWithDictionary(const std::string& data, int log2Dict) {
  std::string xz(data.size() + 1024, '\0');
  std::size_t pos = 0;
  if (lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const std::uint8_t*>(data.data()),
                              data.size(), reinterpret_cast<std::uint8_t*>(xz.data()), &pos, xz.size()) != LZMA_OK)
    throw std::runtime_error("lzma encode");
  xz.resize(pos);
  // Stream header (12 bytes), then the block header: size, flags, optional sizes (varints), the
  // LZMA2 filter (id 0x21, one property byte: 2k means a 2^(k+12)-byte dictionary), CRC32.
  const std::size_t header = 12, headerSize = (static_cast<std::uint8_t>(xz[header]) + 1u) * 4u;
  const auto flags = static_cast<std::uint8_t>(xz[header + 1]);
  std::size_t p = header + 2;
  const auto skipVarint = [&] {
    while (static_cast<std::uint8_t>(xz[p++]) & 0x80) {
    }
  };
  if (flags & 0x40) skipVarint();
  if (flags & 0x80) skipVarint();
  if (xz[p] != 0x21 || xz[p + 1] != 1) throw std::runtime_error("unexpected xz filter");
  xz[p + 2] = static_cast<char>(2 * (log2Dict - 12));
  const std::uint32_t crc = lzma_crc32(reinterpret_cast<const std::uint8_t*>(xz.data() + header), headerSize - 4, 0);
  for (int k = 0; k < 4; ++k) xz[header + headerSize - 4 + k] = static_cast<char>((crc >> (8 * k)) & 0xFF);
  std::string block = "XZ";
  block += '\0';
  for (std::size_t v : {xz.size(), data.size()})
    for (int k = 0; k < 3; ++k) block += static_cast<char>((v >> (8 * k)) & 0xFF);
  return block + xz;
}

}  // namespace

// ROOT's XZ presets use at most a 64 MiB dictionary; a block header asking for 512 MiB is refused
// by the decoder's memory limit instead of making a small file allocate it.
TEST(RootReader, XzDictionaryBeyondRootsPresetsIsRefused) {
  const std::string data(1000, 'x');
  const std::string ok = xzBlockWithDictionary(data, 26);
  const auto decoded = rootDecompress(reinterpret_cast<const unsigned char*>(ok.data()), ok.size(), data.size(), "obj");
  EXPECT_EQ(std::string(decoded.begin(), decoded.end()), data);
  const std::string huge = xzBlockWithDictionary(data, 29);
  expectHas(inputErrorOf([&] {
              rootDecompress(reinterpret_cast<const unsigned char*>(huge.data()), huge.size(), data.size(), "obj");
            }),
            {"obj, compressed block 1", "corrupt LZMA (XZ) block", "dictionary larger than any ROOT compression level"});
}
