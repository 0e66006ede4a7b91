// The weighted unbinned two-sample Kolmogorov-Smirnov test (metrics::ksTwoSample) and the
// Kolmogorov survival function, against hand-computed statistics, published table values of the
// Kolmogorov distribution, and an independent brute-force evaluation of the ECDF difference.
// scipy is not installed with /usr/bin/python3 here, so no test calls it; see
// include/hepsweep/metrics/KolmogorovSmirnov.hpp for how the p-value relates to scipy's and ROOT's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/metrics/KolmogorovSmirnov.hpp"

namespace hepsweep::metrics {
namespace {

// Independent of the implementation: F(x) evaluated by summing over all events at every value
// of the merged samples, O(n^2).
double bruteForceD(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& wa,
                   const std::vector<float>& wb) {
  double ta = 0, tb = 0;
  for (float w : wa) ta += w;
  for (float w : wb) tb += w;
  std::vector<float> xs = a;
  xs.insert(xs.end(), b.begin(), b.end());
  double d = 0;
  for (float x : xs) {
    double fa = 0, fb = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] <= x) fa += wa[i];
    for (std::size_t i = 0; i < b.size(); ++i)
      if (b[i] <= x) fb += wb[i];
    d = std::max(d, std::abs(fa / ta - fb / tb));
  }
  return d;
}

// A small deterministic generator so the test needs no RNG state of the library.
struct Lcg {
  std::uint64_t s;
  double next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  }
};

// Catches a wrong D on the smallest example worked by hand: F_a - F_b after each value
// 1: 1/3-0, 2: 2/3-0, 2.5: 2/3-1/2, 3: 1-1/2, 4: 0, so D = 2/3 (reached at x = 2).
TEST(KolmogorovSmirnov, TinySamplesByHand) {
  const std::vector<float> a = {3, 1, 2}, b = {4, 2.5f};
  EXPECT_DOUBLE_EQ(ksTwoSample(a, b).statistic, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(ksTwoSample(b, a).statistic, 2.0 / 3.0);  // symmetric
}

// Catches ties processed one event at a time (a spurious step of 3/4 at x = 2): with ties the
// ECDFs are 1/4 vs 0 at 1, 3/4 vs 3/4 at 2, 1 vs 3/4 at 3, so D = 1/4.
TEST(KolmogorovSmirnov, TiesEnterTogether) {
  const std::vector<float> a = {1, 2, 2, 3}, b = {2, 2, 2, 4};
  EXPECT_DOUBLE_EQ(ksTwoSample(a, b).statistic, 0.25);
  const std::vector<float> same = {5, 5, 5};
  EXPECT_DOUBLE_EQ(ksTwoSample(same, same).statistic, 0.0);
  EXPECT_DOUBLE_EQ(ksTwoSample(same, same).pValue, 1.0);
}

// Catches ignored weights and a wrong effective size: weights {3,1} vs {1,3} on the same values
// give D = |3/4 - 1/4| = 1/2, and n_eff = 16/10 for both samples.
TEST(KolmogorovSmirnov, WeightsByHand) {
  const std::vector<float> x = {1, 2};
  const std::vector<float> wa = {3, 1}, wb = {1, 3};
  const KsResult r = ksTwoSample(x, x, wa, wb);
  EXPECT_DOUBLE_EQ(r.statistic, 0.5);
  EXPECT_DOUBLE_EQ(r.effectiveSizeA, 1.6);
  EXPECT_DOUBLE_EQ(r.effectiveSizeB, 1.6);
  EXPECT_DOUBLE_EQ(r.effectiveSize, 0.8);
}

// Catches a weighted D that differs from the unweighted D of the replicated sample (integer
// weights mean repeated events), on samples with many ties.
TEST(KolmogorovSmirnov, IntegerWeightsEqualReplication) {
  Lcg g{7};
  std::vector<float> a, wa, ra, b, rb;
  for (int i = 0; i < 300; ++i) {
    const float x = static_cast<float>(std::floor(g.next() * 20));
    const int w = 1 + static_cast<int>(g.next() * 3);
    a.push_back(x);
    wa.push_back(static_cast<float>(w));
    for (int k = 0; k < w; ++k) ra.push_back(x);
  }
  for (int i = 0; i < 500; ++i) b.push_back(static_cast<float>(std::floor(g.next() * 21)));
  rb = b;
  EXPECT_NEAR(ksTwoSample(a, b, wa).statistic, ksTwoSample(ra, rb).statistic, 1e-12);
}

// Catches any error in the merge (end of one sample, ties across samples, weights, negative
// weights) by comparing with the O(n^2) definition on random weighted samples with ties.
TEST(KolmogorovSmirnov, MatchesBruteForce) {
  Lcg g{12345};
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> a, b, wa, wb;
    const int na = 1 + static_cast<int>(g.next() * 60), nb = 1 + static_cast<int>(g.next() * 60);
    const bool negative = trial % 3 == 2;
    for (int i = 0; i < na; ++i) {
      a.push_back(static_cast<float>(std::round(g.next() * 30) / 10));
      wa.push_back(static_cast<float>(negative && g.next() < 0.2 ? -0.3 : 0.5 + g.next()));
    }
    for (int i = 0; i < nb; ++i) {
      b.push_back(static_cast<float>(std::round(g.next() * 35) / 10));
      wb.push_back(static_cast<float>(0.5 + g.next()));
    }
    double ta = 0;
    for (float w : wa) ta += w;
    if (ta <= 0) continue;
    EXPECT_NEAR(ksTwoSample(a, b, wa, wb).statistic, bruteForceD(a, b, wa, wb), 1e-12) << "trial " << trial;
  }
}

