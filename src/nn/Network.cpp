#include "hepsweep/nn/Network.hpp"
#include "hepsweep/nn/Sigmoid.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include <omp.h>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "kernels/KernelTable.hpp"

namespace hepsweep::nn {
namespace {

using MatMap = Eigen::Map<Matrix>;
using ConstMatMap = Eigen::Map<const Matrix>;
using VecMap = Eigen::Map<Eigen::VectorXf>;
using ConstVecMap = Eigen::Map<const Eigen::VectorXf>;

[[noreturn]] void bug(const std::string& msg) { throw Error(ErrorCategory::Internal, msg); }

bool reluLike(Activation a) {
  return a == Activation::Relu || a == Activation::LeakyRelu || a == Activation::Elu;
}

struct ActParams {
  float slope = 0.01f;
  float alpha = 1.0f;
};

// The matrix products, the per-layer pass and the single-unit output layer run in the kernels of
// the instruction-set level chosen at start (Kernel.hpp); what stays here is bookkeeping and batch
// normalisation's statistics.
int threadsForKernels() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

// kern::Act mirrors Activation (the kernels' interface takes no nn types).
constexpr bool sameOrder(Activation a, kern::Act k) { return static_cast<int>(a) == static_cast<int>(k); }
static_assert(sameOrder(Activation::Relu, kern::Act::Relu) && sameOrder(Activation::LeakyRelu, kern::Act::LeakyRelu) &&
              sameOrder(Activation::Elu, kern::Act::Elu) && sameOrder(Activation::Tanh, kern::Act::Tanh) &&
              sameOrder(Activation::Sigmoid, kern::Act::Sigmoid) && sameOrder(Activation::Softplus, kern::Act::Softplus) &&
              sameOrder(Activation::Linear, kern::Act::Linear));

// Per-layer work buffers, sized for the largest batch seen; a smaller batch uses the left columns.
struct Buffers {
  Matrix act;    // activations (after dropout); also holds the affine output before the kernel
  Matrix deriv;  // dh/dy * dropout factor
  Matrix delta;  // dLoss / d(affine output)
  Matrix xhat;   // batch norm: normalised affine output
  Eigen::VectorXf mean, invStd;     // batch norm: batch statistics of the last training forward
  Eigen::VectorXf scale, shift;     // batch norm inference: folded per-unit factor and offset
  Eigen::VectorXf colSum;           // batch norm backward scratch
};

}  // namespace

struct Network::Impl {
  int inputs = 0;
  int outputs = 1;                    // > 1: one logit per class (multi-class), in outMulti
  Matrix outMulti;                    // outputs x capacity
  ModelConfig cfg;
  ActParams ap;
  std::vector<DenseLayerView> views;  // hidden layers, then the output layer
  ParamVector params, grads, state;
  std::vector<Buffers> bufs;          // one per hidden layer
  Matrix input;                       // copy of the last training batch (backward needs it)
  const float* trainIn = nullptr;     // the last training batch: input, or the caller's (forwardKept)
  bool keepInput = false;             // run(): use a training batch in place (forwardKept)
  RowVector outBuf;                   // logits, capacity columns
  Eigen::Index capacity = 0;
  Eigen::Index lastN = -1;
  int kernelThreads = 0;  // setKernelThreads
  bool lastTraining = false;

  // forward() returns a RowVector of exactly the batch size; a few sizes are kept so alternating
  // full and partial batches do not reallocate.
  static constexpr std::size_t kLogitSlots = 4;
  std::array<RowVector, kLogitSlots> logitSlots;
  std::size_t nextSlot = 0;

  // Packing space of the matrix products; grows to the largest product seen, then stays.
  Eigen::VectorXf work;

  std::size_t hidden() const { return bufs.size(); }

  // C (m x n) = op(A) op(B) (see kern::GemmArgs) in the active kernels.
  void gemm(kern::GemmArgs g) {
    const kern::Table& t = kern::active();
    g.threads = kernelThreads > 0 ? std::min(kernelThreads, threadsForKernels()) : threadsForKernels();
    const auto need = static_cast<Eigen::Index>(t.gemmWorkspace(g.m, g.n, g.k, g.threads));
    if (work.size() < need) work.resize(need);
    g.work = work.data();
    t.gemm(g);
  }

  MatMap W(const DenseLayerView& v) { return {params.data() + v.weightOffset, v.outputs, v.inputs}; }
  MatMap gW(const DenseLayerView& v) { return {grads.data() + v.weightOffset, v.outputs, v.inputs}; }
  VecMap vec(ParamVector& buf, std::size_t off, int n) { return {buf.data() + off, n}; }

