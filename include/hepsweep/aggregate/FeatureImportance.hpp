#pragma once
// Permutation feature importance of one point's fold models (aggregate --importance): on each
// fold's validation events, the drop of the AUC when the values of a feature (or of a group of
// features, permuted together) are shuffled across the events. Computed by Importance.cpp,
// stored in summary.h5 under /importance (docs/aggregate.md), drawn by the report.
#include <cstdint>
#include <string>
#include <vector>

namespace hepsweep::aggregate {

struct FeatureImportance {
  std::int64_t point = -1;  // index into Summary::points' point ids
  std::vector<int> folds;   // the folds evaluated, ascending
  // What was permuted: one entry per feature or group; the name joins a group's members with '+'.
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> members;
  // The metric without any permutation, per fold (its validation AUC, as training's val_auc).
  std::vector<double> baseline;
  // drop[g][k]: baseline[k] minus the metric with group g shuffled on fold folds[k], averaged over
  // the repeats. mean[g] and std[g] (ddof = 1; 0 for one fold) are over the folds.
  std::vector<std::vector<double>> drop;
  std::vector<double> mean, std;
  std::vector<std::int64_t> validationEvents;  // per fold
  std::string metric = "val_auc";
  std::uint64_t seed = 0;
  int repeats = 1;
  double correlationThreshold = 0;  // automatic grouping (0: off)
};

}  // namespace hepsweep::aggregate
