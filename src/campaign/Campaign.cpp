// Campaign planning (points x folds), the job's checks of the run directory against the campaign
// and its data, one pass of rank groups over the pending items, and runCampaign, which chooses the
// schedule. One item's training is in ItemRunner.cpp, the Bayesian schedules in BayesCampaign.cpp.
#include "hepsweep/campaign/Campaign.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>

#include "BaselineItems.hpp"
#include "CampaignRun.hpp"
#include "CampaignData.hpp"
#include "RankZero.hpp"
#include "ItemStopping.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/dist/GroupLayout.hpp"
#include "hepsweep/dist/WorkQueue.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/rundir/Manifest.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
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
namespace detail {
namespace {

// Size and modification time (ns) of a file, as stat(2) gives them.
std::pair<std::int64_t, std::int64_t> sizeAndTime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throwIo("cannot read '" + path + "': " + std::strerror(errno));
  return {static_cast<std::int64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + static_cast<std::int64_t>(st.st_mtim.tv_nsec)};
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

// Every fold must validate on events of both classes: refused up front, before any item directory
// is made, when cv.folds exceeds what the smaller class has outside the test hold-out.
}  // namespace
}  // namespace detail

// Multi-class data (docs/campaign.md "Multi-class campaigns"): the objective is the validation
// loss (categorical cross-entropy) or the mean one-vs-rest validation AUC; what is defined for a
// signal against a background only is refused by its key, before any item trains.
void checkMultiClass(const CampaignConfig& c, const std::vector<std::string>& names) {
  if (names.empty()) return;
  const std::string what = "'" + c.run.data.file + "' is a multi-class file (" + std::to_string(names.size()) +
                           " classes: " + str::join(names, ", ") + ")";
  const metrics::Objective::Kind kind = c.search.objective.kind();
  if (kind != metrics::Objective::Kind::ValLoss && kind != metrics::Objective::Kind::ValAuc)
    throwConfig("search.objective = " + str::quoted(c.search.objective.name()) + " is defined for signal against "
                "background only, but " + what + "; use \"val_loss\" (categorical cross-entropy, the default) or "
                "\"val_auc\" (mean one-vs-rest AUC)");
  if (c.baseline.enabled)
    throwConfig("[baseline] trains signal-against-background trees, but " + what + "; remove the [baseline] table");
  if (!c.run.data.parameter.empty())
    throwConfig("data.parameter (parametrised networks) needs signal/background data, but " + what);
}

namespace detail {
namespace {

void checkFolds(const CampaignConfig& c, const data::EventTable& events) {
  if (c.cv.folds <= 1) return;
  if (!events.header->classNames.empty()) {
    std::vector<std::int64_t> perClass(events.header->classNames.size(), 0);
    for (const float l : events.labels) ++perClass.at(static_cast<std::size_t>(l));
    const auto smallest = std::min_element(perClass.begin(), perClass.end()) - perClass.begin();
    const auto outside = static_cast<std::int64_t>(static_cast<double>(perClass[static_cast<std::size_t>(smallest)]) *
                                                   (1.0 - c.run.data.split.test));
    if (c.cv.folds > outside)
      throwConfig("cv.folds = " + std::to_string(c.cv.folds) + " but class " +
                  str::quoted(events.header->classNames[static_cast<std::size_t>(smallest)]) + " has only " +
                  std::to_string(outside) + " events outside the test split: every fold needs events of every class; "
                  "use fewer folds");
    return;
  }
  std::int64_t counts[2] = {0, 0};
  for (const float l : events.labels) ++counts[l > 0.5f ? 1 : 0];
  const double outside = 1.0 - c.run.data.split.test;
  const auto smaller = static_cast<std::int64_t>(static_cast<double>(std::min(counts[0], counts[1])) * outside);
  if (c.cv.folds > smaller)
    throwConfig("cv.folds = " + std::to_string(c.cv.folds) + " but the smaller class has only " + std::to_string(smaller) +
                " events outside the test split (" + std::to_string(counts[1]) + " signal, " + std::to_string(counts[0]) +
                " background in all): every fold needs events of both classes; use fewer folds");
}

// The points a Bayesian search has proposed so far (none before its first round).
std::vector<search::Point> proposedPoints(const CampaignConfig& c, const fs::path& runDir) {
  const fs::path path = search::searchFilePath(runDir);
  const auto json = search::readSearchStateJson(path);
  if (!json) return {};
  return search::stateFromJson(*json, c.search.space, path.string()).proposals;
}

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

// Rank 0's part of the claim: it checks the run directory against this campaign and its data
// (hashing the data unless the manifest's size and time vouch for it), claims the slice, writes the
// manifest and lists the items still to do into `work`.
void claimOnRankZero(const CampaignConfig& c, const std::string& campaignToml, const RunOptions& options,
                     const Logger& log, const std::vector<Item>& items, RunDirectory& dir, const std::string& slice,
                     JobStamp& stamp, SliceWork& work) {
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
    if (s == ItemStatus::Done || s == ItemStatus::RacedOut || (s == ItemStatus::Failed && !options.retryFailed))
      continue;
    work.pending.push_back(it.id);
  }
}

// Collective over the world: rank 0's claim (its error, thrown on every rank, or its job.stamp and
// items still to do) on every rank.
SliceWork shareClaim(dist::Communicator& world, RankZeroOutcome claimed, JobStamp& stamp, SliceWork work) {
  shareOutcome(world, std::move(claimed));
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
    summary.racedOut += s == ItemStatus::RacedOut;
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
  summary.interrupted = stopped[0] != 0 && summary.done + summary.failed + summary.racedOut < summary.total;
  return summary;
}

}  // namespace

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

