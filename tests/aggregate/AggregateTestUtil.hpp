#pragma once
// Synthetic campaign run directories for the aggregate tests: campaign.toml, manifest.h5 and
// items/<id>/result.h5 as the campaign writes them (docs/hdf5-layout.md), holding only what the
// aggregator reads, with metrics and scores chosen by the test, so every expected value is known
// independently of the code under test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::aggregate::testing {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("hepsweep-aggregate-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string campaignToml(int folds, const std::string& objective, const std::string& values, int epochs = 5) {
  return "seed = 7\n[data]\nfile = \"/nonexistent/data.h5\"\n[train]\nepochs = " + std::to_string(epochs) +
         "\n[cv]\nfolds = " + std::to_string(folds) + "\n[search]\nmethod = \"grid\"\nobjective = \"" + objective +
         "\"\n[search.space]\n\"model.dropout\" = " + values + "\n";
}

// What one synthetic item holds.
struct FakeItem {
  std::int64_t id = 0, point = 0;
  int fold = 0;
  std::string overrides;  // "model.dropout=0.25"
  double valLoss = 0, valAuc = 0, testAuc = 0, seconds = 1;
  std::optional<double> objective;  // metrics/objective, as newer campaigns write it
  // metrics/expected_signal, expected_background: the test set's summed yields, as result files
  // with the physics metrics hold them.
  std::optional<double> expectedSignal, expectedBackground;
  std::int64_t epochsRun = 5, bestEpoch = 3;
  std::vector<std::int64_t> testRows;
  std::vector<float> testScores, testLabels, testWeights;
  std::vector<float> trainScores, trainLabels, trainWeights;
};

inline void writeResult(const fs::path& path, const FakeItem& it) {
  fs::create_directories(path.parent_path());
  io::h5::writeAtomically(path.string(), [&](io::h5::File& f) {
    f.setAttr("format", std::string("hepsweep-result"));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("item_id", it.id);
    f.setAttr("point_id", it.point);
    f.setAttr("fold", static_cast<std::int64_t>(it.fold));
    f.setAttr("item_overrides", it.overrides);
    const auto m = f.createGroup("metrics");
    m.writeScalar("val_loss", it.valLoss);
    m.writeScalar("val_auc", it.valAuc);
    m.writeScalar("test_auc", it.testAuc);
    m.writeScalar("train_seconds", it.seconds);
    if (it.objective) m.writeScalar("objective", *it.objective);
    if (it.expectedSignal) m.writeScalar("expected_signal", *it.expectedSignal);
    if (it.expectedBackground) m.writeScalar("expected_background", *it.expectedBackground);
    m.writeScalar("epochs_run", it.epochsRun);
    m.writeScalar("best_epoch", it.bestEpoch);
    const std::vector<double> eff = {0.5, 0.8};  // an array: not a scalar metric
    m.write<double>("signal_efficiency", eff, false);
    const auto h = f.createGroup("history");
    std::vector<double> tl, vl, va;
    for (std::int64_t e = 0; e < it.epochsRun; ++e) {
      tl.push_back(1.0 / static_cast<double>(e + 1));
      vl.push_back(1.1 / static_cast<double>(e + 1));
      va.push_back(0.5 + 0.01 * static_cast<double>(e));
    }
    h.write<double>("train_loss", tl, false);
    h.write<double>("val_loss", vl, false);
    h.write<double>("val_auc", va, false);
    const auto s = f.createGroup("scores");
    s.write<float>("test", it.testScores);
    s.write<float>("test_labels", it.testLabels);
    s.write<float>("test_weights", it.testWeights);
    s.write<float>("train", it.trainScores);
    s.write<float>("train_labels", it.trainLabels);
    s.write<float>("train_weights", it.trainWeights);
    s.write<float>("val_labels", it.testLabels);
    s.write<float>("val_weights", it.testWeights);
    f.write<std::int64_t>("split/test", it.testRows);
  });
}

inline void writeManifest(const fs::path& run, const std::vector<FakeItem>& items, int folds) {
  io::h5::writeAtomically((run / "manifest.h5").string(), [&](io::h5::File& f) {
    f.setAttr("format", std::string("hepsweep-campaign-manifest"));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("seed", std::int64_t{7});
    f.setAttr("version", std::string("hepsweep test"));
    f.setAttr("data_file", std::string("/nonexistent/data.h5"));
    f.setAttr("data_sha256", std::string("abc123"));
    f.setAttr("folds", static_cast<std::int64_t>(folds));
    std::vector<std::int64_t> id, point, fold;
    std::vector<std::string> overrides;
    for (const auto& it : items) {
      id.push_back(it.id);
      point.push_back(it.point);
      fold.push_back(it.fold);
      overrides.push_back(it.overrides);
    }
    f.write<std::int64_t>("items/id", id, false);
    f.write<std::int64_t>("items/point", point, false);
    f.write<std::int64_t>("items/fold", fold, false);
    f.writeStrings("items/overrides", overrides);
  });
}

