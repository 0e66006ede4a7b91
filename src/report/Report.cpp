#include "hepsweep/report/Report.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>
#include <sstream>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Directory.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::report {

namespace fs = std::filesystem;
namespace gp = gnuplot;
using aggregate::ItemSummary;
using aggregate::PointSummary;
using aggregate::Summary;

namespace {

// Colour-blind-friendly enough and distinct on a projector; folds cycle through it.
constexpr std::array<const char*, 10> kColours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                               "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
constexpr const char* kSignalColour = "#1f5fbf";
constexpr const char* kBackgroundColour = "#d62728";
// ROC curves of big test sets have one point per distinct score; a few thousand are plenty on a
// page and keep the SVG files small.
constexpr std::size_t kMaxCurvePoints = 2000;
constexpr int kScoreBins = 40;

std::string fmt(double v, int digits = 4) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*g", digits, v);
  return buf.data();
}

std::string pm(double mean, double sd, int digits = 4) { return fmt(mean, digits) + " \xC2\xB1 " + fmt(sd, 2); }

std::string duration(double seconds) {
  if (!(seconds >= 0)) return "n/a";
  const auto total = static_cast<long long>(std::llround(seconds));
  std::array<char, 64> buf{};
  if (total >= 3600)
    std::snprintf(buf.data(), buf.size(), "%lld h %02lld min %02lld s", total / 3600, (total / 60) % 60, total % 60);
  else if (total >= 60)
    std::snprintf(buf.data(), buf.size(), "%lld min %02lld s", total / 60, total % 60);
  else
    std::snprintf(buf.data(), buf.size(), "%.1f s", seconds);
  return buf.data();
}

// A parameter value as stored (TOML text) shown to a reader: strings without their quotes.
std::string displayValue(const std::string& toml) {
  const std::string_view v = str::trim(toml);
  if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\'')))
    return std::string(v.substr(1, v.size() - 2));
  return std::string(v);
}

// TOML numbers (with optional '_' separators) as doubles; anything else is categorical.
bool numericValue(const std::string& toml, double& out) {
  std::string v;
  for (char c : str::trim(toml))
    if (c != '_') v += c;
  if (!v.empty() && v.front() == '+') v.erase(0, 1);
  if (v.empty()) return false;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && ptr == v.data() + v.size() && std::isfinite(out);
}

std::string parameterText(const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : params) parts.push_back(k + " = " + displayValue(v));
  return parts.empty() ? std::string("(no searched parameters)") : str::join(parts, ", ");
}

const PointSummary* bestPointOf(const Summary& s) {
  for (const PointSummary& p : s.points)
    if (p.point == s.bestPoint) return &p;
  return s.points.empty() ? nullptr : &s.points.front();
}

std::vector<const ItemSummary*> bestItemsOf(const Summary& s) {
  std::vector<const ItemSummary*> out;
  for (std::int64_t i : s.bestItems)
    if (i >= 0 && static_cast<std::size_t>(i) < s.items.size()) out.push_back(&s.items[static_cast<std::size_t>(i)]);
  if (out.empty())
    for (const ItemSummary& it : s.items)
      if (it.point == s.bestPoint) out.push_back(&it);
  std::sort(out.begin(), out.end(), [](const ItemSummary* a, const ItemSummary* b) { return a->fold < b->fold; });
  return out;
}

// The y axis of the search plots: the objective in the units people quote (validation AMS, not
// the stored -AMS), with the direction that is better.
std::string objectiveAxis(const metrics::ObjectiveDisplay& obj) {
  return obj.quantity + (obj.higherIsBetter ? " (higher is better)" : " (lower is better)");
}

// Common look of every plot: light grid behind, ticks inside on all four sides as in HEP plots,
// an opaque legend box so curves behind it do not make it unreadable.
std::string commonStyle() {
  // `set tics` would also switch on labelled x2/y2 tics (over the title): name the axes.
  return "set border lw 1.2\n"
         "set xtics in mirror\nset ytics in mirror\n"
         "set mxtics\nset mytics\n"
         "set grid back lt 1 lc rgb '#dcdcdc' lw 1\n"
         "set key opaque box lc rgb '#999999' samplen 3.5 spacing 1.2\n"
         "set datafile missing NaN\n";
}

// The extent of a search plot's objective values: every fold's value and every point's mean
// +- std (non-finite values left out; an empty extent is [inf, -inf]).
std::pair<double, double> objectiveExtent(const std::vector<double>& folds, const std::vector<double>& means,
                                          const std::vector<double>& stds) {
  double mn = INFINITY, mx = -INFINITY;
  for (const double v : folds)
    if (std::isfinite(v)) mn = std::min(mn, v), mx = std::max(mx, v);
  for (std::size_t i = 0; i < means.size(); ++i)
    if (std::isfinite(means[i]) && std::isfinite(stds[i]))
      mn = std::min(mn, means[i] - stds[i]), mx = std::max(mx, means[i] + stds[i]);
  return {mn, mx};
}

// y range for scatter plots with the legend inside the top: the data fill the lower part and
// the top third stays empty for the legend, wherever the points fall.
std::string yrangeWithLegendRoom(double mn, double mx, bool logy) {
  if (!std::isfinite(mn) || !std::isfinite(mx)) return "";
  std::ostringstream r;
  if (logy) {
    const double span = std::log10(mx / mn);
    r << "set yrange [" << gp::number(mn / std::pow(10.0, 0.05 * span)) << ":" << gp::number(mx * std::pow(10.0, 0.45 * span)) << "]\n";
  } else {
    const double span = mx > mn ? mx - mn : (mn != 0 ? 0.1 * std::fabs(mn) : 1.0);
    r << "set yrange [" << gp::number(mn - 0.06 * span) << ":" << gp::number(mx + 0.45 * span) << "]\n";
  }
  return r.str();
}

std::string colour(std::size_t i) { return std::string("'") + kColours[i % kColours.size()] + "'"; }

