// The instruction-set variants of the nn kernels (Kernel.hpp): every level this CPU supports
// against double-precision sums and against the portable level, bitwise determinism per level and
// thread count, the claims of docs/train.md about which results change between levels, and the
// level choice itself. Catches a wrong edge case of a micro-tile (sizes not multiples of the
// register tile, k beyond one packing block), a variant that rounds differently where it must not
// (activation, dropout, optimiser), and a dispatch that picks or accepts a level the CPU lacks.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/nn/Kernel.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/nn/Optimizer.hpp"
#include "kernels/KernelTable.hpp"

using namespace hepsweep;
using namespace hepsweep::nn;

namespace {

std::vector<KernelLevel> supportedLevels() {
  std::vector<KernelLevel> out;
  for (KernelLevel l : {KernelLevel::Portable, KernelLevel::V2, KernelLevel::V3, KernelLevel::V4})
    if (kernelLevelSupported(l)) out.push_back(l);
  return out;
}

// Restores the level chosen at start when a test ends.
struct LevelGuard {
  KernelLevel saved = activeKernel();
  ~LevelGuard() { setKernel(saved); }
};

std::vector<float> randomVector(std::size_t n, std::uint64_t key) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(rng::normal(key, i));
  return v;
}

struct GemmCase {
  int m, n, k;
  bool aTrans, bTrans, accumulate, scale;
};

// Runs one product in the active kernels; returns C.
std::vector<float> runGemm(const GemmCase& c, const std::vector<float>& a, const std::vector<float>& b,
                           const std::vector<float>& c0, const std::vector<float>& s, int threads = 1) {
  const kern::Table& t = kern::active();
  kern::GemmArgs g;
  g.m = c.m;
  g.n = c.n;
  g.k = c.k;
  g.a = a.data();
  g.aTrans = c.aTrans;
  g.lda = (c.aTrans ? c.k : c.m) + 3;  // padded leading dimensions
  g.b = b.data();
  g.bTrans = c.bTrans;
  g.ldb = (c.bTrans ? c.n : c.k) + 2;
  std::vector<float> out = c0;
  g.c = out.data();
  g.ldc = c.m + 1;
  g.accumulate = c.accumulate;
  g.scale = c.scale ? s.data() : nullptr;
  g.threads = threads;
  std::vector<float> work(t.gemmWorkspace(c.m, c.n, c.k, threads));
  g.work = work.data();
  t.gemm(g);
  return out;
}

TEST(KernelGemm, EveryLevelMatchesDoublePrecisionAndPortable) {
  LevelGuard guard;
  const std::vector<GemmCase> cases = {
      {1, 1, 1, false, false, false, false},   {25, 100, 16, false, false, false, false},
      {20, 100, 25, true, false, false, true}, {25, 16, 100, false, true, true, false},
      {33, 13, 300, false, false, true, true}, {70, 29, 600, true, true, false, false},
      {256, 37, 256, false, false, false, false}, {5, 3, 0, false, false, true, true},
      {70, 29, 600, false, false, true, false},  // B packed, k blocks of 256, 256, 88
  };
  for (const GemmCase& c : cases) {
    const std::string what = std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) +
                             (c.aTrans ? " A^T" : "") + (c.bTrans ? " B^T" : "") + (c.accumulate ? " +=" : "") +
                             (c.scale ? " *scale" : "");
    const auto lda = static_cast<std::size_t>((c.aTrans ? c.k : c.m) + 3);
    const auto ldb = static_cast<std::size_t>((c.bTrans ? c.n : c.k) + 2);
    const auto ldc = static_cast<std::size_t>(c.m + 1);
    const auto a = randomVector(lda * static_cast<std::size_t>(c.aTrans ? c.m : c.k) + 1, 1);
    const auto b = randomVector(ldb * static_cast<std::size_t>(c.bTrans ? c.k : c.n) + 1, 2);
    const auto c0 = randomVector(ldc * static_cast<std::size_t>(c.n), 3);
    const auto s = randomVector(ldc * static_cast<std::size_t>(c.n), 4);
    setKernel(KernelLevel::Portable);
    const std::vector<float> portable = runGemm(c, a, b, c0, s);
    for (KernelLevel level : supportedLevels()) {
      setKernel(level);
      const std::vector<float> got = runGemm(c, a, b, c0, s);
      for (int j = 0; j < c.n; ++j)
        for (int i = 0; i < c.m; ++i) {
          double sum = 0, mag = 0;
          for (int p = 0; p < c.k; ++p) {
            const double x = a[c.aTrans ? p + i * lda : i + p * lda];
            const double y = b[c.bTrans ? j + p * ldb : p + j * ldb];
            sum += x * y;
            mag += std::abs(x * y);
          }
          const std::size_t at = static_cast<std::size_t>(i) + j * ldc;
          double want = c.accumulate ? c0[at] + sum : sum;
          double bound = 1e-6 * (static_cast<double>(c.k) * mag + std::abs(want)) + 1e-30;
          if (c.scale) {
            want *= s[at];
            bound *= std::abs(s[at]);
          }
          ASSERT_NEAR(got[at], want, bound) << toString(level) << ' ' << what << " at (" << i << ", " << j << ")";
          ASSERT_NEAR(got[at], portable[at], 2 * bound) << toString(level) << ' ' << what;
        }
      // Entries outside the m x n block (the padding row of ldc) are left alone.
      for (int j = 0; j < c.n; ++j) EXPECT_EQ(got[static_cast<std::size_t>(c.m) + j * ldc], c0[static_cast<std::size_t>(c.m) + j * ldc]);
    }
  }
}

