#pragma once
// The result file of one training run (layout documented in docs/hdf5-layout.md). Written to a
// temporary name and renamed when complete, so a file with the final name is always whole.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/train/Config.hpp"
#include "hepsweep/rundir/ResultSchema.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace hepsweep::train {

struct RunRecord {
  std::string configToml;   // the full resolved configuration this training ran
  std::string commandLine;
  std::optional<rundir::ItemIdentity> item;  // a campaign item's id, point, fold and values
  // Extra root attributes (e.g. the median an item was stopped by).
  std::vector<std::pair<std::string, std::string>> textAttrs{};
  std::vector<std::pair<std::string, std::int64_t>> intAttrs{};
  std::vector<std::pair<std::string, double>> realAttrs{};
  // Extra groups (e.g. "parametrised"), written after the rest, inside the atomic write.
  std::function<void(const io::h5::File&)> writeExtra{};
};

// Points of the stored ROC and AMS curves at most (rundir format 2): the curves' shape and the
// working points stay exact (metrics::thinRoc), the AUC and the AMS maximum come from all events.
inline constexpr std::size_t kStoredCurvePoints = 2000;

void writeResultFile(const std::string& path, const RunConfig& cfg, const RunRecord& run,
                     const PreparedData& data, const TrainResult& result, const nn::Network& net);

// The test-set significance a result file records (metrics/ams*, written by writeResultFile): the
// AMS maximum, its cut and yields, s/sqrt(b) there. NaN with the reason in `note` when undefined.
struct TestSignificance {
  double ams, threshold, signal, background, sOverSqrtB, signalEfficiency, regularisation;
  std::string note;
};
TestSignificance readTestSignificance(const std::string& path);

// The split record of prepared data (rule, row digests, weight factors), as result files store it.
rundir::SplitRecord splitRecord(const PreparedData& data);

// Checkpoint of an unfinished training, replaced atomically after every epoch.
void writeCheckpoint(const std::string& path, const Checkpoint& c);
Checkpoint readCheckpoint(const std::string& path);

}  // namespace hepsweep::train
