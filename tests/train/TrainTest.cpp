// The training loop and its data preparation on small synthetic data sets.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <set>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/nn/Optimizer.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"
#include "TrainTestUtil.hpp"

// Counts heap allocations, to check that the training loop's hot path allocates nothing.
namespace {
std::atomic<long> gAllocations{0};
}
// The replacement operator new allocates with malloc, so its operator delete must free: GCC
// cannot see that pairing and would warn.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  ++gAllocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (the HDF5 file driver allocates with new (std::nothrow)): left to the
// sanitizer's own operator new, they would be freed by the free() above, which ASan reports as
// an alloc-dealloc mismatch.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++gAllocations;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace hepsweep;
namespace fs = std::filesystem;

namespace {

// Two Gaussian blobs in `f` dimensions, separated by `shift` along every axis; `nSig` signal rows.
data::Dataset blobs(int nSig, int nBkg, int f, double shift, std::uint64_t seed = 1) {
  data::Dataset ds;
  const int n = nSig + nBkg;
  ds.features.resize(n, f);
  ds.labels.resize(n);
  ds.weights = Eigen::VectorXf::Ones(n);
  for (int j = 0; j < f; ++j) ds.featureNames.push_back("x" + std::to_string(j));
  rng::CounterRng r(seed);
  for (int i = 0; i < n; ++i) {
    const float label = i < nSig ? 1.0f : 0.0f;
    ds.labels[i] = label;
    for (int j = 0; j < f; ++j) ds.features(i, j) = static_cast<float>(r.normal() + (label > 0 ? shift : 0.0) + 3.0 * j);
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
  cfg.train.epochs = 15;
  cfg.train.optimizer.learningRate = 3e-3f;
  cfg.train.earlyStopping.patience = 4;
  return cfg;
}

}  // namespace

// On well separated blobs the whole loop (preprocess, batches, Adam, evaluation) must learn.
TEST(Train, LearnsSeparableData) {
  const auto ds = blobs(400, 400, 3, 1.5);
  const auto cfg = smallConfig();
  const auto prepared = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer trainer(cfg, prepared);
  const auto r = trainer.fit();
  EXPECT_GT(r.test.auc, 0.9);
  EXPECT_LT(r.history.back().trainLoss, r.history.front().trainLoss);
  EXPECT_EQ(r.test.scores.size(), prepared.test.size());
}

// Same configuration and seed: identical weights and history, bit for bit; another seed differs.
TEST(Train, SameSeedGivesBitwiseIdenticalTraining) {
  const auto ds = blobs(300, 200, 4, 0.7);
  auto cfg = smallConfig();
  const auto p1 = train::prepareData(cfg, ds, "mem", "0");
  const auto p2 = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer t1(cfg, p1), t2(cfg, p2);
  const auto r1 = t1.fit(), r2 = t2.fit();
  ASSERT_EQ(r1.history.size(), r2.history.size());
  for (std::size_t i = 0; i < r1.history.size(); ++i) {
    EXPECT_EQ(r1.history[i].trainLoss, r2.history[i].trainLoss);
    EXPECT_EQ(r1.history[i].valLoss, r2.history[i].valLoss);
  }
  EXPECT_TRUE((t1.network().params().array() == t2.network().params().array()).all());

  cfg.seed = 8;
  const auto p3 = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer t3(cfg, p3);
  t3.fit();
  EXPECT_FALSE(t3.network().params().size() == t1.network().params().size() &&
               (t3.network().params().array() == t1.network().params().array()).all());
}

// restore_best: the kept weights are those of the best validation epoch, so the final validation
// loss equals the minimum of the history exactly; training stops `patience` epochs after it.
TEST(Train, EarlyStoppingRestoresBestWeightsAndRespectsPatience) {
  const auto ds = blobs(200, 200, 3, 0.3);  // overlapping: validation loss turns up early
  auto cfg = smallConfig();
  cfg.train.epochs = 200;
  cfg.train.optimizer.learningRate = 2e-2f;
  cfg.model.widths = {32, 32};
  cfg.model.dropout = {0.0f};
  cfg.train.earlyStopping.patience = 3;
  const auto prepared = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer trainer(cfg, prepared);
  const auto r = trainer.fit();
  ASSERT_TRUE(r.stoppedEarly) << "expected early stopping within 200 epochs";
  double best = INFINITY;
  int bestEpoch = 0;
  for (const auto& h : r.history)
    if (h.valLoss < best) { best = h.valLoss; bestEpoch = h.epoch; }
  EXPECT_EQ(r.bestEpoch, bestEpoch);
  EXPECT_EQ(r.epochsRun, bestEpoch + cfg.train.earlyStopping.patience);
  EXPECT_DOUBLE_EQ(r.val.loss, best);
}

// Without restore_best the last epoch's weights are kept.
TEST(Train, WithoutRestoreBestKeepsLastWeights) {
  const auto ds = blobs(200, 200, 3, 0.3);
  auto cfg = smallConfig();
  cfg.train.epochs = 6;
  cfg.train.earlyStopping.enabled = false;
  cfg.train.earlyStopping.restoreBest = false;
  const auto prepared = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer trainer(cfg, prepared);
  const auto r = trainer.fit();
  EXPECT_EQ(r.epochsRun, 6);
  EXPECT_DOUBLE_EQ(r.val.loss, r.history.back().valLoss);
}

// fit() evaluates the validation split at the end from the last epoch's logits when the network
// ends with that epoch's weights: its results must be those of a fresh evaluation of the final
// network, bit for bit, when the last epoch is kept (restore_best with the best epoch last, or
// restore_best off) and when early stopping restored an earlier epoch (the last epoch's logits
// would then give the wrong loss).
TEST(Train, FinalValidationEvaluationEqualsAFreshOne) {
  const auto bits = [](const auto& a, const auto& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](double x, double y) {
             return std::memcmp(&x, &y, sizeof x) == 0;
           });
  };
  const auto ds = blobs(200, 200, 3, 0.3);
  struct Case {
    const char* name;
    int epochs;
    bool restoreBest;
    bool lastKept;
  };
  for (const Case c : {Case{"best epoch last", 2, true, true}, Case{"restore_best off", 6, false, true},
                       Case{"earlier epoch restored", 200, true, false}}) {
    SCOPED_TRACE(c.name);
    auto cfg = smallConfig();
    cfg.train.epochs = c.epochs;
    cfg.train.optimizer.learningRate = 2e-2f;
    cfg.model.widths = {32, 32};
    cfg.model.dropout = {0.0f};
    cfg.train.earlyStopping.patience = 3;
    cfg.train.earlyStopping.restoreBest = c.restoreBest;
    const auto prepared = train::prepareData(cfg, ds, "mem", "0");
    train::Trainer trainer(cfg, prepared);
    const auto r = trainer.fit();
    ASSERT_EQ(r.bestEpoch == r.epochsRun, c.lastKept) << "best epoch " << r.bestEpoch << " of " << r.epochsRun;
    const train::EvalResult fresh = trainer.evaluate(prepared.val);
    const std::vector<double> scores(r.val.scores.begin(), r.val.scores.end()),
        freshScores(fresh.scores.begin(), fresh.scores.end());
    EXPECT_TRUE(bits(std::vector<double>{r.val.loss, r.val.auc, r.val.aucWeighted, r.val.confusion.truePositive,
                                         r.val.confusion.falsePositive},
                     std::vector<double>{fresh.loss, fresh.auc, fresh.aucWeighted, fresh.confusion.truePositive,
                                         fresh.confusion.falsePositive}));
    EXPECT_TRUE(bits(scores, freshScores));
    EXPECT_TRUE(bits(r.val.roc.fpr, fresh.roc.fpr) && bits(r.val.roc.tpr, fresh.roc.tpr) &&
                bits(r.val.roc.threshold, fresh.roc.threshold));
    EXPECT_TRUE(bits(r.val.bkgEff, fresh.bkgEff));
    EXPECT_EQ(r.val.loss == r.history.back().valLoss, c.lastKept);
  }
}

