#pragma once
// Collecting the results of one or several campaign run directories into a Summary, and writing
// it as summary.h5 (layout: docs/aggregate.md).
//
// A run directory is read from its files alone: campaign.toml (the objective, folds, seed),
// manifest.h5 (the planned items) and items/<id>/result.h5 (finished items). Points are identified
// by their parameter set (the search's key=value overrides): the same parameters in two run
// directories are the same point, and the same (point, fold) twice is an error naming both files.
// Run directories must hold the same campaign apart from output.dir and the [search] section
// (several submissions of one study), else Error(Config) lists the differing keys.
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/aggregate/Summary.hpp"

namespace hepsweep::aggregate {

struct CollectOptions {
  // Skip items without a readable result (failed, unfinished, corrupt) and list them in
  // Summary::incomplete instead of failing with Error(Input) naming them.
  bool allowIncomplete = false;
  // Working points of the ensemble on the test set; each in (0, 1].
  std::vector<double> signalEfficiencies = {0.5, 0.8, 0.9};
  // Keep the train/test score distributions of the overtraining check in the Summary (the KS
  // numbers are always computed).
  bool keepScoreDistributions = true;
};

Summary collect(const std::vector<std::string>& runDirs, const CollectOptions& options = {});

// Writes `path` atomically (temporary file, then rename). Layout in docs/aggregate.md.
// `commandLine` is stored as the command_line attribute (the invocation of `hepsweep aggregate`).
void writeSummaryFile(const std::string& path, const Summary& s, const std::string& commandLine = "");

// Sample standard deviation (ddof = 1); 0 for fewer than two values.
double sampleStd(const std::vector<double>& v);

}  // namespace hepsweep::aggregate
