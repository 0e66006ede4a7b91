// One item on a rank group: its data prepared, the network trained with checkpoints, heartbeats
// and progress, resumed from its checkpoint after a kill, and its result file written.
#include "CampaignRun.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ItemStopping.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/train/ParameterMetrics.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace fs = std::filesystem;

namespace hepsweep::campaign::detail {
namespace {

using rundir::ItemStatus;

// Why a checkpoint cannot be resumed by `item` of this campaign, or nullopt: another item's or
// campaign's, or an epoch count that its history, the configuration or its best epoch contradict.
std::optional<std::string> checkpointProblem(const train::Checkpoint& k, const Item& item, const std::string& campaignSha,
                                             const train::RunConfig& cfg) {
  if (k.itemId != item.id)
    return "it is item " + std::to_string(k.itemId) + "'s, not item " + std::to_string(item.id) + "'s";
  if (k.campaignSha256 != campaignSha) return "it belongs to another campaign (campaign sha256 " + k.campaignSha256 + ")";
  if (k.epochsDone < 1 || k.epochsDone > cfg.train.epochs)
    return "it records " + std::to_string(k.epochsDone) + " epochs done, outside 1.." + std::to_string(cfg.train.epochs);
  if (static_cast<int>(k.history.size()) != k.epochsDone)
    return "it records " + std::to_string(k.epochsDone) + " epochs done but holds the history of " +
           std::to_string(k.history.size());
  if (k.bestEpoch < 0 || k.bestEpoch > k.epochsDone)
    return "its best epoch " + std::to_string(k.bestEpoch) + " is outside 0.." + std::to_string(k.epochsDone);
  return std::nullopt;
}

// Collective over the item's group: every rank resumes from the item's checkpoint, or none does
// and the writer moves an invalid checkpoint aside (never deleting it) before the item trains from
// its first epoch.
void resumeFromCheckpoint(train::Trainer& trainer, const RunDirectory& dir, const Item& item,
                          const std::string& campaignSha, const train::RunConfig& cfg, dist::Communicator& group,
                          bool writer, const Logger& log) {
  const fs::path path = dir.checkpointFile(item.id);
  std::optional<train::Checkpoint> k;
  std::string problem;
  if (fs::exists(path)) {
    try {
      k = train::readCheckpoint(path.string());
      if (const auto p = checkpointProblem(*k, item, campaignSha, cfg)) problem = *p;
    } catch (const Error& e) {
      if (e.category() == ErrorCategory::Internal) throw;
      problem = e.what();
    }
  }
  std::int64_t bad[1] = {problem.empty() ? 0 : 1};
  group.allreduce(std::span<std::int64_t>(bad, 1), dist::ReduceOp::Max);
  if (bad[0] != 0) {
    if (writer && fs::exists(path)) {
      const fs::path aside = rundir::setAside(path);
      log.warning(item.describe() + ": its checkpoint cannot be resumed (" + (problem.empty() ? "see another rank" : problem) +
                  "); moved to '" + aside.string() + "', training from the first epoch");
      dir.appendLog(item.id, "checkpoint set aside as " + aside.filename().string() + ": " + problem);
    }
    group.barrier();
    return;
  }
  if (!k) return;
  // resume() refuses a checkpoint whose buffers do not fit this network: then the configuration
  // changed under the item, which is the campaign check's business, not a file to set aside.
  trainer.resume(*k);
  log.info("resumed " + item.describe() + " after epoch " + std::to_string(trainer.epochsDone()));
}

// Per-epoch duties of the rank that writes the item: checkpoint, heartbeat, log, progress.
// The checkpoint is written after the first epoch, then when kCheckpointInterval has passed since
// the last one, and always when the item stops at this epoch boundary (signal, time limit): with
// short epochs a checkpoint per epoch was the largest part of the per-epoch work that only the
// writing rank does (a group of 2 waited for it every epoch). A run killed without warning
// resumes from at most kCheckpointInterval (plus an epoch) earlier, with the same results.
class ItemBookkeeping : public train::Callback {
 public:
  static constexpr std::chrono::seconds kCheckpointInterval{5};

  // `progress` polls the item source, shows progress and returns whether the group stops here.
  // `epochs`: where each epoch's line also goes (--verbose), or null.
  ItemBookkeeping(const RunDirectory& dir, const Item& item, std::string campaignSha, train::Trainer& trainer,
                  bool writer, const Logger* epochs, std::function<bool()> progress)
      : dir_(dir), item_(item), campaignSha_(std::move(campaignSha)), trainer_(trainer), writer_(writer),
        epochs_(epochs), progress_(std::move(progress)) {}

