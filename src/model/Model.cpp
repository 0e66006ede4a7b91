#include "hepsweep/model/Model.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "hepsweep/metrics/MultiClass.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/nn/Sigmoid.hpp"

namespace hepsweep::model {
namespace {

namespace h5 = io::h5;

template <class T>
std::span<const T> asSpan(const std::vector<T>& v) { return {v.data(), v.size()}; }

std::string foldGroupName(int fold) { return "fold_" + std::to_string(fold); }

void checkFormat(const h5::File& f, const std::string& path, const char* format, std::int64_t version,
                 const char* what) {
  if (!f.hasAttr("format") || f.attrString("format") != format)
    throwInput("'" + path + "' is not a " + what + " (root attribute format is " +
               (f.hasAttr("format") ? str::quoted(f.attrString("format")) : std::string("missing")) +
               ", expected '" + format + "')");
  if (f.attrInt("format_version") != version)
    throwInput("'" + path + "' has format_version " + std::to_string(f.attrInt("format_version")) +
               "; this hepsweep reads version " + std::to_string(version));
}

void fillNetwork(FoldModel& f, const rundir::StoredNetwork& n) {
  f.network = n.config;
  f.inputs = n.inputs;
  f.outputs = n.outputs;
  f.params = n.params;
  f.state = n.state;
}

// What fromResultFiles needs of a result file beyond its fold model.
struct ResultContents {
  FoldModel fold;
  rundir::ResultHeader header;
  int folds = 1;
  std::vector<std::string> featureNames;
  data::SplitFractions split;
  std::vector<double> signalEfficiencies;
  std::vector<std::string> classNames;  // multi-class result files (n_classes, /class_names)
};

ResultContents readResult(const std::string& path) {
  ResultContents r;
  r.fold = readFoldModel(path);
  const h5::File f = h5::File::open(path);
  r.header = rundir::readResultHeader(f);
  r.folds = r.header.item ? r.header.item->folds : 1;
  r.featureNames = f.readStrings("model/feature_names");
  r.signalEfficiencies = f.read<double>("metrics/signal_efficiency");
  if (f.hasAttr("n_classes")) {
    r.classNames = f.readStrings("class_names");
    if (static_cast<std::int64_t>(r.classNames.size()) != f.attrInt("n_classes") ||
        static_cast<int>(r.classNames.size()) != r.fold.outputs)
      throwInput("'" + path + "': n_classes is " + std::to_string(f.attrInt("n_classes")) + ", class_names holds " +
                 std::to_string(r.classNames.size()) + " names and the network has " + std::to_string(r.fold.outputs) +
                 " outputs; they must agree");
  } else if (r.fold.outputs != 1) {
    throwInput("'" + path + "': the network has " + std::to_string(r.fold.outputs) +
               " outputs but the file records no classes (n_classes, class_names)");
  }
  if (r.header.formatVersion >= 2) {
    r.split = rundir::readSplitRecord(f.openGroup("split")).rule.fractions;
  } else {
    // Format 1 files keep the fractions only inside their configuration text, which this module
    // does not parse: the model records them as unknown (NaN).
    r.split = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN(),
               std::numeric_limits<double>::quiet_NaN()};
  }
  return r;
}

// The keys of the test rows, read from the training data file when it is still the one trained
// on (same sha256).
void recordKeys(Model& m) {
  FoldRule& rule = m.foldRule;
  rule.key = FoldKey::Unknown;
  std::error_code ec;
  if (!std::filesystem::exists(m.dataFile, ec)) return;
  try {
    if (sha256File(m.dataFile) != m.dataSha256) return;
    const io::DatasetInfo info = io::readDatasetInfo(m.dataFile);
    rule.dataRows = info.rows;
    rule.testKeys = rule.testRows;
    if (info.hasIds) {
      const h5::File f = h5::File::open(m.dataFile);
      const auto ids = f.read<std::int64_t>("ids");
      for (auto& k : rule.testKeys) k = ids.at(static_cast<std::size_t>(k));
      rule.key = FoldKey::Id;
      rule.idColumn = info.idColumn;
    } else {
      rule.key = FoldKey::RowIndex;
    }
  } catch (const Error&) {
    rule.key = FoldKey::Unknown;
    rule.testKeys.clear();
    rule.dataRows = 0;
  }
}

void computeTestSummary(Model& m, const std::vector<double>& signalEfficiencies) {
  const auto n = static_cast<Eigen::Index>(m.testLabels.size());
  data::FeatureMatrix perFold(n, m.numFolds());
  for (int k = 0; k < m.numFolds(); ++k)
    perFold.col(k) = Eigen::Map<const Eigen::VectorXf>(m.folds[static_cast<std::size_t>(k)].testScores.data(), n);
  const Eigen::VectorXf ens = ensembleMean(perFold);
  m.testScores.assign(ens.data(), ens.data() + n);
  m.workingPoints.clear();
  if (n == 0) return;
  const std::span<const float> scores(m.testScores), labels(m.testLabels);
  m.ensembleTestAuc = metrics::auc(scores, labels);
  const metrics::Roc roc = metrics::rocCurve(scores, labels);
  for (double e : signalEfficiencies)
    m.workingPoints.push_back({e, metrics::thresholdAtSigEff(roc, e), metrics::bkgEffAtSigEff(roc, e)});
}

// Multi-class: the ensemble's test probabilities (the fold models' softmax outputs averaged per
// event and class, summed in fold order in double as ensembleMean does) and its mean one-vs-rest
// AUC; the signal-efficiency working points do not apply.
void multiClassTestSummary(Model& m, const FoldScores& scores) {
  const std::size_t k = m.classNames.size(), n = m.testLabels.size();
  if (scores.testMulti.size() != m.folds.size())
    throw Error(ErrorCategory::Internal, "fromResultFiles: multi-class test scores of " +
                                             std::to_string(scores.testMulti.size()) + " folds for " +
                                             std::to_string(m.folds.size()) + " result files");
  for (const auto& fold : scores.testMulti)
    if (fold.size() != n * k) throw Error(ErrorCategory::Internal, "fromResultFiles: a fold's test scores are not events x classes");
  m.testScores = ensembleMean(scores.testMulti);
  for (std::size_t f = 0; f < m.folds.size(); ++f) m.folds[f].testScores = scores.testMulti[f];
  m.workingPoints.clear();
  m.ensembleTestAuc = n == 0 ? 0.0 : metrics::meanOneVsRestAuc(m.testScores, k, m.testLabels);
}

}  // namespace

