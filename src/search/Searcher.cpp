#include "hepsweep/search/Searcher.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/search/Bayes.hpp"

namespace hepsweep::search {

namespace {

[[noreturn]] void internal(const std::string& message) {
  throw Error(ErrorCategory::Internal, message);
}

constexpr const char* kStateFormat = "hepsweep-search-state";
constexpr int kStateVersion = 1;

}  // namespace

Searcher::Searcher(Space space, std::uint64_t seed) : space_(std::move(space)), seed_(seed) {
  if (space_.empty())
    throwConfig("the search space is empty: list at least one key to vary under [search.space]");
}

std::vector<Point> Searcher::propose(std::size_t n) {
  std::vector<Point> out;
  while (out.size() < n && !exhausted()) {
    const auto id = static_cast<std::int64_t>(proposals_.size());
    Point p{id, generate(id)};
    proposals_.push_back(p);
    observed_.push_back(false);
    out.push_back(std::move(p));
  }
  return out;
}

void Searcher::observe(std::int64_t id, std::optional<double> objective, std::int64_t stoppedFolds,
                       std::optional<double> standardError) {
  if (id < 0 || static_cast<std::size_t>(id) >= proposals_.size())
    internal("search: result for point " + std::to_string(id) + ", which was never proposed (" +
             std::to_string(proposals_.size()) + " proposed)");
  if (observed_[static_cast<std::size_t>(id)])
    internal("search: second result for point " + std::to_string(id));
  // A diverged training reports inf/NaN; ranking it as a number would poison best() and models.
  if (objective && !std::isfinite(*objective)) objective.reset();
  if (!objective || (standardError && !(std::isfinite(*standardError) && *standardError >= 0))) standardError.reset();
  observed_[static_cast<std::size_t>(id)] = true;
  observations_.push_back(Observation{id, objective, stoppedFolds, standardError});
}

void Searcher::observe(const Point& p, std::optional<double> objective) {
  if (!point(p.id).sameValues(p))
    internal("search: result for point " + std::to_string(p.id) + " (" + p.describe() +
             ") but that id was proposed as " + point(p.id).describe());
  observe(p.id, objective);
}

bool Searcher::exhausted() const { return proposals_.size() >= totalPoints(); }

bool Searcher::finished() const { return exhausted() && observations_.size() == proposals_.size(); }

const Point& Searcher::point(std::int64_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= proposals_.size())
    internal("search: no point with id " + std::to_string(id) + " (" +
             std::to_string(proposals_.size()) + " proposed)");
  return proposals_[static_cast<std::size_t>(id)];
}

std::vector<std::int64_t> Searcher::pending() const {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < observed_.size(); ++i)
    if (!observed_[i]) out.push_back(static_cast<std::int64_t>(i));
  return out;
}

std::optional<Observation> bestObservation(const std::vector<Observation>& observations) {
  std::optional<Observation> out;
  for (const Observation& o : observations) {
    if (!o.objective) continue;
    if (!out || *o.objective < *out->objective || (*o.objective == *out->objective && o.id < out->id))
      out = o;
  }
  return out;
}

State Searcher::state() const {
  State s{std::string(method()), seed_, proposals_, observations_, {}};
  fillState(s);
  return s;
}

void Searcher::restore(const State& state) {
  if (!proposals_.empty()) internal("search: restore() on a searcher that has already proposed points");
  const std::string prefix = "cannot resume the search: ";
  if (state.method != method())
    throwConfig(prefix + "it was started with method = \"" + state.method + "\" and the campaign now says method = \"" +
                std::string(method()) + "\"");
  if (usesSeed() && state.seed != seed_)
    throwConfig(prefix + "it was started with seed " + std::to_string(state.seed) +
                " and the campaign now has seed " + std::to_string(seed_));
  if (state.proposals.size() > totalPoints())
    throwConfig(prefix + "it has already proposed " + std::to_string(state.proposals.size()) +
                " points but the search now has only " + std::to_string(totalPoints()) +
                " (budget lowered or space reduced?)");
  for (std::size_t i = 0; i < state.proposals.size(); ++i) {
    const Point& saved = state.proposals[i];
    if (saved.id != static_cast<std::int64_t>(i))
      throwConfig(prefix + "saved point " + std::to_string(i) + " has id " + std::to_string(saved.id) +
                  " (ids must be 0, 1, 2, ... in order)");
    if (!regeneratesOnRestore(static_cast<std::int64_t>(i))) {
      proposals_.push_back(saved);
      observed_.push_back(false);
      continue;
    }
    const Point now = propose(1).at(0);
    if (!now.sameValues(saved))
      throwConfig(prefix + "the [search] section changed since it started: point " + std::to_string(i) +
                  " was " + str::quoted(saved.describe(), 200) + " and would now be " +
                  str::quoted(now.describe(), 200));
  }
  std::vector<bool> seen(state.proposals.size(), false);
  for (const Observation& o : state.observations) {
    if (o.id < 0 || static_cast<std::size_t>(o.id) >= state.proposals.size())
      throwConfig(prefix + "the saved state has a result for point " + std::to_string(o.id) +
                  ", which it never proposed");
    if (seen[static_cast<std::size_t>(o.id)])
      throwConfig(prefix + "the saved state has two results for point " + std::to_string(o.id));
    seen[static_cast<std::size_t>(o.id)] = true;
    observe(o.id, o.objective, o.stoppedFolds, o.standardError);
  }
  adoptRestored(state);
}

