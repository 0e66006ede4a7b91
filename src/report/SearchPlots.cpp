// The report's search section: the trace in proposal order and the objective against each parameter.
#include "ReportBuilder.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {

void Builder::trace() {
  if (s_.points.empty()) return;
  const metrics::ObjectiveDisplay obj = metrics::displayObjective(s_.objective);
  // The search ranks points by their mean over folds, so the trace is per point, in proposal
  // order: the aggregated point index follows (run dir, item id), which within a run directory is
  // the order the points were proposed. A point with unfinished folds (--allow-incomplete) is
  // drawn apart and does not count towards the best so far, as the search would not observe it.
  std::vector<const PointSummary*> order;
  for (const PointSummary& p : s_.points) order.push_back(&p);
  std::sort(order.begin(), order.end(), [](const PointSummary* a, const PointSummary* b) { return a->point < b->point; });
  std::map<std::int64_t, double> xOf;
  std::vector<double> x, id, mean, sd, best, folds, complete;
  double sofar = INFINITY, bx = NAN, by = NAN;
  bool anyIncomplete = false;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const PointSummary& p = *order[i];
    xOf[p.point] = static_cast<double>(i);
    x.push_back(static_cast<double>(i));
    id.push_back(static_cast<double>(p.point));
    mean.push_back(obj.shown(p.objectiveMean));
    sd.push_back(p.objectiveStd);
    folds.push_back(p.foldsDone);
    complete.push_back(p.complete() ? 1 : 0);
    anyIncomplete = anyIncomplete || !p.complete();
    if (p.complete() && std::isfinite(p.objectiveMean)) sofar = std::min(sofar, p.objectiveMean);
    best.push_back(std::isfinite(sofar) ? obj.shown(sofar) : NAN);
    if (p.point == s_.bestPoint) bx = x.back(), by = obj.shown(p.objectiveMean);
  }
  gp::writeDataFile(path("trace.dat"),
                    "Search trace: every point in proposal order, its " + obj.quantity + " (objective " + s_.objective +
                        ") as the mean and standard deviation over its folds, and the best complete point's mean "
                        "so far. point: the point's index in the summary.",
                    std::vector<gp::Column>{{"order", x}, {"point", id}, {"objective_mean", mean}, {"objective_std", sd},
                                            {"best_so_far", best}, {"folds_done", folds}, {"complete", complete}});
  std::vector<double> ix, iy, ifold;
  for (const PointSummary* p : order)
    for (const ItemSummary& it : s_.items)
      if (it.point == p->point) {
        ix.push_back(xOf[p->point]);
        iy.push_back(obj.shown(it.objective));
        ifold.push_back(it.fold);
      }
  gp::writeDataFile(path("trace-items.dat"), "Search trace: each fold of each point, at the point's position in proposal order.",
                    std::vector<gp::Column>{{"order", ix}, {"objective", iy}, {"fold", ifold}});
  if (std::isfinite(bx) && std::isfinite(by))
    gp::writeDataFile(path("trace-best.dat"), "Search trace: the best point (ranked by its mean over folds).",
                      std::vector<gp::Column>{{"order", {bx}}, {"objective_mean", {by}}});
  const auto [mn, mx] = objectiveExtent(iy, mean, sd);
  std::ostringstream g;
  g << "set title 'Search trace'\n";
  g << "set xlabel 'point, in proposal order'\n";
  g << "set ylabel " << gp::quote(gp::enhancedLiteral(objectiveAxis(obj))) << "\n";
  const bool logy = mn > 0 && mx / mn > 100;
  if (logy) g << "set logscale y\n";
  g << yrangeWithLegendRoom(mn, mx, logy);
  g << "set xrange [-0.5:" << static_cast<double>(order.size()) - 0.5 << "]\n";
  if (order.size() <= 30) g << "set xtics 1\nunset mxtics\n";
  g << "set key top right\n";
  g << "plot 'trace-items.dat' using 1:2 with points pt 6 ps 0.8 lc rgb '#9aa9b8' title 'fold', \\\n";
  g << "     'trace.dat' using 1:($7 == 1 ? $3 : NaN):4 with yerrorbars pt 7 ps 1.2 lw 1.5 lc rgb '#1f77b4' "
       "title 'point: mean \xC2\xB1 std over folds', \\\n";
  if (anyIncomplete)
    g << "     'trace.dat' using 1:($7 == 1 ? NaN : $3) with points pt 6 ps 1.4 lw 2 lc rgb '#1f77b4' "
         "title 'point with unfinished folds', \\\n";
  g << "     'trace.dat' using 1:5 with steps lw 2.5 lc rgb '#d62728' title 'best mean so far'";
  if (std::isfinite(bx) && std::isfinite(by))
    g << ", \\\n     'trace-best.dat' using 1:2 with points pt 3 ps 2.6 lw 2.5 lc rgb 'black' title 'best point'";
  g << "\n";
  std::string caption = "The " + obj.quantity + " (objective " + s_.objective + ", " +
                        (obj.higherIsBetter ? "higher" : "lower") + " is better) of each point in the order the search proposed it: the mean over its "
                        "folds with their standard deviation (blue), each fold (grey circles), the best mean so far "
                        "(red: the search ranks points by the fold mean) and the best point (black star).";
  if (anyIncomplete)
    caption += " Open blue circles: points with unfinished folds, the mean of the finished ones, not counted in the "
               "best so far.";
  addPlot({"trace", "Search trace: each point's mean objective over folds, in proposal order, and the best so far",
           caption, "search"},
          g.str());
}

