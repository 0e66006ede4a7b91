// The XGBoost wrapper: trees learn a separable toy, reruns give the same bytes, saved models score
// as the trained one, early stopping keeps the best round, and bad inputs are clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hepsweep/baseline/Booster.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/metrics/Metrics.hpp"

namespace hb = hepsweep::baseline;
using hepsweep::Error;
using hepsweep::ErrorCategory;

namespace {

struct Toy {
  std::vector<float> table, labels, weights;
  std::int64_t rows = 0, cols = 3;
};

// Signal is shifted in feature 0 by `shift`; features 1 and 2 are noise; every 7th value of
// feature 2 is missing (NaN), which the trees must accept.
Toy makeToy(std::int64_t rows, double shift, unsigned seed) {
  Toy t;
  t.rows = rows;
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  for (std::int64_t i = 0; i < rows; ++i) {
    const bool signal = i % 2 == 0;
    t.labels.push_back(signal ? 1.0f : 0.0f);
    t.weights.push_back(1.0f);
    t.table.push_back(static_cast<float>(normal(gen) + (signal ? shift : 0.0)));
    t.table.push_back(static_cast<float>(normal(gen)));
    t.table.push_back(i % 7 == 0 ? std::nanf("") : static_cast<float>(normal(gen)));
  }
  return t;
}

hb::Matrix matrixOf(const Toy& t) { return hb::Matrix(t.table, t.rows, t.cols, t.labels, t.weights); }

double aucOf(const std::vector<float>& scores, const Toy& t) { return hepsweep::metrics::auc(scores, t.labels); }

}  // namespace

TEST(BaselineBooster, LearnsASeparableToyAndScoresProbabilities) {
  const Toy train = makeToy(2000, 2.0, 1), test = makeToy(1000, 2.0, 2);
  hb::BoosterParams p;
  p.trees = 30;
  const hb::Booster b = hb::Booster::train(matrixOf(train), nullptr, p);
  EXPECT_EQ(b.rounds(), 30);
  EXPECT_EQ(b.features(), 3);
  const std::vector<float> s = b.predict(matrixOf(test));
  ASSERT_EQ(s.size(), 1000u);
  for (float v : s) ASSERT_TRUE(v > 0.0f && v < 1.0f) << v;
  // A shift of 2 sigma separates the classes with AUC ~0.92 for the ideal discriminant.
  EXPECT_GT(aucOf(s, test), 0.88);
}

TEST(BaselineBooster, RerunsGiveTheSameModelBytes) {
  const Toy train = makeToy(1500, 1.0, 3), val = makeToy(500, 1.0, 4);
  hb::BoosterParams p;
  p.trees = 20;
  p.seed = 17;
  const auto once = hb::Booster::train(matrixOf(train), nullptr, p).save(hb::ModelFormat::Ubjson);
  const auto twice = hb::Booster::train(matrixOf(train), nullptr, p).save(hb::ModelFormat::Ubjson);
  EXPECT_EQ(once, twice);
  const hb::Matrix v = matrixOf(val);
  const auto a = hb::Booster::train(matrixOf(train), &v, p).predict(v);
  const auto b = hb::Booster::train(matrixOf(train), &v, p).predict(v);
  EXPECT_EQ(a, b);
}

TEST(BaselineBooster, WeightsChangeTheTrees) {
  Toy train = makeToy(1500, 1.0, 5);
  hb::BoosterParams p;
  p.trees = 5;
  const auto unit = hb::Booster::train(matrixOf(train), nullptr, p).save(hb::ModelFormat::Ubjson);
  for (std::size_t i = 0; i < train.weights.size(); i += 3) train.weights[i] = 4.0f;
  const auto weighted = hb::Booster::train(matrixOf(train), nullptr, p).save(hb::ModelFormat::Ubjson);
  EXPECT_NE(unit, weighted);
}

