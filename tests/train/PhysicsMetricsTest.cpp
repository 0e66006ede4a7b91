// The physics metrics a result file stores (metrics/ams*, expected yields, /ams_curve, val_ams
// and the "ams" objective), on hand-built splits whose expected values were worked out by hand
// from the HiggsML formula AMS = sqrt(2((s + b + b_r) ln(1 + s/(b + b_r)) - s)), b_r = 10.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

using namespace hepsweep;
namespace fs = std::filesystem;

namespace {

struct Event {
  float score, label, weight;
};

// A split of the given events, with two dummy inputs per event (the network is not evaluated:
// the scores are given).
void fill(train::SplitData& s, const std::vector<Event>& events, Eigen::VectorXf& scores) {
  const auto n = static_cast<Eigen::Index>(events.size());
  s.x = data::FeatureMatrix::Zero(n, 2);
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

// luminosity 2, background_scale 1.5; the data file holds 8 signal and 8 background events.
// Test split: 4 of each class, so each signal event stands for 2 x 8/4 = 4 expected events and
// each background event for 2 x 1.5 x 8/4 = 6.
io::h5::File writeConstructed(const std::string& name) {
  train::RunConfig cfg;
  cfg.model.widths = {4};
  cfg.metrics.luminosity = 2.0;
  cfg.metrics.signalScale = 1.0;
  cfg.metrics.backgroundScale = 1.5;
  cfg.metrics.amsRegularisation = 10.0;
  cfg.metrics.objective = "ams";
  train::PreparedData p;
  p.hasWeights = true;
  p.nSignalInput = 8;
  p.nBackgroundInput = 8;
  p.featureNames = {"a", "b"};
  train::TrainResult r;
  // Yields (weight x factor): signal 4, 8, 2, -2 at scores 0.9, 0.7, 0.5, 0.3; background 3, 6,
  // -6, 12 at 0.8, 0.6, 0.4, 0.2. The cut score >= 0.4 has s = 14, b = 3 only because the
  // negative-weight background event at 0.4 cancels the one at 0.6; dropping or clipping the
  // negative weights would move the best cut.
  fill(p.test,
       {{0.9f, 1, 1.0f}, {0.8f, 0, 0.5f}, {0.7f, 1, 2.0f}, {0.6f, 0, 1.0f}, {0.5f, 1, 0.5f}, {0.4f, 0, -1.0f},
        {0.3f, 1, -0.5f}, {0.2f, 0, 2.0f}},
       r.test.scores);
  // Validation: 2 of each class, unit weights: factors 2 x 8/2 = 8 (signal), 2 x 1.5 x 8/2 = 12.
  fill(p.val, {{0.8f, 1, 1.0f}, {0.6f, 0, 1.0f}, {0.2f, 1, 1.0f}, {0.1f, 0, 1.0f}}, r.val.scores);
  fill(p.train, {{0.7f, 1, 1.0f}, {0.3f, 0, 1.0f}}, r.train.scores);
  train::Trainer trainer(cfg, p);
  const fs::path dir = fs::path(testing::TempDir()) / "hepsweep_physics_metrics";
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  train::writeResultFile(path, cfg, {"", "test", {}, {}}, p, r, trainer.network());
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
