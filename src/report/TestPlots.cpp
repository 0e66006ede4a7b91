// The report's test-set and overtraining sections: ROC, AMS against the cut, score distributions.
#include "ReportBuilder.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {

void Builder::roc() {
  if (!s_.multiClass.empty()) return;  // per-class curves: multiClass()
  // Without a background event passing a cut, ε_B = 0 is only known to be below 1/N_B: the
  // rejection is a lower limit, N_B (the test set's background events), not infinite.
  const double nBackground = testBackgroundEvents(s_);
  std::vector<gp::Block> blocks;
  std::vector<std::string> titles;
  std::vector<bool> isEnsemble;
  std::vector<double> limitS, limitR, limitBlock;
  bool unbounded = false;  // ε_B = 0 somewhere but N_B unknown (an older summary)
  // The network's curves, then the BDT baseline's (campaigns with a [baseline] table).
  std::vector<const aggregate::RocCurve*> curves;
  for (const auto& c : s_.roc) curves.push_back(&c);
  for (const auto& c : s_.baseline.roc) curves.push_back(&c);
  for (const aggregate::RocCurve* curve : curves) {
    const aggregate::RocCurve& c = *curve;
    const std::size_t n = std::min(c.signalEfficiency.size(), c.backgroundEfficiency.size());
    if (n == 0) continue;
    double zeroUpTo = -1;  // the largest ε_S with ε_B = 0
    for (std::size_t i = 0; i < n; ++i)
      if (c.backgroundEfficiency[i] <= 0 && c.signalEfficiency[i] > 0) zeroUpTo = std::max(zeroUpTo, c.signalEfficiency[i]);
    const std::size_t stride = (n + kMaxCurvePoints - 1) / kMaxCurvePoints;
    gp::Block b;
    b.title = c.label + " (AUC " + fmt(c.auc, 5) + ")";
    b.columns = {{"signal_efficiency", {}}, {"background_efficiency", {}}, {"background_rejection", {}}};
    for (std::size_t i = 0; i < n; ++i) {
      if (i % stride != 0 && i + 1 != n) continue;
      b.columns[0].values.push_back(c.signalEfficiency[i]);
      b.columns[1].values.push_back(c.backgroundEfficiency[i]);
      b.columns[2].values.push_back(c.backgroundEfficiency[i] > 0 ? 1.0 / c.backgroundEfficiency[i] : NAN);
    }
    if (zeroUpTo > 0) {
      if (nBackground > 0) {
        limitS.push_back(zeroUpTo);
        limitR.push_back(nBackground);
        limitBlock.push_back(static_cast<double>(blocks.size()));
      } else {
        unbounded = true;
      }
    }
    blocks.push_back(std::move(b));
    titles.push_back(c.label + ", AUC " + fmt(c.auc, 4));
    isEnsemble.push_back(c.label == "ensemble");
  }
  if (blocks.empty()) {
    notes_.push_back("No ROC curve on the test set in the summary: no ROC plot.");
    return;
  }
  gp::writeDataFile(path("roc.dat"),
                    "ROC curves on the held-out test set, one block per model (gnuplot 'index N'): each fold model, "
                    "then the ensemble.\nbackground_rejection is NaN where no background event passes "
                    "(background_efficiency 0): there it is only known to exceed the number of test background events "
                    "(roc-limits.dat).",
                    blocks);
  if (!limitS.empty())
    gp::writeDataFile(path("roc-limits.dat"),
                      "Where no test background event passes, the rejection 1/eps_B is only bounded: it exceeds N_B, "
                      "the number of test background events. One row per model: the highest signal efficiency with "
                      "eps_B = 0, the bound N_B, the model's block in roc.dat.",
                      std::vector<gp::Column>{{"signal_efficiency", limitS}, {"rejection_lower_limit", limitR},
                                              {"block", limitBlock}});
  std::vector<double> wpS, wpB, wpR;
  for (const auto& wp : s_.workingPoints) {
    wpS.push_back(wp.signalEfficiency);
    wpB.push_back(wp.ensembleBackgroundEfficiency);
    wpR.push_back(wp.ensembleBackgroundEfficiency > 0 ? 1.0 / wp.ensembleBackgroundEfficiency : NAN);
  }
  if (!wpS.empty())
    gp::writeDataFile(path("roc-working-points.dat"),
                      "Working points of the ensemble on the test set (rejection NaN where no background passes).",
                      std::vector<gp::Column>{{"signal_efficiency", wpS}, {"background_efficiency", wpB},
                                              {"background_rejection", wpR}});
  // With event weights: the ensemble's weighted curve and working points beside the counted ones
  // (efficiencies as fractions of the summed weight, what a physics selection quotes).
  const aggregate::RocCurve* weighted = s_.rocWeighted.empty() ? nullptr : &s_.rocWeighted.back();
  const std::string weightedTitle =
      weighted ? "ensemble, event weights, AUC " + fmt(weighted->auc, 4) : std::string();
  if (weighted) {
    gp::Block b;
    b.title = weighted->label + " (AUC " + fmt(weighted->auc, 5) + ")";
    b.columns = {{"signal_efficiency", {}}, {"background_efficiency", {}}, {"background_rejection", {}}};
    const std::size_t n = std::min(weighted->signalEfficiency.size(), weighted->backgroundEfficiency.size());
    const std::size_t stride = (n + kMaxCurvePoints - 1) / kMaxCurvePoints;
    for (std::size_t i = 0; i < n; ++i) {
      if (i % stride != 0 && i + 1 != n) continue;
      const double eb = weighted->backgroundEfficiency[i];
      b.columns[0].values.push_back(weighted->signalEfficiency[i]);
      b.columns[1].values.push_back(eb);
      b.columns[2].values.push_back(eb > 0 ? 1.0 / eb : NAN);
    }
    std::vector<double> ws, wb, wr;
    for (const auto& wp : s_.workingPointsWeighted) {
      ws.push_back(wp.signalEfficiency);
      wb.push_back(wp.ensembleBackgroundEfficiency);
      wr.push_back(wp.ensembleBackgroundEfficiency > 0 ? 1.0 / wp.ensembleBackgroundEfficiency : NAN);
    }
    gp::Block w;
    w.title = "working points of the ensemble with event weights";
    w.columns = {{"signal_efficiency", ws}, {"background_efficiency", wb}, {"background_rejection", wr}};
    gp::writeDataFile(path("roc-weighted.dat"),
                      "The ensemble's ROC on the held-out test set with the events' weights (efficiencies are "
                      "fractions of the summed weight of each class), then its working points (gnuplot 'index 0', "
                      "'index 1'). roc.dat counts events.",
                      std::vector<gp::Block>{std::move(b), std::move(w)});
  }
  std::vector<std::string> lineStyle;
  std::size_t foldIndex = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i)
    lineStyle.push_back(isEnsemble[i]                              ? std::string("lw 3.5 lc rgb 'black'")
                        : titles[i].rfind("BDT baseline", 0) == 0 ? std::string("lw 3 dt 4 lc rgb '#b2182b'")
                                                                  : "lw 1.5 lc rgb " + colour(foldIndex++));
  const auto blockColour = [&](std::size_t block) {
    return lineStyle[block].substr(lineStyle[block].find("lc rgb"));
  };

  std::ostringstream g;
  g << "set title 'ROC on the test set, best point (point " << s_.bestPoint << ")'\n";
  g << "set xlabel 'signal efficiency {/:Italic ε}_S'\n";
  g << "set ylabel 'background rejection 1/{/:Italic ε}_B'\n";
  // The legend in the top right corner, kept small, with 30 % more decades above the highest
  // rejection (or limit arrow): curves reach high rejections only at low signal efficiency.
  double top = limitS.empty() ? 1.0 : nBackground * 1.8;
  for (const auto& b : blocks)
    for (double r : b.columns[2].values)
      if (std::isfinite(r)) top = std::max(top, r);
  g << "set logscale y\nset format y '10^{%L}'\nset xrange [0:1]\nset yrange [1:"
    << gp::number(top > 1 ? top * std::pow(top, 0.3) : 10.0) << "]\n";
  g << "set key top right font ',11' spacing 1.0 samplen 2.5\n";
  g << "plot ";
  for (std::size_t i = 0; i < blocks.size(); ++i)
    g << (i ? ", \\\n     " : "") << "'roc.dat' index " << i << " using 1:3 with lines " << lineStyle[i] << " title "
      << gp::quote(gp::enhancedLiteral(titles[i]));
  g << ", \\\n     (x > 0 ? 1/x : NaN) with lines lw 1.5 dt 3 lc rgb '#888888' title 'random classifier'";
  if (!wpS.empty())
    g << ", \\\n     'roc-working-points.dat' using 1:3 with points pt 6 ps 2 lw 2 lc rgb 'black' title 'working points'";
  if (weighted)
    g << ", \\\n     'roc-weighted.dat' index 0 using 1:3 with lines lw 2.5 dt 2 lc rgb '#444444' title "
      << gp::quote(gp::enhancedLiteral(weightedTitle));
  if (weighted && !s_.workingPointsWeighted.empty())
    g << ", \\\n     'roc-weighted.dat' index 1 using 1:3 with points pt 4 ps 2 lw 2 lc rgb '#444444' title "
         "'working points, event weights'";
  // Each lower limit: an arrow up from N_B, in its curve's colour.
  if (!limitS.empty())
    g << ", \\\n     NaN with points pt 9 ps 1.5 lc rgb 'black' title "
      << gp::quote("{/:Italic ε}_B = 0: 1/{/:Italic ε}_B > " + fmt(nBackground, 6));
  for (std::size_t k = 0; k < limitS.size(); ++k)
    g << ", \\\n     'roc-limits.dat' every ::" << k << "::" << k
      << " using 1:2:(0):($2 * 1.8) with vectors head filled size screen 0.012,25 lw 2 "
      << blockColour(static_cast<std::size_t>(limitBlock[k])) << " notitle";
  g << "\n";
  std::string caption =
      "Background rejection 1/\xCE\xB5_B against signal efficiency \xCE\xB5_S on the held-out test set, for each fold "
      "model and for the ensemble (mean score of the fold models; thick black). Higher is better. The dotted line is a "
      "classifier that ignores its input (\xCE\xB5_B = \xCE\xB5_S).";
  if (!limitS.empty())
    caption += " Where no test background event passes the cut (\xCE\xB5_B = 0) the rejection is not infinite but "
               "only bounded: \xCE\xB5_B < 1/N_B, so 1/\xCE\xB5_B > N_B = " + fmt(nBackground, 6) +
               " test background events; an arrow from N_B marks that lower limit at the highest signal efficiency it "
               "holds for.";
  if (weighted)
    caption += " The test events carry weights: the dashed grey curve and the open squares are the ensemble's ROC "
               "and working points with the weights (efficiencies as fractions of each class's summed weight); the "
               "other curves count events.";
  if (unbounded)
    caption += " Points where no background event passes (\xCE\xB5_B = 0) are not drawn: this summary does not "
               "record the test set's size, which bounds their rejection.";
  addPlot({"roc", "ROC curves: background rejection against signal efficiency", caption, "test", "roc"}, g.str(),
          gp::Size{760, 560});

  // The same curves as machine-learning plots them: true against false positive rate, linear.
  std::ostringstream lin;
  lin << "set title 'ROC on the test set, linear'\n";
  lin << "set xlabel 'background efficiency {/:Italic ε}_B (false positive rate)'\n";
  lin << "set ylabel 'signal efficiency {/:Italic ε}_S (true positive rate)'\n";
  lin << "set xrange [0:1]\nset yrange [0:1.02]\nset size square\nset key bottom right\n";
  lin << "plot ";
  for (std::size_t i = 0; i < blocks.size(); ++i)
    lin << (i ? ", \\\n     " : "") << "'roc.dat' index " << i << " using 2:1 with lines " << lineStyle[i] << " title "
        << gp::quote(gp::enhancedLiteral(titles[i]));
  lin << ", \\\n     x with lines lw 1.5 dt 3 lc rgb '#888888' title 'random classifier'";
  if (!wpS.empty())
    lin << ", \\\n     'roc-working-points.dat' using 2:1 with points pt 6 ps 2 lw 2 lc rgb 'black' title 'working points'";
  if (weighted)
    lin << ", \\\n     'roc-weighted.dat' index 0 using 2:1 with lines lw 2.5 dt 2 lc rgb '#444444' title "
        << gp::quote(gp::enhancedLiteral(weightedTitle));
  if (weighted && !s_.workingPointsWeighted.empty())
    lin << ", \\\n     'roc-weighted.dat' index 1 using 2:1 with points pt 4 ps 2 lw 2 lc rgb '#444444' title "
           "'working points, event weights'";
  lin << "\n";
  addPlot({"roc-linear", "ROC curves: signal efficiency against background efficiency, linear axes",
           "The same ROC curves on linear axes, true positive rate \xCE\xB5_S against false positive rate \xCE\xB5_B, "
           "as scikit-learn draws them; the area under each curve is its AUC. Read high rejections on the "
           "logarithmic plot beside it.",
           "test", "roc"},
          lin.str(), gp::Size{560, 560});
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
           "test", ""},
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
    addPlot({stem, "Score distributions, train vs test: " + label, caption, "overtraining", ""}, g.str());
  }
  if (labels.empty())
    notes_.push_back(s_.overtrainingNote.empty() ? "No train/test score samples in the summary: no overtraining plots."
                                                 : s_.overtrainingNote);
}

}  // namespace hepsweep::report::detail
