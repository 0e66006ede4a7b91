#pragma once
// Gaussian-process regression for the Bayesian search: a Matérn 5/2 kernel with one length scale
// per input column (ARD), a constant amplitude and a fitted white-noise term, on outputs
// normalised to zero mean and unit variance, as scikit-optimize's gp_minimize builds it
// (ConstantKernel * Matern(nu=2.5) + WhiteKernel, normalize_y=True).
//
// Inputs are rows of X in the unit cube. The hyperparameters live in log space in one vector
//   theta = [log amplitude, log l_1, ..., log l_d, log noise]
// (amplitude and noise are variances, in normalised output units) and are fitted by maximising
// the log marginal likelihood with L-BFGS-B (LBFGSpp) from several starts, inside kThetaBounds.
//
// Heteroscedastic noise: each row may carry its own known noise variance (`rowNoise`, in output
// units squared, e.g. the squared standard error of a mean over folds), added on the diagonal on
// top of the fitted white noise; an empty vector is none. The fitted noise then models what the
// known noise does not explain.
//
// Predictions are of the latent function (the fitted noise is not added to the variance), in the
// original output units, as scikit-optimize predicts after fitting.
#include <Eigen/Core>
#include <Eigen/Cholesky>
#include <cstdint>
#include <vector>

namespace hepsweep::search::gp {

// Bounds of the hyperparameters (not logged): amplitude (ConstantKernel's (0.01, 1000)), length
// scales (Matern's (0.01, 100), beyond the unit cube a dimension is simply ignored) and noise.
inline constexpr double kMinAmplitude = 1e-2, kMaxAmplitude = 1e3;
inline constexpr double kMinLengthScale = 1e-2, kMaxLengthScale = 1e2;
inline constexpr double kMinNoise = 1e-6, kMaxNoise = 10.0;

// The kernel matrix amplitude * M52(r), r^2 = sum_k (a_k - b_k)^2 / l_k^2, between rows of A and B.
Eigen::MatrixXd matern52(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, const Eigen::VectorXd& lengthScales,
                         double amplitude);

// Lower/upper bounds of theta for d input columns.
Eigen::VectorXd lowerBounds(Eigen::Index d);
Eigen::VectorXd upperBounds(Eigen::Index d);
// theta with amplitude 1, every length scale `lengthScale`, noise `noise`.
Eigen::VectorXd makeTheta(Eigen::Index d, double amplitude, double lengthScale, double noise);

// Cholesky factor of K, adding diagonal jitter (1e-10 .. 1e-4 times the mean diagonal) when K is
// not numerically positive definite; Error(Numeric) naming the matrix size when even that fails.
Eigen::LLT<Eigen::MatrixXd> choleskyWithJitter(const Eigen::MatrixXd& K, double* jitterUsed = nullptr);

// Log marginal likelihood of y (already normalised) given X and theta, and its gradient with
// respect to theta when `gradient` is not null.
// `rowNoise`: empty, or one known noise variance per row (in the units of y).
double logMarginalLikelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& theta,
                             Eigen::VectorXd* gradient = nullptr, const Eigen::VectorXd& rowNoise = {});

class GaussianProcess {
 public:
  // With fixed hyperparameters; normalises y (mean 0, standard deviation 1; a constant y is only
  // centred) unless `normalise` is false.
  // rowNoise: empty, or one known noise variance per row in the units of y (scaled with y).
  GaussianProcess(Eigen::MatrixXd X, const Eigen::VectorXd& y, Eigen::VectorXd theta, bool normalise = true,
                  const Eigen::VectorXd& rowNoise = {});

  // Fits theta by maximising the log marginal likelihood from each of `starts` (clamped into the
  // bounds) and from `randomStarts` points drawn log-uniformly in the bounds with counter RNG
  // `key`; the best finite optimum wins. Error(Numeric) when no start gives a finite likelihood.
  static GaussianProcess fit(Eigen::MatrixXd X, const Eigen::VectorXd& y, const std::vector<Eigen::VectorXd>& starts,
                             int randomStarts, std::uint64_t key, const Eigen::VectorXd& rowNoise = {});

  // Mean and standard deviation at each row of Xs (original output units).
  void predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean, Eigen::VectorXd& sd) const;
  // At one point, with the gradients of mean and sd with respect to x.
  void predict(const Eigen::VectorXd& x, double& mean, double& sd, Eigen::VectorXd& dMean, Eigen::VectorXd& dSd) const;

  const Eigen::VectorXd& theta() const { return theta_; }
  double amplitude() const;
  double noise() const;
  Eigen::VectorXd lengthScales() const;
  double logMarginalLikelihood() const { return lml_; }
  Eigen::Index inputs() const { return X_.cols(); }
  double yMean() const { return yMean_; }
  double yScale() const { return yScale_; }

 private:
  Eigen::MatrixXd X_;
  Eigen::VectorXd theta_;
  double yMean_ = 0, yScale_ = 1;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;  // K^-1 y (normalised)
  double lml_ = 0;
};

}  // namespace hepsweep::search::gp
