#include "ItemStopping.hpp"

#include <charconv>
#include <cstdio>
#include <span>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/search/Space.hpp"

namespace fs = std::filesystem;

namespace hepsweep::campaign {

using rundir::ItemStatus;
using rundir::RunDirectory;

std::optional<std::string> stoppedBy(const fs::path& resultFile) {
  return rundir::readResultSummary(resultFile.string()).stoppedBy;
}

ItemStopping::ItemStopping(const CampaignConfig& c, const RunDirectory& dir, const Item& item,
                           dist::Communicator& group, const std::vector<train::EpochRecord>& previous)
    : c_(c), dir_(dir), item_(item), group_(group), rule_(c.search.earlyStopping) {
  for (const auto& r : previous) curve_.push_back(c.search.objective.epochValue(r.valLoss, r.valAuc));
}

void ItemStopping::loadFinishedPeers() {
  const fs::path items = dir_.root() / "items";
  std::error_code ec;
  fs::directory_iterator it(items, ec);
  if (ec) return;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    std::int64_t id = -1;
    const auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (err != std::errc() || end != name.data() + name.size() || id < 0) continue;
    if (id == item_.id || id % c_.cv.folds != item_.fold || seen_.count(id)) continue;
    // The result file is renamed into place whole: existing means finished.
    const fs::path result = dir_.resultFile(id);
    if (!fs::exists(result)) continue;
    seen_.insert(id);
    const rundir::ResultSummary r = rundir::readResultSummary(result.string());
    // Items stopped by the rule ended early by construction: their curves are not references.
    if (r.stoppedBy) continue;
    std::vector<double> curve;
    for (std::size_t e = 0; e < r.valLoss.size() && e < r.valAuc.size(); ++e)
      curve.push_back(c_.search.objective.epochValue(r.valLoss[e], r.valAuc[e]));
    rule_.addCompleted(curve);
  }
}

train::CallbackResult ItemStopping::onEpochEnd(const train::EpochRecord& rec, nn::Network&) {
  curve_.push_back(c_.search.objective.epochValue(rec.valLoss, rec.valAuc));
  // Files can appear between two ranks' reads: rank 0 decides for the group.
  std::int64_t ints[2] = {0, 0};
  double reals[2] = {0, 0};
  if (group_.rank() == 0) {
    loadFinishedPeers();
    const search::StopDecision d = rule_.check(curve_);
    ints[0] = d.stop ? 1 : 0;
    ints[1] = static_cast<std::int64_t>(d.compared);
    reals[0] = d.value;
    reals[1] = d.median;
  }
  group_.broadcast(std::span<std::int64_t>(ints, 2), 0);
  group_.broadcast(std::span<double>(reals, 2), 0);
  if (ints[0] == 0) return train::CallbackResult::Continue;
  search::StopDecision d;
  d.stop = true;
  d.epoch = rec.epoch;
  d.value = reals[0];
  d.median = reals[1];
  d.compared = static_cast<std::size_t>(ints[1]);
  decision_ = d;
  return train::CallbackResult::Stop;
}

void ItemStopping::record(train::RunRecord& rec) const {
  if (!decision_) return;
  rec.textAttrs.emplace_back(kStoppedByAttr, kMedianRuleName);
  rec.intAttrs.emplace_back("stopped_epoch", decision_->epoch);
  rec.intAttrs.emplace_back("stopped_compared", static_cast<std::int64_t>(decision_->compared));
  rec.realAttrs.emplace_back("stopped_value", decision_->value);
  rec.realAttrs.emplace_back("stopped_median", decision_->median);
}

std::string ItemStopping::describe() const {
  if (!decision_) return "";
  return "stopped by the median rule after epoch " + std::to_string(decision_->epoch) + ": best " +
         std::string(c_.search.objective.epochQuantity()) + " " + search::formatReal(decision_->value) + " > median " +
         search::formatReal(decision_->median) + " of " + std::to_string(decision_->compared) +
         " finished item(s) of fold " + std::to_string(item_.fold);
}

std::unique_ptr<ItemStopping> makeItemStopping(const CampaignConfig& c, const RunDirectory& dir, const Item& item,
                                               dist::Communicator& group,
                                               const std::vector<train::EpochRecord>& previous) {
  if (c.search.earlyStopping.rule == search::StoppingRule::None) return nullptr;
  return std::make_unique<ItemStopping>(c, dir, item, group, previous);
}

}  // namespace hepsweep::campaign
