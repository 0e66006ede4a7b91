// The multi-class network (Network with outputs > 1) and the categorical cross-entropy: the loss
// and its logit gradient against a double-precision formula, the parameter and input gradients of
// backwardMulti against finite differences of the reference network (ReferenceNet.hpp) for every
// activation with and without batch normalisation and dropout, backwardSegmentsMulti against
// backwardMulti per segment, and predictMulti's probabilities.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "ReferenceNet.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/nn/Sigmoid.hpp"

using namespace hepsweep;
using namespace hepsweep::nn;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

constexpr int kInputs = 3;
constexpr int kClasses = 4;
constexpr int kBatch = 7;

// sum_i w_i (log sum_k exp z_ki - z_{y_i} i) / N, plainly in double.
double referenceCe(const MatrixXd& z, const VectorXd& y, const VectorXd& w, double N) {
  double s = 0.0;
  for (Eigen::Index i = 0; i < z.cols(); ++i) {
    double e = 0.0;
    for (Eigen::Index k = 0; k < z.rows(); ++k) e += std::exp(z(k, i));
    s += w[i] * (std::log(e) - z(static_cast<Eigen::Index>(y[i]), i));
  }
  return s / N;
}

void randomise(Network& net, std::uint64_t key) {
  ParamVector& p = net.params();
  for (Eigen::Index k = 0; k < p.size(); ++k) p[k] = static_cast<float>(0.7 * rng::normal(key, static_cast<std::uint64_t>(k)));
  for (const auto& v : net.layers())
    if (v.batchNorm)
      for (int j = 0; j < v.outputs; ++j)
        p[static_cast<Eigen::Index>(v.gammaOffset) + j] = 1.0f + 0.3f * p[static_cast<Eigen::Index>(v.gammaOffset) + j];
}

bool close(double analytic, double numeric) { return std::abs(analytic - numeric) <= 5e-5 + 2e-3 * std::abs(numeric); }

Matrix inputs(std::uint64_t key, int n) {
  Matrix x(kInputs, n);
  for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = static_cast<float>(rng::normal(key, static_cast<std::uint64_t>(k)));
  return x;
}

RowVector labels() {
  RowVector y(kBatch);
  y << 0, 3, 1, 2, 2, 0, 1;  // every class present
  return y;
}

RowVector weights() {
  RowVector w(kBatch);
  w << 1.0f, 0.5f, -0.3f, 2.0f, 1.0f, 0.8f, 1.5f;  // one negative, as physics weights can be
  return w;
}

using GradParam = std::tuple<Activation, bool, float>;  // activation, batch norm, dropout
class MultiClassGradient : public ::testing::TestWithParam<GradParam> {};

}  // namespace

// Loss and dlogits against the double formula, including large logits (a softmax without the
// max subtraction overflows at z = 100) and weights; the gradient of every logit by finite
// differences of the formula; a label that is not a class index is refused.
TEST(SoftmaxCrossEntropy, ValueAndLogitGradient) {
  Matrix z(kClasses, kBatch);
  for (Eigen::Index k = 0; k < z.size(); ++k) z.data()[k] = static_cast<float>(2.0 * rng::normal(3, static_cast<std::uint64_t>(k)));
  z(2, 4) = 100.0f;
  z(0, 5) = -100.0f;
  const RowVector y = labels(), w = weights();
  Matrix d(kClasses, kBatch);
  const double loss = softmaxCrossEntropy(z, y, w, 10.0, d);
  const VectorXd yd = y.transpose().cast<double>(), wd = w.transpose().cast<double>();
  const MatrixXd z0 = z.cast<double>();
  EXPECT_NEAR(loss, referenceCe(z0, yd, wd, 10.0), 1e-12 * std::abs(loss));
  EXPECT_DOUBLE_EQ(softmaxCrossEntropyValue(z, y, w, 10.0), loss);
  EXPECT_TRUE(std::isfinite(loss));
  const double h = 1e-6;
  for (Eigen::Index k = 0; k < z.size(); ++k) {
    MatrixXd zp = z0, zm = z0;
    zp.data()[k] += h;
    zm.data()[k] -= h;
    const double fd = (referenceCe(zp, yd, wd, 10.0) - referenceCe(zm, yd, wd, 10.0)) / (2 * h);
    EXPECT_NEAR(d.data()[k], fd, 1e-6 + 1e-4 * std::abs(fd)) << k;
  }
  // Unit weights when none are given; each event's gradient sums to zero over the classes.
  const double unweighted = softmaxCrossEntropy(z, y, RowVector(), kBatch, d);
  EXPECT_NEAR(unweighted, referenceCe(z0, yd, VectorXd::Ones(kBatch), kBatch), 1e-12 * unweighted);
  for (int i = 0; i < kBatch; ++i) EXPECT_NEAR(d.col(i).sum(), 0.0f, 1e-6f) << i;
  RowVector bad = y;
  bad[3] = 4;
  EXPECT_THROW(softmaxCrossEntropyValue(z, bad, w, 1.0), Error);
  bad[3] = 1.5f;
  EXPECT_THROW(softmaxCrossEntropyValue(z, bad, w, 1.0), Error);
}

