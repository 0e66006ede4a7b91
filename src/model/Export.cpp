#include "hepsweep/model/Export.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::model {
namespace {

// ---- protobuf wire format, for the subset of onnx.proto written here ----------------------------
class Pb {
 public:
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<char>(v));
  }
  void tag(int field, int wire) { varint(static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire)); }
  // int64/int32/enum: negative values as 10-byte two's complement varints, as protobuf does.
  void int64(int field, std::int64_t v) {
    tag(field, 0);
    varint(static_cast<std::uint64_t>(v));
  }
  void bytes(int field, const std::string& s) {
    tag(field, 2);
    varint(s.size());
    buf_ += s;
  }
  void message(int field, const Pb& m) { bytes(field, m.buf_); }
  void float32(int field, float v) {
    tag(field, 5);
    char b[4];
    std::memcpy(b, &v, 4);  // little-endian hosts only (x86-64, aarch64), as HDF5 output
    buf_.append(b, 4);
  }
  const std::string& str() const { return buf_; }

 private:
  std::string buf_;
};

// onnx.proto enums.
constexpr int kFloat = 1, kBool = 9, kInt64 = 7, kDouble = 11;
constexpr int kAttrFloat = 1, kAttrInt = 2, kAttrInts = 7;

struct Attr {
  std::string name;
  int type = kAttrInt;
  float f = 0;
  std::int64_t i = 0;
  std::vector<std::int64_t> ints;
};

class OnnxGraph {
 public:
  template <class T>
  std::string constant(const std::string& name, const std::vector<T>& values, const std::vector<std::int64_t>& dims,
                       int dataType) {
    Pb t;
    for (auto d : dims) t.int64(1, d);
    t.int64(2, dataType);
    t.bytes(8, name);
    t.bytes(9, std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
    inits_.push_back(t);
    return name;
  }
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
                   const std::vector<Attr>& attrs = {}) {
    Pb n;
    for (const auto& in : inputs) n.bytes(1, in);
    n.bytes(2, output);
    n.bytes(3, output + "_" + op);
    n.bytes(4, op);
    for (const Attr& a : attrs) {
      Pb p;
      p.bytes(1, a.name);
      if (a.type == kAttrFloat) p.float32(2, a.f);
      else if (a.type == kAttrInt) p.int64(3, a.i);
      else
        for (auto v : a.ints) p.int64(8, v);
      p.int64(20, a.type);
      n.message(5, p);
    }
    nodes_.push_back(n);
    return output;
  }
  static Pb valueInfo(const std::string& name, int elemType, const std::vector<std::string>& dimParams,
                      const std::vector<std::int64_t>& dimValues) {
    Pb shape;
    for (std::size_t i = 0; i < dimParams.size(); ++i) {
      Pb d;
      if (dimParams[i].empty()) d.int64(1, dimValues[i]);
      else d.bytes(2, dimParams[i]);
      shape.message(1, d);
    }
    Pb tensor;
    tensor.int64(1, elemType);
    tensor.message(2, shape);
    Pb type;
    type.message(1, tensor);
    Pb vi;
    vi.bytes(1, name);
    vi.message(2, type);
    return vi;
  }
  Pb graph(const std::string& name, const Pb& input, const Pb& output, const std::string& doc) const {
    Pb g;
    for (const Pb& n : nodes_) g.message(1, n);
    g.bytes(2, name);
    for (const Pb& t : inits_) g.message(5, t);
    g.bytes(10, doc);
    g.message(11, input);
    g.message(12, output);
    return g;
  }

 private:
  std::vector<Pb> nodes_, inits_;
};

std::vector<double> toStd(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }
std::vector<float> slice(const Eigen::VectorXf& p, std::size_t offset, std::size_t n) {
  return {p.data() + offset, p.data() + offset + n};
}

// Columns of the model's feature order that feed the fold's preprocessing, or empty when equal.
std::vector<std::int64_t> foldColumns(const Model& m, const FoldModel& f) {
  std::vector<std::int64_t> cols;
  bool identity = f.preprocess.inputNames.size() == m.featureNames.size();
  for (std::size_t j = 0; j < f.preprocess.inputNames.size(); ++j) {
    const auto it = std::find(m.featureNames.begin(), m.featureNames.end(), f.preprocess.inputNames[j]);
    if (it == m.featureNames.end()) throwInput("fold " + std::to_string(f.fold) + " needs feature " + str::quoted(f.preprocess.inputNames[j]) + ", absent from the model's features");
    cols.push_back(it - m.featureNames.begin());
    identity = identity && cols.back() == static_cast<std::int64_t>(j);
  }
  return identity ? std::vector<std::int64_t>{} : cols;
}

