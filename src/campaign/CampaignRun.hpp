#pragma once
// What the campaign runner's files share, private to src/campaign: Campaign.cpp (planning, the
// job's checks of the run directory, one pass of rank groups over items, runCampaign),
// ItemRunner.cpp (one item on a rank group: data, training, checkpoints, result) and
// BayesCampaign.cpp (the Bayesian search's schedules, in rounds or asynchronous).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "CampaignData.hpp"
#include "ItemStopping.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/GroupLayout.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace hepsweep::campaign::detail {

using Clock = std::chrono::steady_clock;
using rundir::RunDirectory;

// Collective over `group`: true on every rank when any rank of it saw the stop request, so a
// group never splits between stopping and training on.
bool stopAgreed(dist::Communicator& group, const RunOptions& options);

std::string formatDuration(double s);

// What a job established about its inputs, recorded in the manifest and every result: the data
// file's sha256 (with its size and modification time, so that a resume can trust it without
// hashing again) and the campaign's.
struct JobStamp {
  std::string dataSha, campaignSha;
  std::int64_t dataSize = 0, dataMtime = 0;
};

// The manifest of the items planned so far, with the job's stamp (written by rank 0).
void writeManifest(const RunDirectory& dir, const CampaignConfig& c, const std::string& toml,
                   const std::vector<Item>& items, const JobStamp& stamp);

// Points x folds, in id order.
std::vector<Item> itemsOf(const std::vector<search::Point>& points, int k);

// Where the groups of runItems get their items: the shared queue over a fixed list (grid, random,
// bayes in rounds), or the asynchronous Bayesian schedule, which proposes points on demand.
class ItemSource {
 public:
  virtual ~ItemSource() = default;
  // Collective over `group`: the next item for it, or nothing when no work is left.
  virtual std::optional<Item> next(dist::Communicator& group, bool leader) = 0;
  // Lets MPI serve the other groups' requests while this one trains (see WorkQueue.hpp).
  virtual void poll() = 0;
};

// Collective over the world: the source of runItems, given the pending items (the same on every
// rank) and the data file's digest. Null: the queue over `items`.
using MakeItemSource =
    std::function<std::unique_ptr<ItemSource>(std::vector<std::int64_t> pending, const JobStamp& stamp)>;

// Racing across folds (search.racing, RacingSource.cpp): each point's folds in order, each handed
// out once the previous one finished and the point is still in the race; the items it skips are
// marked raced out in the run directory. Collective over `world`; `pending` in id order.
std::unique_ptr<ItemSource> makeRacingSource(const CampaignConfig& c, dist::Communicator& world,
                                             const std::vector<Item>& items, std::vector<std::int64_t> pending,
                                             const RunOptions& options, const Logger& log);

// Racing in a slice (--items I/N, RacingSource.cpp): the slice's items from `queue`, each decided
// by the rule when a group takes it, from its point's other folds finished by then; an item that
// loses is marked raced out (only the slice that owns an item decides it) and the next one taken.
std::unique_ptr<ItemSource> makeSliceRacingSource(const CampaignConfig& c, const std::vector<Item>& items,
                                                  std::unique_ptr<ItemSource> queue, const Logger& log);

// The job's data, loaded by the first pass that has items to train and kept for the passes after
// it (the rounds of a Bayesian search). get() is collective: every rank calls it at the same point.
class JobData {
 public:
  JobData(const CampaignConfig& c, dist::Communicator& world, const Logger& log) : c_(c), world_(world), log_(log) {}
  // Collective. `meanwhile`: see CampaignData's constructor (used by the first call only).
  const CampaignData& get(const std::function<void()>& meanwhile = {}) {
    if (!data_) {
      data_ = std::make_unique<CampaignData>(c_.run.data.file, c_.resources.data, world_, log_, meanwhile);
      if (!c_.run.data.parameter.empty())
        data_->parametrise(c_.run.data.parameter, c_.run.seed, c_.run.data.heldOut, log_);
    }
    return *data_;
  }
  bool loaded() const { return data_ != nullptr; }
  // Rank 0's, established once per job (the data file hashed at most once).
  JobStamp stamp;

 private:
  const CampaignConfig& c_;
  dist::Communicator& world_;
  const Logger& log_;
  std::unique_ptr<CampaignData> data_;
};

