#pragma once
// Running a campaign: (hyperparameter point x fold) items trained by MPI rank groups that take
// items dynamically, each item resumable from its per-epoch checkpoint.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/campaign/CampaignConfig.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/search/SearchFile.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::campaign {

// One unit of work: a point of the search at one fold. Ids are point * folds + fold: stable
// across reruns of the same campaign.
struct Item {
  std::int64_t id = 0;
  std::int64_t point = 0;
  int fold = 0;
  std::vector<std::string> overrides;  // "key=toml" applied to the base configuration
  std::string describe() const;        // "item 7 (point 1, fold 2): model.dropout=0.25 ..."
};

// Multi-class data (classNames: the data file's, empty for signal/background): Error(Config)
// naming the key for what only a signal against a background defines (search.objective other
// than val_loss/val_auc, [baseline], data.parameter). Campaigns check before their first item,
// `hepsweep train` before it trains.
void checkMultiClass(const CampaignConfig& c, const std::vector<std::string>& classNames);

// The items of a campaign in id order (grid and random searches propose every point up front).
std::vector<Item> planItems(const CampaignConfig& c);

// ---- the campaign's search ----------------------------------------------------------------------
// The searcher of c's [search] section (method, space, budget, seed, bayes options), before any
// proposal. Error(Config) as search::makeSearcher.
std::unique_ptr<search::Searcher> makeSearcher(const CampaignConfig& c);
// The items in `dir` as the search reads them (c.cv.folds items per point): a finished item's
// objective is the metrics/objective of its result file, which must be c.search.objective's, and
// it counts as stopped when an early-stopping rule stopped it; a failed item is a failure. Error(Input)
// naming the result file when it does not store c.search.objective.
search::ItemResults searchItems(const CampaignConfig& c, const rundir::RunDirectory& dir);
// A Bayesian campaign's search: restored from dir's search.h5 (new when there is none), every
// point whose folds have all finished observed.
std::unique_ptr<search::Searcher> loadSearch(const CampaignConfig& c, const rundir::RunDirectory& dir);
// "4 of 8 points observed, best validation AMS 1.93 at point 3" for logs and messages.
std::string searchProgress(const search::Searcher& searcher, const CampaignConfig& c);

struct RunOptions {
  int sliceIndex = 0;  // --items I/N: run only items with id % N == I
  int sliceCount = 1;
  bool fresh = false;        // discard what the run directory holds
  bool retryFailed = false;  // run failed items again
  bool verbose = false;      // per-epoch lines on the terminal
  bool quiet = false;        // no progress line
  double progressSeconds = 10;
  // Where world rank 0's progress line goes (not with quiet) and, with verbose, every epoch's line
  // of the items it leads; the command sends it to stdout (default: discarded).
  Logger progress;
  std::string commandLine;
  // Set asynchronously (a signal handler: Slurm's walltime warning, SIGTERM) to ask for a clean
  // stop: each rank group finishes its current epoch, whose checkpoint is then on disk, and every
  // rank of the group stops at that same epoch boundary (the flag is reduced over the group).
  const std::atomic<bool>* stopRequested = nullptr;
};

// Exit status of `hepsweep train` after such a stop (EX_TEMPFAIL: run it again to resume).
inline constexpr int kInterruptedExitCode = 75;
// Exit status of a campaign that ran to its end with some items failed (every rank returns it;
// `hepsweep status` lists the failures; --retry-failed runs them again).
inline constexpr int kFailedItemsExitCode = 6;

struct RunSummary {
  std::int64_t total = 0, done = 0, failed = 0, ranHere = 0;
  std::int64_t racedOut = 0;  // items racing across folds skipped (search.racing): never trained
  double seconds = 0;
  std::filesystem::path runDir;
  bool interrupted = false;  // stopped on RunOptions::stopRequested with items left to do
  // Seconds each rank group (by group index) spent training items in this job; busy / seconds is
  // its utilisation (the rest: waiting for other groups, proposals, loading data).
  std::vector<double> groupBusySeconds;
};

// Collective over `world`: every rank calls it with the same arguments. Rank groups of
// c.resources.ranksPerItem ranks take pending items from a shared queue until none is left. A
// Bayesian search (unsliced) proposes its points as it goes: by default asynchronously (a group
// without an unclaimed item proposes the next point under a lock shared by all ranks), or in
// rounds with search.schedule = "rounds" (docs/search.md).
RunSummary runCampaign(const CampaignConfig& c, const std::string& campaignToml, dist::Communicator& world,
                       const RunOptions& options, const Logger& log);

// The BDT baseline's items (a [baseline] table; RUN/baseline/items/<id>), counted as the network's.
struct BaselineStatus {
  bool enabled = false;  // the campaign has a [baseline] table (method = "xgboost")
  std::int64_t total = 0, done = 0, running = 0, failed = 0, pending = 0, invalid = 0;
  std::vector<std::pair<std::int64_t, std::string>> failures;      // item, reason
  std::vector<std::pair<std::int64_t, std::string>> invalidItems;  // item, why its result.h5 is not kept
  std::vector<std::int64_t> pendingItems;
};

struct StatusReport {
  std::int64_t total = 0, done = 0, running = 0, failed = 0, pending = 0;
  // Items whose result file fails its checks (unreadable, another item's, changed since written):
  // the next `hepsweep train` sets the file aside and trains them again.
  std::int64_t invalid = 0;
  std::vector<std::pair<std::int64_t, std::string>> invalidItems;  // item, why
  std::vector<std::string> problems;  // what the report could not read (e.g. a damaged manifest)
  // Done items that [search.early_stopping]'s rule stopped (counted in `done` too).
  std::int64_t stopped = 0;
  std::vector<std::int64_t> stoppedItems;
  // Items racing across folds (search.racing) skipped: never trained, not pending, not failed.
  std::int64_t racedOut = 0;
  std::vector<std::int64_t> racedOutItems;
  std::vector<std::pair<std::int64_t, std::string>> failures;  // item, reason
  std::vector<std::int64_t> pendingItems;
  BaselineStatus baseline;
};
// Reads only: nothing in the run directory is created or changed.
StatusReport campaignStatus(const std::filesystem::path& runDir);

}  // namespace hepsweep::campaign
