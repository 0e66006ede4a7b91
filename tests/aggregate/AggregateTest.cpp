// aggregate::collect and writeSummaryFile on synthetic run directories whose metrics and scores
// are set by the test (AggregateTestUtil.hpp), so each expected value is computed here by hand or
// by an independent O(n^2) formula, never by the code under test.
#include <gtest/gtest.h>

#include <cmath>

#include "AggregateTestUtil.hpp"
#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/metrics/KolmogorovSmirnov.hpp"

namespace hepsweep::aggregate {
namespace {

using testing::errorOf;
using testing::FakeCampaign;
using testing::FakeItem;
using testing::TempDir;
namespace fs = std::filesystem;

double metricOf(const std::vector<std::pair<std::string, double>>& kv, const std::string& name) {
  for (const auto& [k, v] : kv)
    if (k == name) return v;
  ADD_FAILURE() << "no metric " << name;
  return NAN;
}

// Mann-Whitney AUC by counting pairs: P(signal score > background score) + 1/2 P(tie).
double pairAuc(const std::vector<float>& scores, const std::vector<float>& labels) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    for (std::size_t j = 0; j < scores.size(); ++j)
      if (labels[i] == 1 && labels[j] == 0) {
        pairs += 1;
        wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
      }
  return wins / pairs;
}

// Catches a wrong ranking direction, a population std (ddof = 0) instead of the sample std, means
// over the wrong items, a non-scalar /metrics dataset taken as a metric, and the wrong best point.
// Point 1 (dropout 0.25) has val_loss {0.50, 0.55, 0.57}: mean 0.54, sample std sqrt(0.0013);
// point 0 has {0.60, 0.62, 0.64}: mean 0.62, std 0.02.
TEST(Aggregate, RankingMeansAndStd) {
  TempDir tmp;
  FakeCampaign c;
  c.write(tmp.path() / "run");
  const Summary s = collect({(tmp.path() / "run").string()});
  ASSERT_EQ(s.items.size(), 6u);
  ASSERT_EQ(s.points.size(), 2u);
  EXPECT_EQ(s.objective, "val_loss");
  EXPECT_EQ(s.folds, 3);
  EXPECT_EQ(s.seed, 7u);
  EXPECT_TRUE(s.incomplete.empty());
  const PointSummary& best = s.points[0];
  EXPECT_EQ(best.rank, 1);
  EXPECT_EQ(s.points[1].rank, 2);
  ASSERT_EQ(best.parameters.size(), 1u);
  EXPECT_EQ(best.parameters[0].first, "model.dropout");
  EXPECT_EQ(best.parameters[0].second, "0.25");
  EXPECT_EQ(s.bestPoint, best.point);
  EXPECT_EQ(best.foldsDone, 3);
  EXPECT_TRUE(best.complete());
  EXPECT_NEAR(best.objectiveMean, 0.54, 1e-12);
  EXPECT_NEAR(best.objectiveStd, std::sqrt(0.0013), 1e-12);
  EXPECT_NEAR(s.points[1].objectiveMean, 0.62, 1e-12);
  EXPECT_NEAR(s.points[1].objectiveStd, 0.02, 1e-12);
  // test_auc of point 1 is 0.8, 0.79, 0.78: mean 0.79, std 0.01.
  EXPECT_NEAR(metricOf(best.metricMean, "test_auc"), 0.79, 1e-12);
  EXPECT_NEAR(metricOf(best.metricStd, "test_auc"), 0.01, 1e-12);
  for (const auto& [name, v] : best.metricMean) EXPECT_NE(name, "signal_efficiency");
  // Items keep (run dir, item id) order and carry what the file says.
  for (std::size_t i = 0; i < s.items.size(); ++i) EXPECT_EQ(s.items[i].item, static_cast<std::int64_t>(i));
  EXPECT_EQ(s.items[4].fold, 1);
  EXPECT_NEAR(s.items[4].objective, 0.55, 1e-15);
  EXPECT_EQ(s.items[4].epochsRun, 5);
  EXPECT_EQ(s.items[4].bestEpoch, 3);
  EXPECT_EQ(s.items[4].trainLoss.size(), 5u);
  // Wall time = sum of train_seconds 10 + 11 + ... + 15.
  EXPECT_NEAR(s.wallSeconds, 75.0, 1e-12);
}

// Catches ranking by val_loss when the campaign said val_auc, or by val_auc without turning it
// into 1 - val_auc (then the worst point would win): here point 0 has the higher val_auc
// (mean 0.81) and must win although its val_loss is worse.
TEST(Aggregate, ValAucObjectiveIsOneMinusAuc) {
  TempDir tmp;
  FakeCampaign c;
  c.objective = "val_auc";
  c.write(tmp.path() / "run");
  const Summary s = collect({(tmp.path() / "run").string()});
  EXPECT_EQ(s.objective, "val_auc");
  EXPECT_EQ(s.points[0].parameters[0].second, "0.0");
  EXPECT_NEAR(s.points[0].objectiveMean, 1 - 0.81, 1e-12);
  EXPECT_NEAR(s.points[0].objectiveStd, 0.01, 1e-12);
}

// Catches the stored metrics/objective being ignored (newer campaigns rank by objectives such as
// "ams" that cannot be recomputed from val_loss/val_auc): the stored values must rank the points
// (here point 0 wins with mean -3), and without them such an objective is an error naming the file.
TEST(Aggregate, StoredObjectiveWins) {
  TempDir tmp;
  FakeCampaign c;
  c.objective = "ams";
  c.storedObjective = {{-2.0, -3.0, -4.0}, {-1.0, -1.0, -1.0}};
  c.write(tmp.path() / "run");
  const Summary s = collect({(tmp.path() / "run").string()});
  EXPECT_EQ(s.objective, "ams");
  EXPECT_EQ(s.points[0].parameters[0].second, "0.0");
  EXPECT_NEAR(s.points[0].objectiveMean, -3.0, 1e-12);
  EXPECT_NEAR(s.points[0].objectiveStd, 1.0, 1e-12);

  FakeCampaign old;
  old.objective = "ams";
  old.write(tmp.path() / "old");
  const auto [cat, msg] = errorOf([&] { collect({(tmp.path() / "old").string()}); });
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find("result.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ams"), std::string::npos) << msg;
}

