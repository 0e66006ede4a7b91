// The campaign sections ([cv], [search], [search.space], [resources]): the example of the docs
// parses to the intended structure, defaults apply when the sections are absent, --set reaches the
// new keys, the resolved dump round-trips byte-identically, and diffCampaigns names exactly the
// keys that changed. Expected values are written from the docs, not computed by the code.
#include <gtest/gtest.h>

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>

#include "CampaignTestUtil.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::campaign {
namespace {

using namespace testing;
using search::Kind;

const std::string kFull = std::string(kExampleCampaign) + kCampaignSections;

CampaignConfig parseC(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parseCampaign(text, "ship.toml", overrides);
}

std::vector<std::string> keysOf(const search::Space& s) {
  std::vector<std::string> k;
  for (const auto& d : s.dimensions()) k.push_back(d.key());
  return k;
}

// The exact example: sections, and the five dimensions in file order with their kinds (catches
// dimensions sorted by name, as toml++ stores them, or a wrong type inference).
TEST(CampaignSections, ExampleParses) {
  const CampaignConfig c = parseC(kFull);
  expectSameConfig(c.run, parse(kExampleCampaign));
  EXPECT_EQ(c.cv.folds, 5);
  EXPECT_EQ(c.search.method, SearchMethod::Grid);
  EXPECT_EQ(c.search.budget, std::optional<std::int64_t>(20));
  EXPECT_EQ(c.search.objective.name(), "val_loss");
  EXPECT_EQ(c.resources.ranksPerItem, 2);
  EXPECT_EQ(c.resources.reduction, hepsweep::dist::GradientSum::Deterministic);
  EXPECT_EQ(c.resources.data, DataPlacement::Auto);

  const auto& s = c.search.space;
  ASSERT_EQ(keysOf(s), (std::vector<std::string>{"model.widths", "train.learning_rate", "model.dropout",
                                                 "train.batch_size", "model.activation"}));
  EXPECT_EQ(s[0].kind(), Kind::Choice);
  EXPECT_EQ(s[0].choiceTexts(), (std::vector<std::string>{"[25, 20]", "[64, 32]"}));
  EXPECT_EQ(s[1].kind(), Kind::Real);
  EXPECT_TRUE(s[1].log());
  EXPECT_EQ(s[1].min(), 1e-4);
  EXPECT_EQ(s[1].max(), 1e-2);
  EXPECT_EQ(s[1].steps(), std::optional<std::int64_t>(3));
  EXPECT_EQ(s[2].kind(), Kind::Real);
  EXPECT_FALSE(s[2].log());
  EXPECT_EQ(s[2].min(), 0.0);
  EXPECT_EQ(s[2].max(), 0.5);
  EXPECT_EQ(s[2].steps(), std::nullopt);
  EXPECT_EQ(s[3].kind(), Kind::Integer);
  EXPECT_TRUE(s[3].log());
  EXPECT_EQ(s[3].min(), 32.0);
  EXPECT_EQ(s[3].max(), 512.0);
  EXPECT_EQ(s[4].kind(), Kind::Choice);
  EXPECT_EQ(s[4].choiceTexts(), (std::vector<std::string>{"\"relu\"", "\"elu\""}));

  // The log grid of the learning rate, by hand: 1e-4, 1e-3, 1e-2 (catches log or steps dropped).
  std::vector<std::string> lr;
  for (const auto& v : s[1].gridValues()) lr.push_back(v.toml);
  EXPECT_EQ(lr, (std::vector<std::string>{"0.0001", "0.001", "0.01"}));
  // 2 widths x 3 rates x 3 dropouts x 3 batch sizes x 2 activations.
  EXPECT_EQ(search::makeSearcher("grid", s, std::nullopt, 0)->totalPoints(), 108u);
}

// Without the sections: one fold, no search, one rank per item.
TEST(CampaignSections, DefaultsWhenAbsent) {
  const CampaignConfig c = parseC(kExampleCampaign);
  expectSameConfig(c.run, parse(kExampleCampaign));
  EXPECT_EQ(c.cv.folds, 1);
  EXPECT_EQ(c.search.method, SearchMethod::None);
  EXPECT_EQ(c.search.budget, std::nullopt);
  EXPECT_EQ(c.search.objective.name(), "val_loss");
  EXPECT_TRUE(c.search.space.empty());
  EXPECT_EQ(c.resources.ranksPerItem, 1);
  EXPECT_EQ(c.resources.reduction, hepsweep::dist::GradientSum::Deterministic);
  EXPECT_EQ(c.resources.data, DataPlacement::Auto);
  EXPECT_EQ(parseC(kExampleCampaign, {"train.micro_batches=5"}).run.train.microBatches, 5);
  EXPECT_EQ(c.run.train.microBatches, 4);
}

// A range takes the type of its key unless `type` says otherwise (a float key with integer bounds
// must not become an integer grid of two values).
TEST(CampaignSections, RangeTypeFollowsKey) {
  const std::string base = std::string(kMinimalCampaign) + "[search]\nmethod = \"grid\"\n[search.space]\n";
  const CampaignConfig c = parseC(base +
                                  "\"train.l2\" = { min = 0, max = 1 }\n"
                                  "\"train.epochs\" = { min = 10.0, max = 50.0 }\n"
                                  "\"model.elu_alpha\" = { min = 1, max = 3, type = \"int\" }\n");
  EXPECT_EQ(c.search.space[0].kind(), Kind::Real);
  EXPECT_EQ(c.search.space[1].kind(), Kind::Integer);
  EXPECT_EQ(c.search.space[2].kind(), Kind::Integer);
}

// --set reaches every new key; search.space.<key> adds a dimension or replaces one in place.
TEST(CampaignSections, SetOnNewSections) {
  const CampaignConfig c = parseC(kFull, {"cv.folds=3", "resources.ranks_per_item=1", "search.method=\"random\"",
                                          "search.budget=7", "search.objective=val_auc", "resources.reduction=fast",
                                          "resources.data=rows", "search.space.model.dropout={min=0.1,max=0.3}",
                                          "search.space.train.l2=[0.0, 1e-4]"});
  EXPECT_EQ(c.cv.folds, 3);
  EXPECT_EQ(c.resources.ranksPerItem, 1);
  EXPECT_EQ(c.resources.data, DataPlacement::Rows);
  EXPECT_EQ(c.search.method, SearchMethod::Random);
  EXPECT_EQ(c.search.budget, std::optional<std::int64_t>(7));
  EXPECT_EQ(c.search.objective.name(), "val_auc");
  EXPECT_EQ(c.resources.reduction, hepsweep::dist::GradientSum::Fast);
  ASSERT_EQ(keysOf(c.search.space), (std::vector<std::string>{"model.widths", "train.learning_rate", "model.dropout",
                                                              "train.batch_size", "model.activation", "train.l2"}));
  EXPECT_EQ(c.search.space[2].min(), 0.1);
  EXPECT_EQ(c.search.space[2].max(), 0.3);
  EXPECT_EQ(c.search.space[5].choiceTexts(), (std::vector<std::string>{"0.0", "0.0001"}));

  // Bare words, as typed on a shell, and turning the search off.
  const CampaignConfig bare = parseC(kFull, {"search.method=random", "search.space.model.activation=[tanh,elu]"});
  EXPECT_EQ(bare.search.method, SearchMethod::Random);
  EXPECT_EQ(bare.search.space[4].choiceTexts(), (std::vector<std::string>{"\"tanh\"", "\"elu\""}));
  const CampaignConfig off = parseC(kFull, {"search.method=none", "search.space={}"});
  EXPECT_EQ(off.search.method, SearchMethod::None);
  EXPECT_TRUE(off.search.space.empty());

  // applyOverrides on a resolved campaign validates the whole campaign again.
  CampaignConfig resolved = parseC(kFull);
  applyOverrides(resolved, {"cv.folds=2"});
  EXPECT_EQ(resolved.cv.folds, 2);
  EXPECT_THROW(applyOverrides(resolved, {"resources.ranks_per_item=3"}), Error);
}

// loadCampaign reads a file and resolves a relative data.file against its directory.
TEST(CampaignSections, LoadCampaignFromFile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hepsweep-campaign-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "c.toml") << kFull;
  const CampaignConfig c = loadCampaign((dir / "c.toml").string(), {"cv.folds=2"});
  EXPECT_EQ(c.run.data.file, (dir / "ship.h5").lexically_normal().string());
  EXPECT_EQ(c.cv.folds, 2);
  EXPECT_EQ(c.search.space.size(), 5u);
  fs::remove_all(dir);
}