TEST(KernelGemm, SameBitsForAnyThreadCountAndRun) {
  LevelGuard guard;
  const GemmCase c{130, 300, 520, false, true, false, false};
  const auto a = randomVector(133 * 520, 5), b = randomVector(302 * 520, 6);
  const std::vector<float> c0(131 * 300, 0.0f), s;
  for (KernelLevel level : supportedLevels()) {
    setKernel(level);
    const auto one = runGemm(c, a, b, c0, s, 1);
    EXPECT_EQ(one, runGemm(c, a, b, c0, s, 1)) << toString(level);
    EXPECT_EQ(one, runGemm(c, a, b, c0, s, 3)) << toString(level) << ": 3 threads";
  }
}

// Network.cpp fuses a ReLU layer's bias and activation into its product (GemmArgs::reluShift):
// the fused product must give the bits of the product followed by the layer pass, outputs and
// derivatives, on every level: partial micro-tiles (m, n not multiples of the tile), B read in
// place (narrow layers) or packed, k beyond one packing block (the epilogue on the last block
// only), several threads, and inference (no derivative buffer).
TEST(KernelGemm, FusedReluGivesTheBitsOfTheProductThenTheLayerPass) {
  LevelGuard guard;
  struct Case { int m, n, k, threads; bool train; };
  const std::vector<Case> cases = {{25, 100, 16, 1, true}, {20, 13, 25, 1, true},   {256, 37, 28, 1, true},
                                   {33, 29, 300, 3, true}, {70, 50, 600, 2, false}, {256, 64, 256, 1, true},
                                   {7, 5, 3, 1, false},    {48, 24, 9, 1, true}};
  for (const Case& c : cases) {
    const std::string what = std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) +
                             (c.train ? " train" : " inference") + ", " + std::to_string(c.threads) + " threads";
    const auto sz = [](int x) { return static_cast<std::size_t>(x); };
    const auto a = randomVector(sz(c.m) * sz(c.k), 11), b = randomVector(sz(c.k) * sz(c.n), 12);
    auto shift = randomVector(sz(c.m), 13);
    shift[0] = 0.0f;  // with a zero product below: y == 0 exactly, ReLU's edge
    std::vector<float> aZero = a;
    for (int p = 0; p < c.k; ++p) aZero[sz(p) * sz(c.m)] = 0.0f;  // row 0 of A: a zero product
    for (KernelLevel level : supportedLevels()) {
      setKernel(level);
      const kern::Table& t = kern::active();
      kern::GemmArgs g;
      g.m = c.m;
      g.n = c.n;
      g.k = c.k;
      g.a = aZero.data();
      g.lda = c.m;
      g.b = b.data();
      g.ldb = c.k;
      g.ldc = c.m;
      g.threads = c.threads;
      std::vector<float> work(t.gemmWorkspace(c.m, c.n, c.k, c.threads));
      g.work = work.data();
      std::vector<float> want(sz(c.m) * sz(c.n), -1.0f), wantDeriv(want.size(), -1.0f);
      g.c = want.data();
      t.gemm(g);
      kern::LayerArgs k;
      k.in = want.data();
      k.out = want.data();
      k.shift = shift.data();
      k.deriv = wantDeriv.data();
      k.rows = c.m;
      k.n = c.n;
      k.act = kern::Act::Relu;
      k.train = true;
      t.layer(k);
      std::vector<float> got(want.size(), -1.0f), gotDeriv(want.size(), -1.0f);
      g.c = got.data();
      g.reluShift = shift.data();
      g.deriv = c.train ? gotDeriv.data() : nullptr;
      t.gemm(g);
      ASSERT_EQ(0, std::memcmp(got.data(), want.data(), want.size() * sizeof(float))) << toString(level) << ' ' << what;
      if (c.train)
        ASSERT_EQ(0, std::memcmp(gotDeriv.data(), wantDeriv.data(), want.size() * sizeof(float)))
            << toString(level) << ' ' << what;
      else
        ASSERT_EQ(std::vector<float>(want.size(), -1.0f), gotDeriv) << toString(level) << ' ' << what;
    }
  }
}

