#include "hepsweep/search/Racing.hpp"

#include <cmath>
#include <cstdio>
#include <numeric>

#include "hepsweep/core/Error.hpp"

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

RaceClaim claimRaceItem(const std::vector<RaceQueueEntry>& queue, std::int64_t points, const ItemResults& results,
                        const RacingOptions& options) {
  const int k = results.folds;
  if (k < 1 || points < 0) throw Error(ErrorCategory::Internal, "claimRaceItem: folds " + std::to_string(k));
  const auto pointCount = static_cast<std::size_t>(points);
  // Every point's finished folds, for the reference (best complete mean, pooled spread).
  std::vector<RacePoint> race(pointCount);
  std::vector<int> finishedFolds(pointCount, 0);  // folds finished in a row from fold 0 (done, failed or raced out)
  std::vector<bool> racedOut(pointCount, false), decidedNow(pointCount, false);
  for (std::int64_t id = 0; id < points * k; ++id) {
    const auto p = static_cast<std::size_t>(id / k);
    const auto o = results.read(id);
    if (!o) continue;
    if (o->racedOut) racedOut[p] = true;
    else if (o->objective) race[p].folds.push_back(*o->objective);
    else race[p].failed = true;
    if (finishedFolds[p] == id % k) ++finishedFolds[p];
  }
  const RaceReference reference = raceReference(race, k);

  RaceClaim claim;
  bool inFlight = false;
  for (std::size_t i = 0; i < queue.size(); ++i) {
    const std::int64_t id = queue[i].item;
    if (id < 0 || id >= points * k)
      throw Error(ErrorCategory::Internal, "claimRaceItem: item " + std::to_string(id) + " outside the pass");
    const auto p = static_cast<std::size_t>(id / k);
    const int fold = static_cast<int>(id % k);
    const bool finished = results.read(id).has_value();
    if (queue[i].handedOut) {
      inFlight = inFlight || !finished;
      continue;
    }
    if (finished) continue;
    if (racedOut[p]) {
      // Decided in this call: the caller records every later fold with the decision.
      if (!decidedNow[p]) claim.racedOut.push_back({static_cast<std::int64_t>(p), fold, std::nullopt});
      continue;
    }
    if (finishedFolds[p] < fold) continue;  // the previous fold is not finished yet
    if (auto decision = raceOut(race[p], reference, k, options)) {
      claim.racedOut.push_back({static_cast<std::int64_t>(p), fold, std::move(decision)});
      racedOut[p] = decidedNow[p] = true;
      continue;
    }
    claim.kind = RaceClaim::Kind::Item;
    claim.index = i;
    return claim;
  }
  claim.kind = inFlight ? RaceClaim::Kind::Wait : RaceClaim::Kind::None;
  return claim;
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