struct Plot {
  std::string stem, alt, caption;
  std::string section;  // which part of the page shows it
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
  void draw();
  void inputs();
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
};

void Builder::inputs() {
  if (!o_.inputsPage) return;
  try {
    inputs_ = o_.inputsPage(dir_);
  } catch (const Error& e) {
    inputs_ = LinkedPage{"", std::string("No inspect report of the input data: ") + e.what()};
  }
}

void Builder::lossCurves() {
  const auto items = bestItemsOf(s_);
  std::vector<gp::Block> blocks;
  std::vector<double> bestFold, bestEpoch, bestLoss;
  std::vector<int> folds;
  for (const ItemSummary* it : items) {
    if (it->trainLoss.empty() && it->valLoss.empty()) continue;
    const std::size_t n = std::max(it->trainLoss.size(), it->valLoss.size());
    gp::Block b;
    b.title = "fold " + std::to_string(it->fold) + " (item " + std::to_string(it->item) + " of " + it->runDir + ")";
    b.columns = {{"epoch", {}}, {"train_loss", {}}, {"val_loss", {}}};
    for (std::size_t e = 0; e < n; ++e) {
      b.columns[0].values.push_back(static_cast<double>(e + 1));
      b.columns[1].values.push_back(e < it->trainLoss.size() ? it->trainLoss[e] : NAN);
      b.columns[2].values.push_back(e < it->valLoss.size() ? it->valLoss[e] : NAN);
    }
    blocks.push_back(std::move(b));
    folds.push_back(it->fold);
    if (it->bestEpoch >= 1 && static_cast<std::size_t>(it->bestEpoch) <= it->valLoss.size()) {
      bestFold.push_back(it->fold);
      bestEpoch.push_back(static_cast<double>(it->bestEpoch));
      bestLoss.push_back(it->valLoss[static_cast<std::size_t>(it->bestEpoch - 1)]);
    }
  }
  if (blocks.empty()) {
    notes_.push_back("No per-epoch history in the best point's result files: no loss curves.");
    return;
  }
  gp::writeDataFile(path("loss.dat"),
                    "Loss per epoch of the best point's fold models (one block per fold, gnuplot 'index N').\n"
                    "epoch is 1-based; train_loss is the training loss (with dropout), val_loss the validation loss.",
                    blocks);
  const std::vector<gp::Column> best{{"fold", bestFold}, {"best_epoch", bestEpoch}, {"val_loss", bestLoss}};
  gp::writeDataFile(path("loss-best-epoch.dat"), "The epoch whose weights each fold model keeps (early stopping).", best);

  std::ostringstream g;
  g << "set title 'Loss curves of the best point (point " << s_.bestPoint << ")'\n";
  g << "set xlabel 'epoch'\nset ylabel 'loss (binary cross-entropy)'\n";
  // The legend sits in the top right corner; an overfitting validation curve rising at late
  // epochs would run under it, so the y range grows until the right half stays below the legend.
  {
    double lo = INFINITY, hi = -INFINITY, rightHi = -INFINITY;
    std::size_t epochs = 0;
    for (const auto& b : blocks) epochs = std::max(epochs, b.columns[0].values.size());
    for (const auto& b : blocks)
      for (std::size_t c = 1; c < b.columns.size(); ++c)
        for (std::size_t e = 0; e < b.columns[c].values.size(); ++e) {
          const double v = b.columns[c].values[e];
          if (!std::isfinite(v)) continue;
          lo = std::min(lo, v);
          hi = std::max(hi, v);
          if (2 * e >= epochs) rightHi = std::max(rightHi, v);
        }
    const double legendFraction = 0.05 + 0.045 * static_cast<double>(blocks.size() + 3);
    if (std::isfinite(lo) && hi > lo && legendFraction < 0.8) {
      const double top = std::max(hi, lo + (rightHi - lo) / (1 - legendFraction));
      const double pad = 0.04 * (top - lo);
      g << "set yrange [" << lo - pad << ":" << top + pad << "]\n";
    }
  }
  g << "set key top right\n";
  g << "plot NaN with lines lw 2 dt 2 lc rgb 'black' title 'training', \\\n";
  g << "     NaN with lines lw 2 dt 1 lc rgb 'black' title 'validation', \\\n";
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    g << "     'loss.dat' index " << i << " using 1:2 with lines lw 1.5 dt 2 lc rgb " << colour(i) << " notitle, \\\n";
    g << "     'loss.dat' index " << i << " using 1:3 with lines lw 2 dt 1 lc rgb " << colour(i) << " title 'fold "
      << folds[i] << "', \\\n";
  }
  if (bestEpoch.empty()) g << "     NaN notitle\n";
  else g << "     'loss-best-epoch.dat' using 2:3 with points pt 7 ps 1.8 lc rgb 'black' title 'best epoch (kept)'\n";
  addPlot({"loss", "Training and validation loss per epoch for each fold of the best point",
           "Loss per epoch for each fold model of the best point: training (dashed) and validation (solid). Black "
           "dots mark the epoch whose weights early stopping kept.",
           "training"},
          g.str());
}

void Builder::validationAuc() {
  const auto items = bestItemsOf(s_);
  std::vector<gp::Block> blocks;
  std::vector<int> folds;
  for (const ItemSummary* it : items) {
    if (it->valAuc.empty()) continue;
    gp::Block b;
    b.title = "fold " + std::to_string(it->fold);
    b.columns = {{"epoch", {}}, {"val_auc", {}}};
    for (std::size_t e = 0; e < it->valAuc.size(); ++e) {
      b.columns[0].values.push_back(static_cast<double>(e + 1));
      b.columns[1].values.push_back(it->valAuc[e]);
    }
    blocks.push_back(std::move(b));
    folds.push_back(it->fold);
  }
  if (blocks.empty()) return;
  gp::writeDataFile(path("val-auc.dat"), "Validation ROC AUC per epoch of the best point's fold models (index N = fold).",
                    blocks);
  std::ostringstream g;
  g << "set title 'Validation AUC of the best point (point " << s_.bestPoint << ")'\n";
  g << "set xlabel 'epoch'\nset ylabel 'validation ROC AUC'\nset key bottom right\n";
  g << "plot ";
  for (std::size_t i = 0; i < blocks.size(); ++i)
    g << (i ? ", \\\n     " : "") << "'val-auc.dat' index " << i << " using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb "
      << colour(i) << " title 'fold " << folds[i] << "'";
  g << "\n";
  addPlot({"val-auc", "Validation AUC per epoch for each fold of the best point",
           "Validation ROC AUC per epoch for each fold model of the best point.", "training"},
          g.str());
}

