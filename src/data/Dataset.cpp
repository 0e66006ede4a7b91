#include "hepsweep/data/Dataset.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::data {

namespace {

// Up to three feature names near `word`, so a typo in a long feature list is easy to spot.
std::vector<std::string> closeNames(std::string_view word, const std::vector<std::string>& names) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  for (const auto& n : names) {
    const std::size_t d = str::editDistance(word, n);
    if (d <= limit) scored.emplace_back(d, n);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
  if (out.empty()) {
    std::string best = str::closest(word, names);
    if (!best.empty()) out.push_back(std::move(best));
  }
  return out;
}

}  // namespace

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

Dataset Dataset::selectFeatures(std::span<const std::string> names) const {
  std::vector<Index> columns;
  columns.reserve(names.size());
  for (const auto& name : names) {
    const Index j = featureIndex(name);
    if (j < 0) {
      std::string msg = "feature " + str::quoted(name) + " is not in the dataset";
      const auto near = closeNames(name, featureNames);
      if (!near.empty()) {
        std::vector<std::string> q;
        for (const auto& n : near) q.push_back(str::quoted(n));
        msg += "; did you mean " + str::join(q, " or ") + "?";
      }
      msg += " (the dataset has " + std::to_string(featureNames.size()) + " features: " +
             str::join(featureNames, ", ") + ")";
      throwInput(msg);
    }
    if (std::find(columns.begin(), columns.end(), j) != columns.end())
      throwInput("feature " + str::quoted(name) + " is selected twice");
    columns.push_back(j);
  }

  Dataset out;
  out.labels = labels;
  out.weights = weights;
  out.ids = ids;
  out.missingValue = missingValue;
  out.features.resize(rows(), static_cast<Index>(columns.size()));
  for (std::size_t k = 0; k < columns.size(); ++k) {
    out.featureNames.push_back(featureNames[static_cast<std::size_t>(columns[k])]);
    out.features.col(static_cast<Index>(k)) = features.col(columns[k]);
  }
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

void DatasetRowReader::read(std::span<const Index> rows, FeatureMatrix& out) const {
  out.resize(static_cast<Index>(rows.size()), ds_.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= ds_.rows())
      throw Error(ErrorCategory::Internal, "row " + std::to_string(rows[i]) + " outside a dataset of " +
                                               std::to_string(ds_.rows()) + " rows");
    out.row(static_cast<Index>(i)) = ds_.features.row(rows[i]);
  }
}

}  // namespace hepsweep::data
