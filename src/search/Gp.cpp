#include "hepsweep/search/Gp.hpp"

#include <LBFGSB.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "Lbfgs.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"

namespace hepsweep::search::gp {

namespace {

const double kSqrt5 = std::sqrt(5.0);

// Squared scaled distances r^2 between rows of A and B.
Eigen::MatrixXd scaledDistances2(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, const Eigen::VectorXd& ls) {
  const Eigen::MatrixXd As = A * ls.cwiseInverse().asDiagonal();
  const Eigen::MatrixXd Bs = B * ls.cwiseInverse().asDiagonal();
  Eigen::MatrixXd r2 = (-2.0 * As * Bs.transpose()).colwise() + As.rowwise().squaredNorm();
  r2.rowwise() += Bs.rowwise().squaredNorm().transpose();
  return r2.cwiseMax(0.0);
}

// The Matérn 5/2 kernel of scaled distances r, k(r) = amp (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r),
// and, when asked, s(r) = amp 5/3 (1 + sqrt5 r) exp(-sqrt5 r), for which dk/dr = -r s(r): the
// likelihood's derivative by a log length scale and the prediction's derivative by an input are
// both s times a squared or plain coordinate difference over l^2.
struct Matern {
  Eigen::ArrayXXd k, slope;
};

Matern matern(const Eigen::ArrayXXd& r, double amp, bool withSlope) {
  const Eigen::ArrayXXd e = (-kSqrt5 * r).exp();
  Matern m;
  m.k = amp * (1.0 + kSqrt5 * r + (5.0 / 3.0) * r.square()) * e;
  if (withSlope) m.slope = amp * (5.0 / 3.0) * (1.0 + kSqrt5 * r) * e;
  return m;
}

Eigen::VectorXd lengthScalesOf(const Eigen::VectorXd& theta) {
  return theta.segment(1, theta.size() - 2).array().exp().matrix();
}

// normalize_y: mean 0 and standard deviation 1 (numpy's, ddof = 0); a constant y is only centred.
struct Normalisation {
  double mean = 0, scale = 1;
};

Normalisation normalisationOf(const Eigen::VectorXd& y) {
  Normalisation n;
  n.mean = y.mean();
  const double var = (y.array() - n.mean).square().mean();
  n.scale = var > 0 ? std::sqrt(var) : 1.0;
  return n;
}

// log N(y; 0, K) from the Cholesky factor of K and alpha = K^-1 y.
double logLikelihoodFromFactor(const Eigen::LLT<Eigen::MatrixXd>& llt, const Eigen::VectorXd& y,
                               const Eigen::VectorXd& alpha) {
  const double logDet = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  return -0.5 * y.dot(alpha) - 0.5 * logDet - 0.5 * static_cast<double>(y.size()) * std::log(2.0 * std::numbers::pi);
}

// The negative log marginal likelihood for LBFGSpp (which minimises), remembering the best point
// it evaluated so that a line search that gives up still leaves a usable optimum.
struct NegativeLml {
  const Eigen::MatrixXd& X;
  const Eigen::VectorXd& y;
  const Eigen::VectorXd& rowNoise;
  double bestValue = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best;

  double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& grad) {
    try {
      Eigen::VectorXd g;
      const double lml = logMarginalLikelihood(X, y, theta, &g, rowNoise);
      if (!std::isfinite(lml) || !g.allFinite()) throw Error(ErrorCategory::Numeric, "non-finite likelihood");
      grad = -g;
      if (-lml < bestValue) {
        bestValue = -lml;
        best = theta;
      }
      return -lml;
    } catch (const Error& e) {
      if (e.category() != ErrorCategory::Numeric) throw;
      // A huge value makes the line search step back towards the region where K is usable.
      grad.setZero(theta.size());
      return 1e30;
    }
  }
};

}  // namespace

Eigen::MatrixXd matern52(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, const Eigen::VectorXd& lengthScales,
                         double amplitude) {
  return matern(scaledDistances2(A, B, lengthScales).array().sqrt(), amplitude, false).k.matrix();
}

Eigen::VectorXd lowerBounds(Eigen::Index d) {
  Eigen::VectorXd b(d + 2);
  b(0) = std::log(kMinAmplitude);
  b.segment(1, d).setConstant(std::log(kMinLengthScale));
  b(d + 1) = std::log(kMinNoise);
  return b;
}

Eigen::VectorXd upperBounds(Eigen::Index d) {
  Eigen::VectorXd b(d + 2);
  b(0) = std::log(kMaxAmplitude);
  b.segment(1, d).setConstant(std::log(kMaxLengthScale));
  b(d + 1) = std::log(kMaxNoise);
  return b;
}

Eigen::VectorXd makeTheta(Eigen::Index d, double amplitude, double lengthScale, double noise) {
  Eigen::VectorXd t(d + 2);
  t(0) = std::log(amplitude);
  t.segment(1, d).setConstant(std::log(lengthScale));
  t(d + 1) = std::log(noise);
  return t;
}

