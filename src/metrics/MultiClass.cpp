#include "hepsweep/metrics/MultiClass.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::metrics {
namespace {

std::size_t checkedClass(float label, std::size_t classes, std::size_t event) {
  const auto c = static_cast<std::size_t>(label);
  if (!(label >= 0.0f) || static_cast<float>(c) != label || c >= classes)
    throw Error(ErrorCategory::Internal, "multi-class metrics: label " + std::to_string(label) + " of event " +
                                             std::to_string(event) + " is not a class index below " +
                                             std::to_string(classes));
  return c;
}

void checkShapes(std::span<const float> scores, std::size_t classes, std::span<const float> labels,
                 std::span<const float> weights) {
  if (classes < 2 || scores.size() != classes * labels.size() || (!weights.empty() && weights.size() != labels.size()))
    throw Error(ErrorCategory::Internal, "multi-class metrics: " + std::to_string(scores.size()) + " scores, " +
                                             std::to_string(labels.size()) + " labels, " +
                                             std::to_string(weights.size()) + " weights for " +
                                             std::to_string(classes) + " classes");
}

// Class k's column of scores and its 1/0 labels.
void oneVsRest(std::span<const float> scores, std::size_t classes, std::span<const float> labels, std::size_t k,
               std::vector<float>& s, std::vector<float>& y) {
  const std::size_t n = labels.size();
  s.resize(n);
  y.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = scores[i * classes + k];
    y[i] = checkedClass(labels[i], classes, i) == k ? 1.0f : 0.0f;
  }
}

}  // namespace

Roc oneVsRestRoc(std::span<const float> scores, std::size_t classes, std::span<const float> labels, std::size_t k,
                 std::span<const float> weights) {
  checkShapes(scores, classes, labels, weights);
  if (k >= classes) throw Error(ErrorCategory::Internal, "oneVsRestRoc: class " + std::to_string(k) + " of " + std::to_string(classes));
  std::vector<float> s, y;
  oneVsRest(scores, classes, labels, k, s, y);
  return rocCurve(s, y, weights);
}

std::vector<double> oneVsRestAuc(std::span<const float> scores, std::size_t classes, std::span<const float> labels,
                                 std::span<const float> weights) {
  checkShapes(scores, classes, labels, weights);
  std::vector<double> out;
  std::vector<float> s, y;
  for (std::size_t k = 0; k < classes; ++k) {
    oneVsRest(scores, classes, labels, k, s, y);
    std::size_t positives = 0;
    for (const float v : y) positives += v > 0.5f;
    out.push_back(positives == 0 || positives == y.size() ? std::numeric_limits<double>::quiet_NaN()
                                                          : auc(s, y, weights));
  }
  return out;
}

double meanOneVsRestAuc(std::span<const float> scores, std::size_t classes, std::span<const float> labels,
                        std::span<const float> weights) {
  const std::vector<double> a = oneVsRestAuc(scores, classes, labels, weights);
  double sum = 0.0;
  for (const double v : a) sum += v;
  return sum / static_cast<double>(a.size());
}

std::size_t argmaxClass(std::span<const float> eventScores) {
  std::size_t best = 0;
  for (std::size_t k = 1; k < eventScores.size(); ++k)
    if (eventScores[k] > eventScores[best]) best = k;
  return best;
}

std::vector<double> confusionMatrix(std::span<const float> scores, std::size_t classes, std::span<const float> labels,
                                    std::span<const float> weights) {
  checkShapes(scores, classes, labels, weights);
  std::vector<double> m(classes * classes, 0.0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::size_t t = checkedClass(labels[i], classes, i);
    const std::size_t p = argmaxClass(scores.subspan(i * classes, classes));
    m[t * classes + p] += weights.empty() ? 1.0 : static_cast<double>(weights[i]);
  }
  return m;
}

}  // namespace hepsweep::metrics
