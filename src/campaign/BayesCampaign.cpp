// The Bayesian search's two schedules over rank groups: in rounds (reproducible whatever the
// finishing order) and asynchronous (a group proposes the next point as soon as it is idle).
#include "CampaignRun.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "RankZero.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/dist/SharedLock.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/Racing.hpp"
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

// Each point's folds as the race sees them, from `outcome` (nullopt: unfinished), over the first
// `points` points.
struct RaceTable {
  std::vector<search::RacePoint> points;
  std::vector<bool> racedOut;                 // a fold of the point has a raced-out marker
  std::vector<int> next;                      // the point's first fold without an outcome (k: none)
  search::RaceReference reference;
};

RaceTable raceTable(std::size_t points, int k, const std::function<std::optional<search::ItemOutcome>(std::int64_t)>& outcome) {
  RaceTable t;
  t.points.resize(points);
  t.racedOut.assign(points, false);
  t.next.assign(points, k);
  for (std::size_t p = 0; p < points; ++p)
    for (int f = 0; f < k; ++f) {
      const auto o = outcome(static_cast<std::int64_t>(p) * k + f);
      if (!o) {
        t.next[p] = std::min(t.next[p], f);
        continue;
      }
      if (o->racedOut) t.racedOut[p] = true;
      else if (o->objective) t.points[p].folds.push_back(*o->objective);
      else t.points[p].failed = true;
    }
  t.reference = search::raceReference(t.points, k);
  return t;
}

// Observes each pending point whose folds have all finished (trained, failed or raced out), by
// ascending id, as observeFinished does, except that a point with one trained fold gets the
// race's pooled fold spread s as its standard error (s / sqrt(1)) where it has no spread of its
// own: a point known from fewer folds is the noisier one (search.fold_noise fits it so).
std::size_t observeRace(search::Searcher& searcher, const search::ItemResults& items, const RaceTable& race) {
  std::size_t n = 0;
  for (const std::int64_t id : searcher.pending()) {
    const auto r = search::pointResult(id, items);
    if (!r) continue;
    std::optional<double> se = r->standardError;
    const auto p = static_cast<std::size_t>(id);
    if (!se && r->objective && race.reference.spread && p < race.points.size() && race.points[p].folds.size() == 1)
      se = *race.reference.spread;
    searcher.observe(id, r->objective, r->stoppedFolds, se);
    ++n;
  }
  return n;
}

// The asynchronous schedule with racing across folds (search.racing): a group that becomes free
// takes, under the lock, the next fold of the lowest-id point still in the race whose previous
// folds have all finished; when there is none it proposes a new point and takes its fold 0. Points
// in the race are fitted at the mean of the folds they have, with variance s^2 / f (f folds, s the
// race's pooled fold spread: fewer folds, more noise) instead of the liar's value. The decisions
// are taken from the result files and raced_out.txt markers, and the only shared registers are
// what each group trains now: a job killed at any point leaves the run directory as the whole
// state, and the next one takes each point's first unfinished fold again.
class AsyncRacingSource final : public ItemSource {
 public:
  static constexpr std::size_t kRetried = 0;  // items of retry_ handed out in this job
  // Register 1 + g: 1 + the item group g trains now, 0 when it trains none.

  // Collective over `world`. `pending`: the items found unfinished at the start (the same on every
  // rank); the failed ones among them (--retry-failed) are trained again first.
  AsyncRacingSource(const CampaignConfig& c, const std::string& campaignToml, const JobStamp& stamp,
                    dist::Communicator& world, const std::vector<std::int64_t>& pending, std::vector<Item>& items,
                    int groupIndex, int groupCount, const RunOptions& options, const Logger& log)
      : c_(c), toml_(campaignToml), stamp_(stamp), dir_(c.run.output.dir),
        searchFile_(search::searchFilePath(dir_.root())), items_(items), groupIndex_(groupIndex), options_(options),
        log_(log), results_(searchItems(c, dir_)),
        lock_(dist::makeSharedLock(world, 1 + static_cast<std::size_t>(std::max(1, groupCount)))) {
    for (const std::int64_t id : pending)
      if (dir_.status(id, 0) == ItemStatus::Failed) retry_.push_back(id);
  }

  std::optional<Item> next(dist::Communicator& group, bool leader) override {
    const std::string text = leaderAnswer(group, leader, [this] { return waitForItem(); });
    if (text.empty()) return std::nullopt;
    return decodeItem(text.substr(1));
  }