  void ensureCapacity(Eigen::Index n) {
    if (n <= capacity) return;
    for (std::size_t l = 0; l < hidden(); ++l) {
      const int w = views[l].outputs;
      bufs[l].act.resize(w, n);
      bufs[l].deriv.resize(w, n);
      bufs[l].delta.resize(w, n);
      if (views[l].batchNorm) bufs[l].xhat.resize(w, n);
    }
    input.resize(inputs, n);
    outBuf.resize(n);
    if (outputs > 1) outMulti.resize(outputs, n);
    capacity = n;
  }

  // Runs the network on x; logits land in outBuf.leftCols(n).
  void run(const Eigen::Ref<const Matrix>& x, bool training, const DropoutContext& ctx);
  void backprop(const Eigen::Ref<const RowVector>& dlogits, Eigen::Ref<Matrix>* inputGrad);
  void backpropSegments(const Eigen::Ref<const RowVector>& dlogits, std::span<const Eigen::Index> ends,
                        std::span<float* const> out);
  void checkBackward(Eigen::Index dlogits) const;
  // The hidden layers' gradients and deltas from the last hidden layer's delta down (binary and
  // multi-class share it).
  void backHidden(Eigen::Index n, Eigen::Ref<Matrix>* inputGrad);
  // Multi-class output layer (outputs > 1): logits = W a + b into outMulti; its backward from
  // dlogits (outputs x n) into `g`, over columns [c0, c0 + len).
  void runMultiOutput(const float* prev, Eigen::Index prevStride, Eigen::Index n);
  // out (v.outputs x n, leading dimension v.outputs) = W_v prev, the layer's product before bias
  // and activation (hidden layers and the multi-class output layer).
  // With `reluShift`, out = relu(W_v prev + reluShift) and, with `deriv`, its derivative (see
  // kern::GemmArgs::reluShift).
  void layerProduct(const DenseLayerView& v, const float* prev, Eigen::Index prevStride, Eigen::Index n, float* out,
                    const float* reluShift = nullptr, float* deriv = nullptr);
  void multiOutputGrads(const float* dl, Eigen::Index ldd, Eigen::Index c0, int len, float* g);
  void backpropMulti(const Eigen::Ref<const Matrix>& dlogits, Eigen::Ref<Matrix>* inputGrad);
  void backpropSegmentsMulti(const Eigen::Ref<const Matrix>& dlogits, std::span<const Eigen::Index> ends,
                             std::span<float* const> out);
  void checkSegments(std::span<const Eigen::Index> ends, std::span<float* const> out) const;

  // dW += delta(:, c0 .. c0+n) prev(:, c0 .. c0+n)^T and the bias sums of those columns, for hidden
  // layer l, into `g` (a parameter-layout gradient buffer).
  // With `overwrite`, dW = (not +=) that product.
  void layerWeightGrads(std::size_t l, const float* prev, Eigen::Index c0, int n, float* g, bool overwrite = false);
  // Zeroes gradient buffer g except the hidden layers' weights, which layerWeightGrads(overwrite)
  // writes whole: storing the first sum instead of adding it to zero gives the same bits (a sum
  // started from +0 is never -0, and 0 + x == x otherwise), without a pass over the weights.
  void zeroForSegments(float* g) const {
    std::size_t at = 0;
    for (std::size_t l = 0; l < hidden(); ++l) {
      const DenseLayerView& v = views[l];
      if (v.weightOffset < at) {  // not in layer order: zero all (overwriting zeros is right too)
        std::fill(g, g + params.size(), 0.0f);
        return;
      }
      std::fill(g + at, g + v.weightOffset, 0.0f);
      at = v.weightOffset + static_cast<std::size_t>(v.outputs) * static_cast<std::size_t>(v.inputs);
    }
    std::fill(g + at, g + params.size(), 0.0f);
  }
  // delta of layer l - 1 (or inputGrad) = W_l^T delta_l, times layer l - 1's local derivative;
  // delta_l is bufs[l].delta, or `delta` (leading dimension ld): the multi-class output layer's
  // dlogits, with l = the output layer.
  void propagateDelta(std::size_t l, int n, Eigen::Ref<Matrix>* inputGrad, const float* delta = nullptr,
                      Eigen::Index ld = 0);

