#include "hepsweep/nn/Optimizer.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "kernels/KernelTable.hpp"

namespace hepsweep::nn {
namespace {

// Hyper-parameters arrive as float, but PyTorch computes its per-step scalars from Python doubles
// (0.9, not 0.899999976). Reading the float's shortest decimal form back as a double recovers the
// value the user wrote, so our scalars and PyTorch's agree to the last bit.
double decimalDouble(float f) {
  char buf[64];
  const auto printed = std::to_chars(buf, buf + sizeof buf, f);
  double d = static_cast<double>(f);
  if (printed.ec == std::errc()) std::from_chars(buf, printed.ptr, d);
  return d;
}

// Caches decimalDouble of the current learning rate (the training loop may change it per epoch).
class LrCache {
 public:
  double get(float lr) {
    if (lr != lastFloat_ || !valid_) {
      lastFloat_ = lr;
      lastDouble_ = decimalDouble(lr);
      valid_ = true;
    }
    return lastDouble_;
  }

 private:
  float lastFloat_ = 0.0f;
  double lastDouble_ = 0.0;
  bool valid_ = false;
};

void checkSize(Eigen::Index params, Eigen::Index grads, std::size_t expected, std::size_t first, std::size_t count,
               const char* who) {
  if (params != grads || static_cast<std::size_t>(params) != expected)
    throw Error(ErrorCategory::Internal, std::string(who) + ": optimizer built for " + std::to_string(expected) +
                                             " parameters, step called with " + std::to_string(params) +
                                             " parameters and " + std::to_string(grads) + " gradients");
  if (first > expected || count > expected - first)
    throw Error(ErrorCategory::Internal, std::string(who) + ": step of elements " + std::to_string(first) + " to " +
                                             std::to_string(first + count) + " of " + std::to_string(expected));
}

void checkState(const Optimizer::State& s, const std::vector<std::string>& names,
                const std::vector<Eigen::Index>& sizes, const char* who) {
  if (s.steps < 0)
    throwInput(std::string(who) + " checkpoint: negative step count " + std::to_string(s.steps));
  if (s.names != names || s.vectors.size() != names.size())
    throwInput(std::string(who) + " checkpoint: expected state vectors " + str::join(names, ", ") +
               ", got " + (s.names.empty() ? std::string("none") : str::join(s.names, ", ")) +
               " (was the checkpoint written with another optimizer?)");
  for (std::size_t i = 0; i < names.size(); ++i)
    if (s.vectors[i].size() != sizes[i])
      throwInput(std::string(who) + " checkpoint: state vector '" + names[i] + "' has " +
                 std::to_string(s.vectors[i].size()) + " entries, expected " + std::to_string(sizes[i]) +
                 " (was the checkpoint written for another network?)");
}

class Adam final : public Optimizer {
 public:
  using Optimizer::step;
  Adam(const OptimizerConfig& cfg, std::size_t n)
      : beta1_(decimalDouble(cfg.beta1)), beta2_(decimalDouble(cfg.beta2)), eps_(decimalDouble(cfg.epsilon)),
        m_(Eigen::VectorXf::Zero(static_cast<Eigen::Index>(n))),
        v_(Eigen::VectorXf::Zero(static_cast<Eigen::Index>(n))) {
    lr_ = cfg.learningRate;
  }

  void step(Eigen::Ref<Eigen::VectorXf> params, const Eigen::Ref<const Eigen::VectorXf>& grads, std::size_t first,
            std::size_t count) override {
    checkSize(params.size(), grads.size(), static_cast<std::size_t>(m_.size()), first, count, "Adam");
    ++t_;
    const double t = static_cast<double>(t_);
    const double bias1 = 1.0 - std::pow(beta1_, t);
    const double bias2 = 1.0 - std::pow(beta2_, t);
    // torch.optim.Adam (single-tensor path), each scalar rounded to float where PyTorch does.
    const float b1 = static_cast<float>(beta1_), oneMinusB1 = static_cast<float>(1.0 - beta1_);
    const float b2 = static_cast<float>(beta2_), oneMinusB2 = static_cast<float>(1.0 - beta2_);
    const float bias2Sqrt = static_cast<float>(std::sqrt(bias2));
    const float eps = static_cast<float>(eps_);
    const float negStep = static_cast<float>(-(lr_cache_.get(lr_) / bias1));
    const auto f = static_cast<Eigen::Index>(first);
    kern::AdamArgs a{params.data() + f, m_.data() + f, v_.data() + f, grads.data() + f, static_cast<Eigen::Index>(count),
                     b1, oneMinusB1, b2, oneMinusB2, bias2Sqrt, eps, negStep, 0.0f, 0.0f};
    kern::active().adam(a);
  }

