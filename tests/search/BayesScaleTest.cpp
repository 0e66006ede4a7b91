// The Bayesian search at scale: the local model (search.model_points) and the reuse of the
// hyperparameters between refits (search.refit_every).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "SearchTestUtil.hpp"
#include "hepsweep/search/Bayes.hpp"
#include "hepsweep/search/PartialDependence.hpp"

using namespace hepsweep;
using namespace hepsweep::search;
using namespace hepsweep::search::test;

namespace {

Space square() { return Space({Dimension::real("a", 0, 1), Dimension::real("b", 0, 10), Dimension::integer("n", 1, 8)}); }

// A bowl with its minimum at unit coordinates (0.3, 0.3, 0.3).
double bowl(const Space& s, const Point& p) {
  double f = 0;
  for (const double u : s.unitCoordinates(p)) f += (u - 0.3) * (u - 0.3);
  return f;
}

BayesOptions options(std::int64_t modelPoints, std::int64_t refitEvery) {
  BayesOptions o;
  o.initialPoints = 30;
  o.initialDesign = InitialDesign::Lhs;
  o.acquisition = AcquisitionKind::EI;
  o.modelPoints = modelPoints;
  o.refitEvery = refitEvery;
  return o;
}

}  // namespace

// With more points than model_points the model is fitted to the model_points rows nearest the
// best observed point (checked against a brute-force ranking of all rows), and the trust region
// is their bounding box; the next proposal lies inside it. Catches a subset chosen by id or at
// random, a box that does not match the rows, and proposals drawn from the whole space.
TEST(BayesScale, LocalModelKeepsTheNearestPointsAndProposesInsideTheirBox) {
  const Space space = square();
  BayesSearcher s(space, 60, 5, options(12, 1));
  for (const Point& p : s.propose(30)) s.observe(p, bowl(space, p));
  const auto data = s.nextTrainingData();
  ASSERT_TRUE(data);
  ASSERT_EQ(data->inputs.rows(), 12);
  EXPECT_EQ(data->leftOut, 18);
  EXPECT_EQ(data->observed, 12);

  // Brute force: every point's model inputs, ranked by distance to the best one.
  std::vector<Eigen::VectorXd> rows;
  std::size_t best = 0;
  for (std::size_t i = 0; i < s.proposals().size(); ++i) {
    rows.push_back(modelFeatures(space, s.proposals()[i].values));
    if (bowl(space, s.proposals()[i]) < bowl(space, s.proposals()[best])) best = i;
  }
  std::vector<std::pair<double, std::size_t>> byDistance;
  for (std::size_t i = 0; i < rows.size(); ++i) byDistance.emplace_back((rows[i] - rows[best]).squaredNorm(), i);
  std::sort(byDistance.begin(), byDistance.end());
  std::vector<std::size_t> expected;
  for (std::size_t i = 0; i < 12; ++i) expected.push_back(byDistance[i].second);
  std::sort(expected.begin(), expected.end());
  for (std::size_t i = 0; i < 12; ++i)
    EXPECT_TRUE(data->inputs.row(static_cast<Eigen::Index>(i)).transpose().isApprox(rows[expected[i]]))
        << "row " << i << " should be point " << expected[i];
  for (Eigen::Index c = 0; c < data->inputs.cols(); ++c) {
    EXPECT_DOUBLE_EQ(data->lower(c), data->inputs.col(c).minCoeff());
    EXPECT_DOUBLE_EQ(data->upper(c), data->inputs.col(c).maxCoeff());
    EXPECT_LT(data->upper(c) - data->lower(c), 1.0) << "the region of 12 of 30 points should not span column " << c;
  }

  const Point next = s.propose(1).at(0);
  const Eigen::VectorXd x = modelFeatures(space, next.values);
  for (Eigen::Index c = 0; c < x.size(); ++c) {
    EXPECT_GE(x(c), data->lower(c) - 1e-12) << next.describe();
    EXPECT_LE(x(c), data->upper(c) + 1e-12) << next.describe();
  }
  EXPECT_EQ(s.models().back().observed, 12);
}

// model_points = 0 and a count at or below the limit: every point is in the model, no region.
TEST(BayesScale, ExactModelKeepsEveryPoint) {
  const Space space = square();
  for (const std::int64_t mp : {std::int64_t{0}, std::int64_t{30}}) {
    BayesSearcher s(space, 60, 5, options(mp, 1));
    for (const Point& p : s.propose(30)) s.observe(p, bowl(space, p));
    const auto data = s.nextTrainingData();
    ASSERT_TRUE(data);
    EXPECT_EQ(data->inputs.rows(), 30) << mp;
    EXPECT_EQ(data->leftOut, 0) << mp;
    EXPECT_EQ(data->lower.size(), 0) << mp;
  }
}

// refit_every = 3: the hyperparameters are fitted at model proposals 0, 3, 6 and reused (the
// same amplitude, noise and length scales) at the others, while the data the model sees still
// grows; a searcher restored from the state mid-batch proposes the same points (the reuse
// depends only on the saved model records). Catches a refit at every proposal, a reuse that
// never refits, and a reuse counter that a restore resets.
TEST(BayesScale, RefitEveryReusesHyperparametersBetweenFitsAndSurvivesRestore) {
  const Space space = square();
  BayesSearcher a(space, 60, 11, options(0, 3));
  for (const Point& p : a.propose(30)) a.observe(p, bowl(space, p));
  for (int i = 0; i < 4; ++i) {
    const Point p = a.propose(1).at(0);
    a.observe(p, bowl(space, p));
  }
  const std::string json = stateToJson(a.state());
  BayesSearcher b(space, 60, 11, options(0, 3));
  b.restore(stateFromJson(json, b.space(), "state.json"));
  for (int i = 0; i < 3; ++i) {
    const Point pa = a.propose(1).at(0), pb = b.propose(1).at(0);
    EXPECT_EQ(pa.describe(), pb.describe()) << i;
    a.observe(pa, bowl(space, pa));
    b.observe(pb, bowl(space, pb));
  }
  const auto& m = a.models();
  ASSERT_EQ(m.size(), 7u);
  const auto same = [](const ModelRecord& x, const ModelRecord& y) {
    return x.amplitude == y.amplitude && x.noise == y.noise && x.lengthScales == y.lengthScales;
  };
  EXPECT_TRUE(same(m[0], m[1]));
  EXPECT_TRUE(same(m[0], m[2]));
  EXPECT_FALSE(same(m[2], m[3])) << "model 3 should be a new fit";
  EXPECT_TRUE(same(m[3], m[4]));
  EXPECT_TRUE(same(m[3], m[5]));
  EXPECT_FALSE(same(m[5], m[6])) << "model 6 should be a new fit";
  EXPECT_LT(m[0].observed, m[2].observed);
  EXPECT_NE(m[0].logLikelihood, m[1].logLikelihood) << "a reused fit is still conditioned on the new data";
}

TEST(BayesScale, BadScaleOptionsAreConfigErrors) {
  EXPECT_TRUE(contains(errorOf([] { BayesSearcher(square(), 20, 1, options(5, 1)); }), "search.model_points"));
  EXPECT_TRUE(contains(errorOf([] { BayesSearcher(square(), 20, 1, options(0, 0)); }), "search.refit_every must be >= 1"));
}
