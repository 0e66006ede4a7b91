// Network layout, initialisation, dropout masks, batching invariances, error handling and a
// small end-to-end learning check.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/nn/Optimizer.hpp"

using namespace hepsweep;
using namespace hepsweep::nn;

namespace {

Matrix randomMatrix(int rows, int cols, std::uint64_t key, float scale = 1.0f) {
  Matrix m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k) m.data()[k] = scale * static_cast<float>(rng::normal(key, static_cast<std::uint64_t>(k)));
  return m;
}

// A network whose input gradient exposes its dropout mask: one linear hidden layer with W = I,
// b = 0 and output weights 1, so dLogit/dx(j, i) = mask(j, i) when dLoss/dLogit = 1.
struct MaskProbe {
  int width;
  Network net;
  MaskProbe(int w, float p) : width(w), net(w, config(w, p), 1) {
    net.params().setZero();
    const auto& h = net.layers()[0];
    for (int j = 0; j < w; ++j) net.params()[static_cast<Eigen::Index>(h.weightOffset) + j * w + j] = 1.0f;
    net.params().segment(static_cast<Eigen::Index>(net.layers()[1].weightOffset), w).setOnes();
  }
  static ModelConfig config(int w, float p) {
    ModelConfig c;
    c.widths = {w};
    c.activation = Activation::Linear;
    c.dropout = {p};
    return c;
  }
  Matrix masks(const DropoutContext& ctx, int n) {
    const Matrix x = Matrix::Ones(width, n);
    net.forward(x, true, ctx);
    Matrix dx(width, n);
    net.backward(RowVector::Ones(n), dx);
    return dx;
  }
};

}  // namespace

// The documented layout: per layer W (outputs x inputs, column-major) then bias, contiguous,
// output layer last; the tutorial network has PyTorch's parameter count. Setting parameters by
// that layout gives the hand-computed logit, so layers() and forward() agree.
TEST(NetworkLayout, OffsetsAndParameterCount) {
  ModelConfig cfg;
  cfg.widths = {25, 20};
  Network tutorial(16, cfg, 1);
  EXPECT_EQ(tutorial.numParams(), 16u * 25 + 25 + 25 * 20 + 20 + 20 + 1);
  EXPECT_EQ(tutorial.grads().size(), tutorial.params().size());
  ASSERT_EQ(tutorial.layers().size(), 3u);
  std::size_t expectOffset = 0;
  for (const auto& v : tutorial.layers()) {
    EXPECT_EQ(v.weightOffset, expectOffset);
    EXPECT_EQ(v.biasOffset, v.weightOffset + static_cast<std::size_t>(v.inputs * v.outputs));
    expectOffset = v.biasOffset + static_cast<std::size_t>(v.outputs);
  }
  EXPECT_EQ(expectOffset, tutorial.numParams());
  EXPECT_EQ(tutorial.layers()[2].activation, Activation::Linear);
  EXPECT_EQ(tutorial.layers()[2].outputs, 1);

  ModelConfig lin;
  lin.widths = {2};
  lin.activation = Activation::Linear;
  lin.dropout = {0.0f};
  Network net(3, lin, 1);
  // W1 = [[1, 2, 3], [4, 5, 6]] stored column-major: 1, 4, 2, 5, 3, 6; b1 = (0.5, -1); w2 = (2, -1), b2 = 0.25.
  net.params() << 1, 4, 2, 5, 3, 6, 0.5f, -1, 2, -1, 0.25f;
  Matrix x(3, 1);
  x << 1, -1, 2;
  // h = (1 - 2 + 6 + 0.5, 4 - 5 + 12 - 1) = (5.5, 10); logit = 11 - 10 + 0.25 = 1.25
  EXPECT_FLOAT_EQ(net.forward(x, false)[0], 1.25f);
}

