#pragma once
// RUN_DIR/search.h5: the state of a model-based search in a campaign run directory, and the
// results of its points read from the items' files.
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

// Where the files of campaign item `id` are (campaign::RunDirectory's layout).
struct ItemFiles {
  std::function<std::filesystem::path(std::int64_t)> result;  // exists: the item is done
  std::function<std::filesystem::path(std::int64_t)> failed;  // exists: the item failed
};

// The result of point `point` (items point * folds .. point * folds + folds - 1): nullopt while
// one of its items is unfinished; a failure (inner nullopt) when one failed or its objective is
// not finite; else the mean over folds of metrics/val_loss, or of 1 - metrics/val_auc when
// `objective` is "val_auc".
std::optional<std::optional<double>> pointResult(std::int64_t point, int folds, std::string_view objective,
                                                 const ItemFiles& files);

// Observes each pending point of `searcher` whose items are all finished, by ascending id.
// Returns how many it observed.
std::size_t observeFinished(Searcher& searcher, int folds, std::string_view objective, const ItemFiles& files);

// A searcher restored from `path` when it exists (made by `make` otherwise), with the finished
// points observed.
std::unique_ptr<Searcher> loadSearch(const std::filesystem::path& path,
                                     const std::function<std::unique_ptr<Searcher>()>& make, int folds,
                                     std::string_view objective, const ItemFiles& files);

}  // namespace hepsweep::search
