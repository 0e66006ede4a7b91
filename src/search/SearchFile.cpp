#include "hepsweep/search/SearchFile.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace fs = std::filesystem;

namespace hepsweep::search {

namespace {
constexpr const char* kFormat = "hepsweep-search";
}

fs::path searchFilePath(const fs::path& runDir) { return runDir / "search.h5"; }

void writeSearchFile(const fs::path& path, const Searcher& searcher, std::int64_t budget) {
  const State state = searcher.state();
  const std::string json = stateToJson(state);
  io::h5::writeAtomically(path.string(), [&](io::h5::File& f) {
    f.setAttr("format", std::string(kFormat));
    f.setAttr("format_version", std::int64_t{1});
    f.setAttr("method", state.method);
    f.setAttr("seed", static_cast<std::int64_t>(state.seed));
    f.setAttr("budget", budget);
    f.setAttr("state", json);

    std::map<std::int64_t, const Observation*> results;
    for (const Observation& o : state.observations) results[o.id] = &o;
    const auto points = f.createGroup("points");
    std::vector<std::int64_t> ids;
    std::vector<double> objective;
    std::vector<std::string> status;
    std::vector<std::int64_t> stopped;
    for (const Point& p : state.proposals) {
      ids.push_back(p.id);
      const auto it = results.find(p.id);
      const bool observed = it != results.end() && it->second->objective.has_value();
      objective.push_back(observed ? *it->second->objective : std::numeric_limits<double>::quiet_NaN());
      status.emplace_back(it == results.end() ? "pending" : observed ? "observed" : "failed");
      stopped.push_back(it == results.end() ? 0 : it->second->stoppedFolds);
    }
    points.write<std::int64_t>("id", ids, false);
    points.write<double>("objective", objective, false);
    points.writeStrings("status", status);
    points.write<std::int64_t>("stopped_folds", stopped, false);
    const Space& space = searcher.space();
    for (std::size_t d = 0; d < space.size(); ++d) {
      std::vector<std::string> texts;
      for (const Point& p : state.proposals) texts.push_back(p.values[d].toml);
      points.writeStrings(space[d].key(), texts);
    }

    // Arrival order: with the asynchronous schedule, what each proposal could see.
    const auto arrivals = f.createGroup("observations");
    std::vector<std::int64_t> arrivedId;
    std::vector<double> arrivedObjective;
    for (const Observation& o : state.observations) {
      arrivedId.push_back(o.id);
      arrivedObjective.push_back(o.objective.value_or(std::numeric_limits<double>::quiet_NaN()));
    }
    arrivals.write<std::int64_t>("id", arrivedId, false);
    arrivals.write<double>("objective", arrivedObjective, false);

    const auto models = f.createGroup("models");
    std::vector<std::int64_t> mid, nObs, nFailed, nPending;
    std::vector<std::string> acq;
    std::vector<double> amp, noise, lml, ls;
    std::size_t columns = 0;
    for (const ModelRecord& m : state.models) {
      mid.push_back(m.id);
      nObs.push_back(m.observed);
      nFailed.push_back(m.failed);
      nPending.push_back(m.pending);
      acq.push_back(m.acquisition);
      amp.push_back(m.amplitude);
      noise.push_back(m.noise);
      lml.push_back(m.logLikelihood);
      columns = m.lengthScales.size();
      ls.insert(ls.end(), m.lengthScales.begin(), m.lengthScales.end());
    }
    models.write<std::int64_t>("id", mid, false);
    models.write<std::int64_t>("observed", nObs, false);
    models.write<std::int64_t>("failed", nFailed, false);
    models.write<std::int64_t>("pending", nPending, false);
    models.writeStrings("acquisition", acq);
    models.write<double>("amplitude", amp, false);
    models.write<double>("noise", noise, false);
    models.write<double>("log_likelihood", lml, false);
    models.write2d<double>("length_scales", ls.data(), state.models.size(), columns, false);
  });
}

std::optional<std::string> readSearchStateJson(const fs::path& path) {
  if (!fs::exists(path)) return std::nullopt;
  const auto f = io::h5::File::open(path.string());
  if (!f.hasAttr("format") || f.attrString("format") != kFormat)
    throwIo(path.string() + " is not a hepsweep search file (root attribute format is not \"" + kFormat + "\")");
  return f.attrString("state");
}

std::optional<PointResult> pointResult(std::int64_t point, const ItemResults& items) {
  PointResult r;
  double sum = 0;
  bool failed = false;
  for (int fold = 0; fold < items.folds; ++fold) {
    const std::optional<ItemOutcome> item = items.read(point * items.folds + fold);
    if (!item) return std::nullopt;
    if (!item->objective || !std::isfinite(*item->objective)) failed = true;
    else sum += *item->objective;
    r.stoppedFolds += item->stopped ? 1 : 0;
  }
  if (!failed) r.objective = sum / items.folds;
  return r;
}

std::size_t observeFinished(Searcher& searcher, const ItemResults& items) {
  std::size_t n = 0;
  for (const std::int64_t id : searcher.pending()) {
    if (const auto r = pointResult(id, items)) {
      searcher.observe(id, r->objective, r->stoppedFolds);
      ++n;
    }
  }
  return n;
}

std::unique_ptr<Searcher> restoreSearch(const fs::path& path, const std::function<std::unique_ptr<Searcher>()>& make) {
  std::unique_ptr<Searcher> searcher = make();
  if (const auto json = readSearchStateJson(path))
    searcher->restore(stateFromJson(*json, searcher->space(), path.string()));
  return searcher;
}

std::unique_ptr<Searcher> loadSearch(const fs::path& path, const std::function<std::unique_ptr<Searcher>()>& make,
                                     const ItemResults& items) {
  std::unique_ptr<Searcher> searcher = restoreSearch(path, make);
  observeFinished(*searcher, items);
  return searcher;
}

}  // namespace hepsweep::search
