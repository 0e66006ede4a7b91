#pragma once
// Classifier metrics as physicists quote them. Scores: higher = more signal-like.
// Labels: 1 signal, 0 background. Weights: empty span = unweighted; negative weights allowed
// (the curve may then be non-monotone, which is reported as is, not clipped).
#include <span>
#include <vector>

namespace hepsweep::metrics {

struct Roc {
  // One point per distinct score threshold, from the highest threshold down, starting at (0,0)
  // (threshold = +inf) and ending at (1,1). fpr = background efficiency, tpr = signal efficiency
  // of the cut score >= threshold.
  std::vector<double> fpr, tpr, threshold;
};

Roc rocCurve(std::span<const float> scores, std::span<const float> labels,
             std::span<const float> weights = {});

// Area under the ROC curve, exact and tie-aware: equals the (weighted) probability that a random
// signal event scores above a random background event, ties counting one half.
double auc(std::span<const float> scores, std::span<const float> labels,
           std::span<const float> weights = {});
double auc(const Roc& roc);  // trapezoid over the curve's points (same value)

// Background efficiency at a given signal efficiency, linearly interpolated on the ROC curve.
double bkgEffAtSigEff(const Roc& roc, double signalEfficiency);

// Threshold whose cut reaches the signal efficiency (interpolated between ROC points).
double thresholdAtSigEff(const Roc& roc, double signalEfficiency);

struct Confusion {
  double truePositive = 0, falsePositive = 0, trueNegative = 0, falseNegative = 0;  // weighted sums
  double accuracy() const;
};

// Classification at score >= threshold.
Confusion confusion(std::span<const float> scores, std::span<const float> labels,
                    std::span<const float> weights, double threshold);

}  // namespace hepsweep::metrics
