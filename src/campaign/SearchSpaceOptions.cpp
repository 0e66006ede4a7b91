// The [search.space] section of the campaign file (SearchSpaceOptions.hpp).
#include "SearchSpaceOptions.hpp"

#include <optional>
#include <vector>

#include "hepsweep/core/Strings.hpp"
#include "hepsweep/search/Bayes.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::campaign::detail {

using search::Dimension;
using search::Space;
using train::RunConfig;

namespace {

bool inSection(std::string_view key, std::string_view section) {
  return key == section ||
         (key.size() > section.size() && key.substr(0, section.size()) == section && key[section.size()] == '.');
}

// Keys that stay the same for every point, and why (shown when one is put in [search.space]).
std::optional<std::string> notSearchableReason(std::string_view key) {
  if (key == "seed")
    return "every point uses the campaign seed, so that points differ only by their hyperparameters "
           "(run another campaign for another seed)";
  if (key == "data.file") return "every point trains on the same data file";
  if (key == "output.dir") return "the campaign writes every point under its one output directory";
  if (inSection(key, "cv") || inSection(key, "search") || inSection(key, "resources"))
    return "[cv], [search] and [resources] configure the campaign itself, the same for every point";
  return std::nullopt;
}

std::vector<std::string> searchableKeys() {
  std::vector<std::string> keys;
  for (const auto& o : runTable().options)
    if (!notSearchableReason(o.key)) keys.push_back(o.key);
  return keys;
}

}  // namespace

std::string spaceEntryName(std::string_view key) { return "search.space." + formatString(key); }

namespace {

[[noreturn]] void rethrowAt(const Error& e, const std::string& where) {
  if (e.category() != ErrorCategory::Config) throw e;
  throwConfig(std::string(e.what()) + " (" + where + ")");
}

Dimension readRange(const std::string& key, const OptionSpec<RunConfig>& spec, const toml::node& n,
                    const Origin& o) {
  const std::string name = spaceEntryName(key);
  const bool intKey = spec.numeric == Numeric::Integer;
  const bool floatKey = spec.numeric == Numeric::Real;
  if (!intKey && !floatKey)
    throwConfig("search.space key " + str::quoted(key) + " (" + o.at(n) + "): a range { min, max } needs a numeric key, but " +
                key + " is a " + spec.type + "; list its values instead, e.g. \"" + key + "\" = [a, b]");
  std::optional<double> min, max;
  bool log = false;
  std::optional<std::int64_t> steps;
  std::optional<std::string> type;
  for (const auto& [k, v] : inFileOrder(*n.as_table())) {
    const std::string field(k->str());
    const std::string sub = name + "." + field;
    if (field == "min") min = readDouble(*v, sub, o, any());
    else if (field == "max") max = readDouble(*v, sub, o, any());
    else if (field == "log") log = readBool(*v, sub, o);
    else if (field == "steps")
      steps = readInt(*v, sub, o, closed(1, static_cast<double>(search::kMaxPoints)), 1,
                      static_cast<std::int64_t>(search::kMaxPoints));
    else if (field == "type") type = readChoice(*v, sub, o, {"int", "float"});
    else {
      const std::vector<std::string> fields{"min", "max", "log", "steps", "type"};
      throwConfig("unknown key " + str::quoted(sub) + " (" + o.at(k->source()) + "); a range takes " +
                  str::join(fields, ", ") + str::didYouMean(field, fields));
    }
  }
  if (!min || !max)
    throwConfig(name + " needs both min and max (" + o.at(n) + "), e.g. { min = 0.0, max = 0.5 }");
  // The key's own type decides unless `type` is given: an integer grid for a float key such as
  // train.l2 = { min = 0, max = 1 } would silently try only 0 and 1.
  const bool asInt = type ? *type == "int" : intKey;
  try {
    return asInt ? Dimension::integer(key, *min, *max, log, steps) : Dimension::real(key, *min, *max, log, steps);
  } catch (const Error& e) {
    rethrowAt(e, o.at(n));
  }
}

}  // namespace

