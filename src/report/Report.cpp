#include "hepsweep/report/Report.hpp"

#include "ReportBuilder.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Directory.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::report {

using namespace detail;

std::string textSummary(const Summary& s) {
  std::ostringstream o;
  o << (s.singleTraining ? "hepsweep summary of a single training: " : "hepsweep campaign summary: ") << (s.runDirs.empty() ? std::string("(no run directory)") : str::join(s.runDirs, ", ")) << "\n";
  o << "  " << s.points.size() << " points, " << s.items.size() << " items";
  if (!s.incomplete.empty()) o << ", " << s.incomplete.size() << " incomplete item(s) left out";
  if (!s.racedOut.empty())
    o << ", " << s.racedOut.size() << " item(s) raced out (search.racing; their points rank after the complete ones)";
  const metrics::ObjectiveDisplay obj = metrics::displayObjective(s.objective);
  o << "; ranked by " << obj.quantity << " (objective " << s.objective << ", "
    << (obj.higherIsBetter ? "higher" : "lower") << " is better)\n";
  if (const PointSummary* best = bestPointOf(s)) {
    o << "  best point " << best->point << ": " << parameterText(best->parameters) << "\n";
    o << "    " << obj.quantity << " " << pm(obj.shown(best->objectiveMean), best->objectiveStd) << " over "
      << best->foldsDone << " fold(s)";
    if (s.points.size() > 1) {
      const PointSummary& second = best == &s.points[0] ? s.points[1] : s.points[0];
      o << "; runner-up (point " << second.point << ") " << pm(obj.shown(second.objectiveMean), second.objectiveStd);
    }
    o << "\n";
  }
  if (!s.multiClass.empty()) {
    const aggregate::MultiClassSummary& m = s.multiClass;
    o << "  test AUC (mean of one-vs-rest): ensemble " << fmt(s.ensembleTestAuc, 5) << ", fold models "
      << pm(s.foldMeanTestAuc, s.foldStdTestAuc, 5) << "\n";
    const std::size_t k = m.classNames.size();
    for (std::size_t c = 0; c < k; ++c) {
      double row = 0;
      for (std::size_t p = 0; p < k; ++p) row += m.confusion[c * k + p];
      o << "    " << m.classNames[c] << " vs rest: AUC " << fmt(m.ensembleAuc[c], 5) << " (folds "
        << pm(m.foldMeanAuc[c], m.foldStdAuc[c], 5) << "), efficiency at the argmax "
        << fmt(row > 0 ? m.confusion[c * k + c] / row : NAN, 4) << "\n";
    }
  }
  if (!s.roc.empty())
    o << "  test AUC: ensemble " << fmt(s.ensembleTestAuc, 5) << ", fold models " << pm(s.foldMeanTestAuc, s.foldStdTestAuc, 5) << "\n";
  if (!s.ams.empty()) {
    const aggregate::AmsCurve& e = s.ams.back();
    o << "  test AMS (ensemble, b_r = " << fmt(s.amsRegularisation, 3) << "): " << fmt(e.maxAms, 4) << " at score >= "
      << fmt(e.thresholdAtMax, 4) << " (s = " << fmt(e.signalAtMax, 4) << ", b = " << fmt(e.backgroundAtMax, 5)
      << ", signal efficiency " << fmt(e.signalEfficiency, 3) << ")\n";
  }
  if (!s.workingPoints.empty()) {
    o << "  working points (test set, ensemble):\n";
    for (const auto& wp : s.workingPoints) {
      o << "    eff_S = " << fmt(wp.signalEfficiency, 3) << ": eff_B = "
        << (wp.ensembleBackgroundEfficiency > 0 ? fmt(wp.ensembleBackgroundEfficiency, 4)
                                                : efficiencyLimit(testBackgroundEvents(s)))
        << " (folds " << pm(wp.foldMeanBackgroundEfficiency, wp.foldStdBackgroundEfficiency, 4) << "), rejection "
        << (wp.ensembleBackgroundEfficiency > 0 ? fmt(1.0 / wp.ensembleBackgroundEfficiency, 4)
                                                : rejectionLimit(testBackgroundEvents(s)))
        << "\n";
    }
  }
  if (!s.workingPointsWeighted.empty()) {
    o << "  working points with event weights (test set, ensemble; efficiencies of the summed weights):\n";
    for (const auto& wp : s.workingPointsWeighted)
      o << "    eff_S = " << fmt(wp.signalEfficiency, 3) << ": eff_B = " << fmt(wp.ensembleBackgroundEfficiency, 4)
        << " (folds " << pm(wp.foldMeanBackgroundEfficiency, wp.foldStdBackgroundEfficiency, 4) << "), rejection "
        << (wp.ensembleBackgroundEfficiency > 0 ? fmt(1.0 / wp.ensembleBackgroundEfficiency, 4) : std::string("n/a"))
        << "\n";
  }
  if (!s.overtraining.empty()) {
    o << "  overtraining check (KS p-value, train vs test):";
    double minP = 1;
    for (const auto& c : s.overtraining) {
      o << "\n    " << c.label << " " << (c.cls == 1 ? "signal" : "background") << ": p = " << fmt(c.ksPValue, 3);
      minP = std::min(minP, c.ksPValue);
    }
    o << "\n";
    if (minP < 0.01) o << "    warning: a p-value below 0.01: train and test scores differ (overtraining?)\n";
  }
  o << importanceText(s);
  o << parametrisedText(s);
  o << baselineText(s);
  for (const auto& why : s.incomplete) o << "  incomplete: " << why << "\n";
  return o.str();
}

ReportResult writeReport(const Summary& s, const std::string& dir, const ReportOptions& options) {
  StagedDirectory staged(dir);
  Builder b(s, staged.path(), options);
  b.lossCurves();
  b.validationAuc();
  b.roc();
  b.amsCurve();
  b.scores();
  b.trace();
  b.parameters();
  b.rungs();
  b.importance();
  b.parametrised();
  b.multiClass();
  b.draw();
  b.inputs();
  const std::string finalDir = staged.finalPath();
  html::writeFileAtomic((fs::path(staged.path()) / "index.html").string(), b.html(finalDir));
  staged.commit();
  ReportResult r;
  r.indexHtml = (fs::path(finalDir) / "index.html").string();
  r.text = textSummary(s) + "  report: " + r.indexHtml + "\n";
  return r;
}

ReportResult writeReport(const Summary& s, const std::string& dir) { return writeReport(s, dir, ReportOptions{}); }

}  // namespace hepsweep::report