// `export` checked by an independent reader: tests/model/check_export.py (run with
// /usr/bin/python3, which has onnx and numpy) validates the ONNX file with onnx.checker and
// evaluates it with its own numpy interpreter of the graph, and evaluates the lwtnn JSON read
// back; both must reproduce hepsweep's scores within 1e-6, for the embedded test vectors and for
// real events of the held-out test set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "ModelTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/model/Export.hpp"
#include "hepsweep/model/Model.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

namespace hepsweep::model {
namespace {

using testing::CampaignSpec;
using testing::TempDir;

bool pythonHasOnnx() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import onnx, numpy' > /dev/null 2>&1") == 0;
  return ok;
}

struct Fixture {
  std::unique_ptr<TempDir> dir;
  Model model;
  data::FeatureMatrix events;  // raw features of held-out test events (model order)
};

Fixture makeFixture(const std::string& tag, const CampaignSpec& spec) {
  Fixture f;
  f.dir = std::make_unique<TempDir>(tag);
  std::string dataFile;
  f.model = fromResultFiles(testing::runSmallCampaign(*f.dir, spec, &dataFile));
  const data::Dataset ds = io::readDataset(dataFile, f.model.featureNames);
  const std::size_t n = std::min<std::size_t>(300, f.model.foldRule.testRows.size());
  f.events.resize(static_cast<Eigen::Index>(n), ds.cols());
  for (std::size_t i = 0; i < n; ++i)
    f.events.row(static_cast<Eigen::Index>(i)) = ds.features.row(f.model.foldRule.testRows[i]);
  return f;
}

Fixture& standardFixture() {
  static Fixture f = makeFixture("export-std", [] {
    CampaignSpec s;
    s.rows = 1500;
    s.modelToml = "activation = \"leaky_relu\"\nleaky_slope = 0.05\n";
    return s;
  }());
  return f;
}

Fixture& pcaFixture() {
  static Fixture f = makeFixture("export-pca", [] {
    CampaignSpec s;
    s.rows = 1500;
    s.folds = 2;
    s.ids = false;
    s.missing = true;
    s.preprocessToml = "scaler = \"pca\"\nwhiten = true\nmissing = \"mean+indicator\"\n";
    s.modelToml = "activation = \"elu\"\nbatch_norm = true\n";
    return s;
  }());
  return f;
}

// PCA without imputation (which lwtnn cannot express), so both formats can be checked: the
// standardising PCA (scaler = "pca") or the unscaled rotation (pca_unscaled).
Fixture& pcaOnlyFixture(bool standardised) {
  static Fixture pca = makeFixture("export-pca-only", [] {
    CampaignSpec s;
    s.rows = 1500;
    s.folds = 2;
    s.preprocessToml = "scaler = \"pca\"\npca_components = 4\n";
    return s;
  }());
  static Fixture unscaled = makeFixture("export-pca-unscaled", [] {
    CampaignSpec s;
    s.rows = 1500;
    s.folds = 2;
    s.preprocessToml = "scaler = \"pca_unscaled\"\nwhiten = true\n";
    return s;
  }());
  return standardised ? pca : unscaled;
}

// Which scores the export must reproduce: apply's (model::Scorer on the events), or the ones the
// training itself computed for these held-out test events (result files' scores/test).
enum class Reference { Apply, Training };

// Exports, writes the events and hepsweep's scores for them, and runs the independent checker.
void checkExport(Fixture& fx, ExportFormat format, int fold, const std::string& name,
                 Reference reference = Reference::Apply) {
  if (!pythonHasOnnx()) GTEST_SKIP() << "/usr/bin/python3 with onnx and numpy is not available";
  ExportOptions o;
  o.format = format;
  o.fold = fold;
  const std::string out = fx.dir->file(name);
  const ExportSummary s = exportModel(fx.model, o, out);
  EXPECT_GT(s.bytes, 100u);
  EXPECT_EQ(s.tests.scores.size(), 5);

  Scorer scorer(fx.model);
  data::FeatureMatrix perFold;
  scorer.scoreFolds(fx.events, perFold);
  Eigen::VectorXf want = fold >= 0 ? Eigen::VectorXf(perFold.col(fold)) : ensembleMean(perFold);
  if (reference == Reference::Training) {
    // fx.events are the first test rows, in the order of the training's scores/test.
    const std::vector<float>& own = fold >= 0 ? fx.model.folds[static_cast<std::size_t>(fold)].testScores : fx.model.testScores;
    ASSERT_GE(own.size(), static_cast<std::size_t>(fx.events.rows()));
    // apply's scores are the training's, bit for bit; the export is checked against the latter.
    for (Eigen::Index i = 0; i < fx.events.rows(); ++i) EXPECT_EQ(want[i], own[static_cast<std::size_t>(i)]) << i;
    want = Eigen::Map<const Eigen::VectorXf>(own.data(), fx.events.rows());
  }
  const std::string inputs = fx.dir->file(name + ".inputs.csv"), expected = fx.dir->file(name + ".expected.csv");
  std::ofstream xi(inputs), xe(expected);
  xi.precision(9);
  xe.precision(9);
  for (Eigen::Index i = 0; i < fx.events.rows(); ++i) {
    for (Eigen::Index j = 0; j < fx.events.cols(); ++j) xi << (j ? "," : "") << fx.events(i, j);
    xi << "\n";
    xe << want[i] << "\n";
  }
  xi.close();
  xe.close();
  const std::string log = fx.dir->file(name + ".log");
  const std::string cmd = std::string("/usr/bin/python3 ") + HEPSWEEP_SOURCE_DIR + "/tests/model/check_export.py " +
                          (format == ExportFormat::Onnx ? "onnx " : "lwtnn ") + out + " " + inputs + " " + expected +
                          " > " + log + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << cmd << "\n" << text;
}

TEST(Export, OnnxEnsembleStandardScalerLeakyRelu) { checkExport(standardFixture(), ExportFormat::Onnx, -1, "ens.onnx"); }
TEST(Export, OnnxSingleFold) { checkExport(standardFixture(), ExportFormat::Onnx, 2, "fold2.onnx"); }
TEST(Export, OnnxEnsemblePcaImputationIndicatorsBatchNormElu) {
  checkExport(pcaFixture(), ExportFormat::Onnx, -1, "pca.onnx");
}
// The standardising PCA (scaler = "pca"): its standardisation before the rotation must be in the
// exported graph and in lwtnn's folded first layer, or the scores would differ from the training's.
TEST(Export, OnnxStandardisingPcaGivesTheTrainingsScores) {
  checkExport(pcaOnlyFixture(true), ExportFormat::Onnx, -1, "pca-std.onnx", Reference::Training);
}
TEST(Export, LwtnnStandardisingPcaGivesTheTrainingsScores) {
  checkExport(pcaOnlyFixture(true), ExportFormat::Lwtnn, 1, "pca-std.json", Reference::Training);
}
TEST(Export, OnnxAndLwtnnUnscaledPcaGiveTheTrainingsScores) {
  checkExport(pcaOnlyFixture(false), ExportFormat::Onnx, -1, "pca-raw.onnx", Reference::Training);
  checkExport(pcaOnlyFixture(false), ExportFormat::Lwtnn, -1, "pca-raw.json", Reference::Training);
}
TEST(Export, StandardisingPcaIsStoredAsThePipeline) {
  const data::PreprocessParams& pp = pcaOnlyFixture(true).model.folds[0].preprocess;
  EXPECT_EQ(pp.scaler, data::ScalerKind::Pca);
  EXPECT_EQ(pp.inputScale.size(), pp.components.cols());
  EXPECT_EQ(pcaOnlyFixture(false).model.folds[0].preprocess.scaler, data::ScalerKind::PcaUnscaled);
}

TEST(Export, LwtnnEnsembleRoundTrips) { checkExport(standardFixture(), ExportFormat::Lwtnn, -1, "ens.json"); }
TEST(Export, LwtnnSingleFoldWithExplicitOffsetsAndScales) {
  checkExport(standardFixture(), ExportFormat::Lwtnn, 1, "fold1.json");
  std::ifstream in(standardFixture().dir->file("fold1.json"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"offset\""), std::string::npos);
  EXPECT_NE(text.find("(x + offset) * scale"), std::string::npos);
}

// lwtnn cannot impute a marker value: the export must refuse rather than write a wrong network.
TEST(Export, LwtnnRefusesImputation) {
  ExportOptions o;
  o.format = ExportFormat::Lwtnn;
  try {
    exportModel(pcaFixture().model, o, pcaFixture().dir->file("refused.json"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_NE(std::string(e.what()).find("onnx"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(pcaFixture().dir->file("refused.json")));
}

TEST(Export, RefusesAFoldTheModelDoesNotHave) {
  ExportOptions o;
  o.fold = 7;
  EXPECT_THROW(exportModel(standardFixture().model, o, standardFixture().dir->file("x.onnx")), Error);
  EXPECT_THROW(parseExportFormat("tflite"), Error);
}

}  // namespace
}  // namespace hepsweep::model