// Downsampling balances train and validation but leaves the test set's natural mix; the three
// splits are disjoint.
TEST(Train, DownsampleBalancesTrainAndValidationOnly) {
  const auto ds = blobs(600, 200, 2, 1.0);
  auto cfg = smallConfig();
  cfg.data.balance = data::BalanceMode::Downsample;
  const auto p = train::prepareData(cfg, ds, "mem", "0");
  const auto count = [](const train::SplitData& s) { return (s.labels.array() > 0.5f).count(); };
  EXPECT_EQ(count(p.train) * 2, p.train.size());
  EXPECT_EQ(count(p.val) * 2, p.val.size());
  EXPECT_NEAR(static_cast<double>(count(p.test)) / static_cast<double>(p.test.size()), 0.75, 0.02);
  std::set<data::Index> seen;
  for (const auto* s : {&p.train, &p.val, &p.test})
    for (auto r : s->rows) EXPECT_TRUE(seen.insert(r).second) << "row " << r << " in two splits";
}

// The hot path allocates nothing once buffers exist: the second epoch (including the smaller
// last batch) makes no heap allocation at all.
TEST(Train, EpochAllocatesNothingAfterTheFirst) {
  const auto ds = blobs(333, 301, 5, 1.0);  // train size not a multiple of the batch size
  auto cfg = smallConfig();
  cfg.model.batchNorm = true;
  const auto prepared = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer trainer(cfg, prepared);
  trainer.trainOneEpoch(1);
  const long before = gAllocations.load();
  trainer.trainOneEpoch(2);
  EXPECT_EQ(gAllocations.load() - before, 0);
}

