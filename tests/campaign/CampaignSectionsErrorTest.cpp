// Errors of the campaign sections, each caught when the file is loaded (never after training
// started): the message names the key, the place, and quotes the offending value.
#include <gtest/gtest.h>

#include "CampaignTestUtil.hpp"
#include "hepsweep/campaign/Campaign.hpp"

namespace hepsweep::campaign {
namespace {

using namespace testing;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

// Lines 1-2: [data]; 3-4: [search]; 5: [search.space]; the entries start on line 6.
const std::string kGrid = std::string(kMinimalCampaign) + "[search]\nmethod = \"grid\"\n[search.space]\n";

std::string loadError(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return configError([&] { parseCampaign(text, "ship.toml", overrides); });
}

// An unknown key in [search.space] is named with file:line:col and the closest valid key.
TEST(CampaignSectionErrors, UnknownSpaceKeySuggestsClosest) {
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = [0.1]\n\"model.widht\" = [[25, 20]]\n"),
             "search.space key 'model.widht' (ship.toml:7:1) is not a key of the campaign file; did you mean "
             "'model.widths'?");
  EXPECT_HAS(loadError(kGrid + "\"learning_rate\" = [0.1]\n"), "did you mean 'train.learning_rate'?");
  EXPECT_HAS(loadError(kMinimalCampaign, {"search.method=grid", "search.space.train.epoch=[3]"}),
             "search.space key 'train.epoch' (--set search.space.train.epoch=[3]) is not a key");
  // Dotted keys must be quoted in [search.space]; unquoted they make a [model] table.
  EXPECT_HAS(loadError(kGrid + "model.dropout = [0.1, 0.2]\n"),
             "model is a section: write the full dotted key in quotes, e.g. \"model.dropout\" = ...");
}

// Keys that must stay the same for every point are refused, with the reason.
TEST(CampaignSectionErrors, NotSearchableKeys) {
  for (const std::string key : {"seed", "data.file", "output.dir", "cv.folds", "search.budget", "search.method",
                                "resources.ranks_per_item", "resources.reduction"}) {
    SCOPED_TRACE(key);
    EXPECT_HAS(loadError(kGrid + "\"" + key + "\" = [1, 2]\n"), "search.space key '" + key + "' (ship.toml:6:1) cannot be searched");
  }
}

// Every value a search may try is checked against the key's own rules at load time.
TEST(CampaignSectionErrors, BadCandidateValuesCaughtAtLoad) {
  const std::string dropout = loadError(kGrid + "\"model.dropout\" = { min = 0, max = 1.5 }\n");
  EXPECT_HAS(dropout, "search.space key 'model.dropout': value 1.5 is refused (in ship.toml)");
  EXPECT_HAS(dropout, "model.dropout must be in [0, 1), got 1.5");
  const std::string act = loadError(kGrid + "\"model.activation\" = [\"relu\", \"tanhh\"]\n");
  EXPECT_HAS(act, "search.space key 'model.activation': value \"tanhh\" is refused");
  EXPECT_HAS(act, "did you mean 'tanh'?");
  EXPECT_HAS(loadError(kGrid + "\"model.widths\" = [[25, 20], [64, 0]]\n"),
             "value [64, 0] is refused (in ship.toml): model.widths[1] must be >= 1, got 0");
  // type = "float" on an integer key gives the values 2.0, 5.0, 8.0, refused as non-integers.
  EXPECT_HAS(loadError(kGrid + "\"train.early_stopping.patience\" = { min = 2, max = 8, type = \"float\" }\n"),
             "train.early_stopping.patience must be an integer, got float 2.0");
  // A value that breaks a constraint with the other (base) keys: three layers, two dropout rates.
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[model]\nwidths = [25, 20]\ndropout = [0.1, 0.2]\n"
                                                       "[search]\nmethod = \"random\"\nbudget = 3\n[search.space]\n"
                                                       "\"model.widths\" = [[25, 20], [25, 20, 10]]\n"),
             "value [25, 20, 10] is refused (in ship.toml): model.dropout lists 2 rates but the network has 3 hidden layers");
  // Values are checked against the final configuration, after --set.
  EXPECT_HAS(loadError(kGrid + "\"train.batch_size\" = { min = 2, max = 64 }\n"),
             "value 2 is refused (in ship.toml): train.micro_batches = 4 must be <= train.batch_size = 2");
  EXPECT_NO_THROW(parseCampaign(kGrid + "\"train.batch_size\" = { min = 2, max = 64 }\n", "ship.toml",
                                {"train.micro_batches=2"}));
}

