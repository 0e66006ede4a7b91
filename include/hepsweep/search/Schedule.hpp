#pragma once
// The asynchronous schedule's hand-out of items (one item = one fold of one point), shared by the
// campaign (AsyncBayesSource, under an MPI lock) and the scheduler simulator (Simulator.hpp), so
// that what the simulator measures is the code the campaign runs.
//
// Hand-outs are counted: index i < R names the i-th of the R items a job found unfinished when it
// started (points proposed before it: finished first, never proposed again); index i >= R names
// fold (i - R) % folds of point P0 + (i - R) / folds, P0 being the points proposed when the job
// started. So the hand-out whose index falls on fold 0 of a point not proposed yet proposes it
// (Searcher::propose(1)); every other index names an item of a known point.
#include <cstdint>
#include <optional>
#include <vector>

#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::search {

struct Handout {
  std::optional<std::int64_t> item;  // the item id (point * folds + fold); nullopt: nothing left
  std::vector<Point> proposed;       // the point this hand-out proposed (at most one)
};

// The item of hand-out `handed`. `resumed`: the unfinished items found at the start;
// `proposedAtStart`: the points proposed then. No item once the searcher is exhausted and every
// fold of its points has been handed out.
Handout handOut(Searcher& searcher, std::int64_t handed, const std::vector<std::int64_t>& resumed,
                std::int64_t proposedAtStart, int folds);

}  // namespace hepsweep::search
