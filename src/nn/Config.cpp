#include "hepsweep/nn/Config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::nn {
namespace {

template <class Enum, std::size_t N>
Enum parseName(const std::string& text, const std::array<std::pair<const char*, Enum>, N>& table,
               const char* what) {
  std::string key(str::trim(text));
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [name, value] : table)
    if (key == name) return value;
  std::vector<std::string> names;
  for (const auto& entry : table) names.emplace_back(entry.first);
  throwConfig(std::string("unknown ") + what + " " + str::quoted(text) + "; valid values: " + str::join(names, ", ") +
              str::didYouMean(key, names));
}

template <class Enum, std::size_t N>
const char* nameOf(Enum value, const std::array<std::pair<const char*, Enum>, N>& table) {
  for (const auto& [name, v] : table)
    if (v == value) return name;
  return "?";
}

constexpr std::array<std::pair<const char*, Activation>, 7> kActivations{{
    {"relu", Activation::Relu},
    {"leaky_relu", Activation::LeakyRelu},
    {"elu", Activation::Elu},
    {"tanh", Activation::Tanh},
    {"sigmoid", Activation::Sigmoid},
    {"softplus", Activation::Softplus},
    {"linear", Activation::Linear},
}};

constexpr std::array<std::pair<const char*, Initializer>, 5> kInitializers{{
    {"auto", Initializer::Auto},
    {"he_normal", Initializer::HeNormal},
    {"he_uniform", Initializer::HeUniform},
    {"glorot_normal", Initializer::GlorotNormal},
    {"glorot_uniform", Initializer::GlorotUniform},
}};

constexpr std::array<std::pair<const char*, OptimizerKind>, 3> kOptimizers{{
    {"adam", OptimizerKind::Adam},
    {"nadam", OptimizerKind::NAdam},
    {"sgd", OptimizerKind::Sgd},
}};

}  // namespace

Activation parseActivation(const std::string& s) { return parseName(s, kActivations, "activation"); }
const char* toString(Activation a) { return nameOf(a, kActivations); }

Initializer parseInitializer(const std::string& s) {
  return parseName(s, kInitializers, "initializer");
}
const char* toString(Initializer i) { return nameOf(i, kInitializers); }

OptimizerKind parseOptimizerKind(const std::string& s) {
  return parseName(s, kOptimizers, "optimizer");
}
const char* toString(OptimizerKind k) { return nameOf(k, kOptimizers); }

std::vector<int> ModelConfig::hiddenWidths() const {
  if (!widths.empty()) {
    for (std::size_t i = 0; i < widths.size(); ++i)
      if (widths[i] <= 0)
        throwConfig("model widths: layer " + std::to_string(i + 1) + " has width " +
                    std::to_string(widths[i]) + "; every hidden layer needs at least one unit");
    return widths;
  }
  if (depth <= 0 || width <= 0)
    throwConfig("model: no hidden layers; give 'widths' (e.g. [25, 20]) or 'width' and 'depth' "
                "(got width = " + std::to_string(width) + ", depth = " + std::to_string(depth) + ")");
  std::vector<int> out;
  out.reserve(static_cast<std::size_t>(depth));
  for (int l = 0; l < depth; ++l) {
    const long long w = static_cast<long long>(width) - static_cast<long long>(l) * step;
    if (w <= 0)
      throwConfig("model: width = " + std::to_string(width) + ", depth = " + std::to_string(depth) +
                  ", step = " + std::to_string(step) + " gives layer " + std::to_string(l + 1) +
                  " a width of " + std::to_string(w) + "; reduce depth or step");
    out.push_back(static_cast<int>(w));
  }
  return out;
}

float ModelConfig::dropoutOf(std::size_t layer) const {
  const std::size_t layers = hiddenWidths().size();
  if (layer >= layers)
    throwConfig("model: dropout requested for hidden layer " + std::to_string(layer + 1) +
                " but the model has " + std::to_string(layers) + " hidden layers");
  float p = 0.0f;
  if (dropout.empty()) p = 0.0f;
  else if (dropout.size() == 1) p = dropout[0];
  else if (dropout.size() == layers) p = dropout[layer];
  else
    throwConfig("model: 'dropout' has " + std::to_string(dropout.size()) + " values but the model has " +
                std::to_string(layers) + " hidden layers; give one value for all layers or one per layer");
  if (!(p >= 0.0f && p < 1.0f))
    throwConfig("model: dropout of hidden layer " + std::to_string(layer + 1) + " is " +
                std::to_string(p) + "; it must be in [0, 1)");
  return p;
}

}  // namespace hepsweep::nn
