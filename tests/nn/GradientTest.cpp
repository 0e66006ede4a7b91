// Finite-difference checks of Network::backward (every parameter and the input) for every
// activation, with and without batch normalisation and dropout, through the weighted BCE loss,
// and of the L1/L2 penalty gradient. The finite differences are taken on the double-precision
// reference network of ReferenceNet.hpp, so float rounding does not limit the check.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "ReferenceNet.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Network.hpp"

using namespace hepsweep;
using namespace hepsweep::nn;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

constexpr int kInputs = 3;
constexpr int kBatch = 6;

double referenceBce(const VectorXd& z, const VectorXd& y, const VectorXd& w, double N) {
  double s = 0.0;
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    const double p = 1.0 / (1.0 + std::exp(-z[i]));
    s -= w[i] * (y[i] * std::log(p) + (1.0 - y[i]) * std::log(1.0 - p));
  }
  return s / N;
}

// Random but reproducible parameters, so biases and batch-norm gamma/beta are not at their
// trivial initial values (a gradient that is wrong only for nonzero biases would hide otherwise).
void randomiseParams(Network& net, std::uint64_t key) {
  ParamVector& p = net.params();
  for (Eigen::Index k = 0; k < p.size(); ++k) p[k] = static_cast<float>(0.7 * rng::normal(key, static_cast<std::uint64_t>(k)));
  for (const auto& v : net.layers())
    if (v.batchNorm)
      for (int j = 0; j < v.outputs; ++j)
        p[static_cast<Eigen::Index>(v.gammaOffset) + j] = 1.0f + 0.3f * p[static_cast<Eigen::Index>(v.gammaOffset) + j];
}

bool close(double analytic, double numeric) {
  return std::abs(analytic - numeric) <= 5e-5 + 2e-3 * std::abs(numeric);
}

using GradParam = std::tuple<Activation, bool, float>;  // activation, batch norm, dropout

class NetworkGradient : public ::testing::TestWithParam<GradParam> {};

}  // namespace

// forward matches the reference, and backward's parameter and input gradients of the weighted
// BCE loss (with a negative weight) match central differences of the reference loss. The same
// DropoutContext fixes the masks. Catches any wrong derivative, a misplaced offset, batch-norm
// backward errors, a dropout mask/scale not applied in backward, or a wrong mask formula.
TEST_P(NetworkGradient, MatchesFiniteDifferences) {
  const auto [act, bn, dropout] = GetParam();
  ModelConfig cfg;
  cfg.widths = {5, 4};
  cfg.activation = act;
  cfg.batchNorm = bn;
  cfg.dropout = {dropout};
  cfg.leakySlope = 0.1f;
  cfg.eluAlpha = 0.8f;
  Network net(kInputs, cfg, 1234);
  randomiseParams(net, 99);

  Matrix x(kInputs, kBatch);
  for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = static_cast<float>(rng::normal(7, static_cast<std::uint64_t>(k)));
  RowVector y(kBatch), w(kBatch);
  y << 1, 0, 1, 1, 0, 0;
  w << 1.0f, 0.5f, -0.3f, 2.0f, 1.0f, 0.8f;
  const std::vector<std::uint64_t> counters{11, 5, 3, 1000, 42, 7};
  const DropoutContext ctx{0xfeed, counters};

  const VectorXd state0 = net.state().cast<double>();
  const RowVector logits = net.forward(x, true, ctx);
  RowVector dlogits(kBatch);
  bceWithLogits(logits, y, w, kBatch, dlogits);
  net.zeroGrads();
  Matrix dx(kInputs, kBatch);
  net.backward(dlogits, dx);

  const VectorXd p0 = net.params().cast<double>();
  const MatrixXd x0 = x.cast<double>();
  const VectorXd yd = y.transpose().cast<double>(), wd = w.transpose().cast<double>();
  auto loss = [&](const VectorXd& p, const MatrixXd& xx) {
    return referenceBce(reference::logits(net, p, state0, xx, true, ctx.key, counters), yd, wd, kBatch);
  };

  const VectorXd refLogits = reference::logits(net, p0, state0, x0, true, ctx.key, counters);
  for (int i = 0; i < kBatch; ++i) EXPECT_NEAR(logits[i], refLogits[i], 1e-4 * (1 + std::abs(refLogits[i]))) << i;

  const double h = 1e-5;
  int bad = 0;
  for (Eigen::Index k = 0; k < p0.size(); ++k) {
    VectorXd pp = p0, pm = p0;
    pp[k] += h;
    pm[k] -= h;
    const double fd = (loss(pp, x0) - loss(pm, x0)) / (2 * h);
    if (!close(net.grads()[k], fd) && bad++ < 10) ADD_FAILURE() << "param " << k << ": backward " << net.grads()[k] << ", finite difference " << fd;
  }
  for (Eigen::Index k = 0; k < x0.size(); ++k) {
    MatrixXd xp = x0, xm = x0;
    xp.data()[k] += h;
    xm.data()[k] -= h;
    const double fd = (loss(p0, xp) - loss(p0, xm)) / (2 * h);
    if (!close(dx.data()[k], fd) && bad++ < 10) ADD_FAILURE() << "input " << k << ": backward " << dx.data()[k] << ", finite difference " << fd;
  }
  EXPECT_EQ(bad, 0);
  // Non-trivial gradients: a backward that wrote zeros everywhere must not pass.
  EXPECT_GT(net.grads().cwiseAbs().maxCoeff(), 1e-3f);
}

