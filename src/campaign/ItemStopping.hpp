#pragma once
// Early stopping of poor campaign items ([search.early_stopping]): the search module's rules
// (search/EarlyStopping.hpp) fed from the run directory and turned into a train::Callback for one
// item. The median rule compares the item with the learning curves of the items of the same fold
// that had finished when the item started (listed in its median_peers.txt, so that a resumed item
// compares with the same curves and decides as it would have without the kill), read from their
// result files; successive halving (asha, hyperband) with the values
// the items of the same fold and bracket recorded at the same rung, read from their rungs.txt
// (rundir/Rungs.hpp), which each item writes when it reaches a rung, while it still trains.
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
#include "hepsweep/rundir/Rungs.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/search/EarlyStopping.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace hepsweep::campaign {

// The root attribute of result.h5 naming the rule that stopped an item (absent: not stopped by one;
// rundir::ResultSummary::stoppedBy reads it).
inline constexpr const char* kStoppedByAttr = "stopped_by";
inline constexpr const char* kMedianRuleName = "median_rule";
inline constexpr const char* kAshaName = "asha";
inline constexpr const char* kHyperbandName = "hyperband";

// The stopped_by attribute of a finished item's result file, or nullopt when the item was not
// stopped by a rule. Error(Io) when the file cannot be read.
std::optional<std::string> stoppedBy(const std::filesystem::path& resultFile);

// Why an item was stopped.
struct ItemStop {
  int epoch = 0;             // the epoch after which it stopped (a rung for asha/hyperband)
  double value = 0;          // its best value then
  double reference = 0;      // the median it lost to, or the rung's cutoff
  std::size_t compared = 0;  // items the reference was taken over (the item itself included for a rung)
  int bracket = 0;           // hyperband's bracket
};

// The callback of one item. Every rank of the item's group holds one; the group's rank 0 reads
// the run directory (found again at every decision, so that items finishing or reaching a rung
// meanwhile count) and its decision is shared with the group, so all ranks stop at the same epoch.
class ItemStopping : public train::Callback {
 public:
  // `previous`: the item's epochs before a resume (its checkpoint history). Collective over
  // `group` for asha/hyperband (rank 0 reads the item's rungs.txt).
  ItemStopping(const CampaignConfig& c, const rundir::RunDirectory& dir, const Item& item, dist::Communicator& group,
               const std::vector<train::EpochRecord>& previous);

  train::CallbackResult onEpochEnd(const train::EpochRecord& rec, nn::Network& net) override;
  // A decision to stop was taken at the resumed epoch (the job was killed after it but before the
  // result file was written: a rung's recorded decision, or the median rule's, which depends only
  // on the curve and the peers fixed at the start): no further epoch is trained.
  bool finishedBefore() const override { return stoppedBefore_; }

  // The decision that stopped the item, if any.
  const std::optional<ItemStop>& decision() const { return decision_; }
  // Adds stopped_by, stopped_epoch, stopped_value, stopped_compared and stopped_median (median
  // rule) or stopped_cutoff and stopped_bracket (asha, hyperband) to a stopped item's result
  // attributes (nothing when it was not stopped).
  void record(train::RunRecord& rec) const;
  // One line for the item's log.txt, or "" when not stopped.
  std::string describe() const;

 private:
  train::CallbackResult medianEpoch();
  train::CallbackResult rungEpoch(int epoch);
  // The median rule's peers: read from median_peers.txt, or (the item's first start) the items of
  // its fold finished now, written there. Their curves go into median_ (rank 0 only).
  void loadMedianPeers();
  // The values recorded at rung `epoch` by the other items of this item's fold and bracket.
  std::vector<double> peerRungValues(int epoch) const;

  const CampaignConfig& c_;
  const rundir::RunDirectory& dir_;
  const Item& item_;
  dist::Communicator& group_;
  search::StoppingRule rule_;
  search::MedianStoppingRule median_;
  std::vector<double> curve_;
  // Successive halving: the item's bracket and rungs, the brackets of the campaign, and the
  // records of its rungs.txt (rank 0 only).
  int brackets_ = 1, bracket_ = 0;
  std::vector<int> rungs_;
  std::vector<rundir::RungRecord> records_;
  bool stoppedBefore_ = false;
  std::optional<ItemStop> decision_;
};

// The callback for `item`, or null when the campaign's rule is "none".
std::unique_ptr<ItemStopping> makeItemStopping(const CampaignConfig& c, const rundir::RunDirectory& dir, const Item& item,
                                               dist::Communicator& group,
                                               const std::vector<train::EpochRecord>& previous);

}  // namespace hepsweep::campaign