void Builder::roc() {
  std::vector<gp::Block> blocks;
  std::vector<std::string> titles;
  std::vector<bool> isEnsemble;
  bool dropped = false;
  for (const aggregate::RocCurve& c : s_.roc) {
    const std::size_t n = std::min(c.signalEfficiency.size(), c.backgroundEfficiency.size());
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < n; ++i) {
      // 1/ε_B is infinite where no background passes: such points cannot sit on a log axis.
      if (c.backgroundEfficiency[i] > 0 && c.signalEfficiency[i] > 0) keep.push_back(i);
      else dropped = true;
    }
    if (keep.empty()) continue;
    const std::size_t stride = (keep.size() + kMaxCurvePoints - 1) / kMaxCurvePoints;
    gp::Block b;
    b.title = c.label + " (AUC " + fmt(c.auc, 5) + ")";
    b.columns = {{"signal_efficiency", {}}, {"background_efficiency", {}}, {"background_rejection", {}}};
    for (std::size_t k = 0; k < keep.size(); ++k) {
      if (k % stride != 0 && k + 1 != keep.size()) continue;
      const std::size_t i = keep[k];
      b.columns[0].values.push_back(c.signalEfficiency[i]);
      b.columns[1].values.push_back(c.backgroundEfficiency[i]);
      b.columns[2].values.push_back(1.0 / c.backgroundEfficiency[i]);
    }
    blocks.push_back(std::move(b));
    titles.push_back(c.label + " (AUC = " + fmt(c.auc, 4) + ")");
    isEnsemble.push_back(c.label == "ensemble");
  }
  if (blocks.empty()) {
    notes_.push_back("No ROC curve on the test set in the summary: no ROC plot.");
    return;
  }
  gp::writeDataFile(path("roc.dat"),
                    "ROC curves on the held-out test set, one block per model (gnuplot 'index N'): each fold model, "
                    "then the ensemble.\nPoints with background efficiency 0 (infinite rejection) are left out.",
                    blocks);
  std::vector<double> wpS, wpR;
  for (const auto& wp : s_.workingPoints)
    if (wp.ensembleBackgroundEfficiency > 0) {
      wpS.push_back(wp.signalEfficiency);
      wpR.push_back(1.0 / wp.ensembleBackgroundEfficiency);
    }
  if (!wpS.empty())
    gp::writeDataFile(path("roc-working-points.dat"), "Working points of the ensemble on the test set.",
                      std::vector<gp::Column>{{"signal_efficiency", wpS}, {"background_rejection", wpR}});

  std::ostringstream g;
  g << "set title 'ROC on the test set, best point (point " << s_.bestPoint << ")'\n";
  g << "set xlabel 'signal efficiency {/:Italic ε}_S'\n";
  g << "set ylabel 'background rejection 1/{/:Italic ε}_B'\n";
  g << "set logscale y\nset format y '10^{%L}'\nset xrange [0:1]\nset yrange [1:*]\n";
  g << "set key top right\n";
  g << "plot ";
  std::size_t foldIndex = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    g << (i ? ", \\\n     " : "") << "'roc.dat' index " << i << " using 1:3 with lines ";
    if (isEnsemble[i]) g << "lw 3.5 lc rgb 'black'";
    else g << "lw 1.5 lc rgb " << colour(foldIndex++);
    g << " title " << gp::quote(gp::enhancedLiteral(titles[i]));
  }
  g << ", \\\n     (x > 0 ? 1/x : NaN) with lines lw 1.5 dt 3 lc rgb '#888888' title 'random classifier'";
  if (!wpS.empty())
    g << ", \\\n     'roc-working-points.dat' using 1:2 with points pt 6 ps 2 lw 2 lc rgb 'black' title 'working points'";
  g << "\n";
  std::string caption =
      "Background rejection 1/\xCE\xB5_B against signal efficiency \xCE\xB5_S on the held-out test set, for each fold "
      "model and for the ensemble (mean score of the fold models; thick black). Higher is better. The dotted line is a "
      "classifier that ignores its input (\xCE\xB5_B = \xCE\xB5_S).";
  if (dropped) caption += " Points where no background event passes (\xCE\xB5_B = 0, infinite rejection) are not drawn.";
  addPlot({"roc", "ROC curves: background rejection against signal efficiency", caption, "test"}, g.str());
}

// What the expected yields s and b of the AMS are, in words, for captions and the page.
std::string yieldDescription(const Summary& s) {
  std::string d = "s and b are expected yields: each test event's ";
  d += s.testWeighted ? "weight" : "count (the data has no weights)";
  d += " \xC3\x97 N/n (the test set holds n of the data file's N events of its class)";
  if (s.luminosity != 1) d += " \xC3\x97 luminosity " + fmt(s.luminosity, 6);
  if (s.signalScale != 1 || s.backgroundScale != 1)
    d += " \xC3\x97 class scale (signal " + fmt(s.signalScale, 6) + ", background " + fmt(s.backgroundScale, 6) + ")";
  d += "; b_r = " + fmt(s.amsRegularisation, 4) + ".";
  if (!s.testWeighted && s.luminosity == 1 && s.signalScale == 1 && s.backgroundScale == 1)
    d += " Without weights, luminosity or class scales the signal-to-background ratio is that of the data file, "
         "usually not the physical one: set [metrics] luminosity, signal_scale and background_scale in the campaign "
         "to quote a physical significance.";
  return d;
}

