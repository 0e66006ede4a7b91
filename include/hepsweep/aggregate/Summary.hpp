#pragma once
// What `hepsweep aggregate` learns from the result files of one or several campaign run
// directories: every item, every point's mean and spread over folds, the ranking by the
// validation objective, and the best point's fold models evaluated as an ensemble on the held-out
// test set. The report (hepsweep::report) draws it; summary.h5 stores it.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/aggregate/FeatureImportance.hpp"
#include "hepsweep/aggregate/ParameterSummary.hpp"

namespace hepsweep::aggregate {

// One finished item (a fold of a point), from its result.h5.
struct ItemSummary {
  std::string runDir;        // the run directory it came from
  std::int64_t item = -1;    // id inside its run directory (point * folds + fold)
  std::int64_t point = -1;   // index of its point in the aggregated point list
  int fold = 0;
  std::vector<std::pair<std::string, std::string>> parameters;  // search key -> value as TOML text
  std::vector<std::pair<std::string, double>> metrics;          // every scalar of /metrics
  double objective = 0;      // the campaign's validation objective (smaller is better)
  std::int64_t epochsRun = 0, bestEpoch = 0;
  double seconds = 0;
  // Per-epoch history, for the loss curves.
  std::vector<double> trainLoss, valLoss, valAuc;
  std::string resultFile;         // path of its result.h5
  // Successive halving ([search.early_stopping] asha, hyperband): the rungs it reached, from its
  // rungs.txt (empty for other rules; not kept in summary.h5).
  struct Rung {
    int epoch = 0, bracket = 0;
    double value = 0;  // its best per-epoch value so far there (val_loss, or 1 - val_auc)
    bool stopped = false;
  };
  std::vector<Rung> rungs;
  std::int64_t campaignPoint = -1;  // point id inside its own run directory (point_id attribute)
};

struct PointSummary {
  std::int64_t point = -1;
  std::vector<std::pair<std::string, std::string>> parameters;
  int foldsDone = 0;
  double objectiveMean = 0, objectiveStd = 0;          // over folds (std with ddof = 1; 0 for one fold)
  std::vector<std::pair<std::string, double>> metricMean, metricStd;
  // 1 = best by objectiveMean among the complete points; incomplete points (raced out, or
  // --allow-incomplete) rank after every complete one, by their partial mean.
  int rank = 0;
  // The campaign's cv.folds; foldsDone < foldsExpected when racing (search.racing) skipped folds or
  // under --allow-incomplete.
  int foldsExpected = 0;
  int foldsRacedOut = 0;  // folds racing across folds skipped: the mean is over the foldsDone trained
  bool complete() const { return foldsDone == foldsExpected; }
};

// A curve on the test set: background rejection against signal efficiency, as HEP plots it.
struct RocCurve {
  std::string label;  // "fold 0", ..., "ensemble"
  std::vector<double> signalEfficiency, backgroundEfficiency;
  double auc = 0;
  std::vector<double> threshold;  // score cut of each point (+inf at the first)
};

// Train vs test score distributions of one model and class, for the overtraining check.
struct OvertrainingCheck {
  std::string label;  // "fold 0", ...
  int cls = 1;        // 1 signal, 0 background
  std::vector<float> trainScores, trainWeights, testScores, testWeights;
  double ksStatistic = 0, ksPValue = 1;
  int fold = 0;
  double trainEffectiveSize = 0, testEffectiveSize = 0;  // (sum w)^2 / sum w^2
};

struct WorkingPoint {
  double signalEfficiency = 0;
  double ensembleBackgroundEfficiency = 0;
  double foldMeanBackgroundEfficiency = 0, foldStdBackgroundEfficiency = 0;
  double ensembleThreshold = 0;  // score cut giving signalEfficiency on the test set
  std::vector<double> foldBackgroundEfficiency;  // each fold model's, by fold
  // Rejection 1/eps_B (inf when eps_B = 0); the fold mean/std are over the folds' rejections.
  double ensembleBackgroundRejection = 0, foldMeanBackgroundRejection = 0, foldStdBackgroundRejection = 0;
};

// Events of one split of the best point's first fold item, per class (weights as stored in the
// result file: train/val after balancing and class weights, test as in the data).
struct SplitCount {
  std::string split;  // "train", "val", "test"
  std::int64_t signal = 0, background = 0;
  double signalWeight = 0, backgroundWeight = 0;
};

// Significance of the cut "score >= threshold" on the held-out test set: the HiggsML approximate
// median significance AMS = sqrt(2((s + b + b_r) ln(1 + s/(b + b_r)) - s)) of the expected
// yields s and b that pass, for every distinct score (metrics::amsScan). The yields are the test
// events' weights scaled as each fold's training scaled them (Summary::signalYieldFactor).
struct AmsCurve {
  std::string label;  // "fold 0", ..., "ensemble"
  std::vector<double> threshold, signal, background, ams;  // from the tightest cut to the loosest
  double totalSignal = 0, totalBackground = 0;             // expected yields before any cut
  // At the cut that maximises the AMS (ties: the tightest).
  double maxAms = 0, thresholdAtMax = 0, signalAtMax = 0, backgroundAtMax = 0, signalEfficiency = 0,
         backgroundEfficiency = 0, sOverSqrtB = 0;
};

struct InputFile {
  std::string path, sha256;
  std::int64_t rows = 0;
};

// One point of the campaign's BDT baseline ([baseline] grid; docs/baseline.md) over its folds.
struct BaselinePoint {
  std::int64_t point = 0;
  int trees = 0, maxDepth = 0;
  double learningRate = 0;
  std::vector<double> foldTestAuc, foldTreesKept;  // by fold
  double foldMeanTestAuc = 0, foldStdTestAuc = 0, meanValAuc = 0, ensembleTestAuc = 0;
  // At the summary's working points (Summary::workingPoints' signal efficiencies, in that order):
  // the ensemble's (mean of the fold models' scores) background efficiency on the test set.
  std::vector<double> ensembleBackgroundEfficiency;
  double minKsPValue = 1;  // smallest train-vs-test KS p-value over folds and classes
  double trainSeconds = 0; // summed over the folds
};

struct BaselineSummary {
  std::vector<BaselinePoint> points;  // in point order
  std::int64_t bestPoint = -1;        // highest mean validation AUC (index into points)
  std::vector<double> signalEfficiencies;
  std::vector<RocCurve> roc;          // the best point's ensemble on the test set ("BDT baseline")
};

// A multi-class campaign's best point on the held-out test set (docs/aggregate.md): the fold
// models' softmax outputs, their ensemble (the mean per event and class), one-vs-rest curves and
// AUCs per class, and the argmax confusion matrix. Empty classNames: a signal/background campaign.
struct MultiClassSummary {
  std::vector<std::string> classNames;
  // events x classes row-major, in Summary::testRows order.
  std::vector<float> ensembleTestScores;
  std::vector<std::vector<float>> foldTestScores;  // by fold, as Summary::bestItems
  std::vector<double> ensembleAuc, ensembleAucWeighted;  // per class, one-vs-rest
  std::vector<std::vector<double>> foldAuc;              // by fold, per class
  std::vector<double> foldMeanAuc, foldStdAuc;           // per class, over the folds
  // classes x classes row-major: entry (t, p) = test events of true class t whose most probable
  // class (ensemble) is p; `confusionWeighted` sums their weights instead.
  std::vector<double> confusion, confusionWeighted;
  std::vector<RocCurve> roc;  // the ensemble's one-vs-rest curve per class (label: the class name)
  std::vector<double> signalEfficiencies;
  // Per class, at each signal efficiency: the ensemble's one-vs-rest background efficiency (the
  // other classes' fraction passing the cut on this class's probability).
  std::vector<std::vector<double>> backgroundEfficiency;
  // Events of each class per split ("train", "val", "test"; of the best point's first fold, from
  // its stored labels); train/val only when its result file kept them.
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> classCounts;
  bool empty() const { return classNames.empty(); }
};

struct Summary {
  std::vector<std::string> runDirs;
  // The one run directory is a single training's output directory (`hepsweep train` without a
  // search or folds: result.h5 and model.h5), aggregated as a one-point, one-fold campaign.
  bool singleTraining = false;
  std::string objective;                 // e.g. "val_loss"
  std::string campaignToml;              // the resolved campaign of the (first) run directory
  std::uint64_t seed = 0;
  std::string version;                   // program version that trained the items
  std::string dataFile, dataSha256;      // the converted data set
  std::vector<InputFile> inputs;         // its original inputs (from the data file's provenance)
  std::int64_t nSignal = 0, nBackground = 0, nTrain = 0, nVal = 0, nTest = 0;
  double wallSeconds = 0;                // sum of the items' training seconds
  std::vector<std::string> incomplete;   // items skipped under --allow-incomplete, with why
  std::vector<std::string> racedOut;     // items racing across folds skipped (search.racing), with why

