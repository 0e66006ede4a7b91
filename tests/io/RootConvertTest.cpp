// io::convert with ROOT inputs ("file.root:tree"): class by file and by a label branch, weights,
// ids, feature selection, mixing with text inputs, provenance (sha256 of the ROOT file), and the
// errors for unreadable branches, non-finite values and friend-tree warnings.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "ErrorTestUtil.hpp"
#include "IoTestUtil.hpp"
#include "RootTestWriter.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"

using namespace hepsweep;
using namespace hepsweep::io;
using hepsweep::iotest::errorOf;
using hepsweep::iotest::expectHas;
using hepsweep::iotest::TempDir;
using hepsweep::iotest::writeFile;

namespace {

// sig: pt (float), eta (double), w (float), evt (int64), flag (int32); 3 entries.
// bkg: same branches in another order plus a jagged branch; 2 entries.
void writeInputs(const TempDir& d) {
  rootw::Tree sig;
  sig.name = "sig_tree";
  sig.entries = 3;
  sig.branches = {rootw::branch<float>("pt", "TLeafF", {1.5f, 2.5f, 3.25f}),
                  rootw::branch<double>("eta", "TLeafD", {0.1, -0.2, 0.3}),
                  rootw::branch<float>("w", "TLeafF", {0.5f, -1.25f, 2.0f}),
                  rootw::branch<std::int64_t>("evt", "TLeafL", {9007199254740993LL, 2, 3}),
                  rootw::branch<std::int32_t>("flag", "TLeafI", {1, 0, 1})};
  rootw::Tree bkg;
  bkg.name = "bkg_tree";
  bkg.entries = 2;
  bkg.branches = {rootw::branch<std::int32_t>("flag", "TLeafI", {0, 0}),
                  rootw::branch<std::int64_t>("evt", "TLeafL", {10, 11}),
                  rootw::branch<float>("w", "TLeafF", {1.0f, 3.0f}),
                  rootw::branch<double>("eta", "TLeafD", {1.0, 2.0}),
                  rootw::branch<float>("pt", "TLeafF", {10.0f, 20.0f}),
                  rootw::branch<float>("jets", "TLeafF", {1.0f, 2.0f})};
  bkg.branches.back().jagged = true;
  bkg.branches.back().title = "jets[njet]/F";
  rootw::File f;
  f.codec = rootw::Codec::Zstd;
  f.trees = {sig, bkg};
  writeFile(d / "mc.root", rootw::write(f));
  rootw::File s;
  s.codec = rootw::Codec::Lz4;
  s.trees = {sig};
  writeFile(d / "sig.root", rootw::write(s));
}

}  // namespace