  train::CallbackResult onEpochEnd(const train::EpochRecord& r, nn::Network&) override {
    const bool stopping = progress_ && progress_();
    if (writer_) {
      const auto now = Clock::now();
      if (stopping || !lastCheckpoint_ || now - *lastCheckpoint_ >= kCheckpointInterval) {
        train::Checkpoint c = trainer_.checkpoint();
        c.itemId = item_.id;
        c.campaignSha256 = campaignSha_;
        train::writeCheckpoint(dir_.checkpointFile(item_.id).string(), c);
        lastCheckpoint_ = now;
      }
      dir_.touchHeartbeat(item_.id);
      char line[200];
      std::snprintf(line, sizeof line, "epoch %d  loss %.6f  val_loss %.6f  val_auc %.6f  %.2fs", r.epoch,
                    r.trainLoss, r.valLoss, r.valAuc, r.seconds);
      dir_.appendLog(item_.id, line);
      if (epochs_) epochs_->info("[item " + std::to_string(item_.id) + "] " + line);
    }
    return stopping ? train::CallbackResult::Interrupt : train::CallbackResult::Continue;
  }

 private:
  const RunDirectory& dir_;
  const Item& item_;
  std::string campaignSha_;
  train::Trainer& trainer_;
  bool writer_;
  const Logger* epochs_;
  std::function<bool()> progress_;
  std::optional<Clock::time_point> lastCheckpoint_;
};

}  // namespace

void ProgressReporter::report(bool force) {
  if (!enabled_) return;
  const double since = std::chrono::duration<double>(Clock::now() - last_).count();
  if (!force && since < options_.progressSeconds) return;
  last_ = Clock::now();
  std::int64_t done = 0, failed = 0, running = 0, total = 0, racedOut = 0;
  for (const auto& it : items_) {  // an asynchronous search adds items as it goes
    if (it.id % options_.sliceCount != options_.sliceIndex) continue;
    ++total;
    switch (dir_.status(it.id, 120)) {
      case ItemStatus::Done: ++done; break;
      case ItemStatus::Failed: ++failed; break;
      case ItemStatus::Running: ++running; break;
      case ItemStatus::RacedOut: ++racedOut; break;
      case ItemStatus::Pending: break;
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const std::int64_t ranNow = done + failed - alreadyFinished_;
  const std::int64_t left = total - done - failed - racedOut;  // raced-out items never train
  const double eta = ranNow > 0 ? elapsed / static_cast<double>(ranNow) * static_cast<double>(left) : -1;
  options_.progress.info("[" + slice_ + "] items " + std::to_string(done) + " done, " + std::to_string(running) +
                         " running, " + std::to_string(failed) + " failed of " + std::to_string(total) +
                         "; elapsed " + formatDuration(elapsed) + ", left ~" +
                         (left == 0 ? std::string("0s") : formatDuration(eta)));
}

ItemRunner::Outcome ItemRunner::run(const Item& item, const std::function<bool()>& onEpoch) {
  const bool writer = groups_.leader;
  log_.info("start " + item.describe());
  try {
    return train(item, writer, onEpoch);
  } catch (const Error& e) {
    // A diverging or impossible point fails alone; file-system trouble stops the job.
    if (e.category() == ErrorCategory::Io || e.category() == ErrorCategory::Internal) throw;
    if (writer) {
      dir_.markFailed(item.id, std::string(categoryName(e.category())) + ": " + e.what());
      dir_.appendLog(item.id, std::string("failed: ") + e.what());
    }
    log_.warning(item.describe() + " failed: " + e.what());
    return Outcome::Failed;
  }
}

ItemRunner::Outcome ItemRunner::train(const Item& item, bool writer, const std::function<bool()>& onEpoch) {
  // Applied to the whole campaign so that campaign rules (folds without data.split.val)
  // validate the item's configuration.
  CampaignConfig itemCampaign = c_;
  applyOverrides(itemCampaign, item.overrides);
  itemCampaign.run.metrics.objective = c_.search.objective;  // the result file stores its value
  const train::RunConfig& cfg = itemCampaign.run;
  const data::SplitRule rule = train::splitRule(cfg, c_.cv.folds, item.fold);
  const train::RankShare share{groups_.group->size(), groups_.group->rank()};
  const auto preparing = Clock::now();
  const train::PreparedData prepared =
      data_->inMemory()
          ? train::prepareData(cfg, data_->events(), rule, c_.run.data.file, stamp_.dataSha, log_, &fits_)
          : train::prepareData(cfg, data_->events(), data_->reader(), rule, c_.run.data.file, stamp_.dataSha, log_,
                               share, &fits_);
  const double prepareSeconds = std::chrono::duration<double>(Clock::now() - preparing).count();
  // Once per job (world rank 0), not once per item: every item of the campaign shares the cause.
  if (!dataWarned_ && writer && world_.rank() == 0) {
    if (const std::string w = train::weightImbalanceWarning(cfg, prepared); !w.empty()) {
      log_.warning(w);
      dataWarned_ = true;
    }
    // A label copy is a property of the data file, not of an item: one scan of the training
    // rows per job (it reads every feature of every row).
    if (!labelChecked_) {
      labelChecked_ = true;
      if (const std::string w = train::labelCopyWarning(prepared); !w.empty()) {
        log_.warning(w);
        dataWarned_ = true;
      }
    }
  }
  train::Trainer trainer(cfg, prepared, log_, groups_.group.get(), c_.resources.reduction);
  if (writer) removeStaleTemporaries(dir_.itemDir(item.id));
  resumeFromCheckpoint(trainer, dir_, item, stamp_.campaignSha, cfg, *groups_.group, writer, log_);
  ItemBookkeeping book(dir_, item, stamp_.campaignSha, trainer, writer,
                       options_.verbose ? &options_.progress : nullptr, onEpoch);
  if (writer) dir_.touchHeartbeat(item.id);
  const std::unique_ptr<ItemStopping> stopping =
      makeItemStopping(c_, dir_, item, *groups_.group, trainer.checkpoint().history);
  std::vector<train::Callback*> callbacks{&book};
  if (stopping) callbacks.push_back(stopping.get());
  const train::TrainResult result = trainer.fit(callbacks);
  if (result.interrupted) {
    log_.info("stopped " + item.describe() + " at an epoch boundary; its checkpoint resumes it");
    return Outcome::Interrupted;
  }
  if (writer) writeResult(item, itemCampaign, prepared, result, trainer, stopping.get(), prepareSeconds);
  return Outcome::Finished;
}

void ItemRunner::writeResult(const Item& item, const CampaignConfig& itemCampaign, const train::PreparedData& prepared,
                 const train::TrainResult& result, const train::Trainer& trainer, const ItemStopping* stopping,
                 double prepareSeconds) {
  train::RunRecord rec;
  rec.configToml = toToml(itemCampaign);
  rec.commandLine = options_.commandLine;
  rec.item = rundir::ItemIdentity{item.id, item.point, item.fold, c_.cv.folds,
                                  rundir::fromAssignments(item.overrides), dir_.root().string(),
                                  c_.resources.ranksPerItem, stamp_.campaignSha};
  if (stopping) stopping->record(rec);
  std::optional<train::ParameterMetrics> perValue;
  if (!itemCampaign.run.data.parameter.empty()) {
    perValue = train::parameterMetrics(itemCampaign.run, prepared, trainer.network());
    rec.writeExtra = [&](const io::h5::File& f) { train::writeParameterMetrics(f, itemCampaign.run, *perValue); };
  }
  const auto writing = Clock::now();
  train::writeResultFile(dir_.resultFile(item.id).string(), itemCampaign.run, rec, prepared, result,
                         trainer.network());
  log_.info(item.describe() + ": data prepared in " + str::formatDouble(prepareSeconds, "%.2f") +
            " s, training loop " + str::formatDouble(result.trainSeconds, "%.2f") + " s, evaluation " +
            str::formatDouble(result.evaluateSeconds, "%.2f") + " s, result written in " +
            str::formatDouble(std::chrono::duration<double>(Clock::now() - writing).count(), "%.2f") + " s");
  std::error_code ec;
  fs::remove(dir_.checkpointFile(item.id), ec);
  fs::remove(dir_.heartbeatFile(item.id), ec);
  if (stopping && stopping->decision()) {
    dir_.appendLog(item.id, stopping->describe());
    log_.info(item.describe() + " " + stopping->describe());
  }
  dir_.appendLog(item.id, "done: val_loss " + std::to_string(result.val.loss) + ", test AUC " +
                              std::to_string(result.test.auc));
}

}  // namespace hepsweep::campaign::detail
