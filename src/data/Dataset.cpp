#include "hepsweep/data/Dataset.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::data {

Index Dataset::featureIndex(const std::string& name) const {
  const auto it = std::find(featureNames.begin(), featureNames.end(), name);
  return it == featureNames.end() ? -1 : static_cast<Index>(it - featureNames.begin());
}

bool Dataset::featureHasMissing(Index j) const {
  if (!missingValue || j < 0 || j >= static_cast<Index>(featureNames.size())) return false;
  if (missingFeatures.empty()) return true;
  return std::find(missingFeatures.begin(), missingFeatures.end(),
                   featureNames[static_cast<std::size_t>(j)]) != missingFeatures.end();
}

Dataset Dataset::subset(std::span<const Index> rowIndices) const {
  const Index n = static_cast<Index>(rowIndices.size());
  const bool hasLabels = labels.size() == rows();
  const bool hasWeights = weights.size() == rows();
  const bool copyIds = static_cast<Index>(ids.size()) == rows() && !ids.empty();

  Dataset out;
  out.featureNames = featureNames;
  out.classNames = classNames;
  out.missingValue = missingValue;
  out.missingFeatures = missingFeatures;
  out.features.resize(n, cols());
  if (hasLabels) out.labels.resize(n);
  if (hasWeights) out.weights.resize(n);
  if (copyIds) out.ids.resize(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    const Index r = rowIndices[static_cast<std::size_t>(i)];
    if (r < 0 || r >= rows())
      throw Error(ErrorCategory::Internal, "Dataset::subset: row index " + std::to_string(r) +
                                               " outside [0, " + std::to_string(rows()) + ")");
    out.features.row(i) = features.row(r);
    if (hasLabels) out.labels[i] = labels[r];
    if (hasWeights) out.weights[i] = weights[r];
    if (copyIds) out.ids[static_cast<std::size_t>(i)] = ids[static_cast<std::size_t>(r)];
  }
  return out;
}

std::vector<Index> Dataset::featureColumns(std::span<const std::string> names) const {
  std::vector<Index> columns;
  columns.reserve(names.size());
  for (const auto& name : names) {
    const Index j = featureIndex(name);
    if (j < 0) {
      throwInput("feature " + str::quoted(name) + " is not in the dataset" + str::didYouMean(name, featureNames) +
                 " (the dataset has " + std::to_string(featureNames.size()) + " features: " +
                 str::join(featureNames, ", ") + ")");
    }
    if (std::find(columns.begin(), columns.end(), j) != columns.end())
      throwInput("feature " + str::quoted(name) + " is selected twice");
    columns.push_back(j);
  }
  return columns;
}

Dataset Dataset::featureHeader(std::span<const Index> columns) const {
  Dataset out;
  out.classNames = classNames;
  out.missingValue = missingValue;
  out.features.resize(0, static_cast<Index>(columns.size()));
  for (const Index j : columns) out.featureNames.push_back(featureNames[static_cast<std::size_t>(j)]);
  // An empty list means "every feature uses the marker", so the list is only carried over
  // when it names a subset; when no selected feature uses the marker the marker itself goes.
  if (missingValue && !missingFeatures.empty()) {
    for (const auto& n : out.featureNames)
      if (std::find(missingFeatures.begin(), missingFeatures.end(), n) != missingFeatures.end())
        out.missingFeatures.push_back(n);
    if (out.missingFeatures.empty()) out.missingValue.reset();
  }
  return out;
}

Dataset Dataset::selectFeatures(std::span<const std::string> names) const {
  const std::vector<Index> columns = featureColumns(names);
  Dataset out = featureHeader(columns);
  out.labels = labels;
  out.weights = weights;
  out.ids = ids;
  out.features.resize(rows(), static_cast<Index>(columns.size()));
  for (std::size_t k = 0; k < columns.size(); ++k) out.features.col(static_cast<Index>(k)) = features.col(columns[k]);
  return out;
}

TableRowReader::TableRowReader(const float* table, Index rows, Index stride, std::vector<Index> columns)
    : table_(table), rows_(rows), stride_(stride), columns_(std::move(columns)) {
  if (columns_.empty())
    for (Index j = 0; j < stride; ++j) columns_.push_back(j);
}

void TableRowReader::read(std::span<const Index> rows, FeatureMatrix& out) const {
  out.resize(static_cast<Index>(rows.size()), static_cast<Index>(columns_.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= rows_)
      throw Error(ErrorCategory::Internal, "row " + std::to_string(rows[i]) + " outside a table of " +
                                               std::to_string(rows_) + " rows");
    const float* src = table_ + rows[i] * stride_;
    float* dst = out.row(static_cast<Index>(i)).data();
    for (std::size_t j = 0; j < columns_.size(); ++j) dst[j] = src[columns_[j]];
  }
}

EventTable eventTable(const Dataset& ds, std::span<const std::uint64_t> keys) {
  if (static_cast<Index>(keys.size()) != ds.labels.size() || ds.weights.size() != ds.labels.size())
    throw Error(ErrorCategory::Internal, "eventTable: labels, weights and keys differ in length");
  EventTable t;
  t.header = &ds;
  t.features = ds.features.rows() == ds.labels.size() ? ds.features.data() : nullptr;
  t.labels = {ds.labels.data(), static_cast<std::size_t>(ds.labels.size())};
  t.weights = {ds.weights.data(), static_cast<std::size_t>(ds.weights.size())};
  t.keys = keys;
  t.keysAreIds = ds.hasIds();
  return t;
}

}  // namespace hepsweep::data
