#pragma once
// The BDT baseline's items (docs/baseline.md): one per point of the [baseline] grid and fold,
// run after the network's items by the same job, in RUN/baseline/ (a run directory of its own:
// items/<id>/result.h5 means done, failed.txt failed). Each rank takes items from a shared queue
// (trees train on one thread: ranks_per_item does not apply). A killed item is trained again by
// the next run; finished ones are kept.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "CampaignData.hpp"
#include "hepsweep/campaign/Campaign.hpp"

namespace hepsweep::campaign {

struct BaselinePass {
  std::int64_t total = 0, done = 0, failed = 0, ranHere = 0;
  bool interrupted = false;
};

// The items of c's [baseline] grid (none when it is off): id and description, in item order.
std::vector<std::pair<std::int64_t, std::string>> baselineItemList(const CampaignConfig& c);

// Why the result file of baseline item `id` cannot be kept (unreadable, another item's, another
// campaign's), or nullopt when it can.
std::optional<std::string> baselineResultProblem(const std::filesystem::path& path, std::int64_t id,
                                                 const std::string& campaignSha);

// Collective over `world`. `data` gives the job's data (read on first use); nothing is read when
// every item is done. Error(Input) when the network's manifest is missing (the network pass writes it).
BaselinePass runBaseline(const CampaignConfig& c, dist::Communicator& world, const RunOptions& options,
                         const Logger& log, const std::function<const CampaignData&()>& data);

}  // namespace hepsweep::campaign
