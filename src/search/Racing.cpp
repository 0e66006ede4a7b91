#include "hepsweep/search/Racing.hpp"

#include <cmath>
#include <cstdio>
#include <numeric>

namespace hepsweep::search {

namespace {

double meanOf(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

bool allFinite(const std::vector<double>& v) {
  for (const double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

RaceReference raceReference(const std::vector<RacePoint>& points, int folds) {
  RaceReference r;
  double squares = 0;
  for (const RacePoint& p : points) {
    if (p.failed || p.folds.empty() || !allFinite(p.folds)) continue;
    const double m = meanOf(p.folds);
    if (static_cast<int>(p.folds.size()) >= folds && (!r.best || m < *r.best)) r.best = m;
    if (p.folds.size() < 2) continue;
    for (const double x : p.folds) squares += (x - m) * (x - m);
    r.spreadDegrees += static_cast<std::int64_t>(p.folds.size()) - 1;
  }
  if (r.spreadDegrees > 0) r.spread = std::sqrt(squares / static_cast<double>(r.spreadDegrees));
  return r;
}

std::optional<RaceDecision> raceOut(const RacePoint& point, const RaceReference& reference, int folds,
                                    const RacingOptions& options) {
  const int f = static_cast<int>(point.folds.size());
  if (!options.enabled || point.failed || f == 0 || f >= folds || f < options.minFolds) return std::nullopt;
  if (!reference.best || !reference.spread || !allFinite(point.folds)) return std::nullopt;
  RaceDecision d;
  d.mean = meanOf(point.folds);
  d.foldsTrained = f;
  d.spread = *reference.spread;
  d.best = *reference.best;
  d.bound = d.mean - options.z * d.spread / std::sqrt(static_cast<double>(f));
  // Strictly worse: a point whose bound ties the best stays in the race.
  if (!(d.bound > d.best)) return std::nullopt;
  return d;
}

std::string RaceDecision::describe() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "raced out after %d fold(s): mean %.6g, bound mean - z*s/sqrt(f) = %.6g > best complete mean %.6g "
                "(pooled fold spread s = %.6g)",
                foldsTrained, mean, bound, best, spread);
  return buf;
}

}  // namespace hepsweep::search