// Class by file from two trees of one file: features in the first tree's branch order (matched
// by name in the second), doubles rounded to float32, weights, ids exact beyond 2^53, the
// unreadable jagged branch left out with --drop, provenance naming file, tree and sha256.
TEST(RootConvert, ClassByFileWithWeightsAndIds) {
  TempDir d;
  writeInputs(d);
  ConvertOptions o;
  o.signalFiles = {d / "mc.root:sig_tree"};
  o.backgroundFiles = {d / "mc.root:bkg_tree"};
  o.weightColumn = "w";
  o.idColumn = "evt";
  o.drop = {"flag", "jets"};
  o.output = d / "out.h5";
  const ConvertSummary s = convert(o);
  EXPECT_EQ(s.rows, 5);
  EXPECT_EQ(s.featureNames, (std::vector<std::string>{"pt", "eta"}));
  const auto ds = readDataset(o.output);
  const float pt[] = {1.5f, 2.5f, 3.25f, 10.0f, 20.0f};
  const float eta[] = {static_cast<float>(0.1), static_cast<float>(-0.2), static_cast<float>(0.3), 1.0f, 2.0f};
  const float w[] = {0.5f, -1.25f, 2.0f, 1.0f, 3.0f};
  const std::int64_t ids[] = {9007199254740993LL, 2, 3, 10, 11};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ds.features(i, 0), pt[i]);
    EXPECT_EQ(ds.features(i, 1), eta[i]);
    EXPECT_EQ(ds.weights(i), w[i]);
    EXPECT_EQ(ds.ids[static_cast<std::size_t>(i)], ids[i]);
    EXPECT_EQ(ds.labels(i), i < 3 ? 1.0f : 0.0f);
  }
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_EQ(s.inputs[0].format, "root");
  EXPECT_EQ(s.inputs[0].tree, "sig_tree");
  EXPECT_EQ(s.inputs[0].sha256, sha256File(d / "mc.root"));
  EXPECT_EQ(s.inputs[1].rows, 2);
  h5::File f = h5::File::open(o.output);
  const auto paths = f.openGroup("provenance").readStrings("input_paths");
  EXPECT_EQ(paths[1], d / "mc.root:bkg_tree");
  const auto abs = f.openGroup("provenance").readStrings("input_absolute_paths");
  EXPECT_NE(abs[0].find("mc.root:sig_tree"), std::string::npos);
  // The ROOT file's hash is the same whether it is a second read after the rows (one thread) or
  // a read alongside them on a thread of its own (several threads).
  for (const int threads : {1, 3}) {
    o.threads = threads;
    o.output = d / ("threads" + std::to_string(threads) + ".h5");
    const ConvertSummary t = convert(o);
    EXPECT_EQ(t.inputs[0].sha256, sha256File(d / "mc.root")) << threads << " threads";
    EXPECT_EQ(t.inputs[1].sha256, sha256File(d / "mc.root")) << threads << " threads";
  }
  EXPECT_NE(summaryText(s).find("ROOT tree 'bkg_tree'"), std::string::npos);
}

// Class from an integer label branch (positional "file.root:tree" plus --label), and ROOT and
// text inputs mixed: columns are matched by name across formats.
TEST(RootConvert, LabelBranchAndMixedWithText) {
  TempDir d;
  writeInputs(d);
  ConvertOptions o;
  o.labelledFiles = {d / "sig.root"};  // the only tree of the file, no ":tree" needed
  o.labelColumn = "flag";
  o.features = {"eta", "pt"};
  o.output = d / "label.h5";
  const ConvertSummary s = convert(o);
  EXPECT_EQ(s.nSignal, 2);
  EXPECT_EQ(s.nBackground, 1);
  const auto ds = readDataset(o.output);
  EXPECT_EQ(ds.labels(1), 0.0f);
  EXPECT_EQ(ds.features(2, 1), 3.25f);

  writeFile(d / "bkg.csv", "eta,pt,w,evt,flag\n5,6,1,7,0\n");
  ConvertOptions m;
  m.signalFiles = {d / "mc.root:sig_tree"};
  m.backgroundFiles = {d / "bkg.csv"};
  m.drop = {"flag", "w", "evt"};
  m.output = d / "mixed.h5";
  const ConvertSummary ms = convert(m);
  EXPECT_EQ(ms.featureNames, (std::vector<std::string>{"pt", "eta"}));
  const auto mds = readDataset(m.output);
  EXPECT_EQ(mds.features(3, 0), 6.0f);
  EXPECT_EQ(mds.features(3, 1), 5.0f);
  EXPECT_EQ(ms.inputs[1].format, "text");
}

// A branch the reader cannot read is never silently skipped: as a default feature it is an
// error suggesting --drop; named by --features or --weight the error gives the reason.
TEST(RootConvert, UnreadableBranchesAreErrors) {
  TempDir d;
  writeInputs(d);
  ConvertOptions o;
  o.signalFiles = {d / "mc.root:sig_tree"};
  o.backgroundFiles = {d / "mc.root:bkg_tree"};
  o.output = d / "out.h5";
  expectHas(errorOf([&] { convert(o); }),
            {"mc.root", "tree 'bkg_tree'", "branch 'jets'", "TLeafF", "jagged", "--drop jets"});
  o.features = {"pt", "jets"};
  expectHas(errorOf([&] { convert(o); }), {"branch 'jets'", "jagged", "--features"});
  o.features = {"pt"};
  o.weightColumn = "jets";
  expectHas(errorOf([&] { convert(o); }), {"branch 'jets'", "--weight"});
  o.weightColumn.clear();
  o.features.clear();
  o.signalFiles = {d / "mc.root"};
  expectHas(errorOf([&] { convert(o); }), {"has 2 trees", "sig_tree", "bkg_tree"});
  o.signalFiles = {d / "mc.root:nope"};
  expectHas(errorOf([&] { convert(o); }), {"no tree 'nope'"});
  EXPECT_FALSE(std::filesystem::exists(d / "out.h5"));
}

