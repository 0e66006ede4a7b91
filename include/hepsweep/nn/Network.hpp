#pragma once
// A dense feed-forward classifier with one logit output (binary), or one logit per class
// (multi-class: forwardMulti, backwardMulti, predictMulti; the binary calls refuse it and the
// other way round). All trainable parameters live in one
// contiguous buffer (and their gradients in another of the same layout), so an optimiser step or
// a gradient all-reduce is a single call on a single vector. Layers hold views into the buffers.
//
// Data layout: a batch is a column-major (features x events) matrix; row-major event rows of a
// data::FeatureMatrix map onto it without a copy.
#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/nn/Config.hpp"

namespace hepsweep::nn {

using Matrix = Eigen::MatrixXf;
using RowVector = Eigen::RowVectorXf;
using ParamVector = Eigen::VectorXf;

// Where the network's dropout masks come from. A unit's mask for an event is a pure function of
// (key, layer, eventCounter[i], unit), so the same event gets the same mask whichever rank or
// micro-batch processes it.
struct DropoutContext {
  std::uint64_t key = 0;
  std::span<const std::uint64_t> eventCounter;  // one per column of the batch
};

// Description of one dense layer, for result files and export.
struct DenseLayerView {
  int inputs = 0, outputs = 0;
  Activation activation = Activation::Linear;  // applied after this layer (Linear for the output)
  float dropout = 0.0f;                        // applied after the activation
  bool batchNorm = false;                      // applied between the affine map and activation
  // Offsets into the parameter buffer: W is (outputs x inputs) column-major, then b (outputs).
  std::size_t weightOffset = 0, biasOffset = 0;
  // Batch normalisation: gamma, beta (parameters) and running mean/var (state buffer offsets).
  std::size_t gammaOffset = 0, betaOffset = 0, runningMeanOffset = 0, runningVarOffset = 0;
};

class Network {
 public:
  // Parameters are initialised from rng streams derived from `initKey`.
  // `outputs` > 1: a multi-class network, one logit per class (its output layer initialised as
  // the others, with fan-out `outputs`); 1, the default, is the binary network, unchanged.
  Network(int inputs, const ModelConfig& cfg, std::uint64_t initKey, int outputs = 1);
  ~Network();
  Network(Network&&) noexcept;
  Network& operator=(Network&&) noexcept;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  int inputs() const;
  int outputs() const;
  const ModelConfig& config() const;
  std::size_t numParams() const;

  ParamVector& params();
  const ParamVector& params() const;
  ParamVector& grads();
  const ParamVector& grads() const;
  // Non-trainable state (batch-norm running statistics), flat as well.
  ParamVector& state();
  const ParamVector& state() const;
  const std::vector<DenseLayerView>& layers() const;

  // Forward pass. training = true applies dropout (masks from `dropout`) and batch statistics
  // for batch normalisation (updating the running statistics); false is inference mode.
  // Returns the logits (1 x batch). The reference stays valid until the next forward call.
  // Allocation-free once a batch of this size has been seen.
  const RowVector& forward(const Eigen::Ref<const Matrix>& x, bool training,
                           const DropoutContext& dropout = {});

  // forward(x, true, dropout) over a batch the caller keeps alive and unchanged until the
  // backward: it is used there in place, not copied (the trainer's gathered batch; a copy of
  // 100 x 28 floats per step was ~2 % of the tutorial's training). The same bits.
  const RowVector& forwardKept(const Eigen::Map<const Matrix>& x, const DropoutContext& dropout = {});

  // Backward pass for the last forward(training = true) call, given dLoss/dlogit (1 x batch).
  // Adds into grads() (call zeroGrads() first); batch-norm statistics are those of that batch.
  void backward(const Eigen::Ref<const RowVector>& dlogits);
  // The same, also writing dLoss/dx (inputs x batch) into `inputGrad` (for gradient checks and
  // input-sensitivity studies).
  void backward(const Eigen::Ref<const RowVector>& dlogits, Eigen::Ref<Matrix> inputGrad);

  // Backward for the last forward(training = true) over a batch whose events form consecutive
  // segments (the micro-batches of one training step): segment s is events
  // [segmentEnds[s - 1], segmentEnds[s]) (from 0 for s = 0; the last end is the batch size), and its
  // gradient, from its own events only, is written to segmentGrads[s] (numParams() floats,
  // overwritten): the bits zeroGrads() and backward() give after a forward over that segment
  // alone, wherever it lies in the batch. The per-event work (the deltas through the layers) runs
  // once over the whole batch; only the sums over events are made per segment. Not with batch
  // normalisation (its statistics are the batch's: Error(Internal)); grads() is not touched.
  void backwardSegments(const Eigen::Ref<const RowVector>& dlogits, std::span<const Eigen::Index> segmentEnds,
                        std::span<float* const> segmentGrads);

  // Multi-class (outputs() > 1) counterparts of forward, backward, backwardSegments and predict:
  // logits and their gradients are (outputs x batch) matrices, predictMulti writes the softmax
  // probabilities (outputs x events). The logits stay valid until the next forward call.
  Eigen::Ref<const Matrix> forwardMulti(const Eigen::Ref<const Matrix>& x, bool training,
                                        const DropoutContext& dropout = {});
  void backwardMulti(const Eigen::Ref<const Matrix>& dlogits);
  void backwardMulti(const Eigen::Ref<const Matrix>& dlogits, Eigen::Ref<Matrix> inputGrad);
  void backwardSegmentsMulti(const Eigen::Ref<const Matrix>& dlogits, std::span<const Eigen::Index> segmentEnds,
                             std::span<float* const> segmentGrads);
  void predictMulti(const Eigen::Ref<const Matrix>& x, Eigen::Ref<Matrix> probabilities, int batchSize = 4096);

  void zeroGrads();

  // At most this many OpenMP threads for the matrix products (0, the default: OpenMP's setting,
  // one when called inside a parallel region). Callers that split the events over threads of
  // their own (apply) set 1, so that no OpenMP thread waits, spinning, beside them.
  void setKernelThreads(int threads);

  // L1/L2 penalties on the weight matrices (not biases, not batch-norm parameters), Keras
  // convention: l1 * sum|w| + l2 * sum w^2. Returns the penalty and adds its gradient to grads().
  double addPenalty(float l1, float l2);

  // Inference on many rows: sigmoid(logit) for each column of x, in batches of `batchSize`.
  // Uses the forward buffers: a backward() after predict() needs a new forward(training = true).
  void predict(const Eigen::Ref<const Matrix>& x, Eigen::Ref<Eigen::VectorXf> scores, int batchSize = 4096);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepsweep::nn
