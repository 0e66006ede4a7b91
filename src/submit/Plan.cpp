#include "hepsweep/submit/Plan.hpp"

#include <algorithm>
#include <set>

#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep::submit {

JobPlan planJobs(const campaign::CampaignConfig& c, const std::string& campaignFile, const PlanRequest& request,
                 const std::filesystem::path& runDir) {
  JobPlan p;
  // A Bayesian search proposes its points as results arrive: its jobs are planned for the budget.
  p.bayes = c.search.method == campaign::SearchMethod::Bayes;
  if (request.pointsPerRound && !p.bayes)
    throwConfig("--points-per-round is for a campaign with search.method = \"bayes\"; " + campaignFile +
                " has search.method = \"" + campaign::toString(c.search.method) + "\" (its points are all planned up front)");
  p.initialPoints = p.bayes ? std::min<std::int64_t>(*c.search.budget, c.search.bayes.initialPoints) : 0;
  p.pointsPerRound = request.pointsPerRound ? *request.pointsPerRound : p.bayes ? p.initialPoints : 0;
  p.itemCount = p.bayes ? *c.search.budget * c.cv.folds : static_cast<std::int64_t>(campaign::planItems(c).size());

  const int slices = request.slices.value_or(0);
  p.sliceCount = slices > 0 ? slices
                 : p.bayes  ? static_cast<int>(std::min(p.itemCount, std::max<std::int64_t>(1, p.pointsPerRound) * c.cv.folds))
                            : static_cast<int>(p.itemCount);
  if (request.slices && slices < 1) throwConfig("--slices must be at least 1, got " + std::to_string(slices));
  if (p.sliceCount > p.itemCount)
    throwConfig("--slices " + std::to_string(p.sliceCount) + " is more than the campaign's " + std::to_string(p.itemCount) +
                " items: some jobs would have nothing to do");
  const int ranks = request.ranksPerTask.value_or(0);
  p.ranksPerTask = ranks > 0 ? ranks : c.resources.ranksPerItem;
  if (request.ranksPerTask && ranks < 1) throwConfig("--ranks-per-task must be at least 1");
  if (p.ranksPerTask % c.resources.ranksPerItem != 0)
    throwConfig("--ranks-per-task " + std::to_string(p.ranksPerTask) + " must be a multiple of resources.ranks_per_item = " +
                std::to_string(c.resources.ranksPerItem));

  checkRunDirectory(runDir, c);
  if (p.bayes) {
    // Resubmitting the chain resumes it: proposals up to a round's total are made once, done items
    // are skipped; --only-missing also retries the failed ones.
    p.rounds = planRounds(*c.search.budget, p.initialPoints, p.pointsPerRound, c.cv.folds, p.sliceCount);
    std::set<int> all;
    for (const auto& r : p.rounds) all.insert(r.slices.begin(), r.slices.end());
    p.slices.assign(all.begin(), all.end());
    p.retryFailed = request.onlyMissing;
  } else if (request.onlyMissing) {
    p.slices = unfinishedSlices(runDir, p.itemCount, p.sliceCount);
    p.retryFailed = true;
  } else {
    for (int s = 0; s < p.sliceCount; ++s) p.slices.push_back(s);
  }
  return p;
}

void applyPlan(const JobPlan& plan, CampaignJob& job) {
  job.itemCount = plan.itemCount;
  job.sliceCount = plan.sliceCount;
  job.ranksPerTask = plan.ranksPerTask;
  job.slices = plan.slices;
  job.rounds = plan.rounds;
  job.retryFailed = plan.retryFailed;
}

}  // namespace hepsweep::submit
