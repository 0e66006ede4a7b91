#pragma once
// Early stopping of poor campaign items ([search.early_stopping]): the search module's median
// rule (search/EarlyStopping.hpp) fed with the learning curves of the finished items of the same
// fold, read from their result files, and turned into a train::Callback for one item.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/campaign/CampaignConfig.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/search/EarlyStopping.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace hepsweep::campaign {

// The root attribute of result.h5 naming the rule that stopped an item (absent: not stopped by one;
// rundir::ResultSummary::stoppedBy reads it).
inline constexpr const char* kStoppedByAttr = "stopped_by";
inline constexpr const char* kMedianRuleName = "median_rule";

// The stopped_by attribute of a finished item's result file, or nullopt when the item was not
// stopped by a rule. Error(Io) when the file cannot be read.
std::optional<std::string> stoppedBy(const std::filesystem::path& resultFile);

// The callback of one item. Every rank of the item's group holds one; the group's rank 0 reads
// the run directory (the finished items of the same fold, those not stopped by the rule, found
// again after every epoch so that items finishing meanwhile count) and its decision is shared
// with the group, so all ranks stop at the same epoch.
class ItemStopping : public train::Callback {
 public:
  // `previous`: the item's epochs before a resume (its checkpoint history).
  ItemStopping(const CampaignConfig& c, const rundir::RunDirectory& dir, const Item& item, dist::Communicator& group,
               const std::vector<train::EpochRecord>& previous);

  train::CallbackResult onEpochEnd(const train::EpochRecord& rec, nn::Network& net) override;

  // The decision that stopped the item, if any.
  const std::optional<search::StopDecision>& decision() const { return decision_; }
  // Adds stopped_by, stopped_epoch, stopped_value, stopped_median, stopped_compared to a stopped
  // item's result attributes (nothing when it was not stopped).
  void record(train::RunRecord& rec) const;
  // One line for the item's log.txt, or "" when not stopped.
  std::string describe() const;

 private:
  void loadFinishedPeers();

  const CampaignConfig& c_;
  const rundir::RunDirectory& dir_;
  const Item& item_;
  dist::Communicator& group_;
  search::MedianStoppingRule rule_;
  std::vector<double> curve_;
  std::set<std::int64_t> seen_;  // peers read (or skipped as stopped by the rule)
  std::optional<search::StopDecision> decision_;
};

// The callback for `item`, or null when the campaign's rule is "none".
std::unique_ptr<ItemStopping> makeItemStopping(const CampaignConfig& c, const rundir::RunDirectory& dir, const Item& item,
                                               dist::Communicator& group,
                                               const std::vector<train::EpochRecord>& previous);

}  // namespace hepsweep::campaign
