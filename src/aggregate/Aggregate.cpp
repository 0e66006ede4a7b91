// aggregate: reading run directories (a campaign's items or a single training's result) and
// ranking their points; the best point's ROC, working points and AMS are BestPointEvaluation.cpp's.
#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/aggregate/Baseline.hpp"

#include "BestPointEvaluation.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <toml++/toml.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/metrics/KolmogorovSmirnov.hpp"
#include "hepsweep/metrics/Metrics.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/metrics/Physics.hpp"
#include "hepsweep/model/FoldScores.hpp"
#include "hepsweep/rundir/Manifest.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/rundir/Rungs.hpp"

namespace hepsweep::aggregate {
namespace fs = std::filesystem;

using namespace detail;

using Parameters = std::vector<std::pair<std::string, std::string>>;

double detail::mean(const std::vector<double>& v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double sampleStd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

namespace {

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throwIo("cannot read " + str::quoted(path.string(), 200));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every leaf of a TOML table as "dotted.key" -> TOML text of the value, for comparing campaigns.
void flatten(const toml::table& t, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& [k, v] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = v.as_table()) {
      flatten(*sub, key, out);
    } else {
      std::ostringstream ss;
      v.visit([&](const auto& x) { ss << x; });
      out[key] = ss.str();
    }
  }
}

struct RunInfo {
  std::string dir;
  std::string toml;
  std::map<std::string, std::string> keys;  // flattened campaign
  std::string objective = "val_loss";
  std::string searchMethod = "none";
  int folds = 1;
  std::map<std::int64_t, rundir::ManifestItem> manifest;
  std::uint64_t seed = 0;
  std::string version, dataFile, dataSha;
  double luminosity = 1, signalScale = 1, backgroundScale = 1, amsRegularisation = metrics::kHiggsMlRegularisation;
  // A single training's output directory (`hepsweep train` without a search or folds): its
  // result.h5, read as the one item (id 0, point 0, fold 0) of a one-point, one-fold campaign.
  std::string singleResult;
};

// Where item `id`'s result is: items/<id>/result.h5, or a single training's result.h5.
fs::path resultFileOf(const RunInfo& run, std::int64_t id) {
  if (!run.singleResult.empty()) return run.singleResult;
  return rundir::RunDirectory(run.dir).resultFile(id);
}

void readCampaignToml(RunInfo& r, const std::string& where) {
  toml::table t;
  try {
    t = toml::parse(r.toml, where);
  } catch (const toml::parse_error& e) {
    throwInput(where + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  flatten(t, "", r.keys);
  r.objective = t["search"]["objective"].value_or(std::string("val_loss"));
  r.searchMethod = t["search"]["method"].value_or(std::string("none"));
  r.folds = static_cast<int>(t["cv"]["folds"].value_or(std::int64_t{1}));
  r.luminosity = t["metrics"]["luminosity"].value_or(1.0);
  r.signalScale = t["metrics"]["signal_scale"].value_or(1.0);
  r.backgroundScale = t["metrics"]["background_scale"].value_or(1.0);
  r.amsRegularisation = t["metrics"]["ams_regularisation"].value_or(metrics::kHiggsMlRegularisation);
}

// A single training's directory: everything comes from its result file, whose `config` is the
// resolved configuration it ran (config.toml next to it is a copy a user may have edited).
RunInfo readSingleTraining(const std::string& dir, const fs::path& result) {
  RunInfo r;
  r.dir = dir;
  r.singleResult = result.string();
  rundir::ResultHeader h;
  try {
    h = rundir::readResultHeader(io::h5::File::open(r.singleResult));
  } catch (const Error& e) {
    throwInput(str::quoted(dir, 200) + " is neither a campaign run directory (no campaign.toml) nor a single "
               "training's output directory: " + e.what());
  }
  if (h.item)
    throwInput("'" + r.singleResult + "' is item " + std::to_string(h.item->id) + " of the campaign in " +
               str::quoted(h.item->runDir, 200) + ": aggregate that run directory instead");
  if (h.config.empty())
    throwInput("'" + r.singleResult + "' does not record the configuration it was trained with: it cannot be aggregated");
  r.toml = h.config;
  readCampaignToml(r, r.singleResult + " (attribute config)");
  if (r.folds != 1 || r.searchMethod != "none")
    throwInput("'" + r.singleResult + "' records a campaign configuration but no campaign item: it is not a single "
               "training's result");
  r.seed = h.seed;
  r.version = h.version;
  r.dataFile = h.dataFile;
  r.dataSha = h.dataSha256;
  r.manifest[0] = rundir::ManifestItem{};
  return r;
}

// The run directory's files (rundir): campaign.toml and manifest.h5. campaign.toml is read with
// toml++ rather than the campaign module, so that aggregating needs neither MPI nor today's option
// table: a run directory written by an older version with since-renamed keys still aggregates.
RunInfo readRun(const std::string& dir) {
  if (!fs::is_directory(dir)) throwIo("run directory " + str::quoted(dir, 200) + " does not exist");
  const rundir::RunDirectory layout(dir);
  if (!fs::exists(layout.campaignFile())) {
    const fs::path single = fs::path(dir) / "result.h5";
    if (fs::exists(single)) return readSingleTraining(dir, single);
    throwInput(str::quoted(dir, 200) + " is not a campaign run directory (it has no campaign.toml) nor a single "
               "training's output directory (it has no result.h5)");
  }
  RunInfo r;
  r.dir = dir;
  r.toml = readText(layout.campaignFile());
  readCampaignToml(r, layout.campaignFile().string());
  if (!fs::exists(layout.manifestFile()))
    throwInput(str::quoted(dir, 200) + " is not a campaign run directory: it has no manifest.h5");
  rundir::Manifest m;
  try {
    m = rundir::readManifest(layout.manifestFile());
  } catch (const Error& e) {
    throwInput(std::string(e.what()) + "; the manifest lists the campaign's items and its data: restore it from a "
               "copy to aggregate this run directory");
  }
  // campaign.toml says what the results were trained with: an edit since would mislabel them.
  if (!m.config.empty() && r.toml != m.config)
    throwInput("'" + layout.campaignFile().string() + "' was changed after the campaign started (it is no longer the "
               "campaign the manifest records); put the original back (the manifest's 'config' attribute holds it) "
               "to aggregate this run directory");
  r.seed = m.seed;
  r.version = m.version;
  r.dataFile = m.dataFile;
  r.dataSha = m.dataSha256;
  r.folds = m.folds;
  for (const auto& it : m.items) r.manifest[it.id] = it;
  return r;
}

// Differences that make two run directories different studies; output.dir and the search may
// differ (several submissions of one study, or a study extended by more points), and data.file
// may be spelled differently as long as the data's sha256 is the same.
void checkSameStudy(const RunInfo& a, const RunInfo& b) {
  const auto ignored = [](const std::string& k) {
    return k == "output.dir" || k == "data.file" || (str::startsWith(k, "search.") && k != "search.objective");
  };
  std::vector<std::string> diffs;
  std::set<std::string> keys;
  for (const auto& [k, v] : a.keys) keys.insert(k);
  for (const auto& [k, v] : b.keys) keys.insert(k);
  for (const auto& k : keys) {
    if (ignored(k)) continue;
    const auto x = a.keys.find(k), y = b.keys.find(k);
    const std::string vx = x == a.keys.end() ? "(not set)" : x->second, vy = y == b.keys.end() ? "(not set)" : y->second;
    if (vx != vy) diffs.push_back(k + ": " + vx + " -> " + vy);
  }
  if (a.dataSha != b.dataSha) diffs.push_back("data file sha256: " + a.dataSha + " -> " + b.dataSha);
  if (!diffs.empty())
    throwConfig("run directories " + str::quoted(a.dir, 200) + " and " + str::quoted(b.dir, 200) +
                " hold different campaigns and cannot be aggregated together; differing:\n  " + str::join(diffs, "\n  "));
}

std::vector<std::int64_t> itemIds(const RunInfo& run) {
  if (!run.singleResult.empty()) return {0};
  std::set<std::int64_t> ids;
  for (const auto& [id, e] : run.manifest) ids.insert(id);
  // Items written beyond the manifest (a search that proposes points as it goes) count as well.
  const rundir::RunDirectory layout(run.dir);
  const fs::path items = layout.root() / "items";
  std::error_code ec;
  if (fs::is_directory(items, ec))
    for (const auto& entry : fs::directory_iterator(items, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || name.size() > 15 || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      const std::int64_t id = std::stoll(name);
      if (layout.itemDir(id) == entry.path() && fs::exists(layout.resultFile(id))) ids.insert(id);
    }
  return {ids.begin(), ids.end()};
}

ItemSummary readItem(const RunInfo& run, std::int64_t id, const std::string& path) {
  const rundir::ResultSummary r = rundir::readResultSummary(path);
  ItemSummary it;
  it.runDir = run.dir;
  it.resultFile = path;
  const std::optional<rundir::ItemIdentity>& who = r.header.item;
  it.item = who ? who->id : id;
  if (it.item != id) throwInput("its item_id attribute is " + std::to_string(it.item) + ", not " + std::to_string(id));
  it.campaignPoint = who ? who->point : 0;
  it.fold = who ? who->fold : 0;
  it.parameters = who ? who->overrides : Parameters{};
  const auto m = run.manifest.find(id);
  if (m != run.manifest.end() &&
      (m->second.point != it.campaignPoint || m->second.fold != it.fold || m->second.overrides != it.parameters))
    throwInput("it is point " + std::to_string(it.campaignPoint) + " fold " + std::to_string(it.fold) + " (" +
               str::quoted(rundir::joinOverrides(it.parameters)) + ") but manifest.h5 plans item " + std::to_string(id) +
               " as point " + std::to_string(m->second.point) + " fold " + std::to_string(m->second.fold) + " (" +
               str::quoted(rundir::joinOverrides(m->second.overrides)) + "): the file belongs to another campaign");
  if (it.fold < 0 || it.fold >= run.folds)
    throwInput("fold " + std::to_string(it.fold) + " is outside the campaign's " + std::to_string(run.folds) + " folds");
  it.metrics = r.metrics;
  const auto metric = [&](const std::string& name) {
    const auto v = r.metric(name);
    if (!v) throwInput("it has no metrics/" + name);
    return *v;
  };
  it.objective = metrics::storedObjective(run.objective, [&](const std::string& name) { return r.metric(name); });
  it.epochsRun = static_cast<std::int64_t>(metric("epochs_run"));
  it.bestEpoch = static_cast<std::int64_t>(metric("best_epoch"));
  it.seconds = metric("train_seconds");
  it.trainLoss = r.trainLoss;
  it.valLoss = r.valLoss;
  it.valAuc = r.valAuc;
  for (const auto& g : rundir::readRungs(rundir::RunDirectory(run.dir).rungFile(id)))
    it.rungs.push_back({g.epoch, g.bracket, g.value, g.stopped});
  return it;
}

std::string pointKey(Parameters p) {
  std::sort(p.begin(), p.end());
  std::string key;
  for (const auto& [k, v] : p) key += k + "=" + v + "\n";
  return key;
}

}  // namespace

Summary collect(const std::vector<std::string>& runDirs, const CollectOptions& o) {
  if (runDirs.empty()) throwConfig("no run directory given");
  Summary s;
  s.created = utcTimestamp();
  std::vector<RunInfo> runs;
  for (const auto& dir : runDirs) {
    for (const auto& r : runs)
      if (fs::weakly_canonical(r.dir) == fs::weakly_canonical(dir))
        throwConfig("run directory " + str::quoted(dir, 200) + " is given twice");
    runs.push_back(readRun(dir));
    if (runs.size() > 1) checkSameStudy(runs.front(), runs.back());
  }
  const RunInfo& first = runs.front();
  s.runDirs = runDirs;
  // Only when it is aggregated alone: beside other run directories its model may not be the best.
  s.singleTraining = runs.size() == 1 && !first.singleResult.empty();
  s.objective = first.objective;
  s.campaignToml = first.toml;
  s.seed = first.seed;
  s.version = first.version;
  s.dataFile = first.dataFile;
  s.dataSha256 = first.dataSha;
  s.folds = first.folds;
  s.luminosity = first.luminosity;
  s.signalScale = first.signalScale;
  s.backgroundScale = first.backgroundScale;
  s.amsRegularisation = first.amsRegularisation;

  std::vector<std::string> problems;
  std::map<std::string, std::int64_t> pointIndex;
  std::vector<Parameters> pointParameters;
  std::map<std::pair<std::int64_t, int>, std::size_t> seen;  // (point, fold) -> index into items
  std::vector<std::string> racedOutKeys;  // the point of each raced-out item
  for (const RunInfo& run : runs) {
    for (std::int64_t id : itemIds(run)) {
      const rundir::RunDirectory layout(run.dir);
      const std::string result = resultFileOf(run, id).string();
      if (!fs::exists(result)) {
        const fs::path failed = layout.failedFile(id);
        if (fs::exists(layout.racedOutFile(id))) {
          // Skipped on purpose by racing: its point is listed with the folds it trained, ranked
          // after the complete points.
          std::string reason = readText(layout.racedOutFile(id));
          while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.pop_back();
          s.racedOut.push_back(layout.racedOutFile(id).string() + ": " + reason);
          if (const auto m = run.manifest.find(id); m != run.manifest.end()) racedOutKeys.push_back(pointKey(m->second.overrides));
        } else if (fs::exists(failed)) {
          std::string reason = readText(failed);
          while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.pop_back();
          problems.push_back(failed.string() + ": failed: " + reason);
        } else {
          problems.push_back(result + ": missing (item " + std::to_string(id) + " has not finished)");
        }
        continue;
      }
      ItemSummary it;
      try {
        it = readItem(run, id, result);
      } catch (const Error& e) {
        problems.push_back(result + ": unreadable: " + e.what());
        continue;
      }
      const std::string key = pointKey(it.parameters);
      auto [pos, inserted] = pointIndex.emplace(key, static_cast<std::int64_t>(pointParameters.size()));
      if (inserted) pointParameters.push_back(it.parameters);
      it.point = pos->second;
      const auto [where, fresh] = seen.emplace(std::make_pair(it.point, it.fold), s.items.size());
      if (!fresh)
        throwInput("the same point and fold appear twice: " + s.items[where->second].resultFile + " and " + result +
                   " are both fold " + std::to_string(it.fold) + " of " + rundir::describeParameters(it.parameters) +
                   "; aggregate each run directory once, or remove one of the two");
      s.items.push_back(std::move(it));
    }
  }
  if (!problems.empty()) {
    if (!o.allowIncomplete) {
      const std::size_t shown = std::min<std::size_t>(problems.size(), 20);
      std::string msg = std::to_string(problems.size()) + " item(s) have no readable result:\n  " +
                        str::join(std::span<const std::string>(problems.data(), shown), "\n  ");
      if (shown < problems.size()) msg += "\n  ... and " + std::to_string(problems.size() - shown) + " more";
      msg += "\nfinish the campaign: run `hepsweep train` on it again (finished items are skipped; a result file that "
             "fails its checks is moved aside and its item trained again), or pass --allow-incomplete to aggregate the "
             "items that finished";
      throwInput(msg);
    }
    s.incomplete = problems;
  }
  if (s.items.empty())
    throwInput("no finished item in " + str::join(runDirs, ", ") + ": nothing to aggregate");

  for (std::size_t p = 0; p < pointParameters.size(); ++p) {
    PointSummary ps;
    ps.point = static_cast<std::int64_t>(p);
    ps.parameters = pointParameters[p];
    ps.foldsExpected = s.folds;
    for (const auto& key : racedOutKeys)
      if (const auto at = pointIndex.find(key); at != pointIndex.end() && at->second == ps.point) ++ps.foldsRacedOut;
    std::vector<double> objectives;
    std::vector<std::string> names;
    std::map<std::string, std::vector<double>> values;
    for (const auto& it : s.items) {
      if (it.point != ps.point) continue;
      ++ps.foldsDone;
      objectives.push_back(it.objective);
      for (const auto& [name, v] : it.metrics) {
        if (!values.count(name)) names.push_back(name);
        values[name].push_back(v);
      }
    }
    ps.objectiveMean = mean(objectives);
    ps.objectiveStd = sampleStd(objectives);
    for (const auto& name : names) {
      ps.metricMean.emplace_back(name, mean(values[name]));
      ps.metricStd.emplace_back(name, sampleStd(values[name]));
    }
    s.points.push_back(std::move(ps));
  }
  // NaN objectives (should a file hold one) rank last rather than breaking the ordering.
  std::sort(s.points.begin(), s.points.end(), [](const PointSummary& a, const PointSummary& b) {
    if (a.complete() != b.complete()) return a.complete();  // the ranking is of complete points
    const double x = std::isnan(a.objectiveMean) ? std::numeric_limits<double>::infinity() : a.objectiveMean;
    const double y = std::isnan(b.objectiveMean) ? std::numeric_limits<double>::infinity() : b.objectiveMean;
    if (x != y) return x < y;
    return a.point < b.point;
  });
  for (std::size_t r = 0; r < s.points.size(); ++r) s.points[r].rank = static_cast<int>(r + 1);
  for (const auto& it : s.items) s.wallSeconds += it.seconds;

  evaluateBest(s, o);
  evaluateAms(s);
  collectBaseline(s, runDirs, o.signalEfficiencies);

  std::int64_t nSplit[3] = {0, 0, 0};
  for (std::size_t i = 0; i < s.splitCounts.size() && i < 3; ++i) nSplit[i] = s.splitCounts[i].signal + s.splitCounts[i].background;
  s.nTrain = nSplit[0];
  s.nVal = nSplit[1];
  s.nTest = nSplit[2];
  if (!s.multiClass.empty() && !s.bestItems.empty()) {
    // No signal/background split counts: the best point's first fold says how many events it had.
    for (const auto& [name, v] : s.items[static_cast<std::size_t>(s.bestItems.front())].metrics) {
      if (name == "n_train") s.nTrain = static_cast<std::int64_t>(v);
      if (name == "n_val") s.nVal = static_cast<std::int64_t>(v);
      if (name == "n_test") s.nTest = static_cast<std::int64_t>(v);
    }
  }
  // The data file's own provenance, when it is still where the campaign read it.
  try {
    const io::DatasetInfo info = io::readDatasetInfo(s.dataFile);
    s.nSignal = info.nSignal;
    s.nBackground = info.nBackground;
    for (std::size_t i = 0; i < info.inputPaths.size(); ++i) {
      InputFile in;
      in.path = info.inputPaths[i];
      if (i < info.inputSha256.size()) in.sha256 = info.inputSha256[i];
      if (i < info.inputRows.size()) in.rows = info.inputRows[i];
      s.inputs.push_back(std::move(in));
    }
  } catch (const Error&) {
    // Moved or deleted since training: the counts stay 0 and the inputs unknown (the report says
    // so) rather than failing a summary that the result files alone can give.
  }
  return s;
}

}  // namespace hepsweep::aggregate
