#pragma once
// Searchers propose points of a Space and receive the objective of each point when it has been
// evaluated. They know nothing of training: the campaign module turns a point into overrides,
// trains k folds, and reports the mean objective back.
//
// The interface is asynchronous so that a model-based search (bayes, Bayes.hpp) fits it: the
// caller may propose a few points, observe results in any order, propose more. Points get stable ids
// 0, 1, 2, ... in proposal order. Smaller objective is better (pass -AUC to maximise an AUC).
//
// Resume: state() lists the proposals and observations in order; a fresh searcher built from the
// same [search] section and seed, given restore(state), re-proposes the same points (checking
// they match, so an edited [search] section is caught) and re-applies the observations. Points
// proposed but never observed are pending() again and are the caller's to re-run.
//
//   grid:   the full Cartesian product of Dimension::gridValues(), in the order of
//           itertools.product: the last dimension varies fastest. Deterministic, no seed.
//   random: `budget` points; point i is drawn from the counter RNG keyed by (seed, i), so a
//           resumed or extended search proposes the same points whatever batches were asked.
//           Reals are uniform (log-uniform when log), integers uniform inclusive (log-uniform
//           when log), choices uniform. When every dimension is discrete and the space has at
//           most kMaxPoints points, exact duplicates are avoided: a duplicate is redrawn (64
//           tries, then the point is drawn uniformly among the unused ones), and a budget larger
//           than the space gives each point once, in random order (fewer points than budget).
//           Otherwise draws are independent (duplicates of reals have probability ~0).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hepsweep/search/Space.hpp"

namespace hepsweep::search {

struct Observation {
  std::int64_t id = -1;
  std::optional<double> objective;  // nullopt: the point failed (or its objective was not finite)
  // Evaluations (folds) of the point that the early-stopping rule cut short: their objective is
  // the value at stopping, pessimistic at worst. Recorded for users; the model uses the objective.
  std::int64_t stoppedFolds = 0;
  // The standard error of the objective (the spread of the folds / sqrt(folds)), when the point
  // had several folds: what a fold-aware model (search.fold_noise) takes as the point's own noise.
  std::optional<double> standardError{};

  bool operator==(const Observation&) const = default;
};

// The observation with the smallest objective (failures ignored; ties: the smallest id), or
// nullopt when none succeeded. What Searcher::best() and `hepsweep status` report.
std::optional<Observation> bestObservation(const std::vector<Observation>& observations);

// What a model-based searcher (bayes) used to propose one point: kept in the state so that a
// resumed search continues from the same hyperparameters and hedge gains, and so that users can
// inspect the fits (search.h5).
struct ModelRecord {
  std::int64_t id = -1;              // the point proposed with this model
  std::int64_t observed = 0;         // successful observations fitted
  std::int64_t failed = 0;           // failed points fitted at the worst observed objective
  std::int64_t pending = 0;          // pending points fitted at the liar's value
  std::string acquisition;           // what chose the point: "EI", "LCB" or "PI"
  double amplitude = 0;              // kernel variance (normalised objective units)
  double noise = 0;                  // white-noise variance (normalised objective units)
  std::vector<double> lengthScales;  // one per model input column (unit-cube units)
  double logLikelihood = 0;          // log marginal likelihood of the fit
  std::vector<double> hedgeGains;    // gp_hedge: gains of [LCB, EI, PI] after this proposal
  std::vector<std::vector<double>> hedgeCandidates;  // gp_hedge: the optimum of each, model inputs

  bool operator==(const ModelRecord&) const = default;
};

// What is known of a pending point before its result (racing across folds: the mean of the folds
// it has trained so far), with the variance of that estimate.
struct Interim {
  double mean = 0;
  double variance = 0;

  bool operator==(const Interim&) const = default;
};

struct State {
  std::string method;                     // "grid", "random", "bayes"
  std::uint64_t seed = 0;
  std::vector<Point> proposals;           // ids 0 .. n-1, in order
  std::vector<Observation> observations;  // in the order they arrived
  std::vector<ModelRecord> models;        // bayes: one per model-based proposal, in id order
};

// JSON text of a state (an object with "format": "hepsweep-search-state", "version": 1, method,
// seed, points as [[key, toml], ...] lists, observations with null for failures, and for bayes
// "models"). Doubles are written in a form that reads back exactly.
std::string stateToJson(const State& state);
// Reads stateToJson output; each point is checked against `space` (Space::parsePoint).
// `sourceName` names the text in messages. Error(Config) on malformed text or mismatch.
State stateFromJson(std::string_view json, const Space& space, std::string_view sourceName);

class Searcher {
 public:
  virtual ~Searcher() = default;
  Searcher(const Searcher&) = delete;
  Searcher& operator=(const Searcher&) = delete;

  virtual std::string_view method() const = 0;
  // How many points this searcher proposes in all (grid size; random: the budget, or the size of
  // a smaller discrete space).
  virtual std::size_t totalPoints() const = 0;

