#include "hepsweep/nn/Loss.hpp"

#include <cmath>
#include <string>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::nn {
namespace {

void checkShapes(Eigen::Index n, Eigen::Index labels, Eigen::Index weights, double normalizer,
                 const char* who) {
  if (labels != n || (weights != n && weights != 0))
    throw Error(ErrorCategory::Internal, std::string(who) + ": " + std::to_string(n) + " logits but " +
                                             std::to_string(labels) + " labels and " +
                                             std::to_string(weights) + " weights");
  if (!(normalizer > 0.0))
    throw Error(ErrorCategory::Internal,
                std::string(who) + ": normalizer must be positive, got " + std::to_string(normalizer));
}

// max(z,0) - z*y + log(1 + exp(-|z|)): never overflows, exact for large |z|.
inline double pointLoss(float z, float y) {
  const double zd = z;
  return std::max(zd, 0.0) - zd * static_cast<double>(y) + std::log1p(std::exp(-std::abs(zd)));
}

}  // namespace

double bceWithLogits(const Eigen::Ref<const Eigen::RowVectorXf>& logits,
                     const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                     const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer,
                     Eigen::Ref<Eigen::RowVectorXf> dlogits) {
  const Eigen::Index n = logits.size();
  checkShapes(n, labels.size(), weights.size(), normalizer, "bceWithLogits");
  if (dlogits.size() != n)
    throw Error(ErrorCategory::Internal, "bceWithLogits: dlogits has " + std::to_string(dlogits.size()) +
                                             " entries for " + std::to_string(n) + " logits");
  const bool weighted = weights.size() != 0;
  double sum = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double z = logits[i], y = labels[i];
    const double w = weighted ? weights[i] : 1.0;
    // exp(-|z|) is shared by the loss and the sigmoid; it never overflows.
    const double e = std::exp(-std::abs(z));
    const double sig = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    sum += w * (std::max(z, 0.0) - z * y + std::log1p(e));
    dlogits[i] = static_cast<float>(w * (sig - y) / normalizer);
  }
  return sum / normalizer;
}

double bceWithLogitsValue(const Eigen::Ref<const Eigen::RowVectorXf>& logits,
                          const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                          const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer) {
  const Eigen::Index n = logits.size();
  checkShapes(n, labels.size(), weights.size(), normalizer, "bceWithLogitsValue");
  const bool weighted = weights.size() != 0;
  double sum = 0.0;
  for (Eigen::Index i = 0; i < n; ++i)
    sum += (weighted ? static_cast<double>(weights[i]) : 1.0) * pointLoss(logits[i], labels[i]);
  return sum / normalizer;
}

}  // namespace hepsweep::nn
