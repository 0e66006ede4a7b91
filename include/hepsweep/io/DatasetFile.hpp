#pragma once
// Reading the HDF5 dataset files written by `hepsweep convert` (layout: docs/hdf5-layout.md).
// Every function checks that the file is a hepsweep dataset (root attribute
// format = "hepsweep-dataset", known format_version, all required datasets present with
// consistent shapes) and throws Error(Input) naming the file and what is missing otherwise.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "hepsweep/data/Dataset.hpp"

namespace hepsweep::io {

inline constexpr const char* kDatasetFormat = "hepsweep-dataset";
inline constexpr std::int64_t kDatasetFormatVersion = 1;

// Metadata only (no feature values are read).
struct DatasetInfo {
  std::string path;
  std::int64_t formatVersion = 0;
  std::int64_t rows = 0;
  std::vector<std::string> featureNames;
  bool hasWeights = false;
  bool hasIds = false;
  std::string idColumn;      // when hasIds
  std::string weightColumn;  // when hasWeights
  std::string labelColumn;   // when the labels came from a column
  std::optional<float> missingValue;
  std::vector<std::string> missingFeatures;  // as stored (all features using the marker)
  std::int64_t nSignal = 0;
  std::int64_t nBackground = 0;
  std::vector<std::string> inputPaths;
  std::vector<std::string> inputAbsolutePaths;
  std::vector<std::string> inputSha256;
  std::vector<std::int64_t> inputRows;
  std::vector<std::int8_t> inputClass;  // 1 signal, 0 background, -1 label column; multi-class: class index
  // Multi-class files only (empty for a binary file): the class names (label k is classNames[k])
  // and the rows of each class.
  std::vector<std::string> classNames;
  std::vector<std::int64_t> classRows;
  std::string commandLine;
  std::string version;
  std::string created;
};

DatasetInfo readDatasetInfo(const std::string& path);

// The whole file, or only the named features in the requested order (empty: all, in file order).
// An unknown feature name is an Error(Input) naming the file, the feature and the closest name.
data::Dataset readDataset(const std::string& path, const std::vector<std::string>& features = {});

// Rows [first, first + count) only, read as HDF5 hyperslabs (e.g. one MPI rank's share).
data::Dataset readDatasetRows(const std::string& path, std::int64_t first, std::int64_t count,
                              const std::vector<std::string>& features = {});

// A data file opened for reading feature rows on demand, e.g. the rows one MPI rank of a group
// trains on: labels, weights and ids of every event are read at once (a few bytes per event),
// feature values only for the rows asked for. The feature table is read in whole chunks, in file
// order, and rows are picked from them in memory: a pass over ascending rows (one read(), or
// successive read()s of ascending rows such as the blocks of a preprocessing fit) decompresses
// each chunk at most once. Memory holds what the caller keeps plus one chunk block.
class DatasetRows : public data::RowReader {
 public:
  // `features` as for readDataset (empty: all, in file order).
  explicit DatasetRows(const std::string& path, const std::vector<std::string>& features = {});
  ~DatasetRows() override;
  DatasetRows(const DatasetRows&) = delete;
  DatasetRows& operator=(const DatasetRows&) = delete;

  // Everything but the feature values: names, labels, weights, ids and missing-value information;
  // columns().features has zero rows and one column per selected feature.
  const data::Dataset& columns() const;
  std::int64_t rows() const;
  // Error(Internal) for a row outside the file.
  void read(std::span<const data::Index> rows, data::FeatureMatrix& out) const override;
  // Chunk blocks (rows of whole chunks) read from the file so far: each is one decompression of
  // the chunks it holds.
  std::int64_t blocksRead() const;
  // Rows per block: the chunk rows of /features (a fixed 16384 for an unchunked table).
  std::int64_t blockRows() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A data file read front to back in blocks of consecutive rows, for scoring (`apply`): feature
// rows (every column, file order), labels, weights and ids. Chunks are read as they are stored and
// decoded outside HDF5 (h5::ChunkReader: libdeflate, several times zlib's speed), on up to
// `threads` threads; the values never depend on the thread count. A dataset stored otherwise
// (other filters or types, not chunked by rows) is read through HDF5. Memory: one block, one
// decoded chunk per dataset and the stored bytes of one block's chunks; nothing grows with the
// file. Reading blocks in ascending order decodes every chunk once.
class DatasetBlocks {
 public:
  // Error(Input) as readDatasetInfo when `path` is not a hepsweep dataset file; threads >= 1.
  explicit DatasetBlocks(const std::string& path, int threads = 1);
  ~DatasetBlocks();
  DatasetBlocks(const DatasetBlocks&) = delete;
  DatasetBlocks& operator=(const DatasetBlocks&) = delete;

  const DatasetInfo& info() const;

  struct Block {
    std::int64_t first = 0, rows = 0;
    const float* features = nullptr;      // rows x info().featureNames.size(), row-major
    const std::int8_t* labels = nullptr;  // 1 signal, 0 background; multi-class: the class index
    const float* weights = nullptr;
    const std::int64_t* ids = nullptr;    // null when the file has no ids
  };
  // Rows [first, first + count) of the file; the pointers stay valid until the next read. Throws
  // Error(Input) naming the file and row for a label other than 0 or 1, Error(Io) for a damaged
  // chunk, Error(Internal) for rows outside the file.
  Block read(std::int64_t first, std::int64_t count);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Every row of /features, all columns in file order, into `out` (rows x n_features values,
// row-major), read in whole chunks in file order: each chunk is decompressed once. For tables
// held once per node (shared memory) or per process.
void readFeatureTable(const std::string& path, std::span<float> out);

// Rows [first, end) of /features: a share of the table made of whole chunks.
struct FeatureShare {
  std::int64_t first = 0, end = 0;
};
// Share `part` of `parts` (0 <= part < parts) of a table of `rows` rows stored in chunks of
// `chunkRows`: consecutive chunks, the same count (+-1) for every part, together the whole table.
FeatureShare featureShare(std::int64_t rows, std::int64_t chunkRows, int part, int parts);
// As readFeatureTable, but only share `part` of `parts` of the chunks of /features (featureShare),
// written into their rows of `out`, which spans the whole table (the rest of it is not touched):
// the ranks of a node each decode a share of the node's copy. Chunks stored with at most shuffle
// and deflate are decoded outside HDF5 (h5::ChunkDecoder); the values are those HDF5 reads.
// Error(Io) naming the file for a damaged chunk. `before`, when given, is called with the values
// of the share before any is written (e.g. to map their pages at once). Returns the rows written.
FeatureShare readFeatureTableShare(const std::string& path, std::span<float> out, int part, int parts,
                                   const std::function<void(std::span<float>)>& before = {});

}  // namespace hepsweep::io
