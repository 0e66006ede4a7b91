#include "hepsweep/model/FoldScores.hpp"

#include <filesystem>
#include <memory>
#include <optional>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/model/Model.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"

namespace hepsweep::model {

LoadedData loadData(const std::string& path, const std::string& sha256, const std::string& why) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throwInput(why + ", and the data file " + str::quoted(path, 300) +
               " it was trained on is gone: put it back (the same file), or train with output.scores = \"test\"");
  if (sha256File(path) != sha256)
    throwInput(why + ", and the data file " + str::quoted(path, 300) + " has changed since training (its sha256 is no "
               "longer " + sha256 + "): put back the file trained on, or train with output.scores = \"test\"");
  LoadedData d;
  d.file = std::make_unique<io::DatasetRows>(path);
  d.table.resize(d.file->rows(), static_cast<Eigen::Index>(d.file->columns().featureNames.size()));
  io::readFeatureTable(path, {d.table.data(), static_cast<std::size_t>(d.table.size())});
  d.keys = data::foldKeys(d.file->columns().ids, static_cast<std::size_t>(d.file->rows()));
  return d;
}

namespace {

namespace h5 = io::h5;

// Labels and weights of `rows`, the weights times the factor of each event's class.
FoldScores::Split labelsOf(const data::Dataset& columns, const std::vector<data::Index>& rows, data::ClassFactors f) {
  FoldScores::Split s;
  for (const data::Index r : rows) {
    const float label = columns.labels[r];
    s.labels.push_back(label);
    s.weights.push_back(static_cast<float>(columns.weights[r] * (label > 0.5f ? f.signal : f.background)));
  }
  return s;
}

std::vector<float> readFloats(const h5::File& f, const std::string& name) { return f.read<float>(name); }

// Fold k's stored multi-class test probabilities into `out` (checked against fold 0's events).
void readMultiClass(const h5::File& f, const std::string& path, std::size_t k, FoldScores& out) {
  const std::vector<std::string> names = f.readStrings("class_names");
  if (static_cast<std::int64_t>(names.size()) != f.attrInt("n_classes"))
    throwInput(path + ": class_names holds " + std::to_string(names.size()) + " names but n_classes is " +
               std::to_string(f.attrInt("n_classes")));
  if (k == 0) out.classNames = names;
  else if (names != out.classNames)
    throwInput(path + " and the first fold's result file have different classes: they are not folds of one point");
  if (!f.exists("scores/test"))
    throwInput(path + " is a multi-class result without scores/test: its class probabilities are not recomputed "
               "from the model; train it again (multi-class result files keep them whatever output.scores says)");
  std::size_t rows = 0, cols = 0;
  std::vector<float> p = f.read2d<float>("scores/test", rows, cols);
  std::vector<std::int64_t> testRows = f.read<std::int64_t>("scores/test_rows");
  std::vector<float> labels = readFloats(f, "scores/test_labels"), weights = readFloats(f, "scores/test_weights");
  if (cols != names.size() || rows != testRows.size() || labels.size() != rows || weights.size() != rows)
    throwInput(path + ": scores/test is " + std::to_string(rows) + " x " + std::to_string(cols) + ", expected events x " +
               std::to_string(names.size()) + " with as many labels, weights and rows");
  if (k == 0) {
    out.testRows = std::move(testRows);
    out.testLabels = std::move(labels);
    out.testWeights = std::move(weights);
    if (f.exists("scores/val_labels")) out.firstVal = {{}, readFloats(f, "scores/val_labels"), readFloats(f, "scores/val_weights")};
  } else if (testRows != out.testRows || labels != out.testLabels || weights != out.testWeights) {
    throwInput("the fold models were tested on different events: the test sets of the first fold and " + path +
               " differ; their scores cannot be averaged");
  }
  out.test.emplace_back();
  out.testMulti.push_back(std::move(p));
}

}  // namespace

