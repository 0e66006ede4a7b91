// The report's search section: the trace in proposal order and the objective against each parameter.
#include "ReportBuilder.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {

namespace {

// The points of a search plot that `scale` leaves off: a triangle at the edge of the drawn range
// (up: above it, down: below) with the value printed, so that one diverged point neither hides
// nor flattens the others. Writes `file` and returns the plot clauses (", \\\n ..."), or "".
std::string offScalePoints(const ObjectiveScale& scale, const std::vector<double>& x, const std::vector<double>& y,
                           const std::string& file, const std::string& dir) {
  std::vector<double> ox, oy, ov, od;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
    if (scale.offScale(y[i])) {
      ox.push_back(x[i]);
      oy.push_back(y[i] > scale.hi ? scale.markerHigh : scale.markerLow);
      ov.push_back(y[i]);
      od.push_back(y[i] > scale.hi ? 1 : -1);
    }
  if (ox.empty()) return "";
  gp::writeDataFile((fs::path(dir) / file).string(),
                    "Points off the plotted range (one diverged point would flatten the others): x, where the marker "
                    "is drawn, the value, 1 above / -1 below the range.",
                    std::vector<gp::Column>{{"x", ox}, {"marker", oy}, {"value", ov}, {"direction", od}});
  const std::string f = gp::quote(file);
  std::string out;
  const bool up = std::count(od.begin(), od.end(), 1.0) > 0, down = std::count(od.begin(), od.end(), -1.0) > 0;
  const char* title = " title 'off scale (value)'";
  if (up)
    out += ", \\\n     " + f + " using 1:($4 > 0 ? $2 : NaN) with points pt 9 ps 1.8 lc rgb '#1f77b4'" + title +
           ", \\\n     " + f + " using 1:($4 > 0 ? $2 : NaN):(sprintf('%.4g', $3)) with labels left offset 1.2,0 "
           "font ',10' tc rgb '#1f77b4' notitle";
  if (down)
    out += ", \\\n     " + f + " using 1:($4 > 0 ? NaN : $2) with points pt 11 ps 1.8 lc rgb '#1f77b4'" +
           (up ? std::string(" notitle") : std::string(title)) + ", \\\n     " + f +
           " using 1:($4 > 0 ? NaN : $2):(sprintf('%.4g', $3)) with labels left offset 1.2,0 font ',10' tc rgb '#1f77b4' "
           "notitle";
  return out;
}

std::string scaleCaption(const ObjectiveScale& scale) {
  if (scale.logy) return " Logarithmic y axis: the values span more than a decade.";
  if (std::isfinite(scale.hi))
    return " Points far from the others (beyond five interquartile ranges of the point means) are drawn as "
           "triangles at the edge with their value, so that they do not flatten the rest.";
  return "";
}

}  // namespace

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
  const ObjectiveScale scale = objectiveScale(iy, mean, sd);
  const std::string offScale = offScalePoints(scale, x, mean, "trace-offscale.dat", dir_);
  std::ostringstream g;
  g << "set title 'Search trace'\n";
  g << "set xlabel 'point, in proposal order'\n";
  g << "set ylabel " << gp::quote(gp::enhancedLiteral(objectiveAxis(obj))) << "\n";
  g << scale.commands;
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
  g << offScale << "\n";
  std::string caption = "The " + obj.quantity + " (objective " + s_.objective + ", " +
                        (obj.higherIsBetter ? "higher" : "lower") + " is better) of each point in the order the search proposed it: the mean over its "
                        "folds with their standard deviation (blue), each fold (grey circles), the best mean so far "
                        "(red: the search ranks points by the fold mean) and the best point (black star).";
  if (anyIncomplete)
    caption += " Open blue circles: points with unfinished folds, the mean of the finished ones, not counted in the "
               "best so far.";
  caption += scaleCaption(scale);
  addPlot({"trace", "Search trace: each point's mean objective over folds, in proposal order, and the best so far",
           caption, "search", ""},
          g.str());
}

void Builder::parameters() {
  const metrics::ObjectiveDisplay obj = metrics::displayObjective(s_.objective);
  const std::vector<std::string> logKeys = logSearchedKeys(s_.campaignToml);
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
    const bool searchedInLog = std::find(logKeys.begin(), logKeys.end(), key) != logKeys.end();
    if (numeric && !ix.empty()) {
      const auto [mnIt, mxIt] = std::minmax_element(ix.begin(), ix.end());
      const double mn = *mnIt, mx = *mxIt;
      // A dimension searched in log space is drawn on a log axis whatever the span of the values
      // tried; others when they span more than two decades.
      logx = mn > 0 && (searchedInLog ? mx > mn : mx / mn > 100);
      if (logx && mx / mn >= 100) {
        g << "set logscale x\nset format x '10^{%L}'\n";
        g << "set xrange [" << gp::number(mn / 2) << ":" << gp::number(mx * 2) << "]\n";
      } else if (logx) {
        // Less than two decades: 10^{%L} would label one or two ticks; label 1, 2, 5 x 10^k.
        g << "set logscale x\nset format x '%g'\nset xtics (";
        const std::vector<double> ticks = logTicks(mn, mx);
        for (std::size_t t = 0; t < ticks.size(); ++t) g << (t ? ", " : "") << gp::number(ticks[t]);
        g << ")\n";
        g << "set xrange [" << gp::number(mn / 1.3) << ":" << gp::number(mx * 1.3) << "]\n";
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
    const ObjectiveScale scale = objectiveScale(iy, py, pe);
    g << scale.commands;
    g << "set key top right\n";
    g << "plot " << gp::quote(stem + "-items.dat") << " using 1:2 with points pt 6 ps 1.0 lc rgb '#9aa9b8' title 'item (one fold)', \\\n";
    g << "     " << gp::quote(stem + "-points.dat")
      << " using 1:2:3 with yerrorbars pt 7 ps 1.2 lw 1.5 lc rgb '#1f77b4' title 'point: mean \xC2\xB1 std'";
    if (!bx.empty())
      g << ", \\\n     " << gp::quote(stem + "-best.dat")
        << " using 1:2 with points pt 3 ps 2.6 lw 2.5 lc rgb '#d62728' title 'best point'";
    g << offScalePoints(scale, px, py, stem + "-offscale.dat", dir_) << "\n";
    std::string caption = "The " + obj.quantity + " (objective " + s_.objective + ", " + (obj.higherIsBetter ? "higher" : "lower") +
                          " is better) against " + key +
                          ": every item (open grey circles), each point's mean \xC2\xB1 standard deviation over folds "
                          "(blue) and the best point (red star).";
    if (logx)
      caption += searchedInLog ? " Logarithmic x axis: the parameter is searched in log space (log = true)."
                               : " Logarithmic x axis: the values span more than two decades.";
    caption += scaleCaption(scale);
    if (!numeric) caption += " Categorical parameter: one column per value.";
    addPlot({stem, "Objective against the parameter " + key, caption, "search", ""}, g.str(), gp::Size{760, 560});
  }
}

}  // namespace hepsweep::report::detail
