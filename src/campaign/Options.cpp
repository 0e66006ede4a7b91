#include "hepsweep/campaign/Options.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "OptionTables.hpp"
#include "SearchSpaceOptions.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::campaign {

using train::RunConfig;
using namespace detail;

namespace {

std::string contextOf(std::string_view sourceName, const std::vector<std::string>& overrides) {
  std::string ctx = "in " + std::string(sourceName);
  for (std::size_t i = 0; i < overrides.size(); ++i) ctx += (i ? " --set " : " with --set ") + overrides[i];
  return ctx;
}

std::string readCampaignFile(const std::string& tomlPath) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(tomlPath, ec))
    throwIo("cannot read campaign file " + str::quoted(tomlPath) + ": " +
            (fs::exists(tomlPath, ec) ? "not a regular file" : "no such file"));
  std::ifstream in(tomlPath, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) throwIo("cannot read campaign file " + str::quoted(tomlPath));
  return text.str();
}

// Only the file's own data.file is relative to the file; a --set path is as typed in the shell.
void resolveDataFile(RunConfig& cfg, const std::filesystem::path* campaignDir) {
  if (campaignDir && !cfg.data.file.empty() && std::filesystem::path(cfg.data.file).is_relative())
    cfg.data.file = std::filesystem::absolute(*campaignDir / cfg.data.file).lexically_normal().string();
}

RunConfig parseImpl(std::string_view text, std::string_view sourceName, const std::vector<std::string>& overrides,
                    const std::filesystem::path* campaignDir) {
  const auto& table = runTable();
  RunConfig cfg;
  const toml::table doc = parseDocument(text, sourceName);
  applyDocument(table, cfg, doc, sourceName);
  resolveDataFile(cfg, campaignDir);
  for (const auto& o : overrides) applyOverride(table, cfg, o);
  table.validate(cfg, contextOf(sourceName, overrides));
  return cfg;
}

void applyCampaignOverride(CampaignConfig& cfg, std::string_view text) {
  const auto& table = campaignTable();
  const Assignment a = parseAssignment(text, [&](std::string_view key) {
    if (key.substr(0, kSpacePrefix.size()) == kSpacePrefix) return false;
    const OptionSpec<CampaignConfig>* s = table.find(key);
    return s && s->bareWordIsString;
  });
  const Origin origin{"--set " + std::string(text), true};
  // search.space.<key>=<dimension> sets one dimension; --set search.space={...} replaces them all.
  if (a.key.size() > kSpacePrefix.size() && a.key.compare(0, kSpacePrefix.size(), kSpacePrefix) == 0) {
    setDimension(cfg.search.space, readDimension(a.key.substr(kSpacePrefix.size()), a.value(), origin, origin.name));
    return;
  }
  std::set<std::string> assigned;
  applyNode(table, cfg, a.key, a.value(), origin.name, origin, assigned);
  finishSource(table, cfg, assigned, origin);
}

CampaignConfig parseCampaignImpl(std::string_view text, std::string_view sourceName,
                                 const std::vector<std::string>& overrides, const std::filesystem::path* campaignDir) {
  const auto& table = campaignTable();
  CampaignConfig cfg;
  const toml::table doc = parseDocument(text, sourceName);
  applyDocument(table, cfg, doc, sourceName);
  resolveDataFile(cfg.run, campaignDir);
  for (const auto& o : overrides) applyCampaignOverride(cfg, o);
  table.validate(cfg, contextOf(sourceName, overrides));
  return cfg;
}

}  // namespace

RunConfig loadRunConfig(const std::string& tomlPath, const std::vector<std::string>& overrides) {
  const std::filesystem::path dir = std::filesystem::path(tomlPath).parent_path();
  return parseImpl(readCampaignFile(tomlPath), tomlPath, overrides, &dir);
}

RunConfig parseRunConfig(std::string_view tomlText, std::string_view sourceName,
                         const std::vector<std::string>& overrides) {
  return parseImpl(tomlText, sourceName, overrides, nullptr);
}