TEST(BaselineBooster, SavedModelsScoreAsTheTrainedOne) {
  const Toy train = makeToy(1500, 1.5, 6), test = makeToy(700, 1.5, 7);
  hb::BoosterParams p;
  p.trees = 15;
  p.maxDepth = 4;
  const hb::Booster b = hb::Booster::train(matrixOf(train), nullptr, p);
  const hb::Matrix m = matrixOf(test);
  const auto expected = b.predict(m);
  for (const auto format : {hb::ModelFormat::Json, hb::ModelFormat::Ubjson}) {
    const auto bytes = b.save(format);
    const hb::Booster loaded = hb::Booster::load(bytes, "model");
    EXPECT_EQ(loaded.rounds(), 15);
    EXPECT_EQ(loaded.predict(m), expected);
  }
  // JSON really is JSON (users open it with other tools).
  const auto json = b.save(hb::ModelFormat::Json);
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.front(), '{');
}

TEST(BaselineBooster, EarlyStoppingKeepsTheBestRound) {
  // Labels unrelated to the features: the validation loss stops improving after a few rounds.
  Toy train = makeToy(1000, 0.0, 8), val = makeToy(1000, 0.0, 9);
  hb::BoosterParams p;
  p.trees = 200;
  p.maxDepth = 6;
  p.learningRate = 0.5;
  p.earlyStoppingRounds = 5;
  hb::FitHistory h;
  const hb::Matrix v = matrixOf(val);
  const hb::Booster b = hb::Booster::train(matrixOf(train), &v, p, &h);
  EXPECT_TRUE(h.stoppedEarly);
  EXPECT_LT(h.roundsRun, 200);
  EXPECT_EQ(h.roundsRun - h.bestRound, 5);
  ASSERT_EQ(h.valLoss.size(), static_cast<std::size_t>(h.roundsRun));
  EXPECT_EQ(b.rounds(), h.bestRound);
  // The kept round has the smallest validation loss of the history.
  const double best = h.valLoss[static_cast<std::size_t>(h.bestRound - 1)];
  for (double l : h.valLoss) EXPECT_GE(l, best);
}

TEST(BaselineBooster, WithoutEarlyStoppingEveryRoundIsKept) {
  const Toy train = makeToy(800, 0.0, 10), val = makeToy(800, 0.0, 11);
  hb::BoosterParams p;
  p.trees = 12;
  p.maxDepth = 6;
  p.learningRate = 0.5;
  hb::FitHistory h;
  const hb::Matrix v = matrixOf(val);
  const hb::Booster b = hb::Booster::train(matrixOf(train), &v, p, &h);
  EXPECT_FALSE(h.stoppedEarly);
  EXPECT_EQ(h.roundsRun, 12);
  EXPECT_EQ(h.bestRound, 12);
  EXPECT_EQ(b.rounds(), 12);
}

TEST(BaselineBooster, GarbageModelBytesAreAnInputErrorNamingTheOrigin) {
  const std::vector<std::uint8_t> junk{'n', 'o', 't', ' ', 'a', ' ', 'm', 'o', 'd', 'e', 'l'};
  try {
    (void)hb::Booster::load(junk, "runs/x/baseline/items/0/result.h5:/model");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("runs/x/baseline/items/0/result.h5:/model"), std::string::npos) << e.what();
  }
}

TEST(BaselineBooster, ScoringDataWithOtherFeaturesIsAnInputError) {
  const Toy train = makeToy(500, 1.0, 12);
  hb::BoosterParams p;
  p.trees = 3;
  const hb::Booster b = hb::Booster::train(matrixOf(train), nullptr, p);
  const std::vector<float> two(20, 0.0f);
  try {
    (void)b.predict(hb::Matrix(two, 10, 2));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("expects 3 input features"), std::string::npos) << e.what();
  }
}

TEST(BaselineBooster, MismatchedLabelsAreRefused) {
  const std::vector<float> table(30, 0.0f), labels(9, 0.0f);
  EXPECT_THROW(hb::Matrix(table, 10, 3, labels), Error);
  EXPECT_THROW(hb::Matrix(table, 11, 3), Error);
}
