// The Bayesian search: Gaussian-process posterior and likelihood against closed forms and finite
// differences, acquisition functions against hand-computed values, initial designs, and the
// searcher (bounds, integers, choices, resume, constant liar, failures).
#include <gtest/gtest.h>

#include <Eigen/LU>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "SearchTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/search/Bayes.hpp"
#include "hepsweep/search/Gp.hpp"

using namespace hepsweep;
using namespace hepsweep::search;
using namespace hepsweep::search::test;

namespace {

// The Matérn 5/2 covariance written out independently of the library's matrix code.
double matern(const Eigen::VectorXd& a, const Eigen::VectorXd& b, const Eigen::VectorXd& ls, double amp) {
  double r2 = 0;
  for (Eigen::Index k = 0; k < a.size(); ++k) r2 += (a(k) - b(k)) * (a(k) - b(k)) / (ls(k) * ls(k));
  const double r = std::sqrt(r2);
  return amp * (1 + std::sqrt(5.0) * r + 5.0 / 3.0 * r2) * std::exp(-std::sqrt(5.0) * r);
}

Eigen::VectorXd theta(double amp, std::vector<double> ls, double noise) {
  Eigen::VectorXd t(static_cast<Eigen::Index>(ls.size()) + 2);
  t(0) = std::log(amp);
  for (std::size_t k = 0; k < ls.size(); ++k) t(static_cast<Eigen::Index>(k) + 1) = std::log(ls[k]);
  t(t.size() - 1) = std::log(noise);
  return t;
}

Space mixedSpace() {
  return Space({Dimension::real("lr", 1e-5, 1e-1, true), Dimension::real("dropout", 0.1, 0.6),
                Dimension::integer("bs", 32, 512, true), Dimension::integer("layers", 1, 4),
                Dimension::choices("act", {"\"relu\"", "\"elu\"", "\"tanh\""})});
}

// A smooth objective of a mixedSpace point with its minimum inside the box.
double mixedObjective(const Space& s, const Point& p) {
  const std::vector<double> u = s.unitCoordinates(p);
  double f = 0;
  for (std::size_t d = 0; d < u.size(); ++d) f += (u[d] - 0.3) * (u[d] - 0.3);
  return f;
}

// The choice named `name` as the campaign file spells it (the tests loop over those names).
template <class E>
E named(const std::string& name, std::initializer_list<E> values) {
  for (const E v : values)
    if (name == toString(v)) return v;
  throw std::invalid_argument("no choice named " + name);
}
Liar liarNamed(const std::string& name) {
  return named(name, {Liar::ClMin, Liar::ClMean, Liar::ClMax, Liar::KrigingBeliever});
}

BayesOptions opts(std::int64_t initial, const std::string& acquisition = "EI", const std::string& design = "random") {
  BayesOptions o;
  o.initialPoints = initial;
  o.acquisition = named(acquisition, {AcquisitionKind::EI, AcquisitionKind::LCB, AcquisitionKind::PI,
                                      AcquisitionKind::GpHedge});
  o.initialDesign = named(design, {InitialDesign::Random, InitialDesign::Lhs, InitialDesign::Sobol});
  return o;
}

// The GP of a model record rebuilt from the training data it was fitted to and its recorded
// hyperparameters (the theta layout of Gp.hpp).
gp::GaussianProcess refit(const BayesSearcher::TrainingData& data, const ModelRecord& m) {
  std::vector<double> ls = m.lengthScales;
  Eigen::VectorXd t(static_cast<Eigen::Index>(ls.size()) + 2);
  t(0) = std::log(m.amplitude);
  for (std::size_t k = 0; k < ls.size(); ++k) t(static_cast<Eigen::Index>(k) + 1) = std::log(ls[k]);
  t(t.size() - 1) = std::log(m.noise);
  return gp::GaussianProcess(data.inputs, data.targets, t);
}

}  // namespace

