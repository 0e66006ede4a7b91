// The physics metrics a result file stores (metrics/ams*, expected yields, /ams_curve, val_ams
// and the "ams" objective), on hand-built splits whose expected values were worked out by hand
// from the HiggsML formula AMS = sqrt(2((s + b + b_r) ln(1 + s/(b + b_r)) - s)), b_r = 10.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "TrainTestUtil.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

using namespace hepsweep;
namespace fs = std::filesystem;

namespace {

struct Event {
  float score, label, weight;
};

std::span<const float> span(const Eigen::VectorXf& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }

// A split of the given events, rows 0, 1, ... of a table of two inputs (the network is not
// evaluated: the scores are given).
void fill(train::SplitData& s, const std::vector<Event>& events, Eigen::VectorXf& scores) {
  const auto n = static_cast<Eigen::Index>(events.size());
  s.labels.resize(n);
  s.weights.resize(n);
  scores.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Event& e = events[static_cast<std::size_t>(i)];
    s.rows.push_back(i);
    s.labels[i] = e.label;
    s.weights[i] = e.weight;
    scores[i] = e.score;
  }
}

// What a test changes in the constructed case below.
struct Variant {
  std::string objective = "ams";
  data::ClassFactors balance{};              // the training's balance factors (reweight)
  std::vector<Event> test, val;              // replace the default splits when not empty
};

const std::vector<Event> kTest{{0.9f, 1, 1.0f}, {0.8f, 0, 0.5f}, {0.7f, 1, 2.0f}, {0.6f, 0, 1.0f},
                               {0.5f, 1, 0.5f}, {0.4f, 0, -1.0f}, {0.3f, 1, -0.5f}, {0.2f, 0, 2.0f}};
const std::vector<Event> kVal{{0.8f, 1, 1.0f}, {0.6f, 0, 1.0f}, {0.2f, 1, 1.0f}, {0.1f, 0, 1.0f}};

// luminosity 2, background_scale 1.5; the data file holds 8 signal and 8 background events.
// Test split: 4 of each class, so each signal event stands for 2 x 8/4 = 4 expected events and
// each background event for 2 x 1.5 x 8/4 = 6.
io::h5::File writeConstructed(const std::string& name, const Variant& v = {}) {
  train::RunConfig cfg;
  cfg.model.widths = {4};
  cfg.metrics.luminosity = 2.0;
  cfg.metrics.signalScale = 1.0;
  cfg.metrics.backgroundScale = 1.5;
  cfg.metrics.amsRegularisation = 10.0;
  cfg.metrics.objective = *metrics::Objective::parse(v.objective);
  train::PreparedData p;
  p.hasWeights = true;
  p.nSignalInput = 8;
  p.nBackgroundInput = 8;
  p.featureNames = {"a", "b"};
  p.preprocess = train::testing::identityPreprocess(p.featureNames);
  p.balanceFactors = v.balance;
  train::TrainResult r;
  // Yields (weight x factor): signal 4, 8, 2, -2 at scores 0.9, 0.7, 0.5, 0.3; background 3, 6,
  // -6, 12 at 0.8, 0.6, 0.4, 0.2. The cut score >= 0.4 has s = 14, b = 3 only because the
  // negative-weight background event at 0.4 cancels the one at 0.6; dropping or clipping the
  // negative weights would move the best cut.
  fill(p.test, v.test.empty() ? kTest : v.test, r.test.scores);
  // Validation: 2 of each class, unit weights: factors 2 x 8/2 = 8 (signal), 2 x 1.5 x 8/2 = 12.
  // The trainer multiplies validation weights by the balance factors; so does this.
  std::vector<Event> val = v.val.empty() ? kVal : v.val;
  for (Event& e : val) e.weight *= static_cast<float>(e.label == 1 ? v.balance.signal : v.balance.background);
  fill(p.val, val, r.val.scores);
  // As Trainer::evaluate: the weighted ROC only when both classes have positive summed weight.
  double sumS = 0, sumB = 0;
  for (const Event& e : val) (e.label == 1 ? sumS : sumB) += e.weight;
  if (sumS > 0 && sumB > 0)
    r.val.rocWeighted = metrics::rocCurve(span(r.val.scores), span(p.val.labels), span(p.val.weights));
  fill(p.train, {{0.7f, 1, 1.0f}, {0.3f, 0, 1.0f}}, r.train.scores);
  train::Trainer trainer(cfg, p);
  const fs::path dir = fs::path(testing::TempDir()) / "hepsweep_physics_metrics";
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  train::RunRecord record;
  record.commandLine = "test";
  train::writeResultFile(path, cfg, record, p, r, trainer.network());
  return io::h5::File::open(path);
}

double metric(const io::h5::File& f, const std::string& name) { return f.readScalarDouble("metrics/" + name); }

}  // namespace

