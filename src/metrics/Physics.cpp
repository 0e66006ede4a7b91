#include "hepsweep/metrics/Physics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/metrics/Metrics.hpp"

namespace hepsweep::metrics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void checkSizes(std::size_t n, std::span<const float> labels, std::span<const float> weights, const char* what) {
  if (labels.size() != n)
    throwInput(std::to_string(n) + " " + what + " but " + std::to_string(labels.size()) + " labels");
  if (!weights.empty() && weights.size() != n)
    throwInput(std::to_string(n) + " " + what + " but " + std::to_string(weights.size()) + " weights");
}

bool isSignal(float label, std::size_t i) {
  if (label == 1.0f) return true;
  if (label == 0.0f) return false;
  throwInput("label at position " + std::to_string(i) + " is " + number(label) +
             "; labels must be 0 (background) or 1 (signal)");
}

double weightAt(std::span<const float> weights, std::size_t i) {
  if (weights.empty()) return 1.0;
  const double w = weights[i];
  if (!std::isfinite(w)) throwInput("weight at position " + std::to_string(i) + " is " + number(w));
  return w;
}

}  // namespace

Moments weightedMoments(std::span<const float> values, std::span<const float> weights) {
  if (!weights.empty() && weights.size() != values.size())
    throwInput(std::to_string(values.size()) + " values but " + std::to_string(weights.size()) + " weights");
  Moments m;
  m.count = values.size();
  if (values.empty()) {
    m.mean = m.std = m.min = m.max = kNaN;
    return m;
  }
  m.min = m.max = values[0];
  double sx = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double w = weightAt(weights, i), x = values[i];
    m.sumWeights += w;
    sx += w * x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  if (!(m.sumWeights > 0)) {
    m.mean = m.std = kNaN;
    return m;
  }
  m.mean = sx / m.sumWeights;
  // Two passes: the one-pass formula loses all digits for columns with a large offset (masses in MeV).
  double sxx = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double d = values[i] - m.mean;
    sxx += weightAt(weights, i) * d * d;
  }
  const double var = sxx / m.sumWeights;
  m.std = var >= 0 ? std::sqrt(var) : kNaN;
  return m;
}

double separation(std::span<const double> s, std::span<const double> b) {
  if (s.size() != b.size())
    throw Error(ErrorCategory::Internal, "separation of histograms with different bin counts");
  double ns = 0, nb = 0;
  for (double v : s) ns += v;
  for (double v : b) nb += v;
  if (!(ns > 0) || !(nb > 0))
    throwInput("separation undefined: summed signal weight " + number(ns) + ", background " + number(nb) +
               "; both must be > 0");
  double sum = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double ps = s[i] / ns, pb = b[i] / nb;
    if (ps + pb > 0) sum += (ps - pb) * (ps - pb) / (ps + pb);
  }
  return 0.5 * sum;
}

std::size_t SeparationHistograms::filledBins() const {
  std::size_t k = 0;
  for (std::size_t i = 0; i < signal.size(); ++i) k += signal[i] != 0 || background[i] != 0;
  return k;
}

