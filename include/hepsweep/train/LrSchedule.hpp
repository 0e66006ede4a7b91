#pragma once
// The learning rate of each epoch: a linear warm-up, then constant, step, exponential, cosine
// (PyTorch's StepLR, ExponentialLR, CosineAnnealingLR in closed form) or reduce-on-plateau
// (Keras' ReduceLROnPlateau). All but plateau are functions of the epoch number alone; plateau
// depends on the validation history, and its state is part of a checkpoint so that a resumed
// training continues with the same rates as an uninterrupted one.
#include "hepsweep/train/Config.hpp"

namespace hepsweep::train {

// What reduce-on-plateau carries from epoch to epoch.
struct LrScheduleState {
  float rate = 0;      // the rate of the epochs after the warm-up, until the next reduction
  double best = 0;     // best monitored value seen after the warm-up (+-inf before the first)
  int wait = 0;        // epochs since the last improvement (reset by a reduction and in cooldown)
  int cooldown = 0;    // epochs left without counting after a reduction
};

class LrSchedule {
 public:
  // `baseRate`: train.learning_rate; `epochs`: train.epochs (the length cosine anneals over).
  LrSchedule(const LrScheduleConfig& cfg, float baseRate, int epochs);

  // The rate (1-based) epoch `epoch` trains with.
  float rateFor(int epoch) const;

  // After epoch `epoch` ended with these validation figures: plateau counts and may lower the
  // rate of the epochs that follow. Returns true when it did (the other kinds never do).
  bool onEpochEnd(int epoch, double valLoss, double valAuc);

  const LrScheduleState& state() const { return state_; }
  void restore(const LrScheduleState& s) { state_ = s; }

 private:
  bool improves(double value) const;

  LrScheduleConfig cfg_;
  float base_;
  int epochs_;
  LrScheduleState state_;
};

}  // namespace hepsweep::train
