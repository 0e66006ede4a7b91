#include "hepsweep/aggregate/Importance.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "hepsweep/model/FoldScores.hpp"
#include "hepsweep/model/Model.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"

namespace hepsweep::aggregate {
namespace {

namespace h5 = io::h5;

// Tag of the importance shuffles under the seed's Misc stream, so that they share no random
// numbers with anything else derived from the campaign seed.
constexpr std::uint64_t kImportanceTag = 0x1390f7a5c2d4e681ULL;

std::size_t columnOf(std::span<const std::string> columns, const std::string& name, const std::string& dataFile) {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end())
    throwInput("the data file " + str::quoted(dataFile, 300) + " has no feature " + str::quoted(name) +
               " the models were trained on");
  return static_cast<std::size_t>(it - columns.begin());
}

// A uniformly random permutation of [0, n) (Fisher-Yates on the counter-based generator: the
// same key gives the same permutation on every platform and standard library).
std::vector<data::Index> permutation(std::size_t n, std::uint64_t key) {
  std::vector<data::Index> p(n);
  std::iota(p.begin(), p.end(), data::Index{0});
  for (std::size_t i = n; i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng::below(key, i - 1, i));
    std::swap(p[i - 1], p[j]);
  }
  return p;
}

struct Fold {
  int fold = 0;
  std::string path;
};

// importanceGroups by feature list, for the points of one data file.
using GroupCache = std::map<std::vector<std::string>, std::vector<std::vector<std::string>>>;

FeatureImportance importanceOn(const model::LoadedData& data, const std::string& dataFile, const std::string& dataSha256,
                               const std::vector<std::string>& resultFiles, std::int64_t point, std::uint64_t seed,
                               const ImportanceOptions& o, GroupCache& groupCache) {
  if (resultFiles.empty()) throwInput("point " + std::to_string(point) + " has no result files");
  if (o.repeats < 1) throwConfig("--importance-repeats must be at least 1");
  const data::Dataset& columns = data.file->columns();
  const std::span<const std::string> tableColumns(columns.featureNames);
  std::vector<Fold> folds;
  std::vector<std::string> features;
  for (const std::string& path : resultFiles) {
    const h5::File f = h5::File::open(path);
    const rundir::ResultHeader header = rundir::readResultHeader(f);
    if (header.dataSha256 != dataSha256)
      throwInput(path + " was trained on another data file (sha256 " + header.dataSha256 + ", not " + dataSha256 +
                 "): permutation importance reads one data file for all folds");
    if (!f.exists("model/feature_names")) throwInput(path + " has no model/feature_names");
    const std::vector<std::string> names = f.readStrings("model/feature_names");
    if (features.empty()) features = names;
    if (names != features)
      throwInput(path + ": its model/feature_names differ from those of " + resultFiles.front() +
                 "; the folds of one point must use the same features");
    folds.push_back({header.item ? header.item->fold : 0, path});
  }
  std::sort(folds.begin(), folds.end(), [](const Fold& a, const Fold& b) { return a.fold < b.fold; });

  FeatureImportance out;
  out.point = point;
  out.seed = seed;
  out.repeats = o.repeats;
  out.correlationThreshold = o.correlationThreshold;
  // The groups depend only on the features and the data file: with --importance-all-points the
  // correlations over the whole file are computed once per feature list, not once per point.
  auto cached = groupCache.find(features);
  if (cached == groupCache.end())
    cached = groupCache.emplace(features, importanceGroups(features, o.groups, o.correlationThreshold, data.table,
                                                           tableColumns)).first;
  out.members = cached->second;
  for (const auto& g : out.members) out.names.push_back(str::join(g, "+"));
  out.drop.assign(out.members.size(), {});
  std::vector<std::vector<std::size_t>> groupColumns;
  for (const auto& g : out.members) {
    groupColumns.emplace_back();
    for (const auto& name : g) groupColumns.back().push_back(columnOf(tableColumns, name, dataFile));
  }
  const std::uint64_t base = rng::derive(rng::streamKey(seed, rng::Stream::Misc), kImportanceTag);

  for (const Fold& fold : folds) {
    const h5::File f = h5::File::open(fold.path);
    const rundir::SplitRecord record = rundir::readSplitRecord(f.openGroup("split"));
    const data::Partition part = rundir::rebuildPartition(
        record, {columns.labels.data(), static_cast<std::size_t>(columns.labels.size())}, data.keys, fold.path);
    if (part.val.empty())
      throwInput(fold.path + ": fold " + std::to_string(fold.fold) +
                 " has no validation events (data.split val = 0): permutation importance is measured on them");
    // The fold's validation events, every column of the data file, in split order.
    data::FeatureMatrix val(static_cast<Eigen::Index>(part.val.size()), data.table.cols());
    std::vector<float> labels(part.val.size());
    for (std::size_t i = 0; i < part.val.size(); ++i) {
      val.row(static_cast<Eigen::Index>(i)) = data.table.row(part.val[i]);
      labels[i] = columns.labels[part.val[i]];
    }
    const model::FoldModel fm = model::readFoldModel(fold.path);
    model::FoldScorer scorer(fm, tableColumns);
    Eigen::VectorXf scores;
    const auto metric = [&] {
      scorer.scoreAll(val, scores);
      return metrics::auc({scores.data(), static_cast<std::size_t>(scores.size())}, labels);
    };
    const double baseline = metric();
    out.folds.push_back(fold.fold);
    out.baseline.push_back(baseline);
    out.validationEvents.push_back(static_cast<std::int64_t>(part.val.size()));
    // One permutation per (fold, repeat), shared by every group: the groups' drops then differ by
    // the feature shuffled, not by the luck of the shuffle (common random numbers).
    std::vector<std::vector<data::Index>> perms;
    for (int r = 0; r < o.repeats; ++r)
      perms.push_back(permutation(part.val.size(), rng::derive(rng::derive(base, static_cast<std::uint64_t>(fold.fold)),
                                                               static_cast<std::uint64_t>(r))));
    for (std::size_t g = 0; g < out.members.size(); ++g) {
      // The group's columns as they are, copied once: every repeat shuffles from them, and they
      // are put back after the last.
      std::vector<Eigen::VectorXf> original;
      for (const std::size_t c : groupColumns[g]) original.emplace_back(val.col(static_cast<Eigen::Index>(c)));
      double sum = 0;
      for (const auto& perm : perms) {
        for (std::size_t m = 0; m < original.size(); ++m) {
          const auto col = static_cast<Eigen::Index>(groupColumns[g][m]);
          for (std::size_t i = 0; i < part.val.size(); ++i) val(static_cast<Eigen::Index>(i), col) = original[m][perm[i]];
        }
        sum += baseline - metric();
      }
      for (std::size_t m = 0; m < original.size(); ++m) val.col(static_cast<Eigen::Index>(groupColumns[g][m])) = original[m];
      out.drop[g].push_back(sum / static_cast<double>(o.repeats));
    }
  }
  for (const auto& d : out.drop) {
    out.mean.push_back(std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size()));
    out.std.push_back(sampleStd(d));
  }
  return out;
}

