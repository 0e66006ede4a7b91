#include "hepsweep/campaign/Campaign.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>

#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/dist/GradientReduction.hpp"
#include "hepsweep/dist/GroupLayout.hpp"
#include "hepsweep/dist/WorkQueue.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/search/Searcher.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace fs = std::filesystem;

namespace hepsweep::campaign {
namespace {

using Clock = std::chrono::steady_clock;

// Rank 0 does what must happen once (run directory checks, claims, manifest); a failure there
// becomes the same error on every rank instead of a hang.
template <class F>
void onRankZero(dist::Communicator& world, F&& f) {
  std::string error;
  std::int64_t category = 0;
  if (world.rank() == 0) {
    try {
      f();
    } catch (const Error& e) {
      error = e.what();
      category = static_cast<std::int64_t>(e.category());
    }
  }
  world.broadcast(error, 0);
  std::int64_t cat[1] = {category};
  world.broadcast(std::span<std::int64_t>(cat, 1), 0);
  if (!error.empty()) throw Error(static_cast<ErrorCategory>(cat[0]), error);
}

std::string formatDuration(double s) {
  char buf[32];
  if (s < 0 || s > 1e7) return "?";
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

void writeManifest(const RunDirectory& dir, const CampaignConfig& c, const std::string& toml,
                   const std::vector<Item>& items, const std::string& dataSha) {
  io::h5::writeAtomically(dir.manifestFile().string(), [&](io::h5::File& f) {
    f.setAttr("format", std::string("hepsweep-campaign-manifest"));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("config", toml);
    f.setAttr("seed", static_cast<std::int64_t>(c.run.seed));
    f.setAttr("version", versionString());
    f.setAttr("data_file", c.run.data.file);
    f.setAttr("data_sha256", dataSha);
    f.setAttr("folds", static_cast<std::int64_t>(c.cv.folds));
    f.setAttr("fold_rule", std::string("fold = rng::below(streamKey(seed, Fold), key, folds); key = event id "
                                       "(ids dataset) when the data has one, else the row index"));
    std::vector<std::int64_t> id, point, fold;
    std::vector<std::string> overrides;
    for (const auto& it : items) {
      id.push_back(it.id);
      point.push_back(it.point);
      fold.push_back(it.fold);
      overrides.push_back(str::join(it.overrides, " "));
    }
    f.write<std::int64_t>("items/id", id, false);
    f.write<std::int64_t>("items/point", point, false);
    f.write<std::int64_t>("items/fold", fold, false);
    f.writeStrings("items/overrides", overrides);
  });
}

// Per-epoch duties of the rank that writes the item: checkpoint, heartbeat, log, progress.
class ItemBookkeeping : public train::Callback {
 public:
  ItemBookkeeping(const RunDirectory& dir, const Item& item, train::Trainer& trainer, bool writer, bool verbose,
                  std::function<void()> progress)
      : dir_(dir), item_(item), trainer_(trainer), writer_(writer), verbose_(verbose), progress_(std::move(progress)) {}

  bool onEpochEnd(const train::EpochRecord& r, nn::Network&) override {
    if (writer_) {
      train::writeCheckpoint(dir_.checkpointFile(item_.id).string(), trainer_.checkpoint());
      dir_.touchHeartbeat(item_.id);
      char line[200];
      std::snprintf(line, sizeof line, "epoch %d  loss %.6f  val_loss %.6f  val_auc %.6f  %.2fs", r.epoch,
                    r.trainLoss, r.valLoss, r.valAuc, r.seconds);
      dir_.appendLog(item_.id, line);
      if (verbose_) {
        std::printf("[item %lld] %s\n", static_cast<long long>(item_.id), line);
        std::fflush(stdout);
      }
    }
    if (progress_) progress_();
    return false;
  }

 private:
  const RunDirectory& dir_;
  const Item& item_;
  train::Trainer& trainer_;
  bool writer_;
  bool verbose_;
  std::function<void()> progress_;
};

}  // namespace

std::string Item::describe() const {
  std::string s = "item " + std::to_string(id) + " (point " + std::to_string(point) + ", fold " + std::to_string(fold) + ")";
  if (!overrides.empty()) s += ": " + str::join(overrides, " ");
  return s;
}

std::vector<Item> planItems(const CampaignConfig& c) {
  std::vector<search::Point> points;
  if (c.search.method == "none" || c.search.space.empty()) {
    points.emplace_back();
  } else {
    auto searcher = search::makeSearcher(c.search.method, c.search.space, c.search.budget, c.run.seed);
    points = searcher->propose(searcher->totalPoints());
  }
  std::vector<Item> items;
  const int k = c.cv.folds;
  for (std::size_t p = 0; p < points.size(); ++p)
    for (int f = 0; f < k; ++f) {
      Item it;
      it.point = static_cast<std::int64_t>(p);
      it.fold = f;
      it.id = it.point * k + f;
      it.overrides = points[p].values.empty() ? std::vector<std::string>{} : points[p].toOverrides();
      items.push_back(std::move(it));
    }
  return items;
}

RunSummary runCampaign(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                       const RunOptions& options, const Logger& log) {
  const auto t0 = Clock::now();
  if (options.sliceCount < 1 || options.sliceIndex < 0 || options.sliceIndex >= options.sliceCount)
    throwConfig("--items I/N needs 0 <= I < N, got " + std::to_string(options.sliceIndex) + "/" + std::to_string(options.sliceCount));
  RunDirectory dir(c.run.output.dir);
  const std::vector<Item> items = planItems(c);
  const std::string slice = options.sliceCount == 1 ? "all" : std::to_string(options.sliceIndex) + "-of-" + std::to_string(options.sliceCount);

  std::string dataSha;
  onRankZero(world, [&] {
    if (fs::exists(dir.campaignFile())) {
      if (options.fresh) {
        dir.clear();
      } else {
        const CampaignConfig previous = parseCampaign(readTextFile(dir.campaignFile()), dir.campaignFile().string());
        const auto diffs = diffCampaigns(previous, c);
        if (!diffs.empty())
          throwConfig("run directory '" + dir.root().string() + "' holds a different campaign; differing keys:\n  " +
                      str::join(diffs, "\n  ") + "\nuse another output.dir, or --fresh to discard what it holds");
      }
    }
    dir.claim(slice);
    dataSha = sha256File(c.run.data.file);
    if (!fs::exists(dir.campaignFile())) writeTextFile(dir.campaignFile(), campaignToml);
    if (!fs::exists(dir.manifestFile())) writeManifest(dir, c, campaignToml, items, dataSha);
  });
  world.broadcast(dataSha, 0);

  // Items of this slice that still need work.
  std::vector<std::int64_t> pending;
  std::int64_t inSlice = 0;
  for (const auto& it : items) {
    if (it.id % options.sliceCount != options.sliceIndex) continue;
    ++inSlice;
    const ItemStatus s = dir.status(it.id, 0);
    if (s == ItemStatus::Done || (s == ItemStatus::Failed && !options.retryFailed)) continue;
    pending.push_back(it.id);
  }
  // Every rank must agree on the list: take rank 0's view.
  {
    std::vector<std::int64_t> n{static_cast<std::int64_t>(pending.size())};
    world.broadcast(std::span<std::int64_t>(n), 0);
    pending.resize(static_cast<std::size_t>(n[0]));
    world.broadcast(std::span<std::int64_t>(pending), 0);
  }

  dist::GroupLayout groups = dist::makeGroups(world, c.resources.ranksPerItem);
  const dist::GradientSum reduction =
      c.resources.reduction == "fast" ? dist::GradientSum::Fast : dist::GradientSum::Deterministic;

  // Every rank holds the data; items differ in rows and configuration, not in the file.
  const data::Dataset all = pending.empty() ? data::Dataset{} : io::readDataset(c.run.data.file);
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(all.rows()));
  for (std::size_t i = 0; i < keys.size(); ++i)
    keys[i] = all.hasIds() ? static_cast<std::uint64_t>(all.ids[i]) : static_cast<std::uint64_t>(i);
  const std::span<const float> labels(all.labels.data(), static_cast<std::size_t>(all.rows()));

