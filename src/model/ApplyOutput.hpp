#pragma once
// What apply scores and how it is written: a block of scored events, the output's layout and the
// writers of the HDF5 and CSV outputs (ApplyOutput.cpp). Private to src/model.
#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hepsweep/data/Dataset.hpp"
#include "hepsweep/model/Apply.hpp"

namespace hepsweep::model::detail {

// Shortest text that reads back to the same value, for names and messages.
std::string shortest(double v);
std::string shortest(float v);
// The dataset/column of the pass flags at one working point: "pass_at_0.5".
std::string passName(double eff);

// The events of one block, scored.
struct Block {
  std::int64_t rows = 0;
  const std::int64_t* ids = nullptr;  // null: no ids
  Eigen::VectorXf score;            // multi-class: K per event, event-major
  data::FeatureMatrix perFold;      // rows x folds (multi-class: rows x folds * K, fold-major)
  std::vector<std::int8_t> fold;                    // out-of-fold only
  std::vector<std::vector<std::int8_t>> pass;       // per working point
  const std::int8_t* labels = nullptr;              // 1 signal, 0 background; multi-class: the class (HDF5 inputs)
  const float* weights = nullptr;
  // --keep columns: rows x columns, or (streamed inputs written as CSV) their fields as read,
  // row by row.
  Eigen::MatrixXf kept;
  std::vector<std::string> keptText;
  bool keptIsText = false;
};

struct Layout {
  int folds = 0;
  std::vector<std::string> classNames;  // multi-class models: score has one column per class
  int classes() const { return classNames.empty() ? 1 : static_cast<int>(classNames.size()); }
  bool perFold = false, outOfFold = false, ids = false, labels = false;
  std::string idColumn;
  std::vector<double> efficiencies, thresholds;
  std::vector<std::string> keep;
};

class Writer {
 public:
  virtual ~Writer() = default;
  virtual void append(const Block& b) = 0;
  virtual void finish(const ApplySummary& s) = 0;
};

// The writer of o.output: CSV with --csv, else HDF5; written to a temporary and renamed on finish.
std::unique_ptr<Writer> makeWriter(const ApplyOptions& o, const Layout& layout, const std::string& modelSha);

}  // namespace hepsweep::model::detail