// A learning rate that makes SGD blow up is reported as a numerical error naming the epoch,
// not written out as a NaN result.
TEST(Train, DivergenceIsANumericError) {
  const auto ds = blobs(100, 100, 2, 1.0);
  auto cfg = smallConfig();
  cfg.train.optimizer.kind = nn::OptimizerKind::Sgd;
  cfg.train.optimizer.learningRate = 1e30f;
  const auto prepared = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer trainer(cfg, prepared);
  try {
    trainer.fit();
    FAIL() << "expected divergence";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Numeric);
    EXPECT_NE(std::string(e.what()).find("epoch"), std::string::npos);
  }
}

// The result file holds what the issue promises, with values equal to the in-memory result.
TEST(Train, ResultFileHasTheDocumentedLayout) {
  const auto ds = blobs(200, 200, 3, 1.0);
  auto cfg = smallConfig();
  cfg.train.epochs = 3;
  cfg.output.scores = train::ScoreOutput::All;
  const auto prepared = train::prepareData(cfg, ds, "mem", "abc");
  train::Trainer trainer(cfg, prepared);
  const auto r = trainer.fit();
  const fs::path dir = fs::path(testing::TempDir()) / "hepsweep_train_result";
  fs::create_directories(dir);
  const std::string path = (dir / "result.h5").string();
  train::RunRecord record;
  record.configToml = "seed = 7\n";
  record.commandLine = "hepsweep train x.toml";
  train::writeResultFile(path, cfg, record, prepared, r, trainer.network());

  const auto f = io::h5::File::open(path);
  for (const char* name : {"history/train_loss", "history/val_loss", "history/val_auc", "history/learning_rate",
                           "history/epoch_seconds", "roc/fpr", "roc/tpr", "roc/threshold", "scores/test",
                           "scores/test_rows", "scores/train", "scores/val_labels", "metrics/test_auc",
                           "metrics/background_efficiency", "split", "preprocess/mean", "model/layer_0/W",
                           "model/layer_2/b", "model/feature_names"})
    EXPECT_TRUE(f.exists(name)) << name;
  EXPECT_EQ(f.attrInt("format_version"), 2);
  // The split is stored as its rule and the digests of the rows, which match the rows trained on.
  EXPECT_FALSE(f.exists("split/train"));
  EXPECT_EQ(f.attrString("train_sha256", "split"), data::rowsDigest(prepared.train.rows));
  EXPECT_EQ(f.attrString("test_sha256", "split"), data::rowsDigest(prepared.test.rows));
  EXPECT_EQ(f.read<std::int64_t>("scores/test_rows"), prepared.test.rows);
  EXPECT_EQ(f.attrString("config"), "seed = 7\n");
  EXPECT_EQ(f.attrInt("seed"), 7);
  EXPECT_EQ(f.attrString("data_sha256"), "abc");
  EXPECT_EQ(f.readScalarDouble("metrics/test_auc"), r.test.auc);
  EXPECT_EQ(f.read<double>("history/val_loss").size(), r.history.size());
  EXPECT_EQ(f.shape("model/layer_0/W"), (std::vector<std::size_t>{8, 3}));
  const auto scores = f.read<float>("scores/test");
  ASSERT_EQ(static_cast<Eigen::Index>(scores.size()), r.test.scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) ASSERT_EQ(scores[i], r.test.scores[static_cast<Eigen::Index>(i)]);

  // Preprocessing round-trips through the file.
  const auto pp = rundir::readPreprocess(f.openGroup("preprocess"));
  EXPECT_EQ(pp.inputNames, prepared.preprocess.inputNames);
  EXPECT_TRUE(pp.mean.isApprox(prepared.preprocess.mean));
  EXPECT_TRUE(pp.scale.isApprox(prepared.preprocess.scale));
}

