#pragma once
// Feature preprocessing fitted on a set of rows and re-applied unchanged to any other data:
// missing-value handling, then standard scaling or PCA (optionally whitened).
#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/data/Dataset.hpp"

namespace hepsweep::data {

enum class ScalerKind { None, Standard, Pca };
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
  // Output = (x - mean) * scale for standard, ((x - mean) @ components.T) * scale for PCA, x for
  // none (mean, scale, components and explainedVariance are then empty).
  Eigen::VectorXd mean;                     // per column after imputation/indicators
  // standard: 1/std per column (population std, ddof=0; 1 for constant columns);
  // PCA: per component, 1/sqrt(explainedVariance) when whitened, else 1 (also 1 for components
  //      with zero variance, which are left unscaled instead of becoming infinite).
  Eigen::VectorXd scale;
  // PCA: (outputs x columns), rows are orthonormal components by decreasing variance; sign
  // convention: the entry of largest magnitude (the first on ties) is positive, as in
  // scikit-learn >= 1.5.
  Eigen::MatrixXd components;
  Eigen::VectorXd explainedVariance;        // PCA: variance per component (covariance with n - 1)
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

// Apply to the given rows of `ds`, writing (rows.size() x params.outputs()) into `out`. Input
// features are found by name (Error(Input) naming a missing one), so column order may differ.
void applyPreprocess(const PreprocessParams& p, const Dataset& ds, std::span<const Index> rows,
                     FeatureMatrix& out);
// Apply to a raw matrix whose columns are params.inputNames in order (`out` may be `in`).
void applyPreprocess(const PreprocessParams& p, const FeatureMatrix& in, FeatureMatrix& out);

}  // namespace hepsweep::data
