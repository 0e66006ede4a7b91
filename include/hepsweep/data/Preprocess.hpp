#pragma once
// Feature preprocessing fitted on a set of rows and re-applied unchanged to any other data:
// missing-value handling, then standard scaling or PCA (optionally whitened). PCA standardises
// the columns before the rotation (scikit-learn's Pipeline([StandardScaler(), PCA()])), so that a
// feature's units do not decide the components; PcaUnscaled rotates the centred columns as they
// are (scikit-learn's PCA() alone), for features already in one common unit.
#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/data/Dataset.hpp"

namespace hepsweep::data {

enum class ScalerKind { None, Standard, Pca, PcaUnscaled };
enum class MissingPolicy { Keep, Mean, MeanIndicator };
enum class FitOn { Train, All };

struct PreprocessConfig {
  ScalerKind scaler = ScalerKind::Standard;
  int pcaComponents = 0;      // 0: keep all
  bool whiten = false;        // PCA: divide each component by its standard deviation
  FitOn fitOn = FitOn::Train;
  MissingPolicy missing = MissingPolicy::Keep;
};

ScalerKind parseScalerKind(const std::string& s);
MissingPolicy parseMissingPolicy(const std::string& s);
FitOn parseFitOn(const std::string& s);
const char* toString(ScalerKind k);
// The name result and model files give the fitted pipeline (preprocess/@scaler): "none",
// "standard", "standard+pca" (Pca) and "pca" (PcaUnscaled: what every file written before the
// standardising PCA means by "pca"), so a hepsweep that predates it refuses a standardised PCA
// instead of applying it without its standardisation.
const char* storedName(ScalerKind k);
ScalerKind parseStoredScaler(const std::string& s);
const char* toString(MissingPolicy p);
const char* toString(FitOn f);

// Everything needed to re-apply the preprocessing; stored in result and model files.
struct PreprocessParams {
  ScalerKind scaler = ScalerKind::None;
  MissingPolicy missing = MissingPolicy::Keep;
  bool hasMissingValue = false;
  float missingValue = 0.0f;
  std::vector<std::string> inputNames;      // features expected on input, in order
  std::vector<std::uint8_t> usesMissing;    // per input feature: 1 if the marker applies
  Eigen::VectorXd imputeMean;               // per input feature (mean over non-missing rows)
  // Indicator columns are appended after the inputs for MeanIndicator, one per feature in
  // `indicatorOf` (input feature indices that had at least one missing value when fitted).
  std::vector<Index> indicatorOf;
  // Output = (x - mean) * scale for standard, (((x - mean) * inputScale) @ components.T) * scale
  // for PCA, ((x - mean) @ components.T) * scale for unscaled PCA, x for none (mean, scale,
  // components and explainedVariance are then empty).
  Eigen::VectorXd mean;                     // per column after imputation/indicators
  // PCA: the standardisation before the rotation, 1/std per column (population std, ddof = 0; 1
  // for constant columns), exactly the standard scaler's scale. Empty for every other scaler.
  Eigen::VectorXd inputScale;
  // standard: 1/std per column (population std, ddof=0; 1 for constant columns);
  // PCA: per component, 1/sqrt(explainedVariance) when whitened, else 1 (also 1 for components
  //      with zero variance, which are left unscaled instead of becoming infinite).
  Eigen::VectorXd scale;
  // PCA: (outputs x columns), rows are orthonormal components by decreasing variance (of the
  // standardised columns for Pca, of the centred ones for PcaUnscaled); sign
  // convention: the entry of largest magnitude (the first on ties) is positive, as in
  // scikit-learn >= 1.5.
  Eigen::MatrixXd components;
  Eigen::VectorXd explainedVariance;        // PCA: variance per component (covariance with n - 1)
  bool isPca() const { return scaler == ScalerKind::Pca || scaler == ScalerKind::PcaUnscaled; }
  std::vector<std::string> outputNames;     // names of the columns the network sees
  Index outputs() const { return static_cast<Index>(outputNames.size()); }
};

// Fit on `rows` of `ds` (weights ignored: like scikit-learn's StandardScaler/PCA by default).
// cfg.fitOn is the caller's business (it chooses `rows`). A value is missing when it equals the
// marker exactly; `imputeMean` holds the mean over the non-missing fit rows of every input.
// Throws Error(Input) for zero rows, for a feature missing in every fit row under a mean policy,
// for PCA on fewer than 2 rows; Error(Config) for pcaComponents outside [0, columns].
PreprocessParams fitPreprocess(const Dataset& ds, std::span<const Index> rows, const PreprocessConfig& cfg);
// The same fit with the feature values read through `reader` in blocks of rows, so the table
// need not be in memory: `columns` supplies the feature names and missing-value information
// (its feature matrix may have zero rows). Gives bit-identical parameters to the overload above.
PreprocessParams fitPreprocess(const Dataset& columns, const RowReader& reader, std::span<const Index> rows,
                               const PreprocessConfig& cfg);

// The positions of p.inputNames in `names` (the columns of a raw table); Error(Input) naming a
// feature the table lacks.
std::vector<Index> inputColumns(const PreprocessParams& p, std::span<const std::string> names);

// The fitted transform applied one event at a time, without allocating: training gathers each
// batch from the raw feature rows through it, evaluation, aggregate and `apply` score through it.
// An event's outputs are a function of its own raw values only (never of the other events of a
// batch, chunk or rank), so every consumer computes the same bits for it.
class Preprocessor {
 public:
  // `columns[j]`: where input feature j (p.inputNames[j]) is in the raw rows given to apply;
  // empty: column j. `p` must outlive the Preprocessor.
  explicit Preprocessor(const PreprocessParams& p, std::vector<Index> columns = {});
  Index outputs() const { return p_->outputs(); }
  // out[0 .. outputs()) = the transform of one raw row.
  void applyRow(const float* raw, float* out);
  // out.row(i) = the transform of row rows[i] of a row-major raw table (`stride` floats per row);
  // `out` must have rows.size() rows and outputs() columns.
  void apply(const float* table, Index stride, std::span<const Index> rows, Eigen::Ref<FeatureMatrix> out);
  // The rows of `count` consecutive raw rows (`stride` floats apart, the first at `table`) into
  // `out`, outputs() floats per row: the bits applyRow gives each of them, in one pass over the
  // block for the common standard scaler without imputation (apply scores millions of events).
  void applyConsecutive(const float* table, Index stride, Index count, float* out);

