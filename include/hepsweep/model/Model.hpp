#pragma once
// The trained model of a campaign's best point, as one self-contained file (best-model.h5,
// layout in docs/apply.md): the k fold networks with their preprocessing, the fold rule that
// says which fold model never saw an event, the held-out test set's ensemble scores (for
// working-point thresholds) and where everything came from. `hepsweep apply` and `hepsweep
// export` need nothing else.
#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/data/Dataset.hpp"
#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/model/FoldScores.hpp"
#include "hepsweep/nn/Config.hpp"
#include "hepsweep/nn/Network.hpp"

namespace hepsweep::model {

inline constexpr const char* kModelFormat = "hepsweep-model";
inline constexpr std::int64_t kModelFormatVersion = 1;

// One fold's model: its own preprocessing (fitted on its own training rows) and network.
struct FoldModel {
  int fold = 0;
  std::string resultFile;     // the result.h5 it was taken from
  std::string itemOverrides;  // the search point, as `--set` assignments ("" for the base point)
  data::PreprocessParams preprocess;
  // Enough of the network configuration to rebuild the parameter layout exactly (hidden widths,
  // activation and its constants, batch normalisation and its epsilon, dropout per layer).
  nn::ModelConfig network;
  int inputs = 0;            // network inputs = preprocess.outputs()
  int outputs = 1;           // network outputs: 1 (binary, a sigmoid score) or K (multi-class, softmax)
  Eigen::VectorXf params;    // nn::Network::params() layout
  Eigen::VectorXf state;     // batch-norm running statistics (nn::Network::state() layout)
  std::vector<float> testScores;  // scores/test of the result file (split order), for checks
  double valLoss = 0, valAuc = 0, testAuc = 0;
};

// How events were dealt to folds and to the held-out test set, so that both can be recomputed.
enum class FoldKey {
  RowIndex,  // key = row index in the training data file (the data had no ids)
  Id,        // key = the event id (the data file's /ids, column `idColumn` of the original input)
  Unknown,   // the data file was not readable when the model was made: --out-of-fold unavailable
};
const char* toString(FoldKey k);
FoldKey parseFoldKey(const std::string& s);

struct FoldRule {
  std::uint64_t seed = 0;
  int folds = 1;
  FoldKey key = FoldKey::RowIndex;
  std::string idColumn;          // FoldKey::Id
  data::SplitFractions split;    // data.split of the campaign (the test fraction is the hold-out)
  std::int64_t dataRows = 0;     // rows of the training data file
  // The held-out test set: row indices into the training data file (ascending, the order of
  // scores/test) and their keys (ids, or the row indices again).
  std::vector<std::int64_t> testRows, testKeys;

  // data::foldOf(key, folds, seed): the fold whose model validated (never trained) on the event.
  int foldOf(std::uint64_t key) const;
};

// A working point on the held-out test set: the ensemble score cut giving this signal efficiency.
struct WorkingPoint {
  double signalEfficiency = 0;
  double threshold = 0;              // cut: score >= threshold
  double backgroundEfficiency = 0;   // of that cut on the test set (unweighted, as in result files)
};

struct Model {
  std::vector<std::string> featureNames;  // input features, in the order the model expects
  std::vector<std::string> classNames;  // multi-class: class names in output order (empty: binary)
  std::vector<FoldModel> folds;           // fold order (fold 0, 1, ...)
  FoldRule foldRule;
  std::string campaignToml;               // the resolved campaign (result files' `config`)
  std::string trainVersion;               // program version that trained the folds
  std::string version;                    // program version that wrote the model file
  std::string created;                    // UTC time the model file was written
  std::string dataFile, dataSha256;       // the training data file
  // The held-out test set (same rows for every fold): labels, weights and the ensemble score
  // (mean of the fold scores), in testRows order; multi-class: the ensemble's class probabilities
  // (mean of the fold models' softmax outputs), events x classes row-major, as FoldModel::testScores.
  std::vector<float> testLabels, testWeights, testScores;
  double ensembleTestAuc = 0;
  std::vector<WorkingPoint> workingPoints;  // at the campaign's metrics.signal_efficiencies

