// `hepsweep status RUN_DIR`: what a campaign's run directory holds, from its files alone.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/SearchFile.hpp"

namespace po = boost::program_options;

namespace hepsweep::cli {

namespace {

// A Bayesian search's progress from RUN_DIR/search.h5 (null when the run has none).
nlohmann::ordered_json searchProgress(const std::string& runDir) {
  const std::filesystem::path file = search::searchFilePath(runDir);
  const auto json = search::readSearchStateJson(file);
  if (!json) return nullptr;
  const rundir::RunDirectory dir(runDir);
  const auto c = campaign::parseCampaign(rundir::readTextFile(dir.campaignFile()), dir.campaignFile().string());
  const search::State state = search::stateFromJson(*json, c.search.space, file.string());
  nlohmann::ordered_json j;
  j["method"] = state.method;
  j["budget"] = c.search.budget.value_or(0);
  j["proposed"] = state.proposals.size();
  std::int64_t failed = 0, stopped = 0;
  for (const auto& o : state.observations) {
    failed += o.objective ? 0 : 1;
    stopped += o.stoppedFolds > 0 ? 1 : 0;
  }
  j["observed"] = state.observations.size();
  j["failed"] = failed;
  j["stopped_points"] = stopped;
  j["objective"] = c.search.objective.name();
  if (const auto best = search::bestObservation(state.observations)) {
    const metrics::ObjectiveDisplay shown = c.search.objective.display();
    j["best"] = {{"point", best->id},
                 {"objective", *best->objective},
                 {"quantity", shown.quantity},
                 {"value", shown.shown(*best->objective)},
                 {"description", c.search.objective.describe(*best->objective)},
                 {"overrides", state.proposals[static_cast<std::size_t>(best->id)].toOverrides()}};
  }
  return j;
}

nlohmann::ordered_json baselineJson(const campaign::BaselineStatus& b) {
  if (!b.enabled) return nullptr;
  nlohmann::ordered_json j;
  j["total"] = b.total;
  j["done"] = b.done;
  j["running"] = b.running;
  j["failed"] = b.failed;
  j["pending"] = b.pending;
  j["pending_items"] = b.pendingItems;
  nlohmann::ordered_json failures = nlohmann::ordered_json::array(), invalid = nlohmann::ordered_json::array();
  for (const auto& [item, reason] : b.failures) failures.push_back({{"item", item}, {"reason", reason}});
  for (const auto& [item, reason] : b.invalidItems) invalid.push_back({{"item", item}, {"reason", reason}});
  j["failures"] = failures;
  j["invalid"] = b.invalid;
  j["invalid_items"] = invalid;
  return j;
}

void printBaseline(const campaign::BaselineStatus& b) {
  if (!b.enabled) return;
  std::printf("baseline (BDT, RUN_DIR/baseline): %lld items: %lld done, %lld running, %lld failed, %lld pending\n",
              static_cast<long long>(b.total), static_cast<long long>(b.done), static_cast<long long>(b.running),
              static_cast<long long>(b.failed), static_cast<long long>(b.pending));
  for (const auto& [item, reason] : b.failures)
    std::printf("  baseline item %lld failed: %s\n", static_cast<long long>(item), reason.c_str());
  for (const auto& [item, reason] : b.invalidItems)
    std::printf("  baseline item %lld has an invalid result file (trained again by the next `hepsweep train`): %s\n",
                static_cast<long long>(item), reason.c_str());
}

}  // namespace

int statusCommand(const Args& args, dist::Environment&) {
  po::options_description opts(
      "usage: hepsweep status RUN_DIR [options]\n\n"
      "Count the items of a campaign that are done, running (a heartbeat in the last 10 minutes),\n"
      "failed (with the reason), pending and raced out (search.racing), and the BDT baseline's items\n"
      "([baseline]) apart. Reads only the run directory's files.\n\noptions");
  opts.add_options()("help,h", "print this help and exit")(
      "json", "print one JSON object with total, done, stopped, stopped_items, running, failed, pending, raced_out, raced_out_items, failures, pending_items, invalid, invalid_items, problems, search (a Bayesian search's progress and best point, or null) and baseline (the BDT baseline's total, done, running, failed, pending, pending_items, failures, invalid and invalid_items, or null without a [baseline] table)");
  std::string runDir;
  po::variables_map vm;
  if (!parseArgs(args, opts, runDir, vm)) return 0;
  if (runDir.empty()) throwConfig("no run directory given (usage: hepsweep status RUN_DIR)");
  campaign::StatusReport r = campaign::campaignStatus(runDir);
  // A damaged search state is reported like any other unreadable file, never the end of the report.
  nlohmann::ordered_json search;
  try {
    search = searchProgress(runDir);
  } catch (const Error& e) {
    r.problems.push_back(e.what());
  }
  if (vm.count("json")) {
    nlohmann::ordered_json j;
    j["run_dir"] = runDir;
    j["total"] = r.total;
    j["done"] = r.done;
    j["stopped"] = r.stopped;
    j["stopped_items"] = r.stoppedItems;
    j["running"] = r.running;
    j["failed"] = r.failed;
    j["pending"] = r.pending;
    j["raced_out"] = r.racedOut;
    j["raced_out_items"] = r.racedOutItems;
    nlohmann::ordered_json failures = nlohmann::ordered_json::array();
    for (const auto& [item, reason] : r.failures) failures.push_back({{"item", item}, {"reason", reason}});
    j["failures"] = failures;
    j["pending_items"] = r.pendingItems;
    j["invalid"] = r.invalid;
    nlohmann::ordered_json invalid = nlohmann::ordered_json::array();
    for (const auto& [item, reason] : r.invalidItems) invalid.push_back({{"item", item}, {"reason", reason}});
    j["invalid_items"] = invalid;
    j["problems"] = r.problems;
    j["search"] = search;
    j["baseline"] = baselineJson(r.baseline);
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::printf("%s: %lld items: %lld done, %lld running, %lld failed, %lld pending\n", runDir.c_str(),
              static_cast<long long>(r.total), static_cast<long long>(r.done), static_cast<long long>(r.running),
              static_cast<long long>(r.failed), static_cast<long long>(r.pending));
  if (r.stopped > 0)
    std::printf("  %lld of the done items were stopped early by the [search.early_stopping] rule\n",
                static_cast<long long>(r.stopped));
  if (r.racedOut > 0)
    std::printf("  %lld item(s) raced out (search.racing: their points lost the race across folds; never trained)\n",
                static_cast<long long>(r.racedOut));
  for (const auto& [item, reason] : r.failures) std::printf("  item %lld failed: %s\n", static_cast<long long>(item), reason.c_str());
  if (r.invalid > 0)
    std::printf("%lld item(s) have an invalid result file (the next `hepsweep train` moves it aside and trains the "
                "item again):\n", static_cast<long long>(r.invalid));
  for (const auto& [item, reason] : r.invalidItems)
    std::printf("  item %lld: %s\n", static_cast<long long>(item), reason.c_str());
  printBaseline(r.baseline);
  for (const auto& p : r.problems) std::printf("warning: %s\n", p.c_str());
  if (const auto& s = search; !s.is_null()) {
    std::printf("search: %s, %lld of %lld points proposed, %lld observed (%lld failed)\n",
                s["method"].get<std::string>().c_str(), s["proposed"].get<long long>(), s["budget"].get<long long>(),
                s["observed"].get<long long>(), s["failed"].get<long long>());
    if (s.contains("best"))
      std::printf("  best: point %lld, %s (mean over folds): %s\n", s["best"]["point"].get<long long>(),
                  s["best"]["description"].get<std::string>().c_str(),
                  str::join(s["best"]["overrides"].get<std::vector<std::string>>(), " ").c_str());
  }
  return 0;
}

}  // namespace hepsweep::cli