model::LoadedData loadFor(const std::string& dataFile, const std::string& sha256, const std::string& firstResult) {
  return model::loadData(dataFile, sha256,
                         "permutation importance (--importance) scores the validation events of " + firstResult +
                             " again with shuffled features");
}

}  // namespace

std::vector<std::vector<std::string>> importanceGroups(const std::vector<std::string>& features,
                                                      const std::vector<std::vector<std::string>>& explicitGroups,
                                                      double threshold, const data::FeatureMatrix& table,
                                                      std::span<const std::string> tableColumns) {
  if (!(threshold >= 0 && threshold <= 1))
    throwConfig("--importance-correlation " + std::to_string(threshold) + " is outside [0, 1] (0: no automatic groups)");
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < features.size(); ++i) position[features[i]] = i;
  std::vector<std::vector<std::string>> out;
  std::set<std::string> grouped;
  const auto inFeatureOrder = [&](std::vector<std::string> g) {
    std::sort(g.begin(), g.end(), [&](const std::string& a, const std::string& b) { return position[a] < position[b]; });
    return g;
  };
  for (const auto& g : explicitGroups) {
    if (g.empty()) throwConfig("--importance-group: an empty group (give comma-separated feature names)");
    for (const auto& name : g) {
      if (!position.count(name))
        throwConfig("--importance-group: " + str::quoted(name) + " is not a feature of the models (they use " +
                    str::join(features, ", ") + ")");
      if (!grouped.insert(name).second)
        throwConfig("--importance-group: feature " + str::quoted(name) + " is in more than one group");
    }
    out.push_back(inFeatureOrder(g));
  }
  std::vector<std::string> rest;
  for (const auto& name : features)
    if (!grouped.count(name)) rest.push_back(name);
  // Union-find over the remaining features, linking pairs with |r| >= threshold.
  std::vector<std::size_t> parent(rest.size());
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  const auto find = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  if (threshold > 0 && rest.size() > 1 && table.rows() > 1) {
    std::vector<Eigen::Index> cols;
    for (const auto& name : rest) {
      const auto it = std::find(tableColumns.begin(), tableColumns.end(), name);
      if (it == tableColumns.end()) throwInput("the data file has no feature " + str::quoted(name));
      cols.push_back(static_cast<Eigen::Index>(it - tableColumns.begin()));
    }
    const std::size_t p = cols.size();
    const auto n = static_cast<double>(table.rows());
    std::vector<double> mean(p, 0.0), cross(p * p, 0.0);
    for (Eigen::Index r = 0; r < table.rows(); ++r)
      for (std::size_t a = 0; a < p; ++a) mean[a] += table(r, cols[a]);
    for (auto& m : mean) m /= n;
    std::vector<double> x(p);
    for (Eigen::Index r = 0; r < table.rows(); ++r) {
      for (std::size_t a = 0; a < p; ++a) x[a] = static_cast<double>(table(r, cols[a])) - mean[a];
      for (std::size_t a = 0; a < p; ++a)
        for (std::size_t b = a; b < p; ++b) cross[a * p + b] += x[a] * x[b];
    }
    for (std::size_t a = 0; a < p; ++a)
      for (std::size_t b = a + 1; b < p; ++b) {
        const double den = std::sqrt(cross[a * p + a] * cross[b * p + b]);
        // A constant column correlates with nothing.
        if (!(den > 0)) continue;
        if (std::abs(cross[a * p + b] / den) >= threshold) parent[find(b)] = find(a);
      }
  }
  std::map<std::size_t, std::vector<std::string>> byRoot;
  std::vector<std::size_t> rootOrder;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const std::size_t root = find(i);
    if (!byRoot.count(root)) rootOrder.push_back(root);
    byRoot[root].push_back(rest[i]);
  }
  for (const std::size_t root : rootOrder) out.push_back(byRoot[root]);
  return out;
}