void Builder::amsCurve() {
  if (s_.ams.empty()) {
    if (!s_.amsNote.empty()) notes_.push_back(s_.amsNote);
    return;
  }
  std::vector<gp::Block> blocks;
  std::vector<bool> isEnsemble;
  std::vector<std::string> titles;
  std::vector<double> maxT, maxA;
  bool unitRange = true;
  double amsMax = 0;
  for (const aggregate::AmsCurve& c : s_.ams) {
    const std::size_t n = std::min({c.threshold.size(), c.ams.size(), c.signal.size(), c.background.size()});
    if (n == 0) continue;
    // Keep every stride-th point and always the maximum, so the drawn peak is the quoted one.
    const std::size_t stride = (n + kMaxCurvePoints - 1) / kMaxCurvePoints;
    gp::Block b;
    b.title = c.label + " (max AMS " + fmt(c.maxAms, 5) + " at score >= " + fmt(c.thresholdAtMax, 5) + ")";
    b.columns = {{"threshold", {}}, {"ams", {}}, {"signal", {}}, {"background", {}}};
    for (std::size_t i = 0; i < n; ++i) {
      if (i % stride != 0 && i + 1 != n && c.threshold[i] != c.thresholdAtMax) continue;
      b.columns[0].values.push_back(c.threshold[i]);
      b.columns[1].values.push_back(c.ams[i]);
      b.columns[2].values.push_back(c.signal[i]);
      b.columns[3].values.push_back(c.background[i]);
      if (c.threshold[i] < 0 || c.threshold[i] > 1) unitRange = false;
      if (std::isfinite(c.ams[i])) amsMax = std::max(amsMax, c.ams[i]);
    }
    blocks.push_back(std::move(b));
    isEnsemble.push_back(c.label == "ensemble");
    titles.push_back(c.label + ": max " + fmt(c.maxAms, 4) + " at " + fmt(c.thresholdAtMax, 3));
    maxT.push_back(c.thresholdAtMax);
    maxA.push_back(c.maxAms);
  }
  if (blocks.empty()) return;
  gp::writeDataFile(path("ams.dat"),
                    "AMS of the cut score >= threshold on the held-out test set, one block per model (gnuplot "
                    "'index N'): each fold model, then the ensemble.\nsignal and background are the expected yields "
                    "s and b passing the cut; AMS = sqrt(2((s+b+b_r)ln(1+s/(b+b_r))-s)), b_r = " +
                        fmt(s_.amsRegularisation, 6) + ".",
                    blocks);
  gp::writeDataFile(path("ams-max.dat"), "The AMS-maximising cut of each model (same order as ams.dat).",
                    std::vector<gp::Column>{{"threshold", maxT}, {"ams", maxA}});
  std::ostringstream g;
  g << "set title 'Significance on the test set, best point (point " << s_.bestPoint << ")'\n";
  g << "set xlabel 'score threshold (events with score \xE2\x89\xA5 threshold pass)'\n";
  g << "set ylabel 'AMS'\n";
  // A little room right of 1: the maxima of tight cuts sit near score 1 and their markers would be
  // cut in half by the frame.
  if (unitRange) g << "set xrange [0:1.02]\n";
  g << yrangeWithLegendRoom(0, amsMax > 0 ? amsMax : 1, false);
  g << "set key top left\n";
  g << "plot ";
  std::size_t foldIndex = 0;
  std::vector<std::string> lineColour;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    lineColour.push_back(isEnsemble[i] ? std::string("'black'") : colour(foldIndex++));
    g << (i ? ", \\\n     " : "") << "'ams.dat' index " << i << " using 1:2 with lines lw "
      << (isEnsemble[i] ? "3.5" : "1.5") << " lc rgb " << lineColour[i] << " title "
      << gp::quote(gp::enhancedLiteral(titles[i]));
  }
  // The maxima after every line, each a disc in its curve's colour on a white halo, so that a
  // fold's maximum lying on the thick ensemble line stays visible.
  for (std::size_t i = 0; i < blocks.size(); ++i)
    g << ", \\\n     'ams-max.dat' every ::" << i << "::" << i
      << " using 1:2 with points pt 7 ps 2.3 lc rgb 'white' notitle, \\\n     'ams-max.dat' every ::" << i << "::"
      << i << " using 1:2 with points pt 7 ps 1.5 lc rgb " << lineColour[i]
      << (i + 1 == blocks.size() ? " title 'maximum'" : " notitle");
  g << "\n";
  addPlot({"ams", "AMS against the score threshold on the test set",
           "Approximate median significance AMS of the selection score \xE2\x89\xA5 threshold on the held-out test set, "
           "for each fold model of the best point and for their ensemble (thick black); a disc in the curve's colour "
           "marks each curve's maximum. " + yieldDescription(s_) +
               " The maximising cut is chosen on the test set itself, so the maximum is optimistic by the test "
               "set's fluctuations; the validation AMS (val_ams) is the unbiased ranking criterion.",
           "test"},
          g.str());
}

// Normalised (unit area), weighted histogram with per-bin statistical errors.
struct Histogram {
  std::vector<double> density, error;
  std::vector<int> empty;  // bins without entries
};

Histogram histogram(const std::vector<float>& x, const std::vector<float>& w, double lo, double hi, int bins) {
  std::vector<double> sum(static_cast<std::size_t>(bins), 0.0), sum2(static_cast<std::size_t>(bins), 0.0);
  double total = 0;
  const double width = (hi - lo) / bins;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double wi = i < w.size() ? static_cast<double>(w[i]) : 1.0;
    if (!std::isfinite(x[i]) || !std::isfinite(wi)) continue;
    auto b = static_cast<long>(std::floor((static_cast<double>(x[i]) - lo) / width));
    b = std::clamp(b, 0L, static_cast<long>(bins - 1));
    sum[static_cast<std::size_t>(b)] += wi;
    sum2[static_cast<std::size_t>(b)] += wi * wi;
    total += wi;
  }
  Histogram h;
  for (int b = 0; b < bins; ++b) {
    const auto k = static_cast<std::size_t>(b);
    h.density.push_back(total > 0 ? sum[k] / (total * width) : NAN);
    h.error.push_back(total > 0 ? std::sqrt(sum2[k]) / (total * width) : NAN);
    // An empty test bin drawn as a point on the axis only clutters the plot.
    if (sum[k] == 0) h.empty.push_back(b);
  }
  return h;
}

