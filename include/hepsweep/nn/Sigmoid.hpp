#pragma once
// The one sigmoid of the classifier's output, shared by training (Trainer::evaluate), Network::predict
// and the stored model's scorer (model::FoldScorer), so that the same logit gives the same score bit
// for bit everywhere. Written with exp(-|z|), which never overflows: 1 / (1 + exp(-z)) computes
// exp(88.8) = inf for z < -88.7 and loses the small scores' relative precision before that.
#include <cmath>

#include <Eigen/Core>

namespace hepsweep::nn {

inline float sigmoid(float z) {
  const float e = std::exp(-std::abs(z));
  return z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

// out[i] = sigmoid(logits[i]); out is resized.
inline void sigmoid(const Eigen::Ref<const Eigen::VectorXf>& logits, Eigen::VectorXf& out) {
  out.resize(logits.size());
  for (Eigen::Index i = 0; i < logits.size(); ++i) out[i] = sigmoid(logits[i]);
}

// The softmax of a multi-class network's logits, shared as sigmoid is: probabilities[k] =
// exp(z_k - max z) / sum_j exp(z_j - max z), summed in double in class order (no overflow; the
// same bits wherever it is called).
inline void softmax(const Eigen::Ref<const Eigen::VectorXf>& logits, Eigen::Ref<Eigen::VectorXf> probabilities) {
  const float m = logits.maxCoeff();
  double sum = 0.0;
  for (Eigen::Index k = 0; k < logits.size(); ++k) sum += std::exp(static_cast<double>(logits[k] - m));
  for (Eigen::Index k = 0; k < logits.size(); ++k)
    probabilities[k] = static_cast<float>(std::exp(static_cast<double>(logits[k] - m)) / sum);
}

}  // namespace hepsweep::nn