FeatureImportance pointImportance(const std::vector<std::string>& resultFiles, std::int64_t point, std::uint64_t seed,
                                  const ImportanceOptions& o) {
  if (resultFiles.empty()) throwInput("no result files given");
  const rundir::ResultHeader header = rundir::readResultHeader(h5::File::open(resultFiles.front()));
  const model::LoadedData data = loadFor(header.dataFile, header.dataSha256, resultFiles.front());
  GroupCache groups;
  return importanceOn(data, header.dataFile, header.dataSha256, resultFiles, point, seed, o, groups);
}

void computeImportance(Summary& s, const ImportanceOptions& o) {
  if (s.points.empty() || s.items.empty()) return;
  std::vector<const PointSummary*> points;
  for (const auto& p : s.points)
    if (o.allPoints || p.point == s.bestPoint) points.push_back(&p);
  // The best point first, then the others by rank (s.points is in rank order).
  std::stable_partition(points.begin(), points.end(), [&](const PointSummary* p) { return p->point == s.bestPoint; });
  const auto filesOf = [&](std::int64_t point) {
    std::vector<std::string> files;
    for (const auto& it : s.items)
      if (it.point == point) files.push_back(it.resultFile);
    return files;
  };
  const std::vector<std::string> firstFiles = filesOf(points.front()->point);
  const model::LoadedData data = loadFor(s.dataFile, s.dataSha256, firstFiles.front());
  const std::uint64_t seed = o.seed.value_or(s.seed);
  GroupCache groups;
  for (const PointSummary* p : points)
    s.importance.push_back(importanceOn(data, s.dataFile, s.dataSha256, filesOf(p->point), p->point, seed, o, groups));
}

namespace {

void writeOne(const h5::Group& g, const FeatureImportance& imp) {
  g.setAttr("point", imp.point);
  g.setAttr("metric", imp.metric);
  // As the manifest stores the campaign seed: the same 64 bits read as a signed integer.
  g.setAttr("seed", static_cast<std::int64_t>(imp.seed));
  g.setAttr("repeats", static_cast<std::int64_t>(imp.repeats));
  g.setAttr("correlation_threshold", imp.correlationThreshold);
  g.writeStrings("feature", imp.names);
  std::vector<std::string> members;
  for (const auto& m : imp.members) members.push_back(str::join(m, ","));
  g.writeStrings("members", members);
  std::vector<std::int64_t> folds(imp.folds.begin(), imp.folds.end());
  g.write<std::int64_t>("fold", folds, false);
  g.write<double>("baseline", imp.baseline, false);
  g.write<std::int64_t>("validation_events", imp.validationEvents, false);
  g.write<double>("mean", imp.mean, false);
  g.write<double>("std", imp.std, false);
  std::vector<double> drop;
  for (const auto& d : imp.drop) drop.insert(drop.end(), d.begin(), d.end());
  g.write2d<double>("drop", drop.data(), imp.drop.size(), imp.folds.size(), false);
}

}  // namespace

void writeImportance(const h5::Group& root, const std::vector<FeatureImportance>& v) {
  if (v.empty()) return;
  const h5::Group g = root.createGroup("importance");
  writeOne(g, v.front());
  if (v.size() > 1) {
    const h5::Group points = g.createGroup("points");
    for (const auto& imp : v) writeOne(points.createGroup(std::to_string(imp.point)), imp);
  }
}

}  // namespace hepsweep::aggregate