// One observation: mean k* y / (amp + noise), variance amp - k*^2 / (amp + noise). Catches a
// wrong kernel formula, a missing noise term, or normalisation applied when disabled.
TEST(Gp, PosteriorOfOnePointMatchesClosedForm) {
  Eigen::MatrixXd X(1, 2);
  X << 0.2, 0.7;
  Eigen::VectorXd y(1);
  y << 1.5;
  const double amp = 2.0, noise = 0.1;
  const Eigen::VectorXd ls = Eigen::Vector2d(0.3, 0.8);
  const gp::GaussianProcess model(X, y, theta(amp, {0.3, 0.8}, noise), false);
  Eigen::MatrixXd Xs(3, 2);
  Xs << 0.2, 0.7, 0.5, 0.5, 0.9, 0.1;
  Eigen::VectorXd mean, sd;
  model.predict(Xs, mean, sd);
  for (Eigen::Index i = 0; i < 3; ++i) {
    const double k = matern(Xs.row(i).transpose(), X.row(0).transpose(), ls, amp);
    EXPECT_NEAR(mean(i), k * 1.5 / (amp + noise), 1e-12) << i;
    EXPECT_NEAR(sd(i), std::sqrt(amp - k * k / (amp + noise)), 1e-12) << i;
  }
  // Log marginal likelihood of one point: log N(y; 0, amp + noise).
  const double v = amp + noise;
  EXPECT_NEAR(model.logMarginalLikelihood(), -0.5 * 1.5 * 1.5 / v - 0.5 * std::log(2 * std::numbers::pi * v), 1e-12);
}

// Two and three observations against the textbook formulas with an explicit inverse; and with
// normalisation the prediction is mapped back to the original units.
TEST(Gp, PosteriorOfSeveralPointsMatchesExplicitInverse) {
  for (int n : {2, 3}) {
    Eigen::MatrixXd X(n, 1);
    Eigen::VectorXd y(n);
    for (int i = 0; i < n; ++i) {
      X(i, 0) = 0.1 + 0.35 * i;
      y(i) = std::sin(3.0 * X(i, 0)) + 2.0;
    }
    const double amp = 1.3, noise = 0.05, l = 0.4;
    const gp::GaussianProcess model(X, y, theta(amp, {l}, noise), true);
    const double mu = y.mean();
    const double scale = std::sqrt((y.array() - mu).square().mean());
    Eigen::MatrixXd K(n, n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        K(i, j) = matern(X.row(i).transpose(), X.row(j).transpose(), Eigen::VectorXd::Constant(1, l), amp) +
                  (i == j ? noise : 0.0);
    const Eigen::MatrixXd Kinv = K.inverse();
    const Eigen::VectorXd yn = (y.array() - mu) / scale;
    for (double xs : {0.0, 0.3, 0.66, 1.0}) {
      Eigen::VectorXd k(n);
      for (int i = 0; i < n; ++i) k(i) = matern(Eigen::VectorXd::Constant(1, xs), X.row(i).transpose(), Eigen::VectorXd::Constant(1, l), amp);
      Eigen::VectorXd mean, sd;
      model.predict(Eigen::MatrixXd::Constant(1, 1, xs), mean, sd);
      EXPECT_NEAR(mean(0), mu + scale * k.dot(Kinv * yn), 1e-10) << n << " " << xs;
      EXPECT_NEAR(sd(0), scale * std::sqrt(amp - k.dot(Kinv * k)), 1e-10) << n << " " << xs;
    }
  }
}

// The analytic gradient of the log marginal likelihood equals central finite differences in every
// hyperparameter (amplitude, each length scale, noise). Catches a wrong derivative formula, which
// would make the L-BFGS-B fit stop at a wrong optimum.
TEST(Gp, LogMarginalLikelihoodGradientMatchesFiniteDifferences) {
  Eigen::MatrixXd X(6, 3);
  X << 0.1, 0.9, 0.3, 0.5, 0.2, 0.8, 0.7, 0.4, 0.1, 0.3, 0.3, 0.6, 0.95, 0.05, 0.5, 0.45, 0.75, 0.25;
  Eigen::VectorXd y(6);
  y << 0.3, -1.2, 0.8, 0.1, 1.5, -0.4;
  for (const Eigen::VectorXd& t : {theta(1.0, {0.5, 0.3, 1.2}, 0.01), theta(0.4, {2.0, 0.1, 0.7}, 0.3)}) {
    Eigen::VectorXd g;
    gp::logMarginalLikelihood(X, y, t, &g);
    for (Eigen::Index j = 0; j < t.size(); ++j) {
      const double h = 1e-5;
      Eigen::VectorXd tp = t, tm = t;
      tp(j) += h;
      tm(j) -= h;
      const double fd = (gp::logMarginalLikelihood(X, y, tp) - gp::logMarginalLikelihood(X, y, tm)) / (2 * h);
      EXPECT_NEAR(g(j), fd, 1e-6 * std::max(1.0, std::abs(fd))) << "theta " << j;
    }
  }
}

// The gradients of the predicted mean and sd (used to refine the acquisition) equal finite
// differences.
TEST(Gp, PredictionGradientsMatchFiniteDifferences) {
  Eigen::MatrixXd X(4, 2);
  X << 0.1, 0.9, 0.5, 0.2, 0.7, 0.4, 0.3, 0.3;
  Eigen::VectorXd y(4);
  y << 0.3, -1.2, 0.8, 0.1;
  const gp::GaussianProcess model(X, y, theta(1.1, {0.4, 0.6}, 0.02));
  const Eigen::Vector2d x(0.42, 0.61);
  double m = 0, s = 0;
  Eigen::VectorXd dm, ds;
  model.predict(x, m, s, dm, ds);
  for (Eigen::Index k = 0; k < 2; ++k) {
    const double h = 1e-6;
    Eigen::Vector2d xp = x, xm = x;
    xp(k) += h;
    xm(k) -= h;
    double mp, sp, mm, sm;
    Eigen::VectorXd a, b;
    model.predict(xp, mp, sp, a, b);
    model.predict(xm, mm, sm, a, b);
    EXPECT_NEAR(dm(k), (mp - mm) / (2 * h), 1e-6);
    EXPECT_NEAR(ds(k), (sp - sm) / (2 * h), 1e-6);
  }
}

// Fitting recovers a long length scale for an input the output ignores and a short one for the
// input it depends on (ARD works), and the fit's likelihood beats the starting point's.
TEST(Gp, FitFindsRelevantInput) {
  const int n = 30;
  Eigen::MatrixXd X(n, 2);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    X(i, 0) = std::fmod(0.37 * i + 0.11, 1.0);
    X(i, 1) = std::fmod(0.61 * i + 0.05, 1.0);
    y(i) = std::sin(6.0 * X(i, 0));
  }
  const Eigen::VectorXd start = gp::makeTheta(2, 1.0, 1.0, 0.01);
  const gp::GaussianProcess fitted = gp::GaussianProcess::fit(X, y, {start}, 2, 42);
  const gp::GaussianProcess initial(X, y, start);
  EXPECT_GT(fitted.logMarginalLikelihood(), initial.logMarginalLikelihood());
  EXPECT_GT(fitted.lengthScales()(1), 5 * fitted.lengthScales()(0));
}