// One pass of rank groups over the pending ones among `items` (all of a grid or random search; the
// points proposed so far of a Bayesian one).
RunSummary runItems(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                    const RunOptions& options, const Logger& log, const std::vector<Item>& items, JobData& job,
                    const MakeItemSource& makeSource) {
  const auto t0 = Clock::now();
  if (options.sliceCount < 1 || options.sliceIndex < 0 || options.sliceIndex >= options.sliceCount)
    throwConfig("--items I/N needs 0 <= I < N, got " + std::to_string(options.sliceIndex) + "/" + std::to_string(options.sliceCount));
  RunDirectory dir(c.run.output.dir);
  const std::string slice = options.sliceCount == 1 ? "all" : std::to_string(options.sliceIndex) + "-of-" + std::to_string(options.sliceCount);
  // A pass that starts the run directory afresh (--fresh, or no campaign in it yet) trains every item
  // of its slice, so it needs the data: then every rank starts reading them while rank 0 checks and
  // claims the directory (the data's sha256, the manifest's fsyncs: 0.1-0.4 s that the other ranks
  // spent waiting), and the node's ranks decode the parts rank 0 has no time for. Otherwise the claim
  // comes first, as only it tells whether any item is left to train. Either way rank 0's outcome
  // reaches every rank through shareClaim.
  const bool slicePlanned = std::any_of(items.begin(), items.end(), [&](const Item& it) {
    return it.id % options.sliceCount == options.sliceIndex;
  });
  std::int64_t fresh[1] = {0};
  if (!job.loaded() && (slicePlanned || makeSource)) {
    std::error_code ec;
    // A missing data file is the claim's error to report, as before.
    if (world.rank() == 0)
      fresh[0] = (options.fresh || !fs::exists(dir.campaignFile(), ec)) && fs::is_regular_file(c.run.data.file, ec);
    world.broadcast(std::span<std::int64_t>(fresh, 1), 0);
  }
  SliceWork claimedWork;
  RankZeroOutcome claimed;
  const auto claim = [&] {
    if (world.rank() == 0)
      claimed = captureError([&] { claimOnRankZero(c, campaignToml, options, log, items, dir, slice, job.stamp, claimedWork); });
  };
  if (fresh[0] != 0) job.get(claim);
  else claim();
  const SliceWork work = shareClaim(world, std::move(claimed), job.stamp, std::move(claimedWork));
  const dist::GroupLayout groups = dist::makeGroups(world, c.resources.ranksPerItem);

  // The data are read once per job (an asynchronous search finds its items as it goes).
  const CampaignData* data = work.pending.empty() && !makeSource ? nullptr : &job.get();
  if (data) {
    checkMultiClass(c, data->events().header->classNames);
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
    // Racing in one job hands out a point's folds in order; a slice (--items I/N) cannot wait for
    // folds in other slices, so it decides each of its own items when it takes it.
    const bool racing = c.search.racing.enabled;
    const std::unique_ptr<ItemSource> source =
        makeSource                            ? makeSource(work.pending, job.stamp)
        : racing && options.sliceCount == 1 ? makeRacingSource(c, world, items, work.pending, options, log)
        : racing ? makeSliceRacingSource(c, items, std::make_unique<QueueSource>(world, items, work.pending), log)
                 : std::make_unique<QueueSource>(world, items, work.pending);
    progress.report(true);
    while (!(interrupted = stopAgreed(*groups.group, options))) {
      const std::optional<Item> next = source->next(*groups.group, groups.leader);
      if (!next) {
        interrupted = stopAgreed(*groups.group, options);  // a racing source gives up waiting on a stop
        break;
      }
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

}  // namespace detail

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
    points = detail::proposedPoints(c, c.run.output.dir);
  } else {
    auto searcher = makeSearcher(c);
    points = searcher->propose(searcher->totalPoints());
  }
  return detail::itemsOf(points, c.cv.folds);
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
    if (fs::exists(root->racedOutFile(id))) return search::ItemOutcome{std::nullopt, false, true};
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

RunSummary runCampaign(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                       const RunOptions& options, const Logger& log) {
  // Slices (--items I/N, batch arrays) train the points proposed so far; `hepsweep search
  // propose` proposes the next ones between arrays.
  detail::JobData job(c, world, log);
  RunSummary summary;
  if (c.search.method == SearchMethod::Bayes && options.sliceCount == 1)
    summary = c.search.schedule == BayesSchedule::Rounds ? detail::runBayesRounds(c, campaignToml, world, options, log, job)
                                                         : detail::runBayesAsynchronous(c, campaignToml, world, options, log, job);
  else
    summary = detail::runItems(c, campaignToml, world, options, log, planItems(c), job);
  if (c.baseline.enabled && !summary.interrupted) {
    // After the network's items: the baseline reuses the job's data, read once by the first pass
    // that trained.
    const BaselinePass b = runBaseline(c, world, options, log, [&]() -> const CampaignData& { return job.get(); });
    summary.total += b.total;
    summary.done += b.done;
    summary.failed += b.failed;
    summary.ranHere += b.ranHere;
    summary.interrupted = b.interrupted && b.done + b.failed < b.total;
  }
  return summary;
}

}  // namespace hepsweep::campaign
