// Reading campaign files and --set overrides into RunConfig: values, defaults, equivalent TOML
// forms, alternatives between keys, and path resolution.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "CampaignTestUtil.hpp"
#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/nn/Config.hpp"

namespace hepsweep::campaign {
namespace {

using namespace testing;
using train::RunConfig;

const std::string kMinimal = "[data]\nfile = \"x.h5\"\n";

// The issue's example must parse exactly as written, with each value landing in its field
// (catches a key bound to the wrong field or a form of the example that is rejected).
TEST(CampaignParse, ExampleFileGivesItsValues) {
  const RunConfig c = parse(kExampleCampaign);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_EQ(c.data.file, "ship.h5");
  EXPECT_TRUE(c.data.features.empty());
  EXPECT_EQ(c.data.balance, data::BalanceMode::Downsample);
  EXPECT_EQ(c.data.split.train, 0.34);
  EXPECT_EQ(c.data.split.val, 0.33);
  EXPECT_EQ(c.data.split.test, 0.33);
  EXPECT_EQ(c.preprocess.scaler, data::ScalerKind::Standard);
  EXPECT_EQ(c.model.widths, (std::vector<int>{25, 20}));
  EXPECT_EQ(c.model.activation, nn::Activation::Relu);
  EXPECT_EQ(c.model.dropout, (std::vector<float>{0.2f}));
  EXPECT_EQ(c.train.optimizer.kind, nn::OptimizerKind::Adam);
  EXPECT_EQ(c.train.optimizer.learningRate, 1e-3f);
  EXPECT_EQ(c.train.batchSize, 100);
  EXPECT_EQ(c.train.epochs, 100);
  EXPECT_EQ(c.train.earlyStopping.monitor, train::Monitor::ValLoss);
  EXPECT_EQ(c.train.earlyStopping.patience, 10);
  EXPECT_TRUE(c.train.earlyStopping.restoreBest);
  EXPECT_EQ(c.output.dir, "runs/ship");
}

// Keys absent from the file keep the struct defaults (catches a parser that zeroes or invents values).
TEST(CampaignParse, MissingKeysKeepStructDefaults) {
  RunConfig expected;
  expected.data.file = "x.h5";
  expectSameConfig(parse(kMinimal), expected);
}

// [a.b] sub-tables, inline tables and dotted keys are the same TOML; all must give the same config.
TEST(CampaignParse, SubTableInlineTableAndDottedKeysAgree) {
  const std::string inlineForm = R"(
[data]
file = "x.h5"
split = { train = 0.5, val = 0.25, test = 0.25 }
[train]
early_stopping = { monitor = "val_auc", patience = 3, min_delta = 0.01, restore_best = false }
)";
  const std::string tableForm = R"(
[data]
file = "x.h5"
[data.split]
train = 0.5
val = 0.25
test = 0.25
[train.early_stopping]
monitor = "val_auc"
patience = 3
min_delta = 0.01
restore_best = false
)";
  const std::string dottedForm = R"(
data.file = "x.h5"
data.split.train = 0.5
data.split.val = 0.25
data.split.test = 0.25
[train]
early_stopping.monitor = "val_auc"
early_stopping.patience = 3
early_stopping.min_delta = 0.01
early_stopping.restore_best = false
)";
  const RunConfig a = parse(inlineForm);
  EXPECT_EQ(a.data.split.train, 0.5);
  EXPECT_EQ(a.train.earlyStopping.monitor, train::Monitor::ValAuc);
  EXPECT_EQ(a.train.earlyStopping.patience, 3);
  EXPECT_FALSE(a.train.earlyStopping.restoreBest);
  expectSameConfig(parse(tableForm), a);
  expectSameConfig(parse(dottedForm), a);
}

// model.dropout takes one rate for all layers or one per layer (catches a parser accepting only one form).
TEST(CampaignParse, DropoutScalarOrList) {
  EXPECT_EQ(parse(kMinimal + "[model]\ndropout = 0.3\n").model.dropout, (std::vector<float>{0.3f}));
  EXPECT_EQ(parse(kMinimal + "[model]\ndropout = 0\n").model.dropout, (std::vector<float>{0.0f}));
  EXPECT_EQ(parse(kMinimal + "[model]\nwidths = [8, 4]\ndropout = [0.1, 0.4]\n").model.dropout,
            (std::vector<float>{0.1f, 0.4f}));
  const std::string wrongLength = configError([&] { parse(kMinimal + "[model]\nwidths = [8, 4]\ndropout = [0.1, 0.2, 0.3]\n"); });
  EXPECT_NE(wrongLength.find("model.dropout lists 3 rates but the network has 2 hidden layers"), std::string::npos)
      << wrongLength;
  EXPECT_NE(configError([&] { parse(kMinimal + "[model]\ndropout = []\n"); }).find("model.dropout must be"),
            std::string::npos);
  EXPECT_NE(configError([&] { parse(kMinimal + "[model]\ndropout = [0.1, 1.0]\n"); }).find("model.dropout[1] must be in [0, 1)"),
            std::string::npos);
}

