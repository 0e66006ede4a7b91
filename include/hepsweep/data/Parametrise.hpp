#pragma once
// Parametrised networks (Baldi et al., Eur. Phys. J. C 76 (2016) 235): one input feature is a
// physics parameter (e.g. the signal mass). Signal events carry their true value; background
// events, which have none, get values drawn from the signal's, so that the parameter alone does
// not separate the classes and the network learns the separation as a function of it.
#include <cstdint>
#include <span>
#include <vector>

#include "hepsweep/data/Dataset.hpp"

namespace hepsweep::data {

// The draw, as recorded in result.h5 (parametrised/@draw).
inline constexpr const char* kParameterDrawRule =
    "background row r gets the parameter value of the signal event with index "
    "rng::below(derive(streamKey(seed, Misc), 0x9a7a), r, n) among the n signal rows (in file order) whose value is "
    "not held out: uniform over signal events, with replacement, unweighted";

// Tag of the draw under the seed's Misc stream (no other draw uses it).
inline constexpr std::uint64_t kParameterTag = 0x9a7a;

// Whether `value` is one of `heldOut` (compared as float32, as the table stores it).
bool isHeldOut(float value, std::span<const double> heldOut);

struct ParameterDraw {
  Index pool = 0;                    // signal rows the values are drawn from
  Index background = 0;              // background rows given a value
  std::vector<double> signalValues;  // distinct values of the signal rows (held-out ones too), ascending
};

// Overwrites column `column` of every background row (label < 0.5) of the row-major `table`
// (`rows` x `stride`) with the draw of kParameterDrawRule. The result depends on the seed, the
// labels and the signal's values only: every rank and every run draws the same values.
// Error(Input) when no signal row is left to draw from.
ParameterDraw drawBackgroundParameter(float* table, Index rows, Index stride, std::span<const float> labels,
                                      Index column, std::uint64_t seed, std::span<const double> heldOut);

}  // namespace hepsweep::data