// One fold's preprocessing and network; returns the name of its (N, 1) sigmoid output, or for a
// multi-class fold its (N, K) softmax output.
std::string addFold(OnnxGraph& g, const Model& m, const FoldModel& f) {
  const std::string p = "fold" + std::to_string(f.fold) + "_";
  const data::PreprocessParams& pp = f.preprocess;
  const auto nIn = static_cast<std::int64_t>(pp.inputNames.size());
  std::string x = "features";
  const auto cols = foldColumns(m, f);
  if (!cols.empty()) x = g.node("Gather", {x, g.constant(p + "columns", cols, {nIn}, kInt64)}, p + "inputs", {{"axis", kAttrInt, 0, 1, {}}});
  // hepsweep preprocesses in double and rounds the result to float: so does this graph.
  const std::string raw = g.node("Cast", {x}, p + "inputs_double", {{"to", kAttrInt, 0, kDouble, {}}});
  std::string cur = raw;
  const double marker = static_cast<double>(pp.missingValue);
  if (pp.hasMissingValue && pp.missing != data::MissingPolicy::Keep) {
    std::vector<double> markers(static_cast<std::size_t>(nIn));
    for (std::size_t j = 0; j < markers.size(); ++j)
      markers[j] = pp.usesMissing[j] ? marker : std::numeric_limits<double>::quiet_NaN();  // NaN never equals
    const std::string miss = g.node("Equal", {raw, g.constant(p + "missing_marker", markers, {nIn}, kDouble)}, p + "is_missing");
    cur = g.node("Where", {miss, g.constant(p + "impute_mean", toStd(pp.imputeMean), {nIn}, kDouble), raw}, p + "imputed");
  }
  if (pp.missing == data::MissingPolicy::MeanIndicator && !pp.indicatorOf.empty()) {
    const auto nInd = static_cast<std::int64_t>(pp.indicatorOf.size());
    const std::vector<std::int64_t> idx(pp.indicatorOf.begin(), pp.indicatorOf.end());
    const std::string sel = g.node("Gather", {raw, g.constant(p + "indicator_of", idx, {nInd}, kInt64)}, p + "indicator_inputs", {{"axis", kAttrInt, 0, 1, {}}});
    const std::string eq = g.node("Equal", {sel, g.constant(p + "indicator_marker", std::vector<double>{marker}, {1}, kDouble)}, p + "indicator_bool");
    const std::string ind = g.node("Cast", {eq}, p + "indicators", {{"to", kAttrInt, 0, kDouble, {}}});
    cur = g.node("Concat", {cur, ind}, p + "columns_with_indicators", {{"axis", kAttrInt, 0, 1, {}}});
  }
  const auto d = static_cast<std::int64_t>(pp.mean.size());
  switch (pp.scaler) {
    case data::ScalerKind::None: break;
    case data::ScalerKind::Standard:
      cur = g.node("Sub", {cur, g.constant(p + "mean", toStd(pp.mean), {d}, kDouble)}, p + "centred");
      cur = g.node("Mul", {cur, g.constant(p + "scale", toStd(pp.scale), {d}, kDouble)}, p + "scaled");
      break;
    case data::ScalerKind::Pca:
    case data::ScalerKind::PcaUnscaled: {
      const auto k = static_cast<std::int64_t>(pp.components.rows());
      std::vector<double> ct(static_cast<std::size_t>(d * k));  // components^T, (d x k) row-major
      for (std::int64_t r = 0; r < d; ++r)
        for (std::int64_t c = 0; c < k; ++c) ct[static_cast<std::size_t>(r * k + c)] = pp.components(c, r);
      cur = g.node("Sub", {cur, g.constant(p + "mean", toStd(pp.mean), {d}, kDouble)}, p + "centred");
      // The standardisation before the rotation, as hepsweep applies it: a node of its own (not
      // folded into the components), so that the graph rounds as the Preprocessor does.
      if (pp.scaler == data::ScalerKind::Pca)
        cur = g.node("Mul", {cur, g.constant(p + "input_scale", toStd(pp.inputScale), {d}, kDouble)}, p + "standardised");
      cur = g.node("MatMul", {cur, g.constant(p + "components_t", ct, {d, k}, kDouble)}, p + "projected");
      cur = g.node("Mul", {cur, g.constant(p + "scale", toStd(pp.scale), {k}, kDouble)}, p + "scaled");
      break;
    }
  }
  cur = g.node("Cast", {cur}, p + "network_input", {{"to", kAttrInt, 0, kFloat, {}}});

  const nn::Network net = buildNetwork(f);
  const auto& params = net.params();
  const auto& state = net.state();
  for (std::size_t l = 0; l < net.layers().size(); ++l) {
    const nn::DenseLayerView& v = net.layers()[l];
    const std::string lp = p + "layer" + std::to_string(l) + "_";
    const auto out = static_cast<std::size_t>(v.outputs), in = static_cast<std::size_t>(v.inputs);
    // Parameters hold W column-major (out x in): transpose to the row-major (out x in) Gemm wants with transB.
    std::vector<float> w(out * in);
    for (std::size_t r = 0; r < out; ++r)
      for (std::size_t c = 0; c < in; ++c) w[r * in + c] = params[static_cast<Eigen::Index>(v.weightOffset + c * out + r)];
    cur = g.node("Gemm",
                 {cur, g.constant(lp + "W", w, {v.outputs, v.inputs}, kFloat),
                  g.constant(lp + "b", slice(params, v.biasOffset, out), {v.outputs}, kFloat)},
                 lp + "affine", {{"transB", kAttrInt, 0, 1, {}}});
    if (v.batchNorm)
      cur = g.node("BatchNormalization",
                   {cur, g.constant(lp + "gamma", slice(params, v.gammaOffset, out), {v.outputs}, kFloat),
                    g.constant(lp + "beta", slice(params, v.betaOffset, out), {v.outputs}, kFloat),
                    g.constant(lp + "running_mean", slice(state, v.runningMeanOffset, out), {v.outputs}, kFloat),
                    g.constant(lp + "running_var", slice(state, v.runningVarOffset, out), {v.outputs}, kFloat)},
                   lp + "batch_norm", {{"epsilon", kAttrFloat, f.network.batchNormEpsilon, 0, {}}});
    switch (v.activation) {
      case nn::Activation::Relu: cur = g.node("Relu", {cur}, lp + "relu"); break;
      case nn::Activation::LeakyRelu: cur = g.node("LeakyRelu", {cur}, lp + "leaky_relu", {{"alpha", kAttrFloat, f.network.leakySlope, 0, {}}}); break;
      case nn::Activation::Elu: cur = g.node("Elu", {cur}, lp + "elu", {{"alpha", kAttrFloat, f.network.eluAlpha, 0, {}}}); break;
      case nn::Activation::Tanh: cur = g.node("Tanh", {cur}, lp + "tanh"); break;
      case nn::Activation::Sigmoid: cur = g.node("Sigmoid", {cur}, lp + "sigmoid"); break;
      case nn::Activation::Softplus: cur = g.node("Softplus", {cur}, lp + "softplus"); break;
      case nn::Activation::Linear: break;
    }
  }
  if (f.outputs > 1) return g.node("Softmax", {cur}, p + "score", {{"axis", kAttrInt, 0, 1, {}}});
  return g.node("Sigmoid", {cur}, p + "score");
}

