#pragma once
// Shared by the train tests that build PreparedData by hand (without prepareData).
#include <string>
#include <vector>

#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace hepsweep::train::testing {

// A fitted "none" preprocessing of the named inputs: the network sees the raw values.
inline data::PreprocessParams identityPreprocess(const std::vector<std::string>& names) {
  data::PreprocessParams p;
  p.scaler = data::ScalerKind::None;
  p.inputNames = names;
  p.outputNames = names;
  p.usesMissing.assign(names.size(), 0);
  p.imputeMean = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(names.size()));
  return p;
}

// Makes `table` the source of `p` (every split's rows index it) with the identity preprocessing.
inline void useTable(PreparedData& p, data::FeatureMatrix table) {
  std::vector<std::string> names;
  for (Eigen::Index j = 0; j < table.cols(); ++j) names.push_back("x" + std::to_string(j));
  p.featureNames = names;
  p.preprocess = identityPreprocess(names);
  p.ownTable = std::move(table);
  p.source = FeatureSource{p.ownTable.data(), p.ownTable.rows(), p.ownTable.cols(), {}};
  for (Eigen::Index j = 0; j < p.ownTable.cols(); ++j) p.source.columns.push_back(j);
}

}  // namespace hepsweep::train::testing
