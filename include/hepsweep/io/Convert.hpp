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
#include "hepsweep/io/InputReader.hpp"
#include "hepsweep/io/RootFile.hpp"
#include "hepsweep/io/TextReader.hpp"

namespace hepsweep::io {

// Class of an input file: decided by the file, or per row from the label column. With --class
// (several named classes) an input's class is its class index k >= 0, stored as InputClass{k}:
// the values of /labels, where class 0 and 1 of a binary file are Background and Signal.
enum class InputClass : std::int8_t { Background = 0, Signal = 1, FromLabelColumn = -1 };

// --class NAME=FILE[,FILE...]: one named class of a multi-class file, in the order given.
struct ClassFiles {
  std::string name;
  std::vector<std::string> files;
};
// At most this many classes (labels are int8).
inline constexpr std::size_t kMaxClasses = 100;

struct ConvertOptions {
  std::vector<std::string> signalFiles;      // --signal: every row is signal
  std::vector<std::string> backgroundFiles;  // --background: every row is background
  std::vector<std::string> labelledFiles;    // positional: class from --label column
  std::vector<ClassFiles> classes;           // --class: three or more named classes (multi-class file)
  std::string labelColumn;                   // --label
  std::string signalValue = "1";             // --signal-value
  // --multi-class / --class-names: the --label column holds the class of each row of a
  // multi-class file: its index 0 .. K-1 (an integer), or with classNames one of the names.
  // K = classNames.size(), or without names the largest index + 1 (names "0", "1", ...); every
  // class must have rows (no gaps) and K >= 3.
  bool multiClassLabels = false;
  std::vector<std::string> classNames;       // --class-names (implies multiClassLabels)
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
  std::vector<std::string> classNames;  // multi-class (--class) only: one per class
  std::vector<std::int64_t> classRows;  // rows of each class
  std::vector<double> classWeights;     // sum of weights of each class
  std::int64_t otherLabelValues = 0;    // rows whose label text was beyond that list
  double seconds = 0;
  std::size_t threads = 0;  // threads that compressed the output (the calling one included)
  static constexpr std::size_t kMaxLabelCounts = 32;
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
