// Preprocessing: option parsing, missing-value policies, standard scaling and PCA (with whitening).
// Expected values are computed independently (by hand, numpy, or a plain two-pass loop here).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/data/Preprocess.hpp"

using namespace hepsweep;
using namespace hepsweep::data;

namespace {

std::vector<Index> allRows(const Dataset& ds) {
  std::vector<Index> r(static_cast<std::size_t>(ds.rows()));
  std::iota(r.begin(), r.end(), Index{0});
  return r;
}

Dataset fromRows(const std::vector<std::vector<double>>& rows, std::vector<std::string> names) {
  Dataset ds;
  ds.featureNames = std::move(names);
  ds.features.resize(static_cast<Index>(rows.size()), static_cast<Index>(ds.featureNames.size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j)
      ds.features(static_cast<Index>(i), static_cast<Index>(j)) = static_cast<float>(rows[i][j]);
  ds.labels = Eigen::VectorXf::Zero(ds.rows());
  ds.weights = Eigen::VectorXf::Ones(ds.rows());
  return ds;
}

PreprocessConfig config(ScalerKind s, MissingPolicy m = MissingPolicy::Keep) {
  PreprocessConfig c;
  c.scaler = s;
  c.missing = m;
  return c;
}

}  // namespace

TEST(Preprocess, ParseAndPrintRoundTrip) {
  for (const auto k : {ScalerKind::None, ScalerKind::Standard, ScalerKind::Pca, ScalerKind::PcaUnscaled}) {
    EXPECT_EQ(parseScalerKind(toString(k)), k);
    EXPECT_EQ(parseStoredScaler(storedName(k)), k);
  }
  // Asking for PCA gets the standardising pipeline; files written before it say "pca" for the
  // unscaled rotation, and still mean it.
  EXPECT_EQ(parseScalerKind("pca"), ScalerKind::Pca);
  EXPECT_STREQ(storedName(ScalerKind::Pca), "standard+pca");
  EXPECT_EQ(parseStoredScaler("pca"), ScalerKind::PcaUnscaled);
  EXPECT_THROW((void)parseStoredScaler("pca_unscaled"), Error);
  for (const auto m : {MissingPolicy::Keep, MissingPolicy::Mean, MissingPolicy::MeanIndicator})
    EXPECT_EQ(parseMissingPolicy(toString(m)), m);
  for (const auto f : {FitOn::Train, FitOn::All}) EXPECT_EQ(parseFitOn(toString(f)), f);
  EXPECT_STREQ(toString(MissingPolicy::MeanIndicator), "mean+indicator");
  try {
    (void)parseScalerKind("standart");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_NE(std::string(e.what()).find("unknown scaler 'standart'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("did you mean 'standard'?"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)parseMissingPolicy("median"), Error);
  EXPECT_THROW((void)parseFitOn("test"), Error);
}

// Against numpy (population std, constant column scale 1):
// /usr/bin/python3 -c "import numpy as np; X=np.array([[1,10,5,-2.5],[2,20,5,0.25],[4,30,5,1e3],
//   [7,60,5,3]],dtype=np.float32).astype(float); m=X.mean(0); s=X.std(0); s[s==0]=1; print((X-m)/s)"
TEST(Preprocess, StandardScalerMatchesNumpy) {
  const Dataset ds = fromRows({{1, 10, 5, -2.5}, {2, 20, 5, 0.25}, {4, 30, 5, 1e3}, {7, 60, 5, 3}},
                              {"a", "b", "const", "d"});
  const auto rows = allRows(ds);
  const PreprocessParams p = fitPreprocess(ds, rows, config(ScalerKind::Standard));
  const double expected[4][4] = {
      {-1.091089451179962, -1.0690449676496976, 0.0, -0.5836968217371543},
      {-0.6546536707079772, -0.5345224838248488, 0.0, -0.5773444447506505},
      {0.2182178902359924, 0.0, 0.0, 1.7320333342519514},
      {1.5275252316519468, 1.6035674514745462, 0.0, -0.5709920677641467}};
  FeatureMatrix out;
  applyPreprocess(p, ds, rows, out);
  ASSERT_EQ(out.rows(), 4);
  ASSERT_EQ(out.cols(), 4);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(out(i, j), expected[i][j], 1e-6) << i << "," << j;
  EXPECT_DOUBLE_EQ(p.mean[3], 250.1875);
  EXPECT_DOUBLE_EQ(p.scale[2], 1.0);
  EXPECT_EQ(p.outputNames, ds.featureNames);
}

// Fitted on a subset only: statistics must come from those rows (a plain two-pass loop here), and
// a feature with a large offset (MeV-like) must keep its precision.
TEST(Preprocess, StandardScalerFitsOnGivenRowsOnly) {
  Dataset ds;
  ds.featureNames = {"e", "x"};
  ds.features.resize(3000, 2);
  for (Index i = 0; i < ds.rows(); ++i) {
    ds.features(i, 0) = static_cast<float>(1.0e5 + 10.0 * rng::normal(1, static_cast<std::uint64_t>(i)));
    ds.features(i, 1) = static_cast<float>(rng::uniform(2, static_cast<std::uint64_t>(i)));
  }
  std::vector<Index> rows;
  for (Index i = 0; i < ds.rows(); i += 3) rows.push_back(i);
  const PreprocessParams p = fitPreprocess(ds, rows, config(ScalerKind::Standard));
  for (Index j = 0; j < 2; ++j) {
    double mean = 0;
    for (const Index r : rows) mean += ds.features(r, j);
    mean /= static_cast<double>(rows.size());
    double var = 0;
    for (const Index r : rows) var += (ds.features(r, j) - mean) * (ds.features(r, j) - mean);
    var /= static_cast<double>(rows.size());
    EXPECT_NEAR(p.mean[j], mean, 1e-9 * std::abs(mean));
    EXPECT_NEAR(p.scale[j], 1.0 / std::sqrt(var), 1e-9 / std::sqrt(var));
  }
  // Transformed fit rows then have mean 0 and population variance 1.
  FeatureMatrix out;
  applyPreprocess(p, ds, rows, out);
  for (Index j = 0; j < 2; ++j) {
    const double m = out.col(j).cast<double>().mean();
    const double v = (out.col(j).cast<double>().array() - m).square().mean();
    EXPECT_NEAR(m, 0.0, 1e-5);
    EXPECT_NEAR(v, 1.0, 1e-5);
  }
}

// Unscaled PCA (pca_unscaled): 2-D data along u = (0.6, 0.8) (variance 20/3) plus an orthogonal spread along v = (-0.8, 0.6)
// (variance 4/3). Components must be u and -v (sign convention: largest |entry| positive), the
// projections the known coefficients, and a new point must map to its own coefficients.
TEST(Preprocess, PcaRecoversKnownDirections2D) {
  const double t[4] = {-3, -1, 1, 3}, s[4] = {1, -1, -1, 1};  // zero mean, uncorrelated
  const double cx = 5.0, cy = -2.0;
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 4; ++i) rows.push_back({cx + 0.6 * t[i] - 0.8 * s[i], cy + 0.8 * t[i] + 0.6 * s[i]});
  const Dataset ds = fromRows(rows, {"x", "y"});
  const auto all = allRows(ds);
  const PreprocessParams p = fitPreprocess(ds, all, config(ScalerKind::PcaUnscaled));
  ASSERT_EQ(p.components.rows(), 2);
  EXPECT_NEAR(p.components(0, 0), 0.6, 1e-6);
  EXPECT_NEAR(p.components(0, 1), 0.8, 1e-6);
  EXPECT_NEAR(p.components(1, 0), 0.8, 1e-6);
  EXPECT_NEAR(p.components(1, 1), -0.6, 1e-6);
  EXPECT_NEAR(p.explainedVariance[0], 20.0 / 3.0, 1e-5);
  EXPECT_NEAR(p.explainedVariance[1], 4.0 / 3.0, 1e-5);
  EXPECT_EQ(p.outputNames, (std::vector<std::string>{"pc1", "pc2"}));

  FeatureMatrix out;
  applyPreprocess(p, ds, all, out);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(out(i, 0), t[i], 1e-5);
    EXPECT_NEAR(out(i, 1), -s[i], 1e-5);
  }
  FeatureMatrix fresh(1, 2);
  fresh << static_cast<float>(cx + 0.6 * 2.0 - 0.8 * 0.5), static_cast<float>(cy + 0.8 * 2.0 + 0.6 * 0.5);
  FeatureMatrix freshOut;
  applyPreprocess(p, fresh, freshOut);
  EXPECT_NEAR(freshOut(0, 0), 2.0, 1e-5);
  EXPECT_NEAR(freshOut(0, 1), -0.5, 1e-5);
}

// Unscaled PCA: 3-D orthonormal basis with distinct variances, truncated to 2 components; the data are built
// with -u2 so the sign convention has to flip it back.
TEST(Preprocess, PcaTruncatesTo3DTopComponents) {
  const double u1[3] = {0.36, 0.48, 0.8}, u2[3] = {0.48, 0.64, -0.6}, u3[3] = {0.8, -0.6, 0.0};
  const double h1[4] = {1, 1, -1, -1}, h2[4] = {1, -1, 1, -1}, h3[4] = {1, -1, -1, 1};
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 4; ++i) {
    std::vector<double> r(3);
    for (int k = 0; k < 3; ++k) r[static_cast<std::size_t>(k)] = 1.0 + 5 * h1[i] * u1[k] - 2 * h2[i] * u2[k] + 0.5 * h3[i] * u3[k];
    rows.push_back(r);
  }
  const Dataset ds = fromRows(rows, {"a", "b", "c"});
  PreprocessConfig cfg = config(ScalerKind::PcaUnscaled);
  cfg.pcaComponents = 2;
  const auto all = allRows(ds);
  const PreprocessParams p = fitPreprocess(ds, all, cfg);
  ASSERT_EQ(p.components.rows(), 2);
  ASSERT_EQ(p.components.cols(), 3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(p.components(0, k), u1[k], 1e-6);
    EXPECT_NEAR(p.components(1, k), u2[k], 1e-6);
  }
  EXPECT_NEAR(p.explainedVariance[0], 25.0 * 4.0 / 3.0, 1e-4);
  EXPECT_NEAR(p.explainedVariance[1], 4.0 * 4.0 / 3.0, 1e-4);
  FeatureMatrix out;
  applyPreprocess(p, ds, all, out);
  ASSERT_EQ(out.cols(), 2);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(out(i, 0), 5 * h1[i], 1e-5);
    EXPECT_NEAR(out(i, 1), -2 * h2[i], 1e-5);
  }
  cfg.pcaComponents = 4;
  EXPECT_THROW((void)fitPreprocess(ds, all, cfg), Error);
}

