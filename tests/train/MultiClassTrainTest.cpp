// Training multi-class networks (data whose labels are class indices, Dataset::classNames set):
// the loop learns three blobs, the validation loss is the weighted categorical cross-entropy of
// the softmax outputs, val_auc the mean one-vs-rest AUC, the run is bitwise reproducible with and
// without batch normalisation and micro-batches, and reweighting gives every class the same
// summed training weight.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/metrics/MultiClass.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

#include <filesystem>

using namespace hepsweep;

namespace {

// Three Gaussian blobs in 3 dimensions, class c shifted by `shift` along axis c.
data::Dataset blobs(int perClass, double shift, std::uint64_t seed = 1) {
  data::Dataset ds;
  const int n = 3 * perClass;
  ds.features.resize(n, 3);
  ds.labels.resize(n);
  ds.weights.resize(n);
  ds.featureNames = {"x0", "x1", "x2"};
  ds.classNames = {"pi_mu", "rho_mu", "background"};
  rng::CounterRng r(seed);
  for (int i = 0; i < n; ++i) {
    const int c = i % 3;
    ds.labels[i] = static_cast<float>(c);
    ds.weights[i] = c == 2 ? 2.0f : 1.0f;
    for (int j = 0; j < 3; ++j) ds.features(i, j) = static_cast<float>(r.normal() + (j == c ? shift : 0.0));
  }
  return ds;
}

train::RunConfig smallConfig() {
  train::RunConfig cfg;
  cfg.seed = 7;
  cfg.data.split = {0.5, 0.25, 0.25};
  cfg.model.widths = {8, 6};
  cfg.model.dropout = {0.1f};
  cfg.train.batchSize = 32;
  cfg.train.epochs = 12;
  cfg.train.optimizer.learningRate = 3e-3f;
  return cfg;
}

std::span<const float> span(const Eigen::VectorXf& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }

}  // namespace

TEST(MultiClassTrain, LearnsThreeBlobsWithCrossEntropyAndMeanAuc) {
  const auto ds = blobs(300, 2.5);
  const auto cfg = smallConfig();
  const auto prepared = train::prepareData(cfg, ds, "mem", "0");
  ASSERT_EQ(prepared.outputs(), 3);
  train::Trainer trainer(cfg, prepared);
  ASSERT_EQ(trainer.network().outputs(), 3);
  const auto r = trainer.fit();
  EXPECT_LT(r.history.back().trainLoss, r.history.front().trainLoss);
  EXPECT_LT(r.history.front().valLoss, 2 * std::log(3.0));

  const train::EvalResult& t = r.test;
  ASSERT_EQ(t.probabilities.rows(), 3);
  ASSERT_EQ(t.probabilities.cols(), prepared.test.size());
  EXPECT_EQ(t.scores.size(), 0);
  // The loss is the weighted cross-entropy of the stored probabilities.
  double ce = 0;
  for (Eigen::Index i = 0; i < prepared.test.size(); ++i) {
    EXPECT_NEAR(t.probabilities.col(i).sum(), 1.0f, 1e-5f);
    ce -= prepared.test.weights[i] *
          std::log(static_cast<double>(t.probabilities(static_cast<Eigen::Index>(prepared.test.labels[i]), i)));
  }
  EXPECT_NEAR(t.loss, ce / static_cast<double>(prepared.test.size()), 1e-5 * t.loss);
  // val_auc = mean of the one-vs-rest AUCs, recomputed here from the probabilities.
  const std::span<const float> p(t.probabilities.data(), static_cast<std::size_t>(t.probabilities.size()));
  const std::vector<double> perClass = metrics::oneVsRestAuc(p, 3, span(prepared.test.labels));
  EXPECT_EQ(t.aucPerClass, perClass);
  EXPECT_DOUBLE_EQ(t.auc, (perClass[0] + perClass[1] + perClass[2]) / 3);
  for (const double a : perClass) EXPECT_GT(a, 0.9);
  EXPECT_EQ(r.history.back().valAuc, trainer.evaluate(prepared.val, false).auc);
  // Confusion matrix: weighted, the diagonal dominating; it sums to the test weight.
  ASSERT_EQ(t.confusionMatrix.size(), 9u);
  double total = 0;
  for (const double v : t.confusionMatrix) total += v;
  EXPECT_NEAR(total, prepared.test.weights.cast<double>().sum(), 1e-6 * total);
  for (std::size_t c = 0; c < 3; ++c) {
    const double row = t.confusionMatrix[3 * c] + t.confusionMatrix[3 * c + 1] + t.confusionMatrix[3 * c + 2];
    EXPECT_GT(t.confusionMatrix[4 * c], 0.6 * row) << c;
  }
}

// Same seed: the same bits, with micro-batches and with batch normalisation too.
TEST(MultiClassTrain, BitwiseReproducible) {
  const auto ds = blobs(150, 1.0);
  for (const bool bn : {false, true}) {
    auto cfg = smallConfig();
    cfg.train.epochs = 4;
    cfg.model.batchNorm = bn;
    cfg.train.microBatches = 2;
    const auto p1 = train::prepareData(cfg, ds, "mem", "0");
    const auto p2 = train::prepareData(cfg, ds, "mem", "0");
    train::Trainer t1(cfg, p1), t2(cfg, p2);
    const auto r1 = t1.fit(), r2 = t2.fit();
    ASSERT_EQ(r1.history.size(), r2.history.size());
    for (std::size_t i = 0; i < r1.history.size(); ++i) {
      EXPECT_EQ(r1.history[i].trainLoss, r2.history[i].trainLoss) << bn;
      EXPECT_EQ(r1.history[i].valLoss, r2.history[i].valLoss) << bn;
    }
    EXPECT_TRUE((t1.network().params().array() == t2.network().params().array()).all()) << bn;
    EXPECT_LT(r1.history.back().valLoss, r1.history.front().valLoss) << bn;
  }
}