std::vector<int> exportedFolds(const Model& m, int fold) {
  if (fold >= m.numFolds() || fold < -1)
    throwConfig("--fold " + std::to_string(fold) + ": the model has folds 0 to " + std::to_string(m.numFolds() - 1));
  if (fold >= 0) return {fold};
  std::vector<int> all;
  for (int k = 0; k < m.numFolds(); ++k) all.push_back(k);
  return all;
}

nlohmann::json vectorsJson(const TestVectors& t, nlohmann::json& outputs) {
  nlohmann::json inputs = nlohmann::json::array();
  outputs = nlohmann::json::array();
  for (Eigen::Index i = 0; i < t.inputs.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index j = 0; j < t.inputs.cols(); ++j) row.push_back(static_cast<double>(t.inputs(i, j)));
    inputs.push_back(row);
    if (t.classes == 1) {
      outputs.push_back(static_cast<double>(t.scores[i]));
      continue;
    }
    nlohmann::json probabilities = nlohmann::json::array();
    for (int c = 0; c < t.classes; ++c) probabilities.push_back(static_cast<double>(t.scores[i * t.classes + c]));
    outputs.push_back(probabilities);
  }
  return inputs;
}

std::string describe(const Model& m, int fold) {
  return fold >= 0 ? "fold " + std::to_string(fold) + " of " + std::to_string(m.numFolds())
                   : "ensemble: mean of the " + std::to_string(m.numFolds()) + " fold models' " +
                         (m.classNames.empty() ? "sigmoid scores" : "softmax probabilities");
}

