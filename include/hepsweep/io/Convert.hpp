#pragma once
// `hepsweep convert`: text/CSV ntuples (plain or .gz) and flat ROOT TTrees ("file.root:tree", read
// by io/RootFile.hpp) -> one HDF5 dataset file (layout in docs/hdf5-layout.md). The inputs are streamed: each file is read once, in blocks, and rows go to
// the output in chunks, so memory does not grow with the input size. The output is written under
// a temporary name and renamed only when everything succeeded; on any error no file is left.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hepsweep/core/Log.hpp"
#include "hepsweep/io/RootFile.hpp"
#include "hepsweep/io/TextReader.hpp"

namespace hepsweep::io {

// Class of an input file: decided by the file, or per row from the label column.
enum class InputClass : std::int8_t { Background = 0, Signal = 1, FromLabelColumn = -1 };

struct ConvertOptions {
  std::vector<std::string> signalFiles;      // --signal: every row is signal
  std::vector<std::string> backgroundFiles;  // --background: every row is background
  std::vector<std::string> labelledFiles;    // positional: class from --label column
  std::string labelColumn;                   // --label
  std::string signalValue = "1";             // --signal-value
  std::string weightColumn;                  // --weight (empty: all weights 1)
  std::string idColumn;                      // --id (empty: no ids)
  std::vector<std::string> features;         // --features: exactly these, in this order
  std::vector<std::string> drop;             // --drop: all others except these
  std::optional<float> missingValue;         // --missing
  std::vector<std::string> missingFeatures;  // --missing-features (empty: all features)
  Separator separator;                       // --sep
  bool commonColumns = false;                // --common-columns
  bool allowNonFinite = false;               // --allow-nonfinite
  int compressionLevel = 1;                  // --compression-level: deflate 1-9 of the output, 0 none
  int threads = 0;                           // --threads: compressing the output (0: defaultConvertThreads())
  std::string output;                        // -o
  std::string commandLine;                   // recorded in /provenance
  std::size_t blockSize = 1 << 20;           // input read size
};

struct ConvertedInput {
  std::string path;          // as given
  std::string absolutePath;  // made absolute (not resolving symlinks)
  std::string sha256;        // of the raw file bytes, as sha256sum prints it
  InputClass inputClass = InputClass::FromLabelColumn;
  std::string separator;  // the separator used, as Separator::describe() names it; "root" for ROOT
  std::string format;     // "text" or "root"
  std::string tree;       // ROOT: the tree read ("dir/name"); the absolute path ends in ":tree"
  double decompressSeconds = 0;  // ROOT: time spent decompressing baskets
  bool gzipped = false;
  std::int64_t rows = 0;
  std::int64_t nSignal = 0;
  std::int64_t nBackground = 0;
};

// How often each distinct label text occurred (label-column mode), for the summary.
struct LabelCount {
  std::string value;
  bool signal = false;
  std::int64_t count = 0;
};

struct ConvertSummary {
  std::string output;
  std::string weightColumn;  // empty: all weights are 1
  std::vector<std::string> featureNames;
  std::vector<ConvertedInput> inputs;
  std::vector<std::string> warnings;  // e.g. friend trees that were not followed
  std::int64_t rows = 0;
  std::int64_t nSignal = 0;
  std::int64_t nBackground = 0;
  double sumWeightsSignal = 0;
  double sumWeightsBackground = 0;
  std::vector<LabelCount> labelCounts;  // at most kMaxLabelCounts distinct values listed
  std::int64_t otherLabelValues = 0;    // rows whose label text was beyond that list
  double seconds = 0;
  std::size_t threads = 0;  // threads that compressed the output (the calling one included)
  static constexpr std::size_t kMaxLabelCounts = 32;
};

// One input of `convert` or `apply`, read row by row through the same interface whether it is a
// text ntuple (plain or .gz; only the selected fields are parsed) or a flat ROOT tree (only the
// selected branches are decompressed, one basket per branch in memory). Values come out with the
// checks convert applies: float32 features (finite unless allowed), finite weights, integer ids;
// errors name the file (and tree), the line or entry, and the column.
class RowReader {
 public:
  // A text file, or a ROOT input "file.root:tree" / "file.root" (see parseRootInputSpec).
  // hashInBackground: finishSha256's hash is computed on a thread of its own while the rows are
  // read (text: the bytes as they are read; ROOT: a sequential read of the file from select() on).
  static RowReader open(const std::string& input, const Separator& separator, std::size_t blockSize = 1 << 20,
                        bool hashInBackground = false);
  ~RowReader();
  RowReader(RowReader&&) noexcept;
  RowReader& operator=(RowReader&&) noexcept;