// Batch norm adds gamma (1) and beta (0) after each hidden bias and running mean (0) / var (1)
// in state(); the output layer has no batch norm.
TEST(NetworkLayout, BatchNormParametersAndState) {
  ModelConfig cfg;
  cfg.widths = {6, 4};
  cfg.batchNorm = true;
  Network net(3, cfg, 1);
  EXPECT_EQ(net.numParams(), 3u * 6 + 6 + 12 + 6 * 4 + 4 + 8 + 4 + 1);
  EXPECT_EQ(net.state().size(), 2 * 6 + 2 * 4);
  for (std::size_t l = 0; l < 2; ++l) {
    const auto& v = net.layers()[l];
    EXPECT_TRUE(v.batchNorm);
    EXPECT_EQ(v.gammaOffset, v.biasOffset + static_cast<std::size_t>(v.outputs));
    EXPECT_EQ(v.betaOffset, v.gammaOffset + static_cast<std::size_t>(v.outputs));
    for (int j = 0; j < v.outputs; ++j) {
      EXPECT_EQ(net.params()[static_cast<Eigen::Index>(v.gammaOffset) + j], 1.0f);
      EXPECT_EQ(net.params()[static_cast<Eigen::Index>(v.betaOffset) + j], 0.0f);
      EXPECT_EQ(net.state()[static_cast<Eigen::Index>(v.runningMeanOffset) + j], 0.0f);
      EXPECT_EQ(net.state()[static_cast<Eigen::Index>(v.runningVarOffset) + j], 1.0f);
    }
  }
  EXPECT_FALSE(net.layers()[2].batchNorm);
}

// Same initKey -> bitwise identical parameters; another key -> different ones.
TEST(NetworkInit, DeterministicFromKey) {
  ModelConfig cfg;
  Network a(16, cfg, 42), b(16, cfg, 42), c(16, cfg, 43);
  EXPECT_EQ(a.params(), b.params());
  EXPECT_GT((a.params() - c.params()).cwiseAbs().maxCoeff(), 0.01f);
}

// Auto picks He (std sqrt(2/fan_in)) for relu and Glorot uniform (|w| <= sqrt(6/(in+out)),
// std limit/sqrt(3)) for tanh; explicit choices are honoured; biases start at zero.
TEST(NetworkInit, ScaleMatchesActivation) {
  auto stats = [](const Network& net, std::size_t layer) {
    const auto& v = net.layers()[layer];
    const auto w = net.params().segment(static_cast<Eigen::Index>(v.weightOffset), v.inputs * v.outputs);
    const double mean = w.cast<double>().mean();
    const double sd = std::sqrt((w.cast<double>().array() - mean).square().mean());
    return std::tuple{mean, sd, static_cast<double>(w.cwiseAbs().maxCoeff())};
  };
  ModelConfig cfg;
  cfg.widths = {300};
  cfg.activation = Activation::Relu;
  Network he(200, cfg, 7);
  auto [m1, s1, max1] = stats(he, 0);
  EXPECT_NEAR(m1, 0.0, 0.003);
  EXPECT_NEAR(s1, std::sqrt(2.0 / 200), 0.02 * std::sqrt(2.0 / 200));
  EXPECT_GT(max1, std::sqrt(6.0 / 200));  // a normal, not a uniform of the same variance
  const auto& h = he.layers()[0];
  EXPECT_EQ(he.params().segment(static_cast<Eigen::Index>(h.biasOffset), 300).cwiseAbs().maxCoeff(), 0.0f);

  cfg.activation = Activation::Tanh;
  Network glorot(200, cfg, 7);
  auto [m2, s2, max2] = stats(glorot, 0);
  const double limit = std::sqrt(6.0 / 500);
  EXPECT_NEAR(m2, 0.0, 0.003);
  EXPECT_LE(max2, limit);
  EXPECT_GT(max2, 0.99 * limit);
  EXPECT_NEAR(s2, limit / std::sqrt(3.0), 0.02 * limit);

  cfg.init = Initializer::HeUniform;
  Network heU(200, cfg, 7);
  auto [m3, s3, max3] = stats(heU, 0);
  EXPECT_LE(max3, std::sqrt(6.0 / 200));
  EXPECT_NEAR(s3, std::sqrt(2.0 / 200), 0.02 * std::sqrt(2.0 / 200));
  cfg.init = Initializer::GlorotNormal;
  Network gN(200, cfg, 7);
  auto [m4, s4, max4] = stats(gN, 0);
  EXPECT_NEAR(s4, std::sqrt(2.0 / 500), 0.02 * std::sqrt(2.0 / 500));
  (void)m3, (void)m4, (void)max4;
}