// Batch normalisation cannot normalise a single event: a last batch of one is skipped instead
// of failing the run (34 training rows, batch 32 in 4 micro-batches: the remainder of 2 is
// too small for per-micro-batch statistics).
TEST(Train, BatchNormSkipsASingleEventRemainder) {
  auto cfg = smallConfig();
  cfg.model.batchNorm = true;
  train::PreparedData p;
  data::FeatureMatrix table(44, 2);
  const auto fill = [&table](train::SplitData& s, int first, int n) {
    s.labels.resize(n);
    s.weights = Eigen::VectorXf::Ones(n);
    for (int i = 0; i < n; ++i) {
      s.rows.push_back(first + i);
      s.labels[i] = static_cast<float>(i % 2);
      table(first + i, 0) = static_cast<float>(i % 2) + 0.01f * static_cast<float>(i);
      table(first + i, 1) = 0.5f;
    }
  };
  fill(p.train, 0, 34);
  fill(p.val, 34, 10);
  train::testing::useTable(p, std::move(table));
  train::Trainer trainer(cfg, p);
  double loss = 0;
  EXPECT_NO_THROW(loss = trainer.trainOneEpoch(1));
  EXPECT_TRUE(std::isfinite(loss));
}

// A callback's Interrupt ends the loop at that epoch boundary with nothing after it: callbacks
// later in the list, onTrainEnd (which would restore the best weights) and the evaluation are
// skipped. Catches an interrupted item being evaluated and written as if it had finished.
TEST(Train, InterruptEndsAtTheEpochBoundaryWithNothingAfter) {
  const auto ds = blobs(200, 200, 3, 0.5);
  auto cfg = smallConfig();
  cfg.train.epochs = 6;
  const auto p = train::prepareData(cfg, ds, "mem", "0");
  struct Recorder : train::Callback {
    int interruptAt, seen = 0;
    bool ended = false;
    explicit Recorder(int at) : interruptAt(at) {}
    train::CallbackResult onEpochEnd(const train::EpochRecord& r, nn::Network&) override {
      ++seen;
      return r.epoch == interruptAt ? train::CallbackResult::Interrupt : train::CallbackResult::Continue;
    }
    void onTrainEnd(nn::Network&) override { ended = true; }
  };
  train::Trainer trainer(cfg, p);
  Recorder first(3), second(0);
  const train::TrainResult r = trainer.fit({&first, &second});
  EXPECT_TRUE(r.interrupted);
  EXPECT_FALSE(r.stoppedEarly);
  EXPECT_EQ(r.epochsRun, 3);
  EXPECT_EQ(r.history.size(), 3u);
  EXPECT_EQ(first.seen, 3);
  EXPECT_EQ(second.seen, 2);  // not called for the interrupted epoch
  EXPECT_FALSE(first.ended);
  EXPECT_FALSE(second.ended);
  EXPECT_EQ(r.test.scores.size(), 0);  // not evaluated
  EXPECT_EQ(trainer.checkpoint().epochsDone, 3);
}

