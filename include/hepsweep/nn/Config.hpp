#pragma once
#include <string>
#include <vector>

namespace hepsweep::nn {

enum class Activation { Relu, LeakyRelu, Elu, Tanh, Sigmoid, Softplus, Linear };
Activation parseActivation(const std::string& s);  // throws Error(Config) listing valid names
const char* toString(Activation a);

enum class Initializer { Auto, HeNormal, HeUniform, GlorotNormal, GlorotUniform };
Initializer parseInitializer(const std::string& s);
const char* toString(Initializer i);

struct ModelConfig {
  // Hidden layer widths. When empty, built from width/depth/step: depth layers starting at
  // `width` and decreasing by `step` each layer (the tutorial's 25, 20, 15, ...).
  std::vector<int> widths{25, 20};
  int width = 0;
  int depth = 0;
  int step = 0;
  Activation activation = Activation::Relu;
  float leakySlope = 0.01f;  // leaky_relu negative slope
  float eluAlpha = 1.0f;
  // One value for every hidden layer, or one per hidden layer (empty: no dropout); each in [0, 1).
  std::vector<float> dropout{0.0f};
  bool batchNorm = false;
  float batchNormMomentum = 0.1f;  // PyTorch convention: running = (1-m) running + m batch
  float batchNormEpsilon = 1e-5f;
  // Auto: He normal for relu/leaky_relu/elu layers, Glorot uniform otherwise (incl. the output).
  // Normal variants are plain (not truncated) normals, as PyTorch's kaiming_/xavier_normal_.
  Initializer init = Initializer::Auto;

  // The resolved hidden widths (from `widths` or width/depth/step); throws Error(Config).
  std::vector<int> hiddenWidths() const;
  float dropoutOf(std::size_t layer) const;
};

enum class OptimizerKind { Adam, NAdam, Sgd };
OptimizerKind parseOptimizerKind(const std::string& s);
const char* toString(OptimizerKind k);

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  float learningRate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;   // PyTorch default (Keras uses 1e-7)
  float momentum = 0.0f;   // SGD
  bool nesterov = false;   // SGD
  float momentumDecay = 4e-3f;  // NAdam (PyTorch's momentum_decay)
};

}  // namespace hepsweep::nn
