// Multi-class models (issue 21): model.h5 with /class_names and K-output fold networks, `apply`
// writing one softmax probability per class, and `export --format onnx` ending in a Softmax,
// checked by tests/model/check_export.py's numpy interpreter (and by ONNX Runtime through
// tests/model/check_export_ort.js when onnxruntime-node is installed; skipped otherwise).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "MultiClassTestUtil.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/model/Apply.hpp"
#include "hepsweep/model/Export.hpp"

namespace hepsweep::model {
namespace {

using testing::MultiClassFixture;

MultiClassFixture& fixture() {
  static MultiClassFixture fx = testing::makeMultiClassFixture("multiclass");
  return fx;
}

// The reference: each fold's preprocessing and network (nn::Network::predictMulti, which shares
// nothing with the scorer but the network and nn::softmax), averaged over the folds in double.
Eigen::MatrixXf referenceScores(const Model& m, const data::Dataset& ds, int onlyFold = -1) {
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(ds.rows(), 3);
  int used = 0;
  for (const FoldModel& f : m.folds) {
    if (onlyFold >= 0 && f.fold != onlyFold) continue;
    nn::Network net = buildNetwork(f);
    data::Preprocessor pre(f.preprocess, data::inputColumns(f.preprocess, ds.featureNames));
    Eigen::MatrixXf x(f.inputs, ds.rows());
    for (Eigen::Index i = 0; i < ds.rows(); ++i) pre.applyRow(ds.features.row(i).data(), x.col(i).data());
    Eigen::MatrixXf p(3, ds.rows());
    net.predictMulti(x, p);
    sum += p.transpose().cast<double>();
    ++used;
  }
  return (sum / used).cast<float>();
}

Eigen::MatrixXf readScores(const std::string& path, const std::string& name = "score") {
  const io::h5::File f = io::h5::File::open(path);
  std::size_t rows = 0, cols = 0;
  const std::vector<float> v = f.read2d<float>(name, rows, cols);
  Eigen::MatrixXf out(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(std::max<std::size_t>(cols, 1)));
  for (Eigen::Index i = 0; i < out.rows(); ++i)
    for (Eigen::Index j = 0; j < out.cols(); ++j) out(i, j) = v[static_cast<std::size_t>(i * out.cols() + j)];
  return out;
}

TEST(MultiClassModel, RoundTripsClassNamesAndKOutputNetworks) {
  const MultiClassFixture& fx = fixture();
  const Model m = readModel(fx.modelFile);
  EXPECT_EQ(m.classNames, testing::kClassNames);
  EXPECT_EQ(scoreColumns(m), 3);
  ASSERT_EQ(m.numFolds(), 2);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(m.folds[static_cast<std::size_t>(k)].outputs, 3);
    EXPECT_EQ(m.folds[static_cast<std::size_t>(k)].params, fx.model.folds[static_cast<std::size_t>(k)].params);
  }
  const io::h5::File f = io::h5::File::open(fx.modelFile);
  EXPECT_EQ(f.attrInt("classes"), 3);
  EXPECT_EQ(f.shape("fold_0/model/layer_1/W"), (std::vector<std::size_t>{3, 6}));
  // A working point is a binary model's cut: refused with the reason.
  EXPECT_THROW(m.thresholdAt(0.5), Error);
}

TEST(MultiClassModel, RefusesClassNamesThatDoNotFitTheNetworks) {
  const MultiClassFixture& fx = fixture();
  const std::string bad = fx.dir->file("bad-classes.h5");
  std::filesystem::copy_file(fx.modelFile, bad, std::filesystem::copy_options::overwrite_existing);
  // Injected fault: a fourth class name for networks of three outputs (h5py, as a user would).
  if (std::system("/usr/bin/python3 -c 'import h5py' > /dev/null 2>&1") != 0) GTEST_SKIP() << "no h5py";
  const std::string edit = "/usr/bin/python3 -c \"import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); del f['class_names']; "
                           "f['class_names'] = ['a', 'b', 'c', 'd']\" " + bad;
  ASSERT_EQ(std::system(edit.c_str()), 0) << edit;
  try {
    readModel(bad);
    FAIL() << "a 4-class model with 3-output networks was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 outputs"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

TEST(MultiClassModel, ApplyWritesOneProbabilityPerClass) {
  const MultiClassFixture& fx = fixture();
  ApplyOptions o;
  o.modelPath = fx.modelFile;
  o.inputs = {fx.dataFile};
  o.output = fx.dir->file("scored.h5");
  o.perFold = true;
  applyModel(o);
  const data::Dataset ds = io::readDataset(fx.dataFile);
  const Eigen::MatrixXf got = readScores(o.output), want = referenceScores(fx.model, ds);
  ASSERT_EQ(got.rows(), ds.rows());
  ASSERT_EQ(got.cols(), 3);
  EXPECT_LT((got - want).cwiseAbs().maxCoeff(), 1e-6f);
  for (Eigen::Index i = 0; i < got.rows(); ++i) EXPECT_NEAR(got.row(i).sum(), 1.0f, 1e-5f) << i;
  // The networks learnt the classes: class c's events have the highest mean probability of c.
  for (int c = 0; c < 3; ++c) {
    Eigen::Vector3d mean = Eigen::Vector3d::Zero();
    for (Eigen::Index i = 0; i < ds.rows(); ++i)
      if (ds.labels[i] == static_cast<float>(c)) mean += got.row(i).transpose().cast<double>();
    Eigen::Index best = 0;
    mean.maxCoeff(&best);
    EXPECT_EQ(best, c) << mean.transpose();
  }
  const io::h5::File f = io::h5::File::open(o.output);
  EXPECT_EQ(f.readStrings("class_names"), testing::kClassNames);
  EXPECT_EQ(f.attrInt("classes"), 3);
  // Labels are the class indices; per-fold scores are (rows, folds * K), fold-major.
  const auto labels = f.read<std::int8_t>("labels");
  for (Eigen::Index i = 0; i < ds.rows(); ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)], static_cast<int>(ds.labels[i]));
  const Eigen::MatrixXf perFold = readScores(o.output, "fold_scores");
  ASSERT_EQ(perFold.cols(), 6);
  for (int k = 0; k < 2; ++k)
    EXPECT_LT((perFold.middleCols(3 * k, 3) - referenceScores(fx.model, ds, k)).cwiseAbs().maxCoeff(), 1e-6f) << k;
}

TEST(MultiClassModel, ApplyGivesTheSameScoresForTextAndCsvOutput) {
  const MultiClassFixture& fx = fixture();
  ApplyOptions h;
  h.modelPath = fx.modelFile;
  h.inputs = {fx.csvs[1]};
  h.output = fx.dir->file("text-in.h5");
  h.idColumn = "event";
  applyModel(h);
  ApplyOptions c = h;
  c.output = fx.dir->file("text-in.csv");
  c.csv = true;
  applyModel(c);
  const Eigen::MatrixXf got = readScores(h.output);
  std::ifstream in(c.output);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "event,score_hnl_pimu,score_hnl_rhomu,score_background");
  Eigen::Index row = 0;
  while (std::getline(in, line)) {
    const auto fields = str::split(line, ',');
    ASSERT_EQ(fields.size(), 4u) << line;
    for (int k = 0; k < 3; ++k) EXPECT_EQ(std::stof(fields[static_cast<std::size_t>(k) + 1]), got(row, k)) << line;
    ++row;
  }
  EXPECT_EQ(row, got.rows());
  // The text input's rows are the data file's class-1 rows (convert keeps --class order): their
  // reference scores.
  const data::Dataset ds = io::readDataset(fx.dataFile);
  const Eigen::MatrixXf all = referenceScores(fx.model, ds);
  std::vector<data::Index> rows;
  for (Eigen::Index i = 0; i < ds.rows(); ++i)
    if (ds.labels[i] == 1.0f) rows.push_back(i);
  ASSERT_EQ(static_cast<Eigen::Index>(rows.size()), got.rows());
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_LT((got.row(static_cast<Eigen::Index>(i)) - all.row(rows[i])).cwiseAbs().maxCoeff(), 1e-6f) << i;
}

