// The report's table of the BDT baseline next to the network's test-set results.
#include "ReportBuilder.hpp"

namespace hepsweep::report::detail {

std::string baselineTable(const Summary& s) {
  const aggregate::BaselineSummary& b = s.baseline;
  if (b.points.empty()) return "";
  std::vector<std::string> header{"BDT point", "trees", "max depth", "learning rate", "val AUC (fold mean)",
                                  "test AUC (fold mean \xC2\xB1 std)", "test AUC (ensemble)"};
  for (double e : b.signalEfficiencies) header.push_back("\xCE\xB5_B at \xCE\xB5_S = " + fmt(e, 3));
  header.push_back("min KS p-value");
  header.push_back("training time");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < b.points.size(); ++i) {
    const aggregate::BaselinePoint& p = b.points[i];
    std::vector<std::string> r{std::to_string(p.point) + (static_cast<std::int64_t>(i) == b.bestPoint ? " (best)" : ""),
                               std::to_string(p.trees), std::to_string(p.maxDepth), fmt(p.learningRate, 4),
                               fmt(p.meanValAuc, 5), pm(p.foldMeanTestAuc, p.foldStdTestAuc, 5),
                               fmt(p.ensembleTestAuc, 5)};
    for (double e : p.ensembleBackgroundEfficiency) r.push_back(fmt(e, 4));
    r.push_back(fmt(p.minKsPValue, 3));
    r.push_back(duration(p.trainSeconds));
    rows.push_back(std::move(r));
  }
  std::string caption =
      "The BDT baseline ([baseline], XGBoost) trained on the same folds, event weights and splits as the network "
      "(docs/baseline.md). Its best point (highest mean validation AUC) is the dashed curve on the ROC plot.";
  if (!s.workingPoints.empty()) {
    caption += " The network's ensemble at the same working points:";
    for (const auto& wp : s.workingPoints)
      caption += " \xCE\xB5_B = " + fmt(wp.ensembleBackgroundEfficiency, 4) + " at \xCE\xB5_S = " + fmt(wp.signalEfficiency, 3) + ";";
    caption.back() = '.';
  }
  return html::table(header, rows, caption);
}

std::string baselineText(const Summary& s) {
  const aggregate::BaselineSummary& b = s.baseline;
  if (b.points.empty()) return "";
  const aggregate::BaselinePoint& p = b.points[static_cast<std::size_t>(b.bestPoint)];
  std::string out = "  BDT baseline (same folds): best of " + std::to_string(b.points.size()) + " point(s), point " +
                    std::to_string(p.point) + " (trees " + std::to_string(p.trees) + ", max_depth " +
                    std::to_string(p.maxDepth) + ", learning_rate " + fmt(p.learningRate, 4) + ")\n    test AUC: ensemble " +
                    fmt(p.ensembleTestAuc, 5) + ", fold models " + pm(p.foldMeanTestAuc, p.foldStdTestAuc, 5) +
                    "; min KS p-value " + fmt(p.minKsPValue, 3) + "\n";
  for (std::size_t i = 0; i < p.ensembleBackgroundEfficiency.size() && i < b.signalEfficiencies.size(); ++i)
    out += "    eff_S = " + fmt(b.signalEfficiencies[i], 3) + ": eff_B = " + fmt(p.ensembleBackgroundEfficiency[i], 4) + "\n";
  return out;
}

}  // namespace hepsweep::report::detail