Dimension readDimension(const std::string& key, const toml::node& n, const Origin& o, const std::string& keyWhere) {
  const std::string what = "search.space key " + str::quoted(key) + " (" + keyWhere + ")";
  if (const auto why = notSearchableReason(key)) throwConfig(what + " cannot be searched: " + *why);
  const auto& table = runTable();
  const OptionSpec<RunConfig>* spec = table.find(key);
  if (!spec) {
    std::string msg = what + " is not a key of the campaign file";
    if (table.isSection(key)) {
      // Unquoted, model.dropout = [...] is the table model = { dropout = [...] }: name what was meant.
      std::string example;
      if (n.is_table() && !n.as_table()->empty()) example = key + "." + std::string(inFileOrder(*n.as_table())[0].first->str());
      for (const auto& k : searchableKeys())
        if (example.empty() && k.compare(0, key.size() + 1, key + ".") == 0) example = k;
      msg += "; " + key + " is a section: write the full dotted key in quotes, e.g. \"" + example + "\" = ...";
    } else {
      const std::string hint = str::didYouMean(key, searchableKeys());
      msg += hint.empty() ? "; the searchable keys are those of the reference in docs/campaign.md" : hint;
    }
    throwConfig(msg);
  }
  if (n.is_array()) {
    std::vector<std::string> texts;
    for (const auto& element : *n.as_array()) texts.push_back(tomlText(element));
    try {
      return Dimension::choices(key, std::move(texts));
    } catch (const Error& e) {
      rethrowAt(e, o.at(n));
    }
  }
  if (n.is_table()) return readRange(key, *spec, n, o);
  throwConfig(what + " must be a list of values, e.g. [0.1, 0.2], or a range { min = ..., max = ... }; got " +
              describeNode(n) + ". To fix the key at one value, set it outside [search.space]");
}

std::string dimensionText(const Dimension& d) {
  if (d.kind() == search::Kind::Choice) return "[" + str::join(d.choiceTexts(), ", ") + "]";
  const bool isInt = d.kind() == search::Kind::Integer;
  const auto bound = [&](double x) { return d.value(x).toml; };
  return "{ min = " + bound(d.min()) + ", max = " + bound(d.max()) + ", log = " + (d.log() ? "true" : "false") +
         ", steps = " + std::to_string(d.steps().value_or(search::kDefaultGridSteps)) + ", type = " +
         (isInt ? "\"int\"" : "\"float\"") + " }";
}

void setDimension(Space& space, Dimension d) {
  std::vector<Dimension> dims = space.dimensions();
  bool replaced = false;
  for (auto& existing : dims)
    if (existing.key() == d.key()) {
      existing = d;
      replaced = true;
    }
  if (!replaced) dims.push_back(std::move(d));
  space = Space(std::move(dims));
}

OptionSpec<CampaignConfig> spaceOption() {
  OptionSpec<CampaignConfig> s{"search.space", "table",
                               "keys of this reference except seed, data.file, output.dir, [cv], [search], "
                               "[resources]; values: [v1, v2, ...] or { min, max, log, steps, type }",
                               "The hyperparameters searched, key = list of values or range, in the order of "
                               "the grid (see Search spaces)",
                               false, {}, {}, {}, true};
  s.assign = [](CampaignConfig& c, const toml::node& n, const Origin& o) {
    if (!n.is_table())
      throwType("search.space", "a table (a [search.space] section, e.g. \"model.dropout\" = [0.1, 0.2])", n, o);
    std::vector<Dimension> dims;
    for (const auto& [k, v] : inFileOrder(*n.as_table()))
      dims.push_back(readDimension(std::string(k->str()), *v, o, o.at(k->source())));
    c.search.space = Space(std::move(dims));
  };
  s.format = [](const CampaignConfig& c) {
    std::string out;
    for (const auto& d : c.search.space.dimensions()) out += formatString(d.key()) + " = " + dimensionText(d) + "\n";
    return out;
  };
  return s;
}

std::vector<OptionSpec<CampaignConfig>> searchModelOptions() {
  using C = CampaignConfig;
  std::vector<OptionSpec<C>> out;
  out.push_back(intOption<C>(
      "search.model_points", [](auto& c) -> auto& { return c.search.bayes.modelPoints; }, atLeast(0),
      "bayes: most points the Gaussian process is fitted to (0: all, or at least 10); with more, the model keeps "
      "the points nearest the best one and proposes inside their bounding box (a trust region), so a proposal "
      "costs the same at 300 or 2000 points"));
  out.push_back(intOption<C>(
      "search.refit_every", [](auto& c) -> auto& { return c.search.bayes.refitEvery; }, atLeast(1),
      "bayes: fit the Gaussian process's hyperparameters at every n-th model-based proposal and reuse them in "
      "between (the model still sees every new result): proposals about n times cheaper, for many rank groups"));
  out.push_back(boolOption<C>(
      "search.fold_noise", [](auto& c) -> auto& { return c.search.bayes.foldNoise; },
      "bayes: each point's spread over its folds (its standard error) enters the Gaussian process as that point's "
      "own noise, so points whose folds disagree weigh less (needs cv.folds >= 2)"));
  out.push_back(enumOption<C>(
      "search.recommend", [](auto& c) -> auto& { return c.search.bayes.recommend; },
      std::vector{search::Recommendation::Observed, search::Recommendation::Model},
      "bayes: the point reported as the search's best: the smallest observed fold mean, or the observed point with "
      "the smallest posterior mean of the Gaussian process (less fooled by a lucky fold split)"));
  return out;
}

}  // namespace hepsweep::campaign::detail
