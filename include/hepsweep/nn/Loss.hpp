#pragma once
#include <Eigen/Core>

namespace hepsweep::nn {

// Binary cross-entropy on logits, numerically stable for any logit:
//   l_i = max(z,0) - z*y + log(1 + exp(-|z|)),
// loss = (1/N) * sum_i w_i * l_i  (PyTorch's BCEWithLogitsLoss(weight=w, reduction='mean') and
// Keras' sum-over-batch-size with sample weights), N = `normalizer` (the global batch size; pass
// the micro-batch's share when the gradient is summed over micro-batches).
// Writes dLoss/dz_i = w_i * (sigmoid(z_i) - y_i) / N into `dlogits` (same size as logits).
// Returns sum_i w_i * l_i / N. Negative weights are allowed; an empty `weights` means w_i = 1.
// Each event's term and gradient are computed in float (exp and log1p by the kernel's own
// polynomials, correct to a few float ulps, the same bits on every kernel level); the weighted
// sum runs in double precision in event order.
double bceWithLogits(const Eigen::Ref<const Eigen::RowVectorXf>& logits,
                     const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                     const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer,
                     Eigen::Ref<Eigen::RowVectorXf> dlogits);

// Loss value only (validation).
double bceWithLogitsValue(const Eigen::Ref<const Eigen::RowVectorXf>& logits,
                          const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                          const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer);

// Categorical cross-entropy on the logits of a multi-class network (K x N, one column per event),
// labels the class indices 0 .. K-1 (as floats, as data::Dataset holds them):
//   l_i = log(sum_k exp(z_ki)) - z_{y_i, i},  loss = (1/N) sum_i w_i l_i
// (PyTorch's CrossEntropyLoss(reduction='none') weighted and divided by N, as bceWithLogits).
// Writes dLoss/dz_ki = w_i (softmax(z_i)_k - [k == y_i]) / N into `dlogits` (K x N) and returns
// the loss. Each event's terms are computed in double after subtracting its largest logit (no
// overflow), the weighted sum in double in event order. An empty `weights` means w_i = 1; a label
// outside 0 .. K-1 is Error(Internal) (the readers refuse such files).
double softmaxCrossEntropy(const Eigen::Ref<const Eigen::MatrixXf>& logits,
                           const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                           const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer,
                           Eigen::Ref<Eigen::MatrixXf> dlogits);

// Loss value only (validation).
double softmaxCrossEntropyValue(const Eigen::Ref<const Eigen::MatrixXf>& logits,
                                const Eigen::Ref<const Eigen::RowVectorXf>& labels,
                                const Eigen::Ref<const Eigen::RowVectorXf>& weights, double normalizer);

}  // namespace hepsweep::nn
