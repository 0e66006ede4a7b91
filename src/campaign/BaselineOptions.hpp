#pragma once
// The [baseline] section of the campaign file (the BDT baseline, docs/baseline.md). Private to
// src/campaign, as OptionTable.hpp.
#include <string>
#include <vector>

#include "OptionTable.hpp"
#include "hepsweep/campaign/CampaignConfig.hpp"

namespace hepsweep::campaign::detail {

// Every key of [baseline]; none is dumped while baseline.method = "none".
std::vector<OptionSpec<CampaignConfig>> baselineOptions();

// Error(Config) when the [baseline] grid is too large; `in` is " (in ship.toml ...)" or "".
void checkBaseline(const CampaignConfig& c, const std::string& in);

}  // namespace hepsweep::campaign::detail