void Builder::scores() {
  std::vector<std::string> labels;
  for (const auto& c : s_.overtraining)
    if (std::find(labels.begin(), labels.end(), c.label) == labels.end()) labels.push_back(c.label);
  int index = 0;
  for (const std::string& label : labels) {
    const aggregate::OvertrainingCheck* sig = nullptr;
    const aggregate::OvertrainingCheck* bkg = nullptr;
    for (const auto& c : s_.overtraining)
      if (c.label == label) (c.cls == 1 ? sig : bkg) = &c;
    double lo = 0, hi = 1;
    bool any = false;
    float mn = 0, mx = 0;
    for (const auto* c : {sig, bkg}) {
      if (!c) continue;
      for (const auto* v : {&c->trainScores, &c->testScores})
        for (float x : *v) {
          if (!std::isfinite(x)) continue;
          if (!any) mn = mx = x;
          mn = std::min(mn, x);
          mx = std::max(mx, x);
          any = true;
        }
    }
    if (!any) continue;
    // Sigmoid outputs live in [0, 1]; other scores get their own range.
    if (mn < 0 || mx > 1) {
      lo = mn;
      hi = mx > mn ? mx : mn + 1;
    }
    const double width = (hi - lo) / kScoreBins;
    std::vector<gp::Column> cols{{"score_bin_centre", {}}};
    for (int b = 0; b < kScoreBins; ++b) cols[0].values.push_back(lo + (b + 0.5) * width);
    auto add = [&](const aggregate::OvertrainingCheck* c, const std::string& name) {
      const Histogram tr = c ? histogram(c->trainScores, c->trainWeights, lo, hi, kScoreBins) : Histogram{};
      const Histogram te = c ? histogram(c->testScores, c->testWeights, lo, hi, kScoreBins) : Histogram{};
      auto orNan = [](std::vector<double> v) { return v.empty() ? std::vector<double>(kScoreBins, NAN) : v; };
      cols.push_back({name + "_train", orNan(tr.density)});
      std::vector<double> testDensity = orNan(te.density), testError = orNan(te.error);
      for (int b : te.empty) testDensity[static_cast<std::size_t>(b)] = testError[static_cast<std::size_t>(b)] = NAN;
      cols.push_back({name + "_test", testDensity});
      cols.push_back({name + "_test_error", testError});
    };
    add(sig, "signal");
    add(bkg, "background");
    const std::string stem = "scores-" + std::to_string(index++);
    gp::writeDataFile(path(stem + ".dat"),
                      "Score distributions of " + label +
                          ", normalised to unit area (weighted), train and test samples.\n"
                          "Columns: bin centre; signal train, test, test error; background train, test, test error.\n"
                          "Empty test bins are NaN.",
                      cols);
    auto ks = [&](const aggregate::OvertrainingCheck* c) { return c ? "KS p = " + fmt(c->ksPValue, 3) : std::string(); };
    double ymax = 0;
    for (std::size_t k = 1; k < cols.size(); ++k)
      for (double v : cols[k].values)
        if (std::isfinite(v)) ymax = std::max(ymax, v);
    std::ostringstream g;
    const std::string dat = gp::quote(stem + ".dat");
    g << "set title " << gp::quote("Overtraining check: " + gp::enhancedLiteral(label)) << "\n";
    g << "set xlabel 'classifier score'\nset ylabel '(1/N) dN/d(score)'\n";
    g << "set xrange [" << gp::number(lo) << ":" << gp::number(hi) << "]\n";
    // Head-room above the tallest bin keeps the legend off the histograms.
    g << "set yrange [0:" << gp::number(ymax > 0 ? ymax * 1.45 : 1.0) << "]\n";
    // `top center` puts the key's box on the frame's top edge (gnuplot 5.4 has no key offset):
    // anchor its top a little below the frame instead.
    g << "set key at graph 0.5, graph 0.97 center top maxrows 2 width -3\n";
    g << "set boxwidth " << gp::number(width) << " absolute\n";
    // The colour goes before `fs`: after `border` it would colour only the outline.
    g << "plot " << dat << " using 1:2 with boxes lc rgb '" << kSignalColour
      << "' lw 1.2 fs transparent solid 0.3 border title 'signal (train)', \\\n";
    g << "     " << dat << " using 1:5 with boxes lc rgb '" << kBackgroundColour
      << "' lw 1.2 fs transparent pattern 4 border title 'background (train)', \\\n";
    g << "     " << dat << " using 1:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '" << kSignalColour
      << "' title " << gp::quote("signal (test), " + ks(sig)) << ", \\\n";
    g << "     " << dat << " using 1:6:7 with yerrorbars pt 5 ps 1.0 lw 1.5 lc rgb '" << kBackgroundColour
      << "' title " << gp::quote("background (test), " + ks(bkg)) << "\n";
    std::string caption = "Score distributions of " + label +
                          " on its training sample (histograms) and on the held-out test sample (points with "
                          "statistical errors), each normalised to unit area.";
    if (sig) caption += " Signal: Kolmogorov\xE2\x80\x93Smirnov D = " + fmt(sig->ksStatistic, 3) + ", p = " + fmt(sig->ksPValue, 3) + ".";
    if (bkg) caption += " Background: D = " + fmt(bkg->ksStatistic, 3) + ", p = " + fmt(bkg->ksPValue, 3) + ".";
    caption += " A small p-value (say below 0.01) means train and test differ: a sign of overtraining.";
    addPlot({stem, "Score distributions, train vs test: " + label, caption, "overtraining"}, g.str());
  }
  if (labels.empty())
    notes_.push_back(s_.overtrainingNote.empty() ? "No train/test score samples in the summary: no overtraining plots."
                                                 : s_.overtrainingNote);
}

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

