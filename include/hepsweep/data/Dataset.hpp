#pragma once
// The in-memory event table every module works on.
#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hepsweep::data {

using Index = std::int64_t;

// Row-major: one event's features are contiguous, as in the HDF5 file (rows x features). A block
// of consecutive rows is therefore also a column-major (features x events) matrix, which is what
// the network consumes, without a copy.
using FeatureMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Dataset {
  std::vector<std::string> featureNames;
  FeatureMatrix features;           // rows = events, cols = features
  Eigen::VectorXf labels;           // 1 = signal, 0 = background
  Eigen::VectorXf weights;          // per-event weights (1 when the input had none); may be negative
  std::vector<std::int64_t> ids;    // event numbers when the input had an id column, else empty
  std::optional<float> missingValue;       // marker of missing values (e.g. -999), if any
  std::vector<std::string> missingFeatures;  // features that use the marker (empty: all, if marker set)

  Index rows() const { return features.rows(); }
  Index cols() const { return features.cols(); }
  bool hasIds() const { return !ids.empty(); }
  // Position of a feature by name, or -1.
  Index featureIndex(const std::string& name) const;
  // Whether feature j uses the missing-value marker.
  bool featureHasMissing(Index j) const;
  // A new dataset holding the given rows, in that order (labels, weights, ids when present,
  // names and missing-value info carried over).
  Dataset subset(std::span<const Index> rowIndices) const;
  // A new dataset holding the named features only, in the given order; throws Error(Input)
  // naming the first missing feature (with close names as suggestions) or a feature named twice.
  // missingFeatures is restricted to the kept features; when it named features and none is kept,
  // missingValue is cleared (an empty list would otherwise mean "all features use the marker").
  Dataset selectFeatures(std::span<const std::string> names) const;
};

// Feature rows on demand, for code that must not assume the whole table is in memory: the
// preprocessing fit and the training data of one MPI rank read through it. Implemented by
// DatasetRowReader (an in-memory Dataset) and io::DatasetRows (HDF5 hyperslabs).
class RowReader {
 public:
  virtual ~RowReader() = default;
  // out.row(i) = features of rows[i] (any order, repeats allowed); `out` is resized.
  virtual void read(std::span<const Index> rows, FeatureMatrix& out) const = 0;
};

class DatasetRowReader : public RowReader {
 public:
  explicit DatasetRowReader(const Dataset& ds) : ds_(ds) {}
  void read(std::span<const Index> rows, FeatureMatrix& out) const override;  // Error(Internal) out of range

 private:
  const Dataset& ds_;
};

}  // namespace hepsweep::data