// A matrix that is not positive definite even with jitter is Error(Numeric), not a crash or NaN.
TEST(Gp, IndefiniteMatrixIsNumericError) {
  Eigen::Matrix2d K;
  K << 1, 2, 2, 1;
  EXPECT_TRUE(contains(errorOf([&] { gp::choleskyWithJitter(K); }, ErrorCategory::Numeric), "not positive definite"));
  Eigen::Matrix2d singular;
  singular << 1, 1, 1, 1;
  double jitter = 0;
  EXPECT_NO_THROW(gp::choleskyWithJitter(singular, &jitter));
  EXPECT_GT(jitter, 0);
}

// A NaN off the diagonal passes Eigen's pivot test (NaN <= 0 is false) and gave a NaN factor
// reported as a success: it must be Error(Numeric) naming the entry.
TEST(Gp, NonFiniteMatrixIsNumericError) {
  Eigen::Matrix3d K = Eigen::Matrix3d::Identity();
  K(2, 1) = K(1, 2) = std::numeric_limits<double>::quiet_NaN();
  const std::string msg = errorOf([&] { gp::choleskyWithJitter(K); }, ErrorCategory::Numeric);
  EXPECT_TRUE(contains(msg, "non-finite entry")) << msg;
  EXPECT_TRUE(contains(msg, "row 2, column 1")) << msg;
  K(1, 2) = K(2, 1) = 0;
  K(0, 0) = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(contains(errorOf([&] { gp::choleskyWithJitter(K); }, ErrorCategory::Numeric), "row 0, column 0"));
}

