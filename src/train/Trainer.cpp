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
                         const std::string& sha256, const Logger& log, const data::Partition* partition) {
  PreparedData p;
  p.dataFile = dataFile;
  p.dataSha256 = sha256;
  p.featureNames = ds.featureNames;
  p.hasWeights = (ds.weights.array() != 1.0f).any();
  for (Eigen::Index i = 0; i < ds.rows(); ++i) (ds.labels[i] > 0.5f ? p.nSignalInput : p.nBackgroundInput) += 1;

  const std::span<const float> labels(ds.labels.data(), static_cast<std::size_t>(ds.rows()));
  const std::span<const float> weights(ds.weights.data(), static_cast<std::size_t>(ds.rows()));
  data::Partition part = partition ? *partition : data::stratifiedSplit(labels, cfg.data.split, cfg.seed);

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

void EarlyStopping::save(Checkpoint& c) const {
  c.best = best_;
  c.bestEpoch = bestEpoch_;
  c.wait = wait_;
  c.bestParams = bestParams_;
  c.bestState = bestState_;
}

void EarlyStopping::load(const Checkpoint& c) {
  best_ = c.best;
  bestEpoch_ = c.bestEpoch;
  wait_ = c.wait;
  bestParams_ = c.bestParams;
  bestState_ = c.bestState;
  stopped_ = false;
}

Trainer::Trainer(const RunConfig& cfg, const PreparedData& data, Logger log, dist::Communicator* group,
                 dist::GradientSum reduction)
    : cfg_(cfg), data_(data), log_(std::move(log)), group_(group ? *group : local_), reduction_(reduction),
      net_(makeNetwork(cfg, static_cast<int>(data.train.x.cols()))),
      optimizer_(nn::makeOptimizer(cfg.train.optimizer, net_.numParams())),
      early_(cfg.train.earlyStopping),
      accumulator_(net_.numParams()) {
  const int m = cfg.train.microBatches;
  if (m < 1) throwConfig("train.micro_batches must be at least 1");
  if (m % group_.size() != 0)
    throwConfig("train.micro_batches = " + std::to_string(m) + " is not a multiple of the " +
                std::to_string(group_.size()) + " ranks training this item");
  if (cfg.model.batchNorm && group_.size() > 1)
    throwConfig("batch normalisation with several ranks per item is not supported yet");
  const auto b = static_cast<Eigen::Index>(cfg.train.batchSize);
  zeros_ = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(net_.numParams()));
  batchX_.resize(b, data.train.x.cols());
  batchY_.resize(b);
  batchW_.resize(b);
  dlogits_.resize(b);
  batchCounter_.resize(static_cast<std::size_t>(b));
  order_.resize(static_cast<std::size_t>(data.train.size()));
  lossSlots_.assign(static_cast<std::size_t>(m), 0.0);
}

