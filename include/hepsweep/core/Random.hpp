#pragma once
// Counter-based random numbers. A value is a pure function of (key, counter): no hidden state, so
// the same event gets the same dropout mask and the same shuffle position whichever rank or
// thread computes it, and a resumed run continues exactly where it stopped. The mixer is
// SplitMix64's finaliser applied to a combined key; it passes BigCrush when used as a counter
// generator (Steele, Lea, Flood 2014) and is cheap enough for per-unit dropout masks.
#include <cstdint>

namespace hepsweep::rng {

constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Derive a stream key from a parent key and a tag (e.g. seed -> item -> epoch -> purpose).
constexpr std::uint64_t derive(std::uint64_t parent, std::uint64_t tag) noexcept {
  return mix64(parent ^ mix64(tag + 0x632be59bd9b4e019ULL));
}

// Well-known purposes, so two uses of one seed never share a stream.
enum class Stream : std::uint64_t {
  Split = 1, Balance = 2, Shuffle = 3, Dropout = 4, Init = 5, Fold = 6, Search = 7, Misc = 8
};

constexpr std::uint64_t streamKey(std::uint64_t seed, Stream s) noexcept {
  return derive(seed, static_cast<std::uint64_t>(s));
}

// 64 random bits for (key, counter).
constexpr std::uint64_t bits(std::uint64_t key, std::uint64_t counter) noexcept {
  return mix64(key ^ mix64(counter));
}

// Uniform in [0, 1) with 53 bits (double) or 24 bits (float).
constexpr double uniform(std::uint64_t key, std::uint64_t counter) noexcept {
  return static_cast<double>(bits(key, counter) >> 11) * 0x1.0p-53;
}
constexpr float uniformf(std::uint64_t key, std::uint64_t counter) noexcept {
  return static_cast<float>(bits(key, counter) >> 40) * 0x1.0p-24f;
}

// MurmurHash3's 32-bit finaliser (a bijection with full avalanche).
constexpr std::uint32_t fmix32(std::uint32_t h) noexcept {
  h = (h ^ (h >> 16)) * 0x85ebca6bU;
  h = (h ^ (h >> 13)) * 0xc2b2ae35U;
  return h ^ (h >> 16);
}

// The uniform in [0, 1) (24 bits) that decides whether unit `unit` of a layer is dropped for the
// event with counter `counter` (dropped when below the dropout rate). One 64-bit hash per (layer
// key, event), then a 32-bit finaliser per unit: the nn kernels compute it 8 or 16 units per
// vector. Distinct units of one event get distinct values.
constexpr float dropoutUniform(std::uint64_t layerKey, std::uint64_t counter, std::uint32_t unit) noexcept {
  const std::uint64_t event = bits(layerKey, counter);
  const auto lo = static_cast<std::uint32_t>(event), hi = static_cast<std::uint32_t>(event >> 32);
  return static_cast<float>(fmix32(fmix32(lo + unit * 0x9e3779b9U) ^ hi) >> 8) * 0x1.0p-24f;
}

// Standard normal by Box-Muller on two counters (2*counter, 2*counter+1).
double normal(std::uint64_t key, std::uint64_t counter) noexcept;

// 128-bit product; __extension__ keeps -Wpedantic quiet about the GCC/Clang builtin type.
__extension__ typedef unsigned __int128 Uint128;

// Uniform integer in [0, n) without modulo bias worth caring about (Lemire's multiply-shift).
inline std::uint64_t below(std::uint64_t key, std::uint64_t counter, std::uint64_t n) noexcept {
  return static_cast<std::uint64_t>((static_cast<Uint128>(bits(key, counter)) * n) >> 64);
}

// A sequential generator on top of the counter function, for code that wants "next()".
// Its whole state is (key, counter), which is what a checkpoint stores.
class CounterRng {
 public:
  explicit CounterRng(std::uint64_t key, std::uint64_t counter = 0) : key_(key), counter_(counter) {}
  std::uint64_t next() noexcept { return bits(key_, counter_++); }
  double uniform() noexcept { return rng::uniform(key_, counter_++); }
  double normal() noexcept { double v = rng::normal(key_, counter_); counter_ += 1; return v; }
  std::uint64_t below(std::uint64_t n) noexcept { return rng::below(key_, counter_++, n); }
  std::uint64_t key() const noexcept { return key_; }
  std::uint64_t counter() const noexcept { return counter_; }

 private:
  std::uint64_t key_;
  std::uint64_t counter_;
};

// Fisher-Yates permutation of [0, n) determined by key alone.
template <class Index>
void shuffle(Index* first, std::uint64_t n, std::uint64_t key) {
  for (std::uint64_t i = n; i > 1; --i) {
    const std::uint64_t j = below(key, i, i);
    const Index t = first[i - 1];
    first[i - 1] = first[j];
    first[j] = t;
  }
}

}  // namespace hepsweep::rng
