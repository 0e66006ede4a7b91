#include "hepsweep/search/EarlyStopping.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::search {

const char* toString(StoppingRule r) { return r == StoppingRule::Median ? "median" : "none"; }

std::vector<std::string> earlyStoppingRules() { return {toString(StoppingRule::None), toString(StoppingRule::Median)}; }

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

}  // namespace hepsweep::search
