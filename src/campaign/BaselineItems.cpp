#include "BaselineItems.hpp"

#include "RankZero.hpp"

#include <chrono>
#include <filesystem>

#include "hepsweep/baseline/Booster.hpp"
#include "hepsweep/baseline/Result.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/dist/GroupLayout.hpp"
#include "hepsweep/dist/WorkQueue.hpp"
#include "hepsweep/rundir/Manifest.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace hepsweep::campaign {
namespace fs = std::filesystem;
using rundir::ItemStatus;
using rundir::RunDirectory;
using Clock = std::chrono::steady_clock;

namespace {

struct BaselineItem {
  std::int64_t id = 0, point = 0;
  int fold = 0;
  baseline::BoosterParams params;
  std::string describe() const {
    return "baseline item " + std::to_string(id) + " (point " + std::to_string(point) + ", fold " +
           std::to_string(fold) + "): trees=" + std::to_string(params.trees) + " max_depth=" +
           std::to_string(params.maxDepth) + " learning_rate=" + str::formatDouble(params.learningRate, "%.6g");
  }
};

// The grid trees x max_depth x learning_rate (the last fastest) x folds; ids point * folds + fold.
std::vector<BaselineItem> planBaseline(const CampaignConfig& c) {
  std::vector<BaselineItem> items;
  std::int64_t point = 0;
  for (const int trees : c.baseline.trees)
    for (const int depth : c.baseline.maxDepth)
      for (const double rate : c.baseline.learningRate) {
        for (int f = 0; f < c.cv.folds; ++f) {
          BaselineItem it;
          it.point = point;
          it.fold = f;
          it.id = point * c.cv.folds + f;
          it.params.trees = trees;
          it.params.maxDepth = depth;
          it.params.learningRate = rate;
          it.params.earlyStoppingRounds = c.baseline.earlyStoppingRounds;
          it.params.seed = c.run.seed;
          it.params.threads = 1;
          items.push_back(it);
        }
        ++point;
      }
  return items;
}

// The raw features of a split's events, row-major, in the network's input order: the trees need
// no scaling, and see the data file's missing-value marker as missing.
std::vector<float> gatherFeatures(const train::PreparedData& d, const train::SplitData& s) {
  const std::size_t cols = d.source.columns.size();
  std::vector<float> out(static_cast<std::size_t>(s.size()) * cols);
  for (Eigen::Index e = 0; e < s.size(); ++e) {
    const float* row = d.source.row(s.tableRowOf(e));
    for (std::size_t j = 0; j < cols; ++j) out[static_cast<std::size_t>(e) * cols + j] = row[d.source.columns[j]];
  }
  const auto& p = d.preprocess;
  baseline::markMissing(out, p.hasMissingValue ? p.missingValue : std::numeric_limits<float>::quiet_NaN(),
                        p.usesMissing);
  return out;
}

baseline::SplitScores splitScores(const train::SplitData& s) {
  baseline::SplitScores out;
  out.rows.assign(s.rows.begin(), s.rows.end());
  out.labels.assign(s.labels.data(), s.labels.data() + s.labels.size());
  out.weights.assign(s.weights.data(), s.weights.data() + s.weights.size());
  return out;
}

// Trains one item and writes its result file.
void trainItem(const CampaignConfig& c, const BaselineItem& item, const CampaignData& data,
               const rundir::Manifest& manifest, const RunDirectory& dir, const Logger& log) {
  const train::RunConfig& cfg = c.run;
  const data::SplitRule rule = train::splitRule(cfg, c.cv.folds, item.fold);
  const train::PreparedData prepared =
      data.inMemory()
          ? train::prepareData(cfg, data.events(), rule, cfg.data.file, manifest.dataSha256, log)
          : train::prepareData(cfg, data.events(), data.reader(), rule, cfg.data.file, manifest.dataSha256, log,
                               train::RankShare{});
  const auto cols = static_cast<std::int64_t>(prepared.featureNames.size());
  baseline::ItemRecord r;
  r.train = splitScores(prepared.train);
  r.val = splitScores(prepared.val);
  r.test = splitScores(prepared.test);
  const std::vector<float> xTrain = gatherFeatures(prepared, prepared.train);
  const std::vector<float> xVal = gatherFeatures(prepared, prepared.val);
  const std::vector<float> xTest = gatherFeatures(prepared, prepared.test);
  const baseline::Matrix mTrain(xTrain, prepared.train.size(), cols, r.train.labels, r.train.weights);
  const baseline::Matrix mVal(xVal, prepared.val.size(), cols, r.val.labels, r.val.weights);
  const baseline::Matrix mTest(xTest, prepared.test.size(), cols);
  const auto start = Clock::now();
  const baseline::Booster booster =
      baseline::Booster::train(mTrain, prepared.val.size() > 0 ? &mVal : nullptr, item.params, &r.history);
  r.trainSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.train.scores = booster.predict(mTrain);
  r.val.scores = booster.predict(mVal);
  r.test.scores = booster.predict(mTest);
  r.model = booster.save(baseline::ModelFormat::Ubjson);
  r.id = item.id;
  r.point = item.point;
  r.fold = item.fold;
  r.folds = c.cv.folds;
  r.campaignSha256 = manifest.campaignSha256;
  r.dataFile = cfg.data.file;
  r.dataSha256 = manifest.dataSha256;
  r.configToml = toToml(c);
  r.params = item.params;
  r.featureNames = prepared.featureNames;
  r.missingValue = prepared.preprocess.hasMissingValue ? prepared.preprocess.missingValue
                                                       : std::numeric_limits<float>::quiet_NaN();
  r.usesMissing = prepared.preprocess.usesMissing;
  r.signalEfficiencies = cfg.metrics.signalEfficiencies;
  baseline::writeResult(dir.resultFile(item.id).string(), r);
  const auto m = baseline::computeMetrics(r);
  log.info(item.describe() + ": " + std::to_string(r.history.bestRound) + " trees kept of " +
           std::to_string(r.history.roundsRun) + ", trained in " + str::formatDouble(r.trainSeconds, "%.2f") +
           " s, test AUC " + str::formatDouble(m.testAuc, "%.4f"));
  dir.appendLog(item.id, "done: test AUC " + std::to_string(m.testAuc));
}

}  // namespace

