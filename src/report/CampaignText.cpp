// What the report reads from the campaign's resolved TOML text (Summary::campaignToml). Kept in
// its own file: it is the only part of the report that needs a TOML parser.
#include <toml++/toml.h>

#include "ReportBuilder.hpp"

namespace hepsweep::report::detail {

std::vector<std::string> logSearchedKeys(const std::string& campaignToml) {
  std::vector<std::string> keys;
  toml::table doc;
  try {
    doc = toml::parse(campaignToml);
  } catch (const toml::parse_error&) {
    return keys;
  }
  const toml::table* space = doc["search"]["space"].as_table();
  if (!space) return keys;
  for (const auto& [key, value] : *space)
    if (const toml::table* range = value.as_table())
      if (range->get("log") && range->get("log")->value_or(false)) keys.emplace_back(key.str());
  return keys;
}

}  // namespace hepsweep::report::detail
