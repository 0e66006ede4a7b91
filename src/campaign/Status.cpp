// `hepsweep status`: what a run directory holds, item by item, without MPI or the data.
#include "hepsweep/campaign/Campaign.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "BaselineItems.hpp"
#include "ItemStopping.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/rundir/Manifest.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"

namespace fs = std::filesystem;

namespace hepsweep::campaign {

using rundir::ItemStatus;
using rundir::readTextFile;
using rundir::RunDirectory;

namespace {

BaselineStatus baselineStatus(const CampaignConfig& c, const fs::path& root, const std::string& campaignSha) {
  BaselineStatus b;
  b.enabled = c.baseline.enabled;
  const RunDirectory dir(root);
  for (const auto& [id, what] : baselineItemList(c)) {
    ++b.total;
    switch (dir.status(id)) {
      case ItemStatus::Done:
        // Without the manifest's campaign checksum only the file itself is checked.
        if (auto problem = baselineResultProblem(dir.resultFile(id), id, campaignSha)) {
          if (!campaignSha.empty() || problem->find("another campaign") == std::string::npos) {
            ++b.invalid;
            b.invalidItems.emplace_back(id, *problem);
            break;
          }
        }
        ++b.done;
        break;
      case ItemStatus::Running: ++b.running; break;
      case ItemStatus::Failed:
        ++b.failed;
        b.failures.emplace_back(id, str::trim(dir.failureReason(id).value_or("")));
        break;
      case ItemStatus::RacedOut:  // baseline items are never raced: a stray marker leaves the item to train
      case ItemStatus::Pending:
        ++b.pending;
        b.pendingItems.push_back(id);
        break;
    }
  }
  return b;
}

}  // namespace

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
  std::optional<CampaignConfig> config;
  const auto campaign = [&]() -> const CampaignConfig& {
    if (!config) {
      config = parseCampaign(readTextFile(dir.campaignFile()), dir.campaignFile().string());
      config->run.output.dir = runDir.string();  // where a Bayesian search's points are, wherever the run moved
    }
    return *config;
  };
  if (!fromManifest)
    for (const auto& it : planItems(campaign())) items.emplace_back(it.id, it.describe());
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
      case ItemStatus::RacedOut:
        ++r.racedOut;
        r.racedOutItems.push_back(id);
        break;
      case ItemStatus::Pending:
        ++r.pending;
        r.pendingItems.push_back(id);
        break;
    }
  }
  // The baseline's items, from the campaign's [baseline] grid and RUN/baseline.
  try {
    r.baseline = baselineStatus(campaign(), dir.root() / "baseline", campaignSha);
  } catch (const Error& e) {
    r.problems.push_back(e.what());
  }
  return r;
}

}  // namespace hepsweep::campaign