// docs/train.md: only the matrix products round differently between levels.
TEST(KernelElementwise, LayerPassLossAndOptimiserStepsHaveTheSameBitsOnEveryLevel) {
  LevelGuard guard;
  // rows: a partial last vector on every level, fewer rows than one vector (the next column starts
  // inside the lanes of a column's masked store), and whole vectors.
  for (const int rows : {37, 5, 16, 20}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    const int n = 23;
    const auto in = randomVector(static_cast<std::size_t>(rows * n), 7), scale = randomVector(static_cast<std::size_t>(rows), 8),
               shift = randomVector(static_cast<std::size_t>(rows), 9);
    std::vector<std::uint64_t> counters(n);
    for (int i = 0; i < n; ++i) counters[static_cast<std::size_t>(i)] = 1000u + 7u * static_cast<unsigned>(i);
    const auto layerOut = [&](kern::Act act, bool scaled, bool drop) {
      std::vector<float> out(in.size()), deriv(in.size());
      kern::LayerArgs k;
      k.in = in.data();
      k.scale = scale.data();
      k.shift = shift.data();
      k.out = out.data();
      k.deriv = deriv.data();
      k.rows = rows;
      k.n = n;
      k.act = act;
      k.slope = 0.03f;
      k.alpha = 0.7f;
      k.scaled = scaled;
      k.train = true;
      k.drop = drop;
      k.dropKey = 99;
      k.counters = counters.data();
      k.p = 0.3f;
      k.keepScale = 1.0f / 0.7f;
      kern::active().layer(k);
      // In place, as the network runs it (the input is the output buffer): the same bits.
      std::vector<float> inPlace = in, derivInPlace(in.size());
      k.in = k.out = inPlace.data();
      k.deriv = derivInPlace.data();
      kern::active().layer(k);
      EXPECT_EQ(inPlace, out) << "in place, activation " << static_cast<int>(act);
      EXPECT_EQ(derivInPlace, deriv) << "in place, activation " << static_cast<int>(act);
      out.insert(out.end(), deriv.begin(), deriv.end());
      return out;
    };
    const auto optimiserOut = [&]() {
      const auto g = randomVector(301, 10);
      std::vector<float> all;
      for (OptimizerKind kind : {OptimizerKind::Adam, OptimizerKind::NAdam, OptimizerKind::Sgd}) {
        OptimizerConfig cfg;
        cfg.kind = kind;
        cfg.momentum = kind == OptimizerKind::Sgd ? 0.9f : 0.0f;
        cfg.nesterov = kind == OptimizerKind::Sgd;
        auto opt = makeOptimizer(cfg, 301);
        Eigen::VectorXf p = Eigen::Map<const Eigen::VectorXf>(randomVector(301, 11).data(), 301);
        const Eigen::Map<const Eigen::VectorXf> gv(g.data(), 301);
        for (int step = 0; step < 3; ++step) opt->step(p, gv);
        all.insert(all.end(), p.data(), p.data() + p.size());
      }
      return all;
    };
    // The loss's terms and gradients, over a count that leaves a partial vector on every level.
    const auto lossOut = [&]() {
      const int m = 301;
      const auto zs = randomVector(m, 13), ws = randomVector(m, 14);
      RowVector z(m), y(m), w(m), d(m);
      for (int i = 0; i < m; ++i) {
        z[i] = 8.0f * zs[static_cast<std::size_t>(i)];
        y[i] = ws[static_cast<std::size_t>(i)] > 0 ? 1.0f : 0.0f;
        w[i] = 1.0f + 0.5f * ws[static_cast<std::size_t>(i)];
      }
      const double loss = bceWithLogits(z, y, w, 100.0, d);
      std::vector<float> all(d.data(), d.data() + m);
      all.push_back(static_cast<float>(loss));
      all.push_back(static_cast<float>(loss - static_cast<float>(loss)));
      return all;
    };
    setKernel(KernelLevel::Portable);
    const auto wantOpt = optimiserOut();
    const auto wantLoss = lossOut();
    for (KernelLevel level : supportedLevels()) {
      for (int a = 0; a <= static_cast<int>(kern::Act::Linear); ++a)
        for (bool scaled : {false, true})
          for (bool drop : {false, true}) {
            setKernel(KernelLevel::Portable);
            const auto want = layerOut(static_cast<kern::Act>(a), scaled, drop);
            setKernel(level);
            EXPECT_EQ(layerOut(static_cast<kern::Act>(a), scaled, drop), want)
                << toString(level) << " activation " << a << (scaled ? " scaled" : "") << (drop ? " dropout" : "");
          }
      setKernel(level);
      EXPECT_EQ(optimiserOut(), wantOpt) << toString(level);
      EXPECT_EQ(lossOut(), wantLoss) << toString(level);
    }
  }
}

