// The background's parameter draw of parametrised networks (data/Parametrise.hpp).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/data/Parametrise.hpp"

namespace hepsweep::data {
namespace {

// 3 columns (x, mass, y); signal masses 300/400/500 in equal numbers, background mass -1.
struct Table {
  Index rows = 3000, stride = 3;
  std::vector<float> values, labels;
  Table() {
    for (Index r = 0; r < rows; ++r) {
      const bool signal = r % 2 == 0;
      labels.push_back(signal ? 1.0f : 0.0f);
      values.insert(values.end(), {static_cast<float>(r), signal ? 300.0f + 100.0f * static_cast<float>((r / 2) % 3) : -1.0f,
                                   0.5f});
    }
  }
  float mass(Index r) const { return values[static_cast<std::size_t>(r * stride + 1)]; }
};

// Signal rows and the other columns are left as they were; every background row gets one of the
// signal's values, in about the signal's proportions (1/3 each, 1500 draws: 4 sigma is 0.05).
TEST(Parametrise, BackgroundDrawsFromTheSignalValues) {
  Table t;
  const Table before;
  const ParameterDraw d = drawBackgroundParameter(t.values.data(), t.rows, t.stride, t.labels, 1, 42, {});
  EXPECT_EQ(d.pool, 1500);
  EXPECT_EQ(d.background, 1500);
  EXPECT_EQ(d.signalValues, (std::vector<double>{300, 400, 500}));
  std::map<float, int> counts;
  for (Index r = 0; r < t.rows; ++r) {
    EXPECT_EQ(t.values[static_cast<std::size_t>(r * 3)], before.values[static_cast<std::size_t>(r * 3)]);
    EXPECT_EQ(t.values[static_cast<std::size_t>(r * 3 + 2)], 0.5f);
    if (t.labels[static_cast<std::size_t>(r)] > 0.5f) EXPECT_EQ(t.mass(r), before.mass(r));
    else ++counts[t.mass(r)];
  }
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [m, n] : counts) EXPECT_NEAR(n / 1500.0, 1.0 / 3, 0.05) << m;
}

// Held-out values are never drawn; the draw is a function of the seed (same seed, same values;
// another seed, other values).
TEST(Parametrise, HeldOutValuesAreNotDrawnAndTheSeedFixesTheDraw) {
  Table a, b, c;
  const std::vector<double> heldOut{400.0};
  const ParameterDraw d = drawBackgroundParameter(a.values.data(), a.rows, a.stride, a.labels, 1, 7, heldOut);
  drawBackgroundParameter(b.values.data(), b.rows, b.stride, b.labels, 1, 7, heldOut);
  drawBackgroundParameter(c.values.data(), c.rows, c.stride, c.labels, 1, 8, heldOut);
  EXPECT_EQ(d.pool, 1000);
  EXPECT_EQ(d.signalValues.size(), 3u);  // the held-out value is still a signal value
  std::set<float> drawn;
  for (Index r = 1; r < a.rows; r += 2) drawn.insert(a.mass(r));
  EXPECT_EQ(drawn, (std::set<float>{300.0f, 500.0f}));
  EXPECT_EQ(a.values, b.values);
  EXPECT_NE(a.values, c.values);
  EXPECT_TRUE(isHeldOut(400.0f, heldOut));
  EXPECT_FALSE(isHeldOut(300.0f, heldOut));
}

// Every signal value held out leaves nothing to draw from: an input error, not a crash.
TEST(Parametrise, NothingToDrawFromIsAnInputError) {
  Table t;
  try {
    drawBackgroundParameter(t.values.data(), t.rows, t.stride, t.labels, 1, 1, std::vector<double>{300, 400, 500});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input);
    EXPECT_NE(std::string(e.what()).find("all held out"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hepsweep::data
