#include "hepsweep/train/Trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/dist/GradientReduction.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Optimizer.hpp"

namespace hepsweep::train {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A split's labels and weights for every event, network inputs for the `held` events only
// (sorted indices into `rows`; nullptr: all).
SplitData makeSplit(const data::Dataset& columns, const data::RowReader& reader, std::vector<data::Index> rows,
                    const data::PreprocessParams& pp, const std::vector<data::Index>* held) {
  SplitData s;
  s.rows = std::move(rows);
  const auto n = static_cast<Eigen::Index>(s.rows.size());
  s.labels.resize(n);
  s.weights.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    s.labels[i] = columns.labels[s.rows[static_cast<std::size_t>(i)]];
    s.weights[i] = columns.weights[s.rows[static_cast<std::size_t>(i)]];
  }
  std::vector<data::Index> fileRows;
  if (held) {
    s.held.assign(static_cast<std::size_t>(n), -1);
    fileRows.reserve(held->size());
    for (std::size_t k = 0; k < held->size(); ++k) {
      s.held[static_cast<std::size_t>((*held)[k])] = static_cast<Eigen::Index>(k);
      fileRows.push_back(s.rows[static_cast<std::size_t>((*held)[k])]);
    }
  }
  data::FeatureMatrix raw;
  reader.read(held ? std::span<const data::Index>(fileRows) : std::span<const data::Index>(s.rows), raw);
  data::applyPreprocess(pp, raw, s.x);
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
  return prepareData(cfg, ds, data::DatasetRowReader(ds), dataFile, sha256, log, partition, RankShare{});
}

PreparedData prepareData(const RunConfig& cfg, const data::Dataset& columns, const data::RowReader& reader,
                         const std::string& dataFile, const std::string& sha256, const Logger& log,
                         const data::Partition* partition, const RankShare& share) {
  PreparedData p;
  p.dataFile = dataFile;
  p.dataSha256 = sha256;
  p.featureNames = columns.featureNames;
  const auto events = columns.labels.size();
  p.hasWeights = (columns.weights.array() != 1.0f).any();
  for (Eigen::Index i = 0; i < events; ++i) (columns.labels[i] > 0.5f ? p.nSignalInput : p.nBackgroundInput) += 1;

  const std::span<const float> labels(columns.labels.data(), static_cast<std::size_t>(events));
  const std::span<const float> weights(columns.weights.data(), static_cast<std::size_t>(events));
  data::Partition part = partition ? *partition : data::stratifiedSplit(labels, cfg.data.split, cfg.seed);

  // Balancing shapes what the network learns from and is judged on during training (train and
  // validation); the test set keeps the natural class mix so that its efficiencies are physical.
  const std::uint64_t balanceKey = rng::streamKey(cfg.seed, rng::Stream::Balance);
  part.train = data::balanceRows(part.train, labels, cfg.data.balance, rng::derive(balanceKey, 0));
  part.val = data::balanceRows(part.val, labels, cfg.data.balance, rng::derive(balanceKey, 1));
  p.balanceFactors = data::balanceFactors(part.train, labels, weights, cfg.data.balance);

  std::vector<data::Index> fitRows;
  if (cfg.preprocess.fitOn == data::FitOn::All) {
    fitRows.resize(static_cast<std::size_t>(events));
    std::iota(fitRows.begin(), fitRows.end(), data::Index{0});
  } else {
    fitRows = part.train;
  }
  // Every rank fits on all fit rows (streamed in blocks), so all get the same parameters.
  p.preprocess = data::fitPreprocess(columns, reader, fitRows, cfg.preprocess);

  if (share.size > 1) {
    const HeldEvents held = heldEvents(cfg, static_cast<data::Index>(part.train.size()),
                                       static_cast<data::Index>(part.val.size()),
                                       static_cast<data::Index>(part.test.size()), share);
    p.train = makeSplit(columns, reader, std::move(part.train), p.preprocess, &held.train);
    p.val = makeSplit(columns, reader, std::move(part.val), p.preprocess, &held.val);
    p.test = makeSplit(columns, reader, std::move(part.test), p.preprocess, &held.test);
  } else {
    p.train = makeSplit(columns, reader, std::move(part.train), p.preprocess, nullptr);
    p.val = makeSplit(columns, reader, std::move(part.val), p.preprocess, nullptr);
    p.test = makeSplit(columns, reader, std::move(part.test), p.preprocess, nullptr);
  }
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
  log.info("data: " + std::to_string(events) + " events (" + std::to_string(p.nSignalInput) + " signal, " +
           std::to_string(p.nBackgroundInput) + " background), " + std::to_string(columns.featureNames.size()) +
           " features; split " + std::to_string(p.train.size()) + " train / " + std::to_string(p.val.size()) +
           " val / " + std::to_string(p.test.size()) + " test");
  return p;
}

std::vector<std::vector<data::Index>> microBatchSlots(data::Index events, data::Index batch, int micro,
                                                      std::uint64_t seed, bool shuffle) {
  std::vector<data::Index> first(static_cast<std::size_t>(events));
  std::iota(first.begin(), first.end(), data::Index{0});
  if (shuffle) rng::shuffle(first.data(), first.size(), rng::derive(rng::streamKey(seed, rng::Stream::Shuffle), 0));
  std::vector<std::vector<data::Index>> slots(static_cast<std::size_t>(micro));
  batch = std::max<data::Index>(1, std::min(batch, events));
  for (data::Index start = 0; start < events; start += batch) {
    const data::Index b = std::min(batch, events - start);
    for (int k = 0; k < micro; ++k)
      for (data::Index i = k * b / micro; i < (k + 1) * b / micro; ++i)
        slots[static_cast<std::size_t>(k)].push_back(first[static_cast<std::size_t>(start + i)]);
  }
  return slots;
}

