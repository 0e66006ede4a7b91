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

// Curves of a bounded size for files and plots, whatever the number of events: at most
// `maxPoints` points (when `mandatory` leaves room), always the end points and the points in
// `mandatory`, and otherwise spaced along each coordinate in `coords` (each scaled to its own
// range first; a coordinate given as log10 spaces by decades). Indices ascending.
std::vector<std::size_t> thinCurve(std::size_t n, std::span<const std::vector<double>> coords,
                                   std::vector<std::size_t> mandatory, std::size_t maxPoints);
// Coordinates of thinCurve: log10 of each positive value; values <= 0 sit one decade below the
// smallest positive one (the low end of the axis).
std::vector<double> log10Coordinate(const std::vector<double>& v);

// The ROC curve at most `maxPoints` points long (a curve that short comes back unchanged), spaced
// in signal efficiency, background efficiency and log10 of the background efficiency (the
// rejection plot's axis), keeping the two points around every efficiency in
// `signalEfficiencies`: bkgEffAtSigEff and thresholdAtSigEff on the result equal those on `roc`.
// The AUC is no longer exact on the result: compute it on the events (auc(scores, labels)).
Roc thinRoc(const Roc& roc, std::span<const double> signalEfficiencies, std::size_t maxPoints = 2000);

struct Confusion {
  double truePositive = 0, falsePositive = 0, trueNegative = 0, falseNegative = 0;  // weighted sums
  double accuracy() const;  // (TP + TN) / total; NaN when the total weight is 0
};

// Classification at score >= threshold; weights empty = unweighted.
Confusion confusion(std::span<const float> scores, std::span<const float> labels,
                    std::span<const float> weights, double threshold);

}  // namespace hepsweep::metrics
