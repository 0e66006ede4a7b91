#include "CampaignData.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Memory.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/data/Parametrise.hpp"

namespace hepsweep::campaign {
namespace {

// Parts of the feature table per rank of a node, taken one at a time (see below): enough that the
// ranks end within about one part of each other, few enough that opening the file per part
// (a millisecond) stays small.
constexpr int kPartsPerRank = 8;

// The node copy's layout: the counter of table parts taken (a cache line of its own), the fold
// keys (8-byte aligned), then the features, labels and weights.
struct Layout {
  std::size_t rows = 0, cols = 0;
  std::size_t taken() const { return 0; }
  std::size_t keys() const { return 64; }
  std::size_t features() const { return keys() + rows * sizeof(std::uint64_t); }
  std::size_t labels() const { return features() + rows * cols * sizeof(float); }
  std::size_t weights() const { return labels() + rows * sizeof(float); }
  std::size_t bytes() const { return weights() + rows * sizeof(float); }
};

std::string megabytes(std::uint64_t bytes) { return str::formatDouble(static_cast<double>(bytes) / 1e6, "%.0f") + " MB"; }

// Collective: whether the copy fits every node (at most half of what each rank sees available).
bool fitsEveryNode(std::uint64_t bytes, dist::Communicator& world) {
  const auto available = availableMemoryBytes();
  std::int64_t fits[1] = {!available || bytes <= *available / 2 ? 1 : 0};
  world.allreduce(std::span<std::int64_t>(fits, 1), dist::ReduceOp::Min);
  return fits[0] != 0;
}

}  // namespace

CampaignData::CampaignData(const std::string& path, DataPlacement placement, dist::Communicator& world,
                           const Logger& log, const std::function<void()>& meanwhile) {
  // Every rank needs the names and the missing-value information; they are a few strings.
  const io::DatasetInfo info = io::readDatasetInfo(path);
  header_.featureNames = info.featureNames;
  header_.features.resize(0, static_cast<Eigen::Index>(info.featureNames.size()));
  header_.missingValue = info.missingValue;
  header_.classNames = info.classNames;
  if (info.missingValue && info.missingFeatures.size() != info.featureNames.size())
    header_.missingFeatures = info.missingFeatures;
  const Layout layout{static_cast<std::size_t>(info.rows), info.featureNames.size()};

  if (placement == DataPlacement::Auto)
    placement = fitsEveryNode(layout.bytes(), world) ? DataPlacement::Node : DataPlacement::Rows;
  events_.header = &header_;
  events_.keysAreIds = info.hasIds;

  if (placement == DataPlacement::Rows) {
    if (meanwhile) meanwhile();
    reader_ = std::make_unique<io::DatasetRows>(path);
    const data::Dataset& c = reader_->columns();
    keys_ = data::foldKeys(c.ids, layout.rows);
    events_.labels = {c.labels.data(), layout.rows};
    events_.weights = {c.weights.data(), layout.rows};
    events_.keys = keys_;
    log.info("data: " + path + ": each rank reads the rows of its items (resources.data = \"rows\")");
    return;
  }

  block_ = dist::allocateShared(world, layout.bytes());
  std::byte* base = block_->bytes().data();
  std::string error;
  ErrorCategory category = ErrorCategory::Io;
  // Every rank of the node decodes parts of the table's chunks straight into the node's copy (a
  // rank that would only wait at publish() decodes instead); the filler also reads the labels,
  // weights and ids. The parts are taken from a counter in the block as each rank comes free,
  // not dealt in equal shares: the filler's extra reading (a sixth of the table's time at 1M
  // events) then costs the node's ranks a sixth of it each, where equal shares made the other
  // ranks wait for all of it (0.17 s of a 2-rank job at 1M events). The bytes are those of the
  // file whoever decodes them.
  const auto taken = [&] { return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(base + layout.taken())); };
  if (block_->filler()) taken().store(0);
  block_->nodeBarrier();
  if (meanwhile) meanwhile();
  try {
    if (block_->filler()) {
      prefaultForWrite({base, layout.features()});
      prefaultForWrite({base + layout.labels(), layout.bytes() - layout.labels()});
      const io::DatasetRows file(path);  // labels, weights and ids, then released
      const data::Dataset& c = file.columns();
      const std::vector<std::uint64_t> keys = data::foldKeys(c.ids, layout.rows);
      std::memcpy(base + layout.keys(), keys.data(), layout.rows * sizeof(std::uint64_t));
      std::memcpy(base + layout.labels(), c.labels.data(), layout.rows * sizeof(float));
      std::memcpy(base + layout.weights(), c.weights.data(), layout.rows * sizeof(float));
    }
    const int parts = block_->nodeRanks() == 1 ? 1 : kPartsPerRank * block_->nodeRanks();
    for (auto part = taken().fetch_add(1); part < static_cast<std::uint64_t>(parts); part = taken().fetch_add(1))
      io::readFeatureTableShare(path, {reinterpret_cast<float*>(base + layout.features()), layout.rows * layout.cols},
                                static_cast<int>(part), parts, [](std::span<float> share) {
                                  prefaultForWrite(std::as_writable_bytes(share));
                                });
  } catch (const Error& e) {
    error = e.what();
    if (block_->nodeRanks() > 1)
      error += " [read by rank " + std::to_string(block_->nodeRank()) + " of " +
               std::to_string(block_->nodeRanks()) + " on its node]";
    category = e.category();
  }
  block_->publish(error, category);
  events_.keys = {reinterpret_cast<const std::uint64_t*>(base + layout.keys()), layout.rows};
  events_.features = reinterpret_cast<const float*>(base + layout.features());
  events_.labels = {reinterpret_cast<const float*>(base + layout.labels()), layout.rows};
  events_.weights = {reinterpret_cast<const float*>(base + layout.weights()), layout.rows};
  log.info("data: " + path + ": " + std::to_string(layout.rows) + " events x " + std::to_string(layout.cols) +
           " features, " + megabytes(layout.bytes()) + " held once per node (shared by " +
           std::to_string(block_->nodeRanks()) + " rank(s) here)");
}

void CampaignData::parametrise(const std::string& parameter, std::uint64_t seed, const std::vector<double>& heldOut,
                               const Logger& log) {
  if (!inMemory())
    throwConfig("data.parameter needs the data in memory, but the job reads rows from the file (resources.data = "
                "\"rows\", or \"auto\" found too little memory): set resources.data = \"node\"");
  const auto cols = static_cast<data::Index>(header_.featureNames.size());
  const data::Index column = header_.featureColumns(std::vector<std::string>{parameter}).front();
  const auto n = static_cast<std::size_t>(events_.rows()) * static_cast<std::size_t>(cols);
  parametrised_.assign(events_.features, events_.features + n);
  const data::ParameterDraw d = data::drawBackgroundParameter(parametrised_.data(), events_.rows(), cols,
                                                              events_.labels, column, seed, heldOut);
  events_.features = parametrised_.data();
  log.info("data: parameter " + str::quoted(parameter) + ": " + std::to_string(d.signalValues.size()) +
           " signal value(s); " + std::to_string(d.background) + " background events drew theirs from " +
           std::to_string(d.pool) + " signal events (a copy of the table per rank)");
}

}  // namespace hepsweep::campaign
