#include "hepsweep/metrics/KolmogorovSmirnov.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::metrics {
namespace {

struct Sample {
  std::vector<std::size_t> order;  // indices sorted by value
  double total = 0, totalSquares = 0;
};

Sample prepare(std::span<const float> x, std::span<const float> w, const char* name) {
  if (x.empty()) throwInput(std::string("Kolmogorov-Smirnov test: sample ") + name + " is empty");
  if (!w.empty() && w.size() != x.size())
    throwInput(std::string("Kolmogorov-Smirnov test: sample ") + name + " has " + std::to_string(x.size()) +
               " values but " + std::to_string(w.size()) + " weights");
  Sample s;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]))
      throwInput(std::string("Kolmogorov-Smirnov test: sample ") + name + " has a NaN value at position " + std::to_string(i));
    const double wi = w.empty() ? 1.0 : static_cast<double>(w[i]);
    if (!std::isfinite(wi))
      throwInput(std::string("Kolmogorov-Smirnov test: sample ") + name + " has a non-finite weight at position " +
                 std::to_string(i));
    s.total += wi;
    s.totalSquares += wi * wi;
  }
  if (!(s.total > 0))
    throwInput(std::string("Kolmogorov-Smirnov test: sample ") + name + " has a summed weight of " +
               std::to_string(s.total) + " (must be > 0 for its distribution function to exist)");
  s.order.resize(x.size());
  std::iota(s.order.begin(), s.order.end(), std::size_t{0});
  std::sort(s.order.begin(), s.order.end(), [&](std::size_t i, std::size_t j) { return x[i] < x[j]; });
  return s;
}

}  // namespace

double kolmogorovSurvival(double lambda) {
  if (std::isnan(lambda)) return std::numeric_limits<double>::quiet_NaN();
  if (lambda <= 0) return 1.0;
  // The alternating series converges slowly for small lambda (and loses everything to
  // cancellation); the Jacobi-theta form of K(lambda) converges fast exactly there.
  if (lambda < 1.18) {
    const double pi = std::numbers::pi;
    const double f = -pi * pi / (8 * lambda * lambda);
    double k = 0;
    for (int j = 1; j <= 2 * 20; j += 2) {
      const double term = std::exp(f * j * j);
      k += term;
      if (term < 1e-17 * k) break;
    }
    return 1.0 - std::sqrt(2 * pi) / lambda * k;
  }
  double q = 0, sign = 1;
  for (int j = 1; j <= 100; ++j) {
    const double term = std::exp(-2.0 * j * j * lambda * lambda);
    q += sign * term;
    sign = -sign;
    if (term < 1e-17 * q) break;
  }
  return std::clamp(2 * q, 0.0, 1.0);
}

KsResult ksTwoSample(std::span<const float> a, std::span<const float> b, std::span<const float> weightsA,
                     std::span<const float> weightsB) {
  const Sample sa = prepare(a, weightsA, "A");
  const Sample sb = prepare(b, weightsB, "B");
  const auto weight = [](std::span<const float> w, std::size_t i) { return w.empty() ? 1.0 : static_cast<double>(w[i]); };

  // Walk the merged order one distinct value at a time: all events at that value (of both
  // samples) are added before the difference is measured, so ties never create a spurious step.
  double cumA = 0, cumB = 0, d = 0;
  std::size_t i = 0, j = 0;
  while (i < sa.order.size() || j < sb.order.size()) {
    float x;
    if (j == sb.order.size()) x = a[sa.order[i]];
    else if (i == sa.order.size()) x = b[sb.order[j]];
    else x = std::min(a[sa.order[i]], b[sb.order[j]]);
    while (i < sa.order.size() && a[sa.order[i]] == x) cumA += weight(weightsA, sa.order[i++]);
    while (j < sb.order.size() && b[sb.order[j]] == x) cumB += weight(weightsB, sb.order[j++]);
    d = std::max(d, std::abs(cumA / sa.total - cumB / sb.total));
  }

  KsResult r;
  r.statistic = d;
  r.effectiveSizeA = sa.total * sa.total / sa.totalSquares;
  r.effectiveSizeB = sb.total * sb.total / sb.totalSquares;
  r.effectiveSize = r.effectiveSizeA * r.effectiveSizeB / (r.effectiveSizeA + r.effectiveSizeB);
  r.pValue = kolmogorovSurvival(std::sqrt(r.effectiveSize) * d);
  return r;
}

}  // namespace hepsweep::metrics