double Trainer::trainOneEpoch(int epoch) {
  const SplitData& tr = data_.train;
  const Eigen::Index n = tr.size();
  const Eigen::Index features = tr.x.cols();
  const Eigen::Index batch = std::min<Eigen::Index>(cfg_.train.batchSize, n);
  const int micro = cfg_.train.microBatches;
  const dist::MicroBatchRange mine = dist::microBatchShare(micro, group_.size(), group_.rank());
  const auto e = static_cast<std::uint64_t>(epoch);

  std::iota(order_.begin(), order_.end(), data::Index{0});
  if (cfg_.train.shuffle) rng::shuffle(order_.data(), order_.size(), rng::derive(rng::streamKey(cfg_.seed, rng::Stream::Shuffle), e));
  const std::uint64_t dropoutKey = rng::derive(rng::streamKey(cfg_.seed, rng::Stream::Dropout), e);
  const std::span<const float> zeros(zeros_.data(), static_cast<std::size_t>(zeros_.size()));
  const std::span<float> grads(net_.grads().data(), static_cast<std::size_t>(net_.grads().size()));
  std::fill(lossSlots_.begin(), lossSlots_.end(), 0.0);

  Eigen::Index used = 0;
  for (Eigen::Index start = 0; start < n; start += batch) {
    const Eigen::Index b = std::min(batch, n - start);
    // Batch statistics need at least two events per micro-batch; like drop_last, skip a
    // remainder too small for that.
    if (cfg_.model.batchNorm && b < 2 * micro) continue;
    // Micro-batch k holds rows [k*b/M, (k+1)*b/M) of the batch, whichever rank computes it.
    for (int k = mine.first; k < mine.first + mine.count; ++k) {
      const Eigen::Index lo = k * b / micro, hi = (k + 1) * b / micro, m = hi - lo;
      if (m == 0) {
        accumulator_.add(zeros);
        continue;
      }
      for (Eigen::Index i = 0; i < m; ++i) {
        const data::Index row = order_[static_cast<std::size_t>(start + lo + i)];
        batchX_.row(i) = tr.x.row(row);
        batchY_[i] = tr.labels[row];
        batchW_[i] = tr.weights[row];
        // Dropout masks follow the event, not its position in the batch.
        batchCounter_[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(tr.rows[static_cast<std::size_t>(row)]);
      }
      // Row-major (m x features) rows are a column-major (features x m) matrix.
      const Eigen::Map<const Eigen::MatrixXf> x(batchX_.data(), features, m);
      const nn::DropoutContext dropout{dropoutKey, {batchCounter_.data(), static_cast<std::size_t>(m)}};

      net_.zeroGrads();
      const Eigen::RowVectorXf& logits = net_.forward(x, /*training=*/true, dropout);
      // Normalised by the whole batch: the micro-batch gradients add up to the batch gradient.
      const double loss = nn::bceWithLogits(logits, batchY_.head(m), batchW_.head(m), static_cast<double>(b), dlogits_.head(m));
      net_.backward(dlogits_.head(m));
      accumulator_.add(grads);
      lossSlots_[static_cast<std::size_t>(k)] += loss * static_cast<double>(b);
    }
    accumulator_.finish(grads);
    if (group_.size() > 1) dist::reduceGradients(group_, grads, reduction_);
    if (cfg_.train.l1 != 0.0f || cfg_.train.l2 != 0.0f) net_.addPenalty(cfg_.train.l1, cfg_.train.l2);
    optimizer_->step(net_.params(), net_.grads());
    used += b;
  }
  // Each slot is non-zero on exactly one rank, so the sum is exact whatever the reduction order,
  // and the slots are then added in a fixed order: the same loss for any group size.
  group_.allreduce(std::span<double>(lossSlots_), dist::ReduceOp::Sum);
  double lossSum = 0;
  for (double v : lossSlots_) lossSum += v;
  return used > 0 ? lossSum / static_cast<double>(used) : 0.0;
}

TrainResult Trainer::fit(const std::vector<Callback*>& callbacks) {
  TrainResult result;
  result.history = history_;
  result.epochsRun = epochsDone_;
  double loopSeconds = 0;
  for (const auto& h : history_) loopSeconds += h.seconds;
  bool stop = false;
  // A checkpoint written after the epoch that triggered early stopping resumes as finished.
  if (cfg_.train.earlyStopping.enabled && !history_.empty()) {
    stop = early_.epochsWithoutImprovement() >= cfg_.train.earlyStopping.patience;
    result.stoppedEarly = stop;
  }

  for (int epoch = epochsDone_ + 1; epoch <= cfg_.train.epochs && !stop; ++epoch) {
    const auto te = Clock::now();
    EpochRecord rec;
    rec.epoch = epoch;
    rec.trainLoss = trainOneEpoch(epoch);
    if (!std::isfinite(rec.trainLoss) || !net_.params().allFinite())
      throwNumeric("training diverged at epoch " + std::to_string(epoch) + " (train loss " +
                   std::to_string(rec.trainLoss) + "); try a smaller train.learning_rate");
    const EvalResult v = evaluate(data_.val);
    rec.valLoss = v.loss;
    rec.valAuc = v.auc;
    rec.learningRate = optimizer_->learningRate();
    rec.seconds = secondsSince(te);
    loopSeconds += rec.seconds;
    history_.push_back(rec);
    result.history.push_back(rec);
    result.epochsRun = epochsDone_ = epoch;
    stop = early_.onEpochEnd(rec, net_);
    for (Callback* cb : callbacks) stop = cb->onEpochEnd(rec, net_) || stop;
    result.stoppedEarly = stop;
  }
  result.trainSeconds = loopSeconds;
  result.samplesPerSecond = loopSeconds > 0
      ? static_cast<double>(data_.train.size()) * result.epochsRun / loopSeconds : 0.0;
  early_.onTrainEnd(net_);
  for (Callback* cb : callbacks) cb->onTrainEnd(net_);
  result.bestEpoch = cfg_.train.earlyStopping.restoreBest ? early_.bestEpoch() : result.epochsRun;

  result.train = evaluate(data_.train);
  result.val = evaluate(data_.val);
  result.test = evaluate(data_.test);
  return result;
}

Checkpoint Trainer::checkpoint() const {
  Checkpoint c;
  c.epochsDone = epochsDone_;
  c.params = net_.params();
  c.state = net_.state();
  c.optimizer = optimizer_->saveState();
  c.learningRate = optimizer_->learningRate();
  early_.save(c);
  c.history = history_;
  return c;
}

void Trainer::resume(const Checkpoint& c) {
  if (c.params.size() != net_.params().size() || c.state.size() != net_.state().size())
    throwConfig("the checkpoint holds " + std::to_string(c.params.size()) + " parameters, the network has " +
                std::to_string(net_.params().size()) + ": it belongs to another configuration");
  net_.params() = c.params;
  net_.state() = c.state;
  optimizer_->loadState(c.optimizer);
  optimizer_->setLearningRate(c.learningRate);
  early_.load(c);
  history_ = c.history;
  epochsDone_ = c.epochsDone;
}

void Trainer::computeLogits(const SplitData& split, Eigen::VectorXf& logits) {
  const Eigen::Index n = split.size();
  const Eigen::Index features = split.x.cols();
  // Fixed chunks, dealt round-robin to the group's ranks: an event's logit is computed in the
  // same chunk at the same position whatever the group size, so it has the same bits.
  constexpr Eigen::Index kChunk = 1024;
  logits.setZero(n);
  const Eigen::Index chunks = (n + kChunk - 1) / kChunk;
  for (Eigen::Index c = group_.rank(); c < chunks; c += group_.size()) {
    const Eigen::Index start = c * kChunk, b = std::min(kChunk, n - start);
    const Eigen::Map<const Eigen::MatrixXf> x(split.x.row(start).data(), features, b);
    logits.segment(start, b) = net_.forward(x, false).transpose();
  }
  // Every entry is non-zero on one rank only: the sum is exact in any order.
  if (group_.size() > 1) group_.allreduce(std::span<float>(logits.data(), static_cast<std::size_t>(n)), dist::ReduceOp::Sum);
}

EvalResult Trainer::evaluate(const SplitData& split) {
  EvalResult r;
  const Eigen::Index n = split.size();
  r.scores.resize(n);
  if (n == 0) return r;
  computeLogits(split, logits_);
  r.loss = nn::bceWithLogitsValue(logits_.transpose(), split.labels.transpose(), split.weights.transpose(),
                                  static_cast<double>(n));
  r.scores = (1.0f / (1.0f + (-logits_.array()).exp())).matrix();
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
