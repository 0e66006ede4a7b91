#include <LBFGSB.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <string>

#include "Lbfgs.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/search/Bayes.hpp"
#include "hepsweep/search/PartialDependence.hpp"
#include "hepsweep/search/Gp.hpp"

namespace hepsweep::search {

namespace {

// Sub-stream tags under (seed, Stream::Search, id).
enum Tag : std::uint64_t {
  kDesign = 1, kSobolShift = 2, kLhs = 3, kFit = 4, kCandidateDraws = 5, kHedge = 6, kRedraw = 7, kBelieverFit = 8,
  kRecommendFit = 9
};

// A sub-stream key no point id reaches (ids stay below kMaxPoints), for draws that belong to no proposal.
constexpr std::uint64_t kNotAPoint = ~std::uint64_t{0};

// Counters of a candidate's draws inside a trust region (after those of Space::draw).
constexpr std::uint64_t kRegionDraws = 1u << 20;

// Redraws of a point that duplicates an earlier one before scanning a discrete space.
constexpr std::uint64_t kRedraws = 64;

double normalPdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }
double normalCdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// Random starts of a hyperparameter fit on n points: fewer as each likelihood evaluation (O(n^3))
// gets dearer; the warm start from the previous fit does most of the work by then.
int randomStarts(std::size_t n) { return n <= 50 ? 3 : n <= 150 ? 2 : 1; }

// Starts of a hyperparameter fit: the previous fit (warm start), then a neutral default.
std::vector<Eigen::VectorXd> fitStarts(const std::vector<ModelRecord>& models, Eigen::Index cols) {
  std::vector<Eigen::VectorXd> starts;
  if (!models.empty()) {
    const ModelRecord& prev = models.back();
    Eigen::VectorXd t(cols + 2);
    t(0) = std::log(prev.amplitude);
    for (Eigen::Index k = 0; k < cols; ++k) t(k + 1) = std::log(prev.lengthScales[static_cast<std::size_t>(k)]);
    t(cols + 1) = std::log(prev.noise);
    starts.push_back(t);
  }
  starts.push_back(gp::makeTheta(cols, 1.0, 1.0, 1e-2));
  return starts;
}

// The rows `rows` of X (or of y).
Eigen::MatrixXd rowsOf(const Eigen::MatrixXd& X, const std::vector<Eigen::Index>& rows) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
  return out;
}

