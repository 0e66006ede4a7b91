#pragma once
// Racing across folds (SMAC3's intensification, with cross-validation folds as its instances): a
// point is trained on its folds one after the other, and its remaining folds are skipped ("raced
// out") as soon as the folds seen make it implausible that its mean over all folds is the best.
// The search module sees numbers only, smaller is better (the campaign passes each fold's stored
// objective: val_loss, 1 - val_auc, -AMS, ...).
//
// The rule, after f finished folds of a point with fold mean m (f < k, f >= minFolds):
//   raced out  <=>  m - z * s / sqrt(f)  >  b
// with b the smallest fold mean among the complete points (all k folds finished, none failed) and
// s the campaign's pooled fold-to-fold standard deviation: sqrt(sum_p (n_p - 1) s_p^2 /
// sum_p (n_p - 1)) over every point p with n_p >= 2 finished folds (s_p its sample standard
// deviation). So a point is dropped when even the optimistic end of a one-sided z interval on its
// mean (z = 1.645: 95 %) is worse than the best complete point's mean. Assumptions: the fold
// objectives of a point scatter around its mean with a spread that is about the same for every
// point (pooled, so one or two folds suffice to use it), and folds are exchangeable (fold 0 is no
// easier than the others). b is treated as known; it is itself a mean over k folds, so the rule
// is slightly aggressive when k is small. Without a complete point, or while no point has two
// folds (s unknown), nothing is raced out.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hepsweep/search/SearchFile.hpp"

namespace hepsweep::search {

struct RacingOptions {
  bool enabled = false;
  double z = 1.645;  // width of the one-sided bound, in standard errors (>= 0; 0 drops any point worse than b)
  int minFolds = 1;  // folds every point trains before it may be raced out (>= 1)
};

// One point's folds as the race sees them: the objectives of its finished folds (any order).
struct RacePoint {
  std::vector<double> folds;  // finished folds' objectives
  bool failed = false;        // a fold failed or is not finite: the point takes no part in the race
};

// What the rule compares against, from every point of the campaign.
struct RaceReference {
  std::optional<double> best;    // smallest mean of a complete point; nullopt: no complete point yet
  std::optional<double> spread;  // pooled fold-to-fold standard deviation; nullopt: no point with 2 folds
  std::int64_t spreadDegrees = 0;  // sum over points of (folds - 1): the pooled spread's degrees of freedom
};

RaceReference raceReference(const std::vector<RacePoint>& points, int folds);

// Why a point was raced out: its mean and folds, and what it lost to.
struct RaceDecision {
  double mean = 0;       // the point's mean over its finished folds
  int foldsTrained = 0;  // f
  double bound = 0;      // m - z * s / sqrt(f)
  double best = 0;       // b
  double spread = 0;     // s
  std::string describe() const;  // one line for logs and the marker file
};

// The decision for a point before its next fold is trained: a RaceDecision when it is raced out,
// nullopt when it goes on (complete, failed, fewer than minFolds folds, or no reference yet).
std::optional<RaceDecision> raceOut(const RacePoint& point, const RaceReference& reference, int folds,
                                    const RacingOptions& options);

// The racing hand-out: which item a rank group trains next, shared by the campaign (RacingSource,
// under the run's lock, results read from the run directory) and the scheduler simulator
// (Simulator.hpp), so that the simulator replays the decisions the campaign takes.
//
// `queue`: the items still to train in this pass, in id order (item = point * folds + fold), each
// flagged when it was handed out already; `points`: the points of the pass (their items are
// 0 .. points * folds - 1); `results`: what is finished (racedOut outcomes included). A point's
// folds go out one at a time, in order: fold f only once folds 0 .. f-1 are finished. Before fold f
// goes out the point is judged by raceOut() against the reference of every finished item; a point
// raced out then has its folds f .. folds - 1 skipped.
struct RaceQueueEntry {
  std::int64_t item = 0;
  bool handedOut = false;
};

// A point raced out while looking for an item: the caller records it (folds fromFold .. folds - 1
// not finished yet). `decision` is nullopt when the point was raced out before (a finished item of
// it says so) and only item point * folds + fromFold lacks the record: a job stopped while it wrote
// the records.
struct RaceAction {
  std::int64_t point = 0;
  int fromFold = 0;
  std::optional<RaceDecision> decision;
};

struct RaceClaim {
  enum class Kind { Item, Wait, None };
  Kind kind = Kind::None;  // Item: queue[index] goes out; Wait: only items waiting for a fold still
                           // training remain; None: nothing left for this pass
  std::size_t index = 0;
  std::vector<RaceAction> racedOut;  // in queue order, to record before the item goes out
};

// Error(Internal) for folds < 1 or an item outside the pass.
RaceClaim claimRaceItem(const std::vector<RaceQueueEntry>& queue, std::int64_t points, const ItemResults& results,
                        const RacingOptions& options);

}  // namespace hepsweep::search
