// The report of a multi-class campaign's best point: one-vs-rest ROC curves per class, the
// confusion matrix (table and heat map), TMVA-style multiclass discriminants (the probability of
// class k for the test events of each true class) and the per-class AUC table.
#include "ReportBuilder.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {

namespace {

std::string perCent(double v) { return std::isfinite(v) ? fmt(100.0 * v, 3) + "%" : std::string("n/a"); }

}  // namespace

void Builder::multiClass() {
  const aggregate::MultiClassSummary& m = s_.multiClass;
  if (m.empty()) return;
  const std::size_t k = m.classNames.size(), n = s_.testLabels.size();

  // One-vs-rest ROC curves of the ensemble, one block per class.
  {
    std::vector<gp::Block> blocks;
    std::vector<std::size_t> drawn;
    for (std::size_t c = 0; c < k; ++c) {
      const aggregate::RocCurve& r = m.roc[c];
      const std::size_t points = std::min(r.signalEfficiency.size(), r.backgroundEfficiency.size());
      if (points == 0) continue;
      gp::Block b;
      b.title = r.label + " against the rest (AUC " + fmt(r.auc, 5) + ")";
      b.columns = {{"signal_efficiency", {}}, {"background_efficiency", {}}, {"background_rejection", {}}};
      for (std::size_t i = 0; i < points; ++i) {
        b.columns[0].values.push_back(r.signalEfficiency[i]);
        b.columns[1].values.push_back(r.backgroundEfficiency[i]);
        b.columns[2].values.push_back(r.backgroundEfficiency[i] > 0 ? 1.0 / r.backgroundEfficiency[i] : NAN);
      }
      blocks.push_back(std::move(b));
      drawn.push_back(c);
    }
    if (!blocks.empty()) {
      gp::writeDataFile(path("multiclass-roc.dat"),
                        "One-vs-rest ROC curves of the ensemble on the held-out test set, one block per class "
                        "(gnuplot 'index N'): signal = the events of that class, background = all others, score = "
                        "the class's probability. background_rejection is NaN where no other event passes.",
                        blocks);
      std::ostringstream g, lin;
      g << "set title 'One-vs-rest ROC curves on the test set (ensemble)'\n"
           "set xlabel 'efficiency of the class {/:Italic ε}_S'\n"
           "set ylabel 'rejection of the other classes 1/{/:Italic ε}_B'\n"
           "set logscale y\nset xrange [0:1]\nset key top right\nplot ";
      lin << "set title 'One-vs-rest ROC curves, linear'\n"
             "set xlabel 'other classes passing {/:Italic ε}_B'\nset ylabel 'class passing {/:Italic ε}_S'\n"
             "set xrange [0:1]\nset yrange [0:1.02]\nset size square\nset key bottom right\nplot ";
      for (std::size_t i = 0; i < blocks.size(); ++i) {
        const aggregate::RocCurve& r = m.roc[drawn[i]];
        const std::string title = gp::quote(gp::enhancedLiteral(r.label + " vs rest, AUC " + fmt(r.auc, 4)));
        const std::string style = " with lines lw 2.5 lc rgb " + colour(drawn[i]) + " title " + title;
        g << (i ? ", \\\n     " : "") << "'multiclass-roc.dat' index " << i << " using 1:3" << style;
        lin << (i ? ", \\\n     " : "") << "'multiclass-roc.dat' index " << i << " using 2:1" << style;
      }
      lin << ", \\\n     x with lines lw 1.5 dt 3 lc rgb '#888888' title 'random classifier'\n";
      g << "\n";
      addPlot({"multiclass-roc", "One-vs-rest ROC curves per class",
               "For each class, the ensemble's probability of that class as the discriminant of that class against "
               "all the others, on the held-out test set: rejection of the other classes against the efficiency of "
               "the class. Higher is better.",
               "multiclass", "roc"},
              g.str(), gp::Size{760, 560});
      addPlot({"multiclass-roc-linear", "One-vs-rest ROC curves per class, linear axes",
               "The same curves on linear axes (true against false positive rate, as scikit-learn draws them).",
               "multiclass", "roc"},
              lin.str(), gp::Size{560, 560});
    }
  }

  // Multiclass discriminants: for each output class k, the distribution of the probability of k
  // for the test events of each true class (normalised to unit area), as TMVA's multiclass plots.
  for (std::size_t c = 0; c < k && n > 0; ++c) {
    std::vector<gp::Column> cols{{"probability", {}}};
    std::vector<std::vector<double>> counts(k, std::vector<double>(kScoreBins, 0.0));
    std::vector<double> totals(k, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto t = static_cast<std::size_t>(s_.testLabels[i]);
      if (t >= k) continue;
      const double p = m.ensembleTestScores[i * k + c];
      const auto bin = std::min<std::size_t>(kScoreBins - 1, static_cast<std::size_t>(std::max(0.0, p) * kScoreBins));
      counts[t][bin] += 1;
      totals[t] += 1;
    }
    for (int b = 0; b < kScoreBins; ++b) cols[0].values.push_back((b + 0.5) / kScoreBins);
    for (std::size_t t = 0; t < k; ++t) {
      gp::Column col{"true_class_" + std::to_string(t), {}};
      for (int b = 0; b < kScoreBins; ++b)
        col.values.push_back(totals[t] > 0 ? counts[t][static_cast<std::size_t>(b)] / totals[t] * kScoreBins : NAN);
      cols.push_back(std::move(col));
    }
    const std::string stem = "multiclass-discriminant-" + std::to_string(c);
    std::string comment = "Probability of class " + std::to_string(c) + " (" + m.classNames[c] +
                          ") on the test set (ensemble): the density of each true class (unit area over [0, 1]), " +
                          std::to_string(kScoreBins) + " bins; columns true_class_T for T =";
    for (std::size_t t = 0; t < k; ++t) comment += " " + std::to_string(t) + " (" + m.classNames[t] + ")";
    gp::writeDataFile(path(stem + ".dat"), comment, cols);
    std::ostringstream g;
    g << "set title " << gp::quote(gp::enhancedLiteral("Discriminant of " + m.classNames[c] + " (test set, ensemble)"))
      << "\nset xlabel " << gp::quote(gp::enhancedLiteral("probability of " + m.classNames[c])) << "\n"
      << "set ylabel 'density (unit area)'\nset logscale y\nset xrange [0:1]\nset key top center\nplot ";
    for (std::size_t t = 0; t < k; ++t)
      g << (t ? ", \\\n     " : "") << "'" << stem << ".dat' using 1:" << t + 2 << " with histeps lw 2.5 lc rgb "
        << colour(t) << " title " << gp::quote(gp::enhancedLiteral("true " + m.classNames[t]));
    g << "\n";
    addPlot({stem, "Discriminant distribution of class " + m.classNames[c],
             "The ensemble's probability of " + m.classNames[c] +
                 " for the test events of each true class, each normalised to unit area (TMVA's multiclass "
                 "discriminant): the events of " + m.classNames[c] + " should pile up at 1, the others at 0.",
             "multiclass", "discriminants"},
            g.str(), gp::Size{560, 420});
  }

  // The confusion matrix as a heat map: each true class's row as fractions of its events.
  if (!m.confusion.empty()) {
    std::vector<gp::Column> cols{{"predicted", {}}, {"true", {}}, {"fraction_of_true_class", {}}, {"events", {}}};
    for (std::size_t t = 0; t < k; ++t) {
      double row = 0;
      for (std::size_t p = 0; p < k; ++p) row += m.confusion[t * k + p];
      for (std::size_t p = 0; p < k; ++p) {
        cols[0].values.push_back(static_cast<double>(p));
        cols[1].values.push_back(static_cast<double>(t));
        cols[2].values.push_back(row > 0 ? m.confusion[t * k + p] / row : NAN);
        cols[3].values.push_back(m.confusion[t * k + p]);
      }
    }
    gp::writeDataFile(path("multiclass-confusion.dat"),
                      "Confusion matrix of the ensemble on the test set (most probable class), one row per (true, "
                      "predicted) pair: the events and their fraction of the true class.",
                      cols);
    std::ostringstream tics;
    for (std::size_t c = 0; c < k; ++c) tics << (c ? ", " : "") << gp::quote(gp::enhancedLiteral(m.classNames[c])) << " " << c;
    std::ostringstream g;
    g << "set title 'Confusion matrix (test set, ensemble)'\n"
      << "set xlabel 'predicted class (most probable)'\nset ylabel 'true class'\n"
      << "set xtics (" << tics.str() << ")\nset ytics (" << tics.str() << ")\n"
      << "set xrange [-0.5:" << k - 0.5 << "]\nset yrange [" << k - 0.5 << ":-0.5]\n"
      << "set cbrange [0:1]\nset palette defined (0 '#ffffff', 1 '#1f5fbf')\nunset grid\nunset key\nset size square\n"
      << "plot 'multiclass-confusion.dat' using 1:2:3 with image notitle, \\\n"
      << "     '' using 1:2:(sprintf('%.3f', $3)) with labels font ',14' notitle\n";
    addPlot({"multiclass-confusion", "Confusion matrix heat map",
             "Each true class's test events by their most probable class under the ensemble, as fractions of the "
             "true class (rows sum to 1); the diagonal is each class's efficiency at the argmax.",
             "multiclass", ""},
            g.str(), gp::Size{620, 560});
  }
}