// Catches an ensemble that is not the mean of the fold scores (e.g. only one fold, a sum, or
// misaligned events), a wrong AUC of the ensemble or of the folds, working-point spread computed
// over the wrong values, and a wrong overtraining KS (train vs test per class of each fold).
TEST(Aggregate, EnsembleOnTheTestSet) {
  TempDir tmp;
  FakeCampaign c;
  c.write(tmp.path() / "run");
  const Summary s = collect({(tmp.path() / "run").string()}, CollectOptions{false, {0.5, 0.9}, true});
  const auto items = c.items();
  // The best point is point 1: items 3, 4, 5.
  ASSERT_EQ(s.bestItems.size(), 3u);
  ASSERT_EQ(s.ensembleTestScores.size(), c.nTest);
  std::vector<float> expected(c.nTest);
  for (std::size_t i = 0; i < c.nTest; ++i) {
    const double sum = static_cast<double>(items[3].testScores[i]) + items[4].testScores[i] + items[5].testScores[i];
    expected[i] = static_cast<float>(sum / 3);
    EXPECT_FLOAT_EQ(s.ensembleTestScores[i], expected[i]) << i;
  }
  EXPECT_EQ(s.testRows, items[3].testRows);
  ASSERT_EQ(s.roc.size(), 4u);
  EXPECT_EQ(s.roc.back().label, "ensemble");
  EXPECT_NEAR(s.ensembleTestAuc, pairAuc(expected, items[3].testLabels), 1e-12);
  EXPECT_NEAR(s.ensembleTestAucWeighted, s.ensembleTestAuc, 1e-12);  // unit weights
  std::vector<double> foldAuc;
  for (int k = 0; k < 3; ++k) {
    foldAuc.push_back(pairAuc(items[3 + static_cast<std::size_t>(k)].testScores, items[3].testLabels));
    EXPECT_EQ(s.roc[static_cast<std::size_t>(k)].label, "fold " + std::to_string(k));
    EXPECT_NEAR(s.roc[static_cast<std::size_t>(k)].auc, foldAuc.back(), 1e-12);
  }
  EXPECT_NEAR(s.foldMeanTestAuc, (foldAuc[0] + foldAuc[1] + foldAuc[2]) / 3, 1e-12);
  EXPECT_NEAR(s.foldStdTestAuc, sampleStd(foldAuc), 1e-12);
  ASSERT_EQ(s.workingPoints.size(), 2u);
  for (const auto& wp : s.workingPoints) {
    ASSERT_EQ(wp.foldBackgroundEfficiency.size(), 3u);
    const auto& f = wp.foldBackgroundEfficiency;
    EXPECT_NEAR(wp.foldMeanBackgroundEfficiency, (f[0] + f[1] + f[2]) / 3, 1e-12);
    EXPECT_NEAR(wp.foldStdBackgroundEfficiency, sampleStd(f), 1e-12);
    EXPECT_NEAR(wp.ensembleBackgroundRejection, 1 / wp.ensembleBackgroundEfficiency, 1e-9);
    // The threshold keeps (at least) the requested fraction of signal of the ensemble.
    double kept = 0, total = 0;
    for (std::size_t i = 0; i < c.nTest; ++i)
      if (items[3].testLabels[i] == 1) {
        total += 1;
        kept += expected[i] >= wp.ensembleThreshold ? 1 : 0;
      }
    EXPECT_GE(kept / total, wp.signalEfficiency - 1.0 / total);
  }
  // Overtraining: 3 folds x 2 classes, D against a hand-made split of the item's scores.
  ASSERT_EQ(s.overtraining.size(), 6u);
  const auto& check = s.overtraining[2];  // fold 1, signal
  EXPECT_EQ(check.fold, 1);
  EXPECT_EQ(check.cls, 1);
  std::vector<float> tr, trw, te;
  for (std::size_t i = 0; i < c.nTrain; ++i)
    if (items[4].trainLabels[i] == 1) {
      tr.push_back(items[4].trainScores[i]);
      trw.push_back(items[4].trainWeights[i]);
    }
  for (std::size_t i = 0; i < c.nTest; ++i)
    if (items[4].testLabels[i] == 1) te.push_back(items[4].testScores[i]);
  EXPECT_EQ(check.trainScores, tr);
  EXPECT_EQ(check.testScores, te);
  double d = 0, ttr = 0;
  for (float w : trw) ttr += w;
  std::vector<float> xs = tr;
  xs.insert(xs.end(), te.begin(), te.end());
  for (float y : xs) {
    double fa = 0, fb = 0;
    for (std::size_t i = 0; i < tr.size(); ++i) fa += tr[i] <= y ? trw[i] : 0;
    for (float z : te) fb += z <= y ? 1 : 0;
    d = std::max(d, std::abs(fa / ttr - fb / static_cast<double>(te.size())));
  }
  EXPECT_NEAR(check.ksStatistic, d, 1e-12);
  EXPECT_GT(check.ksPValue, 0.0);
  EXPECT_LE(check.ksPValue, 1.0);
  // Split counts from the best point's first fold: 60 train events, half signal.
  ASSERT_EQ(s.splitCounts.size(), 3u);
  EXPECT_EQ(s.splitCounts[0].signal, 30);
  EXPECT_EQ(s.nTrain, 60);
  EXPECT_EQ(s.nTest, 40);
}