void Builder::draw() {
  if (plots_.empty()) return;
  std::string all = "# Draws every plot of this report: gnuplot plots.gp (or gnuplot NAME.gp for one).\n";
  for (const Plot& p : plots_) all += "reset session\nload " + gp::quote(p.stem + ".gp") + "\n";
  html::writeFileAtomic(path("plots.gp"), all);
  // One gnuplot process for all plots: its start-up costs as much as drawing several plots.
  const std::string warnings = gp::run(path("plots.gp"), dir_, o_.gnuplot);
  if (!warnings.empty()) o_.logger.warning("gnuplot: " + warnings);
  for (const Plot& p : plots_) {
    const gp::PngInfo info = gp::checkPng(path(p.stem + ".png"));
    if (info.bytes < 1024)
      throwIo("gnuplot drew an almost empty picture '" + path(p.stem + ".png") + "' (" + std::to_string(info.bytes) +
              " bytes) from '" + path(p.stem + ".gp") + "'");
    std::error_code ec;
    if (!fs::exists(path(p.stem + ".svg"), ec) || fs::file_size(path(p.stem + ".svg"), ec) == 0)
      throwIo("gnuplot did not write '" + path(p.stem + ".svg") + "' from '" + path(p.stem + ".gp") + "'");
  }
}

std::string Builder::figures(const std::string& section) const {
  std::string out;
  for (const Plot& p : plots_)
    if (p.section == section)
      out += html::figure(p.stem + ".png", p.alt, p.caption, p.stem + ".svg", "SVG") ;
  return out;
}

