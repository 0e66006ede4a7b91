#pragma once
// The interface between the nn module and the instruction-set variants of its hot loops (see
// Kernels.inc). Raw pointers and plain structs only: every variant is the same source compiled
// with another -march, and any inline function or template the variants shared (Eigen, the
// standard library) would be merged by the linker into one copy, possibly the AVX-512 one, which
// an older CPU would then execute. The variants keep everything else internal to their file.
#include <cstddef>
#include <cstdint>

namespace hepsweep::nn::kern {

// Same order as nn::Activation.
enum class Act : int { Relu, LeakyRelu, Elu, Tanh, Sigmoid, Softplus, Linear };

// C (m x n, column-major, ldc) = op(A) op(B), or C += op(A) op(B) with `accumulate`; with `scale`
// (same layout as C) each entry of the product is multiplied by it before it is stored.
//   A(i, p) = a[i + p * lda], or a[p + i * lda] with aTrans (i < m, p < k)
//   B(p, j) = b[p + j * ldb], or b[j + p * ldb] with bTrans (p < k, j < n)
// Every entry is a sum over p in blocks of kGemmKc, each block summed in order of p, the blocks
// added in order: the same bits whatever the thread count, for any CPU of the variant's level.
inline constexpr int kGemmKc = 256;
struct GemmArgs {
  int m = 0, n = 0, k = 0;
  const float* a = nullptr;
  std::ptrdiff_t lda = 0;
  bool aTrans = false;
  const float* b = nullptr;
  std::ptrdiff_t ldb = 0;
  bool bTrans = false;
  float* c = nullptr;
  std::ptrdiff_t ldc = 0;
  bool accumulate = false;
  const float* scale = nullptr;
  float* work = nullptr;  // Table::gemmWorkspace(m, n, k, threads) floats
  int threads = 1;        // at most this many OpenMP threads (the work is split by columns of C)
  // With `reluShift` (and no `scale`): C(i, j) = relu(product + reluShift[i]) and, with `deriv`
  // (C's layout), deriv(i, j) = its derivative (1 or 0): the ReLU layer pass (LayerArgs without
  // scale or dropout) done on each tile while it is in registers, with the layer pass's bits.
  const float* reluShift = nullptr;
  float* deriv = nullptr;
};

// One fused pass of a hidden layer after its affine map: y = in * scale + shift (or in + shift),
// activation, dropout; in training also dh/dy times the dropout factor (see Network.cpp).
struct LayerArgs {
  const float* in = nullptr;
  const float* scale = nullptr;
  const float* shift = nullptr;
  float* out = nullptr;
  float* deriv = nullptr;
  std::ptrdiff_t rows = 0, n = 0;
  Act act = Act::Linear;
  float slope = 0.01f, alpha = 1.0f;
  bool scaled = false, train = false, drop = false;
  std::uint64_t dropKey = 0;
  const std::uint64_t* counters = nullptr;  // null: column index
  float p = 0.0f, keepScale = 1.0f;
};

// Optimiser updates; the scalars are computed by the caller (Optimizer.cpp) in double and rounded
// where PyTorch rounds them.
struct AdamArgs {
  float* params = nullptr;
  float* m = nullptr;
  float* v = nullptr;
  const float* grads = nullptr;
  std::ptrdiff_t n = 0;
  float b1 = 0, oneMinusB1 = 0, b2 = 0, oneMinusB2 = 0, bias2Sqrt = 1, eps = 0;
  float negStep = 0;   // Adam: -lr / bias1
  float gradStep = 0;  // NAdam
  float avgStep = 0;   // NAdam
};
struct SgdArgs {
  float* params = nullptr;
  float* buf = nullptr;  // momentum buffer (null without momentum)
  const float* grads = nullptr;
  std::ptrdiff_t n = 0;
  float negLr = 0, momentum = 0;
  bool nesterov = false, first = false;
};

// Binary cross-entropy on logits (Loss.cpp), per event: loss[i] = max(z,0) - z y + log1p(e^-|z|)
// (unweighted), and, with `dlogits`, dlogits[i] = (sigmoid(z) - y) w / normalizer (w = 1 without
// `weights`).
struct BceArgs {
  const float* logits = nullptr;
  const float* labels = nullptr;
  const float* weights = nullptr;
  std::ptrdiff_t n = 0;
  float normalizer = 1.0f;
  float* loss = nullptr;
  float* dlogits = nullptr;
};

struct Table {
  const char* name;
  // Floats of GemmArgs::work for these sizes.
  std::size_t (*gemmWorkspace)(int m, int n, int k, int threads);
  void (*gemm)(const GemmArgs&);
  // y[j] = bias + sum_p w[p] x[p + j ldx] for j < n (the output layer's logits).
  void (*dotColumns)(int k, int n, const float* w, const float* x, std::ptrdiff_t ldx, float bias, float* y);
  // y[i] += sum_j a[i + j lda] x[j] for i < m; x == nullptr: plain row sums.
  void (*gemvAdd)(int m, int n, const float* a, std::ptrdiff_t lda, const float* x, float* y);
  // delta[j + i rows] = (w[j] g[i]) deriv[j + i rows] (the last hidden layer's delta).
  void (*outerDelta)(int rows, int n, const float* w, const float* g, const float* deriv, float* delta);
  void (*layer)(const LayerArgs&);
  void (*adam)(const AdamArgs&);
  void (*nadam)(const AdamArgs&);
  void (*sgd)(const SgdArgs&);
  void (*bce)(const BceArgs&);
};

// One per compiled variant (Kernels*.cpp); Kernel.cpp picks one at start.
namespace portable { const Table& table(); }
#if defined(HEPSWEEP_KERNELS_X86)
namespace v2 { const Table& table(); }
namespace v3 { const Table& table(); }
namespace v4 { const Table& table(); }
#endif

// The table in use (Kernel.cpp).
const Table& active();

}  // namespace hepsweep::nn::kern
