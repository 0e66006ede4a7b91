// The HTML report of `hepsweep inspect`: small multiples of every feature's signal and background
// distributions, correlation heat maps, and the tables of the text summary. Plots are gnuplot
// scripts plus data files (re-drawable by hand) through hepsweep::report's primitives.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <tuple>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/inspect/Inspect.hpp"
#include "hepsweep/report/Directory.hpp"
#include "hepsweep/report/Gnuplot.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::inspect {

namespace {

namespace gp = report::gnuplot;
namespace html = report::html;

constexpr int kPlotBins = 40;
// Distributions are drawn between these quantiles of both classes together, so that a long tail
// (masses, momenta) does not squeeze the bulk into a few bins; the share outside is printed.
constexpr double kLowQuantile = 0.005, kHighQuantile = 0.995;

std::string fmt(double v, const char* f = "%.4g") { return str::formatDouble(v, f); }

std::string percent(double fraction) { return fmt(100 * fraction, "%.1f") + "%"; }

struct Histogram {
  std::vector<double> edges;                // bins + 1
  std::vector<double> signal, background;   // weighted fraction of the class's present events per bin
  double outsideSignal = 0, outsideBackground = 0;  // weighted fraction outside the drawn range
  bool integer = false;                     // one bin per integer value
};

Histogram histogram(const data::Dataset& ds, Eigen::Index j) {
  const bool usesMissing = ds.featureHasMissing(j);
  std::vector<float> all;
  bool integer = true;
  for (Eigen::Index i = 0; i < ds.rows(); ++i) {
    const float v = ds.features(i, j);
    if (!std::isfinite(v) || (usesMissing && v == *ds.missingValue)) continue;
    all.push_back(v);
    integer = integer && v == std::nearbyint(v);
  }
  Histogram h;
  if (all.empty()) return h;
  std::sort(all.begin(), all.end());
  const double lo = all.front(), hi = all.back();
  double a = lo, b = hi;
  int bins = kPlotBins;
  if (integer && hi - lo <= 2.0 * kPlotBins) {
    // Counts such as the number of jets: one bin centred on each integer.
    h.integer = true;
    a = lo - 0.5;
    b = hi + 0.5;
    bins = static_cast<int>(hi - lo) + 1;
  } else {
    const auto at = [&](double q) { return static_cast<double>(all[static_cast<std::size_t>(q * static_cast<double>(all.size() - 1))]); };
    a = at(kLowQuantile);
    b = at(kHighQuantile);
    if (!(b > a)) {
      a = lo;
      b = hi;
    }
    if (!(b > a)) {
      a = lo - 0.5;
      b = lo + 0.5;
    }
  }
  const double width = (b - a) / bins;
  h.edges.resize(static_cast<std::size_t>(bins) + 1);
  for (int k = 0; k <= bins; ++k) h.edges[static_cast<std::size_t>(k)] = a + k * width;
  h.signal.assign(static_cast<std::size_t>(bins), 0.0);
  h.background = h.signal;
  double sumS = 0, sumB = 0;
  for (Eigen::Index i = 0; i < ds.rows(); ++i) {
    const float v = ds.features(i, j);
    if (!std::isfinite(v) || (usesMissing && v == *ds.missingValue)) continue;
    const double w = ds.weights[i];
    const bool sig = ds.labels[i] == 1.0f;
    (sig ? sumS : sumB) += w;
    if (v < a || v > b) {
      (sig ? h.outsideSignal : h.outsideBackground) += w;
      continue;
    }
    const auto k = std::min(static_cast<std::size_t>((v - a) / width), static_cast<std::size_t>(bins - 1));
    (sig ? h.signal : h.background)[k] += w;
  }
  for (double& x : h.signal) x = sumS > 0 ? x / sumS : 0.0;
  for (double& x : h.background) x = sumB > 0 ? x / sumB : 0.0;
  h.outsideSignal = sumS > 0 ? h.outsideSignal / sumS : 0.0;
  h.outsideBackground = sumB > 0 ? h.outsideBackground / sumB : 0.0;
  return h;
}

// gnuplot's `steps` draws each y from its x to the next x: give every left edge, then the right
// edge again with the last value, so the last bin is drawn too.
gp::Block histogramBlock(const std::string& name, const Histogram& h) {
  gp::Block block{name, {{"edge", h.edges}, {"signal", h.signal}, {"background", h.background}}};
  if (!h.signal.empty()) {
    block.columns[1].values.push_back(h.signal.back());
    block.columns[2].values.push_back(h.background.back());
  } else {
    block.columns[0].values = {0.0};
    block.columns[1].values = {0.0};
    block.columns[2].values = {0.0};
  }
  return block;
}

// From 0 (or the lowest bin, negative weights) to a little above the highest bin of either class;
// `headroom` (a fraction of the span) keeps a legend clear of the bins.
std::pair<double, double> yRange(const Histogram& h, double headroom) {
  double lo = 0, hi = 0;
  for (const auto* bins : {&h.signal, &h.background})
    for (double v : *bins) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (!(hi > lo)) hi = lo + 1;
  return {lo < 0 ? lo - 0.08 * (hi - lo) : 0.0, hi + headroom * (hi - lo)};
}

// A tic step of 1, 2 or 5 x 10^k giving at most about `maxTics` intervals over `range` (integer
// axes: at least 1), so that the labels of a small panel do not run into each other.
double niceStep(double range, int maxTics, bool integer) {
  if (!(range > 0)) return 1;
  const double raw = range / maxTics;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * p;
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  return integer ? std::max(1.0, std::round(step)) : step;
}

void runChecked(const std::string& dir, const std::string& stem) {
  gp::run((std::filesystem::path(dir) / (stem + ".gp")).string(), dir);
  gp::checkPng((std::filesystem::path(dir) / (stem + ".png")).string());
}

void writeText(const std::string& path, const std::string& text) { html::writeFileAtomic(path, text); }

std::string distributions(const Inspection& r, const data::Dataset& ds, const std::string& dir,
                          std::vector<Histogram>& hists) {
  const std::size_t nf = r.shown.size();
  std::vector<gp::Block> blocks;
  for (std::size_t j = 0; j < nf; ++j) {
    hists.push_back(histogram(ds, static_cast<Eigen::Index>(r.shown[j])));
    blocks.push_back(histogramBlock(r.features[r.shown[j]].name, hists.back()));
  }
  gp::writeDataFile((std::filesystem::path(dir) / "distributions.dat").string(),
                    "Per feature shown (one block each, in file order): left bin edges and the weighted fraction of each "
                    "class's events (missing values excluded) per bin; the last row repeats the last bin at the "
                    "right edge for gnuplot's steps.",
                    blocks);
  const int cols = static_cast<int>(std::min<std::size_t>(5, std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(nf)))))));
  const int rows = static_cast<int>((nf + static_cast<std::size_t>(cols) - 1) / static_cast<std::size_t>(cols));
  std::ostringstream body;
  // Margins and spacing are fractions of the canvas: derive them from pixels (tic labels on the
  // left and below each panel, a two-line title above it) so that a 2 x 2 page is laid out like a
  // 6 x 5 one.
  const gp::Size size{std::max(600, 360 * cols), std::max(400, 290 * rows)};
  const auto fx = [&](int px) { return gp::number(static_cast<double>(px) / size.width); };
  const auto fy = [&](int px) { return gp::number(static_cast<double>(px) / size.height); };
  std::ostringstream layout;
  layout << "set multiplot layout " << rows << "," << cols << " margins " << fx(55) << "," << fx(size.width - 15)
         << "," << fy(30) << "," << fy(size.height - 45) << " spacing " << fx(55) << "," << fy(72) << "\n";
  body << layout.str()
       << "set style fill transparent solid 0.35 noborder\n"
       << "set tics font ',9'\nset ytics format '%g'\nset xtics format '%g'\nset mxtics\nset grid lc rgb '#e0e0e0'\n"
       << "set key top right font ',9' samplen 1.5 opaque\n";
  for (std::size_t j = 0; j < nf; ++j) {
    const FeatureStats& f = r.features[r.shown[j]];
    // Short enough for a panel: the share outside the range is in the data file and the HTML.
    std::string second = "S^2 " + fmt(f.separation, "%.3f") + "   AUC " + fmt(f.auc, "%.3f");
    if (f.signal.missing + f.background.missing > 0)
      second += "   miss " + fmt(100 * f.signal.missingFraction, "%.0f") + "/" +
                fmt(100 * f.background.missingFraction, "%.0f") + "%";
    const Histogram& h = hists[j];
    body << "set title " << gp::quote(gp::enhancedLiteral(f.name)) << " . \"\\n\" . " << gp::quote(second)
         << " font ',10' offset 0,-0.6\n";
    body << (j == 0 ? "set key\n" : "unset key\n");
    if (h.integer) body << "set xtics " << gp::number(niceStep(h.edges.back() - h.edges.front(), 6, true)) << "\n";
    else if (!h.edges.empty()) body << "set xtics " << gp::number(niceStep(h.edges.back() - h.edges.front(), 5, false)) << "\n";
    // Exactly the data's edges (gp::number): a range rounded inside the first edge would drop the
    // first bin from the y autoscale and cut its peak off. The y range comes from the bins too.
    if (!h.edges.empty()) body << "set xrange [" << gp::number(h.edges.front()) << ":" << gp::number(h.edges.back()) << "]\n";
    const auto [ylo, yhi] = yRange(h, j == 0 ? 0.4 : 0.08);  // the first panel holds the legend
    body << "set yrange [" << gp::number(ylo) << ":" << gp::number(yhi) << "]\n";
    body << "plot 'distributions.dat' index " << j << " using 1:2 with fillsteps lc rgb '#1f77b4' title 'signal', "
         << "'' index " << j << " using 1:2 with steps lc rgb '#1f77b4' lw 1.5 notitle, "
         << "'' index " << j << " using 1:3 with steps lc rgb '#d62728' lw 2 title 'background'\n";
  }
  body << "unset multiplot\n";
  writeText((std::filesystem::path(dir) / "distributions.gp").string(),
            gp::pngAndSvgScript("distributions", body.str(), size, 10));
  runChecked(dir, "distributions");
  return "distributions";
}

