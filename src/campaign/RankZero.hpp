#pragma once
// Private to src/campaign: work done once per job by world rank 0.
#include <cstdint>
#include <span>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Communicator.hpp"

namespace hepsweep::campaign {

// Rank 0 does what must happen once (run directory checks, claims, manifest); a failure there
// becomes the same error on every rank instead of a hang.
template <class F>
void onRankZero(dist::Communicator& world, F&& f) {
  std::string error;
  std::int64_t category = 0;
  if (world.rank() == 0) {
    try {
      f();
    } catch (const Error& e) {
      error = e.what();
      category = static_cast<std::int64_t>(e.category());
    }
  }
  world.broadcast(error, 0);
  std::int64_t cat[1] = {category};
  world.broadcast(std::span<std::int64_t>(cat, 1), 0);
  if (!error.empty()) throw Error(static_cast<ErrorCategory>(cat[0]), error);
}

}  // namespace hepsweep::campaign