const char* toString(FoldKey k) {
  switch (k) {
    case FoldKey::RowIndex: return "row_index";
    case FoldKey::Id: return "id";
    case FoldKey::Unknown: return "unknown";
  }
  return "unknown";
}

FoldKey parseFoldKey(const std::string& s) {
  if (s == "row_index") return FoldKey::RowIndex;
  if (s == "id") return FoldKey::Id;
  if (s == "unknown") return FoldKey::Unknown;
  throwInput("unknown fold key " + str::quoted(s) + " (expected 'row_index', 'id' or 'unknown')");
}

int FoldRule::foldOf(std::uint64_t key) const { return data::foldOf(key, folds, seed); }

double Model::thresholdAt(double signalEfficiency) const {
  if (!(signalEfficiency >= 0.0 && signalEfficiency <= 1.0))
    throwConfig("signal efficiency " + std::to_string(signalEfficiency) + " must lie in [0, 1]");
  if (!classNames.empty())
    throwConfig("a working point (signal efficiency " + std::to_string(signalEfficiency) +
                ") is a cut on a binary model's score; this model has " + std::to_string(classNames.size()) +
                " classes: cut on the probability of the class wanted instead");
  if (testScores.empty()) throwInput("the model holds no test-set scores to measure a threshold on");
  const metrics::Roc roc = metrics::rocCurve(std::span<const float>(testScores), std::span<const float>(testLabels));
  return metrics::thresholdAtSigEff(roc, signalEfficiency);
}

