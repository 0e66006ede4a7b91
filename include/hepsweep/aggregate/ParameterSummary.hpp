#pragma once
// Parametrised networks (docs/parametrised.md): the best point's per-parameter-value metrics,
// read from its fold result files (group "parametrised", train/ParameterMetrics.hpp) and
// summarised over the folds for summary.h5 and the report. A plain struct (the report draws it
// without linking aggregate); reading and writing: ParameterSummaryFile.hpp.
#include <cstdint>
#include <string>
#include <vector>

namespace hepsweep::aggregate {

struct ParameterSummary {
  std::string parameter;                   // empty: the campaign has no data.parameter
  std::string draw;                        // the background draw's rule, as the result files record it
  std::vector<double> values;              // the parameter values of the test signal, ascending
  std::vector<std::int64_t> heldOut;       // 1: kept out of training and validation (data.held_out)
  std::vector<std::int64_t> nSignal;       // test signal events per value (the same in every fold)
  std::vector<std::vector<double>> foldAuc;  // [fold][value]
  std::vector<double> aucMean, aucStd;     // over the folds (std with ddof = 1; 0 for one fold)
  std::vector<double> signalEfficiencies;
  std::vector<std::vector<double>> bkgEffMean;  // [efficiency][value], mean over the folds
  std::string note;                        // why the table is empty, when the result files say so
  bool empty() const { return parameter.empty(); }
};

}  // namespace hepsweep::aggregate
