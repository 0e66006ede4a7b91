// Unit tests of io::convert and io::readDataset* on small generated inputs: class by file and by
// label column, weights, ids, feature selection, missing-value marker, column matching, every
// bad-input error (message content, and that neither the output nor a temporary file remains).
#include "hepsweep/io/Convert.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

#include "IoTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"

using namespace hepsweep;
using namespace hepsweep::io;
using hepsweep::iotest::TempDir;
using hepsweep::iotest::gzipBytes;
using hepsweep::iotest::writeFile;

namespace {

const char* kSig = "pt,eta,w,evt\n1.5,0.25,0.5,16777217\n2.5,-0.75,-1.25,9007199254740993\n3.5,1e-3,2,7\n";
const char* kBkg = "eta,pt,evt,w\n0.5,10,1,1\n-0.5,20,2,3.5\n";  // other column order

struct Failure {
  std::string message;
  ErrorCategory category{};
};

// Runs convert expecting an Error; also checks that the directory holds exactly `inputs`
// afterwards (no OUT.h5, no OUT.h5.tmp-<pid>).
Failure expectFailure(const TempDir& d, const ConvertOptions& o) {
  const auto before = d.entries();
  Failure f;
  try {
    convert(o);
    ADD_FAILURE() << "convert succeeded but should have failed";
  } catch (const Error& e) {
    f.message = e.what();
    f.category = e.category();
  }
  EXPECT_EQ(d.entries(), before) << "output or temporary file left behind";
  return f;
}

void expectHas(const std::string& msg, std::initializer_list<const char*> parts) {
  for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
}

ConvertOptions byFile(const TempDir& d) {
  ConvertOptions o;
  o.signalFiles = {d / "sig.csv"};
  o.backgroundFiles = {d / "bkg.csv"};
  o.output = d / "out.h5";
  return o;
}

std::uint32_t bitsOf(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

}  // namespace

// Class by file with columns in a different order in the background file: values must land in
// the first file's column order; weights, ids (exact above 2^24 and 2^53) and the provenance
// (paths, sha256 = sha256sum of each input, rows, class) must be recorded.
TEST(Convert, LabelByFileWithWeightsIdsAndColumnMatching) {
  TempDir d;
  writeFile(d / "sig.csv", kSig);
  writeFile(d / "bkg.csv", kBkg);
  ConvertOptions o = byFile(d);
  o.weightColumn = "w";
  o.idColumn = "evt";
  o.commandLine = "hepsweep convert test";
  const ConvertSummary s = convert(o);
  EXPECT_EQ(s.nSignal, 3);
  EXPECT_EQ(s.nBackground, 2);
  EXPECT_DOUBLE_EQ(s.sumWeightsSignal, 0.5 - 1.25 + 2);
  EXPECT_DOUBLE_EQ(s.sumWeightsBackground, 4.5);

  const data::Dataset ds = readDataset(o.output);
  ASSERT_EQ(ds.featureNames, (std::vector<std::string>{"pt", "eta"}));
  ASSERT_EQ(ds.rows(), 5);
  const float want[5][2] = {{1.5f, 0.25f}, {2.5f, -0.75f}, {3.5f, 1e-3f}, {10, 0.5f}, {20, -0.5f}};
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 2; ++j) EXPECT_EQ(bitsOf(ds.features(i, j)), bitsOf(want[i][j])) << i << "," << j;
  EXPECT_EQ(ds.labels[0], 1);
  EXPECT_EQ(ds.labels[2], 1);
  EXPECT_EQ(ds.labels[3], 0);
  EXPECT_EQ(ds.weights[1], -1.25f);
  EXPECT_EQ(ds.weights[4], 3.5f);
  EXPECT_EQ(ds.ids, (std::vector<std::int64_t>{16777217, 9007199254740993LL, 7, 1, 2}));
  EXPECT_FALSE(ds.missingValue.has_value());