// Stopping after any epoch and resuming from the checkpoint gives bit-for-bit the weights and
// history of an uninterrupted run (optimiser moments, early-stopping state and epoch counters
// must all be restored; the random streams are keyed by epoch).
TEST(Train, ResumeFromCheckpointIsBitwiseIdentical) {
  const auto ds = blobs(300, 300, 3, 0.5);
  auto cfg = smallConfig();
  cfg.train.epochs = 8;
  cfg.train.optimizer.kind = nn::OptimizerKind::NAdam;
  const auto p = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer full(cfg, p);
  const auto ref = full.fit();

  struct StopAfter : train::Callback {
    int at;
    explicit StopAfter(int a) : at(a) {}
    train::CallbackResult onEpochEnd(const train::EpochRecord& r, nn::Network&) override {
      return r.epoch >= at ? train::CallbackResult::Stop : train::CallbackResult::Continue;
    }
  };
  for (int cut : {1, 3, 7}) {
    train::Trainer first(cfg, p);
    StopAfter stop(cut);
    first.fit({&stop});
    // Through the checkpoint file, as a killed campaign resumes.
    const std::string file = (fs::path(testing::TempDir()) / ("ckpt_" + std::to_string(cut) + ".h5")).string();
    train::writeCheckpoint(file, first.checkpoint());
    const train::Checkpoint c = train::readCheckpoint(file);
    ASSERT_EQ(c.epochsDone, cut);
    train::Trainer second(cfg, p);
    second.resume(c);
    const auto r = second.fit();
    ASSERT_EQ(r.history.size(), ref.history.size()) << "cut " << cut;
    for (std::size_t i = 0; i < r.history.size(); ++i) {
      EXPECT_EQ(r.history[i].trainLoss, ref.history[i].trainLoss) << "cut " << cut << " epoch " << i + 1;
      EXPECT_EQ(r.history[i].valLoss, ref.history[i].valLoss) << "cut " << cut << " epoch " << i + 1;
    }
    EXPECT_EQ(r.bestEpoch, ref.bestEpoch);
    EXPECT_TRUE((second.network().params().array() == full.network().params().array()).all()) << "cut " << cut;
  }
}

// Reduce-on-plateau's state (its rate, best value, wait and cooldown counters) is part of the
// checkpoint: resuming after any epoch trains at the same rates, to the same weights, as an
// uninterrupted run. Patience 2 and cooldown 1 put some cuts in the middle of a wait or cooldown.
TEST(Train, ResumeWithPlateauScheduleIsBitwiseIdentical) {
  const auto ds = blobs(300, 300, 3, 0.5);
  auto cfg = smallConfig();
  cfg.train.epochs = 10;
  cfg.train.earlyStopping.enabled = false;
  cfg.train.lrSchedule.kind = train::LrScheduleKind::Plateau;
  cfg.train.lrSchedule.patience = 2;
  cfg.train.lrSchedule.cooldown = 1;
  cfg.train.lrSchedule.factor = 0.5;
  cfg.train.lrSchedule.minDelta = 0.02;  // large: the small blobs plateau within the run
  const auto p = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer full(cfg, p);
  const auto ref = full.fit();
  // The run must lower the rate, or this test would not test the plateau state.
  std::set<double> rates;
  for (const auto& h : ref.history) rates.insert(h.learningRate);
  ASSERT_GE(rates.size(), 2u) << "the schedule never lowered the rate";
  EXPECT_EQ(static_cast<float>(ref.history.front().learningRate), cfg.train.optimizer.learningRate);

  struct StopAfter : train::Callback {
    int at;
    explicit StopAfter(int a) : at(a) {}
    train::CallbackResult onEpochEnd(const train::EpochRecord& r, nn::Network&) override {
      return r.epoch >= at ? train::CallbackResult::Stop : train::CallbackResult::Continue;
    }
  };
  for (int cut = 1; cut < cfg.train.epochs; ++cut) {
    train::Trainer first(cfg, p);
    StopAfter stop(cut);
    first.fit({&stop});
    const std::string file = (fs::path(testing::TempDir()) / ("plateau_" + std::to_string(cut) + ".h5")).string();
    train::writeCheckpoint(file, first.checkpoint());
    train::Trainer second(cfg, p);
    second.resume(train::readCheckpoint(file));
    const auto r = second.fit();
    ASSERT_EQ(r.history.size(), ref.history.size()) << "cut " << cut;
    for (std::size_t i = 0; i < r.history.size(); ++i) {
      EXPECT_EQ(r.history[i].learningRate, ref.history[i].learningRate) << "cut " << cut << " epoch " << i + 1;
      EXPECT_EQ(r.history[i].valLoss, ref.history[i].valLoss) << "cut " << cut << " epoch " << i + 1;
    }
    EXPECT_TRUE((second.network().params().array() == full.network().params().array()).all()) << "cut " << cut;
  }
}