// The three forms of train.class_weight set the three fields behind it.
TEST(CampaignParse, ClassWeightForms) {
  RunConfig c = parse(kMinimal + "[train]\nclass_weight = \"auto\"\n");
  EXPECT_TRUE(c.train.classWeightAuto);
  c = parse(kMinimal + "[train]\nclass_weight = { signal = 2.5 }\n");
  EXPECT_FALSE(c.train.classWeightAuto);
  EXPECT_EQ(c.train.classWeightSignal, 2.5);
  EXPECT_EQ(c.train.classWeightBackground, 1.0);
  c = parse(kMinimal + "[train.class_weight]\nsignal = 1.5\nbackground = 0.5\n");
  EXPECT_EQ(c.train.classWeightSignal, 1.5);
  EXPECT_EQ(c.train.classWeightBackground, 0.5);
  c = parse(kMinimal + "[train]\nclass_weight = { signal = 3.0 }\n", {"train.class_weight=none"});
  EXPECT_FALSE(c.train.classWeightAuto);
  EXPECT_EQ(c.train.classWeightSignal, 1.0);
  const std::string e = configError([&] { parse(kMinimal + "[train]\nclass_weight = { sgnal = 2.0 }\n"); });
  EXPECT_NE(e.find("did you mean 'train.class_weight.signal'"), std::string::npos) << e;
}

// TOML integers are accepted where a float is expected (learning_rate = 1 is not a type error).
TEST(CampaignParse, IntegerAcceptedForFloatKey) {
  EXPECT_EQ(parse(kMinimal + "[train]\nlearning_rate = 1\n").train.optimizer.learningRate, 1.0f);
}