// EI, PI and LCB, through acquisition() as the searcher calls it, against values computed by hand
// (Python's math.erfc): EI = d Phi(d/s) + s phi(d/s), d = best - mean - xi; LCB = mean - kappa s.
// The searcher minimises, so EI and PI come back negated.
TEST(Acquisition, MatchesHandComputedValues) {
  const auto with = [](double xi, double kappa) {
    BayesOptions o;
    o.xi = xi;
    o.kappa = kappa;
    return o;
  };
  EXPECT_NEAR(-acquisition("EI", 0.5, 0.2, 0.4, with(0.01, 0)).value, 0.03656120545715869, 1e-14);
  EXPECT_NEAR(-acquisition("EI", 0.3, 0.1, 0.4, with(0.0, 0)).value, 0.10833154705876867, 1e-14);
  EXPECT_NEAR(-acquisition("EI", 0.35, 0.05, 0.4, with(0.02, 0)).value, 0.038433636612087804, 1e-14);
  EXPECT_NEAR(-acquisition("PI", 0.5, 0.2, 0.4, with(0.01, 0)).value, 0.2911596867883465, 1e-14);
  EXPECT_NEAR(-acquisition("PI", 0.3, 0.1, 0.4, with(0.0, 0)).value, 0.841344746068543, 1e-14);
  EXPECT_NEAR(-acquisition("PI", 0.35, 0.05, 0.4, with(0.02, 0)).value, 0.7257468822499267, 1e-14);
  EXPECT_NEAR(acquisition("LCB", 0.5, 0.2, 0.4, with(0.01, 1.96)).value, 0.10799999999999998, 1e-15);
  EXPECT_NEAR(acquisition("LCB", -1.25, 0.5, 0.4, with(0.01, 3.0)).value, -2.75, 1e-15);
  // No uncertainty: the plain improvement, and a certain (non-)improvement.
  EXPECT_DOUBLE_EQ(-acquisition("EI", 0.3, 0.0, 0.4, with(0, 0)).value, 0.1);
  EXPECT_DOUBLE_EQ(-acquisition("EI", 0.5, 0.0, 0.4, with(0, 0)).value, 0.0);
  EXPECT_DOUBLE_EQ(-acquisition("PI", 0.3, 0.0, 0.4, with(0, 0)).value, 1.0);
  EXPECT_TRUE(contains(errorOf([&] { acquisition("UCB", 0.3, 0.1, 0.4, with(0, 0)); }, ErrorCategory::Internal),
                       "unknown acquisition"));
}

// The derivatives by mean and sd that the local refinement follows equal finite differences of
// the value, for each acquisition (a wrong sign or factor sends L-BFGS-B the wrong way).
TEST(Acquisition, DerivativesMatchFiniteDifferences) {
  BayesOptions o;
  o.xi = 0.02;
  o.kappa = 1.7;
  for (const char* name : {"EI", "PI", "LCB"})
    for (const auto& [mean, sd] : std::vector<std::pair<double, double>>{{0.5, 0.2}, {0.31, 0.07}, {0.2, 0.5}}) {
      const Acquisition a = acquisition(name, mean, sd, 0.4, o);
      const double h = 1e-6;
      const double dm = (acquisition(name, mean + h, sd, 0.4, o).value - acquisition(name, mean - h, sd, 0.4, o).value) / (2 * h);
      const double ds = (acquisition(name, mean, sd + h, 0.4, o).value - acquisition(name, mean, sd - h, 0.4, o).value) / (2 * h);
      EXPECT_NEAR(a.dMean, dm, 1e-7) << name << " " << mean << " " << sd;
      EXPECT_NEAR(a.dSd, ds, 1e-7) << name << " " << mean << " " << sd;
    }
}

// softmax(eta * gains) with eta = 1, by hand (Python); huge gains do not overflow.
TEST(Acquisition, HedgeProbabilitiesAreSoftmaxOfGains) {
  EXPECT_EQ(hedgePortfolio(), (std::vector<std::string>{"LCB", "EI", "PI"}));
  const std::vector<double> p = hedgeProbabilities({0, -1, -2});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NEAR(p[0], 0.6652409557748218, 1e-15);
  EXPECT_NEAR(p[1], 0.24472847105479764, 1e-15);
  EXPECT_NEAR(p[2], 0.09003057317038046, 1e-15);
  const std::vector<double> q = hedgeProbabilities({0.3, 0.3, -0.2});
  EXPECT_NEAR(q[0], 0.38365173119055074, 1e-15);
  EXPECT_NEAR(q[2], 0.23269653761889864, 1e-15);
  const std::vector<double> big = hedgeProbabilities({1000, 0, -5});
  EXPECT_DOUBLE_EQ(big[0], 1.0);
  EXPECT_GE(big[1], 0.0);
}

