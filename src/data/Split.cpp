#include "hepsweep/data/Split.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::data {

namespace {

std::string className(int c, int classes = 2) {
  return classes > 2 ? "class " + std::to_string(c) : c == 1 ? "signal" : "background";
}

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// 0 or 1, or a class index of a multi-class file (its readers checked it against n_classes);
// anything else is a data error (labels come from files users wrote).
int classOf(float label, std::size_t position) {
  if (label == 1.0f) return 1;
  if (label == 0.0f) return 0;
  if (label >= 2.0f && label < 128.0f && label == std::floor(label)) return static_cast<int>(label);
  throwInput("label at row " + std::to_string(position) + " is " + number(label) +
             "; labels must be 0 (background) or 1 (signal), or class indices of a multi-class file");
}

// The number of classes: 2 for signal/background, the largest class index + 1 for multi-class
// labels.
int classCount(std::span<const float> labels) {
  int k = 2;
  for (std::size_t i = 0; i < labels.size(); ++i) k = std::max(k, classOf(labels[i], i) + 1);
  return k;
}

void validateFractions(const SplitFractions& f) {
  const std::array<std::pair<const char*, double>, 3> parts{
      {{"train", f.train}, {"val", f.val}, {"test", f.test}}};
  for (const auto& [name, v] : parts)
    if (!std::isfinite(v) || v < 0.0 || v > 1.0)
      throwConfig(std::string("split fraction ") + name + " = " + number(v) +
                  " must lie in [0, 1]");
  if (f.train <= 0.0) throwConfig("split fraction train must be > 0 (got " + number(f.train) + ")");
  if (f.val <= 0.0)
    throwConfig("split fraction val must be > 0: the validation part drives early stopping and "
                "the reported validation metrics (got " + number(f.val) + ")");
  const double sum = f.train + f.val + f.test;
  if (std::abs(sum - 1.0) > 1e-6)
    throwConfig("split fractions train + val + test = " + number(f.train) + " + " + number(f.val) +
                " + " + number(f.test) + " = " + number(sum) + " must sum to 1");
}

}  // namespace

namespace {

// The part of stratifiedSplit each row falls in.
enum Part : std::uint8_t { kTrain = 0, kVal = 1, kTest = 2 };

// stratifiedSplit's assignment as one byte per row. The part lists are then read off in row
// order, which is the ascending order they are returned in: one pass over a byte per row instead
// of sorting every list (the sorts were most of an item's split time at a million events).
std::vector<std::uint8_t> splitParts(std::span<const float> labels, const SplitFractions& f, std::uint64_t seed) {
  validateFractions(f);
  const int classes = classCount(labels);
  std::vector<std::vector<Index>> byClass(static_cast<std::size_t>(classes));
  for (std::size_t i = 0; i < labels.size(); ++i)
    byClass[static_cast<std::size_t>(classOf(labels[i], i))].push_back(static_cast<Index>(i));

  std::vector<std::uint8_t> part(labels.size(), kTest);
  const std::uint64_t splitKey = rng::streamKey(seed, rng::Stream::Split);
  for (int c = 0; c < classes; ++c) {
    auto& rows = byClass[static_cast<std::size_t>(c)];
    const auto n = static_cast<Index>(rows.size());
    if (n == 0)
      throwInput(std::string("no ") + className(c, classes) + " events (label " + std::to_string(c) +
                 ") among the " + std::to_string(labels.size()) + " rows: " +
                 (classes > 2 ? "a multi-class classifier needs every class"
                              : "a signal-vs-background classifier needs both classes"));
    rng::shuffle(rows.data(), static_cast<std::uint64_t>(n), rng::derive(splitKey, static_cast<std::uint64_t>(c)));

    Index nTrain = std::min<Index>(n, std::llround(f.train * static_cast<double>(n)));
    Index nVal = std::min<Index>(n - nTrain, std::llround(f.val * static_cast<double>(n)));
    // With test = 0 the user wants no test rows at all, whatever the rounding of the others.
    if (f.test == 0.0) nVal = n - nTrain;
    const Index nTest = n - nTrain - nVal;
    const std::array<std::tuple<const char*, double, Index>, 3> parts{
        {{"train", f.train, nTrain}, {"val", f.val, nVal}, {"test", f.test, nTest}}};
    for (const auto& [name, frac, count] : parts)
      if (frac > 0.0 && count == 0)
        throwInput(std::string("the ") + name + " part of the " + className(c, classes) + " class would be empty: " +
                   std::to_string(n) + " " + className(c, classes) + " events with fraction " + number(frac) +
                   "; provide more events or raise that fraction");

    for (Index k = 0; k < nTrain; ++k) part[static_cast<std::size_t>(rows[static_cast<std::size_t>(k)])] = kTrain;
    for (Index k = nTrain; k < nTrain + nVal; ++k) part[static_cast<std::size_t>(rows[static_cast<std::size_t>(k)])] = kVal;
  }
  return part;
}

}  // namespace