// Whitened PCA on correlated random data: outputs have unit sample variance (ddof=1, the
// convention of explained_variance) and are uncorrelated; the matrix overload agrees with the
// dataset overload on rows that were not used for fitting.
TEST(Preprocess, PcaWhiteningGivesUnitVariance) {
  Dataset ds;
  ds.featureNames = {"a", "b", "c"};
  ds.features.resize(600, 3);
  for (Index i = 0; i < ds.rows(); ++i) {
    const auto u = static_cast<std::uint64_t>(i);
    const double z1 = rng::normal(10, u), z2 = rng::normal(11, u), z3 = rng::normal(12, u);
    ds.features(i, 0) = static_cast<float>(3.0 * z1 + 1.0);
    ds.features(i, 1) = static_cast<float>(2.0 * z1 + 0.5 * z2 - 4.0);
    ds.features(i, 2) = static_cast<float>(z1 - z2 + 0.1 * z3);
  }
  std::vector<Index> fit(400), other(200);
  std::iota(fit.begin(), fit.end(), Index{0});
  std::iota(other.begin(), other.end(), Index{400});
  for (const ScalerKind kind : {ScalerKind::Pca, ScalerKind::PcaUnscaled}) {
    SCOPED_TRACE(toString(kind));
    PreprocessConfig cfg = config(kind);
    cfg.whiten = true;
    const PreprocessParams p = fitPreprocess(ds, fit, cfg);
    FeatureMatrix out;
    applyPreprocess(p, ds, fit, out);
    const Eigen::MatrixXd x = out.cast<double>();
    const Eigen::MatrixXd xc = x.rowwise() - x.colwise().mean();
    const Eigen::MatrixXd cov = xc.transpose() * xc / static_cast<double>(x.rows() - 1);
    EXPECT_TRUE(cov.isApprox(Eigen::MatrixXd::Identity(3, 3), 1e-4)) << cov;

    FeatureMatrix viaDataset, viaMatrix;
    applyPreprocess(p, ds, other, viaDataset);
    const FeatureMatrix raw = ds.features.bottomRows(200);
    applyPreprocess(p, raw, viaMatrix);
    EXPECT_EQ(viaDataset, viaMatrix);
  }
}