// Masks are a pure function of (key, layer, event counter, unit), per the documented formula;
// an event keeps its mask whatever its position in the batch; other counters or keys give
// other masks; empty counters mean the column index.
TEST(NetworkDropout, MasksFromCounterRng) {
  const int w = 50;
  const float p = 0.2f;
  MaskProbe probe(w, p);
  const std::vector<std::uint64_t> c1{5, 9, 123456789};
  const Matrix m1 = probe.masks({77, c1}, 3);
  EXPECT_EQ(probe.masks({77, c1}, 3), m1);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < w; ++j) {
      const float u = rng::dropoutUniform(rng::derive(77, 0), c1[static_cast<std::size_t>(i)], static_cast<std::uint32_t>(j));
      EXPECT_FLOAT_EQ(m1(j, i), u < p ? 0.0f : 1.0f / (1.0f - p)) << j << "," << i;
    }
  const std::vector<std::uint64_t> c2{9, 1, 5};
  const Matrix m2 = probe.masks({77, c2}, 3);
  EXPECT_EQ(m2.col(0), m1.col(1));  // event 9
  EXPECT_EQ(m2.col(2), m1.col(0));  // event 5
  EXPECT_NE(m2.col(1), m1.col(0));
  EXPECT_NE(probe.masks({78, c1}, 3), m1);
  const std::vector<std::uint64_t> iota{0, 1, 2};
  EXPECT_EQ(probe.masks({77, {}}, 3), probe.masks({77, iota}, 3));
}

// The dropped fraction is ~p and inverted scaling keeps the mean activation: training-mode
// logits average to the inference logit. Inference applies no dropout at all.
TEST(NetworkDropout, FractionScalingAndInference) {
  const int w = 50, n = 400;
  for (float p : {0.2f, 0.5f}) {
    MaskProbe probe(w, p);
    const Matrix m = probe.masks({3, {}}, n);
    const double dropped = static_cast<double>((m.array() == 0.0f).count()) / double(m.size());
    // 5 standard deviations of a binomial fraction with 20000 trials.
    EXPECT_NEAR(dropped, p, 5 * std::sqrt(p * (1 - p) / m.size()));
    const Matrix x = Matrix::Ones(w, n);
    const RowVector train = probe.net.forward(x, true, {3, {}});
    EXPECT_NEAR(train.mean() / w, 1.0, 0.02);
    const RowVector infer = probe.net.forward(x, false, {3, {}});
    for (int i = 0; i < n; ++i) ASSERT_EQ(infer[i], static_cast<float>(w));
  }
}

// Inference without batch norm is per-event: a batch gives the same logits as its columns one
// by one, and predict() (batched, with a partial last batch) gives their sigmoids.
TEST(NetworkForward, BatchEqualsColumnsAndPredict) {
  ModelConfig cfg;
  cfg.widths = {25, 20};
  cfg.dropout = {0.3f};  // must be ignored in inference
  Network net(16, cfg, 9);
  const Matrix x = randomMatrix(16, 7, 4);
  const RowVector batch = net.forward(x, false);
  for (int i = 0; i < 7; ++i) {
    const float single = net.forward(x.col(i), false)[0];
    EXPECT_NEAR(batch[i], single, 1e-5f * (1 + std::abs(single))) << i;
  }
  Eigen::VectorXf scores(7);
  net.predict(x, scores, 3);
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(scores[i], 1.0f / (1.0f + std::exp(-batch[i])), 1e-6f) << i;
  Eigen::VectorXf wrong(6);
  EXPECT_THROW(net.predict(x, wrong), Error);
}

