#pragma once
// `hepsweep inspect`: the first notebook of every tutorial, as a command. Per feature and class:
// weighted moments and the fraction of missing values; separation power (TMVA's <S^2> and the
// single-feature AUC), ranked, with features compatible with no separation flagged; weighted
// Pearson correlation matrices per class and the pairs whose correlation differs most; warnings
// for constant, near-constant, duplicated and label-leaking columns.
//
// Missing values (the file's marker, only in the features that use it) are counted per class and
// excluded from every other number: moments, separation, AUC, and correlations (pairwise: only
// events where both features are present, like pandas' DataFrame.corr). Non-finite values (NaN,
// +-inf: kept by `convert --allow-nonfinite`) are treated the same way, counted separately, and
// warned about ("nonfinite"). "Present" below means neither.
#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hepsweep/data/Dataset.hpp"
#include "hepsweep/metrics/Physics.hpp"

namespace hepsweep::inspect {

struct ClassStats {
  metrics::Moments moments;     // over the present values, weighted
  std::int64_t missing = 0;     // events with the marker
  double missingFraction = 0;   // weighted: sum of weights of missing / sum of weights of the class
  std::int64_t nonfinite = 0;   // events with NaN or +-inf
  double nonfiniteFraction = 0; // weighted, as missingFraction
  double effectiveCount = 0;    // Kish (sum w)^2 / sum w^2 of the present events
};

struct FeatureStats {
  std::string name;
  ClassStats signal, background;
  bool usesMissing = false;     // the file declares that this feature uses the marker
  double separation = 0;        // TMVA <S^2> of the present values (metrics::separationHistograms)
  int separationBins = 0;       // bins of its histograms (Options::bins, or one per integer value)
  bool separationInteger = false;  // binned one bin per integer value
  double auc = 0.5;             // P(signal value > background value), ties 1/2; < 0.5: background is higher
  // Expected values for a feature with no separation at this sample size, with n_s and n_b the
  // classes' effectiveCount: separation noise floor (k - 1)(1/n_s + 1/n_b)/4 with k the filled
  // bins of the separation histograms, and the AUC's standard deviation
  // sqrt((n_s + n_b + 1) / (12 n_s n_b)) (Mann-Whitney under the null).
  double separationNoise = 0, aucNoise = 0;
  // separation < 3 x separationNoise and |auc - 0.5| < 3 x aucNoise (strict, both).
  bool noSeparation = false;
  int rank = 0;                 // 1 = largest separation
};

struct CorrelationPair {
  std::size_t first = 0, second = 0;  // feature indices, first < second
  double signal = 0, background = 0;  // weighted Pearson correlation in each class
  double difference() const { return signal - background; }
};

struct Warning {
  std::string kind;                    // "constant", "near_constant", "duplicate", "label_copy", "perfect_separation", "negative_weights", "nonfinite"
  std::vector<std::string> features;   // the columns concerned (empty for data-wide warnings)
  std::string message;                 // a sentence a user can act on
};

struct Options {
  int bins = metrics::kSeparationBins;  // separation histogram bins
  double nearConstantFraction = 0.99;   // near-constant: one value holds at least this fraction of the present events
  int topPairs = 10;                    // correlation pairs listed
  // Beyond this many features, the correlations and the plots cover the ones with the largest
  // separation (a 2,000 x 2,000 heat map is neither computable in reasonable time nor readable).
  int maxFeatures = 50;
};

struct Inspection {
  std::string file;
  std::int64_t rows = 0, nSignal = 0, nBackground = 0;
  bool weighted = false;                      // some weight differs from 1
  double sumWeightsSignal = 0, sumWeightsBackground = 0;
  std::int64_t negativeWeightsSignal = 0, negativeWeightsBackground = 0;
  std::optional<float> missingValue;
  std::vector<FeatureStats> features;          // file order
  std::vector<std::size_t> ranking;            // feature indices, largest separation first
  // The features the correlations and the plots cover: all, or the options.maxFeatures with the
  // largest separation; in file order. The matrices' row/column i is feature shown[i].
  std::vector<std::size_t> shown;
  Eigen::MatrixXd correlationSignal, correlationBackground;  // NaN where undefined (constant column)
  std::vector<CorrelationPair> largestDifferences;           // by |signal - background|, descending
  std::vector<Warning> warnings;
  Options options;
};

// Throws Error(Input) when a class is absent or has summed weight <= 0, and for a multi-class
// data set (inspectClasses reads those).
Inspection inspect(const data::Dataset& ds, const std::string& file, const Options& options = {});

// Every number of the inspection as JSON text (NaN as null; `indent` < 0: one line, as
// nlohmann::json::dump takes it), with "report": `report` last when that is not empty.
std::string toJson(const Inspection& r, int indent = -1, const std::string& report = "");

// The human summary printed by the command: data, warnings, ranking, largest correlation differences.
std::string textSummary(const Inspection& r);

// The static HTML report: DIR/index.html, DIR/distributions.png (small multiples, signal vs
// background, weighted, unit area), DIR/correlation_{signal,background,difference}.png, with their
// gnuplot scripts and data files, and DIR/inspect.json. Needs gnuplot on PATH (Error(Io) otherwise).
// Returns the path of index.html.
std::string writeReport(const Inspection& r, const data::Dataset& ds, const std::string& dir);

// A multi-class data file (`convert --class`): each class against all the others, as the K-class
// network's class-k output separates it. oneVsRest[k] is inspect() of the data with class k as
// "signal" and every other class as "background"; its `file` names the class.
struct ClassInspection {
  std::string file;
  std::vector<std::string> classNames;
  std::vector<std::int64_t> classRows;
  std::vector<double> classWeights;  // summed event weights
  std::vector<Inspection> oneVsRest;
};
// Error(Input) for a binary data set, a class without events or whose summed weight is <= 0.
ClassInspection inspectClasses(const data::Dataset& ds, const std::string& file, const Options& options = {});
// {"file", "classes": [{"name", "events", "sum_weights"}], "one_vs_rest": {NAME: inspect's JSON}}
// (and "report" when not empty).
std::string toJson(const ClassInspection& r, int indent = -1, const std::string& report = "");
std::string textSummary(const ClassInspection& r);
// DIR/index.html (the classes, each feature's separation of every class) and, per class k,
// DIR/class_<k>/ as writeReport draws it. Returns the path of DIR/index.html.
std::string writeReport(const ClassInspection& r, const data::Dataset& ds, const std::string& dir);

}  // namespace hepsweep::inspect