Partition stratifiedSplit(std::span<const float> labels, const SplitFractions& f, std::uint64_t seed) {
  const std::vector<std::uint8_t> part = splitParts(labels, f, seed);
  std::array<std::size_t, 3> counts{0, 0, 0};
  for (const std::uint8_t k : part) ++counts[k];
  Partition p;
  p.train.reserve(counts[kTrain]);
  p.val.reserve(counts[kVal]);
  p.test.reserve(counts[kTest]);
  for (std::size_t r = 0; r < part.size(); ++r)
    (part[r] == kTrain ? p.train : part[r] == kVal ? p.val : p.test).push_back(static_cast<Index>(r));
  return p;
}

BalanceMode parseBalanceMode(const std::string& s) {
  if (s == "none") return BalanceMode::None;
  if (s == "downsample") return BalanceMode::Downsample;
  if (s == "reweight") return BalanceMode::Reweight;
  const std::vector<std::string> valid{"none", "downsample", "reweight"};
  throwConfig("unknown balance mode " + str::quoted(s) + " (valid: " + str::join(valid, ", ") + ")" +
              str::didYouMean(s, valid));
}

const char* toString(BalanceMode m) {
  switch (m) {
    case BalanceMode::None: return "none";
    case BalanceMode::Downsample: return "downsample";
    case BalanceMode::Reweight: return "reweight";
  }
  return "none";
}

std::vector<Index> balanceRows(std::span<const Index> rows, std::span<const float> labels,
                               BalanceMode mode, std::uint64_t seed) {
  std::vector<Index> out(rows.begin(), rows.end());
  if (mode != BalanceMode::Downsample) return out;

  const int classes = classCount(labels);
  std::vector<std::vector<std::size_t>> positions(static_cast<std::size_t>(classes));  // within `rows`, per class
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto r = static_cast<std::size_t>(rows[k]);
    if (r >= labels.size())
      throw Error(ErrorCategory::Internal, "balanceRows: row " + std::to_string(r) + " outside the labels");
    positions[static_cast<std::size_t>(classOf(labels[r], r))].push_back(k);
  }
  for (int c = 0; c < classes; ++c)
    if (positions[static_cast<std::size_t>(c)].empty())
      throwInput(std::string("cannot downsample: the rows to balance contain no ") + className(c, classes) + " events");

  std::vector<char> keep(rows.size(), 1);
  if (classes == 2) {
    const std::size_t major = positions[1].size() > positions[0].size() ? 1 : 0;
    auto& big = positions[major];
    const std::size_t keepCount = positions[1 - major].size();
    rng::shuffle(big.data(), big.size(), rng::streamKey(seed, rng::Stream::Balance));
    for (std::size_t i = keepCount; i < big.size(); ++i) keep[big[i]] = 0;
  } else {
    // Every class cut to the smallest one's size, each by its own seeded permutation.
    std::size_t keepCount = rows.size();
    for (const auto& p : positions) keepCount = std::min(keepCount, p.size());
    for (std::size_t c = 0; c < positions.size(); ++c) {
      auto& p = positions[c];
      rng::shuffle(p.data(), p.size(), rng::derive(rng::streamKey(seed, rng::Stream::Balance), c));
      for (std::size_t i = keepCount; i < p.size(); ++i) keep[p[i]] = 0;
    }
  }
  out.clear();
  for (std::size_t k = 0; k < rows.size(); ++k)
    if (keep[k]) out.push_back(rows[k]);
  return out;
}