  // Up to n new points with consecutive ids; fewer (possibly none) once exhausted.
  std::vector<Point> propose(std::size_t n);
  // The result of a proposed point. A non-finite objective is recorded as a failure (nullopt).
  // An id never proposed, or observed before, is a caller bug: Error(Internal).
  void observe(std::int64_t id, std::optional<double> objective, std::int64_t stoppedFolds = 0,
               std::optional<double> standardError = std::nullopt);
  // Same, taking the id from the point and checking its values match the proposal (Error(Internal)).
  void observe(const Point& point, std::optional<double> objective);

  // True when propose() will return nothing more (all totalPoints() proposed). Results may
  // still be pending.
  virtual bool exhausted() const;
  // Exhausted and every proposed point observed.
  bool finished() const;

  const Space& space() const { return space_; }
  std::uint64_t seed() const { return seed_; }
  std::size_t proposedCount() const { return proposals_.size(); }
  const std::vector<Point>& proposals() const { return proposals_; }
  const Point& point(std::int64_t id) const;  // Error(Internal) for an id not proposed
  const std::vector<Observation>& observations() const { return observations_; }
  // Ids proposed but not observed, ascending.
  std::vector<std::int64_t> pending() const;
  // bestObservation(observations()).
  std::optional<Observation> best() const { return bestObservation(observations_); }
  // The point to report as the search's result: best() unless the searcher says otherwise (bayes
  // with search.recommend = "model": the observed point of best posterior mean).
  virtual std::optional<Observation> recommended() const { return best(); }

  // Partial results of pending points, for the next proposals: a model-based searcher (bayes) fits
  // such a point at its mean with its variance as the point's own noise, instead of the liar's
  // value. Not part of state(): the caller sets them again from its results before proposing (the
  // campaign reads them from the run directory). Entries of points not pending are ignored.
  void setInterim(std::map<std::int64_t, Interim> interim) { interim_ = std::move(interim); }
  const std::map<std::int64_t, Interim>& interim() const { return interim_; }

  State state() const;
  // On a searcher that has proposed nothing yet. Error(Config) when the state belongs to another
  // method or seed, when a saved point differs from the one this searcher proposes for that id
  // (the [search] section changed), or when observations are inconsistent (unknown or repeated id).
  // Points that depend on earlier results (bayes after its initial design) are taken as saved
  // rather than proposed again; only their fit to the space is checked.
  void restore(const State& state);

 protected:
  Searcher(Space space, std::uint64_t seed);
  // Values of the next point (its id is proposedCount()); called only when !exhausted().
  virtual std::vector<Value> generate(std::int64_t id) = 0;
  // Whether the points depend on the seed (a state saved with another seed is refused).
  virtual bool usesSeed() const = 0;
  // Whether restore() proposes point `id` again to compare it with the saved one (true), or
  // takes the saved point as is (false: the point depended on results).
  virtual bool regeneratesOnRestore(std::int64_t) const { return true; }
  // Called by restore() after the proposals and observations are back, with the saved state.
  virtual void adoptRestored(const State&) {}
  // Adds what the subclass keeps (model records) to state().
  virtual void fillState(State&) const {}

 private:
  Space space_;
  std::uint64_t seed_;
  std::vector<Point> proposals_;
  std::vector<Observation> observations_;
  std::vector<bool> observed_;  // by id
  std::map<std::int64_t, Interim> interim_;
};

class GridSearcher final : public Searcher {
 public:
  // Runs the whole product (no budget). Grids over kMaxPoints points, and an empty space, are
  // Error(Config).
  explicit GridSearcher(Space space);

  std::string_view method() const override { return "grid"; }
  std::size_t totalPoints() const override { return total_; }

 protected:
  std::vector<Value> generate(std::int64_t id) override;
  bool usesSeed() const override { return false; }

 private:
  std::vector<std::vector<Value>> axes_;  // grid values per dimension
  std::size_t total_ = 0;
};

class RandomSearcher final : public Searcher {
 public:
  // budget in [1, kMaxPoints]; Error(Config) otherwise, and for an empty space.
  RandomSearcher(Space space, std::int64_t budget, std::uint64_t seed);

  std::string_view method() const override { return "random"; }
  std::size_t totalPoints() const override { return total_; }

 protected:
  std::vector<Value> generate(std::int64_t id) override;
  bool usesSeed() const override { return true; }

 private:

  std::uint64_t key_;
  std::size_t total_ = 0;
  std::optional<std::uint64_t> discreteSize_;  // set when duplicates are avoided
  std::vector<bool> used_;                     // by rank, when discreteSize_ is set
};

// The methods makeSearcher knows, in the order listed in messages.
std::vector<std::string> availableMethods();

struct BayesOptions;

// "grid", "random" or "bayes". budget: the number of points of random and bayes (required); grid
// ignores it (it runs its whole product, whose size is fixed by the steps and lists). `bayes`:
// the options of method "bayes" (defaults when null).
// Unknown names are Error(Config) listing the methods (with a "did you mean").
std::unique_ptr<Searcher> makeSearcher(std::string_view method, Space space,
                                       std::optional<std::int64_t> budget, std::uint64_t seed,
                                       const BayesOptions* bayes = nullptr);

}  // namespace hepsweep::search
