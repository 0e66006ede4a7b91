#include "hepsweep/metrics/Metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::metrics {

namespace {

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void checkSizes(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights) {
  if (labels.size() != scores.size())
    throwInput(std::to_string(scores.size()) + " scores but " + std::to_string(labels.size()) + " labels");
  if (!weights.empty() && weights.size() != scores.size())
    throwInput(std::to_string(scores.size()) + " scores but " + std::to_string(weights.size()) + " weights");
}

bool isSignal(float label, std::size_t i) {
  if (label == 1.0f) return true;
  if (label == 0.0f) return false;
  throwInput("label at position " + std::to_string(i) + " is " + number(label) +
             "; labels must be 0 (background) or 1 (signal)");
}

struct Event {
  float score;
  float signalWeight;      // weight if signal, else 0
  float backgroundWeight;  // weight if background, else 0
};

// Sorts events by descending score. A stable LSD radix sort on the scores' bits (mapped to
// unsigned integers in the order of the floats): rocCurve and auc run on the validation split
// after every epoch, where std::sort of these structs was ~15 % of a tutorial-sized training.
// What moves is one 64-bit word per event (the key above its position, so the order of equal
// keys is kept by construction), in three passes of 11 bits whose counts are taken in one pass;
// the events are then put in that order once. Equal scores keep their input order; the ROC groups
// them anyway. NaN scores are rejected before.
void sortByScoreDescending(std::vector<Event>& ev) {
  const std::size_t n = ev.size();
  if (n < 64 || n > std::numeric_limits<std::uint32_t>::max()) {
    std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.score > b.score; });
    return;
  }
  constexpr int kBits = 11, kPasses = 3;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  std::vector<std::uint64_t> item(n), tmp(n);
  std::vector<std::uint32_t> count(kPasses * kBuckets, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t u;
    std::memcpy(&u, &ev[i].score, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);  // ascending order of the floats
    const std::uint32_t key = ~u;                       // descending
    item[i] = (std::uint64_t{key} << 32) | i;
    for (int d = 0; d < kPasses; ++d) ++count[d * kBuckets + ((key >> (d * kBits)) & (kBuckets - 1))];
  }
  for (int d = 0; d < kPasses; ++d) {
    std::uint32_t* c = count.data() + d * kBuckets;
    const int shift = 32 + d * kBits;
    if (c[(item[0] >> shift) & (kBuckets - 1)] == n) continue;  // one digit value: nothing to do
    std::uint32_t sum = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      const std::uint32_t k = c[b];
      c[b] = sum;
      sum += k;
    }
    for (std::size_t i = 0; i < n; ++i) tmp[c[(item[i] >> shift) & (kBuckets - 1)]++] = item[i];
    item.swap(tmp);
  }
  std::vector<Event> sorted(n);
  for (std::size_t i = 0; i < n; ++i) sorted[i] = ev[static_cast<std::uint32_t>(item[i])];
  ev.swap(sorted);
}

void checkRange(double signalEfficiency) {
  if (!(signalEfficiency >= 0.0 && signalEfficiency <= 1.0))
    throwConfig("signal efficiency " + number(signalEfficiency) + " must lie in [0, 1]");
}

void checkRoc(const Roc& roc) {
  if (roc.tpr.size() < 2 || roc.fpr.size() != roc.tpr.size() || roc.threshold.size() != roc.tpr.size())
    throw Error(ErrorCategory::Internal, "ROC curve with inconsistent or too few points");
}

// First point whose signal efficiency reaches `s` (exists: the last point has tpr = 1). With
// negative weights the curve may go back and forth; the first crossing is the tightest cut.
std::size_t firstReaching(const Roc& roc, double s) {
  for (std::size_t i = 0; i < roc.tpr.size(); ++i)
    if (roc.tpr[i] >= s) return i;
  return roc.tpr.size() - 1;
}

// The events by decreasing score, each with its weight in its class's slot.
std::vector<Event> sortedEvents(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights) {
  checkSizes(scores, labels, weights);
  std::vector<Event> ev(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i]))
      throwInput("score at position " + std::to_string(i) + " is NaN (did the training diverge?)");
    const float w = weights.empty() ? 1.0f : weights[i];
    if (!std::isfinite(w)) throwInput("weight at position " + std::to_string(i) + " is " + number(w));
    const bool sig = isSignal(labels[i], i);
    ev[i] = Event{scores[i], sig ? w : 0.0f, sig ? 0.0f : w};
  }
  sortByScoreDescending(ev);
  return ev;
}

