// Multi-class metrics against scikit-learn: random probabilities (with ties) for four classes,
// labels and weights (one negative) are written to a file; check_multiclass.py recomputes the
// one-vs-rest AUCs (roc_auc_score per class, and the macro mean), the background efficiency at
// fixed signal efficiencies per class (on sklearn's roc_curve) and the argmax confusion matrix
// (confusion_matrix with sample_weight) and compares them with ours. Skipped when /usr/bin/python3
// has no sklearn (scripts/install-deps.sh installs python3-sklearn).
#include "hepsweep/metrics/MultiClass.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"

using namespace hepsweep;
using namespace hepsweep::metrics;

namespace {

constexpr std::size_t kClasses = 4;

struct Sample {
  std::vector<float> scores, labels, weights;
};

// Probabilities rounded to 1/20 so that ties occur within and across classes.
Sample sample(std::size_t n, std::uint64_t seed) {
  Sample s;
  for (std::size_t i = 0; i < n; ++i) {
    const auto label = static_cast<std::size_t>(rng::below(seed, 3 * i, kClasses));
    float row[kClasses], sum = 0;
    for (std::size_t k = 0; k < kClasses; ++k) {
      row[k] = static_cast<float>(rng::uniform(seed, 3 * i + 1 + k * 7919 * n)) + (k == label ? 0.6f : 0.0f);
      sum += row[k];
    }
    for (std::size_t k = 0; k < kClasses; ++k) s.scores.push_back(std::round(row[k] / sum * 20.0f) / 20.0f);
    s.labels.push_back(static_cast<float>(label));
    s.weights.push_back(i == 5 ? -0.5f : 0.5f + static_cast<float>(rng::uniform(seed, 3 * i + 2)));
  }
  return s;
}

}  // namespace

TEST(MultiClassMetrics, SmallCaseByHand) {
  // Three events, three classes: argmax 0, 1 (a tie of classes 1 and 2 goes to the first), 2.
  const std::vector<float> scores{0.7f, 0.2f, 0.1f, 0.1f, 0.45f, 0.45f, 0.2f, 0.3f, 0.5f};
  const std::vector<float> labels{0, 2, 2};
  EXPECT_EQ(argmaxClass(std::span(scores).subspan(3, 3)), 1u);
  const std::vector<double> m = confusionMatrix(scores, 3, labels);
  const std::vector<double> want{1, 0, 0, 0, 0, 0, 0, 1, 1};
  EXPECT_EQ(m, want);
  const std::vector<double> a = oneVsRestAuc(scores, 3, labels);
  EXPECT_DOUBLE_EQ(a[0], 1.0);   // class 0's only event has the highest class-0 score
  EXPECT_TRUE(std::isnan(a[1]));  // no event of class 1
  EXPECT_DOUBLE_EQ(a[2], 1.0);
  EXPECT_THROW(confusionMatrix(scores, 3, std::vector<float>{0, 3, 1}), Error);
  EXPECT_THROW(oneVsRestAuc(scores, 4, labels), Error);
}

TEST(MultiClassMetrics, AgreeWithScikitLearn) {
  if (std::system("/usr/bin/python3 -c 'import sklearn' > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 has no sklearn (apt-get install python3-sklearn)";
  const Sample s = sample(500, 42);
  const std::vector<double> effs{0.3, 0.5, 0.9};
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("hepsweep-mc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "cases.txt");
    out.precision(17);
    for (const bool weighted : {false, true}) {
      const std::span<const float> w = weighted ? std::span<const float>(s.weights) : std::span<const float>();
      out << "case " << weighted << "\n";
      out << "auc";
      for (const double v : oneVsRestAuc(s.scores, kClasses, s.labels, w)) out << " " << v;
      out << "\nmean " << meanOneVsRestAuc(s.scores, kClasses, s.labels, w) << "\n";
      for (std::size_t k = 0; k < kClasses; ++k) {
        const Roc roc = oneVsRestRoc(s.scores, kClasses, s.labels, k, w);
        out << "effb " << k;
        for (const double e : effs) out << " " << bkgEffAtSigEff(roc, e);
        out << "\n";
      }
      out << "confusion";
      for (const double v : confusionMatrix(s.scores, kClasses, s.labels, w)) out << " " << v;
      out << "\n";
    }
    std::ofstream data(dir / "data.txt");
    data.precision(9);
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
      data << s.labels[i] << " " << s.weights[i];
      for (std::size_t k = 0; k < kClasses; ++k) data << " " << s.scores[i * kClasses + k];
      data << "\n";
    }
  }
  const std::string cmd = std::string("/usr/bin/python3 ") + HEPSWEEP_SOURCE_DIR + "/tests/metrics/check_multiclass.py " +
                          (dir / "data.txt").string() + " " + (dir / "cases.txt").string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::filesystem::remove_all(dir);
}