FoldModel readFoldModel(const std::string& path) {
  const h5::File f = h5::File::open(path);
  const rundir::ResultHeader header = rundir::readResultHeader(f);
  FoldModel fold;
  fold.resultFile = path;
  if (header.item) {
    fold.fold = header.item->fold;
    fold.itemOverrides = rundir::joinOverrides(header.item->overrides);
  }
  fold.preprocess = rundir::readPreprocess(f.openGroup("preprocess"));
  fillNetwork(fold, rundir::readNetwork(f.openGroup("model")));
  if (fold.inputs != fold.preprocess.outputs())
    throwInput("'" + path + "': the network has " + std::to_string(fold.inputs) + " inputs but the preprocessing gives " +
               std::to_string(fold.preprocess.outputs()) + " columns");
  fold.valLoss = f.readScalarDouble("metrics/val_loss");
  fold.valAuc = f.readScalarDouble("metrics/val_auc");
  fold.testAuc = f.readScalarDouble("metrics/test_auc");
  return fold;
}

Model fromResultFiles(const std::vector<std::string>& paths, const FoldScores* given) {
  if (paths.empty()) throwInput("no result files given to build the model from");
  Model m;
  std::vector<double> efficiencies;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    ResultContents r = readResult(paths[i]);
    const std::string& p = paths[i];
    if (r.folds != static_cast<int>(paths.size()))
      throwInput("'" + p + "' is fold " + std::to_string(r.fold.fold) + " of a " + std::to_string(r.folds) +
                 "-fold campaign, but " + std::to_string(paths.size()) + " result files were given");
    if (r.fold.fold != static_cast<int>(i))
      throwInput("'" + p + "' holds fold " + std::to_string(r.fold.fold) + " but is given in position " +
                 std::to_string(i) + "; pass the result files in fold order (0, 1, ...)");
    if (i == 0) {
      m.featureNames = r.featureNames;
      m.classNames = r.classNames;
      m.campaignToml = r.header.config;
      m.trainVersion = r.header.version;
      m.dataFile = r.header.dataFile;
      m.dataSha256 = r.header.dataSha256;
      m.foldRule.seed = r.header.seed;
      m.foldRule.folds = r.folds;
      m.foldRule.split = r.split;
      efficiencies = r.signalEfficiencies;
    } else {
      const std::string& first = paths[0];
      const auto differs = [&](const char* what) {
        throwInput("'" + p + "' and '" + first + "' differ in " + what + ": they are not folds of one point");
      };
      if (r.featureNames != m.featureNames) differs("their features");
      if (r.classNames != m.classNames) differs("their classes (class_names)");
      if (r.header.seed != m.foldRule.seed) differs("their seed");
      if (r.header.dataSha256 != m.dataSha256) differs("their data file (sha256)");
      if (r.fold.itemOverrides != m.folds[0].itemOverrides) differs("their search point (item_overrides)");
    }
    m.folds.push_back(std::move(r.fold));
  }
  // The test scores: the caller's (aggregate already has them), or read / recomputed here.
  const FoldScores own = given ? FoldScores{} : foldScores(paths, false);
  const FoldScores& scores = given ? *given : own;
  if (scores.test.size() != m.folds.size())
    throw Error(ErrorCategory::Internal, "fromResultFiles: test scores of " + std::to_string(scores.test.size()) +
                                             " folds for " + std::to_string(m.folds.size()) + " result files");
  m.foldRule.testRows = scores.testRows;
  m.testLabels = scores.testLabels;
  m.testWeights = scores.testWeights;
  for (std::size_t k = 0; k < m.folds.size(); ++k) m.folds[k].testScores = scores.test[k];
  recordKeys(m);
  if (m.classNames.empty()) computeTestSummary(m, efficiencies);
  else multiClassTestSummary(m, scores);
  m.version = versionString();
  return m;
}

nn::Network buildNetwork(const FoldModel& f) {
  nn::Network net(f.inputs, f.network, 0, f.outputs);
  if (net.params().size() != f.params.size() || net.state().size() != f.state.size())
    throwInput("fold " + std::to_string(f.fold) + ": the stored parameters do not fit its network configuration");
  net.params() = f.params;
  net.state() = f.state;
  return net;
}