// ---- lwtnn ----------------------------------------------------------------------------------------
using MatD = Eigen::MatrixXd;

struct DenseD {
  MatD w;             // out x in
  Eigen::VectorXd b;
  nn::Activation activation = nn::Activation::Linear;
};

// The fold's network with batch normalisation folded into the affine maps, in double.
std::vector<DenseD> foldedLayers(const FoldModel& f) {
  const nn::Network net = buildNetwork(f);
  std::vector<DenseD> out;
  for (const nn::DenseLayerView& v : net.layers()) {
    DenseD d;
    d.w = Eigen::Map<const Eigen::MatrixXf>(net.params().data() + v.weightOffset, v.outputs, v.inputs).cast<double>();
    d.b = Eigen::Map<const Eigen::VectorXf>(net.params().data() + v.biasOffset, v.outputs).cast<double>();
    if (v.batchNorm) {
      const auto vec = [&](const Eigen::VectorXf& buf, std::size_t off) {
        return Eigen::Map<const Eigen::VectorXf>(buf.data() + off, v.outputs).cast<double>().eval();
      };
      const Eigen::VectorXd gamma = vec(net.params(), v.gammaOffset), beta = vec(net.params(), v.betaOffset),
                            rm = vec(net.state(), v.runningMeanOffset), rv = vec(net.state(), v.runningVarOffset);
      const Eigen::VectorXd s = gamma.array() / (rv.array() + static_cast<double>(f.network.batchNormEpsilon)).sqrt();
      d.w = s.asDiagonal() * d.w;
      d.b = (s.array() * (d.b - rm).array()).matrix() + beta;
    }
    d.activation = v.activation;
    out.push_back(std::move(d));
  }
  return out;
}

nlohmann::json lwtnnActivation(nn::Activation a, const nn::ModelConfig& cfg) {
  switch (a) {
    case nn::Activation::Relu: return "rectified";
    case nn::Activation::LeakyRelu: return {{"function", "leakyrelu"}, {"alpha", static_cast<double>(cfg.leakySlope)}};
    case nn::Activation::Elu: return {{"function", "elu"}, {"alpha", static_cast<double>(cfg.eluAlpha)}};
    case nn::Activation::Tanh: return "tanh";
    case nn::Activation::Sigmoid: return "sigmoid";
    case nn::Activation::Linear: return "linear";
    case nn::Activation::Softplus:
      throwConfig("export --format lwtnn: lwtnn has no softplus activation; export this model with --format onnx");
  }
  return "linear";
}

nlohmann::json flatMatrix(const MatD& w) {
  nlohmann::json a = nlohmann::json::array();
  for (Eigen::Index r = 0; r < w.rows(); ++r)
    for (Eigen::Index c = 0; c < w.cols(); ++c) a.push_back(w(r, c));
  return a;
}
nlohmann::json flatVector(const Eigen::VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

}  // namespace

ExportFormat parseExportFormat(const std::string& s) {
  if (s == "onnx") return ExportFormat::Onnx;
  if (s == "lwtnn") return ExportFormat::Lwtnn;
  throwConfig("export: unknown --format " + str::quoted(s) + " (valid: onnx, lwtnn)");
}