std::vector<double> classBalanceFactors(std::span<const Index> rows, std::span<const float> labels,
                                        std::span<const float> weights, BalanceMode mode) {
  const int classes = classCount(labels);
  if (mode != BalanceMode::Reweight) return std::vector<double>(static_cast<std::size_t>(classes), 1.0);
  std::vector<double> sum(static_cast<std::size_t>(classes), 0.0);
  for (const Index row : rows) {
    const auto r = static_cast<std::size_t>(row);
    if (r >= labels.size() || (!weights.empty() && r >= weights.size()))
      throw Error(ErrorCategory::Internal, "balanceFactors: row " + std::to_string(r) + " outside the data");
    sum[static_cast<std::size_t>(classOf(labels[r], r))] += weights.empty() ? 1.0 : static_cast<double>(weights[r]);
  }
  for (int c = 0; c < classes; ++c)
    if (!(sum[static_cast<std::size_t>(c)] > 0.0))
      throwInput(std::string("cannot reweight: the summed weight of the ") + className(c, classes) + " events is " +
                 number(sum[static_cast<std::size_t>(c)]) + " (must be > 0; check the weight column)");
  double total = 0.0;
  for (const double v : sum) total += v;
  std::vector<double> f;
  for (const double v : sum) f.push_back(total / (static_cast<double>(classes) * v));
  return f;
}

ClassFactors balanceFactors(std::span<const Index> rows, std::span<const float> labels,
                            std::span<const float> weights, BalanceMode mode) {
  if (mode != BalanceMode::Reweight) return {};
  const std::vector<double> f = classBalanceFactors(rows, labels, weights, mode);
  if (f.size() != 2)
    throw Error(ErrorCategory::Internal, "balanceFactors: " + std::to_string(f.size()) +
                                             " classes; multi-class labels take classBalanceFactors");
  return ClassFactors{f[1], f[0]};
}

int foldOf(std::uint64_t key, int folds, std::uint64_t seed) {
  return static_cast<int>(rng::below(rng::streamKey(seed, rng::Stream::Fold), key, static_cast<std::uint64_t>(folds)));
}

Partition foldPartition(std::span<const float> labels, std::span<const std::uint64_t> keys,
                        const SplitFractions& f, int folds, int fold, std::uint64_t seed) {
  if (folds < 1) throwConfig("cv.folds must be at least 1, got " + std::to_string(folds));
  if (fold < 0 || fold >= folds)
    throwConfig("fold " + std::to_string(fold) + " outside [0, " + std::to_string(folds) + ")");
  if (keys.size() != labels.size())
    throw Error(ErrorCategory::Internal, "foldPartition: one key per row expected");
  if (folds == 1) return stratifiedSplit(labels, f, seed);
  // Validation: the rows outside the hold-out whose key falls in `fold`, in row order (as the
  // ascending merge of stratifiedSplit's train and validation lists was).
  const std::vector<std::uint8_t> part = splitParts(labels, f, seed);
  Partition p;
  for (std::size_t r = 0; r < part.size(); ++r) {
    if (part[r] == kTest) p.test.push_back(static_cast<Index>(r));
    else (foldOf(keys[r], folds, seed) == fold ? p.val : p.train).push_back(static_cast<Index>(r));
  }
  return p;
}

std::vector<std::uint64_t> foldKeys(std::span<const std::int64_t> ids, std::size_t rows) {
  std::vector<std::uint64_t> keys(rows);
  if (!ids.empty() && ids.size() != rows)
    throw Error(ErrorCategory::Internal, "foldKeys: " + std::to_string(ids.size()) + " ids for " + std::to_string(rows) + " rows");
  for (std::size_t i = 0; i < rows; ++i) keys[i] = ids.empty() ? i : static_cast<std::uint64_t>(ids[i]);
  return keys;
}

Partition itemPartition(std::span<const float> labels, std::span<const std::uint64_t> keys, const SplitRule& rule) {
  Partition p = foldPartition(labels, keys, rule.fractions, rule.folds, rule.fold, rule.seed);
  const std::uint64_t balanceKey = rng::streamKey(rule.seed, rng::Stream::Balance);
  p.train = balanceRows(p.train, labels, rule.balance, rng::derive(balanceKey, 0));
  p.val = balanceRows(p.val, labels, rule.balance, rng::derive(balanceKey, 1));
  return p;
}

std::string rowsDigest(std::span<const Index> rows) {
  static_assert(std::endian::native == std::endian::little, "rowsDigest hashes the rows' little-endian bytes");
  Sha256 h;
  h.update(rows.data(), rows.size() * sizeof(Index));
  return h.hexDigest();
}

}  // namespace hepsweep::data