// What rank 0 found in the run directory for this pass, the same on every rank.
struct SliceWork {
  std::vector<std::int64_t> pending;  // items of the slice still to train
  std::int64_t inSlice = 0;           // items of the slice
};

// The progress line of world rank 0, through RunOptions::progress: at most every
// progressSeconds, and after each item.
class ProgressReporter {
 public:
  ProgressReporter(const std::vector<Item>& items, const RunDirectory& dir, const RunOptions& options,
                   std::string slice, const SliceWork& work, bool rankZero)
      : items_(items), dir_(dir), options_(options), slice_(std::move(slice)),
        alreadyFinished_(work.inSlice - static_cast<std::int64_t>(work.pending.size())),
        enabled_(rankZero && !options.quiet) {}

  void report(bool force);

 private:
  const std::vector<Item>& items_;
  const RunDirectory& dir_;
  const RunOptions& options_;
  std::string slice_;
  std::int64_t alreadyFinished_;
  bool enabled_;
  Clock::time_point start_ = Clock::now(), last_ = Clock::now();
};

// Trains one item on a rank group and records its outcome in the run directory.
class ItemRunner {
 public:
  enum class Outcome { Finished, Failed, Interrupted };

  ItemRunner(const CampaignConfig& c, const RunDirectory& dir, const RunOptions& options, const Logger& log,
             dist::Communicator& world, const dist::GroupLayout& groups, const CampaignData* data,
             const JobStamp& stamp)
      : c_(c), dir_(dir), options_(options), log_(log), world_(world), groups_(groups), data_(data), stamp_(stamp) {}

  // `onEpoch` runs after each epoch (polls the item source, reports progress) and returns whether
  // the group stops at this epoch boundary.
  Outcome run(const Item& item, const std::function<bool()>& onEpoch);

 private:
  Outcome train(const Item& item, bool writer, const std::function<bool()>& onEpoch);

  void writeResult(const Item& item, const CampaignConfig& itemCampaign, const train::PreparedData& prepared,
                   const train::TrainResult& result, const train::Trainer& trainer, const ItemStopping* stopping,
                   double prepareSeconds);

  const CampaignConfig& c_;
  const RunDirectory& dir_;
  const RunOptions& options_;
  const Logger& log_;
  dist::Communicator& world_;
  const dist::GroupLayout& groups_;
  const CampaignData* data_;  // null only when the pass has nothing to train
  const JobStamp& stamp_;
  bool dataWarned_ = false;
  bool labelChecked_ = false;
  train::PreprocessFits fits_;  // the items of one fold share their preprocessing fit
};

// One pass of rank groups over the pending ones among `items` (all of a grid or random search; the
// points proposed so far of a Bayesian one).
RunSummary runItems(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                    const RunOptions& options, const Logger& log, const std::vector<Item>& items, JobData& job,
                    const MakeItemSource& makeSource = nullptr);

// Busy time over wall time of each rank group (bench/RESULTS.md compares the two schedules with it).
void logUtilisation(const RunSummary& summary, const Logger& log);

// Bayesian search in rounds: rank 0 observes the points whose folds have all finished and proposes
// one point per rank group (the liar, search.liar, spreads a batch), saving RUN_DIR/search.h5; then the
// groups train the new points' items from the shared queue; repeat until the budget is spent.
// Results are observed only between rounds, by ascending id, so the proposals depend on the seed
// and the number of groups, not on which item finished first; a rerun after a kill first
// finishes the proposed points, then continues as the uninterrupted run would have.
// `job`: the job's data, loaded by the first pass that trains and kept for the baseline after it.
RunSummary runBayesRounds(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                          const RunOptions& options, const Logger& log, JobData& job);

// Bayesian search, asynchronous: a group that finds no unclaimed item of a proposed point proposes
// the next point at once, from every result observed so far with the running points as constant
// liars (AsyncBayesSource). Groups never wait for each other; the proposals depend on the order in
// which items finish. A rerun after a kill finishes the points already proposed first.
RunSummary runBayesAsynchronous(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                                const RunOptions& options, const Logger& log, JobData& job);

}  // namespace hepsweep::campaign::detail