// Malformed dimensions: each names the entry and the place.
TEST(CampaignSectionErrors, MalformedDimensions) {
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = { min = 0.1 }\n"),
             "search.space.\"model.dropout\" needs both min and max (ship.toml:6:19)");
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = { min = 0.1, max = 0.2, stpes = 3 }\n"),
             "unknown key 'search.space.\"model.dropout\".stpes' (ship.toml:6:43); a range takes min, max, log, steps, "
             "type; did you mean 'steps'?");
  EXPECT_HAS(loadError(kGrid + "\"train.learning_rate\" = { min = 0.0, max = 0.1, log = true }\n"),
             "log = true needs min > 0 (got min = 0.0) (ship.toml:6:25)");
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = { min = 0.3, max = 0.1 }\n"), "min must be smaller than max");
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = 0.2\n"),
             "search.space key 'model.dropout' (ship.toml:6:1) must be a list of values, e.g. [0.1, 0.2], or a range");
  EXPECT_HAS(loadError(kGrid + "\"model.activation\" = { min = 1, max = 2 }\n"),
             "a range { min, max } needs a numeric key, but model.activation is a string");
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = [0.1, 0.1]\n"), "is listed twice");
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = []\n"), "the list of values is empty");
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = { min = 0.1, max = 0.2, steps = 0 }\n"),
             "search.space.\"model.dropout\".steps must be in [1, 100000], got 0");
  EXPECT_HAS(loadError(kGrid + "\"model.dropout\" = { min = 0.1, max = 0.2, type = \"double\" }\n"),
             "search.space.\"model.dropout\".type must be one of \"int\", \"float\"; got 'double'");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nspace = 3\n"), "search.space must be a table");
}

// The ranks of an item must share the micro-batches evenly (message of the issue, verbatim).
TEST(CampaignSectionErrors, RanksMustDivideMicroBatches) {
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[resources]\nranks_per_item = 3\n"),
             "resources.ranks_per_item = 3 must divide train.micro_batches = 4 so that every rank gets whole "
             "micro-batches; set train.micro_batches = 6 or ranks_per_item = 1, 2 or 4");
  EXPECT_NO_THROW(parseCampaign(std::string(kMinimalCampaign) + "[resources]\nranks_per_item = 3\n", "ship.toml",
                                {"train.micro_batches=6"}));
  EXPECT_HAS(loadError(kMinimalCampaign, {"resources.ranks_per_item=0"}), "resources.ranks_per_item must be >= 1, got 0");
  // Searched micro_batches values are checked against the ranks too.
  EXPECT_HAS(loadError(kGrid + "\"train.micro_batches\" = [2, 3]\n", {"resources.ranks_per_item=2"}),
             "value 3 is refused");
}

// micro_batches <= batch_size also holds for a single training (loadRunConfig).
TEST(CampaignSectionErrors, MicroBatchesAtMostBatchSize) {
  EXPECT_HAS(configError([] { parse(kMinimalCampaign, {"train.batch_size=2"}); }),
             "train.micro_batches = 4 must be <= train.batch_size = 2");
  EXPECT_HAS(loadError(kMinimalCampaign, {"train.micro_batches=0"}), "train.micro_batches must be >= 1, got 0");
  EXPECT_NO_THROW(parse(kMinimalCampaign, {"train.batch_size=1", "train.micro_batches=1"}));
}