// Each 1-D projection of the first 2^m Sobol points has one point per interval of width 2^-m
// (the defining (0, m, 1)-net property), in all 21 dimensions; the first points equal those of
// the unscrambled sequence listed by Joe and Kuo / torch.quasirandom.SobolEngine.
TEST(Design, SobolPointsAreStratified) {
  std::vector<std::vector<double>> points;
  for (std::uint64_t i = 0; i < 128; ++i) points.push_back(sobolPoint(i, kMaxSobolDimensions));
  for (int m = 1; m <= 7; ++m) {
    const std::uint64_t n = std::uint64_t{1} << m;
    for (std::size_t d = 0; d < kMaxSobolDimensions; ++d) {
      std::set<std::uint64_t> cells;
      for (std::uint64_t i = 0; i < n; ++i) cells.insert(static_cast<std::uint64_t>(points[i][d] * static_cast<double>(n)));
      EXPECT_EQ(cells.size(), n) << "m " << m << " dimension " << d;
    }
  }
  EXPECT_EQ(sobolPoint(1, 3), (std::vector<double>{0.5, 0.5, 0.5}));
}

// A Latin hypercube puts its n points in n distinct strata of every dimension, differently for
// another key.
TEST(Design, LatinHypercubeStrata) {
  const std::uint64_t n = 9;
  std::vector<std::vector<double>> a, b;
  for (std::uint64_t i = 0; i < n; ++i) {
    a.push_back(latinHypercubePoint(7, i, n, 4));
    b.push_back(latinHypercubePoint(8, i, n, 4));
  }
  for (std::size_t d = 0; d < 4; ++d) {
    std::set<std::uint64_t> cells;
    for (const auto& p : a) cells.insert(static_cast<std::uint64_t>(p[d] * n));
    EXPECT_EQ(cells.size(), n) << d;
  }
  EXPECT_NE(a, b);
}

// Every proposal, initial design or model, lies in the space: reals within bounds, integers
// integral and in range, choices from the list, and its TOML text reads back to the same value.
TEST(BayesSearcher, ProposalsRespectBoundsIntegersAndChoices) {
  for (const std::string design : {"random", "lhs", "sobol"}) {
    BayesSearcher s(mixedSpace(), 9, 3, opts(5, design == "random" ? "gp_hedge" : "EI", design));
    while (!s.exhausted()) {
      const Point p = s.propose(1).at(0);
      for (std::size_t d = 0; d < p.values.size(); ++d) {
        const Dimension& dim = s.space()[d];
        const Value& v = p.values[d];
        EXPECT_EQ(dim.parse(v.toml), v) << design << " " << p.describe();
        if (dim.kind() != Kind::Choice) {
          EXPECT_GE(v.number, dim.min());
          EXPECT_LE(v.number, dim.max());
        }
        if (dim.kind() == Kind::Integer) {
          EXPECT_EQ(v.number, std::round(v.number));
        }
      }
      s.observe(p, mixedObjective(s.space(), p));
    }
    EXPECT_EQ(s.models().size(), 4u) << design;  // every point after the initial 5
  }
}

// The model points improve on the initial design: on a quadratic bowl the best of 10 model
// points beats the best of 8 random ones. Catches a sign error (maximising the objective) or an
// acquisition that ignores the model.
TEST(BayesSearcher, ModelPointsApproachTheMinimum) {
  const Space space({Dimension::real("a", 0, 1), Dimension::real("b", 0, 1), Dimension::real("c", 0, 1)});
  BayesSearcher s(space, 18, 5, opts(8, "EI"));
  double bestInitial = 1e9, bestModel = 1e9;
  for (int i = 0; i < 18; ++i) {
    const Point p = s.propose(1).at(0);
    const double f = mixedObjective(space, p);
    (i < 8 ? bestInitial : bestModel) = std::min(i < 8 ? bestInitial : bestModel, f);
    s.observe(p, f);
  }
  EXPECT_LT(bestModel, bestInitial);
  EXPECT_LT(bestModel, 0.01);
}

// A searcher restored from the JSON state of another proposes exactly the same next points, with
// some results still pending; the restored state is identical too.
TEST(BayesSearcher, ResumeFromStateGivesTheSameNextProposals) {
  for (const std::string acq : {"gp_hedge", "LCB"}) {
    BayesSearcher a(mixedSpace(), 30, 17, opts(6, acq, "lhs"));
    for (const Point& p : a.propose(6)) a.observe(p, mixedObjective(a.space(), p));
    const std::vector<Point> batch = a.propose(3);
    a.observe(batch[1], mixedObjective(a.space(), batch[1]));
    a.observe(batch[2].id, std::nullopt);
    const std::string json = stateToJson(a.state());

    BayesSearcher b(mixedSpace(), 30, 17, opts(6, acq, "lhs"));
    b.restore(stateFromJson(json, b.space(), "state.json"));
    EXPECT_EQ(stateToJson(b.state()), json);
    const std::vector<Point> na = a.propose(3), nb = b.propose(3);
    ASSERT_EQ(na.size(), nb.size());
    for (std::size_t i = 0; i < na.size(); ++i) EXPECT_EQ(na[i].describe(), nb[i].describe()) << acq << " " << i;
    EXPECT_EQ(stateToJson(a.state()), stateToJson(b.state()));

    BayesSearcher otherSeed(mixedSpace(), 30, 18, opts(6, acq, "lhs"));
    EXPECT_TRUE(contains(errorOf([&] { otherSeed.restore(stateFromJson(json, otherSeed.space(), "s")); }), "seed"));
  }
}

