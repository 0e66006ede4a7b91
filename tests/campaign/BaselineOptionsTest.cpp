// The [baseline] section: numbers or lists form the grid, nothing of it is dumped while it is off
// (a campaign without it resolves to the text it always had), its dump reads back to the same
// campaign, and bad values or keys without baseline.method are errors naming the key.
#include <gtest/gtest.h>

#include "CampaignTestUtil.hpp"

namespace hepsweep::campaign {
namespace {

using namespace testing;

const std::string kBase = std::string(kExampleCampaign);

CampaignConfig parseC(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parseCampaign(text, "ship.toml", overrides);
}

std::string configError(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parseC(text, overrides);
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(BaselineOptions, ListsAndNumbersFormTheGrid) {
  const CampaignConfig c = parseC(kBase + "\n[baseline]\nmethod = \"xgboost\"\ntrees = [100, 300]\nmax_depth = 4\n"
                                          "learning_rate = [0.05, 0.1, 0.2]\nearly_stopping_rounds = 20\n");
  EXPECT_TRUE(c.baseline.enabled);
  EXPECT_EQ(c.baseline.trees, (std::vector<int>{100, 300}));
  EXPECT_EQ(c.baseline.maxDepth, (std::vector<int>{4}));
  EXPECT_EQ(c.baseline.learningRate, (std::vector<double>{0.05, 0.1, 0.2}));
  EXPECT_EQ(c.baseline.earlyStoppingRounds, 20);
}

TEST(BaselineOptions, OffByDefaultAndNotDumped) {
  const CampaignConfig c = parseC(kBase);
  EXPECT_FALSE(c.baseline.enabled);
  EXPECT_EQ(toToml(c).find("baseline"), std::string::npos) << toToml(c);
}

TEST(BaselineOptions, DumpReadsBackToTheSameCampaign) {
  const CampaignConfig c = parseC(kBase, {"baseline.method=xgboost", "baseline.trees=[50, 80]", "baseline.max_depth=2"});
  const std::string dump = toToml(c);
  EXPECT_NE(dump.find("[baseline]\nmethod = \"xgboost\"\ntrees = [50, 80]\nmax_depth = 2\n"), std::string::npos) << dump;
  EXPECT_EQ(toToml(parseC(dump)), dump);
}

TEST(BaselineOptions, BadValuesNameTheKey) {
  EXPECT_NE(configError(kBase + "\n[baseline]\nmethod = \"xgb\"\n").find("baseline.method must be one of"),
            std::string::npos);
  EXPECT_NE(configError(kBase, {"baseline.method=xgboost", "baseline.max_depth=0"}).find("baseline.max_depth"),
            std::string::npos);
  EXPECT_NE(configError(kBase, {"baseline.method=xgboost", "baseline.trees=[]"}).find("baseline.trees"),
            std::string::npos);
  EXPECT_NE(configError(kBase, {"baseline.method=xgboost", "baseline.learning_rate=[0.1, 0.1]"}).find("twice"),
            std::string::npos);
}

TEST(BaselineOptions, KeysWithoutTheMethodAreRefused) {
  const std::string e = configError(kBase, {"baseline.trees=50"});
  EXPECT_NE(e.find("baseline.method = \"none\""), std::string::npos) << e;
}

}  // namespace
}  // namespace hepsweep::campaign
