// The report's training section: loss and validation AUC per epoch of the best point's folds.
#include "ReportBuilder.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {

void Builder::lossCurves() {
  const auto items = bestItemsOf(s_);
  std::vector<gp::Block> blocks;
  std::vector<double> bestFold, bestEpoch, bestLoss;
  std::vector<int> folds;
  std::vector<std::size_t> bestBlock;  // the block (colour) of each best-epoch row
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
      bestBlock.push_back(blocks.size() - 1);
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
  if (bestEpoch.empty()) {
    g << "     NaN notitle\n";
  } else {
    // Each fold's kept epoch in the fold's colour, ringed in black so that it stands out from its
    // own curve.
    g << "     NaN with points pt 6 ps 2.0 lw 1.2 lc rgb 'black' title 'best epoch (kept)'";
    for (std::size_t k = 0; k < bestEpoch.size(); ++k)
      g << ", \\\n     'loss-best-epoch.dat' every ::" << k << "::" << k << " using 2:3 with points pt 7 ps 2.0 lc rgb "
        << colour(bestBlock[k]) << " notitle, \\\n     'loss-best-epoch.dat' every ::" << k << "::" << k
        << " using 2:3 with points pt 6 ps 2.0 lw 1.2 lc rgb 'black' notitle";
    g << "\n";
  }
  addPlot({"loss", "Training and validation loss per epoch for each fold of the best point",
           "Loss per epoch for each fold model of the best point: training (dashed) and validation (solid). A dot "
           "in the fold's colour, ringed in black, marks the epoch whose weights early stopping kept.",
           "training", ""},
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
           "Validation ROC AUC per epoch for each fold model of the best point.", "training", ""},
          g.str());
}

}  // namespace hepsweep::report::detail