  // dlogits' sum for the output bias, as Eigen sums a row vector that starts at an aligned
  // address: the same bits wherever the segment lies in the batch.
  RowVector sumScratch;
  float alignedSum(const float* v, Eigen::Index n) {
    if (sumScratch.size() < n) sumScratch.resize(n);
    std::copy(v, v + n, sumScratch.data());
    const Eigen::Ref<const RowVector> r(sumScratch.head(n));
    return r.sum();
  }
};

void Network::Impl::run(const Eigen::Ref<const Matrix>& x, bool training, const DropoutContext& ctx) {
  const Eigen::Index n = x.cols();
  if (x.rows() != inputs)
    throwInput("network input has " + std::to_string(x.rows()) + " features per event, the model expects " +
               std::to_string(inputs));
  if (training && !ctx.eventCounter.empty() && static_cast<Eigen::Index>(ctx.eventCounter.size()) != n)
    bug("forward: " + std::to_string(ctx.eventCounter.size()) + " dropout counters for a batch of " +
        std::to_string(n) + " events");
  ensureCapacity(n);
  lastTraining = false;  // until this call completes
  const float* prev = x.data();
  Eigen::Index prevStride = x.outerStride();
  if (training && keepInput && x.outerStride() == inputs) {
    trainIn = x.data();  // the caller keeps x as it is until the backward (forwardKept)
  } else if (training) {
    MatMap(input.data(), inputs, n) = x;
    trainIn = prev = input.data();
    prevStride = inputs;
  }
  for (std::size_t l = 0; l < hidden(); ++l) {
    const DenseLayerView& v = views[l];
    Buffers& b = bufs[l];
    const int w = v.outputs;
    MatMap a(b.act.data(), w, n);
    const bool drop = training && v.dropout > 0.0f;
    if (!v.batchNorm && !drop && v.activation == Activation::Relu) {
      // The bias and ReLU on each tile of the product while it is in registers: a separate pass
      // over the layer's outputs was 5 % of a 256-wide training.
      layerProduct(v, prev, prevStride, n, a.data(), params.data() + v.biasOffset,
                   training ? b.deriv.data() : nullptr);
      prev = a.data();
      prevStride = w;
      continue;
    }
    layerProduct(v, prev, prevStride, n, a.data());

    kern::LayerArgs k;
    k.rows = w;
    k.n = n;
    k.act = static_cast<kern::Act>(v.activation);
    k.slope = ap.slope;
    k.alpha = ap.alpha;
    k.out = a.data();
    k.deriv = b.deriv.data();
    bool scaled = false;
    if (!v.batchNorm) {
      k.in = a.data();
      k.shift = params.data() + v.biasOffset;
    } else if (training) {
      if (n < 2)
        throwConfig("batch normalisation needs at least 2 events in a training batch, got " + std::to_string(n) +
                    " (PyTorch refuses this too); choose a batch size that does not leave a 1-event last batch");
      // The bias cancels in (z - mean): statistics are taken on W x alone and b only enters the
      // running mean, as in PyTorch's Linear followed by BatchNorm1d.
      const float invN = 1.0f / static_cast<float>(n);
      b.mean.noalias() = a.rowwise().sum() * invN;
      MatMap xh(b.xhat.data(), w, n);
      xh.noalias() = a.colwise() - b.mean;
      b.invStd.noalias() = xh.array().square().matrix().rowwise().sum() * invN;  // biased variance
      const float m = cfg.batchNormMomentum;
      auto runMean = vec(state, v.runningMeanOffset, w);
      auto runVar = vec(state, v.runningVarOffset, w);
      const auto bias = vec(params, v.biasOffset, w);
      const float unbias = static_cast<float>(n) / static_cast<float>(n - 1);
      runMean = (1.0f - m) * runMean + m * (b.mean + bias);
      runVar = (1.0f - m) * runVar + (m * unbias) * b.invStd;
      b.invStd = (b.invStd.array() + cfg.batchNormEpsilon).rsqrt();
      xh.array().colwise() *= b.invStd.array();
      k.in = xh.data();
      k.scale = params.data() + v.gammaOffset;
      k.shift = params.data() + v.betaOffset;
      scaled = true;
    } else {
      // Inference: gamma (z + b - mu) / sqrt(var + eps) + beta folded into one factor and offset.
      const auto gamma = vec(params, v.gammaOffset, w);
      const auto beta = vec(params, v.betaOffset, w);
      const auto bias = vec(params, v.biasOffset, w);
      const auto runMean = vec(state, v.runningMeanOffset, w);
      const auto runVar = vec(state, v.runningVarOffset, w);
      b.scale = gamma.array() * (runVar.array() + cfg.batchNormEpsilon).rsqrt();
      b.shift = beta.array() + (bias - runMean).array() * b.scale.array();
      k.in = a.data();
      k.scale = b.scale.data();
      k.shift = b.shift.data();
      scaled = true;
    }
    if (drop) {
      k.dropKey = rng::derive(ctx.key, l);
      k.counters = ctx.eventCounter.empty() ? nullptr : ctx.eventCounter.data();
      k.p = v.dropout;
      k.keepScale = 1.0f / (1.0f - v.dropout);
    }
    k.scaled = scaled;
    k.train = training;
    k.drop = drop;
    kern::active().layer(k);
    prev = a.data();
    prevStride = w;
  }
  const DenseLayerView& o = views.back();
  if (outputs > 1) runMultiOutput(prev, prevStride, n);
  else
    kern::active().dotColumns(o.inputs, static_cast<int>(n), params.data() + o.weightOffset, prev, prevStride,
                              params[static_cast<Eigen::Index>(o.biasOffset)], outBuf.data());
  lastN = n;
  lastTraining = training;
}

void Network::Impl::checkBackward(Eigen::Index d) const {
  if (!lastTraining)
    bug("backward called without a preceding forward(training = true) (or after predict())");
  if (d != lastN) bug("backward: " + std::to_string(d) + " logit gradients for a batch of " + std::to_string(lastN));
}

void Network::Impl::layerWeightGrads(std::size_t l, const float* prev, Eigen::Index c0, int n, float* g,
                                     bool overwrite) {
  const DenseLayerView& v = views[l];
  const int w = v.outputs;
  const float* delta = bufs[l].delta.data() + c0 * w;
  kern::active().gemvAdd(w, n, delta, w, nullptr, g + v.biasOffset);
  kern::GemmArgs a;  // dW += delta in^T
  a.m = w;
  a.n = v.inputs;
  a.k = n;
  a.a = delta;
  a.lda = w;
  a.b = prev + c0 * v.inputs;
  a.ldb = v.inputs;
  a.bTrans = true;
  a.c = g + v.weightOffset;
  a.ldc = w;
  a.accumulate = !overwrite;
  gemm(a);
}

void Network::Impl::propagateDelta(std::size_t l, int n, Eigen::Ref<Matrix>* inputGrad, const float* delta,
                                   Eigen::Index ld) {
  const DenseLayerView& v = views[l];
  kern::GemmArgs g;
  g.m = v.inputs;
  g.n = n;
  g.k = v.outputs;
  g.a = params.data() + v.weightOffset;
  g.lda = v.outputs;
  g.aTrans = true;
  g.b = delta ? delta : bufs[l].delta.data();
  g.ldb = delta ? ld : v.outputs;
  if (l > 0) {
    g.c = bufs[l - 1].delta.data();
    g.ldc = v.inputs;
    g.scale = bufs[l - 1].deriv.data();
  } else {
    g.c = inputGrad->data();
    g.ldc = inputGrad->outerStride();
  }
  gemm(g);
}

void Network::Impl::backprop(const Eigen::Ref<const RowVector>& dlogits, Eigen::Ref<Matrix>* inputGrad) {
  checkBackward(dlogits.size());
  const Eigen::Index n = lastN;
  if (inputGrad && (inputGrad->rows() != inputs || inputGrad->cols() != n))
    bug("backward: input gradient matrix has the wrong shape");

  const DenseLayerView& o = views.back();
  const std::size_t L = hidden();
  // Output layer: logit = w . a + c.
  const kern::Table& kt = kern::active();
  const int nn = static_cast<int>(n);
  {
    const float* prev = L ? bufs[L - 1].act.data() : trainIn;
    kt.gemvAdd(o.inputs, nn, prev, o.inputs, dlogits.data(), grads.data() + o.weightOffset);
    grads[static_cast<Eigen::Index>(o.biasOffset)] += dlogits.sum();
    if (L == 0) {
      if (inputGrad) {
        Eigen::Map<const Eigen::VectorXf> wOut(params.data() + o.weightOffset, o.inputs);
        inputGrad->noalias() = wOut * dlogits;
      }
      return;
    }
    // delta of the last hidden layer: outer product w * dlogits, times the local derivative.
    Buffers& b = bufs[L - 1];
    kt.outerDelta(views[L - 1].outputs, nn, params.data() + o.weightOffset, dlogits.data(), b.deriv.data(),
                  b.delta.data());
  }
  backHidden(n, inputGrad);
}

void Network::Impl::backHidden(Eigen::Index n, Eigen::Ref<Matrix>* inputGrad) {
  const int nn = static_cast<int>(n);
  for (std::size_t l = hidden(); l-- > 0;) {
    const DenseLayerView& v = views[l];
    Buffers& b = bufs[l];
    const int w = v.outputs;
    const float* prev = l ? bufs[l - 1].act.data() : trainIn;
    if (v.batchNorm) {
      // dz = gamma invStd / n * (n dy - sum(dy) - xhat sum(dy xhat)), per unit.
      MatMap delta(b.delta.data(), w, n);
      ConstMatMap xh(b.xhat.data(), w, n);
      auto dGamma = vec(grads, v.gammaOffset, w);
      auto dBeta = vec(grads, v.betaOffset, w);
      b.colSum.noalias() = delta.rowwise().sum();
      b.scale.noalias() = delta.cwiseProduct(xh).rowwise().sum();  // scratch: sum(dy xhat)
      dBeta += b.colSum;
      dGamma += b.scale;
      const auto gamma = vec(params, v.gammaOffset, w);
      const float nf = static_cast<float>(n), invN = 1.0f / nf;
      b.shift = gamma.cwiseProduct(b.invStd) * invN;  // scratch: per-unit factor
      for (Eigen::Index i = 0; i < n; ++i)
        for (int j = 0; j < w; ++j)
          delta(j, i) = b.shift[j] * (nf * delta(j, i) - b.colSum[j] - xh(j, i) * b.scale[j]);
      kern::GemmArgs a;  // dW += delta in^T
      a.m = w;
      a.n = v.inputs;
      a.k = nn;
      a.a = delta.data();
      a.lda = w;
      a.b = prev;
      a.ldb = v.inputs;
      a.bTrans = true;
      a.c = grads.data() + v.weightOffset;
      a.ldc = w;
      a.accumulate = true;
      gemm(a);
    } else {
      layerWeightGrads(l, prev, 0, nn, grads.data());
    }
    if (l > 0 || inputGrad) propagateDelta(l, nn, inputGrad);
  }
}

void Network::Impl::backpropSegments(const Eigen::Ref<const RowVector>& dlogits, std::span<const Eigen::Index> ends,
                                     std::span<float* const> out) {
  checkBackward(dlogits.size());
  checkSegments(ends, out);
  const Eigen::Index n = lastN;
  const int nn = static_cast<int>(n);
  const std::size_t L = hidden();
  const DenseLayerView& o = views.back();
  const kern::Table& kt = kern::active();
  for (float* g : out) zeroForSegments(g);
  // Per segment: the output layer's gradients; the sums over its events start from zero as
  // backward's do after zeroGrads().
  const float* last = L ? bufs[L - 1].act.data() : trainIn;
  for (std::size_t s = 0; s < ends.size(); ++s) {
    const Eigen::Index c0 = s ? ends[s - 1] : 0;
    const int len = static_cast<int>(ends[s] - c0);
    kt.gemvAdd(o.inputs, len, last + c0 * o.inputs, o.inputs, dlogits.data() + c0, out[s] + o.weightOffset);
    out[s][o.biasOffset] += alignedSum(dlogits.data() + c0, len);
  }
  if (L == 0) return;
  // Deltas: per event, once for the whole batch.
  kt.outerDelta(views[L - 1].outputs, nn, params.data() + o.weightOffset, dlogits.data(), bufs[L - 1].deriv.data(),
                bufs[L - 1].delta.data());
  for (std::size_t l = L; l-- > 0;) {
    const float* prev = l ? bufs[l - 1].act.data() : trainIn;
    for (std::size_t s = 0; s < ends.size(); ++s) {
      const Eigen::Index c0 = s ? ends[s - 1] : 0;
      layerWeightGrads(l, prev, c0, static_cast<int>(ends[s] - c0), out[s], /*overwrite=*/true);
    }
    if (l > 0) propagateDelta(l, nn, nullptr);
  }
}

void Network::Impl::checkSegments(std::span<const Eigen::Index> ends, std::span<float* const> out) const {
  if (cfg.batchNorm) bug("backwardSegments: batch normalisation takes its statistics over the whole batch");
  if (ends.size() != out.size() || ends.empty() || ends.back() != lastN)
    bug("backwardSegments: " + std::to_string(ends.size()) + " segment ends for " + std::to_string(out.size()) +
        " gradient buffers and a batch of " + std::to_string(lastN));
  for (std::size_t s = 0; s < ends.size(); ++s)
    if (ends[s] < (s ? ends[s - 1] : 0)) bug("backwardSegments: segment ends are not ascending");
}

void Network::Impl::layerProduct(const DenseLayerView& v, const float* prev, Eigen::Index prevStride, Eigen::Index n,
                                 float* out, const float* reluShift, float* deriv) {
  kern::GemmArgs g;
  g.m = v.outputs;
  g.n = static_cast<int>(n);
  g.k = v.inputs;
  g.a = params.data() + v.weightOffset;
  g.lda = v.outputs;
  g.b = prev;
  g.ldb = prevStride;
  g.c = out;
  g.ldc = v.outputs;
  g.reluShift = reluShift;
  g.deriv = deriv;
  gemm(g);
}

void Network::Impl::runMultiOutput(const float* prev, Eigen::Index prevStride, Eigen::Index n) {
  const DenseLayerView& o = views.back();
  layerProduct(o, prev, prevStride, n, outMulti.data());
  MatMap(outMulti.data(), outputs, n).colwise() += vec(params, o.biasOffset, outputs);
}

void Network::Impl::multiOutputGrads(const float* dl, Eigen::Index ldd, Eigen::Index c0, int len, float* g) {
  const DenseLayerView& o = views.back();
  const std::size_t L = hidden();
  const float* prev = L ? bufs[L - 1].act.data() : trainIn;
  kern::GemmArgs a;  // dW += dlogits prev^T
  a.m = outputs;
  a.n = o.inputs;
  a.k = len;
  a.a = dl + c0 * ldd;
  a.lda = ldd;
  a.b = prev + c0 * o.inputs;
  a.ldb = o.inputs;
  a.bTrans = true;
  a.c = g + o.weightOffset;
  a.ldc = outputs;
  a.accumulate = true;
  gemm(a);
  Eigen::Map<const Matrix, 0, Eigen::OuterStride<>> d(dl + c0 * ldd, outputs, len, Eigen::OuterStride<>(ldd));
  VecMap(g + o.biasOffset, outputs) += d.rowwise().sum();
}

void Network::Impl::backpropMulti(const Eigen::Ref<const Matrix>& dlogits, Eigen::Ref<Matrix>* inputGrad) {
  checkBackward(dlogits.cols());
  if (dlogits.rows() != outputs)
    bug("backward: " + std::to_string(dlogits.rows()) + " logit rows for " + std::to_string(outputs) + " outputs");
  const Eigen::Index n = lastN;
  if (inputGrad && (inputGrad->rows() != inputs || inputGrad->cols() != n))
    bug("backward: input gradient matrix has the wrong shape");
  multiOutputGrads(dlogits.data(), dlogits.outerStride(), 0, static_cast<int>(n), grads.data());
  if (hidden() == 0 && !inputGrad) return;
  propagateDelta(views.size() - 1, static_cast<int>(n), inputGrad, dlogits.data(), dlogits.outerStride());
  backHidden(n, inputGrad);
}

void Network::Impl::backpropSegmentsMulti(const Eigen::Ref<const Matrix>& dlogits, std::span<const Eigen::Index> ends,
                                          std::span<float* const> out) {
  checkBackward(dlogits.cols());
  if (dlogits.rows() != outputs)
    bug("backwardSegments: " + std::to_string(dlogits.rows()) + " logit rows for " + std::to_string(outputs) +
        " outputs");
  checkSegments(ends, out);
  for (float* g : out) zeroForSegments(g);
  for (std::size_t s = 0; s < ends.size(); ++s) {
    const Eigen::Index c0 = s ? ends[s - 1] : 0;
    multiOutputGrads(dlogits.data(), dlogits.outerStride(), c0, static_cast<int>(ends[s] - c0), out[s]);
  }
  const std::size_t L = hidden();
  if (L == 0) return;
  const int nn = static_cast<int>(lastN);
  propagateDelta(views.size() - 1, nn, nullptr, dlogits.data(), dlogits.outerStride());
  for (std::size_t l = L; l-- > 0;) {
    const float* prev = l ? bufs[l - 1].act.data() : trainIn;
    for (std::size_t s = 0; s < ends.size(); ++s) {
      const Eigen::Index c0 = s ? ends[s - 1] : 0;
      layerWeightGrads(l, prev, c0, static_cast<int>(ends[s] - c0), out[s], /*overwrite=*/true);
    }
    if (l > 0) propagateDelta(l, nn, nullptr);
  }
}

Network::Network(int inputs, const ModelConfig& cfg, std::uint64_t initKey, int outputs)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (inputs <= 0) throwConfig("network needs at least one input feature, got " + std::to_string(inputs));
  if (outputs < 1) throwConfig("network needs at least one output, got " + std::to_string(outputs));
  m.outputs = outputs;
  const std::vector<int> widths = cfg.hiddenWidths();
  if (!std::isfinite(cfg.leakySlope))
    throwConfig("model: leaky_relu slope must be a finite number");
  if (!(cfg.eluAlpha > 0.0f) || !std::isfinite(cfg.eluAlpha))
    throwConfig("model: elu alpha = " + std::to_string(cfg.eluAlpha) + " must be > 0");
  if (cfg.batchNorm) {
    if (!(cfg.batchNormMomentum >= 0.0f && cfg.batchNormMomentum <= 1.0f))
      throwConfig("model: batch_norm_momentum = " + std::to_string(cfg.batchNormMomentum) + " must be in [0, 1]");
    if (!(cfg.batchNormEpsilon > 0.0f))
      throwConfig("model: batch_norm_epsilon = " + std::to_string(cfg.batchNormEpsilon) + " must be > 0");
  }
  m.inputs = inputs;
  m.cfg = cfg;
  m.ap.slope = cfg.leakySlope;
  m.ap.alpha = cfg.eluAlpha;