// Changing the batch size (full, partial, full again) reuses buffers correctly: results and
// gradients for a batch do not depend on the sizes seen before.
TEST(NetworkForward, BatchSizeChangesAreConsistent) {
  ModelConfig cfg;
  cfg.widths = {8, 6};
  cfg.batchNorm = true;
  cfg.dropout = {0.25f};
  const Matrix big = randomMatrix(5, 100, 11);
  const Matrix part = big.leftCols(37);
  auto gradsFor = [&](Network& net, const Matrix& x) {
    std::vector<std::uint64_t> ctr(static_cast<std::size_t>(x.cols()));
    std::iota(ctr.begin(), ctr.end(), 1000);
    net.zeroGrads();
    const RowVector z = net.forward(x, true, {5, ctr});
    net.backward(RowVector::Constant(x.cols(), 0.01f) + 0.1f * z);
    return std::pair{RowVector(z), ParamVector(net.grads())};
  };
  Network fresh(5, cfg, 2), used(5, cfg, 2);
  gradsFor(used, big);
  used.state() = fresh.state();
  const auto [zf, gf] = gradsFor(fresh, part);
  const auto [zu, gu] = gradsFor(used, part);
  EXPECT_EQ(zf, zu);
  EXPECT_EQ(gf, gu);
  const auto [zb, gb] = gradsFor(used, big);
  EXPECT_EQ(zb.size(), 100);
  (void)gb;
}

// backward accumulates into grads() (micro-batches sum) until zeroGrads().
TEST(NetworkBackward, AccumulatesUntilZeroed) {
  ModelConfig cfg;
  Network net(4, cfg, 1);
  const Matrix x = randomMatrix(4, 10, 2);
  net.zeroGrads();
  net.forward(x, true);
  net.backward(RowVector::Constant(10, 0.1f));
  const ParamVector once = net.grads();
  EXPECT_GT(once.cwiseAbs().maxCoeff(), 0.0f);
  net.forward(x, true);
  net.backward(RowVector::Constant(10, 0.1f));
  EXPECT_TRUE(net.grads().isApprox(2.0f * once));
  net.zeroGrads();
  EXPECT_EQ(net.grads().cwiseAbs().maxCoeff(), 0.0f);
}

// Misuse is reported: wrong feature count (Input), backward without a training forward,
// batch norm on a 1-event training batch (Config), bad configuration values.
TEST(NetworkErrors, Reported) {
  ModelConfig cfg;
  Network net(4, cfg, 1);
  try {
    net.forward(randomMatrix(5, 3, 1), false);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
  }
  net.forward(randomMatrix(4, 3, 1), false);
  EXPECT_THROW(net.backward(RowVector::Ones(3)), Error);
  net.forward(randomMatrix(4, 3, 1), true);
  EXPECT_THROW(net.backward(RowVector::Ones(2)), Error);
  cfg.batchNorm = true;
  Network bn(4, cfg, 1);
  EXPECT_THROW(bn.forward(randomMatrix(4, 1, 1), true), Error);
  EXPECT_NO_THROW(bn.forward(randomMatrix(4, 1, 1), false));
  cfg.dropout = {0.1f, 0.2f, 0.3f};
  EXPECT_THROW(Network(4, cfg, 1), Error);
  EXPECT_THROW(Network(0, ModelConfig{}, 1), Error);
}

// A moved-from network's buffers travel with it (views into the parameter buffer stay valid).
TEST(NetworkForward, MoveKeepsWorking) {
  ModelConfig cfg;
  Network a(4, cfg, 1);
  const Matrix x = randomMatrix(4, 5, 3);
  const RowVector before = a.forward(x, false);
  Network b = std::move(a);
  EXPECT_EQ(b.forward(x, false), before);
}

