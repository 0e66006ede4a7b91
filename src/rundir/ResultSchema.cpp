#include "hepsweep/rundir/ResultSchema.hpp"
#include <algorithm>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::rundir {
namespace {

namespace h5 = io::h5;

template <class T>
std::span<const T> asSpan(const std::vector<T>& v) { return {v.data(), v.size()}; }
std::span<const double> asSpan(const Eigen::VectorXd& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }

Eigen::VectorXd toVectorXd(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

std::string where(const h5::Group& g) { return str::quoted(g.fileName(), 300); }

}  // namespace

void writeResultHeader(const h5::File& f, const ResultHeader& h) {
  f.setAttr("format", std::string(kResultFormat));
  f.setAttr("format_version", kResultFormatVersion);
  f.setAttr("config", h.config);
  f.setAttr("seed", static_cast<std::int64_t>(h.seed));
  f.setAttr("version", h.version);
  f.setAttr("created", h.created);
  f.setAttr("command_line", h.commandLine);
  f.setAttr("data_file", h.dataFile);
  f.setAttr("data_sha256", h.dataSha256);
  if (!h.item) return;
  const ItemIdentity& it = *h.item;
  f.setAttr("item_id", it.id);
  f.setAttr("point_id", it.point);
  f.setAttr("fold", static_cast<std::int64_t>(it.fold));
  f.setAttr("folds", static_cast<std::int64_t>(it.folds));
  f.setAttr("ranks_per_item", static_cast<std::int64_t>(it.ranksPerItem));
  f.setAttr("run_dir", it.runDir);
  f.setAttr("item_overrides", joinOverrides(it.overrides));
  f.setAttr("campaign_sha256", it.campaignSha256);
  writeOverrides(f.createGroup("item"), it.overrides);
}

ResultHeader readResultHeader(const h5::File& f) {
  const std::string path = f.fileName();
  if (!f.hasAttr("format") || f.attrString("format") != kResultFormat)
    throwInput("'" + path + "' is not a hepsweep result file (root attribute format is " +
               (f.hasAttr("format") ? str::quoted(f.attrString("format")) : std::string("missing")) + ", expected '" +
               kResultFormat + "')");
  ResultHeader h;
  h.formatVersion = f.hasAttr("format_version") ? f.attrInt("format_version") : 1;
  if (h.formatVersion < 1 || h.formatVersion > kResultFormatVersion)
    throwInput("'" + path + "' has result format_version " + std::to_string(h.formatVersion) +
               "; this hepsweep reads 1 to " + std::to_string(kResultFormatVersion) + " (the file was written by " +
               (f.hasAttr("version") ? f.attrString("version") : std::string("a newer hepsweep")) +
               "): use that version or a newer one");
  const auto text = [&](const char* name) { return f.hasAttr(name) ? f.attrString(name) : std::string(); };
  h.config = text("config");
  h.seed = f.hasAttr("seed") ? static_cast<std::uint64_t>(f.attrInt("seed")) : 0;
  h.version = text("version");
  h.created = text("created");
  h.commandLine = text("command_line");
  h.dataFile = text("data_file");
  h.dataSha256 = text("data_sha256");
  if (f.hasAttr("item_id")) {
    ItemIdentity it;
    it.id = f.attrInt("item_id");
    it.point = f.hasAttr("point_id") ? f.attrInt("point_id") : 0;
    it.fold = f.hasAttr("fold") ? static_cast<int>(f.attrInt("fold")) : 0;
    it.folds = f.hasAttr("folds") ? static_cast<int>(f.attrInt("folds")) : 1;
    it.ranksPerItem = f.hasAttr("ranks_per_item") ? static_cast<int>(f.attrInt("ranks_per_item")) : 1;
    it.runDir = text("run_dir");
    it.campaignSha256 = text("campaign_sha256");
    it.overrides = f.exists("item") && hasStructuredOverrides(f.openGroup("item"))
                       ? readOverrides(f.openGroup("item"))
                       : parseJoinedOverrides(text("item_overrides"));
    h.item = std::move(it);
  }
  return h;
}

void writeSplitRecord(const h5::Group& g, const SplitRecord& r) {
  g.setAttr("rule", std::string(
      "rows = hepsweep::data::itemPartition(labels, keys, rule): per class a seeded permutation "
      "(streamKey(seed, Split)) gives the test hold-out by the fractions; with folds > 1 the other rows "
      "validate on fold = data::foldOf(key, folds, seed) == fold and train on the rest; then "
      "data.balance; key = the event id when the data has ids, else the row index"));
  g.setAttr("seed", static_cast<std::int64_t>(r.rule.seed));
  g.setAttr("fraction_train", r.rule.fractions.train);
  g.setAttr("fraction_val", r.rule.fractions.val);
  g.setAttr("fraction_test", r.rule.fractions.test);
  g.setAttr("folds", static_cast<std::int64_t>(r.rule.folds));
  g.setAttr("fold", static_cast<std::int64_t>(r.rule.fold));
  g.setAttr("balance", std::string(data::toString(r.rule.balance)));
  g.setAttr("fold_key", std::string(r.keyIsId ? "id" : "row_index"));
  g.setAttr("data_rows", r.dataRows);
  g.setAttr("n_train", r.nTrain);
  g.setAttr("n_val", r.nVal);
  g.setAttr("n_test", r.nTest);
  g.setAttr("train_sha256", r.trainDigest);
  g.setAttr("val_sha256", r.valDigest);
  g.setAttr("test_sha256", r.testDigest);
  g.setAttr("train_weight_signal", r.trainFactors.signal);
  g.setAttr("train_weight_background", r.trainFactors.background);
  g.setAttr("val_weight_signal", r.valFactors.signal);
  g.setAttr("val_weight_background", r.valFactors.background);
}

SplitRecord readSplitRecord(const h5::Group& g) {
  SplitRecord r;
  r.rule.seed = static_cast<std::uint64_t>(g.attrInt("seed"));
  r.rule.fractions = {g.attrDouble("fraction_train"), g.attrDouble("fraction_val"), g.attrDouble("fraction_test")};
  r.rule.folds = static_cast<int>(g.attrInt("folds"));
  r.rule.fold = static_cast<int>(g.attrInt("fold"));
  r.rule.balance = data::parseBalanceMode(g.attrString("balance"));
  const std::string key = g.attrString("fold_key");
  if (key != "id" && key != "row_index")
    throwInput(where(g) + ": split fold_key is " + str::quoted(key) + ", expected \"id\" or \"row_index\"");
  r.keyIsId = key == "id";
  r.dataRows = g.attrInt("data_rows");
  r.nTrain = g.attrInt("n_train");
  r.nVal = g.attrInt("n_val");
  r.nTest = g.attrInt("n_test");
  r.trainDigest = g.attrString("train_sha256");
  r.valDigest = g.attrString("val_sha256");
  r.testDigest = g.attrString("test_sha256");
  r.trainFactors = {g.attrDouble("train_weight_signal"), g.attrDouble("train_weight_background")};
  r.valFactors = {g.attrDouble("val_weight_signal"), g.attrDouble("val_weight_background")};
  return r;
}

data::Partition rebuildPartition(const SplitRecord& r, std::span<const float> labels,
                                 std::span<const std::uint64_t> keys, const std::string& what) {
  if (static_cast<std::int64_t>(labels.size()) != r.dataRows)
    throwInput(what + " was trained on a data file of " + std::to_string(r.dataRows) + " rows; this one has " +
               std::to_string(labels.size()) + ": its split cannot be rebuilt");
  data::Partition p = data::itemPartition(labels, keys, r.rule);
  const std::pair<const char*, std::pair<const std::vector<data::Index>*, const std::string*>> parts[3] = {
      {"train", {&p.train, &r.trainDigest}}, {"validation", {&p.val, &r.valDigest}}, {"test", {&p.test, &r.testDigest}}};
  for (const auto& [name, check] : parts)
    if (data::rowsDigest(*check.first) != *check.second)
      throwInput("the " + std::string(name) + " rows rebuilt from the split rule of " + what +
                 " are not the ones it was trained on (sha256 " + data::rowsDigest(*check.first) + ", recorded " +
                 *check.second + "): the data file or hepsweep's split changed since training");
  return p;
}

namespace {
// The timing figures differ from run to run; everything else of a file is reproducible, so the
// checksum is too (two runs of one campaign carry the same content_sha256).
const std::vector<std::string> kUnsealed{"history/epoch_seconds", "metrics/train_seconds",
                                         "metrics/samples_per_second"};
}  // namespace

void sealContent(const h5::File& f) { f.setAttr("content_sha256", f.contentDigest(kUnsealed)); }

void verifyContent(const h5::File& f) {
  const std::int64_t version = f.hasAttr("format_version") ? f.attrInt("format_version") : 1;
  if (!f.hasAttr("content_sha256")) {
    if (version >= 2)
      throwInput("'" + f.fileName() + "' has no content checksum (attribute content_sha256): it was not finished "
                 "by hepsweep, or was edited");
    return;
  }
  const std::string stored = f.attrString("content_sha256"), now = f.contentDigest(kUnsealed);
  if (stored != now)
    throwInput("'" + f.fileName() + "' was changed after it was written: its datasets' sha256 is " + now +
               ", the file records " + stored + " (a corrupted copy, or an edit)");
}

std::optional<std::string> resultProblem(const std::filesystem::path& path, std::int64_t id,
                                         const std::string& campaignSha256) {
  try {
    const h5::File f = h5::File::open(path.string());
    const ResultHeader h = readResultHeader(f);
    if (!h.item) return "it names no campaign item (a single training's result file?)";
    if (h.item->id != id) return "it is the result of item " + std::to_string(h.item->id) + ", not item " + std::to_string(id);
    if (!campaignSha256.empty() && !h.item->campaignSha256.empty() && h.item->campaignSha256 != campaignSha256)
      return "it belongs to another campaign (campaign sha256 " + h.item->campaignSha256 + ", this one's " +
             campaignSha256 + ")";
    for (const char* name : {"metrics", "model", "preprocess", "history"})
      if (!f.exists(name)) return std::string("its group /") + name + " is missing";
    verifyContent(f);
  } catch (const Error& e) {
    return e.what();
  }
  return std::nullopt;
}

std::filesystem::path setAside(const std::filesystem::path& path) {
  for (int n = 1;; ++n) {
    const std::filesystem::path to = path.string() + ".invalid-" + std::to_string(n);
    std::error_code ec;
    if (std::filesystem::exists(to, ec)) continue;
    std::filesystem::rename(path, to, ec);
    if (ec) throwIo("cannot move the invalid file '" + path.string() + "' aside to '" + to.string() + "': " + ec.message());
    return to;
  }
}

std::optional<double> ResultSummary::metric(const std::string& name) const {
  for (const auto& [k, v] : metrics)
    if (k == name) return v;
  return std::nullopt;
}

ResultSummary readResultSummary(const std::string& path) {
  const h5::File f = h5::File::open(path);
  ResultSummary s;
  s.header = readResultHeader(f);
  verifyContent(f);
  if (!f.exists("metrics")) throwInput("'" + path + "' has no /metrics group");
  const h5::Group m = f.openGroup("metrics");
  for (const auto& name : m.children())
    if (m.shape(name).empty()) s.metrics.emplace_back(name, m.readScalarDouble(name));
  if (m.exists("objective") && m.hasAttr("name", "objective")) s.objectiveName = m.attrString("name", "objective");
  if (f.exists("history")) {
    const h5::Group h = f.openGroup("history");
    s.trainLoss = h.read<double>("train_loss");
    s.valLoss = h.read<double>("val_loss");
    s.valAuc = h.read<double>("val_auc");
  }
  if (f.hasAttr("stopped_by")) s.stoppedBy = f.attrString("stopped_by");
  s.hasScores = f.exists("scores/test") && f.exists("scores/train");
  return s;
}

void writePreprocess(const h5::Group& g, const data::PreprocessParams& p) {
  // The pipeline's name, not the option's: "standard+pca" for the standardising PCA (see
  // data::storedName), so that older readers refuse it rather than skip its standardisation.
  g.setAttr("scaler", std::string(data::storedName(p.scaler)));
  g.setAttr("missing", std::string(data::toString(p.missing)));
  g.setAttr("has_missing_value", static_cast<std::int64_t>(p.hasMissingValue));
  g.setAttr("missing_value", static_cast<double>(p.missingValue));
  g.writeStrings("input_names", p.inputNames);
  g.writeStrings("output_names", p.outputNames);
  g.write<std::uint8_t>("uses_missing", asSpan(p.usesMissing), false);
  g.write<double>("impute_mean", asSpan(p.imputeMean), false);
  g.write<std::int64_t>("indicator_of", asSpan(p.indicatorOf), false);
  g.write<double>("mean", asSpan(p.mean), false);
  g.write<double>("scale", asSpan(p.scale), false);
  if (p.scaler == data::ScalerKind::Pca) g.write<double>("input_scale", asSpan(p.inputScale), false);
  // Row-major copy: component k is row k, as scikit-learn's PCA.components_.
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> c = p.components;
  g.write2d<double>("components", c.data(), static_cast<std::size_t>(c.rows()), static_cast<std::size_t>(c.cols()), false);
  g.write<double>("explained_variance", asSpan(p.explainedVariance), false);
}

data::PreprocessParams readPreprocess(const h5::Group& g) {
  data::PreprocessParams p;
  try {
    p.scaler = data::parseStoredScaler(g.attrString("scaler"));
  } catch (const Error& e) {
    throwInput(g.where("") + ": " + e.what());
  }
  p.missing = data::parseMissingPolicy(g.attrString("missing"));
  p.hasMissingValue = g.attrInt("has_missing_value") != 0;
  p.missingValue = static_cast<float>(g.attrDouble("missing_value"));
  p.inputNames = g.readStrings("input_names");
  p.outputNames = g.readStrings("output_names");
  p.usesMissing = g.read<std::uint8_t>("uses_missing");
  p.imputeMean = toVectorXd(g.read<double>("impute_mean"));
  p.indicatorOf = g.read<std::int64_t>("indicator_of");
  p.mean = toVectorXd(g.read<double>("mean"));
  p.scale = toVectorXd(g.read<double>("scale"));
  std::size_t rows = 0, cols = 0;
  const auto c = g.read2d<double>("components", rows, cols);
  p.components = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      c.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  p.explainedVariance = toVectorXd(g.read<double>("explained_variance"));
  if (p.scaler == data::ScalerKind::Pca) {
    if (!g.exists("input_scale"))
      throwInput(g.where("") + ": a standard+pca preprocessing without its input_scale (the standardisation)");
    p.inputScale = toVectorXd(g.read<double>("input_scale"));
    if (p.inputScale.size() != p.components.cols() || p.mean.size() != p.components.cols())
      throwInput(g.where("") + ": input_scale and mean need one entry per column of components (" +
                 std::to_string(p.components.cols()) + ")");
  }
  const auto nIn = p.inputNames.size();
  if (p.usesMissing.size() != nIn || static_cast<std::size_t>(p.imputeMean.size()) != nIn)
    throwInput(g.where("") + ": uses_missing and impute_mean need one entry per input feature (" + std::to_string(nIn) + ")");
  return p;
}

void writeNetwork(const h5::Group& g, const nn::Network& net) {
  const auto& params = net.params();
  const auto& state = net.state();
  g.setAttr("inputs", static_cast<std::int64_t>(net.inputs()));
  g.setAttr("layers", static_cast<std::int64_t>(net.layers().size()));
  g.setAttr("output", std::string(net.outputs() > 1 ? "softmax(logits)" : "sigmoid(logit)"));
  // The activation constants are not visible in the layers; `apply` rebuilds the network from them.
  g.setAttr("leaky_slope", static_cast<double>(net.config().leakySlope));
  g.setAttr("elu_alpha", static_cast<double>(net.config().eluAlpha));
  g.setAttr("batch_norm_epsilon", static_cast<double>(net.config().batchNormEpsilon));
  g.setAttr("batch_norm_momentum", static_cast<double>(net.config().batchNormMomentum));
  for (std::size_t l = 0; l < net.layers().size(); ++l) {
    const nn::DenseLayerView& v = net.layers()[l];
    const h5::Group lg = g.createGroup("layer_" + std::to_string(l));
    lg.setAttr("activation", std::string(nn::toString(v.activation)));
    lg.setAttr("dropout", static_cast<double>(v.dropout));
    lg.setAttr("batch_norm", static_cast<std::int64_t>(v.batchNorm));
    // Parameters hold W column-major (outputs x inputs); the same bytes read row-major are W^T,
    // so transpose explicitly to store (outputs x inputs) row-major as h5py shows it.
    const Eigen::Map<const Eigen::MatrixXf> w(params.data() + v.weightOffset, v.outputs, v.inputs);
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> wr = w;
    lg.write2d<float>("W", wr.data(), static_cast<std::size_t>(v.outputs), static_cast<std::size_t>(v.inputs), false);
    lg.write<float>("b", std::span<const float>(params.data() + v.biasOffset, static_cast<std::size_t>(v.outputs)), false);
    if (v.batchNorm) {
      const auto n = static_cast<std::size_t>(v.outputs);
      lg.write<float>("gamma", std::span<const float>(params.data() + v.gammaOffset, n), false);
      lg.write<float>("beta", std::span<const float>(params.data() + v.betaOffset, n), false);
      lg.write<float>("running_mean", std::span<const float>(state.data() + v.runningMeanOffset, n), false);
      lg.write<float>("running_var", std::span<const float>(state.data() + v.runningVarOffset, n), false);
    }
  }
}

StoredNetwork readNetwork(const h5::Group& g) {
  const auto layers = g.attrInt("layers");
  StoredNetwork s;
  s.inputs = static_cast<int>(g.attrInt("inputs"));
  if (layers < 2)
    throwInput(g.where("") + ": the network has " + std::to_string(layers) +
               " layers; a hepsweep network has at least one hidden layer and the output layer");
  if (!g.hasAttr("leaky_slope"))
    throwInput(g.where("") + " lacks the attributes leaky_slope, elu_alpha and batch_norm_epsilon (written by a "
               "hepsweep before they were recorded): train the model again with this version");
  nn::ModelConfig& cfg = s.config;
  cfg.widths.clear();
  cfg.width = cfg.depth = cfg.step = 0;
  cfg.dropout.clear();
  for (std::int64_t l = 0; l < layers; ++l) {
    const std::string name = "layer_" + std::to_string(l);
    const auto shape = g.shape(name + "/W");
    if (shape.size() != 2) throwInput(g.where(name + "/W") + " is not a 2-D (outputs x inputs) matrix");
    if (l == layers - 1) {
      // One unit: the signal/background logit; K >= 3: a multi-class network's logits.
      if (shape[0] == 2 || shape[0] < 1)
        throwInput(g.where(name + "/W") + ": the output layer has " + std::to_string(shape[0]) +
                   " units; a hepsweep network has one (signal/background) or one per class (3 or more)");
      s.outputs = static_cast<int>(shape[0]);
      break;
    }
    cfg.widths.push_back(static_cast<int>(shape[0]));
    cfg.dropout.push_back(static_cast<float>(g.attrDouble("dropout", name)));
    if (l == 0) {
      cfg.activation = nn::parseActivation(g.attrString("activation", name));
      cfg.batchNorm = g.attrInt("batch_norm", name) != 0;
    }
  }
  cfg.leakySlope = static_cast<float>(g.attrDouble("leaky_slope"));
  cfg.eluAlpha = static_cast<float>(g.attrDouble("elu_alpha"));
  cfg.batchNormEpsilon = static_cast<float>(g.attrDouble("batch_norm_epsilon"));
  cfg.batchNormMomentum = static_cast<float>(g.attrDouble("batch_norm_momentum"));
  // The layout comes from rebuilding the described network; each layer's values go where it says.
  nn::Network net(s.inputs, cfg, 0, s.outputs);
  s.params = Eigen::VectorXf::Zero(net.params().size());
  s.state = net.state();
  const auto fill = [&](const std::string& name, std::size_t count, Eigen::VectorXf& into, std::size_t offset) {
    const auto v = g.read<float>(name);
    if (v.size() != count)
      throwInput(g.where(name) + " has " + std::to_string(v.size()) + " values, the layers described need " +
                 std::to_string(count));
    std::copy(v.begin(), v.end(), into.data() + offset);
  };
  for (std::size_t l = 0; l < net.layers().size(); ++l) {
    const nn::DenseLayerView& v = net.layers()[l];
    const std::string name = "layer_" + std::to_string(l);
    std::size_t rows = 0, cols = 0;
    const auto w = g.read2d<float>(name + "/W", rows, cols);
    if (rows != static_cast<std::size_t>(v.outputs) || cols != static_cast<std::size_t>(v.inputs))
      throwInput(g.where(name + "/W") + " is " + std::to_string(rows) + " x " + std::to_string(cols) + ", expected " +
                 std::to_string(v.outputs) + " x " + std::to_string(v.inputs) + " (outputs x inputs)");
    Eigen::Map<Eigen::MatrixXf>(s.params.data() + v.weightOffset, v.outputs, v.inputs) =
        Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(w.data(), v.outputs, v.inputs);
    const auto n = static_cast<std::size_t>(v.outputs);
    fill(name + "/b", n, s.params, v.biasOffset);
    if (v.batchNorm) {
      fill(name + "/gamma", n, s.params, v.gammaOffset);
      fill(name + "/beta", n, s.params, v.betaOffset);
      fill(name + "/running_mean", n, s.state, v.runningMeanOffset);
      fill(name + "/running_var", n, s.state, v.runningVarOffset);
    }
  }
  if (!s.params.allFinite() || !s.state.allFinite())
    throwInput(g.where("") + ": the stored network holds NaN or infinite parameters");
  return s;
}

nn::Network buildNetwork(const StoredNetwork& s) {
  nn::Network net(s.inputs, s.config, 0, s.outputs);
  if (net.params().size() != s.params.size() || net.state().size() != s.state.size())
    throw Error(ErrorCategory::Internal, "stored parameters do not fit their network configuration");
  net.params() = s.params;
  net.state() = s.state;
  return net;
}

}  // namespace hepsweep::rundir