// data.balance = "reweight": every class of the training split carries a third of its weight;
// signal/background class weights are refused for multi-class data, "auto" is per class.
TEST(MultiClassTrain, PerClassBalanceAndClassWeights) {
  auto ds = blobs(200, 1.0);
  for (Eigen::Index i = 0; i < ds.rows(); ++i)
    if (ds.labels[i] == 1.0f && i % 2) ds.labels[i] = 0.0f;  // class 0 twice the size of class 1
  auto cfg = smallConfig();
  cfg.data.balance = data::BalanceMode::Reweight;
  const auto p = train::prepareData(cfg, ds, "mem", "0");
  std::vector<double> sums(3, 0.0);
  double total = 0;
  for (Eigen::Index i = 0; i < p.train.size(); ++i) {
    sums[static_cast<std::size_t>(p.train.labels[i])] += p.train.weights[i];
    total += p.train.weights[i];
  }
  for (const double s : sums) EXPECT_NEAR(s, total / 3, 1e-4 * total);

  cfg.data.balance = data::BalanceMode::None;
  cfg.train.classWeightAuto = true;
  const auto a = train::prepareData(cfg, ds, "mem", "0");
  std::vector<double> counts(3, 0.0);
  for (Eigen::Index i = 0; i < a.train.size(); ++i) counts[static_cast<std::size_t>(a.train.labels[i])] += 1;
  for (Eigen::Index i = 0; i < a.train.size(); ++i) {
    const auto c = static_cast<std::size_t>(a.train.labels[i]);
    const double want = ds.weights[a.train.rows[static_cast<std::size_t>(i)]] *
                        static_cast<double>(a.train.size()) / (3.0 * counts[c]);
    ASSERT_NEAR(a.train.weights[i], want, 1e-5 * want) << i;
  }

  cfg.train.classWeightAuto = false;
  cfg.train.classWeightSignal = 2.0;
  EXPECT_THROW(train::prepareData(cfg, ds, "mem", "0"), Error);
}

// The result file of a multi-class training (docs/hdf5-layout.md): class names, the (events,
// classes) float32 probabilities, per-class AUCs, background efficiencies and ROC curves as the
// evaluation computed them, the confusion matrix, the objective (validation loss), and a network
// with one output per class that reproduces the stored probabilities when rebuilt.
TEST(MultiClassTrain, ResultFileHoldsPerClassMetricsAndScores) {
  const auto ds = blobs(200, 2.0);
  auto cfg = smallConfig();
  cfg.train.epochs = 4;
  cfg.metrics.signalEfficiencies = {0.5, 0.9};
  const auto prepared = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer trainer(cfg, prepared);
  const auto r = trainer.fit();
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("hepsweep-mc-result-" + std::to_string(::getpid()) + ".h5")).string();
  train::RunRecord rec;
  rec.configToml = "seed = 7\n";
  train::writeResultFile(path, cfg, rec, prepared, r, trainer.network());
  const io::h5::File f = io::h5::File::open(path);
  EXPECT_EQ(f.attrInt("n_classes"), 3);
  EXPECT_EQ(f.readStrings("class_names"), ds.classNames);
  std::size_t rows = 0, cols = 0;
  const std::vector<float> p = f.read2d<float>("scores/test", rows, cols);
  ASSERT_EQ(rows, static_cast<std::size_t>(prepared.test.size()));
  ASSERT_EQ(cols, 3u);
  // Row i = event i's probabilities: the (classes x events) matrix's bytes.
  EXPECT_EQ(0, std::memcmp(p.data(), r.test.probabilities.data(), p.size() * sizeof(float)));
  EXPECT_EQ(f.read<double>("metrics/auc_per_class"), r.test.aucPerClass);
  EXPECT_EQ(f.readScalarDouble("metrics/test_auc"), r.test.auc);
  EXPECT_EQ(f.readScalarDouble("metrics/objective"), r.val.loss);  // the default objective: val_loss
  EXPECT_EQ(f.read2d<double>("metrics/confusion", rows, cols), r.test.confusionMatrix);
  EXPECT_EQ(rows, 3u);
  const std::vector<double> eff = f.read2d<double>("metrics/background_efficiency", rows, cols);
  ASSERT_EQ(rows, 3u);
  ASSERT_EQ(cols, 2u);
  const std::span<const float> probs(r.test.probabilities.data(), static_cast<std::size_t>(r.test.probabilities.size()));
  for (std::size_t c = 0; c < 3; ++c) {
    const metrics::Roc roc = metrics::oneVsRestRoc(probs, 3, span(prepared.test.labels), c);
    EXPECT_EQ(eff[c * 2], metrics::bkgEffAtSigEff(roc, 0.5)) << c;
    EXPECT_EQ(eff[c * 2 + 1], metrics::bkgEffAtSigEff(roc, 0.9)) << c;
    EXPECT_EQ(f.openGroup("roc/class_" + std::to_string(c)).attrString("class_name"), ds.classNames[c]);
  }
  // No signal/background quantities in a multi-class file.
  EXPECT_FALSE(f.exists("metrics/ams"));
  const rundir::StoredNetwork stored = rundir::readNetwork(f.openGroup("model"));
  EXPECT_EQ(stored.outputs, 3);
  nn::Network net = rundir::buildNetwork(stored);
  EXPECT_EQ(net.outputs(), 3);
  EXPECT_TRUE((net.params().array() == trainer.network().params().array()).all());
  std::filesystem::remove(path);
}
