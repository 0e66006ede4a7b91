#include "hepsweep/search/PartialDependence.hpp"

#include <cmath>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/search/Gp.hpp"

namespace hepsweep::search {

Eigen::VectorXd modelFeatures(const Space& space, const std::vector<Value>& values) {
  const auto& dims = space.dimensions();
  Eigen::Index cols = 0;
  for (const Dimension& d : dims) cols += d.kind() == Kind::Choice ? static_cast<Eigen::Index>(d.choiceTexts().size()) : 1;
  Eigen::VectorXd f(cols);
  Eigen::Index c = 0;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (dims[d].kind() == Kind::Choice) {
      for (std::size_t k = 0; k < dims[d].choiceTexts().size(); ++k)
        f(c++) = static_cast<std::size_t>(values[d].number) == k ? 1.0 : 0.0;
    } else {
      f(c++) = dims[d].toUnit(values[d]);
    }
  }
  return f;
}

namespace {

// The grid of one dimension: every choice, every integer when there are at most `n`, otherwise
// `n` values evenly spaced in the dimension's sampling coordinate (log10 for log dimensions).
std::vector<Value> gridOf(const Dimension& d, int n) {
  std::vector<Value> out;
  if (d.kind() == Kind::Choice) {
    for (std::size_t k = 0; k < d.choiceTexts().size(); ++k) out.push_back(d.choice(k));
    return out;
  }
  if (d.kind() == Kind::Integer && d.max() - d.min() + 1 <= n) {
    for (double v = d.min(); v <= d.max(); ++v) out.push_back(d.value(v));
    return out;
  }
  for (int i = 0; i < n; ++i) {
    const double t = n > 1 ? static_cast<double>(i) / (n - 1) : 0.5;
    double v = d.log() ? std::pow(10.0, std::log10(d.min()) + t * (std::log10(d.max()) - std::log10(d.min())))
                       : d.min() + t * (d.max() - d.min());
    v = std::min(std::max(v, d.min()), d.max());
    if (d.kind() == Kind::Integer) v = std::round(v);
    const Value value = d.value(v);
    if (out.empty() || !(out.back() == value)) out.push_back(value);
  }
  return out;
}

}  // namespace

std::vector<PartialDependence> partialDependence(const Space& space, const std::vector<std::vector<Value>>& points,
                                                 const std::vector<double>& objectives, int gridPoints,
                                                 std::uint64_t seed) {
  if (points.size() != objectives.size())
    throw Error(ErrorCategory::Internal, "partialDependence: points and objectives differ in number");
  std::vector<std::size_t> used;
  for (std::size_t i = 0; i < objectives.size(); ++i)
    if (std::isfinite(objectives[i])) used.push_back(i);
  if (used.size() < 2)
    throwInput("the partial dependence needs at least 2 points with a finite objective, the search has " +
               std::to_string(used.size()));
  const Eigen::Index cols = modelFeatures(space, points[used[0]]).size();
  Eigen::MatrixXd X(static_cast<Eigen::Index>(used.size()), cols);
  Eigen::VectorXd y(static_cast<Eigen::Index>(used.size()));
  for (std::size_t r = 0; r < used.size(); ++r) {
    X.row(static_cast<Eigen::Index>(r)) = modelFeatures(space, points[used[r]]).transpose();
    y(static_cast<Eigen::Index>(r)) = objectives[used[r]];
  }
  const gp::GaussianProcess model =
      gp::GaussianProcess::fit(X, y, {gp::makeTheta(cols, 1.0, 0.5, 1e-2)}, 4, seed);

  std::vector<PartialDependence> out;
  const auto& dims = space.dimensions();
  for (std::size_t d = 0; d < dims.size(); ++d) {
    PartialDependence pd;
    pd.key = dims[d].key();
    pd.log = dims[d].log();
    if (dims[d].kind() == Kind::Choice) pd.categories = dims[d].choiceTexts();
    const std::vector<Value> grid = gridOf(dims[d], gridPoints);
    Eigen::MatrixXd rows(static_cast<Eigen::Index>(used.size()), cols);
    for (const Value& g : grid) {
      for (std::size_t r = 0; r < used.size(); ++r) {
        std::vector<Value> v = points[used[r]];
        v[d] = g;
        rows.row(static_cast<Eigen::Index>(r)) = modelFeatures(space, v).transpose();
      }
      Eigen::VectorXd mean, sd;
      model.predict(rows, mean, sd);
      pd.x.push_back(g.number);
      pd.mean.push_back(mean.mean());
    }
    for (const std::size_t i : used) pd.observedX.push_back(points[i][d].number);
    out.push_back(std::move(pd));
  }
  return out;
}

}  // namespace hepsweep::search
