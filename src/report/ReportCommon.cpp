// Helpers shared by the report sections, and the Builder steps that are not a section.
#include "ReportBuilder.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {

std::string fmt(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.*g", digits, v);
  return buf.data();
}

std::string pm(double mean, double sd, int digits) { return fmt(mean, digits) + " \xC2\xB1 " + fmt(sd, 2); }

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

std::string displayValue(const std::string& toml, int digits) {
  const std::string_view v = str::trim(toml);
  if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\'')))
    return std::string(v.substr(1, v.size() - 2));
  double x = 0;
  if (v.find_first_of(".eE") != std::string_view::npos && numericValue(std::string(v), x)) return fmt(x, digits);
  return std::string(v);
}

std::vector<std::string> displayColumn(const std::vector<std::string>& tomls) {
  std::vector<std::string> out;
  for (int digits = 4; digits <= 17; ++digits) {
    out.clear();
    bool distinct = true;
    for (std::size_t i = 0; i < tomls.size() && distinct; ++i) {
      out.push_back(displayValue(tomls[i], digits));
      for (std::size_t j = 0; j < i && distinct; ++j) distinct = out[j] != out[i] || tomls[j] == tomls[i];
    }
    if (distinct) break;
  }
  return out;
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
  for (const auto& [k, v] : params) parts.push_back(k + " = " + displayValue(v, 4));
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

namespace {

// Quartile q (0.25, 0.75) of sorted values, linearly interpolated (numpy's default).
double quantile(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (at - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

ObjectiveScale objectiveScale(const std::vector<double>& folds, const std::vector<double>& means,
                              const std::vector<double>& stds) {
  ObjectiveScale sc;
  const auto [mn, mx] = objectiveExtent(folds, means, stds);
  if (!std::isfinite(mn) || !std::isfinite(mx)) return sc;
  if (mn > 0 && mx / mn > 10) {
    sc.logy = true;
    sc.commands = "set logscale y\n" + yrangeWithLegendRoom(mn, mx, true);
    return sc;
  }
  std::vector<double> sorted;
  for (double m : means)
    if (std::isfinite(m)) sorted.push_back(m);
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() >= 4) {
    const double q1 = quantile(sorted, 0.25), q3 = quantile(sorted, 0.75), iqr = q3 - q1;
    if (iqr > 0) sc.lo = q1 - 5 * iqr, sc.hi = q3 + 5 * iqr;
  }
  // The extent of what is on scale: folds inside the fences, and the error bars of the points
  // inside them cut at the fences.
  std::vector<double> inFolds, inMeans, inStds;
  for (double v : folds)
    if (!sc.offScale(v)) inFolds.push_back(v);
  for (std::size_t i = 0; i < means.size(); ++i)
    if (std::isfinite(means[i]) && !sc.offScale(means[i])) {
      inFolds.push_back(std::max(sc.lo, means[i] - stds[i]));
      inFolds.push_back(std::min(sc.hi, means[i] + stds[i]));
    }
  auto [lo, hi] = objectiveExtent(inFolds, inMeans, inStds);
  bool anyOff = false;
  for (double m : means) anyOff = anyOff || (std::isfinite(m) && sc.offScale(m));
  if (!anyOff) {
    // Nothing to leave out: the whole extent, error bars included, as before.
    lo = mn;
    hi = mx;
    sc.lo = -INFINITY;
    sc.hi = INFINITY;
  }
  const double span = hi > lo ? hi - lo : (lo != 0 ? 0.1 * std::fabs(lo) : 1.0);
  // Just outside the data, below the legend (which fills the top of the room
  // yrangeWithLegendRoom leaves) and above the bottom frame.
  sc.markerHigh = hi + 0.05 * span;
  sc.markerLow = lo - 0.03 * span;
  sc.commands = yrangeWithLegendRoom(lo, hi, false);
  return sc;
}

std::vector<double> logTicks(double mn, double mx) {
  std::vector<double> out;
  for (int e = static_cast<int>(std::floor(std::log10(mn))) - 1; e <= static_cast<int>(std::ceil(std::log10(mx))); ++e)
    for (double m : {1.0, 2.0, 5.0}) {
      const double t = m * std::pow(10.0, e);
      if (t >= mn / 1.3 && t <= mx * 1.3) out.push_back(t);
    }
  return out;
}

std::string colour(std::size_t i) { return std::string("'") + kColours[i % kColours.size()] + "'"; }

double testBackgroundEvents(const Summary& s) {
  return static_cast<double>(std::count(s.testLabels.begin(), s.testLabels.end(), 0.0f));
}

std::string efficiencyLimit(double nBackground) {
  return nBackground > 0 ? "0 (< 1/" + fmt(nBackground, 6) + " = " + fmt(1 / nBackground, 3) + ")" : std::string("0");
}

std::string rejectionLimit(double nBackground) {
  return nBackground > 0 ? "> " + fmt(nBackground, 6) + " (no test background event passes)"
                         : std::string("inf (no test background event passes)");
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

void Builder::inputs() {
  if (!o_.inputsPage) return;
  try {
    inputs_ = o_.inputsPage(dir_);
  } catch (const Error& e) {
    inputs_ = LinkedPage{"", std::string("No inspect report of the input data: ") + e.what()};
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
  std::string out, group;
  for (const Plot& p : plots_) {
    if (p.section != section) continue;
    if (group != p.group) {
      if (!group.empty()) out += "</div>\n";
      if (!p.group.empty()) out += "<div class=\"pair\">\n";
      group = p.group;
    }
    out += html::figure(p.stem + ".png", p.alt, p.caption, p.stem + ".svg", "SVG");
  }
  if (!group.empty()) out += "</div>\n";
  return out;
}

}  // namespace hepsweep::report::detail