// The rows of X nearest (Euclidean, in model inputs) to the row `centre`, at most `limit` of
// them, in ascending row order; ties of distance go to the smaller row, so the choice is a
// function of the data alone.
std::vector<Eigen::Index> nearestRows(const Eigen::MatrixXd& X, Eigen::Index centre, std::size_t limit) {
  std::vector<std::pair<double, Eigen::Index>> byDistance;
  for (Eigen::Index i = 0; i < X.rows(); ++i) byDistance.emplace_back((X.row(i) - X.row(centre)).squaredNorm(), i);
  limit = std::min(limit, byDistance.size());
  std::partial_sort(byDistance.begin(), byDistance.begin() + static_cast<std::ptrdiff_t>(limit), byDistance.end());
  std::vector<Eigen::Index> rows;
  for (std::size_t i = 0; i < limit; ++i) rows.push_back(byDistance[i].second);
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace

const char* toString(InitialDesign d) {
  return d == InitialDesign::Sobol ? "sobol" : d == InitialDesign::Lhs ? "lhs" : "random";
}
const char* toString(AcquisitionKind a) {
  switch (a) {
    case AcquisitionKind::EI: return "EI";
    case AcquisitionKind::LCB: return "LCB";
    case AcquisitionKind::PI: return "PI";
    case AcquisitionKind::GpHedge: break;
  }
  return "gp_hedge";
}
const char* toString(Liar l) {
  switch (l) {
    case Liar::ClMin: return "cl_min";
    case Liar::ClMean: return "cl_mean";
    case Liar::ClMax: return "cl_max";
    case Liar::KrigingBeliever: break;
  }
  return "kb";
}
const char* toString(Recommendation r) { return r == Recommendation::Model ? "model" : "observed"; }

Acquisition acquisition(std::string_view name, double mean, double sd, double best, const BayesOptions& o) {
  if (name == "LCB") return {mean - o.kappa * sd, 1.0, -o.kappa};
  if (name != "EI" && name != "PI")
    throw Error(ErrorCategory::Internal, "bayes search: unknown acquisition " + str::quoted(std::string(name)));
  const double improvement = best - mean - o.xi;
  if (sd <= 0) {
    if (name == "EI") return {-std::max(improvement, 0.0), improvement > 0 ? 1.0 : 0.0, 0.0};
    return {improvement > 0 ? -1.0 : 0.0, 0.0, 0.0};
  }
  const double z = improvement / sd;
  if (name == "EI") return {-(improvement * normalCdf(z) + sd * normalPdf(z)), normalCdf(z), -normalPdf(z)};
  return {-normalCdf(z), normalPdf(z) / sd, z * normalPdf(z) / sd};
}

const std::vector<std::string>& hedgePortfolio() {
  static const std::vector<std::string> portfolio = {"LCB", "EI", "PI"};
  return portfolio;
}

std::vector<double> hedgeProbabilities(const std::vector<double>& gains) {
  if (gains.empty()) return {};
  const double top = *std::max_element(gains.begin(), gains.end());  // exp of <= 0: no overflow
  std::vector<double> p;
  double total = 0;
  for (const double g : gains) total += p.emplace_back(std::exp(kHedgeEta * (g - top)));
  for (double& x : p) x /= total;
  return p;
}

BayesSearcher::BayesSearcher(Space space, std::int64_t budget, std::uint64_t seed, BayesOptions options)
    : Searcher(std::move(space), seed), options_(std::move(options)), key_(rng::streamKey(seed, rng::Stream::Search)) {
  if (budget < 1)
    throwConfig("search method = \"bayes\" needs budget >= 1 (got budget = " + std::to_string(budget) + ")");
  if (static_cast<std::uint64_t>(budget) > kMaxPoints)
    throwConfig("search budget = " + std::to_string(budget) + " exceeds the limit of " + std::to_string(kMaxPoints) +
                " points");
  if (options_.initialPoints < 1)
    throwConfig("search.initial_points must be >= 1 (got " + std::to_string(options_.initialPoints) + ")");
  // The initial design is part of the budget (a budget below 10 is all initial design).
  options_.initialPoints = std::min(options_.initialPoints, budget);
  if (options_.modelPoints != 0 && options_.modelPoints < kMinModelPoints)
    throwConfig("search.model_points must be 0 (every point) or at least " + std::to_string(kMinModelPoints) +
                " (got " + std::to_string(options_.modelPoints) + ")");
  if (options_.refitEvery < 1)
    throwConfig("search.refit_every must be >= 1 (got " + std::to_string(options_.refitEvery) + ")");
  if (!(options_.kappa >= 0) || !std::isfinite(options_.kappa))
    throwConfig("search.kappa must be a finite number >= 0 (got " + formatReal(options_.kappa) + ")");
  if (!std::isfinite(options_.xi)) throwConfig("search.xi must be finite (got " + formatReal(options_.xi) + ")");
  if (options_.initialDesign == InitialDesign::Sobol && this->space().size() > kMaxSobolDimensions)
    throwConfig("search.initial_design = \"sobol\" supports up to " + std::to_string(kMaxSobolDimensions) +
                " searched keys (the space has " + std::to_string(this->space().size()) + "); use \"lhs\"");
  total_ = static_cast<std::size_t>(budget);
  if (const auto n = this->space().cardinality()) total_ = static_cast<std::size_t>(std::min<std::uint64_t>(total_, *n));
  for (const Dimension& d : this->space().dimensions())
    columns_ += d.kind() == Kind::Choice ? d.choiceTexts().size() : 1;
}

bool BayesSearcher::regeneratesOnRestore(std::int64_t id) const { return id < options_.initialPoints; }

void BayesSearcher::adoptRestored(const State& state) {
  for (const ModelRecord& m : state.models)
    if (m.lengthScales.size() != columns_)
      throwConfig("cannot resume the search: a saved model has " + std::to_string(m.lengthScales.size()) +
                  " length scales but the search space now has " + std::to_string(columns_) + " model inputs");
  models_ = state.models;
}

bool BayesSearcher::alreadyProposed(const std::vector<Value>& values) const {
  const Point p{-1, values};
  for (const Point& q : proposals())
    if (q.sameValues(p)) return true;
  return false;
}

// `values` unless an earlier proposal has them: then random redraws, then (a discrete space
// nearly used up) the first unused point from a random position of the mixed-radix order.
std::vector<Value> BayesSearcher::unused(std::vector<Value> values, std::uint64_t key) const {
  if (!alreadyProposed(values)) return values;
  for (std::uint64_t attempt = 0; attempt < kRedraws; ++attempt) {
    values = space().draw(rng::derive(key, attempt));
    if (!alreadyProposed(values)) return values;
  }
  const auto n = space().cardinality();
  if (!n) return values;  // continuous: a repeated real is a measure-zero event, not worth more
  const std::uint64_t start = rng::below(key, kRedraws, *n);
  for (std::uint64_t step = 0; step < *n; ++step) {
    std::vector<Value> v = space().valuesAt((start + step) % *n);
    if (!alreadyProposed(v)) return v;
  }
  throw Error(ErrorCategory::Internal, "bayes search: no unused point left in a space of " + std::to_string(*n));
}

std::vector<Value> BayesSearcher::designPoint(std::int64_t id) const {
  const auto& dims = space().dimensions();
  const auto uid = static_cast<std::uint64_t>(id);
  std::vector<double> u;
  if (options_.initialDesign == InitialDesign::Sobol) {
    u = sobolPoint(uid, dims.size());
    // A random digital shift per dimension keeps the net's stratification and varies with the seed.
    for (std::size_t d = 0; d < u.size(); ++d) {
      const auto x = static_cast<std::uint32_t>(u[d] * 0x1.0p32);
      const auto shift = static_cast<std::uint32_t>(rng::bits(rng::derive(key_, kSobolShift), d) >> 32);
      u[d] = static_cast<double>(x ^ shift) * 0x1.0p-32;
    }
  } else if (options_.initialDesign == InitialDesign::Lhs) {
    u = latinHypercubePoint(rng::derive(key_, kLhs), uid, static_cast<std::uint64_t>(options_.initialPoints),
                            dims.size());
  } else {
    return space().draw(rng::derive(rng::derive(key_, kDesign), uid));
  }
  std::vector<Value> values;
  for (std::size_t d = 0; d < dims.size(); ++d) values.push_back(dims[d].fromUnit(std::clamp(u[d], 0.0, 1.0)));
  return values;
}

std::vector<Value> BayesSearcher::generate(std::int64_t id) {
  const std::uint64_t pointKey = rng::derive(key_, static_cast<std::uint64_t>(id));
  if (id < options_.initialPoints) return unused(designPoint(id), rng::derive(pointKey, kRedraw));
  if (auto v = modelPoint(id)) return std::move(*v);
  // Too few results for a model yet (all pending or failed): keep exploring at random.
  return unused(space().draw(rng::derive(rng::derive(key_, kDesign), static_cast<std::uint64_t>(id))),
                rng::derive(pointKey, kRedraw));
}

Eigen::VectorXd BayesSearcher::features(const std::vector<Value>& values) const {
  return modelFeatures(space(), values);
}

bool BayesSearcher::refitsNext() const {
  return models_.empty() || options_.refitEvery <= 1 ||
         models_.size() % static_cast<std::size_t>(options_.refitEvery) == 0;
}

std::vector<Eigen::Index> BayesSearcher::modelRows(const Eigen::MatrixXd& inputs,
                                                   const std::map<std::int64_t, std::optional<double>>& results,
                                                   double best) const {
  const auto n = static_cast<std::size_t>(inputs.rows());
  if (options_.modelPoints <= 0 || n <= static_cast<std::size_t>(options_.modelPoints)) {
    std::vector<Eigen::Index> rows(n);
    for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<Eigen::Index>(i);
    return rows;
  }
  // The centre: the best observed point (the smallest id among equal objectives).
  Eigen::Index centre = 0;
  for (const auto& [pid, y] : results)
    if (y && *y == best) {
      centre = static_cast<Eigen::Index>(pid);
      break;
    }
  return nearestRows(inputs, centre, static_cast<std::size_t>(options_.modelPoints));
}

std::optional<BayesSearcher::TrainingData> BayesSearcher::trainingData(std::int64_t id) const {
  // Results by id: observed, failed (nullopt), or pending (absent from the map).
  std::map<std::int64_t, std::optional<double>> results;
  for (const Observation& o : observations()) results[o.id] = o.objective;
  std::vector<double> successes;
  for (const auto& [pid, y] : results)
    if (y) successes.push_back(*y);
  if (successes.size() < 2) return std::nullopt;

  TrainingData t;
  t.best = *std::min_element(successes.begin(), successes.end());
  t.worst = *std::max_element(successes.begin(), successes.end());
  const std::size_t n = proposals().size();
  Eigen::MatrixXd all(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(columns_));
  for (std::size_t i = 0; i < n; ++i) all.row(static_cast<Eigen::Index>(i)) = features(proposals()[i].values).transpose();
  const std::vector<Eigen::Index> kept = modelRows(all, results, t.best);
  t.inputs = rowsOf(all, kept);
  t.targets.resize(static_cast<Eigen::Index>(kept.size()));
  if (kept.size() < n) {
    t.leftOut = static_cast<std::int64_t>(n - kept.size());
    t.lower = t.inputs.colwise().minCoeff().transpose();
    t.upper = t.inputs.colwise().maxCoeff().transpose();
  }
  std::map<std::int64_t, double> standardErrors;
  if (options_.foldNoise) {
    t.rowNoise = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(kept.size()));
    for (const Observation& o : observations())
      if (o.standardError) standardErrors[o.id] = *o.standardError;
  }
  std::vector<Eigen::Index> realRows, pendingRows;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    if (const auto se = standardErrors.find(static_cast<std::int64_t>(kept[i])); se != standardErrors.end())
      t.rowNoise(row) = se->second * se->second;
    const auto it = results.find(static_cast<std::int64_t>(kept[i]));
    if (it == results.end()) {
      ++t.pending;
      // A partial result is data, noisier the fewer folds it has: fitted (and believed by "kb")
      // with its own variance rather than replaced by the liar's value.
      if (const auto in = interim().find(static_cast<std::int64_t>(kept[i])); in != interim().end()) {
        if (t.rowNoise.size() == 0) t.rowNoise = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(kept.size()));
        t.targets(row) = in->second.mean;
        t.rowNoise(row) = in->second.variance;
        realRows.push_back(row);
        continue;
      }
      pendingRows.push_back(row);
      continue;
    }
    realRows.push_back(row);
    if (!it->second) {
      t.targets(row) = t.worst;
      ++t.failed;
    } else {
      t.targets(row) = *it->second;
      ++t.observed;
    }
  }
  if (pendingRows.empty()) return t;

  if (options_.liar == Liar::KrigingBeliever) {
    const Eigen::MatrixXd X = rowsOf(t.inputs, realRows);
    const Eigen::VectorXd y = rowsOf(t.targets, realRows);
    const Eigen::VectorXd noise = t.rowNoise.size() ? Eigen::VectorXd(rowsOf(t.rowNoise, realRows)) : Eigen::VectorXd();
    const std::uint64_t pointKey = rng::derive(key_, static_cast<std::uint64_t>(id));
    const gp::GaussianProcess believer =
        refitsNext() ? gp::GaussianProcess::fit(X, y, fitStarts(models_, X.cols()), randomStarts(realRows.size()),
                                                rng::derive(pointKey, kBelieverFit), noise)
                     : gp::GaussianProcess(X, y, fitStarts(models_, X.cols()).front(), true, noise);
    Eigen::VectorXd mean, sd;
    believer.predict(rowsOf(t.inputs, pendingRows), mean, sd);
    for (std::size_t i = 0; i < pendingRows.size(); ++i) t.targets(pendingRows[i]) = mean(static_cast<Eigen::Index>(i));
    t.believerTheta = believer.theta();
    return t;
  }
  double lie = t.best;
  if (options_.liar == Liar::ClMax) lie = t.worst;
  if (options_.liar == Liar::ClMean) {
    lie = 0;
    for (const double y : successes) lie += y;
    lie /= static_cast<double>(successes.size());
  }
  for (const Eigen::Index row : pendingRows) t.targets(row) = lie;
  return t;
}