// history/learning_rate records the rate each epoch trained with (here a step schedule).
TEST(Train, HistoryRecordsTheScheduledRates) {
  const auto ds = blobs(200, 200, 3, 1.0);
  auto cfg = smallConfig();
  cfg.train.epochs = 5;
  cfg.train.earlyStopping.enabled = false;
  cfg.train.optimizer.learningRate = 0.004f;
  cfg.train.lrSchedule.kind = train::LrScheduleKind::Step;
  cfg.train.lrSchedule.stepSize = 2;
  cfg.train.lrSchedule.gamma = 0.5;
  cfg.train.lrSchedule.warmupEpochs = 1;
  const auto prepared = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer trainer(cfg, prepared);
  const auto r = trainer.fit();
  const fs::path dir = fs::path(testing::TempDir()) / "hepsweep_train_lr_history";
  fs::create_directories(dir);
  const std::string path = (dir / "result.h5").string();
  train::writeResultFile(path, cfg, train::RunRecord{}, prepared, r, trainer.network());
  const auto lr = io::h5::File::open(path).read<double>("history/learning_rate");
  const std::vector<float> expected{0.004f, 0.004f, 0.004f, 0.002f, 0.002f};
  ASSERT_EQ(lr.size(), expected.size());
  for (std::size_t i = 0; i < lr.size(); ++i) EXPECT_EQ(static_cast<float>(lr[i]), expected[i]) << "epoch " << i + 1;
}

// The class-weight warning fires beyond a factor 100 between the summed training weights of the
// classes, either way round, names both sums, and is silent under data.balance = "reweight"
// (which equalises them) or at a factor of 100 or less.
TEST(Train, WeightImbalanceWarningThreshold) {
  auto ds = blobs(200, 200, 2, 1.0);
  auto cfg = smallConfig();
  const auto warningFor = [&](float signalWeight, data::BalanceMode balance) {
    for (Eigen::Index i = 0; i < 200; ++i) ds.weights[i] = signalWeight;
    cfg.data.balance = balance;
    return train::weightImbalanceWarning(cfg, train::prepareData(cfg, ds, "mem", "0"));
  };
  // 100 signal and 100 background training events (split 0.5).
  const std::string w = warningFor(0.005f, data::BalanceMode::None);
  EXPECT_NE(w.find("0.5 for signal and 100 for background"), std::string::npos) << w;
  EXPECT_NE(w.find("data.balance = \"reweight\""), std::string::npos) << w;
  EXPECT_NE(warningFor(250.0f, data::BalanceMode::None).find("25000 for signal and 100 for background"), std::string::npos);
  EXPECT_EQ(warningFor(0.005f, data::BalanceMode::Reweight), "");
  EXPECT_EQ(warningFor(0.0105f, data::BalanceMode::None), "");  // a factor 95
  EXPECT_EQ(warningFor(1.0f, data::BalanceMode::Downsample), "");
  EXPECT_NE(warningFor(0.005f, data::BalanceMode::Downsample), "");  // equal counts, not equal weights
}

// In the first epoch the number of micro-batches changes only the summation order: 1 and 4
// micro-batches train the same function up to rounding. (Later epochs shuffle within each
// micro-batch slot, so the number of slots is part of the training recipe, like the seed; the
// group size is not.) Catches a micro-batch split that loses or repeats events of a batch.
TEST(Train, MicroBatchesGiveTheSameFirstEpochUpToRounding) {
  const auto ds = blobs(300, 300, 3, 1.0);
  auto cfg = smallConfig();
  cfg.train.epochs = 1;
  cfg.train.earlyStopping.enabled = false;
  cfg.train.microBatches = 1;
  const auto p = train::prepareData(cfg, ds, "mem", "0");
  train::Trainer one(cfg, p);
  const auto r1 = one.fit();
  cfg.train.microBatches = 4;
  train::Trainer four(cfg, p);
  const auto r4 = four.fit();
  EXPECT_NEAR(r1.history.back().trainLoss, r4.history.back().trainLoss, 1e-4);
  EXPECT_TRUE(one.network().params().isApprox(four.network().params(), 1e-4f));
}
