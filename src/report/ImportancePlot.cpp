// The report's permutation-importance section (aggregate --importance): a bar chart of the drop
// of the validation AUC per feature with its spread over the folds, and the table of numbers.
#include "ReportBuilder.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {
namespace {

// Entries by mean drop, largest first (ties: input order).
std::vector<std::size_t> byImportance(const aggregate::FeatureImportance& imp) {
  std::vector<std::size_t> order(imp.names.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return imp.mean[a] > imp.mean[b]; });
  return order;
}

// Mean ± std (ddof = 1) of the folds' baseline AUCs.
std::string baselineText(const std::vector<double>& v) {
  if (v.empty()) return "n/a";
  const double m = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return pm(m, v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0);
}

}  // namespace

void Builder::importance() {
  if (s_.importance.empty() || s_.importance.front().names.empty()) return;
  const aggregate::FeatureImportance& imp = s_.importance.front();
  const std::vector<std::size_t> order = byImportance(imp);
  const std::size_t n = order.size();
  // Bar y positions: the most important at the top.
  gp::Column y{"y", {}}, mean{"mean_drop", {}}, sd{"std_drop", {}};
  std::vector<gp::Column> folds;
  for (std::size_t k = 0; k < imp.folds.size(); ++k) folds.push_back({"fold_" + std::to_string(imp.folds[k]), {}});
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t g = order[r];
    y.values.push_back(static_cast<double>(n - 1 - r));
    mean.values.push_back(imp.mean[g]);
    sd.values.push_back(imp.std[g]);
    for (std::size_t k = 0; k < folds.size(); ++k) folds[k].values.push_back(imp.drop[g][k]);
  }
  std::vector<gp::Column> columns{y, mean, sd};
  columns.insert(columns.end(), folds.begin(), folds.end());
  std::string comment = "Permutation importance of point " + std::to_string(imp.point) +
                        ": drop of the validation AUC when the feature (group) is shuffled, mean and std over folds, "
                        "then each fold. Rows from the most important; y is the bar position. Features:";
  for (std::size_t r = 0; r < n; ++r) comment += "\n" + std::to_string(n - 1 - r) + " " + imp.names[order[r]];
  gp::writeDataFile(path("importance.dat"), comment, columns);
  std::ostringstream g;
  g << "set title 'Permutation importance, point " << imp.point << " (" << imp.folds.size() << " folds)'\n";
  g << "set xlabel 'drop of the validation AUC when shuffled'\nunset ylabel\nset key below\n";
  g << "set yrange [-0.7:" << gp::number(static_cast<double>(n) - 0.3) << "]\nset ytics (";
  for (std::size_t r = 0; r < n; ++r)
    g << (r ? ", " : "") << gp::quote(gp::enhancedLiteral(imp.names[order[r]])) << " " << (n - 1 - r);
  g << ")\nset xzeroaxis\nset grid xtics\n";
  g << "plot 'importance.dat' using (0):1:(0):2:($1-0.35):($1+0.35) with boxxyerror fs solid 0.5 lc rgb "
    << colour(0) << " title 'mean over folds', \\\n"
    << "     '' using 2:1:3 with xerrorbars pt 7 ps 0.5 lc rgb '#000000' title '± std over folds'";
  for (std::size_t k = 0; k < folds.size(); ++k)
    g << ", \\\n     '' using " << 4 + k << ":1 with points pt 6 ps 0.8 lc rgb " << colour(k + 1) << " title 'fold "
      << imp.folds[k] << "'";
  g << "\n";
  addPlot({"importance", "Permutation importance of the features of the best point",
           "Drop of each fold model's validation AUC when a feature's values are shuffled across the validation "
           "events (bar: mean over folds; error bar: standard deviation over folds; circles: each fold). "
           "Features joined by + were shuffled together.",
           "importance", ""},
          g.str(), {900, std::max(300, 120 + 32 * static_cast<int>(n))});
}

std::string Builder::importanceSection() const {
  if (s_.importance.empty()) return {};
  const aggregate::FeatureImportance& imp = s_.importance.front();
  std::string b = html::paragraph(
      "How much each fold model of the best point relies on each input: the drop of its validation AUC (baseline " +
      baselineText(imp.baseline) +
      ") when the feature's values are shuffled across the fold's validation events (seed " + std::to_string(imp.seed) +
      ", " + std::to_string(imp.repeats) + " shuffle(s) per fold averaged). A drop within its spread of 0 means the "
      "model does not need the feature given the others; correlated features can stand in for each other, which is "
      "why they may be shuffled together (--importance-group, --importance-correlation). Compare with the "
      "separation ranking of the inputs in the inspect report, which looks at one feature at a time.");
  if (!inputs_.href.empty())
    b += "<p>" + html::link(inputs_.href, "The inspect report's separation ranking of the same inputs") + "</p>\n";
  b += figures("importance");
  std::vector<std::string> header{"rank", "feature(s)", "AUC drop (mean ± std)"};
  for (int f : imp.folds) header.push_back("fold " + std::to_string(f));
  std::vector<std::vector<std::string>> rows;
  const std::vector<std::size_t> order = byImportance(imp);
  for (std::size_t r = 0; r < order.size(); ++r) {
    const std::size_t g = order[r];
    std::vector<std::string> row{std::to_string(r + 1), imp.names[g], pm(imp.mean[g], imp.std[g])};
    for (double d : imp.drop[g]) row.push_back(fmt(d));
    rows.push_back(std::move(row));
  }
  b += html::table(header, rows);
  if (s_.importance.size() > 1)
    b += html::paragraph("summary.h5 holds the importance of every point (/importance/points/<point>).");
  return html::section("importance", "Feature importance", b);
}

std::string importanceText(const Summary& s) {
  if (s.importance.empty()) return {};
  const aggregate::FeatureImportance& imp = s.importance.front();
  std::ostringstream o;
  o << "  permutation importance (validation AUC drop, mean ± std over " << imp.folds.size() << " folds):";
  for (const std::size_t g : byImportance(imp)) o << "\n    " << imp.names[g] << ": " << pm(imp.mean[g], imp.std[g]);
  o << "\n";
  return o.str();
}

}  // namespace hepsweep::report::detail
