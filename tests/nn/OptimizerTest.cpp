// Adam, NAdam and SGD update rules against PyTorch and against the formulas written out here,
// and checkpoint round trips of their state.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <memory>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/nn/Optimizer.hpp"

using namespace hepsweep;
using namespace hepsweep::nn;
using Eigen::VectorXf;

namespace {

const std::array<std::array<float, 3>, 4> kGrads{{
    {0.1f, -0.2f, 0.3f}, {-0.05f, 0.4f, 0.0f}, {0.2f, 0.1f, -0.3f}, {1e-3f, -2.0f, 0.5f}}};
const std::array<float, 3> kStart{0.5f, -1.25f, 2.0f};

VectorXf vec3(const std::array<float, 3>& a) { return Eigen::Vector3f(a[0], a[1], a[2]); }

// Applies the four gradients of kGrads; returns the parameters after each step.
std::vector<VectorXf> runSteps(Optimizer& opt) {
  VectorXf p = vec3(kStart);
  std::vector<VectorXf> out;
  for (const auto& g : kGrads) {
    opt.step(p, vec3(g));
    out.push_back(p);
  }
  return out;
}

void expectTrajectory(const std::vector<VectorXf>& got, const std::vector<std::array<double, 3>>& want,
                      double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t s = 0; s < want.size(); ++s)
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[s][i], want[s][static_cast<std::size_t>(i)], tol) << "step " << s + 1 << " element " << i;
}

OptimizerConfig config(OptimizerKind kind, float lr) {
  OptimizerConfig c;
  c.kind = kind;
  c.learningRate = lr;
  return c;
}

// --- the update rules written out in double precision, independently of the library ---