TEST(MultiClassModel, ApplyOutOfFoldTakesEachEventsOwnFold) {
  const MultiClassFixture& fx = fixture();
  ApplyOptions o;
  o.modelPath = fx.modelFile;
  o.inputs = {fx.dataFile};
  o.output = fx.dir->file("oof.h5");
  o.outOfFold = true;
  o.perFold = true;
  applyModel(o);
  const Eigen::MatrixXf score = readScores(o.output), perFold = readScores(o.output, "fold_scores");
  const auto fold = io::h5::File::open(o.output).read<std::int8_t>("fold");
  int seen[2] = {0, 0};
  for (Eigen::Index i = 0; i < score.rows(); ++i) {
    const int k = fold[static_cast<std::size_t>(i)];
    ASSERT_TRUE(k == 0 || k == 1) << i;
    ++seen[k];
    for (int c = 0; c < 3; ++c) EXPECT_EQ(score(i, c), perFold(i, 3 * k + c)) << i;
  }
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[1], 0);
}

TEST(MultiClassModel, ApplyRefusesWorkingPoints) {
  const MultiClassFixture& fx = fixture();
  ApplyOptions o;
  o.modelPath = fx.modelFile;
  o.inputs = {fx.dataFile};
  o.output = fx.dir->file("wp.h5");
  o.signalEfficiencies = {0.5};
  try {
    applyModel(o);
    FAIL() << "--at-signal-efficiency accepted for a multi-class model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3-class"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

bool pythonHasOnnx() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import onnx, numpy' > /dev/null 2>&1") == 0;
  return ok;
}

std::string run(const std::string& cmd, int& rc) {
  const std::string log = fixture().dir->file("cmd.log");
  rc = std::system((cmd + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Exports (ensemble or one fold), writes events and apply's scores for them, and runs the checkers.
void checkOnnx(int fold, const std::string& name) {
  if (!pythonHasOnnx()) GTEST_SKIP() << "/usr/bin/python3 with onnx and numpy is not available";
  const MultiClassFixture& fx = fixture();
  ExportOptions o;
  o.fold = fold;
  const std::string out = fx.dir->file(name);
  const ExportSummary s = exportModel(fx.model, o, out);
  EXPECT_EQ(s.tests.classes, 3);
  EXPECT_EQ(s.tests.scores.size(), 15);
  // apply's scores of the data file's events are the reference.
  ApplyOptions a;
  a.modelPath = fx.modelFile;
  a.inputs = {fx.dataFile};
  a.output = fx.dir->file(name + ".scored.h5");
  a.perFold = true;
  applyModel(a);
  const Eigen::MatrixXf all = fold < 0 ? readScores(a.output) : Eigen::MatrixXf(readScores(a.output, "fold_scores").middleCols(3 * fold, 3));
  const data::Dataset ds = io::readDataset(fx.dataFile, fx.model.featureNames);
  const std::string inputs = fx.dir->file(name + ".inputs.csv"), expected = fx.dir->file(name + ".expected.csv");
  {
    std::ofstream xi(inputs), xe(expected);
    xi.precision(9);
    xe.precision(9);
    for (Eigen::Index i = 0; i < ds.rows(); i += 7) {
      for (Eigen::Index j = 0; j < ds.cols(); ++j) xi << (j ? "," : "") << ds.features(i, j);
      for (Eigen::Index k = 0; k < 3; ++k) xe << (k ? "," : "") << all(i, k);
      xi << "\n";
      xe << "\n";
    }
  }
  int rc = 0;
  std::string text = run(std::string("/usr/bin/python3 ") + HEPSWEEP_SOURCE_DIR + "/tests/model/check_export.py onnx " +
                             out + " " + inputs + " " + expected, rc);
  EXPECT_EQ(rc, 0) << text;
  // ONNX Runtime, where onnxruntime-node can be loaded (HEPSWEEP_ONNXRUNTIME_NODE: the folder
  // holding its node_modules, as `npm install onnxruntime-node` in it makes).
  const char* ort = std::getenv("HEPSWEEP_ONNXRUNTIME_NODE");
  if (!ort || !*ort) {
    std::cout << "ONNX Runtime check skipped: HEPSWEEP_ONNXRUNTIME_NODE is not set\n";
    return;
  }
  text = run(std::string("NODE_PATH=") + ort + "/node_modules node " + HEPSWEEP_SOURCE_DIR +
                 "/tests/model/check_export_ort.js " + out + " " + inputs + " " + expected, rc);
  EXPECT_EQ(rc, 0) << text;
  std::cout << text;
}

TEST(MultiClassModel, OnnxEnsembleEndsInSoftmaxAndGivesApplysScores) { checkOnnx(-1, "mc-ensemble.onnx"); }
TEST(MultiClassModel, OnnxSingleFoldGivesApplysScores) { checkOnnx(1, "mc-fold1.onnx"); }

TEST(MultiClassModel, LwtnnIsRefusedWithTheReason) {
  ExportOptions o;
  o.format = ExportFormat::Lwtnn;
  try {
    exportLwtnn(fixture().model, o);
    FAIL() << "lwtnn export of a multi-class model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--format onnx"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hepsweep::model
