#pragma once
// The result file of one BDT baseline item (RUN/baseline/items/<id>/result.h5; docs/baseline.md):
// the trees (XGBoost's UBJSON bytes, loadable by xgboost.Booster), the per-event scores and rows
// of every split, and the test metrics computed as the network's are (AUC, ROC at a bounded number
// of points, background efficiencies at the configured signal efficiencies, the weighted KS
// overtraining test per class). Written atomically: a file with its final name is complete.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "hepsweep/baseline/Booster.hpp"

namespace hepsweep::baseline {

// The events of one split as the item saw them: rows of the data file, labels, weights (those the
// network's item uses for that split), and the BDT's scores.
struct SplitScores {
  std::vector<std::int64_t> rows;
  std::vector<float> labels, weights, scores;
};

struct ItemRecord {
  std::int64_t id = 0, point = 0;
  int fold = 0, folds = 1;
  std::string campaignSha256, dataFile, dataSha256, configToml;
  BoosterParams params;
  FitHistory history;
  double trainSeconds = 0;
  std::vector<std::string> featureNames;
  // The data file's missing-value marker (NaN: none) and, per feature, whether it applies: such
  // values reach the trees as missing (NaN), in training and in apply.
  float missingValue = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::uint8_t> usesMissing;
  std::vector<double> signalEfficiencies;  // the campaign's metrics.signal_efficiencies
  SplitScores train, val, test;
  std::vector<std::uint8_t> model;  // UBJSON
};

// Test metrics as the result file stores them (computed by writeResult from the scores).
struct ItemMetrics {
  double testAuc = 0, testAucWeighted = 0, valAuc = 0, trainAuc = 0;
  std::vector<double> bkgEff, bkgEffWeighted;  // at signalEfficiencies, test split
  double ksSignalP = 1, ksBackgroundP = 1, ksSignalD = 0, ksBackgroundD = 0;  // train vs test
};

// Row-major features for the trees: `table` (rows x featureNames.size()) with every value equal to
// the marker, in a feature it applies to, replaced by NaN.
void markMissing(std::vector<float>& table, float missingValue, const std::vector<std::uint8_t>& usesMissing);

ItemMetrics computeMetrics(const ItemRecord& r);
void writeResult(const std::string& path, const ItemRecord& r);

// A result file read back: every field of the record (scores included when `withScores`), and
// its stored metrics. Error(Input) naming the file when it is not a baseline result.
struct StoredResult {
  ItemRecord record;
  ItemMetrics metrics;
};
StoredResult readResult(const std::string& path, bool withScores = true);

// The baseline result files of a campaign's run directory (RUN/baseline/items/*/result.h5), in
// item order; empty when the campaign has no baseline.
std::vector<std::string> resultFiles(const std::string& runDir);

// Points of the stored test ROC at most (as the network's result files).
inline constexpr std::size_t kStoredRocPoints = 2000;

}  // namespace hepsweep::baseline