// The loss kernel's formulas (Kernels.inc) in scalar float arithmetic, as they stood before the
// series of log1p skipped its square below t = 2^-15 (no fused multiply-add: the kernels are built
// with -ffp-contract=off, and so is this function).
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
void referenceBce(float z, float y, float w, float normalizer, float& loss, float& dlogit) {
  const auto sel = [](bool m, float a, float b) { return m ? a : b; };
  const bool pos = z >= 0.0f;
  float x = sel(pos, -z, z);
  x = sel(x < -87.0f, -87.0f, x);
  const float magic = 12582912.0f;
  const float t = x * 1.44269504088896341f + magic;
  const float nf = t - magic;
  std::int32_t ti, mi;
  std::memcpy(&ti, &t, 4);
  std::memcpy(&mi, &magic, 4);
  const std::int32_t ni = ti - mi;
  const float r = (x - nf * 0.693359375f) - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = (p * (r * r) + r) + 1.0f;
  const std::int32_t bits = (ni + 127) << 23;
  float scaleBits;
  std::memcpy(&scaleBits, &bits, 4);
  const float e = er * scaleBits;
  const float tt = e / (2.0f + e);
  const float s = tt * tt;
  float q = 1.0f / 15.0f;
  for (const float c : {1.0f / 13.0f, 1.0f / 11.0f, 1.0f / 9.0f, 1.0f / 7.0f, 1.0f / 5.0f, 1.0f / 3.0f}) q = q * s + c;
  const float t2 = tt + tt;
  loss = (sel(z > 0.0f, z, 0.0f) - z * y) + (t2 + t2 * (s * q));
  const float notY = 1.0f - y;
  const float num = sel(pos, notY - y * e, e * notY - y);
  dlogit = ((num / (1.0f + e)) * w) / normalizer;
}
#pragma GCC pop_options