// With results pending, successive proposals (constant liar) are distinct from each other and from
// every earlier point, and not piled on one spot: in a continuous space they stay apart; in a
// small discrete space every point is proposed once before the budget runs out.
TEST(BayesSearcher, ConstantLiarNeverProposesAPendingPointAgain) {
  for (const std::string liar : {"cl_min", "cl_mean", "cl_max", "kb"}) {
    const Space space({Dimension::real("a", 0, 1), Dimension::real("b", 0, 1)});
    BayesOptions o = opts(5, "EI");
    o.liar = liarNamed(liar);
    BayesSearcher s(space, 20, 9, o);
    for (const Point& p : s.propose(5)) s.observe(p, mixedObjective(space, p));
    const std::vector<Point> pending = s.propose(5);
    ASSERT_EQ(pending.size(), 5u);
    for (std::size_t i = 0; i < pending.size(); ++i)
      for (std::size_t j = 0; j < i; ++j) {
        const auto u = space.unitCoordinates(pending[i]), v = space.unitCoordinates(pending[j]);
        EXPECT_GT(std::hypot(u[0] - v[0], u[1] - v[1]), 1e-3) << liar << " " << pending[i].describe();
      }
    EXPECT_EQ(s.models().back().pending, 4) << liar;
  }
  const Space small({Dimension::integer("n", 1, 4), Dimension::choices("act", {"\"relu\"", "\"elu\"", "\"tanh\""})});
  BayesSearcher s(small, 50, 2, opts(3, "gp_hedge"));
  EXPECT_EQ(s.totalPoints(), 12u);
  for (const Point& p : s.propose(3)) s.observe(p, static_cast<double>(p.values[0].number));
  std::set<std::string> seen;
  for (const Point& p : s.propose(20)) EXPECT_TRUE(seen.insert(p.describe()).second) << p.describe();
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_TRUE(s.exhausted());
}

