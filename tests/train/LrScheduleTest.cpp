// Learning-rate schedules against rates worked out by hand (PyTorch's StepLR, ExponentialLR and
// CosineAnnealingLR formulas, Keras' ReduceLROnPlateau rules), epoch by epoch.
#include <gtest/gtest.h>

#include <vector>

#include "hepsweep/train/LrSchedule.hpp"

using namespace hepsweep;
using train::LrSchedule, train::LrScheduleConfig, train::LrScheduleKind;

namespace {
// The rates of epochs 1..expected.size() of a schedule that never sees validation figures.
void expectRates(const LrScheduleConfig& cfg, float base, int epochs, const std::vector<double>& expected) {
  LrSchedule s(cfg, base, epochs);
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_FLOAT_EQ(s.rateFor(static_cast<int>(i) + 1), static_cast<float>(expected[i])) << "epoch " << i + 1;
}
}  // namespace

TEST(LrSchedule, ConstantKeepsTheRate) {
  expectRates({}, 0.1f, 5, {0.1, 0.1, 0.1, 0.1, 0.1});
}

// Catches an off-by-one in the step boundary (StepLR: lr x gamma^floor(t / step_size), t from 0).
TEST(LrSchedule, StepHalvesEveryStepSizeEpochs) {
  LrScheduleConfig c;
  c.kind = LrScheduleKind::Step;
  c.stepSize = 3;
  c.gamma = 0.5;
  expectRates(c, 0.1f, 10, {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025});
}

TEST(LrSchedule, ExponentialMultipliesEveryEpoch) {
  LrScheduleConfig c;
  c.kind = LrScheduleKind::Exponential;
  c.gamma = 0.9;
  expectRates(c, 0.1f, 10, {0.1, 0.09, 0.081, 0.0729, 0.06561});
}

// Over 4 epochs: 0.1 (1 + cos(pi t / 4)) / 2 for t = 0..3.
TEST(LrSchedule, CosineAnnealsOverTheEpochs) {
  LrScheduleConfig c;
  c.kind = LrScheduleKind::Cosine;
  expectRates(c, 0.1f, 4, {0.1, 0.08535533906, 0.05, 0.01464466094});
}

TEST(LrSchedule, WarmupRisesLinearlyThenHandsOver) {
  LrScheduleConfig c;
  c.warmupEpochs = 4;
  expectRates(c, 0.1f, 10, {0.025, 0.05, 0.075, 0.1, 0.1, 0.1});
  // Warm-up then step: the step count starts after the warm-up.
  c.warmupEpochs = 2;
  c.kind = LrScheduleKind::Step;
  c.stepSize = 2;
  c.gamma = 0.1;
  expectRates(c, 0.1f, 10, {0.05, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001});
  // Warm-up then cosine over the 4 remaining epochs, down towards min_lr = 0.01:
  // 0.01 + 0.09 (1 + cos(pi t / 4)) / 2.
  c.kind = LrScheduleKind::Cosine;
  c.minLr = 0.01;
  expectRates(c, 0.1f, 6, {0.05, 0.1, 0.1, 0.08681980515, 0.055, 0.02318019485});
}

// Keras' rules: an improvement is a drop below best - min_delta; `patience` epochs without one
// multiply the rate by `factor` (not below min_lr) and start `cooldown` epochs that do not count;
// the epoch that ends the cooldown already counts; at min_lr nothing happens any more.
TEST(LrSchedule, PlateauFollowsKerasReduceLROnPlateau) {
  LrScheduleConfig c;
  c.kind = LrScheduleKind::Plateau;
  c.patience = 2;
  c.factor = 0.5;
  c.minDelta = 0.01;
  c.cooldown = 1;
  c.minLr = 0.02;
  LrSchedule s(c, 0.1f, 20);
  const std::vector<double> loss{1.0, 0.995, 0.99, 0.999, 0.98, 0.98, 0.98, 0.98, 0.98, 0.98, 0.98, 0.98};
  // The rate each epoch trains with, and whether its end lowers the rate.
  const std::vector<double> rate{0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02};
  const std::vector<bool> lowers{false, false, true, false, false, false, true, false, true, false, false, false};
  for (std::size_t i = 0; i < loss.size(); ++i) {
    const int epoch = static_cast<int>(i) + 1;
    EXPECT_FLOAT_EQ(s.rateFor(epoch), static_cast<float>(rate[i])) << "epoch " << epoch;
    EXPECT_EQ(s.onEpochEnd(epoch, loss[i], 0.5), lowers[i]) << "epoch " << epoch;
  }
  EXPECT_FLOAT_EQ(s.state().best, 0.98);
}

// With the defaults (factor 0.1, patience 10, min_delta 1e-4) the eleventh epoch after the last
// improvement trains at a tenth of the rate; a change smaller than min_delta is no improvement.
TEST(LrSchedule, PlateauDefaultsAreKeras) {
  LrScheduleConfig c;
  c.kind = LrScheduleKind::Plateau;
  LrSchedule s(c, 1e-3f, 100);
  EXPECT_FALSE(s.onEpochEnd(1, 0.5, 0.5));
  for (int e = 2; e <= 10; ++e) EXPECT_FALSE(s.onEpochEnd(e, 0.5 - 0.5e-4 * (e - 1) / 9, 0.5)) << e;
  EXPECT_TRUE(s.onEpochEnd(11, 0.5, 0.5));
  EXPECT_FLOAT_EQ(s.rateFor(12), 1e-4f);
}

// Monitoring val_auc, higher is better: a rising AUC never lowers the rate, a flat one does.
TEST(LrSchedule, PlateauOnAucMaximises) {
  LrScheduleConfig c;
  c.kind = LrScheduleKind::Plateau;
  c.monitor = train::Monitor::ValAuc;
  c.patience = 1;
  c.minDelta = 0;
  LrSchedule s(c, 0.1f, 20);
  for (int e = 1; e <= 5; ++e) EXPECT_FALSE(s.onEpochEnd(e, 1.0, 0.5 + 0.01 * e)) << e;
  EXPECT_TRUE(s.onEpochEnd(6, 1.0, 0.55));
  EXPECT_FLOAT_EQ(s.rateFor(7), 0.01f);
}

// The warm-up epochs are not judged: a plateau during the rise does not lower the rate.
TEST(LrSchedule, PlateauIgnoresTheWarmup) {
  LrScheduleConfig c;
  c.kind = LrScheduleKind::Plateau;
  c.patience = 1;
  c.warmupEpochs = 3;
  LrSchedule s(c, 0.1f, 20);
  for (int e = 1; e <= 3; ++e) EXPECT_FALSE(s.onEpochEnd(e, 1.0, 0.5)) << e;
  EXPECT_FLOAT_EQ(s.rateFor(3), 0.1f);
  EXPECT_FLOAT_EQ(s.rateFor(4), 0.1f);
  EXPECT_FALSE(s.onEpochEnd(4, 1.0, 0.5));  // the first judged epoch sets the best
  EXPECT_TRUE(s.onEpochEnd(5, 1.0, 0.5));
  EXPECT_FLOAT_EQ(s.rateFor(6), 0.01f);
}
