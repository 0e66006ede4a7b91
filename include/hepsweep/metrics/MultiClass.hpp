#pragma once
// Metrics of a multi-class classifier: one-vs-rest ROC curves and AUCs (class k against all the
// others, on the probability of class k), their mean (the campaign's val_auc for multi-class
// networks) and the confusion matrix of the argmax. Scores are event-major: the K class
// probabilities of event i are scores[i * K .. i * K + K), as a (K x events) column-major matrix
// of the network's outputs lays them out.
#include <cstddef>
#include <span>
#include <vector>

#include "hepsweep/metrics/Metrics.hpp"

namespace hepsweep::metrics {

// Class k's one-vs-rest ROC: signal = events of class k, background = all others, score = the
// probability of class k. Labels are class indices 0 .. classes-1; weights empty = unweighted.
// Error(Internal) for scores not classes x labels, or a label outside the classes.
Roc oneVsRestRoc(std::span<const float> scores, std::size_t classes, std::span<const float> labels, std::size_t k,
                 std::span<const float> weights = {});

// The one-vs-rest AUC of every class (auc() on each class's scores: exact, tie-aware; equal to
// sklearn.metrics.roc_auc_score(labels == k, scores[:, k], sample_weight=weights)). A class with
// no events, or whose complement has none, gives NaN.
std::vector<double> oneVsRestAuc(std::span<const float> scores, std::size_t classes, std::span<const float> labels,
                                 std::span<const float> weights = {});
// Their mean over the classes (sklearn's roc_auc_score(..., multi_class="ovr", average="macro")).
double meanOneVsRestAuc(std::span<const float> scores, std::size_t classes, std::span<const float> labels,
                        std::span<const float> weights = {});

// The predicted class: the index of the largest score (the first on ties, as numpy.argmax).
std::size_t argmaxClass(std::span<const float> eventScores);

// Confusion matrix of the argmax, classes x classes row-major: entry (t, p) is the summed weight
// of events of true class t predicted as p (sklearn.metrics.confusion_matrix(labels, argmax,
// sample_weight=weights)); weights empty = counts.
std::vector<double> confusionMatrix(std::span<const float> scores, std::size_t classes, std::span<const float> labels,
                                    std::span<const float> weights = {});

}  // namespace hepsweep::metrics