  std::size_t p = 0, s = 0;
  int fanIn = inputs;
  for (std::size_t l = 0; l <= widths.size(); ++l) {
    const bool out = l == widths.size();
    DenseLayerView v;
    v.inputs = fanIn;
    v.outputs = out ? outputs : widths[l];
    v.activation = out ? Activation::Linear : cfg.activation;
    v.dropout = out ? 0.0f : cfg.dropoutOf(l);
    v.batchNorm = !out && cfg.batchNorm;
    v.weightOffset = p;
    p += static_cast<std::size_t>(v.outputs) * static_cast<std::size_t>(v.inputs);
    v.biasOffset = p;
    p += static_cast<std::size_t>(v.outputs);
    if (v.batchNorm) {
      v.gammaOffset = p;
      v.betaOffset = p + static_cast<std::size_t>(v.outputs);
      p += 2 * static_cast<std::size_t>(v.outputs);
      v.runningMeanOffset = s;
      v.runningVarOffset = s + static_cast<std::size_t>(v.outputs);
      s += 2 * static_cast<std::size_t>(v.outputs);
    }
    m.views.push_back(v);
    fanIn = v.outputs;
  }
  m.bufs.resize(widths.size());
  for (std::size_t l = 0; l < widths.size(); ++l)
    if (m.views[l].batchNorm) {
      const int w = m.views[l].outputs;
      for (Eigen::VectorXf* vv : {&m.bufs[l].mean, &m.bufs[l].invStd, &m.bufs[l].scale, &m.bufs[l].shift,
                                  &m.bufs[l].colSum})
        vv->setZero(w);
    }
  m.params = ParamVector::Zero(static_cast<Eigen::Index>(p));
  m.grads = ParamVector::Zero(static_cast<Eigen::Index>(p));
  m.state = ParamVector::Zero(static_cast<Eigen::Index>(s));