  const std::string& input() const;  // as given
  bool isRoot() const;
  // The parsed tree, for its unreadable branches and friend warning; null for text inputs and
  // after select() (the reader then keeps only what the selected branches need).
  const RootTree* tree() const;
  // "file 'x.csv'" or "file 'f.root', tree 'T'", for messages.
  std::string where() const;
  // The text header, or the tree's readable columns ("x[0]", "x[1]" for array branches).
  const std::vector<std::string>& columnNames() const;
  std::ptrdiff_t column(std::string_view name) const;
  // Index of column `name`, or Error(Input) naming the input, the column, `namedBy` (the option
  // that asked for it) and the closest name; a ROOT branch this reader cannot read is named
  // with its class and the reason.
  std::size_t requireColumn(const std::string& name, const std::string& namedBy) const;

  // The columns that next() reads, by index into columnNames(); the accessors below take the
  // position `k` in this list. Call once, before the first next().
  void select(std::vector<std::size_t> columns);
  // Advances to the next row; false after the last one.
  bool next();
  // The float32 of the k-th selected column of the current row: Error(Input) for text that is not
  // a number, values outside the float32 range, and NaN/inf unless allowNonFinite.
  float feature(std::size_t k, bool allowNonFinite) const;
  // As feature(), always finite (weights).
  float weight(std::size_t k) const;
  // An integer (ids); Error(Input) for text or values that are not integers.
  std::int64_t integer(std::size_t k) const;
  // The value as text (labels): the field itself, or a ROOT value printed as convert compares it.
  std::string_view text(std::size_t k);
  std::int64_t rowsRead() const;

  // After next() returned false: hex SHA-256 of the file's bytes (the ROOT file for trees).
  std::string finishSha256();
  // Text: how fields were separated ("comma", ...); ROOT: "root".
  std::string separatorName() const;
  bool gzipped() const;
  double decompressSeconds() const;  // ROOT: seconds spent decompressing baskets
  std::uint64_t basketBytesRead() const;  // ROOT: compressed basket bytes read

  struct Impl;

 private:
  explicit RowReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The default of ConvertOptions::threads: the CPUs this process may run on (its affinity mask,
// which batch systems restrict to the job's cores), at most kMaxDefaultConvertThreads. Reading and
// parsing the inputs is one thread; beyond that, more threads only compress the output, and at
// the default level a few keep up with the reader.
inline constexpr int kMaxDefaultConvertThreads = 4;
// Each thread holds about 2 MB of chunks; more than a few only wait for the reading thread.
inline constexpr int kMaxConvertThreads = 64;
std::size_t defaultConvertThreads();

// Runs the conversion. Throws Error(Config) for inconsistent options, Error(Input) for bad data
// (naming file, line, column and the offending text), Error(Io) for unreadable inputs or an
// unwritable output. Progress goes to `log` at Debug level.
ConvertSummary convert(const ConvertOptions& options, const Logger& log = {});

// "convert: 1644 signal + 3355 background rows, 30 features -> out.h5 (0.4 s)" and details.
std::string summaryText(const ConvertSummary& s);

}  // namespace hepsweep::io