namespace {
// b and c share a common factor (correlation ~0.92), a is independent of both and 1000 times
// larger in value: what a feature in MeV next to features in GeV looks like.
Dataset unitsDataset(double aScale) {
  Dataset ds;
  ds.featureNames = {"a", "b", "c"};
  ds.features.resize(2000, 3);
  for (Index i = 0; i < ds.rows(); ++i) {
    const auto u = static_cast<std::uint64_t>(i);
    const double z1 = rng::normal(21, u), z2 = rng::normal(22, u), e1 = rng::normal(23, u), e2 = rng::normal(24, u);
    ds.features(i, 0) = static_cast<float>(aScale * z2 + 5.0 * aScale);
    ds.features(i, 1) = static_cast<float>(z1 + 0.3 * e1);
    ds.features(i, 2) = static_cast<float>(z1 + 0.3 * e2 - 2.0);
  }
  return ds;
}
}  // namespace

// The standardising PCA (scaler = "pca"): the large feature a, which carries no correlation,
// must not take the first component by its units; b and c, which share a factor, must. The
// unscaled rotation (pca_unscaled) shows what the bug looked like: a alone as PC1.
TEST(Preprocess, PcaStandardisesSoUnitsDoNotPickTheFirstComponent) {
  const Dataset ds = unitsDataset(1000.0);
  const auto all = allRows(ds);
  const PreprocessParams p = fitPreprocess(ds, all, config(ScalerKind::Pca));
  ASSERT_EQ(p.components.rows(), 3);
  EXPECT_LT(std::abs(p.components(0, 0)), 0.05) << p.components;
  EXPECT_NEAR(p.components(0, 1), std::sqrt(0.5), 0.02) << p.components;
  EXPECT_NEAR(p.components(0, 2), std::sqrt(0.5), 0.02) << p.components;
  // Correlation-matrix eigenvalues: 1 + r for the shared factor, 1 for a (n - 1 vs n: ~1e-3).
  const double r = 1.0 / 1.09;
  EXPECT_NEAR(p.explainedVariance[0], 1.0 + r, 0.1);
  EXPECT_NEAR(p.explainedVariance[1], 1.0, 0.1);
  ASSERT_EQ(p.inputScale.size(), 3);
  EXPECT_NEAR(1.0 / p.inputScale[0], 1000.0, 50.0);  // a's std, as StandardScaler's scale_

  const PreprocessParams raw = fitPreprocess(ds, all, config(ScalerKind::PcaUnscaled));
  EXPECT_NEAR(raw.components(0, 0), 1.0, 1e-6);
  EXPECT_EQ(raw.inputScale.size(), 0);
}

