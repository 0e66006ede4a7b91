// Benchmark of the Bayesian search (not a test): regret on Branin and Hartmann-6 of GP-EI and of
// random search, one JSON line per (function, method, seed); the quality of the local model
// against the exact GP; the CPU time of one proposal after 50 .. 2000 observations in 6-D; and the
// scheduler simulator at up to 1000 rank groups. bench/bench_search.sh builds it, adds Optuna's
// TPE and prints the tables.
//
//   bench_search regret SEEDS BUDGET     lines {"function","method","seed","regret"}
//   bench_search local SEEDS BUDGET MODEL_POINTS PENDING
//                                        lines {"function","method","seed","regret"}: exact GP,
//                                        local GP, local GP refitted every 10th proposal
//   bench_search timing [REPEATS [MAX_OBSERVATIONS]]
//                                        lines {"model","acquisition","observations","seconds",...}:
//                                        CPU seconds per proposal, median over REPEATS (3) searches
//   bench_search simulate GROUPS BUDGET FOLDS MEDIAN_S SPREAD MODEL_POINTS REFIT_EVERY
//                                        one line: utilisation, proposals/s, regret vs wall time
//   bench_search fidelity PROBLEM SEEDS EPOCH_BUDGET GROUPS [TABLE.csv]
//                                        lines {"problem","method","seed","trace":[[epochs, seconds,
//                                        regret], ...]}: random, GP, GP + ASHA and GP + racing in the
//                                        simulator on learning curves (PROBLEM branin, hartmann6:
//                                        synthetic; table: the CSV of make_ship_table.sh)
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <numbers>
#include <string>
#include <vector>

#include "hepsweep/core/Random.hpp"
#include "hepsweep/search/Bayes.hpp"
#include "hepsweep/search/Simulator.hpp"

using namespace hepsweep;
using namespace hepsweep::search;

namespace {

constexpr double kBraninMin = 0.397887357729739;
constexpr double kHartmann6Min = -3.32236801141551;

double branin(const std::vector<double>& x) {
  const double a = 1, b = 5.1 / (4 * std::numbers::pi * std::numbers::pi), c = 5 / std::numbers::pi, r = 6, s = 10,
               t = 1 / (8 * std::numbers::pi);
  return a * std::pow(x[1] - b * x[0] * x[0] + c * x[0] - r, 2) + s * (1 - t) * std::cos(x[0]) + s;
}

double hartmann6(const std::vector<double>& x) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double e = 0;
    for (int j = 0; j < 6; ++j) e += A[i][j] * (x[static_cast<std::size_t>(j)] - P[i][j]) * (x[static_cast<std::size_t>(j)] - P[i][j]);
    f -= alpha[i] * std::exp(-e);
  }
  return f;
}

Space braninSpace() { return Space({Dimension::real("x1", -5, 10), Dimension::real("x2", 0, 15)}); }

Space hartmannSpace() {
  std::vector<Dimension> d;
  for (int i = 0; i < 6; ++i) d.push_back(Dimension::real("x" + std::to_string(i + 1), 0, 1));
  return Space(std::move(d));
}

std::vector<double> numbers(const Point& p) {
  std::vector<double> x;
  for (const Value& v : p.values) x.push_back(v.number);
  return x;
}

double run(Searcher& s, double (*f)(const std::vector<double>&)) {
  double best = INFINITY;
  while (!s.exhausted()) {
    const Point p = s.propose(1).at(0);
    const double y = f(numbers(p));
    best = std::min(best, y);
    s.observe(p, y);
  }
  return best;
}

// The test functions, with their known minima.
struct Problem {
  const char* name;
  Space (*space)();
  double (*f)(const std::vector<double>&);
  double min;
};
const std::array<Problem, 2> problems{{{"branin", braninSpace, branin, kBraninMin},
                                       {"hartmann6", hartmannSpace, hartmann6, kHartmann6Min}}};