// The AMS curves of the best point's folds and of their ensemble, against hand-computed values of
// the HiggsML formula AMS = sqrt(2((s + b + 10) ln(1 + s/(b + 10)) - s)). Four test events:
// labels 1, 1, 0, 0 with weights 1, 2, 1, -0.5; the result files say the test set's expected
// yields are 30 (signal) and 10 (background), so each signal weight counts x10 and each background
// weight x20: yields 10, 20, 20, -10. Catches yields taken from raw weights, the factor of the
// wrong class, clipped negative weights, an ensemble that is not the mean score, and a missing
// AMS section in summary.h5.
TEST(Aggregate, AmsCurvesOfTheFoldsAndTheEnsemble) {
  TempDir tmp;
  FakeCampaign c;
  c.folds = 2;
  c.valLoss = {{0.60, 0.62}, {0.50, 0.55}};
  c.valAuc = {{0.80, 0.81}, {0.70, 0.71}};
  const fs::path run = tmp.path() / "run";
  c.write(run);
  // Point 1 (lower val_loss) is the best; its folds score the four events as below.
  const std::vector<std::vector<float>> scores = {{0.9f, 0.3f, 0.5f, 0.1f}, {0.5f, 0.7f, 0.3f, 0.1f}};
  for (FakeItem it : c.items()) {
    it.testRows = {10, 11, 12, 13};
    it.testLabels = {1, 1, 0, 0};
    it.testWeights = {1.0f, 2.0f, 1.0f, -0.5f};
    it.testScores = it.point == 1 ? scores[static_cast<std::size_t>(it.fold)] : std::vector<float>{0.4f, 0.3f, 0.2f, 0.1f};
    it.expectedSignal = 30.0;
    it.expectedBackground = 10.0;
    testing::writeResult(testing::itemDir(run, it.id) / "result.h5", it);
  }
  const Summary s = collect({run.string()});
  ASSERT_EQ(s.bestPoint, 1);
  EXPECT_NEAR(s.signalYieldFactor, 10.0, 1e-12);
  EXPECT_NEAR(s.backgroundYieldFactor, 20.0, 1e-12);
  EXPECT_TRUE(s.testWeighted);
  ASSERT_EQ(s.ams.size(), 3u);
  EXPECT_EQ(s.ams[0].label, "fold 0");
  EXPECT_EQ(s.ams[2].label, "ensemble");
  // Fold 0, cuts 0.9, 0.5, 0.3, 0.1: (s, b) = (10, 0), (10, 20), (30, 20), (30, 10); the loosest
  // cut wins only because the negative-weight background event at 0.1 takes b from 20 to 10.
  const std::vector<double> fold0{2.7795480248410556, 1.7362504992490186, 4.814318401102428, 5.623973078475351};
  ASSERT_EQ(s.ams[0].ams.size(), fold0.size());
  for (std::size_t i = 0; i < fold0.size(); ++i) EXPECT_NEAR(s.ams[0].ams[i], fold0[i], 1e-9) << i;
  EXPECT_NEAR(s.ams[0].maxAms, 5.623973078475351, 1e-9);
  EXPECT_NEAR(s.ams[0].thresholdAtMax, 0.1, 1e-6);
  EXPECT_NEAR(s.ams[0].signalAtMax, 30.0, 1e-9);
  EXPECT_NEAR(s.ams[0].backgroundAtMax, 10.0, 1e-9);
  // Ensemble = mean score: 0.7, 0.5, 0.4, 0.1; cuts give (10, 0), (30, 0), (30, 20), (30, 10):
  // the best is score >= 0.5 with AMS(30, 0) = 7.134672304289192, all signal, no background.
  const AmsCurve& e = s.ams[2];
  EXPECT_NEAR(e.maxAms, 7.134672304289192, 1e-9);
  EXPECT_NEAR(e.thresholdAtMax, 0.5, 1e-6);
  EXPECT_NEAR(e.signalAtMax, 30.0, 1e-9);
  EXPECT_NEAR(e.backgroundAtMax, 0.0, 1e-9);
  EXPECT_NEAR(e.signalEfficiency, 1.0, 1e-9);
  EXPECT_NEAR(e.totalSignal, 30.0, 1e-9);
  EXPECT_NEAR(e.totalBackground, 10.0, 1e-9);
  EXPECT_TRUE(std::isnan(e.sOverSqrtB));  // b = 0
  // Fold 1: (20, 0), (30, 0), ...: the same best cut as the ensemble.
  EXPECT_NEAR(s.ams[1].maxAms, 7.134672304289192, 1e-9);

  const std::string path = (tmp.path() / "summary.h5").string();
  writeSummaryFile(path, s);
  const auto f = io::h5::File::open(path);
  EXPECT_NEAR(f.attrDouble("ams", "best/ams/ensemble"), 7.134672304289192, 1e-9);
  EXPECT_NEAR(f.attrDouble("ensemble_ams", "best"), 7.134672304289192, 1e-9);
  EXPECT_EQ(f.read<double>("best/ams/fold_0/ams").size(), 4u);
  EXPECT_NEAR(f.attrDouble("threshold", "best/ams/fold_0"), 0.1, 1e-6);
}

