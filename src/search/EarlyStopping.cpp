#include "hepsweep/search/EarlyStopping.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::search {

const char* toString(StoppingRule r) {
  switch (r) {
    case StoppingRule::Median: return "median";
    case StoppingRule::Asha: return "asha";
    case StoppingRule::Hyperband: return "hyperband";
    case StoppingRule::None: break;
  }
  return "none";
}

std::vector<std::string> earlyStoppingRules() {
  return {toString(StoppingRule::None), toString(StoppingRule::Median), toString(StoppingRule::Asha),
          toString(StoppingRule::Hyperband)};
}

std::vector<double> runningBest(std::span<const double> curve) {
  std::vector<double> out;
  out.reserve(curve.size());
  double best = std::numeric_limits<double>::infinity();
  for (const double v : curve) {
    if (std::isfinite(v)) best = std::min(best, v);
    out.push_back(best);
  }
  return out;
}

double median(std::vector<double> values) {
  if (values.empty()) throw Error(ErrorCategory::Internal, "median of no values");
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  // Two infinite middles would give inf - inf in the midpoint formula.
  if (lower == upper) return upper;
  return lower + (upper - lower) / 2;
}

MedianStoppingRule::MedianStoppingRule(const EarlyStoppingOptions& options) : options_(options) {
  if (options.graceEpochs < 1)
    throwConfig("search.early_stopping.grace_epochs must be >= 1 (got " + std::to_string(options.graceEpochs) + ")");
  if (options.minCompleted < 1)
    throwConfig("search.early_stopping.min_completed must be >= 1 (got " + std::to_string(options.minCompleted) + ")");
}

void MedianStoppingRule::addCompleted(std::span<const double> curve) {
  if (!curve.empty()) completed_.push_back(runningBest(curve));
}

std::optional<double> MedianStoppingRule::medianAt(int epoch) const {
  if (epoch < 1) throw Error(ErrorCategory::Internal, "medianAt: epoch " + std::to_string(epoch) + " < 1");
  if (completed_.size() < static_cast<std::size_t>(options_.minCompleted)) return std::nullopt;
  std::vector<double> at;
  at.reserve(completed_.size());
  for (const auto& c : completed_) at.push_back(c[std::min(c.size(), static_cast<std::size_t>(epoch)) - 1]);
  return median(std::move(at));
}

StopDecision MedianStoppingRule::check(std::span<const double> running) const {
  StopDecision d;
  d.epoch = static_cast<int>(running.size());
  if (running.empty()) return d;
  d.value = runningBest(running).back();
  if (d.epoch < options_.graceEpochs) return d;
  const auto m = medianAt(d.epoch);
  if (!m) return d;
  d.median = *m;
  d.compared = completed_.size();
  d.stop = d.value > d.median;
  return d;
}

namespace {

void checkHalving(const EarlyStoppingOptions& o) {
  if (o.minEpochs < 1)
    throwConfig("search.early_stopping.min_epochs must be >= 1 (got " + std::to_string(o.minEpochs) + ")");
  if (o.reductionFactor < 2)
    throwConfig("search.early_stopping.reduction_factor must be >= 2 (got " + std::to_string(o.reductionFactor) + ")");
}

}  // namespace

int haltingBrackets(const EarlyStoppingOptions& o, int maxEpochs) {
  checkHalving(o);
  if (maxEpochs < 1) throwConfig("train.epochs must be >= 1 (got " + std::to_string(maxEpochs) + ")");
  if (o.rule != StoppingRule::Hyperband) return 1;
  // Integer powers: log() would put r*eta^s == maxEpochs on either side by rounding.
  int s = 0;
  for (std::int64_t first = o.minEpochs; first * o.reductionFactor <= maxEpochs; first *= o.reductionFactor) ++s;
  return s + 1;
}

int bracketOf(std::int64_t point, int brackets) {
  if (brackets < 1 || point < 0)
    throw Error(ErrorCategory::Internal, "bracketOf(" + std::to_string(point) + ", " + std::to_string(brackets) + ")");
  return static_cast<int>(point % brackets);
}

bool rungPeers(std::int64_t a, std::int64_t b, int folds, int brackets) {
  if (folds < 1) throw Error(ErrorCategory::Internal, "rungPeers: folds " + std::to_string(folds));
  return a % folds == b % folds && bracketOf(a / folds, brackets) == bracketOf(b / folds, brackets);
}

std::vector<int> rungEpochs(const EarlyStoppingOptions& o, int maxEpochs, int bracket) {
  checkHalving(o);
  std::vector<int> out;
  std::int64_t epoch = o.minEpochs;
  for (int s = 0; s < bracket && epoch < maxEpochs; ++s) epoch *= o.reductionFactor;
  for (; epoch < maxEpochs; epoch *= o.reductionFactor) out.push_back(static_cast<int>(epoch));
  return out;
}

RungDecision rungDecision(int epoch, double value, std::span<const double> others, int reductionFactor) {
  if (reductionFactor < 2)
    throwConfig("search.early_stopping.reduction_factor must be >= 2 (got " + std::to_string(reductionFactor) + ")");
  const auto finite = [](double v) { return std::isfinite(v) ? v : std::numeric_limits<double>::infinity(); };
  std::vector<double> all;
  all.reserve(others.size() + 1);
  for (const double v : others) all.push_back(finite(v));
  RungDecision d;
  d.epoch = epoch;
  d.value = finite(value);
  all.push_back(d.value);
  d.compared = all.size();
  const std::size_t keep = std::max<std::size_t>(1, all.size() / static_cast<std::size_t>(reductionFactor));
  std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep - 1), all.end());
  d.cutoff = all[keep - 1];
  d.stop = d.value > d.cutoff;
  return d;
}

}  // namespace hepsweep::search
