#pragma once
// Classifier metrics as physicists quote them. Scores: higher = more signal-like.
// Labels: 1 signal, 0 background (anything else: Error(Input) naming the position). Weights:
// empty span = unweighted; negative weights allowed (e.g. NLO generators): the cumulative sums
// are used as they are, so the curve may be non-monotone and efficiencies may leave [0, 1]
// between the end points; nothing is clipped. Sums are accumulated in double; rocCurve/auc sort
// once, O(n log n).
// Errors: size mismatch, NaN score, non-finite weight, or a class whose summed weight is <= 0
// (the efficiencies would be undefined) throw Error(Input).
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

// Background efficiency at a given signal efficiency, linearly interpolated on the ROC curve
// between the first point reaching that signal efficiency and the one before (with negative
// weights: the first crossing). 0 -> 0, 1 -> background efficiency of the loosest cut that keeps
// all signal. Outside [0, 1] (or NaN): Error(Config).
double bkgEffAtSigEff(const Roc& roc, double signalEfficiency);

// Threshold whose cut reaches the signal efficiency (interpolated between ROC points). 0 gives
// +inf; between (0,0) and the first point it gives the highest score. Outside [0, 1]: Error(Config).
double thresholdAtSigEff(const Roc& roc, double signalEfficiency);

struct Confusion {
  double truePositive = 0, falsePositive = 0, trueNegative = 0, falseNegative = 0;  // weighted sums
  double accuracy() const;  // (TP + TN) / total; NaN when the total weight is 0
};

// Classification at score >= threshold; weights empty = unweighted.
Confusion confusion(std::span<const float> scores, std::span<const float> labels,
                    std::span<const float> weights, double threshold);

}  // namespace hepsweep::metrics