std::string heatMap(const Inspection& r, const Eigen::MatrixXd& m, const std::string& dir, const std::string& stem,
                    const std::string& title, double range) {
  const auto nf = static_cast<std::size_t>(m.rows());
  std::vector<gp::Column> columns;
  for (std::size_t j = 0; j < nf; ++j) {
    gp::Column c{r.features[r.shown[j]].name, {}};
    for (std::size_t i = 0; i < nf; ++i) c.values.push_back(m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)));
    columns.push_back(std::move(c));
  }
  gp::writeDataFile((std::filesystem::path(dir) / (stem + ".dat")).string(),
                    title + "\nMatrix: row i, column j = feature i vs feature j, in file order; NaN where undefined "
                            "(a column constant over the events where both are present).",
                    columns);
  std::ostringstream tics;
  for (std::size_t j = 0; j < nf; ++j)
    tics << (j ? ", " : "") << gp::quote(gp::enhancedLiteral(r.features[r.shown[j]].name)) << " " << j;
  // The canvas is cut to the matrix: square cells of at least 36 pixels, which hold a value such
  // as "-0.12" at 8 points whatever the number of features (a large matrix makes a large picture,
  // linked at full size from the page, rather than unreadable cells), room on the left and at the
  // bottom for the longest name (about 7 pixels a character at 9 points, the x labels turned by
  // 60 degrees), a title line on top and the colour box on the right. The margins are set in
  // screen coordinates from these pixel sizes, so the cells stay square without `size ratio`.
  std::size_t longest = 1;
  for (const std::size_t k : r.shown) longest = std::max(longest, r.features[k].name.size());
  const int matrix = std::max(360, 36 * static_cast<int>(nf));
  const int left = 30 + 7 * static_cast<int>(longest), bottom = 30 + static_cast<int>(6.2 * static_cast<double>(longest));
  const int top = 45, right = 110;
  const gp::Size size{left + matrix + right, top + matrix + bottom};
  std::ostringstream margins;
  margins << "set lmargin at screen " << gp::number(static_cast<double>(left) / size.width) << "\n"
          << "set rmargin at screen " << gp::number(static_cast<double>(left + matrix) / size.width) << "\n"
          << "set bmargin at screen " << gp::number(static_cast<double>(bottom) / size.height) << "\n"
          << "set tmargin at screen " << gp::number(static_cast<double>(bottom + matrix) / size.height) << "\n";
  std::ostringstream body;
  body << "set title " << gp::quote(title) << "\n"
       << "set xtics (" << tics.str() << ") rotate by 60 right font ',9'\n"
       << "set ytics (" << tics.str() << ") font ',9'\n"
       << "set xrange [-0.5:" << gp::number(static_cast<double>(nf) - 0.5) << "]\nset yrange ["
       << gp::number(static_cast<double>(nf) - 0.5) << ":-0.5]\n"
       // Undefined (NaN) cells are not drawn by `with image`: a grey rectangle behind the matrix
       // shows through them, distinct from the near-white of a correlation of 0.
       << "set object 1 rectangle from -0.5,-0.5 to " << gp::number(static_cast<double>(nf) - 0.5) << ","
       << gp::number(static_cast<double>(nf) - 0.5) << " behind fillcolor rgb '#a8a8a8' fillstyle solid noborder\n"
       << margins.str() << "unset key\nset tics nomirror\n"
       << "set palette defined (-1 '#2166ac', -0.5 '#92c5de', 0 '#f7f7f7', 0.5 '#f4a582', 1 '#b2182b')\n"
       << "set cbrange [" << gp::number(-range) << ":" << gp::number(range) << "]\nset cbtics font ',9'\n"
       << "plot '" << stem << ".dat' matrix with image pixels"
       // Every cell's value, white on the dark ends of the palette and near-black elsewhere.
       << ", '' matrix using 1:2:($3 == $3 ? sprintf('%.2f', abs($3) < 0.005 ? 0 : $3) : 'n/a'):(abs($3) > " << gp::number(0.6 * range)
       << " ? 0xffffff : 0x202020) with labels font ',8' tc rgb variable\n";
  writeText((std::filesystem::path(dir) / (stem + ".gp")).string(), gp::pngAndSvgScript(stem, body.str(), size, 11));
  runChecked(dir, stem);
  return stem;
}

