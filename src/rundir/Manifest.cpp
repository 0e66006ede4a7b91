#include "hepsweep/rundir/Manifest.hpp"

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::rundir {

void writeManifest(const std::filesystem::path& path, const Manifest& m) {
  io::h5::writeAtomically(path.string(), [&](io::h5::File& f) {
    f.setAttr("format", std::string(kManifestFormat));
    f.setAttr("format_version", kManifestFormatVersion);
    f.setAttr("config", m.config);
    f.setAttr("seed", static_cast<std::int64_t>(m.seed));
    f.setAttr("version", m.version);
    f.setAttr("data_file", m.dataFile);
    f.setAttr("data_sha256", m.dataSha256);
    f.setAttr("data_size", m.dataSize);
    f.setAttr("data_mtime_ns", m.dataMtime);
    f.setAttr("campaign_sha256", m.campaignSha256);
    f.setAttr("folds", static_cast<std::int64_t>(m.folds));
    f.setAttr("fold_rule", m.foldRule);
    std::vector<std::int64_t> id, point, fold, count;
    std::vector<std::string> joined, keys, values;
    for (const auto& it : m.items) {
      id.push_back(it.id);
      point.push_back(it.point);
      fold.push_back(it.fold);
      joined.push_back(joinOverrides(it.overrides));
      count.push_back(static_cast<std::int64_t>(it.overrides.size()));
      for (const auto& [k, v] : it.overrides) {
        keys.push_back(k);
        values.push_back(v);
      }
    }
    f.write<std::int64_t>("items/id", id, false);
    f.write<std::int64_t>("items/point", point, false);
    f.write<std::int64_t>("items/fold", fold, false);
    f.writeStrings("items/overrides", joined);
    f.write<std::int64_t>("items/override_count", count, false);
    f.writeStrings("items/override_keys", keys);
    f.writeStrings("items/override_values", values);
  });
}

Manifest readManifest(const std::filesystem::path& path) {
  const std::string p = path.string();
  const auto f = io::h5::File::open(p);
  if (!f.hasAttr("format") || f.attrString("format") != kManifestFormat)
    throwInput(p + " is not a hepsweep campaign manifest (its root attribute 'format' is not '" +
               std::string(kManifestFormat) + "')");
  Manifest m;
  m.formatVersion = f.hasAttr("format_version") ? f.attrInt("format_version") : 1;
  if (m.formatVersion < 1 || m.formatVersion > kManifestFormatVersion)
    throwInput(p + " has manifest format_version " + std::to_string(m.formatVersion) + "; this hepsweep reads 1 to " +
               std::to_string(kManifestFormatVersion) + " (the run directory was written by a newer hepsweep" +
               (f.hasAttr("version") ? ", " + f.attrString("version") : std::string()) + ")");
  if (f.hasAttr("config")) m.config = f.attrString("config");
  m.seed = static_cast<std::uint64_t>(f.attrInt("seed"));
  m.version = f.attrString("version");
  m.dataFile = f.attrString("data_file");
  m.dataSha256 = f.attrString("data_sha256");
  m.folds = f.hasAttr("folds") ? static_cast<int>(f.attrInt("folds")) : 1;
  if (f.hasAttr("data_size")) m.dataSize = f.attrInt("data_size");
  if (f.hasAttr("data_mtime_ns")) m.dataMtime = f.attrInt("data_mtime_ns");
  if (f.hasAttr("campaign_sha256")) m.campaignSha256 = f.attrString("campaign_sha256");
  if (f.hasAttr("fold_rule")) m.foldRule = f.attrString("fold_rule");
  const auto ids = f.read<std::int64_t>("items/id");
  const auto points = f.read<std::int64_t>("items/point");
  const auto folds = f.read<std::int64_t>("items/fold");
  const auto joined = f.readStrings("items/overrides");
  if (points.size() != ids.size() || folds.size() != ids.size() || joined.size() != ids.size())
    throwInput(p + ": items/id, items/point, items/fold and items/overrides differ in length");
  std::vector<std::int64_t> count;
  std::vector<std::string> keys, values;
  const bool structured = f.exists("items/override_count");
  if (structured) {
    count = f.read<std::int64_t>("items/override_count");
    keys = f.readStrings("items/override_keys");
    values = f.readStrings("items/override_values");
    if (count.size() != ids.size() || keys.size() != values.size())
      throwInput(p + ": items/override_count, items/override_keys and items/override_values do not match items/id");
  }
  std::size_t next = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ManifestItem it{ids[i], points[i], static_cast<int>(folds[i]), {}};
    if (structured) {
      if (count[i] < 0 || static_cast<std::size_t>(count[i]) > keys.size() - next)
        throwInput(p + ": items/override_count[" + std::to_string(i) + "] = " + std::to_string(count[i]) +
                   " runs past items/override_keys");
      for (std::int64_t k = 0; k < count[i]; ++k, ++next) it.overrides.emplace_back(keys[next], values[next]);
    } else {
      it.overrides = parseJoinedOverrides(joined[i]);
    }
    m.items.push_back(std::move(it));
  }
  return m;
}

}  // namespace hepsweep::rundir