INSTANTIATE_TEST_SUITE_P(
    AllActivations, NetworkGradient,
    ::testing::Combine(::testing::Values(Activation::Relu, Activation::LeakyRelu, Activation::Elu, Activation::Tanh,
                                         Activation::Sigmoid, Activation::Softplus, Activation::Linear),
                       ::testing::Bool(), ::testing::Values(0.0f, 0.3f)),
    [](const ::testing::TestParamInfo<GradParam>& info) {
      return std::string(toString(std::get<0>(info.param))) + (std::get<1>(info.param) ? "_bn" : "") +
             (std::get<2>(info.param) > 0 ? "_dropout" : "");
    });

// Batch-norm running statistics after a training forward follow PyTorch (momentum 0.1, biased
// variance for normalising, unbiased for the running variance), and inference uses them.
TEST(NetworkBatchNorm, RunningStatisticsAndInference) {
  ModelConfig cfg;
  cfg.widths = {4, 3};
  cfg.batchNorm = true;
  cfg.activation = Activation::Tanh;
  Network net(kInputs, cfg, 5);
  randomiseParams(net, 17);
  Matrix x(kInputs, kBatch);
  for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = static_cast<float>(1.5 + rng::normal(8, static_cast<std::uint64_t>(k)));
  const VectorXd state0 = net.state().cast<double>();
  VectorXd expectedState;
  reference::logits(net, net.params().cast<double>(), state0, x.cast<double>(), true, 0, {}, &expectedState);
  net.forward(x, true);
  ASSERT_EQ(net.state().size(), expectedState.size());
  ASSERT_GT(net.state().size(), 0);
  for (Eigen::Index k = 0; k < expectedState.size(); ++k) EXPECT_NEAR(net.state()[k], expectedState[k], 1e-5) << k;
  EXPECT_GT((net.state().cast<double>() - state0).cwiseAbs().maxCoeff(), 1e-3);

  const VectorXd inferRef =
      reference::logits(net, net.params().cast<double>(), net.state().cast<double>(), x.cast<double>(), false);
  const RowVector infer = net.forward(x, false);
  for (int i = 0; i < kBatch; ++i) EXPECT_NEAR(infer[i], inferRef[i], 1e-4 * (1 + std::abs(inferRef[i]))) << i;
  // Inference must not touch the running statistics.
  const ParamVector before = net.state();
  net.forward(x, false);
  EXPECT_EQ(net.state(), before);
}

// L1/L2 penalty (Keras: l1 sum|w| + l2 sum w^2 over weight matrices only): value, gradient by
// finite differences, and exactly zero gradient on biases and batch-norm parameters.
TEST(NetworkPenalty, ValueAndGradient) {
  ModelConfig cfg;
  cfg.widths = {5, 4};
  cfg.batchNorm = true;
  Network net(kInputs, cfg, 3);
  randomiseParams(net, 21);
  const float l1 = 0.01f, l2 = 0.003f;
  std::vector<bool> isWeight(net.numParams(), false);
  for (const auto& v : net.layers())
    for (std::size_t k = 0; k < static_cast<std::size_t>(v.inputs * v.outputs); ++k) isWeight[v.weightOffset + k] = true;
  auto penalty = [&](const VectorXd& p) {
    double s = 0.0;
    for (Eigen::Index k = 0; k < p.size(); ++k)
      if (isWeight[static_cast<std::size_t>(k)]) s += double(l1) * std::abs(p[k]) + double(l2) * p[k] * p[k];
    return s;
  };
  const VectorXd p0 = net.params().cast<double>();
  net.zeroGrads();
  const double value = net.addPenalty(l1, l2);
  EXPECT_NEAR(value, penalty(p0), 1e-9 * (1 + penalty(p0)));
  const double h = 1e-6;
  for (Eigen::Index k = 0; k < p0.size(); ++k) {
    VectorXd pp = p0, pm = p0;
    pp[k] += h;
    pm[k] -= h;
    const double fd = (penalty(pp) - penalty(pm)) / (2 * h);
    EXPECT_NEAR(net.grads()[k], fd, 1e-6) << k;
    if (!isWeight[static_cast<std::size_t>(k)]) {
      EXPECT_EQ(net.grads()[k], 0.0f) << k;
    }
  }
  // The penalty adds to existing gradients rather than overwriting them.
  const ParamVector once = net.grads();
  net.addPenalty(l1, l2);
  EXPECT_TRUE(net.grads().isApprox(2.0f * once));
}
