// Error messages a user acts on: each names the key, the place (file:line:column or the --set
// argument) and quotes the offending value; unknown keys get the closest valid key.
#include <gtest/gtest.h>

#include "CampaignTestUtil.hpp"

namespace hepsweep::campaign {
namespace {

using namespace testing;

const std::string kMinimal = "[data]\nfile = \"x.h5\"\n";

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

// Syntax errors carry file:line:column from toml++ (catches a bare "parse error").
TEST(CampaignErrors, SyntaxErrorHasPosition) {
  const std::string e = configError([] { parse("seed = 42\n[data\nfile = 1\n"); });
  EXPECT_HAS(e, "ship.toml:2:");
  EXPECT_HAS(e, "TOML syntax error");
}

// An unknown key in the file names the key, its line, and the closest valid key.
TEST(CampaignErrors, UnknownKeyInFileSuggestsClosest) {
  const std::string text = kMinimal + "[train]\nepochs = 3\nlearnig_rate = 0.1\n";
  const std::string e = configError([&] { parse(text); });
  EXPECT_HAS(e, "unknown key 'train.learnig_rate' (ship.toml:5:1)");
  EXPECT_HAS(e, "did you mean 'train.learning_rate'?");
}

// A key written in the wrong section is matched by its last component.
TEST(CampaignErrors, KeyInWrongSectionSuggestsQualifiedKey) {
  const std::string e = configError([&] { parse("learning_rate = 0.1\n" + kMinimal); });
  EXPECT_HAS(e, "unknown key 'learning_rate'");
  EXPECT_HAS(e, "did you mean 'train.learning_rate'?");
}

// Sections that later issues add ([cv], [search], [resources]) are unknown for now: never ignored.
TEST(CampaignErrors, UnknownSectionsRejected) {
  for (const std::string sec : {"cv", "search", "resources", "search.space"}) {
    const std::string e = configError([&] { parse(kMinimal + "[" + sec + "]\nfoo = 1\n"); });
    EXPECT_HAS(e, "unknown key '" + sec.substr(0, sec.find('.')) + "'");
  }
  const std::string misspelt = configError([&] { parse(kMinimal + "[trian]\nepochs = 1\n"); });
  EXPECT_HAS(misspelt, "did you mean 'train'?");
}

// Unknown keys in --set are reported with the argument and a suggestion too.
TEST(CampaignErrors, UnknownKeyInSetSuggestsClosest) {
  const std::string e = configError([&] { parse(kMinimal, {"train.epoch=30"}); });
  EXPECT_HAS(e, "unknown key 'train.epoch' (--set train.epoch=30)");
  EXPECT_HAS(e, "did you mean 'train.epochs'?");
}

// Wrong TOML types: message names the key, the expected type, and quotes what was given.
TEST(CampaignErrors, WrongTypes) {
  EXPECT_HAS(configError([&] { parse(kMinimal + "[train]\nepochs = \"ten\"\n"); }),
             "train.epochs must be an integer, got string 'ten' (ship.toml:4:10)");
  EXPECT_HAS(configError([&] { parse(kMinimal + "[train]\nepochs = 100.0\n"); }),
             "train.epochs must be an integer, got float 100.0");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"train.epochs=ten"}); }),
             "train.epochs must be an integer, got string 'ten' (--set train.epochs=ten)");
  EXPECT_HAS(configError([&] { parse(kMinimal + "[model]\nbatch_norm = 1\n"); }),
             "model.batch_norm must be true or false, got integer 1");
  EXPECT_HAS(configError([&] { parse(kMinimal + "[model]\nwidths = 25\n"); }),
             "model.widths must be a list of integers, got integer 25");
  EXPECT_HAS(configError([&] { parse(kMinimal + "[model]\nwidths = [25, \"20\"]\n"); }),
             "model.widths[1] must be an integer, got string '20'");
  EXPECT_HAS(configError([&] { parse("[data]\nfile = \"x.h5\"\nsplit = 0.5\n"); }),
             "data.split must be a table with keys train, val, test");
  EXPECT_HAS(configError([&] { parse("data = 3\n"); }), "data must be a table with keys");
}

// Per-key bounds: each violation names the bound and the value.
TEST(CampaignErrors, OutOfRange) {
  struct Case { std::string set, message; };
  const std::vector<Case> cases{
      {"train.batch_size=0", "train.batch_size must be >= 1, got 0"},
      {"train.epochs=-1", "train.epochs must be >= 1, got -1"},
      {"train.learning_rate=0", "train.learning_rate must be > 0, got 0"},
      {"train.learning_rate=1e-50", "train.learning_rate must be > 0, got 1e-50"},
      {"train.beta1=1.0", "train.beta1 must be in [0, 1), got 1"},
      {"model.dropout=1.0", "model.dropout must be in [0, 1), got 1"},
      {"model.widths=[25, 0]", "model.widths[1] must be >= 1, got 0"},
      {"seed=-3", "seed must be >= 0, got -3"},
      {"train.epochs=3000000000", "train.epochs = 3000000000 is out of range"},
      {"metrics.signal_efficiencies=[0.5, 0]", "metrics.signal_efficiencies[1] must be in (0, 1], got 0"},
      {"metrics.threshold=1.5", "metrics.threshold must be in [0, 1], got 1.5"},
      {"train.l2=nan", "train.l2 must be a finite number, got float nan"},
      {"train.l2=1e300", "train.l2 = 1e+300 does not fit in single precision"},
      {"train.class_weight={signal=0}", "train.class_weight.signal must be > 0, got 0"},
      {"data.features=[pt, pt]", "data.features lists 'pt' twice"},
  };
  for (const auto& c : cases) EXPECT_HAS(configError([&] { parse(kMinimal, {c.set}); }), c.message);
}

