#pragma once
// The metrics of a parametrised network per parameter value (docs/parametrised.md), on the test
// split: for a value m, the signal events whose parameter is m against every background event of
// the test split scored with its parameter set to m (as Baldi et al. evaluate it).
#include <cstdint>
#include <string>
#include <vector>

#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/train/Config.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace hepsweep::train {

// More distinct signal values than this are a continuous parameter: no per-value table then.
inline constexpr std::size_t kMaxParameterValues = 200;

struct ParameterMetrics {
  std::string parameter;
  std::vector<double> values;            // distinct parameter values of the test split's signal, ascending
  std::vector<std::int64_t> heldOut;     // 1: the value is in data.held_out
  std::vector<std::int64_t> nSignal;     // test signal events of the value
  std::vector<double> auc;               // weighted by the event weights of the data file
  std::vector<std::vector<double>> bkgEff;  // [efficiency][value] at cfg.metrics.signalEfficiencies
  std::int64_t nBackground = 0;          // test background events (each scored once per value)
  std::string note;                      // why the table is empty, when it is
};

// Needs the test split's rows in `data.source` (in memory: a campaign in node mode or a single
// training). Cost: one scoring of the test background per value.
ParameterMetrics parameterMetrics(const RunConfig& cfg, const PreparedData& data, const nn::Network& net);

// The group "parametrised" of a result file: the table above with the draw's rule and seed.
void writeParameterMetrics(const io::h5::File& f, const RunConfig& cfg, const ParameterMetrics& m);

}  // namespace hepsweep::train
