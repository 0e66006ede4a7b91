// Benchmark of the Bayesian search (not a test): regret on Branin and Hartmann-6 of GP-EI and of
// random search, one JSON line per (function, method, seed); and the time of one proposal after
// 50, 200 and 500 observations in 6-D, with EI and with gp_hedge. bench/bench_search.sh builds it, adds Optuna's TPE and
// prints the table.
//
//   bench_search regret SEEDS BUDGET     lines {"function","method","seed","regret"}
//   bench_search timing [REPEATS]        lines {"acquisition","observations","seconds","repeats"}:
//                                        EI and gp_hedge (the default), median over REPEATS (3)
//                                        searches with different seeds and observed points
#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <string>
#include <vector>

#include "hepsweep/core/Random.hpp"
#include "hepsweep/search/Bayes.hpp"

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

int regret(int seeds, int budget) {
  struct Problem {
    const char* name;
    Space (*space)();
    double (*f)(const std::vector<double>&);
    double min;
  };
  const std::array<Problem, 2> problems{{{"branin", braninSpace, branin, kBraninMin},
                                         {"hartmann6", hartmannSpace, hartmann6, kHartmann6Min}}};
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

// One proposal of a searcher that has observed n points (its own initial design, then random
// points), with acquisition `acq`. The time depends on how many L-BFGS-B iterations the
// hyperparameter fit and the acquisition refinement take, which varies with the data (and with
// rounding: compiler flags), so it is the median over `repeats` searches with different seeds and
// observed points.
double proposalSeconds(int n, AcquisitionKind acq, int repeats) {
  BayesOptions o;
  o.acquisition = acq;
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto seed = static_cast<std::uint64_t>(r + 1);
    BayesSearcher first(hartmannSpace(), n + 1, seed, o);
    State state = first.state();
    state.proposals = first.propose(10);
    for (int i = 10; i < n; ++i) {
      Point p{i, {}};
      const std::uint64_t key = rng::derive(rng::streamKey(98 + seed, rng::Stream::Misc), static_cast<std::uint64_t>(i));
      for (std::size_t d = 0; d < 6; ++d) p.values.push_back(hartmannSpace()[d].fromUnit(rng::uniform(key, d)));
      state.proposals.push_back(p);
    }
    for (const Point& p : state.proposals) state.observations.push_back({p.id, hartmann6(numbers(p))});
    BayesSearcher s(hartmannSpace(), n + 1, seed, o);
    s.restore(state);
    const auto t0 = std::chrono::steady_clock::now();
    s.propose(1);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

int timing(int repeats) {
  for (const int n : {50, 200, 500})
    for (const AcquisitionKind acq : {AcquisitionKind::EI, AcquisitionKind::GpHedge}) {
      std::printf("{\"acquisition\": \"%s\", \"observations\": %d, \"seconds\": %.4f, \"repeats\": %d}\n", toString(acq), n,
                  proposalSeconds(n, acq, repeats), repeats);
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
  if (mode == "timing" && argc <= 3) return timing(argc == 3 ? std::max(1, std::atoi(argv[2])) : 3);
  std::fprintf(stderr, "usage: bench_search regret SEEDS BUDGET | bench_search timing [REPEATS]\n");
  return 2;
}