  int numFolds() const { return static_cast<int>(folds.size()); }
  // Threshold giving `signalEfficiency` on the held-out test set (ensemble, unweighted ROC,
  // metrics::thresholdAtSigEff); Error(Config) outside [0, 1].
  double thresholdAt(double signalEfficiency) const;
};

// Scores per event: 1 for a binary model (the sigmoid score), K for a multi-class model (the K
// softmax probabilities, in classNames order).
inline int scoreColumns(const Model& m) { return m.classNames.empty() ? 1 : static_cast<int>(m.classNames.size()); }

// One fold's model as its result file stores it (preprocessing, network, validation and test
// metrics); testScores stays empty. Error(Input) naming the file.
FoldModel readFoldModel(const std::string& resultPath);

// The best point's fold result files (result.h5 of each fold, in fold order: fold 0 first).
// Checks that they form one k-fold ensemble (same features, same test rows, same seed/data,
// folds 0..k-1 each once); reads the training data file's ids when it has them, to record the
// keys of the test events (FoldKey::Unknown when the file is gone or changed). The test scores
// come from `scores` when given (e.g. aggregate's), else from foldScores(paths).
// Throws Error(Input) naming the file and what does not match.
Model fromResultFiles(const std::vector<std::string>& foldResultPaths, const FoldScores* scores = nullptr);

// best-model.h5, written atomically (temporary name + rename).
void writeModel(const std::string& path, const Model& m);
// Throws Error(Input) when `path` is not a hepsweep model file.
Model readModel(const std::string& path);

// The fold's network with its stored parameters and state, ready for inference.
nn::Network buildNetwork(const FoldModel& f);

// One fold model scoring rows of a raw feature table, exactly as the training evaluated them: the
// rows in fixed 1024-event chunks from the first row given, each event preprocessed on its own
// (data::Preprocessor), forward in inference mode, then the sigmoid over the whole vector in
// float. The rows of a split, given in split order, reproduce its scores bit for bit.
// A multi-class fold (outputs K > 1) gives K softmax probabilities per event (nn::softmax, as
// the training's evaluation), event-major: event i's are out[i * K .. i * K + K).
class FoldScorer {
 public:
  static constexpr Eigen::Index kChunkRows = 1024;
  // `tableColumns`: the names of the table's columns (the preprocessing's inputs are found by name).
  FoldScorer(const FoldModel& f, std::span<const std::string> tableColumns);
  std::vector<float> scoreRows(const data::FeatureMatrix& table, std::span<const data::Index> rows);
  // Scores of rows [0, table.rows()) into `out` (resized).
  void scoreAll(const data::FeatureMatrix& table, Eigen::VectorXf& out);
  // Scores of `rows` consecutive rows of a row-major raw table (`stride` floats per row, columns
  // as `tableColumns`) into `out` (resized): scoreAll without the table being a FeatureMatrix.
  void scoreTable(const float* table, Eigen::Index stride, Eigen::Index rows, Eigen::VectorXf& out);
  // scoreTable in steps, for a caller that interleaves folds chunk by chunk: beginTable(rows),
  // then scoreTableChunk for every chunk in order (start = 0, kChunkRows, ...; b = its rows),
  // then finishTable(out). The same bits as scoreTable.
  void beginTable(Eigen::Index rows);
  void scoreTableChunk(const float* table, Eigen::Index stride, Eigen::Index start, Eigen::Index b);
  void finishTable(Eigen::VectorXf& out);

 private:
  void scoreChunks(const data::FeatureMatrix& table, const data::Index* rows, Eigen::Index n, Eigen::VectorXf& out);
  void forwardChunk(Eigen::Index b, Eigen::Index start);  // buffer_'s first b rows, into logits_ from event start
  void sigmoidOfLogits(Eigen::VectorXf& out);  // of logits_, over the whole vector
  void softmaxOfLogits(Eigen::VectorXf& out);  // multi-class: of each event's K logits in logits_
  const FoldModel& fold_;
  nn::Network net_;
  data::Preprocessor pre_;
  data::FeatureMatrix buffer_;
  Eigen::VectorXf logits_;
};

// Scores events with every fold model. Chunking follows the training's evaluation (fixed
// 1024-row chunks from the first row, forward in inference mode, sigmoid in float), so that the
// rows of a fold's test set, given in split order, reproduce its scores/test bit for bit.
class Scorer {
 public:
  static constexpr Eigen::Index kChunkRows = FoldScorer::kChunkRows;
  explicit Scorer(const Model& m);
  // Scoring raw tables whose columns are `tableColumns` (e.g. every feature of an input file, in
  // its order): each fold's preprocessing finds its inputs there by name (Error(Input) naming a
  // missing one), so no column is copied into the model's order.
  Scorer(const Model& m, std::span<const std::string> tableColumns);
  int folds() const { return static_cast<int>(folds_.size()); }
  int classes() const { return classes_; }  // scoreColumns(model)
  // `x`: raw feature values (rows x model features, model order). Writes (rows x folds) sigmoid
  // scores; multi-class: (rows x folds * K), fold k's K probabilities in columns [k K, k K + K). Call with row counts that are multiples of kChunkRows except for the last block of
  // a stream, to keep the chunk layout of one long call.
  void scoreFolds(const data::FeatureMatrix& x, data::FeatureMatrix& perFold);
  // The same for `rows` consecutive rows of a row-major table with `stride` floats per row whose
  // columns are the `tableColumns` given at construction (the model's features by default).
  void scoreTable(const float* table, Eigen::Index stride, Eigen::Index rows, data::FeatureMatrix& perFold);

 private:
  const Model& model_;
  std::size_t tableColumns_;
  int classes_ = 1;
  std::vector<std::unique_ptr<FoldScorer>> folds_;  // each reads the model's feature order by name
  Eigen::VectorXf scores_;
};

// Mean of the fold scores of each row (summed in fold order in double, then rounded to float).
// `classes` K > 1: perFold is (rows x folds * K) as Scorer writes it; the result holds each
// class's mean, event-major (rows * K values).
Eigen::VectorXf ensembleMean(const data::FeatureMatrix& perFold, int classes = 1);
// The same mean over fold vectors of equal length (e.g. the folds' stored multi-class test
// probabilities, events x classes): element by element, in fold order in double, then float.
// Error(Internal) when the lengths differ.
std::vector<float> ensembleMean(const std::vector<std::vector<float>>& folds);

}  // namespace hepsweep::model
