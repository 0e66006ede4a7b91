#include "hepsweep/aggregate/ParameterSummaryFile.hpp"

#include <cmath>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::aggregate {

ParameterSummary readParameterSummary(const std::vector<std::string>& resultFiles) {
  ParameterSummary p;
  for (std::size_t k = 0; k < resultFiles.size(); ++k) {
    const auto f = io::h5::File::open(resultFiles[k]);
    if (!f.exists("parametrised")) return {};
    const auto g = f.openGroup("parametrised");
    const std::vector<double> values = g.read<double>("values");
    if (k == 0) {
      p.parameter = g.attrString("parameter");
      p.draw = g.attrString("draw");
      if (g.hasAttr("note")) p.note = g.attrString("note");
      p.values = values;
      p.heldOut = g.read<std::int64_t>("held_out");
      p.nSignal = g.read<std::int64_t>("n_signal");
      p.signalEfficiencies = g.read<double>("signal_efficiencies");
      p.bkgEffMean.assign(p.signalEfficiencies.size(), std::vector<double>(values.size(), 0.0));
    } else if (values != p.values) {
      throwInput(resultFiles[k] + ": parametrised/values differ from those of " + resultFiles[0] +
                 ": the folds were tested on different parameter values");
    }
    p.foldAuc.push_back(g.read<double>("auc"));
    if (p.foldAuc.back().size() != values.size())
      throwInput(resultFiles[k] + ": parametrised/auc and parametrised/values differ in length");
    if (!values.empty()) {
      std::size_t rows = 0, cols = 0;
      const std::vector<double> eff = g.read2d<double>("bkg_eff", rows, cols);
      if (rows != p.signalEfficiencies.size() || cols != values.size())
        throwInput(resultFiles[k] + ": parametrised/bkg_eff is not (signal efficiencies x values)");
      for (std::size_t e = 0; e < rows; ++e)
        for (std::size_t v = 0; v < cols; ++v)
          p.bkgEffMean[e][v] += eff[e * cols + v] / static_cast<double>(resultFiles.size());
    }
  }
  const auto folds = static_cast<double>(p.foldAuc.size());
  for (std::size_t v = 0; v < p.values.size(); ++v) {
    double sum = 0, ss = 0;
    for (const auto& a : p.foldAuc) sum += a[v];
    const double mean = sum / folds;
    for (const auto& a : p.foldAuc) ss += (a[v] - mean) * (a[v] - mean);
    p.aucMean.push_back(mean);
    p.aucStd.push_back(folds > 1 ? std::sqrt(ss / (folds - 1)) : 0.0);
  }
  return p;
}

void writeParameterSummary(const io::h5::Group& root, const ParameterSummary& p) {
  if (p.empty()) return;
  const auto g = root.createGroup("parametrised");
  g.setAttr("parameter", p.parameter);
  g.setAttr("draw", p.draw);
  if (!p.note.empty()) g.setAttr("note", p.note);
  g.write<double>("values", p.values, false);
  g.write<std::int64_t>("held_out", p.heldOut, false);
  g.write<std::int64_t>("n_signal", p.nSignal, false);
  g.write<double>("auc_mean", p.aucMean, false);
  g.write<double>("auc_std", p.aucStd, false);
  g.write<double>("signal_efficiencies", p.signalEfficiencies, false);
  std::vector<double> folds, eff;
  for (const auto& a : p.foldAuc) folds.insert(folds.end(), a.begin(), a.end());
  for (const auto& e : p.bkgEffMean) eff.insert(eff.end(), e.begin(), e.end());
  if (!p.values.empty()) {
    g.write2d<double>("fold_auc", folds.data(), p.foldAuc.size(), p.values.size(), false);
    g.write2d<double>("bkg_eff_mean", eff.data(), p.bkgEffMean.size(), p.values.size(), false);
  }
}

}  // namespace hepsweep::aggregate