std::string Builder::html(const std::string& finalDir) const {
  const Summary& s = s_;
  const PointSummary* best = bestPointOf(s);
  const metrics::ObjectiveDisplay obj = metrics::displayObjective(s.objective);
  std::string body;
  body += "<h1>hepsweep campaign report</h1>\n";
  body += "<p class=\"muted\">" + html::escape("Written " + utcTimestamp() + " by " + versionString() + " into " + finalDir) +
          "</p>\n";
  body += "<nav>" + html::link("#result", "Result") + " " + html::link("#points", "Top points") + " " +
          html::link("#test", "Test set") + " " + html::link("#overtraining", "Overtraining") + " " +
          html::link("#training", "Training") + " " + html::link("#search", "Search") + " " +
          (o_.inputsPage ? html::link("#inputs", "Input data") + " " : std::string()) +
          html::link("#provenance", "What was run") + "</nav>\n";

  // Result.
  {
    std::string b;
    if (!s.incomplete.empty())
      b += "<p class=\"warning\">" +
           html::escape(std::to_string(s.incomplete.size()) +
                        " item(s) were incomplete and left out (--allow-incomplete); see \"What was run\".") +
           "</p>\n";
    std::vector<std::pair<std::string, std::string>> kv;
    if (best) {
      kv.emplace_back("best point", "point " + std::to_string(best->point) + ": " + parameterText(best->parameters));
      kv.emplace_back(obj.quantity + " (objective " + s.objective + ")",
                      pm(obj.shown(best->objectiveMean), best->objectiveStd) + " over " +
                          std::to_string(best->foldsDone) + " fold(s) (mean \xC2\xB1 standard deviation; " +
                          (obj.higherIsBetter ? "higher" : "lower") + " is better)");
      if (s.points.size() > 1) {
        const PointSummary& second = best == &s.points[0] ? s.points[1] : s.points[0];
        const double margin = second.objectiveMean - best->objectiveMean;
        // Standard error of the difference of two fold means; folds share events, so it is a
        // rough guide, which the wording says.
        const double se = std::sqrt(best->objectiveStd * best->objectiveStd / std::max(best->foldsDone, 1) +
                                    second.objectiveStd * second.objectiveStd / std::max(second.foldsDone, 1));
        kv.emplace_back("margin over the runner-up",
                        fmt(margin, 3) + " (runner-up point " + std::to_string(second.point) + ": " +
                            pm(obj.shown(second.objectiveMean), second.objectiveStd) + ")" +
                            (se > 0 ? "; about " + fmt(margin / se, 2) + " standard errors of the difference of the fold means" : ""));
      }
    } else {
      kv.emplace_back("best point", "none (no complete point)");
    }
    if (!s.roc.empty()) {
      kv.emplace_back("ensemble test AUC", fmt(s.ensembleTestAuc, 5));
      if (s.ensembleTestAucWeighted != 0 && std::fabs(s.ensembleTestAucWeighted - s.ensembleTestAuc) > 1e-12)
        kv.emplace_back("ensemble test AUC, event weights", fmt(s.ensembleTestAucWeighted, 5));
      kv.emplace_back("fold models' test AUC", pm(s.foldMeanTestAuc, s.foldStdTestAuc, 5) + " (mean \xC2\xB1 std)");
    }
    if (!s.ams.empty()) {
      const aggregate::AmsCurve& e = s.ams.back();
      kv.emplace_back("ensemble test AMS (maximum)",
                      fmt(e.maxAms, 4) + " at score \xE2\x89\xA5 " + fmt(e.thresholdAtMax, 4) + ": s = " +
                          fmt(e.signalAtMax, 4) + ", b = " + fmt(e.backgroundAtMax, 5) + ", signal efficiency " +
                          fmt(e.signalEfficiency, 3));
    }
    kv.emplace_back("points / items", std::to_string(s.points.size()) + " points, " + std::to_string(s.items.size()) + " items");
    b += html::keyValueTable(kv);
    for (const std::string& n : notes_) b += html::paragraph(n);
    body += html::section("result", "Result", b);
  }

  // Top points.
  {
    std::vector<std::string> keys;
    for (const PointSummary& p : s.points)
      for (const auto& kv : p.parameters)
        if (std::find(keys.begin(), keys.end(), kv.first) == keys.end()) keys.push_back(kv.first);
    std::vector<std::string> metricNames;
    if (!s.points.empty())
      for (const auto& [name, v] : s.points.front().metricMean)
        if (name != s.objective && metricNames.size() < 6) metricNames.push_back(name);
    std::vector<std::string> header{"rank", "point"};
    header.insert(header.end(), keys.begin(), keys.end());
    header.push_back(obj.quantity + " (mean \xC2\xB1 std)");
    header.push_back("folds");
    for (const auto& m : metricNames) header.push_back(m);
    std::vector<std::vector<std::string>> rows;
    int highlight = -1;
    const std::size_t n = std::min(s.points.size(), static_cast<std::size_t>(std::max(o_.topPoints, 1)));
    for (std::size_t i = 0; i < n; ++i) {
      const PointSummary& p = s.points[i];
      if (p.point == s.bestPoint) highlight = static_cast<int>(i);
      std::vector<std::string> r{std::to_string(p.rank), std::to_string(p.point)};
      for (const auto& k : keys) {
        std::string v;
        for (const auto& [pk, pv] : p.parameters)
          if (pk == k) v = displayValue(pv);
        r.push_back(v);
      }
      r.push_back(pm(obj.shown(p.objectiveMean), p.objectiveStd));
      r.push_back(p.foldsExpected > 0 && p.foldsDone != p.foldsExpected
                      ? std::to_string(p.foldsDone) + " of " + std::to_string(p.foldsExpected) + " (incomplete)"
                      : std::to_string(p.foldsDone));
      for (const auto& m : metricNames) {
        std::string cell;
        for (std::size_t j = 0; j < p.metricMean.size(); ++j)
          if (p.metricMean[j].first == m)
            cell = j < p.metricStd.size() ? pm(p.metricMean[j].second, p.metricStd[j].second) : fmt(p.metricMean[j].second);
        r.push_back(cell);
      }
      rows.push_back(std::move(r));
    }
    std::string caption = "Points ranked by the mean validation objective over folds (never the test set)";
    if (s.points.size() > n) caption += "; top " + std::to_string(n) + " of " + std::to_string(s.points.size());
    caption += ". The best point is highlighted. Metrics: mean \xC2\xB1 standard deviation over folds.";
    body += html::section("points", "Top points", rows.empty() ? html::paragraph("No complete point.") : html::table(header, rows, caption, highlight));
  }

  // Test set.
  {
    std::string b;
    if (!s.workingPoints.empty()) {
      const std::vector<std::string> header{"signal efficiency \xCE\xB5_S", "\xCE\xB5_B (ensemble)",
                                            "\xCE\xB5_B (fold models, mean \xC2\xB1 std)",
                                            "rejection 1/\xCE\xB5_B (ensemble)",
                                            "rejection (fold models, mean \xC2\xB1 std)", "score threshold (ensemble)"};
      std::vector<std::vector<std::string>> rows;
      for (const auto& wp : s.workingPoints) {
        const double rejection = wp.ensembleBackgroundEfficiency > 0 ? 1.0 / wp.ensembleBackgroundEfficiency : INFINITY;
        const bool foldRejection = wp.foldMeanBackgroundRejection != 0 || wp.foldStdBackgroundRejection != 0;
        rows.push_back({fmt(wp.signalEfficiency, 3), fmt(wp.ensembleBackgroundEfficiency, 4),
                        pm(wp.foldMeanBackgroundEfficiency, wp.foldStdBackgroundEfficiency, 4),
                        std::isfinite(rejection) ? fmt(rejection, 4) : std::string("inf (no background passes)"),
                        foldRejection ? pm(wp.foldMeanBackgroundRejection, wp.foldStdBackgroundRejection, 4) : std::string("n/a"),
                        fmt(wp.ensembleThreshold, 5)});
      }
      b += html::table(header, rows,
                       "Working points on the held-out test set: background efficiency at fixed signal efficiency, "
                       "for the ensemble of the best point's fold models and across its fold models.");
    }
    b += figures("test");
    if (!s.roc.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : s.roc) rows.push_back({c.label, fmt(c.auc, 5)});
      b += html::table(std::vector<std::string>{"model", "test AUC"}, rows, "ROC AUC on the held-out test set.");
    }
    if (!s.ams.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : s.ams)
        rows.push_back({c.label, fmt(c.maxAms, 4), fmt(c.thresholdAtMax, 4), fmt(c.signalAtMax, 4),
                        fmt(c.backgroundAtMax, 5), fmt(c.sOverSqrtB, 4), fmt(c.signalEfficiency, 3),
                        fmt(c.backgroundEfficiency, 3)});
      b += html::table(std::vector<std::string>{"model", "max AMS", "score threshold", "s", "b", "s/\xE2\x88\x9A" "b",
                                                "signal efficiency", "background efficiency"},
                       rows,
                       "The cut score \xE2\x89\xA5 threshold maximising the AMS on the held-out test set, with the "
                       "expected yields passing it. " + yieldDescription(s) +
                           " Totals before any cut: s = " + fmt(s.ams.back().totalSignal, 5) +
                           ", b = " + fmt(s.ams.back().totalBackground, 6) + ".");
    }
    if (b.empty()) b = html::paragraph("The summary holds no test-set evaluation.");
    body += html::section("test", "Test-set performance of the best point", b);
  }

  // Overtraining.
  {
    std::string b = figures("overtraining");
    if (!s.overtraining.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : s.overtraining)
        rows.push_back({c.label, c.cls == 1 ? "signal" : "background", std::to_string(c.trainScores.size()),
                        std::to_string(c.testScores.size()), fmt(c.ksStatistic, 4), fmt(c.ksPValue, 4)});
      b += html::table(std::vector<std::string>{"model", "class", "train events", "test events", "KS D", "KS p-value"},
                       rows,
                       "Weighted two-sample Kolmogorov\xE2\x80\x93Smirnov test of train vs test score distributions, "
                       "per class (as in TMVA).");
    } else {
      b += html::paragraph("The summary holds no train/test score samples.");
    }
    body += html::section("overtraining", "Overtraining check", b);
  }

  // Training.
  {
    std::string b = figures("training");
    if (b.empty()) b = html::paragraph("No per-epoch history in the best point's result files.");
    const auto items = bestItemsOf(s);
    if (!items.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const ItemSummary* it : items)
        rows.push_back({std::to_string(it->fold), std::to_string(it->item), it->runDir, fmt(obj.shown(it->objective)),
                        std::to_string(it->epochsRun), std::to_string(it->bestEpoch), duration(it->seconds)});
      b += html::table(std::vector<std::string>{"fold", "item", "run directory", obj.quantity, "epochs run", "best epoch", "time"},
                       rows, "The best point's fold models.");
    }
    body += html::section("training", "Training of the best point", b);
  }

  // Search.
  {
    std::string b = figures("search");
    if (b.empty()) b = html::paragraph("No items.");
    body += html::section("search", "Search", b);
  }

  // Input data.
  if (o_.inputsPage) {
    std::string b;
    if (!inputs_.href.empty())
      b += "<p>" + html::link(inputs_.href, "Inspect report of the data file") +
           html::escape(" (" + s.dataFile + (s.features.empty() ? std::string() : ", the " + std::to_string(s.features.size()) +
                                                     " features the campaign trained on") +
                        "): per-feature signal and background distributions, separation ranking, correlation "
                        "matrices and warnings (constant, duplicated or label-leaking columns).") +
           "</p>\n";
    if (!inputs_.note.empty()) b += html::paragraph(inputs_.note);
    body += html::section("inputs", "Input data", b);
  }

  // What was run.
  {
    std::string b;
    std::vector<std::pair<std::string, std::string>> kv;
    kv.emplace_back("run directories", str::join(s.runDirs, ", "));
    kv.emplace_back("data file", s.dataFile);
    kv.emplace_back("data file sha256", s.dataSha256);
    if (s.folds > 0) kv.emplace_back("cross-validation folds", std::to_string(s.folds));
    kv.emplace_back("seed", std::to_string(s.seed));
    kv.emplace_back("hepsweep version (training)", s.version);
    kv.emplace_back("objective", s.objective + " (" + obj.quantity + "; stored so that lower is better" +
                                     (obj.sign < 0 ? ": " + (obj.offset != 0 ? "1 - value" : std::string("-value")) : std::string()) + ")");
    kv.emplace_back("training time (sum over items)", duration(s.wallSeconds));
    kv.emplace_back("items", std::to_string(s.items.size()) + " finished, " + std::to_string(s.incomplete.size()) + " incomplete");
    if (!s.created.empty()) kv.emplace_back("aggregated", s.created);
    b += html::keyValueTable(kv);
    if (!s.inputs.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& in : s.inputs) rows.push_back({in.path, std::to_string(in.rows), in.sha256});
      b += html::table(std::vector<std::string>{"input file", "rows", "sha256"}, rows, "Original inputs of the data file.");
    }
    if (!s.splitCounts.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : s.splitCounts)
        rows.push_back({c.split, std::to_string(c.signal), std::to_string(c.background), fmt(c.signalWeight, 6),
                        fmt(c.backgroundWeight, 6)});
      rows.push_back({"data file (all)", std::to_string(s.nSignal), std::to_string(s.nBackground), "", ""});
      b += html::table(std::vector<std::string>{"split", "signal events", "background events", "signal weight", "background weight"},
                       rows,
                       "Events per class and split (of the best point's first fold; train and validation weights "
                       "after class balancing, test weights as in the data).");
    } else {
      const std::vector<std::vector<std::string>> rows{
          {"signal", std::to_string(s.nSignal)}, {"background", std::to_string(s.nBackground)},
          {"training split", std::to_string(s.nTrain)}, {"validation split", std::to_string(s.nVal)},
          {"test split", std::to_string(s.nTest)}};
      b += html::table(std::vector<std::string>{"events", "count"}, rows, "Events per class and per split.");
    }
    if (!s.incomplete.empty()) {
      b += "<p class=\"warning\">" + html::escape("Incomplete items (left out of every number above):") + "</p>\n<ul>\n";
      for (const auto& why : s.incomplete) b += "<li>" + html::escape(why) + "</li>\n";
      b += "</ul>\n";
    }
    b += "<h3>Campaign</h3>\n" + html::pre(s.campaignToml.empty() ? std::string("(not recorded)") : s.campaignToml);
    b += html::paragraph(
        "Every plot is drawn by gnuplot from the data files next to it in this directory (NAME.dat, with a header "
        "comment) by the script NAME.gp: re-draw or restyle one with `gnuplot NAME.gp`, all with `gnuplot plots.gp`.");
    body += html::section("provenance", "What was run", b);
  }
  return html::page("hepsweep report: " + (s.runDirs.empty() ? std::string("campaign") : str::join(s.runDirs, ", ")), body);
}

}  // namespace

std::string textSummary(const Summary& s) {
  std::ostringstream o;
  o << "hepsweep campaign summary: " << (s.runDirs.empty() ? std::string("(no run directory)") : str::join(s.runDirs, ", ")) << "\n";
  o << "  " << s.points.size() << " points, " << s.items.size() << " items";
  if (!s.incomplete.empty()) o << ", " << s.incomplete.size() << " incomplete item(s) left out";
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
      o << "    eff_S = " << fmt(wp.signalEfficiency, 3) << ": eff_B = " << fmt(wp.ensembleBackgroundEfficiency, 4)
        << " (folds " << pm(wp.foldMeanBackgroundEfficiency, wp.foldStdBackgroundEfficiency, 4) << "), rejection "
        << (wp.ensembleBackgroundEfficiency > 0 ? fmt(1.0 / wp.ensembleBackgroundEfficiency, 4) : std::string("inf")) << "\n";
    }
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
