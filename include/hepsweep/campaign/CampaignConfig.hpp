#pragma once
// A campaign: the base training configuration (train::RunConfig) plus the sections that turn it
// into k folds x a hyperparameter search run on MPI rank groups.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hepsweep/dist/GradientReduction.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/Bayes.hpp"
#include "hepsweep/search/EarlyStopping.hpp"
#include "hepsweep/search/Racing.hpp"
#include "hepsweep/search/Space.hpp"
#include "hepsweep/train/Config.hpp"

namespace hepsweep::campaign {

struct CvConfig {
  // k = 1: one plain train/validation split (data.split.train/val). k > 1: the rows outside the
  // test hold-out are cut into k folds; item f validates on fold f and trains on the others.
  int folds = 1;
};

// None: no [search] section, a single point (the base configuration); the others name the
// search::makeSearcher method of the same name.
enum class SearchMethod { None, Grid, Random, Bayes };
const char* toString(SearchMethod m);  // "none", "grid", "random", "bayes"

// bayes under `hepsweep train` with several rank groups: Asynchronous (a group that runs out of
// items proposes the next point at once, the running points entered through the liar) or Rounds
// (all groups wait for each other between batches of proposals; exactly reproducible).
enum class BayesSchedule { Asynchronous, Rounds };
const char* toString(BayesSchedule s);  // "asynchronous", "rounds"

struct SearchConfig {
  SearchMethod method = SearchMethod::None;
  std::optional<std::int64_t> budget;  // random, bayes: number of points
  search::BayesOptions bayes;          // bayes: initial design, acquisition, liar
  BayesSchedule schedule = BayesSchedule::Asynchronous;
  // What ranks the points, always on validation data, mean over folds, stored so that smaller is
  // better (metrics/Objective.hpp): "val_loss", "val_auc" (as 1 - AUC), "ams" (as -AMS) or
  // "bkg_eff@sig_eff=X".
  metrics::Objective objective;
  search::Space space;  // the [search.space] table, in file order
  // [search.early_stopping]: stop poor items during training (median rule, asha or hyperband; off by default).
  search::EarlyStoppingOptions earlyStopping;
  // [search.racing]: train a point's folds one after the other and skip the rest once it cannot be
  // the best (search/Racing.hpp; off by default).
  search::RacingOptions racing;
};

// Where a job keeps the campaign's data while it trains items (docs/train.md, "Memory"):
//   Node: one copy of the data file's events per node, in memory shared by its ranks, read once
//         per job; every item picks its rows from it.
//   Rows: no copy; each rank reads the rows of each item from the file (only its share of them when
//         ranks_per_item > 1): for data beyond a node's memory.
//   Auto: Node when the copy takes at most half of the memory available on every node, else Rows.
enum class DataPlacement { Auto, Node, Rows };
const char* toString(DataPlacement p);

struct ResourcesConfig {
  int ranksPerItem = 1;  // G: MPI ranks that train one item together (must divide the world size)
  // Deterministic (default): fixed-order tree reduction, identical weights for G = 1, 2, 4.
  // Fast: MPI_Allreduce in whatever order the library picks.
  dist::GradientSum reduction = dist::GradientSum::Deterministic;
  DataPlacement data = DataPlacement::Auto;
};

// [baseline]: gradient-boosted trees (XGBoost) trained on the same folds, weights and splits as
// the network, as items of their own (RUN/baseline/items/<id>/). Off unless method = "xgboost";
// when off no key of it is dumped, so a campaign without it is the campaign it always was. The
// lists form a grid (trees x max_depth x learning_rate, last key fastest), one point per combination.
struct BaselineConfig {
  bool enabled = false;  // baseline.method = "xgboost"
  std::vector<int> trees{200};
  std::vector<int> maxDepth{3};
  std::vector<double> learningRate{0.1};
  int earlyStoppingRounds = 0;  // on the validation fold's weighted log loss; 0: off
};

struct CampaignConfig {
  train::RunConfig run;  // every key of a single training; the search overrides some of them
  CvConfig cv;
  SearchConfig search;
  ResourcesConfig resources;
  BaselineConfig baseline;
};

}  // namespace hepsweep::campaign
