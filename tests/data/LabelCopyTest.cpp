// data::LabelCopyFinder, the leaked-label check shared by convert, train and inspect: a column
// constant within each class with different constants is found, whatever its two values; columns
// that vary, hold NaN, or hold the same constant in both classes are not; nothing is found before
// both classes were seen.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hepsweep/data/LabelCopy.hpp"

using hepsweep::data::LabelCopy;
using hepsweep::data::LabelCopyFinder;

namespace {

// Columns: 0 the label as 1/0, 1 an ordinary feature, 2 a constant, 3 the label coded -999 / 7
// (a missing-value marker for one class), 4 NaN in one signal row, otherwise the label.
std::vector<LabelCopy> scan(int rows) {
  LabelCopyFinder f(5);
  for (int i = 0; i < rows; ++i) {
    const bool sig = i % 2 == 0;
    const float nanOrLabel = (i == 2) ? NAN : (sig ? 1.0f : 0.0f);
    f.add(std::vector<float>{sig ? 1.0f : 0.0f, 0.1f * static_cast<float>(i), 5.0f, sig ? -999.0f : 7.0f, nanOrLabel},
          sig ? 1.0f : 0.0f);
  }
  return f.copies();
}

}  // namespace

TEST(LabelCopy, FindsEveryColumnThatReproducesTheLabel) {
  const auto c = scan(10);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].feature, 0u);
  EXPECT_EQ(c[0].signalValue, 1.0f);
  EXPECT_EQ(c[0].backgroundValue, 0.0f);
  EXPECT_EQ(c[1].feature, 3u);
  EXPECT_EQ(c[1].signalValue, -999.0f);
  EXPECT_EQ(c[1].backgroundValue, 7.0f);
}

TEST(LabelCopy, OneClassOnlyIsNoEvidence) {
  LabelCopyFinder f(1);
  f.add(std::vector<float>{1.0f}, 1.0f);
  f.add(std::vector<float>{1.0f}, 1.0f);
  EXPECT_TRUE(f.copies().empty());
  f.add(std::vector<float>{0.0f}, 0.0f);
  EXPECT_EQ(f.copies().size(), 1u);
  f.add(std::vector<float>{0.5f}, 0.0f);  // the background now varies
  EXPECT_TRUE(f.copies().empty());
}

TEST(LabelCopy, MessageNamesColumnAndValues) {
  const std::string m = hepsweep::data::labelCopyMessage("is_sig", LabelCopy{0, 1.0f, -1.0f});
  EXPECT_EQ(m, "is_sig is a copy of the label (1 for every signal, -1 for every background event): a leaked label");
}

TEST(LabelCopy, WrongRowLengthIsAnInternalError) {
  LabelCopyFinder f(2);
  EXPECT_ANY_THROW(f.add(std::vector<float>{1.0f}, 1.0f));
}