  for (std::size_t l = 0; l < m.views.size(); ++l) {
    const DenseLayerView& v = m.views[l];
    Initializer init = cfg.init;
    if (init == Initializer::Auto)
      init = reluLike(v.activation) ? Initializer::HeNormal : Initializer::GlorotUniform;
    const double fi = v.inputs, fo = v.outputs;
    // Kaiming's gain for leaky_relu accounts for the negative slope (PyTorch's kaiming_*_(a=slope)).
    const double slope = v.activation == Activation::LeakyRelu ? static_cast<double>(cfg.leakySlope) : 0.0;
    const double heVar = 2.0 / ((1.0 + slope * slope) * fi);
    const double glorotVar = 2.0 / (fi + fo);
    const std::uint64_t key = rng::derive(initKey, l);
    const Eigen::Index count = static_cast<Eigen::Index>(v.outputs) * v.inputs;
    float* w = m.params.data() + v.weightOffset;
    for (Eigen::Index k = 0; k < count; ++k) {
      const auto c = static_cast<std::uint64_t>(k);
      double value = 0.0;
      switch (init) {
        case Initializer::HeNormal: value = std::sqrt(heVar) * rng::normal(key, c); break;
        case Initializer::HeUniform: value = std::sqrt(3.0 * heVar) * (2.0 * rng::uniform(key, c) - 1.0); break;
        case Initializer::GlorotNormal: value = std::sqrt(glorotVar) * rng::normal(key, c); break;
        case Initializer::Auto:
        case Initializer::GlorotUniform:
          value = std::sqrt(3.0 * glorotVar) * (2.0 * rng::uniform(key, c) - 1.0);
          break;
      }
      w[k] = static_cast<float>(value);
    }
    if (v.batchNorm) {
      m.vec(m.params, v.gammaOffset, v.outputs).setOnes();
      m.vec(m.state, v.runningVarOffset, v.outputs).setOnes();
    }
  }
}

