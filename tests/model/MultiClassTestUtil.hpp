#pragma once
// Shared by the multi-class model tests: a 3-class data file (convert --class from three CSVs)
// and a 2-fold model.h5 whose fold networks (3 outputs each) are fitted to it in the test itself
// with a few full-batch gradient steps, so nothing depends on a campaign's result files.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "ModelTestUtil.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/model/Model.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Network.hpp"

namespace hepsweep::model::testing {

inline const std::vector<std::string> kClassNames = {"hnl_pimu", "hnl_rhomu", "background"};

// Class c of three shifts feature f<c> by +1.5; ids are unique per event across the files.
inline void writeClassCsv(const std::string& path, int cls, int rows) {
  std::ofstream out(path);
  out << "event,f0,f1,f2,f3\n";
  out.precision(9);
  const std::uint64_t key = rng::streamKey(4321 + static_cast<std::uint64_t>(cls), rng::Stream::Misc);
  for (int i = 0; i < rows; ++i) {
    out << 1000000 * (cls + 1) + i * 13;
    for (int j = 0; j < 4; ++j)
      out << "," << static_cast<float>(rng::normal(key, static_cast<std::uint64_t>(i * 4 + j)) + (j == cls ? 1.5 : 0.0));
    out << "\n";
  }
}

struct MultiClassFixture {
  std::unique_ptr<TempDir> dir;
  std::string dataFile, modelFile;
  std::vector<std::string> csvs;  // one per class, in class order
  Model model;
};

// A fold network: 3 outputs, trained for `steps` full-batch gradient steps on its own fold's
// events (every other event) after the standard scaler fitted on them.
inline FoldModel trainFold(const data::Dataset& ds, int fold, int steps) {
  std::vector<data::Index> rows;
  for (data::Index i = fold; i < ds.rows(); i += 2) rows.push_back(i);
  data::PreprocessConfig pc;
  pc.scaler = data::ScalerKind::Standard;
  FoldModel f;
  f.fold = fold;
  f.preprocess = data::fitPreprocess(ds, rows, pc);
  f.network.widths = {6};
  f.network.activation = nn::Activation::Tanh;
  f.network.dropout.clear();
  f.inputs = static_cast<int>(f.preprocess.outputs());
  f.outputs = 3;
  nn::Network net(f.inputs, f.network, 77 + static_cast<std::uint64_t>(fold), f.outputs);
  data::Preprocessor pre(f.preprocess, data::inputColumns(f.preprocess, ds.featureNames));
  Eigen::MatrixXf x(f.inputs, static_cast<Eigen::Index>(rows.size()));
  Eigen::RowVectorXf y(x.cols()), w = Eigen::RowVectorXf::Ones(x.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    pre.applyRow(ds.features.row(rows[i]).data(), x.col(static_cast<Eigen::Index>(i)).data());
    y[static_cast<Eigen::Index>(i)] = ds.labels[rows[i]];
  }
  Eigen::MatrixXf d(3, x.cols());
  for (int s = 0; s < steps; ++s) {
    net.zeroGrads();
    const Eigen::MatrixXf logits = net.forwardMulti(x, true);
    nn::softmaxCrossEntropy(logits, y, w, static_cast<double>(x.cols()), d);
    net.backwardMulti(d);
    net.params() -= 0.5f * net.grads();
  }
  f.params = net.params();
  f.state = net.state();
  return f;
}

inline MultiClassFixture makeMultiClassFixture(const std::string& tag, int rowsPerClass = 400) {
  MultiClassFixture fx;
  fx.dir = std::make_unique<TempDir>(tag);
  io::ConvertOptions o;
  for (int c = 0; c < 3; ++c) {
    fx.csvs.push_back(fx.dir->file(kClassNames[static_cast<std::size_t>(c)] + ".csv"));
    writeClassCsv(fx.csvs.back(), c, rowsPerClass);
    o.classes.push_back({kClassNames[static_cast<std::size_t>(c)], {fx.csvs.back()}});
  }
  o.idColumn = "event";
  fx.dataFile = o.output = fx.dir->file("classes.h5");
  io::convert(o);
  const data::Dataset ds = io::readDataset(fx.dataFile);
  Model& m = fx.model;
  m.featureNames = ds.featureNames;
  m.classNames = ds.classNames;
  m.dataFile = fx.dataFile;
  m.foldRule.seed = 5;
  m.foldRule.folds = 2;
  m.foldRule.key = FoldKey::Id;
  m.foldRule.idColumn = "event";
  m.foldRule.dataRows = ds.rows();
  for (int k = 0; k < 2; ++k) m.folds.push_back(trainFold(ds, k, 40));
  fx.modelFile = fx.dir->file("model.h5");
  writeModel(fx.modelFile, m);
  return fx;
}

}  // namespace hepsweep::model::testing