// Pipeline([StandardScaler(), PCA()]) written out: the standardised columns computed here by a
// plain loop (population std), then rotated by the unscaled PCA, give the same outputs as the
// standardising PCA; and a feature's units (a x 1000) do not change them.
TEST(Preprocess, PcaEqualsStandardScalerThenUnscaledPca) {
  const Dataset ds = unitsDataset(1000.0);
  const auto all = allRows(ds);
  Dataset standardised = ds;
  for (Index j = 0; j < ds.cols(); ++j) {
    double m = 0, ss = 0;
    for (Index i = 0; i < ds.rows(); ++i) m += ds.features(i, j);
    m /= static_cast<double>(ds.rows());
    for (Index i = 0; i < ds.rows(); ++i) ss += (ds.features(i, j) - m) * (ds.features(i, j) - m);
    const double sd = std::sqrt(ss / static_cast<double>(ds.rows()));
    for (Index i = 0; i < ds.rows(); ++i) standardised.features(i, j) = static_cast<float>((ds.features(i, j) - m) / sd);
  }
  for (const bool whiten : {false, true}) {
    PreprocessConfig pca = config(ScalerKind::Pca), byHand = config(ScalerKind::PcaUnscaled);
    pca.whiten = byHand.whiten = whiten;
    FeatureMatrix a, b, c;
    applyPreprocess(fitPreprocess(ds, all, pca), ds, all, a);
    applyPreprocess(fitPreprocess(standardised, all, byHand), standardised, all, b);
    ASSERT_EQ(a.cols(), b.cols());
    EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-4) << "whiten " << whiten;
    const Dataset otherUnits = unitsDataset(1.0);
    applyPreprocess(fitPreprocess(otherUnits, all, pca), otherUnits, all, c);
    EXPECT_LT((a - c).cwiseAbs().maxCoeff(), 1e-3) << "whiten " << whiten;
  }
}

