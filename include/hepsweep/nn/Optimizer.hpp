#pragma once
// Update rules plugged into one training loop. Each keeps its state in flat vectors of the
// parameter buffer's layout, so checkpoints store and restore it as a few arrays.
#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hepsweep/nn/Config.hpp"

namespace hepsweep::nn {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update of `params` from `grads` with the current learning rate.
  void step(Eigen::Ref<Eigen::VectorXf> params, const Eigen::Ref<const Eigen::VectorXf>& grads) {
    step(params, grads, 0, static_cast<std::size_t>(params.size()));
  }
  // The same step for the elements [first, first + count) alone: params, grads and the per-parameter
  // state elsewhere are neither read nor written (the step counter advances as for a whole step).
  // Every rule is element-wise, so the ranks of a group that step one range each get the bits of
  // a whole step (dist::GradientExchange::reduceOwnRange).
  virtual void step(Eigen::Ref<Eigen::VectorXf> params, const Eigen::Ref<const Eigen::VectorXf>& grads,
                    std::size_t first, std::size_t count) = 0;
  // The per-parameter state vectors (numParams() floats each, e.g. Adam's moments): after steps of
  // ranges, current only in the range each rank stepped; the caller gathers them.
  virtual std::vector<Eigen::VectorXf*> parameterState() = 0;
  void setLearningRate(float lr) { lr_ = lr; }
  float learningRate() const { return lr_; }
  std::int64_t steps() const { return t_; }

  // State for checkpoints: named flat vectors plus the step counter.
  struct State {
    std::int64_t steps = 0;
    std::vector<std::string> names;
    std::vector<Eigen::VectorXf> vectors;
  };
  virtual State saveState() const = 0;
  virtual void loadState(const State& s) = 0;

 protected:
  float lr_ = 1e-3f;
  std::int64_t t_ = 0;
};

// Adam and NAdam follow PyTorch's torch.optim formulas exactly (bias-corrected moments;
// NAdam with momentum decay), SGD supports momentum and Nesterov as torch.optim.SGD.
std::unique_ptr<Optimizer> makeOptimizer(const OptimizerConfig& cfg, std::size_t numParams);

}  // namespace hepsweep::nn
