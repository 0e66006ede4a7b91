#pragma once
// RUN/items/<id>/rungs.txt: the rungs of successive halving an item has reached ([search.early_stopping]
// rule = "asha" or "hyperband"), one line per rung, with the item's value there and the decision
// taken. Written whole (temporary name, then rename) after every rung, so that the items of the
// same fold read each other's values while they are still training, and so that an item resumed
// after a kill finds the decisions it took and does not take them again.
//
//   # hepsweep rungs 1: epoch bracket value cutoff compared decision
//   1 0 0.52081730120411324 0.52081730120411324 1 continue
//   3 0 0.49113582353293896 0.47005129933357239 4 stop
//
// Values are written with 17 significant digits (they read back bit for bit); inf for a run
// whose values were not finite.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace hepsweep::rundir {

struct RungRecord {
  int epoch = 0;              // the rung (1-based epoch)
  int bracket = 0;            // Hyperband's bracket (0 for asha)
  double value = 0;           // the item's running best at the rung (smaller is better)
  double cutoff = 0;          // the value it had to match or beat
  std::int64_t compared = 0;  // values at the rung when it decided, its own included
  bool stopped = false;       // the decision: stopped here, or continued
};

// The records of `path` in rung order; empty when the file does not exist. Error(Input) naming
// the file and line for a malformed line; Error(Io) when it exists but cannot be read.
std::vector<RungRecord> readRungs(const std::filesystem::path& path);

// Writes `records` to `path` atomically (Error(Io) naming it on failure).
void writeRungs(const std::filesystem::path& path, const std::vector<RungRecord>& records);

}  // namespace hepsweep::rundir
