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
  Eigen::VectorXf labels;           // 1 = signal, 0 = background; multi-class: class index 0 .. K-1
  std::vector<std::string> classNames;  // multi-class only (K >= 3 names); empty: binary
  Eigen::VectorXf weights;          // per-event weights (1 when the input had none); may be negative
  std::vector<std::int64_t> ids;    // event numbers when the input had an id column, else empty
  std::optional<float> missingValue;       // marker of missing values (e.g. -999), if any
  std::vector<std::string> missingFeatures;  // features that use the marker (empty: all, if marker set)

  Index rows() const { return features.rows(); }
  Index cols() const { return features.cols(); }
  bool hasIds() const { return !ids.empty(); }
  bool multiClass() const { return !classNames.empty(); }
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
  // The positions of the named features, with selectFeatures' errors.
  std::vector<Index> featureColumns(std::span<const std::string> names) const;
  // Names and missing-value information of the given columns only (no rows, labels or weights),
  // restricted as selectFeatures restricts them: what a preprocessing fit needs to know.
  Dataset featureHeader(std::span<const Index> columns) const;
};

// Every event of a data file, as views of memory that belongs to the caller (a Dataset, or a
// campaign's copy shared by the ranks of a node): what a training needs to choose its rows and
// read their features.
struct EventTable {
  const Dataset* header = nullptr;    // the feature names (the table's columns) and missing-value information
  const float* features = nullptr;    // rows() x header->featureNames.size(), row-major; null: read elsewhere
  std::span<const float> labels, weights;
  std::span<const std::uint64_t> keys;  // fold keys: the event ids, or the row indices (foldKeys)
  bool keysAreIds = false;
  Index rows() const { return static_cast<Index>(labels.size()); }
};
// A view of `ds` (its features, labels and weights) with `keys` (foldKeys of its ids); both must
// outlive the view.
EventTable eventTable(const Dataset& ds, std::span<const std::uint64_t> keys);

// Feature rows on demand, for code that must not assume the whole table is in memory: the
// preprocessing fit and the training data of one MPI rank read through it. Implemented by
// TableRowReader (a table in memory) and io::DatasetRows (the HDF5 file, chunk by chunk).
class RowReader {
 public:
  virtual ~RowReader() = default;
  // out.row(i) = features of rows[i] (any order, repeats allowed); `out` is resized.
  virtual void read(std::span<const Index> rows, FeatureMatrix& out) const = 0;
};

// Rows of a row-major table in memory (`stride` floats per row; owned elsewhere, e.g. shared by
// the ranks of a node), restricted to `columns` (empty: all, in order).
class TableRowReader : public RowReader {
 public:
  TableRowReader(const float* table, Index rows, Index stride, std::vector<Index> columns = {});
  explicit TableRowReader(const Dataset& ds) : TableRowReader(ds.features.data(), ds.rows(), ds.cols()) {}
  void read(std::span<const Index> rows, FeatureMatrix& out) const override;  // Error(Internal) out of range

 private:
  const float* table_;
  Index rows_, stride_;
  std::vector<Index> columns_;
};

}  // namespace hepsweep::data