// Two rows per feature, signal then background: the ranking columns on the first, the per-class
// statistics on both.
std::string featureTable(const Inspection& r) {
  bool nonfinite = false;
  for (const FeatureStats& f : r.features) nonfinite = nonfinite || f.signal.nonfinite + f.background.nonfinite > 0;
  std::vector<std::string> header{"rank", "feature", "separation", "AUC", "no separation", "class",
                                  "mean", "std", "min", "max", "missing"};
  if (nonfinite) header.push_back("NaN/inf");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k : r.ranking) {
    const FeatureStats& f = r.features[k];
    for (const auto& [cls, c] : {std::pair<const char*, const ClassStats*>{"signal", &f.signal},
                                 std::pair<const char*, const ClassStats*>{"background", &f.background}}) {
      const bool first = c == &f.signal;
      const bool any = c->moments.count > 0;
      std::vector<std::string> row{first ? std::to_string(f.rank) : "", first ? f.name : "",
                                   first ? fmt(f.separation, "%.4f") : "", first ? fmt(f.auc, "%.4f") : "",
                                   first && f.noSeparation ? "yes" : "", cls,
                                   fmt(c->moments.mean), fmt(c->moments.std),
                                   any ? fmt(c->moments.min) : "nan", any ? fmt(c->moments.max) : "nan",
                                   percent(c->missingFraction)};
      if (nonfinite) row.push_back(percent(c->nonfiniteFraction));
      rows.push_back(std::move(row));
    }
  }
  return html::table(header, rows,
                     "Ranked by TMVA's separation <S²> (" + std::to_string(r.options.bins) +
                         " bins over the mean ± 8 RMS of both classes, or one bin per integer for "
                         "integer-valued features, as TMVA's variable ranking bins them); AUC of the feature "
                         "alone (< 0.5: background sits at higher values). \"no separation\": both within 3 "
                         "standard deviations of what identical distributions give at this sample size. Per "
                         "class: weighted mean and std, min and max of the present values, and the weighted "
                         "fraction of the class's events with the missing-value marker" +
                         (nonfinite ? std::string(" or a NaN/inf value") : std::string()) +
                         " (left out of every number).");
}

}  // namespace

