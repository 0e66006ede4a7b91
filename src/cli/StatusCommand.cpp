// `hepsweep status RUN_DIR`: what a campaign's run directory holds, from its files alone.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/core/Error.hpp"

namespace po = boost::program_options;

namespace hepsweep::cli {

int statusCommand(const Args& args) {
  po::options_description opts(
      "usage: hepsweep status RUN_DIR [options]\n\n"
      "Count the items of a campaign that are done, running (a heartbeat in the last 10 minutes),\n"
      "failed (with the reason) and pending. Reads only the run directory's files.\n\noptions");
  opts.add_options()("help,h", "print this help and exit")(
      "json", "print one JSON object with total, done, running, failed, pending, failures and pending_items");
  std::string runDir;
  po::variables_map vm;
  if (!parseArgs(args, opts, runDir, vm)) return 0;
  if (runDir.empty()) throwConfig("no run directory given (usage: hepsweep status RUN_DIR)");
  const campaign::StatusReport r = campaign::campaignStatus(runDir);
  if (vm.count("json")) {
    nlohmann::ordered_json j;
    j["run_dir"] = runDir;
    j["total"] = r.total;
    j["done"] = r.done;
    j["running"] = r.running;
    j["failed"] = r.failed;
    j["pending"] = r.pending;
    nlohmann::ordered_json failures = nlohmann::ordered_json::array();
    for (const auto& [item, reason] : r.failures) failures.push_back({{"item", item}, {"reason", reason}});
    j["failures"] = failures;
    j["pending_items"] = r.pendingItems;
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::printf("%s: %lld items: %lld done, %lld running, %lld failed, %lld pending\n", runDir.c_str(),
              static_cast<long long>(r.total), static_cast<long long>(r.done), static_cast<long long>(r.running),
              static_cast<long long>(r.failed), static_cast<long long>(r.pending));
  for (const auto& [item, reason] : r.failures) std::printf("  item %lld failed: %s\n", static_cast<long long>(item), reason.c_str());
  return 0;
}

}  // namespace hepsweep::cli