  std::vector<ItemSummary> items;        // in (run dir, item id) order: the search trace
  std::vector<PointSummary> points;      // sorted by rank
  std::int64_t bestPoint = -1;

  // The best point's fold models on the test set.
  std::vector<std::int64_t> bestItems;   // indices into `items`, by fold
  std::vector<RocCurve> roc;             // each fold, then "ensemble"
  double ensembleTestAuc = 0, foldMeanTestAuc = 0, foldStdTestAuc = 0;
  std::vector<WorkingPoint> workingPoints;
  // When some test event weight differs from 1: the same curves ("fold K, weighted", "ensemble,
  // weighted") and working points with the events weighted, efficiencies being fractions of the
  // summed weight (roc and workingPoints count events). Empty otherwise. Not stored in summary.h5.
  std::vector<RocCurve> rocWeighted;
  std::vector<WorkingPoint> workingPointsWeighted;
  std::vector<OvertrainingCheck> overtraining;

  int folds = 0;                             // cv.folds of the campaign
  std::vector<SplitCount> splitCounts;       // train, val, test
  double ensembleTestAucWeighted = 0;        // with the test events' weights (= unweighted without)
  // The held-out test set as the best point's folds scored it (rows into the data file, in the
  // order of the result files' scores/test) and the ensemble score = mean of the folds' scores.
  std::vector<std::int64_t> testRows;
  std::vector<float> testLabels, testWeights, ensembleTestScores;
  std::vector<std::vector<float>> foldTestScores;  // by fold, as bestItems
  // The result files kept no scores (output.scores = "none"): they were recomputed from the fold
  // models on the data file (model::foldScores).
  bool scoresRecomputed = false;
  std::string overtrainingNote;  // why there is no overtraining check, when there is none
  std::string created;                     // UTC time of the aggregation