  const DatasetInfo info = readDatasetInfo(o.output);
  EXPECT_EQ(info.rows, 5);
  EXPECT_TRUE(info.hasWeights);
  EXPECT_TRUE(info.hasIds);
  EXPECT_EQ(info.idColumn, "evt");
  EXPECT_EQ(info.nSignal, 3);
  EXPECT_EQ(info.nBackground, 2);
  EXPECT_EQ(info.inputPaths, (std::vector<std::string>{d / "sig.csv", d / "bkg.csv"}));
  EXPECT_EQ(info.inputSha256, (std::vector<std::string>{sha256File(d / "sig.csv"), sha256File(d / "bkg.csv")}));
  EXPECT_EQ(info.inputRows, (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(info.inputClass, (std::vector<std::int8_t>{1, 0}));
  EXPECT_EQ(info.commandLine, "hepsweep convert test");
  EXPECT_EQ(info.formatVersion, 1);
  EXPECT_FALSE(info.version.empty());
  EXPECT_EQ(info.created.size(), 20u);  // 2024-01-02T03:04:05Z
}

// Without --weight every weight is 1 and has_weights is 0; without --id there is no /ids.
TEST(Convert, DefaultsWithoutWeightAndId) {
  TempDir d;
  writeFile(d / "sig.csv", "a,b\n1,2\n");
  writeFile(d / "bkg.csv", "a,b\n3,4\n5,6\n");
  ConvertOptions o = byFile(d);
  convert(o);
  const auto ds = readDataset(o.output);
  EXPECT_EQ(ds.weights.size(), 3);
  EXPECT_EQ(ds.weights.minCoeff(), 1.0f);
  EXPECT_EQ(ds.weights.maxCoeff(), 1.0f);
  EXPECT_FALSE(ds.hasIds());
  const auto info = readDatasetInfo(o.output);
  EXPECT_FALSE(info.hasWeights);
  EXPECT_FALSE(info.hasIds);
  h5::File f = h5::File::open(o.output);
  EXPECT_FALSE(f.exists("ids"));
  EXPECT_EQ(f.attrInt("has_weights"), 0);
}

// Label from a column, HiggsML style ('s'/'b'), and numerically equal signal values ("1.0"
// matches --signal-value 1); the label column is never a feature; label counts are reported.
TEST(Convert, LabelFromColumn) {
  TempDir d;
  writeFile(d / "a.csv", "x,Label\n1,s\n2,b\n3,s\n");
  writeFile(d / "b.csv", "Label,x\n b ,4\n");
  ConvertOptions o;
  o.labelledFiles = {d / "a.csv", d / "b.csv"};
  o.labelColumn = "Label";
  o.signalValue = "s";
  o.output = d / "out.h5";
  const auto s = convert(o);
  EXPECT_EQ(s.nSignal, 2);
  EXPECT_EQ(s.nBackground, 2);
  ASSERT_EQ(s.labelCounts.size(), 2u);
  EXPECT_EQ(s.labelCounts[0].value, "s");
  EXPECT_EQ(s.labelCounts[0].count, 2);
  EXPECT_TRUE(s.labelCounts[0].signal);
  EXPECT_EQ(s.labelCounts[1].count, 2);
  const auto ds = readDataset(o.output);
  EXPECT_EQ(ds.featureNames, std::vector<std::string>{"x"});
  EXPECT_EQ(ds.labels[0], 1);
  EXPECT_EQ(ds.labels[1], 0);
  EXPECT_EQ(ds.labels[3], 0);
  EXPECT_EQ(readDatasetInfo(o.output).inputClass, (std::vector<std::int8_t>{-1, -1}));

  writeFile(d / "n.csv", "x,y\n1,1.0\n2,0\n3,1\n4,2\n");
  ConvertOptions n;
  n.labelledFiles = {d / "n.csv"};
  n.labelColumn = "y";
  n.output = d / "n.h5";
  const auto sn = convert(n);
  EXPECT_EQ(sn.nSignal, 2);     // "1.0" and "1" equal the default signal value 1
  EXPECT_EQ(sn.nBackground, 2);  // "0" and "2"
}

// --features picks and orders columns; --drop removes them; both reject unknown names with the
// closest existing name.
TEST(Convert, FeatureSelectionAndDrop) {
  TempDir d;
  writeFile(d / "sig.csv", "a,b,c,d\n1,2,3,4\n");
  writeFile(d / "bkg.csv", "d,c,b,a\n8,7,6,5\n");
  ConvertOptions o = byFile(d);
  o.features = {"c", "a"};
  convert(o);
  auto ds = readDataset(o.output);
  EXPECT_EQ(ds.featureNames, (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(ds.features(0, 0), 3);
  EXPECT_EQ(ds.features(1, 1), 5);

  o.features.clear();
  o.drop = {"b", "d"};
  convert(o);  // overwrites the previous output
  ds = readDataset(o.output);
  EXPECT_EQ(ds.featureNames, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(ds.features(1, 1), 7);

  o.drop = {"bb"};
  auto f = expectFailure(d, o);
  expectHas(f.message, {"'bb'", "did you mean 'b'?"});
  o.drop.clear();
  o.features = {"a", "cc"};
  f = expectFailure(d, o);
  expectHas(f.message, {"sig.csv", "'cc'", "did you mean 'c'?"});
}

// --missing records the marker on /features and lists the features using it; reading back a
// selection of features keeps the marker only for those that use it.
TEST(Convert, MissingValueMarker) {
  TempDir d;
  writeFile(d / "sig.csv", "a,b,c\n-999,2,3\n");
  writeFile(d / "bkg.csv", "a,b,c\n1,-999.0,3\n");
  ConvertOptions o = byFile(d);
  o.missingValue = -999.0f;
  convert(o);
  auto ds = readDataset(o.output);
  ASSERT_TRUE(ds.missingValue.has_value());
  EXPECT_EQ(*ds.missingValue, -999.0f);
  EXPECT_TRUE(ds.missingFeatures.empty());  // all features
  EXPECT_EQ(ds.features(0, 0), -999.0f);
  h5::File f = h5::File::open(o.output);
  EXPECT_EQ(f.attrDouble("missing_value", "features"), -999.0);
  EXPECT_EQ(f.readStrings("missing_features"), (std::vector<std::string>{"a", "b", "c"}));
  f.close();

  o.missingFeatures = {"a", "b"};
  convert(o);
  ds = readDataset(o.output);
  EXPECT_EQ(ds.missingFeatures, (std::vector<std::string>{"a", "b"}));
  ds = readDataset(o.output, {"c", "b"});
  EXPECT_TRUE(ds.missingValue.has_value());
  EXPECT_EQ(ds.missingFeatures, std::vector<std::string>{"b"});
  ds = readDataset(o.output, {"c"});
  EXPECT_FALSE(ds.missingValue.has_value());

  o.missingFeatures = {"x"};
  const auto fl = expectFailure(d, o);
  EXPECT_EQ(fl.category, ErrorCategory::Config);
  expectHas(fl.message, {"'x'"});
}

// Files with different columns: an error naming the file and the column, unless
// --common-columns keeps the intersection (in the first file's order).
TEST(Convert, CommonColumns) {
  TempDir d;
  writeFile(d / "sig.csv", "a,b,c\n1,2,3\n");
  writeFile(d / "bkg.csv", "c,a,z\n6,4,9\n");
  ConvertOptions o = byFile(d);
  auto f = expectFailure(d, o);
  EXPECT_EQ(f.category, ErrorCategory::Input);
  expectHas(f.message, {"bkg.csv", "'b'", "--common-columns"});
  o.commonColumns = true;
  convert(o);
  const auto ds = readDataset(o.output);
  EXPECT_EQ(ds.featureNames, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(ds.features(1, 0), 4);
  EXPECT_EQ(ds.features(1, 1), 6);
  // An extra column only in a later file is also a mismatch.
  writeFile(d / "bkg.csv", "c,a,b,z\n6,4,5,9\n");
  o.commonColumns = false;
  f = expectFailure(d, o);
  expectHas(f.message, {"sig.csv", "'z'", "bkg.csv"});
}

// Every bad input is an error of the right category whose message names the file, the line and
// the column and quotes the text; no output or temporary file may remain.
TEST(Convert, BadInputsLeaveNoOutput) {
  TempDir d;
  writeFile(d / "bkg.csv", "a,b\n1,2\n");
  const auto check = [&](const std::string& sigText, ErrorCategory cat, std::initializer_list<const char*> parts) {
    writeFile(d / "sig.csv", sigText);
    const auto f = expectFailure(d, byFile(d));
    EXPECT_EQ(f.category, cat) << f.message;
    expectHas(f.message, parts);
  };
  check("a,b\n1,2\n3,x1\n", ErrorCategory::Input, {"sig.csv", "line 3", "column 'b'", "'x1'"});
  check("a,b\n1,2\n3\n", ErrorCategory::Input, {"sig.csv", "line 3", "column 'b'"});
  check("a,b\n1,2\n3,4,5\n", ErrorCategory::Input, {"sig.csv", "line 3", "'5'"});
  check("", ErrorCategory::Input, {"sig.csv", "empty"});
  check("a,b\n\n", ErrorCategory::Input, {"sig.csv", "no data rows"});
  check("a,b\n1,nan\n", ErrorCategory::Input, {"sig.csv", "line 2", "column 'b'", "'nan'", "--allow-nonfinite"});
  check("a,b\n1,-inf\n", ErrorCategory::Input, {"sig.csv", "line 2", "'-inf'"});
  check("a,b,a\n1,2,3\n", ErrorCategory::Input, {"sig.csv", "line 1", "duplicate", "'a'"});
  check("a,c\n1,2\n", ErrorCategory::Input, {"'c'", "--common-columns"});
  // A bad value deep in the file, after several output chunks were already written.
  std::string big = "a,b\n";
  for (int i = 0; i < 20000; ++i) big += std::to_string(i) + ",1\n";
  big += "1,2..5\n";
  check(big, ErrorCategory::Input, {"sig.csv", "line 20002", "column 'b'", "'2..5'"});
  writeFile(d / "sig.csv.gz", gzipBytes(big));
  auto o = byFile(d);
  o.signalFiles = {d / "sig.csv.gz"};
  expectHas(expectFailure(d, o).message, {"sig.csv.gz", "line 20002", "'2..5'"});

  // --allow-nonfinite keeps nan/inf.
  writeFile(d / "sig.csv", "a,b\n1,nan\n2,inf\n");
  o = byFile(d);
  o.allowNonFinite = true;
  convert(o);
  const auto ds = readDataset(o.output);
  EXPECT_TRUE(std::isnan(ds.features(0, 1)));
  EXPECT_TRUE(std::isinf(ds.features(1, 1)));
}

// Errors in the special columns and in the options.
TEST(Convert, BadSpecialColumnsAndOptions) {
  TempDir d;
  writeFile(d / "sig.csv", "a,w,id\n1,0.5,3\n");
  writeFile(d / "bkg.csv", "a,w,id\n1,nan,4.5\n");
  ConvertOptions o = byFile(d);
  o.weightColumn = "w";
  auto f = expectFailure(d, o);
  expectHas(f.message, {"bkg.csv", "line 2", "column 'w'", "'nan'"});
  o.weightColumn.clear();
  o.idColumn = "id";
  o.drop = {"w"};
  f = expectFailure(d, o);
  expectHas(f.message, {"bkg.csv", "line 2", "column 'id'", "'4.5'", "integer"});
  o.idColumn = "ID";
  f = expectFailure(d, o);
  expectHas(f.message, {"sig.csv", "'ID'", "--id", "did you mean 'id'?"});

  ConvertOptions c = byFile(d);
  c.backgroundFiles.clear();
  EXPECT_EQ(expectFailure(d, c).category, ErrorCategory::Config);
  c = byFile(d);
  c.labelColumn = "a";
  EXPECT_EQ(expectFailure(d, c).category, ErrorCategory::Config);
  c = byFile(d);
  c.weightColumn = c.idColumn = "w";
  EXPECT_EQ(expectFailure(d, c).category, ErrorCategory::Config);
  c = byFile(d);
  c.output.clear();
  EXPECT_EQ(expectFailure(d, c).category, ErrorCategory::Config);
}

// Unreadable inputs and unwritable outputs are Io errors naming the path.
TEST(Convert, IoErrors) {
  TempDir d;
  writeFile(d / "bkg.csv", "a\n1\n");
  ConvertOptions o = byFile(d);  // sig.csv does not exist
  auto f = expectFailure(d, o);
  EXPECT_EQ(f.category, ErrorCategory::Io);
  expectHas(f.message, {"sig.csv"});
  writeFile(d / "sig.csv", "a\n1\n");
  o.output = d / "no-such-dir/out.h5";
  f = expectFailure(d, o);
  EXPECT_EQ(f.category, ErrorCategory::Io);
  expectHas(f.message, {"no-such-dir", "does not exist"});
  o.output = "/proc/hepsweep-convert-test.h5";  // a directory nobody, not even root, can create files in
  f = expectFailure(d, o);
  EXPECT_EQ(f.category, ErrorCategory::Io);
  expectHas(f.message, {"/proc/hepsweep-convert-test.h5"});
  o.output = d.path().string();
  EXPECT_EQ(expectFailure(d, o).category, ErrorCategory::Io);
}

// A class with zero rows is an error (label-column mode: all rows one class), and the message
// shows the label values seen so that a wrong --signal-value is obvious.
TEST(Convert, ZeroRowClassIsAnError) {
  TempDir d;
  writeFile(d / "a.csv", "x,Label\n1,s\n2,b\n");
  ConvertOptions o;
  o.labelledFiles = {d / "a.csv"};
  o.labelColumn = "Label";
  o.output = d / "out.h5";  // default signal value "1": nothing is signal
  const auto f = expectFailure(d, o);
  EXPECT_EQ(f.category, ErrorCategory::Input);
  expectHas(f.message, {"no signal rows", "'s'", "'b'", "--signal-value"});
}

// The same data plain and gzip-compressed, and converted twice, give identical datasets.
TEST(Convert, GzipPlainAndRepeatAreIdentical) {
  TempDir d;
  std::string text = "u v w\n";  // whitespace-separated
  for (int i = 0; i < 9000; ++i)
    text += std::to_string(i * 0.37) + " " + std::to_string(-i) + "e-3 " + std::to_string(i % 7) + "\n";
  writeFile(d / "sig.txt", text);
  writeFile(d / "sig.txt.gz", gzipBytes(text, 9));
  writeFile(d / "bkg.csv", "u,v,w\n1,2,3\n");
  ConvertOptions o;
  o.backgroundFiles = {d / "bkg.csv"};
  o.signalFiles = {d / "sig.txt"};
  o.output = d / "plain.h5";
  convert(o);
  o.signalFiles = {d / "sig.txt.gz"};
  o.output = d / "gz.h5";
  convert(o);
  o.output = d / "gz2.h5";
  convert(o);
  const auto a = readDataset(d / "plain.h5"), b = readDataset(d / "gz.h5"), c = readDataset(d / "gz2.h5");
  ASSERT_EQ(a.rows(), 9001);
  EXPECT_EQ(a.featureNames, b.featureNames);
  EXPECT_TRUE(std::memcmp(a.features.data(), b.features.data(), sizeof(float) * a.features.size()) == 0);
  EXPECT_TRUE(std::memcmp(b.features.data(), c.features.data(), sizeof(float) * b.features.size()) == 0);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(b.weights, c.weights);
  EXPECT_EQ(readDatasetInfo(d / "gz.h5").inputSha256[0], sha256File(d / "sig.txt.gz"));
  EXPECT_EQ(readDatasetInfo(d / "plain.h5").inputSha256[0], sha256File(d / "sig.txt"));
}

namespace {

// Rows g = first .. first+rows-1 of a 4-feature CSV (chunks of 4096 rows) whose values are exact
// in float32 and tell the row apart, with its index as the id column.
std::string numberedRows(int first, int rows) {
  std::string t = "a,b,c,d,evt\n";
  for (int g = first; g < first + rows; ++g) {
    for (int j = 0; j < 4; ++j) t += std::to_string((g * (j + 3)) % 10007 / 4.0 - 100) + ",";
    t += std::to_string(g) + "\n";
  }
  return t;
}

// The files are equal byte for byte except for the creation time recorded in /provenance.
void expectSameExceptCreationTime(const std::string& a, const std::string& b) {
  const std::string x = iotest::readFile(a), y = iotest::readFile(b);
  ASSERT_EQ(x.size(), y.size()) << a << " vs " << b;
  const std::string cx = readDatasetInfo(a).created, cy = readDatasetInfo(b).created;
  const std::size_t px = x.find(cx), py = y.find(cy);
  ASSERT_NE(px, std::string::npos);
  ASSERT_EQ(px, py);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] != y[i] && (i < px || i >= px + cx.size())) ++differ;
  EXPECT_EQ(differ, 0u) << a << " and " << b << " differ in " << differ << " bytes besides the creation time";
}

}  // namespace

// The output does not depend on how many threads compress it: 1, 2 and 4 threads give files that
// are identical byte for byte (but for the creation time), with every row where it belongs. The
// inputs end exactly on a chunk boundary (3 x 4096 rows), one row past one, and in several files
// whose boundaries fall inside chunks. Catches chunks written out of order, a chunk compressed
// from another chunk's rows, a short last chunk padded with stale rows, and bytes that depend on
// the thread that compressed them.
TEST(Convert, ThreadCountsGiveIdenticalFiles) {
  TempDir d;
  const std::vector<std::vector<int>> layouts = {{8192, 4096}, {8193, 1}, {1000, 5000, 3000, 2, 4095}};
  for (const auto& sizes : layouts) {
    ConvertOptions o;
    o.idColumn = "evt";
    o.commandLine = "same";
    int first = 0;
    for (std::size_t f = 0; f < sizes.size(); ++f) {
      const std::string path = d / ("in" + std::to_string(f) + ".csv");
      writeFile(path, numberedRows(first, sizes[f]));
      first += sizes[f];
      (f + 1 == sizes.size() ? o.backgroundFiles : o.signalFiles).push_back(path);
    }
    for (const int threads : {1, 2, 4}) {
      o.threads = threads;
      o.output = d / ("t" + std::to_string(threads) + ".h5");
      EXPECT_EQ(convert(o).threads, static_cast<std::size_t>(threads));
    }
    const auto ds = readDataset(d / "t4.h5");
    ASSERT_EQ(ds.rows(), first);
    for (int g = 0; g < first; ++g) {
      ASSERT_EQ(ds.ids[static_cast<std::size_t>(g)], g) << "row " << g;
      for (int j = 0; j < 4; ++j)
        ASSERT_EQ(ds.features(g, j), static_cast<float>((g * (j + 3)) % 10007 / 4.0 - 100)) << "row " << g;
      ASSERT_EQ(ds.labels(g), g < first - sizes.back() ? 1.0f : 0.0f) << "row " << g;
    }
    expectSameExceptCreationTime(d / "t1.h5", d / "t2.h5");
    expectSameExceptCreationTime(d / "t1.h5", d / "t4.h5");
  }
}

// A bad value after several chunks are on their way through the threads stops the conversion
// with the same message for any thread count, and leaves no output; --threads outside 1-64 is a
// configuration error.
TEST(Convert, ErrorsWhileThreadsCompress) {
  TempDir d;
  std::string big = numberedRows(0, 30000);
  big += "1,2,3,4x,30000\n";
  writeFile(d / "sig.csv", big);
  writeFile(d / "bkg.csv", numberedRows(0, 10));
  for (const int threads : {1, 4}) {
    auto o = byFile(d);
    o.threads = threads;
    const auto f = expectFailure(d, o);
    EXPECT_EQ(f.category, ErrorCategory::Input);
    expectHas(f.message, {"sig.csv", "line 30002", "column 'd'", "'4x'"});
  }
  for (const int threads : {-1, 65}) {
    auto o = byFile(d);
    o.threads = threads;
    const auto f = expectFailure(d, o);
    EXPECT_EQ(f.category, ErrorCategory::Config);
    expectHas(f.message, {"--threads", std::to_string(threads).c_str()});
  }
}

// readDatasetRows reads exactly the requested slice (as a rank of an MPI job would), and
// feature selection works on it; out-of-range requests are errors.
TEST(DatasetFile, RowRangesAndSelection) {
  TempDir d;
  std::string sig = "i,j,evt\n", bkg = "i,j,evt\n";
  for (int r = 0; r < 10000; ++r) (r % 3 ? sig : bkg) += std::to_string(r) + "," + std::to_string(-r) + "," + std::to_string(r) + "\n";
  writeFile(d / "sig.csv", sig);
  writeFile(d / "bkg.csv", bkg);
  ConvertOptions o = byFile(d);
  o.idColumn = "evt";
  convert(o);
  const auto all = readDataset(o.output);
  const auto part = readDatasetRows(o.output, 4321, 1234, {"j", "i"});
  ASSERT_EQ(part.rows(), 1234);
  EXPECT_EQ(part.featureNames, (std::vector<std::string>{"j", "i"}));
  for (int r = 0; r < 1234; ++r) {
    EXPECT_EQ(part.features(r, 0), all.features(4321 + r, 1));
    EXPECT_EQ(part.features(r, 1), all.features(4321 + r, 0));
    EXPECT_EQ(part.labels[r], all.labels[4321 + r]);
    EXPECT_EQ(part.ids[static_cast<std::size_t>(r)], all.ids[static_cast<std::size_t>(4321 + r)]);
  }
  EXPECT_EQ(readDatasetRows(o.output, 10000, 0).rows(), 0);
  EXPECT_THROW(readDatasetRows(o.output, 9999, 2), Error);
  EXPECT_THROW(readDatasetRows(o.output, -1, 2), Error);
  try {
    readDataset(o.output, {"i", "jj"});
    ADD_FAILURE();
  } catch (const Error& e) {
    expectHas(e.what(), {"out.h5", "'jj'", "did you mean 'j'?"});
  }
}

// Files that are not hepsweep datasets are rejected naming the file and what is missing.
TEST(DatasetFile, RejectsForeignFiles) {
  TempDir d;
  {
    h5::File f = h5::File::create(d / "foreign.h5");
    const float x[4] = {1, 2, 3, 4};
    f.write2d<float>("features", x, 2, 2);
    f.close();
  }
  try {
    readDatasetInfo(d / "foreign.h5");
    ADD_FAILURE();
  } catch (const Error& e) {
    expectHas(e.what(), {"foreign.h5", "'format'"});
  }
  {
    h5::File f = h5::File::create(d / "partial.h5");
    f.setAttr("format", std::string(kDatasetFormat));
    f.setAttr("format_version", std::int64_t{1});
    const float x[4] = {1, 2, 3, 4};
    f.write2d<float>("features", x, 2, 2);
    f.close();
  }
  try {
    readDataset(d / "partial.h5");
    ADD_FAILURE();
  } catch (const Error& e) {
    expectHas(e.what(), {"partial.h5", "labels", "weights", "feature_names"});
  }
  writeFile(d / "text.h5", "not hdf5\n");
  EXPECT_THROW(readDataset(d / "text.h5"), Error);
  EXPECT_THROW(readDataset(d / "absent.h5"), Error);
}