// forwardMulti matches the reference network's K logits, and backwardMulti's parameter and input
// gradients of the weighted cross-entropy match central differences of the reference loss.
// Catches a transposed output weight matrix, a bias added to the wrong class, the output delta
// not multiplied by the last hidden layer's derivative, or dropout/batch norm not applied.
TEST_P(MultiClassGradient, MatchesFiniteDifferences) {
  const auto [act, bn, dropout] = GetParam();
  ModelConfig cfg;
  cfg.widths = {5, 4};
  cfg.activation = act;
  cfg.batchNorm = bn;
  cfg.dropout = {dropout};
  cfg.leakySlope = 0.1f;
  cfg.eluAlpha = 0.8f;
  Network net(kInputs, cfg, 1234, kClasses);
  ASSERT_EQ(net.outputs(), kClasses);
  ASSERT_EQ(net.layers().back().outputs, kClasses);
  randomise(net, 99);
  const Matrix x = inputs(7, kBatch);
  const RowVector y = labels(), w = weights();
  const std::vector<std::uint64_t> counters{11, 5, 3, 1000, 42, 7, 9};
  const DropoutContext ctx{0xfeed, counters};

  const VectorXd state0 = net.state().cast<double>();
  const Matrix logits = net.forwardMulti(x, true, ctx);
  Matrix dlogits(kClasses, kBatch);
  softmaxCrossEntropy(logits, y, w, kBatch, dlogits);
  net.zeroGrads();
  Matrix dx(kInputs, kBatch);
  net.backwardMulti(dlogits, dx);

  const VectorXd p0 = net.params().cast<double>();
  const MatrixXd x0 = x.cast<double>();
  const VectorXd yd = y.transpose().cast<double>(), wd = w.transpose().cast<double>();
  const auto loss = [&](const VectorXd& p, const MatrixXd& xx) {
    return referenceCe(reference::logitMatrix(net, p, state0, xx, true, ctx.key, counters), yd, wd, kBatch);
  };
  const MatrixXd ref = reference::logitMatrix(net, p0, state0, x0, true, ctx.key, counters);
  ASSERT_EQ(ref.rows(), kClasses);
  for (Eigen::Index k = 0; k < ref.size(); ++k)
    EXPECT_NEAR(logits.data()[k], ref.data()[k], 1e-4 * (1 + std::abs(ref.data()[k]))) << k;

  const double h = 1e-5;
  int bad = 0;
  for (Eigen::Index k = 0; k < p0.size(); ++k) {
    VectorXd pp = p0, pm = p0;
    pp[k] += h;
    pm[k] -= h;
    const double fd = (loss(pp, x0) - loss(pm, x0)) / (2 * h);
    if (!close(net.grads()[k], fd) && bad++ < 10)
      ADD_FAILURE() << "param " << k << ": backward " << net.grads()[k] << ", finite difference " << fd;
  }
  for (Eigen::Index k = 0; k < x0.size(); ++k) {
    MatrixXd xp = x0, xm = x0;
    xp.data()[k] += h;
    xm.data()[k] -= h;
    const double fd = (loss(p0, xp) - loss(p0, xm)) / (2 * h);
    if (!close(dx.data()[k], fd) && bad++ < 10)
      ADD_FAILURE() << "input " << k << ": backward " << dx.data()[k] << ", finite difference " << fd;
  }
  EXPECT_EQ(bad, 0);
  EXPECT_GT(net.grads().cwiseAbs().maxCoeff(), 1e-3f);
}

