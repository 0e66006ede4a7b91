#pragma once
// Job planning of `hepsweep submit`: from a campaign and what the user asked for, how many items
// there are, how they are cut into slices (one batch job each), how many ranks a job has, which
// slices to submit (all, only those with unfinished items, or a Bayesian search's rounds).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/submit/Job.hpp"

namespace hepsweep::submit {

// The options that shape the plan, as given (nullopt: not given, the default applies).
struct PlanRequest {
  std::optional<int> slices;                   // --slices N (default: one slice per item; bayes: one round's items)
  std::optional<int> ranksPerTask;             // --ranks-per-task R (default: resources.ranks_per_item)
  std::optional<std::int64_t> pointsPerRound;  // --points-per-round P (bayes only; default: the initial points)
  bool onlyMissing = false;                    // --only-missing: the slices with items not done, failed ones retried
};

struct JobPlan {
  bool bayes = false;               // search.method = "bayes": points proposed round by round
  std::int64_t initialPoints = 0;   // bayes: the initial design's points (at most the budget)
  std::int64_t pointsPerRound = 0;  // bayes: points proposed per later round
  std::int64_t itemCount = 0;       // bayes: budget x folds; else the planned items
  int sliceCount = 1;               // N of `train --items I/N`
  int ranksPerTask = 1;
  std::vector<int> slices;          // to submit, ascending (empty: every item is done)
  std::vector<SearchRound> rounds;  // bayes: propose -> train rounds
  bool retryFailed = false;         // failed items run again (resubmission, or a resumed bayes chain)
};

// The plan for campaign `c` (read from `campaignFile`, named in messages) run in `runDir`.
// Error(Config) naming the option for a request that cannot be planned (--slices < 1 or above the
// item count, --ranks-per-task < 1 or not a multiple of resources.ranks_per_item,
// --points-per-round without a Bayesian search) and, through checkRunDirectory, for a run
// directory holding another campaign. --only-missing reads the run directory's item status.
JobPlan planJobs(const campaign::CampaignConfig& c, const std::string& campaignFile, const PlanRequest& request,
                 const std::filesystem::path& runDir);

// Copies the plan's part of the jobs (item and slice counts, ranks, slices, rounds, retry) into `job`.
void applyPlan(const JobPlan& plan, CampaignJob& job);

}  // namespace hepsweep::submit
