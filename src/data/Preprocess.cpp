#include "hepsweep/data/Preprocess.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::data {

namespace {

// Rows are processed in blocks so that statistics and transforms run as dense Eigen operations
// without materialising a double copy of the whole dataset.
constexpr Index kBlockRows = 4096;

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

[[noreturn]] void unknownValue(const char* what, const std::string& s, const std::vector<std::string>& valid) {
  throwConfig(std::string("unknown ") + what + " " + str::quoted(s) + " (valid: " + str::join(valid, ", ") + ")" +
              str::didYouMean(s, valid));
}

// One block of the columns the scaler sees, an event per row (filled and read in memory order).
using Columns = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The columns the scaler sees for `count` rows: the inputs with missing values imputed, then the
// indicator columns. `get(i, j)` returns input feature j of the i-th row of the block.
template <class Get>
void buildColumns(const PreprocessParams& p, Index count, const Get& get, Columns& x) {
  const auto nIn = static_cast<Index>(p.inputNames.size());
  const auto nInd = static_cast<Index>(p.indicatorOf.size());
  x.resize(count, nIn + nInd);
  const bool impute = p.hasMissingValue && p.missing != MissingPolicy::Keep;
  const float marker = p.missingValue;
  for (Index i = 0; i < count; ++i) {
    for (Index j = 0; j < nIn; ++j) {
      const float v = get(i, j);
      x(i, j) = (impute && p.usesMissing[static_cast<std::size_t>(j)] && v == marker) ? p.imputeMean[j]
                                                                                       : static_cast<double>(v);
    }
    for (Index k = 0; k < nInd; ++k)
      x(i, nIn + k) = get(i, p.indicatorOf[static_cast<std::size_t>(k)]) == marker ? 1.0 : 0.0;
  }
}

}  // namespace

ScalerKind parseScalerKind(const std::string& s) {
  if (s == "none") return ScalerKind::None;
  if (s == "standard") return ScalerKind::Standard;
  if (s == "pca") return ScalerKind::Pca;
  if (s == "pca_unscaled") return ScalerKind::PcaUnscaled;
  unknownValue("scaler", s, {"none", "standard", "pca", "pca_unscaled"});
}

ScalerKind parseStoredScaler(const std::string& s) {
  if (s == "none") return ScalerKind::None;
  if (s == "standard") return ScalerKind::Standard;
  if (s == "standard+pca") return ScalerKind::Pca;
  if (s == "pca") return ScalerKind::PcaUnscaled;
  throwInput("unknown stored scaler " + str::quoted(s) +
             " (this hepsweep reads none, standard, standard+pca and pca; the file may come from a newer version)");
}

const char* storedName(ScalerKind k) {
  switch (k) {
    case ScalerKind::None: return "none";
    case ScalerKind::Standard: return "standard";
    case ScalerKind::Pca: return "standard+pca";
    case ScalerKind::PcaUnscaled: return "pca";
  }
  return "none";
}

MissingPolicy parseMissingPolicy(const std::string& s) {
  if (s == "keep") return MissingPolicy::Keep;
  if (s == "mean") return MissingPolicy::Mean;
  if (s == "mean+indicator") return MissingPolicy::MeanIndicator;
  unknownValue("missing-value policy", s, {"keep", "mean", "mean+indicator"});
}

FitOn parseFitOn(const std::string& s) {
  if (s == "train") return FitOn::Train;
  if (s == "all") return FitOn::All;
  unknownValue("fit_on value", s, {"train", "all"});
}

const char* toString(ScalerKind k) {
  switch (k) {
    case ScalerKind::None: return "none";
    case ScalerKind::Standard: return "standard";
    case ScalerKind::Pca: return "pca";
    case ScalerKind::PcaUnscaled: return "pca_unscaled";
  }
  return "none";
}

const char* toString(MissingPolicy p) {
  switch (p) {
    case MissingPolicy::Keep: return "keep";
    case MissingPolicy::Mean: return "mean";
    case MissingPolicy::MeanIndicator: return "mean+indicator";
  }
  return "keep";
}

