#include "hepsweep/train/Trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Optimizer.hpp"

namespace hepsweep::train {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

SplitData makeSplit(const data::Dataset& ds, std::vector<data::Index> rows, const data::PreprocessParams& pp) {
  SplitData s;
  s.rows = std::move(rows);
  data::applyPreprocess(pp, ds, s.rows, s.x);
  const auto n = static_cast<Eigen::Index>(s.rows.size());
  s.labels.resize(n);
  s.weights.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    s.labels[i] = ds.labels[s.rows[static_cast<std::size_t>(i)]];
    s.weights[i] = ds.weights[s.rows[static_cast<std::size_t>(i)]];
  }
  return s;
}

void scaleByClass(SplitData& s, double signal, double background) {
  for (Eigen::Index i = 0; i < s.size(); ++i)
    s.weights[i] = static_cast<float>(s.weights[i] * (s.labels[i] > 0.5f ? signal : background));
}

std::span<const float> span(const Eigen::VectorXf& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }

}  // namespace

PreparedData prepareData(const RunConfig& cfg, const Logger& log) {
  if (cfg.data.file.empty()) throwConfig("data.file is not set: name the HDF5 file written by `hepsweep convert`");
  const data::Dataset ds = io::readDataset(cfg.data.file, cfg.data.features);
  return prepareData(cfg, ds, cfg.data.file, sha256File(cfg.data.file), log);
}

PreparedData prepareData(const RunConfig& cfg, const data::Dataset& ds, const std::string& dataFile,
                         const std::string& sha256, const Logger& log) {
  PreparedData p;
  p.dataFile = dataFile;
  p.dataSha256 = sha256;
  p.featureNames = ds.featureNames;
  p.hasWeights = (ds.weights.array() != 1.0f).any();
  for (Eigen::Index i = 0; i < ds.rows(); ++i) (ds.labels[i] > 0.5f ? p.nSignalInput : p.nBackgroundInput) += 1;

  const std::span<const float> labels(ds.labels.data(), static_cast<std::size_t>(ds.rows()));
  const std::span<const float> weights(ds.weights.data(), static_cast<std::size_t>(ds.rows()));
  data::Partition part = data::stratifiedSplit(labels, cfg.data.split, cfg.seed);

  // Balancing shapes what the network learns from and is judged on during training (train and
  // validation); the test set keeps the natural class mix so that its efficiencies are physical.
  const std::uint64_t balanceKey = rng::streamKey(cfg.seed, rng::Stream::Balance);
  part.train = data::balanceRows(part.train, labels, cfg.data.balance, rng::derive(balanceKey, 0));
  part.val = data::balanceRows(part.val, labels, cfg.data.balance, rng::derive(balanceKey, 1));
  p.balanceFactors = data::balanceFactors(part.train, labels, weights, cfg.data.balance);

  std::vector<data::Index> fitRows;
  if (cfg.preprocess.fitOn == data::FitOn::All) {
    fitRows.resize(static_cast<std::size_t>(ds.rows()));
    std::iota(fitRows.begin(), fitRows.end(), data::Index{0});
  } else {
    fitRows = part.train;
  }
  p.preprocess = data::fitPreprocess(ds, fitRows, cfg.preprocess);

  p.train = makeSplit(ds, std::move(part.train), p.preprocess);
  p.val = makeSplit(ds, std::move(part.val), p.preprocess);
  p.test = makeSplit(ds, std::move(part.test), p.preprocess);
  scaleByClass(p.train, p.balanceFactors.signal, p.balanceFactors.background);
  scaleByClass(p.val, p.balanceFactors.signal, p.balanceFactors.background);

  // Class weights multiply the training weights only, as Keras' class_weight does.
  double cs = cfg.train.classWeightSignal, cb = cfg.train.classWeightBackground;
  if (cfg.train.classWeightAuto) {
    double ns = 0, nb = 0;
    for (Eigen::Index i = 0; i < p.train.size(); ++i) (p.train.labels[i] > 0.5f ? ns : nb) += 1;
    const double n = ns + nb;
    cs = ns > 0 ? n / (2 * ns) : 1.0;
    cb = nb > 0 ? n / (2 * nb) : 1.0;
  }
  if (cs != 1.0 || cb != 1.0) scaleByClass(p.train, cs, cb);

  if (p.train.size() == 0) throwConfig("the training split is empty; check data.split");
  if (p.val.size() == 0) throwConfig("the validation split is empty; early stopping and the best-weights checkpoint need one (data.split.val > 0)");
  log.info("data: " + std::to_string(ds.rows()) + " events (" + std::to_string(p.nSignalInput) + " signal, " +
           std::to_string(p.nBackgroundInput) + " background), " + std::to_string(ds.cols()) + " features; split " +
           std::to_string(p.train.size()) + " train / " + std::to_string(p.val.size()) + " val / " +
           std::to_string(p.test.size()) + " test");
  return p;
}

