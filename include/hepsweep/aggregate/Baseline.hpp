#pragma once
// The BDT baseline's part of a summary (docs/baseline.md): its points over their folds, the best
// point's ensemble ROC next to the network's, in summary.h5's /baseline group.
#include <span>
#include <string>
#include <vector>

#include "hepsweep/aggregate/Summary.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::aggregate {

// Fills s.baseline from the run directories' RUN/baseline/items/*/result.h5 (nothing when there
// are none). Error(Input) naming the file when a point's folds disagree on the test rows.
void collectBaseline(Summary& s, std::span<const std::string> runDirs, std::span<const double> signalEfficiencies);

// The /baseline group of summary.h5 (written only when s.baseline has points).
void writeBaseline(const io::h5::Group& parent, const Summary& s);

}  // namespace hepsweep::aggregate
