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

// (key, TOML value text) for every declared key, in declaration order; e.g. for HDF5 attributes.
std::vector<std::pair<std::string, std::string>> flattenOptions(const train::RunConfig& config);

std::vector<OptionInfo> listOptions();
// The reference tables of docs/campaign.md (between <!-- BEGIN OPTIONS --> and <!-- END OPTIONS -->).
std::string optionsMarkdown();
// Plain-text listing of every key for a terminal (a --help-style option of the CLI).
std::string optionsHelp();

}  // namespace hepsweep::campaign