Network::~Network() = default;
Network::Network(Network&&) noexcept = default;
Network& Network::operator=(Network&&) noexcept = default;

int Network::inputs() const { return impl_->inputs; }
int Network::outputs() const { return impl_->outputs; }
const ModelConfig& Network::config() const { return impl_->cfg; }
std::size_t Network::numParams() const { return static_cast<std::size_t>(impl_->params.size()); }
ParamVector& Network::params() { return impl_->params; }
const ParamVector& Network::params() const { return impl_->params; }
ParamVector& Network::grads() { return impl_->grads; }
const ParamVector& Network::grads() const { return impl_->grads; }
ParamVector& Network::state() { return impl_->state; }
const ParamVector& Network::state() const { return impl_->state; }
const std::vector<DenseLayerView>& Network::layers() const { return impl_->views; }

const RowVector& Network::forward(const Eigen::Ref<const Matrix>& x, bool training, const DropoutContext& dropout) {
  Impl& m = *impl_;
  if (m.outputs > 1) bug("forward: a network of " + std::to_string(m.outputs) + " outputs runs through forwardMulti");
  m.run(x, training, dropout);
  const Eigen::Index n = x.cols();
  RowVector* slot = nullptr;
  for (RowVector& r : m.logitSlots)
    if (r.size() == n) slot = &r;
  if (!slot) {
    slot = &m.logitSlots[m.nextSlot];
    m.nextSlot = (m.nextSlot + 1) % Impl::kLogitSlots;
    slot->resize(n);
  }
  *slot = m.outBuf.head(n);
  return *slot;
}