// Result files without expected yields (written before the physics metrics) give no AMS curve
// and a note saying why, not an error.
TEST(Aggregate, NoAmsWithoutExpectedYields) {
  TempDir tmp;
  FakeCampaign c;
  c.write(tmp.path() / "run");
  const Summary s = collect({(tmp.path() / "run").string()});
  EXPECT_TRUE(s.ams.empty());
  EXPECT_NE(s.amsNote.find("expected_signal"), std::string::npos) << s.amsNote;
}

// Catches averaging scores of folds that were tested on different events: the error must name
// both result files.
TEST(Aggregate, DifferentTestSetsAreAnError) {
  TempDir tmp;
  FakeCampaign c;
  const auto run = tmp.path() / "run";
  c.write(run);
  FakeItem moved = c.items()[4];
  moved.testRows[0] = 999999;
  testing::writeResult(testing::itemDir(run, 4) / "result.h5", moved);
  const auto [cat, msg] = errorOf([&] { collect({run.string()}); });
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find("items/000003/result.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("items/000004/result.h5"), std::string::npos) << msg;
}

// Catches an incomplete campaign aggregated silently: a missing result, a failed item (with its
// reason) and a corrupt file are each named; with allowIncomplete they are listed instead, and the
// point with two folds still ranks (on its two folds) and is flagged incomplete.
TEST(Aggregate, IncompleteItems) {
  TempDir tmp;
  FakeCampaign c;
  const auto run = tmp.path() / "run";
  c.write(run, [](const FakeItem& it) { return it.id == 5 || it.id == 1; });
  testing::writeText(testing::itemDir(run, 1) / "failed.txt", "Numeric: training diverged\n");
  testing::writeText(testing::itemDir(run, 2) / "result.h5", "this is not HDF5");
  const auto [cat, msg] = errorOf([&] { collect({run.string()}); });
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find("items/000005/result.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("items/000001/failed.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("diverged"), std::string::npos) << msg;
  EXPECT_NE(msg.find("items/000002/result.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--allow-incomplete"), std::string::npos) << msg;

  CollectOptions o;
  o.allowIncomplete = true;
  const Summary s = collect({run.string()}, o);
  EXPECT_EQ(s.incomplete.size(), 3u);
  EXPECT_EQ(s.items.size(), 3u);
  // Point 1 has folds 0 and 1 (0.50, 0.55): mean 0.525, still better than point 0's fold 0 (0.60).
  EXPECT_EQ(s.points[0].parameters[0].second, "0.25");
  EXPECT_EQ(s.points[0].foldsDone, 2);
  EXPECT_EQ(s.points[0].foldsExpected, 3);
  EXPECT_FALSE(s.points[0].complete());
  EXPECT_NEAR(s.points[0].objectiveMean, 0.525, 1e-12);
  EXPECT_EQ(s.bestItems.size(), 2u);
  EXPECT_EQ(s.roc.size(), 3u);  // two folds + ensemble
}

// Catches two run directories being merged wrongly: the same parameters in two directories are
// one point (its folds pooled), and the same (point, fold) twice is an error naming both files.
TEST(Aggregate, SeveralRunDirectories) {
  TempDir tmp;
  FakeCampaign a;
  a.dropouts = {"0.0"};
  a.valLoss = {{0.60, 0.62, 0.64}};
  a.write(tmp.path() / "a");
  FakeCampaign b;
  b.dropouts = {"0.25"};
  b.valLoss = {{0.50, 0.55, 0.57}};
  b.write(tmp.path() / "b");
  const Summary s = collect({(tmp.path() / "a").string(), (tmp.path() / "b").string()});
  ASSERT_EQ(s.points.size(), 2u);
  EXPECT_EQ(s.points[0].parameters[0].second, "0.25");
  EXPECT_EQ(s.items[3].runDir, (tmp.path() / "b").string());

  FakeCampaign dup;  // dropout 0.0 and 0.25 again
  dup.write(tmp.path() / "dup");
  const auto [cat, msg] = errorOf([&] { collect({(tmp.path() / "a").string(), (tmp.path() / "dup").string()}); });
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find((testing::itemDir(tmp.path() / "a", 0) / "result.h5").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find((testing::itemDir(tmp.path() / "dup", 0) / "result.h5").string()), std::string::npos) << msg;
}

// Catches aggregating run directories of different studies (here train.epochs differs): the
// error names the key.
TEST(Aggregate, DifferentCampaignsAreRefused) {
  TempDir tmp;
  FakeCampaign a;
  a.write(tmp.path() / "a");
  FakeCampaign b;
  b.dropouts = {"0.5"};
  b.valLoss = {{0.1, 0.1, 0.1}};
  b.write(tmp.path() / "b");
  testing::writeText(tmp.path() / "b" / "campaign.toml", testing::campaignToml(3, "val_loss", "[0.5]", 9));
  const auto [cat, msg] = errorOf([&] { collect({(tmp.path() / "a").string(), (tmp.path() / "b").string()}); });
  EXPECT_EQ(cat, ErrorCategory::Config);
  EXPECT_NE(msg.find("train.epochs"), std::string::npos) << msg;
}

// Catches a directory that is not a run directory being accepted, or an error that does not say
// which directory and what is missing.
TEST(Aggregate, NotARunDirectory) {
  TempDir tmp;
  const auto [cat, msg] = errorOf([&] { collect({tmp.path().string()}); });
  EXPECT_EQ(cat, ErrorCategory::Input);
  EXPECT_NE(msg.find("campaign.toml"), std::string::npos) << msg;
  const auto [cat2, msg2] = errorOf([&] { collect({(tmp.path() / "nope").string()}); });
  EXPECT_EQ(cat2, ErrorCategory::Io);
  EXPECT_NE(msg2.find("nope"), std::string::npos) << msg2;
}

// Catches summary.h5 columns that do not line up with the Summary (wrong order, missing metric
// or parameter columns, ranks not in rank order) and a non-atomic write leaving a temporary file.
TEST(Aggregate, SummaryFileRoundTrip) {
  TempDir tmp;
  FakeCampaign c;
  c.write(tmp.path() / "run");
  const Summary s = collect({(tmp.path() / "run").string()});
  const std::string path = (tmp.path() / "summary.h5").string();
  writeSummaryFile(path, s, "hepsweep aggregate run");
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  const auto f = io::h5::File::open(path);
  EXPECT_EQ(f.attrString("format"), "hepsweep-summary");
  EXPECT_EQ(f.attrString("objective"), "val_loss");
  EXPECT_EQ(f.attrString("command_line"), "hepsweep aggregate run");
  const auto loss = f.read<double>("items/val_loss");
  const auto obj = f.read<double>("items/objective");
  const auto folds = f.read<std::int64_t>("items/fold");
  const auto dropout = f.readStrings("items/model.dropout");
  ASSERT_EQ(loss.size(), 6u);
  EXPECT_EQ(loss[4], 0.55);
  EXPECT_EQ(obj[4], 0.55);
  EXPECT_EQ(folds[5], 2);
  EXPECT_EQ(dropout[4], "0.25");
  EXPECT_EQ(f.read<std::int64_t>("items/epochs_run")[0], 5);
  EXPECT_FALSE(f.exists("items/signal_efficiency"));
  const auto rank = f.read<std::int64_t>("points/rank");
  EXPECT_EQ(rank, (std::vector<std::int64_t>{1, 2}));
  EXPECT_NEAR(f.read<double>("points/objective_mean")[0], 0.54, 1e-12);
  EXPECT_NEAR(f.read<double>("points/test_auc_std")[0], 0.01, 1e-12);
  EXPECT_EQ(f.readStrings("points/model.dropout")[0], "0.25");
  EXPECT_EQ(f.attrString("model.dropout", "best"), "0.25");
  EXPECT_NEAR(f.attrDouble("ensemble_test_auc", "best"), s.ensembleTestAuc, 0);
  const auto ens = f.read<float>("best/test/ensemble_score");
  EXPECT_EQ(ens, s.ensembleTestScores);
  std::size_t rows = 0, cols = 0;
  f.read2d<float>("best/test/fold_scores", rows, cols);
  EXPECT_EQ(rows, 3u);
  EXPECT_EQ(cols, 40u);
  EXPECT_EQ(f.read<double>("best/working_points/signal_efficiency"), (std::vector<double>{0.5, 0.8, 0.9}));
  EXPECT_TRUE(f.exists("best/roc/ensemble/background_efficiency"));
  EXPECT_TRUE(f.exists("best/roc/fold_2/signal_efficiency"));
  EXPECT_EQ(f.read<double>("overtraining/ks_p_value").size(), 6u);
  EXPECT_TRUE(f.exists("overtraining/fold_0_signal/train_scores"));
  EXPECT_EQ(f.read<double>("history/4/train_loss").size(), 5u);
}

}  // namespace
}  // namespace hepsweep::aggregate
