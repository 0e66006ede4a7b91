// The training loop of one run (forward, loss, backward, gradient exchange, step, callbacks),
// early stopping, checkpoints and evaluation. Data preparation is in DataPreparation.cpp.
#include "hepsweep/train/Trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Memory.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/dist/GradientReduction.hpp"
#include "hepsweep/metrics/MultiClass.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Optimizer.hpp"
#include "hepsweep/nn/Sigmoid.hpp"

namespace hepsweep::train {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::span<const float> span(const Eigen::VectorXf& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }

// The network's input count, once the network is known to fit this process's memory: its
// parameters with their gradients, optimiser moments and best-epoch copy, and a batch's
// activations. An absurd width (1e8) fails here with the key named, not as "out of memory".
int checkedInputs(const RunConfig& cfg, data::Index inputs) {
  checkNetworkFits(cfg, inputs);
  return static_cast<int>(inputs);
}

}  // namespace

void checkNetworkFits(const RunConfig& cfg, std::int64_t inputs) {
  const std::vector<int> widths = cfg.model.hiddenWidths();
  double params = 0, units = 0, in = static_cast<double>(inputs);
  for (const int w : widths) {
    params += (in + 1) * w;
    units += w;
    in = w;
  }
  params += in + 1;
  const double bytes = 4.0 * (8 * params + 6 * units * static_cast<double>(cfg.train.batchSize));
  if (const auto available = availableMemoryBytes(); available && bytes > static_cast<double>(*available)) {
    const std::string shape = cfg.model.widths.empty()
        ? "model.width = " + std::to_string(cfg.model.width) + ", model.depth = " + std::to_string(cfg.model.depth)
        : "model.widths = [" + str::join([&] {
            std::vector<std::string> t;
            for (const int w : widths) t.push_back(std::to_string(w));
            return t;
          }(), ", ") + "]";
    throwConfig(shape + " with train.batch_size = " + std::to_string(cfg.train.batchSize) + " needs about " +
                str::formatDouble(bytes / 1e9, "%.3g") + " GB (" + str::formatDouble(params, "%.3g") +
                " parameters with their optimiser state, and a batch's activations); this process has " +
                str::formatDouble(static_cast<double>(*available) / 1e9, "%.3g") + " GB available");
  }
}

nn::Network makeNetwork(const RunConfig& cfg, int inputs, int outputs = 1) {
  return nn::Network(inputs, cfg.model, rng::streamKey(cfg.seed, rng::Stream::Init), outputs);
}