// items/<id> as the campaign names it (zero-padded to 6 digits).
inline fs::path itemDir(const fs::path& run, std::int64_t id) {
  char name[32];
  std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(id));
  return run / "items" / name;
}

inline void writeText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A deterministic pseudo-random number in [0, 1) from a few integers (no library RNG involved).
inline float hashUnit(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL) * 0xBF58476D1CE4E5B9ULL ^ c * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD93ULL;
  x ^= x >> 32;
  return static_cast<float>(static_cast<double>(x >> 40) / 16777216.0);
}

// A whole run directory: `points` parameter texts (model.dropout values) x `folds`, with the
// given val_loss per (point, fold); test scores correlated with the labels so AUCs are not 1/2.
struct FakeCampaign {
  int folds = 3;
  std::string objective = "val_loss";
  std::vector<std::string> dropouts = {"0.0", "0.25"};
  std::vector<std::vector<double>> valLoss = {{0.60, 0.62, 0.64}, {0.50, 0.55, 0.57}};
  std::vector<std::vector<double>> valAuc = {{0.80, 0.81, 0.82}, {0.70, 0.71, 0.75}};
  std::size_t nTest = 40, nTrain = 60;
  std::uint64_t salt = 0;
  std::vector<std::vector<double>> storedObjective;  // empty: files without metrics/objective

  std::vector<FakeItem> items() const {
    std::vector<FakeItem> out;
    for (std::size_t p = 0; p < dropouts.size(); ++p)
      for (int f = 0; f < folds; ++f) {
        FakeItem it;
        it.point = static_cast<std::int64_t>(p);
        it.fold = f;
        it.id = it.point * folds + f;
        it.overrides = "model.dropout=" + dropouts[p];
        it.valLoss = valLoss[p][static_cast<std::size_t>(f)];
        it.valAuc = valAuc[p][static_cast<std::size_t>(f)];
        if (!storedObjective.empty()) it.objective = storedObjective[p][static_cast<std::size_t>(f)];
        it.testAuc = 0.9 - 0.01 * static_cast<double>(f) - 0.1 * static_cast<double>(p);
        it.seconds = 10.0 + static_cast<double>(it.id);
        for (std::size_t i = 0; i < nTest; ++i) {
          const float label = i % 3 == 0 ? 1.0f : 0.0f;
          it.testRows.push_back(static_cast<std::int64_t>(1000 + 2 * i));
          it.testLabels.push_back(label);
          it.testWeights.push_back(1.0f);
          it.testScores.push_back(0.9f * hashUnit(salt + p, static_cast<std::uint64_t>(f), i) + 0.1f * label);
        }
        for (std::size_t i = 0; i < nTrain; ++i) {
          const float label = i % 2 == 0 ? 1.0f : 0.0f;
          it.trainLabels.push_back(label);
          it.trainWeights.push_back(i % 5 == 0 ? 2.0f : 1.0f);
          it.trainScores.push_back(0.5f * hashUnit(salt + p + 100, static_cast<std::uint64_t>(f), i) + 0.5f * label);
        }
        out.push_back(std::move(it));
      }
    return out;
  }

  // Writes the run directory; `skip(item)` true leaves an item without a result.
  void write(const fs::path& run, const std::function<bool(const FakeItem&)>& skip = nullptr) const {
    std::string values = "[";
    for (std::size_t i = 0; i < dropouts.size(); ++i) values += (i ? ", " : "") + dropouts[i];
    values += "]";
    writeText(run / "campaign.toml", campaignToml(folds, objective, values));
    const auto all = items();
    writeManifest(run, all, folds);
    for (const auto& it : all)
      if (!skip || !skip(it)) writeResult(itemDir(run, it.id) / "result.h5", it);
  }
};

// The error category and message of f(), or Internal and "" when it does not throw.
inline std::pair<ErrorCategory, std::string> errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.category(), e.what()};
  }
  return {ErrorCategory::Internal, ""};
}

}  // namespace hepsweep::aggregate::testing
