#pragma once
// The per-parameter-value summary (ParameterSummary.hpp) read from result files and written to
// summary.h5.
#include <string>
#include <vector>

#include "hepsweep/aggregate/ParameterSummary.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::aggregate {

// From the best point's result files in fold order; empty when they have no "parametrised"
// group. Error(Input) when the folds disagree on the values.
ParameterSummary readParameterSummary(const std::vector<std::string>& resultFiles);

// The group "parametrised" of summary.h5 (nothing when `p` is empty).
void writeParameterSummary(const io::h5::Group& root, const ParameterSummary& p);

}  // namespace hepsweep::aggregate