EarlyStopping::EarlyStopping(const EarlyStoppingConfig& cfg) : cfg_(cfg) {
  best_ = maximises(cfg_.monitor) ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

CallbackResult EarlyStopping::onEpochEnd(const EpochRecord& rec, nn::Network& net) {
  const bool maximise = maximises(cfg_.monitor);
  const double value = maximise ? rec.valAuc : rec.valLoss;
  improvedLast_ = maximise ? value > best_ + cfg_.minDelta : value < best_ - cfg_.minDelta;
  if (improvedLast_) {
    best_ = value;
    bestEpoch_ = rec.epoch;
    wait_ = 0;
    bestParams_ = net.params();
    bestState_ = net.state();
    return CallbackResult::Continue;
  }
  ++wait_;
  if (cfg_.enabled && wait_ >= cfg_.patience) stopped_ = true;
  return stopped_ ? CallbackResult::Stop : CallbackResult::Continue;
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
    : cfg_(cfg), data_(data), log_(std::move(log)), group_(group ? *group : local_),
      net_(makeNetwork(cfg, checkedInputs(cfg, data.preprocess.outputs()), data.outputs())),
      optimizer_(nn::makeOptimizer(cfg.train.optimizer, net_.numParams())),
      early_(cfg.train.earlyStopping),
      schedule_(cfg.train.lrSchedule, cfg.train.optimizer.learningRate, cfg.train.epochs),
      accumulator_(net_.numParams()),
      exchange_(group_, net_.numParams(), reduction),
      preprocessor_(data.preprocess, data.source.columns) {
  const int m = cfg.train.microBatches;
  if (m < 1) throwConfig("train.micro_batches must be at least 1");
  if (m % group_.size() != 0)
    throwConfig("train.micro_batches = " + std::to_string(m) + " is not a multiple of the " +
                std::to_string(group_.size()) + " ranks training this item");
  if (cfg.model.batchNorm && group_.size() > 1)
    throwConfig("batch normalisation with several ranks per item is not supported yet");
  const auto b = static_cast<Eigen::Index>(cfg.train.batchSize);
  zeros_ = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(net_.numParams()));
  batchX_.resize(b, preprocessor_.outputs());
  evalX_.resize(kEvalChunk, preprocessor_.outputs());
  evalEvents_.resize(static_cast<std::size_t>(kEvalChunk));
  batchY_.resize(b);
  batchW_.resize(b);
  dlogits_.resize(b);
  if (net_.outputs() > 1) dlogitsMulti_.resize(net_.outputs(), b);
  batchCounter_.resize(static_cast<std::size_t>(b));
  const auto mine = static_cast<std::size_t>(dist::microBatchShare(m, group_.size(), group_.rank()).count);
  segments_.reserve(mine);
  segmentEnds_.reserve(mine);
  if (mine > 1) {  // one micro-batch writes into grads() (trainOneEpoch)
    segmentGrads_.resize(mine * net_.numParams());
    for (std::size_t k = 0; k < mine; ++k) segmentGradPtrs_.push_back(segmentGrads_.data() + k * net_.numParams());
  }
  slots_ = microBatchSlots(data.train.size(), cfg.train.batchSize, m, cfg.seed, cfg.train.shuffle);
  epochSlots_ = slots_;
  lossSlots_.assign(static_cast<std::size_t>(m), 0.0);

  // Preprocessing once per event instead of once per epoch: the tutorial network spent ~7 % of
  // its training in applyRow. The same applyRow gives the same bits as the per-batch transform.
  const auto features = static_cast<std::size_t>(preprocessor_.outputs());
  const auto inputs = static_cast<std::size_t>(data.train.size() + data.val.size()) * features;
  // No table (a Trainer made for its network only): nothing to read.
  if (data.source.table && inputs * sizeof(float) <= kPreprocessedBytes) {
    for (const auto& [split, out] : {std::pair<const SplitData*, std::vector<float>*>{&data.train, &trainInputs_},
                                     {&data.val, &valInputs_}}) {
      out->assign(static_cast<std::size_t>(split->size()) * features, 0.0f);
      for (Eigen::Index e = 0; e < split->size(); ++e)
        if (const data::Index row = split->tableRowOf(e); row >= 0)
          preprocessor_.applyRow(data.source.row(row), out->data() + static_cast<std::size_t>(e) * features);
    }
  }
}

const float* Trainer::preprocessed(const SplitData& split) const {
  if (&split == &data_.train && !trainInputs_.empty()) return trainInputs_.data();
  if (&split == &data_.val && !valInputs_.empty()) return valInputs_.data();
  return nullptr;
}

double Trainer::trainOneEpoch(int epoch) {
  const SplitData& tr = data_.train;
  const Eigen::Index n = tr.size();
  const Eigen::Index features = preprocessor_.outputs();
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
  // One micro-batch per step on this rank: its gradient is the rank's sum as it stands, written
  // straight where the exchange reads it (the accumulator would copy it in and out).
  const bool single = mine.count == 1;
  if (single) segmentGradPtrs_.assign(1, grads.data());
  const dist::GradientExchange::Range own = exchange_.ownRange();

  Eigen::Index used = 0;
  for (Eigen::Index start = 0; start < n; start += batch) {
    const Eigen::Index b = std::min(batch, n - start);
    // Batch statistics need at least two events per micro-batch; like drop_last, skip a
    // remainder too small for that.
    if (cfg_.model.batchNorm && b < 2 * micro) continue;
    // This rank's partial sum of the step: in a group on one node, its node-shared slot, which the
    // other ranks read (no copy into it); otherwise grads().
    float* const partial = exchange_.sharded() ? exchange_.partialSlot() : grads.data();
    if (single) segmentGradPtrs_[0] = partial;
    // Micro-batch k takes the next k*b/M .. (k+1)*b/M events of slot k, whichever rank computes it.
    // This rank's micro-batches are gathered side by side and run through the network at once:
    // every event's activations and deltas are the bits a forward of its micro-batch alone gives,
    // and backwardSegments sums each micro-batch's gradient from its own events, so the gradients
    // do not depend on which micro-batches share a rank.
    Eigen::Index total = 0;
    segments_.clear();
    for (int k = mine.first; k < mine.first + mine.count; ++k) {
      const Eigen::Index lo = k * b / micro, hi = (k + 1) * b / micro, m = hi - lo;
      if (m == 0) continue;
      const auto& order = epochSlots_[static_cast<std::size_t>(k)];
      const Eigen::Index offset = start / batch * (((k + 1) * batch / micro) - (k * batch / micro));
      gather(tr, order.data() + offset, m, batchX_, total);
      for (Eigen::Index i = 0; i < m; ++i) {
        const data::Index event = order[static_cast<std::size_t>(offset + i)];
        batchY_[total + i] = tr.labels[event];
        batchW_[total + i] = tr.weights[event];
        // Dropout masks follow the event, not its position in the batch.
        batchCounter_[static_cast<std::size_t>(total + i)] = static_cast<std::uint64_t>(tr.rows[static_cast<std::size_t>(event)]);
      }
      total += m;
      segments_.push_back({k, total});
    }
    if (total > 0 && net_.outputs() > 1) {
      multiClassStep(b, total, dropoutKey);
    } else if (total > 0 && !cfg_.model.batchNorm) {
      // Row-major (total x features) rows are a column-major (features x total) matrix.
      const Eigen::Map<const Eigen::MatrixXf> x(batchX_.data(), features, total);
      const nn::DropoutContext dropout{dropoutKey, {batchCounter_.data(), static_cast<std::size_t>(total)}};
      // batchX_ stays as it is until the backward below: the network reads it in place.
      const Eigen::RowVectorXf& logits = net_.forwardKept(x, dropout);
      segmentEnds_.clear();
      for (std::size_t s = 0; s < segments_.size(); ++s) {
        const Eigen::Index c0 = s ? segments_[s - 1].end : 0, m = segments_[s].end - c0;
        // Normalised by the whole batch: the micro-batch gradients add up to the batch gradient.
        const double loss = nn::bceWithLogits(logits.segment(c0, m), batchY_.segment(c0, m), batchW_.segment(c0, m),
                                              static_cast<double>(b), dlogits_.segment(c0, m));
        lossSlots_[static_cast<std::size_t>(segments_[s].slot)] += loss * static_cast<double>(b);
        segmentEnds_.push_back(segments_[s].end);
      }
      net_.backwardSegments(dlogits_.head(total), segmentEnds_,
                            std::span<float* const>(segmentGradPtrs_.data(), segments_.size()));
    } else if (total > 0) {
      // Batch normalisation takes its statistics over each micro-batch: one forward per micro-batch.
      for (std::size_t s = 0; s < segments_.size(); ++s) {
        const Eigen::Index c0 = s ? segments_[s - 1].end : 0, m = segments_[s].end - c0;
        const Eigen::Map<const Eigen::MatrixXf> x(batchX_.row(c0).data(), features, m);
        const nn::DropoutContext dropout{dropoutKey, {batchCounter_.data() + c0, static_cast<std::size_t>(m)}};
        net_.zeroGrads();
        const Eigen::RowVectorXf& logits = net_.forward(x, /*training=*/true, dropout);
        const double loss = nn::bceWithLogits(logits, batchY_.segment(c0, m), batchW_.segment(c0, m),
                                              static_cast<double>(b), dlogits_.head(m));
        net_.backward(dlogits_.head(m));
        if (segmentGradPtrs_[s] != grads.data()) std::copy(grads.begin(), grads.end(), segmentGradPtrs_[s]);
        lossSlots_[static_cast<std::size_t>(segments_[s].slot)] += loss * static_cast<double>(b);
      }
    }
    if (single) {
      if (segments_.empty()) std::fill_n(partial, grads.size(), 0.0f);
    } else if (segments_.size() == static_cast<std::size_t>(mine.count)) {
      // Every slot of this rank has events: the fixed tree summed in the segments' own buffers.
      dist::treeSumInPlace(std::span<float* const>(segmentGradPtrs_.data(), segments_.size()), grads.size(),
                           partial);
    } else {
      // The micro-batch gradients in slot order (zeros for an empty one), summed as a fixed tree.
      std::size_t next = 0;
      for (int k = mine.first; k < mine.first + mine.count; ++k) {
        if (next < segments_.size() && segments_[next].slot == k) {
          accumulator_.add({segmentGradPtrs_[next], grads.size()});
          ++next;
        } else {
          accumulator_.add(zeros);
        }
      }
      accumulator_.finish({partial, grads.size()});
    }
    // The group's sum, and the step, in this rank's range of the parameters (all of them unless the
    // exchange is sharded); the ranges then go to every rank. The penalty's gradient and every
    // optimiser are element-wise: the bits of a whole step on one rank.
    exchange_.reduceOwnRange(partial, grads);
    if (cfg_.train.l1 != 0.0f || cfg_.train.l2 != 0.0f) net_.addPenalty(cfg_.train.l1, cfg_.train.l2);
    optimizer_->step(net_.params(), net_.grads(), own.first, own.count);
    exchange_.shareOwnRanges({net_.params().data(), static_cast<std::size_t>(net_.params().size())});
    used += b;
  }
  // The optimiser's moments are current only in each rank's range: made whole on every rank once
  // per epoch, for the checkpoint the writing rank may take now.
  if (exchange_.sharded()) {
    std::vector<std::span<float>> state;
    for (Eigen::VectorXf* v : optimizer_->parameterState()) state.emplace_back(v->data(), static_cast<std::size_t>(v->size()));
    exchange_.gatherOwnRanges(state);
  }
  // Each slot is non-zero on exactly one rank, so the sum is exact whatever the reduction order,
  // and the slots are then added in a fixed order: the same loss for any group size.
  group_.allreduce(std::span<double>(lossSlots_), dist::ReduceOp::Sum);
  double lossSum = 0;
  for (double v : lossSlots_) lossSum += v;
  return used > 0 ? lossSum / static_cast<double>(used) : 0.0;
}

void Trainer::multiClassStep(Eigen::Index b, Eigen::Index total, std::uint64_t dropoutKey) {
  const Eigen::Index features = preprocessor_.outputs();
  const auto lossOf = [&](const Eigen::Ref<const Eigen::MatrixXf>& logits, Eigen::Index c0, Eigen::Index m,
                          Eigen::Ref<Eigen::MatrixXf> d) {
    // Normalised by the whole batch: the micro-batch gradients add up to the batch gradient.
    return nn::softmaxCrossEntropy(logits, batchY_.segment(c0, m), batchW_.segment(c0, m), static_cast<double>(b), d);
  };
  if (!cfg_.model.batchNorm) {
    const Eigen::Map<const Eigen::MatrixXf> x(batchX_.data(), features, total);
    const nn::DropoutContext dropout{dropoutKey, {batchCounter_.data(), static_cast<std::size_t>(total)}};
    const Eigen::Ref<const Eigen::MatrixXf> logits = net_.forwardMulti(x, /*training=*/true, dropout);
    segmentEnds_.clear();
    for (std::size_t s = 0; s < segments_.size(); ++s) {
      const Eigen::Index c0 = s ? segments_[s - 1].end : 0, m = segments_[s].end - c0;
      const double loss = lossOf(logits.middleCols(c0, m), c0, m, dlogitsMulti_.middleCols(c0, m));
      lossSlots_[static_cast<std::size_t>(segments_[s].slot)] += loss * static_cast<double>(b);
      segmentEnds_.push_back(segments_[s].end);
    }
    net_.backwardSegmentsMulti(dlogitsMulti_.leftCols(total), segmentEnds_,
                               std::span<float* const>(segmentGradPtrs_.data(), segments_.size()));
    return;
  }
  // Batch normalisation takes its statistics over each micro-batch: one forward per micro-batch.
  const std::span<float> grads(net_.grads().data(), static_cast<std::size_t>(net_.grads().size()));
  for (std::size_t s = 0; s < segments_.size(); ++s) {
    const Eigen::Index c0 = s ? segments_[s - 1].end : 0, m = segments_[s].end - c0;
    const Eigen::Map<const Eigen::MatrixXf> x(batchX_.row(c0).data(), features, m);
    const nn::DropoutContext dropout{dropoutKey, {batchCounter_.data() + c0, static_cast<std::size_t>(m)}};
    net_.zeroGrads();
    const Eigen::Ref<const Eigen::MatrixXf> logits = net_.forwardMulti(x, /*training=*/true, dropout);
    const double loss = lossOf(logits, c0, m, dlogitsMulti_.leftCols(m));
    net_.backwardMulti(dlogitsMulti_.leftCols(m));
    if (segmentGradPtrs_[s] != grads.data()) std::copy(grads.begin(), grads.end(), segmentGradPtrs_[s]);
    lossSlots_[static_cast<std::size_t>(segments_[s].slot)] += loss * static_cast<double>(b);
  }
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
  for (const Callback* cb : callbacks)
    if (!history_.empty() && cb->finishedBefore()) stop = result.stoppedEarly = true;

  for (int epoch = epochsDone_ + 1; epoch <= cfg_.train.epochs && !stop; ++epoch) {
    const auto te = Clock::now();
    EpochRecord rec;
    rec.epoch = epoch;
    optimizer_->setLearningRate(schedule_.rateFor(epoch));
    rec.trainLoss = trainOneEpoch(epoch);
    if (!std::isfinite(rec.trainLoss) || !net_.params().allFinite())
      throwNumeric("training diverged at epoch " + std::to_string(epoch) + " (train loss " +
                   std::to_string(rec.trainLoss) + "); try a smaller train.learning_rate");
    const EvalResult v = evaluate(data_.val, false);
    keepValLogits();
    // A loss that explodes is divergence even while it stays finite (a learning rate of 1e6 ends
    // at val_loss 1e11): beyond 100 times the first epoch's, or 100 x ln 2 (a coin flip's).
    // The first epoch is held to a coin flip's alone: at a learning rate of 1e6 it has exploded.
    const bool first = epoch == 1 && history_.empty();
    if (first) firstValLoss_ = v.loss;
    const double limit = 100.0 * (first ? std::log(2.0) : std::max(firstValLoss_, std::log(2.0)));
    if (v.loss > limit)
      throwNumeric("training diverged at epoch " + std::to_string(epoch) + ": the validation loss " +
                   str::formatDouble(v.loss, "%.4g") + " is over 100 times " +
                   (first ? std::string("a coin flip's (ln 2)")
                          : "the first epoch's (" + str::formatDouble(firstValLoss_, "%.4g") + ")") + "; try a smaller train.learning_rate (now " +
                   str::formatDouble(cfg_.train.optimizer.learningRate, "%g") + ")");
    rec.valLoss = v.loss;
    rec.valAuc = v.auc;
    rec.learningRate = optimizer_->learningRate();
    rec.seconds = secondsSince(te);
    loopSeconds += rec.seconds;
    history_.push_back(rec);
    result.history.push_back(rec);
    result.epochsRun = epochsDone_ = epoch;
    // Before the callbacks: a checkpoint written after this epoch holds the lowered rate.
    if (schedule_.onEpochEnd(epoch, rec.valLoss, rec.valAuc))
      log_.info("epoch " + std::to_string(epoch) + ": " + toString(cfg_.train.lrSchedule.monitor) + " has not improved for " +
                std::to_string(cfg_.train.lrSchedule.patience) + " epochs; learning rate lowered to " +
                str::formatDouble(schedule_.state().rate, "%g"));
    stop = early_.onEpochEnd(rec, net_) == CallbackResult::Stop;
    for (Callback* cb : callbacks) {
      const CallbackResult r = cb->onEpochEnd(rec, net_);
      if (r == CallbackResult::Interrupt) {
        result.interrupted = true;
        return result;
      }
      stop = r == CallbackResult::Stop || stop;
    }
    result.stoppedEarly = stop;
  }
  result.trainSeconds = loopSeconds;
  result.samplesPerSecond = loopSeconds > 0
      ? static_cast<double>(data_.train.size()) * result.epochsRun / loopSeconds : 0.0;
  early_.onTrainEnd(net_);
  for (Callback* cb : callbacks) cb->onTrainEnd(net_);
  result.bestEpoch = cfg_.train.earlyStopping.restoreBest ? early_.bestEpoch() : result.epochsRun;

  const auto te = Clock::now();
  result.train = evaluate(data_.train, false);
  result.val = keptValLogits() ? evaluateLogits(data_.val, true) : evaluate(data_.val);
  result.test = evaluate(data_.test);
  result.evaluateSeconds = secondsSince(te);
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
  c.schedule = schedule_.state();
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
  schedule_.restore(c.schedule);
  history_ = c.history;
  epochsDone_ = c.epochsDone;
  firstValLoss_ = c.history.empty() ? 0.0 : c.history.front().valLoss;
}

void Trainer::gather(const SplitData& split, const data::Index* events, Eigen::Index count, data::FeatureMatrix& out,
                     Eigen::Index firstRow) {
  if (const float* inputs = preprocessed(split)) {
    const auto features = static_cast<std::size_t>(preprocessor_.outputs());
    for (Eigen::Index i = 0; i < count; ++i) {
      if (split.tableRowOf(events[i]) < 0)
        throw Error(ErrorCategory::Internal, "event " + std::to_string(events[i]) + " is not held by this rank");
      // A loop the compiler vectorises: std::copy_n of 16 floats is a call to memmove.
      const float* from = inputs + static_cast<std::size_t>(events[i]) * features;
      float* to = out.row(firstRow + i).data();
      for (std::size_t j = 0; j < features; ++j) to[j] = from[j];
    }
    return;
  }
  const FeatureSource& src = data_.source;
  // A shuffled batch reads rows scattered over the whole table (hundreds of MB): each is a cache
  // miss. Asking for the rows a few events ahead lets the misses overlap instead of queueing.
  constexpr Eigen::Index kAhead = 8;
  const auto prefetch = [&](Eigen::Index i) {
    const data::Index row = split.tableRowOf(events[i]);
    if (row < 0) return;
    const char* p = reinterpret_cast<const char*>(src.row(row));
    for (std::size_t b = 0; b < static_cast<std::size_t>(src.stride) * sizeof(float); b += 64) __builtin_prefetch(p + b);
  };
  for (Eigen::Index i = 0; i < std::min(kAhead, count); ++i) prefetch(i);
  for (Eigen::Index i = 0; i < count; ++i) {
    if (i + kAhead < count) prefetch(i + kAhead);
    const data::Index row = split.tableRowOf(events[i]);
    if (row < 0)
      throw Error(ErrorCategory::Internal, "event " + std::to_string(events[i]) + " is not held by this rank");
    preprocessor_.applyRow(src.row(row), out.row(firstRow + i).data());
  }
}

// Fixed chunks, dealt round-robin to the group's ranks: an event's outputs are computed in the
// same chunk at the same position whatever the group size, so they have the same bits.
template <class F>
void Trainer::forEachEvalChunk(const SplitData& split, F&& f) {
  const Eigen::Index n = split.size();
  const Eigen::Index features = preprocessor_.outputs();
  constexpr Eigen::Index kChunk = kEvalChunk;
  const Eigen::Index chunks = (n + kChunk - 1) / kChunk;
  for (Eigen::Index c = group_.rank(); c < chunks; c += group_.size()) {
    const Eigen::Index start = c * kChunk, b = std::min(kChunk, n - start);
    // The rank holds the whole chunk (heldEvents).
    const float* inputs = preprocessed(split);
    if (!inputs) {
      std::iota(evalEvents_.begin(), evalEvents_.begin() + b, start);
      gather(split, evalEvents_.data(), b, evalX_);
    }
    // Row-major rows of events start.. are a column-major (features x b) matrix in place.
    const Eigen::Map<const Eigen::MatrixXf> x(inputs ? inputs + start * features : evalX_.data(), features, b);
    f(start, b, x);
  }
}

void Trainer::computeLogits(const SplitData& split, Eigen::VectorXf& logits) {
  const Eigen::Index n = split.size();
  logits.setZero(n);
  forEachEvalChunk(split, [&](Eigen::Index start, Eigen::Index b, const Eigen::Map<const Eigen::MatrixXf>& x) {
    logits.segment(start, b) = net_.forward(x, false).transpose();
  });
  // Every entry is non-zero on one rank only: the sum is exact in any order.
  if (group_.size() > 1) group_.allreduce(std::span<float>(logits.data(), static_cast<std::size_t>(n)), dist::ReduceOp::Sum);
}

// Multi-class: the (classes x events) logits in the same chunks.
void Trainer::computeLogitsMulti(const SplitData& split, Eigen::MatrixXf& logits) {
  logits.setZero(net_.outputs(), split.size());
  forEachEvalChunk(split, [&](Eigen::Index start, Eigen::Index b, const Eigen::Map<const Eigen::MatrixXf>& x) {
    logits.middleCols(start, b) = net_.forwardMulti(x, false);
  });
  if (group_.size() > 1)
    group_.allreduce(std::span<float>(logits.data(), static_cast<std::size_t>(logits.size())), dist::ReduceOp::Sum);
}

EvalResult Trainer::evaluateMulti(const SplitData& split, bool curves) {
  EvalResult r;
  const Eigen::Index n = split.size();
  const auto k = static_cast<std::size_t>(net_.outputs());
  r.probabilities.resize(net_.outputs(), n);
  if (n == 0) return r;
  computeLogitsMulti(split, logitsMulti_);
  r.loss = nn::softmaxCrossEntropyValue(logitsMulti_, split.labels.transpose(), split.weights.transpose(),
                                        static_cast<double>(n));
  for (Eigen::Index i = 0; i < n; ++i) nn::softmax(logitsMulti_.col(i), r.probabilities.col(i));
  if (!std::isfinite(r.loss) || !r.probabilities.allFinite())
    throwNumeric("the network's output is not finite (loss " + std::to_string(r.loss) +
                 "): training diverged, or the inputs hold non-finite values; try a smaller train.learning_rate");
  const std::span<const float> p(r.probabilities.data(), static_cast<std::size_t>(r.probabilities.size()));
  const auto labels = span(split.labels), weights = span(split.weights);
  r.aucPerClass = metrics::oneVsRestAuc(p, k, labels);
  r.auc = metrics::meanOneVsRestAuc(p, k, labels);
  if (!curves) return r;
  r.aucPerClassWeighted = metrics::oneVsRestAuc(p, k, labels, weights);
  r.aucWeighted = metrics::meanOneVsRestAuc(p, k, labels, weights);
  r.unitWeights = (split.weights.array() == 1.0f).all();
  r.confusionMatrix = metrics::confusionMatrix(p, k, labels, weights);
  for (std::size_t c = 0; c < k; ++c) {
    // A class absent from the split (or alone in it) has no curve (auc NaN): left empty.
    r.rocPerClass.push_back(std::isnan(r.aucPerClass[c]) ? metrics::Roc{} : metrics::oneVsRestRoc(p, k, labels, c));
    std::vector<double> eff;
    for (double e : cfg_.metrics.signalEfficiencies)
      eff.push_back(r.rocPerClass.back().fpr.empty() ? std::numeric_limits<double>::quiet_NaN()
                                                     : metrics::bkgEffAtSigEff(r.rocPerClass.back(), e));
    r.bkgEffPerClass.push_back(std::move(eff));
  }
  return r;
}

// The logits depend on the weights and state alone (inference has no dropout, and the chunks
// are fixed), so equal bits of both give the logits' bits without a forward pass: at the end of
// training the validation split was just evaluated by the last epoch, unless early stopping
// restored an earlier epoch's weights (or a callback changed them), which the comparison sees.
void Trainer::keepValLogits() {
  if (net_.outputs() > 1) return;  // multi-class logits are logitsMulti_: evaluated again
  std::swap(valLogits_, logits_);
  valLogitsParams_ = net_.params();
  valLogitsState_ = net_.state();
  valLogitsKept_ = true;
}

bool Trainer::keptValLogits() {
  const auto same = [](const Eigen::VectorXf& a, const Eigen::VectorXf& b) {
    return a.size() == b.size() &&
           (a.size() == 0 || std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(float)) == 0);
  };
  if (!valLogitsKept_ || valLogits_.size() != data_.val.size() || !same(valLogitsParams_, net_.params()) ||
      !same(valLogitsState_, net_.state()))
    return false;
  std::swap(valLogits_, logits_);
  valLogitsKept_ = false;
  return true;
}