// Walks the curve of sorted events: fn(s, b, threshold) for each distinct score, with the
// cumulative signal and background weight of the cut score >= threshold. Returns the totals.
template <class F>
std::pair<double, double> walkCurve(const std::vector<Event>& ev, F&& fn) {
  double s = 0.0, b = 0.0;
  for (std::size_t i = 0; i < ev.size();) {
    const float t = ev[i].score;
    for (; i < ev.size() && ev[i].score == t; ++i) {
      s += ev[i].signalWeight;
      b += ev[i].backgroundWeight;
    }
    fn(s, b, t);
  }
  return {s, b};
}

void checkTotals(double s, double b, std::size_t n) {
  if (!(s > 0.0) || !(b > 0.0))
    throwInput("ROC curve undefined: the summed weight of signal is " + number(s) + " and of background " +
               number(b) + " over " + std::to_string(n) + " events; both must be > 0");
}

}  // namespace

Roc rocCurve(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights) {
  const std::vector<Event> ev = sortedEvents(scores, labels, weights);
  Roc roc;
  // Exactly one point per distinct score, plus the origin: no growth slack in curves of 1M points.
  std::size_t points = 1;
  for (std::size_t i = 0; i < ev.size(); ++i) points += i == 0 || ev[i].score != ev[i - 1].score;
  roc.fpr.reserve(points);
  roc.tpr.reserve(points);
  roc.threshold.reserve(points);
  roc.fpr.push_back(0.0);
  roc.tpr.push_back(0.0);
  roc.threshold.push_back(std::numeric_limits<double>::infinity());
  const auto [s, b] = walkCurve(ev, [&](double cs, double cb, float t) {
    roc.tpr.push_back(cs);
    roc.fpr.push_back(cb);
    roc.threshold.push_back(t);
  });
  // Normalising by the final cumulative sums (not by separately summed totals) makes the last
  // point exactly (1, 1).
  checkTotals(s, b, ev.size());
  for (std::size_t k = 1; k < roc.tpr.size(); ++k) {
    roc.tpr[k] /= s;
    roc.fpr[k] /= b;
  }
  return roc;
}

double auc(const Roc& roc) {
  checkRoc(roc);
  double area = 0.0;
  for (std::size_t i = 1; i < roc.fpr.size(); ++i)
    area += (roc.fpr[i] - roc.fpr[i - 1]) * (roc.tpr[i] + roc.tpr[i - 1]);
  return 0.5 * area;
}

double auc(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights) {
  // Two walks over the sorted events instead of a stored curve (which would take 24 bytes per
  // distinct score): the first gives the totals, the second the same normalised points and the
  // same sum as auc(rocCurve(...)), so the two agree to the bit.
  const std::vector<Event> ev = sortedEvents(scores, labels, weights);
  const auto [s, b] = walkCurve(ev, [](double, double, float) {});
  checkTotals(s, b, ev.size());
  double area = 0.0, fpr = 0.0, tpr = 0.0;
  walkCurve(ev, [&](double cs, double cb, float) {
    const double f = cb / b, t = cs / s;
    area += (f - fpr) * (t + tpr);
    fpr = f;
    tpr = t;
  });
  return 0.5 * area;
}

double bkgEffAtSigEff(const Roc& roc, double signalEfficiency) {
  checkRange(signalEfficiency);
  checkRoc(roc);
  const std::size_t i = firstReaching(roc, signalEfficiency);
  if (i == 0) return roc.fpr[0];
  const double t0 = roc.tpr[i - 1], t1 = roc.tpr[i];
  const double frac = (signalEfficiency - t0) / (t1 - t0);  // t1 > t0 since tpr[i-1] < s <= tpr[i]
  return roc.fpr[i - 1] + frac * (roc.fpr[i] - roc.fpr[i - 1]);
}

double thresholdAtSigEff(const Roc& roc, double signalEfficiency) {
  checkRange(signalEfficiency);
  checkRoc(roc);
  const std::size_t i = firstReaching(roc, signalEfficiency);
  // Between the start (+inf) and the first real point there is nothing to interpolate with:
  // the loosest single threshold still reaching the efficiency is the highest score.
  if (i <= 1) return roc.threshold[i];
  const double t0 = roc.tpr[i - 1], t1 = roc.tpr[i];
  const double frac = (signalEfficiency - t0) / (t1 - t0);
  return roc.threshold[i - 1] + frac * (roc.threshold[i] - roc.threshold[i - 1]);
}