TEST(CampaignSectionErrors, BatchNormWithSeveralRanks) {
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[model]\nbatch_norm = true\n[resources]\nranks_per_item = 2\n"),
             "batch normalisation with several ranks per item is not supported yet");
  EXPECT_HAS(loadError(kGrid + "\"model.batch_norm\" = [false, true]\n", {"resources.ranks_per_item=2"}),
             "search.space key 'model.batch_norm': value true is refused");
}

// The search section's own rules.
TEST(CampaignSectionErrors, SearchMethodRules) {
  const std::string space = "[search.space]\n\"model.dropout\" = [0.1, 0.2]\n";
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nmethod = \"random\"\n" + space),
             "search.method = \"random\" needs search.budget");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nmethod = \"bayes\"\n" + space),
             "search.method = \"bayes\" needs search.budget");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nmethod = \"gird\"\n" + space),
             "search.method must be one of \"none\", \"grid\", \"random\", \"bayes\"; got 'gird' (ship.toml:4:10); did you mean 'grid'?");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\n" + space),
             "search.space lists 1 key(s) but search.method = \"none\"");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nmethod = \"grid\"\n"),
             "search.method = \"grid\" needs at least one key in [search.space]");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nmethod = \"random\"\nbudget = 0\n" + space),
             "search.budget must be in [1, 100000], got 0");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nobjective = \"auc\"\n"),
             "search.objective must be \"val_loss\", \"val_auc\", \"ams\" or \"bkg_eff@sig_eff=X\" with 0 < X < 1; got 'auc'");
  // The parametrised objective with X outside (0, 1) or not a number gets the same clear error.
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nobjective = \"bkg_eff@sig_eff=1.2\"\n"),
             "search.objective must be \"val_loss\", \"val_auc\", \"ams\" or \"bkg_eff@sig_eff=X\" with 0 < X < 1; got 'bkg_eff@sig_eff=1.2' (ship.toml:4:13)");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nobjective = \"bkg_eff@sig_eff=eighty\"\n"),
             "got 'bkg_eff@sig_eff=eighty'");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[search]\nmetod = \"grid\"\n"),
             "unknown key 'search.metod' (ship.toml:4:1); did you mean 'search.method'?");
  // A grid beyond the search module's limit is refused before anything runs.
  EXPECT_HAS(loadError(kGrid + "\"train.l2\" = { min = 0.0, max = 1.0, steps = 1000 }\n"
                               "\"train.l1\" = { min = 0.0, max = 1.0, steps = 1000 }\n"),
             "(in ship.toml)");
}

// The Bayesian search's choices are typed: each name reads into its value and back, and a wrong
// name lists the valid ones and the one meant.
TEST(CampaignSectionErrors, BayesChoicesAreTyped) {
  const std::string bayes = std::string(kMinimalCampaign) +
                            "[search]\nmethod = \"bayes\"\nbudget = 4\n[search.space]\n\"model.dropout\" = [0.1, 0.2]\n";
  const CampaignConfig c =
      parseCampaign(bayes, "ship.toml",
                    {"search.initial_design=sobol", "search.acquisition=LCB", "search.liar=kb", "search.recommend=model"});
  EXPECT_EQ(c.search.bayes.initialDesign, search::InitialDesign::Sobol);
  EXPECT_EQ(c.search.bayes.acquisition, search::AcquisitionKind::LCB);
  EXPECT_EQ(c.search.bayes.liar, search::Liar::KrigingBeliever);
  EXPECT_EQ(c.search.bayes.recommend, search::Recommendation::Model);
  const std::string dumped = toToml(c);
  EXPECT_HAS(dumped, "initial_design = \"sobol\"");
  EXPECT_HAS(dumped, "acquisition = \"LCB\"");
  EXPECT_HAS(dumped, "liar = \"kb\"");
  EXPECT_HAS(dumped, "recommend = \"model\"");
  EXPECT_HAS(loadError(bayes, {"search.acquisition=ei"}),
             "search.acquisition must be one of \"EI\", \"LCB\", \"PI\", \"gp_hedge\"; got 'ei' "
             "(--set search.acquisition=ei); did you mean 'EI'?");
  EXPECT_HAS(loadError(bayes, {"search.liar=cl_median"}), "search.liar must be one of \"cl_min\", \"cl_mean\"");
  EXPECT_HAS(loadError(bayes, {"search.initial_design=halton"}),
             "search.initial_design must be one of \"random\", \"lhs\", \"sobol\"; got 'halton'");
  EXPECT_HAS(loadError(bayes, {"search.recommend=mean"}),
             "search.recommend must be one of \"observed\", \"model\"; got 'mean'");
}

