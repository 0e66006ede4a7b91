#pragma once
// Bayesian optimisation (method = "bayes"), in the manner of scikit-optimize's gp_minimize:
// `initial_points` points from an initial design, then each point maximises an acquisition
// function of a Gaussian process (Gp.hpp) fitted to every result so far.
//
// Model inputs: each Real or Integer dimension is one column, its Dimension::toUnit position
// (log dimensions in log space; an integer at the centre of the interval that maps to it);
// a Choice dimension of K values is K one-hot columns. The acquisition is optimised over
// [0, 1] per dimension: `kCandidates` random candidates (choices drawn uniformly; integers
// snapped to the values they give), then L-BFGS-B on the Real and Integer columns from the best
// `kRefinements` candidates; the winner is turned into values with Dimension::fromUnit (which
// rounds integers). A winner equal to a point already proposed is skipped for the next best one.
//
// What the model is fitted to, for point i (ids sorted ascending, so arrival order is irrelevant;
// BayesSearcher::nextTrainingData shows it):
//   observed points: their objective;
//   failed points (objective nullopt): the worst (largest) objective observed, so the search
//     moves away from them without an invented number;
//   pending points with a partial result (Searcher::setInterim; racing across folds): its mean,
//     with its variance as the row's own noise (on top of the fitted white noise);
//   other pending points (proposed, not yet observed): the liar's value, so several points proposed
//     before their results are known get distinct proposals: the minimum (cl_min), mean
//     (cl_mean) or maximum (cl_max) of the observed objectives (constant liar), or (kb, kriging
//     believer) the posterior mean at the point of a GP fitted to the observed and failed points
//     alone (a second fit per proposal while points are pending).
// With fewer than two successful observations the next point comes from the initial design's
// random stream instead of the model.
//
// Determinism: the proposal of id i is a function of (seed, i, the observed results, the pending
// ids, and for gp_hedge the gains, and for the warm start the previous fit's hyperparameters;
// both are kept in the state). So a searcher restored from state() proposes what the original
// would have. Random numbers come only from hepsweep::rng, keyed by (seed, Stream::Search, id).
#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::search {

inline constexpr std::size_t kCandidates = 2000;
inline constexpr std::size_t kRefinements = 5;
// Smallest search.model_points other than 0 (a local model of fewer points is mostly noise).
inline constexpr std::int64_t kMinModelPoints = 10;

// How the initial points are spread: independent draws, a Latin hypercube, a shifted Sobol sequence.
enum class InitialDesign { Random, Lhs, Sobol };
// What chooses each model point: one acquisition, or scikit-optimize's gp_hedge portfolio of the three.
enum class AcquisitionKind { EI, LCB, PI, GpHedge };
// The objective assumed for pending points: a constant liar (min, mean, max) or the kriging believer.
enum class Liar { ClMin, ClMean, ClMax, KrigingBeliever };
// The names of the campaign file (search.initial_design, search.acquisition, search.liar).
const char* toString(InitialDesign d);  // "random", "lhs", "sobol"
const char* toString(AcquisitionKind a);  // "EI", "LCB", "PI", "gp_hedge"
const char* toString(Liar l);  // "cl_min", "cl_mean", "cl_max", "kb"
// The point reported as the search's best: the smallest observed mean, or the observed point of
// smallest posterior mean (search.recommend).
enum class Recommendation { Observed, Model };
const char* toString(Recommendation r);  // "observed", "model"

struct BayesOptions {
  std::int64_t initialPoints = 10;     // points from the initial design before the model is used
  InitialDesign initialDesign = InitialDesign::Random;
  AcquisitionKind acquisition = AcquisitionKind::GpHedge;
  double xi = 0.01;                    // EI and PI: improvement margin, in objective units
  double kappa = 1.96;                 // LCB: mean - kappa * sd
  Liar liar = Liar::ClMin;
  // Most points the Gaussian process is fitted to (0: every point). Beyond it the model is local:
  // the `modelPoints` points nearest the best observed one, and the acquisition is optimised
  // inside their bounding box (a trust region, as TuRBO's), so a proposal costs O(modelPoints^3)
  // whatever the number of observations.
  std::int64_t modelPoints = 300;
  // The hyperparameters are fitted (L-BFGS-B on the likelihood) at every refitEvery-th model-based
  // proposal; in between the previous fit's are reused and the model is only conditioned on the
  // current data (one Cholesky factorisation): a batch of refitEvery proposals costs about one fit.
  std::int64_t refitEvery = 1;
  // Each observed point's squared standard error over its folds (Observation::standardError)
  // enters the model as that point's own noise variance, on top of the fitted white noise: a point
  // whose folds disagree pulls the model less than one whose folds agree (heteroscedastic GP).
  bool foldNoise = false;
  // What recommended() reports: the smallest observed mean (as best()) or the observed point with
  // the smallest posterior mean of a GP of the results, liars left out.
  Recommendation recommend = Recommendation::Observed;

  bool operator==(const BayesOptions&) const = default;
};

