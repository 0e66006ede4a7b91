// search::partialDependence, the Bayesian runs' panel of `aggregate --compare`: on an objective
// that depends on one dimension only, the partial dependence of the fitted GP follows that
// dimension's curve (minimum where the function's is) and is flat along the ignored dimension; a
// log dimension's grid is log-spaced, a choice's grid is its choices; too few points is an error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/search/PartialDependence.hpp"

using namespace hepsweep::search;

namespace {

Space twoReals() {
  Space s;
  s.add(Dimension::real("model.dropout", 0.0, 1.0));
  s.add(Dimension::real("train.learning_rate", 1e-4, 1e-2, true));
  return s;
}

}  // namespace

TEST(PartialDependence, FollowsTheRelevantDimensionAndIsFlatAlongTheOther) {
  const Space space = twoReals();
  std::vector<std::vector<Value>> points;
  std::vector<double> y;
  // A 5 x 5 lattice; the objective is (dropout - 0.3)^2 whatever the learning rate.
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      const double d = 0.1 + 0.2 * i, lr = std::pow(10.0, -4 + 0.5 * j);
      points.push_back({space[0].value(d), space[1].value(lr)});
      y.push_back((d - 0.3) * (d - 0.3));
    }
  const auto pd = partialDependence(space, points, y, 41, 7);
  ASSERT_EQ(pd.size(), 2u);
  EXPECT_EQ(pd[0].key, "model.dropout");
  ASSERT_EQ(pd[0].x.size(), 41u);
  ASSERT_EQ(pd[0].mean.size(), 41u);
  EXPECT_EQ(pd[0].observedX.size(), 25u);
  const auto argmin = std::min_element(pd[0].mean.begin(), pd[0].mean.end()) - pd[0].mean.begin();
  EXPECT_NEAR(pd[0].x[static_cast<std::size_t>(argmin)], 0.3, 0.06);
  const auto [lo0, hi0] = std::minmax_element(pd[0].mean.begin(), pd[0].mean.end());
  const auto [lo1, hi1] = std::minmax_element(pd[1].mean.begin(), pd[1].mean.end());
  EXPECT_GT(*hi0 - *lo0, 0.2);              // (0.9 - 0.3)^2 = 0.36 across the range
  EXPECT_LT(*hi1 - *lo1, 0.1 * (*hi0 - *lo0));  // the learning rate does not matter
  // The log dimension's grid: its ends, evenly spaced in log10.
  EXPECT_TRUE(pd[1].log);
  EXPECT_NEAR(pd[1].x.front(), 1e-4, 1e-12);
  EXPECT_NEAR(pd[1].x.back(), 1e-2, 1e-12);
  EXPECT_NEAR(std::log10(pd[1].x[20]), -3.0, 1e-9);
}

TEST(PartialDependence, ChoicesAreTheirOwnGrid) {
  Space space;
  space.add(Dimension::choices("model.activation", {"\"relu\"", "\"tanh\"", "\"elu\""}));
  space.add(Dimension::integer("model.depth", 1, 4));
  std::vector<std::vector<Value>> points;
  std::vector<double> y;
  for (std::size_t a = 0; a < 3; ++a)
    for (int d = 1; d <= 4; ++d) {
      points.push_back({space[0].choice(a), space[1].value(d)});
      y.push_back(a == 1 ? 1.0 : 0.0);  // tanh is worse
    }
  const auto pd = partialDependence(space, points, y, 40, 3);
  ASSERT_EQ(pd[0].categories.size(), 3u);
  ASSERT_EQ(pd[0].x, (std::vector<double>{0, 1, 2}));
  EXPECT_GT(pd[0].mean[1], pd[0].mean[0] + 0.5);
  EXPECT_GT(pd[0].mean[1], pd[0].mean[2] + 0.5);
  EXPECT_EQ(pd[1].x, (std::vector<double>{1, 2, 3, 4}));  // an integer range of 4 values: each of them
}

TEST(PartialDependence, NeedsTwoFinitePoints) {
  const Space space = twoReals();
  const std::vector<std::vector<Value>> points{{space[0].value(0.1), space[1].value(1e-3)},
                                               {space[0].value(0.2), space[1].value(1e-3)}};
  EXPECT_THROW(partialDependence(space, points, {0.5, NAN}, 10, 1), hepsweep::Error);
}

TEST(PartialDependence, FeaturesAreUnitCoordinatesAndOneHotChoices) {
  Space space;
  space.add(Dimension::real("model.dropout", 0.0, 0.5));
  space.add(Dimension::choices("model.activation", {"\"relu\"", "\"tanh\""}));
  const Eigen::VectorXd f = modelFeatures(space, {space[0].value(0.25), space[1].choice(1)});
  ASSERT_EQ(f.size(), 3);
  EXPECT_DOUBLE_EQ(f(0), 0.5);
  EXPECT_EQ(f(1), 0.0);
  EXPECT_EQ(f(2), 1.0);
}
