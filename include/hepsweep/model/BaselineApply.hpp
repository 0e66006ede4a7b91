#pragma once
// `hepsweep apply --baseline POINT RUN_DIR INPUT.h5 -o OUT.h5`: scores events with the BDT
// baseline of a campaign (docs/baseline.md): the fold models of one point of its [baseline] grid,
// each event's score the mean of theirs (as the network's ensemble), every fold's in /fold_scores.
#include <cstdint>
#include <string>

#include "hepsweep/core/Log.hpp"

namespace hepsweep::model {

struct BaselineApplyOptions {
  std::string runDir;
  std::int64_t point = 0;
  std::string input;   // an HDF5 data file of `hepsweep convert`, holding the model's features
  std::string output;  // HDF5
  std::string commandLine;
};

struct BaselineApplySummary {
  std::string output;
  int folds = 0;
  std::int64_t rows = 0;
  double seconds = 0;
};

// Error(Input) naming the run directory when it has no finished baseline item at `point`, or when
// the point's folds are not all finished; the input's errors as readDataset's.
BaselineApplySummary applyBaseline(const BaselineApplyOptions& o, const Logger& log = {});

}  // namespace hepsweep::model