void writeModel(const std::string& path, const Model& m) {
  h5::writeAtomically(path, [&](h5::File& f) {
    f.setAttr("format", std::string(kModelFormat));
    f.setAttr("format_version", kModelFormatVersion);
    f.setAttr("created", utcTimestamp());
    f.setAttr("version", versionString());
    f.setAttr("train_version", m.trainVersion);
    f.setAttr("campaign", m.campaignToml);
    f.setAttr("data_file", m.dataFile);
    f.setAttr("data_sha256", m.dataSha256);
    f.setAttr("folds", static_cast<std::int64_t>(m.numFolds()));
    const int classes = scoreColumns(m);
    f.setAttr("ensemble", std::string(classes > 1 ? "mean of the fold models' softmax probabilities, per class"
                                                  : "mean of the fold models' sigmoid scores"));
    f.setAttr("ensemble_test_auc", m.ensembleTestAuc);
    f.writeStrings("feature_names", m.featureNames);
    if (classes > 1) {
      for (const FoldModel& fm : m.folds)
        if (fm.outputs != classes)
          throw Error(ErrorCategory::Internal, "writeModel: fold " + std::to_string(fm.fold) + " has " +
                                                   std::to_string(fm.outputs) + " outputs for " + std::to_string(classes) +
                                                   " classes");
      f.writeStrings("class_names", m.classNames);
      f.setAttr("classes", static_cast<std::int64_t>(classes));
    }
    // Multi-class test scores are (events x K), as h5py users index them: scores[:, k].
    const auto writeScores = [classes](const h5::Group& g, const std::string& name, const std::vector<float>& v) {
      if (classes == 1) {
        g.write<float>(name, asSpan(v));
        return;
      }
      const auto k = static_cast<std::size_t>(classes);
      if (v.size() % k != 0)
        throw Error(ErrorCategory::Internal, "writeModel: " + std::to_string(v.size()) + " test scores for " +
                                                 std::to_string(k) + " classes");
      g.write2d<float>(name, v.data(), v.size() / k, k);
    };

    const h5::Group rule = f.createGroup("fold_rule");
    const FoldRule& r = m.foldRule;
    rule.setAttr("seed", static_cast<std::int64_t>(r.seed));
    rule.setAttr("folds", static_cast<std::int64_t>(r.folds));
    rule.setAttr("key", std::string(toString(r.key)));
    rule.setAttr("id_column", r.idColumn);
    rule.setAttr("split_train", r.split.train);
    rule.setAttr("split_val", r.split.val);
    rule.setAttr("split_test", r.split.test);
    rule.setAttr("data_rows", r.dataRows);
    rule.setAttr("rule", std::string(
        "fold(key) = hepsweep::data::foldOf(key, folds, seed); key = the event id when the data has ids, "
        "else the row index in the data file; fold k's model validated on fold k and trained on the "
        "others; test_rows/test_keys are the held-out test events, which no fold trained on"));
    rule.write<std::int64_t>("test_rows", asSpan(r.testRows));
    rule.write<std::int64_t>("test_keys", asSpan(r.testKeys));

    const h5::Group test = f.createGroup("test");
    test.write<float>("labels", asSpan(m.testLabels));
    test.write<float>("weights", asSpan(m.testWeights));
    writeScores(test, "scores", m.testScores);

    const h5::Group wp = f.createGroup("working_points");
    std::vector<double> eff, thr, bkg;
    for (const auto& w : m.workingPoints) {
      eff.push_back(w.signalEfficiency);
      thr.push_back(w.threshold);
      bkg.push_back(w.backgroundEfficiency);
    }
    wp.write<double>("signal_efficiency", asSpan(eff), false);
    wp.write<double>("threshold", asSpan(thr), false);
    wp.write<double>("background_efficiency", asSpan(bkg), false);

    for (const FoldModel& fm : m.folds) {
      const h5::Group g = f.createGroup(foldGroupName(fm.fold));
      g.setAttr("fold", static_cast<std::int64_t>(fm.fold));
      g.setAttr("result_file", fm.resultFile);
      g.setAttr("item_overrides", fm.itemOverrides);
      g.setAttr("val_loss", fm.valLoss);
      g.setAttr("val_auc", fm.valAuc);
      g.setAttr("test_auc", fm.testAuc);
      rundir::writePreprocess(g.createGroup("preprocess"), fm.preprocess);
      const h5::Group net = g.createGroup("model");
      net.writeStrings("feature_names", m.featureNames);
      rundir::writeNetwork(net, buildNetwork(fm));
      writeScores(g, "test_scores", fm.testScores);
    }
  });
}

