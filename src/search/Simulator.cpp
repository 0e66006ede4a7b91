#include "hepsweep/search/Simulator.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <queue>
#include <string>

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
  double start = 0, end = 0, value = 0;
};

}  // namespace

SimulationResult simulate(Searcher& searcher, const ItemObjective& objective, const SimulationOptions& o) {
  if (o.groups < 1 || o.folds < 1)
    throwConfig("simulation: groups and folds must be >= 1 (got " + std::to_string(o.groups) + " and " +
                std::to_string(o.folds) + ")");
  if (!(o.medianItemSeconds > 0) || !(o.itemSpread >= 0) || !(o.handoutSeconds >= 0) ||
      (o.proposalSeconds && !(*o.proposalSeconds >= 0)))
    throwConfig("simulation: the median item time must be > 0, the spread and the lock times >= 0");
  if (searcher.proposedCount() > 0)
    throw Error(ErrorCategory::Internal, "simulation: the searcher has proposed points already (give a fresh one)");
  const std::uint64_t key = rng::streamKey(o.seed, rng::Stream::Misc);

  std::vector<std::optional<Run>> runs;
  double now = 0;
  const ItemResults results{o.folds, [&](std::int64_t item) -> std::optional<ItemOutcome> {
                              const auto i = static_cast<std::size_t>(item);
                              if (i >= runs.size() || !runs[i] || runs[i]->end > now) return std::nullopt;
                              return ItemOutcome{runs[i]->value, false};
                            }};
  SimulationResult r;
  const auto record = [&] {
    if (const auto best = searcher.best(); best && (r.trace.empty() || *best->objective < r.trace.back().best))
      r.trace.push_back({now, *best->objective, static_cast<std::int64_t>(searcher.observations().size())});
  };

  // Requests for an item, earliest first (ties: the lower group).
  using Request = std::pair<double, int>;
  std::priority_queue<Request, std::vector<Request>, std::greater<>> requests;
  for (int g = 0; g < o.groups; ++g) requests.push({0.0, g});
  double lockFree = 0;
  std::int64_t handed = 0;
  std::optional<double> firstIdle;
  while (!requests.empty()) {
    const auto [asked, group] = requests.top();
    requests.pop();
    now = std::max(asked, lockFree);
    r.lockWaitSeconds += now - asked;
    observeFinished(searcher, results);
    record();
    const double cpu0 = cpuSeconds();
    const Handout h = handOut(searcher, handed, {}, 0, o.folds);
    const double cpu = cpuSeconds() - cpu0;
    double hold = o.handoutSeconds;
    if (!h.proposed.empty()) {
      ++r.proposals;
      r.proposalCpuSeconds += cpu;
      const double cost = o.proposalSeconds.value_or(cpu);
      r.proposalSeconds += cost;
      hold += cost;
    }
    lockFree = now + hold;
    if (!h.item) {
      if (!firstIdle) firstIdle = lockFree;
      continue;  // this group stops, as in the campaign
    }
    ++handed;
    const auto item = static_cast<std::size_t>(*h.item);
    if (item >= runs.size()) runs.resize(item + 1);
    const Point& p = searcher.point(*h.item / o.folds);
    const double seconds = o.medianItemSeconds * std::exp(o.itemSpread * rng::normal(key, item));
    runs[item] = Run{lockFree, lockFree + seconds, objective(p, static_cast<int>(*h.item % o.folds))};
    ++r.items;
    requests.push({lockFree + seconds, group});
  }
  for (const auto& run : runs)
    if (run) r.wallSeconds = std::max(r.wallSeconds, run->end);
  now = r.wallSeconds;
  observeFinished(searcher, results);
  record();

  r.steadySeconds = firstIdle.value_or(r.wallSeconds);
  double busy = 0, steadyBusy = 0;
  for (const auto& run : runs) {
    if (!run) continue;
    busy += run->end - run->start;
    steadyBusy += std::max(0.0, std::min(run->end, r.steadySeconds) - std::min(run->start, r.steadySeconds));
  }
  const double groups = static_cast<double>(o.groups);
  if (r.wallSeconds > 0) r.utilisation = busy / (groups * r.wallSeconds);
  if (r.steadySeconds > 0) r.steadyUtilisation = steadyBusy / (groups * r.steadySeconds);
  return r;
}

}  // namespace hepsweep::search
