#pragma once
// The result file of one training run (layout documented in docs/hdf5-layout.md). Written to a
// temporary name and renamed when complete, so a file with the final name is always whole.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/train/Config.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace hepsweep::train {

struct RunRecord {
  std::string configToml;   // the full resolved configuration
  std::string commandLine;
  // Extra root attributes (campaign items: item id, point, fold, overrides).
  std::vector<std::pair<std::string, std::string>> textAttrs;
  std::vector<std::pair<std::string, std::int64_t>> intAttrs;
  std::vector<std::pair<std::string, double>> realAttrs{};  // e.g. the median an item was stopped by
};

void writeResultFile(const std::string& path, const RunConfig& cfg, const RunRecord& run,
                     const PreparedData& data, const TrainResult& result, const nn::Network& net);

// Checkpoint of an unfinished training, replaced atomically after every epoch.
void writeCheckpoint(const std::string& path, const Checkpoint& c);
Checkpoint readCheckpoint(const std::string& path);

// Preprocessing parameters as a group of datasets and attributes, and back.
void writePreprocess(const io::h5::Group& g, const data::PreprocessParams& p);
data::PreprocessParams readPreprocess(const io::h5::Group& g);

// The network's layers (weights as (outputs x inputs), PyTorch's nn.Linear layout) and flat buffers.
void writeNetwork(const io::h5::Group& g, const nn::Network& net);

}  // namespace hepsweep::train