  State saveState() const override { return State{t_, {"exp_avg", "exp_avg_sq"}, {m_, v_}}; }
  std::vector<Eigen::VectorXf*> parameterState() override { return {&m_, &v_}; }

  void loadState(const State& s) override {
    checkState(s, {"exp_avg", "exp_avg_sq"}, {m_.size(), v_.size()}, "Adam");
    t_ = s.steps;
    m_ = s.vectors[0];
    v_ = s.vectors[1];
  }

 private:
  double beta1_, beta2_, eps_;
  Eigen::VectorXf m_, v_;
  LrCache lr_cache_;
};

// torch.optim.NAdam as documented (and as its foreach path and PyTorch >= 2.0 compute it): the
// second term uses prod_{i<=t+1} mu_i. PyTorch 1.13's single-tensor path multiplied one extra mu_t
// there (fixed upstream in pytorch/pytorch#92699); we do not copy that bug.
class NAdam final : public Optimizer {
 public:
  using Optimizer::step;
  NAdam(const OptimizerConfig& cfg, std::size_t n)
      : beta1_(decimalDouble(cfg.beta1)), beta2_(decimalDouble(cfg.beta2)), eps_(decimalDouble(cfg.epsilon)),
        psi_(decimalDouble(cfg.momentumDecay)),
        m_(Eigen::VectorXf::Zero(static_cast<Eigen::Index>(n))),
        v_(Eigen::VectorXf::Zero(static_cast<Eigen::Index>(n))) {
    lr_ = cfg.learningRate;
  }

  void step(Eigen::Ref<Eigen::VectorXf> params, const Eigen::Ref<const Eigen::VectorXf>& grads, std::size_t first,
            std::size_t count) override {
    checkSize(params.size(), grads.size(), static_cast<std::size_t>(m_.size()), first, count, "NAdam");
    ++t_;
    const double t = static_cast<double>(t_);
    const double bias2 = 1.0 - std::pow(beta2_, t);
    const double mu = beta1_ * (1.0 - 0.5 * std::pow(0.96, t * psi_));
    const double muNext = beta1_ * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * psi_));
    // PyTorch keeps the product in a float32 tensor; so do we, so a checkpoint stores it exactly.
    muProduct_ *= static_cast<float>(mu);
    const double lr = lr_cache_.get(lr_);
    const float gradStep = static_cast<float>(-(lr * (1.0 - mu) / (1.0 - static_cast<double>(muProduct_))));
    const float avgStep =
        static_cast<float>(-(lr * muNext / (1.0 - static_cast<double>(muProduct_) * muNext)));
    const float b1 = static_cast<float>(beta1_), oneMinusB1 = static_cast<float>(1.0 - beta1_);
    const float b2 = static_cast<float>(beta2_), oneMinusB2 = static_cast<float>(1.0 - beta2_);
    const float bias2Sqrt = static_cast<float>(std::sqrt(bias2));
    const float eps = static_cast<float>(eps_);
    const auto f = static_cast<Eigen::Index>(first);
    kern::AdamArgs a{params.data() + f, m_.data() + f, v_.data() + f, grads.data() + f, static_cast<Eigen::Index>(count),
                     b1, oneMinusB1, b2, oneMinusB2, bias2Sqrt, eps, 0.0f, gradStep, avgStep};
    kern::active().nadam(a);
  }

  State saveState() const override {
    return State{t_, {"exp_avg", "exp_avg_sq", "mu_product"}, {m_, v_, Eigen::VectorXf::Constant(1, muProduct_)}};
  }
  // mu_product is a scalar every rank computes alike.
  std::vector<Eigen::VectorXf*> parameterState() override { return {&m_, &v_}; }

  void loadState(const State& s) override {
    checkState(s, {"exp_avg", "exp_avg_sq", "mu_product"}, {m_.size(), v_.size(), 1}, "NAdam");
    t_ = s.steps;
    m_ = s.vectors[0];
    v_ = s.vectors[1];
    muProduct_ = s.vectors[2][0];
  }