Eigen::LLT<Eigen::MatrixXd> choleskyWithJitter(const Eigen::MatrixXd& K, double* jitterUsed) {
  // Eigen's LLT compares pivots with <= 0, which NaN never is: a NaN entry would give a NaN factor
  // reported as a success.
  for (Eigen::Index j = 0; j < K.cols(); ++j)
    for (Eigen::Index i = 0; i < K.rows(); ++i)
      if (!std::isfinite(K(i, j)))
        throwNumeric("Gaussian process: the " + std::to_string(K.rows()) + " x " + std::to_string(K.cols()) +
                     " kernel matrix has a non-finite entry " + std::to_string(K(i, j)) + " at row " +
                     std::to_string(i) + ", column " + std::to_string(j) +
                     " (non-finite model inputs or kernel hyperparameters)");
  Eigen::LLT<Eigen::MatrixXd> llt(K);
  if (jitterUsed) *jitterUsed = 0;
  if (llt.info() == Eigen::Success) return llt;
  const double scale = K.rows() > 0 ? std::abs(K.diagonal().mean()) : 1.0;
  for (double rel = 1e-10; rel <= 1e-4 * 1.0000001; rel *= 10) {
    const double jitter = rel * (scale > 0 ? scale : 1.0);
    Eigen::MatrixXd Kj = K;
    Kj.diagonal().array() += jitter;
    llt.compute(Kj);
    if (llt.info() == Eigen::Success) {
      if (jitterUsed) *jitterUsed = jitter;
      return llt;
    }
  }
  throwNumeric("Gaussian process: the " + std::to_string(K.rows()) + " x " + std::to_string(K.cols()) +
               " kernel matrix is not positive definite even with diagonal jitter up to 1e-4 of its mean diagonal "
               "(duplicate points with no noise?)");
}

double logMarginalLikelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& theta,
                             Eigen::VectorXd* gradient, const Eigen::VectorXd& rowNoise) {
  const Eigen::Index n = X.rows(), d = X.cols();
  const double amp = std::exp(theta(0)), noise = std::exp(theta(d + 1));
  const Eigen::VectorXd ls = lengthScalesOf(theta);
  const Matern m = matern(scaledDistances2(X, X, ls).array().sqrt(), amp, gradient != nullptr);
  Eigen::MatrixXd K = m.k.matrix();
  K.diagonal().array() += noise;
  if (rowNoise.size() == n) K.diagonal() += rowNoise;
  const Eigen::LLT<Eigen::MatrixXd> llt = choleskyWithJitter(K);
  const Eigen::VectorXd alpha = llt.solve(y);
  const double lml = logLikelihoodFromFactor(llt, y, alpha);
  if (!gradient) return lml;

  // d lml / d theta_j = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta_j).
  const Eigen::MatrixXd W = alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
  gradient->resize(d + 2);
  (*gradient)(0) = 0.5 * (W.array() * m.k).sum();
  (*gradient)(d + 1) = 0.5 * noise * W.trace();
  // dK_ij / d log l_k = s(r_ij) (x_ik - x_jk)^2 / l_k^2.
  const Eigen::ArrayXXd WS = W.array() * m.slope;
  for (Eigen::Index k = 0; k < d; ++k) {
    const double inv = 1.0 / (ls(k) * ls(k));
    double s = 0;
    for (Eigen::Index j = 0; j < n; ++j)
      for (Eigen::Index i = j + 1; i < n; ++i) {
        const double dx = X(i, k) - X(j, k);
        s += WS(i, j) * dx * dx;
      }
    (*gradient)(k + 1) = s * inv;  // the symmetric pair (i, j), (j, i) counted once: 2 * 1/2
  }
  return lml;
}

GaussianProcess::GaussianProcess(Eigen::MatrixXd X, const Eigen::VectorXd& y, Eigen::VectorXd theta, bool normalise,
                                 const Eigen::VectorXd& rowNoise)
    : X_(std::move(X)), theta_(std::move(theta)) {
  if (X_.rows() != y.size() || theta_.size() != X_.cols() + 2 || X_.rows() == 0 ||
      (rowNoise.size() != 0 && rowNoise.size() != y.size()))
    throw Error(ErrorCategory::Internal, "GaussianProcess: inconsistent sizes");
  if (normalise) {
    const Normalisation n = normalisationOf(y);
    yMean_ = n.mean;
    yScale_ = n.scale;
  }
  const Eigen::VectorXd yn = (y.array() - yMean_) / yScale_;
  Eigen::MatrixXd K = matern52(X_, X_, lengthScales(), amplitude());
  K.diagonal().array() += noise();
  if (rowNoise.size() != 0) K.diagonal() += rowNoise / (yScale_ * yScale_);
  llt_ = choleskyWithJitter(K);
  alpha_ = llt_.solve(yn);
  lml_ = logLikelihoodFromFactor(llt_, yn, alpha_);
}

