#pragma once
// A double-precision re-implementation of the network's forward pass, written from the
// documented semantics (dense -> batch norm (PyTorch) -> activation -> inverted dropout with the
// counter RNG) and not from the library's code, used as ground truth in the nn tests.
#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "hepsweep/core/Random.hpp"
#include "hepsweep/nn/Network.hpp"

namespace reference {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using hepsweep::nn::Activation;

inline double activation(Activation a, double y, const hepsweep::nn::ModelConfig& c) {
  switch (a) {
    case Activation::Relu: return y > 0 ? y : 0.0;
    case Activation::LeakyRelu: return y > 0 ? y : c.leakySlope * y;
    case Activation::Elu: return y > 0 ? y : c.eluAlpha * (std::exp(y) - 1.0);
    case Activation::Tanh: return std::tanh(y);
    case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-y));
    case Activation::Softplus: return std::log(1.0 + std::exp(y));
    case Activation::Linear: return y;
  }
  return 0.0;
}

// Logits (outputs x columns of x). `params`/`state` use the layout described by net.layers().
// In training mode the updated running statistics are written to *newState when given.
inline MatrixXd logitMatrix(const hepsweep::nn::Network& net, const VectorXd& params, const VectorXd& state,
                       const MatrixXd& x, bool training, std::uint64_t dropKey = 0,
                       std::span<const std::uint64_t> counters = {}, VectorXd* newState = nullptr) {
  const auto& cfg = net.config();
  const auto& layers = net.layers();
  const Eigen::Index n = x.cols();
  if (newState) *newState = state;
  MatrixXd a = x;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const auto& v = layers[l];
    MatrixXd z(v.outputs, n);
    for (Eigen::Index i = 0; i < n; ++i)
      for (int j = 0; j < v.outputs; ++j) {
        double s = params[static_cast<Eigen::Index>(v.biasOffset) + j];
        for (int k = 0; k < v.inputs; ++k)
          s += params[static_cast<Eigen::Index>(v.weightOffset) + static_cast<Eigen::Index>(k) * v.outputs + j] *
               a(k, i);
        z(j, i) = s;
      }
    if (l + 1 == layers.size()) return z;
    if (v.batchNorm) {
      for (int j = 0; j < v.outputs; ++j) {
        double mean, var;
        if (training) {
          mean = z.row(j).mean();
          var = (z.row(j).array() - mean).square().sum() / static_cast<double>(n);
          if (newState) {
            const double m = cfg.batchNormMomentum;
            double& rm = (*newState)[static_cast<Eigen::Index>(v.runningMeanOffset) + j];
            double& rv = (*newState)[static_cast<Eigen::Index>(v.runningVarOffset) + j];
            rm = (1 - m) * rm + m * mean;
            rv = (1 - m) * rv + m * var * static_cast<double>(n) / static_cast<double>(n - 1);
          }
        } else {
          mean = state[static_cast<Eigen::Index>(v.runningMeanOffset) + j];
          var = state[static_cast<Eigen::Index>(v.runningVarOffset) + j];
        }
        const double gamma = params[static_cast<Eigen::Index>(v.gammaOffset) + j];
        const double beta = params[static_cast<Eigen::Index>(v.betaOffset) + j];
        for (Eigen::Index i = 0; i < n; ++i)
          z(j, i) = gamma * (z(j, i) - mean) / std::sqrt(var + cfg.batchNormEpsilon) + beta;
      }
    }
    a.resize(v.outputs, n);
    for (Eigen::Index i = 0; i < n; ++i)
      for (int j = 0; j < v.outputs; ++j) {
        double h = activation(v.activation, z(j, i), cfg);
        if (training && v.dropout > 0) {
          const std::uint64_t c = counters.empty() ? static_cast<std::uint64_t>(i) : counters[static_cast<std::size_t>(i)];
          const float u = hepsweep::rng::dropoutUniform(hepsweep::rng::derive(dropKey, l), c, static_cast<std::uint32_t>(j));
          h = u < v.dropout ? 0.0 : h / (1.0 - static_cast<double>(v.dropout));
        }
        a(j, i) = h;
      }
  }
  return {};
}

// The logit of a single-output network, one per column of x.
inline VectorXd logits(const hepsweep::nn::Network& net, const VectorXd& params, const VectorXd& state,
                       const MatrixXd& x, bool training, std::uint64_t dropKey = 0,
                       std::span<const std::uint64_t> counters = {}, VectorXd* newState = nullptr) {
  return logitMatrix(net, params, state, x, training, dropKey, counters, newState).row(0).transpose();
}

}  // namespace reference