const RowVector& Network::forwardKept(const Eigen::Map<const Matrix>& x, const DropoutContext& dropout) {
  impl_->keepInput = true;
  try {
    const RowVector& logits = forward(x, /*training=*/true, dropout);
    impl_->keepInput = false;
    return logits;
  } catch (...) {
    impl_->keepInput = false;
    throw;
  }
}

Eigen::Ref<const Matrix> Network::forwardMulti(const Eigen::Ref<const Matrix>& x, bool training,
                                               const DropoutContext& dropout) {
  Impl& m = *impl_;
  if (m.outputs == 1) bug("forwardMulti: a network of one output runs through forward");
  m.run(x, training, dropout);
  return m.outMulti.leftCols(x.cols());
}

void Network::backwardMulti(const Eigen::Ref<const Matrix>& dlogits) { impl_->backpropMulti(dlogits, nullptr); }

void Network::backwardMulti(const Eigen::Ref<const Matrix>& dlogits, Eigen::Ref<Matrix> inputGrad) {
  impl_->backpropMulti(dlogits, &inputGrad);
}

void Network::backwardSegmentsMulti(const Eigen::Ref<const Matrix>& dlogits, std::span<const Eigen::Index> segmentEnds,
                                    std::span<float* const> segmentGrads) {
  impl_->backpropSegmentsMulti(dlogits, segmentEnds, segmentGrads);
}