std::optional<std::vector<Value>> BayesSearcher::modelPoint(std::int64_t id) {
  const auto& dims = space().dimensions();
  const std::uint64_t pointKey = rng::derive(key_, static_cast<std::uint64_t>(id));
  const std::optional<TrainingData> data = trainingData(id);
  if (!data) return std::nullopt;
  const double best = data->best;

  ModelRecord record;
  record.id = id;
  record.observed = data->observed;
  record.failed = data->failed;
  record.pending = data->pending;
  const Eigen::Index cols = static_cast<Eigen::Index>(columns_);
  const gp::GaussianProcess model =
      refitsNext() ? gp::GaussianProcess::fit(data->inputs, data->targets, fitStarts(models_, cols),
                                              randomStarts(static_cast<std::size_t>(data->inputs.rows())),
                                              rng::derive(pointKey, kFit), data->rowNoise)
                   : gp::GaussianProcess(data->inputs, data->targets, fitStarts(models_, cols).front(), true,
                                         data->rowNoise);
  // A local model (more points than search.model_points) proposes only inside its trust region:
  // outside it the model has seen nothing and would take known-poor regions for unexplored ones.
  const bool local = data->lower.size() == cols;

  record.amplitude = model.amplitude();
  record.noise = model.noise();
  const Eigen::VectorXd ls = model.lengthScales();
  record.lengthScales.assign(ls.data(), ls.data() + ls.size());
  record.logLikelihood = model.logMarginalLikelihood();

  // Candidates: a random sample, or the whole space when it is discrete and small.
  std::vector<std::vector<Value>> candidates;
  const auto cardinality = space().cardinality();
  const bool enumerate = cardinality && *cardinality <= kCandidates;
  if (enumerate) {
    for (std::uint64_t r = 0; r < *cardinality; ++r) candidates.push_back(space().valuesAt(r));
  } else {
    const std::uint64_t candKey = rng::derive(pointKey, kCandidateDraws);
    for (std::size_t j = 0; j < kCandidates; ++j) {
      candidates.push_back(space().draw(rng::derive(candKey, j)));
      if (!local) continue;
      // Real and integer keys uniform (in model inputs) over the region; choices as drawn.
      Eigen::Index c = 0;
      for (std::size_t d = 0; d < dims.size(); ++d) {
        if (dims[d].kind() == Kind::Choice) {
          c += static_cast<Eigen::Index>(dims[d].choiceTexts().size());
          continue;
        }
        const double u = rng::uniform(rng::derive(candKey, j), kRegionDraws + d);
        candidates.back()[d] = dims[d].fromUnit(data->lower(c) + u * (data->upper(c) - data->lower(c)));
        ++c;
      }
    }
  }
  Eigen::MatrixXd C(static_cast<Eigen::Index>(candidates.size()), cols);
  for (std::size_t j = 0; j < candidates.size(); ++j) C.row(static_cast<Eigen::Index>(j)) = features(candidates[j]).transpose();
  Eigen::VectorXd mean, sd;
  model.predict(C, mean, sd);

  // Columns L-BFGS-B may move: those of Real and Integer dimensions.
  std::vector<Eigen::Index> movable;
  std::vector<std::size_t> movableDim;
  {
    Eigen::Index c = 0;
    for (std::size_t d = 0; d < dims.size(); ++d) {
      if (dims[d].kind() == Kind::Choice) {
        c += static_cast<Eigen::Index>(dims[d].choiceTexts().size());
      } else {
        movable.push_back(c++);
        movableDim.push_back(d);
      }
    }
  }
  const bool refine = !enumerate && !movable.empty();

  struct Option {
    double value;
    std::vector<Value> values;
  };
  // The best new point for one acquisition.
  const auto optimise = [&](const std::string& acq) -> Option {
    std::vector<Option> options;
    std::vector<std::size_t> order(candidates.size());
    std::vector<double> scores(candidates.size());
    for (std::size_t j = 0; j < candidates.size(); ++j)
      scores[j] =
          acquisition(acq, mean(static_cast<Eigen::Index>(j)), sd(static_cast<Eigen::Index>(j)), best, options_).value;
    for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    for (const std::size_t j : order) options.push_back({scores[j], candidates[j]});
    if (refine) {
      LBFGSpp::LBFGSBParam<double> param;
      param.max_iterations = 30;
      param.max_linesearch = 20;
      LBFGSpp::LBFGSBSolver<double> solver(param);
      const auto m = static_cast<Eigen::Index>(movable.size());
      Eigen::VectorXd lb = Eigen::VectorXd::Zero(m), ub = Eigen::VectorXd::Ones(m);
      for (Eigen::Index k = 0; k < m && local; ++k) {
        lb(k) = data->lower(movable[static_cast<std::size_t>(k)]);
        ub(k) = data->upper(movable[static_cast<std::size_t>(k)]);
      }
      for (std::size_t r = 0; r < std::min(kRefinements, order.size()); ++r) {
        const Eigen::VectorXd base = C.row(static_cast<Eigen::Index>(order[r])).transpose();
        const auto objective = [&](const Eigen::VectorXd& u, Eigen::VectorXd& grad) {
          Eigen::VectorXd x = base;
          for (Eigen::Index k = 0; k < m; ++k) x(movable[static_cast<std::size_t>(k)]) = u(k);
          double mu = 0, s = 0;
          Eigen::VectorXd dMu, dS;
          model.predict(x, mu, s, dMu, dS);
          const Acquisition a = acquisition(acq, mu, s, best, options_);
          grad.resize(m);
          for (Eigen::Index k = 0; k < m; ++k) {
            const Eigen::Index col = movable[static_cast<std::size_t>(k)];
            grad(k) = a.dMean * dMu(col) + a.dSd * dS(col);
          }
          return a.value;
        };
        Eigen::VectorXd u(m);
        for (Eigen::Index k = 0; k < m; ++k) u(k) = std::clamp(base(movable[static_cast<std::size_t>(k)]), lb(k), ub(k));
        double fx = 0;
        // A failed line search: the candidate itself is already in the list.
        if (!minimiseOrGiveUp([&] { solver.minimize(objective, u, fx, lb, ub); })) continue;
        std::vector<Value> values = candidates[order[r]];
        for (Eigen::Index k = 0; k < m; ++k)
          values[movableDim[static_cast<std::size_t>(k)]] =
              dims[movableDim[static_cast<std::size_t>(k)]].fromUnit(std::clamp(u(k), 0.0, 1.0));
        Eigen::VectorXd sm, ss;
        model.predict(features(values).transpose(), sm, ss);
        options.push_back({acquisition(acq, sm(0), ss(0), best, options_).value, std::move(values)});
      }
      std::stable_sort(options.begin(), options.end(), [](const Option& a, const Option& b) { return a.value < b.value; });
    }
    for (Option& o : options)
      if (!alreadyProposed(o.values)) return std::move(o);
    return {std::numeric_limits<double>::infinity(), unused(options.front().values, rng::derive(pointKey, kRedraw))};
  };

  std::vector<Value> chosen;
  if (options_.acquisition != AcquisitionKind::GpHedge) {
    chosen = optimise(toString(options_.acquisition)).values;
    record.acquisition = toString(options_.acquisition);
  } else {
    // scikit-optimize's gp_hedge: each acquisition's gain drops by the new model's mean at the
    // point it proposed last time; one is picked with probability softmax(eta * gains).
    const std::vector<std::string>& portfolio = hedgePortfolio();
    std::vector<double> gains(portfolio.size(), 0.0);
    if (!models_.empty() && models_.back().hedgeGains.size() == portfolio.size()) {
      const ModelRecord& prev = models_.back();
      gains = prev.hedgeGains;
      for (std::size_t a = 0; a < portfolio.size() && a < prev.hedgeCandidates.size(); ++a) {
        const std::vector<double>& x = prev.hedgeCandidates[a];
        Eigen::MatrixXd xm = Eigen::Map<const Eigen::RowVectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
        Eigen::VectorXd pm, ps;
        model.predict(xm, pm, ps);
        gains[a] -= pm(0);
      }
    }
    std::vector<std::vector<Value>> picks;
    for (const std::string& acq : portfolio) {
      picks.push_back(optimise(acq).values);
      const Eigen::VectorXd f = features(picks.back());
      record.hedgeCandidates.emplace_back(f.data(), f.data() + f.size());
    }
    const std::vector<double> p = hedgeProbabilities(gains);
    double u = rng::uniform(rng::derive(pointKey, kHedge), 0);
    std::size_t pick = 0;
    while (pick + 1 < p.size() && u >= p[pick]) u -= p[pick++];
    chosen = picks[pick];
    record.acquisition = portfolio[pick];
    record.hedgeGains = gains;
  }
  models_.push_back(std::move(record));
  return chosen;
}

