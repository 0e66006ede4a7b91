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
// unsigned integers in the order of the floats): rocCurve runs on the validation split after every
// epoch, where std::sort of these structs was ~15 % of a tutorial-sized training. Equal scores keep
// their input order; the ROC groups them anyway. NaN scores are rejected before.
void sortByScoreDescending(std::vector<Event>& ev) {
  const std::size_t n = ev.size();
  if (n < 64) {
    std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.score > b.score; });
    return;
  }
  std::vector<std::uint32_t> key(n), keyTmp(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t u;
    std::memcpy(&u, &ev[i].score, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);  // ascending order of the floats
    key[i] = ~u;                                        // descending
  }
  std::vector<Event> tmp(n);
  for (int shift = 0; shift < 32; shift += 8) {
    std::size_t count[257] = {};
    for (std::size_t i = 0; i < n; ++i) ++count[((key[i] >> shift) & 0xffu) + 1];
    if (count[((key[0] >> shift) & 0xffu) + 1] == n) continue;  // one digit value: nothing to do
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = count[(key[i] >> shift) & 0xffu]++;
      tmp[at] = ev[i];
      keyTmp[at] = key[i];
    }
    ev.swap(tmp);
    key.swap(keyTmp);
  }
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

}  // namespace

Roc rocCurve(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights) {
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

  Roc roc;
  roc.fpr.push_back(0.0);
  roc.tpr.push_back(0.0);
  roc.threshold.push_back(std::numeric_limits<double>::infinity());
  double s = 0.0, b = 0.0;
  for (std::size_t i = 0; i < ev.size();) {
    const float t = ev[i].score;
    for (; i < ev.size() && ev[i].score == t; ++i) {
      s += ev[i].signalWeight;
      b += ev[i].backgroundWeight;
    }
    roc.tpr.push_back(s);
    roc.fpr.push_back(b);
    roc.threshold.push_back(t);
  }
  // Normalising by the final cumulative sums (not by separately summed totals) makes the last
  // point exactly (1, 1).
  if (!(s > 0.0) || !(b > 0.0))
    throwInput("ROC curve undefined: the summed weight of signal is " + number(s) + " and of background " +
               number(b) + " over " + std::to_string(ev.size()) + " events; both must be > 0");
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
  return auc(rocCurve(scores, labels, weights));
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
