#pragma once
// A scheduler simulator (as Syne Tune's simulator backend): runs a search through the
// asynchronous schedule's hand-out (Schedule.hpp, the code `hepsweep train` runs) for many
// simulated rank groups, with a synthetic objective in place of training and item durations drawn
// from a distribution, on a simulated clock. It measures what the schedule does at a scale no
// test machine has: group utilisation, proposals per second and regret against wall time.
//
// The model of the campaign: each group asks for an item when it has none; asking takes a lock
// shared by all groups (first come, first served), and under it the searcher observes every
// point whose folds have all finished by then (observeFinished) and hands out the next item,
// proposing a point when the item is fold 0 of a point not proposed yet. The lock is held for
// `handoutSeconds` plus, when a point is proposed, the proposal's time: its measured CPU time
// (the real cost of the searcher on this machine) or a fixed `proposalSeconds` (then the whole
// simulation is a function of the seed). A group whose hand-out finds nothing left stops, as in
// the campaign.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::search {

struct SimulationOptions {
  int groups = 10;                 // simulated rank groups
  int folds = 1;                   // items per point (cv.folds)
  double medianItemSeconds = 600;  // item durations: log-normal with this median ...
  double itemSpread = 0.5;         // ... and this standard deviation of the log (0: all equal)
  std::optional<double> proposalSeconds;  // simulated cost of one proposal; nullopt: measured CPU time
  double handoutSeconds = 0;              // simulated lock hold of every hand-out (search.h5 I/O)
  std::uint64_t seed = 1;                 // the durations' random stream
};

// The best objective observed so far, after an observation that improved it.
struct SimulationStep {
  double seconds = 0;  // simulated time
  double best = 0;
  std::int64_t observed = 0;  // points observed then
};

struct SimulationResult {
  double wallSeconds = 0;        // simulated: until the last item finished
  double utilisation = 0;        // training time / (groups x wall time)
  double steadySeconds = 0;      // until the first group found nothing left to train
  double steadyUtilisation = 0;  // training time / (groups x steadySeconds) in that window
  std::int64_t items = 0, proposals = 0;
  double proposalSeconds = 0;     // simulated time spent proposing (sum)
  double proposalCpuSeconds = 0;  // CPU time the proposals took on this machine (sum)
  double lockWaitSeconds = 0;     // simulated time groups waited for the lock (sum)
  std::vector<SimulationStep> trace;
};

// The objective of one item (a point at one fold); smaller is better. The point's result is the
// mean over its folds, as in the campaign (pointResult).
using ItemObjective = std::function<double(const Point& point, int fold)>;

// Runs a fresh `searcher` (nothing proposed yet: Error(Internal) otherwise) to the end of its budget. Error(Config) for groups < 1, folds < 1, a non-positive median or a negative spread.
SimulationResult simulate(Searcher& searcher, const ItemObjective& objective, const SimulationOptions& options);

}  // namespace hepsweep::search
