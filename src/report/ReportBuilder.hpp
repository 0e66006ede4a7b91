#pragma once
// Private to src/report: the pieces of the campaign report shared by its sections. The report is
// built by one Builder whose sections live in their own files: TrainingPlots.cpp (loss and
// validation AUC per epoch), TestPlots.cpp (ROC, AMS, overtraining), SearchPlots.cpp (trace,
// objective against each parameter), ReportPage.cpp (index.html); Report.cpp runs them.
#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/aggregate/Summary.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Gnuplot.hpp"
#include "hepsweep/report/Html.hpp"
#include "hepsweep/report/Report.hpp"

namespace hepsweep::report::detail {

namespace fs = std::filesystem;
namespace gp = gnuplot;
using aggregate::ItemSummary;
using aggregate::PointSummary;
using aggregate::Summary;

// Colour-blind-friendly enough and distinct on a projector; folds cycle through it.
constexpr std::array<const char*, 10> kColours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                               "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
constexpr const char* kSignalColour = "#1f5fbf";
constexpr const char* kBackgroundColour = "#d62728";
// ROC curves of big test sets have one point per distinct score; a few thousand are plenty on a
// page and keep the SVG files small.
constexpr std::size_t kMaxCurvePoints = 2000;
constexpr int kScoreBins = 40;

std::string fmt(double v, int digits = 4);
// The BDT baseline's points (BaselineTable.cpp): parameters, test AUC over folds, the ensemble's
// background efficiency at the working points, the KS check; "" without a baseline.
std::string baselineTable(const Summary& s);
// Its lines of the terminal summary: the best point's AUCs and working points; "" without one.
std::string baselineText(const Summary& s);
std::string pm(double mean, double sd, int digits = 4);
std::string duration(double seconds);
// A parameter value as stored (TOML text) shown to a reader: strings without their quotes, real
// numbers with `digits` significant digits (0.004424050504455492 reads 0.004424); integers and
// lists as written.
std::string displayValue(const std::string& toml, int digits = 4);
// displayValue of each, with the fewest significant digits (at least 4) that keep different
// values apart: a table column.
std::vector<std::string> displayColumn(const std::vector<std::string>& tomls);
// TOML numbers (with optional '_' separators) as doubles; anything else is categorical.
bool numericValue(const std::string& toml, double& out);
std::string parameterText(const std::vector<std::pair<std::string, std::string>>& params);
const PointSummary* bestPointOf(const Summary& s);
std::vector<const ItemSummary*> bestItemsOf(const Summary& s);
// The y axis of the search plots: the objective in the units people quote (validation AMS, not
// the stored -AMS), with the direction that is better.
std::string objectiveAxis(const metrics::ObjectiveDisplay& obj);
// Common look of every plot: light grid behind, ticks inside on all four sides as in HEP plots,
// an opaque legend box so curves behind it do not make it unreadable.
std::string commonStyle();
// The extent of a search plot's objective values: every fold's value and every point's mean
// +- std (non-finite values left out; an empty extent is [inf, -inf]).
std::pair<double, double> objectiveExtent(const std::vector<double>& folds, const std::vector<double>& means,
                                          const std::vector<double>& stds);
// y range for scatter plots with the legend inside the top: the data fill the lower part and
// the top third stays empty for the legend, wherever the points fall.
std::string yrangeWithLegendRoom(double mn, double mx, bool logy);
std::string colour(std::size_t i);

// The y axis of a plot of objective values, so that one bad point does not flatten the others.
// Values above 0 spanning more than a decade: a logarithmic axis, everything on it. Otherwise a
// linear axis; with at least 4 points, a point mean outside [q1 - 5 IQR, q3 + 5 IQR] of the point
// means is off scale: drawn as a marker at markerHigh / markerLow with its value printed.
struct ObjectiveScale {
  bool logy = false;
  double lo = -INFINITY, hi = INFINITY;  // the fences
  double markerHigh = 0, markerLow = 0;
  std::string commands;                  // set logscale / yrange
  bool offScale(double v) const { return std::isfinite(v) && (v < lo || v > hi); }
};
ObjectiveScale objectiveScale(const std::vector<double>& folds, const std::vector<double>& means,
                              const std::vector<double>& stds);
// Tick positions 1, 2, 5 x 10^k around [mn, mx], for a log axis spanning less than two decades.
std::vector<double> logTicks(double mn, double mx);
// The keys of [search.space] with log = true in the campaign's TOML text (empty when it does not
// parse: the plots then judge by the values' span alone).
std::vector<std::string> logSearchedKeys(const std::string& campaignToml);
// Background events in the held-out test set (0 when the summary does not hold the test labels):
// where none passes a cut, ε_B < 1/N_B and the rejection is > N_B.
double testBackgroundEvents(const Summary& s);
// ε_B and 1/ε_B where no test background event passes: "< 1/N_B" as a number ("0 (< 0.00143)")
// and "> N_B (no test background passes)"; "0" and "inf (...)" when N_B is unknown (0).
std::string efficiencyLimit(double nBackground);
std::string rejectionLimit(double nBackground);
// What the expected yields s and b of the AMS are, in words, for captions and the page.
std::string yieldDescription(const Summary& s);

// The permutation importance in the text summary ("" without it).
std::string importanceText(const Summary& s);
// The test AUC per parameter value of a parametrised network ("" without one).
std::string parametrisedText(const Summary& s);

struct Plot {
  std::string stem, alt, caption;
  std::string section;  // which part of the page shows it
  std::string group;    // plots of one non-empty group are shown side by side
};

class Builder {
 public:
  Builder(const Summary& s, std::string dir, const ReportOptions& o) : s_(s), dir_(std::move(dir)), o_(o) {}

  void lossCurves();
  void validationAuc();
  void roc();
  void amsCurve();
  void scores();
  void trace();
  void parameters();
  void rungs();  // RungPlots.cpp
  void draw();
  void inputs();
  void importance();  // ImportancePlot.cpp
  std::string importanceSection() const;
  void parametrised();  // ParameterPlot.cpp
  void multiClass();    // MultiClassPlots.cpp
  std::string multiClassSection() const;
  std::string parametrisedSection() const;
  std::string html(const std::string& finalDir) const;

 private:
  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }
  void addPlot(Plot p, const std::string& body, gp::Size size = {}) {
    html::writeFileAtomic(path(p.stem + ".gp"), gp::pngAndSvgScript(p.stem, commonStyle() + body, size));
    plots_.push_back(std::move(p));
  }
  std::string figures(const std::string& section) const;

  const Summary& s_;
  std::string dir_;
  const ReportOptions& o_;
  std::vector<Plot> plots_;
  std::vector<std::string> notes_;  // things the page should say it could not draw
  LinkedPage inputs_;
  std::string rungTable_;  // successive halving's rungs (rungs()), "" without
};

}  // namespace hepsweep::report::detail
