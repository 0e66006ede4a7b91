#include "hepsweep/campaign/Campaign.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <optional>

#include "BaselineItems.hpp"
#include "CampaignData.hpp"
#include "RankZero.hpp"
#include "ItemStopping.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/dist/GradientReduction.hpp"
#include "hepsweep/dist/GroupLayout.hpp"
#include "hepsweep/dist/SharedLock.hpp"
#include "hepsweep/dist/WorkQueue.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/rundir/Manifest.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/search/Schedule.hpp"
#include "hepsweep/search/SearchFile.hpp"
#include "hepsweep/search/Searcher.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace fs = std::filesystem;

namespace hepsweep::campaign {

using rundir::ItemStatus;
using rundir::readTextFile;
using rundir::RunDirectory;
using rundir::writeTextFile;
namespace {

using Clock = std::chrono::steady_clock;

// Collective over `group`: true on every rank when any rank of it saw the stop request, so a
// group never splits between stopping and training on.
bool stopAgreed(dist::Communicator& group, const RunOptions& options) {
  if (options.stopRequested == nullptr) return false;
  std::int64_t flag[1] = {options.stopRequested->load() ? 1 : 0};
  group.allreduce(std::span<std::int64_t>(flag, 1), dist::ReduceOp::Max);
  return flag[0] != 0;
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

// What a job established about its inputs, recorded in the manifest and every result: the data
// file's sha256 (with its size and modification time, so that a resume can trust it without
// hashing again) and the campaign's.
struct JobStamp {
  std::string dataSha, campaignSha;
  std::int64_t dataSize = 0, dataMtime = 0;
};

// Size and modification time (ns) of a file, as stat(2) gives them.
std::pair<std::int64_t, std::int64_t> sizeAndTime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throwIo("cannot read '" + path + "': " + std::strerror(errno));
  return {static_cast<std::int64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + static_cast<std::int64_t>(st.st_mtim.tv_nsec)};
}

void writeManifest(const RunDirectory& dir, const CampaignConfig& c, const std::string& toml,
                   const std::vector<Item>& items, const JobStamp& stamp) {
  rundir::Manifest m;
  m.config = toml;
  m.seed = c.run.seed;
  m.version = versionString();
  m.dataFile = c.run.data.file;
  m.dataSha256 = stamp.dataSha;
  m.dataSize = stamp.dataSize;
  m.dataMtime = stamp.dataMtime;
  m.campaignSha256 = stamp.campaignSha;
  m.folds = c.cv.folds;
  m.foldRule = "fold = rng::below(streamKey(seed, Fold), key, folds); key = event id (ids dataset) when the data has "
               "one, else the row index";
  for (const auto& it : items) m.items.push_back({it.id, it.point, it.fold, rundir::fromAssignments(it.overrides)});
  rundir::writeManifest(dir.manifestFile(), m);
}

// The run directory's manifest, refused when it is of format 1 (this version does not add items of
// format 2 to it) or unreadable, with what to do.
rundir::Manifest readManifestOf(const RunDirectory& dir) {
  rundir::Manifest m;
  try {
    m = rundir::readManifest(dir.manifestFile());
  } catch (const Error& e) {
    throwInput(std::string(e.what()) + ". The manifest lists the campaign's items: without it the run directory "
               "cannot be resumed safely; restore it from a copy, or start a new output.dir (or --fresh)");
  }
  if (m.formatVersion < rundir::kManifestFormatVersion)
    throwConfig("run directory '" + dir.root().string() + "' was written by " + m.version + " (manifest format " +
                std::to_string(m.formatVersion) + "), whose result files keep every split and score; this hepsweep "
                "writes format " + std::to_string(rundir::kManifestFormatVersion) + " and does not add items to it. "
                "Aggregate it as it is (`hepsweep aggregate` reads both), or train into another output.dir (or --fresh)");
  return m;
}

// What identifies a campaign's results (checkpoints and result files carry it): its resolved
// configuration but the output directory, so a run directory can be moved and resumed.
std::string campaignIdentity(const CampaignConfig& c) {
  // Where the run lives and how many ranks train an item do not change its results.
  CampaignConfig anywhere = c;
  anywhere.run.output.dir.clear();
  anywhere.resources = ResourcesConfig{};
  return sha256Hex(toToml(anywhere));
}

// The run directory holds this campaign: its campaign.toml is the one the manifest recorded (not
// edited since) and the same as `c` in every key but output.dir (a run directory may be moved)
// and resources.* (a resumed campaign may run on more or fewer ranks per item).
void checkSameCampaign(const RunDirectory& dir, const CampaignConfig& c, const std::optional<rundir::Manifest>& m) {
  const std::string text = readTextFile(dir.campaignFile());
  if (m && !m->config.empty() && text != m->config)
    throwInput("'" + dir.campaignFile().string() + "' was changed after the campaign started (it is no longer the "
               "campaign the manifest records): the run directory no longer says what its results were trained with. "
               "Put the original back (the manifest's 'config' attribute holds it), or start a new output.dir");
  const CampaignConfig previous = parseCampaign(text, dir.campaignFile().string());
  std::vector<std::string> diffs;
  for (const auto& d : diffCampaigns(previous, c))
    if (!str::startsWith(d, "output.dir:") && !str::startsWith(d, "resources.")) diffs.push_back(d);
  if (!diffs.empty())
    throwConfig("run directory '" + dir.root().string() + "' holds a different campaign; differing keys:\n  " +
                str::join(diffs, "\n  ") + "\nuse another output.dir, or --fresh to discard what it holds");
}

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

// Every fold must validate on events of both classes: refused up front, before any item directory
// is made, when cv.folds exceeds what the smaller class has outside the test hold-out.
void checkFolds(const CampaignConfig& c, const data::EventTable& events) {
  if (c.cv.folds <= 1) return;
  std::int64_t counts[2] = {0, 0};
  for (const float l : events.labels) ++counts[l > 0.5f ? 1 : 0];
  const double outside = 1.0 - c.run.data.split.test;
  const auto smaller = static_cast<std::int64_t>(static_cast<double>(std::min(counts[0], counts[1])) * outside);
  if (c.cv.folds > smaller)
    throwConfig("cv.folds = " + std::to_string(c.cv.folds) + " but the smaller class has only " + std::to_string(smaller) +
                " events outside the test split (" + std::to_string(counts[1]) + " signal, " + std::to_string(counts[0]) +
                " background in all): every fold needs events of both classes; use fewer folds");
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

namespace {

// The points a Bayesian search has proposed so far (none before its first round).
std::vector<search::Point> proposedPoints(const CampaignConfig& c, const fs::path& runDir) {
  const fs::path path = search::searchFilePath(runDir);
  const auto json = search::readSearchStateJson(path);
  if (!json) return {};
  return search::stateFromJson(*json, c.search.space, path.string()).proposals;
}

// Points x folds, in id order.
std::vector<Item> itemsOf(const std::vector<search::Point>& points, int k) {
  std::vector<Item> items;
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

}  // namespace

std::string Item::describe() const {
  std::string s = "item " + std::to_string(id) + " (point " + std::to_string(point) + ", fold " + std::to_string(fold) + ")";
  if (!overrides.empty()) s += ": " + str::join(overrides, " ");
  return s;
}

std::vector<Item> planItems(const CampaignConfig& c) {
  std::vector<search::Point> points;
  if (c.search.method == SearchMethod::None || c.search.space.empty()) {
    points.emplace_back();
  } else if (c.search.method == SearchMethod::Bayes) {
    // A Bayesian search proposes points as results arrive (RUN_DIR/search.h5).
    points = proposedPoints(c, c.run.output.dir);
  } else {
    auto searcher = makeSearcher(c);
    points = searcher->propose(searcher->totalPoints());
  }
  return itemsOf(points, c.cv.folds);
}

std::unique_ptr<search::Searcher> makeSearcher(const CampaignConfig& c) {
  return search::makeSearcher(toString(c.search.method), c.search.space, c.search.budget, c.run.seed, &c.search.bayes);
}

search::ItemResults searchItems(const CampaignConfig& c, const RunDirectory& dir) {
  const auto root = std::make_shared<const RunDirectory>(dir.root());
  const metrics::Objective objective = c.search.objective;
  const auto read = [root, objective](std::int64_t id) -> std::optional<search::ItemOutcome> {
    const fs::path result = root->resultFile(id);
    if (fs::exists(result)) {
      try {
        const rundir::ResultSummary r = rundir::readResultSummary(result.string());
        if (r.objectiveName && *r.objectiveName != objective.name())
          throwInput("its metrics/objective is " + str::quoted(*r.objectiveName) + ", not the campaign's objective " +
                     str::quoted(objective.name()));
        const double v = objective.stored([&](const std::string& name) { return r.metric(name); });
        return search::ItemOutcome{v, r.stoppedBy.has_value()};
      } catch (const Error& e) {
        if (e.category() != ErrorCategory::Input) throw;
        throwInput(result.string() + ": " + e.what());
      }
    }
    if (fs::exists(root->failedFile(id))) return search::ItemOutcome{};
    return std::nullopt;
  };
  return {c.cv.folds, read};
}

std::unique_ptr<search::Searcher> loadSearch(const CampaignConfig& c, const RunDirectory& dir) {
  return search::loadSearch(search::searchFilePath(dir.root()), [&] { return makeSearcher(c); }, searchItems(c, dir));
}

std::string searchProgress(const search::Searcher& searcher, const CampaignConfig& c) {
  std::string s = std::to_string(searcher.observations().size()) + " of " + std::to_string(searcher.totalPoints()) +
                  " points observed";
  // search.recommend = "model" reports the best posterior mean rather than the best observed mean.
  if (const auto best = searcher.recommended())
    s += ", best " + c.search.objective.describe(*best->objective) + " at point " +
         std::to_string(best->id);
  return s;
}

namespace {

// Where the groups of runItems get their items: the shared queue over a fixed list (grid, random,
// bayes in rounds), or the asynchronous Bayesian schedule, which proposes points on demand.
class ItemSource {
 public:
  virtual ~ItemSource() = default;
  // Collective over `group`: the next item for it, or nothing when no work is left.
  virtual std::optional<Item> next(dist::Communicator& group, bool leader) = 0;
  // Lets MPI serve the other groups' requests while this one trains (see WorkQueue.hpp).
  virtual void poll() = 0;
};

class QueueSource final : public ItemSource {
 public:
  QueueSource(dist::Communicator& world, const std::vector<Item>& items, std::vector<std::int64_t> pending)
      : items_(items), queue_(world.makeWorkQueue(std::move(pending))) {}
  std::optional<Item> next(dist::Communicator& group, bool) override {
    const auto id = dist::nextItemForGroup(*queue_, group);
    if (!id) return std::nullopt;
    return items_[static_cast<std::size_t>(*id)];
  }
  void poll() override { queue_->poll(); }

 private:
  const std::vector<Item>& items_;
  std::unique_ptr<dist::WorkQueue> queue_;
};

// Collective over the world: the source of runItems, given the pending items (the same on every
// rank) and the data file's digest. Null: the queue over `items`.
using MakeItemSource =
    std::function<std::unique_ptr<ItemSource>(std::vector<std::int64_t> pending, const JobStamp& stamp)>;

// The job's data, loaded by the first pass that has items to train and kept for the passes after
// it (the rounds of a Bayesian search). get() is collective: every rank calls it at the same point.
class JobData {
 public:
  JobData(const CampaignConfig& c, dist::Communicator& world, const Logger& log) : c_(c), world_(world), log_(log) {}
  const CampaignData& get() {
    if (!data_) data_ = std::make_unique<CampaignData>(c_.run.data.file, c_.resources.data, world_, log_);
    return *data_;
  }
  // Rank 0's, established once per job (the data file hashed at most once).
  JobStamp stamp;

 private:
  const CampaignConfig& c_;
  dist::Communicator& world_;
  const Logger& log_;
  std::unique_ptr<CampaignData> data_;
};

// What rank 0 found in the run directory for this pass, the same on every rank.
struct SliceWork {
  std::vector<std::int64_t> pending;  // items of the slice still to train
  std::int64_t inSlice = 0;           // items of the slice
};

// Collective over the world. Rank 0 checks the run directory against this campaign and its data,
// claims the slice and lists the items still to do; every rank gets its verdict and job.stamp.
SliceWork claimSlice(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                     const RunOptions& options, const Logger& log, const std::vector<Item>& items, RunDirectory& dir,
                     const std::string& slice, JobStamp& stamp) {
  SliceWork work;
  onRankZero(world, [&] {
    dir.create();
    removeStaleTemporaries(dir.root());
    // Claimed first: --fresh never clears a directory that another process is working in.
    dir.claim(slice);
    if (stamp.campaignSha.empty()) stamp.campaignSha = campaignIdentity(c);
    std::optional<rundir::Manifest> previous;
    if (options.fresh) {
      const auto others = dir.otherLiveClaims();
      if (!others.empty())
        throwConfig("--fresh refused: run directory '" + dir.root().string() + "' is in use by other processes (slices " +
                    str::join(others, ", ") + "); wait for them to end, or stop them, before starting it again");
      dir.clear();
      std::error_code ec;
      fs::remove(search::searchFilePath(dir.root()), ec);
    } else if (fs::exists(dir.campaignFile())) {
      if (fs::exists(dir.manifestFile())) previous = readManifestOf(dir);
      checkSameCampaign(dir, c, previous);
      // Without its state a Bayesian search would propose new points under the ids of finished
      // ones, whose results would then be counted for the wrong points.
      if (c.search.method == SearchMethod::Bayes && previous && !previous->items.empty() &&
          !fs::exists(search::searchFilePath(dir.root())))
        throwInput("'" + search::searchFilePath(dir.root()).string() + "' is missing, but the manifest lists " +
                   std::to_string(previous->items.size()) + " items of this Bayesian search: without it the search "
                   "cannot continue. Restore it from a copy, or start the search again (--fresh)");
    }
    // The data: trusted without hashing when size and time are those the manifest recorded.
    if (stamp.dataSha.empty()) {
      const auto [size, mtime] = sizeAndTime(c.run.data.file);
      const bool unchanged = previous && previous->dataSize == size && previous->dataMtime == mtime && size > 0;
      stamp.dataSha = unchanged ? previous->dataSha256 : sha256File(c.run.data.file);
      stamp.dataSize = size;
      stamp.dataMtime = mtime;
    }
    if (previous && previous->dataSha256 != stamp.dataSha)
      throwInput("the data file '" + c.run.data.file + "' has changed since this campaign started: its sha256 is now " +
                 stamp.dataSha + ", the run directory's manifest records " + previous->dataSha256 +
                 "; resuming would mix results of two data sets. Put the original file back, or start a new "
                 "output.dir (or --fresh)");
    if (!fs::exists(dir.campaignFile())) writeTextFile(dir.campaignFile(), campaignToml);
    // A Bayesian search's items grow by rounds: the manifest follows them.
    if (!fs::exists(dir.manifestFile()) || c.search.method == SearchMethod::Bayes)
      writeManifest(dir, c, campaignToml, items, stamp);

    // Items of this slice that still need work. A result file that fails its checks (unreadable,
    // another item's, changed since written) is moved aside, never deleted, and its item trained again.
    for (const auto& it : items) {
      if (it.id % options.sliceCount != options.sliceIndex) continue;
      ++work.inSlice;
      ItemStatus s = dir.status(it.id, 0);
      if (s == ItemStatus::Done) {
        if (const auto problem = rundir::resultProblem(dir.resultFile(it.id), it.id, stamp.campaignSha)) {
          const fs::path aside = rundir::setAside(dir.resultFile(it.id));
          log.warning(it.describe() + ": its result file is invalid (" + *problem + "); moved to '" + aside.string() +
                      "', training the item again");
          dir.appendLog(it.id, "result file set aside as " + aside.filename().string() + ": " + *problem);
          s = ItemStatus::Pending;
        }
      }
      if (s == ItemStatus::Done || (s == ItemStatus::Failed && !options.retryFailed)) continue;
      work.pending.push_back(it.id);
    }
  });
  world.broadcast(stamp.dataSha, 0);
  world.broadcast(stamp.campaignSha, 0);
  {
    std::int64_t v[3] = {stamp.dataSize, stamp.dataMtime, work.inSlice};
    world.broadcast(std::span<std::int64_t>(v, 3), 0);
    stamp.dataSize = v[0];
    stamp.dataMtime = v[1];
    work.inSlice = v[2];
  }
  // Every rank must agree on the list: take rank 0's view.
  std::vector<std::int64_t> n{static_cast<std::int64_t>(work.pending.size())};
  world.broadcast(std::span<std::int64_t>(n), 0);
  work.pending.resize(static_cast<std::size_t>(n[0]));
  world.broadcast(std::span<std::int64_t>(work.pending), 0);
  return work;
}

// The progress line of world rank 0, through RunOptions::progress: at most every
// progressSeconds, and after each item.
class ProgressReporter {
 public:
  ProgressReporter(const std::vector<Item>& items, const RunDirectory& dir, const RunOptions& options,
                   std::string slice, const SliceWork& work, bool rankZero)
      : items_(items), dir_(dir), options_(options), slice_(std::move(slice)),
        alreadyFinished_(work.inSlice - static_cast<std::int64_t>(work.pending.size())),
        enabled_(rankZero && !options.quiet) {}

  void report(bool force) {
    if (!enabled_) return;
    const double since = std::chrono::duration<double>(Clock::now() - last_).count();
    if (!force && since < options_.progressSeconds) return;
    last_ = Clock::now();
    std::int64_t done = 0, failed = 0, running = 0, total = 0;
    for (const auto& it : items_) {  // an asynchronous search adds items as it goes
      if (it.id % options_.sliceCount != options_.sliceIndex) continue;
      ++total;
      switch (dir_.status(it.id, 120)) {
        case ItemStatus::Done: ++done; break;
        case ItemStatus::Failed: ++failed; break;
        case ItemStatus::Running: ++running; break;
        case ItemStatus::Pending: break;
      }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const std::int64_t ranNow = done + failed - alreadyFinished_;
    const std::int64_t left = total - done - failed;
    const double eta = ranNow > 0 ? elapsed / static_cast<double>(ranNow) * static_cast<double>(left) : -1;
    options_.progress.info("[" + slice_ + "] items " + std::to_string(done) + " done, " + std::to_string(running) +
                           " running, " + std::to_string(failed) + " failed of " + std::to_string(total) +
                           "; elapsed " + formatDuration(elapsed) + ", left ~" +
                           (left == 0 ? std::string("0s") : formatDuration(eta)));
  }

 private:
  const std::vector<Item>& items_;
  const RunDirectory& dir_;
  const RunOptions& options_;
  std::string slice_;
  std::int64_t alreadyFinished_;
  bool enabled_;
  Clock::time_point start_ = Clock::now(), last_ = Clock::now();
};

// Trains one item on a rank group and records its outcome in the run directory.
class ItemRunner {
 public:
  enum class Outcome { Finished, Failed, Interrupted };

  ItemRunner(const CampaignConfig& c, const RunDirectory& dir, const RunOptions& options, const Logger& log,
             dist::Communicator& world, const dist::GroupLayout& groups, const CampaignData* data,
             const JobStamp& stamp)
      : c_(c), dir_(dir), options_(options), log_(log), world_(world), groups_(groups), data_(data), stamp_(stamp) {}

  // `onEpoch` runs after each epoch (polls the item source, reports progress) and returns whether
  // the group stops at this epoch boundary.
  Outcome run(const Item& item, const std::function<bool()>& onEpoch) {
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

 private:
  Outcome train(const Item& item, bool writer, const std::function<bool()>& onEpoch) {
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

  void writeResult(const Item& item, const CampaignConfig& itemCampaign, const train::PreparedData& prepared,
                   const train::TrainResult& result, const train::Trainer& trainer, const ItemStopping* stopping,
                   double prepareSeconds) {
    train::RunRecord rec;
    rec.configToml = toToml(itemCampaign);
    rec.commandLine = options_.commandLine;
    rec.item = rundir::ItemIdentity{item.id, item.point, item.fold, c_.cv.folds,
                                    rundir::fromAssignments(item.overrides), dir_.root().string(),
                                    c_.resources.ranksPerItem, stamp_.campaignSha};
    if (stopping) stopping->record(rec);
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

  const CampaignConfig& c_;
  const RunDirectory& dir_;
  const RunOptions& options_;
  const Logger& log_;
  dist::Communicator& world_;
  const dist::GroupLayout& groups_;
  const CampaignData* data_;  // null only when the pass has nothing to train
  const JobStamp& stamp_;
  bool dataWarned_ = false;
  bool labelChecked_ = false;
  train::PreprocessFits fits_;  // the items of one fold share their preprocessing fit
};

// Collective over the world: the pass's counts from the run directory and every group's share.
RunSummary summarise(const std::vector<Item>& items, const RunDirectory& dir, const RunOptions& options,
                     dist::Communicator& world, const dist::GroupLayout& groups, std::int64_t inSlice,
                     std::int64_t ranHere, double busySeconds, bool interrupted) {
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
  // Leaders are the first ranks of consecutive groups, so rank order is group order.
  for (const double busy : world.allgather(groups.leader ? busySeconds : -1.0))
    if (busy >= 0) summary.groupBusySeconds.push_back(busy);
  std::int64_t stopped[1] = {interrupted ? 1 : 0};
  world.allreduce(std::span<std::int64_t>(stopped, 1), dist::ReduceOp::Max);
  summary.interrupted = stopped[0] != 0 && summary.done + summary.failed < summary.total;
  return summary;
}

// One pass of rank groups over the pending ones among `items` (all of a grid or random search; the
// points proposed so far of a Bayesian one).
RunSummary runItems(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                    const RunOptions& options, const Logger& log, const std::vector<Item>& items, JobData& job,
                    const MakeItemSource& makeSource = nullptr) {
  const auto t0 = Clock::now();
  if (options.sliceCount < 1 || options.sliceIndex < 0 || options.sliceIndex >= options.sliceCount)
    throwConfig("--items I/N needs 0 <= I < N, got " + std::to_string(options.sliceIndex) + "/" + std::to_string(options.sliceCount));
  RunDirectory dir(c.run.output.dir);
  const std::string slice = options.sliceCount == 1 ? "all" : std::to_string(options.sliceIndex) + "-of-" + std::to_string(options.sliceCount);
  const SliceWork work = claimSlice(c, campaignToml, world, options, log, items, dir, slice, job.stamp);
  const dist::GroupLayout groups = dist::makeGroups(world, c.resources.ranksPerItem);

  // The data are read once per job (an asynchronous search finds its items as it goes).
  const CampaignData* data = work.pending.empty() && !makeSource ? nullptr : &job.get();
  if (data) {
    checkFolds(c, data->events());
    const std::size_t columns = data->events().header->featureNames.size();
    train::checkNetworkFits(c.run, static_cast<std::int64_t>(c.run.data.features.empty() ? columns
                                                                                         : c.run.data.features.size()));
  }

  ProgressReporter progress(items, dir, options, slice, work, world.rank() == 0);
  ItemRunner runner(c, dir, options, log, world, groups, data, job.stamp);
  std::int64_t ranHere = 0;
  double busySeconds = 0;
  bool interrupted = false;
  {
    const std::unique_ptr<ItemSource> source =
        makeSource ? makeSource(work.pending, job.stamp) : std::make_unique<QueueSource>(world, items, work.pending);
    progress.report(true);
    while (!(interrupted = stopAgreed(*groups.group, options))) {
      const std::optional<Item> next = source->next(*groups.group, groups.leader);
      if (!next) break;
      const auto itemStart = Clock::now();
      const ItemRunner::Outcome outcome = runner.run(*next, [&] {
        source->poll();
        progress.report(false);
        return stopAgreed(*groups.group, options);
      });
      if (outcome == ItemRunner::Outcome::Interrupted) {
        interrupted = true;
        break;
      }
      ++ranHere;
      busySeconds += std::chrono::duration<double>(Clock::now() - itemStart).count();
      progress.report(true);
    }
  }
  world.barrier();
  RunSummary summary = summarise(items, dir, options, world, groups, work.inSlice, ranHere, busySeconds, interrupted);
  summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (world.rank() == 0) dir.release();
  return summary;
}

// Busy time over wall time of each rank group (bench/RESULTS.md compares the two schedules with it).
void logUtilisation(const RunSummary& summary, const Logger& log) {
  if (summary.groupBusySeconds.size() < 2 || summary.seconds <= 0) return;
  std::string line = "search: group utilisation (training time / wall time " + formatDuration(summary.seconds) + "):";
  char buf[96];
  for (std::size_t g = 0; g < summary.groupBusySeconds.size(); ++g) {
    const double busy = summary.groupBusySeconds[g];
    std::snprintf(buf, sizeof buf, " group %zu %.1f%% (idle %.1f s)%s", g, 100.0 * busy / summary.seconds,
                  std::max(0.0, summary.seconds - busy), g + 1 < summary.groupBusySeconds.size() ? "," : "");
    line += buf;
  }
  log.info(line);
}

// Bayesian search in rounds: rank 0 observes the points whose folds have all finished and proposes
// one point per rank group (the liar, search.liar, spreads a batch), saving RUN_DIR/search.h5; then the
// groups train the new points' items from the shared queue; repeat until the budget is spent.
// Results are observed only between rounds, by ascending id, so the proposals depend on the seed
// and the number of groups, not on which item finished first; a rerun after a kill first
// finishes the proposed points, then continues as the uninterrupted run would have.
RunSummary runBayesRounds(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                          const RunOptions& options, const Logger& log) {
  const auto t0 = Clock::now();
  const RunDirectory dir(c.run.output.dir);
  const fs::path searchFile = search::searchFilePath(dir.root());
  // The first pass checks the run directory (a different campaign is refused before its search
  // state is read) and finishes the points an interrupted run left.
  std::vector<Item> items = planItems(c);
  JobData job(c, world, log);
  RunSummary summary = runItems(c, campaignToml, world, options, log, items, job);
  std::int64_t ranHere = summary.ranHere;
  std::vector<double> busy = summary.groupBusySeconds;
  RunOptions next = options;
  next.fresh = false;
  const std::int64_t batch = std::max(1, world.size() / c.resources.ranksPerItem);
  while (!summary.interrupted) {
    std::string state;
    std::int64_t proposed = 0;
    onRankZero(world, [&] {
      auto searcher = loadSearch(c, dir);
      // Every point whose folds have all finished is observed now: a pending one is unfinished.
      if (searcher->pending().empty()) {
        const std::vector<search::Point> points = searcher->propose(static_cast<std::size_t>(batch));
        proposed = static_cast<std::int64_t>(points.size());
        for (const auto& p : points) log.info("search: proposed point " + std::to_string(p.id) + ": " + p.describe());
      }
      log.info("search: " + searchProgress(*searcher, c));
      search::writeSearchFile(searchFile, *searcher, c.search.budget.value_or(0));
      if (!searcher->finished()) state = search::stateToJson(searcher->state());
    });
    world.broadcast(state, 0);
    if (state.empty()) break;  // every point proposed and observed
    std::int64_t count[1] = {proposed};
    world.broadcast(std::span<std::int64_t>(count, 1), 0);
    items = itemsOf(search::stateFromJson(state, c.search.space, searchFile.string()).proposals, c.cv.folds);
    summary = runItems(c, campaignToml, world, next, log, items, job);
    ranHere += summary.ranHere;
    for (std::size_t g = 0; g < busy.size() && g < summary.groupBusySeconds.size(); ++g)
      busy[g] += summary.groupBusySeconds[g];
    // Nothing proposed and nothing trained: the remaining points cannot progress in this job.
    if (count[0] == 0 && summary.ranHere == 0) break;
  }
  summary.ranHere = ranHere;
  summary.groupBusySeconds = busy;
  summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (world.rank() == 0) logUtilisation(summary, log);
  return summary;
}

// The item to hand a group, as text for a broadcast: "id point fold" on the first line, then one
// override per line (a TOML value in an override never spans lines).
std::string encodeItem(const Item& item) {
  std::string text = std::to_string(item.id) + " " + std::to_string(item.point) + " " + std::to_string(item.fold);
  for (const auto& o : item.overrides) text += "\n" + o;
  return text;
}

Item decodeItem(const std::string& text) {
  const std::vector<std::string> lines = str::split(text, '\n');
  Item item;
  long long id = 0, point = 0;
  int fold = 0;
  if (lines.empty() || std::sscanf(lines[0].c_str(), "%lld %lld %d", &id, &point, &fold) != 3)
    throw Error(ErrorCategory::Internal, "asynchronous search: malformed item message " + str::quoted(text));
  item.id = id;
  item.point = point;
  item.fold = fold;
  for (std::size_t i = 1; i < lines.size(); ++i)
    if (!lines[i].empty()) item.overrides.push_back(lines[i]);
  return item;
}

// The asynchronous schedule's hand-out (search::handOut, Schedule.hpp, which the scheduler
// simulator runs too), serialised by a lock over all ranks (dist::SharedLock) whose one register
// counts the items handed out. Under the lock the leader also observes every point
// whose folds have all finished (in the order they arrive), and rewrites search.h5 and the manifest.
class AsyncBayesSource final : public ItemSource {
 public:
  static constexpr std::size_t kHandedOut = 0;

  // Collective over `world`.
  AsyncBayesSource(const CampaignConfig& c, const std::string& campaignToml, const JobStamp& stamp,
                   dist::Communicator& world, std::vector<std::int64_t> resumed, std::vector<Item>& items,
                   int groupIndex, const Logger& log)
      : c_(c), toml_(campaignToml), stamp_(stamp), dir_(c.run.output.dir),
        searchFile_(search::searchFilePath(dir_.root())), resumed_(std::move(resumed)), items_(items),
        groupIndex_(groupIndex), log_(log), lock_(dist::makeSharedLock(world, 1)) {
    std::int64_t start[1] = {static_cast<std::int64_t>(items.size()) / c.cv.folds};
    world.broadcast(std::span<std::int64_t>(start, 1), 0);  // rank 0's view of the search file
    proposedAtStart_ = start[0];
  }

  std::optional<Item> next(dist::Communicator& group, bool leader) override {
    std::string text;
    if (leader) text = claim();
    group.broadcast(text, 0);
    if (text.empty()) return std::nullopt;
    return decodeItem(text);
  }

  void poll() override { lock_->poll(); }

 private:
  std::string claim() {
    const int k = c_.cv.folds;
    dist::SharedLock::Guard guard = lock_->acquire();
    auto searcher = search::restoreSearch(searchFile_, [&] { return makeSearcher(c_); });
    const std::size_t before = searcher->observations().size();
    const std::size_t observed = search::observeFinished(*searcher, searchItems(c_, dir_));
    for (std::size_t i = before; i < searcher->observations().size(); ++i) {
      const search::Observation& o = searcher->observations()[i];
      log_.info("search: observed point " + std::to_string(o.id) + ": " +
                (o.objective ? c_.search.objective.describe(*o.objective) : std::string("failed")));
    }

    const auto handed = guard.get(kHandedOut);
    const search::Handout handout = search::handOut(*searcher, handed, resumed_, proposedAtStart_, k);
    const std::optional<std::int64_t> id = handout.item;
    const bool proposed = !handout.proposed.empty();
    for (const auto& p : handout.proposed)
      log_.info("search: group " + std::to_string(groupIndex_) + " proposed point " + std::to_string(p.id) + " (" +
                std::to_string(searcher->observations().size()) + " observed, " +
                std::to_string(searcher->pending().size() - 1) + " pending as liars): " + p.describe());
    if (observed > 0 || proposed) search::writeSearchFile(searchFile_, *searcher, c_.search.budget.value_or(0));
    items_ = itemsOf(searcher->proposals(), k);
    if (proposed) writeManifest(dir_, c_, toml_, items_, stamp_);
    if (id) guard.set(kHandedOut, handed + 1);
    guard.commit();
    if (!id) return {};
    return encodeItem(items_.at(static_cast<std::size_t>(*id)));
  }

  const CampaignConfig& c_;
  const std::string& toml_;
  JobStamp stamp_;
  RunDirectory dir_;
  fs::path searchFile_;
  std::vector<std::int64_t> resumed_;
  std::vector<Item>& items_;  // runItems' list, kept current for its progress lines
  int groupIndex_;
  const Logger& log_;
  std::unique_ptr<dist::SharedLock> lock_;
  std::int64_t proposedAtStart_ = 0;
};

// Bayesian search, asynchronous: a group that finds no unclaimed item of a proposed point proposes
// the next point at once, from every result observed so far with the running points as constant
// liars (AsyncBayesSource). Groups never wait for each other; the proposals depend on the order in
// which items finish. A rerun after a kill finishes the points already proposed first.
RunSummary runBayesAsynchronous(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                                const RunOptions& options, const Logger& log) {
  const auto t0 = Clock::now();
  const RunDirectory dir(c.run.output.dir);
  const fs::path searchFile = search::searchFilePath(dir.root());
  std::vector<Item> items = planItems(c);
  const int groupIndex = world.rank() / std::max(1, c.resources.ranksPerItem);
  const MakeItemSource makeSource = [&](std::vector<std::int64_t> pending, const JobStamp& stamp) {
    return std::make_unique<AsyncBayesSource>(c, campaignToml, stamp, world, std::move(pending), items, groupIndex, log);
  };
  JobData job(c, world, log);
  RunSummary summary = runItems(c, campaignToml, world, options, log, items, job, makeSource);

  // The last results (a group stopped before observing them) and the totals over every point.
  std::int64_t totals[4] = {0, 0, 0, 0};  // items, done, failed, search finished
  onRankZero(world, [&] {
    const auto searcher = loadSearch(c, dir);
    search::writeSearchFile(searchFile, *searcher, c.search.budget.value_or(0));
    for (const auto& it : itemsOf(searcher->proposals(), c.cv.folds)) {
      const ItemStatus s = dir.status(it.id, 0);
      ++totals[0];
      totals[1] += s == ItemStatus::Done;
      totals[2] += s == ItemStatus::Failed;
    }
    totals[3] = searcher->finished() ? 1 : 0;
    log.info("search: " + searchProgress(*searcher, c));
  });
  world.broadcast(std::span<std::int64_t>(totals, 4), 0);
  summary.total = totals[0];
  summary.done = totals[1];
  summary.failed = totals[2];
  summary.interrupted = summary.interrupted || (totals[3] == 0 && stopAgreed(world, options));
  summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (world.rank() == 0) logUtilisation(summary, log);
  return summary;
}

}  // namespace

RunSummary runCampaign(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                       const RunOptions& options, const Logger& log) {
  // Slices (--items I/N, batch arrays) train the points proposed so far; `hepsweep search
  // propose` proposes the next ones between arrays.
  JobData job(c, world, log);
  RunSummary summary;
  if (c.search.method == SearchMethod::Bayes && options.sliceCount == 1)
    summary = c.search.schedule == BayesSchedule::Rounds ? runBayesRounds(c, campaignToml, world, options, log)
                                                         : runBayesAsynchronous(c, campaignToml, world, options, log);
  else
    summary = runItems(c, campaignToml, world, options, log, planItems(c), job);
  if (c.baseline.enabled && !summary.interrupted) {
    // After the network's items: the baseline reuses the job's data (a Bayesian search's passes
    // hold their own, so it is read again there).
    const BaselinePass b = runBaseline(c, world, options, log, [&]() -> const CampaignData& { return job.get(); });
    summary.total += b.total;
    summary.done += b.done;
    summary.failed += b.failed;
    summary.ranHere += b.ranHere;
    summary.interrupted = b.interrupted && b.done + b.failed < b.total;
  }
  return summary;
}

StatusReport campaignStatus(const fs::path& runDir) {
  const RunDirectory dir(runDir);
  if (!fs::exists(dir.campaignFile()))
    throwIo("'" + runDir.string() + "' is not a campaign run directory (no campaign.toml)");
  StatusReport r;
  // The manifest lists every planned item (a Bayesian search's as they are proposed); without it,
  // the campaign file's plan.
  std::vector<std::pair<std::int64_t, std::string>> items;  // id, description
  std::string campaignSha;
  bool fromManifest = false;
  if (fs::exists(dir.manifestFile())) {
    try {
      const rundir::Manifest m = rundir::readManifest(dir.manifestFile());
      for (const auto& it : m.items)
        items.emplace_back(it.id, "item " + std::to_string(it.id) + " (point " + std::to_string(it.point) + ", fold " +
                                      std::to_string(it.fold) + ")");
      campaignSha = m.campaignSha256;
      fromManifest = true;
    } catch (const Error& e) {
      r.problems.push_back(e.what());
    }
  }
  if (!fromManifest) {
    CampaignConfig c = parseCampaign(readTextFile(dir.campaignFile()), dir.campaignFile().string());
    c.run.output.dir = runDir.string();  // where a Bayesian search's points are, wherever the run moved
    for (const auto& it : planItems(c)) items.emplace_back(it.id, it.describe());
  }
  for (const auto& [id, what] : items) {
    ++r.total;
    switch (dir.status(id)) {
      case ItemStatus::Done: {
        // One bad file is reported, never the end of the report.
        if (const auto problem = rundir::resultProblem(dir.resultFile(id), id, campaignSha)) {
          ++r.invalid;
          r.invalidItems.emplace_back(id, *problem);
          break;
        }
        ++r.done;
        if (stoppedBy(dir.resultFile(id))) {
          ++r.stopped;
          r.stoppedItems.push_back(id);
        }
        break;
      }
      case ItemStatus::Running: ++r.running; break;
      case ItemStatus::Failed:
        ++r.failed;
        r.failures.emplace_back(id, str::trim(dir.failureReason(id).value_or("")));
        break;
      case ItemStatus::Pending:
        ++r.pending;
        r.pendingItems.push_back(id);
        break;
    }
  }
  return r;
}

}  // namespace hepsweep::campaign