// The output layer's dot products in the order Kernels.inc documents for a level of `lanes`-wide
// vectors: per column, lane l sums w[p] x[p] over p = l, l + lanes, ... below the last whole
// vector, the lanes are added in order from 0, then the remaining p one by one, then the bias;
// every step a fused multiply-add on the levels with FMA.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
std::vector<float> referenceDotColumns(int lanes, bool fma, int k, int n, const std::vector<float>& w,
                                       const std::vector<float>& x, int ldx, float bias) {
  const auto madd = [fma](float a, float b, float c) { return fma ? std::fma(a, b, c) : a * b + c; };
  const int kv = k / lanes * lanes;
  std::vector<float> y(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j) {
    std::vector<float> part(static_cast<std::size_t>(lanes), 0.0f);
    for (int p = 0; p < kv; ++p)
      part[static_cast<std::size_t>(p % lanes)] =
          madd(w[static_cast<std::size_t>(p)], x[static_cast<std::size_t>(j * ldx + p)], part[static_cast<std::size_t>(p % lanes)]);
    float sum = 0.0f;
    for (const float v : part) sum += v;
    for (int p = kv; p < k; ++p) sum = madd(w[static_cast<std::size_t>(p)], x[static_cast<std::size_t>(j * ldx + p)], sum);
    y[static_cast<std::size_t>(j)] = sum + bias;
  }
  return y;
}
#pragma GCC pop_options

TEST(KernelElementwise, OutputLayerDotProductsSumInTheDocumentedOrder) {
  LevelGuard guard;
  for (KernelLevel level : supportedLevels()) {
    const int lanes = level == KernelLevel::V4 ? 16 : level == KernelLevel::V3 ? 8 : 4;
    const bool fma = level == KernelLevel::V3 || level == KernelLevel::V4;
    setKernel(level);
    for (const int k : {20, 28, 5, 16, 33})
      for (const int n : {37, 16, 3, 100}) {
        const int ldx = k + 3;
        const auto w = randomVector(static_cast<std::size_t>(k), 21);
        const auto x = randomVector(static_cast<std::size_t>(ldx * n), 22);
        std::vector<float> y(static_cast<std::size_t>(n));
        kern::active().dotColumns(k, n, w.data(), x.data(), ldx, 0.25f, y.data());
        const auto want = referenceDotColumns(lanes, fma, k, n, w, x, ldx, 0.25f);
        for (int j = 0; j < n; ++j)
          ASSERT_EQ(std::bit_cast<std::uint32_t>(y[static_cast<std::size_t>(j)]), std::bit_cast<std::uint32_t>(want[static_cast<std::size_t>(j)]))
              << toString(level) << " k " << k << " n " << n << " column " << j;
      }
  }
}

// Row sums of the gradients (gemvAdd): each row summed over the columns in order from zero, with
// or without the factors x, then added to y; the same order on every level and for every row,
// whether it falls in a block of vectors, a single vector or the last partial one.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
std::vector<float> referenceGemvAdd(bool fma, int m, int n, const std::vector<float>& a, int lda, const float* x,
                                    std::vector<float> y) {
  for (int i = 0; i < m; ++i) {
    float acc = 0.0f;
    for (int j = 0; j < n; ++j) {
      const float v = a[static_cast<std::size_t>(i + j * lda)];
      acc = !x ? acc + v : fma ? std::fma(v, x[j], acc) : v * x[j] + acc;
    }
    y[static_cast<std::size_t>(i)] = y[static_cast<std::size_t>(i)] + acc;
  }
  return y;
}
#pragma GCC pop_options