Model readModel(const std::string& path) {
  const h5::File f = h5::File::open(path);
  checkFormat(f, path, kModelFormat, kModelFormatVersion, "hepsweep model file (best-model.h5 from `hepsweep aggregate`)");
  Model m;
  m.created = f.attrString("created");
  m.version = f.attrString("version");
  m.trainVersion = f.attrString("train_version");
  m.campaignToml = f.attrString("campaign");
  m.dataFile = f.attrString("data_file");
  m.dataSha256 = f.attrString("data_sha256");
  m.ensembleTestAuc = f.attrDouble("ensemble_test_auc");
  m.featureNames = f.readStrings("feature_names");
  if (f.exists("class_names")) {
    m.classNames = f.readStrings("class_names");
    if (m.classNames.size() < 2)
      throwInput("'" + path + "': /class_names holds " + std::to_string(m.classNames.size()) +
                 " names; a multi-class model has at least two classes");
  }
  const int classes = scoreColumns(m);

  const h5::Group rule = f.openGroup("fold_rule");
  FoldRule& r = m.foldRule;
  r.seed = static_cast<std::uint64_t>(rule.attrInt("seed"));
  r.folds = static_cast<int>(rule.attrInt("folds"));
  r.key = parseFoldKey(rule.attrString("key"));
  r.idColumn = rule.attrString("id_column");
  r.split = {rule.attrDouble("split_train"), rule.attrDouble("split_val"), rule.attrDouble("split_test")};
  r.dataRows = rule.attrInt("data_rows");
  r.testRows = rule.read<std::int64_t>("test_rows");
  r.testKeys = rule.read<std::int64_t>("test_keys");

  const h5::Group test = f.openGroup("test");
  m.testLabels = test.read<float>("labels");
  m.testWeights = test.read<float>("weights");
  m.testScores = test.read<float>("scores");

  const h5::Group wp = f.openGroup("working_points");
  const auto eff = wp.read<double>("signal_efficiency"), thr = wp.read<double>("threshold"),
             bkg = wp.read<double>("background_efficiency");
  for (std::size_t i = 0; i < eff.size() && i < thr.size() && i < bkg.size(); ++i)
    m.workingPoints.push_back({eff[i], thr[i], bkg[i]});

  const auto folds = f.attrInt("folds");
  if (folds != r.folds) throwInput("'" + path + "': " + std::to_string(folds) + " fold models but the fold rule has " +
                                   std::to_string(r.folds) + " folds");
  for (std::int64_t k = 0; k < folds; ++k) {
    const std::string name = foldGroupName(static_cast<int>(k));
    if (!f.exists(name)) throwInput("'" + path + "' lacks the group /" + name + " (fold " + std::to_string(k) + "'s model)");
    const h5::Group g = f.openGroup(name);
    FoldModel fm;
    fm.fold = static_cast<int>(k);
    fm.resultFile = g.attrString("result_file");
    fm.itemOverrides = g.attrString("item_overrides");
    fm.valLoss = g.attrDouble("val_loss");
    fm.valAuc = g.attrDouble("val_auc");
    fm.testAuc = g.attrDouble("test_auc");
    fm.preprocess = rundir::readPreprocess(g.openGroup("preprocess"));
    fillNetwork(fm, rundir::readNetwork(g.openGroup("model")));
    if (fm.outputs != classes)
      throwInput("'" + path + "': fold " + std::to_string(k) + "'s network has " + std::to_string(fm.outputs) +
                 " outputs, but the model has " +
                 (classes > 1 ? std::to_string(classes) + " classes (/class_names)" : std::string("no /class_names (binary: one output)")));
    fm.testScores = g.read<float>("test_scores");
    m.folds.push_back(std::move(fm));
  }
  if (m.testScores.size() != m.testLabels.size() * static_cast<std::size_t>(classes) ||
      r.testRows.size() != m.testLabels.size())
    throwInput("'" + path + "': the test-set datasets have different lengths");
  return m;
}

