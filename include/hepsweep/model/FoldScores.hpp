#pragma once
// The per-event scores of one point's fold models, bit for bit as their training computed them:
// read from the result files when they kept them (output.scores = "test"/"all", and every format 1
// file), else recomputed from each file's stored preprocessing and network on the rows rebuilt
// from its split rule (rundir::rebuildPartition). Recomputing reads the data file, which must be
// the one trained on (same sha256). aggregate (ensemble, overtraining tests) and the model file
// (test-set working points) are built from these.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hepsweep/data/Dataset.hpp"
#include "hepsweep/io/DatasetFile.hpp"

namespace hepsweep::model {

struct FoldScores {
  // The held-out test set, the same for every fold: data-file rows (ascending), labels, weights.
  std::vector<std::int64_t> testRows;
  std::vector<float> testLabels, testWeights;
  std::vector<std::vector<float>> test;  // per fold (in the order the files were given)
  // Per fold, with `withTrain`: the training events' scores, labels and weights (after balancing
  // and class weights), in split order.
  struct Split {
    std::vector<float> scores, labels, weights;
  };
  std::vector<Split> train;
  // Why `train` is empty although asked for: the files keep the test scores only
  // (output.scores = "test") and the data file that would give the rest is gone or changed.
  std::string trainNote;
  // The first fold's validation events (labels and weights after balancing), for split counts.
  Split firstVal;
  bool recomputed = false;  // some scores were recomputed from the data file
  // Multi-class result files (root attribute n_classes): the class names, and per fold the
  // stored test probabilities, events x classes row-major (scores/test). `test` then holds an
  // empty vector per fold and `train` stays empty: the probabilities are read, never recomputed
  // (a multi-class campaign keeps output.scores = "test" or "all").
  std::vector<std::string> classNames;
  std::vector<std::vector<float>> testMulti;
};

// Error(Input) naming the file when a result file cannot be read, the folds were not tested on the
// same events, or test scores must be recomputed and the data file is gone or changed (training
// scores that cannot be recomputed leave `train` empty with trainNote saying why).
FoldScores foldScores(const std::vector<std::string>& resultFiles, bool withTrain);

// The training data file read whole, once, for recomputing scores (here and in aggregate's
// permutation importance): every feature column, and the fold key of every row.
struct LoadedData {
  std::unique_ptr<io::DatasetRows> file;
  data::FeatureMatrix table;
  std::vector<std::uint64_t> keys;
};
// Error(Input) starting with `why` when `path` is gone or its sha256 is no longer `sha256`.
LoadedData loadData(const std::string& path, const std::string& sha256, const std::string& why);

}  // namespace hepsweep::model
