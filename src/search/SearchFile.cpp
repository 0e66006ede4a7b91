#include "hepsweep/search/SearchFile.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/Columns.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace fs = std::filesystem;

namespace hepsweep::search {

namespace {
constexpr const char* kFormat = "hepsweep-search";
namespace h5 = io::h5;
constexpr auto kDeflate = h5::Deflate::Off;
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
    // The point's observation, or null while it is pending.
    const auto resultOf = [&](const Point& p) -> const Observation* {
      const auto it = results.find(p.id);
      return it == results.end() ? nullptr : it->second;
    };
    h5::writeColumns(points, state.proposals, kDeflate, h5::column<std::int64_t>("id", &Point::id),
                     h5::column<double>("objective", [&](const Point& p) {
                       const Observation* o = resultOf(p);
                       return o && o->objective ? *o->objective : std::numeric_limits<double>::quiet_NaN();
                     }),
                     h5::column<std::string>("status", [&](const Point& p) {
                       const Observation* o = resultOf(p);
                       return std::string(!o ? "pending" : o->objective ? "observed" : "failed");
                     }),
                     h5::column<std::int64_t>("stopped_folds", [&](const Point& p) {
                       const Observation* o = resultOf(p);
                       return o ? o->stoppedFolds : 0;
                     }));
    const Space& space = searcher.space();
    for (std::size_t d = 0; d < space.size(); ++d)
      h5::writeColumns(points, state.proposals, kDeflate,
                       h5::column<std::string>(space[d].key(), [d](const Point& p) { return p.values[d].toml; }));

    // Arrival order: with the asynchronous schedule, what each proposal could see.
    const auto arrivals = f.createGroup("observations");
    h5::writeColumns(arrivals, state.observations, kDeflate, h5::column<std::int64_t>("id", &Observation::id),
                     h5::column<double>("objective", [](const Observation& o) {
                       return o.objective.value_or(std::numeric_limits<double>::quiet_NaN());
                     }));

    const auto models = f.createGroup("models");
    h5::writeColumns(models, state.models, kDeflate, h5::column<std::int64_t>("id", &ModelRecord::id),
                     h5::column<std::int64_t>("observed", &ModelRecord::observed),
                     h5::column<std::int64_t>("failed", &ModelRecord::failed),
                     h5::column<std::int64_t>("pending", &ModelRecord::pending),
                     h5::column<std::string>("acquisition", &ModelRecord::acquisition),
                     h5::column<double>("amplitude", &ModelRecord::amplitude),
                     h5::column<double>("noise", &ModelRecord::noise),
                     h5::column<double>("log_likelihood", &ModelRecord::logLikelihood));
    std::vector<double> ls;
    std::size_t columns = 0;
    for (const ModelRecord& m : state.models) {
      columns = m.lengthScales.size();
      ls.insert(ls.end(), m.lengthScales.begin(), m.lengthScales.end());
    }
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
  std::vector<double> values;
  bool failed = false;
  for (int fold = 0; fold < items.folds; ++fold) {
    const std::optional<ItemOutcome> item = items.read(point * items.folds + fold);
    if (!item) return std::nullopt;
    if (item->racedOut) continue;
    if (!item->objective || !std::isfinite(*item->objective)) failed = true;
    else values.push_back(*item->objective);
    r.stoppedFolds += item->stopped ? 1 : 0;
  }
  if (failed) return r;
  double sum = 0;
  for (const double v : values) sum += v;
  if (values.empty()) return r;  // every fold raced out: cannot happen (fold 0 always trains); failed if it did
  const auto n = static_cast<double>(values.size());
  r.objective = sum / n;
  if (values.size() >= 2) {
    double ss = 0;
    for (const double v : values) ss += (v - *r.objective) * (v - *r.objective);
    r.standardError = std::sqrt(ss / (n - 1)) / std::sqrt(n);
  }
  return r;
}

std::size_t observeFinished(Searcher& searcher, const ItemResults& items) {
  std::size_t n = 0;
  for (const std::int64_t id : searcher.pending()) {
    if (const auto r = pointResult(id, items)) {
      searcher.observe(id, r->objective, r->stoppedFolds, r->standardError);
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