// With k > 1 folds each item validates on its fold: early stopping needs no data.split.val then.
TEST(CampaignSectionErrors, FoldsRules) {
  const std::string noVal = std::string(kMinimalCampaign) + "split = { train = 0.8, val = 0.0, test = 0.2 }\n";
  EXPECT_HAS(loadError(noVal), "train.early_stopping needs validation rows");
  EXPECT_NO_THROW(parseCampaign(noVal + "[cv]\nfolds = 4\n", "ship.toml"));
  EXPECT_HAS(loadError(kMinimalCampaign, {"cv.folds=0"}), "cv.folds must be >= 1, got 0 (--set cv.folds=0)");
  EXPECT_HAS(loadError(std::string(kMinimalCampaign) + "[cv]\nfold = 3\n"), "did you mean 'cv.folds'?");
}


// A parametrised network's draw is made once per job: refused in rows mode, and a search may not
// vary the parameter or the held-out values.
TEST(CampaignSectionErrors, ParametrisedNetworkRules) {
  const std::string param = std::string(kMinimalCampaign) + "parameter = \"mass\"\nheld_out = [500.0]\n[output]\nscores = \"all\"\n";
  EXPECT_HAS(loadError(param, {"resources.data=rows"}), "data.parameter needs the data in memory");
  EXPECT_HAS(loadError(param + "[search]\nmethod = \"grid\"\n[search.space]\n\"data.held_out\" = [[500.0], [600.0]]\n"),
             "search.space may not vary data.held_out of a parametrised network");
  EXPECT_NO_THROW(parseCampaign(param, "ship.toml", {}));
}

// Multi-class data: the signal/background objectives are refused naming the key, as are
// [baseline] and data.parameter; val_loss and val_auc pass; binary data (no class names) is not
// checked at all.
TEST(CampaignSectionErrors, MultiClassRefusesSignalBackgroundKeys) {
  const std::vector<std::string> classes{"pi_mu", "rho_mu", "background"};
  const auto refused = [&](const std::vector<std::string>& overrides) {
    const CampaignConfig c = parseCampaign(kMinimalCampaign, "ship.toml", overrides);
    EXPECT_NO_THROW(checkMultiClass(c, {}));
    return configError([&] { checkMultiClass(c, classes); });
  };
  EXPECT_HAS(refused({"search.objective=\"ams\""}), "search.objective = 'ams' is defined for signal against background only");
  EXPECT_HAS(refused({"search.objective=\"ams\""}), "3 classes: pi_mu, rho_mu, background");
  EXPECT_HAS(refused({"search.objective=\"bkg_eff@sig_eff=0.8\""}), "search.objective = 'bkg_eff@sig_eff=0.8'");
  for (const std::string objective : {"val_loss", "val_auc"}) {
    const CampaignConfig c = parseCampaign(kMinimalCampaign, "ship.toml", {"search.objective=\"" + objective + "\""});
    EXPECT_NO_THROW(checkMultiClass(c, classes)) << objective;
  }
}

}  // namespace
}  // namespace hepsweep::campaign
