// Racing across folds (search.racing) as an item source for runItems: a point's folds are handed
// out one after the other, each only once the previous one has finished and the point is still in
// the race (search/Racing.hpp). The decision is taken by the group that asks for work, under a lock
// shared by all ranks, from the result files: no rank is dedicated to it, and what it decided is in
// the run directory (raced_out.txt of each skipped item), so a resume after kill -9 neither trains
// those items nor forgets the decision.
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "CampaignRun.hpp"
#include "RankZero.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/dist/SharedLock.hpp"
#include "hepsweep/search/Racing.hpp"
#include "hepsweep/search/SearchFile.hpp"

namespace fs = std::filesystem;

namespace hepsweep::campaign::detail {
namespace {

class RacingSource final : public ItemSource {
 public:
  // Collective over `world`. `pending`: the items of this pass still to train, in id order; register
  // i of the lock is 1 once pending[i] was handed out in this job.
  RacingSource(const CampaignConfig& c, dist::Communicator& world, const std::vector<Item>& items,
               std::vector<std::int64_t> pending, const RunOptions& options, const Logger& log)
      : c_(c), dir_(c.run.output.dir), items_(items), pending_(std::move(pending)), options_(options), log_(log),
        results_(searchItems(c, dir_)), lock_(dist::makeSharedLock(world, std::max<std::size_t>(1, pending_.size()))) {}

  std::optional<Item> next(dist::Communicator& group, bool leader) override {
    // "" nothing left; "I<index>" the pending item.
    const std::string message = leaderAnswer(group, leader, [this] { return waitForItem(); });
    if (message.empty()) return std::nullopt;
    return items_.at(static_cast<std::size_t>(pending_.at(std::stoul(message.substr(1)))));
  }

  void poll() override { lock_->poll(); }

 private:
  enum class Claim { Item, Wait, None };

  // The leader's loop: a group waits (polling, so other groups' lock requests progress) only while
  // every remaining item waits for a fold still training on another group.
  std::string waitForItem() {
    for (;;) {
      std::size_t index = 0;
      const Claim claim = claimOne(index);
      if (claim == Claim::Item) return "I" + std::to_string(index);
      if (claim == Claim::None) return {};
      if (options_.stopRequested != nullptr && options_.stopRequested->load()) return {};
      lock_->pollFor(std::chrono::milliseconds(200));
    }
  }

  // A finished item's outcome (cached: a result file does not change once written); nullopt while
  // it is unfinished.
  std::optional<search::ItemOutcome> outcome(std::int64_t id) {
    if (const auto it = finished_.find(id); it != finished_.end()) return it->second;
    auto o = results_.read(id);
    if (o) finished_.emplace(id, *o);
    return o;
  }

  // The decision is search::claimRaceItem's (the simulator replays the same); this records what it
  // decided in the run directory and claims the item under the lock.
  Claim claimOne(std::size_t& index) {
    const int k = c_.cv.folds;
    dist::SharedLock::Guard guard = lock_->acquire();
    std::vector<search::RaceQueueEntry> queue(pending_.size());
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      const Item& it = items_.at(static_cast<std::size_t>(pending_[i]));
      if (it.id != it.point * k + it.fold)
        throw Error(ErrorCategory::Internal, "racing: item " + std::to_string(it.id) + " is not point * folds + fold");
      queue[i] = {it.id, guard.get(i) != 0};
    }
    const search::ItemResults finished{k, [this](std::int64_t id) { return outcome(id); }};
    const search::RaceClaim claim = search::claimRaceItem(
        queue, static_cast<std::int64_t>(items_.size() / static_cast<std::size_t>(k)), finished, c_.search.racing);
    for (const search::RaceAction& a : claim.racedOut) {
      if (!a.decision) {
        // A job killed while it wrote the point's markers: the point's decision stands for this fold
        // too, with the reason recorded on its other folds.
        std::string why;
        for (int f = 0; f < k && why.empty(); ++f)
          if (const auto marker = dir_.racedOutFile(a.point * k + f); fs::exists(marker))
            why = str::trim(rundir::readTextFile(marker));
        dir_.markRacedOut(a.point * k + a.fromFold, why + " (recorded by the next job: the deciding one stopped first)");
        continue;
      }
      // Every fold of the point from this one on is skipped; none of them was handed out (a
      // point's folds go out one at a time, in order).
      const std::string why = a.decision->describe();
      for (int f = a.fromFold; f < k; ++f) {
        const std::int64_t id = a.point * k + f;
        if (outcome(id)) continue;
        dir_.markRacedOut(id, why);
      }
      log_.info("racing: point " + std::to_string(a.point) + " " + why + "; folds " + std::to_string(a.fromFold) +
                ".." + std::to_string(k - 1) + " skipped");
    }
    if (claim.kind == search::RaceClaim::Kind::Item) {
      guard.set(claim.index, 1);
      index = claim.index;
    }
    guard.commit();
    return claim.kind == search::RaceClaim::Kind::Item ? Claim::Item
           : claim.kind == search::RaceClaim::Kind::Wait ? Claim::Wait
                                                         : Claim::None;
  }