const char* toString(FitOn f) {
  switch (f) {
    case FitOn::Train: return "train";
    case FitOn::All: return "all";
  }
  return "train";
}

PreprocessParams fitPreprocess(const Dataset& ds, std::span<const Index> rows, const PreprocessConfig& cfg) {
  return fitPreprocess(ds, TableRowReader(ds), rows, cfg);
}

PreprocessParams fitPreprocess(const Dataset& ds, const RowReader& reader, std::span<const Index> rows,
                               const PreprocessConfig& cfg) {
  const Index nIn = ds.cols();
  if (static_cast<Index>(ds.featureNames.size()) != nIn)
    throw Error(ErrorCategory::Internal, "fitPreprocess: " + std::to_string(ds.featureNames.size()) +
                                             " feature names for " + std::to_string(nIn) + " columns");
  const auto n = static_cast<Index>(rows.size());
  if (n == 0) throwInput("cannot fit the preprocessing on zero rows");
  // Every pass reads the fit rows in the same blocks, in order, so the sums are accumulated in
  // the same order whether the rows come from memory or from the file.
  FeatureMatrix block;
  const auto forRawBlocks = [&](auto&& fn) {
    for (Index start = 0; start < n; start += kBlockRows) {
      const Index count = std::min(kBlockRows, n - start);
      reader.read(rows.subspan(static_cast<std::size_t>(start), static_cast<std::size_t>(count)), block);
      fn(count);
    }
  };

  PreprocessParams p;
  p.scaler = cfg.scaler;
  p.missing = cfg.missing;
  p.hasMissingValue = ds.missingValue.has_value();
  p.missingValue = ds.missingValue.value_or(0.0f);
  p.inputNames = ds.featureNames;
  p.usesMissing.resize(static_cast<std::size_t>(nIn));
  for (Index j = 0; j < nIn; ++j) p.usesMissing[static_cast<std::size_t>(j)] = ds.featureHasMissing(j) ? 1 : 0;

  // Imputation means over the non-missing fit rows. The pass also finds NaN and infinite values,
  // which no scaler or network can use: the first one is reported with its feature and row.
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(nIn);
  std::vector<Index> present(static_cast<std::size_t>(nIn), 0);
  Index done = 0;
  forRawBlocks([&](Index count) {
    for (Index i = 0; i < count; ++i) {
      for (Index j = 0; j < nIn; ++j) {
        const float v = block(i, j);
        if (!std::isfinite(v))
          throwInput("feature " + str::quoted(ds.featureNames[static_cast<std::size_t>(j)]) + " is " + number(v) +
                     " in row " + std::to_string(rows[static_cast<std::size_t>(done + i)]) +
                     " of the data file (non-finite values cannot be trained on): mark missing values with a finite "
                     "marker (convert --missing) or drop the feature");
        if (p.usesMissing[static_cast<std::size_t>(j)] && v == p.missingValue) continue;
        sum[j] += static_cast<double>(v);
        ++present[static_cast<std::size_t>(j)];
      }
    }
    done += count;
  });
  p.imputeMean = Eigen::VectorXd::Zero(nIn);
  for (Index j = 0; j < nIn; ++j) {
    const Index c = present[static_cast<std::size_t>(j)];
    if (c > 0) {
      p.imputeMean[j] = sum[j] / static_cast<double>(c);
    } else if (p.missing != MissingPolicy::Keep) {
      throwInput("feature " + str::quoted(ds.featureNames[static_cast<std::size_t>(j)]) + " is missing (== " +
                 number(p.missingValue) + ") in all " + std::to_string(n) +
                 " rows the preprocessing is fitted on, so it has no mean to impute; drop it from the "
                 "feature list or use missing = \"keep\"");
    }
    if (p.missing == MissingPolicy::MeanIndicator && p.usesMissing[static_cast<std::size_t>(j)] &&
        present[static_cast<std::size_t>(j)] < n)
      p.indicatorOf.push_back(j);
  }

  std::vector<std::string> columnNames = ds.featureNames;
  for (const Index j : p.indicatorOf) {
    std::string name = ds.featureNames[static_cast<std::size_t>(j)] + "_missing";
    if (ds.featureIndex(name) >= 0)
      throwInput("the indicator column for feature " + str::quoted(ds.featureNames[static_cast<std::size_t>(j)]) +
                 " would be named " + str::quoted(name) + ", which is already a feature; rename that feature");
    columnNames.push_back(std::move(name));
  }
  const auto d = static_cast<Index>(columnNames.size());

  if (cfg.scaler == ScalerKind::None) {
    p.outputNames = std::move(columnNames);
    return p;
  }

  const auto forBlocks = [&](auto&& fn) {
    Columns x;
    forRawBlocks([&](Index count) {
      buildColumns(p, count, [&](Index i, Index j) { return block(i, j); }, x);
      fn(x);
    });
  };

  // Two passes (mean, then centred second moments) keep the variance accurate for features
  // with a large offset, e.g. energies in MeV.
  Eigen::VectorXd colSum = Eigen::VectorXd::Zero(d);
  // Sums row by row, each column in double: the same order for every block size and reader.
  forBlocks([&](const Columns& x) {
    for (Index i = 0; i < x.rows(); ++i)
      for (Index j = 0; j < d; ++j) colSum[j] += x(i, j);
  });
  p.mean = colSum / static_cast<double>(n);

  // 1/std per column, the standard scaler's (and the standardising PCA's first step).
  const auto standardScale = [&] {
    Eigen::VectorXd sq = Eigen::VectorXd::Zero(d);
    Eigen::VectorXd lo = Eigen::VectorXd::Constant(d, std::numeric_limits<double>::infinity());
    Eigen::VectorXd hi = Eigen::VectorXd::Constant(d, -std::numeric_limits<double>::infinity());
    forBlocks([&](const Columns& x) {
      for (Index r = 0; r < x.rows(); ++r)
        for (Index j = 0; j < d; ++j) {
          const double v = x(r, j), c = v - p.mean[j];
          sq[j] += c * c;
          lo[j] = std::min(lo[j], v);
          hi[j] = std::max(hi[j], v);
        }
    });
    Eigen::VectorXd scale(d);
    for (Index j = 0; j < d; ++j) {
      // A constant column can show a rounding-level variance; it must not be blown up.
      const double sd = std::sqrt(sq[j] / static_cast<double>(n));
      scale[j] = (lo[j] == hi[j] || !(sd > 0.0)) ? 1.0 : 1.0 / sd;
    }
    return scale;
  };

  if (cfg.scaler == ScalerKind::Standard) {
    p.scale = standardScale();
    p.outputNames = std::move(columnNames);
    return p;
  }

  // PCA, with scikit-learn's conventions: covariance with n - 1, components as rows.
  if (cfg.pcaComponents < 0 || cfg.pcaComponents > d)
    throwConfig("pca components = " + std::to_string(cfg.pcaComponents) + " must lie in [0, " + std::to_string(d) +
                "] (0 keeps all; there are " + std::to_string(d) + " input columns)");
  if (n < 2) throwInput("PCA needs at least 2 rows to estimate a covariance, got " + std::to_string(n));
  const Index k = cfg.pcaComponents == 0 ? d : cfg.pcaComponents;
  // The standardising PCA rotates the standardised columns, so that a feature in MeV does not
  // take the first component from one in GeV by its units alone.
  if (cfg.scaler == ScalerKind::Pca) p.inputScale = standardScale();
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(d, d);
  forBlocks([&](const Columns& x) {
    Eigen::MatrixXd xc = x.rowwise() - p.mean.transpose();
    if (cfg.scaler == ScalerKind::Pca) xc = xc * p.inputScale.asDiagonal();
    cov.selfadjointView<Eigen::Lower>().rankUpdate(xc.transpose());
  });
  cov /= static_cast<double>(n - 1);  // only the lower triangle is filled, and only it is read

  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  if (eig.info() != Eigen::Success)
    throwNumeric("PCA: the eigen-decomposition of the " + std::to_string(d) + "x" + std::to_string(d) +
                 " covariance matrix did not converge (are there infinite feature values?)");
  p.components.resize(k, d);
  p.explainedVariance.resize(k);
  p.scale.resize(k);
  const double maxVar = std::max(eig.eigenvalues()[d - 1], 0.0);
  for (Index c = 0; c < k; ++c) {
    const Index src = d - 1 - c;  // eigenvalues come in ascending order
    Eigen::VectorXd v = eig.eigenvectors().col(src);
    // Sign convention (scikit-learn >= 1.5, svd_flip on components): the entry of largest
    // magnitude, first one on ties, is positive.
    Index arg = 0;
    v.cwiseAbs().maxCoeff(&arg);
    if (v[arg] < 0.0) v = -v;
    p.components.row(c) = v.transpose();
    const double var = std::max(eig.eigenvalues()[src], 0.0);
    p.explainedVariance[c] = var;
    // A zero-variance component stays unscaled (its projection is ~0) rather than becoming inf.
    const bool degenerate = !(var > std::numeric_limits<double>::epsilon() * maxVar);
    p.scale[c] = (cfg.whiten && !degenerate) ? 1.0 / std::sqrt(var) : 1.0;
  }
  p.outputNames.clear();
  for (Index c = 0; c < k; ++c) p.outputNames.push_back("pc" + std::to_string(c + 1));
  return p;
}

