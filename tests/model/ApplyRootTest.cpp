// `apply` on ROOT trees ("file.root:tree"): the bundled cut of a real ROOT file and crafted trees
// (subdirectory, several trees, refused branches). Scores are checked against apply on the same
// events written as CSV (bit for bit), so a value decoded differently from ROOT than from text, a
// row lost at a block boundary or a feature matched by position would show.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "../io/ErrorTestUtil.hpp"
#include "../io/RootTestWriter.hpp"
#include "ModelTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/io/RootFile.hpp"
#include "hepsweep/io/TextReader.hpp"
#include "hepsweep/model/Apply.hpp"
#include "hepsweep/model/Model.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace hepsweep::model {
namespace {

using iotest::expectHas;
using testing::TempDir;

// A 2-fold model on `features` with a standard scaler (`mean`, `scale` per feature) and small,
// fixed, input-dependent weights, so that every feature moves the score.
Model smoothModel(const std::vector<std::string>& features, const std::vector<double>& mean,
                  const std::vector<double>& scale) {
  Model m;
  m.featureNames = features;
  const auto n = static_cast<Eigen::Index>(features.size());
  for (int k = 0; k < 2; ++k) {
    FoldModel f;
    f.fold = k;
    data::PreprocessParams& p = f.preprocess;
    p.scaler = data::ScalerKind::Standard;
    p.inputNames = features;
    p.outputNames = features;
    p.usesMissing.assign(features.size(), 0);
    p.imputeMean = Eigen::VectorXd::Zero(n);
    p.mean = Eigen::Map<const Eigen::VectorXd>(mean.data(), n);
    p.scale = Eigen::Map<const Eigen::VectorXd>(scale.data(), n);
    f.network.widths = {4};
    f.network.dropout = {};
    f.inputs = static_cast<int>(features.size());
    nn::Network net(f.inputs, f.network, 0);
    for (Eigen::Index i = 0; i < net.params().size(); ++i)
      net.params()[i] = 0.4f * std::sin(1.7f * static_cast<float>(i) + static_cast<float>(k));
    f.params = net.params();
    f.state = net.state();
    f.testScores = {0.5f, 0.5f};
    m.folds.push_back(f);
  }
  m.foldRule.folds = 2;
  m.foldRule.key = FoldKey::RowIndex;
  m.foldRule.testKeys = {0, 1, 2, 3};
  m.foldRule.testRows = {0, 1, 2, 3};
  m.foldRule.dataRows = 10;
  m.testLabels = {0.0f, 1.0f, 0.0f, 1.0f};
  m.testWeights = {1.0f, 1.0f, 1.0f, 1.0f};
  m.testScores = {0.1f, 0.6f, 0.3f, 0.9f};
  return m;
}

std::string gunzipTo(const std::string& gz, const std::string& out) {
  io::ByteSource src(gz);
  std::ofstream o(out, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (const std::size_t n = src.read(buf.data(), buf.size())) o.write(buf.data(), static_cast<std::streamsize>(n));
  return out;
}

// The selected branches of a tree as CSV text, every value as ROOT stores it (floats as their
// shortest round-trip decimal, which parses back to the same float32).
void treeToCsv(const std::string& rootFile, const std::string& tree, const std::vector<std::string>& columns,
               const std::string& csv) {
  const io::RootTree t = io::RootFile(rootFile).tree(tree);
  std::vector<std::size_t> idx;
  for (const auto& c : columns) idx.push_back(static_cast<std::size_t>(t.column(c)));
  io::RootRowReader r(t, idx);
  std::ofstream out(csv);
  out << str::join(columns, ",") << "\n";
  while (r.next()) {
    for (std::size_t j = 0; j < columns.size(); ++j) out << (j ? "," : "") << r.asText(j);
    out << "\n";
  }
}

std::vector<std::uint32_t> bitsOf(const std::vector<float>& v) {
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

std::string applyError(const ApplyOptions& o) { return iotest::errorOf([&] { applyModel(o); }); }

// Real ROOT bytes (tests/data/root, ZLIB baskets, key cycle 2, int32 ids): the row count is the
// one recorded from the JSROOT-derived CSV, ids are the f_event branch, and every score equals
// the score of the same events given as CSV; --chunk-rows 1024 (22 blocks) changes nothing.
TEST(ApplyRoot, BundledTreeScoresBitExactlyLikeTheSameEventsAsCsv) {
  TempDir d("root-bundled");
  const std::string root = gunzipTo(std::string(HEPSWEEP_SOURCE_DIR) + "/tests/data/root/hzz4mu_cut.root.gz",
                                    d.file("cut.root"));
  const std::vector<std::string> features{"f_mass4l", "f_iso_max", "f_weight"};
  writeModel(d.file("model.h5"), smoothModel(features, {125.0, 0.0, 1e-4}, {0.1, 1.0, 1e4}));
  treeToCsv(root, "", {"f_event", "f_weight", "f_mass4l", "f_iso_max"}, d.file("same.csv"));

  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {root};  // the file's only tree, by default
  o.idColumn = "f_event";
  o.perFold = true;
  o.output = d.file("root.h5");
  const ApplySummary s = applyModel(o);
  EXPECT_EQ(s.rows, 22344);  // tests/data/root/hzz4mu_cut.expected
  ASSERT_EQ(s.inputs.size(), 1u);
  EXPECT_EQ(s.inputs[0].format, "root");
  EXPECT_EQ(s.inputs[0].rows, 22344);
  EXPECT_EQ(s.inputs[0].checksum, xxh128File(root));

  o.inputs = {d.file("same.csv")};
  o.output = d.file("csv.h5");
  applyModel(o);
  o.inputs = {root + ":HZZ4LeptonsAnalysisReduced"};
  o.chunkRows = 1024;
  o.output = d.file("root-small-blocks.h5");
  applyModel(o);

  const auto fromRoot = io::h5::File::open(d.file("root.h5"));
  const auto fromCsv = io::h5::File::open(d.file("csv.h5"));
  const auto small = io::h5::File::open(d.file("root-small-blocks.h5"));
  const auto score = fromRoot.read<float>("score");
  ASSERT_EQ(score.size(), 22344u);
  EXPECT_EQ(bitsOf(score), bitsOf(fromCsv.read<float>("score")));
  EXPECT_EQ(bitsOf(score), bitsOf(small.read<float>("score")));
  EXPECT_EQ(bitsOf(fromRoot.read<float>("fold_scores")), bitsOf(fromCsv.read<float>("fold_scores")));
  const auto ids = fromRoot.read<std::int64_t>("ids");
  EXPECT_EQ(ids, fromCsv.read<std::int64_t>("ids"));
  EXPECT_EQ(ids.front(), 1);  // first and last f_event of hzz4mu_cut.expected
  EXPECT_EQ(ids.back(), 401035);
  EXPECT_EQ(fromRoot.attrString("id_column", "ids"), "f_event");
  // The scores are not all alike (the features reach the network).
  EXPECT_NE(*std::min_element(score.begin(), score.end()), *std::max_element(score.begin(), score.end()));
}

// Two trees, one two directories deep, with the model's features among other branches, in another
// order, as float and double; ids as int64; a jagged branch; a float "id" that is not integral.
// `big`: the 64-bit layout of files over 2 GiB.
void writeCrafted(const std::string& path, int n, bool big = false) {
  std::vector<float> a(static_cast<std::size_t>(n)), badId(static_cast<std::size_t>(n));
  std::vector<double> b(static_cast<std::size_t>(n));
  std::vector<std::int64_t> evt(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto si = static_cast<std::size_t>(i);
    a[si] = 0.37f * static_cast<float>(i) - 3.0f;
    b[si] = std::cos(0.1 * i) * 2.5;
    evt[si] = 5000000000LL + 7 * i;
    badId[si] = i == n - 1 ? 2.5f : static_cast<float>(i);
  }
  rootw::Tree t;
  t.name = "events";
  t.dir = "selection/muons";
  t.entries = n;
  t.branches = {rootw::branch("b", "TLeafD", b), rootw::branch("other", "TLeafF", a),
                rootw::branch("evt", "TLeafL", evt), rootw::branch("a", "TLeafF", a),
                rootw::branch("fid", "TLeafF", badId), rootw::branch("jets", "TLeafF", a)};
  t.branches.back().jagged = true;
  t.branches.back().title = "jets[njet]/F";
  rootw::Tree plain = t;
  plain.name = "plain";
  plain.dir = "";
  rootw::File f;
  f.codec = rootw::Codec::Zstd;
  f.bigFile = big;
  f.trees = {t, plain};
  rootw::writeFile(path, f);
}

// A tree in a nested directory, chosen by path, scores like the same events as CSV (the double
// branch b is rounded to float32 as convert would), also from the 64-bit (big file) layout; the
// int64 ids beyond 2^32 come through.
TEST(ApplyRoot, TreeInSubdirectoryMatchesCsvAndKeepsInt64Ids) {
  TempDir d("root-subdir");
  const int n = 300;
  writeCrafted(d.file("mc.root"), n);
  writeCrafted(d.file("big.root"), n, true);
  writeModel(d.file("model.h5"), smoothModel({"a", "b"}, {0.0, 0.0}, {0.1, 0.5}));
  {
    std::ofstream csv(d.file("same.csv"));
    csv << "evt,b,a\n";
    for (int i = 0; i < n; ++i) {
      char buf[64];
      const float bf = static_cast<float>(std::cos(0.1 * i) * 2.5);
      csv << 5000000000LL + 7 * i << "," << std::string(buf, std::to_chars(buf, buf + sizeof buf, bf).ptr) << ",";
      const float af = 0.37f * static_cast<float>(i) - 3.0f;
      csv << std::string(buf, std::to_chars(buf, buf + sizeof buf, af).ptr) << "\n";
    }
  }
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.idColumn = "evt";
  o.inputs = {d.file("mc.root") + ":selection/muons/events"};
  o.output = d.file("root.h5");
  EXPECT_EQ(applyModel(o).rows, n);
  o.inputs = {d.file("same.csv")};
  o.output = d.file("csv.h5");
  applyModel(o);
  o.inputs = {d.file("big.root") + ":selection/muons/events"};
  o.output = d.file("big.h5");
  applyModel(o);
  const auto fromRoot = io::h5::File::open(d.file("root.h5"));
  const auto fromCsv = io::h5::File::open(d.file("csv.h5"));
  EXPECT_EQ(bitsOf(fromRoot.read<float>("score")), bitsOf(fromCsv.read<float>("score")));
  EXPECT_EQ(bitsOf(io::h5::File::open(d.file("big.h5")).read<float>("score")), bitsOf(fromCsv.read<float>("score")));
  const auto ids = fromRoot.read<std::int64_t>("ids");
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(ids[0], 5000000000LL);
  EXPECT_EQ(ids[static_cast<std::size_t>(n - 1)], 5000000000LL + 7 * (n - 1));
  // ROOT and text inputs together, in one output, in input order.
  o.inputs = {d.file("mc.root") + ":plain", d.file("same.csv")};
  o.output = d.file("both.h5");
  const ApplySummary s = applyModel(o);
  EXPECT_EQ(s.rows, 2 * n);
  EXPECT_EQ(s.inputs[0].format, "root");
  EXPECT_EQ(s.inputs[1].format, "text");
  const auto both = io::h5::File::open(d.file("both.h5")).read<float>("score");
  const auto single = fromCsv.read<float>("score");
  for (std::size_t i = 0; i < both.size(); ++i) ASSERT_EQ(std::bit_cast<std::uint32_t>(both[i]), std::bit_cast<std::uint32_t>(single[i % n])) << i;
}

// --keep on a tree: branches copied row for row (one of them also a model feature, read once),
// in HDF5 as float32 and in CSV as convert prints the values; a missing branch is named with
// the closest one.
TEST(ApplyRoot, KeepCopiesBranches) {
  TempDir d("root-keep");
  const int n = 300;
  writeCrafted(d.file("mc.root"), n);
  writeModel(d.file("model.h5"), smoothModel({"a", "b"}, {0.0, 0.0}, {0.1, 0.5}));
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {d.file("mc.root") + ":plain"};
  o.keep = {"other", "b", "fid"};
  o.output = d.file("kept.h5");
  applyModel(o);
  const auto f = io::h5::File::open(d.file("kept.h5"));
  const auto other = f.read<float>("kept/other"), b = f.read<float>("kept/b"), fid = f.read<float>("kept/fid");
  ASSERT_EQ(other.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto si = static_cast<std::size_t>(i);
    ASSERT_EQ(other[si], 0.37f * static_cast<float>(i) - 3.0f) << i;
    ASSERT_EQ(b[si], static_cast<float>(std::cos(0.1 * i) * 2.5)) << i;
    ASSERT_EQ(fid[si], i == n - 1 ? 2.5f : static_cast<float>(i)) << i;
  }
  o.keep = {"fid"};
  o.csv = true;
  o.output = d.file("kept.csv");
  applyModel(o);
  std::ifstream in(d.file("kept.csv"));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "score,fid");
  std::vector<std::string> last;
  while (std::getline(in, line)) last = str::split(line, ',');
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(std::strtof(last[1].c_str(), nullptr), 2.5f) << last[1];

  o.csv = false;
  o.output = d.file("missing.h5");
  o.keep = {"othr"};
  expectHas(iotest::inputErrorOf([&] { applyModel(o); }), {"'othr'", "did you mean 'other'?", "mc.root"});
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

// Each refusal names the file, the tree and the branch, and leaves no output behind.
TEST(ApplyRoot, ErrorsNameFileTreeAndBranch) {
  TempDir d("root-errors");
  writeCrafted(d.file("mc.root"), 20);
  ApplyOptions o;
  o.output = d.file("scored.h5");
  o.inputs = {d.file("mc.root")};

  writeModel(d.file("ab.h5"), smoothModel({"a", "b"}, {0.0, 0.0}, {1.0, 1.0}));
  o.modelPath = d.file("ab.h5");
  // Two trees: no default.
  expectHas(applyError(o), {"mc.root", "events", "plain"});

  o.inputs = {d.file("mc.root") + ":plain"};
  writeModel(d.file("jets.h5"), smoothModel({"a", "jets"}, {0.0, 0.0}, {1.0, 1.0}));
  o.modelPath = d.file("jets.h5");
  expectHas(applyError(o), {"mc.root", "'plain'", "'jets'", "jagged"});

  writeModel(d.file("pt.h5"), smoothModel({"a", "pt"}, {0.0, 0.0}, {1.0, 1.0}));
  o.modelPath = d.file("pt.h5");
  expectHas(applyError(o), {"mc.root", "'plain'", "lacks feature 'pt'"});

  o.modelPath = d.file("ab.h5");
  o.idColumn = "event";
  expectHas(applyError(o), {"mc.root", "'plain'", "no column 'event'", "--id", "did you mean 'evt'?"});
  o.idColumn = "fid";  // a float branch whose last value is 2.5
  expectHas(applyError(o), {"mc.root", "'plain'", "'fid'", "entry 19", "2.5"});

  o.idColumn.clear();
  o.inputs = {d.file("mc.root") + ":nosuch"};
  expectHas(applyError(o), {"mc.root", "'nosuch'"});
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

// Friend trees are not followed, and apply says so; a friend list that cannot be read is reported
// as unknown rather than taken for "no friends". The tree's own branches are scored either way.
TEST(ApplyRoot, WarnsAboutFriendTrees) {
  TempDir d("root-friends");
  rootw::Tree t;
  t.entries = 30;
  std::vector<float> a(30);
  for (int i = 0; i < 30; ++i) a[static_cast<std::size_t>(i)] = 0.1f * static_cast<float>(i);
  t.branches = {rootw::branch("a", "TLeafF", a), rootw::branch("b", "TLeafF", a)};
  rootw::File f;
  f.trees = {t, t, t};
  f.trees[0].name = "plain";
  f.trees[1].name = "friends";
  f.trees[1].friends = true;
  f.trees[2].name = "unknown";
  f.trees[2].unreadableFriends = true;
  rootw::writeFile(d.file("f.root"), f);
  writeModel(d.file("model.h5"), smoothModel({"a", "b"}, {0.0, 0.0}, {1.0, 1.0}));
  std::vector<std::string> warnings;
  const Logger log([&](LogLevel level, const std::string& m) { if (level == LogLevel::Warning) warnings.push_back(m); },
                   LogLevel::Warning);
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.output = d.file("out.h5");
  for (const char* tree : {"plain", "friends", "unknown"}) {
    o.inputs = {d.file("f.root") + ":" + tree};
    std::filesystem::remove(o.output);
    EXPECT_EQ(applyModel(o, log).rows, 30) << tree;
  }
  ASSERT_EQ(warnings.size(), 2u);
  expectHas(warnings[0], {"apply:", "f.root", "tree 'friends'", "has friend trees", "not followed"});
  expectHas(warnings[1], {"apply:", "f.root", "could not determine whether tree 'unknown' has friend trees"});
}

}  // namespace
}  // namespace hepsweep::model