std::string writeReport(const Inspection& r, const data::Dataset& ds, const std::string& dirPath) {
  report::StagedDirectory staged(dirPath, ".hepsweep-inspect-report");
  const std::string& dir = staged.path();
  std::ostringstream body;
  body << "<h1>" << html::escape("hepsweep inspect: " + r.file) << "</h1>\n";
  std::vector<std::pair<std::string, std::string>> kv{
      {"file", r.file},
      {"events", std::to_string(r.rows)},
      {"signal", std::to_string(r.nSignal) + (r.weighted ? " events, summed weight " + fmt(r.sumWeightsSignal, "%.6g") : " events")},
      {"background", std::to_string(r.nBackground) +
                         (r.weighted ? " events, summed weight " + fmt(r.sumWeightsBackground, "%.6g") : " events")},
      {"features", std::to_string(r.features.size())},
      {"weights", r.weighted ? "event weights used in every number and plot" : "none (all 1)"},
      {"missing-value marker", r.missingValue ? fmt(*r.missingValue, "%.7g") : "none"}};
  body << html::keyValueTable(kv);

  std::ostringstream warnings;
  if (r.warnings.empty()) {
    warnings << html::paragraph("No constant, near-constant, duplicated or label-leaking columns.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const Warning& w : r.warnings) rows.push_back({w.kind, w.message});
    const std::vector<std::string> header{"kind", "warning"};
    warnings << html::table(header, rows);
  }
  body << html::section("warnings", "Warnings", warnings.str());
  body << html::section("separation", "Separation power", featureTable(r));

  if (r.shown.size() < r.features.size())
    body << html::paragraph("The distributions and correlations below cover the " + std::to_string(r.shown.size()) +
                            " features with the largest separation, of " + std::to_string(r.features.size()) +
                            " (inspect --max-features); the table above ranks them all.");
  std::vector<Histogram> hists;
  const std::string dist = distributions(r, ds, dir, hists);
  std::vector<std::vector<std::string>> rangeRows;
  for (std::size_t j = 0; j < hists.size(); ++j) {
    const Histogram& h = hists[j];
    if (h.edges.empty()) continue;
    rangeRows.push_back({r.features[r.shown[j]].name, fmt(h.edges.front(), "%.6g"), fmt(h.edges.back(), "%.6g"),
                         std::to_string(h.signal.size()), percent(h.outsideSignal), percent(h.outsideBackground)});
  }
  const std::vector<std::string> rangeHeader{"feature", "from", "to", "bins", "outside (sig)", "outside (bkg)"};
  body << html::section(
      "distributions", "Distributions",
      html::figure(dist + ".png", "signal and background distributions of every feature",
                   "Signal (blue, filled) and background (red) per feature, each normalised to its class's weighted "
                   "events with a value (missing values excluded; their share is in the title, \"miss\" signal/background). "
                   "Range: the 0.5% to 99.5% quantiles of both classes (the share outside is in the table below); "
                   "integer-valued features get one bin per value. Title: separation S² and AUC of the feature. Data: distributions.dat, script: distributions.gp.",
                   dist + ".svg") +
          html::table(rangeHeader, rangeRows, "Drawn range per feature and the weighted share of each class outside it"));

  double diffRange = 0;
  const Eigen::MatrixXd diff = r.correlationSignal - r.correlationBackground;
  for (Eigen::Index i = 0; i < diff.size(); ++i)
    if (std::isfinite(diff(i))) diffRange = std::max(diffRange, std::abs(diff(i)));
  diffRange = std::max(0.1, std::ceil(diffRange * 10) / 10);
  std::ostringstream corr;
  corr << html::paragraph("Weighted Pearson correlation, computed per pair over the events where both features "
                          "are present. Grey cells (n/a): undefined (a column constant over those events, or no event with both present).");
  for (const auto& [stem, title, m, range] :
       std::vector<std::tuple<std::string, std::string, Eigen::MatrixXd, double>>{
           {"correlation_signal", "Signal: correlation", r.correlationSignal, 1.0},
           {"correlation_background", "Background: correlation", r.correlationBackground, 1.0},
           {"correlation_difference", "Correlation, signal minus background", diff, diffRange}}) {
    heatMap(r, m, dir, stem, title, range);
    corr << html::figure(stem + ".png", title, title + ". Data: " + stem + ".dat, script: " + stem + ".gp.",
                         stem + ".svg");
  }
  std::vector<std::vector<std::string>> pairRows;
  for (const CorrelationPair& p : r.largestDifferences)
    pairRows.push_back({r.features[p.first].name, r.features[p.second].name, fmt(p.signal, "%+.3f"),
                        fmt(p.background, "%+.3f"), fmt(p.difference(), "%+.3f")});
  const std::vector<std::string> pairHeader{"feature", "feature", "signal", "background", "difference"};
  corr << html::table(pairHeader, pairRows, "Pairs whose correlation differs most between the classes");
  body << html::section("correlations", "Correlations", corr.str());
  body << html::paragraph("Every number on this page is in inspect.json (also printed by hepsweep inspect --json).");

  writeText((std::filesystem::path(dir) / "inspect.json").string(), toJson(r, 1) + "\n");
  writeText((std::filesystem::path(dir) / "index.html").string(), html::page("inspect: " + r.file, body.str()));
  staged.commit();
  return (std::filesystem::path(staged.finalPath()) / "index.html").string();
}

}  // namespace hepsweep::inspect