void Builder::parameters() {
  const metrics::ObjectiveDisplay obj = metrics::displayObjective(s_.objective);
  std::vector<std::string> keys;
  for (const ItemSummary& it : s_.items)
    for (const auto& [k, v] : it.parameters)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  auto valueOf = [](const std::vector<std::pair<std::string, std::string>>& ps, const std::string& key) -> const std::string* {
    for (const auto& [k, v] : ps)
      if (k == key) return &v;
    return nullptr;
  };
  for (std::size_t pi = 0; pi < keys.size(); ++pi) {
    const std::string& key = keys[pi];
    bool numeric = true;
    std::vector<std::string> categories;
    for (const ItemSummary& it : s_.items) {
      const std::string* v = valueOf(it.parameters, key);
      if (!v) continue;
      double d = 0;
      if (!numericValue(*v, d)) numeric = false;
      if (std::find(categories.begin(), categories.end(), *v) == categories.end()) categories.push_back(*v);
    }
    auto xOf = [&](const std::string& v) {
      double d = 0;
      if (numeric && numericValue(v, d)) return d;
      return static_cast<double>(std::find(categories.begin(), categories.end(), v) - categories.begin());
    };
    std::vector<double> ix, iy, ifold;
    for (const ItemSummary& it : s_.items)
      if (const std::string* v = valueOf(it.parameters, key)) {
        ix.push_back(xOf(*v));
        iy.push_back(obj.shown(it.objective));
        ifold.push_back(it.fold);
      }
    std::vector<double> px, py, pe, bx, by, be;
    for (const PointSummary& p : s_.points)
      if (const std::string* v = valueOf(p.parameters, key)) {
        px.push_back(xOf(*v));
        py.push_back(obj.shown(p.objectiveMean));
        pe.push_back(p.objectiveStd);
        if (p.point == s_.bestPoint) bx.push_back(px.back()), by.push_back(py.back()), be.push_back(p.objectiveStd);
      }
    const std::string stem = "param-" + std::to_string(pi);
    const std::string comment = "The " + obj.quantity + " (objective " + s_.objective + ") against the parameter " + key +
                                (numeric ? "" : " (categorical: x is the category's index, see the .gp file)");
    gp::writeDataFile(path(stem + "-items.dat"), comment + "\nOne row per item (fold).",
                      std::vector<gp::Column>{{"value", ix}, {"objective", iy}, {"fold", ifold}});
    gp::writeDataFile(path(stem + "-points.dat"), comment + "\nOne row per point: mean and std over folds.",
                      std::vector<gp::Column>{{"value", px}, {"objective_mean", py}, {"objective_std", pe}});
    if (!bx.empty())
      gp::writeDataFile(path(stem + "-best.dat"), comment + "\nThe best point.",
                        std::vector<gp::Column>{{"value", bx}, {"objective_mean", by}, {"objective_std", be}});

    std::ostringstream g;
    g << "set title " << gp::quote(gp::enhancedLiteral(obj.quantity + " against " + key)) << "\n";
    g << "set xlabel " << gp::quote(gp::enhancedLiteral(key)) << "\n";
    g << "set ylabel " << gp::quote(gp::enhancedLiteral(objectiveAxis(obj))) << "\n";
    bool logx = false;
    if (numeric && !ix.empty()) {
      const auto [mnIt, mxIt] = std::minmax_element(ix.begin(), ix.end());
      const double mn = *mnIt, mx = *mxIt;
      logx = mn > 0 && mx / mn > 100;
      if (logx) {
        g << "set logscale x\nset format x '10^{%L}'\n";
        g << "set xrange [" << gp::number(mn / 2) << ":" << gp::number(mx * 2) << "]\n";
      } else {
        const double pad = mx > mn ? 0.08 * (mx - mn) : (mn != 0 ? 0.5 * std::fabs(mn) : 1.0);
        g << "set xrange [" << gp::number(mn - pad) << ":" << gp::number(mx + pad) << "]\n";
      }
    } else if (!numeric) {
      g << "set xrange [-0.5:" << static_cast<double>(categories.size()) - 0.5 << "]\n";
      g << "unset mxtics\nset xtics (";
      std::size_t longest = 0;
      for (std::size_t c = 0; c < categories.size(); ++c) {
        const std::string shown = displayValue(categories[c]);
        longest = std::max(longest, shown.size());
        g << (c ? ", " : "") << gp::quote(gp::enhancedLiteral(shown)) << " " << c;
      }
      g << ")\n";
      if (categories.size() > 4 || longest > 10) g << "set xtics rotate by -30\n";
      g << "set grid noxtics\n";
    }
    const auto [ymn, ymx] = objectiveExtent(iy, py, pe);
    g << yrangeWithLegendRoom(ymn, ymx, false);
    g << "set key top right\n";
    g << "plot " << gp::quote(stem + "-items.dat") << " using 1:2 with points pt 6 ps 1.0 lc rgb '#9aa9b8' title 'item (one fold)', \\\n";
    g << "     " << gp::quote(stem + "-points.dat")
      << " using 1:2:3 with yerrorbars pt 7 ps 1.2 lw 1.5 lc rgb '#1f77b4' title 'point: mean \xC2\xB1 std'";
    if (!bx.empty())
      g << ", \\\n     " << gp::quote(stem + "-best.dat")
        << " using 1:2 with points pt 3 ps 2.6 lw 2.5 lc rgb '#d62728' title 'best point'";
    g << "\n";
    std::string caption = "The " + obj.quantity + " (objective " + s_.objective + ", " + (obj.higherIsBetter ? "higher" : "lower") +
                          " is better) against " + key +
                          ": every item (open grey circles), each point's mean \xC2\xB1 standard deviation over folds "
                          "(blue) and the best point (red star).";
    if (logx) caption += " Logarithmic x axis: the values span more than two decades.";
    if (!numeric) caption += " Categorical parameter: one column per value.";
    addPlot({stem, "Objective against the parameter " + key, caption, "search"}, g.str(), gp::Size{760, 560});
  }
}

}  // namespace hepsweep::report::detail
