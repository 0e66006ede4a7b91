#pragma once
// Weighted statistics and significance as physicists quote them: TMVA's separation, weighted
// moments and Pearson correlation, the HiggsML approximate median significance (AMS), s/sqrt(b),
// and the score cut that maximises the AMS.
//
// Labels: 1 signal, 0 background (anything else: Error(Input) naming the position). Weights:
// empty span = unweighted. All sums are accumulated in double.
//
// Negative weights (NLO generators, sWeights) are used as they are, never clipped or dropped:
// a negative-weight event lowers the sums it enters. The consequences, by function:
//  - moments: the mean and variance use the signed weights; a weighted variance that comes out
//    <= 0 gives std = NaN (not 0), and a class whose summed weight is <= 0 gives NaN moments;
//  - separation: histogram bins may have negative contents; a bin whose normalised s + b is <= 0
//    contributes nothing (as in TMVA::Tools::GetSeparation, which skips s + b <= 0); the binning's
//    mean and RMS are weighted too (summed weight <= 0 or a negative variance: the range is
//    [min, max] without the 8 RMS cut);
//  - correlation: NaN when a weighted variance is <= 0;
//  - AMS scan: the cumulative s and b may go down as the cut loosens; points where s <= 0 have
//    AMS 0 (no excess, as the one-sided discovery test q0 = 0 for a deficit) and points where
//    b + b_r <= 0 have AMS NaN and are never chosen as the best cut.
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace hepsweep::metrics {

// Weighted mean, standard deviation (population: sqrt(sum w (x - mean)^2 / sum w), like ROOT's
// TH1::GetStdDev with weights and numpy.average), minimum and maximum of `values` (weights ignored
// for min/max), and the summed weight. Empty input or summed weight <= 0: mean/std NaN.
struct Moments {
  double sumWeights = 0, mean = 0, std = 0, min = 0, max = 0;
  std::size_t count = 0;
};
Moments weightedMoments(std::span<const float> values, std::span<const float> weights = {});

// TMVA's separation <S^2> = 1/2 * sum_bins (s_i - b_i)^2 / (s_i + b_i), where s_i and b_i are
// the weighted fractions of signal and background in bin i (each histogram normalised to its sum
// over the bins). 0 = identical shapes, 1 = no overlap.
//
// Binning as TMVA's input-variable ranking fills it (TransformationHandler::PlotVariables, then
// Tools::GetSeparation), with the weighted mean, RMS, min and max of both classes together:
//  - `bins` equal bins over [max(min, mean - 8 RMS), min(max, mean + 8 RMS)], widened by one bin
//    width at the top so that the maximum falls inside (TMVA: fTimesRMS = 8, fNbins1D = 40);
//    a degenerate range [a, a] becomes [a, 1.1 a] or, failing that, [a, a + 1];
//  - a column whose values are all integers and span at most 2 x `bins` integers (jet and lepton
//    counts, charges) gets one bin per integer over [min, max + 1), as TMVA bins a variable
//    declared 'I' (TMVA needs the declaration; hepsweep files store float32, so it is detected);
//  - events outside the range (beyond 8 RMS) fall into no bin and are left out of the
//    normalisation, as ROOT's under/overflow bins are by TH1::GetSumOfWeights.
// The bin of x is floor(n (x - low) / (high - low)), ROOT's TAxis::FindBin for equal bins.
// Differences from TMVA: sums are in double (TH1F accumulates in float), and the statistics are
// those of the values passed (TMVA uses its training events).
inline constexpr int kSeparationBins = 40;
inline constexpr double kSeparationRmsRange = 8.0;
struct SeparationHistograms {
  double low = 0, high = 0;              // bins cover [low, high)
  bool integer = false;                  // one bin per integer value
  std::vector<double> signal, background;  // summed weights per bin
  std::size_t filledBins() const;        // bins where signal or background has a non-zero sum
};
// Values must be finite (Error(Input) naming the position); both classes need summed weight > 0
// over all values (Error(Input)); bins >= 1 (Error(Config)).
SeparationHistograms separationHistograms(std::span<const float> values, std::span<const float> labels,
                                          std::span<const float> weights = {}, int bins = kSeparationBins);
// The separation of the histograms; NaN when a class has no positive weight inside the range (all
// of it beyond 8 RMS: TMVA prints 0 and a warning there).
double separation(const SeparationHistograms& h);
// separation(separationHistograms(values, labels, weights, bins)).
double separation(std::span<const float> values, std::span<const float> labels,
                  std::span<const float> weights = {}, int bins = kSeparationBins);
// The same from two histograms with equal binning (contents need not be normalised). Error(Input)
// when a histogram's sum is <= 0.
double separation(std::span<const double> signalHist, std::span<const double> backgroundHist);

// Weighted Pearson correlation of x and y: cov_w(x, y) / sqrt(var_w(x) var_w(y)) with the means
// and (co)variances taken with the weights. NaN when a variance is <= 0 (constant column) or the
// summed weight is <= 0. Size mismatch: Error(Input).
double weightedCorrelation(std::span<const float> x, std::span<const float> y,
                           std::span<const float> weights = {});

// HiggsML approximate median significance, AMS = sqrt(2((s + b + b_r) ln(1 + s/(b + b_r)) - s)),
// with s and b the expected signal and background after the selection (weighted yields) and b_r
// the regularisation term (HiggsML: 10). s <= 0 gives 0; b + b_r <= 0 gives NaN.
inline constexpr double kHiggsMlRegularisation = 10.0;
double ams(double s, double b, double regularisation = kHiggsMlRegularisation);
// s / sqrt(b); NaN when b <= 0.
double sOverSqrtB(double s, double b);

// AMS of the cut score >= threshold for every distinct score, from the highest threshold down
// (exact: one point per distinct score value, O(n log n)). `weights` should be expected yields
// (e.g. event weights times luminosity, scaled to the full sample). Requires both classes to have
// summed weight > 0; NaN scores and non-finite weights are Error(Input).
struct AmsScan {
  std::vector<double> threshold, signal, background, ams;  // s, b and AMS of score >= threshold
  double totalSignal = 0, totalBackground = 0;             // the summed yields before any cut
  double regularisation = kHiggsMlRegularisation;
  std::size_t best = 0;  // index of the largest AMS (ties: the tightest cut, i.e. the first)
  double bestThreshold() const { return threshold[best]; }
  double bestSignal() const { return signal[best]; }
  double bestBackground() const { return background[best]; }
  double bestAms() const { return ams[best]; }
  double signalEfficiency() const { return signal[best] / totalSignal; }
  double backgroundEfficiency() const { return background[best] / totalBackground; }
};
AmsScan amsScan(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
                double regularisation = kHiggsMlRegularisation);
// amsScan(...).bestAms() to the bit, without holding the curve (four doubles per distinct score:
// 13 MB for a validation split of 400k events, of which only the maximum is reported).
double bestAms(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
               double regularisation = kHiggsMlRegularisation);

// The scan at most `maxPoints` points long (metrics::thinCurve), spaced in threshold, signal and
// background yield, always keeping the maximum (`best` is re-indexed) and the ends. Totals and the
// values at the maximum are unchanged.
AmsScan thinAmsScan(const AmsScan& scan, std::size_t maxPoints = 2000);

// The search objective "bkg_eff@sig_eff=X" (background efficiency at signal efficiency X, with
// 0 < X < 1): returns X; nullopt for any other text (including X out of range or malformed).
std::optional<double> parseBkgEffObjective(std::string_view objective);

// w_i * signalFactor for signal events, w_i * backgroundFactor for background (labels 0/1).
// Used to turn event weights into expected yields of the whole sample (see docs/campaign.md).
std::vector<float> scaleByClass(std::span<const float> labels, std::span<const float> weights, double signalFactor,
                                double backgroundFactor);

}  // namespace hepsweep::metrics