SeparationHistograms separationHistograms(std::span<const float> values, std::span<const float> labels,
                                          std::span<const float> weights, int bins) {
  checkSizes(values.size(), labels, weights, "values");
  if (bins < 1) throwConfig("separation needs at least 1 bin, got " + std::to_string(bins));
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, ws = 0, wb = 0, sw = 0, swx = 0;
  bool integer = true;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = values[i];
    if (!std::isfinite(x)) throwInput("value at position " + std::to_string(i) + " is " + number(x));
    const double w = weightAt(weights, i);
    (isSignal(labels[i], i) ? ws : wb) += w;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    integer = integer && x == std::nearbyint(x);
    sw += w;
    swx += w * x;
  }
  if (!(ws > 0) || !(wb > 0))
    throwInput("separation undefined: summed signal weight " + number(ws) + ", background " + number(wb) +
               "; both must be > 0");
  SeparationHistograms h;
  int n = bins;
  if (integer && hi - lo + 1 <= 2.0 * bins) {
    h.integer = true;
    h.low = lo;
    h.high = hi + 1;
    n = static_cast<int>(hi - lo) + 1;
  } else {
    // Two passes for the variance: masses in MeV lose every digit in E[x^2] - E[x]^2.
    const double mean = sw > 0 ? swx / sw : std::numeric_limits<double>::quiet_NaN();
    double sxx = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double d = values[i] - mean;
      sxx += weightAt(weights, i) * d * d;
    }
    const double var = sxx / sw;
    h.low = lo;
    h.high = hi;
    if (std::isfinite(mean) && var >= 0) {
      const double rms = var > 0 ? std::sqrt(var) : 0.0;
      h.low = std::max(lo, mean - kSeparationRmsRange * rms);
      h.high = std::min(hi, mean + kSeparationRmsRange * rms);
    }
    if (h.low >= h.high) h.high = h.low * 1.1;
    if (h.low >= h.high) h.high = h.low + 1;
    h.high += (h.high - h.low) / bins;
  }
  h.signal.assign(static_cast<std::size_t>(n), 0.0);
  h.background = h.signal;
  const double span = h.high - h.low;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = values[i];
    if (x < h.low || !(x < h.high)) continue;
    // n (x - low) / span < n in exact arithmetic; the min guards the rounding.
    const auto k = std::min(static_cast<std::size_t>(n * (x - h.low) / span), static_cast<std::size_t>(n - 1));
    (isSignal(labels[i], i) ? h.signal : h.background)[k] += weightAt(weights, i);
  }
  return h;
}

double separation(std::span<const float> values, std::span<const float> labels, std::span<const float> weights,
                  int bins) {
  return separation(separationHistograms(values, labels, weights, bins));
}

double separation(const SeparationHistograms& h) {
  double ns = 0, nb = 0;
  for (double v : h.signal) ns += v;
  for (double v : h.background) nb += v;
  if (!(ns > 0) || !(nb > 0)) return kNaN;
  return separation(std::span<const double>(h.signal), std::span<const double>(h.background));
}

double weightedCorrelation(std::span<const float> x, std::span<const float> y, std::span<const float> weights) {
  checkSizes(x.size(), y, weights, "x values");
  double sw = 0, sx = 0, sy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double w = weightAt(weights, i);
    sw += w;
    sx += w * x[i];
    sy += w * y[i];
  }
  if (!(sw > 0)) return kNaN;
  const double mx = sx / sw, my = sy / sw;
  double cxx = 0, cyy = 0, cxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double w = weightAt(weights, i), dx = x[i] - mx, dy = y[i] - my;
    cxx += w * dx * dx;
    cyy += w * dy * dy;
    cxy += w * dx * dy;
  }
  if (!(cxx > 0) || !(cyy > 0)) return kNaN;
  // Rounding can push |r| a hair above 1 for exact copies; clamp so that r = 1 compares equal.
  return std::clamp(cxy / std::sqrt(cxx * cyy), -1.0, 1.0);
}

double ams(double s, double b, double br) {
  const double bb = b + br;
  if (!(bb > 0)) return kNaN;
  if (!(s > 0)) return 0.0;
  const double radicand = 2.0 * ((s + bb) * std::log1p(s / bb) - s);
  // (1 + x) ln(1 + x) - x >= 0 for x > 0; guard against rounding below 0 for tiny s/b.
  return std::sqrt(std::max(radicand, 0.0));
}

double sOverSqrtB(double s, double b) { return b > 0 ? s / std::sqrt(b) : kNaN; }