// The AMS-maximising cut, its yields and the derived numbers against hand-computed values; a
// wrong yield factor (N/n, luminosity, class scale), clipped negative weights, a "score > t"
// instead of ">=" cut or a mis-transcribed formula each change at least one of them.
TEST(PhysicsMetrics, TestSetAmsMatchesHandComputedHiggsMlValues) {
  const io::h5::File f = writeConstructed("result.h5");
  // Cut ladder (s, b): 0.9 (4, 0), 0.8 (4, 3), 0.7 (12, 3), 0.6 (12, 9), 0.5 (14, 9), 0.4 (14, 3),
  // 0.3 (12, 3), 0.2 (12, 15). AMS(14, 3) = sqrt(2(27 ln(1 + 14/13) - 14)) = 3.386432556734414.
  EXPECT_NEAR(metric(f, "ams"), 3.386432556734414, 1e-9);
  EXPECT_EQ(metric(f, "ams_threshold"), static_cast<double>(0.4f));
  EXPECT_NEAR(metric(f, "ams_signal"), 14.0, 1e-9);
  EXPECT_NEAR(metric(f, "ams_background"), 3.0, 1e-9);
  EXPECT_NEAR(metric(f, "ams_s_over_sqrt_b"), 14.0 / std::sqrt(3.0), 1e-9);
  // Negative weights let the passing yield exceed the total (documented, not clipped).
  EXPECT_NEAR(metric(f, "ams_signal_efficiency"), 14.0 / 12.0, 1e-9);
  EXPECT_NEAR(metric(f, "ams_background_efficiency"), 3.0 / 15.0, 1e-9);
  EXPECT_NEAR(metric(f, "expected_signal"), 12.0, 1e-9);
  EXPECT_NEAR(metric(f, "expected_background"), 15.0, 1e-9);
  EXPECT_EQ(metric(f, "ams_regularisation"), 10.0);
}

// The stored curve has one point per distinct score, tightest cut first, with the hand-computed
// cumulative yields (the negative weights make b go down from 9 to 3 at 0.4) and AMS values.
TEST(PhysicsMetrics, AmsCurveHoldsEveryCutWithSignedYields) {
  const io::h5::File f = writeConstructed("curve.h5");
  const auto t = f.read<double>("ams_curve/threshold");
  const auto s = f.read<double>("ams_curve/signal");
  const auto b = f.read<double>("ams_curve/background");
  const auto a = f.read<double>("ams_curve/ams");
  const std::vector<float> wantT{0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f, 0.3f, 0.2f};
  const std::vector<double> wantS{4, 4, 12, 12, 14, 14, 12, 12}, wantB{0, 3, 3, 9, 9, 3, 3, 15};
  const std::vector<double> wantA{1.192150420623992,  1.0587613254266033, 2.948952927792033, 2.5203154504465823,
                                  2.9045699220026764, 3.386432556734414,  2.948952927792033, 2.238551874633633};
  ASSERT_EQ(t.size(), wantT.size());
  ASSERT_EQ(s.size(), wantT.size());
  ASSERT_EQ(b.size(), wantT.size());
  ASSERT_EQ(a.size(), wantT.size());
  for (std::size_t i = 0; i < wantT.size(); ++i) {
    EXPECT_EQ(t[i], static_cast<double>(wantT[i])) << i;
    EXPECT_NEAR(s[i], wantS[i], 1e-9) << i;
    EXPECT_NEAR(b[i], wantB[i], 1e-9) << i;
    EXPECT_NEAR(a[i], wantA[i], 1e-9) << i;
  }
}

// Validation AMS with its own yield factors (8 and 12): cuts (8, 0), (8, 12), (16, 12), (16, 24);
// the best is AMS(16, 12) = 3.088255443445914, and the "ams" objective stores its negative so that
// smaller is better. Using the test split's factors, or the test scores, would give another value.
TEST(PhysicsMetrics, ValidationAmsIsTheAmsObjective) {
  const io::h5::File f = writeConstructed("val.h5");
  EXPECT_NEAR(metric(f, "val_ams"), 3.088255443445914, 1e-9);
  EXPECT_NEAR(metric(f, "objective"), -3.088255443445914, 1e-9);
  EXPECT_EQ(f.attrString("name", "metrics/objective"), "ams");
}

// Under balance = "reweight" the validation weights carry the balance factors (signal x 2,
// background x 0.5 here); the yields divide them out again, so the validation AMS is the same
// 3.088255443445914 as without balancing. Keeping the factors would give yields 16 and 6 per
// event and another AMS.
TEST(PhysicsMetrics, ValidationYieldsDivideOutTheBalanceFactors) {
  Variant v;
  v.balance = {2.0, 0.5};
  const io::h5::File f = writeConstructed("val_reweight.h5", v);
  EXPECT_NEAR(metric(f, "val_ams"), 3.088255443445914, 1e-9);
  EXPECT_NEAR(metric(f, "objective"), -3.088255443445914, 1e-9);
  // The test split is never balanced: its numbers do not move.
  EXPECT_NEAR(metric(f, "ams"), 3.386432556734414, 1e-9);
}