TestVectors makeTestVectors(const Model& m, int fold, int count) {
  const FoldModel& f = m.folds[static_cast<std::size_t>(std::max(fold, 0))];
  const data::PreprocessParams& pp = f.preprocess;
  const auto nF = static_cast<Eigen::Index>(m.featureNames.size());
  TestVectors t;
  t.inputs.resize(count, nF);
  const std::uint64_t key = rng::derive(rng::streamKey(m.foldRule.seed, rng::Stream::Misc), 0x7e57);
  std::int64_t missingColumn = -1;
  for (Eigen::Index j = 0; j < nF; ++j) {
    const auto it = std::find(pp.inputNames.begin(), pp.inputNames.end(), m.featureNames[static_cast<std::size_t>(j)]);
    const auto pj = static_cast<Eigen::Index>(it - pp.inputNames.begin());
    const double mean = pj < pp.imputeMean.size() ? pp.imputeMean[pj] : 0.0;
    double sd = std::max(std::abs(mean) * 0.2, 1.0);
    if (pp.scaler == data::ScalerKind::Standard && pj < pp.scale.size() && pp.scale[pj] > 0) sd = 1.0 / pp.scale[pj];
    if (pp.scaler == data::ScalerKind::Pca && pj < pp.inputScale.size() && pp.inputScale[pj] > 0)
      sd = 1.0 / pp.inputScale[pj];
    if (pp.scaler == data::ScalerKind::PcaUnscaled && pj < pp.components.cols())
      sd = std::sqrt(std::max((pp.components.col(pj).array().square() * pp.explainedVariance.array()).sum(), 1e-12));
    for (Eigen::Index i = 0; i < count; ++i)
      t.inputs(i, j) = static_cast<float>(mean + sd * rng::normal(key, static_cast<std::uint64_t>(i * nF + j)));
    if (missingColumn < 0 && pp.hasMissingValue && pj < static_cast<Eigen::Index>(pp.usesMissing.size()) && pp.usesMissing[static_cast<std::size_t>(pj)])
      missingColumn = j;
  }
  if (missingColumn >= 0 && count > 1) t.inputs(count - 1, missingColumn) = pp.missingValue;
  Scorer scorer(m);
  data::FeatureMatrix perFold;
  scorer.scoreFolds(t.inputs, perFold);
  t.classes = scoreColumns(m);
  if (t.classes == 1) {
    t.scores = fold >= 0 ? Eigen::VectorXf(perFold.col(fold)) : ensembleMean(perFold);
    return t;
  }
  if (fold < 0) {
    t.scores = ensembleMean(perFold, t.classes);
    return t;
  }
  const data::FeatureMatrix own = perFold.middleCols(static_cast<Eigen::Index>(fold) * t.classes, t.classes);
  t.scores = Eigen::Map<const Eigen::VectorXf>(own.data(), own.size());
  return t;
}

