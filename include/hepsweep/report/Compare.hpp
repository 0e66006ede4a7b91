#pragma once
// `aggregate RUN_DIR... --compare`: several run directories side by side instead of merged into
// one ranking. A static page (DIR/index.html) with the best point of each run in one table, the
// convergence of every run in one plot (best objective so far against the points evaluated, as
// scikit-optimize's plot_convergence), and for Bayesian runs the partial dependence of the
// search's Gaussian process on each dimension (plot_objective's diagonal). Plots via gnuplot, as
// in the campaign report.
#include <string>
#include <vector>

#include "hepsweep/aggregate/Summary.hpp"
#include "hepsweep/report/Report.hpp"

namespace hepsweep::report {

// One dimension's partial dependence (search::PartialDependence, copied by the caller: the report
// does not depend on the search module).
struct DependenceCurve {
  std::string key;
  bool log = false;
  std::vector<std::string> categories;  // choices (x = 0, 1, ...)
  std::vector<double> x, mean;          // mean: the stored objective (smaller is better)
  std::vector<double> observedX, observedY;
};

struct ComparedRun {
  std::string runDir;
  std::string method;                    // search.method of its campaign
  aggregate::Summary summary;            // the run aggregated on its own
  std::vector<DependenceCurve> dependence;  // Bayesian runs with >= 2 finite points; else empty
  std::string dependenceNote;            // why a Bayesian run has none
};

// The points of a run in the order they were proposed (their point id in the run directory), with
// the best objective so far after each: the convergence curve.
struct Convergence {
  std::vector<double> evaluated, objective, bestSoFar;  // 1, 2, ...; stored objective (NaN: failed)
};
Convergence convergenceOf(const aggregate::Summary& s);

// Writes the comparison page into `dir` (staged, as writeReport). Error(Config) when the runs do
// not share one objective (their numbers would not be comparable). Returns index.html's path and
// the text summary.
ReportResult writeComparison(const std::vector<ComparedRun>& runs, const std::string& dir, const ReportOptions& options);
// The plain-text comparison: one block per run, its best point and objective, test AUC.
std::string comparisonText(const std::vector<ComparedRun>& runs);

}  // namespace hepsweep::report
