#include "hepsweep/data/Parametrise.hpp"

#include <algorithm>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"

namespace hepsweep::data {

bool isHeldOut(float value, std::span<const double> heldOut) {
  return std::any_of(heldOut.begin(), heldOut.end(), [&](double h) { return static_cast<float>(h) == value; });
}

ParameterDraw drawBackgroundParameter(float* table, Index rows, Index stride, std::span<const float> labels,
                                      Index column, std::uint64_t seed, std::span<const double> heldOut) {
  if (column < 0 || column >= stride || static_cast<Index>(labels.size()) != rows)
    throw Error(ErrorCategory::Internal, "drawBackgroundParameter: column or labels do not fit the table");
  ParameterDraw d;
  std::vector<float> pool;
  for (Index r = 0; r < rows; ++r) {
    if (labels[static_cast<std::size_t>(r)] <= 0.5f) continue;
    const float v = table[r * stride + column];
    d.signalValues.push_back(v);
    if (!isHeldOut(v, heldOut)) pool.push_back(v);
  }
  std::sort(d.signalValues.begin(), d.signalValues.end());
  d.signalValues.erase(std::unique(d.signalValues.begin(), d.signalValues.end()), d.signalValues.end());
  d.pool = static_cast<Index>(pool.size());
  if (pool.empty())
    throwInput("data.parameter: no signal event is left to draw the background's parameter values from (" +
               std::to_string(d.signalValues.size()) + " signal value(s), all held out by data.held_out)");
  const std::uint64_t key = rng::derive(rng::streamKey(seed, rng::Stream::Misc), kParameterTag);
  for (Index r = 0; r < rows; ++r) {
    if (labels[static_cast<std::size_t>(r)] > 0.5f) continue;
    table[r * stride + column] = pool[rng::below(key, static_cast<std::uint64_t>(r), pool.size())];
    ++d.background;
  }
  return d;
}

}  // namespace hepsweep::data