// Constraints between keys.
TEST(CampaignErrors, CrossKeyConstraints) {
  EXPECT_HAS(configError([&] { parse(kMinimal + "[data]\n"); }), "TOML syntax error");  // duplicate table
  EXPECT_HAS(configError([&] { parse("seed = 1\n"); }), "data.file is not set (in ship.toml)");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"data.split={train=0.5,val=0.3,test=0.3}"}); }),
             "data.split fractions must sum to 1, got train 0.5 + val 0.3 + test 0.3 = 1.1");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"data.split={train=0.8,val=0.0,test=0.2}"}); }),
             "train.early_stopping needs validation rows");
  EXPECT_NO_THROW(parse(kMinimal, {"data.split={train=0.8,val=0.0,test=0.2}", "train.early_stopping.enabled=false"}));
  EXPECT_HAS(configError([&] { parse(kMinimal, {"train.optimizer=sgd", "train.nesterov=true"}); }),
             "train.nesterov = true needs train.momentum > 0");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"model.widths=[]"}); }),
             "model.widths is empty, so model.width and model.depth must be >= 1");
}

// Every enum-like key rejects a bad name, listing all valid names and suggesting the closest.
TEST(CampaignErrors, BadEnumValuesListValidNames) {
  struct Case { std::string key, bad, valid, suggestion; };
  const std::vector<Case> cases{
      {"data.balance", "downsampel", "\"none\", \"downsample\", \"reweight\"", "downsample"},
      {"preprocess.scaler", "PCA", "\"none\", \"standard\", \"pca\", \"pca_unscaled\"", "pca"},
      {"preprocess.fit_on", "trian", "\"train\", \"all\"", "train"},
      {"preprocess.missing", "means", "\"keep\", \"mean\", \"mean+indicator\"", "mean"},
      {"model.activation", "rleu",
       "\"relu\", \"leaky_relu\", \"elu\", \"tanh\", \"sigmoid\", \"softplus\", \"linear\"", "relu"},
      {"model.init", "he", "\"auto\", \"he_normal\", \"he_uniform\", \"glorot_normal\", \"glorot_uniform\"", ""},
      {"train.optimizer", "adamw", "\"adam\", \"nadam\", \"sgd\"", "adam"},
      {"train.early_stopping.monitor", "val_acc", "\"val_loss\", \"val_auc\"", "val_auc"},
  };
  const std::string cw = configError([&] { parse(kMinimal, {"train.class_weight=balanced"}); });
  EXPECT_HAS(cw, "train.class_weight must be \"none\", \"auto\" or a table { signal = w, background = w }; got 'balanced'");
  for (const auto& c : cases) {
    const std::string fromSet = configError([&] { parse(kMinimal, {c.key + "=" + c.bad}); });
    EXPECT_HAS(fromSet, c.key + " must be one of " + c.valid + "; got '" + c.bad + "'");
    if (!c.suggestion.empty()) {
      EXPECT_HAS(fromSet, "did you mean '" + c.suggestion + "'?");
    } else {
      EXPECT_EQ(fromSet.find("did you mean"), std::string::npos) << fromSet;  // nothing near
    }
    const std::string fromFile = configError([&] { parse(c.key + " = \"" + c.bad + "\"\n", {"data.file=x.h5"}); });
    EXPECT_HAS(fromFile, "(ship.toml:1:");
  }
}

// Malformed --set arguments are rejected with the argument quoted and an example.
TEST(CampaignErrors, BadSetSyntax) {
  EXPECT_HAS(configError([&] { parse(kMinimal, {"train.epochs"}); }),
             "bad --set 'train.epochs': expected key=value, e.g. --set train.epochs=30");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"=3"}); }), "is not a dotted key");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"train..epochs=3"}); }), "is not a dotted key");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"train epochs=3"}); }), "is not a dotted key");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"train.epochs="}); }), "no value after '='");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"model.widths=[1,"}); }), "the value is not valid TOML");
  EXPECT_HAS(configError([&] { parse(kMinimal, {"train.epochs=3\nseed=1"}); }), "bad --set");
}


// data.parameter and data.held_out (docs/parametrised.md): the rules that make them usable, and
// the dump of a campaign without them unchanged (result files of binary campaigns stay the same).
TEST(CampaignErrors, ParameterRules) {
  EXPECT_HAS(configError([&] { parse(kMinimal + "held_out = [500.0]\n"); }),
             "data.held_out lists parameter values but data.parameter is not set");
  EXPECT_HAS(configError([&] { parse(kMinimal + "parameter = \"mass\"\n"); }),
             "data.parameter needs output.scores = \"all\"");
  EXPECT_HAS(configError([&] {
               parse(kMinimal + "parameter = \"mass\"\nfeatures = [\"pt\"]\n[output]\nscores = \"all\"\n");
             }),
             "data.parameter = 'mass' is not among data.features");
  const train::RunConfig c =
      parse(kMinimal + "parameter = \"mass\"\nheld_out = [500.0, 650]\n[output]\nscores = \"all\"\n");
  EXPECT_EQ(c.data.parameter, "mass");
  EXPECT_EQ(c.data.heldOut, (std::vector<double>{500.0, 650.0}));
  EXPECT_NE(toToml(c).find("parameter = \"mass\""), std::string::npos) << toToml(c);
  EXPECT_EQ(toToml(parse(kMinimal)).find("parameter"), std::string::npos) << toToml(parse(kMinimal));
  EXPECT_EQ(toToml(parse(kMinimal)).find("held_out"), std::string::npos);
}

}  // namespace
}  // namespace hepsweep::campaign