FoldScores foldScores(const std::vector<std::string>& resultFiles, bool withTrain) {
  if (resultFiles.empty()) throwInput("no result files given");
  FoldScores out;
  std::optional<LoadedData> data;
  for (std::size_t k = 0; k < resultFiles.size(); ++k) {
    const std::string& path = resultFiles[k];
    const h5::File f = h5::File::open(path);
    const rundir::ResultHeader header = rundir::readResultHeader(f);
    const bool v1 = header.formatVersion == 1;
    if (f.hasAttr("n_classes")) {
      readMultiClass(f, path, k, out);
      continue;
    }
    if (!out.classNames.empty())
      throwInput(path + " is a signal/background result but " + resultFiles[0] + " a multi-class one: they are not "
                 "folds of one point");
    const bool storedTest = f.exists("scores/test") && (v1 || f.exists("scores/test_rows"));
    const bool storedTrain = f.exists("scores/train");
    std::vector<std::int64_t> testRows;
    std::vector<float> test, testLabels, testWeights;
    FoldScores::Split train, val;
    // Test scores kept but not the training ones, and no data to recompute them from: the ensemble
    // is still complete; the caller goes without the training scores (trainNote says why).
    if (storedTest && withTrain && !storedTrain && !data && out.trainNote.empty()) {
      try {
        data = loadData(header.dataFile, header.dataSha256,
                        path + " keeps the test scores only (output.scores = \"test\"); the training scores are "
                               "recomputed from its model");
      } catch (const Error& e) {
        if (e.category() != ErrorCategory::Input) throw;
        out.trainNote = std::string(e.what()) + ". No training scores: no overtraining check.";
      }
    }
    const bool trainUnavailable = !out.trainNote.empty();
    if (storedTest && (!withTrain || storedTrain || trainUnavailable)) {
      testRows = f.read<std::int64_t>(v1 ? "split/test" : "scores/test_rows");
      test = readFloats(f, "scores/test");
      testLabels = readFloats(f, "scores/test_labels");
      testWeights = readFloats(f, "scores/test_weights");
      if (test.size() != testRows.size() || testLabels.size() != test.size() || testWeights.size() != test.size())
        throwInput(path + ": scores/test, its labels, weights and rows differ in length");
      if (withTrain && storedTrain) {
        train = {readFloats(f, "scores/train"), readFloats(f, "scores/train_labels"), readFloats(f, "scores/train_weights")};
        if (train.labels.size() != train.scores.size() || train.weights.size() != train.scores.size())
          throwInput(path + ": scores/train, scores/train_labels and scores/train_weights differ in length");
      }
      if (k == 0 && f.exists("scores/val_labels"))
        val = {{}, readFloats(f, "scores/val_labels"), readFloats(f, "scores/val_weights")};
    } else {
      if (v1) throwInput(path + ": a format 1 result file without scores/test");
      if (!data)
        data = loadData(header.dataFile, header.dataSha256,
                        path + " keeps no per-event scores (output.scores = \"none\"), so they are recomputed from "
                               "its model");
      const rundir::SplitRecord record = rundir::readSplitRecord(f.openGroup("split"));
      const data::Dataset& columns = data->file->columns();
      const data::Partition part = rundir::rebuildPartition(
          record, {columns.labels.data(), static_cast<std::size_t>(columns.labels.size())}, data->keys, path);
      const FoldModel fold = readFoldModel(path);
      FoldScorer scorer(fold, columns.featureNames);
      testRows = part.test;
      const FoldScores::Split t = labelsOf(columns, part.test, {1.0, 1.0});
      test = scorer.scoreRows(data->table, part.test);
      testLabels = t.labels;
      testWeights = t.weights;
      if (withTrain) {
        train = labelsOf(columns, part.train, record.trainFactors);
        train.scores = scorer.scoreRows(data->table, part.train);
      }
      if (k == 0) val = labelsOf(columns, part.val, record.valFactors);
      out.recomputed = true;
    }
    if (k == 0) {
      out.testRows = std::move(testRows);
      out.testLabels = std::move(testLabels);
      out.testWeights = std::move(testWeights);
      out.firstVal = std::move(val);
    } else if (testRows != out.testRows || testLabels != out.testLabels || testWeights != out.testWeights) {
      throwInput("the fold models were tested on different events: the test sets of " + resultFiles[0] + " and " +
                 path + " differ (were they trained with different seeds or data?); their scores cannot be averaged");
    }
    out.test.push_back(std::move(test));
    if (withTrain) out.train.push_back(std::move(train));
  }
  if (!out.classNames.empty()) {
    out.train.clear();
    out.trainNote = "Multi-class: no train-against-test overtraining check.";
  }
  if (!out.trainNote.empty()) out.train.clear();
  return out;
}

}  // namespace hepsweep::model
