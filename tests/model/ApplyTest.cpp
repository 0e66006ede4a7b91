// `apply` through the library: out-of-fold scoring on constructed models whose fold networks give
// one known constant each, the errors for inputs that cannot carry the fold key or lack a
// feature, CSV output and working-point columns.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "ModelTestUtil.hpp"
#include "hepsweep/core/Checksum.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/model/Apply.hpp"
#include "hepsweep/model/Model.hpp"

namespace hepsweep::model {
namespace {

using testing::TempDir;

const std::vector<std::string> kFeatures{"f0", "f1", "f2", "f3", "f4"};
// Fold k's network ignores its inputs and outputs sigmoid(kLogits[k]).
const std::vector<float> kLogits{-2.0f, 0.5f, 3.0f};

float sigmoid(float z) { return 1.0f / (1.0f + std::exp(-z)); }

Model constantFoldModel(FoldKey key, std::vector<std::int64_t> testKeys, std::int64_t dataRows) {
  Model m;
  m.featureNames = kFeatures;
  for (int k = 0; k < 3; ++k) {
    FoldModel f;
    f.fold = k;
    data::PreprocessParams& p = f.preprocess;
    p.inputNames = kFeatures;
    p.outputNames = kFeatures;
    p.usesMissing.assign(kFeatures.size(), 0);
    p.imputeMean = Eigen::VectorXd::Zero(5);
    f.network.widths = {3};
    f.network.dropout = {};
    f.inputs = 5;
    nn::Network net(5, f.network, 0);
    net.params().setZero();
    net.params()[static_cast<Eigen::Index>(net.layers().back().biasOffset)] = kLogits[static_cast<std::size_t>(k)];
    f.params = net.params();
    f.state = net.state();
    f.testScores = {0.5f, 0.5f};
    m.folds.push_back(f);
  }
  m.foldRule.seed = 99;
  m.foldRule.folds = 3;
  m.foldRule.key = key;
  m.foldRule.idColumn = key == FoldKey::Id ? "event" : "";
  m.foldRule.testKeys = testKeys;
  m.foldRule.testRows = key == FoldKey::Id ? std::vector<std::int64_t>(testKeys.size(), 0) : testKeys;
  m.foldRule.dataRows = dataRows;
  m.testLabels.assign(m.foldRule.testKeys.size(), 0.0f);
  m.testWeights.assign(m.foldRule.testKeys.size(), 1.0f);
  m.testScores.assign(m.foldRule.testKeys.size(), 0.5f);
  for (std::size_t i = 0; i < m.testScores.size(); ++i) {
    m.testLabels[i] = i % 2 ? 1.0f : 0.0f;
    m.testScores[i] = static_cast<float>(i) / static_cast<float>(m.testScores.size());
  }
  return m;
}

// ids 1000, 1003, 1006, ... with the given features and a label column (alternating classes).
void writeEvents(const std::string& path, int rows, bool ids, const std::vector<std::string>& features = kFeatures) {
  std::ofstream out(path);
  out << (ids ? "event," : "") << str::join(features, ",") << ",label\n";
  for (int i = 0; i < rows; ++i) {
    if (ids) out << 1000 + 3 * i << ",";
    for (std::size_t j = 0; j < features.size(); ++j) out << (j ? "," : "") << 0.25 * i - static_cast<double>(j);
    out << "," << i % 2 << "\n";
  }
}

std::string convertEvents(const TempDir& d, const std::string& name, int rows, bool ids) {
  const std::string csv = d.file(name + ".csv"), h5 = d.file(name + ".h5");
  writeEvents(csv, rows, ids);
  io::ConvertOptions o;
  o.labelledFiles = {csv};
  o.labelColumn = "label";
  if (ids) o.idColumn = "event";
  o.output = h5;
  io::convert(o);
  return h5;
}

Error applyError(const ApplyOptions& o) {
  try {
    applyModel(o);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an error";
  return Error(ErrorCategory::Internal, "");
}

// Would catch scoring an event with a fold model that trained on it, a fold rule keyed on the
// wrong thing, or test events not given the ensemble mean.
TEST(Apply, OutOfFoldUsesTheFoldThatLeftTheEventOutById) {
  TempDir d("oof-id");
  const std::vector<std::int64_t> testIds{1003, 1030, 1300};
  writeModel(d.file("model.h5"), constantFoldModel(FoldKey::Id, testIds, 0));
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {convertEvents(d, "events", 500, true)};
  o.output = d.file("scored.h5");
  o.outOfFold = true;
  const ApplySummary s = applyModel(o);
  EXPECT_EQ(s.rows, 500);
  const auto f = io::h5::File::open(o.output);
  const auto score = f.read<float>("score");
  const auto fold = f.read<std::int8_t>("fold");
  const auto ids = f.read<std::int64_t>("ids");
  ASSERT_EQ(score.size(), 500u);
  const float mean = static_cast<float>((static_cast<double>(sigmoid(kLogits[0])) + sigmoid(kLogits[1]) + sigmoid(kLogits[2])) / 3.0);
  std::vector<int> perFold(3, 0);
  for (std::size_t i = 0; i < score.size(); ++i) {
    ASSERT_EQ(ids[i], 1000 + 3 * static_cast<std::int64_t>(i));
    if (std::find(testIds.begin(), testIds.end(), ids[i]) != testIds.end()) {
      EXPECT_EQ(fold[i], -1) << "test event " << ids[i];
      EXPECT_FLOAT_EQ(score[i], mean);
      continue;
    }
    const int k = data::foldOf(static_cast<std::uint64_t>(ids[i]), 3, 99);
    ASSERT_EQ(fold[i], k) << "event " << ids[i];
    ASSERT_FLOAT_EQ(score[i], sigmoid(kLogits[static_cast<std::size_t>(k)])) << "event " << ids[i];
    ++perFold[static_cast<std::size_t>(k)];
  }
  for (int k = 0; k < 3; ++k) EXPECT_GT(perFold[static_cast<std::size_t>(k)], 100) << "fold " << k;
  EXPECT_EQ(s.outOfFoldCounts.back(), 3);
  // Without --out-of-fold every event gets the ensemble mean.
  o.outOfFold = false;
  o.output = d.file("ensemble.h5");
  applyModel(o);
  for (float v : io::h5::File::open(o.output).read<float>("score")) ASSERT_FLOAT_EQ(v, mean);
}

TEST(Apply, OutOfFoldByRowIndexOnTheTrainingFile) {
  TempDir d("oof-row");
  writeModel(d.file("model.h5"), constantFoldModel(FoldKey::RowIndex, {0, 7, 99}, 300));
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {convertEvents(d, "events", 300, false)};
  o.output = d.file("scored.h5");
  o.outOfFold = true;
  applyModel(o);
  const auto f = io::h5::File::open(o.output);
  const auto score = f.read<float>("score");
  const auto fold = f.read<std::int8_t>("fold");
  EXPECT_FALSE(f.exists("ids"));
  for (std::size_t i = 0; i < score.size(); ++i) {
    if (i == 0 || i == 7 || i == 99) {
      EXPECT_EQ(fold[i], -1);
      continue;
    }
    const int k = data::foldOf(i, 3, 99);
    ASSERT_EQ(fold[i], k) << "row " << i;
    ASSERT_FLOAT_EQ(score[i], sigmoid(kLogits[static_cast<std::size_t>(k)]));
  }
}

// The input checksums of the output's provenance (xxh128 by default, sha256 on request, the kind
// named by an attribute), and the warning that an input given for row-index folds is not the
// training data file: it compares SHA-256 with the model's record whatever --checksum says, so
// it must fire for a file that differs and stay silent for the very file, under both kinds.
TEST(Apply, RecordsTheChosenChecksumAndWarnsWhenTheRowIndexInputIsNotTheTrainingFile) {
  TempDir d("checksum");
  const std::string input = convertEvents(d, "events", 300, false);
  Model m = constantFoldModel(FoldKey::RowIndex, {0, 7, 99}, 300);
  m.dataSha256 = std::string(64, '0');  // another file's
  writeModel(d.file("model.h5"), m);
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {input};
  o.outOfFold = true;
  std::vector<std::string> warnings;
  const Logger log([&](LogLevel, const std::string& msg) { warnings.push_back(msg); }, LogLevel::Warning);
  for (const ChecksumKind kind : {ChecksumKind::Xxh128, ChecksumKind::Sha256}) {
    const std::string name = toString(kind);
    o.checksum = kind;
    o.output = d.file("scored-" + name + ".h5");
    warnings.clear();
    const ApplySummary s = applyModel(o, log);
    ASSERT_EQ(warnings.size(), 1u) << name;
    EXPECT_NE(warnings[0].find("not byte-identical to the training data file"), std::string::npos) << warnings[0];
    const std::string want = kind == ChecksumKind::Sha256 ? sha256File(input) : xxh128File(input);
    EXPECT_EQ(want.size(), kind == ChecksumKind::Sha256 ? 64u : 32u);
    EXPECT_EQ(s.inputs[0].checksum, want);
    const auto f = io::h5::File::open(o.output);
    const io::h5::Group p = f.openGroup("provenance");
    EXPECT_EQ(p.attrString("input_checksum"), name);
    EXPECT_EQ(f.attrInt("format_version"), 2);  // version 1 files had input_sha256 and no input_checksum
    EXPECT_EQ(p.readStrings("input_" + name), std::vector<std::string>{want});
    EXPECT_FALSE(p.exists(kind == ChecksumKind::Sha256 ? "input_xxh128" : "input_sha256"));
  }
  m.dataSha256 = sha256File(input);  // the training data file itself: no warning
  writeModel(d.file("model.h5"), m);
  for (const ChecksumKind kind : {ChecksumKind::Xxh128, ChecksumKind::Sha256}) {
    o.checksum = kind;
    o.output = d.file("same.h5");
    warnings.clear();
    applyModel(o, log);
    EXPECT_TRUE(warnings.empty()) << toString(kind) << ": " << (warnings.empty() ? "" : warnings[0]);
  }
}

// Would catch --out-of-fold silently falling back to something biased when the key is missing.
TEST(Apply, OutOfFoldRefusesInputsWithoutTheKey) {
  TempDir d("oof-errors");
  writeModel(d.file("id-model.h5"), constantFoldModel(FoldKey::Id, {1003}, 0));
  writeModel(d.file("row-model.h5"), constantFoldModel(FoldKey::RowIndex, {0}, 300));
  ApplyOptions o;
  o.inputs = {convertEvents(d, "noids", 200, false)};
  o.output = d.file("scored.h5");
  o.outOfFold = true;
  o.modelPath = d.file("id-model.h5");
  Error e = applyError(o);
  EXPECT_EQ(e.category(), ErrorCategory::Config);
  EXPECT_NE(std::string(e.what()).find("--id event"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("noids.h5"), std::string::npos) << e.what();
  o.modelPath = d.file("row-model.h5");  // 200 rows, the training file had 300
  e = applyError(o);
  EXPECT_EQ(e.category(), ErrorCategory::Config);
  EXPECT_NE(std::string(e.what()).find("row index"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("200 rows"), std::string::npos) << e.what();
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

// Would catch a feature matched by position instead of name, or a missing one passing silently.
TEST(Apply, MissingFeatureIsAnInputErrorNamingItAndTheFile) {
  TempDir d("missing");
  writeModel(d.file("model.h5"), constantFoldModel(FoldKey::Id, {1003}, 0));
  writeEvents(d.file("short.csv"), 10, true, {"f0", "f1", "f3", "f4", "extra"});
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {d.file("short.csv")};
  o.output = d.file("scored.h5");
  o.idColumn = "event";
  Error e = applyError(o);
  EXPECT_EQ(e.category(), ErrorCategory::Input);
  EXPECT_NE(std::string(e.what()).find("'f2'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("short.csv"), std::string::npos) << e.what();
  // The same from an HDF5 input.
  io::ConvertOptions c;
  c.labelledFiles = {d.file("short.csv")};
  c.labelColumn = "label";
  c.idColumn = "event";
  c.output = d.file("short.h5");
  io::convert(c);
  o.inputs = {d.file("short.h5")};
  e = applyError(o);
  EXPECT_EQ(e.category(), ErrorCategory::Input);
  EXPECT_NE(std::string(e.what()).find("'f2'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("short.h5"), std::string::npos) << e.what();
  EXPECT_FALSE(std::filesystem::exists(o.output));
  // No temporary conversion is left next to the output.
  for (const auto& entry : std::filesystem::directory_iterator(d.path))
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
}

// Would catch CSV rows out of order, lost ids, rounded scores or a wrong pass/fail cut.
TEST(Apply, CsvOutputMatchesHdf5WithPassColumns) {
  TempDir d("csv");
  const Model m = constantFoldModel(FoldKey::Id, {1003, 1006}, 0);
  writeModel(d.file("model.h5"), m);
  // Columns in another order than the model's: matched by name.
  writeEvents(d.file("events.csv"), 50, true, {"f4", "f2", "f0", "f1", "f3"});
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {d.file("events.csv")};
  o.idColumn = "event";
  o.perFold = true;
  o.outOfFold = true;
  o.signalEfficiencies = {0.5};
  o.output = d.file("scored.h5");
  applyModel(o);
  o.csv = true;
  o.output = d.file("scored.csv");
  applyModel(o);
  const auto f = io::h5::File::open(d.file("scored.h5"));
  const auto score = f.read<float>("score");
  const auto pass = f.read<std::int8_t>("pass_at_0.5");
  std::size_t rows = 0, cols = 0;
  const auto perFold = f.read2d<float>("fold_scores", rows, cols);
  ASSERT_EQ(cols, 3u);
  const double threshold = m.thresholdAt(0.5);
  EXPECT_DOUBLE_EQ(f.attrDouble("threshold", "pass_at_0.5"), threshold);

  std::ifstream in(d.file("scored.csv"));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "event,score,score_fold_0,score_fold_1,score_fold_2,fold,pass_at_0.5");
  std::size_t i = 0;
  while (std::getline(in, line)) {
    const auto fields = str::split(line, ',');
    ASSERT_EQ(fields.size(), 7u) << line;
    EXPECT_EQ(std::stoll(fields[0]), 1000 + 3 * static_cast<std::int64_t>(i));
    EXPECT_EQ(std::strtof(fields[1].c_str(), nullptr), score[i]) << line;
    for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(std::strtof(fields[2 + k].c_str(), nullptr), perFold[i * 3 + k]);
    EXPECT_EQ(std::stoi(fields[6]), pass[i]);
    EXPECT_EQ(pass[i], static_cast<double>(score[i]) >= threshold ? 1 : 0);
    ++i;
  }
  EXPECT_EQ(i, 50u);
}

// A HiggsML-like text file: the model's features, a mass written with trailing zeros, a text
// label ("s"/"b") and a weight, over more rows than one block (so blocks are kept in order).
void writeHiggsLike(const std::string& path, int rows) {
  std::ofstream out(path);
  out << "EventId," << str::join(kFeatures, ",") << ",mass,Weight,Label\n";
  for (int i = 0; i < rows; ++i) {
    out << 7 * i;
    for (std::size_t j = 0; j < kFeatures.size(); ++j) out << "," << 0.5 * i - static_cast<double>(j);
    out << "," << i << ".250," << 0.001 * (i + 1) << "," << (i % 3 ? "b" : "s") << "\n";
  }
}

// Would catch kept values taken from the wrong column or row, blocks appended out of order, or a
// text field rewritten instead of copied.
TEST(Apply, KeepCopiesTextInputColumnsBesideTheScores) {
  TempDir d("keep_text");
  writeModel(d.file("model.h5"), constantFoldModel(FoldKey::Id, {1003}, 0));
  const int rows = 2100;  // three blocks of 1024
  writeHiggsLike(d.file("events.csv"), rows);
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {d.file("events.csv")};
  o.chunkRows = 1024;
  o.keep = {"Weight", "mass", "f3"};  // f3 is also a model feature
  o.output = d.file("scored.h5");
  applyModel(o);
  const auto f = io::h5::File::open(d.file("scored.h5"));
  const auto weight = f.read<float>("kept/Weight"), mass = f.read<float>("kept/mass"), f3 = f.read<float>("kept/f3");
  ASSERT_EQ(weight.size(), static_cast<std::size_t>(rows));
  ASSERT_EQ(mass.size(), static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    const auto si = static_cast<std::size_t>(i);
    ASSERT_EQ(weight[si], std::strtof(std::to_string(0.001 * (i + 1)).c_str(), nullptr)) << i;
    ASSERT_EQ(mass[si], static_cast<float>(i) + 0.25f) << i;
    ASSERT_EQ(f3[si], static_cast<float>(0.5 * i - 3.0)) << i;
  }

  // CSV output copies the fields as written: the text label and "12.250" stay as they are.
  o.keep = {"Label", "mass"};
  o.csv = true;
  o.output = d.file("scored.csv");
  applyModel(o);
  std::ifstream in(d.file("scored.csv"));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "score,Label,mass");
  int i = 0;
  while (std::getline(in, line)) {
    const auto fields = str::split(line, ',');
    ASSERT_EQ(fields.size(), 3u) << line;
    ASSERT_EQ(fields[1], i % 3 ? "b" : "s") << line;
    ASSERT_EQ(fields[2], std::to_string(i) + ".250") << line;
    ++i;
  }
  EXPECT_EQ(i, rows);

  // A text label cannot be stored as a number in HDF5: the error says where and what to do.
  o.csv = false;
  o.output = d.file("scored_label.h5");
  const Error e = applyError(o);
  EXPECT_EQ(e.category(), ErrorCategory::Input);
  EXPECT_NE(std::string(e.what()).find("--keep Label"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("--csv"), std::string::npos) << e.what();
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

// HDF5 inputs keep their features, labels and weights; would catch a feature taken at the wrong
// offset of the row-major table.
TEST(Apply, KeepCopiesHdf5FeaturesLabelsAndWeights) {
  TempDir d("keep_h5");
  writeModel(d.file("model.h5"), constantFoldModel(FoldKey::Id, {1003}, 0));
  const std::string h5 = convertEvents(d, "events", 1500, true);
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {h5};
  o.chunkRows = 1024;
  o.keep = {"f2", "label", "weight"};
  o.output = d.file("scored.h5");
  applyModel(o);
  const data::Dataset ds = io::readDataset(h5);
  const auto f = io::h5::File::open(d.file("scored.h5"));
  const auto f2 = f.read<float>("kept/f2"), label = f.read<float>("kept/label"), weight = f.read<float>("kept/weight");
  ASSERT_EQ(f2.size(), 1500u);
  for (Eigen::Index i = 0; i < 1500; ++i) {
    const auto si = static_cast<std::size_t>(i);
    ASSERT_EQ(f2[si], ds.features(i, 2)) << i;
    ASSERT_EQ(label[si], ds.labels[i]) << i;
    ASSERT_EQ(weight[si], ds.weights[i]) << i;
  }
  EXPECT_TRUE(f.hasAttr("meaning", "kept"));
}

// An absent column is named with the closest one, for text and HDF5 inputs, before anything is
// written; a kept name that would repeat a CSV output column is refused.
TEST(Apply, KeepErrorsNameTheColumn) {
  TempDir d("keep_errors");
  writeModel(d.file("model.h5"), constantFoldModel(FoldKey::Id, {1003}, 0));
  writeHiggsLike(d.file("events.csv"), 10);
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {d.file("events.csv")};
  o.output = d.file("scored.h5");
  o.keep = {"mas"};
  Error e = applyError(o);
  EXPECT_EQ(e.category(), ErrorCategory::Input);
  EXPECT_NE(std::string(e.what()).find("'mas'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("did you mean 'mass'?"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("events.csv"), std::string::npos) << e.what();
  o.inputs = {convertEvents(d, "converted", 10, true)};
  o.keep = {"f22"};
  e = applyError(o);
  EXPECT_EQ(e.category(), ErrorCategory::Input);
  EXPECT_NE(std::string(e.what()).find("'f22'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("did you mean 'f2'?"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("converted.h5"), std::string::npos) << e.what();
  EXPECT_FALSE(std::filesystem::exists(o.output));
  o.keep = {"f1", "f1"};
  EXPECT_EQ(applyError(o).category(), ErrorCategory::Config);
  o.keep = {"label"};
  o.csv = true;
  o.output = d.file("scored.csv");
  e = applyError(o);
  EXPECT_EQ(e.category(), ErrorCategory::Config);
  EXPECT_NE(std::string(e.what()).find("second column 'label'"), std::string::npos) << e.what();
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

TEST(Apply, RefusesChunkRowsThatWouldChangeTheChunkLayout) {
  TempDir d("chunk");
  writeModel(d.file("model.h5"), constantFoldModel(FoldKey::Id, {1003}, 0));
  ApplyOptions o;
  o.modelPath = d.file("model.h5");
  o.inputs = {convertEvents(d, "events", 10, true)};
  o.output = d.file("scored.h5");
  o.chunkRows = 1000;
  EXPECT_EQ(applyError(o).category(), ErrorCategory::Config);
}

}  // namespace
}  // namespace hepsweep::model