std::string stateToJson(const State& state) {
  nlohmann::ordered_json j;
  j["format"] = kStateFormat;
  j["version"] = kStateVersion;
  j["method"] = state.method;
  j["seed"] = state.seed;
  j["points"] = nlohmann::ordered_json::array();
  for (const Point& p : state.proposals) {
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    for (const Value& v : p.values) values.push_back({v.key, v.toml});
    j["points"].push_back({{"id", p.id}, {"values", std::move(values)}});
  }
  j["observations"] = nlohmann::ordered_json::array();
  for (const Observation& o : state.observations) {
    nlohmann::ordered_json entry = {{"id", o.id}, {"objective", nullptr}, {"stopped_folds", o.stoppedFolds}};
    if (o.objective) entry["objective"] = *o.objective;
    if (o.standardError) entry["standard_error"] = *o.standardError;
    j["observations"].push_back(std::move(entry));
  }
  if (!state.models.empty()) {
    j["models"] = nlohmann::ordered_json::array();
    for (const ModelRecord& m : state.models)
      j["models"].push_back({{"id", m.id},
                             {"observed", m.observed},
                             {"failed", m.failed},
                             {"pending", m.pending},
                             {"acquisition", m.acquisition},
                             {"amplitude", m.amplitude},
                             {"noise", m.noise},
                             {"length_scales", m.lengthScales},
                             {"log_likelihood", m.logLikelihood},
                             {"hedge_gains", m.hedgeGains},
                             {"hedge_candidates", m.hedgeCandidates}});
  }
  return j.dump(1) + "\n";
}

State stateFromJson(std::string_view json, const Space& space, std::string_view sourceName) {
  const std::string prefix = std::string(sourceName) + ": ";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throwConfig(prefix + "not valid JSON (" + e.what() + ")");
  }
  State state;
  std::size_t index = 0;
  try {
    if (!j.is_object() || j.value("format", "") != kStateFormat)
      throwConfig(prefix + "not a search state (no \"format\": \"" + kStateFormat + "\")");
    const int version = j.at("version").get<int>();
    if (version != kStateVersion)
      throwConfig(prefix + "search state version " + std::to_string(version) + " is not supported (this version reads " +
                  std::to_string(kStateVersion) + ")");
    state.method = j.at("method").get<std::string>();
    if (!j.at("seed").is_number_unsigned() && !(j.at("seed").is_number_integer() && j.at("seed").get<std::int64_t>() >= 0))
      throwConfig(prefix + "\"seed\" must be a non-negative integer");
    state.seed = j.at("seed").get<std::uint64_t>();
    for (const auto& jp : j.at("points")) {
      std::vector<std::pair<std::string, std::string>> assignments;
      for (const auto& kv : jp.at("values"))
        assignments.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
      Point p;
      try {
        p = space.parsePoint(assignments);
      } catch (const Error& e) {
        throwConfig(prefix + "point " + std::to_string(index) + " does not fit the current [search.space]: " + e.what());
      }
      p.id = jp.at("id").get<std::int64_t>();
      state.proposals.push_back(std::move(p));
      ++index;
    }
    for (const auto& jo : j.at("observations")) {
      Observation o;
      o.id = jo.at("id").get<std::int64_t>();
      if (!jo.at("objective").is_null()) o.objective = jo.at("objective").get<double>();
      // States written before the count was kept have none: no fold was recorded as stopped.
      o.stoppedFolds = jo.value("stopped_folds", std::int64_t{0});
      // Absent in states written before it was kept, and for single-fold points.
      if (jo.contains("standard_error") && !jo.at("standard_error").is_null())
        o.standardError = jo.at("standard_error").get<double>();
      state.observations.push_back(o);
    }
    if (j.contains("models")) {
      for (const auto& jm : j.at("models")) {
        ModelRecord m;
        m.id = jm.at("id").get<std::int64_t>();
        m.observed = jm.at("observed").get<std::int64_t>();
        m.failed = jm.at("failed").get<std::int64_t>();
        m.pending = jm.at("pending").get<std::int64_t>();
        m.acquisition = jm.at("acquisition").get<std::string>();
        m.amplitude = jm.at("amplitude").get<double>();
        m.noise = jm.at("noise").get<double>();
        m.lengthScales = jm.at("length_scales").get<std::vector<double>>();
        m.logLikelihood = jm.at("log_likelihood").get<double>();
        m.hedgeGains = jm.at("hedge_gains").get<std::vector<double>>();
        m.hedgeCandidates = jm.at("hedge_candidates").get<std::vector<std::vector<double>>>();
        state.models.push_back(std::move(m));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throwConfig(prefix + "malformed search state (" + e.what() + ")");
  }
  return state;
}

std::vector<std::string> availableMethods() { return {"grid", "random", "bayes"}; }

std::unique_ptr<Searcher> makeSearcher(std::string_view method, Space space,
                                       std::optional<std::int64_t> budget, std::uint64_t seed,
                                       const BayesOptions* bayes) {
  const std::vector<std::string> methods = availableMethods();
  const std::string available = "available: " + str::join(methods, ", ");
  if (method == "grid") return std::make_unique<GridSearcher>(std::move(space));
  if (method == "random") {
    if (!budget)
      throwConfig("search method = \"random\" needs budget (the number of points to try), e.g. budget = 20");
    return std::make_unique<RandomSearcher>(std::move(space), *budget, seed);
  }
  if (method == "bayes") {
    if (!budget)
      throwConfig("search method = \"bayes\" needs budget (the number of points to try, initial design included), "
                  "e.g. budget = 40");
    return std::make_unique<BayesSearcher>(std::move(space), *budget, seed, bayes ? *bayes : BayesOptions{});
  }
  throwConfig("unknown search method " + str::quoted(method) + "; " + available + str::didYouMean(method, methods));
}

}  // namespace hepsweep::search