int regret(int seeds, int budget) {
  for (const Problem& pr : problems)
    for (int seed = 1; seed <= seeds; ++seed) {
      BayesOptions o;
      o.acquisition = AcquisitionKind::EI;
      BayesSearcher gp(pr.space(), budget, static_cast<std::uint64_t>(seed), o);
      const double g = run(gp, pr.f) - pr.min;
      std::printf("{\"function\": \"%s\", \"method\": \"gp_ei\", \"seed\": %d, \"regret\": %.10g}\n", pr.name, seed, g);
      RandomSearcher rs(pr.space(), budget, static_cast<std::uint64_t>(seed));
      const double r = run(rs, pr.f) - pr.min;
      std::printf("{\"function\": \"%s\", \"method\": \"random\", \"seed\": %d, \"regret\": %.10g}\n", pr.name, seed, r);
      std::fflush(stdout);
    }
  return 0;
}

// The quality lost by the local model: regret of GP-EI with every point in the model
// (model_points = 0), with the `modelPoints` nearest the best (a trust region), and the same
// refitting the hyperparameters every 10th proposal only. Each proposal sees the `pending`
// previous ones as constant liars (as `pending` + 1 rank groups would), so the batch scheme is
// measured as it runs. Lines {"function","method","seed","regret"}.
int local(int seeds, int budget, std::int64_t modelPoints, int pending) {
  struct Variant {
    std::string name;
    std::int64_t modelPoints, refitEvery;
  };
  const std::string mp = std::to_string(modelPoints);
  const std::array<Variant, 3> variants{{{"exact", 0, 1}, {"local" + mp, modelPoints, 1},
                                         {"local" + mp + "_refit10", modelPoints, 10}}};
  for (const Problem& pr : problems)
    for (int seed = 1; seed <= seeds; ++seed)
      for (const Variant& v : variants) {
        BayesOptions o;
        o.acquisition = AcquisitionKind::EI;
        o.modelPoints = v.modelPoints;
        o.refitEvery = v.refitEvery;
        BayesSearcher s(pr.space(), budget, static_cast<std::uint64_t>(seed), o);
        // A FIFO of `pending` running points: each proposal is observed `pending` proposals later.
        std::vector<Point> running;
        double best = INFINITY;
        const auto finish = [&] {
          const Point p = running.front();
          running.erase(running.begin());
          const double y = pr.f(numbers(p));
          best = std::min(best, y);
          s.observe(p, y);
        };
        while (!s.exhausted()) {
          for (const Point& p : s.propose(1)) running.push_back(p);
          if (static_cast<int>(running.size()) > pending) finish();
        }
        while (!running.empty()) finish();
        std::printf("{\"function\": \"%s\", \"method\": \"%s\", \"seed\": %d, \"regret\": %.10g}\n", pr.name,
                    v.name.c_str(), seed, best - pr.min);
        std::fflush(stdout);
      }
  return 0;
}

