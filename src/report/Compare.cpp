// The comparison of several run directories (aggregate --compare): best points side by side, the
// convergence of each run, and the Gaussian process's partial dependence of Bayesian runs.
#include "hepsweep/report/Compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "ReportBuilder.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/report/Directory.hpp"

namespace hepsweep::report {

using namespace detail;

Convergence convergenceOf(const aggregate::Summary& s) {
  // A point's proposal order is its point id in the run directory (any of its items has it).
  std::map<std::int64_t, std::int64_t> campaignPoint;
  for (const ItemSummary& it : s.items) campaignPoint.emplace(it.point, it.campaignPoint);
  std::vector<const PointSummary*> order;
  for (const PointSummary& p : s.points) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(), [&](const PointSummary* a, const PointSummary* b) {
    return campaignPoint[a->point] < campaignPoint[b->point];
  });
  Convergence c;
  double best = INFINITY;
  for (const PointSummary* p : order) {
    c.evaluated.push_back(static_cast<double>(c.evaluated.size() + 1));
    c.objective.push_back(p->objectiveMean);
    if (std::isfinite(p->objectiveMean)) best = std::min(best, p->objectiveMean);
    c.bestSoFar.push_back(std::isfinite(best) ? best : NAN);
  }
  return c;
}

namespace {

std::string runLabel(const ComparedRun& r, std::size_t i) {
  return "run " + std::to_string(i + 1) + ": " + r.runDir + " (" + r.method + ")";
}

}  // namespace

std::string comparisonText(const std::vector<ComparedRun>& runs) {
  std::ostringstream o;
  o << "hepsweep comparison of " << runs.size() << " run directories (each aggregated on its own, not merged)\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Summary& s = runs[i].summary;
    const metrics::ObjectiveDisplay obj = metrics::displayObjective(s.objective);
    o << "  " << runLabel(runs[i], i) << ": " << s.points.size() << " points, " << s.items.size() << " items\n";
    if (const PointSummary* best = bestPointOf(s)) {
      o << "    best point " << best->point << ": " << parameterText(best->parameters) << "\n";
      o << "    " << obj.quantity << " " << pm(obj.shown(best->objectiveMean), best->objectiveStd) << " over "
        << best->foldsDone << " fold(s)";
      if (!s.roc.empty()) o << "; test AUC (ensemble) " << fmt(s.ensembleTestAuc, 5);
      o << "\n";
    }
  }
  return o.str();
}