EvalResult Trainer::evaluate(const SplitData& split, bool curves) {
  if (net_.outputs() > 1) return evaluateMulti(split, curves);
  if (split.size() > 0) computeLogits(split, logits_);
  return evaluateLogits(split, curves);
}

EvalResult Trainer::evaluateLogits(const SplitData& split, bool curves) {
  EvalResult r;
  const Eigen::Index n = split.size();
  r.scores.resize(n);
  if (n == 0) return r;
  r.loss = nn::bceWithLogitsValue(logits_.transpose(), split.labels.transpose(), split.weights.transpose(),
                                  static_cast<double>(n));
  nn::sigmoid(logits_, r.scores);
  if (!std::isfinite(r.loss) || !r.scores.allFinite()) {
    // Non-finite inputs make non-finite outputs whatever the training did: say so first.
    for (Eigen::Index i = 0; i < n; ++i) {
      const data::Index row = split.tableRowOf(i);
      if (row < 0) continue;
      for (std::size_t j = 0; j < data_.source.columns.size(); ++j) {
        const float v = data_.source.row(row)[data_.source.columns[j]];
        if (!std::isfinite(v))
          throwInput("feature " + str::quoted(data_.featureNames[j]) + " is " + std::to_string(v) + " in row " +
                     std::to_string(split.rows[static_cast<std::size_t>(i)]) +
                     " of the data file (non-finite values cannot be scored): mark missing values with a finite "
                     "marker (convert --missing) or drop the feature");
      }
    }
    throwNumeric("the network's output is not finite (loss " + std::to_string(r.loss) +
                 "): training diverged; try a smaller train.learning_rate");
  }
  const auto scores = span(r.scores), labels = span(split.labels), weights = span(split.weights);
  if (!curves) {
    r.auc = metrics::auc(scores, labels);
    return r;
  }
  r.roc = metrics::rocCurve(scores, labels);
  r.auc = metrics::auc(r.roc);
  // Negative weights can leave a class of a small split with summed weight <= 0: the weighted
  // ROC is then undefined (NaN, empty curve), which must not fail the training.
  double sumSignal = 0, sumBackground = 0;
  for (Eigen::Index i = 0; i < n; ++i) (split.labels[i] > 0.5f ? sumSignal : sumBackground) += split.weights[i];
  const bool weightedDefined = sumSignal > 0 && sumBackground > 0;
  // Unit weights give the unweighted curve exactly (the same sums of 1.0f): no second sort.
  const bool unitWeights = (split.weights.array() == 1.0f).all();
  r.unitWeights = unitWeights;
  if (weightedDefined && !unitWeights) r.rocWeighted = metrics::rocCurve(scores, labels, weights);
  r.aucWeighted = weightedDefined ? (unitWeights ? r.auc : metrics::auc(r.rocWeighted))
                                  : std::numeric_limits<double>::quiet_NaN();
  for (double e : cfg_.metrics.signalEfficiencies) {
    r.bkgEff.push_back(metrics::bkgEffAtSigEff(r.roc, e));
    r.bkgEffWeighted.push_back(r.weightedBkgEffAt(e));
  }
  r.confusion = metrics::confusion(scores, labels, weights, cfg_.metrics.threshold);
  return r;
}

double EvalResult::weightedBkgEffAt(double signalEfficiency) const {
  const metrics::Roc& w = weightedRoc();
  return w.fpr.empty() ? std::numeric_limits<double>::quiet_NaN() : metrics::bkgEffAtSigEff(w, signalEfficiency);
}

}  // namespace hepsweep::train
