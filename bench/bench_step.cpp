// Per-step cost of a small network's training step, for before/after comparisons of the fixed
// costs (issue 17): forward over a batch of its micro-batches, loss, backwardSegments, Adam; and
// an inference forward of the same batch size (the per-epoch validation pass). Reports the
// minimum over blocks of steps, which a loaded machine disturbs far less than a mean: run the
// same command with two builds, interleaved. Not a speed claim by itself (bench_train.sh gives
// the ratio against PyTorch).
//   bench_step [inputs=16] [batch=100] [micro_batches=4] [width ...=25 20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hepsweep/nn/Kernel.hpp"
#include "hepsweep/nn/Loss.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/nn/Optimizer.hpp"

using namespace hepsweep::nn;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const auto arg = [&](int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; };
  const int inputs = arg(1, 16), batch = arg(2, 100), micro = arg(3, 4);
  ModelConfig cfg;
  for (int i = 4; i < argc; ++i) cfg.widths.push_back(std::atoi(argv[i]));
  if (cfg.widths.empty()) cfg.widths = {25, 20};
  if (inputs < 1 || batch < 1 || micro < 1 || micro > batch) {
    std::fprintf(stderr, "usage: bench_step [inputs] [batch] [micro_batches <= batch] [width ...]\n");
    return 2;
  }
  cfg.activation = Activation::Relu;
  cfg.dropout = {0.2f};
  Network net(inputs, cfg, 42);
  OptimizerConfig oc;
  oc.learningRate = 1e-3;
  auto opt = makeOptimizer(oc, net.numParams());
  Matrix x = Matrix::Random(inputs, batch);
  RowVector y(batch), w = RowVector::Ones(batch), d(batch);
  for (int i = 0; i < batch; ++i) y[i] = static_cast<float>(i % 2);
  std::vector<std::uint64_t> counters(static_cast<std::size_t>(batch));
  std::vector<Eigen::Index> ends;
  for (int k = 1; k <= micro; ++k) ends.push_back(static_cast<Eigen::Index>(k) * batch / micro);
  std::vector<Eigen::VectorXf> segment(static_cast<std::size_t>(micro), Eigen::VectorXf::Zero(static_cast<Eigen::Index>(net.numParams())));
  std::vector<float*> segmentPtrs;
  for (auto& s : segment) segmentPtrs.push_back(s.data());

  constexpr int kBlocks = 300, kSteps = 50;
  double bestTrain = 1e30, bestInfer = 1e30;
  for (int block = 0; block < kBlocks; ++block) {
    const auto t0 = Clock::now();
    for (int s = 0; s < kSteps; ++s) {
      for (int i = 0; i < batch; ++i) counters[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>((block * kSteps + s) * batch + i);
      const RowVector& logits = net.forward(x, true, {7, counters});
      for (std::size_t k = 0; k < ends.size(); ++k) {
        const Eigen::Index c0 = k ? ends[k - 1] : 0, m = ends[k] - c0;
        bceWithLogits(logits.segment(c0, m), y.segment(c0, m), w.segment(c0, m), batch, d.segment(c0, m));
      }
      net.backwardSegments(d, ends, segmentPtrs);
      net.grads() = segment[0];
      for (std::size_t k = 1; k < segment.size(); ++k) net.grads() += segment[k];
      opt->step(net.params(), net.grads());
    }
    const auto t1 = Clock::now();
    for (int s = 0; s < kSteps; ++s) net.forward(x, false);
    const auto t2 = Clock::now();
    bestTrain = std::min(bestTrain, std::chrono::duration<double>(t1 - t0).count() / kSteps);
    bestInfer = std::min(bestInfer, std::chrono::duration<double>(t2 - t1).count() / kSteps);
  }
  std::string shape = std::to_string(inputs);
  for (int v : cfg.widths) shape += "-" + std::to_string(v);
  std::printf("network %s-1, batch %d, %d micro-batches, relu, dropout 0.2, Adam; kernel %s\n", shape.c_str(), batch,
              micro, kernelDescription().c_str());
  std::printf("training step: %.2f us (min over %d blocks of %d steps); inference forward of %d events: %.2f us\n",
              bestTrain * 1e6, kBlocks, kSteps, batch, bestInfer * 1e6);
  std::printf("first parameter after %d steps: %.9g (same build and kernel: same value)\n", kBlocks * kSteps,
              static_cast<double>(net.params()[0]));
  return 0;
}
