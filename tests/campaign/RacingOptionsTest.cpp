// [search.racing] in the campaign file: defaults (off), values read into the config, the dump
// round trip, --set, and the combinations refused with a message naming the keys.
#include <gtest/gtest.h>

#include <string>

#include "CampaignTestUtil.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"

using namespace hepsweep;
using namespace hepsweep::campaign;

namespace {

const std::string kBase = std::string(campaign::testing::kExampleCampaign) +
                          "[cv]\nfolds = 3\n[search]\nmethod = \"random\"\nbudget = 4\n"
                          "[search.space]\n\"model.dropout\" = [0.1, 0.2]\n";

std::string errorOf(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parseCampaign(text, "race.toml", sets);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Catches racing on by default, or defaults that differ from the documented ones.
TEST(RacingOptions, OffByDefault) {
  const CampaignConfig c = parseCampaign(kBase, "race.toml");
  EXPECT_FALSE(c.search.racing.enabled);
  EXPECT_DOUBLE_EQ(c.search.racing.z, 1.645);
  EXPECT_EQ(c.search.racing.minFolds, 1);
}

// Catches a key bound to the wrong field, or dropped from the resolved dump.
TEST(RacingOptions, ReadDumpedAndOverridden) {
  const CampaignConfig c =
      parseCampaign(kBase + "[search.racing]\nenabled = true\nz = 2.5\nmin_folds = 2\n", "race.toml");
  EXPECT_TRUE(c.search.racing.enabled);
  EXPECT_DOUBLE_EQ(c.search.racing.z, 2.5);
  EXPECT_EQ(c.search.racing.minFolds, 2);
  const std::string dumped = toToml(c);
  EXPECT_NE(dumped.find("[search.racing]\nenabled = true\nz = 2.5\nmin_folds = 2\n"), std::string::npos) << dumped;
  const CampaignConfig back = parseCampaign(dumped, "dump");
  EXPECT_EQ(toToml(back), dumped);
  const CampaignConfig set = parseCampaign(kBase, "race.toml", {"search.racing.enabled=true", "search.racing.z=1"});
  EXPECT_TRUE(set.search.racing.enabled);
  EXPECT_DOUBLE_EQ(set.search.racing.z, 1.0);
}

// Catches unvalidated values and combinations where racing would silently do nothing: a negative
// z, min_folds 0, one fold. Both Bayesian schedules race (the asynchronous one is no longer refused).
TEST(RacingOptions, ErrorsNameKeyAndValue) {
  std::string e = errorOf(kBase, {"search.racing.z=-1"});
  EXPECT_NE(e.find("search.racing.z"), std::string::npos) << e;
  e = errorOf(kBase, {"search.racing.min_folds=0"});
  EXPECT_NE(e.find("search.racing.min_folds"), std::string::npos) << e;
  e = errorOf(kBase, {"search.racing.enabled=true", "cv.folds=1"});
  EXPECT_NE(e.find("cv.folds = 1"), std::string::npos) << e;
  const std::string bayes = std::string(campaign::testing::kExampleCampaign) +
                            "[cv]\nfolds = 3\n[search]\nmethod = \"bayes\"\nbudget = 4\nracing = { enabled = true }\n"
                            "[search.space]\n\"model.dropout\" = { min = 0.0, max = 0.5 }\n";
  EXPECT_EQ(errorOf(bayes), "");
  EXPECT_EQ(errorOf(bayes, {"search.schedule=asynchronous"}), "");
  EXPECT_EQ(errorOf(bayes, {"search.schedule=rounds"}), "");
}
