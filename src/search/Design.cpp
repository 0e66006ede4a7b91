// Initial designs of the Bayesian search: Sobol points and Latin hypercubes.
#include <array>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/search/Bayes.hpp"

namespace hepsweep::search {

namespace {

constexpr int kBits = 32;

// Joe and Kuo's new-joe-kuo-6.21201 table, dimensions 2..21: degree s of the primitive
// polynomial, its coefficient bits a, and the initial direction numbers m_1 .. m_s.
struct SobolRow {
  unsigned s;
  unsigned a;
  std::array<std::uint32_t, 7> m;
};
constexpr std::array<SobolRow, kMaxSobolDimensions - 1> kJoeKuo{{
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
}};

// Direction numbers V_1 .. V_32 of dimension j (0-based), scaled to 32 bits.
std::array<std::uint32_t, kBits> directions(std::size_t j) {
  std::array<std::uint32_t, kBits> v{};
  if (j == 0) {
    for (int k = 0; k < kBits; ++k) v[static_cast<std::size_t>(k)] = 1u << (kBits - 1 - k);
    return v;
  }
  const SobolRow& row = kJoeKuo[j - 1];
  for (unsigned k = 0; k < kBits; ++k) {
    if (k < row.s) {
      v[k] = row.m[k] << (kBits - 1 - k);
      continue;
    }
    std::uint32_t x = v[k - row.s] ^ (v[k - row.s] >> row.s);
    for (unsigned i = 1; i < row.s; ++i)
      if ((row.a >> (row.s - 1 - i)) & 1u) x ^= v[k - i];
    v[k] = x;
  }
  return v;
}

}  // namespace

std::vector<double> sobolPoint(std::uint64_t index, std::size_t d) {
  if (d > kMaxSobolDimensions)
    throw Error(ErrorCategory::Internal, "sobolPoint: " + std::to_string(d) + " dimensions");
  if (index >= (std::uint64_t{1} << kBits)) throw Error(ErrorCategory::Internal, "sobolPoint: index too large");
  std::vector<double> out(d);
  for (std::size_t j = 0; j < d; ++j) {
    const auto v = directions(j);
    std::uint32_t x = 0;
    for (int k = 0; k < kBits; ++k)
      if ((index >> k) & 1u) x ^= v[static_cast<std::size_t>(k)];
    out[j] = static_cast<double>(x) * 0x1.0p-32;
  }
  return out;
}

std::vector<double> latinHypercubePoint(std::uint64_t key, std::uint64_t index, std::uint64_t n, std::size_t d) {
  if (index >= n) throw Error(ErrorCategory::Internal, "latinHypercubePoint: index beyond n");
  std::vector<double> out(d);
  std::vector<std::uint64_t> perm(static_cast<std::size_t>(n));
  for (std::size_t j = 0; j < d; ++j) {
    const std::uint64_t dimKey = rng::derive(key, j);
    std::iota(perm.begin(), perm.end(), std::uint64_t{0});
    rng::shuffle(perm.data(), n, dimKey);
    const double offset = rng::uniform(rng::derive(dimKey, 1), index);
    out[j] = (static_cast<double>(perm[static_cast<std::size_t>(index)]) + offset) / static_cast<double>(n);
  }
  return out;
}

}  // namespace hepsweep::search
