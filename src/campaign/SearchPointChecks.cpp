// The load-time check of the points a search may run: each applied to the base configuration and
// validated, so that a bad combination fails before the campaign starts.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "OptionTables.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::campaign {

using train::RunConfig;
using search::Dimension;
using namespace detail;

namespace {

// The values of one dimension that the load-time check combines. A grid runs exactly its grid
// values. Random and Bayesian searches draw anywhere in the space: every listed value, every
// value of an integer range with at most kEveryIntegerUpTo of them (divisibility rules such as
// ranks_per_item | micro_batches hold or fail between the ends), and otherwise the ends of the
// range: the rules between keys are monotone in each numeric key (a layer width
// width - (depth - 1) * step, micro_batches <= batch_size), so a box whose corners pass has no
// failing point inside.
constexpr std::uint64_t kEveryIntegerUpTo = 32;

std::vector<search::Value> valuesToCheck(const Dimension& d, bool grid, bool endsOnly) {
  if (grid || d.kind() == search::Kind::Choice) return d.gridValues();
  const std::optional<std::uint64_t> n = d.cardinality();
  if (!endsOnly && d.kind() == search::Kind::Integer && n && *n <= kEveryIntegerUpTo) {
    std::vector<search::Value> all;
    for (std::uint64_t k = 0; k < *n; ++k) all.push_back(d.value(d.min() + static_cast<double>(k)));
    return all;
  }
  return {d.value(d.min()), d.value(d.max())};
}

std::uint64_t combinations(const std::vector<std::vector<search::Value>>& axes) {
  std::uint64_t total = 1;
  for (const auto& a : axes) {
    if (total > search::kMaxPoints / a.size()) return search::kMaxPoints + 1;
    total *= a.size();
  }
  return total;
}

// One value of a dimension, read as the key's option reads it (so its own bounds and type are
// checked once, with the message naming the key and the value).
struct CheckedValue {
  search::Value value;
  toml::table holder;  // the parsed TOML value under "v"
};

}  // namespace

// Every point the search may run is applied to the base configuration as its item applies it
// (one --set per searched key, in the space's order) and validated with the campaign's rules, so
// that a bad combination fails when the campaign is loaded, naming the combination, rather than
// as failed items mid-campaign. Grids: every point. Random and Bayesian: every combination of
// valuesToCheck; above search::kMaxPoints combinations, integer ranges are reduced to their ends,
// and if there are still too many, each value is checked with the other keys at their first value.
void detail::checkPoints(const CampaignConfig& c, const std::string& in) {
  const auto& table = runTable();
  const auto& dims = c.search.space.dimensions();
  const bool grid = c.search.method == SearchMethod::Grid;
  std::vector<std::vector<search::Value>> axes;
  for (const auto& d : dims) axes.push_back(valuesToCheck(d, grid, false));
  if (!grid && combinations(axes) > search::kMaxPoints)
    for (std::size_t i = 0; i < dims.size(); ++i) axes[i] = valuesToCheck(dims[i], false, true);
  const bool everyCombination = combinations(axes) <= search::kMaxPoints;

  const Origin origin{"[search.space]", true};
  std::vector<std::vector<CheckedValue>> parsed(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i)
    for (const auto& v : axes[i]) {
      CheckedValue cv{v, parseDocument("v = " + v.toml, "[search.space]")};
      try {
        RunConfig run = c.run;
        std::set<std::string> assigned;
        applyNode(table, run, dims[i].key(), *cv.holder.get("v"), origin.name, origin, assigned);
      } catch (const Error& e) {
        if (e.category() != ErrorCategory::Config) throw;
        throwConfig("search.space key " + str::quoted(dims[i].key()) + ": value " + v.toml + " is refused" + in +
                    ": " + e.what());
      }
      parsed[i].push_back(std::move(cv));
    }

  const auto check = [&](const std::vector<std::size_t>& pick) {
    RunConfig run = c.run;
    try {
      for (std::size_t i = 0; i < dims.size(); ++i) {
        std::set<std::string> assigned;
        applyNode(table, run, dims[i].key(), *parsed[i][pick[i]].holder.get("v"), origin.name, origin, assigned);
        finishSource(table, run, assigned, origin);
      }
      validateRun(run, "", c.cv.folds > 1);
      checkResources(run, c.resources, "");
    } catch (const Error& e) {
      if (e.category() != ErrorCategory::Config) throw;
      if (dims.size() == 1)
        throwConfig("search.space key " + str::quoted(dims[0].key()) + ": value " + parsed[0][pick[0]].value.toml +
                    " is refused" + in + ": " + e.what());
      search::Point p;
      for (std::size_t i = 0; i < dims.size(); ++i) p.values.push_back(parsed[i][pick[i]].value);
      throwConfig("search.space point " + p.describe() + " is refused" + in + ": " + e.what());
    }
  };
  std::vector<std::size_t> pick(dims.size(), 0);
  if (!everyCombination) {
    for (std::size_t i = 0; i < dims.size(); ++i) {
      for (std::size_t k = 0; k < parsed[i].size(); ++k) {
        pick[i] = k;
        check(pick);
      }
      pick[i] = 0;
    }
    return;
  }
  // Mixed-radix count over the combinations, last dimension fastest (the grid's order).
  while (true) {
    check(pick);
    std::size_t d = dims.size();
    while (d > 0 && ++pick[d - 1] == parsed[d - 1].size()) pick[--d] = 0;
    if (d == 0) break;
  }
}

}  // namespace hepsweep::campaign
