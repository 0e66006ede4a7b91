#pragma once
// Two-sample Kolmogorov-Smirnov test on unbinned, optionally weighted samples: the overtraining
// check (classifier scores on the training events against the test events, per class) that TMVA
// users know.
//
// Statistic. D = sup_x |F_a(x) - F_b(x)| with the weighted empirical distribution functions
// F(x) = (sum of the weights of the events with value <= x) / (sum of all weights). It is exact:
// both samples are sorted and D is evaluated after each distinct value of the merged samples, so
// tied values (within or across samples) enter together, as in scipy.stats.ks_2samp. No binning.
//
// p-value. The asymptotic Kolmogorov distribution, p = Q_KS(sqrt(n_e) * D) with
// Q_KS(l) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 l^2) and n_e = n_a n_b / (n_a + n_b), where each
// sample's size is its effective size n = (sum w)^2 / (sum w^2) (the plain count when unweighted).
// This is what ROOT gives: TMath::KolmogorovTest (unbinned, unweighted: n = counts) and
// TH1::KolmogorovTest (binned; for weighted histograms it uses the same effective entries, but its
// D comes from the binned cumulative sums, so it depends on the binning and is smaller than the
// unbinned D). scipy.stats.ks_2samp(method="asymp") computes the same D (unweighted only; it has no
// weights) but, since scipy 1.5, takes the p-value from the finite-n one-sample distribution
// kstwo.sf(D, round(n_e)) rather than the limit Q_KS; the difference shrinks like 1/sqrt(n_e)
// (small for the thousands of events of an overtraining check), and Q_KS is the larger (more
// conservative against "overtrained") p-value for small samples. Older scipy used
// Q_KS((sqrt(n_e) + 0.12 + 0.11/sqrt(n_e)) D) (Stephens' small-sample correction). Like every asymptotic KS p-value it is only approximate
// for n_e below ~30, and it is not exact for discrete (tied) data, where it is conservative.
//
// Negative weights (NLO generators). They are used as they are: F may then be non-monotone or
// leave [0, 1] between the ends, and D is still the largest |F_a - F_b| over the merged values.
// Each sample's total weight must be > 0 (F is undefined otherwise), and n_e uses sum w^2, which
// counts negative weights as positive ones, so n_e is smaller than the event count, as the
// statistical power is. With negative weights the p-value is a heuristic, not a calibrated test.
//
// Errors (Error(Input), naming the sample and position): an empty sample, a NaN value, a
// non-finite weight, a weight span whose size differs from the values', or a sample whose summed
// weight is <= 0.
#include <span>

namespace hepsweep::metrics {

struct KsResult {
  double statistic = 0;  // D, in [0, 1] for non-negative weights
  double pValue = 1;     // Q_KS(sqrt(effectiveSize) * D)
  double effectiveSizeA = 0, effectiveSizeB = 0;  // (sum w)^2 / sum w^2 of each sample
  double effectiveSize = 0;                       // n_a n_b / (n_a + n_b)
};

// Weights empty = every event weight 1. O((n_a + n_b) log(n_a + n_b)).
KsResult ksTwoSample(std::span<const float> a, std::span<const float> b,
                     std::span<const float> weightsA = {}, std::span<const float> weightsB = {});

// Q_KS(l) = P(sqrt(n) D > l) in the limit n -> infinity (the complement of Kolmogorov's
// distribution K(l)); 1 for l <= 0. Accurate to ~1e-15 absolute over the whole range (uses the
// theta-function form sqrt(2 pi)/l sum exp(-(2k-1)^2 pi^2 / (8 l^2)) for small l).
double kolmogorovSurvival(double lambda);

}  // namespace hepsweep::metrics