std::vector<std::size_t> thinCurve(std::size_t n, std::span<const std::vector<double>> coords,
                                   std::vector<std::size_t> mandatory, std::size_t maxPoints) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  if (n <= maxPoints || n <= 2) return all;
  mandatory.push_back(0);
  mandatory.push_back(n - 1);
  std::sort(mandatory.begin(), mandatory.end());
  mandatory.erase(std::unique(mandatory.begin(), mandatory.end()), mandatory.end());
  std::vector<char> keep(n, 0);
  for (const std::size_t i : mandatory)
    if (i < n) keep[i] = 1;
  // Each coordinate gets an equal share of the room; a point is kept when some coordinate moved by
  // at least its step since the last kept point.
  const std::size_t room = maxPoints > mandatory.size() ? maxPoints - mandatory.size() : 0;
  if (room > 0 && !coords.empty()) {
    std::vector<double> step(coords.size());
    for (std::size_t c = 0; c < coords.size(); ++c) {
      const auto [lo, hi] = std::minmax_element(coords[c].begin(), coords[c].end());
      step[c] = (*hi - *lo) * static_cast<double>(coords.size()) / static_cast<double>(room);
    }
    std::size_t last = 0;
    for (std::size_t i = 1; i < n; ++i) {
      bool moved = keep[i] != 0;
      for (std::size_t c = 0; c < coords.size() && !moved; ++c)
        moved = step[c] > 0 && std::abs(coords[c][i] - coords[c][last]) >= step[c];
      if (moved) {
        keep[i] = 1;
        last = i;
      }
    }
  }
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < n; ++i)
    if (keep[i]) kept.push_back(i);
  // Curves that go back and forth (negative weights) can exceed the budget: drop evenly among the
  // points that are not mandatory.
  if (kept.size() > maxPoints) {
    std::vector<std::size_t> optional;
    for (const std::size_t i : kept)
      if (!std::binary_search(mandatory.begin(), mandatory.end(), i)) optional.push_back(i);
    const std::size_t want = maxPoints > mandatory.size() ? maxPoints - mandatory.size() : 0;
    kept = mandatory;
    for (std::size_t k = 0; k < want; ++k) kept.push_back(optional[k * optional.size() / want]);
    std::sort(kept.begin(), kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  }
  return kept;
}

std::vector<double> log10Coordinate(const std::vector<double>& v) {
  double lowest = std::numeric_limits<double>::infinity();
  for (const double x : v)
    if (x > 0) lowest = std::min(lowest, x);
  // Zero sits a decade below the smallest positive value, so the first positive point (the
  // tightest cut with any background, the rejection plot's last point) is a move and kept.
  const double floorLog = std::isfinite(lowest) ? std::log10(lowest) - 1.0 : 0.0;
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[i] > 0 ? std::log10(v[i]) : floorLog;
  return out;
}

Roc thinRoc(const Roc& roc, std::span<const double> signalEfficiencies, std::size_t maxPoints) {
  if (roc.tpr.size() <= maxPoints) return roc;
  checkRoc(roc);
  std::vector<std::size_t> mandatory;
  for (const double e : signalEfficiencies) {
    checkRange(e);
    const std::size_t i = firstReaching(roc, e);
    mandatory.push_back(i);
    if (i > 0) mandatory.push_back(i - 1);
  }
  const std::vector<double> coords[3] = {roc.tpr, roc.fpr, log10Coordinate(roc.fpr)};
  const std::vector<std::size_t> kept = thinCurve(roc.tpr.size(), coords, std::move(mandatory), maxPoints);
  if (kept.size() == roc.tpr.size()) return roc;
  Roc out;
  for (const std::size_t i : kept) {
    out.fpr.push_back(roc.fpr[i]);
    out.tpr.push_back(roc.tpr[i]);
    out.threshold.push_back(roc.threshold[i]);
  }
  return out;
}

double Confusion::accuracy() const {
  const double total = truePositive + falsePositive + trueNegative + falseNegative;
  if (total == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return (truePositive + trueNegative) / total;
}

Confusion confusion(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
                    double threshold) {
  checkSizes(scores, labels, weights);
  Confusion c;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const double w = weights.empty() ? 1.0 : static_cast<double>(weights[i]);
    const bool predicted = static_cast<double>(scores[i]) >= threshold;
    if (isSignal(labels[i], i)) (predicted ? c.truePositive : c.falseNegative) += w;
    else (predicted ? c.falsePositive : c.trueNegative) += w;
  }
  return c;
}

}  // namespace hepsweep::metrics
