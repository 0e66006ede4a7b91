#include "hepsweep/nn/Loss.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "kernels/KernelTable.hpp"

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

// sum_i w_i l_i / normalizer over blocks of events through the kernel's per-event terms (floats:
// polynomials of its own, the same bits on every kernel level), summed in double in event order.
// A block on the stack: the training loop allocates nothing.
double weightedSum(const float* z, const float* y, const float* w, Eigen::Index n, double normalizer, float* dlogits) {
  constexpr Eigen::Index kBlock = 256;
  float loss[kBlock];
  const kern::Table& t = kern::active();
  double sum = 0.0;
  for (Eigen::Index i0 = 0; i0 < n; i0 += kBlock) {
    kern::BceArgs a;
    a.n = std::min(kBlock, n - i0);
    a.logits = z + i0;
    a.labels = y + i0;
    a.weights = w ? w + i0 : nullptr;
    a.normalizer = static_cast<float>(normalizer);
    a.loss = loss;
    a.dlogits = dlogits ? dlogits + i0 : nullptr;
    t.bce(a);
    for (Eigen::Index i = 0; i < a.n; ++i)
      sum += (w ? static_cast<double>(w[i0 + i]) : 1.0) * static_cast<double>(loss[i]);
  }
  return sum / normalizer;
}

// The categorical cross-entropy's sum, and its gradient when `dlogits` is given.
double crossEntropySum(const Eigen::Ref<const Eigen::MatrixXf>& z, const Eigen::Ref<const Eigen::RowVectorXf>& y,
                       const Eigen::Ref<const Eigen::RowVectorXf>& w, double normalizer,
                       Eigen::Ref<Eigen::MatrixXf>* dlogits) {
  const Eigen::Index k = z.rows(), n = z.cols();
  double sum = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const float label = y[i];
    const auto c = static_cast<Eigen::Index>(label);
    if (!(label >= 0.0f) || static_cast<float>(c) != label || c >= k)
      throw Error(ErrorCategory::Internal, "softmaxCrossEntropy: label " + std::to_string(label) + " of event " +
                                               std::to_string(i) + " is not a class index of " + std::to_string(k));
    const double m = z.col(i).maxCoeff();
    double s = 0.0;
    for (Eigen::Index j = 0; j < k; ++j) s += std::exp(static_cast<double>(z(j, i)) - m);
    const double wi = w.size() ? static_cast<double>(w[i]) : 1.0;
    sum += wi * (std::log(s) - (static_cast<double>(z(c, i)) - m));
    if (dlogits) {
      const double f = wi / normalizer;
      for (Eigen::Index j = 0; j < k; ++j) {
        const double p = std::exp(static_cast<double>(z(j, i)) - m) / s;
        (*dlogits)(j, i) = static_cast<float>(f * (p - (j == c ? 1.0 : 0.0)));
      }
    }
  }
  return sum / normalizer;
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
  return weightedSum(logits.data(), labels.data(), weights.size() ? weights.data() : nullptr, n, normalizer,
                     dlogits.data());
}

double bceWithLogitsValue(const Eigen::Ref<const Eigen::RowVectorXf>& logits,
                          const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                          const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer) {
  const Eigen::Index n = logits.size();
  checkShapes(n, labels.size(), weights.size(), normalizer, "bceWithLogitsValue");
  return weightedSum(logits.data(), labels.data(), weights.size() ? weights.data() : nullptr, n, normalizer, nullptr);
}

double softmaxCrossEntropy(const Eigen::Ref<const Eigen::MatrixXf>& logits,
                           const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                           const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer,
                           Eigen::Ref<Eigen::MatrixXf> dlogits) {
  checkShapes(logits.cols(), labels.size(), weights.size(), normalizer, "softmaxCrossEntropy");
  if (dlogits.rows() != logits.rows() || dlogits.cols() != logits.cols())
    throw Error(ErrorCategory::Internal, "softmaxCrossEntropy: dlogits is " + std::to_string(dlogits.rows()) + " x " +
                                             std::to_string(dlogits.cols()) + " for " + std::to_string(logits.rows()) +
                                             " x " + std::to_string(logits.cols()) + " logits");
  return crossEntropySum(logits, labels, weights, normalizer, &dlogits);
}

double softmaxCrossEntropyValue(const Eigen::Ref<const Eigen::MatrixXf>& logits,
                                const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                                const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer) {
  checkShapes(logits.cols(), labels.size(), weights.size(), normalizer, "softmaxCrossEntropyValue");
  return crossEntropySum(logits, labels, weights, normalizer, nullptr);
}

}  // namespace hepsweep::nn
