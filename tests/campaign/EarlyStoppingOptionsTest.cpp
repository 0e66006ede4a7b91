// [search.early_stopping] in the campaign file: defaults (off), values read into the config, the
// dump round trip, --set, and errors that name the key and quote the value.
#include <gtest/gtest.h>

#include <string>

#include "CampaignTestUtil.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"

using namespace hepsweep;
using namespace hepsweep::campaign;

namespace {

const std::string kBase = std::string(campaign::testing::kExampleCampaign) +
                          "[search]\nmethod = \"random\"\nbudget = 4\n[search.space]\n\"model.dropout\" = [0.1, 0.2]\n";

std::string errorOf(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parseCampaign(text, "es.toml", sets);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Catches a rule that is on by default, or defaults that differ from the documented ones.
TEST(EarlyStoppingOptions, OffByDefault) {
  const CampaignConfig c = parseCampaign(kBase, "es.toml");
  EXPECT_EQ(c.search.earlyStopping.rule, hepsweep::search::StoppingRule::None);
  EXPECT_EQ(c.search.earlyStopping.graceEpochs, 5);
  EXPECT_EQ(c.search.earlyStopping.minCompleted, 3);
}

// Catches a key bound to the wrong field, or dropped from the resolved dump.
TEST(EarlyStoppingOptions, ReadDumpedAndOverridden) {
  const CampaignConfig c = parseCampaign(
      kBase + "[search.early_stopping]\nrule = \"median\"\ngrace_epochs = 7\nmin_completed = 2\n", "es.toml");
  EXPECT_EQ(c.search.earlyStopping.rule, hepsweep::search::StoppingRule::Median);
  EXPECT_EQ(c.search.earlyStopping.graceEpochs, 7);
  EXPECT_EQ(c.search.earlyStopping.minCompleted, 2);
  const std::string dumped = toToml(c);
  EXPECT_NE(dumped.find("[search.early_stopping]\nrule = \"median\"\ngrace_epochs = 7\nmin_completed = 2\n"),
            std::string::npos) << dumped;
  const CampaignConfig back = parseCampaign(dumped, "dump");
  EXPECT_EQ(toToml(back), dumped);
  const CampaignConfig set = parseCampaign(kBase, "es.toml", {"search.early_stopping.rule=median",
                                                               "search.early_stopping.grace_epochs=2"});
  EXPECT_EQ(set.search.earlyStopping.rule, hepsweep::search::StoppingRule::Median);
  EXPECT_EQ(set.search.earlyStopping.graceEpochs, 2);
  EXPECT_FALSE(diffCampaigns(c, back).size());
  EXPECT_FALSE(diffCampaigns(c, set).empty());
}

// Catches unvalidated values: a misspelt rule and a grace period of 0 are refused by name.
TEST(EarlyStoppingOptions, ErrorsNameKeyAndValue) {
  std::string e = errorOf(kBase + "[search.early_stopping]\nrule = \"medain\"\n");
  EXPECT_NE(e.find("search.early_stopping.rule"), std::string::npos) << e;
  EXPECT_NE(e.find("medain"), std::string::npos) << e;
  e = errorOf(kBase, {"search.early_stopping.grace_epochs=0"});
  EXPECT_NE(e.find("search.early_stopping.grace_epochs"), std::string::npos) << e;
  e = errorOf(kBase + "[search.early_stopping]\nmin_complete = 2\n");
  EXPECT_NE(e.find("min_completed"), std::string::npos) << e;  // did you mean
}

// Successive halving's keys: defaults, read into the config, and the campaign-level checks (a
// first rung that no item reaches, rungs from a searched train.epochs, eta < 2) refused by name.
TEST(EarlyStoppingOptions, HalvingKeysAndChecks) {
  const CampaignConfig d = parseCampaign(kBase, "es.toml");
  EXPECT_EQ(d.search.earlyStopping.minEpochs, 1);
  EXPECT_EQ(d.search.earlyStopping.reductionFactor, 3);
  const CampaignConfig c = parseCampaign(
      kBase + "[search.early_stopping]\nrule = \"hyperband\"\nmin_epochs = 2\nreduction_factor = 4\n", "es.toml",
      {"train.epochs=20"});
  EXPECT_EQ(c.search.earlyStopping.rule, hepsweep::search::StoppingRule::Hyperband);
  EXPECT_EQ(c.search.earlyStopping.minEpochs, 2);
  EXPECT_EQ(c.search.earlyStopping.reductionFactor, 4);
  EXPECT_EQ(toToml(parseCampaign(toToml(c), "dump")), toToml(c));
  EXPECT_EQ(parseCampaign(kBase, "es.toml", {"search.early_stopping.rule=asha"}).search.earlyStopping.rule,
            hepsweep::search::StoppingRule::Asha);

  std::string e = errorOf(kBase, {"search.early_stopping.rule=asha", "search.early_stopping.min_epochs=20",
                                  "train.epochs=20"});
  EXPECT_NE(e.find("search.early_stopping.min_epochs (20) below train.epochs (20)"), std::string::npos) << e;
  e = errorOf(kBase + "\"train.epochs\" = [10, 20]\n", {"search.early_stopping.rule=hyperband"});
  EXPECT_NE(e.find("searches"), std::string::npos) << e;
  EXPECT_NE(e.find("train.epochs"), std::string::npos) << e;
  e = errorOf(kBase, {"search.early_stopping.reduction_factor=1"});
  EXPECT_NE(e.find("search.early_stopping.reduction_factor"), std::string::npos) << e;
  // The median rule ignores the halving keys: min_epochs >= train.epochs is fine there.
  EXPECT_EQ(errorOf(kBase, {"search.early_stopping.rule=median", "search.early_stopping.min_epochs=50",
                            "train.epochs=20"}),
            "");
}
