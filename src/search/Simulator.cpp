#include "hepsweep/search/Simulator.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <queue>
#include <string>
#include <tuple>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/search/Schedule.hpp"
#include "hepsweep/search/SearchFile.hpp"

namespace hepsweep::search {

namespace {

double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Run {
  double start = 0, perEpoch = 0;
  std::vector<double> best;    // running best of the curve, cut to the epochs it may train
  int group = 0, bracket = 0;
  std::size_t nextRung = 0;    // index into the bracket's rungs
  int trained = 0;             // epochs, once ended
  bool ended = false, stopped = false, racedOut = false;
  double end = 0;
};

// Events in time order; at equal times a rung decision and an item's end come before a group's
// request (so a group asking as an item ends sees it), then requests in the order they first
// asked (the lock is first come, first served), then by group.
enum class EventKind { Rung = 0, End = 1, Request = 2 };
struct Event {
  double time = 0;
  EventKind kind = EventKind::Request;
  double asked = 0;
  int group = 0;
  std::int64_t item = -1;
  bool operator>(const Event& o) const {
    return std::tie(time, kind, asked, group, item) > std::tie(o.time, o.kind, o.asked, o.group, o.item);
  }
};

bool halving(StoppingRule r) { return r == StoppingRule::Asha || r == StoppingRule::Hyperband; }

}  // namespace

SimulationResult simulate(Searcher& searcher, const ItemObjective& objective, const SimulationOptions& o) {
  const int epochs = std::max(1, o.epochs);
  return simulate(
      searcher,
      [&](const Point& p, int fold) { return std::vector<double>(static_cast<std::size_t>(epochs), objective(p, fold)); },
      o);
}

SimulationResult simulate(Searcher& searcher, const ItemCurve& curveOf, const SimulationOptions& o) {
  if (o.groups < 1 || o.folds < 1 || o.epochs < 1)
    throwConfig("simulation: groups, folds and epochs must be >= 1 (got " + std::to_string(o.groups) + ", " +
                std::to_string(o.folds) + " and " + std::to_string(o.epochs) + ")");
  if (!(o.medianItemSeconds > 0) || !(o.itemSpread >= 0) || !(o.handoutSeconds >= 0) ||
      (o.proposalSeconds && !(*o.proposalSeconds >= 0)))
    throwConfig("simulation: the median item time must be > 0, the spread and the lock times >= 0");
  if (o.earlyStopping.rule == StoppingRule::Median)
    throwConfig("simulation: the median stopping rule is not replayed (rule \"asha\", \"hyperband\" or \"none\")");
  if (o.racing.enabled && (o.schedule != SimulatedSchedule::Rounds || o.folds < 2))
    throwConfig("simulation: racing needs the rounds schedule and folds >= 2, as in the campaign");
  if (searcher.proposedCount() > 0)
    throw Error(ErrorCategory::Internal, "simulation: the searcher has proposed points already (give a fresh one)");
  const std::uint64_t key = rng::streamKey(o.seed, rng::Stream::Misc);
  const bool halvingOn = halving(o.earlyStopping.rule);
  const int brackets = halvingOn ? haltingBrackets(o.earlyStopping, o.epochs) : 1;
  std::vector<std::vector<int>> rungs(static_cast<std::size_t>(brackets));
  if (halvingOn)
    for (int b = 0; b < brackets; ++b) rungs[static_cast<std::size_t>(b)] = rungEpochs(o.earlyStopping, o.epochs, b);
  // (item, value) recorded at each rung epoch, in the order the items reached it.
  std::map<int, std::vector<std::pair<std::int64_t, double>>> rungValues;

  std::vector<std::optional<Run>> runs;
  const ItemResults results{o.folds, [&](std::int64_t item) -> std::optional<ItemOutcome> {
                              const auto i = static_cast<std::size_t>(item);
                              if (i >= runs.size() || !runs[i] || !runs[i]->ended) return std::nullopt;
                              const Run& run = *runs[i];
                              if (run.racedOut) return ItemOutcome{std::nullopt, false, true};
                              return ItemOutcome{run.best[static_cast<std::size_t>(run.trained) - 1], run.stopped, false};
                            }};
  double now = 0;
  const auto epochsBy = [&](double t) {
    std::int64_t n = 0;
    for (const auto& run : runs) {
      if (!run || run->racedOut) continue;
      if (run->ended) n += run->trained;
      else n += std::min<std::int64_t>(static_cast<std::int64_t>(run->best.size()),
                                       static_cast<std::int64_t>(std::floor((t - run->start) / run->perEpoch + 1e-9)));
    }
    return n;
  };
  SimulationResult r;
  const auto record = [&] {
    if (const auto best = searcher.best(); best && (r.trace.empty() || *best->objective < r.trace.back().best))
      r.trace.push_back({now, *best->objective, static_cast<std::int64_t>(searcher.observations().size()), epochsBy(now),
                         best->id});
  };
  const auto budgetSpent = [&] { return o.epochBudget && epochsBy(now) >= *o.epochBudget; };

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  for (int g = 0; g < o.groups; ++g) events.push({0.0, EventKind::Request, 0.0, g, -1});
  double lockFree = 0;
  std::optional<double> firstIdle;
  const auto holdLock = [&](double proposalCpu, bool proposed, std::int64_t proposals) {
    double hold = o.handoutSeconds;
    if (proposed) {
      r.proposals += proposals;
      r.proposalCpuSeconds += proposalCpu;
      const double cost = o.proposalSeconds ? *o.proposalSeconds * static_cast<double>(proposals) : proposalCpu;
      r.proposalSeconds += cost;
      hold += cost;
    }
    lockFree = now + hold;
  };
  // The next rung of a running item, or its end.
  const auto schedule = [&](std::int64_t item) {
    Run& run = *runs[static_cast<std::size_t>(item)];
    const auto& mine = rungs[static_cast<std::size_t>(run.bracket)];
    const int length = static_cast<int>(run.best.size());
    if (run.nextRung < mine.size() && mine[run.nextRung] < length)
      events.push({run.start + mine[run.nextRung] * run.perEpoch, EventKind::Rung, 0.0, run.group, item});
    else
      events.push({run.start + length * run.perEpoch, EventKind::End, 0.0, run.group, item});
  };
  const auto start = [&](std::int64_t item, int group) {
    const auto i = static_cast<std::size_t>(item);
    if (i >= runs.size()) runs.resize(i + 1);
    const Point& p = searcher.point(item / o.folds);
    std::vector<double> curve = curveOf(p, static_cast<int>(item % o.folds));
    if (curve.empty()) throw Error(ErrorCategory::Internal, "simulation: an empty learning curve");
    if (static_cast<int>(curve.size()) > o.epochs) curve.resize(static_cast<std::size_t>(o.epochs));
    Run run;
    run.start = lockFree;
    run.perEpoch = o.medianItemSeconds * std::exp(o.itemSpread * rng::normal(key, static_cast<std::uint64_t>(item))) /
                   static_cast<double>(o.epochs);
    run.best = runningBest(curve);
    run.group = group;
    run.bracket = halvingOn ? bracketOf(item / o.folds, brackets) : 0;
    runs[i] = std::move(run);
    ++r.items;
    schedule(item);
  };

  // Asynchronous schedule: the hand-out counter. Rounds: the round's queue, the groups waiting for
  // an item of it to finish, and the groups done with it.
  std::int64_t handed = 0;
  std::vector<RaceQueueEntry> queue;
  std::vector<int> waiting, done;
  int stoppedGroups = 0, running = 0;
  bool roundsOver = false;
  const auto stopGroup = [&] {
    ++stoppedGroups;
    if (!firstIdle) firstIdle = lockFree;
  };
  // The next round: observe, propose one point per group, queue their items; every group asks.
  const auto nextRound = [&] {
    observeFinished(searcher, results);
    record();
    queue.clear();
    if (budgetSpent() || searcher.exhausted()) {
      roundsOver = true;
      for (std::size_t g = 0; g < done.size(); ++g) stopGroup();
      done.clear();
      return;
    }
    const double cpu0 = cpuSeconds();
    const std::vector<Point> points = searcher.propose(static_cast<std::size_t>(o.groups));
    holdLock(cpuSeconds() - cpu0, !points.empty(), static_cast<std::int64_t>(points.size()));
    for (const Point& p : points)
      for (int f = 0; f < o.folds; ++f) queue.push_back({p.id * o.folds + f, false});
    for (const int g : done) events.push({lockFree, EventKind::Request, lockFree, g, -1});
    done.clear();
  };

  while (!events.empty()) {
    const Event e = events.top();
    events.pop();
    if (e.kind == EventKind::Rung) {
      now = e.time;
      Run& run = *runs[static_cast<std::size_t>(e.item)];
      const int epoch = rungs[static_cast<std::size_t>(run.bracket)][run.nextRung++];
      const double value = run.best[static_cast<std::size_t>(epoch) - 1];
      auto& recorded = rungValues[epoch];
      std::vector<double> peers;
      for (const auto& [item, v] : recorded)
        if (rungPeers(item, e.item, o.folds, brackets)) peers.push_back(v);
      const RungDecision d = rungDecision(epoch, value, peers, o.earlyStopping.reductionFactor);
      recorded.emplace_back(e.item, value);
      if (d.stop) {
        run.stopped = true;
        ++r.stoppedItems;
        events.push({now, EventKind::End, 0.0, run.group, e.item});
        run.best.resize(static_cast<std::size_t>(epoch));
      } else {
        schedule(e.item);
      }
      continue;
    }
    if (e.kind == EventKind::End) {
      now = e.time;
      Run& run = *runs[static_cast<std::size_t>(e.item)];
      run.ended = true;
      run.end = now;
      run.trained = static_cast<int>(run.best.size());
      r.epochs += run.trained;
      --running;
      events.push({now, EventKind::Request, now, run.group, -1});
      for (const int g : waiting) events.push({now, EventKind::Request, now, g, -1});
      waiting.clear();
      continue;
    }
    // A group asks for an item; the lock serialises the hand-outs.
    if (lockFree > e.time) {
      events.push({lockFree, EventKind::Request, e.asked, e.group, -1});
      continue;
    }
    now = e.time;
    r.lockWaitSeconds += now - e.asked;
    if (o.schedule == SimulatedSchedule::Asynchronous) {
      observeFinished(searcher, results);
      record();
      if (budgetSpent()) {
        lockFree = now + o.handoutSeconds;
        stopGroup();
        continue;
      }
      const double cpu0 = cpuSeconds();
      const Handout h = handOut(searcher, handed, {}, 0, o.folds);
      holdLock(cpuSeconds() - cpu0, !h.proposed.empty(), 1);
      if (!h.item) {
        stopGroup();  // this group stops, as in the campaign
        continue;
      }
      ++handed;
      start(*h.item, e.group);
      ++running;
      continue;
    }
    if (roundsOver) {
      stopGroup();
      continue;
    }
    RaceClaim claim;
    if (!budgetSpent()) {
      if (o.racing.enabled) {
        claim = claimRaceItem(queue, static_cast<std::int64_t>(searcher.proposedCount()), results, o.racing);
      } else {
        for (std::size_t i = 0; i < queue.size(); ++i)
          if (!queue[i].handedOut) {
            claim.kind = RaceClaim::Kind::Item;
            claim.index = i;
            break;
          }
      }
    }
    lockFree = now + o.handoutSeconds;
    for (const RaceAction& a : claim.racedOut)
      for (int f = a.fromFold; f < (a.decision ? o.folds : a.fromFold + 1); ++f) {
        const auto i = static_cast<std::size_t>(a.point * o.folds + f);
        if (i >= runs.size()) runs.resize(i + 1);
        if (runs[i]) continue;
        Run skipped;
        skipped.racedOut = skipped.ended = true;
        skipped.start = skipped.end = now;
        runs[i] = std::move(skipped);
        ++r.racedOutItems;
      }
    if (claim.kind == RaceClaim::Kind::Item) {
      queue[claim.index].handedOut = true;
      start(queue[claim.index].item, e.group);
      ++running;
    } else if (claim.kind == RaceClaim::Kind::Wait) {
      waiting.push_back(e.group);
    } else {
      done.push_back(e.group);
      // The round ends when every group is done with it and no item of it still trains.
      if (running == 0 && static_cast<int>(done.size()) + stoppedGroups == o.groups) nextRound();
    }
  }
  for (const auto& run : runs)
    if (run && !run->racedOut) r.wallSeconds = std::max(r.wallSeconds, run->end);
  now = r.wallSeconds;
  observeFinished(searcher, results);
  record();

  r.steadySeconds = firstIdle.value_or(r.wallSeconds);
  double busy = 0, steadyBusy = 0;
  for (const auto& run : runs) {
    if (!run || run->racedOut) continue;
    busy += run->end - run->start;
    steadyBusy += std::max(0.0, std::min(run->end, r.steadySeconds) - std::min(run->start, r.steadySeconds));
  }
  const double groups = static_cast<double>(o.groups);
  if (r.wallSeconds > 0) r.utilisation = busy / (groups * r.wallSeconds);
  if (r.steadySeconds > 0) r.steadyUtilisation = steadyBusy / (groups * r.steadySeconds);
  return r;
}

}  // namespace hepsweep::search
