// best-model.h5 from real fold result files: rebuilding the networks, the bit-exact re-scoring of
// the test set, the recorded fold rule, the working points and the file round trip.
#include <gtest/gtest.h>

#include <cstring>

#include "ModelTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/model/FoldScores.hpp"
#include "hepsweep/model/Model.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"

namespace hepsweep::model {
namespace {

using testing::CampaignSpec;
using testing::TempDir;

struct Campaign {
  std::unique_ptr<TempDir> dir;
  std::vector<std::string> results;
  std::string dataFile;
};

Campaign makeCampaign(const std::string& tag, const CampaignSpec& spec) {
  Campaign c;
  c.dir = std::make_unique<TempDir>(tag);
  c.results = testing::runSmallCampaign(*c.dir, spec, &c.dataFile);
  return c;
}

// Standard scaler, relu, ids as the fold key; 600 test events.
Campaign& idCampaign() {
  static Campaign c = makeCampaign("ids", CampaignSpec{});
  return c;
}

// PCA after mean+indicator imputation, batch normalisation, elu, row indices as the fold key,
// and a test set larger than one 1024-row chunk.
Campaign& pcaCampaign() {
  static Campaign c = makeCampaign("pca", [] {
    CampaignSpec s;
    s.rows = 5500;
    s.folds = 2;
    s.ids = false;
    s.missing = true;
    s.preprocessToml = "scaler = \"pca\"\nmissing = \"mean+indicator\"\n";
    s.modelToml = "activation = \"elu\"\nelu_alpha = 0.7\nbatch_norm = true\n";
    return s;
  }());
  return c;
}

// The raw features of the given rows, in the model's feature order.
data::FeatureMatrix rowsOf(const std::string& dataFile, const Model& m, const std::vector<std::int64_t>& rows) {
  const data::Dataset ds = io::readDataset(dataFile, m.featureNames);
  data::FeatureMatrix x(static_cast<Eigen::Index>(rows.size()), ds.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) x.row(static_cast<Eigen::Index>(i)) = ds.features.row(rows[i]);
  return x;
}

// Would catch any difference between scoring here and the training's evaluation (preprocessing,
// network rebuild, chunking, sigmoid): every bit of every fold's scores/test must come back.
void expectTestScoresBitExact(const Campaign& c) {
  const Model m = fromResultFiles(c.results);
  const data::FeatureMatrix x = rowsOf(c.dataFile, m, m.foldRule.testRows);
  Scorer scorer(m);
  data::FeatureMatrix perFold;
  scorer.scoreFolds(x, perFold);
  ASSERT_EQ(perFold.cols(), m.numFolds());
  for (int k = 0; k < m.numFolds(); ++k) {
    const auto& want = m.folds[static_cast<std::size_t>(k)].testScores;
    ASSERT_EQ(static_cast<std::size_t>(perFold.rows()), want.size());
    int differing = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
      const float got = perFold(static_cast<Eigen::Index>(i), k);
      differing += std::memcmp(&got, &want[i], sizeof(float)) != 0;
    }
    EXPECT_EQ(differing, 0) << "fold " << k << ": scores differing from scores/test of " << c.results[static_cast<std::size_t>(k)];
  }
}

TEST(Model, RescoresTheTestSetBitForBitStandardScaler) { expectTestScoresBitExact(idCampaign()); }

// With output.scores = "none" nothing per event is stored, and the scores the later stages need
// are recomputed from the stored models on the rows rebuilt from the split rules. The same
// campaign trained again with its scores kept shows that the recomputed ones are the training's
// own, bit for bit (test and training scores, labels and weights after balancing).
TEST(Model, RecomputedScoresEqualTheTrainingsOwn) {
  for (const bool pca : {false, true}) {
    CampaignSpec spec;
    if (pca) {
      spec.rows = 5500;
      spec.folds = 2;
      spec.ids = false;
      spec.missing = true;
      spec.preprocessToml = "scaler = \"pca\"\nmissing = \"mean+indicator\"\n";
      spec.modelToml = "activation = \"elu\"\nbatch_norm = true\n";
    }
    spec.dataToml = "balance = \"downsample\"\n";
    TempDir dir(pca ? "recompute-pca" : "recompute");
    spec.scores = "none";
    spec.runDir = "none";
    std::string data;
    const auto none = testing::runSmallCampaign(dir, spec, &data);
    // The same data file (converting again would change its provenance time, hence its sha256).
    spec.scores = "all";
    spec.runDir = "all";
    const auto all = testing::runSmallCampaign(dir, spec, nullptr, data);
    ASSERT_FALSE(io::h5::File::open(none[0]).exists("scores"));
    const FoldScores a = foldScores(none, true), b = foldScores(all, true);
    EXPECT_TRUE(a.recomputed);
    EXPECT_FALSE(b.recomputed);
    EXPECT_EQ(a.testRows, b.testRows);
    EXPECT_EQ(a.testLabels, b.testLabels);
    EXPECT_EQ(a.testWeights, b.testWeights);
    ASSERT_EQ(a.test.size(), b.test.size());
    for (std::size_t k = 0; k < a.test.size(); ++k) {
      EXPECT_EQ(std::memcmp(a.test[k].data(), b.test[k].data(), a.test[k].size() * sizeof(float)), 0) << "fold " << k;
      EXPECT_EQ(a.train[k].scores, b.train[k].scores) << "fold " << k;
      EXPECT_EQ(a.train[k].labels, b.train[k].labels) << "fold " << k;
      EXPECT_EQ(a.train[k].weights, b.train[k].weights) << "fold " << k;
    }
    EXPECT_EQ(a.firstVal.weights, b.firstVal.weights);
  }
}

// Recomputing needs the data file trained on: a changed file is refused with both checksums'
// story, not scored silently.
TEST(Model, RecomputingRefusesAChangedDataFile) {
  TempDir dir("recompute-changed");
  CampaignSpec spec;
  spec.scores = "none";
  std::string data;
  const auto results = testing::runSmallCampaign(dir, spec, &data);
  {
    auto f = io::h5::File::open(data, io::h5::File::Mode::ReadWrite);
    f.setAttr("tampered", std::string("yes"));
  }
  try {
    foldScores(results, false);
    FAIL() << "a changed data file was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("has changed since training"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(data), std::string::npos) << e.what();
  }
}

TEST(Model, RescoresTheTestSetBitForBitPcaImputationBatchNormElu) { expectTestScoresBitExact(pcaCampaign()); }

// Would catch a wrong fold key (row index instead of id) or wrong ids for the test events: each
// fold's validation events must all belong to that fold by the recorded rule.
TEST(Model, RecordsTheFoldRuleWithIds) {
  const Campaign& c = idCampaign();
  const Model m = fromResultFiles(c.results);
  const FoldRule& r = m.foldRule;
  ASSERT_EQ(r.key, FoldKey::Id);
  EXPECT_EQ(r.idColumn, "event");
  EXPECT_EQ(r.folds, 3);
  EXPECT_EQ(r.seed, 11u);
  EXPECT_EQ(r.dataRows, 3000);
  const data::Dataset ds = io::readDataset(c.dataFile);
  ASSERT_EQ(r.testKeys.size(), r.testRows.size());
  for (std::size_t i = 0; i < r.testRows.size(); ++i)
    ASSERT_EQ(r.testKeys[i], ds.ids[static_cast<std::size_t>(r.testRows[i])]);
  // Each fold's validation rows (rebuilt from its result file's split rule) are the events the
  // recorded rule deals to that fold; its training rows are not.
  const std::vector<std::uint64_t> keys = data::foldKeys(ds.ids, static_cast<std::size_t>(ds.rows()));
  const std::span<const float> labels(ds.labels.data(), static_cast<std::size_t>(ds.rows()));
  for (int k = 0; k < 3; ++k) {
    const std::string& path = c.results[static_cast<std::size_t>(k)];
    const auto f = io::h5::File::open(path);
    const data::Partition p = rundir::rebuildPartition(rundir::readSplitRecord(f.openGroup("split")), labels, keys, path);
    EXPECT_EQ(p.test, r.testRows);
    for (const std::int64_t row : p.val)
      ASSERT_EQ(r.foldOf(static_cast<std::uint64_t>(ds.ids[static_cast<std::size_t>(row)])), k) << "row " << row;
    for (const std::int64_t row : p.train)
      ASSERT_NE(r.foldOf(static_cast<std::uint64_t>(ds.ids[static_cast<std::size_t>(row)])), k) << "row " << row;
  }
}

TEST(Model, RecordsRowIndexKeysWithoutIds) {
  const Model m = fromResultFiles(pcaCampaign().results);
  EXPECT_EQ(m.foldRule.key, FoldKey::RowIndex);
  EXPECT_EQ(m.foldRule.testKeys, m.foldRule.testRows);
  EXPECT_EQ(m.foldRule.dataRows, 5500);
}

// Would catch thresholds taken from the wrong side of the ROC or from one fold only: the cut
// must keep the requested fraction of the test signal (up to one event and ROC interpolation).
TEST(Model, WorkingPointThresholdsKeepTheirSignalEfficiency) {
  const Model m = fromResultFiles(idCampaign().results);
  ASSERT_EQ(m.workingPoints.size(), 3u);  // the default metrics.signal_efficiencies
  double nSignal = 0;
  for (float l : m.testLabels) nSignal += l;
  for (const WorkingPoint& w : m.workingPoints) {
    double kept = 0;
    for (std::size_t i = 0; i < m.testScores.size(); ++i)
      kept += (m.testLabels[i] == 1.0f && m.testScores[i] >= w.threshold);
    EXPECT_NEAR(kept / nSignal, w.signalEfficiency, 2.0 / nSignal) << "at " << w.signalEfficiency;
    EXPECT_DOUBLE_EQ(m.thresholdAt(w.signalEfficiency), w.threshold);
  }
  EXPECT_GT(m.ensembleTestAuc, 0.75);
  EXPECT_THROW(m.thresholdAt(1.5), Error);
}

// Would catch a field lost or altered on the way through best-model.h5.
TEST(Model, WriteReadRoundTrip) {
  const Campaign& c = pcaCampaign();
  const Model a = fromResultFiles(c.results);
  const std::string path = c.dir->file("best-model.h5");
  writeModel(path, a);
  const Model b = readModel(path);
  EXPECT_EQ(b.featureNames, a.featureNames);
  EXPECT_EQ(b.campaignToml, a.campaignToml);
  EXPECT_EQ(b.dataSha256, a.dataSha256);
  EXPECT_EQ(b.trainVersion, a.trainVersion);
  EXPECT_EQ(b.foldRule.testRows, a.foldRule.testRows);
  EXPECT_EQ(b.foldRule.testKeys, a.foldRule.testKeys);
  EXPECT_EQ(b.foldRule.key, a.foldRule.key);
  EXPECT_EQ(b.foldRule.split.test, a.foldRule.split.test);
  EXPECT_EQ(b.testScores, a.testScores);
  EXPECT_EQ(b.testLabels, a.testLabels);
  ASSERT_EQ(b.workingPoints.size(), a.workingPoints.size());
  for (std::size_t i = 0; i < a.workingPoints.size(); ++i) EXPECT_EQ(b.workingPoints[i].threshold, a.workingPoints[i].threshold);
  ASSERT_EQ(b.numFolds(), a.numFolds());
  for (int k = 0; k < a.numFolds(); ++k) {
    const FoldModel &fa = a.folds[static_cast<std::size_t>(k)], &fb = b.folds[static_cast<std::size_t>(k)];
    EXPECT_EQ(fb.params, fa.params);
    EXPECT_EQ(fb.state, fa.state);
    EXPECT_EQ(fb.network.widths, fa.network.widths);
    EXPECT_EQ(fb.network.activation, fa.network.activation);
    EXPECT_EQ(fb.network.eluAlpha, fa.network.eluAlpha);
    EXPECT_EQ(fb.network.batchNorm, fa.network.batchNorm);
    EXPECT_EQ(fb.preprocess.components, fa.preprocess.components);
    EXPECT_EQ(fb.preprocess.indicatorOf, fa.preprocess.indicatorOf);
    EXPECT_EQ(fb.testScores, fa.testScores);
    EXPECT_EQ(fb.resultFile, fa.resultFile);
  }
  // The same scores from the model read back as from the result files.
  const data::FeatureMatrix x = rowsOf(c.dataFile, a, a.foldRule.testRows);
  Scorer sa(a), sb(b);
  data::FeatureMatrix pa, pb;
  sa.scoreFolds(x, pa);
  sb.scoreFolds(x, pb);
  EXPECT_EQ(pa, pb);
}

TEST(Model, RefusesResultFilesOutOfFoldOrder) {
  const Campaign& c = idCampaign();
  try {
    fromResultFiles({c.results[1], c.results[0], c.results[2]});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find(c.results[1]), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fold order"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fromResultFiles({c.results[0], c.results[1]}), Error);  // 2 of 3 folds
}

TEST(Model, ReadModelRefusesOtherFiles) {
  const Campaign& c = idCampaign();
  try {
    readModel(c.results[0]);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("not a hepsweep model file"), std::string::npos) << e.what();
  }
}

// Would catch an ensemble that is not the plain fold mean (e.g. a mean of logits).
TEST(Model, EnsembleIsTheMeanOfTheFoldScores) {
  data::FeatureMatrix perFold(2, 3);
  perFold << 0.1f, 0.2f, 0.6f, 1.0f, 0.0f, 0.5f;
  const Eigen::VectorXf e = ensembleMean(perFold);
  EXPECT_FLOAT_EQ(e[0], 0.3f);
  EXPECT_FLOAT_EQ(e[1], 0.5f);
}

}  // namespace
}  // namespace hepsweep::model