// ---- acquisition functions (minimisation of the objective; best = smallest observed) ----------
// An acquisition as the searcher minimises it, with its derivatives by the predicted mean and
// standard deviation (the chain rule to the inputs uses GaussianProcess::predict's gradients).
struct Acquisition {
  double value = 0, dMean = 0, dSd = 0;
};
// For f ~ N(mean, sd^2):
//   "EI":  -E[max(best - xi - f, 0)]   (sd = 0: -max(best - xi - mean, 0))
//   "PI":  -P(f < best - xi)           (sd = 0: -1 or 0)
//   "LCB": mean - kappa * sd
// `name` must be one of these three (Error(Internal) otherwise).
Acquisition acquisition(std::string_view name, double mean, double sd, double best, const BayesOptions& options);

// ---- gp_hedge (scikit-optimize's portfolio) ------------------------------------------------------
// The portfolio, in scikit-optimize's order: {"LCB", "EI", "PI"}.
const std::vector<std::string>& hedgePortfolio();
// Softmax temperature eta of the hedge.
inline constexpr double kHedgeEta = 1.0;
// The probability of choosing each acquisition: softmax(kHedgeEta * gains).
std::vector<double> hedgeProbabilities(const std::vector<double>& gains);

// ---- initial designs in [0, 1]^d -------------------------------------------------------------
// Largest dimension count of the Sobol design (Joe and Kuo's direction numbers kept here).
inline constexpr std::size_t kMaxSobolDimensions = 21;
// Point `index` of the unscrambled Sobol sequence (index 0 is the origin), d <= kMaxSobolDimensions.
std::vector<double> sobolPoint(std::uint64_t index, std::size_t d);
// Point `index` of an n-point Latin hypercube: in each dimension the n points fall in distinct
// strata [j/n, (j+1)/n), with a random position inside; keyed by `key`.
std::vector<double> latinHypercubePoint(std::uint64_t key, std::uint64_t index, std::uint64_t n, std::size_t d);

class BayesSearcher final : public Searcher {
 public:
  // budget in [1, kMaxPoints] (capped at the size of a finite discrete space); initial_points >= 1
  // (capped at the budget); Error(Config) on bad options (sobol over more than kMaxSobolDimensions).
  BayesSearcher(Space space, std::int64_t budget, std::uint64_t seed, BayesOptions options = {});

  std::string_view method() const override { return "bayes"; }
  std::size_t totalPoints() const override { return total_; }
  const BayesOptions& options() const { return options_; }
  // The model records so far (one per model-based proposal), as kept in state().
  const std::vector<ModelRecord>& models() const { return models_; }

  // What the Gaussian process of the next proposal is fitted to (nullopt while fewer than two
  // points succeeded: the next point is then random).
  struct TrainingData {
    Eigen::MatrixXd inputs;   // one row per proposed point, by id (model input columns)
    Eigen::VectorXd targets;  // observed: objective; failed: worst observed; pending: interim mean or the liar's value
    // foldNoise or interim results: each row's known noise variance (squared standard error, or
    // the interim variance; 0 for failed and liar rows and points without one); empty otherwise.
    Eigen::VectorXd rowNoise;
    std::int64_t observed = 0, failed = 0, pending = 0;
    double best = 0, worst = 0;  // smallest and largest observed objective
    // With more than modelPoints rows: the trust region (model input columns' lower and upper
    // bounds over the rows kept) and how many rows were left out. Empty / 0 otherwise.
    Eigen::VectorXd lower, upper;
    std::int64_t leftOut = 0;
    // liar "kb" with points pending: the hyperparameters (Gp.hpp's theta) of the GP fitted to the
    // observed and failed rows, whose posterior mean gave the pending rows' targets; else empty.
    Eigen::VectorXd believerTheta;
  };
  std::optional<TrainingData> nextTrainingData() const { return trainingData(static_cast<std::int64_t>(proposedCount())); }

  // options().recommend == Recommendation::Model: the observed point whose posterior mean is smallest, under a GP
  // fitted to the successful observations only (with their fold noise when foldNoise; at most
  // modelPoints of them, the nearest the best), with the last proposal's hyperparameters (fitted
  // afresh before any). Ties: the smaller id. Fewer than two successes: best().
  std::optional<Observation> recommended() const override;

 protected:
  std::vector<Value> generate(std::int64_t id) override;
  bool usesSeed() const override { return true; }
  bool regeneratesOnRestore(std::int64_t id) const override;
  void adoptRestored(const State& state) override;
  void fillState(State& state) const override { state.models = models_; }

 private:
  std::vector<Value> designPoint(std::int64_t id) const;
  std::optional<TrainingData> trainingData(std::int64_t id) const;
  Eigen::VectorXd features(const std::vector<Value>& values) const;
  std::optional<std::vector<Value>> modelPoint(std::int64_t id);
  std::vector<Value> unused(std::vector<Value> values, std::uint64_t key) const;
  bool alreadyProposed(const std::vector<Value>& values) const;
  // Whether the next model-based proposal fits the hyperparameters (else reuses the last fit's).
  bool refitsNext() const;
  // The rows of `inputs` (one per proposed point, by id) the model is fitted to: all of them, or
  // the options().modelPoints nearest the best observed point.
  std::vector<Eigen::Index> modelRows(const Eigen::MatrixXd& inputs,
                                      const std::map<std::int64_t, std::optional<double>>& results, double best) const;

  BayesOptions options_;
  std::uint64_t key_;
  std::size_t total_ = 0;
  std::size_t columns_ = 0;  // model input columns
  std::vector<ModelRecord> models_;
};

}  // namespace hepsweep::search