// Every dimension form and every section away from its default; toml++ reads the dump as TOML.
CampaignConfig everySection() {
  std::string text = kFull;
  text.insert(text.find("[resources]"), "\"train.epochs\" = { min = 10, max = 40, steps = 4 }\n"
                                        "\"train.class_weight\" = [\"auto\", { signal = 2.0 }, \"none\"]\n"
                                        "\"train.l2\" = [1e-05, 0.5, 0]\n");
  return parseC(text,
                {"cv.folds=3", "search.method=random", "search.budget=11", "search.objective=val_auc",
                 "resources.reduction=fast", "train.micro_batches=8", "train.epochs=7"});
}

// toToml(c) parses back to c, and dumping again gives the same bytes.
TEST(CampaignSections, RoundTripByteIdentical) {
  const CampaignConfig c = everySection();
  const std::string text = toToml(c);
  const CampaignConfig back = parseCampaign(text, "campaign.toml");
  EXPECT_EQ(toToml(back), text);
  expectSameConfig(back.run, c.run);
  EXPECT_EQ(back.cv.folds, 3);
  EXPECT_EQ(back.search.method, SearchMethod::Random);
  EXPECT_EQ(back.search.budget, std::optional<std::int64_t>(11));
  EXPECT_EQ(back.search.objective.name(), "val_auc");
  EXPECT_EQ(back.resources.ranksPerItem, 2);
  EXPECT_EQ(back.resources.reduction, hepsweep::dist::GradientSum::Fast);
  ASSERT_EQ(keysOf(back.search.space), keysOf(c.search.space));
  for (std::size_t i = 0; i < c.search.space.size(); ++i) {
    const auto& a = c.search.space[i];
    const auto& b = back.search.space[i];
    EXPECT_EQ(a.kind(), b.kind()) << a.key();
    EXPECT_EQ(a.choiceTexts(), b.choiceTexts()) << a.key();
    if (a.kind() != Kind::Choice) {
      EXPECT_EQ(a.min(), b.min()) << a.key();
      EXPECT_EQ(a.max(), b.max()) << a.key();
      EXPECT_EQ(a.log(), b.log()) << a.key();
      EXPECT_EQ(a.steps().value_or(3), b.steps().value_or(3)) << a.key();
    }
  }
  // Dimension text as documented, every field written.
  EXPECT_NE(text.find("\n[search.space]\n\"model.widths\" = [[25, 20], [64, 32]]\n"
                      "\"train.learning_rate\" = { min = 0.0001, max = 0.01, log = true, steps = 3, type = \"float\" }\n"
                      "\"model.dropout\" = { min = 0.0, max = 0.5, log = false, steps = 3, type = \"float\" }\n"
                      "\"train.batch_size\" = { min = 32, max = 512, log = true, steps = 3, type = \"int\" }\n"
                      "\"model.activation\" = [\"relu\", \"elu\"]\n"
                      "\"train.epochs\" = { min = 10, max = 40, log = false, steps = 4, type = \"int\" }\n"
                      "\"train.class_weight\" = [\"auto\", { signal = 2.0 }, \"none\"]\n"
                      "\"train.l2\" = [1e-05, 0.5, 0]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n[cv]\nfolds = 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n[resources]\nranks_per_item = 2\nreduction = \"fast\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("micro_batches = 8\n"), std::string::npos) << text;

  // An independent TOML reader sees the sections where they belong.
  const toml::table doc = toml::parse(text);
  EXPECT_EQ(doc["search"]["budget"].value<std::int64_t>(), 11);
  EXPECT_TRUE(doc["search"]["space"]["model.widths"].is_array());
  EXPECT_EQ(doc["resources"]["ranks_per_item"].value<std::int64_t>(), 2);
}

// Defaults round-trip too; an unset budget is left out rather than written as a made-up value.
TEST(CampaignSections, RoundTripDefaultsAndGridWithoutBudget) {
  const std::string grid = std::string(kExampleCampaign) +
                           "[search]\nmethod = \"grid\"\n[search.space]\n\"model.dropout\" = [0.1, 0.2]\n";
  for (const std::string& t : {std::string(kExampleCampaign), grid}) {
    const CampaignConfig c = parseC(t);
    const std::string text = toToml(c);
    EXPECT_EQ(text.find("budget"), std::string::npos) << text;
    EXPECT_EQ(toToml(parseCampaign(text, "campaign.toml")), text);
  }
  EXPECT_NE(toToml(parseC(kExampleCampaign)).find("\n[search]\nmethod = \"none\"\nobjective = \"val_loss\"\n"),
            std::string::npos);
}

// Exactly the changed keys, both values, in declaration order; none for the same campaign, even
// written differently (1e-4 vs 0.0001, steps = 3 written or left out).
TEST(CampaignSections, DiffListsExactlyChangedKeys) {
  const CampaignConfig a = parseC(kFull);
  EXPECT_TRUE(diffCampaigns(a, a).empty());
  std::string respelt = kFull;
  respelt.replace(respelt.find("min = 1e-4"), 10, "min = 0.0001");
  respelt.replace(respelt.find("{ min = 0.0, max = 0.5 }"), 24, "{ max = 0.5, min = 0.0, steps = 3, log = false }");
  EXPECT_TRUE(diffCampaigns(a, parseC(respelt)).empty());

  const CampaignConfig b = parseC(kFull, {"train.epochs=30", "cv.folds=3", "search.space.model.dropout={min=0.0,max=0.4}",
                                          "search.space.train.l2=[0.0]"});
  EXPECT_EQ(diffCampaigns(a, b),
            (std::vector<std::string>{
                "train.epochs: 100 -> 30", "cv.folds: 5 -> 3",
                "search.space.\"model.dropout\": { min = 0.0, max = 0.5, log = false, steps = 3, type = \"float\" } -> "
                "{ min = 0.0, max = 0.4, log = false, steps = 3, type = \"float\" }",
                "search.space.\"train.l2\": (not set) -> [0.0]"}));
  const CampaignConfig noBudget = parseC(std::string(kFull).replace(kFull.find("budget = 20"), 11, ""));
  EXPECT_EQ(diffCampaigns(a, noBudget), (std::vector<std::string>{"search.budget: 20 -> (not set)"}));
}

// flattenCampaign has one entry per key of the dump (dimensions one each).
TEST(CampaignSections, FlattenMatchesDump) {
  const CampaignConfig c = everySection();
  const auto flat = flattenCampaign(c);
  const std::string text = toToml(c);
  for (const auto& [k, v] : flat) {
    const auto dot = k.rfind('.', k.find('"') == std::string::npos ? std::string::npos : k.find('"'));
    const std::string leaf = k.substr(dot + 1);
    EXPECT_NE(text.find("\n" + leaf + " = " + v + "\n"), std::string::npos) << k;
  }
  EXPECT_EQ(flat.size(), flattenOptions(c.run).size() + 4 /*cv.folds, method, budget, objective*/ +
                             7 /*bayes: initial_points, initial_design, acquisition, xi, kappa, liar, schedule*/ +
                             4 /*bayes: model_points, refit_every, fold_noise, recommend*/ +
                             5 /*early_stopping: rule, grace_epochs, min_completed, min_epochs, reduction_factor*/ +
                             3 /*racing: enabled, z, min_folds*/ +
                             c.search.space.size() + 3 /*resources*/);
}

}  // namespace
}  // namespace hepsweep::campaign
