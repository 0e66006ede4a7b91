#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::search {

namespace {

// Redraws before falling back to picking among the unused points: enough that the fallback
// only matters once a discrete space is nearly used up.
constexpr std::uint64_t kRedraws = 64;

}  // namespace

RandomSearcher::RandomSearcher(Space space, std::int64_t budget, std::uint64_t seed)
    : Searcher(std::move(space), seed), key_(rng::streamKey(seed, rng::Stream::Search)) {
  if (budget < 1)
    throwConfig("search method = \"random\" needs budget >= 1 (got budget = " + std::to_string(budget) + ")");
  if (static_cast<std::uint64_t>(budget) > kMaxPoints)
    throwConfig("search budget = " + std::to_string(budget) + " exceeds the limit of " +
                std::to_string(kMaxPoints) + " points");
  total_ = static_cast<std::size_t>(budget);
  const std::optional<std::uint64_t> n = this->space().cardinality();
  if (n && *n <= kMaxPoints) {
    discreteSize_ = n;
    used_.assign(static_cast<std::size_t>(*n), false);
    total_ = std::min(total_, static_cast<std::size_t>(*n));
  }
}

std::vector<Value> RandomSearcher::generate(std::int64_t id) {
  const std::uint64_t pointKey = rng::derive(key_, static_cast<std::uint64_t>(id));
  if (!discreteSize_) return space().draw(pointKey);
  // Point i depends on (seed, i) and on points 0..i-1, which depend only on the seed: resuming
  // or proposing in other batch sizes still gives the same sequence.
  for (std::uint64_t attempt = 0; attempt < kRedraws; ++attempt) {
    std::vector<Value> values = space().draw(rng::derive(pointKey, attempt));
    const std::uint64_t r = space().rankOf(values);
    if (!used_[r]) {
      used_[r] = true;
      return values;
    }
  }
  const std::uint64_t unused = *discreteSize_ - proposedCount();
  std::uint64_t skip = rng::below(rng::derive(pointKey, kRedraws), 0, unused);
  for (std::uint64_t r = 0; r < *discreteSize_; ++r) {
    if (used_[r]) continue;
    if (skip-- == 0) {
      used_[r] = true;
      return space().valuesAt(r);
    }
  }
  throw Error(ErrorCategory::Internal, "random search: no unused point left in a space of " +
                                           std::to_string(*discreteSize_));
}

}  // namespace hepsweep::search