  // Significance on the test set, when the result files hold the physics metrics
  // (metrics/expected_signal, expected_background): each fold model, then "ensemble".
  std::vector<AmsCurve> ams;
  double amsRegularisation = 10;  // b_r ([metrics] ams_regularisation)
  // Test event weight -> expected yield of the whole sample, per class:
  // luminosity x class scale x N_c / n_c (docs/campaign.md "Expected yields").
  double signalYieldFactor = 0, backgroundYieldFactor = 0;
  double luminosity = 1, signalScale = 1, backgroundScale = 1;  // [metrics] of the campaign
  bool testWeighted = false;  // some test event weight differs from 1
  std::string amsNote;        // why `ams` is empty, when it is
  // The features the campaign trained on (model/feature_names of the best point's first result
  // file; empty for files without it). Not stored in summary.h5.
  std::vector<std::string> features;
  // Permutation importance (aggregate --importance): the best point first, then with
  // --importance-all-points every other point in rank order. Empty when not asked for.
  std::vector<FeatureImportance> importance;
  // The BDT baseline trained on the same folds (RUN/baseline/), when the campaign has one.
  BaselineSummary baseline;
  // Parametrised networks: the best point's AUC and background efficiencies per parameter value.
  ParameterSummary parametrised;
  // Multi-class campaigns: the per-class evaluation (roc, workingPoints, overtraining and ams stay
  // empty; ensembleTestAuc and foldMean/StdTestAuc are the mean one-vs-rest AUCs).
  MultiClassSummary multiClass;
};

}  // namespace hepsweep::aggregate