 private:
  double beta1_, beta2_, eps_, psi_;
  Eigen::VectorXf m_, v_;
  float muProduct_ = 1.0f;
  LrCache lr_cache_;
};

// torch.optim.SGD with dampening 0: the first step seeds the buffer with the gradient itself.
class Sgd final : public Optimizer {
 public:
  using Optimizer::step;
  Sgd(const OptimizerConfig& cfg, std::size_t n)
      : momentum_(decimalDouble(cfg.momentum)), nesterov_(cfg.nesterov),
        buf_(Eigen::VectorXf::Zero(cfg.momentum != 0.0f ? static_cast<Eigen::Index>(n) : 0)), n_(n) {
    lr_ = cfg.learningRate;
  }

  void step(Eigen::Ref<Eigen::VectorXf> params, const Eigen::Ref<const Eigen::VectorXf>& grads, std::size_t first,
            std::size_t count) override {
    checkSize(params.size(), grads.size(), n_, first, count, "SGD");
    kern::SgdArgs a;
    const auto f = static_cast<Eigen::Index>(first);
    a.params = params.data() + f;
    a.buf = momentum_ == 0.0 ? nullptr : buf_.data() + f;
    a.grads = grads.data() + f;
    a.n = static_cast<Eigen::Index>(count);
    a.negLr = static_cast<float>(-lr_cache_.get(lr_));
    a.momentum = static_cast<float>(momentum_);
    a.nesterov = nesterov_;
    a.first = t_ == 0;
    kern::active().sgd(a);
    ++t_;
  }

  std::vector<Eigen::VectorXf*> parameterState() override {
    if (momentum_ == 0.0) return {};
    return {&buf_};
  }

  State saveState() const override {
    if (momentum_ == 0.0) return State{t_, {}, {}};
    return State{t_, {"momentum_buffer"}, {buf_}};
  }

  void loadState(const State& s) override {
    if (momentum_ == 0.0) checkState(s, {}, {}, "SGD");
    else checkState(s, {"momentum_buffer"}, {buf_.size()}, "SGD");
    t_ = s.steps;
    if (momentum_ != 0.0) buf_ = s.vectors[0];
  }

 private:
  double momentum_;
  bool nesterov_;
  Eigen::VectorXf buf_;
  std::size_t n_;
  LrCache lr_cache_;
};

std::string num(float f) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, f);
  return std::string(buf, r.ptr);
}

}  // namespace

std::unique_ptr<Optimizer> makeOptimizer(const OptimizerConfig& cfg, std::size_t numParams) {
  const std::string kind = toString(cfg.kind);
  if (!(cfg.learningRate >= 0.0f) || !std::isfinite(cfg.learningRate))
    throwConfig("optimizer " + kind + ": learning_rate = " + num(cfg.learningRate) + " must be >= 0");
  if (cfg.kind == OptimizerKind::Sgd) {
    if (!(cfg.momentum >= 0.0f) || !std::isfinite(cfg.momentum))
      throwConfig("optimizer sgd: momentum = " + num(cfg.momentum) + " must be >= 0");
    if (cfg.nesterov && cfg.momentum == 0.0f)
      throwConfig("optimizer sgd: nesterov = true needs momentum > 0");
    return std::make_unique<Sgd>(cfg, numParams);
  }
  if (!(cfg.beta1 >= 0.0f && cfg.beta1 < 1.0f))
    throwConfig("optimizer " + kind + ": beta1 = " + num(cfg.beta1) + " must be in [0, 1)");
  if (!(cfg.beta2 >= 0.0f && cfg.beta2 < 1.0f))
    throwConfig("optimizer " + kind + ": beta2 = " + num(cfg.beta2) + " must be in [0, 1)");
  if (!(cfg.epsilon >= 0.0f) || !std::isfinite(cfg.epsilon))
    throwConfig("optimizer " + kind + ": epsilon = " + num(cfg.epsilon) + " must be >= 0");
  if (cfg.kind == OptimizerKind::NAdam) {
    if (!(cfg.momentumDecay >= 0.0f) || !std::isfinite(cfg.momentumDecay))
      throwConfig("optimizer nadam: momentum_decay = " + num(cfg.momentumDecay) + " must be >= 0");
    return std::make_unique<NAdam>(cfg, numParams);
  }
  return std::make_unique<Adam>(cfg, numParams);
}

}  // namespace hepsweep::nn
