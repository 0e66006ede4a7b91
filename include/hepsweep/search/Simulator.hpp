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
//
// Multi-fidelity and racing (the campaign's [search.early_stopping] rule = "asha" | "hyperband" and
// [search.racing]) are replayed through the same decision code the campaign runs: an item has a
// learning curve (one value per epoch, `epochs` at most), trains epoch after epoch, and at each rung
// of its bracket (rungEpochs, bracketOf) is judged by rungDecision against the values the other
// items of its fold and bracket recorded at that rung before it, then recorded there itself. A
// stopped item ends at the rung with its running best there as its objective, as in the campaign.
// Racing needs the rounds schedule (as in the campaign): a round proposes one point per group, its
// items go out through claimRaceItem (Racing.hpp) under the lock, a group that finds only items
// waiting for a fold still training waits for the next item to finish, and the next round starts
// when every item of the round has finished. An item's duration is its epochs times its seconds
// per epoch (the log-normal draw divided by `epochs`).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "hepsweep/search/EarlyStopping.hpp"
#include "hepsweep/search/Racing.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::search {

enum class SimulatedSchedule { Asynchronous, Rounds };

struct SimulationOptions {
  int groups = 10;                 // simulated rank groups
  int folds = 1;                   // items per point (cv.folds)
  double medianItemSeconds = 600;  // item durations: log-normal with this median ...
  double itemSpread = 0.5;         // ... and this standard deviation of the log (0: all equal)
  std::optional<double> proposalSeconds;  // simulated cost of one proposal; nullopt: measured CPU time
  double handoutSeconds = 0;              // simulated lock hold of every hand-out (search.h5 I/O)
  std::uint64_t seed = 1;                 // the durations' random stream
  SimulatedSchedule schedule = SimulatedSchedule::Asynchronous;  // search.schedule
  int epochs = 1;                         // train.epochs: the longest an item trains
  EarlyStoppingOptions earlyStopping;     // rule none, asha or hyperband (median: Error(Config))
  RacingOptions racing;                   // needs schedule Rounds and folds >= 2
  // Hand out no item once this many epochs have been trained (finished epochs of every item, the
  // running ones included); nullopt: run the searcher's whole budget.
  std::optional<std::int64_t> epochBudget;
};

// The best objective observed so far, after an observation that improved it.
struct SimulationStep {
  double seconds = 0;  // simulated time
  double best = 0;
  std::int64_t observed = 0;  // points observed then
  std::int64_t epochs = 0;    // epochs trained by then (every item, running ones included)
  std::int64_t id = -1;       // the best point
};

struct SimulationResult {
  double wallSeconds = 0;        // simulated: until the last item finished
  double utilisation = 0;        // training time / (groups x wall time)
  double steadySeconds = 0;      // until the first group found nothing left to train
  double steadyUtilisation = 0;  // training time / (groups x steadySeconds) in that window
  std::int64_t items = 0, proposals = 0;
  std::int64_t epochs = 0;        // epochs trained in all
  std::int64_t stoppedItems = 0;  // items stopped at a rung
  std::int64_t racedOutItems = 0;  // items racing skipped (not counted in `items`)
  double proposalSeconds = 0;     // simulated time spent proposing (sum)
  double proposalCpuSeconds = 0;  // CPU time the proposals took on this machine (sum)
  double lockWaitSeconds = 0;     // simulated time groups waited for the lock (sum)
  std::vector<SimulationStep> trace;
};

// The objective of one item (a point at one fold); smaller is better. The point's result is the
// mean over its folds, as in the campaign (pointResult).
using ItemObjective = std::function<double(const Point& point, int fold)>;

// The learning curve of one item: its value after each epoch (epoch 1 first, at least one value;
// longer than `epochs`: cut; shorter: the item ends there, as with Keras-style early stopping).
// The item's objective is the curve's running best at the last epoch it trained.
using ItemCurve = std::function<std::vector<double>(const Point& point, int fold)>;

// Runs a fresh `searcher` (nothing proposed yet: Error(Internal) otherwise) to the end of its
// budget (or of the epoch budget). Error(Config) for groups < 1, folds < 1, epochs < 1, a
// non-positive median, a negative spread, the median stopping rule, racing without the rounds
// schedule or with one fold, and the halving rules' own range checks.
SimulationResult simulate(Searcher& searcher, const ItemCurve& curve, const SimulationOptions& options);
// The same with a flat curve: every epoch's value is objective(point, fold).
SimulationResult simulate(Searcher& searcher, const ItemObjective& objective, const SimulationOptions& options);

}  // namespace hepsweep::search
