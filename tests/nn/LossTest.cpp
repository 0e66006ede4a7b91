// Binary cross-entropy on logits: value, gradient, weights, normalizer and numerical stability.
#include <gtest/gtest.h>

#include <cmath>

#include "hepsweep/nn/Loss.hpp"

using namespace hepsweep::nn;
using Eigen::RowVectorXf;

namespace {

// Textbook BCE in double, written independently of the library: -w (y log s + (1-y) log(1-s)).
double naiveLoss(double z, double y, double w) {
  const double s = 1.0 / (1.0 + std::exp(-z));
  return -w * (y * std::log(s) + (1.0 - y) * std::log(1.0 - s));
}

}  // namespace

// Moderate logits: value and gradient equal the textbook formulas, weights (also negative) and
// the normalizer enter as documented. Catches a wrong sign, a missing weight or normalizer.
TEST(NnLoss, MatchesTextbookFormula) {
  RowVectorXf z(6), y(6), w(6), d(6);
  z << -3.0f, -0.5f, 0.0f, 0.25f, 2.0f, 4.5f;
  y << 0.0f, 1.0f, 1.0f, 0.0f, 1.0f, 0.0f;
  w << 1.0f, 0.5f, -0.7f, 2.0f, 1.5f, -0.2f;
  const double N = 10.0;  // the global batch size, not the number of entries here
  const double loss = bceWithLogits(z, y, w, N, d);
  double expected = 0.0;
  for (int i = 0; i < 6; ++i) {
    expected += naiveLoss(z[i], y[i], w[i]) / N;
    const double grad = w[i] * (1.0 / (1.0 + std::exp(-double(z[i]))) - y[i]) / N;
    EXPECT_NEAR(d[i], grad, 1e-7) << i;
  }
  EXPECT_NEAR(loss, expected, 1e-12);
  EXPECT_NEAR(bceWithLogitsValue(z, y, w, N), expected, 1e-12);
  // Empty weights mean unit weights.
  const RowVectorXf none;
  RowVectorXf d1(6);
  double unweighted = 0.0;
  for (int i = 0; i < 6; ++i) unweighted += naiveLoss(z[i], y[i], 1.0) / N;
  EXPECT_NEAR(bceWithLogits(z, y, none, N, d1), unweighted, 1e-12);
  EXPECT_NEAR(d1[0], (1.0 / (1.0 + std::exp(3.0))) / N, 1e-7);
}

// Central differences of the loss value reproduce the analytic gradient (h = 2^-7 keeps z +- h
// exact in float), including negative weights and soft labels.
TEST(NnLoss, GradientMatchesFiniteDifference) {
  RowVectorXf z(5), y(5), w(5), d(5);
  z << -6.0f, -1.5f, 0.125f, 1.75f, 12.0f;
  y << 1.0f, 0.0f, 0.3f, 1.0f, 0.0f;
  w << 0.8f, -1.2f, 1.0f, 2.5f, -0.4f;
  bceWithLogits(z, y, w, 5.0, d);
  const float h = 0x1.0p-7f;
  for (int i = 0; i < 5; ++i) {
    RowVectorXf zp = z, zm = z;
    zp[i] += h;
    zm[i] -= h;
    const double fd = (bceWithLogitsValue(zp, y, w, 5.0) - bceWithLogitsValue(zm, y, w, 5.0)) / (2.0 * h);
    EXPECT_NEAR(d[i], fd, 2e-5) << i;
  }
}

// |z| = 50 and beyond: the naive formula overflows (log 0); ours stays finite and exact:
// loss ~ |z| when the label disagrees, ~ 0 when it agrees; gradient is +-w/N or ~0.
TEST(NnLoss, ExtremeLogitsStayFinite) {
  RowVectorXf z(6), y(6), w(6), d(6);
  z << 50.0f, 50.0f, -50.0f, -50.0f, 1e4f, -1e30f;
  y << 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f;
  w << 1.0f, 1.0f, -2.0f, 1.0f, 1.0f, 1.0f;
  const double loss = bceWithLogits(z, y, w, 1.0, d);
  EXPECT_TRUE(std::isfinite(loss));
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(std::isfinite(d[i])) << i;
  RowVectorXf one(1), lab(1), wt(1), g(1);
  one << 50.0f;
  lab << 0.0f;
  wt << 1.0f;
  EXPECT_NEAR(bceWithLogits(one, lab, wt, 1.0, g), 50.0, 1e-9);
  EXPECT_NEAR(g[0], 1.0, 1e-7);
  lab << 1.0f;
  EXPECT_NEAR(bceWithLogits(one, lab, wt, 1.0, g), std::exp(-50.0), 1e-30);
  EXPECT_NEAR(g[0], 0.0, 1e-20);
  one << -50.0f;
  wt << -2.0f;
  EXPECT_NEAR(bceWithLogits(one, lab, wt, 1.0, g), -100.0, 1e-9);
  EXPECT_NEAR(g[0], 2.0, 1e-7);  // -2 * (sigmoid(-50) - 1)
  EXPECT_NEAR(loss, 50.0 + 0.0 - 2.0 * 50.0 + 0.0 + 1e4 + 0.0, 1e-6);
}