std::vector<std::array<double, 3>> adamReference(double lr, double b1, double b2, double eps) {
  std::array<double, 3> p{kStart[0], kStart[1], kStart[2]}, m{}, v{};
  std::vector<std::array<double, 3>> out;
  for (int t = 1; t <= 4; ++t) {
    for (int i = 0; i < 3; ++i) {
      const double g = kGrads[static_cast<std::size_t>(t - 1)][static_cast<std::size_t>(i)];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const double mhat = m[i] / (1 - std::pow(b1, t)), vhat = v[i] / (1 - std::pow(b2, t));
      p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
    out.push_back(p);
  }
  return out;
}

// NAdam (Dozat 2016 with PyTorch's momentum-decay schedule), as in torch.optim.NAdam's docs.
std::vector<std::array<double, 3>> nadamReference(double lr, double b1, double b2, double eps, double psi) {
  std::array<double, 3> p{kStart[0], kStart[1], kStart[2]}, m{}, v{};
  std::vector<std::array<double, 3>> out;
  double muProd = 1.0;
  for (int t = 1; t <= 4; ++t) {
    const double mu = b1 * (1 - 0.5 * std::pow(0.96, t * psi));
    const double muNext = b1 * (1 - 0.5 * std::pow(0.96, (t + 1) * psi));
    muProd *= mu;
    for (int i = 0; i < 3; ++i) {
      const double g = kGrads[static_cast<std::size_t>(t - 1)][static_cast<std::size_t>(i)];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const double mhat = muNext * m[i] / (1 - muProd * muNext) + (1 - mu) * g / (1 - muProd);
      const double vhat = v[i] / (1 - std::pow(b2, t));
      p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
    out.push_back(p);
  }
  return out;
}

// SGD with momentum mu (dampening 0): b_1 = g_1, b_t = mu b_{t-1} + g_t; step along b_t, or
// along g_t + mu b_t with Nesterov.
std::vector<std::array<double, 3>> sgdReference(double lr, double mu, bool nesterov) {
  std::array<double, 3> p{kStart[0], kStart[1], kStart[2]}, b{};
  std::vector<std::array<double, 3>> out;
  for (int t = 1; t <= 4; ++t) {
    for (int i = 0; i < 3; ++i) {
      const double g = kGrads[static_cast<std::size_t>(t - 1)][static_cast<std::size_t>(i)];
      b[i] = t == 1 ? g : mu * b[i] + g;
      const double d = mu == 0.0 ? g : (nesterov ? g + mu * b[i] : b[i]);
      p[i] -= lr * d;
    }
    out.push_back(p);
  }
  return out;
}

}  // namespace

// Expected values were printed by /usr/bin/python3 (torch 1.13) running, for each optimiser:
//   p = torch.tensor([0.5, -1.25, 2.0], requires_grad=True); opt = <optimiser>([p])
//   for g in [[0.1,-0.2,0.3], [-0.05,0.4,0.0], [0.2,0.1,-0.3], [1e-3,-2.0,0.5]]:
//       p.grad = torch.tensor(g); opt.step(); print(['%.9g' % v for v in p.detach()])
// with <optimiser> = Adam(lr=0.01), NAdam(lr=0.01, foreach=True), SGD(lr=0.1),
// SGD(lr=0.1, momentum=0.9), SGD(lr=0.1, momentum=0.9, nesterov=True).
// NAdam uses foreach=True: 1.13's single-tensor path multiplies an extra mu_t into the second
// term's product (a bug fixed in pytorch/pytorch#92699); its foreach path and its docs agree.
TEST(NnOptimizer, AdamMatchesTorchAndFormula) {
  auto opt = makeOptimizer(config(OptimizerKind::Adam, 0.01f), 3);
  const auto got = runSteps(*opt);
  expectTrajectory(got, {{0.49000001, -1.24000001, 1.99000001}, {0.487336636, -1.24366105, 1.98329937},
                         {0.480755508, -1.24781752, 1.98415804}, {0.475339323, -1.24291241, 1.98017991}},
                   3e-7);
  expectTrajectory(got, adamReference(0.01, 0.9, 0.999, 1e-8), 1e-6);
  EXPECT_EQ(opt->steps(), 4);
}

TEST(NnOptimizer, NAdamMatchesTorchAndFormula) {
  auto opt = makeOptimizer(config(OptimizerKind::NAdam, 0.01f), 3);
  const auto got = runSteps(*opt);
  expectTrajectory(got, {{0.489435494, -1.23943543, 1.98943543}, {0.493546605, -1.24850106, 1.9888047},
                         {0.483565599, -1.25131667, 1.99632323}, {0.48266089, -1.239375, 1.98695636}},
                   3e-7);
  expectTrajectory(got, nadamReference(0.01, 0.9, 0.999, 1e-8, 4e-3), 1e-6);
}

TEST(NnOptimizer, SgdPlainMatchesTorchAndFormula) {
  auto opt = makeOptimizer(config(OptimizerKind::Sgd, 0.1f), 3);
  const auto got = runSteps(*opt);
  expectTrajectory(got, {{0.49000001, -1.23000002, 1.97000003}, {0.495000005, -1.26999998, 1.97000003},
                         {0.474999994, -1.27999997, 2.0}, {0.474900007, -1.07999992, 1.95000005}},
                   3e-7);
  expectTrajectory(got, sgdReference(0.1, 0.0, false), 1e-6);
}

// Momentum: the first step seeds the buffer with the gradient (no (1 - dampening) factor).
TEST(NnOptimizer, SgdMomentumMatchesTorchAndFormula) {
  OptimizerConfig c = config(OptimizerKind::Sgd, 0.1f);
  c.momentum = 0.9f;
  auto opt = makeOptimizer(c, 3);
  const auto got = runSteps(*opt);
  expectTrajectory(got, {{0.49000001, -1.23000002, 1.97000003}, {0.486000001, -1.25199997, 1.94300008},
                         {0.462399989, -1.28180003, 1.94870007}, {0.441059977, -1.10862005, 1.90383005}},
                   3e-7);
  expectTrajectory(got, sgdReference(0.1, 0.9, false), 1e-6);
}

TEST(NnOptimizer, SgdNesterovMatchesTorchAndFormula) {
  OptimizerConfig c = config(OptimizerKind::Sgd, 0.1f);
  c.momentum = 0.9f;
  c.nesterov = true;
  auto opt = makeOptimizer(c, 3);
  const auto got = runSteps(*opt);
  expectTrajectory(got, {{0.481000006, -1.21200001, 1.94299996}, {0.4824, -1.27180004, 1.91869998},
                         {0.441159993, -1.3086201, 1.95383}, {0.421853989, -0.952758074, 1.86344695}},
                   3e-7);
  expectTrajectory(got, sgdReference(0.1, 0.9, true), 1e-6);
}

// Non-default hyper-parameters reach the update (catches a hard-coded beta or epsilon).
TEST(NnOptimizer, HyperParametersAreUsed) {
  OptimizerConfig c = config(OptimizerKind::Adam, 0.05f);
  c.beta1 = 0.8f;
  c.beta2 = 0.95f;
  c.epsilon = 0.1f;
  auto adam = makeOptimizer(c, 3);
  expectTrajectory(runSteps(*adam), adamReference(0.05, 0.8, 0.95, 0.1), 1e-6);
  c.kind = OptimizerKind::NAdam;
  c.momentumDecay = 0.5f;
  auto nadam = makeOptimizer(c, 3);
  expectTrajectory(runSteps(*nadam), nadamReference(0.05, 0.8, 0.95, 0.1, 0.5), 1e-6);
}

// A resumed optimiser continues bit-identically: state vectors, step counter and NAdam's
// mu-product must all be restored (dropping any of them changes the next steps).
TEST(NnOptimizer, SaveLoadContinuesBitIdentically) {
  OptimizerConfig sgd = config(OptimizerKind::Sgd, 0.1f);
  sgd.momentum = 0.9f;
  sgd.nesterov = true;
  for (const OptimizerConfig& c : {config(OptimizerKind::Adam, 0.01f), config(OptimizerKind::NAdam, 0.01f), sgd,
                                   config(OptimizerKind::Sgd, 0.1f)}) {
    SCOPED_TRACE(toString(c.kind));
    const int n = 7;
    auto grad = [&](int t) {
      VectorXf g(n);
      for (int i = 0; i < n; ++i) g[i] = std::sin(0.7f * static_cast<float>(i + 1) * static_cast<float>(t + 1));
      return g;
    };
    auto a = makeOptimizer(c, n);
    VectorXf pa = VectorXf::LinSpaced(n, -1.0f, 1.0f);
    for (int t = 0; t < 5; ++t) a->step(pa, grad(t));
    const Optimizer::State saved = a->saveState();
    EXPECT_EQ(saved.steps, 5);
    auto b = makeOptimizer(c, n);
    b->loadState(saved);
    EXPECT_EQ(b->steps(), 5);
    VectorXf pb = pa;
    for (int t = 5; t < 12; ++t) {
      a->step(pa, grad(t));
      b->step(pb, grad(t));
    }
    for (int i = 0; i < n; ++i) EXPECT_EQ(pa[i], pb[i]) << i;
    // A fresh optimiser (state not loaded) takes different steps: the state matters.
    if (!saved.vectors.empty()) {
      auto fresh = makeOptimizer(c, n);
      VectorXf pc = VectorXf::LinSpaced(n, -1.0f, 1.0f);
      for (int t = 0; t < 5; ++t) fresh->step(pc, grad(t));
      auto c2 = makeOptimizer(c, n);
      VectorXf pd = pc;
      c2->step(pd, grad(5));
      fresh->step(pc, grad(5));
      EXPECT_NE((pc - pd).cwiseAbs().maxCoeff(), 0.0f);
    }
  }
}

// Steps of ranges (what the ranks of a group take, one range each) against whole steps: after
// each step every element and every per-parameter state vector has the whole step's bits once
// all ranges are stepped, and elements outside the range are not touched. parameterState() is the
// state saveState() stores (the vectors a group gathers for checkpoints).
TEST(NnOptimizer, StepsOfRangesGiveTheBitsOfWholeSteps) {
  OptimizerConfig sgd = config(OptimizerKind::Sgd, 0.1f);
  sgd.momentum = 0.9f;
  for (const OptimizerConfig& c : {config(OptimizerKind::Adam, 0.01f), config(OptimizerKind::NAdam, 0.01f), sgd,
                                   config(OptimizerKind::Sgd, 0.1f)}) {
    SCOPED_TRACE(toString(c.kind));
    const int n = 37;  // ranges of 16, 16 and 5 (a vector body and a tail in each kernel)
    auto grad = [&](int t) {
      VectorXf g(n);
      for (int i = 0; i < n; ++i) g[i] = std::sin(0.7f * static_cast<float>(i + 1) * static_cast<float>(t + 1));
      return g;
    };
    auto whole = makeOptimizer(c, n);
    std::vector<std::unique_ptr<Optimizer>> parts;  // one per "rank", each stepping one range
    for (int r = 0; r < 3; ++r) parts.push_back(makeOptimizer(c, n));
    const std::array<std::pair<std::size_t, std::size_t>, 3> ranges{{{0, 16}, {16, 16}, {32, 5}}};
    VectorXf pw = VectorXf::LinSpaced(n, -1.0f, 1.0f), pr = pw;
    for (int t = 0; t < 6; ++t) {
      whole->step(pw, grad(t));
      for (std::size_t r = 0; r < 3; ++r) {
        const VectorXf before = pr;
        parts[r]->step(pr, grad(t), ranges[r].first, ranges[r].second);
        for (int i = 0; i < n; ++i) {
          const auto u = static_cast<std::size_t>(i);
          if (u < ranges[r].first || u >= ranges[r].first + ranges[r].second) {
            EXPECT_EQ(pr[i], before[i]) << i;
          }
        }
      }
      for (int i = 0; i < n; ++i) EXPECT_EQ(pw[i], pr[i]) << "step " << t << " element " << i;
    }
    const auto state = whole->parameterState();
    EXPECT_EQ(state.size(), whole->saveState().vectors.size() - (c.kind == OptimizerKind::NAdam ? 1 : 0));
    for (std::size_t k = 0; k < state.size(); ++k) {
      for (std::size_t r = 0; r < 3; ++r) {
        const VectorXf& mine = *parts[r]->parameterState()[k];
        for (std::size_t i = ranges[r].first; i < ranges[r].first + ranges[r].second; ++i)
          EXPECT_EQ(mine[static_cast<Eigen::Index>(i)], (*state[k])[static_cast<Eigen::Index>(i)]) << "vector " << k << " element " << i;
      }
    }
  }
  auto adam = makeOptimizer(config(OptimizerKind::Adam, 0.01f), 4);
  VectorXf p = VectorXf::Zero(4);
  EXPECT_THROW(adam->step(p, VectorXf::Ones(4), 2, 3), Error);
}

// NAdam's checkpoint carries mu_product: restoring moments and step alone is not enough.
TEST(NnOptimizer, NAdamStateIncludesMuProduct) {
  auto a = makeOptimizer(config(OptimizerKind::NAdam, 0.01f), 3);
  VectorXf p = vec3(kStart);
  for (const auto& g : kGrads) a->step(p, vec3(g));
  const auto s = a->saveState();
  ASSERT_EQ(s.names.size(), 3u);
  EXPECT_EQ(s.names[2], "mu_product");
  double mu = 1.0;
  for (int t = 1; t <= 4; ++t) mu *= 0.9 * (1 - 0.5 * std::pow(0.96, t * 4e-3));
  EXPECT_NEAR(s.vectors[2][0], mu, 1e-6);
}

// A checkpoint of another optimiser or another network size is an Input error, not garbage.
TEST(NnOptimizer, LoadStateRejectsMismatch) {
  auto adam = makeOptimizer(config(OptimizerKind::Adam, 0.01f), 3);
  auto nadam = makeOptimizer(config(OptimizerKind::NAdam, 0.01f), 3);
  auto adam4 = makeOptimizer(config(OptimizerKind::Adam, 0.01f), 4);
  EXPECT_THROW(nadam->loadState(adam->saveState()), Error);
  EXPECT_THROW(adam4->loadState(adam->saveState()), Error);
  try {
    adam->loadState(nadam->saveState());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("mu_product"), std::string::npos) << e.what();
  }
}

// Invalid hyper-parameters are Config errors naming the parameter.
TEST(NnOptimizer, InvalidConfigIsError) {
  OptimizerConfig c = config(OptimizerKind::Adam, 0.01f);
  c.beta1 = 1.0f;
  EXPECT_THROW(makeOptimizer(c, 3), Error);
  c = config(OptimizerKind::Sgd, -0.1f);
  EXPECT_THROW(makeOptimizer(c, 3), Error);
  c = config(OptimizerKind::Sgd, 0.1f);
  c.nesterov = true;  // without momentum, as torch.optim.SGD refuses
  EXPECT_THROW(makeOptimizer(c, 3), Error);
}