std::string exportOnnx(const Model& m, const ExportOptions& o) {
  const std::vector<int> folds = exportedFolds(m, o.fold);
  OnnxGraph g;
  std::vector<std::string> outs;
  for (int k : folds) outs.push_back(addFold(g, m, m.folds[static_cast<std::size_t>(k)]));
  const auto classes = static_cast<std::int64_t>(scoreColumns(m));
  if (classes == 1) {
    const std::string mean = outs.size() == 1 ? outs[0] : g.node("Mean", outs, "ensemble_mean");
    g.node("Reshape", {mean, g.constant("score_shape", std::vector<std::int64_t>{-1}, {1}, kInt64)}, "score");
  } else {
    // (N, K) already: the Mean of one fold's output is that output, under the graph's output name.
    g.node("Mean", outs, "score");
  }

  const auto nF = static_cast<std::int64_t>(m.featureNames.size());
  const Pb input = OnnxGraph::valueInfo("features", kFloat, {"N", ""}, {0, nF});
  const Pb output = classes == 1 ? OnnxGraph::valueInfo("score", kFloat, {"N"}, {0})
                                 : OnnxGraph::valueInfo("score", kFloat, {"N", ""}, {0, classes});
  const std::string doc =
      "hepsweep classifier (" + describe(m, o.fold) + "). Input 'features': float32 [N, " + std::to_string(nF) +
      "] in the order of metadata 'feature_names'; output 'score': " +
      (classes == 1 ? std::string("float32 [N], the signal probability (sigmoid).")
                    : "float32 [N, " + std::to_string(classes) +
                          "], the softmax probability of each class, in the order of metadata 'class_names'.");

  Pb model;
  model.int64(1, 7);  // IR version 7 (ONNX 1.8), the first with opset 13
  model.bytes(2, "hepsweep");
  model.bytes(3, versionShort());
  model.bytes(4, "org.hepsweep");
  model.int64(5, 1);
  model.bytes(6, doc);
  model.message(7, g.graph("hepsweep_classifier", input, output, doc));
  Pb opset;
  opset.bytes(1, "");
  opset.int64(2, 13);
  model.message(8, opset);

  const TestVectors t = makeTestVectors(m, o.fold, o.testVectors);
  nlohmann::json outputs;
  const nlohmann::json inputs = vectorsJson(t, outputs);
  std::vector<std::pair<std::string, std::string>> meta = {
      {"feature_names", nlohmann::json(m.featureNames).dump()},
      {"test_inputs", inputs.dump()},
      {"test_outputs", outputs.dump()},
      {"test_tolerance", "1e-6"},
      {"model", describe(m, o.fold)},
      {"hepsweep_version", versionString()},
      {"source_model", o.modelPath},
      {"source_model_sha256", o.modelSha256},
      {"training_data_sha256", m.dataSha256},
  };
  if (classes > 1) meta.emplace_back("class_names", nlohmann::json(m.classNames).dump());
  for (const auto& [k, v] : meta) {
    Pb e;
    e.bytes(1, k);
    e.bytes(2, v);
    model.message(14, e);
  }
  return model.str();
}