// End to end: the network with Adam learns XOR-like data (label = sign(x0 x1), four Gaussian
// blobs), which no linear model can, to > 95% accuracy in 400 steps. Catches a sign error in
// any gradient, a broken optimiser step or a dropout that is not undone at inference.
TEST(NetworkLearning, LearnsXor) {
  ModelConfig cfg;
  cfg.widths = {16, 16};
  cfg.dropout = {0.1f};
  Network net(2, cfg, 2024);
  OptimizerConfig oc;
  oc.learningRate = 0.01f;
  auto opt = makeOptimizer(oc, net.numParams());
  auto sample = [](std::uint64_t key, int n, Matrix& x, RowVector& y) {
    x.resize(2, n);
    y.resize(n);
    for (int i = 0; i < n; ++i) {
      const auto c = static_cast<std::uint64_t>(i);
      const float s0 = rng::uniform(key, 4 * c) < 0.5 ? -1.0f : 1.0f;
      const float s1 = rng::uniform(key, 4 * c + 1) < 0.5 ? -1.0f : 1.0f;
      x(0, i) = s0 + 0.3f * static_cast<float>(rng::normal(key, 4 * c + 2));
      x(1, i) = s1 + 0.3f * static_cast<float>(rng::normal(key, 4 * c + 3));
      y[i] = s0 * s1 > 0 ? 1.0f : 0.0f;
    }
  };
  Matrix x;
  RowVector y;
  sample(1, 4096, x, y);
  const int batch = 64;
  RowVector d(batch);
  const RowVector noWeights;
  std::vector<std::uint64_t> ctr(batch);
  for (int s = 0; s < 400; ++s) {
    const int off = (s * batch) % 4096;
    std::iota(ctr.begin(), ctr.end(), static_cast<std::uint64_t>(s) * batch);
    const RowVector& z = net.forward(x.middleCols(off, batch), true, {9, ctr});
    bceWithLogits(z, y.segment(off, batch), noWeights, batch, d);
    net.zeroGrads();
    net.backward(d);
    opt->step(net.params(), net.grads());
  }
  Matrix xt;
  RowVector yt;
  sample(2, 2000, xt, yt);
  Eigen::VectorXf scores(2000);
  net.predict(xt, scores);
  int correct = 0;
  for (int i = 0; i < 2000; ++i) correct += (scores[i] > 0.5f) == (yt[i] > 0.5f);
  EXPECT_GT(correct / 2000.0, 0.95);
}

