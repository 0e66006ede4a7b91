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
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

}  // namespace hepsweep::search