TEST(KernelElementwise, GradientRowSumsAddInTheDocumentedOrder) {
  LevelGuard guard;
  for (KernelLevel level : supportedLevels()) {
    const bool fma = level == KernelLevel::V3 || level == KernelLevel::V4;
    setKernel(level);
    for (const int m : {25, 20, 5, 71, 16})
      for (const int n : {25, 1, 100})
        for (const bool withX : {false, true}) {
          const int lda = m + 2;
          const auto a = randomVector(static_cast<std::size_t>(lda * n), 31);
          const auto x = randomVector(static_cast<std::size_t>(n), 32);
          // y has one more entry than the rows: it must stay as it is.
          std::vector<float> y = randomVector(static_cast<std::size_t>(m + 1), 33);
          const auto want = referenceGemvAdd(fma, m, n, a, lda, withX ? x.data() : nullptr, y);
          kern::active().gemvAdd(m, n, a.data(), lda, withX ? x.data() : nullptr, y.data());
          for (int i = 0; i <= m; ++i)
            ASSERT_EQ(std::bit_cast<std::uint32_t>(y[static_cast<std::size_t>(i)]), std::bit_cast<std::uint32_t>(want[static_cast<std::size_t>(i)]))
                << toString(level) << " m " << m << " n " << n << (withX ? " with x" : "") << " row " << i;
        }
  }
}

// The last hidden layer's delta (outerDelta): (w[j] g[i]) deriv[j, i] on every level, whether
// row j falls in a whole vector or in the last, partial one; nothing written past the block.
TEST(KernelElementwise, LastHiddenDeltaIsTheProductOnEveryLevel) {
  LevelGuard guard;
  for (KernelLevel level : supportedLevels()) {
    setKernel(level);
    for (const int rows : {20, 25, 5, 16, 37}) {
      const int n = 7;
      const auto w = randomVector(static_cast<std::size_t>(rows), 41), g = randomVector(static_cast<std::size_t>(n), 42);
      const auto deriv = randomVector(static_cast<std::size_t>(rows * n), 43);
      std::vector<float> delta(static_cast<std::size_t>(rows * n + 1), -5.0f);
      kern::active().outerDelta(rows, n, w.data(), g.data(), deriv.data(), delta.data());
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < rows; ++j) {
          const auto at = static_cast<std::size_t>(j + i * rows);
          const float want = w[static_cast<std::size_t>(j)] * g[static_cast<std::size_t>(i)] * deriv[at];
          ASSERT_EQ(std::bit_cast<std::uint32_t>(delta[at]), std::bit_cast<std::uint32_t>(want))
              << toString(level) << " rows " << rows << " at (" << j << ", " << i << ")";
        }
      EXPECT_EQ(delta.back(), -5.0f) << toString(level) << " rows " << rows;
    }
  }
}

// Confident logits (|z| beyond ~44 squares t into subnormals, which the kernel now avoids) keep
// the bits of the formula as written, on every level, for both labels, with weights.
TEST(KernelElementwise, LossOfConfidentLogitsKeepsItsBits) {
  LevelGuard guard;
  std::vector<float> z, y, w;
  for (int i = 0; i <= 4000; ++i) {
    const float v = -120.0f + 0.06f * static_cast<float>(i) + 1e-3f * static_cast<float>(i % 7);
    for (const float label : {0.0f, 1.0f}) {
      z.push_back(v);
      y.push_back(label);
      w.push_back(0.5f + 0.25f * static_cast<float>(i % 5));
    }
  }
  for (const float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 44.0f, -44.0f, 87.0f, -87.0f, 88.7f, -88.7f, 104.0f, -104.0f}) {
    z.push_back(v);
    y.push_back(v > 0 ? 0.0f : 1.0f);
    w.push_back(1.0f);
  }
  const std::size_t n = z.size();
  std::vector<float> wantLoss(n), wantD(n);
  for (std::size_t i = 0; i < n; ++i) referenceBce(z[i], y[i], w[i], 100.0f, wantLoss[i], wantD[i]);
  for (KernelLevel level : supportedLevels()) {
    setKernel(level);
    std::vector<float> loss(n), d(n);
    kern::BceArgs a;
    a.logits = z.data();
    a.labels = y.data();
    a.weights = w.data();
    a.n = static_cast<std::ptrdiff_t>(n);
    a.normalizer = 100.0f;
    a.loss = loss.data();
    a.dlogits = d.data();
    kern::active().bce(a);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(loss[i]), std::bit_cast<std::uint32_t>(wantLoss[i]))
          << toString(level) << " loss at z = " << z[i] << ", y = " << y[i] << ": " << loss[i] << " vs " << wantLoss[i];
      ASSERT_EQ(std::bit_cast<std::uint32_t>(d[i]), std::bit_cast<std::uint32_t>(wantD[i]))
          << toString(level) << " gradient at z = " << z[i] << ", y = " << y[i];
    }
  }
}