std::string Builder::multiClassSection() const {
  const aggregate::MultiClassSummary& m = s_.multiClass;
  if (m.empty()) return {};
  const std::size_t k = m.classNames.size();
  std::string b;
  {
    std::vector<std::string> header{"class", "test AUC (ensemble)", "test AUC (fold models, mean \xC2\xB1 std)",
                                    "test AUC, event weights (ensemble)"};
    for (const double e : m.signalEfficiencies) header.push_back("\xCE\xB5_B at \xCE\xB5_S = " + fmt(e, 3));
    std::vector<std::vector<std::string>> rows;
    for (std::size_t c = 0; c < k; ++c) {
      std::vector<std::string> r{m.classNames[c], fmt(m.ensembleAuc[c], 5), pm(m.foldMeanAuc[c], m.foldStdAuc[c], 5),
                                 fmt(m.ensembleAucWeighted[c], 5)};
      for (const double e : m.backgroundEfficiency[c]) r.push_back(fmt(e, 4));
      rows.push_back(std::move(r));
    }
    rows.push_back({"mean", fmt(s_.ensembleTestAuc, 5), pm(s_.foldMeanTestAuc, s_.foldStdTestAuc, 5),
                    fmt(s_.ensembleTestAucWeighted, 5)});
    rows.back().resize(header.size());
    b += html::table(header, rows,
                     "One-vs-rest AUC of each class on the held-out test set (its probability as the discriminant "
                     "of the class against all others; sklearn's roc_auc_score(y == k, p[:, k])), and the fraction "
                     "\xCE\xB5_B of the other classes passing the cut that keeps \xCE\xB5_S of the class.");
  }
  {
    std::vector<std::string> header{"true \\ predicted"};
    header.insert(header.end(), m.classNames.begin(), m.classNames.end());
    header.push_back("events");
    header.push_back("efficiency (diagonal)");
    std::vector<std::vector<std::string>> rows;
    double diagonal = 0, total = 0;
    for (std::size_t t = 0; t < k; ++t) {
      std::vector<std::string> r{m.classNames[t]};
      double row = 0;
      for (std::size_t p = 0; p < k; ++p) row += m.confusion[t * k + p];
      for (std::size_t p = 0; p < k; ++p)
        r.push_back(fmt(m.confusion[t * k + p], 8) + " (" + perCent(row > 0 ? m.confusion[t * k + p] / row : NAN) + ")");
      r.push_back(fmt(row, 8));
      r.push_back(perCent(row > 0 ? m.confusion[t * k + t] / row : NAN));
      diagonal += m.confusion[t * k + t];
      total += row;
      rows.push_back(std::move(r));
    }
    b += html::table(header, rows,
                     "Confusion matrix of the ensemble on the test set: events of each true class (rows) by their "
                     "most probable class (columns), with the fraction of the row. Accuracy " +
                         perCent(total > 0 ? diagonal / total : NAN) + ".");
  }
  b += figures("multiclass");
  if (!m.classCounts.empty()) {
    std::vector<std::string> header{"split"};
    header.insert(header.end(), m.classNames.begin(), m.classNames.end());
    std::vector<std::vector<std::string>> rows;
    for (const auto& [split, n] : m.classCounts) {
      std::vector<std::string> r{split};
      for (const auto v : n) r.push_back(std::to_string(v));
      rows.push_back(std::move(r));
    }
    b += html::table(header, rows, "Events per class (of the best point's first fold).");
  }
  return html::section("multiclass", "Classes (multi-class)", b);
}

}  // namespace hepsweep::report::detail