  void poll() override { lock_->poll(); }

 private:
  // "I<item>" an item; "" nothing left; "W" wait for a fold training elsewhere.
  std::string waitForItem() {
    for (;;) {
      std::string text = claim();
      if (text != "W") return text;
      if (options_.stopRequested != nullptr && options_.stopRequested->load()) return {};
      lock_->pollFor(std::chrono::milliseconds(200));
    }
  }

  std::string claim() {
    const int k = c_.cv.folds;
    const std::size_t slot = 1 + static_cast<std::size_t>(groupIndex_);
    dist::SharedLock::Guard guard = lock_->acquire();
    guard.set(slot, 0);  // this group's previous item has finished (or failed)
    std::set<std::int64_t> training;
    for (std::size_t g = 1; g < lock_->registerCount(); ++g)
      if (guard.get(g) > 0) training.insert(guard.get(g) - 1);
    const auto retried = static_cast<std::size_t>(guard.get(kRetried));
    if (retried < retry_.size()) {
      const std::int64_t id = retry_[retried];
      guard.set(kRetried, static_cast<std::int64_t>(retried) + 1);
      guard.set(slot, id + 1);
      guard.commit();
      return "I" + encodeItem(items_.at(static_cast<std::size_t>(id)));
    }
    // An item training now, or failed and not retried yet in this job, is unfinished.
    const std::set<std::int64_t> retrying(retry_.begin() + static_cast<std::ptrdiff_t>(retried), retry_.end());
    const search::ItemResults items{k, [&](std::int64_t id) -> std::optional<search::ItemOutcome> {
      if (training.count(id) || retrying.count(id)) return std::nullopt;
      return outcome(id);
    }};

    auto searcher = search::restoreSearch(searchFile_, [&] { return makeSearcher(c_); });
    const std::size_t before = searcher->observations().size();
    RaceTable race = raceTable(searcher->proposedCount(), k, items.read);
    std::optional<std::int64_t> chosen;
    for (std::size_t p = 0; p < race.points.size(); ++p) {
      const int f = race.next[p];
      if (f >= k) continue;
      const std::int64_t point = static_cast<std::int64_t>(p);
      if (training.count(point * k + f)) continue;
      std::string why;
      if (race.racedOut[p]) {
        // A job killed while it wrote the point's markers: the decision stands for this fold too.
        for (int g = 0; g < k && why.empty(); ++g)
          if (const auto marker = dir_.racedOutFile(point * k + g); fs::exists(marker))
            why = std::string(str::trim(rundir::readTextFile(marker))) + " (recorded by the next job: the deciding one stopped first)";
      } else if (const auto decision = search::raceOut(race.points[p], race.reference, k, c_.search.racing)) {
        why = decision->describe();
        log_.info("racing: point " + std::to_string(point) + " " + why + "; folds " + std::to_string(f) + ".." +
                  std::to_string(k - 1) + " skipped");
      }
      if (why.empty()) {
        if (!chosen) chosen = point * k + f;
        continue;
      }
      // Folds go out in order, one at a time: none from f on was handed out.
      for (int g = f; g < k; ++g)
        if (!items.read(point * k + g)) dir_.markRacedOut(point * k + g, why);
      race.racedOut[p] = true;
      race.next[p] = k;
    }
    const std::size_t observed = observeRace(*searcher, items, race);
    for (std::size_t i = before; i < searcher->observations().size(); ++i) {
      const search::Observation& o = searcher->observations()[i];
      log_.info("search: observed point " + std::to_string(o.id) + ": " +
                (o.objective ? c_.search.objective.describe(*o.objective) : std::string("failed")));
    }
    std::map<std::int64_t, search::Interim> interim;
    if (race.reference.spread)
      for (const std::int64_t id : searcher->pending()) {
        const search::RacePoint& rp = race.points.at(static_cast<std::size_t>(id));
        if (rp.failed || rp.folds.empty()) continue;
        double sum = 0;
        for (const double v : rp.folds) sum += v;
        const auto n = static_cast<double>(rp.folds.size());
        interim[id] = search::Interim{sum / n, *race.reference.spread * *race.reference.spread / n};
      }
    searcher->setInterim(std::move(interim));

    std::vector<search::Point> proposed;
    if (!chosen && !searcher->exhausted()) {
      proposed = searcher->propose(1);
      for (const auto& p : proposed) {
        log_.info("search: group " + std::to_string(groupIndex_) + " proposed point " + std::to_string(p.id) + " (" +
                  std::to_string(searcher->observations().size()) + " observed, " +
                  std::to_string(searcher->pending().size() - 1) + " pending, " +
                  std::to_string(searcher->interim().size()) + " of them racing): " + p.describe());
        chosen = p.id * k;
      }
    }
    if (observed > 0 || !proposed.empty()) search::writeSearchFile(searchFile_, *searcher, c_.search.budget.value_or(0));
    items_ = itemsOf(searcher->proposals(), k);
    if (!proposed.empty()) writeManifest(dir_, c_, toml_, items_, stamp_);
    if (chosen) guard.set(slot, *chosen + 1);
    guard.commit();
    if (chosen) return "I" + encodeItem(items_.at(static_cast<std::size_t>(*chosen)));
    // Exhausted: wait while a point still has folds to train (its next one training elsewhere).
    return searcher->pending().empty() ? std::string() : std::string("W");
  }

