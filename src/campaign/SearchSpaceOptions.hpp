#pragma once
// The [search.space] section of the campaign file: which keys may be searched, how a list of
// values or a range { min, max, log, steps, type } becomes a search::Dimension, and its canonical
// text for the dump and the diff. Private to src/campaign, as OptionTable.hpp.
#include <string>
#include <string_view>
#include <vector>

#include "OptionTables.hpp"
#include "hepsweep/campaign/CampaignConfig.hpp"
#include "hepsweep/search/Space.hpp"
#include "hepsweep/train/Config.hpp"

namespace hepsweep::campaign::detail {

// --set search.space.<key>=<dimension> sets one dimension.
constexpr std::string_view kSpacePrefix = "search.space.";

// `search.space."model.dropout"`: how the entry is written in TOML, for messages and diffs.
std::string spaceEntryName(std::string_view key);

// One entry of [search.space]; `keyWhere` is where its key stands, for messages.
search::Dimension readDimension(const std::string& key, const toml::node& n, const Origin& o,
                                const std::string& keyWhere);

// Canonical text of a dimension, every field written: reads back to the same dimension and text.
std::string dimensionText(const search::Dimension& d);

// Adds a dimension, or replaces the one with the same key where it stands (for --set).
void setDimension(search::Space& space, search::Dimension d);

// The search.space option: a table dumped as its own [search.space] section.
OptionSpec<CampaignConfig> spaceOption();

// The bayes options of the Gaussian process at scale and under fold noise (search.model_points,
// search.refit_every, ...), in the order they are listed after search.liar.
std::vector<OptionSpec<CampaignConfig>> searchModelOptions();

}  // namespace hepsweep::campaign::detail
