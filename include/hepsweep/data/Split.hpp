#pragma once
// Train/validation/test partition and class balancing, all seeded.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/data/Dataset.hpp"

namespace hepsweep::data {

struct SplitFractions {
  double train = 0.6;
  double val = 0.2;
  double test = 0.2;
};

struct Partition {
  std::vector<Index> train, val, test;  // row indices, each sorted ascending
};

// Stratified by label: each class is split with the given fractions (rounded so that the
// three parts add up to the class size). Deterministic in (labels, fractions, seed).
// Per class of n rows: a permutation by rng::shuffle keyed rng::derive(streamKey(seed, Split),
// label); the first round(train*n) go to train, the next round(val*n) to val, the rest to test
// (all to val when test == 0).
// Throws Error(Config) when fractions are outside [0, 1], train or val is 0, or they do not
// sum to 1 (within 1e-6); Error(Input) when a class is empty, a label is not 0/1, or a part with
// a non-zero fraction would get no rows of some class. Labels may also be the class indices of a
// multi-class file (0 .. K-1, K = the largest + 1, every class present): each class is split the
// same way, class c keyed derive(.., c), so signal/background splits are those of two classes.
Partition stratifiedSplit(std::span<const float> labels, const SplitFractions& f, std::uint64_t seed);

// The fold of an event in k-fold cross-validation: a pure function of (seed, key, k), where the
// key is the event's id (event number) when the data has one, else its row index. Recorded with
// every model so that `apply` can score an event with the fold model that never saw it.
int foldOf(std::uint64_t key, int folds, std::uint64_t seed);

// The partition of fold `fold` (0-based) of a k-fold campaign. The test set is the same fixed
// hold-out as stratifiedSplit(labels, f, seed).test, whatever k. For k = 1 the remaining rows
// are split into train/validation by the fractions as in stratifiedSplit; for k > 1 the
// validation set is the remaining rows whose foldOf(key) == fold and the rest is trained on.
// `keys` has one entry per row (ids or row indices). Error(Config) for fold outside [0, k).
Partition foldPartition(std::span<const float> labels, std::span<const std::uint64_t> keys,
                        const SplitFractions& f, int folds, int fold, std::uint64_t seed);

enum class BalanceMode { None, Downsample, Reweight };
BalanceMode parseBalanceMode(const std::string& s);  // throws Error(Config)
const char* toString(BalanceMode m);

// Downsample: keep all rows of the minority class and a seeded random subset of equal size of the
// majority class (multi-class labels: of every other class, class c permuted by the stream
// derive(streamKey(seed, Balance), c)) (the returned rows keep their input order, so ascending input stays ascending;
// Error(Input) when a class is absent). None/Reweight: the rows unchanged.
std::vector<Index> balanceRows(std::span<const Index> rows, std::span<const float> labels,
                               BalanceMode mode, std::uint64_t seed);

// Reweight: per-class factors that make the summed weight of signal equal that of background
// over `rows`, keeping the total summed weight; (1, 1) for other modes. Weights are summed with
// their signs (negative weights included); weights empty = 1 each. Error(Input) when a class's
// summed weight is <= 0.
// Signal/background labels only (multi-class labels: Error(Internal); see classBalanceFactors).
struct ClassFactors { double signal = 1.0, background = 1.0; };
ClassFactors balanceFactors(std::span<const Index> rows, std::span<const float> labels,
                            std::span<const float> weights, BalanceMode mode);
// The same for K classes (class indices 0 .. K-1, K = the largest label + 1, at least 2): one
// factor per class, total / (K * sum_k), so that every class carries the same summed weight over
// `rows` and the total is kept; all 1 for other modes. For signal/background labels the factors
// are {background, signal} of balanceFactors. Error(Input) when a class's summed weight is <= 0.
std::vector<double> classBalanceFactors(std::span<const Index> rows, std::span<const float> labels,
                                        std::span<const float> weights, BalanceMode mode);

// Everything that decides an item's rows: result files store this rule (and a digest of the rows
// it gave) instead of the index lists, and aggregate/apply rebuild the rows from it.
struct SplitRule {
  std::uint64_t seed = 0;
  SplitFractions fractions;
  int folds = 1;  // cv.folds; 1: the plain train/validation split of `fractions`
  int fold = 0;
  BalanceMode balance = BalanceMode::None;
};

// The fold key of every row: the event id when `ids` is not empty, else the row index.
std::vector<std::uint64_t> foldKeys(std::span<const std::int64_t> ids, std::size_t rows);

// The rows of one item: foldPartition(labels, keys, fractions, folds, fold, seed), then the train
// and validation rows balanced by balanceRows with the streams derive(streamKey(seed, Balance), 0)
// and (.., 1); the test rows keep the natural class mix so that its efficiencies are physical.
Partition itemPartition(std::span<const float> labels, std::span<const std::uint64_t> keys, const SplitRule& rule);

// SHA-256 (hex) of the rows as little-endian int64, the check that rows rebuilt from a SplitRule
// are the ones an item used: hashlib.sha256(np.asarray(rows, "<i8").tobytes()).hexdigest().
std::string rowsDigest(std::span<const Index> rows);

}  // namespace hepsweep::data