// The scheduler simulator (Simulator.hpp) on Hartmann-6: `groups` simulated rank groups, `budget`
// points of `folds` items each, item durations log-normal (median `median` s, log spread
// `spread`), GP-EI with model_points `modelPoints` and refit_every `refitEvery`, each proposal
// costing its measured CPU time. One JSON line: utilisation (all, and until the first group ran
// out of work), proposals per CPU second, simulated wall time and the regret at 10, 25, 50 and
// 100 % of it.
int simulateRun(int groups, int budget, int folds, double median, double spread, std::int64_t modelPoints,
                std::int64_t refitEvery) {
  BayesOptions o;
  o.acquisition = AcquisitionKind::EI;
  o.initialDesign = InitialDesign::Sobol;
  o.initialPoints = std::min(budget, std::max(10, groups / 2));
  o.modelPoints = modelPoints;
  o.refitEvery = refitEvery;
  BayesSearcher s(hartmannSpace(), budget, 1, o);
  SimulationOptions so;
  so.groups = groups;
  so.folds = folds;
  so.medianItemSeconds = median;
  so.itemSpread = spread;
  const SimulationResult r = simulate(s, [](const Point& p, int) { return hartmann6(numbers(p)); }, so);
  const auto regretAt = [&](double fraction) {
    double best = INFINITY;
    for (const SimulationStep& step : r.trace)
      if (step.seconds <= fraction * r.wallSeconds) best = step.best;
    return best - kHartmann6Min;
  };
  std::printf("{\"groups\": %d, \"budget\": %d, \"folds\": %d, \"median_item_s\": %g, \"spread\": %g, "
              "\"model_points\": %lld, \"refit_every\": %lld, \"items\": %lld, \"proposals\": %lld, "
              "\"utilisation\": %.4f, \"steady_utilisation\": %.4f, \"steady_s\": %.1f, \"wall_s\": %.1f, "
              "\"proposal_cpu_s\": %.2f, \"proposals_per_cpu_s\": %.3f, \"lock_wait_s_per_item\": %.4f, "
              "\"regret_10\": %.5g, \"regret_25\": %.5g, \"regret_50\": %.5g, \"regret_100\": %.5g}\n",
              groups, budget, folds, median, spread, static_cast<long long>(modelPoints),
              static_cast<long long>(refitEvery), static_cast<long long>(r.items), static_cast<long long>(r.proposals),
              r.utilisation, r.steadyUtilisation, r.steadySeconds, r.wallSeconds, r.proposalCpuSeconds,
              r.proposalCpuSeconds > 0 ? static_cast<double>(r.proposals) / r.proposalCpuSeconds : 0.0,
              r.items > 0 ? r.lockWaitSeconds / static_cast<double>(r.items) : 0.0, regretAt(0.1), regretAt(0.25),
              regretAt(0.5), regretAt(1.0));
  return 0;
}

