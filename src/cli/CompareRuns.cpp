// `hepsweep aggregate RUN_DIR... --compare`: each run directory aggregated on its own and shown
// side by side (report::writeComparison), with the partial dependence of the Gaussian process of
// each Bayesian run (search::partialDependence) fitted to that run's points.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Compare.hpp"
#include "hepsweep/search/PartialDependence.hpp"

namespace fs = std::filesystem;

namespace hepsweep::cli {

namespace {

// Grid values per numeric dimension of the partial-dependence plots (plot_objective uses 40).
constexpr int kDependenceGrid = 40;

// The search method and, for a Bayesian run, the partial dependence of its objective on each
// dimension, from the campaign the run directory recorded and its points' mean objectives.
void describeSearch(report::ComparedRun& r) {
  const aggregate::Summary& s = r.summary;
  campaign::CampaignConfig c;
  try {
    c = campaign::parseCampaign(s.campaignToml, r.runDir + " (its resolved campaign)");
  } catch (const Error& e) {
    r.method = s.singleTraining ? "none" : "unknown";
    r.dependenceNote = std::string("The run's campaign could not be read again: ") + e.what();
    return;
  }
  r.method = campaign::toString(c.search.method);
  if (r.method != "bayes") return;
  std::vector<std::vector<search::Value>> points;
  std::vector<double> objectives;
  for (const aggregate::PointSummary& p : s.points) {
    std::vector<std::pair<std::string, std::string>> ordered;
    for (const search::Dimension& d : c.search.space.dimensions())
      for (const auto& [k, v] : p.parameters)
        if (k == d.key()) ordered.emplace_back(k, v);
    try {
      points.push_back(c.search.space.parsePoint(ordered).values);
      objectives.push_back(p.objectiveMean);
    } catch (const Error&) {
      // A point outside the recorded space (a run merged from another campaign): not modelled.
    }
  }
  try {
    for (search::PartialDependence& pd :
         search::partialDependence(c.search.space, points, objectives, kDependenceGrid, c.run.seed)) {
      report::DependenceCurve curve;
      curve.key = pd.key;
      curve.log = pd.log;
      curve.categories = pd.categories;
      curve.x = std::move(pd.x);
      curve.mean = std::move(pd.mean);
      curve.observedX = std::move(pd.observedX);
      for (double o : objectives)
        if (std::isfinite(o)) curve.observedY.push_back(o);
      r.dependence.push_back(std::move(curve));
    }
  } catch (const Error& e) {
    r.dependence.clear();
    r.dependenceNote = std::string("No partial dependence: ") + e.what();
  }
}

}  // namespace

int compareRuns(const std::vector<std::string>& runDirs, const aggregate::CollectOptions& options,
                const std::string& reportDir, bool json) {
  if (runDirs.size() < 2)
    throwConfig("--compare needs at least two run directories (one alone: `hepsweep aggregate " +
                (runDirs.empty() ? std::string("RUN_DIR") : runDirs.front()) + "`)");
  std::vector<report::ComparedRun> runs;
  for (const std::string& dir : runDirs) {
    report::ComparedRun r;
    r.runDir = dir;
    r.summary = aggregate::collect({dir}, options);
    describeSearch(r);
    runs.push_back(std::move(r));
  }
  report::ReportOptions ro;
  ro.logger = Logger::toStderr(LogLevel::Warning);
  const report::ReportResult result = report::writeComparison(runs, reportDir, ro);
  if (!json) {
    std::cout << result.text;
    return 0;
  }
  nlohmann::ordered_json j;
  j["report"] = result.indexHtml;
  j["objective"] = runs.front().summary.objective;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const report::ComparedRun& r : runs) {
    const aggregate::Summary& s = r.summary;
    const report::Convergence conv = report::convergenceOf(s);
    nlohmann::ordered_json run;
    run["run_dir"] = r.runDir;
    run["method"] = r.method;
    run["points"] = s.points.size();
    run["items"] = s.items.size();
    nlohmann::ordered_json best = nlohmann::ordered_json::object();
    for (const auto& [k, v] : s.points.front().parameters) best[k] = v;
    run["best_point"] = best;
    run["best_objective"] = s.points.front().objectiveMean;
    run["best_objective_std"] = s.points.front().objectiveStd;
    run["ensemble_test_auc"] = s.roc.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.ensembleTestAuc);
    nlohmann::ordered_json bestSoFar = nlohmann::ordered_json::array();
    for (double v : conv.bestSoFar) bestSoFar.push_back(std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json());
    run["best_so_far"] = bestSoFar;
    nlohmann::ordered_json dep = nlohmann::ordered_json::array();
    for (const report::DependenceCurve& c : r.dependence) dep.push_back({{"key", c.key}, {"x", c.x}, {"mean", c.mean}});
    run["partial_dependence"] = dep;
    list.push_back(run);
  }
  j["runs"] = list;
  std::cout << j.dump() << std::endl;
  return 0;
}

}  // namespace hepsweep::cli
