#pragma once
// RUN_DIR/search.h5: the state of a model-based search in a campaign run directory, and the
// results of its points gathered from the campaign's items (one item per fold of a point).
//
// Layout (read it with h5py; the root attribute `state` is what resume reads, the datasets are
// the same content in columns):
//   /                attrs format = "hepsweep-search", format_version = 1, method, seed, budget,
//                    state (the JSON text of search::stateToJson)
//   points/id        int64 (P)        proposal order
//   points/<key>     string (P)       the TOML text of each searched key (one dataset per key,
//                                     the key's dots kept: f["points"]["train.learning_rate"])
//   points/objective float64 (P)      mean validation objective over folds; NaN: failed or pending
//   points/status    string (P)       "observed", "failed" or "pending"
//   points/stopped_folds int64 (P)    folds of the point the early-stopping rule cut short
//   observations/id, observations/objective   int64, float64 (O): the observations in the order
//                                     they arrived (NaN: failed)
//   models/id, models/observed, models/failed, models/pending   int64 (M)
//   models/acquisition string (M); models/amplitude, models/noise, models/log_likelihood float64 (M)
//   models/length_scales float64 (M x model inputs)
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::search {

std::filesystem::path searchFilePath(const std::filesystem::path& runDir);  // runDir / "search.h5"

// Writes `searcher`'s state to `path` atomically (temporary file, then rename). Error(Io).
void writeSearchFile(const std::filesystem::path& path, const Searcher& searcher, std::int64_t budget);
// The state JSON kept in the file, or nullopt when the file does not exist. Error(Io) when it
// exists but is not a search file.
std::optional<std::string> readSearchStateJson(const std::filesystem::path& path);

// What the search learns from one finished item (one fold of a point).
struct ItemOutcome {
  std::optional<double> objective;  // the item's validation objective; nullopt: the item failed
  bool stopped = false;             // the early-stopping rule cut its training short
  // Never trained: racing across folds (Racing.hpp) skipped it. The point's result is then the
  // mean over the folds it trained.
  bool racedOut = false;
};

// The campaign's items as the search sees them. The campaign supplies `read` (it knows the
// result files and which objective they store); point p is items p * folds .. p * folds + folds - 1.
struct ItemResults {
  int folds = 1;
  std::function<std::optional<ItemOutcome>(std::int64_t item)> read;  // nullopt: not finished
};

struct PointResult {
  // Mean over the folds trained (all of them, unless racing skipped some); nullopt: a fold failed
  // or was not finite.
  std::optional<double> objective;
  std::int64_t stoppedFolds = 0;
  // With 2 or more folds trained: the standard error of the mean, s / sqrt(n) with s the sample
  // standard deviation (n - 1) of the n folds trained; nullopt with one fold or a failure.
  std::optional<double> standardError{};
};

// The result of point `point`: nullopt while one of its items is unfinished.
std::optional<PointResult> pointResult(std::int64_t point, const ItemResults& items);

// Observes each pending point of `searcher` whose items are all finished, by ascending id.
// Returns how many it observed.
std::size_t observeFinished(Searcher& searcher, const ItemResults& items);

// A searcher restored from `path` when it exists (made by `make` otherwise).
std::unique_ptr<Searcher> restoreSearch(const std::filesystem::path& path,
                                        const std::function<std::unique_ptr<Searcher>()>& make);
// restoreSearch, then observeFinished.
std::unique_ptr<Searcher> loadSearch(const std::filesystem::path& path,
                                     const std::function<std::unique_ptr<Searcher>()>& make, const ItemResults& items);

}  // namespace hepsweep::search