ReportResult writeComparison(const std::vector<ComparedRun>& runs, const std::string& dir, const ReportOptions& options) {
  if (runs.empty()) throwConfig("nothing to compare: no run directory");
  for (const ComparedRun& r : runs)
    if (r.summary.objective != runs.front().summary.objective)
      throwConfig("the runs have different objectives (" + runs.front().runDir + ": " + runs.front().summary.objective +
                  ", " + r.runDir + ": " + r.summary.objective + "): their numbers cannot be compared on one axis");
  const metrics::ObjectiveDisplay obj = metrics::displayObjective(runs.front().summary.objective);
  StagedDirectory staged(dir, ".hepsweep-comparison");
  const auto path = [&](const std::string& name) { return (fs::path(staged.path()) / name).string(); };
  std::vector<std::pair<std::string, std::string>> plots;  // stem, caption
  std::string all = "# Draws every plot of this comparison: gnuplot plots.gp (or gnuplot NAME.gp for one).\n";
  const auto addPlot = [&](const std::string& stem, const std::string& body, const std::string& caption, gp::Size size) {
    html::writeFileAtomic(path(stem + ".gp"), gp::pngAndSvgScript(stem, commonStyle() + body, size));
    all += "reset session\nload " + gp::quote(stem + ".gp") + "\n";
    plots.emplace_back(stem, caption);
  };

  // Convergence: one block per run, the objective in the units people quote.
  {
    std::vector<gp::Block> blocks;
    std::vector<double> values;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const Convergence c = convergenceOf(runs[i].summary);
      gp::Block b;
      b.title = runLabel(runs[i], i);
      std::vector<double> shownObjective, shownBest;
      for (double v : c.objective) shownObjective.push_back(obj.shown(v));
      for (double v : c.bestSoFar) shownBest.push_back(obj.shown(v));
      values.insert(values.end(), shownObjective.begin(), shownObjective.end());
      b.columns = {{"points_evaluated", c.evaluated}, {"objective", shownObjective}, {"best_so_far", shownBest}};
      blocks.push_back(std::move(b));
    }
    gp::writeDataFile(path("convergence.dat"),
                      "Each run's points in the order they were proposed (gnuplot 'index N', N = run - 1): the "
                      "point's " + obj.quantity + " (mean over folds) and the best so far.",
                      blocks);
    // The campaign report's rule: a log axis when the values span decades, else fences so that one
    // diverged point does not flatten the others (points beyond them are left out of the picture).
    const ObjectiveScale scale = objectiveScale(values, values, std::vector<double>(values.size(), 0.0));
    std::ostringstream g;
    g << "set title 'Convergence: best " << gp::enhancedLiteral(obj.quantity) << " so far'\n";
    g << "set xlabel 'points evaluated'\nset ylabel " << gp::quote(gp::enhancedLiteral(objectiveAxis(obj))) << "\n";
    g << scale.commands << "set key " << (obj.higherIsBetter ? "bottom" : "top") << " right\n";
    g << "plot ";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      g << (i ? ", \\\n     " : "") << "'convergence.dat' index " << i << " using 1:3 with steps lw 2.5 lc rgb "
        << colour(i) << " title " << gp::quote(gp::enhancedLiteral(runLabel(runs[i], i)));
      g << ", \\\n     'convergence.dat' index " << i << " using 1:2 with points pt 7 ps 0.7 lc rgb " << colour(i)
        << " notitle";
    }
    g << "\n";
    addPlot("convergence", g.str(),
            "Best " + obj.quantity + " so far against the number of points evaluated, one colour per run (line); the "
            "dots are each point's value (mean over its folds), in the order the search proposed them.",
            gp::Size{820, 560});
  }

  // Partial dependence of each Bayesian run: one plot per dimension.
  std::vector<std::vector<std::string>> dependenceStems(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (std::size_t d = 0; d < runs[i].dependence.size(); ++d) {
      const DependenceCurve& c = runs[i].dependence[d];
      const std::string stem = "dependence-" + std::to_string(i + 1) + "-" + std::to_string(d + 1);
      std::vector<double> mean, observed;
      for (double v : c.mean) mean.push_back(obj.shown(v));
      for (double v : c.observedY) observed.push_back(obj.shown(v));
      gp::writeDataFile(path(stem + ".dat"),
                        "Partial dependence of the Gaussian process's mean (" + obj.quantity + ") on " + c.key + " in " +
                            runs[i].runDir + ", the other dimensions averaged over the observed points (index 0); "
                            "the observed points (index 1).",
                        std::vector<gp::Block>{{"partial dependence", {{"value", c.x}, {"mean", mean}}},
                                               {"observed", {{"value", c.observedX}, {"objective", observed}}}});
      std::ostringstream g;
      g << "set title " << gp::quote(gp::enhancedLiteral(c.key)) << "\n";
      g << "set xlabel " << gp::quote(gp::enhancedLiteral(c.key + (c.log ? " (log scale)" : ""))) << "\n";
      g << "set ylabel " << gp::quote(gp::enhancedLiteral(objectiveAxis(obj))) << "\n";
      if (c.log) g << "set logscale x\n";
      if (c.categories.empty() && !c.x.empty() && c.x.back() > c.x.front())
        g << "set xrange [" << gp::number(c.x.front()) << ":" << gp::number(c.x.back()) << "]\n";
      if (!c.categories.empty()) {
        g << "set xrange [-0.5:" << gp::number(static_cast<double>(c.categories.size()) - 0.5) << "]\nset xtics (";
        for (std::size_t k = 0; k < c.categories.size(); ++k)
          g << (k ? ", " : "") << gp::quote(gp::enhancedLiteral(displayValue(c.categories[k]))) << " " << k;
        g << ")\n";
      }
      g << "set key top right font ',10'\n";
      g << "plot 'DAT' index 0 using 1:2 with " << (c.categories.empty() ? "lines lw 2.5" : "linespoints pt 5 ps 1.2 lw 2")
        << " lc rgb " << colour(i) << " title 'GP mean, partial dependence', \\\n     'DAT' index 1 using 1:2 with points "
        << "pt 6 ps 1 lc rgb 'black' title 'observed points'\n";
      std::string body = g.str();
      for (std::size_t at = body.find("DAT"); at != std::string::npos; at = body.find("DAT", at))
        body.replace(at, 3, stem + ".dat"), at += stem.size() + 4;
      addPlot(stem, body,
              "Partial dependence of the objective on " + c.key + " in run " + std::to_string(i + 1) +
                  ": the mean of the Gaussian process fitted to the run's points, with " + c.key +
                  " set to each value and the other dimensions at each observed point's values, averaged over the "
                  "observed points (scikit-optimize's plot_objective). Circles: the observed points.",
              gp::Size{520, 420});
      dependenceStems[i].push_back(stem);
    }
  }
  html::writeFileAtomic(path("plots.gp"), all);
  const std::string warnings = gp::run(path("plots.gp"), staged.path(), options.gnuplot);
  if (!warnings.empty()) options.logger.warning("gnuplot: " + warnings);
  for (const auto& [stem, caption] : plots) gp::checkPng(path(stem + ".png"));

  // The page.
  std::string body = html::paragraph(
      "Each run directory aggregated on its own (`hepsweep aggregate A B --compare`), not merged into one ranking: "
      "every run's best point, how fast each search found it, and what the Bayesian searches' models learned.");
  {
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const Summary& s = runs[i].summary;
      const PointSummary* best = bestPointOf(s);
      rows.push_back({std::to_string(i + 1), runs[i].runDir, runs[i].method, std::to_string(s.points.size()),
                      best ? parameterText(best->parameters) : std::string("none"),
                      best ? pm(obj.shown(best->objectiveMean), best->objectiveStd) : std::string("n/a"),
                      best ? std::to_string(best->foldsDone) : std::string("0"),
                      s.roc.empty() ? std::string("n/a") : fmt(s.ensembleTestAuc, 5)});
    }
    const std::vector<std::string> header{"run", "directory", "search", "points", "best point",
                                          obj.quantity + " (mean \xC2\xB1 std)", "folds", "test AUC (ensemble)"};
    body += html::section("best", "Best points side by side",
                          html::table(header, rows,
                                      "The best point of each run by its " + obj.quantity +
                                          " (validation, mean over folds), and its fold models' ensemble on that "
                                          "run's held-out test set."));
  }
  const auto figure = [&](const std::string& stem) {
    for (const auto& [s, caption] : plots)
      if (s == stem) return html::figure(stem + ".png", stem, caption, stem + ".svg", "SVG");
    return std::string();
  };
  body += html::section("convergence", "Convergence", figure("convergence"));
  std::string dep;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].method != "bayes") continue;
    dep += "<h3>" + html::escape(runLabel(runs[i], i)) + "</h3>\n";
    if (dependenceStems[i].empty()) {
      dep += html::paragraph(runs[i].dependenceNote.empty() ? "No partial dependence." : runs[i].dependenceNote);
      continue;
    }
    dep += "<div class=\"pair\">\n";
    for (const std::string& stem : dependenceStems[i]) dep += figure(stem);
    dep += "</div>\n";
  }
  if (!dep.empty()) body += html::section("dependence", "Bayesian runs: partial dependence per dimension", dep);
  html::writeFileAtomic(path("index.html"), html::page("hepsweep comparison", body));
  const std::string finalDir = staged.finalPath();
  staged.commit();
  ReportResult r;
  r.indexHtml = (fs::path(finalDir) / "index.html").string();
  r.text = comparisonText(runs) + "  report: " + r.indexHtml + "\n";
  return r;
}

}  // namespace hepsweep::report
