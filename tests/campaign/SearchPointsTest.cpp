// What each item of a search really runs is what gets validated (issue 19, point 1): the tutorial's
// layer layout (width 25, depth 2, step 5: layers 25, 20) searched over model.width and
// model.depth. A grid or range that holds a network whose last layer would be narrower than 1 is
// refused when the campaign is loaded, naming that combination; an item whose own point is valid
// is never refused because of another point of the space.
#include <gtest/gtest.h>

#include "CampaignTestUtil.hpp"
#include "hepsweep/search/Space.hpp"

namespace hepsweep::campaign {
namespace {

using namespace testing;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)
#define EXPECT_LACKS(haystack, needle) EXPECT_EQ((haystack).find(needle), std::string::npos) << (haystack)

// Layers width, width - 5, width - 10, ...: depth 4 needs width >= 16.
const std::string kTutorialLayers = std::string(kMinimalCampaign) + "[model]\nwidth = 25\ndepth = 2\nstep = 5\n";

std::string loadError(const std::string& text) {
  return configError([&] { parseCampaign(text, "nb.toml"); });
}

// The 2 x 2 grid: (8, 4) gives layers 8, 3, -2, -7, the other three points are valid.
// Before, each value was checked with the base depth 2 only, so the file loaded and 3 of the 4
// items then failed (each item re-checked every value of the space against its own depth).
TEST(SearchPoints, GridRefusesTheInvalidCombinationAtLoad) {
  const std::string grid = kTutorialLayers + "[search]\nmethod = \"grid\"\n[search.space]\n"
                                             "\"model.width\" = [8, 101]\n\"model.depth\" = [2, 4]\n";
  const std::string e = loadError(grid);
  EXPECT_HAS(e, "search.space point model.width=8 model.depth=4 is refused (in nb.toml)");
  EXPECT_HAS(e, "gives a last hidden layer of width -7");
  // Without the bad corner every point loads, and every item's point applies.
  const std::string valid = kTutorialLayers + "[search]\nmethod = \"grid\"\n[search.space]\n"
                                              "\"model.width\" = [16, 101]\n\"model.depth\" = [2, 4]\n";
  const CampaignConfig c = parseCampaign(valid, "nb.toml");
  for (const auto& w : {"16", "101"})
    for (const auto& d : {"2", "4"}) {
      CampaignConfig item = c;
      EXPECT_NO_THROW(applyOverrides(item, {std::string("model.width=") + w, std::string("model.depth=") + d}))
          << w << " x " << d;
      EXPECT_EQ(item.run.model.hiddenWidths().size(), std::stoul(d));
    }
}

// A value that only fails with the base value of another searched key is not refused: every point
// sets that key too. Width 8 with the base depth 4 would be refused, but the grid only pairs it
// with depths 1 and 2.
TEST(SearchPoints, BaseValuesOfSearchedKeysDoNotCount) {
  const std::string text = std::string(kMinimalCampaign) +
                           "[model]\nwidth = 25\ndepth = 4\nstep = 5\n[search]\nmethod = \"grid\"\n[search.space]\n"
                           "\"model.width\" = [8, 101]\n\"model.depth\" = [1, 2]\n";
  EXPECT_NO_THROW(parseCampaign(text, "nb.toml"));
}

// Random and Bayesian searches draw from the whole box: its corners and every value of a small
// integer range are checked, so width 8 with depth 3 (layers 8, 3, -2; the first combination
// that fails, depths in order) is refused though width 8 alone is fine.
TEST(SearchPoints, RangesAreCheckedAtTheirCorners) {
  for (const std::string method : {"random", "bayes"}) {
    SCOPED_TRACE(method);
    const std::string text = kTutorialLayers + "[search]\nmethod = \"" + method + "\"\nbudget = 20\n[search.space]\n"
                             "\"model.width\" = { min = 8, max = 128, log = true }\n"
                             "\"model.depth\" = { min = 1, max = 4 }\n";
    EXPECT_HAS(loadError(text), "search.space point model.width=8 model.depth=3 is refused (in nb.toml)");
    // Width from 16 up: every network of the box is valid.
    const std::string valid = kTutorialLayers + "[search]\nmethod = \"" + method + "\"\nbudget = 20\n[search.space]\n"
                              "\"model.width\" = { min = 16, max = 128, log = true }\n"
                              "\"model.depth\" = { min = 1, max = 4 }\n";
    EXPECT_NO_THROW(parseCampaign(valid, "nb.toml"));
  }
  // Every value of a small integer range, whatever its grid steps: micro-batches 2..4 on 2 ranks
  // per item would give the item with 3 micro-batches an uneven share, though both ends divide.
  const std::string text = std::string(kMinimalCampaign) +
                           "[resources]\nranks_per_item = 2\n[search]\nmethod = \"random\"\nbudget = 5\n"
                           "[search.space]\n\"train.micro_batches\" = { min = 2, max = 4, steps = 2 }\n";
  EXPECT_HAS(loadError(text), "search.space key 'train.micro_batches': value 3 is refused");
}

// The message, verbatim: a valid item (101 x 4) was refused because the space also held
// width 8. An item validates its own configuration: here the campaign's space is replaced after
// loading (as a campaign written by an older version could hold), and only the item whose own
// network is impossible fails, with the reason of its own network.
TEST(SearchPoints, AnItemIsValidatedAlone) {
  CampaignConfig c = parseCampaign(kTutorialLayers + "[search]\nmethod = \"bayes\"\nbudget = 20\n[search.space]\n"
                                                     "\"model.width\" = { min = 16, max = 128, log = true }\n"
                                                     "\"model.depth\" = { min = 1, max = 4 }\n",
                                   "nb.toml");
  c.search.space = search::Space({search::Dimension::integer("model.width", 8, 128, true),
                                  search::Dimension::integer("model.depth", 1, 4)});
  CampaignConfig good = c;
  EXPECT_NO_THROW(applyOverrides(good, {"model.width=101", "model.depth=4"}));
  EXPECT_EQ(good.run.model.hiddenWidths(), (std::vector<int>{101, 96, 91, 86}));
  CampaignConfig bad = c;
  const std::string e = configError([&] { applyOverrides(bad, {"model.width=8", "model.depth=4"}); });
  EXPECT_HAS(e, "gives a last hidden layer of width -7");
  EXPECT_LACKS(e, "search.space");
  // Overrides that are not a point of the space still validate the whole campaign.
  CampaignConfig base = c;
  EXPECT_HAS(configError([&] { applyOverrides(base, {"train.epochs=3"}); }),
             "search.space point model.width=8 model.depth=3 is refused");
}

}  // namespace
}  // namespace hepsweep::campaign
