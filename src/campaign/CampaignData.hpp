#pragma once
// The data of a campaign, loaded once per job and kept for every item the job trains: every
// event's label, weight and fold key, and the feature table (resources.data, docs/train.md):
//   node  one copy per node in memory shared by its ranks (dist::allocateShared), each rank of
//         the node decoding its share of the table's chunks into it: each chunk of the file is
//         read once per node;
//   rows  no table: each rank reads the rows of each item from the file (io::DatasetRows), only
//         its share of them when several ranks train an item, for data beyond a node's memory.
// Only the split, the preprocessing fit (shared by the items of a fold: train::PreprocessFits) and
// the training differ between items.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hepsweep/campaign/CampaignConfig.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/data/Dataset.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/SharedMemory.hpp"
#include "hepsweep/io/DatasetFile.hpp"

namespace hepsweep::campaign {

class CampaignData {
 public:
  // Collective over `world`. Error(Input/Io) on every rank when the file cannot be read.
  // `meanwhile` (if set) is called once on every rank after the read has begun and must not throw:
  // work a rank has to do anyway (world rank 0's run-directory checks) then overlaps the other
  // ranks' decoding, and in node mode the node's ranks decode the parts it leaves.
  CampaignData(const std::string& path, DataPlacement placement, dist::Communicator& world, const Logger& log,
               const std::function<void()>& meanwhile = {});
  CampaignData(const CampaignData&) = delete;
  CampaignData& operator=(const CampaignData&) = delete;

  // Every event; `features` is null in rows mode (read them through reader()).
  const data::EventTable& events() const { return events_; }
  bool inMemory() const { return events_.features != nullptr; }
  // Rows mode: the file, every column.
  const io::DatasetRows& reader() const { return *reader_; }
  // Bytes of the copy a node holds (0 in rows mode).
  std::uint64_t sharedBytes() const { return block_ ? block_->bytes().size() : 0; }

  // data.parameter: this rank's own copy of the table with the background's parameter values
  // drawn (data/Parametrise.hpp); the node's shared copy stays as the file has it. Error(Config)
  // in rows mode.
  void parametrise(const std::string& parameter, std::uint64_t seed, const std::vector<double>& heldOut,
                   const Logger& log);

 private:
  data::Dataset header_;  // feature names and missing-value information, no rows
  data::EventTable events_;
  std::unique_ptr<dist::SharedBlock> block_;  // node mode
  std::unique_ptr<io::DatasetRows> reader_;   // rows mode: also holds labels, weights, ids
  std::vector<std::uint64_t> keys_;           // rows mode
  std::vector<float> parametrised_;           // data.parameter: the table with the drawn values
};

}  // namespace hepsweep::campaign