std::vector<Index> inputColumns(const PreprocessParams& p, std::span<const std::string> names) {
  std::vector<Index> column(p.inputNames.size());
  for (std::size_t j = 0; j < p.inputNames.size(); ++j) {
    const auto it = std::find(names.begin(), names.end(), p.inputNames[j]);
    if (it == names.end())
      throwInput("the preprocessing expects feature " + str::quoted(p.inputNames[j]) +
                 ", which is not in the data (it has: " + str::join(names, ", ") + ")");
    column[j] = it - names.begin();
  }
  return column;
}

Preprocessor::Preprocessor(const PreprocessParams& p, std::vector<Index> columns) : p_(&p), columns_(std::move(columns)) {
  const auto nIn = static_cast<Index>(p.inputNames.size());
  if (static_cast<Index>(p.usesMissing.size()) != nIn)
    throw Error(ErrorCategory::Internal, "Preprocessor: parameters are not fitted");
  if (columns_.empty()) {
    columns_.resize(static_cast<std::size_t>(nIn));
    for (Index j = 0; j < nIn; ++j) columns_[static_cast<std::size_t>(j)] = j;
  }
  if (static_cast<Index>(columns_.size()) != nIn)
    throw Error(ErrorCategory::Internal, "Preprocessor: " + std::to_string(columns_.size()) + " columns for " +
                                             std::to_string(nIn) + " inputs");
  x_.resize(nIn + static_cast<Index>(p.indicatorOf.size()));
  if (p.isPca()) y_.resize(p.components.rows());
  if (p.scaler == ScalerKind::Pca && p.inputScale.size() != x_.size())
    throw Error(ErrorCategory::Internal, "Preprocessor: the standardising PCA has " + std::to_string(p.inputScale.size()) +
                                             " input scales for " + std::to_string(x_.size()) + " columns");
  const bool imputes = p.hasMissingValue && p.missing != MissingPolicy::Keep;
  direct_ = !imputes && p.indicatorOf.empty() && !p.isPca();
  identity_ = true;
  for (Index j = 0; j < nIn; ++j) identity_ = identity_ && columns_[static_cast<std::size_t>(j)] == j;
  gathered_.resize(static_cast<std::size_t>(nIn));
  if (direct_ && p.scaler == ScalerKind::Standard && nIn > 0) {
    repRows_ = 8 / std::gcd(nIn, Index{8});
    for (Index r = 0; r < repRows_; ++r) {
      meanRep_.insert(meanRep_.end(), p.mean.data(), p.mean.data() + nIn);
      scaleRep_.insert(scaleRep_.end(), p.scale.data(), p.scale.data() + nIn);
    }
  }
}

