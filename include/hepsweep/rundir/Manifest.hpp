#pragma once
// RUN/manifest.h5: what a campaign plans (its items: id, point, fold, the point's values), with
// the campaign's resolved configuration, seed, program version and the data file's checksum.
// Layout in docs/hdf5-layout.md ("Campaign manifest").
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hepsweep/rundir/Overrides.hpp"

namespace hepsweep::rundir {

inline constexpr const char* kManifestFormat = "hepsweep-campaign-manifest";
// 1: items/overrides joined as text only. 2: also structured (items/override_count, _keys, _values).
inline constexpr std::int64_t kManifestFormatVersion = 2;

struct ManifestItem {
  std::int64_t id = 0;
  std::int64_t point = 0;
  int fold = 0;
  Overrides overrides;
};

struct Manifest {
  std::int64_t formatVersion = kManifestFormatVersion;
  std::string config;  // the campaign, resolved TOML
  std::uint64_t seed = 0;
  std::string version;  // program version that wrote it
  std::string dataFile, dataSha256;
  // The data file's size and modification time (ns since the epoch) when it was hashed: a resume
  // that finds both unchanged trusts dataSha256 without reading the file again. 0: not recorded.
  std::int64_t dataSize = 0, dataMtime = 0;
  // SHA-256 of the campaign's resolved TOML with output.dir left out: the identity every result
  // file and checkpoint of this run directory carries (a moved run directory keeps it).
  std::string campaignSha256;
  int folds = 1;
  std::string foldRule;  // how events are dealt to folds, in words
  std::vector<ManifestItem> items;
};

// Written atomically (temporary name, then rename).
void writeManifest(const std::filesystem::path& path, const Manifest& m);
// Reads format versions 1 and 2. Error(Input) naming the file when it is not a manifest or was
// written by a newer hepsweep.
Manifest readManifest(const std::filesystem::path& path);

}  // namespace hepsweep::rundir