 private:
  const PreprocessParams* p_;
  std::vector<Index> columns_;
  Eigen::RowVectorXd x_, y_;  // one event's columns after imputation, and its PCA projection
  bool direct_ = false;       // no imputation, no indicators, no PCA: one pass per event
  bool identity_ = false;     // columns_[j] == j: input feature j is raw column j
  std::vector<float> gathered_;  // one raw row in input order (applyConsecutive)
  // Standard scaler: mean and scale repeated for repRows_ rows, repRows_ * outputs() a multiple
  // of 8, so that consecutive rows stored back to back are scaled as one flat array in whole
  // vectors, with no per-row remainder (applyConsecutive).
  std::vector<double> meanRep_, scaleRep_;
  Index repRows_ = 1;
};

// Apply to the given rows of `ds`, writing (rows.size() x params.outputs()) into `out`. Input
// features are found by name (Error(Input) naming a missing one), so column order may differ.
void applyPreprocess(const PreprocessParams& p, const Dataset& ds, std::span<const Index> rows,
                     FeatureMatrix& out);
// Apply to a raw matrix whose columns are params.inputNames in order (`out` may be `in`).
void applyPreprocess(const PreprocessParams& p, const FeatureMatrix& in, FeatureMatrix& out);

}  // namespace hepsweep::data