namespace {

// The standard scaler on `count` rows: out row i, column j = (raw[col[j]] - m[j]) * sc[j], in
// double, rounded to float (col null: raw column j). Each element is a conversion, a subtraction,
// a multiplication and a rounding, all exactly rounded IEEE operations with no product to fuse
// into an FMA, so every vector width gives the scalar loop's bits; the AVX2 and AVX-512 clones,
// chosen at load time, do 4 or 8 doubles per instruction where the portable build does 2.
// Rows stored back to back in the input's column order (col null, stride d) are scaled
// `repRows` at a time as one flat array against mean and scale repeated that often (mRep,
// scRep): a whole number of vectors, where a row of 28 would end in a remainder loop.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#endif
void standardRows(const float* table, Index stride, Index count, Index d, const Index* col, const double* __restrict m,
                  const double* __restrict sc, const double* __restrict mRep, const double* __restrict scRep,
                  Index repRows, float* __restrict tmp, float* __restrict out) {
  Index i = 0;
  if (!col && stride == d) {
    const Index period = repRows * d;
    for (; i + repRows <= count; i += repRows) {
      const float* __restrict raw = table + i * d;
      float* __restrict o = out + i * d;
      for (Index j = 0; j < period; ++j) o[j] = static_cast<float>((static_cast<double>(raw[j]) - mRep[j]) * scRep[j]);
    }
  }
  for (; i < count; ++i) {
    const float* raw = table + i * stride;
    if (col) {
      for (Index j = 0; j < d; ++j) tmp[j] = raw[col[j]];
      raw = tmp;
    }
    float* __restrict o = out + i * d;
    for (Index j = 0; j < d; ++j) o[j] = static_cast<float>((static_cast<double>(raw[j]) - m[j]) * sc[j]);
  }
}

}  // namespace