// Kolmogorov's Q(l) = 1 - K(l) against published values: Q(1.0) = 0.26999967 (Smirnov 1948
// tables), and the classic quantiles of K: 0.8276 (median), 1.2238 (90%), 1.3581 (95%),
// 1.6276 (99%), 1.9495 (99.9%). Catches a wrong series (e.g. a missing factor 2 or sign),
// poor convergence for small l, and a bad switch between the two series forms (at 1.18).
TEST(KolmogorovSmirnov, SurvivalFunctionTableValues) {
  EXPECT_NEAR(kolmogorovSurvival(1.0), 0.26999967, 1e-8);
  EXPECT_NEAR(kolmogorovSurvival(0.8276), 0.5, 1e-4);
  EXPECT_NEAR(kolmogorovSurvival(1.2238), 0.10, 1e-4);
  EXPECT_NEAR(kolmogorovSurvival(1.3581), 0.05, 1e-4);
  EXPECT_NEAR(kolmogorovSurvival(1.36), 0.0494, 1e-4);
  EXPECT_NEAR(kolmogorovSurvival(1.6276), 0.01, 1e-5);
  EXPECT_NEAR(kolmogorovSurvival(1.9495), 0.001, 1e-6);
  EXPECT_NEAR(kolmogorovSurvival(0.5), 0.9639452436648751, 1e-12);  // K(0.5) = 0.0360547563
  EXPECT_NEAR(kolmogorovSurvival(0.2), 1.0, 1e-12);                 // K(0.2) ~ 2.6e-22
  EXPECT_DOUBLE_EQ(kolmogorovSurvival(0.0), 1.0);
  EXPECT_LT(kolmogorovSurvival(4.0), 1e-13);
  // Continuity where the implementation switches form.
  EXPECT_NEAR(kolmogorovSurvival(1.18 - 1e-9), kolmogorovSurvival(1.18 + 1e-9), 1e-8);
  double previous = 1.0;
  for (double l = 0.05; l < 3.0; l += 0.05) {
    const double q = kolmogorovSurvival(l);
    EXPECT_LE(q, previous + 1e-15) << "not monotone at " << l;
    previous = q;
  }
}

// Catches a p-value that uses the wrong size (n_a + n_b, or no sqrt) or no Q at all: two samples
// of 50 shifted by 10 have D = 10/50 = 0.2 and n_e = 50*50/100 = 25, so sqrt(n_e) D = 1 and
// p = Q(1) = 0.26999967 (the value ROOT's TMath::KolmogorovTest gives for these samples).
TEST(KolmogorovSmirnov, PValueFromEffectiveSize) {
  std::vector<float> a, b;
  for (int i = 0; i < 50; ++i) {
    a.push_back(static_cast<float>(i));
    b.push_back(static_cast<float>(i + 10));
  }
  const KsResult r = ksTwoSample(a, b);
  EXPECT_DOUBLE_EQ(r.statistic, 0.2);
  EXPECT_DOUBLE_EQ(r.effectiveSize, 25.0);
  EXPECT_NEAR(r.pValue, 0.26999967, 1e-8);
  // Uniform weights of any size change nothing (n_eff is scale invariant).
  const std::vector<float> w(50, 0.37f);
  const KsResult rw = ksTwoSample(a, b, w, w);
  EXPECT_DOUBLE_EQ(rw.statistic, 0.2);
  EXPECT_NEAR(rw.effectiveSize, 25.0, 1e-9);
  EXPECT_NEAR(rw.pValue, 0.26999967, 1e-6);
}

// Documented negative-weight behaviour: the signed ECDF of a = {1, 2, 3} with weights
// {2, -1, 1} is 1, 1/2, 1; against b = {1.5} the largest difference is 1 (at x = 1), and
// n_eff(a) = 2^2 / (4 + 1 + 1) = 2/3. Catches clipping, absolute values of weights in the ECDF,
// or a rejection of negative weights.
TEST(KolmogorovSmirnov, NegativeWeights) {
  const std::vector<float> a = {1, 2, 3}, wa = {2, -1, 1}, b = {1.5f};
  const KsResult r = ksTwoSample(a, b, wa);
  EXPECT_DOUBLE_EQ(r.statistic, 1.0);
  EXPECT_DOUBLE_EQ(r.effectiveSizeA, 2.0 / 3.0);
}

// Catches silent nonsense on bad input: each case is an Error(Input).
TEST(KolmogorovSmirnov, Errors) {
  const std::vector<float> x = {1, 2}, empty, nan = {1, std::nanf("")}, w1 = {1};
  const std::vector<float> zero = {1, -1}, inf = {1, INFINITY};
  const auto category = [](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return e.category();
    }
    return ErrorCategory::Internal;
  };
  EXPECT_EQ(category([&] { ksTwoSample(empty, x); }), ErrorCategory::Input);
  EXPECT_EQ(category([&] { ksTwoSample(x, nan); }), ErrorCategory::Input);
  EXPECT_EQ(category([&] { ksTwoSample(x, x, w1); }), ErrorCategory::Input);
  EXPECT_EQ(category([&] { ksTwoSample(x, x, zero); }), ErrorCategory::Input);
  EXPECT_EQ(category([&] { ksTwoSample(x, x, {}, inf); }), ErrorCategory::Input);
}

}  // namespace
}  // namespace hepsweep::metrics
