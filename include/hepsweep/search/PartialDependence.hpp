#pragma once
// What a finished Bayesian search learned, as scikit-optimize's plot_objective shows it: a
// Gaussian process fitted to the observed points (the same model and encoding the search uses:
// unit-cube coordinates, one-hot choices), and for each dimension the 1-D partial dependence of
// its mean — the GP mean with that dimension set to each value of a grid and every other
// dimension at an observed point's values, averaged over the observed points.
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "hepsweep/search/Space.hpp"

namespace hepsweep::search {

// The model's input row for a point of `space` (BayesSearcher's features): toUnit of each number,
// one column per choice (1 for the chosen one).
Eigen::VectorXd modelFeatures(const Space& space, const std::vector<Value>& values);

struct PartialDependence {
  std::string key;
  bool log = false;                      // a log-searched number: draw on a log axis
  std::vector<std::string> categories;   // choices: their TOML texts; x is then 0, 1, ...
  std::vector<double> x;                 // grid: the dimension's values (Dimension::coordinate without the log)
  std::vector<double> mean;              // partial dependence of the GP mean, in the objective's units
  std::vector<double> observedX;         // each observed point's value of this dimension
};

// points[i] are values of `space`, objectives[i] their (stored, smaller-is-better) objective; at
// least 2 finite ones are needed (Error(Input) otherwise). `gridPoints` values per numeric
// dimension (integers: at most their distinct values). The GP fit is seeded by `seed`.
std::vector<PartialDependence> partialDependence(const Space& space, const std::vector<std::vector<Value>>& points,
                                                 const std::vector<double>& objectives, int gridPoints,
                                                 std::uint64_t seed);

}  // namespace hepsweep::search