// backwardSegments (the training step's micro-batches in one forward and backward) gives each
// segment's gradient with the bits of a forward and backward over that segment alone, for
// segments of any length at any offset (unaligned, a single event, an empty one), with dropout,
// on every activation path; grads() is left alone. Catches a sum over the wrong events, a bias or
// output-layer sum that depends on where the segment lies, a missing zeroing of the buffers, or
// dropout masks that follow the position in the batch.
TEST(NetworkBackwardSegments, EachSegmentHasTheBitsOfItsOwnPass) {
  for (const Activation act : {Activation::Relu, Activation::Tanh, Activation::LeakyRelu}) {
    ModelConfig cfg;
    cfg.widths = {25, 20};
    cfg.activation = act;
    cfg.dropout = {0.2f};
    Network net(16, cfg, 5);
    const int n = 103;
    const Matrix x = randomMatrix(16, n, 11);
    std::vector<std::uint64_t> counters(n);
    for (int i = 0; i < n; ++i) counters[static_cast<std::size_t>(i)] = 1000u + 13u * static_cast<unsigned>(i);
    RowVector labels(n), weights(n);
    for (int i = 0; i < n; ++i) {
      labels[i] = static_cast<float>(i % 3 == 0);
      weights[i] = 0.5f + static_cast<float>(i % 7) * 0.25f;
    }
    const std::vector<Eigen::Index> ends{25, 26, 26, 57, 103};  // 25, 1, 0, 31, 46 events
    const auto p = static_cast<Eigen::Index>(net.numParams());

    // Reference: each segment through its own forward and backward.
    std::vector<Eigen::VectorXf> want;
    for (std::size_t s = 0; s < ends.size(); ++s) {
      const Eigen::Index c0 = s ? ends[s - 1] : 0, m = ends[s] - c0;
      net.zeroGrads();
      if (m > 0) {
        const std::span<const std::uint64_t> c(counters.data() + c0, static_cast<std::size_t>(m));
        const RowVector& logits = net.forward(x.middleCols(c0, m), true, {42, c});
        RowVector d(m);
        bceWithLogits(logits, labels.segment(c0, m), weights.segment(c0, m), n, d);
        net.backward(d);
      }
      want.push_back(net.grads());
    }

    net.grads().setConstant(7.0f);
    const Eigen::VectorXf before = net.grads();
    const RowVector& logits = net.forward(x, true, {42, counters});
    RowVector d(n);
    for (std::size_t s = 0; s < ends.size(); ++s) {
      const Eigen::Index c0 = s ? ends[s - 1] : 0, m = ends[s] - c0;
      if (m > 0) bceWithLogits(logits.segment(c0, m), labels.segment(c0, m), weights.segment(c0, m), n, d.segment(c0, m));
    }
    std::vector<Eigen::VectorXf> got(ends.size(), Eigen::VectorXf::Constant(p, -3.0f));
    std::vector<float*> out;
    for (auto& g : got) out.push_back(g.data());
    net.backwardSegments(d, ends, out);
    for (std::size_t s = 0; s < ends.size(); ++s) {
      ASSERT_EQ(got[s].size(), want[s].size());
      for (Eigen::Index k = 0; k < p; ++k)
        ASSERT_EQ(got[s][k], want[s][k]) << "activation " << static_cast<int>(act) << ", segment " << s << ", parameter " << k;
    }
    EXPECT_EQ(net.grads(), before);

    // forwardKept (the trainer's batch read in place, not copied): the same logits and segment
    // gradients.
    const RowVector logitsCopy = logits;
    const Eigen::Map<const Matrix> xm(x.data(), 16, n);
    EXPECT_EQ(net.forwardKept(xm, {42, counters}), logitsCopy);
    for (auto& g : got) g.setConstant(-3.0f);
    net.backwardSegments(d, ends, out);
    for (std::size_t s = 0; s < ends.size(); ++s)
      for (Eigen::Index k = 0; k < p; ++k)
        ASSERT_EQ(got[s][k], want[s][k]) << "forwardKept, activation " << static_cast<int>(act) << ", segment " << s
                                         << ", parameter " << k;
    // A plain forward afterwards copies its batch again: changing the caller's matrix before the
    // backward does not change the gradient.
    Matrix x2 = x.leftCols(25);
    net.zeroGrads();
    const RowVector& l25 = net.forward(x2, true, {42, std::span<const std::uint64_t>(counters.data(), 25)});
    RowVector d25(25);
    bceWithLogits(l25, labels.head(25), weights.head(25), n, d25);
    x2.setConstant(1e3f);
    net.backward(d25);
    EXPECT_EQ(net.grads(), want[0]) << "activation " << static_cast<int>(act);
  }
}

// Misuse is an internal error, not a wrong gradient: ends that do not cover the batch, buffers
// that do not match, batch normalisation (whose statistics belong to the whole batch).
TEST(NetworkBackwardSegments, RejectsMismatchedSegmentsAndBatchNorm) {
  ModelConfig cfg;
  cfg.widths = {8};
  Network net(4, cfg, 1);
  const Matrix x = randomMatrix(4, 10, 3);
  net.forward(x, true);
  Eigen::VectorXf g1(static_cast<Eigen::Index>(net.numParams())), g2 = g1;
  std::vector<float*> two{g1.data(), g2.data()};
  const RowVector d = RowVector::Ones(10);
  EXPECT_THROW(net.backwardSegments(d, std::vector<Eigen::Index>{4, 9}, two), Error);
  EXPECT_THROW(net.backwardSegments(d, std::vector<Eigen::Index>{10}, two), Error);
  EXPECT_THROW(net.backwardSegments(d, std::vector<Eigen::Index>{6, 4}, two), Error);
  cfg.batchNorm = true;
  Network bn(4, cfg, 1);
  bn.forward(x, true);
  EXPECT_THROW(bn.backwardSegments(d, std::vector<Eigen::Index>{4, 10}, two), Error);
}
