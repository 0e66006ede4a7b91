// toToml: the resolved configuration dump must contain every declared key and read back to the
// same configuration, byte-identically when dumped again.
#include <gtest/gtest.h>

#include <toml++/toml.h>

#include <cmath>

#include "CampaignTestUtil.hpp"

namespace hepsweep::campaign {
namespace {

using namespace testing;
using train::RunConfig;

// A configuration with every field away from its default, built by hand from the headers: a field
// missing from the option table, or bound to the wrong key, breaks the comparison after a round trip.
RunConfig everythingChanged() {
  RunConfig c;
  c.seed = 9007199254740993ull;  // above 2^53: would be corrupted by a trip through double
  c.data.file = "dir with space/\"quoted\"\\ship\t.h5";
  c.data.features = {"pt", "eta", "m_{jj}"};
  c.data.balance = data::BalanceMode::Reweight;
  c.data.split = {0.7, 0.2, 0.1};  // 0.7 + 0.2 + 0.1 != 1 exactly in binary; still within 1e-6
  c.data.parameter = "pt";
  c.data.heldOut = {500.0, 612.5};
  c.preprocess.scaler = data::ScalerKind::Pca;
  c.preprocess.pcaComponents = 5;
  c.preprocess.whiten = true;
  c.preprocess.fitOn = data::FitOn::All;
  c.preprocess.missing = data::MissingPolicy::MeanIndicator;
  c.model.widths = {};
  c.model.width = 40;
  c.model.depth = 3;
  c.model.step = 7;
  c.model.activation = nn::Activation::LeakyRelu;
  c.model.leakySlope = 0.3f;
  c.model.eluAlpha = 0.7f;
  c.model.dropout = {0.1f, 0.2f, 1.0f / 3.0f};
  c.model.batchNorm = true;
  c.model.batchNormMomentum = 0.01f;
  c.model.batchNormEpsilon = 1e-3f;
  c.model.init = nn::Initializer::GlorotUniform;
  c.train.optimizer.kind = nn::OptimizerKind::Sgd;
  c.train.optimizer.learningRate = 3e-4f;
  c.train.optimizer.beta1 = 0.8f;
  c.train.optimizer.beta2 = 0.99f;
  c.train.optimizer.epsilon = 1e-7f;
  c.train.optimizer.momentum = 0.9f;
  c.train.optimizer.nesterov = true;
  c.train.optimizer.momentumDecay = 5e-3f;
  c.train.batchSize = 512;
  c.train.microBatches = 8;
  c.train.epochs = 7;
  c.train.l1 = 1e-5f;
  c.train.l2 = 0.1f + 0.2f;
  c.train.classWeightAuto = false;
  c.train.classWeightSignal = 0.1 + 0.2;
  c.train.classWeightBackground = 1e-300;
  c.train.shuffle = false;
  c.train.earlyStopping.enabled = false;
  c.train.earlyStopping.monitor = train::Monitor::ValAuc;
  c.train.earlyStopping.patience = 0;
  c.train.earlyStopping.minDelta = 1e-4;
  c.train.earlyStopping.restoreBest = false;
  c.metrics.signalEfficiencies = {0.25, 1.0};
  c.metrics.threshold = 0.75;
  c.output.dir = "runs/ü/x";
  c.output.scores = train::ScoreOutput::All;  // data.parameter needs every split's scores
  return c;
}

// parse(toToml(c)) == c for every field, and dumping again gives the same bytes.
TEST(CampaignRoundTrip, EveryFieldSurvives) {
  const RunConfig c = everythingChanged();
  const std::string text = toToml(c);
  const RunConfig back = parseRunConfig(text, "dump.toml");
  expectSameConfig(back, c);
  EXPECT_EQ(toToml(back), text);
}

// The example and the defaults round-trip too (covers the "none" class weight, scalar dropout,
// the widths form of the layers).
TEST(CampaignRoundTrip, ExampleAndDefaults) {
  for (const RunConfig& c : {parse(kExampleCampaign), parse("[data]\nfile = \"x\"\n")}) {
    const std::string text = toToml(c);
    const RunConfig back = parseRunConfig(text, "dump.toml");
    expectSameConfig(back, c);
    EXPECT_EQ(toToml(back), text);
  }
}

// Class weights "auto" and an explicit table each come back as they were.
TEST(CampaignRoundTrip, ClassWeightForms) {
  for (const char* cw : {"\"auto\"", "{ signal = 2.0 }", "{ background = 0.25 }"}) {
    const RunConfig c = parse(std::string("[data]\nfile = \"x\"\n[train]\nclass_weight = ") + cw + "\n");
    expectSameConfig(parseRunConfig(toToml(c), "dump.toml"), c);
  }
}

// The dump is valid TOML holding every declared key at its dotted path, and nothing else.
TEST(CampaignRoundTrip, DumpHoldsEveryDeclaredKey) {
  const toml::table doc = toml::parse(toToml(everythingChanged()));
  std::size_t leaves = 0;
  // Every training key of the reference (the campaign sections are dumped by toToml(CampaignConfig)).
  for (const auto& o : listOptions()) {
    // [baseline] is left out of the dump while off (BaselineOptionsTest checks its dump).
    if (o.key.rfind("cv.", 0) == 0 || o.key.rfind("search.", 0) == 0 || o.key.rfind("resources.", 0) == 0 ||
        o.key.rfind("baseline.", 0) == 0)
      continue;
    EXPECT_TRUE(doc.at_path(o.key).node() != nullptr) << o.key;
  }
  // Count the leaves of the dump: class_weight is one key even when written as a table.
  std::function<void(const toml::table&, const std::string&)> count = [&](const toml::table& t, const std::string& p) {
    for (const auto& [k, v] : t) {
      const std::string path = p.empty() ? std::string(k.str()) : p + "." + std::string(k.str());
      if (v.is_table() && path != "train.class_weight") count(*v.as_table(), path);
      else ++leaves;
    }
  };
  count(doc, "");
  EXPECT_EQ(leaves, flattenOptions(everythingChanged()).size());
}

// Each documented default is accepted as input and gives the struct's default back
// (catches a default rendered in a form the parser rejects, e.g. a float without ".0").
TEST(CampaignRoundTrip, DocumentedDefaultsParseToStructDefaults) {
  CampaignConfig expected;
  expected.run.data.file = "x";
  for (const auto& o : listOptions()) {
    if (o.key == "data.file" || o.key == "model.width" || o.key == "model.depth" || o.key == "model.step")
      continue;  // data.file is required; the layer-shape keys reset each other (tested in parse tests)
    if (o.defaultValue.empty()) continue;  // search.budget has no default
    SCOPED_TRACE(o.key + "=" + o.defaultValue);
    const CampaignConfig c = parseCampaign("[data]\nfile = \"x\"\n", "t.toml", {o.key + "=" + o.defaultValue});
    expectSameConfig(c.run, expected.run);
    EXPECT_EQ(c.cv.folds, expected.cv.folds);
    EXPECT_EQ(c.search.method, expected.search.method);
    EXPECT_EQ(c.search.budget, expected.search.budget);
    EXPECT_EQ(c.search.objective.name(), expected.search.objective.name());
    EXPECT_TRUE(c.search.space.empty());
    EXPECT_EQ(c.resources.ranksPerItem, expected.resources.ranksPerItem);
    EXPECT_EQ(c.resources.reduction, expected.resources.reduction);
    if (o.key.rfind("cv.", 0) != 0 && o.key.rfind("search.", 0) != 0 && o.key.rfind("resources.", 0) != 0)
      expectSameConfig(parseRunConfig("[data]\nfile = \"x\"\n", "t.toml", {o.key + "=" + o.defaultValue}),
                       expected.run);
  }
}

// Floats are written in the shortest form that reads back exactly, as TOML floats.
TEST(CampaignRoundTrip, FloatFormatting) {
  RunConfig c = parse("[data]\nfile = \"x\"\n[train]\nlearning_rate = 1e-3\nepochs = 3\n");
  c.metrics.threshold = 0.1 + 0.2;
  const std::string text = toToml(c);
  EXPECT_NE(text.find("learning_rate = 0.001\n"), std::string::npos) << text;
  EXPECT_NE(text.find("threshold = 0.30000000000000004\n"), std::string::npos) << text;
  EXPECT_NE(text.find("l1 = 0.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("epochs = 3\n"), std::string::npos) << text;
}

// The help listing names every key.
TEST(CampaignRoundTrip, HelpListsEveryKey) {
  const std::string help = optionsHelp();
  for (const auto& o : listOptions()) EXPECT_NE(help.find("  " + o.key + " = "), std::string::npos) << o.key;
}

}  // namespace
}  // namespace hepsweep::campaign