// CPU time of this process: on a machine shared with other jobs the wall time of a proposal
// measures the contention as much as the proposal (the search runs on one thread here).
double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The mean CPU time of one of `batch` consecutive proposals (the later ones see the earlier as
// pending liars) of a searcher that has observed n points (its own initial design, then random
// points), with acquisition `acq`, model_points `modelPoints` and refit_every `refitEvery`. The
// time depends on how many L-BFGS-B iterations the hyperparameter fit and the acquisition
// refinement take, which varies with the data (and with rounding: compiler flags), so it is the
// median over `repeats` searches with different seeds and observed points.
double proposalSeconds(int n, AcquisitionKind acq, std::int64_t modelPoints, std::int64_t refitEvery, int batch,
                       int repeats) {
  BayesOptions o;
  o.acquisition = acq;
  o.modelPoints = modelPoints;
  o.refitEvery = refitEvery;
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto seed = static_cast<std::uint64_t>(r + 1);
    BayesSearcher first(hartmannSpace(), n + batch, seed, o);
    State state = first.state();
    state.proposals = first.propose(10);
    for (int i = 10; i < n; ++i) {
      Point p{i, {}};
      const std::uint64_t key = rng::derive(rng::streamKey(98 + seed, rng::Stream::Misc), static_cast<std::uint64_t>(i));
      for (std::size_t d = 0; d < 6; ++d) p.values.push_back(hartmannSpace()[d].fromUnit(rng::uniform(key, d)));
      state.proposals.push_back(p);
    }
    for (const Point& p : state.proposals) state.observations.push_back({p.id, hartmann6(numbers(p))});
    BayesSearcher s(hartmannSpace(), n + batch, seed, o);
    s.restore(state);
    const double t0 = cpuSeconds();
    s.propose(static_cast<std::size_t>(batch));
    seconds.push_back((cpuSeconds() - t0) / batch);
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

// The model configurations timed: the exact GP (model_points = 0; only up to `exactUpTo`
// observations, as it grows as n^3), the default local GP, and the local GP refitted every 10th
// proposal, timed as the mean over a batch of 10 proposals.
int timing(int repeats, int maxObservations) {
  struct Model {
    const char* name;
    std::int64_t modelPoints, refitEvery;
    int batch, exactUpTo;
  };
  const BayesOptions defaults;
  const std::array<Model, 3> models{{{"exact", 0, 1, 1, 500},
                                     {"local", defaults.modelPoints, 1, 1, 1 << 30},
                                     {"local_refit10", defaults.modelPoints, 10, 10, 1 << 30}}};
  for (const int n : {50, 200, 500, 1000, 2000}) {
    if (n > maxObservations) break;
    for (const Model& m : models)
      for (const AcquisitionKind acq : {AcquisitionKind::EI, AcquisitionKind::GpHedge}) {
        if (n > m.exactUpTo) continue;
        std::printf("{\"model\": \"%s\", \"model_points\": %lld, \"refit_every\": %lld, \"acquisition\": \"%s\", "
                    "\"observations\": %d, \"seconds\": %.4f, \"repeats\": %d}\n",
                    m.name, static_cast<long long>(m.modelPoints), static_cast<long long>(m.refitEvery), toString(acq), n,
                    proposalSeconds(n, acq, m.modelPoints, m.refitEvery, m.batch, repeats), repeats);
        std::fflush(stdout);
      }
  }
  return 0;
}

// Multi-fidelity in the simulator. Every item is a learning curve of kEpochs epochs:
//   synthetic (Branin, Hartmann-6): value(e) = f(x) + c exp(-e / tau(x)) + fold offset + epoch noise,
//     tau = 1 + 8 u (u: the last coordinate in the unit cube), so slow starters exist and the early
//     epochs rank points imperfectly (ASHA's low-fidelity bias); the fold offset (sd foldSd, fixed
//     per point and fold) is the fold-to-fold spread racing exploits, the epoch noise (sd epochSd)
//     makes curves non-monotone. Regret: f(x) of the incumbent minus the known minimum.
//   table: the recorded SHiP campaign (make_ship_table.sh): a proposed point is replaced by the
//     nearest recorded point in the unit cube (Space::toUnit), whose 5 folds' curves are replayed.
//     Regret: the incumbent row's fold-mean of its final running-best validation loss, minus the
//     smallest over the rows.
// The incumbent is the searcher's best observation (racing: partial points count with the mean of
// their trained folds; ASHA: stopped folds with their value at the rung), as `hepsweep status`
// reports it.
constexpr int kEpochs = 27;
constexpr double kSecondsPerEpoch = 10;

struct CurveModel {
  double c, foldSd, epochSd;
};

struct Table {
  Space space;
  int folds = 0, epochs = 0;
  std::vector<std::vector<double>> units;                 // per point: unit-cube coordinates
  std::vector<std::vector<std::vector<double>>> curves;   // per point, per fold
  std::vector<double> truth;                              // per point: fold-mean final running best
  double best = 0;

  std::size_t nearest(const Point& p) const {
    std::size_t best = 0;
    double bestD = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < units.size(); ++i) {
      double d = 0;
      for (std::size_t j = 0; j < units[i].size(); ++j) {
        const double u = space[j].toUnit(p.values[j]) - units[i][j];
        d += u * u;
      }
      if (d < bestD) bestD = d, best = i;
    }
    return best;
  }
};

Space shipSpace() {
  return Space({Dimension::integer("model.width", 8, 128, true), Dimension::integer("model.depth", 1, 4),
                Dimension::real("train.learning_rate", 1e-4, 3e-2, true), Dimension::real("model.dropout", 0, 0.5)});
}

Table readTable(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  Table t{shipSpace(), 0, 0, {}, {}, {}, 0};
  std::string line;
  int lineNo = 0, header = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    if (header++ == 0) {
      t.epochs = static_cast<int>(cells.size()) - 6;
      if (t.epochs < 1 || cells[2] != "model.width") throw std::runtime_error(path + ": not a make_ship_table.sh CSV");
      continue;
    }
    if (static_cast<int>(cells.size()) != 6 + t.epochs)
      throw std::runtime_error(path + ":" + std::to_string(lineNo) + ": " + std::to_string(cells.size()) + " cells");
    const auto point = static_cast<std::size_t>(std::stoll(cells[0]));
    const int fold = std::stoi(cells[1]);
    if (point >= t.curves.size()) {
      t.curves.resize(point + 1);
      t.units.resize(point + 1);
    }
    if (fold == 0)
      for (std::size_t j = 0; j < 4; ++j) t.units[point].push_back(t.space[j].toUnit(t.space[j].parse(cells[2 + j])));
    std::vector<double> curve;
    for (int e = 0; e < t.epochs; ++e) curve.push_back(std::stod(cells[static_cast<std::size_t>(6 + e)]));
    t.curves[point].push_back(std::move(curve));
    t.folds = std::max(t.folds, fold + 1);
  }
  t.best = std::numeric_limits<double>::infinity();
  for (const auto& folds : t.curves) {
    if (static_cast<int>(folds.size()) != t.folds) throw std::runtime_error(path + ": a point without all its folds");
    double sum = 0;
    for (const auto& c : folds) sum += runningBest(c).back();
    t.truth.push_back(sum / t.folds);
    t.best = std::min(t.best, t.truth.back());
  }
  return t;
}

