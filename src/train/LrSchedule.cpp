#include "hepsweep/train/LrSchedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace hepsweep::train {

const char* toString(LrScheduleKind k) {
  switch (k) {
    case LrScheduleKind::Constant: return "constant";
    case LrScheduleKind::Step: return "step";
    case LrScheduleKind::Exponential: return "exponential";
    case LrScheduleKind::Cosine: return "cosine";
    case LrScheduleKind::Plateau: return "plateau";
  }
  return "constant";
}

const char* toString(Monitor m) { return m == Monitor::ValAuc ? "val_auc" : "val_loss"; }

namespace {
bool maximises(const LrScheduleConfig& c) { return train::maximises(c.monitor); }
}  // namespace

LrSchedule::LrSchedule(const LrScheduleConfig& cfg, float baseRate, int epochs)
    : cfg_(cfg), base_(baseRate), epochs_(epochs) {
  state_.rate = baseRate;
  state_.best = maximises(cfg) ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

float LrSchedule::rateFor(int epoch) const {
  const int w = cfg_.warmupEpochs;
  // Computed in double and rounded once, so a rate is the same whichever epoch asks first.
  const double base = static_cast<double>(base_);
  if (epoch <= w) return static_cast<float>(base * epoch / w);
  const int t = epoch - w - 1;  // epochs since the warm-up, from 0
  switch (cfg_.kind) {
    case LrScheduleKind::Constant: return base_;
    case LrScheduleKind::Step: return static_cast<float>(base * std::pow(cfg_.gamma, t / cfg_.stepSize));
    case LrScheduleKind::Exponential: return static_cast<float>(base * std::pow(cfg_.gamma, t));
    case LrScheduleKind::Cosine: {
      const int span = std::max(1, epochs_ - w);
      return static_cast<float>(cfg_.minLr +
                                (base - cfg_.minLr) * (1.0 + std::cos(std::numbers::pi * t / span)) / 2.0);
    }
    case LrScheduleKind::Plateau: return state_.rate;
  }
  return base_;
}

bool LrSchedule::improves(double value) const {
  return maximises(cfg_) ? value > state_.best + cfg_.minDelta : value < state_.best - cfg_.minDelta;
}

bool LrSchedule::onEpochEnd(int epoch, double valLoss, double valAuc) {
  // The warm-up epochs are not judged: their rate is still rising.
  if (cfg_.kind != LrScheduleKind::Plateau || epoch <= cfg_.warmupEpochs) return false;
  const double value = maximises(cfg_) ? valAuc : valLoss;
  // Keras' ReduceLROnPlateau.on_epoch_end, step for step.
  if (state_.cooldown > 0) {
    --state_.cooldown;
    state_.wait = 0;
  }
  if (improves(value)) {
    state_.best = value;
    state_.wait = 0;
    return false;
  }
  // As in Keras, the epoch that ends the cooldown already counts.
  if (state_.cooldown > 0) return false;
  if (++state_.wait < cfg_.patience) return false;
  const double old = static_cast<double>(state_.rate);
  if (!(state_.rate > static_cast<float>(cfg_.minLr))) return false;
  state_.rate = static_cast<float>(std::max(old * cfg_.factor, cfg_.minLr));
  state_.cooldown = cfg_.cooldown;
  state_.wait = 0;
  return true;
}

}  // namespace hepsweep::train