std::optional<std::string> baselineResultProblem(const fs::path& path, std::int64_t id, const std::string& campaignSha) {
  try {
    const baseline::StoredResult s = baseline::readResult(path.string(), false);
    if (s.record.id != id) return "it is item " + std::to_string(s.record.id) + "'s";
    if (s.record.campaignSha256 != campaignSha) return "it belongs to another campaign (campaign sha256 " +
                                                       s.record.campaignSha256 + ")";
    return std::nullopt;
  } catch (const Error& e) {
    return std::string(e.what());
  }
}

std::vector<std::pair<std::int64_t, std::string>> baselineItemList(const CampaignConfig& c) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  if (!c.baseline.enabled) return out;
  for (const BaselineItem& it : planBaseline(c)) out.emplace_back(it.id, it.describe());
  return out;
}

BaselinePass runBaseline(const CampaignConfig& c, dist::Communicator& world, const RunOptions& options,
                         const Logger& log, const std::function<const CampaignData&()>& data) {
  BaselinePass pass;
  const std::vector<BaselineItem> items = planBaseline(c);
  const RunDirectory main(c.run.output.dir);
  RunDirectory dir(main.root() / "baseline");
  const std::string slice = options.sliceCount == 1 ? "all"
                                                    : std::to_string(options.sliceIndex) + "-of-" +
                                                          std::to_string(options.sliceCount);
  rundir::Manifest manifest;
  std::vector<std::int64_t> pending;
  onRankZero(world, [&] {
    if (!fs::exists(main.manifestFile()))
      throwInput("'" + main.manifestFile().string() + "' is missing: the baseline runs after the network's items, "
                 "which write it");
    manifest = rundir::readManifest(main.manifestFile());
    dir.create();
    removeStaleTemporaries(dir.root());
    if (options.fresh) {
      // As the network's pass: never clear what another process works in.
      const auto others = dir.otherLiveClaims();
      if (!others.empty())
        throwConfig("--fresh refused: '" + dir.root().string() + "' is in use by other processes (slices " +
                    str::join(others, ", ") + ")");
      dir.clear();
      dir.create();
    }
    dir.claim(slice);
    for (const auto& it : items) {
      if (it.id % options.sliceCount != options.sliceIndex) continue;
      ++pass.total;
      ItemStatus s = dir.status(it.id, 0);
      if (s == ItemStatus::Done) {
        if (const auto problem = baselineResultProblem(dir.resultFile(it.id), it.id, manifest.campaignSha256)) {
          const fs::path aside = rundir::setAside(dir.resultFile(it.id));
          log.warning(it.describe() + ": its result file is invalid (" + *problem + "); moved to '" +
                      aside.string() + "', training the item again");
          s = ItemStatus::Pending;
        }
      }
      if (s == ItemStatus::Done || (s == ItemStatus::Failed && !options.retryFailed)) continue;
      pending.push_back(it.id);
    }
  });
  world.broadcast(manifest.dataSha256, 0);
  world.broadcast(manifest.campaignSha256, 0);
  std::int64_t n[2] = {static_cast<std::int64_t>(pending.size()), pass.total};
  world.broadcast(std::span<std::int64_t>(n, 2), 0);
  pending.resize(static_cast<std::size_t>(n[0]));
  pass.total = n[1];
  world.broadcast(std::span<std::int64_t>(pending), 0);

  if (!pending.empty()) {
    const CampaignData& events = data();
    const dist::GroupLayout groups = dist::makeGroups(world, 1);
    const std::unique_ptr<dist::WorkQueue> queue = world.makeWorkQueue(pending);
    for (;;) {
      if (options.stopRequested && options.stopRequested->load()) {
        pass.interrupted = true;
        break;
      }
      const auto id = dist::nextItemForGroup(*queue, *groups.group);
      if (!id) break;
      const BaselineItem& item = items[static_cast<std::size_t>(*id)];
      log.info("start " + item.describe());
      try {
        fs::create_directories(dir.itemDir(item.id));
        trainItem(c, item, events, manifest, dir, log);
      } catch (const Error& e) {
        if (e.category() == ErrorCategory::Io || e.category() == ErrorCategory::Internal) throw;
        dir.markFailed(item.id, std::string(categoryName(e.category())) + ": " + e.what());
        dir.appendLog(item.id, std::string("failed: ") + e.what());
        log.warning(item.describe() + " failed: " + e.what());
      }
      ++pass.ranHere;
    }
  }
  world.barrier();
  std::int64_t ran[2] = {pass.ranHere, pass.interrupted ? 1 : 0};
  world.allreduce(std::span<std::int64_t>(ran, 1), dist::ReduceOp::Sum);
  world.allreduce(std::span<std::int64_t>(ran + 1, 1), dist::ReduceOp::Max);
  pass.ranHere = ran[0];
  pass.interrupted = ran[1] != 0;
  for (const auto& it : items) {
    if (it.id % options.sliceCount != options.sliceIndex) continue;
    const ItemStatus s = dir.status(it.id, 0);
    pass.done += s == ItemStatus::Done;
    pass.failed += s == ItemStatus::Failed;
  }
  if (world.rank() == 0) {
    dir.release();
    log.info("baseline: " + std::to_string(pass.done) + " of " + std::to_string(pass.total) + " items done, " +
             std::to_string(pass.failed) + " failed (" + dir.root().string() + ")");
  }
  return pass;
}

}  // namespace hepsweep::campaign