// Failed points are fitted at the worst observed objective, never at 0, and with fewer than two
// successes the searcher keeps drawing random points instead of failing. The targets are checked
// as the model is fitted to them: the proposal's recorded log likelihood is that of a GP with the
// recorded hyperparameters on exactly these targets (imputing 0 instead would not reproduce it).
TEST(BayesSearcher, FailuresAreImputedAsWorstAndDoNotStopTheSearch) {
  const Space space({Dimension::real("a", 0, 1), Dimension::real("b", 0, 1)});
  BayesSearcher s(space, 12, 4, opts(3, "EI"));
  const std::vector<Point> first = s.propose(3);
  for (const Point& p : first) s.observe(p.id, std::nullopt);
  const Point random = s.propose(1).at(0);
  EXPECT_TRUE(s.models().empty());  // no model without results
  EXPECT_FALSE(s.nextTrainingData());
  s.observe(random, 0.5);
  EXPECT_FALSE(s.nextTrainingData());  // one success is not a model yet
  const Point p5 = s.propose(1).at(0);
  s.observe(p5, 0.2);
  s.observe(s.propose(1).at(0), std::numeric_limits<double>::quiet_NaN());  // a diverged training
  const auto data = s.nextTrainingData();
  ASSERT_TRUE(data);
  ASSERT_EQ(data->targets.size(), 6);
  const std::vector<double> expected{0.5, 0.5, 0.5, 0.5, 0.2, 0.5};  // failures (0, 1, 2, 5) at the worst, 0.5
  for (Eigen::Index i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(data->targets(i), expected[static_cast<std::size_t>(i)]) << i;
  EXPECT_EQ(data->failed, 4);
  EXPECT_EQ(data->observed, 2);
  EXPECT_DOUBLE_EQ(data->worst, 0.5);
  s.propose(1);
  ASSERT_FALSE(s.models().empty());
  EXPECT_EQ(s.models().back().failed, 4);
  EXPECT_EQ(s.models().back().observed, 2);
  EXPECT_NEAR(refit(*data, s.models().back()).logMarginalLikelihood(), s.models().back().logLikelihood, 1e-9);
}

// The value each liar gives the pending points: the minimum, mean or maximum of the observed
// objectives (a failure, fitted at the worst, does not count), or for kb the posterior mean there
// of a GP fitted to the observed and failed points alone, rebuilt here from the reported
// hyperparameters. The next proposal is fitted to exactly these targets (log likelihood check).
TEST(BayesSearcher, LiarValuesOfPendingPoints) {
  const Space space({Dimension::real("a", 0, 1), Dimension::real("b", 0, 1)});
  const std::vector<std::optional<double>> results{0.4, std::nullopt, 0.9, 0.2, 0.6};
  const std::map<std::string, double> constant{{"cl_min", 0.2}, {"cl_mean", (0.4 + 0.9 + 0.2 + 0.6) / 4}, {"cl_max", 0.9}};
  for (const std::string liar : {"cl_min", "cl_mean", "cl_max", "kb"}) {
    BayesOptions o = opts(5, "EI");
    o.liar = liarNamed(liar);
    BayesSearcher s(space, 20, 11, o);
    for (const Point& p : s.propose(5)) s.observe(p.id, results[static_cast<std::size_t>(p.id)]);
    s.propose(2);  // points 5 and 6 stay pending
    const auto data = s.nextTrainingData();
    ASSERT_TRUE(data) << liar;
    ASSERT_EQ(data->targets.size(), 7) << liar;
    EXPECT_EQ(data->pending, 2) << liar;
    EXPECT_EQ(data->failed, 1) << liar;
    for (std::size_t i = 0; i < 5; ++i)
      EXPECT_DOUBLE_EQ(data->targets(static_cast<Eigen::Index>(i)), results[i].value_or(0.9)) << liar << " " << i;
    if (liar == "kb") {
      ASSERT_EQ(data->believerTheta.size(), 4);
      const gp::GaussianProcess believer(data->inputs.topRows(5), data->targets.head(5), data->believerTheta);
      Eigen::VectorXd mean, sd;
      believer.predict(data->inputs.bottomRows(2), mean, sd);
      EXPECT_NEAR(data->targets(5), mean(0), 1e-12);
      EXPECT_NEAR(data->targets(6), mean(1), 1e-12);
      EXPECT_NE(data->targets(5), data->targets(6));  // a belief per point, not one constant
    } else {
      EXPECT_EQ(data->believerTheta.size(), 0) << liar;
      EXPECT_DOUBLE_EQ(data->targets(5), constant.at(liar)) << liar;
      EXPECT_DOUBLE_EQ(data->targets(6), constant.at(liar)) << liar;
    }
    s.propose(1);
    const ModelRecord& m = s.models().back();
    EXPECT_EQ(m.pending, 2) << liar;
    EXPECT_NEAR(refit(*data, m).logMarginalLikelihood(), m.logLikelihood, 1e-9) << liar;
  }
}

// A pending point with an interim result (racing: the mean of the folds it has) is fitted at that
// mean with its variance as its own noise, for every liar, and a pending point without one keeps
// the liar's value; "kb" believes the other pending points from a fit that includes the interim
// row. Catches an interim result ignored (the liar's value instead), fitted without its noise, or
// left out of the believer's fit.
TEST(BayesSearcher, InterimResultsOfPendingPointsAreFittedWithTheirNoise) {
  const Space space({Dimension::real("a", 0, 1), Dimension::real("b", 0, 1)});
  const std::vector<double> results{0.4, 0.7, 0.9, 0.2, 0.6};
  for (const std::string liar : {"cl_min", "kb"}) {
    BayesOptions o = opts(5, "EI");
    o.liar = liarNamed(liar);
    BayesSearcher s(space, 20, 11, o);
    for (const Point& p : s.propose(5)) s.observe(p.id, results[static_cast<std::size_t>(p.id)]);
    s.propose(2);  // points 5 and 6 pending
    const auto before = s.nextTrainingData();
    ASSERT_TRUE(before) << liar;
    s.setInterim({{5, Interim{0.55, 0.01}}, {3, Interim{5.0, 1.0}}});  // 3 is observed: ignored
    const auto data = s.nextTrainingData();
    ASSERT_TRUE(data) << liar;
    EXPECT_EQ(data->pending, 2) << liar;
    EXPECT_EQ(data->observed, 5) << liar;
    EXPECT_DOUBLE_EQ(data->targets(5), 0.55) << liar;
    ASSERT_EQ(data->rowNoise.size(), 7) << liar;
    EXPECT_DOUBLE_EQ(data->rowNoise(5), 0.01) << liar;
    EXPECT_DOUBLE_EQ(data->rowNoise(6), 0.0) << liar;
    EXPECT_DOUBLE_EQ(data->targets(3), 0.2) << liar;
    if (liar == "cl_min") {
      EXPECT_DOUBLE_EQ(data->targets(6), 0.2);
    } else {
      // The believer saw the interim row: its belief at point 6 moved.
      EXPECT_NE(data->targets(6), before->targets(6));
      ASSERT_EQ(data->believerTheta.size(), 4);
      const gp::GaussianProcess believer(data->inputs.topRows(6), data->targets.head(6), data->believerTheta, true,
                                         Eigen::VectorXd(data->rowNoise.head(6)));
      Eigen::VectorXd mean, sd;
      believer.predict(data->inputs.bottomRows(1), mean, sd);
      EXPECT_NEAR(data->targets(6), mean(0), 1e-12);
    }
    // The next proposal is fitted to these targets with this noise (its recorded likelihood).
    s.propose(1);
    const gp::GaussianProcess plain = refit(*data, s.models().back());
    const gp::GaussianProcess noisy(data->inputs, data->targets, plain.theta(), true, data->rowNoise);
    EXPECT_NEAR(noisy.logMarginalLikelihood(), s.models().back().logLikelihood, 1e-9) << liar;
  }
}

// gp_hedge as scikit-optimize: after each result, every acquisition's gain drops by the new
// model's predicted mean at the point that acquisition proposed last time. Checked against the
// model rebuilt from its training data and recorded hyperparameters, over two updates (the
// second starting from non-zero gains).
TEST(BayesSearcher, HedgeGainsFallByTheNextModelsMeanAtEachProposal) {
  const Space space({Dimension::real("a", 0, 1), Dimension::real("b", 0, 1), Dimension::real("c", 0, 1)});
  BayesSearcher s(space, 20, 21, opts(5, "gp_hedge"));
  for (const Point& p : s.propose(5)) s.observe(p, mixedObjective(space, p));
  Point p = s.propose(1).at(0);
  ASSERT_EQ(s.models().size(), 1u);
  EXPECT_EQ(s.models()[0].hedgeGains, (std::vector<double>{0, 0, 0}));  // no earlier proposals to score
  for (int round = 0; round < 2; ++round) {
    s.observe(p, mixedObjective(space, p));
    const ModelRecord previous = s.models().back();
    ASSERT_EQ(previous.hedgeCandidates.size(), 3u);
    const auto data = s.nextTrainingData();
    ASSERT_TRUE(data);
    p = s.propose(1).at(0);
    const ModelRecord& m = s.models().back();
    const gp::GaussianProcess model = refit(*data, m);
    ASSERT_EQ(m.hedgeGains.size(), 3u);
    for (std::size_t a = 0; a < 3; ++a) {
      const std::vector<double>& x = previous.hedgeCandidates[a];
      Eigen::VectorXd mean, sd;
      model.predict(Eigen::Map<const Eigen::RowVectorXd>(x.data(), static_cast<Eigen::Index>(x.size())), mean, sd);
      EXPECT_NEAR(m.hedgeGains[a], previous.hedgeGains[a] - mean(0), 1e-9) << "round " << round << ", " << hedgePortfolio()[a];
    }
    EXPECT_NE(std::find(hedgePortfolio().begin(), hedgePortfolio().end(), m.acquisition), hedgePortfolio().end());
  }
}

// Option errors name the key and the allowed values.
TEST(BayesSearcher, BadOptionsAreConfigErrors) {
  EXPECT_EQ(BayesSearcher(mixedSpace(), 5, 1, opts(6)).options().initialPoints, 5);  // capped at the budget
  EXPECT_TRUE(contains(errorOf([] { BayesSearcher(mixedSpace(), 5, 1, opts(0)); }), "initial_points must be >= 1"));
  EXPECT_TRUE(contains(errorOf([] { makeSearcher("bayes", mixedSpace(), std::nullopt, 1); }), "needs budget"));
  EXPECT_EQ(makeSearcher("bayes", mixedSpace(), 7, 1)->method(), "bayes");
}
