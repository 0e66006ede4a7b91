#pragma once
// Early stopping of poor points: the median stopping rule of Google Vizier (Golovin et al.,
// KDD 2017), on per-epoch learning curves. The search module knows nothing of training: it sees
// one number per epoch per run, smaller is better (the campaign passes val_loss, or 1 - val_auc).
//
// The rule: a running curve is stopped after epoch e when its best value so far (its running
// best at e) is strictly worse than the median of the completed curves' running bests at e.
//   - grace: it is never stopped before `graceEpochs` epochs have run (young networks are noisy);
//   - minimum: the median needs at least `minCompleted` completed curves, else nothing is stopped;
//   - a completed curve shorter than e (Keras-style early stopping ended it) counts with its
//     final running best: it would not have improved on it;
//   - ties (equal to the median) are not stopped; the median of an even count is the mean of the
//     two middle values (numpy.median);
//   - a non-finite value counts as +infinity (worse than anything).
// The caller decides which curves are comparable (the campaign compares items of the same fold,
// whose validation splits are the same) and which count as completed (runs that ended on their
// own; runs stopped by this rule are not reference curves: they end early by construction).
//
// Asynchronous successive halving (ASHA, Li et al., MLSys 2020), as a stopping rule (as Ray Tune's
// ASHAScheduler): rungs at epochs r, r*eta, r*eta^2, ... below the maximum R (train.epochs). When a
// run reaches a rung it records its value there (its running best) and continues only if that value
// is among the best max(1, floor(n / eta)) of the n values recorded at that rung so far by
// comparable runs, itself included (a tie with the cutoff continues); otherwise it is stopped. Runs
// that reach a rung early compare against few values: the first always continues (asynchronous
// promotion, no waiting for a full rung). Hyperband (Li et al., JMLR 2018) runs brackets
// s = 0 .. s_max, s_max = floor(log_eta(R / r)): bracket s has its first rung at r*eta^s, and point
// i belongs to bracket i mod (s_max + 1); runs are compared within their bracket only.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hepsweep::search {

enum class StoppingRule { None, Median, Asha, Hyperband };
const char* toString(StoppingRule r);  // "none", "median", "asha", "hyperband"

struct EarlyStoppingOptions {
  StoppingRule rule = StoppingRule::None;  // None: off
  int graceEpochs = 5;        // median: epochs every run trains before the rule may stop it (>= 1)
  int minCompleted = 3;       // median: completed curves needed before the rule applies (>= 1)
  int minEpochs = 1;          // asha, hyperband: r, the first rung (>= 1)
  int reductionFactor = 3;    // asha, hyperband: eta, 1 / eta of the runs at a rung continue (>= 2)
};

// The rules EarlyStoppingOptions::rule accepts, in the order listed in messages.
std::vector<std::string> earlyStoppingRules();

// running[i] = min(curve[0..i]), non-finite values taken as +infinity.
std::vector<double> runningBest(std::span<const double> curve);

// The median of `values` (numpy.median: mean of the two middle ones for an even count).
// Error(Internal) when empty.
double median(std::vector<double> values);

struct StopDecision {
  bool stop = false;
  int epoch = 0;           // the (1-based) epoch the decision is about: the curve's length
  double value = 0;        // the running curve's best so far
  double median = 0;       // the completed curves' median running best at that epoch
  std::size_t compared = 0;  // completed curves the median was taken over (0: rule did not apply)
};

class MedianStoppingRule {
 public:
  // Error(Config) when the options are out of range (graceEpochs or minCompleted < 1).
  explicit MedianStoppingRule(const EarlyStoppingOptions& options);

  // A completed curve (values per epoch, epoch 1 first). Empty curves are ignored.
  void addCompleted(std::span<const double> curve);
  std::size_t completedCount() const { return completed_.size(); }

  // The median of the completed curves' running bests at (1-based) `epoch`, or nullopt with
  // fewer than minCompleted completed curves.
  std::optional<double> medianAt(int epoch) const;

  // The decision after the last epoch of `running` (its values so far, epoch 1 first).
  StopDecision check(std::span<const double> running) const;

 private:
  EarlyStoppingOptions options_;
  std::vector<std::vector<double>> completed_;  // running bests
};

// Successive halving's brackets for runs of at most `maxEpochs` epochs: 1 for asha, s_max + 1 for
// hyperband (s_max = the largest s with r*eta^s <= maxEpochs; 0 when r >= maxEpochs). Error(Config)
// for r < 1, eta < 2 or maxEpochs < 1.
int haltingBrackets(const EarlyStoppingOptions& options, int maxEpochs);

// The bracket of point `point` (0-based): point mod brackets.
int bracketOf(std::int64_t point, int brackets);

// Whether items `a` and `b` (item = point * folds + fold) compare their values at a rung: the same
// fold (the same validation split) and the same bracket. The campaign (ItemStopping) and the
// scheduler simulator pick an item's rung peers with it.
bool rungPeers(std::int64_t a, std::int64_t b, int folds, int brackets);

// The rung epochs of `bracket`, ascending: r*eta^(bracket + k) for k = 0, 1, ... while below
// maxEpochs (a run that reaches maxEpochs is finished, not judged). Empty when none is.
std::vector<int> rungEpochs(const EarlyStoppingOptions& options, int maxEpochs, int bracket);

struct RungDecision {
  bool stop = false;
  int epoch = 0;             // the rung
  double value = 0;          // the run's running best there
  double cutoff = 0;         // the k-th best value at the rung, k = max(1, floor(compared / eta))
  std::size_t compared = 0;  // values at the rung, the run's own included
};

// The decision of a run reaching rung `epoch` with running best `value`, given the values that
// comparable runs recorded at that rung before it (`others`, not including its own). Non-finite
// values count as +infinity. Error(Config) for eta < 2.
RungDecision rungDecision(int epoch, double value, std::span<const double> others, int reductionFactor);

}  // namespace hepsweep::search