// The objective bkg_eff@sig_eff=X is the weighted background efficiency at signal efficiency X on
// the validation ROC. Validation (unit weights): signal 0.8, 0.2; background 0.6, 0.1. The ROC
// passes (tpr, fpr) = (.5, 0) at 0.8, (.5, .5) at 0.6, (1, .5) at 0.2: at X = 0.75, halfway from
// (.5, .5) to (1, .5), eff_B = 0.5. At X = 0.5 it is 0 (the cut at 0.8). The test split would give
// other values (signal 0.9, 0.7, 0.5 pass before 0.4).
TEST(PhysicsMetrics, BkgEffObjectiveIsTheValidationBackgroundEfficiency) {
  Variant v;
  v.objective = "bkg_eff@sig_eff=0.75";
  const io::h5::File f = writeConstructed("bkgeff75.h5", v);
  EXPECT_DOUBLE_EQ(metric(f, "objective"), 0.5);
  EXPECT_EQ(f.attrString("name", "metrics/objective"), "bkg_eff@sig_eff=0.75");
  v.objective = "bkg_eff@sig_eff=0.5";
  EXPECT_DOUBLE_EQ(metric(writeConstructed("bkgeff50.h5", v), "objective"), 0.0);
}

// A split whose signal sums to a non-positive weight (1 - 2 < 0 here) leaves the AMS undefined:
// the result file is still written, with NaN physics metrics and a note saying why, and an
// objective that does not need the AMS (val_loss) is unaffected. Before, amsScan threw and the
// whole training item failed.
TEST(PhysicsMetrics, NonPositiveClassWeightGivesNanAndANoteNotAFailure) {
  Variant v;
  v.objective = "val_loss";
  v.test = {{0.9f, 1, 1.0f}, {0.8f, 0, 1.0f}, {0.5f, 1, -2.0f}, {0.2f, 0, 1.0f}};
  const io::h5::File f = writeConstructed("negative_test.h5", v);
  for (const char* name : {"ams", "ams_threshold", "ams_signal", "ams_background", "ams_s_over_sqrt_b",
                           "ams_signal_efficiency", "ams_background_efficiency"})
    EXPECT_TRUE(std::isnan(metric(f, name))) << name;
  // The totals are still reported: signal (1 - 2) x 2 x 8/2 = -8, background 2 x 2 x 1.5 x 8/2 = 24.
  EXPECT_NEAR(metric(f, "expected_signal"), -8.0, 1e-9);
  EXPECT_NEAR(metric(f, "expected_background"), 24.0, 1e-9);
  EXPECT_FALSE(f.exists("ams_curve"));
  const std::string note = f.attrString("note", "metrics");
  EXPECT_NE(note.find("test split"), std::string::npos) << note;
  EXPECT_FALSE(std::isnan(metric(f, "val_ams")));
  EXPECT_FALSE(std::isnan(metric(f, "objective")));
}

// With objective = "ams" and an undefined validation AMS the objective itself is NaN, which the
// search counts as a failed point, and the note says so.
TEST(PhysicsMetrics, UndefinedAmsObjectiveIsNan) {
  Variant v;
  v.val = {{0.8f, 1, 1.0f}, {0.6f, 0, 1.0f}, {0.2f, 1, -3.0f}, {0.1f, 0, 1.0f}};
  const io::h5::File f = writeConstructed("negative_val.h5", v);
  EXPECT_TRUE(std::isnan(metric(f, "val_ams")));
  EXPECT_TRUE(std::isnan(metric(f, "objective")));
  EXPECT_FALSE(std::isnan(metric(f, "ams")));  // the test split is fine
  const std::string note = f.attrString("note", "metrics");
  EXPECT_NE(note.find("validation split"), std::string::npos) << note;
  EXPECT_NE(note.find("counts this item as failed"), std::string::npos) << note;
}

// Trainer::evaluate on a split whose signal weights sum to <= 0: the weighted ROC is undefined
// (NaN AUC, empty curve, NaN efficiencies) instead of an exception that fails the training.
TEST(PhysicsMetrics, EvaluateToleratesANonPositiveClassWeight) {
  train::RunConfig cfg;
  cfg.model.widths = {4};
  cfg.metrics.signalEfficiencies = {0.5};
  train::PreparedData p;
  p.featureNames = {"a", "b"};
  p.preprocess = train::testing::identityPreprocess(p.featureNames);
  Eigen::VectorXf unused;
  fill(p.train, {{0.7f, 1, 1.0f}, {0.3f, 0, 1.0f}}, unused);
  fill(p.val, {{0.7f, 1, 1.0f}, {0.3f, 0, 1.0f}}, unused);
  fill(p.test, {{0.9f, 1, 1.0f}, {0.5f, 1, -2.0f}, {0.2f, 0, 1.0f}}, unused);
  train::testing::useTable(p, data::FeatureMatrix::Zero(3, 2));  // every split's rows are 0, 1, ...
  train::Trainer trainer(cfg, p);
  train::EvalResult e;
  ASSERT_NO_THROW(e = trainer.evaluate(p.test));
  EXPECT_TRUE(std::isnan(e.aucWeighted));
  EXPECT_TRUE(e.rocWeighted.fpr.empty());
  ASSERT_EQ(e.bkgEffWeighted.size(), 1u);
  EXPECT_TRUE(std::isnan(e.bkgEffWeighted[0]));
  EXPECT_FALSE(std::isnan(e.auc));  // the unweighted numbers are defined
}
