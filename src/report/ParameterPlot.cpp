// The report's section on parametrised networks (docs/parametrised.md): the best point's test AUC
// per parameter value, mean and spread over its fold models, with the values held out of the
// training marked, and the table of AUCs and background efficiencies per value.
#include "ReportBuilder.hpp"

#include <sstream>

#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {

void Builder::parametrised() {
  const aggregate::ParameterSummary& p = s_.parametrised;
  if (p.empty() || p.values.empty()) return;
  gp::Column value{"value", p.values}, mean{"auc_mean", p.aucMean}, sd{"auc_std", p.aucStd}, held{"held_out", {}};
  for (const std::int64_t h : p.heldOut) held.values.push_back(static_cast<double>(h));
  std::vector<gp::Column> columns{value, mean, sd, held};
  for (std::size_t k = 0; k < p.foldAuc.size(); ++k) columns.push_back({"fold_" + std::to_string(k), p.foldAuc[k]});
  gp::writeDataFile(path("parametrised.dat"),
                    "Test AUC per value of " + p.parameter +
                        ": signal of that value against all test background evaluated at it; mean and std over "
                        "the best point's folds, held_out = 1 for values kept out of training, then each fold",
                    columns);
  std::ostringstream g;
  g << "set title " << gp::quote(gp::enhancedLiteral("Test AUC per " + p.parameter + " (best point)")) << "\n";
  g << "set xlabel " << gp::quote(gp::enhancedLiteral(p.parameter)) << "\nset ylabel 'test AUC'\nset key below\n";
  g << "set grid\nset offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n";
  g << "plot 'parametrised.dat' using 1:($4 == 0 ? $2 : 1/0):3 with yerrorbars pt 7 ps 1 lc rgb " << colour(0)
    << " title 'trained values (mean ± std over folds)', \\\n"
    << "     '' using 1:($4 == 1 ? $2 : 1/0):3 with yerrorbars pt 5 ps 1.4 lc rgb '#d62728' title "
       "'held out of training (interpolation)', \\\n"
    << "     '' using 1:2 with lines dt 2 lc rgb '#888888' notitle";
  for (std::size_t k = 0; k < p.foldAuc.size(); ++k)
    g << ", \\\n     '' using 1:" << 5 + k << " with points pt 6 ps 0.7 lc rgb " << colour(k + 1) << " title 'fold "
      << k << "'";
  g << "\n";
  addPlot({"parametrised", "Test AUC per parameter value",
           "Test AUC of the best point's fold models per value of the parameter " + p.parameter +
               ": the signal events of that value against every background event of the test split, scored with "
               "the parameter set to that value (Baldi et al. 2016). Squares: values held out of training and "
               "validation (data.held_out), whose AUC measures the interpolation.",
           "parametrised", ""},
          g.str());
}

std::string Builder::parametrisedSection() const {
  const aggregate::ParameterSummary& p = s_.parametrised;
  if (p.empty()) return {};
  std::string b = html::paragraph(
      "A parametrised network: " + p.parameter + " is an input. Background events were given values drawn from "
      "the signal's (" + p.draw + "). Per value, the test signal of that value against all test background "
      "evaluated at that value.");
  if (!p.note.empty()) b += html::paragraph(p.note);
  b += figures("parametrised");
  std::vector<std::string> header{p.parameter, "held out", "test signal", "AUC (mean ± std over folds)"};
  for (const double e : p.signalEfficiencies) header.push_back("ε_B at ε_S = " + fmt(e, 3));
  std::vector<std::vector<std::string>> rows;
  for (std::size_t v = 0; v < p.values.size(); ++v) {
    std::vector<std::string> row{fmt(p.values[v], 6), p.heldOut[v] ? "yes" : "", std::to_string(p.nSignal[v]),
                                 pm(p.aucMean[v], p.aucStd[v])};
    for (const auto& e : p.bkgEffMean) row.push_back(fmt(e[v]));
    rows.push_back(std::move(row));
  }
  b += html::table(header, rows);
  return html::section("parametrised", "Per parameter value", b);
}

std::string parametrisedText(const Summary& s) {
  const aggregate::ParameterSummary& p = s.parametrised;
  if (p.empty() || p.values.empty()) return {};
  std::ostringstream o;
  o << "  test AUC per " << p.parameter << " (mean ± std over folds):";
  for (std::size_t v = 0; v < p.values.size(); ++v)
    o << "\n    " << fmt(p.values[v], 6) << ": " << pm(p.aucMean[v], p.aucStd[v]) << (p.heldOut[v] ? "  (held out)" : "");
  o << "\n";
  return o.str();
}

}  // namespace hepsweep::report::detail