nn::Network makeNetwork(const RunConfig& cfg, int inputs) {
  return nn::Network(inputs, cfg.model, rng::streamKey(cfg.seed, rng::Stream::Init));
}

EarlyStopping::EarlyStopping(const EarlyStoppingConfig& cfg) : cfg_(cfg) {
  if (cfg_.monitor != "val_loss" && cfg_.monitor != "val_auc")
    throwConfig("train.early_stopping.monitor must be 'val_loss' or 'val_auc', got '" + cfg_.monitor + "'");
  best_ = cfg_.monitor == "val_auc" ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

bool EarlyStopping::onEpochEnd(const EpochRecord& rec, nn::Network& net) {
  const bool maximise = cfg_.monitor == "val_auc";
  const double value = maximise ? rec.valAuc : rec.valLoss;
  improvedLast_ = maximise ? value > best_ + cfg_.minDelta : value < best_ - cfg_.minDelta;
  if (improvedLast_) {
    best_ = value;
    bestEpoch_ = rec.epoch;
    wait_ = 0;
    bestParams_ = net.params();
    bestState_ = net.state();
    return false;
  }
  ++wait_;
  if (cfg_.enabled && wait_ >= cfg_.patience) stopped_ = true;
  return stopped_;
}

void EarlyStopping::onTrainEnd(nn::Network& net) {
  if (cfg_.restoreBest && bestEpoch_ > 0) {
    net.params() = bestParams_;
    net.state() = bestState_;
  }
}

Trainer::Trainer(const RunConfig& cfg, const PreparedData& data, Logger log)
    : cfg_(cfg), data_(data), log_(std::move(log)),
      net_(makeNetwork(cfg, static_cast<int>(data.train.x.cols()))) {
  const auto b = static_cast<Eigen::Index>(cfg.train.batchSize);
  batchX_.resize(b, data.train.x.cols());
  batchY_.resize(b);
  batchW_.resize(b);
  dlogits_.resize(b);
  batchCounter_.resize(static_cast<std::size_t>(b));
  order_.resize(static_cast<std::size_t>(data.train.size()));
}

double Trainer::trainOneEpoch(int epoch, nn::Optimizer& optimizer) {
  const SplitData& tr = data_.train;
  const Eigen::Index n = tr.size();
  const Eigen::Index features = tr.x.cols();
  const Eigen::Index batch = std::min<Eigen::Index>(cfg_.train.batchSize, n);
  const auto e = static_cast<std::uint64_t>(epoch);

  std::iota(order_.begin(), order_.end(), data::Index{0});
  if (cfg_.train.shuffle) rng::shuffle(order_.data(), order_.size(), rng::derive(rng::streamKey(cfg_.seed, rng::Stream::Shuffle), e));
  const std::uint64_t dropoutKey = rng::derive(rng::streamKey(cfg_.seed, rng::Stream::Dropout), e);

  double lossSum = 0;
  Eigen::Index used = 0;
  for (Eigen::Index start = 0; start < n; start += batch) {
    const Eigen::Index b = std::min(batch, n - start);
    // Batch statistics of a single event are undefined; like drop_last, skip such a remainder.
    if (b == 1 && cfg_.model.batchNorm) continue;
    for (Eigen::Index i = 0; i < b; ++i) {
      const data::Index row = order_[static_cast<std::size_t>(start + i)];
      batchX_.row(i) = tr.x.row(row);
      batchY_[i] = tr.labels[row];
      batchW_[i] = tr.weights[row];
      // Dropout masks follow the event, not its position in the batch.
      batchCounter_[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(tr.rows[static_cast<std::size_t>(row)]);
    }
    // Row-major (b x features) rows are a column-major (features x b) matrix.
    const Eigen::Map<const Eigen::MatrixXf> x(batchX_.data(), features, b);
    const nn::DropoutContext dropout{dropoutKey, {batchCounter_.data(), static_cast<std::size_t>(b)}};

    net_.zeroGrads();
    const Eigen::RowVectorXf& logits = net_.forward(x, /*training=*/true, dropout);
    const double loss = nn::bceWithLogits(logits, batchY_.head(b), batchW_.head(b), static_cast<double>(b), dlogits_.head(b));
    net_.backward(dlogits_.head(b));
    if (cfg_.train.l1 != 0.0f || cfg_.train.l2 != 0.0f) net_.addPenalty(cfg_.train.l1, cfg_.train.l2);
    optimizer.step(net_.params(), net_.grads());
    lossSum += loss * static_cast<double>(b);
    used += b;
  }
  return lossSum / static_cast<double>(used);
}

TrainResult Trainer::fit(const std::vector<Callback*>& callbacks) {
  TrainResult result;
  auto optimizer = nn::makeOptimizer(cfg_.train.optimizer, net_.numParams());
  EarlyStopping early(cfg_.train.earlyStopping);

  const auto t0 = Clock::now();
  for (int epoch = 1; epoch <= cfg_.train.epochs; ++epoch) {
    const auto te = Clock::now();
    EpochRecord rec;
    rec.epoch = epoch;
    rec.trainLoss = trainOneEpoch(epoch, *optimizer);
    const bool finite = std::isfinite(rec.trainLoss) && net_.params().allFinite();
    if (!finite)
      throwNumeric("training diverged at epoch " + std::to_string(epoch) + " (train loss " +
                   std::to_string(rec.trainLoss) + "); try a smaller train.learning_rate");
    const EvalResult v = evaluate(data_.val);
    rec.valLoss = v.loss;
    rec.valAuc = v.auc;
    rec.learningRate = optimizer->learningRate();
    rec.seconds = secondsSince(te);
    result.history.push_back(rec);
    result.epochsRun = epoch;
    bool stop = early.onEpochEnd(rec, net_);
    for (Callback* cb : callbacks) stop = cb->onEpochEnd(rec, net_) || stop;
    if (stop) {
      result.stoppedEarly = true;
      break;
    }
  }
  result.trainSeconds = secondsSince(t0);
  result.samplesPerSecond = result.trainSeconds > 0
      ? static_cast<double>(data_.train.size()) * result.epochsRun / result.trainSeconds : 0.0;
  early.onTrainEnd(net_);
  for (Callback* cb : callbacks) cb->onTrainEnd(net_);
  result.bestEpoch = cfg_.train.earlyStopping.restoreBest ? early.bestEpoch() : result.epochsRun;

  result.train = evaluate(data_.train);
  result.val = evaluate(data_.val);
  result.test = evaluate(data_.test);
  return result;
}

EvalResult Trainer::evaluate(const SplitData& split) {
  EvalResult r;
  const Eigen::Index n = split.size();
  r.scores.resize(n);
  if (n == 0) return r;
  const Eigen::Index features = split.x.cols();
  constexpr Eigen::Index kChunk = 4096;
  double lossSum = 0;
  for (Eigen::Index start = 0; start < n; start += kChunk) {
    const Eigen::Index b = std::min(kChunk, n - start);
    const Eigen::Map<const Eigen::MatrixXf> x(split.x.row(start).data(), features, b);
    const Eigen::RowVectorXf& logits = net_.forward(x, false);
    lossSum += nn::bceWithLogitsValue(logits, split.labels.segment(start, b).transpose(),
                                      split.weights.segment(start, b).transpose(), 1.0);
    r.scores.segment(start, b) = (1.0f / (1.0f + (-logits.array()).exp())).transpose();
  }
  r.loss = lossSum / static_cast<double>(n);
  if (!std::isfinite(r.loss) || !r.scores.allFinite())
    throwNumeric("the network's output is not finite (loss " + std::to_string(r.loss) +
                 "): training diverged; try a smaller train.learning_rate");
  const auto scores = span(r.scores), labels = span(split.labels), weights = span(split.weights);
  r.roc = metrics::rocCurve(scores, labels);
  r.auc = metrics::auc(r.roc);
  r.rocWeighted = metrics::rocCurve(scores, labels, weights);
  r.aucWeighted = metrics::auc(r.rocWeighted);
  for (double e : cfg_.metrics.signalEfficiencies) {
    r.bkgEff.push_back(metrics::bkgEffAtSigEff(r.roc, e));
    r.bkgEffWeighted.push_back(metrics::bkgEffAtSigEff(r.rocWeighted, e));
  }
  r.confusion = metrics::confusion(scores, labels, weights, cfg_.metrics.threshold);
  return r;
}

}  // namespace hepsweep::train