FoldScorer::FoldScorer(const FoldModel& f, std::span<const std::string> tableColumns)
    : fold_(f), net_(buildNetwork(f)), pre_(f.preprocess, data::inputColumns(f.preprocess, tableColumns)),
      buffer_(kChunkRows, f.preprocess.outputs()) {
  // A chunk's products on this thread: callers that want more split the rows over threads.
  net_.setKernelThreads(1);
}

void FoldScorer::scoreChunks(const data::FeatureMatrix& table, const data::Index* rows, Eigen::Index n,
                             Eigen::VectorXf& out) {
  // As train::Trainer::computeLogits/evaluate: fixed chunks, inference mode, then the sigmoid
  // over the whole vector in float (so the vectorised and scalar tail positions agree).
  const Eigen::Index k = fold_.outputs;
  logits_.setZero(n * k);
  for (Eigen::Index start = 0; start < n; start += kChunkRows) {
    const Eigen::Index b = std::min(kChunkRows, n - start);
    for (Eigen::Index i = 0; i < b; ++i) {
      const data::Index r = rows[start + i];
      if (r < 0 || r >= table.rows())
        throw Error(ErrorCategory::Internal, "FoldScorer: row " + std::to_string(r) + " outside a table of " +
                                                 std::to_string(table.rows()) + " rows");
      pre_.applyRow(table.row(r).data(), buffer_.row(i).data());
    }
    forwardChunk(b, start);
  }
  if (k > 1) softmaxOfLogits(out);
  else sigmoidOfLogits(out);
}

void FoldScorer::forwardChunk(Eigen::Index b, Eigen::Index start) {
  const Eigen::Map<const Eigen::MatrixXf> xc(buffer_.data(), buffer_.cols(), b);
  if (fold_.outputs == 1) {
    logits_.segment(start, b) = net_.forward(xc, false).transpose();
    return;
  }
  // (K x b) column-major: event-major, as the scores are laid out.
  Eigen::Map<Eigen::MatrixXf>(logits_.data() + start * fold_.outputs, fold_.outputs, b) = net_.forwardMulti(xc, false);
}

void FoldScorer::scoreTable(const float* table, Eigen::Index stride, Eigen::Index n, Eigen::VectorXf& out) {
  beginTable(n);
  for (Eigen::Index start = 0; start < n; start += kChunkRows)
    scoreTableChunk(table, stride, start, std::min(kChunkRows, n - start));
  finishTable(out);
}

void FoldScorer::beginTable(Eigen::Index rows) { logits_.resize(rows * fold_.outputs); }

void FoldScorer::scoreTableChunk(const float* table, Eigen::Index stride, Eigen::Index start, Eigen::Index b) {
  pre_.applyConsecutive(table + start * stride, stride, b, buffer_.data());
  forwardChunk(b, start);
}

void FoldScorer::finishTable(Eigen::VectorXf& out) {
  if (fold_.outputs > 1) softmaxOfLogits(out);
  else sigmoidOfLogits(out);
}

void FoldScorer::sigmoidOfLogits(Eigen::VectorXf& out) {
  nn::sigmoid(logits_, out);
}

void FoldScorer::softmaxOfLogits(Eigen::VectorXf& out) {
  const Eigen::Index k = fold_.outputs;
  out.resize(logits_.size());
  for (Eigen::Index i = 0; i < logits_.size(); i += k) nn::softmax(logits_.segment(i, k), out.segment(i, k));
}

std::vector<float> FoldScorer::scoreRows(const data::FeatureMatrix& table, std::span<const data::Index> rows) {
  Eigen::VectorXf scores;
  scoreChunks(table, rows.data(), static_cast<Eigen::Index>(rows.size()), scores);
  return {scores.data(), scores.data() + scores.size()};
}

void FoldScorer::scoreAll(const data::FeatureMatrix& table, Eigen::VectorXf& out) {
  scoreTable(table.data(), table.cols(), table.rows(), out);
}

Scorer::Scorer(const Model& m) : Scorer(m, m.featureNames) {}

