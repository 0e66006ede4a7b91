// submit::planJobs: how `hepsweep submit` cuts a campaign into jobs, by the options given. Each
// case states the plan the options must give or the option its error must name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/submit/Plan.hpp"

namespace fs = std::filesystem;
using namespace hepsweep;
using submit::PlanRequest;

namespace {

// 2 folds x 3 grid points = 6 items; resources.ranks_per_item as given.
campaign::CampaignConfig gridCampaign(int ranksPerItem = 1) {
  return campaign::parseCampaign(
      "seed = 3\n[data]\nfile = \"/data/higgs.h5\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
      "[output]\ndir = \"runs/grid\"\n[cv]\nfolds = 2\n[resources]\nranks_per_item = " + std::to_string(ranksPerItem) +
          "\n[search]\nmethod = \"grid\"\n[search.space]\n\"model.widths\" = [[16, 8], [8], [4]]\n",
      "grid.toml");
}

// Bayes, budget 7, 3 initial points, 2 folds: 14 items.
campaign::CampaignConfig bayesCampaign() {
  return campaign::parseCampaign(
      "seed = 3\n[data]\nfile = \"/data/higgs.h5\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n"
      "[output]\ndir = \"runs/bayes\"\n[cv]\nfolds = 2\n[search]\nmethod = \"bayes\"\nbudget = 7\ninitial_points = 3\n"
      "[search.space]\n\"train.learning_rate\" = { min = 1e-4, max = 1e-2, log = true }\n",
      "bayes.toml");
}

// A run directory that does not exist yet: nothing done, no other campaign in it.
fs::path freshRunDir() {
  return fs::path(testing::TempDir()) / ("hepsweep_plan_" + std::to_string(::getpid()) + "_" +
                                         testing::UnitTest::GetInstance()->current_test_info()->name());
}

std::string configError(const campaign::CampaignConfig& c, const PlanRequest& r) {
  try {
    submit::planJobs(c, "c.toml", r, freshRunDir());
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

}  // namespace

// Without options: one slice (job) per item, all submitted, ranks from the campaign.
TEST(Plan, DefaultIsOneSlicePerItem) {
  const auto p = submit::planJobs(gridCampaign(2), "c.toml", {}, freshRunDir());
  EXPECT_FALSE(p.bayes);
  EXPECT_EQ(p.itemCount, 6);
  EXPECT_EQ(p.sliceCount, 6);
  EXPECT_EQ(p.slices, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(p.ranksPerTask, 2);
  EXPECT_FALSE(p.retryFailed);
  EXPECT_TRUE(p.rounds.empty());
}

TEST(Plan, SlicesAndRanksAsGiven) {
  PlanRequest r;
  r.slices = 4;
  r.ranksPerTask = 4;
  const auto p = submit::planJobs(gridCampaign(2), "c.toml", r, freshRunDir());
  EXPECT_EQ(p.sliceCount, 4);
  EXPECT_EQ(p.slices, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(p.ranksPerTask, 4);
}

// Requests that cannot be planned name their option.
TEST(Plan, ImpossibleRequestsNameTheOption) {
  PlanRequest r;
  r.slices = 0;
  EXPECT_NE(configError(gridCampaign(), r).find("--slices must be at least 1"), std::string::npos);
  r.slices = 7;
  EXPECT_NE(configError(gridCampaign(), r).find("--slices 7 is more than the campaign's 6 items"), std::string::npos);
  r = {};
  r.ranksPerTask = 3;
  EXPECT_NE(configError(gridCampaign(2), r).find("must be a multiple of resources.ranks_per_item = 2"), std::string::npos);
  r.ranksPerTask = 0;
  EXPECT_NE(configError(gridCampaign(), r).find("--ranks-per-task must be at least 1"), std::string::npos);
  r = {};
  r.pointsPerRound = 2;
  EXPECT_NE(configError(gridCampaign(), r).find("--points-per-round is for a campaign with search.method = \"bayes\""),
            std::string::npos);
}

// A Bayesian search: the initial design, then rounds of points-per-round points until the budget;
// slices default to one round's items, and every slice some round trains is submitted.
TEST(Plan, BayesPlansRoundsForTheBudget) {
  const auto p = submit::planJobs(bayesCampaign(), "c.toml", {}, freshRunDir());
  EXPECT_TRUE(p.bayes);
  EXPECT_EQ(p.itemCount, 14);
  EXPECT_EQ(p.initialPoints, 3);
  EXPECT_EQ(p.pointsPerRound, 3);
  EXPECT_EQ(p.sliceCount, 6);  // 3 points x 2 folds
  ASSERT_EQ(p.rounds.size(), 3u);  // 3, 6, 7 points
  EXPECT_EQ(p.rounds.back().totalPoints, 7);
  EXPECT_EQ(p.slices, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  PlanRequest r;
  r.pointsPerRound = 2;
  r.onlyMissing = true;
  const auto q = submit::planJobs(bayesCampaign(), "c.toml", r, freshRunDir());
  EXPECT_EQ(q.pointsPerRound, 2);
  EXPECT_EQ(q.sliceCount, 4);
  EXPECT_EQ(q.rounds.size(), 3u);  // 3, 5, 7 points
  EXPECT_TRUE(q.retryFailed);
}

// --only-missing in a run directory where nothing is done yet: every slice, failed items retried.
TEST(Plan, OnlyMissingWithNothingDoneSubmitsEverySlice) {
  PlanRequest r;
  r.onlyMissing = true;
  r.slices = 3;
  const auto p = submit::planJobs(gridCampaign(), "c.toml", r, freshRunDir());
  EXPECT_EQ(p.slices, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(p.retryFailed);
}