void Network::predictMulti(const Eigen::Ref<const Matrix>& x, Eigen::Ref<Matrix> probabilities, int batchSize) {
  Impl& m = *impl_;
  if (batchSize <= 0) bug("predictMulti: batch size must be positive, got " + std::to_string(batchSize));
  if (m.outputs == 1 || probabilities.rows() != m.outputs || probabilities.cols() != x.cols())
    bug("predictMulti: a " + std::to_string(probabilities.rows()) + " x " + std::to_string(probabilities.cols()) +
        " output for " + std::to_string(x.cols()) + " events and " + std::to_string(m.outputs) + " outputs");
  for (Eigen::Index off = 0; off < x.cols(); off += batchSize) {
    const Eigen::Index nb = std::min<Eigen::Index>(batchSize, x.cols() - off);
    m.run(x.middleCols(off, nb), false, {});
    for (Eigen::Index i = 0; i < nb; ++i) softmax(m.outMulti.col(i), probabilities.col(off + i));
  }
}

void Network::backward(const Eigen::Ref<const RowVector>& dlogits) { impl_->backprop(dlogits, nullptr); }

void Network::backward(const Eigen::Ref<const RowVector>& dlogits, Eigen::Ref<Matrix> inputGrad) {
  impl_->backprop(dlogits, &inputGrad);
}

void Network::backwardSegments(const Eigen::Ref<const RowVector>& dlogits, std::span<const Eigen::Index> segmentEnds,
                               std::span<float* const> segmentGrads) {
  impl_->backpropSegments(dlogits, segmentEnds, segmentGrads);
}

void Network::zeroGrads() { impl_->grads.setZero(); }

void Network::setKernelThreads(int threads) {
  if (threads < 0) bug("setKernelThreads: " + std::to_string(threads) + " threads");
  impl_->kernelThreads = threads;
}

double Network::addPenalty(float l1, float l2) {
  Impl& m = *impl_;
  if (l1 == 0.0f && l2 == 0.0f) return 0.0;
  double penalty = 0.0;
  const float twoL2 = 2.0f * l2;
  for (const DenseLayerView& v : m.views) {
    const Eigen::Index count = static_cast<Eigen::Index>(v.outputs) * v.inputs;
    const float* w = m.params.data() + v.weightOffset;
    float* g = m.grads.data() + v.weightOffset;
    double absSum = 0.0, sqSum = 0.0;
    for (Eigen::Index k = 0; k < count; ++k) {
      const float x = w[k];
      absSum += std::abs(x);
      sqSum += static_cast<double>(x) * x;
      const float sign = x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
      g[k] += l1 * sign + twoL2 * x;
    }
    penalty += static_cast<double>(l1) * absSum + static_cast<double>(l2) * sqSum;
  }
  return penalty;
}

void Network::predict(const Eigen::Ref<const Matrix>& x, Eigen::Ref<Eigen::VectorXf> scores, int batchSize) {
  Impl& m = *impl_;
  if (m.outputs > 1) bug("predict: a network of " + std::to_string(m.outputs) + " outputs predicts through predictMulti");
  if (batchSize <= 0) bug("predict: batch size must be positive, got " + std::to_string(batchSize));
  if (scores.size() != x.cols())
    bug("predict: " + std::to_string(scores.size()) + " score slots for " + std::to_string(x.cols()) + " events");
  for (Eigen::Index off = 0; off < x.cols(); off += batchSize) {
    const Eigen::Index nb = std::min<Eigen::Index>(batchSize, x.cols() - off);
    m.run(x.middleCols(off, nb), false, {});
    for (Eigen::Index i = 0; i < nb; ++i) scores[off + i] = sigmoid(m.outBuf[i]);
  }
}

}  // namespace hepsweep::nn