  const CampaignConfig& c_;
  RunDirectory dir_;
  const std::vector<Item>& items_;
  std::vector<std::int64_t> pending_;
  const RunOptions& options_;
  const Logger& log_;
  search::ItemResults results_;
  std::map<std::int64_t, search::ItemOutcome> finished_;
  std::unique_ptr<dist::SharedLock> lock_;
};

// Racing in a slice (--items I/N): the slice's items come from its queue in id order, and a
// point's folds are in different slices, which may run at different times: no slice can wait for
// another's fold, nor skip folds another slice owns. So each item is decided by the slice that
// owns it, when one of its groups takes it, from the point's other folds finished by then (any of
// them: folds are exchangeable) and the campaign's reference; only its own marker is written. No
// lock is needed: nothing but the owner decides an item, and the reference only grows.
class SliceRacingSource final : public ItemSource {
 public:
  SliceRacingSource(const CampaignConfig& c, const std::vector<Item>& items, std::unique_ptr<ItemSource> queue,
                    const Logger& log)
      : c_(c), dir_(c.run.output.dir), items_(items), queue_(std::move(queue)), log_(log),
        results_(searchItems(c, dir_)) {}

  std::optional<Item> next(dist::Communicator& group, bool leader) override {
    for (;;) {
      std::optional<Item> item = queue_->next(group, leader);
      if (!item) return item;
      // "" train it; "R" raced out.
      const std::string verdict = leaderAnswer(group, leader, [&] { return std::string(decide(*item) ? "R" : ""); });
      if (verdict.empty()) return item;
    }
  }

  void poll() override { queue_->poll(); }

 private:
  // Whether `item` is raced out (its marker then written).
  bool decide(const Item& item) {
    const int k = c_.cv.folds;
    const std::size_t pointCount = items_.size() / static_cast<std::size_t>(k);
    std::vector<search::RacePoint> points(pointCount);
    std::string lost;  // the reason recorded on another fold of the item's point, if it lost already
    for (const Item& it : items_) {
      if (it.id == item.id) continue;
      const auto o = outcome(it.id);
      if (!o) continue;
      const auto p = static_cast<std::size_t>(it.point);
      if (o->racedOut) {
        if (it.point == item.point && lost.empty()) lost = str::trim(rundir::readTextFile(dir_.racedOutFile(it.id)));
      } else if (o->objective) {
        points[p].folds.push_back(*o->objective);
      } else {
        points[p].failed = true;
      }
    }
    std::string why;
    if (!lost.empty()) {
      why = lost;
    } else if (const auto decision = search::raceOut(points.at(static_cast<std::size_t>(item.point)),
                                                      search::raceReference(points, k), k, c_.search.racing)) {
      why = decision->describe();
    } else {
      return false;
    }
    dir_.markRacedOut(item.id, why);
    log_.info("racing: " + item.describe() + " skipped (its point " + why + ")");
    return true;
  }

  // Trained and raced-out outcomes are cached (they never change).
  std::optional<search::ItemOutcome> outcome(std::int64_t id) {
    if (const auto it = finished_.find(id); it != finished_.end()) return it->second;
    auto o = results_.read(id);
    if (o && (o->objective || o->racedOut)) finished_.emplace(id, *o);
    return o;
  }

  const CampaignConfig& c_;
  RunDirectory dir_;
  const std::vector<Item>& items_;
  std::unique_ptr<ItemSource> queue_;
  const Logger& log_;
  search::ItemResults results_;
  std::map<std::int64_t, search::ItemOutcome> finished_;
};

}  // namespace

std::unique_ptr<ItemSource> makeSliceRacingSource(const CampaignConfig& c, const std::vector<Item>& items,
                                                  std::unique_ptr<ItemSource> queue, const Logger& log) {
  return std::make_unique<SliceRacingSource>(c, items, std::move(queue), log);
}

std::unique_ptr<ItemSource> makeRacingSource(const CampaignConfig& c, dist::Communicator& world,
                                             const std::vector<Item>& items, std::vector<std::int64_t> pending,
                                             const RunOptions& options, const Logger& log) {
  return std::make_unique<RacingSource>(c, world, items, std::move(pending), options, log);
}

}  // namespace hepsweep::campaign::detail