// Dataset for the missing-value tests: marker -999 on "a" and "c" only; "b" holds a literal -999
// that is a real value. Row 4 is not used for fitting and is missing in "c".
Dataset missingDataset() {
  Dataset ds = fromRows({{1, -999, 10}, {-999, 2, 20}, {3, 4, 30}, {-999, 6, 40}, {100, 8, -999}},
                        {"a", "b", "c"});
  ds.missingValue = -999.0f;
  ds.missingFeatures = {"a", "c"};
  return ds;
}

// mean: markers replaced by the mean of the non-missing fit rows; unmarked features untouched.
TEST(PreprocessMissing, MeanExcludesMarkers) {
  const Dataset ds = missingDataset();
  const std::vector<Index> fit{0, 1, 2, 3};
  const PreprocessParams p = fitPreprocess(ds, fit, config(ScalerKind::None, MissingPolicy::Mean));
  EXPECT_DOUBLE_EQ(p.imputeMean[0], 2.0);    // (1 + 3) / 2, not including -999 nor row 4
  EXPECT_DOUBLE_EQ(p.imputeMean[2], 25.0);   // (10+20+30+40) / 4
  EXPECT_TRUE(p.indicatorOf.empty());
  EXPECT_EQ(p.outputNames, ds.featureNames);
  FeatureMatrix out;
  const std::vector<Index> rows{0, 1, 3, 4};
  applyPreprocess(p, ds, rows, out);
  EXPECT_EQ(out(0, 1), -999.0f);  // "b" does not use the marker
  EXPECT_EQ(out(1, 0), 2.0f);
  EXPECT_EQ(out(2, 0), 2.0f);
  EXPECT_EQ(out(3, 0), 100.0f);
  EXPECT_EQ(out(3, 2), 25.0f);    // missing outside the fit rows is imputed with the fitted mean
}

// mean+indicator: one indicator per feature that had missing values in the fit rows ("c" had
// none there, so it gets none even though row 4 is missing in it).
TEST(PreprocessMissing, IndicatorColumns) {
  const Dataset ds = missingDataset();
  const std::vector<Index> fit{0, 1, 2, 3};
  const PreprocessParams p = fitPreprocess(ds, fit, config(ScalerKind::None, MissingPolicy::MeanIndicator));
  EXPECT_EQ(p.outputNames, (std::vector<std::string>{"a", "b", "c", "a_missing"}));
  EXPECT_EQ(p.indicatorOf, (std::vector<Index>{0}));
  FeatureMatrix out;
  const auto all = allRows(ds);
  applyPreprocess(p, ds, all, out);
  ASSERT_EQ(out.cols(), 4);
  const float expectedIndicator[5] = {0, 1, 0, 1, 0};
  const float expectedA[5] = {1, 2, 3, 2, 100};
  for (Index i = 0; i < 5; ++i) {
    EXPECT_EQ(out(i, 3), expectedIndicator[i]) << i;
    EXPECT_EQ(out(i, 0), expectedA[i]) << i;
  }
  EXPECT_EQ(out(4, 2), 25.0f);
}

// keep: the marker passes through unchanged (the network sees -999, as the user asked).
TEST(PreprocessMissing, KeepLeavesValues) {
  const Dataset ds = missingDataset();
  const auto all = allRows(ds);
  const PreprocessParams p = fitPreprocess(ds, all, config(ScalerKind::None, MissingPolicy::Keep));
  FeatureMatrix out;
  applyPreprocess(p, ds, all, out);
  EXPECT_EQ(out, ds.features);
}

// Standard scaling sees the imputed values: mean of "a" after imputation over rows 0..3 is 2,
// so an imputed entry scales to exactly 0.
TEST(PreprocessMissing, ScalingAfterImputation) {
  const Dataset ds = missingDataset();
  const std::vector<Index> fit{0, 1, 2, 3};
  const PreprocessParams p = fitPreprocess(ds, fit, config(ScalerKind::Standard, MissingPolicy::MeanIndicator));
  FeatureMatrix out;
  applyPreprocess(p, ds, fit, out);
  EXPECT_NEAR(out(1, 0), 0.0f, 1e-6);
  // Indicator column (0,1,0,1): mean 0.5, std 0.5 -> -1, 1, -1, 1.
  EXPECT_NEAR(out(0, 3), -1.0f, 1e-6);
  EXPECT_NEAR(out(1, 3), 1.0f, 1e-6);
}