std::optional<Observation> BayesSearcher::recommended() const {
  if (options_.recommend != Recommendation::Model) return best();
  std::vector<const Observation*> ok;
  for (const Observation& o : observations())
    if (o.objective) ok.push_back(&o);
  if (ok.size() < 2) return best();
  std::sort(ok.begin(), ok.end(), [](const Observation* a, const Observation* b) { return a->id < b->id; });
  const auto n = static_cast<Eigen::Index>(ok.size());
  Eigen::MatrixXd X(n, static_cast<Eigen::Index>(columns_));
  Eigen::VectorXd y(n), noise = Eigen::VectorXd::Zero(n);
  Eigen::Index centre = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const Observation& o = *ok[static_cast<std::size_t>(i)];
    X.row(i) = features(point(o.id).values).transpose();
    y(i) = *o.objective;
    if (options_.foldNoise && o.standardError) noise(i) = *o.standardError * *o.standardError;
    if (y(i) < y(centre)) centre = i;
  }
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) rows[static_cast<std::size_t>(i)] = i;
  if (options_.modelPoints > 0 && n > options_.modelPoints)
    rows = nearestRows(X, centre, static_cast<std::size_t>(options_.modelPoints));
  const Eigen::MatrixXd Xs = rowsOf(X, rows);
  const Eigen::VectorXd ys = rowsOf(y, rows), ns = rowsOf(noise, rows);
  const gp::GaussianProcess model =
      models_.empty() ? gp::GaussianProcess::fit(Xs, ys, fitStarts(models_, Xs.cols()), randomStarts(rows.size()),
                                                 rng::derive(rng::derive(key_, kNotAPoint), kRecommendFit), ns)
                      : gp::GaussianProcess(Xs, ys, fitStarts(models_, Xs.cols()).front(), true, ns);
  Eigen::VectorXd mean, sd;
  model.predict(Xs, mean, sd);
  Eigen::Index pick = 0;
  for (Eigen::Index i = 1; i < mean.size(); ++i)
    if (mean(i) < mean(pick)) pick = i;
  return *ok[static_cast<std::size_t>(rows[static_cast<std::size_t>(pick)])];
}

}  // namespace hepsweep::search