// Non-finite float values in a ROOT branch are refused as in text inputs (naming tree, entry and
// column) unless --allow-nonfinite; friend trees are reported in the summary's warnings.
TEST(RootConvert, NonFiniteValuesAndFriends) {
  TempDir d;
  rootw::Tree t;
  t.name = "T";
  t.entries = 2;
  t.friends = true;
  t.branches = {rootw::branch<float>("x", "TLeafF", {1.0f, std::numeric_limits<float>::quiet_NaN()}),
                rootw::branch<double>("big", "TLeafD", {1.0, 1e300}),
                rootw::branch<float>("y", "TLeafF", {1.0f, 2.0f})};
  rootw::File f;
  f.trees = {t};
  writeFile(d / "t.root", rootw::write(f));
  ConvertOptions o;
  o.signalFiles = {d / "t.root:T"};
  o.backgroundFiles = {d / "t.root:T"};
  o.features = {"y", "x"};
  o.output = d / "nan.h5";
  expectHas(errorOf([&] { convert(o); }), {"t.root", "tree 'T'", "entry 1", "column 'x'", "nan", "--allow-nonfinite"});
  o.allowNonFinite = true;
  const ConvertSummary s = convert(o);
  EXPECT_TRUE(std::isnan(readDataset(o.output).features(1, 1)));
  ASSERT_FALSE(s.warnings.empty());
  expectHas(s.warnings.front(), {"friend trees", "not followed"});
  o.features = {"big"};
  expectHas(errorOf([&] { convert(o); }), {"column 'big'", "1e+300", "outside the float32 range"});
}

// A tree two directories deep (a/b/T), in the small layout and in the 64-bit layout of files over
// 2 GiB, converts to the same values; it is found by its full path and by its bare name.
TEST(RootConvert, NestedDirectoriesAndBigLayout) {
  TempDir d;
  std::vector<float> x;
  std::vector<double> y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(0.25f * static_cast<float>(i) - 3.0f);
    y.push_back(std::sqrt(i + 0.5));
  }
  rootw::Tree t;
  t.dir = "a/b";
  t.entries = 40;
  t.branches = {rootw::branch("x", "TLeafF", x), rootw::branch("y", "TLeafD", y)};
  rootw::File f;
  f.codec = rootw::Codec::Lzma;
  f.trees = {t};
  writeFile(d / "small.root", rootw::write(f));
  f.bigFile = true;
  writeFile(d / "big.root", rootw::write(f));
  ConvertOptions o;
  o.signalFiles = {d / "small.root:a/b/T"};
  o.backgroundFiles = {d / "big.root:T"};
  o.output = d / "out.h5";
  const ConvertSummary s = convert(o);
  ASSERT_EQ(s.rows, 80);
  EXPECT_EQ(s.inputs[1].tree, "a/b/T");
  const auto ds = readDataset(o.output);
  for (int i = 0; i < 40; ++i) {
    const auto si = static_cast<std::size_t>(i);
    EXPECT_EQ(ds.features(i, 0), x[si]);
    EXPECT_EQ(ds.features(i, 1), static_cast<float>(y[si]));
    EXPECT_EQ(ds.features(i + 40, 0), x[si]);
    EXPECT_EQ(ds.features(i + 40, 1), static_cast<float>(y[si]));
  }
}
