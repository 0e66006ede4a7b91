#pragma once
// Private to src/campaign: work done once per job by world rank 0.
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Communicator.hpp"

namespace hepsweep::campaign {

// What rank 0's work ended with: empty, or the error every rank is to throw.
struct RankZeroOutcome {
  std::string error;
  std::int64_t category = 0;
};

// Runs f (on the calling rank only) and keeps its Error instead of throwing it.
template <class F>
RankZeroOutcome captureError(F&& f) {
  RankZeroOutcome out;
  try {
    f();
  } catch (const Error& e) {
    out.error = e.what();
    out.category = static_cast<std::int64_t>(e.category());
  }
  return out;
}

// Collective: rank 0's outcome on every rank, thrown there when it is an error.
inline void shareOutcome(dist::Communicator& world, RankZeroOutcome out) {
  world.broadcast(out.error, 0);
  std::int64_t cat[1] = {out.category};
  world.broadcast(std::span<std::int64_t>(cat, 1), 0);
  if (!out.error.empty()) throw Error(static_cast<ErrorCategory>(cat[0]), out.error);
}

// Rank 0 does what must happen once (run directory checks, claims, manifest); a failure there
// becomes the same error on every rank instead of a hang.
template <class F>
void onRankZero(dist::Communicator& world, F&& f) {
  RankZeroOutcome out;
  if (world.rank() == 0) out = captureError(f);
  shareOutcome(world, std::move(out));
}

// Collective over `group`: the leader (its rank 0) computes an answer that every rank receives; an
// Error the leader throws is thrown on every rank instead of leaving the others waiting.
template <class F>
std::string leaderAnswer(dist::Communicator& group, bool leader, F&& f) {
  std::string answer;
  RankZeroOutcome out;
  if (leader) out = captureError([&] { answer = f(); });
  group.broadcast(answer, 0);
  shareOutcome(group, std::move(out));
  return answer;
}

}  // namespace hepsweep::campaign
