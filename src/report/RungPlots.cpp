// The report's successive-halving section ([search.early_stopping] asha, hyperband): how many items
// reached each rung of each bracket and how many were stopped there, and each item's value at the
// rungs it reached.
#include "ReportBuilder.hpp"

#include <map>
#include <set>
#include <sstream>

namespace hepsweep::report::detail {

void Builder::rungs() {
  std::vector<gp::Block> blocks;
  // (bracket, epoch) -> items that reached the rung, and those stopped there.
  std::map<std::pair<int, int>, std::pair<int, int>> counts;
  std::set<int> epochs;
  double lo = INFINITY, hi = -INFINITY;
  for (const ItemSummary& it : s_.items) {
    if (it.rungs.empty()) continue;
    gp::Column epoch{"epoch", {}}, value{"value", {}}, stopped{"stopped", {}}, bracket{"bracket", {}};
    for (const auto& r : it.rungs) {
      epoch.values.push_back(r.epoch);
      value.values.push_back(r.value);
      stopped.values.push_back(r.stopped ? 1 : 0);
      bracket.values.push_back(r.bracket);
      auto& c = counts[{r.bracket, r.epoch}];
      ++c.first;
      if (r.stopped) ++c.second;
      epochs.insert(r.epoch);
      if (std::isfinite(r.value)) {
        lo = std::min(lo, r.value);
        hi = std::max(hi, r.value);
      }
    }
    blocks.push_back({"item " + std::to_string(it.item) + " of " + it.runDir + ", fold " + std::to_string(it.fold),
                      {epoch, value, stopped, bracket}});
  }
  if (blocks.empty()) return;

  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, c] : counts)
    rows.push_back({std::to_string(key.first), std::to_string(key.second), std::to_string(c.first),
                    std::to_string(c.second), std::to_string(c.first - c.second)});
  rungTable_ = html::table(std::vector<std::string>{"bracket", "rung (epochs)", "items reached", "stopped there", "continued"},
                           rows,
                           "Successive halving ([search.early_stopping]): per bracket (0 for asha) and rung, the items "
                           "(points x folds) that reached it and what was decided there. Items that ran to "
                           "train.epochs without a rung (the last Hyperband bracket) are not listed.");

  gp::writeDataFile(path("rungs.dat"),
                    "Successive halving: each item's best per-epoch validation value (val_loss, or 1 - val_auc) at "
                    "the rungs it reached; stopped = 1 where it was stopped. One block per item.",
                    blocks);
  std::ostringstream g;
  g << "set title 'Successive halving: values at the rungs'\n";
  g << "set xlabel 'epochs (rung)'\nset ylabel 'best value so far (smaller is better)'\n";
  g << "set logscale x\nset xtics (";
  bool first = true;
  for (const int e : epochs) {
    g << (first ? "" : ", ") << e;
    first = false;
  }
  g << ")\nunset mxtics\n";
  g << "set xrange [" << gp::number(*epochs.begin() / 1.5) << ":" << gp::number(*epochs.rbegin() * 1.5) << "]\n";
  if (std::isfinite(lo) && hi > lo) g << yrangeWithLegendRoom(lo, hi, false);
  g << "set key top right\n";
  g << "plot 'rungs.dat' using 1:2 with linespoints pt 7 ps 0.6 lc rgb '#9aa9b8' title 'item (rungs reached)', \\\n";
  g << "     'rungs.dat' using 1:($3 == 1 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#d62728' "
       "title 'stopped there'\n";
  addPlot({"rungs", "Successive halving: each item's value at the rungs it reached",
           "Each item's best validation value so far (the rule's value: val_loss, or 1 - val_auc) at every rung it "
           "reached, joined by a line; a red cross where the rule stopped it. An item continues from a rung when its "
           "value is among the best 1 / reduction_factor of those recorded there by the items of its fold (and "
           "bracket) that reached the rung before it, itself included.",
           "search", ""},
          g.str());
}

}  // namespace hepsweep::report::detail
