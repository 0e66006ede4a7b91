#pragma once
// The campaign file (TOML) and its `--set key=value` overrides.
//
// Every key is declared once, in src/campaign/Options.cpp (dotted key, type, default taken from
// the config struct, bounds or allowed values, one-line description, and the field it binds to).
// The parser, the validation, the overrides, the resolved-config dump (toToml), the --help listing
// and the reference section of docs/campaign.md are all generated from that one table, so adding
// a key is one declaration line there (plus re-generating the docs: HEPSWEEP_UPDATE_DOCS=1 ctest
// -R CampaignDocs).
//
// Errors are thrown as hepsweep::Error(Config) naming the file, line and column, the key, and
// quoting the offending value; unknown keys get a "did you mean" suggestion.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hepsweep/campaign/CampaignConfig.hpp"
#include "hepsweep/train/Config.hpp"

namespace hepsweep::campaign {

// One declared key, as shown in docs and --help. All fields are display text.
struct OptionInfo {
  std::string key;           // dotted, e.g. "train.early_stopping.patience"
  std::string type;          // "integer", "float", "list of strings", "float or list of floats", ...
  std::string defaultValue;  // TOML text of the default, e.g. "100", "\"relu\"", "[25, 20]"
  std::string allowed;       // ">= 1", "[0, 1)", "\"none\", \"downsample\", \"reweight\"", or ""
  std::string description;
};

// ---- a single training: the RunConfig keys only ---------------------------------------------
// A file with [cv], [search] or [resources] is refused here (unknown key 'cv'): read it with
// loadCampaign, which accepts the same training keys plus those sections.

// Reads the campaign file, applies the overrides in order, validates, and returns the resolved
// configuration. A relative data.file written in the campaign file is resolved against the
// campaign file's directory (made absolute); a relative data.file given with --set, and
// output.dir from either place, stay relative to the current working directory.
// Throws Error(Io) when the file cannot be read, Error(Config) for everything else.
train::RunConfig loadRunConfig(const std::string& tomlPath,
                               const std::vector<std::string>& overrides = {});

// The same from text; `sourceName` names the text in messages. Paths are left as written.
train::RunConfig parseRunConfig(std::string_view tomlText, std::string_view sourceName,
                                const std::vector<std::string>& overrides = {});

// Applies `key=value` assignments (the value is TOML: 30, 1e-3, [64, 64], {train = 0.5, ...};
// a bare word such as elu is taken as a string) to an already resolved configuration, then
// validates the result. Used for --set and for programmatic variations of a base configuration.
void applyOverrides(train::RunConfig& config, const std::vector<std::string>& overrides);

// Checks the constraints between keys (split fractions sum to 1, dropout list length matches
// the layers, ...); per-key bounds are checked when a value is read. Throws Error(Config).
void validateRunConfig(const train::RunConfig& config);

// The full resolved configuration, every declared key with its value (defaults included), in
// declaration order. Round-trips: parseRunConfig(toToml(c)) gives back c, byte-identically when
// dumped again. Floating-point values are written in their shortest exact form.
std::string toToml(const train::RunConfig& config);

// (key, TOML value text) for every declared key the dump writes (unset optional keys are left out),
// in declaration order; e.g. for HDF5 attributes.
std::vector<std::pair<std::string, std::string>> flattenOptions(const train::RunConfig& config);

// ---- a campaign: the training keys + [cv], [search], [search.space], [resources] --------------
// Same rules as above (paths, overrides, errors). Beyond the per-key checks, every point the
// search may run is applied to the base configuration as its item applies it and validated at load
// time: a grid's every point; for random and bayes every combination of the listed values, of each
// integer range's values (its ends when it has more than 32) and of each real range's ends. The
// error names the [search.space] key and value, or the combination ("search.space point
// model.width=8 model.depth=4 is refused ...").
// --set also reaches the new sections: cv.folds=3, 'search.method="random"', search.budget=20,
// search.space.model.dropout={min=0.0,max=0.3} (adds or replaces that one dimension),
// search.space={} (empties the space).
CampaignConfig loadCampaign(const std::string& tomlPath, const std::vector<std::string>& overrides = {});
CampaignConfig parseCampaign(std::string_view tomlText, std::string_view sourceName,
                             const std::vector<std::string>& overrides = {});
// --set on a resolved campaign, then validation of the whole campaign. When every assignment sets a
// key of [search.space] (an item's point), only the resulting training configuration is validated,
// with the campaign's rules ([cv], [resources]): loading checked every point of the space already.
void applyOverrides(CampaignConfig& config, const std::vector<std::string>& overrides);
void validateCampaign(const CampaignConfig& config);

// The full resolved campaign: every key of toToml(RunConfig), then [cv], [search] (budget only when
// set), [search.space] (each dimension with every field written, e.g. { min = 0.0001, max = 0.01,
// log = true, steps = 3, type = "float" }) and [resources]. parseCampaign(toToml(c)) dumps the
// same text again.
std::string toToml(const CampaignConfig& config);
// (key, TOML value text) for every key, as toToml writes them; each search dimension is one entry
// keyed search.space."model.dropout"; search.budget is absent when not set.
std::vector<std::pair<std::string, std::string>> flattenCampaign(const CampaignConfig& config);
// The keys whose values differ, in declaration order, each as "train.epochs: 100 -> 30"; a key
// set on one side only shows "(not set)" on the other. Empty when the campaigns are the same.
std::vector<std::string> diffCampaigns(const CampaignConfig& a, const CampaignConfig& b);

// Every key of a campaign file (training keys, then [cv], [search], [resources]).
std::vector<OptionInfo> listOptions();
// The reference tables of docs/campaign.md (between <!-- BEGIN OPTIONS --> and <!-- END OPTIONS -->).
std::string optionsMarkdown();
// Plain-text listing of every key for a terminal (a --help-style option of the CLI).
std::string optionsHelp();

}  // namespace hepsweep::campaign