// Every allowed name of every enum key gives the value the owning module's parser gives
// (catches names drifting between the campaign table and the nn/data modules).
TEST(CampaignParse, EnumNamesAgreeWithModuleParsers) {
  for (const char* n : {"none", "downsample", "reweight"})
    EXPECT_EQ(parse(kMinimal, {std::string("data.balance=") + n}).data.balance, data::parseBalanceMode(n));
  for (const char* n : {"none", "standard", "pca", "pca_unscaled"})
    EXPECT_EQ(parse(kMinimal, {std::string("preprocess.scaler=") + n}).preprocess.scaler, data::parseScalerKind(n));
  for (const char* n : {"train", "all"})
    EXPECT_EQ(parse(kMinimal, {std::string("preprocess.fit_on=") + n}).preprocess.fitOn, data::parseFitOn(n));
  for (const char* n : {"keep", "mean", "mean+indicator"})
    EXPECT_EQ(parse(kMinimal, {std::string("preprocess.missing=") + n}).preprocess.missing, data::parseMissingPolicy(n));
  for (const char* n : {"relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "linear"})
    EXPECT_EQ(parse(kMinimal, {std::string("model.activation=") + n}).model.activation, nn::parseActivation(n));
  for (const char* n : {"auto", "he_normal", "he_uniform", "glorot_normal", "glorot_uniform"})
    EXPECT_EQ(parse(kMinimal, {std::string("model.init=") + n}).model.init, nn::parseInitializer(n));
  for (const char* n : {"adam", "nadam", "sgd"})
    EXPECT_EQ(parse(kMinimal, {std::string("train.optimizer=") + n}).train.optimizer.kind, nn::parseOptimizerKind(n));
}

// --set takes TOML values for nested keys, lists and tables, bare words as strings, and applies
// in order (catches overrides parsed as plain strings, or applied before the file).
TEST(CampaignOverrides, NestedListTableAndBareWordValues) {
  const RunConfig c = parse(kExampleCampaign, {
      "train.epochs=30",
      "model.widths=[64, 64, 32]",
      "model.activation=elu",
      "data.split={train=0.5,val=0.25,test=0.25}",
      "train.early_stopping.patience = 4",
      "train.learning_rate=3e-4",
      "data.features=[pt, eta]",
      "output.dir=\"runs/with space\"",
      "preprocess.missing=mean+indicator",
      "train.epochs=31",
  });
  EXPECT_EQ(c.train.epochs, 31);
  EXPECT_EQ(c.model.widths, (std::vector<int>{64, 64, 32}));
  EXPECT_EQ(c.model.activation, nn::Activation::Elu);
  EXPECT_EQ(c.data.split.train, 0.5);
  EXPECT_EQ(c.data.split.test, 0.25);
  EXPECT_EQ(c.train.earlyStopping.patience, 4);
  EXPECT_EQ(c.train.earlyStopping.monitor, train::Monitor::ValLoss);  // only the key given is touched
  EXPECT_EQ(c.train.optimizer.learningRate, 3e-4f);
  EXPECT_EQ(c.data.features, (std::vector<std::string>{"pt", "eta"}));
  EXPECT_EQ(c.output.dir, "runs/with space");
  EXPECT_EQ(c.preprocess.missing, data::MissingPolicy::MeanIndicator);
}

// A string key given a numeric-looking bare word keeps the text (data.file=2024 is a file name).
TEST(CampaignOverrides, StringKeyKeepsNumericLookingWord) {
  EXPECT_EQ(parse(kMinimal, {"data.file=2024"}).data.file, "2024");
  EXPECT_EQ(parse(kMinimal, {"output.dir=1e3"}).output.dir, "1e3");
}

// applyOverrides works on an existing config and validates the result.
TEST(CampaignOverrides, ApplyToResolvedConfig) {
  RunConfig c = parse(kExampleCampaign);
  applyOverrides(c, {"train.batch_size=256"});
  EXPECT_EQ(c.train.batchSize, 256);
  const std::string e = configError([&] { applyOverrides(c, {"data.split.train=0.9"}); });
  EXPECT_NE(e.find("data.split fractions must sum to 1"), std::string::npos) << e;
}

// model.widths and model.width/depth/step are alternatives: the source that sets one resets the
// other, and one source setting both is an error (catches a silently ignored --set model.depth).
TEST(CampaignOverrides, LayerShapeAlternatives) {
  RunConfig c = parse(kExampleCampaign, {"model.width=64", "model.depth=3", "model.step=16", "model.dropout=0.1"});
  EXPECT_TRUE(c.model.widths.empty());
  EXPECT_EQ(c.model.depth, 3);
  const std::string shaped = kMinimal + "[model]\nwidth = 30\ndepth = 2\n";
  c = parse(shaped);
  EXPECT_TRUE(c.model.widths.empty());
  EXPECT_EQ(c.model.width, 30);
  c = parse(shaped, {"model.widths=[7]"});
  EXPECT_EQ(c.model.widths, std::vector<int>{7});
  EXPECT_EQ(c.model.width, 0);
  EXPECT_EQ(c.model.depth, 0);
  const std::string both = configError([&] { parse(kMinimal + "[model]\nwidths = [8]\ndepth = 2\n"); });
  EXPECT_NE(both.find("alternatives"), std::string::npos) << both;
  const std::string tooDeep = configError([&] { parse(kMinimal + "[model]\nwidth = 10\ndepth = 4\nstep = 5\n"); });
  EXPECT_NE(tooDeep.find("last hidden layer of width -5"), std::string::npos) << tooDeep;
}

class CampaignPaths : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hepsweep_campaign_" + std::to_string(::getpid()) + "_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_ / "campaigns");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    const auto p = dir_ / "campaigns" / "ship.toml";
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

// data.file in the file is relative to the file's directory; output.dir and a --set data.file
// stay relative to the working directory (documented in docs/campaign.md).
TEST_F(CampaignPaths, DataFileRelativeToCampaignFile) {
  const std::string path = write(kExampleCampaign);
  RunConfig c = loadRunConfig(path);
  EXPECT_EQ(c.data.file, (dir_ / "campaigns" / "ship.h5").lexically_normal().string());
  EXPECT_EQ(c.output.dir, "runs/ship");
  c = loadRunConfig(path, {"data.file=other.h5"});
  EXPECT_EQ(c.data.file, "other.h5");
  c = loadRunConfig(write("[data]\nfile = \"../data/x.h5\"\n"));
  EXPECT_EQ(c.data.file, (dir_ / "data" / "x.h5").string());
  c = loadRunConfig(write("[data]\nfile = \"/abs/x.h5\"\n"));
  EXPECT_EQ(c.data.file, "/abs/x.h5");
}

// A missing campaign file is an I/O error naming the file.
TEST_F(CampaignPaths, MissingFileIsIoError) {
  const std::string missing = (dir_ / "nope.toml").string();
  try {
    loadRunConfig(missing);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
}

// Messages from a loaded file carry the path as given, with line and column.
TEST_F(CampaignPaths, ErrorsNameTheFile) {
  const std::string path = write("[train]\nepochs = \"ten\"\n");
  const std::string e = configError([&] { loadRunConfig(path); });
  EXPECT_NE(e.find(path + ":2:10"), std::string::npos) << e;
}

}  // namespace
}  // namespace hepsweep::campaign