HeldEvents heldEvents(const RunConfig& cfg, data::Index nTrain, data::Index nVal, data::Index nTest,
                      const RankShare& share) {
  const auto chunks = [&](data::Index n, std::vector<data::Index>& out) {
    for (data::Index c = share.rank; c * kEvalChunk < n; c += share.size)
      for (data::Index i = c * kEvalChunk; i < std::min(n, (c + 1) * kEvalChunk); ++i) out.push_back(i);
  };
  HeldEvents h;
  const auto slots = microBatchSlots(nTrain, cfg.train.batchSize, cfg.train.microBatches, cfg.seed, cfg.train.shuffle);
  const dist::MicroBatchRange mine = dist::microBatchShare(cfg.train.microBatches, share.size, share.rank);
  for (int k = mine.first; k < mine.first + mine.count; ++k)
    h.train.insert(h.train.end(), slots[static_cast<std::size_t>(k)].begin(), slots[static_cast<std::size_t>(k)].end());
  chunks(nTrain, h.train);
  std::sort(h.train.begin(), h.train.end());
  h.train.erase(std::unique(h.train.begin(), h.train.end()), h.train.end());
  chunks(nVal, h.val);
  chunks(nTest, h.test);
  return h;
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
  slots_ = microBatchSlots(data.train.size(), cfg.train.batchSize, m, cfg.seed, cfg.train.shuffle);
  epochSlots_ = slots_;
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

  // Epoch 1 uses the slots as cut; later epochs permute the events within each slot, so a rank
  // keeps training on the events it holds.
  const std::uint64_t shuffleKey = rng::derive(rng::streamKey(cfg_.seed, rng::Stream::Shuffle), e);
  for (int k = mine.first; k < mine.first + mine.count; ++k) {
    auto& order = epochSlots_[static_cast<std::size_t>(k)];
    std::copy(slots_[static_cast<std::size_t>(k)].begin(), slots_[static_cast<std::size_t>(k)].end(), order.begin());
    if (cfg_.train.shuffle && epoch > 1) rng::shuffle(order.data(), order.size(), rng::derive(shuffleKey, static_cast<std::uint64_t>(k)));
  }
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
    // Micro-batch k takes the next k*b/M .. (k+1)*b/M events of slot k, whichever rank computes it.
    for (int k = mine.first; k < mine.first + mine.count; ++k) {
      const Eigen::Index lo = k * b / micro, hi = (k + 1) * b / micro, m = hi - lo;
      if (m == 0) {
        accumulator_.add(zeros);
        continue;
      }
      const auto& order = epochSlots_[static_cast<std::size_t>(k)];
      const Eigen::Index offset = start / batch * (((k + 1) * batch / micro) - (k * batch / micro));
      for (Eigen::Index i = 0; i < m; ++i) {
        const data::Index event = order[static_cast<std::size_t>(offset + i)];
        batchX_.row(i) = tr.x.row(tr.inputRow(event));
        batchY_[i] = tr.labels[event];
        batchW_[i] = tr.weights[event];
        // Dropout masks follow the event, not its position in the batch.
        batchCounter_[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(tr.rows[static_cast<std::size_t>(event)]);
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
  constexpr Eigen::Index kChunk = kEvalChunk;
  logits.setZero(n);
  const Eigen::Index chunks = (n + kChunk - 1) / kChunk;
  for (Eigen::Index c = group_.rank(); c < chunks; c += group_.size()) {
    const Eigen::Index start = c * kChunk, b = std::min(kChunk, n - start);
    // The rank holds the whole chunk, in order (heldEvents), so its rows are consecutive in x.
    const Eigen::Map<const Eigen::MatrixXf> x(split.x.row(split.inputRow(start)).data(), features, b);
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
  // Negative weights can leave a class of a small split with summed weight <= 0: the weighted
  // ROC is then undefined (NaN, empty curve), which must not fail the training.
  double sumSignal = 0, sumBackground = 0;
  for (Eigen::Index i = 0; i < n; ++i) (split.labels[i] > 0.5f ? sumSignal : sumBackground) += split.weights[i];
  const bool weightedDefined = sumSignal > 0 && sumBackground > 0;
  if (weightedDefined) r.rocWeighted = metrics::rocCurve(scores, labels, weights);
  r.aucWeighted = weightedDefined ? metrics::auc(r.rocWeighted) : std::numeric_limits<double>::quiet_NaN();
  for (double e : cfg_.metrics.signalEfficiencies) {
    r.bkgEff.push_back(metrics::bkgEffAtSigEff(r.roc, e));
    r.bkgEffWeighted.push_back(r.weightedBkgEffAt(e));
  }
  r.confusion = metrics::confusion(scores, labels, weights, cfg_.metrics.threshold);
  return r;
}

double EvalResult::weightedBkgEffAt(double signalEfficiency) const {
  return rocWeighted.fpr.empty() ? std::numeric_limits<double>::quiet_NaN()
                                 : metrics::bkgEffAtSigEff(rocWeighted, signalEfficiency);
}

}  // namespace hepsweep::train