// Twenty Adam steps of a 28-64-48-1 tanh network with dropout: each level reproduces its own bits,
// and stays within float rounding of the portable level.
Eigen::VectorXf trainedParams(int steps) {
  ModelConfig cfg;
  cfg.widths = {64, 48};
  cfg.activation = Activation::Tanh;
  cfg.dropout = {0.1f};
  Network net(28, cfg, 17);
  auto opt = makeOptimizer(OptimizerConfig{}, net.numParams());
  const int n = 150;
  const auto xs = randomVector(28 * n, 12);
  const Eigen::Map<const Matrix> x(xs.data(), 28, n);
  RowVector y(n), w = RowVector::Ones(n), d(n);
  for (int i = 0; i < n; ++i) y[i] = xs[static_cast<std::size_t>(28 * i)] + xs[static_cast<std::size_t>(28 * i + 1)] > 0 ? 1.0f : 0.0f;
  std::vector<std::uint64_t> ctr(n);
  for (int i = 0; i < n; ++i) ctr[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i);
  for (int s = 0; s < steps; ++s) {
    const RowVector& z = net.forward(x, true, {static_cast<std::uint64_t>(s), ctr});
    bceWithLogits(z, y, w, n, d);
    net.zeroGrads();
    net.backward(d);
    opt->step(net.params(), net.grads());
  }
  return net.params();
}

TEST(KernelNetwork, TrainingReproducesPerLevelAndAgreesWithPortable) {
  LevelGuard guard;
  setKernel(KernelLevel::Portable);
  const Eigen::VectorXf portable = trainedParams(20);
  for (KernelLevel level : supportedLevels()) {
    setKernel(level);
    const Eigen::VectorXf got = trainedParams(20);
    EXPECT_EQ(got, trainedParams(20)) << toString(level) << " is not bitwise reproducible";
    // 20 steps of lr 1e-3 move a weight by up to ~2e-2; rounding differences stay far below.
    EXPECT_LE((got - portable).cwiseAbs().maxCoeff(), 2e-5f) << toString(level);
    EXPECT_GT((got - trainedParams(0)).cwiseAbs().maxCoeff(), 1e-3f) << "the network did not train";
  }
}

TEST(KernelLevels, NamesAndRefusals) {
  for (KernelLevel l : {KernelLevel::Portable, KernelLevel::V2, KernelLevel::V3, KernelLevel::V4})
    EXPECT_EQ(parseKernelLevel(toString(l)), l);
  EXPECT_EQ(parseKernelLevel("auto"), bestKernelLevel());
  try {
    parseKernelLevel("avx2");
    FAIL() << "an unknown level was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_NE(std::string(e.what()).find("portable, v2, v3, v4 or auto"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(kernelLevelSupported(KernelLevel::Portable));
  EXPECT_TRUE(kernelLevelSupported(bestKernelLevel()));
  // Levels are ordered: a CPU that runs one runs the lower ones.
  bool lowerMissing = false;
  for (KernelLevel l : {KernelLevel::Portable, KernelLevel::V2, KernelLevel::V3, KernelLevel::V4}) {
    if (kernelLevelSupported(l)) EXPECT_FALSE(lowerMissing) << toString(l);
    else lowerMissing = true;
  }
  for (KernelLevel l : {KernelLevel::V2, KernelLevel::V3, KernelLevel::V4})
    if (!kernelLevelSupported(l)) {
      try {
        setKernel(l);
        FAIL() << toString(l) << " was accepted on a CPU without it";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not supported by this CPU"), std::string::npos) << e.what();
      }
    }
  EXPECT_NE(kernelDescription().find(toString(activeKernel())), std::string::npos);
}

}  // namespace