GaussianProcess GaussianProcess::fit(Eigen::MatrixXd X, const Eigen::VectorXd& y,
                                     const std::vector<Eigen::VectorXd>& starts, int randomStarts, std::uint64_t key,
                                     const Eigen::VectorXd& rowNoise) {
  const Eigen::Index d = X.cols();
  const Eigen::VectorXd lb = lowerBounds(d), ub = upperBounds(d);
  const Normalisation norm = normalisationOf(y);
  const Eigen::VectorXd yn = (y.array() - norm.mean) / norm.scale;
  const Eigen::VectorXd rn = rowNoise.size() == y.size() ? Eigen::VectorXd(rowNoise / (norm.scale * norm.scale))
                                                         : Eigen::VectorXd();

  std::vector<Eigen::VectorXd> all;
  for (const auto& s : starts)
    if (s.size() == d + 2) all.push_back(s.cwiseMax(lb).cwiseMin(ub));
  for (int s = 0; s < randomStarts; ++s) {
    const std::uint64_t k = rng::derive(key, static_cast<std::uint64_t>(s));
    Eigen::VectorXd t(d + 2);
    for (Eigen::Index j = 0; j < d + 2; ++j) t(j) = lb(j) + rng::uniform(k, static_cast<std::uint64_t>(j)) * (ub(j) - lb(j));
    all.push_back(t);
  }

  LBFGSpp::LBFGSBParam<double> param;
  param.max_iterations = 200;
  param.epsilon = 1e-5;
  param.max_linesearch = 40;
  LBFGSpp::LBFGSBSolver<double> solver(param);
  double bestValue = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best;
  for (const Eigen::VectorXd& start : all) {
    NegativeLml f{X, yn, rn, std::numeric_limits<double>::infinity(), {}};
    Eigen::VectorXd theta = start;
    double fx = 0;
    // A line search that gives up leaves the best point seen, which stands.
    minimiseOrGiveUp([&] { solver.minimize(f, theta, fx, lb, ub); });
    if (f.best.size() == d + 2 && f.bestValue < bestValue) {
      bestValue = f.bestValue;
      best = f.best;
    }
  }
  if (!(bestValue < 1e29))
    throwNumeric("Gaussian process: no hyperparameters give a finite likelihood for the " + std::to_string(X.rows()) +
                 " observations (non-finite or degenerate objectives?)");
  return GaussianProcess(std::move(X), y, best, true, rowNoise);
}

double GaussianProcess::amplitude() const { return std::exp(theta_(0)); }
double GaussianProcess::noise() const { return std::exp(theta_(theta_.size() - 1)); }
Eigen::VectorXd GaussianProcess::lengthScales() const { return lengthScalesOf(theta_); }

void GaussianProcess::predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean, Eigen::VectorXd& sd) const {
  const Eigen::MatrixXd Ks = matern52(Xs, X_, lengthScales(), amplitude());  // m x n
  mean = (Ks * alpha_).array() * yScale_ + yMean_;
  const Eigen::MatrixXd v = llt_.matrixL().solve(Ks.transpose());  // n x m
  const Eigen::ArrayXd var = (amplitude() - v.colwise().squaredNorm().transpose().array()).cwiseMax(0.0);
  sd = (var.sqrt() * yScale_).matrix();
}

void GaussianProcess::predict(const Eigen::VectorXd& x, double& mean, double& sd, Eigen::VectorXd& dMean,
                              Eigen::VectorXd& dSd) const {
  const Eigen::Index d = X_.cols();
  const Eigen::Array<double, 1, Eigen::Dynamic> ls2 = lengthScales().array().square().transpose();
  const Eigen::ArrayXXd diff = (-(X_.rowwise() - x.transpose())).array();   // row i: x - X_i
  const Eigen::ArrayXXd r = (diff.square().rowwise() / ls2).rowwise().sum().sqrt();  // n x 1
  const Matern m = matern(r, amplitude(), true);
  const Eigen::VectorXd k = m.k.matrix();
  // dk_i / dx = -s(r_i) (x - X_i) / l^2.
  const Eigen::ArrayXXd scaled = diff.rowwise() / ls2;
  const Eigen::MatrixXd J = -(scaled.colwise() * m.slope.col(0)).matrix();  // n x d
  mean = k.dot(alpha_) * yScale_ + yMean_;
  dMean = J.transpose() * alpha_ * yScale_;
  const Eigen::VectorXd w = llt_.solve(k);
  const double var = amplitude() - k.dot(w);
  if (var <= 1e-300) {
    sd = 0;
    dSd.setZero(d);
    return;
  }
  const double s = std::sqrt(var);
  sd = s * yScale_;
  dSd = (-2.0 * (J.transpose() * w)) / (2.0 * s) * yScale_;
}

}  // namespace hepsweep::search::gp
