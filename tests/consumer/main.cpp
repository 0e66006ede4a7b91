// Trains a small classifier through the installed hepsweep library on generated data: two
// Gaussian blobs, signal shifted by 1.5 along each of 3 features. Exits 0 when the validation AUC
// is above 0.7 (a working training reaches ~0.95; guessing gives 0.5), 1 otherwise.
#include <cstdio>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/data/Dataset.hpp"
#include "hepsweep/train/Config.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace {

hepsweep::data::Dataset blobs(int perClass, int features, double shift) {
  hepsweep::data::Dataset ds;
  const int n = 2 * perClass;
  ds.features.resize(n, features);
  ds.labels.resize(n);
  ds.weights = Eigen::VectorXf::Ones(n);
  for (int j = 0; j < features; ++j) ds.featureNames.push_back("x" + std::to_string(j));
  hepsweep::rng::CounterRng random(2024);
  for (int i = 0; i < n; ++i) {
    const bool signal = i < perClass;
    ds.labels[i] = signal ? 1.0f : 0.0f;
    for (int j = 0; j < features; ++j)
      ds.features(i, j) = static_cast<float>(random.normal() + (signal ? shift : 0.0));
  }
  return ds;
}

}  // namespace

int main() {
  try {
    const hepsweep::data::Dataset ds = blobs(500, 3, 1.5);
    hepsweep::train::RunConfig cfg;
    cfg.seed = 7;
    cfg.data.split = {0.5, 0.25, 0.25};
    cfg.model.widths = {8, 6};
    cfg.train.batchSize = 32;
    cfg.train.epochs = 10;
    cfg.train.optimizer.learningRate = 3e-3f;
    const auto prepared = hepsweep::train::prepareData(cfg, ds, "generated blobs", "");
    hepsweep::train::Trainer trainer(cfg, prepared);
    const hepsweep::train::TrainResult result = trainer.fit();
    std::printf("consumer: %d epochs, validation AUC %.4f, test AUC %.4f\n", result.epochsRun, result.val.auc,
                result.test.auc);
    if (!(result.val.auc > 0.7)) {
      std::fprintf(stderr, "consumer: validation AUC %.4f is not above 0.7: the training did not learn\n",
                   result.val.auc);
      return 1;
    }
    return 0;
  } catch (const hepsweep::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 2;
  }
}