Scorer::Scorer(const Model& m, std::span<const std::string> tableColumns)
    : model_(m), tableColumns_(tableColumns.size()), classes_(scoreColumns(m)) {
  for (const FoldModel& f : m.folds) {
    if (f.outputs != classes_)
      throwInput("fold " + std::to_string(f.fold) + "'s network has " + std::to_string(f.outputs) +
                 " outputs for a model of " + std::to_string(classes_) + " score columns");
    for (const auto& name : f.preprocess.inputNames)
      if (std::find(m.featureNames.begin(), m.featureNames.end(), name) == m.featureNames.end())
        throwInput("fold " + std::to_string(f.fold) + "'s preprocessing needs feature " + str::quoted(name) +
                   ", which the model's feature list lacks");
    folds_.push_back(std::make_unique<FoldScorer>(f, tableColumns));
  }
}

void Scorer::scoreFolds(const data::FeatureMatrix& x, data::FeatureMatrix& perFold) {
  if (x.cols() != static_cast<Eigen::Index>(model_.featureNames.size()) ||
      tableColumns_ != model_.featureNames.size())
    throw Error(ErrorCategory::Internal, "Scorer: " + std::to_string(x.cols()) + " columns given, the model has " +
                                             std::to_string(model_.featureNames.size()) + " features");
  scoreTable(x.data(), x.cols(), x.rows(), perFold);
}

void Scorer::scoreTable(const float* table, Eigen::Index stride, Eigen::Index rows, data::FeatureMatrix& perFold) {
  if (stride < static_cast<Eigen::Index>(tableColumns_))
    throw Error(ErrorCategory::Internal, "Scorer: rows of " + std::to_string(stride) + " floats for a table of " +
                                             std::to_string(tableColumns_) + " columns");
  perFold.resize(rows, static_cast<Eigen::Index>(folds()) * classes_);
  // Chunk by chunk, every fold in turn: the chunk's raw rows (1024 x the table's columns) are
  // read from memory once and stay in the core's cache for the other folds.
  for (const auto& f : folds_) f->beginTable(rows);
  for (Eigen::Index start = 0; start < rows; start += kChunkRows)
    for (const auto& f : folds_) f->scoreTableChunk(table, stride, start, std::min(kChunkRows, rows - start));
  for (int k = 0; k < folds(); ++k) {
    folds_[static_cast<std::size_t>(k)]->finishTable(scores_);
    if (classes_ == 1) perFold.col(k) = scores_;
    else perFold.middleCols(static_cast<Eigen::Index>(k) * classes_, classes_) =
             Eigen::Map<const data::FeatureMatrix>(scores_.data(), rows, classes_);
  }
}

std::vector<float> ensembleMean(const std::vector<std::vector<float>>& folds) {
  const std::size_t n = folds.empty() ? 0 : folds.front().size();
  std::vector<double> sum(n, 0.0);
  for (const auto& fold : folds) {
    if (fold.size() != n)
      throw Error(ErrorCategory::Internal, "ensembleMean: fold vectors of " + std::to_string(fold.size()) + " and " +
                                               std::to_string(n) + " values");
    for (std::size_t i = 0; i < n; ++i) sum[i] += fold[i];
  }
  std::vector<float> mean(n);
  for (std::size_t i = 0; i < n; ++i) mean[i] = static_cast<float>(sum[i] / static_cast<double>(folds.size()));
  return mean;
}

Eigen::VectorXf ensembleMean(const data::FeatureMatrix& perFold, int classes) {
  if (classes < 1 || perFold.cols() % classes != 0)
    throw Error(ErrorCategory::Internal, "ensembleMean: " + std::to_string(perFold.cols()) + " columns for " +
                                             std::to_string(classes) + " classes");
  const Eigen::Index c = classes, folds = perFold.cols() / c;
  Eigen::VectorXf out(perFold.rows() * c);
  const auto k = static_cast<double>(folds);
  for (Eigen::Index i = 0; i < perFold.rows(); ++i)
    for (Eigen::Index q = 0; q < c; ++q) {
      double s = 0;
      for (Eigen::Index j = 0; j < folds; ++j) s += static_cast<double>(perFold(i, j * c + q));
      out[i * c + q] = static_cast<float>(s / k);
    }
  return out;
}

}  // namespace hepsweep::model
