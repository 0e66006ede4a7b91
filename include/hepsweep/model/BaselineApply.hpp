#pragma once
// `hepsweep apply --baseline POINT RUN_DIR INPUT -o OUT.h5`: scores events with the BDT
// baseline of a campaign (docs/baseline.md): the fold models of one point of its [baseline] grid,
// each event's score the mean of theirs (as the network's ensemble), every fold's in /fold_scores.
#include <cstdint>
#include <string>

#include "hepsweep/core/Log.hpp"

namespace hepsweep::model {

struct BaselineApplyOptions {
  std::string runDir;
  std::int64_t point = 0;
  // An HDF5 data file of `hepsweep convert`, or anything convert reads (text, CSV, .gz, a flat
  // ROOT tree as file.root:tree), holding the model's features (matched by name).
  std::string input;
  std::string separator = "auto";  // text inputs: as convert --sep
  std::string idColumn;            // text and ROOT inputs: the column of event ids, written to /ids
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
// the point's folds are not all finished; the input's errors as readDataset's (HDF5) or
// io::InputReader's (text, ROOT), naming the file and row.
BaselineApplySummary applyBaseline(const BaselineApplyOptions& o, const Logger& log = {});

}  // namespace hepsweep::model