void applyOverrides(RunConfig& config, const std::vector<std::string>& overrides) {
  const auto& table = runTable();
  for (const auto& o : overrides) applyOverride(table, config, o);
  std::string ctx;
  for (const auto& o : overrides) ctx += (ctx.empty() ? "after --set " : " --set ") + o;
  table.validate(config, ctx);
}

void validateRunConfig(const RunConfig& config) { runTable().validate(config, ""); }

std::string toToml(const RunConfig& config) {
  return dumpToml(runTable(), config,
                  "# hepsweep resolved configuration: every key, defaults filled in (docs/campaign.md)\n");
}

std::vector<std::pair<std::string, std::string>> flattenOptions(const RunConfig& config) {
  std::vector<std::pair<std::string, std::string>> out;
  // Keys left out of the dump while unset (data.parameter, data.held_out) are left out here too.
  for (const auto& o : runTable().options)
    if (!o.present || o.present(config)) out.emplace_back(o.key, o.format(config));
  return out;
}

CampaignConfig loadCampaign(const std::string& tomlPath, const std::vector<std::string>& overrides) {
  const std::filesystem::path dir = std::filesystem::path(tomlPath).parent_path();
  return parseCampaignImpl(readCampaignFile(tomlPath), tomlPath, overrides, &dir);
}

CampaignConfig parseCampaign(std::string_view tomlText, std::string_view sourceName,
                             const std::vector<std::string>& overrides) {
  return parseCampaignImpl(tomlText, sourceName, overrides, nullptr);
}

void applyOverrides(CampaignConfig& config, const std::vector<std::string>& overrides) {
  // An item's point sets searched keys only: every point was checked when the campaign was loaded,
  // so the item checks its own configuration, not the rest of the space against its values.
  bool point = !overrides.empty();
  for (const auto& o : overrides) {
    const std::string key(str::trim(std::string_view(o).substr(0, o.find('='))));
    point = point && config.search.space.indexOf(key).has_value();
  }
  for (const auto& o : overrides) applyCampaignOverride(config, o);
  std::string ctx;
  for (const auto& o : overrides) ctx += (ctx.empty() ? "after --set " : " --set ") + o;
  if (point) {
    validateRun(config.run, ctx, config.cv.folds > 1);
    checkResources(config.run, config.resources, " (" + ctx + ")");
  } else {
    campaignTable().validate(config, ctx);
  }
}

void validateCampaign(const CampaignConfig& config) { campaignTable().validate(config, ""); }

std::string toToml(const CampaignConfig& config) {
  return dumpToml(campaignTable(), config,
                  "# hepsweep resolved campaign: every key, defaults filled in (docs/campaign.md)\n");
}

std::vector<std::pair<std::string, std::string>> flattenCampaign(const CampaignConfig& config) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : campaignTable().options) {
    if (o.present && !o.present(config)) continue;
    if (o.key == "search.space") {
      for (const auto& d : config.search.space.dimensions()) out.emplace_back(spaceEntryName(d.key()), dimensionText(d));
      continue;
    }
    out.emplace_back(o.key, o.format(config));
  }
  return out;
}

std::vector<std::string> diffCampaigns(const CampaignConfig& a, const CampaignConfig& b) {
  const auto fa = flattenCampaign(a);
  const auto fb = flattenCampaign(b);
  const auto lookup = [](const auto& flat, const std::string& key) -> std::optional<std::string> {
    for (const auto& [k, v] : flat)
      if (k == key) return v;
    return std::nullopt;
  };
  std::vector<std::string> keys;
  for (const auto* flat : {&fa, &fb})
    for (const auto& kv : *flat)
      if (std::find(keys.begin(), keys.end(), kv.first) == keys.end()) keys.push_back(kv.first);
  std::vector<std::string> out;
  for (const auto& k : keys) {
    const auto va = lookup(fa, k);
    const auto vb = lookup(fb, k);
    if (va != vb) out.push_back(k + ": " + va.value_or("(not set)") + " -> " + vb.value_or("(not set)"));
  }
  return out;
}

std::vector<OptionInfo> listOptions() { return describeOptions(campaignTable()); }

std::string optionsMarkdown() { return markdownTables(listOptions()); }

std::string optionsHelp() { return helpText(listOptions()); }

}  // namespace hepsweep::campaign
