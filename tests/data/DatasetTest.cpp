// Dataset helpers: lookup by name, missing-marker bookkeeping, row subsets and feature selection.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/data/Dataset.hpp"

using namespace hepsweep;
using namespace hepsweep::data;

namespace {

// 4 events x 3 features with distinct values everywhere, so any mixed-up row or column shows.
Dataset makeDataset() {
  Dataset ds;
  ds.featureNames = {"lep_pt", "jet_eta", "met"};
  ds.features.resize(4, 3);
  for (Index i = 0; i < 4; ++i)
    for (Index j = 0; j < 3; ++j) ds.features(i, j) = static_cast<float>(10 * i + j);
  ds.labels = Eigen::VectorXf(4);
  ds.labels << 1, 0, 1, 0;
  ds.weights = Eigen::VectorXf(4);
  ds.weights << 0.5f, 1.5f, -2.0f, 3.0f;
  ds.ids = {100, 101, 102, 103};
  ds.missingValue = -999.0f;
  ds.missingFeatures = {"jet_eta"};
  return ds;
}

}  // namespace

// Catches an off-by-one or a wrong "not found" value in the name lookup.
TEST(Dataset, FeatureIndexFindsNamesAndReturnsMinusOneOtherwise) {
  const Dataset ds = makeDataset();
  EXPECT_EQ(ds.featureIndex("lep_pt"), 0);
  EXPECT_EQ(ds.featureIndex("met"), 2);
  EXPECT_EQ(ds.featureIndex("MET"), -1);
}

// The marker applies to the listed features only; an empty list means all; no marker means none.
TEST(Dataset, FeatureHasMissingFollowsMarkerAndList) {
  Dataset ds = makeDataset();
  EXPECT_FALSE(ds.featureHasMissing(0));
  EXPECT_TRUE(ds.featureHasMissing(1));
  EXPECT_FALSE(ds.featureHasMissing(2));
  ds.missingFeatures.clear();
  EXPECT_TRUE(ds.featureHasMissing(0));
  EXPECT_TRUE(ds.featureHasMissing(2));
  ds.missingValue.reset();
  EXPECT_FALSE(ds.featureHasMissing(1));
}

// A subset must carry every per-event column in the requested order, and the metadata.
TEST(Dataset, SubsetKeepsRowsInOrderWithIdsWeightsLabels) {
  const Dataset ds = makeDataset();
  const std::vector<Index> rows{3, 0, 3};
  const Dataset s = ds.subset(rows);
  ASSERT_EQ(s.rows(), 3);
  ASSERT_EQ(s.cols(), 3);
  EXPECT_EQ(s.featureNames, ds.featureNames);
  EXPECT_EQ(s.ids, (std::vector<std::int64_t>{103, 100, 103}));
  for (Index i = 0; i < 3; ++i) {
    const Index r = rows[static_cast<std::size_t>(i)];
    EXPECT_EQ(s.labels[i], ds.labels[r]);
    EXPECT_EQ(s.weights[i], ds.weights[r]);
    for (Index j = 0; j < 3; ++j) EXPECT_EQ(s.features(i, j), ds.features(r, j));
  }
  ASSERT_TRUE(s.missingValue.has_value());
  EXPECT_EQ(*s.missingValue, -999.0f);
  EXPECT_EQ(s.missingFeatures, ds.missingFeatures);
}

// Datasets without ids stay without ids (hasIds() must not become true with garbage).
TEST(Dataset, SubsetWithoutIds) {
  Dataset ds = makeDataset();
  ds.ids.clear();
  const std::vector<Index> rows{1};
  EXPECT_FALSE(ds.subset(rows).hasIds());
}

// Selection reorders columns, keeps rows, and restricts the missing list to kept features.
TEST(Dataset, SelectFeaturesReordersAndKeepsMissingInfo) {
  const Dataset ds = makeDataset();
  const std::vector<std::string> names{"met", "jet_eta"};
  const Dataset s = ds.selectFeatures(names);
  ASSERT_EQ(s.cols(), 2);
  EXPECT_EQ(s.featureNames, names);
  for (Index i = 0; i < 4; ++i) {
    EXPECT_EQ(s.features(i, 0), ds.features(i, 2));
    EXPECT_EQ(s.features(i, 1), ds.features(i, 1));
  }
  EXPECT_EQ(s.ids, ds.ids);
  EXPECT_EQ(s.weights, ds.weights);
  EXPECT_TRUE(s.featureHasMissing(1));
  EXPECT_FALSE(s.featureHasMissing(0));
}

// Dropping every feature that used the marker must not turn the empty list into "all use it".
TEST(Dataset, SelectFeaturesWithoutMarkedFeatureDropsMarker) {
  const Dataset ds = makeDataset();
  const std::vector<std::string> names{"met", "lep_pt"};
  const Dataset s = ds.selectFeatures(names);
  EXPECT_FALSE(s.featureHasMissing(0));
  EXPECT_FALSE(s.featureHasMissing(1));
}

// The error must name the unknown feature and suggest the near miss.
TEST(Dataset, SelectFeaturesUnknownNameIsActionable) {
  const Dataset ds = makeDataset();
  const std::vector<std::string> names{"lep_pt", "jet_eat"};
  try {
    (void)ds.selectFeatures(names);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'jet_eat'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean 'jet_eta'"), std::string::npos) << msg;
  }
}

// Selecting a column twice would silently feed the network a duplicated input.
TEST(Dataset, SelectFeaturesTwiceIsAnError) {
  const Dataset ds = makeDataset();
  const std::vector<std::string> names{"met", "met"};
  EXPECT_THROW((void)ds.selectFeatures(names), Error);
}