  // A finished item's outcome; trained and raced-out outcomes are cached (they never change, while
  // a failed item may be trained again).
  std::optional<search::ItemOutcome> outcome(std::int64_t id) {
    if (const auto it = finished_.find(id); it != finished_.end()) return it->second;
    auto o = results_.read(id);
    if (o && (o->objective || o->racedOut)) finished_.emplace(id, *o);
    return o;
  }

  const CampaignConfig& c_;
  const std::string& toml_;
  JobStamp stamp_;
  RunDirectory dir_;
  fs::path searchFile_;
  std::vector<Item>& items_;  // runItems' list, kept current for its progress lines
  int groupIndex_;
  const RunOptions& options_;
  const Logger& log_;
  search::ItemResults results_;
  std::map<std::int64_t, search::ItemOutcome> finished_;
  std::vector<std::int64_t> retry_;
  std::unique_ptr<dist::SharedLock> lock_;
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
  const int groupCount = std::max(1, world.size() / std::max(1, c.resources.ranksPerItem));
  const MakeItemSource makeSource = [&](std::vector<std::int64_t> pending,
                                        const JobStamp& stamp) -> std::unique_ptr<ItemSource> {
    if (c.search.racing.enabled)
      return std::make_unique<AsyncRacingSource>(c, campaignToml, stamp, world, pending, items, groupIndex, groupCount,
                                                 options, log);
    return std::make_unique<AsyncBayesSource>(c, campaignToml, stamp, world, std::move(pending), items, groupIndex, log);
  };
  RunSummary summary = runItems(c, campaignToml, world, options, log, items, job, makeSource);

  // The last results (a group stopped before observing them) and the totals over every point.
  std::int64_t totals[5] = {0, 0, 0, 0, 0};  // items, done, failed, search finished, raced out
  onRankZero(world, [&] {
    std::unique_ptr<search::Searcher> searcher;
    if (c.search.racing.enabled) {
      searcher = search::restoreSearch(searchFile, [&] { return makeSearcher(c); });
      const search::ItemResults results = searchItems(c, dir);
      observeRace(*searcher, results, raceTable(searcher->proposedCount(), c.cv.folds, results.read));
    } else {
      searcher = loadSearch(c, dir);
    }
    search::writeSearchFile(searchFile, *searcher, c.search.budget.value_or(0));
    for (const auto& it : itemsOf(searcher->proposals(), c.cv.folds)) {
      const ItemStatus s = dir.status(it.id, 0);
      ++totals[0];
      totals[1] += s == ItemStatus::Done;
      totals[2] += s == ItemStatus::Failed;
      totals[4] += s == ItemStatus::RacedOut;
    }
    totals[3] = searcher->finished() ? 1 : 0;
    log.info("search: " + searchProgress(*searcher, c));
  });
  world.broadcast(std::span<std::int64_t>(totals, 5), 0);
  summary.total = totals[0];
  summary.done = totals[1];
  summary.failed = totals[2];
  summary.racedOut = totals[4];
  summary.interrupted = summary.interrupted || (totals[3] == 0 && stopAgreed(world, options));
  summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (world.rank() == 0) logUtilisation(summary, log);
  return summary;
}

}  // namespace hepsweep::campaign::detail
