// Binary cross-entropy on logits: value, gradient, weights, normalizer and numerical stability.
#include <gtest/gtest.h>

#include <algorithm>
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
  // Each event's term is computed in float (Loss.hpp): within a few float ulps (~1.2e-7 each).
  EXPECT_NEAR(loss, expected, 5e-7 * std::abs(expected));
  EXPECT_NEAR(bceWithLogitsValue(z, y, w, N), expected, 5e-7 * std::abs(expected));
  // Empty weights mean unit weights.
  const RowVectorXf none;
  RowVectorXf d1(6);
  double unweighted = 0.0;
  for (int i = 0; i < 6; ++i) unweighted += naiveLoss(z[i], y[i], 1.0) / N;
  EXPECT_NEAR(bceWithLogits(z, y, none, N, d1), unweighted, 5e-7 * unweighted);
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
  EXPECT_NEAR(bceWithLogits(one, lab, wt, 1.0, g), std::exp(-50.0), 5e-7 * std::exp(-50.0));
  EXPECT_NEAR(g[0], 0.0, 1e-20);
  one << -50.0f;
  wt << -2.0f;
  EXPECT_NEAR(bceWithLogits(one, lab, wt, 1.0, g), -100.0, 1e-9);
  EXPECT_NEAR(g[0], 2.0, 1e-7);  // -2 * (sigmoid(-50) - 1)
  EXPECT_NEAR(loss, 50.0 + 0.0 - 2.0 * 50.0 + 0.0 + 1e4 + 0.0, 1e-6);
}

// Every logit from -87 to 87 in steps of 1/64, both labels: each event's loss and gradient within
// a few float ulps of the formulas in double (relative 5e-7, or 1e-37 absolute near zero). Catches
// a wrong coefficient of the float exp/log1p polynomials, a range reduction off by one power of
// two, and cancellation in sigmoid(z) - y for confident predictions.
TEST(NnLoss, EveryEventWithinFloatRoundingOfDouble) {
  const int n = 2 * 87 * 64 + 1;
  RowVectorXf z(n), d(n), y0 = RowVectorXf::Zero(n), y1 = RowVectorXf::Ones(n), one(1), g(1), lab(1), wt(1);
  for (int i = 0; i < n; ++i) z[i] = static_cast<float>(i - 87 * 64) / 64.0f;
  const RowVectorXf none;
  for (float label : {0.0f, 1.0f}) {
    bceWithLogits(z, label == 0.0f ? y0 : y1, none, 1.0, d);
    for (int i = 0; i < n; ++i) {
      const double zi = z[i];
      const double e = std::exp(-std::abs(zi));
      const double want = std::max(zi, 0.0) - zi * label + std::log1p(e);
      // sigmoid(z) - y without cancellation (1 / (1 + e) - 1 loses digits even in double).
      const double diff = (zi >= 0 ? (1.0 - label) - label * e : e * (1.0 - label) - label) / (1.0 + e);
      one[0] = z[i];
      lab[0] = label;
      wt[0] = 1.0f;
      const double got = bceWithLogits(one, lab, wt, 1.0, g);
      ASSERT_NEAR(got, want, std::max(5e-7 * want, 1e-37)) << "z " << zi << " label " << label;
      ASSERT_NEAR(g[0], diff, std::max(5e-7 * std::abs(diff), 1e-37)) << "z " << zi << " label " << label;
      // The remainder of a block that is not a whole number of vectors has the bits of a full one.
      ASSERT_EQ(g[0], d[i]) << "z " << zi;
    }
  }
}