INSTANTIATE_TEST_SUITE_P(
    AllActivations, MultiClassGradient,
    ::testing::Combine(::testing::Values(Activation::Relu, Activation::LeakyRelu, Activation::Elu, Activation::Tanh,
                                         Activation::Sigmoid, Activation::Softplus, Activation::Linear),
                       ::testing::Bool(), ::testing::Values(0.0f, 0.3f)),
    [](const ::testing::TestParamInfo<GradParam>& info) {
      return std::string(toString(std::get<0>(info.param))) + (std::get<1>(info.param) ? "_bn" : "") +
             (std::get<2>(info.param) > 0 ? "_dropout" : "");
    });

// Each segment's gradient is the gradient of a backwardMulti over that segment's events alone.
TEST(MultiClassNetwork, SegmentsMatchSeparateBackwards) {
  ModelConfig cfg;
  cfg.widths = {6, 5};
  cfg.dropout = {0.2f};
  Network net(kInputs, cfg, 8, kClasses);
  randomise(net, 12);
  const Matrix x = inputs(9, kBatch);
  const RowVector y = labels(), w = weights();
  const std::vector<std::uint64_t> counters{1, 2, 3, 4, 5, 6, 7};
  const std::vector<Eigen::Index> ends{3, 3, 7};  // an empty middle segment
  Matrix d(kClasses, kBatch);
  softmaxCrossEntropy(net.forwardMulti(x, true, {77, counters}), y, w, kBatch, d);
  std::vector<std::vector<float>> seg(ends.size(), std::vector<float>(net.numParams(), 1.0f));
  std::vector<float*> ptrs;
  for (auto& s : seg) ptrs.push_back(s.data());
  net.backwardSegmentsMulti(d, ends, ptrs);
  for (std::size_t s = 0; s < ends.size(); ++s) {
    const Eigen::Index c0 = s ? ends[s - 1] : 0, m = ends[s] - c0;
    net.zeroGrads();
    if (m > 0) {
      const std::span<const std::uint64_t> c(counters.data() + c0, static_cast<std::size_t>(m));
      net.forwardMulti(x.middleCols(c0, m), true, {77, c});
      net.backwardMulti(d.middleCols(c0, m));
    }
    for (std::size_t k = 0; k < net.numParams(); ++k)
      EXPECT_NEAR(seg[s][k], net.grads()[static_cast<Eigen::Index>(k)], 1e-6f) << "segment " << s << " param " << k;
  }
}

// predictMulti gives the softmax of the inference logits (columns sum to 1), in any batch size;
// the binary calls refuse a multi-class network.
TEST(MultiClassNetwork, PredictIsSoftmaxOfLogits) {
  ModelConfig cfg;
  cfg.widths = {5};
  Network net(kInputs, cfg, 2, kClasses);
  randomise(net, 4);
  const Matrix x = inputs(5, kBatch);
  const Matrix z = net.forwardMulti(x, false);
  Matrix p(kClasses, kBatch), p2(kClasses, kBatch);
  net.predictMulti(x, p);
  net.predictMulti(x, p2, 3);
  EXPECT_EQ(p, p2);
  for (int i = 0; i < kBatch; ++i) {
    const VectorXd zi = z.col(i).cast<double>();
    const double s = zi.array().exp().sum();
    for (int k = 0; k < kClasses; ++k) EXPECT_NEAR(p(k, i), std::exp(zi[k]) / s, 1e-6) << k << "," << i;
    EXPECT_NEAR(p.col(i).sum(), 1.0f, 1e-6f);
  }
  EXPECT_THROW(net.forward(x, false), Error);
  Eigen::VectorXf scores(kBatch);
  EXPECT_THROW(net.predict(x, scores), Error);
  Network binary(kInputs, cfg, 2);
  EXPECT_THROW(binary.forwardMulti(x, false), Error);
}