// A feature missing in every fit row cannot be imputed: the error names it.
TEST(PreprocessMissing, AllMissingFeatureIsError) {
  const Dataset ds = missingDataset();
  const std::vector<Index> fit{1, 3};
  try {
    (void)fitPreprocess(ds, fit, config(ScalerKind::Standard, MissingPolicy::Mean));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos) << e.what();
  }
}

// Input features are matched by name, so a dataset with another column order gives the same
// result, and a dataset lacking a feature is an error naming it.
TEST(Preprocess, ApplyMatchesColumnsByName) {
  const Dataset ds = fromRows({{1, 10}, {2, 30}, {6, 20}}, {"x", "y"});
  const auto all = allRows(ds);
  const PreprocessParams p = fitPreprocess(ds, all, config(ScalerKind::Standard));
  const Dataset swapped = fromRows({{10, 1}, {30, 2}, {20, 6}}, {"y", "x"});
  FeatureMatrix a, b;
  applyPreprocess(p, ds, all, a);
  applyPreprocess(p, swapped, all, b);
  EXPECT_EQ(a, b);
  const Dataset lacking = fromRows({{1}, {2}, {3}}, {"x"});
  try {
    applyPreprocess(p, lacking, all, b);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'y'"), std::string::npos) << e.what();
  }
}

// Would catch a block path that rounds differently from applyRow (apply's scores must equal the
// training's bit for bit): every policy and scaler, the inputs as the table's first columns and
// permuted among wider rows, values from tiny to huge and both signs.
TEST(Preprocess, ConsecutiveRowsGiveApplyRowsBits) {
  constexpr Index kRows = 300;
  rng::CounterRng r(31);
  std::vector<std::vector<double>> rows(static_cast<std::size_t>(kRows));
  for (auto& row : rows) {
    for (int j = 0; j < 5; ++j) {
      const double scale = std::pow(10.0, static_cast<double>(r.below(13)) - 6.0);
      row.push_back((r.uniform() - 0.4) * scale * (j + 1));
    }
    if (r.uniform() < 0.2) row[1] = -999;
  }
  Dataset ds = fromRows(rows, {"a", "b", "c", "d", "e"});
  ds.missingValue = -999.0f;
  ds.missingFeatures = {"b"};
  const auto all = allRows(ds);
  // The same events with the columns permuted among two extra ones: c, x, e, a, y, b, d.
  const std::vector<Index> at{3, 5, 0, 6, 2};  // where a..e are in a wider row
  FeatureMatrix wide(kRows, 7);
  for (Index i = 0; i < kRows; ++i) {
    wide(i, 1) = 7.0f;
    wide(i, 4) = -3.0f;
    for (Index j = 0; j < 5; ++j) wide(i, at[static_cast<std::size_t>(j)]) = ds.features(i, j);
  }
  for (const ScalerKind s : {ScalerKind::Standard, ScalerKind::None, ScalerKind::Pca, ScalerKind::PcaUnscaled})
    for (const MissingPolicy m : {MissingPolicy::Keep, MissingPolicy::Mean, MissingPolicy::MeanIndicator}) {
      const PreprocessParams p = fitPreprocess(ds, all, config(s, m));
      for (const bool permuted : {false, true}) {
        Preprocessor pre(p, permuted ? at : std::vector<Index>{});
        const float* table = permuted ? wide.data() : ds.features.data();
        const Index stride = permuted ? 7 : 5;
        std::vector<float> block(static_cast<std::size_t>(kRows * pre.outputs())), row(static_cast<std::size_t>(pre.outputs()));
        pre.applyConsecutive(table, stride, kRows, block.data());
        int differing = 0;
        for (Index i = 0; i < kRows; ++i) {
          pre.applyRow(table + i * stride, row.data());
          differing += std::memcmp(row.data(), block.data() + i * pre.outputs(), row.size() * sizeof(float)) != 0;
        }
        EXPECT_EQ(differing, 0) << toString(s) << ", " << toString(m) << (permuted ? ", permuted columns" : "");
      }
    }
}
