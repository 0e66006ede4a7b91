#pragma once
// Permutation feature importance (aggregate --importance, docs/aggregate.md): for a point's fold
// models, the drop of the validation AUC when a feature's values are shuffled across that fold's
// validation events. It needs the data file the campaign trained on (same sha256): the
// validation rows are rebuilt from each result file's split record, and each fold model scores
// them once as they are and once per feature (or group) and repeat with the column shuffled.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/aggregate/Summary.hpp"
#include "hepsweep/data/Dataset.hpp"

namespace hepsweep::io::h5 {
class Group;
}

namespace hepsweep::aggregate {

struct ImportanceOptions {
  bool enabled = false;
  bool allPoints = false;             // every point, not only the best
  std::optional<std::uint64_t> seed;  // of the shuffles; default: the campaign's seed
  int repeats = 1;                    // shuffles per feature and fold, averaged
  // Features shuffled together (the same permutation for all members of a group): explicit lists,
  // and/or every connected set of features whose |Pearson r| >= correlationThreshold (0: none).
  std::vector<std::vector<std::string>> groups;
  double correlationThreshold = 0;
};

// What is permuted, in the order of `features`: the explicit groups (Error(Config) naming an
// unknown feature or one listed twice), then the remaining features joined into groups wherever
// |r| >= threshold links them (single linkage; r over the rows of `table`, whose columns are
// `tableColumns`), then the others alone. Each group lists its members in `features` order.
std::vector<std::vector<std::string>> importanceGroups(const std::vector<std::string>& features,
                                                      const std::vector<std::vector<std::string>>& explicitGroups,
                                                      double threshold, const data::FeatureMatrix& table,
                                                      std::span<const std::string> tableColumns);

// The importance of one point, from its fold result files (any order). Error(Input) naming the
// file when the data file is gone or changed, a fold has no validation events, or the files do
// not come from one data file.
FeatureImportance pointImportance(const std::vector<std::string>& resultFiles, std::int64_t point,
                                  std::uint64_t seed, const ImportanceOptions& o);

// Fills s.importance for the best point (and every point with o.allPoints). Loads the data file
// once for all of them.
void computeImportance(Summary& s, const ImportanceOptions& o);

// /importance of summary.h5 (layout in docs/aggregate.md); nothing when `v` is empty.
void writeImportance(const io::h5::Group& root, const std::vector<FeatureImportance>& v);

}  // namespace hepsweep::aggregate