namespace {

// The AMS scan's walk, shared by amsScan and bestAms so that both see the same events in the same
// order: `reserve(distinct)` once, then point(threshold, s, b, ams) per distinct score, from the
// highest. Fills the totals.
template <class Reserve, class Point>
void walkAms(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
             double regularisation, double& totalSignal, double& totalBackground, Reserve&& reserve, Point&& point) {
  checkSizes(scores.size(), labels, weights, "scores");
  if (!std::isfinite(regularisation))
    throwConfig("AMS regularisation b_r must be finite, got " + number(regularisation));
  // 12 bytes an event (the weights are floats already); the curve is reserved at its exact size.
  struct Event {
    float score, weight;
    bool signal;
  };
  std::vector<Event> ev(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i])) throwInput("score at position " + std::to_string(i) + " is NaN");
    const double w = weightAt(weights, i);
    const bool sig = isSignal(labels[i], i);
    ev[i] = Event{scores[i], static_cast<float>(w), sig};
    (sig ? totalSignal : totalBackground) += w;
  }
  if (!(totalSignal > 0) || !(totalBackground > 0))
    throwInput("AMS undefined: the summed signal weight is " + number(totalSignal) + " and background " +
               number(totalBackground) + " over " + std::to_string(ev.size()) + " events; both must be > 0");
  std::sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.score > b.score; });
  std::size_t distinct = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) distinct += i == 0 || ev[i].score != ev[i - 1].score;
  reserve(distinct);
  double s = 0, b = 0;
  for (std::size_t i = 0; i < ev.size();) {
    const float t = ev[i].score;
    for (; i < ev.size() && ev[i].score == t; ++i) (ev[i].signal ? s : b) += static_cast<double>(ev[i].weight);
    point(t, s, b, ams(s, b, regularisation));
  }
}

}  // namespace

AmsScan amsScan(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
                double regularisation) {
  AmsScan scan;
  scan.regularisation = regularisation;
  double bestAms = -1;
  walkAms(
      scores, labels, weights, regularisation, scan.totalSignal, scan.totalBackground,
      [&](std::size_t distinct) {
        scan.threshold.reserve(distinct);
        scan.signal.reserve(distinct);
        scan.background.reserve(distinct);
        scan.ams.reserve(distinct);
      },
      [&](float t, double s, double b, double a) {
        if (a > bestAms) {
          bestAms = a;
          scan.best = scan.threshold.size();
        }
        scan.threshold.push_back(t);
        scan.signal.push_back(s);
        scan.background.push_back(b);
        scan.ams.push_back(a);
      });
  return scan;
}

double bestAms(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
               double regularisation) {
  double totalSignal = 0, totalBackground = 0, best = -1, first = 0;
  bool any = false;
  walkAms(scores, labels, weights, regularisation, totalSignal, totalBackground, [](std::size_t) {},
          [&](float, double, double, double a) {
            if (!any) first = a;
            any = true;
            if (a > best) best = a;
          });
  // amsScan's best point is the first whose AMS beats -1; an AMS that never does (NaN) leaves it at
  // the first point.
  return best > -1 ? best : first;
}

std::optional<double> parseBkgEffObjective(std::string_view objective) {
  constexpr std::string_view prefix = "bkg_eff@sig_eff=";
  if (objective.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view text = objective.substr(prefix.size());
  // from_chars, unlike stod, takes no leading blanks, "+", hex or locale: the text must be a plain number.
  double x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !(x > 0 && x < 1)) return std::nullopt;
  return x;
}

std::vector<float> scaleByClass(std::span<const float> labels, std::span<const float> weights, double signalFactor,
                                double backgroundFactor) {
  checkSizes(labels.size(), labels, weights, "labels");
  std::vector<float> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i)
    out[i] = static_cast<float>(weightAt(weights, i) * (isSignal(labels[i], i) ? signalFactor : backgroundFactor));
  return out;
}

AmsScan thinAmsScan(const AmsScan& scan, std::size_t maxPoints) {
  const std::size_t n = scan.ams.size();
  const std::vector<double> coords[3] = {scan.threshold, scan.signal, scan.background};
  std::vector<std::size_t> kept = thinCurve(n, coords, {scan.best}, maxPoints);
  if (kept.size() == n) return scan;
  AmsScan out;
  out.totalSignal = scan.totalSignal;
  out.totalBackground = scan.totalBackground;
  out.regularisation = scan.regularisation;
  for (const std::size_t i : kept) {
    if (i == scan.best) out.best = out.ams.size();
    out.threshold.push_back(scan.threshold[i]);
    out.signal.push_back(scan.signal[i]);
    out.background.push_back(scan.background[i]);
    out.ams.push_back(scan.ams[i]);
  }
  return out;
}

}  // namespace hepsweep::metrics
