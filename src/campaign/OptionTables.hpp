#pragma once
// The campaign file's two option tables (the training keys; the whole file) and the rules they
// share, one file each: RunOptions.cpp, CampaignOptions.cpp, SearchPointChecks.cpp; Options.cpp
// reads files and --set through them. Private to src/campaign, as OptionTable.hpp.
#include <set>
#include <string>

#include "OptionTable.hpp"
#include "hepsweep/campaign/CampaignConfig.hpp"
#include "hepsweep/train/Config.hpp"

// Binds an option to a field: works on const (dump) and non-const (parse) configs alike.
#define HEPSWEEP_FIELD(path) [](auto& c) -> auto& { return c.path; }

namespace hepsweep::campaign::detail {

// The table of the training keys (RunOptions.cpp) and of the whole campaign file (CampaignOptions.cpp).
const OptionTable<train::RunConfig>& runTable();
const OptionTable<CampaignConfig>& campaignTable();

// model.widths and model.width/depth/step are alternative ways to give the layers: whichever a
// source sets wins, so `--set model.depth=4` works on a file that lists widths (and vice versa).
void resolveLayerAlternatives(train::RunConfig& c, const std::set<std::string>& assigned, const Origin& origin);

// The rules between the training keys; `context` names the sources ("in ship.toml --set ...").
// foldsGiveValidation: with k > 1 folds every item validates on its fold, whatever data.split.val says.
void validateRun(const train::RunConfig& c, const std::string& context, bool foldsGiveValidation);

// Constraints between the training keys and [resources]; `in` is " (in ship.toml ...)" or "".
void checkResources(const train::RunConfig& run, const ResourcesConfig& res, const std::string& in);

// Every point the search may run, checked when the campaign is loaded (SearchPointChecks.cpp).
void checkPoints(const CampaignConfig& c, const std::string& in);

}  // namespace hepsweep::campaign::detail
