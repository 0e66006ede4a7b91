// Name parsing and model-shape resolution of the nn configuration.
#include <gtest/gtest.h>

#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/nn/Config.hpp"

using namespace hepsweep;
using namespace hepsweep::nn;

namespace {

// Returns the message of the Error thrown by f (and checks it is a Config error).
template <class F>
std::string configError(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return {};
}

}  // namespace

// Every name round-trips through toString/parse, so a typo in either table is caught.
TEST(NnConfig, NamesRoundTrip) {
  for (Activation a : {Activation::Relu, Activation::LeakyRelu, Activation::Elu, Activation::Tanh,
                       Activation::Sigmoid, Activation::Softplus, Activation::Linear})
    EXPECT_EQ(parseActivation(toString(a)), a);
  for (Initializer i : {Initializer::Auto, Initializer::HeNormal, Initializer::HeUniform, Initializer::GlorotNormal,
                        Initializer::GlorotUniform})
    EXPECT_EQ(parseInitializer(toString(i)), i);
  for (OptimizerKind k : {OptimizerKind::Adam, OptimizerKind::NAdam, OptimizerKind::Sgd})
    EXPECT_EQ(parseOptimizerKind(toString(k)), k);
  EXPECT_STREQ(toString(Activation::LeakyRelu), "leaky_relu");
  EXPECT_STREQ(toString(Initializer::GlorotUniform), "glorot_uniform");
  EXPECT_STREQ(toString(OptimizerKind::NAdam), "nadam");
  EXPECT_EQ(parseActivation("ReLU"), Activation::Relu);  // physicists write Keras/PyTorch spellings
}

// An unknown name is a Config error that quotes the text and lists every valid value.
TEST(NnConfig, UnknownNameListsValidValues) {
  const std::string msg = configError([] { parseActivation("rleu"); });
  EXPECT_NE(msg.find("'rleu'"), std::string::npos) << msg;
  for (const char* n : {"relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "linear"})
    EXPECT_NE(msg.find(n), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'relu'"), std::string::npos) << msg;
  const std::string opt = configError([] { parseOptimizerKind("rmsprop"); });
  EXPECT_NE(opt.find("adam, nadam, sgd"), std::string::npos) << opt;
  const std::string ini = configError([] { parseInitializer("xavier"); });
  EXPECT_NE(ini.find("glorot_uniform"), std::string::npos) << ini;
}

// width/depth/step builds the tutorial's decreasing widths; an explicit list wins.
TEST(NnConfig, HiddenWidths) {
  ModelConfig c;
  EXPECT_EQ(c.hiddenWidths(), (std::vector<int>{25, 20}));
  c.widths.clear();
  c.width = 25;
  c.depth = 4;
  c.step = 5;
  EXPECT_EQ(c.hiddenWidths(), (std::vector<int>{25, 20, 15, 10}));
  c.step = 0;
  EXPECT_EQ(c.hiddenWidths(), (std::vector<int>{25, 25, 25, 25}));
}

// A width that would reach zero, a non-positive explicit width, or no layers at all is refused.
TEST(NnConfig, BadWidthsAreErrors) {
  ModelConfig c;
  c.widths.clear();
  c.width = 10;
  c.depth = 3;
  c.step = 5;  // 10, 5, 0
  const std::string msg = configError([&] { c.hiddenWidths(); });
  EXPECT_NE(msg.find("layer 3"), std::string::npos) << msg;
  c.depth = 0;
  configError([&] { c.hiddenWidths(); });
  ModelConfig d;
  d.widths = {8, 0};
  configError([&] { d.hiddenWidths(); });
}

// One dropout value applies to all layers, one per layer is per layer, other counts are errors.
TEST(NnConfig, DropoutPerLayer) {
  ModelConfig c;
  c.widths = {8, 6, 4};
  c.dropout = {0.2f};
  for (std::size_t l = 0; l < 3; ++l) EXPECT_FLOAT_EQ(c.dropoutOf(l), 0.2f);
  c.dropout = {0.1f, 0.2f, 0.3f};
  EXPECT_FLOAT_EQ(c.dropoutOf(0), 0.1f);
  EXPECT_FLOAT_EQ(c.dropoutOf(2), 0.3f);
  c.dropout = {0.1f, 0.2f};
  const std::string msg = configError([&] { c.dropoutOf(0); });
  EXPECT_NE(msg.find("2 values"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 hidden layers"), std::string::npos) << msg;
  c.dropout = {1.0f};
  configError([&] { c.dropoutOf(0); });
  c.dropout = {-0.1f};
  configError([&] { c.dropoutOf(0); });
}