  auto lastProgress = Clock::now();
  const auto progress = [&](bool force) {
    if (world.rank() != 0 || options.quiet) return;
    const double since = std::chrono::duration<double>(Clock::now() - lastProgress).count();
    if (!force && since < options.progressSeconds) return;
    lastProgress = Clock::now();
    std::int64_t done = 0, failed = 0, running = 0;
    for (const auto& it : items) {
      if (it.id % options.sliceCount != options.sliceIndex) continue;
      switch (dir.status(it.id, 120)) {
        case ItemStatus::Done: ++done; break;
        case ItemStatus::Failed: ++failed; break;
        case ItemStatus::Running: ++running; break;
        case ItemStatus::Pending: break;
      }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::int64_t ranNow = done + failed - (inSlice - static_cast<std::int64_t>(pending.size()));
    const std::int64_t left = inSlice - done - failed;
    const double eta = ranNow > 0 ? elapsed / static_cast<double>(ranNow) * static_cast<double>(left) : -1;
    std::printf("[%s] items %lld done, %lld running, %lld failed of %lld; elapsed %s, left ~%s\n",
                slice.c_str(), static_cast<long long>(done), static_cast<long long>(running),
                static_cast<long long>(failed), static_cast<long long>(inSlice), formatDuration(elapsed).c_str(),
                left == 0 ? "0s" : formatDuration(eta).c_str());
    std::fflush(stdout);
  };

  std::int64_t ranHere = 0;
  {
    std::unique_ptr<dist::WorkQueue> queue = world.makeWorkQueue(pending);
    progress(true);
    while (auto next = dist::nextItemForGroup(*queue, *groups.group)) {
      const Item& item = items[static_cast<std::size_t>(*next)];
      const bool writer = groups.leader;
      log.info("start " + item.describe());
      try {
        // Applied to the whole campaign so that campaign rules (folds without data.split.val)
        // validate the item's configuration.
        CampaignConfig itemCampaign = c;
        applyOverrides(itemCampaign, item.overrides);
        const train::RunConfig& cfg = itemCampaign.run;
        const data::Dataset ds = cfg.data.features.empty() ? data::Dataset{} : all.selectFeatures(cfg.data.features);
        const data::Dataset& used = cfg.data.features.empty() ? all : ds;
        const data::Partition part = data::foldPartition(labels, keys, cfg.data.split, c.cv.folds, item.fold, cfg.seed);
        const train::PreparedData prepared = train::prepareData(cfg, used, c.run.data.file, dataSha, log, &part);
        train::Trainer trainer(cfg, prepared, log, groups.group.get(), reduction);
        if (fs::exists(dir.checkpointFile(item.id))) {
          trainer.resume(train::readCheckpoint(dir.checkpointFile(item.id).string()));
          log.info("resumed " + item.describe() + " after epoch " + std::to_string(trainer.epochsDone()));
        }
        ItemBookkeeping book(dir, item, trainer, writer, options.verbose, [&] {
          queue->poll();
          progress(false);
        });
        if (writer) dir.touchHeartbeat(item.id);
        const train::TrainResult result = trainer.fit({&book});
        if (writer) {
          train::RunRecord rec{toToml(c), options.commandLine, {}, {}};
          rec.textAttrs = {{"item_overrides", str::join(item.overrides, " ")}, {"run_dir", dir.root().string()}};
          rec.intAttrs = {{"item_id", item.id}, {"point_id", item.point}, {"fold", item.fold},
                          {"folds", c.cv.folds}, {"ranks_per_item", c.resources.ranksPerItem}};
          train::writeResultFile(dir.resultFile(item.id).string(), cfg, rec, prepared, result, trainer.network());
          std::error_code ec;
          fs::remove(dir.checkpointFile(item.id), ec);
          fs::remove(dir.heartbeatFile(item.id), ec);
          dir.appendLog(item.id, "done: val_loss " + std::to_string(result.val.loss) + ", test AUC " + std::to_string(result.test.auc));
        }
      } catch (const Error& e) {
        // A diverging or impossible point fails alone; file-system trouble stops the job.
        if (e.category() == ErrorCategory::Io || e.category() == ErrorCategory::Internal) throw;
        if (writer) {
          dir.markFailed(item.id, std::string(categoryName(e.category())) + ": " + e.what());
          dir.appendLog(item.id, std::string("failed: ") + e.what());
        }
        log.warning(item.describe() + " failed: " + e.what());
      }
      ++ranHere;
      progress(true);
    }
  }
  world.barrier();
  RunSummary summary;
  summary.runDir = dir.root();
  summary.total = inSlice;
  for (const auto& it : items) {
    if (it.id % options.sliceCount != options.sliceIndex) continue;
    const ItemStatus s = dir.status(it.id, 0);
    summary.done += s == ItemStatus::Done;
    summary.failed += s == ItemStatus::Failed;
  }
  // Items trained by this job: each group's leader counts its own.
  std::int64_t ran[1] = {groups.leader ? ranHere : 0};
  world.allreduce(std::span<std::int64_t>(ran, 1), dist::ReduceOp::Sum);
  summary.ranHere = ran[0];
  summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (world.rank() == 0) dir.release();
  return summary;
}

StatusReport campaignStatus(const fs::path& runDir) {
  const RunDirectory dir(runDir);
  if (!fs::exists(dir.campaignFile()))
    throwIo("'" + runDir.string() + "' is not a campaign run directory (no campaign.toml)");
  const CampaignConfig c = parseCampaign(readTextFile(dir.campaignFile()), dir.campaignFile().string());
  StatusReport r;
  for (const auto& it : planItems(c)) {
    ++r.total;
    switch (dir.status(it.id)) {
      case ItemStatus::Done: ++r.done; break;
      case ItemStatus::Running: ++r.running; break;
      case ItemStatus::Failed:
        ++r.failed;
        r.failures.emplace_back(it.id, str::trim(dir.failureReason(it.id).value_or("")));
        break;
      case ItemStatus::Pending:
        ++r.pending;
        r.pendingItems.push_back(it.id);
        break;
    }
  }
  return r;
}

}  // namespace hepsweep::campaign