void Preprocessor::applyConsecutive(const float* table, Index stride, Index count, float* out) {
  const Index d = outputs();
  if (!direct_ || p_->scaler != ScalerKind::Standard) {
    for (Index i = 0; i < count; ++i) applyRow(table + i * stride, out + i * d);
    return;
  }
  // applyRow's direct standard-scaler arithmetic, element by element in double (no contraction
  // is possible in (x - mean) * scale): vectorised, it rounds exactly as the scalar loop does.
  standardRows(table, stride, count, d, identity_ ? nullptr : columns_.data(), p_->mean.data(), p_->scale.data(),
               meanRep_.data(), scaleRep_.data(), repRows_, gathered_.data(), out);
}

void Preprocessor::applyRow(const float* raw, float* out) {
  const PreprocessParams& p = *p_;
  if (direct_) {
    // The common case, without imputation or indicator columns: the same arithmetic as below in
    // one pass (a campaign item applies this to every event of every epoch).
    const Index n = static_cast<Index>(columns_.size());
    const Index* col = columns_.data();
    if (p.scaler == ScalerKind::Standard) {
      const double* __restrict m = p.mean.data();
      const double* __restrict sc = p.scale.data();
      float* __restrict o = out;
      if (identity_) {  // the columns in order: a loop the compiler vectorises, with the same bits
        for (Index j = 0; j < n; ++j) o[j] = static_cast<float>((static_cast<double>(raw[j]) - m[j]) * sc[j]);
        return;
      }
      for (Index j = 0; j < n; ++j) o[j] = static_cast<float>((static_cast<double>(raw[col[j]]) - m[j]) * sc[j]);
    } else {
      for (Index j = 0; j < n; ++j) out[j] = raw[col[j]];
    }
    return;
  }
  const auto nIn = static_cast<Index>(p.inputNames.size());
  const auto nInd = static_cast<Index>(p.indicatorOf.size());
  const bool impute = p.hasMissingValue && p.missing != MissingPolicy::Keep;
  const float marker = p.missingValue;
  for (Index j = 0; j < nIn; ++j) {
    const float v = raw[columns_[static_cast<std::size_t>(j)]];
    x_[j] = (impute && p.usesMissing[static_cast<std::size_t>(j)] && v == marker) ? p.imputeMean[j] : static_cast<double>(v);
  }
  for (Index k = 0; k < nInd; ++k)
    x_[nIn + k] = raw[columns_[static_cast<std::size_t>(p.indicatorOf[static_cast<std::size_t>(k)])]] == marker ? 1.0 : 0.0;
  const Index d = nIn + nInd;
  switch (p.scaler) {
    case ScalerKind::None:
      for (Index j = 0; j < d; ++j) out[j] = static_cast<float>(x_[j]);
      break;
    case ScalerKind::Standard:
      // Element by element in double, as the fit's statistics: (x - mean) * (1 / std).
      for (Index j = 0; j < d; ++j) out[j] = static_cast<float>((x_[j] - p.mean[j]) * p.scale[j]);
      break;
    case ScalerKind::Pca:
      // Standardise element by element in double, as the standard scaler, then rotate.
      x_ = (x_ - p.mean.transpose()).cwiseProduct(p.inputScale.transpose());
      y_.noalias() = x_ * p.components.transpose();
      for (Index c = 0; c < y_.size(); ++c) out[c] = static_cast<float>(y_[c] * p.scale[c]);
      break;
    case ScalerKind::PcaUnscaled:
      x_ -= p.mean.transpose();
      y_.noalias() = x_ * p.components.transpose();
      for (Index c = 0; c < y_.size(); ++c) out[c] = static_cast<float>(y_[c] * p.scale[c]);
      break;
  }
}

