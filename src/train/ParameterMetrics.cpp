#include "hepsweep/train/ParameterMetrics.hpp"

#include <algorithm>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/data/Parametrise.hpp"
#include "hepsweep/metrics/Metrics.hpp"

namespace hepsweep::train {

ParameterMetrics parameterMetrics(const RunConfig& cfg, const PreparedData& data, const nn::Network& net) {
  ParameterMetrics m;
  m.parameter = cfg.data.parameter;
  const auto it = std::find(data.featureNames.begin(), data.featureNames.end(), cfg.data.parameter);
  if (it == data.featureNames.end())
    throwConfig("data.parameter = \"" + cfg.data.parameter + "\" is not an input feature of the network");
  const FeatureSource& src = data.source;
  const data::Index column = src.columns[static_cast<std::size_t>(it - data.featureNames.begin())];
  const SplitData& test = data.test;
  const auto n = test.size();

  std::vector<Eigen::Index> signal, background;
  for (Eigen::Index e = 0; e < n; ++e) {
    if (test.tableRowOf(e) < 0)
      throw Error(ErrorCategory::Internal, "parameterMetrics: the test split is not held in memory");
    (test.labels[e] > 0.5f ? signal : background).push_back(e);
  }
  for (const Eigen::Index e : signal) m.values.push_back(src.row(test.tableRowOf(e))[column]);
  std::sort(m.values.begin(), m.values.end());
  m.values.erase(std::unique(m.values.begin(), m.values.end()), m.values.end());
  m.nBackground = static_cast<std::int64_t>(background.size());
  if (m.values.size() > kMaxParameterValues) {
    m.note = "the test signal has " + std::to_string(m.values.size()) + " distinct values of " + m.parameter +
             " (more than " + std::to_string(kMaxParameterValues) + "): no per-value metrics";
    m.values.clear();
    return m;
  }
  if (background.empty() || m.values.empty()) {
    m.note = "the test split lacks signal or background events: no per-value metrics";
    m.values.clear();
    return m;
  }

  // A copy of the trained network: predict() uses the network's forward buffers.
  nn::Network scorer(net.inputs(), cfg.model, 0);
  scorer.params() = net.params();
  scorer.state() = net.state();
  data::Preprocessor pre(data.preprocess, src.columns);
  std::vector<float> raw(static_cast<std::size_t>(src.stride));
  const auto score = [&](const std::vector<Eigen::Index>& events, const float* value) {
    data::FeatureMatrix x(static_cast<Eigen::Index>(events.size()), pre.outputs());
    for (std::size_t i = 0; i < events.size(); ++i) {
      const float* row = src.row(test.tableRowOf(events[i]));
      std::copy(row, row + src.stride, raw.begin());
      if (value) raw[static_cast<std::size_t>(column)] = *value;
      pre.applyRow(raw.data(), x.row(static_cast<Eigen::Index>(i)).data());
    }
    Eigen::VectorXf s(static_cast<Eigen::Index>(events.size()));
    // Row-major rows are a column-major (features x events) matrix in place.
    const Eigen::Map<const Eigen::MatrixXf> xt(x.data(), x.cols(), x.rows());
    scorer.predict(xt, s);
    return s;
  };
  const Eigen::VectorXf signalScores = score(signal, nullptr);

  const std::size_t effs = cfg.metrics.signalEfficiencies.size();
  m.bkgEff.assign(effs, {});
  for (const double v : m.values) {
    const float value = static_cast<float>(v);
    const Eigen::VectorXf bkg = score(background, &value);
    std::vector<float> scores, labels, weights;
    for (std::size_t i = 0; i < signal.size(); ++i) {
      if (src.row(test.tableRowOf(signal[i]))[column] != value) continue;
      scores.push_back(signalScores[static_cast<Eigen::Index>(i)]);
      labels.push_back(1.0f);
      weights.push_back(test.weights[signal[i]]);
    }
    m.nSignal.push_back(static_cast<std::int64_t>(scores.size()));
    for (std::size_t i = 0; i < background.size(); ++i) {
      scores.push_back(bkg[static_cast<Eigen::Index>(i)]);
      labels.push_back(0.0f);
      weights.push_back(test.weights[background[i]]);
    }
    m.heldOut.push_back(data::isHeldOut(value, cfg.data.heldOut) ? 1 : 0);
    m.auc.push_back(metrics::auc(scores, labels, weights));
    const metrics::Roc roc = metrics::rocCurve(scores, labels, weights);
    for (std::size_t k = 0; k < effs; ++k)
      m.bkgEff[k].push_back(metrics::bkgEffAtSigEff(roc, cfg.metrics.signalEfficiencies[k]));
  }
  return m;
}

void writeParameterMetrics(const io::h5::File& f, const RunConfig& cfg, const ParameterMetrics& m) {
  const auto g = f.createGroup("parametrised");
  g.setAttr("parameter", m.parameter);
  g.setAttr("draw", std::string(data::kParameterDrawRule));
  g.setAttr("seed", static_cast<std::int64_t>(cfg.seed));
  g.setAttr("n_background", m.nBackground);
  if (!m.note.empty()) g.setAttr("note", m.note);
  g.write<double>("values", m.values, false);
  g.write<std::int64_t>("held_out", m.heldOut, false);
  g.write<std::int64_t>("n_signal", m.nSignal, false);
  g.write<double>("auc", m.auc, false);
  g.write<double>("signal_efficiencies", cfg.metrics.signalEfficiencies, false);
  std::vector<double> eff;
  for (const auto& row : m.bkgEff) eff.insert(eff.end(), row.begin(), row.end());
  if (!m.values.empty()) g.write2d<double>("bkg_eff", eff.data(), m.bkgEff.size(), m.values.size(), false);
}

}  // namespace hepsweep::train