int fidelity(const std::string& problem, int seeds, std::int64_t epochBudget, int groups, const std::string& tablePath) {
  std::optional<Table> table;
  const Problem* pr = nullptr;
  CurveModel model{};
  if (problem == "table") {
    table = readTable(tablePath);
  } else {
    for (const Problem& p : problems)
      if (problem == p.name) pr = &p;
    if (pr == nullptr) throw std::runtime_error("unknown problem " + problem);
    model = problem == "branin" ? CurveModel{30, 1.0, 0.3} : CurveModel{1.5, 0.05, 0.02};
  }
  const int folds = table ? table->folds : 3;
  const int epochs = table ? std::min(table->epochs, kEpochs) : kEpochs;
  const Space space = table ? table->space : pr->space();
  struct Method {
    const char* name;
    bool bayes, asha, racing;
  };
  const std::array<Method, 4> methods{{{"random", false, false, false},
                                       {"gp", true, false, false},
                                       {"gp_asha", true, true, false},
                                       {"gp_racing", true, false, true}}};
  for (int seed = 1; seed <= seeds; ++seed)
    for (const Method& m : methods) {
      const auto useed = static_cast<std::uint64_t>(seed);
      const std::uint64_t noiseKey = rng::streamKey(1000 + useed, rng::Stream::Misc);
      ItemCurve curve;
      std::function<double(const Point&)> regretOf;
      if (table) {
        curve = [&](const Point& p, int fold) {
          return table->curves[table->nearest(p)][static_cast<std::size_t>(fold)];
        };
        regretOf = [&](const Point& p) { return table->truth[table->nearest(p)] - table->best; };
      } else {
        curve = [&, noiseKey](const Point& p, int fold) {
          const std::vector<double> x = numbers(p);
          const double f = pr->f(x);
          const double u = space[space.size() - 1].toUnit(p.values.back());
          const double tau = 1 + 8 * u;
          const auto item = static_cast<std::uint64_t>(p.id * folds + fold);
          const std::uint64_t k = rng::derive(noiseKey, item);
          const double offset = model.foldSd * rng::normal(k, 0);
          std::vector<double> c;
          for (int e = 1; e <= epochs; ++e)
            c.push_back(f + model.c * std::exp(-e / tau) + offset + model.epochSd * rng::normal(k, static_cast<std::uint64_t>(e)));
          return c;
        };
        regretOf = [&](const Point& p) { return pr->f(numbers(p)) - pr->min; };
      }
      std::unique_ptr<Searcher> s;
      // Far more points than the epoch budget lets any method train: the epoch budget ends the run.
      const std::int64_t points = epochBudget;
      if (m.bayes) {
        BayesOptions o;
        o.acquisition = AcquisitionKind::EI;
        o.refitEvery = 10;  // the bench's CPU time, not the simulated one (proposals cost a fixed 1 s)
        s = std::make_unique<BayesSearcher>(space, points, useed, o);
      } else {
        s = std::make_unique<RandomSearcher>(space, points, useed);
      }
      SimulationOptions so;
      so.groups = groups;
      so.folds = folds;
      so.epochs = epochs;
      so.medianItemSeconds = kSecondsPerEpoch * epochs;
      so.itemSpread = 0.3;
      so.proposalSeconds = 1;
      so.seed = useed;
      so.epochBudget = epochBudget;
      if (m.asha) {
        so.earlyStopping.rule = StoppingRule::Asha;
        so.earlyStopping.minEpochs = 1;
        so.earlyStopping.reductionFactor = 3;
      }
      if (m.racing) {
        so.schedule = SimulatedSchedule::Rounds;
        so.racing.enabled = true;
      }
      const double cpu0 = cpuSeconds();
      const SimulationResult r = simulate(*s, curve, so);
      std::printf("{\"problem\": \"%s\", \"method\": \"%s\", \"seed\": %d, \"groups\": %d, \"folds\": %d, "
                  "\"epochs_per_item\": %d, \"epoch_budget\": %lld, \"seconds_per_epoch\": %g, \"items\": %lld, "
                  "\"stopped\": %lld, \"raced_out\": %lld, \"points\": %zu, \"cpu_s\": %.2f, \"trace\": [",
                  problem.c_str(), m.name, seed, groups, folds, epochs, static_cast<long long>(epochBudget),
                  kSecondsPerEpoch, static_cast<long long>(r.items), static_cast<long long>(r.stoppedItems),
                  static_cast<long long>(r.racedOutItems), s->proposedCount(), cpuSeconds() - cpu0);
      for (std::size_t i = 0; i < r.trace.size(); ++i)
        std::printf("%s[%lld, %.1f, %.6g]", i ? ", " : "", static_cast<long long>(r.trace[i].epochs), r.trace[i].seconds,
                    regretOf(s->point(r.trace[i].id)));
      std::printf("]}\n");
      std::fflush(stdout);
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // One thread, as `hepsweep train` runs each rank (--threads 1 by default): with OpenMP, Eigen
  // would otherwise spread the GP's matrix products over every core, which on a shared machine
  // makes the timings measure the contention (about 3x slower at 200 observations here).
  Eigen::setNbThreads(1);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "regret" && argc == 4) return regret(std::atoi(argv[2]), std::atoi(argv[3]));
  if (mode == "simulate" && argc == 9)
    return simulateRun(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]), std::atof(argv[5]),
                       std::atof(argv[6]), std::atoll(argv[7]), std::atoll(argv[8]));
  if (mode == "fidelity" && (argc == 6 || argc == 7)) {
    try {
      return fidelity(argv[2], std::atoi(argv[3]), std::atoll(argv[4]), std::atoi(argv[5]), argc == 7 ? argv[6] : "");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_search fidelity: %s\n", e.what());
      return 1;
    }
  }
  if (mode == "local" && argc == 6)
    return local(std::atoi(argv[2]), std::atoi(argv[3]), std::atoll(argv[4]), std::atoi(argv[5]));
  if (mode == "timing" && argc <= 4)
    return timing(argc >= 3 ? std::max(1, std::atoi(argv[2])) : 3, argc == 4 ? std::atoi(argv[3]) : 2000);
  std::fprintf(stderr, "usage: bench_search regret SEEDS BUDGET | bench_search local SEEDS BUDGET MODEL_POINTS PENDING | "
               "bench_search timing [REPEATS [MAX_OBSERVATIONS]] | "
               "bench_search simulate GROUPS BUDGET FOLDS MEDIAN_S SPREAD MODEL_POINTS REFIT_EVERY | "
               "bench_search fidelity PROBLEM SEEDS EPOCH_BUDGET GROUPS [TABLE.csv]\n");
  return 2;
}