void Preprocessor::apply(const float* table, Index stride, std::span<const Index> rows, Eigen::Ref<FeatureMatrix> out) {
  if (out.rows() != static_cast<Index>(rows.size()) || out.cols() != outputs())
    throw Error(ErrorCategory::Internal, "Preprocessor::apply: output is " + std::to_string(out.rows()) + " x " +
                                             std::to_string(out.cols()) + ", expected " + std::to_string(rows.size()) +
                                             " x " + std::to_string(outputs()));
  for (std::size_t i = 0; i < rows.size(); ++i) applyRow(table + rows[i] * stride, out.row(static_cast<Index>(i)).data());
}

void applyPreprocess(const PreprocessParams& p, const Dataset& ds, std::span<const Index> rows, FeatureMatrix& out) {
  for (const Index r : rows)
    if (r < 0 || r >= ds.rows())
      throw Error(ErrorCategory::Internal, "applyPreprocess: row " + std::to_string(r) + " outside the dataset");
  Preprocessor pre(p, inputColumns(p, ds.featureNames));
  out.resize(static_cast<Index>(rows.size()), pre.outputs());
  pre.apply(ds.features.data(), ds.features.cols(), rows, out);
}

void applyPreprocess(const PreprocessParams& p, const FeatureMatrix& in, FeatureMatrix& out) {
  if (in.cols() != static_cast<Index>(p.inputNames.size()))
    throwInput("the preprocessing expects " + std::to_string(p.inputNames.size()) + " input columns (" +
               str::join(p.inputNames, ", ") + "), got " + std::to_string(in.cols()));
  Preprocessor pre(p);
  if (&in == &out && pre.outputs() != in.cols()) {
    const FeatureMatrix copy = in;
    applyPreprocess(p, copy, out);
    return;
  }
  out.resize(in.rows(), pre.outputs());
  // Row by row: when `out` is `in`, each row is read whole (into the scratch) before it is written.
  for (Index i = 0; i < in.rows(); ++i) pre.applyRow(in.row(i).data(), out.row(i).data());
}

}  // namespace hepsweep::data