std::string exportLwtnn(const Model& m, const ExportOptions& o) {
  if (!m.classNames.empty())
    throwConfig("export --format lwtnn: the model has " + std::to_string(m.classNames.size()) +
                " classes (a softmax output); this export writes lwtnn's binary sigmoid network only: use --format onnx");
  const std::vector<int> folds = exportedFolds(m, o.fold);
  const auto nF = static_cast<Eigen::Index>(m.featureNames.size());
  for (int k : folds) {
    const data::PreprocessParams& pp = m.folds[static_cast<std::size_t>(k)].preprocess;
    if (pp.hasMissingValue && pp.missing != data::MissingPolicy::Keep)
      throwConfig("export --format lwtnn: fold " + std::to_string(k) + " imputes missing values (preprocess.missing = \"" +
                  data::toString(pp.missing) + "\"), which lwtnn's input transform cannot express; use --format onnx");
  }
  const bool explicitInputs = folds.size() == 1 && !m.folds[static_cast<std::size_t>(folds[0])].preprocess.isPca() &&
                              foldColumns(m, m.folds[static_cast<std::size_t>(folds[0])]).empty();
  Eigen::VectorXd offset = Eigen::VectorXd::Zero(nF), scale = Eigen::VectorXd::Ones(nF);

  // Per fold: layers in double with the preprocessing folded into the first one unless it is
  // given explicitly as the inputs' offset and scale.
  std::vector<std::vector<DenseD>> perFold;
  for (int k : folds) {
    const FoldModel& f = m.folds[static_cast<std::size_t>(k)];
    const data::PreprocessParams& pp = f.preprocess;
    std::vector<DenseD> layers = foldedLayers(f);
    const auto cols = foldColumns(m, f);
    const auto nIn = static_cast<Eigen::Index>(pp.inputNames.size());
    MatD select = MatD::Zero(nIn, nF);  // fold inputs from the model's features
    for (Eigen::Index j = 0; j < nIn; ++j) select(j, cols.empty() ? j : cols[static_cast<std::size_t>(j)]) = 1.0;
    MatD a;               // preprocessed = a x + c
    Eigen::VectorXd c;
    switch (pp.scaler) {
      case data::ScalerKind::None:
        a = select;
        c = Eigen::VectorXd::Zero(nIn);
        break;
      case data::ScalerKind::Standard:
        a = pp.scale.asDiagonal() * select;
        c = -(pp.scale.array() * pp.mean.array()).matrix();
        break;
      case data::ScalerKind::Pca:
        a = pp.scale.asDiagonal() * pp.components * pp.inputScale.asDiagonal() * select;
        c = -(pp.scale.asDiagonal() * pp.components * pp.inputScale.cwiseProduct(pp.mean));
        break;
      case data::ScalerKind::PcaUnscaled:
        a = pp.scale.asDiagonal() * pp.components * select;
        c = -(pp.scale.asDiagonal() * pp.components * pp.mean);
        break;
    }
    if (explicitInputs) {
      if (pp.scaler == data::ScalerKind::Standard) {
        offset = -pp.mean;
        scale = pp.scale;
      }
    } else {
      layers[0].b += layers[0].w * c;
      layers[0].w = layers[0].w * a;
    }
    perFold.push_back(std::move(layers));
  }

  // The fold networks side by side: the first layer stacked, the others block-diagonal.
  const std::size_t nLayers = perFold[0].size();
  const FoldModel& f0 = m.folds[static_cast<std::size_t>(folds[0])];
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t l = 0; l < nLayers; ++l) {
    Eigen::Index rows = 0, colsTotal = 0;
    for (const auto& pf : perFold) {
      if (pf.size() != nLayers) throwInput("export --format lwtnn: the folds have different numbers of layers");
      rows += pf[l].w.rows();
      colsTotal += pf[l].w.cols();
    }
    const Eigen::Index cols = l == 0 ? nF : colsTotal;
    MatD w = MatD::Zero(rows, cols);
    Eigen::VectorXd b(rows);
    Eigen::Index r0 = 0, c0 = 0;
    for (const auto& pf : perFold) {
      w.block(r0, l == 0 ? 0 : c0, pf[l].w.rows(), pf[l].w.cols()) = pf[l].w;
      b.segment(r0, pf[l].b.size()) = pf[l].b;
      r0 += pf[l].w.rows();
      c0 += pf[l].w.cols();
    }
    const bool last = l + 1 == nLayers;
    layers.push_back({{"architecture", "dense"},
                      {"activation", last ? nlohmann::json("sigmoid") : lwtnnActivation(perFold[0][l].activation, f0.network)},
                      {"weights", flatMatrix(w)},
                      {"bias", flatVector(b)}});
  }
  if (perFold.size() > 1) {
    const auto k = static_cast<Eigen::Index>(perFold.size());
    layers.push_back({{"architecture", "dense"},
                      {"activation", "linear"},
                      {"weights", flatMatrix(MatD::Constant(1, k, 1.0 / static_cast<double>(k)))},
                      {"bias", flatVector(Eigen::VectorXd::Zero(1))}});
  }

  nlohmann::json inputs = nlohmann::json::array();
  for (Eigen::Index j = 0; j < nF; ++j)
    inputs.push_back({{"name", m.featureNames[static_cast<std::size_t>(j)]}, {"offset", offset[j]}, {"scale", scale[j]}});
  const TestVectors t = makeTestVectors(m, o.fold, o.testVectors);
  nlohmann::json outputs;
  const nlohmann::json testInputs = vectorsJson(t, outputs);
  nlohmann::json j;
  j["inputs"] = inputs;
  j["layers"] = layers;
  j["outputs"] = {"score"};
  j["defaults"] = nlohmann::json::object();
  j["miscellaneous"] = {
      {"model", describe(m, o.fold)},
      {"input_transform", explicitInputs ? "(x + offset) * scale" : "identity; the preprocessing is folded into the first dense layer"},
      {"test_inputs", testInputs.dump()},
      {"test_outputs", outputs.dump()},
      {"test_tolerance", "1e-6"},
      {"hepsweep_version", versionString()},
      {"source_model", o.modelPath},
      {"source_model_sha256", o.modelSha256},
  };
  return j.dump(1) + "\n";
}

ExportSummary exportModel(const Model& m, const ExportOptions& o, const std::string& output) {
  if (output.empty()) throwConfig("export: -o FILE is required");
  ExportSummary s;
  s.output = output;
  s.format = o.format;
  s.fold = o.fold;
  s.folds = m.numFolds();
  const std::string bytes = o.format == ExportFormat::Onnx ? exportOnnx(m, o) : exportLwtnn(m, o);
  s.bytes = bytes.size();
  s.tests = makeTestVectors(m, o.fold, o.testVectors);
  writeFileAtomically(output, bytes);
  return s;
}

}  // namespace hepsweep::model
