#include "hepsweep/core/Random.hpp"

#include <cmath>
#include <numbers>

namespace hepsweep::rng {

double normal(std::uint64_t key, std::uint64_t counter) noexcept {
  // 1 - u keeps the logarithm finite (u is in [0, 1)).
  const double u1 = 1.0 - uniform(key, 2 * counter);
  const double u2 = uniform(key, 2 * counter + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace hepsweep::rng
