// The Bayesian search's two schedules over rank groups: in rounds (reproducible whatever the
// finishing order) and asynchronous (a group proposes the next point as soon as it is idle).
#include "CampaignRun.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "RankZero.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/dist/SharedLock.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/Schedule.hpp"
#include "hepsweep/search/SearchFile.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace fs = std::filesystem;

namespace hepsweep::campaign::detail {
namespace {

using rundir::ItemStatus;

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

}  // namespace

// Bayesian search in rounds: rank 0 observes the points whose folds have all finished and proposes
// one point per rank group (the liar, search.liar, spreads a batch), saving RUN_DIR/search.h5; then the
// groups train the new points' items from the shared queue; repeat until the budget is spent.
// Results are observed only between rounds, by ascending id, so the proposals depend on the seed
// and the number of groups, not on which item finished first; a rerun after a kill first
// finishes the proposed points, then continues as the uninterrupted run would have.
RunSummary runBayesRounds(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                          const RunOptions& options, const Logger& log, JobData& job) {
  const auto t0 = Clock::now();
  const RunDirectory dir(c.run.output.dir);
  const fs::path searchFile = search::searchFilePath(dir.root());
  // The first pass checks the run directory (a different campaign is refused before its search
  // state is read) and finishes the points an interrupted run left.
  std::vector<Item> items = planItems(c);
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

// Bayesian search, asynchronous: a group that finds no unclaimed item of a proposed point proposes
// the next point at once, from every result observed so far with the running points as constant
// liars (AsyncBayesSource). Groups never wait for each other; the proposals depend on the order in
// which items finish. A rerun after a kill finishes the points already proposed first.
RunSummary runBayesAsynchronous(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                                const RunOptions& options, const Logger& log, JobData& job) {
  const auto t0 = Clock::now();
  const RunDirectory dir(c.run.output.dir);
  const fs::path searchFile = search::searchFilePath(dir.root());
  std::vector<Item> items = planItems(c);
  const int groupIndex = world.rank() / std::max(1, c.resources.ranksPerItem);
  const MakeItemSource makeSource = [&](std::vector<std::int64_t> pending, const JobStamp& stamp) {
    return std::make_unique<AsyncBayesSource>(c, campaignToml, stamp, world, std::move(pending), items, groupIndex, log);
  };
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

}  // namespace hepsweep::campaign::detail
