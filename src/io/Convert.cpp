#include "hepsweep/io/Convert.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>
#include <span>
#include <sstream>
#include <unordered_set>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/OrderedPipeline.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/io/Columns.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/data/LabelCopy.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/io/RootFile.hpp"

namespace hepsweep::io {

namespace {

namespace fs = std::filesystem;

// What convert knows of an input before reading its rows. Like a text file, whose header is read
// and which is opened again when its rows are read, a ROOT tree is parsed here for its columns and
// released: only the input being read holds an open file and its baskets.
struct InputFile {
  std::string path;
  InputClass cls;
  std::vector<std::string> header;
  std::vector<std::string> unreadable;  // ROOT branches that cannot be read (left out by --drop)
};

// A ROOT tree's readable columns are its header. Branches it cannot read are errors when a
// column option names them, or when they would be features by default (so that no column is
// left out silently); --drop or --features leaves them aside.
void openRootInput(InputFile& in, const RootInputSpec& spec, const ConvertOptions& o,
                   std::vector<std::string>& warnings) {
  const RootTree t = RootFile(spec.file).tree(spec.tree);
  in.header = t.columnNames();
  for (const auto& u : t.unsupported()) in.unreadable.push_back(u.name);
  if (!t.friendWarning().empty()) warnings.push_back(t.friendWarning());
  const auto refuse = [&](const RootUnsupportedBranch& u, const std::string& why) { throwInput(t.refusal(u) + why); };
  const std::pair<const std::string*, const char*> named[] = {
      {&o.labelColumn, "--label"}, {&o.weightColumn, "--weight"}, {&o.idColumn, "--id"}};
  for (const auto& [col, opt] : named)
    if (!col->empty() && t.column(*col) < 0)
      if (const auto* u = t.unsupportedBranch(*col)) refuse(*u, std::string(" (named by ") + opt + ")");
  for (const auto& f : o.features)
    if (t.column(f) < 0)
      if (const auto* u = t.unsupportedBranch(f)) refuse(*u, " (named by --features)");
  if (o.features.empty())
    for (const auto& u : t.unsupported()) {
      const bool dropped = std::find(o.drop.begin(), o.drop.end(), u.name) != o.drop.end();
      const bool special = u.name == o.labelColumn || u.name == o.weightColumn || u.name == o.idColumn;
      if (!dropped && !special)
        refuse(u, "; leave it out with --drop " + str::shellQuote(u.name) + " or choose columns with --features");
    }
}

void checkOutputWritable(const std::string& output) {
  fs::path dir = fs::path(output).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throwIo("cannot write output '" + output + "': directory '" + dir.string() + "' does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throwIo("cannot write output '" + output + "': directory '" + dir.string() + "' is not writable (" +
            std::strerror(errno) + ")");
  if (fs::is_directory(output, ec)) throwIo("cannot write output '" + output + "': it is a directory");
}

// --class: named classes by file, alone (no other way of giving classes), three or more.
void validateClasses(const ConvertOptions& o) {
  if (!o.signalFiles.empty() || !o.backgroundFiles.empty() || !o.labelledFiles.empty() || !o.labelColumn.empty())
    throwConfig("--class gives every class by its files; it cannot be combined with --signal, --background, "
                "--label or positional input files");
  if (o.classes.size() < 3)
    throwConfig("--class given for " + std::to_string(o.classes.size()) +
                " class(es); a multi-class file needs three or more (for two classes use --signal and --background)");
  if (o.classes.size() > kMaxClasses)
    throwConfig("--class given for " + std::to_string(o.classes.size()) + " classes; at most " +
                std::to_string(kMaxClasses) + " are supported");
  std::set<std::string> names;
  for (const ClassFiles& c : o.classes) {
    if (c.name.empty()) throwConfig("--class needs NAME=FILE[,FILE...]; a class has an empty name");
    if (!names.insert(c.name).second) throwConfig("--class names the class " + str::quoted(c.name) + " twice");
    if (c.files.empty()) throwConfig("--class " + str::quoted(c.name) + " has no files");
  }
}

// --multi-class / --class-names: classes from the --label column.
void validateLabelClasses(const ConvertOptions& o) {
  const std::string opt = o.classNames.empty() ? "--multi-class" : "--class-names";
  if (!o.classes.empty() || !o.signalFiles.empty() || !o.backgroundFiles.empty())
    throwConfig(opt + " takes the classes from the --label column; it cannot be combined with --class, --signal or "
                "--background (which give the class by file)");
  if (o.labelColumn.empty()) throwConfig(opt + " needs --label COLUMN, the column that holds each row's class");
  if (!o.classNames.empty() && o.classNames.size() < 3)
    throwConfig("--class-names gives " + std::to_string(o.classNames.size()) +
                " class(es); a multi-class file needs three or more (for two classes use --label with --signal-value)");
  if (o.classNames.size() > kMaxClasses)
    throwConfig("--class-names gives " + std::to_string(o.classNames.size()) + " classes; at most " +
                std::to_string(kMaxClasses) + " are supported");
  std::set<std::string> names;
  for (const std::string& n : o.classNames) {
    if (n.empty()) throwConfig("--class-names has an empty name");
    if (!names.insert(n).second) throwConfig("--class-names names the class " + str::quoted(n) + " twice");
  }
}

void validateOptions(const ConvertOptions& o) {
  if (o.output.empty()) throwConfig("no output file: pass -o OUT.h5");
  if (!o.classes.empty() && !(o.multiClassLabels || !o.classNames.empty())) validateClasses(o);
  if (o.multiClassLabels || !o.classNames.empty()) validateLabelClasses(o);
  const bool byFile = !o.signalFiles.empty() || !o.backgroundFiles.empty();
  if (byFile && !o.labelledFiles.empty())
    throwConfig("give either --signal/--background files (class by file) or input files with --label COLUMN "
                "(class from a column), not both; positional inputs: " +
                str::join(o.labelledFiles, ", "));
  if (byFile && !o.labelColumn.empty())
    throwConfig("--label " + str::quoted(o.labelColumn) +
                " takes the class from a column, but --signal/--background already give it by file; "
                "pass the input files without --signal/--background, or drop --label");
  if (!byFile && o.labelledFiles.empty() && o.classes.empty())
    throwConfig("no input files: pass --signal FILE... --background FILE..., or FILE... --label COLUMN");
  if (!o.labelledFiles.empty() && o.labelColumn.empty())
    throwConfig("input files given without --signal/--background need --label COLUMN to say which rows are signal");
  if (byFile && o.signalFiles.empty()) throwConfig("no --signal files (both classes are needed)");
  if (byFile && o.backgroundFiles.empty()) throwConfig("no --background files (both classes are needed)");
  if (!o.features.empty() && !o.drop.empty()) throwConfig("give --features or --drop, not both");
  if (o.threads < 0 || o.threads > kMaxConvertThreads)
    throwConfig("--threads " + std::to_string(o.threads) + " is not in 1-" + std::to_string(kMaxConvertThreads));
  if (!o.missingFeatures.empty() && !o.missingValue)
    throwConfig("--missing-features needs --missing VALUE (the marker those features use)");
  const std::pair<const char*, const std::string*> special[] = {
      {"--label", &o.labelColumn}, {"--weight", &o.weightColumn}, {"--id", &o.idColumn}};
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = i + 1; j < 3; ++j)
      if (!special[i].second->empty() && *special[i].second == *special[j].second)
        throwConfig(std::string(special[i].first) + " and " + special[j].first + " name the same column " +
                    str::quoted(*special[i].second));
  for (const auto& [opt, name] : special) {
    if (name->empty()) continue;
    if (std::find(o.features.begin(), o.features.end(), *name) != o.features.end())
      throwConfig("column " + str::quoted(*name) + " is the " + opt + " column and cannot also be in --features");
  }
  std::set<std::string> seen;
  for (const auto& f : o.features)
    if (!seen.insert(f).second) throwConfig("--features lists " + str::quoted(f) + " twice");
}

// Chunks of about 1 MiB of features (at most 4096 rows): big enough for good compression and
// few HDF5 calls, small enough that the output buffers stay negligible.
std::size_t chunkRowsFor(std::size_t nFeatures) {
  const std::size_t rows = (1u << 20) / (sizeof(float) * std::max<std::size_t>(nFeatures, 1));
  return std::clamp<std::size_t>(rows, 64, 4096);
}

// The feature columns, in output order, from the headers of all inputs.
std::vector<std::string> chooseFeatures(const ConvertOptions& o, const std::vector<InputFile>& inputs) {
  std::unordered_set<std::string> special;
  for (const auto* s : {&o.labelColumn, &o.weightColumn, &o.idColumn})
    if (!s->empty()) special.insert(*s);

  const auto has = [](const InputFile& f, const std::string& c) {
    return std::find(f.header.begin(), f.header.end(), c) != f.header.end();
  };

  // Columns every file must have.
  for (const auto& in : inputs) {
    std::vector<std::pair<std::string, std::string>> required;
    if (in.cls == InputClass::FromLabelColumn) required.emplace_back(o.labelColumn, "--label");
    if (!o.weightColumn.empty()) required.emplace_back(o.weightColumn, "--weight");
    if (!o.idColumn.empty()) required.emplace_back(o.idColumn, "--id");
    for (const auto& f : o.features) required.emplace_back(f, "--features");
    for (const auto& [col, opt] : required)
      if (!has(in, col))
        throwInput("file '" + in.path + "' has no column " + str::quoted(col) + " (named by " + opt + ")" +
                   str::didYouMean(col, in.header));
  }
  if (!o.features.empty()) return o.features;

  for (const auto& d : o.drop) {
    const bool anywhere = std::any_of(inputs.begin(), inputs.end(), [&](const InputFile& f) {
      return has(f, d) || std::find(f.unreadable.begin(), f.unreadable.end(), d) != f.unreadable.end();
    });
    if (!anywhere)
      throwConfig("--drop names column " + str::quoted(d) + ", which no input file has" +
                  str::didYouMean(d, inputs.front().header));
  }
  const auto candidates = [&](const InputFile& f) {
    std::vector<std::string> out;
    for (const auto& c : f.header)
      if (!special.count(c) && std::find(o.drop.begin(), o.drop.end(), c) == o.drop.end()) out.push_back(c);
    return out;
  };

  std::vector<std::string> features = candidates(inputs.front());
  if (o.commonColumns) {
    std::erase_if(features, [&](const std::string& c) {
      return !std::all_of(inputs.begin(), inputs.end(), [&](const InputFile& f) { return has(f, c); });
    });
  } else {
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      const auto mine = candidates(inputs[i]);
      for (const auto& c : features)
        if (!has(inputs[i], c))
          throwInput("file '" + inputs[i].path + "' has no column " + str::quoted(c) + " (which '" +
                     inputs.front().path + "' has)" + str::didYouMean(c, inputs[i].header) +
                     "; pass --common-columns to keep only the columns all inputs share, or --drop it");
      for (const auto& c : mine)
        if (std::find(features.begin(), features.end(), c) == features.end())
          throwInput("file '" + inputs.front().path + "' has no column " + str::quoted(c) + " (which '" +
                     inputs[i].path + "' has); pass --common-columns to keep only the columns all inputs "
                     "share, or --drop it");
    }
  }
  if (features.empty())
    throwInput("no feature columns left in '" + inputs.front().path + "' after removing label, weight, id" +
               (o.drop.empty() ? std::string() : " and --drop") + " columns" +
               (o.commonColumns ? " and keeping only the columns common to all inputs" : ""));
  return features;
}

// The class index of a multi-class label field: an integer 0 .. K-1, or one of the class names.
class ClassLabelRule {
 public:
  explicit ClassLabelRule(const ConvertOptions& o) : names_(o.classNames), column_(o.labelColumn) {}
  // `where`: the input and row, for the error.
  std::int8_t classOf(std::string_view raw, const std::string& where) const {
    const std::string_view text = str::trim(raw);
    for (std::size_t k = 0; k < names_.size(); ++k)
      if (text == names_[k]) return static_cast<std::int8_t>(k);
    const std::size_t limit = names_.empty() ? kMaxClasses : names_.size();
    double d = 0;
    if (tryParseDouble(text, d) && d >= 0 && d < static_cast<double>(limit) && d == std::floor(d))
      return static_cast<std::int8_t>(d);
    throwInput(where + ": label column " + str::quoted(column_) + " holds " + str::quoted(text) +
               (names_.empty() ? ", which is not a class index (an integer from 0 to " + std::to_string(limit - 1) +
                                     "; give --class-names to use names)"
                               : ", which is neither a class index 0-" + std::to_string(limit - 1) +
                                     " nor a class name (--class-names " + str::join(names_, ",") + ")"));
  }

 private:
  std::vector<std::string> names_;
  std::string column_;
};

// Decides signal/background from the text of a label field, and counts the distinct values.
class LabelRule {
 public:
  explicit LabelRule(const std::string& signalValue) : value_(str::trim(signalValue)) {
    numeric_ = tryParseDouble(value_, number_);
  }
  bool isSignal(std::string_view text) {
    if (!counts_.empty() && counts_[last_].value == text) {
      ++counts_[last_].count;
      return counts_[last_].signal;
    }
    for (std::size_t i = 0; i < counts_.size(); ++i)
      if (counts_[i].value == text) {
        last_ = i;
        ++counts_[i].count;
        return counts_[i].signal;
      }
    const bool sig = decide(text);
    if (counts_.size() < ConvertSummary::kMaxLabelCounts) {
      counts_.push_back({std::string(text), sig, 1});
      last_ = counts_.size() - 1;
    } else {
      ++others_;
    }
    return sig;
  }
  const std::vector<LabelCount>& counts() const { return counts_; }
  std::int64_t others() const { return others_; }

 private:
  bool decide(std::string_view text) const {
    if (text == value_) return true;
    double d = 0;
    return numeric_ && tryParseDouble(text, d) && d == number_;
  }
  std::string value_;
  bool numeric_ = false;
  double number_ = 0;
  std::vector<LabelCount> counts_;
  std::size_t last_ = 0;
  std::int64_t others_ = 0;
};

std::string shortDouble(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// One chunk of output rows and, once compressed, the filtered bytes of each dataset's chunk.
struct RowChunk {
  std::size_t rows = 0;
  std::vector<float> features, weights;
  std::vector<std::int8_t> labels;
  std::vector<std::int64_t> ids;
  std::array<std::vector<std::byte>, 4> filtered;  // features, labels, weights, ids
};

template <class T>
std::span<const std::byte> rowBytes(const std::vector<T>& v, std::size_t n) {
  return std::as_bytes(std::span(v.data(), n));
}

// Output rows on their way to the file: features, label, weight and (optionally) id, one chunk
// at a time. Every input, text or ROOT, fills it through push(). A full chunk goes to the
// pipeline: `threads` threads shuffle and deflate it (each dataset's chunk on its own, so the
// bytes do not depend on the thread count), and the calling thread writes the chunks whole, in
// row order, as they come back.
class ChunkBuffer {
 public:
  ChunkBuffer(h5::File& f, std::size_t nFeatures, std::size_t chunkRows, bool ids, int deflateLevel,
              std::size_t threads)
      : nf_(nFeatures),
        capacity_(chunkRows),
        featOut_(f, "features", nFeatures, chunkRows, deflateLevel),
        labelOut_(f, "labels", 0, chunkRows, deflateLevel),
        weightOut_(f, "weights", 0, chunkRows, deflateLevel),
        idOut_(ids ? std::make_optional<h5::ChunkWriter<std::int64_t>>(f, "ids", 0, chunkRows, deflateLevel)
                   : std::nullopt),
        compressors_(compressorsFor(threads, deflateLevel)),
        // One chunk per compressing thread, the one being filled, and one done or queued.
        pipeline_(threads, threads == 1 ? 1 : threads + 2, [this](RowChunk& c, std::size_t slot) { compress(c, slot); },
                  [this](RowChunk& c) { write(c); }) {
    startChunk();
  }
  // Where the caller writes the features of the row that the next push() completes.
  float* nextRow() { return chunk_->features.data() + n_ * nf_; }
  // Completes that row, counts its class into `in` and `sum`, and hands the chunk over when full.
  // `label` is 1 (signal) or 0 (background), or the class index of a multi-class file, which
  // is counted per class into `sum` (classRows not empty).
  void push(std::int8_t label, float weight, std::int64_t id, ConvertedInput& in, ConvertSummary& sum) {
    chunk_->labels[n_] = label;
    chunk_->weights[n_] = weight;
    if (idOut_) chunk_->ids[n_] = id;
    if (!sum.classRows.empty()) {
      ++sum.classRows[static_cast<std::size_t>(label)];
      sum.classWeights[static_cast<std::size_t>(label)] += weight;
    } else if (label == 1) {
      ++in.nSignal;
      sum.sumWeightsSignal += weight;
    } else {
      ++in.nBackground;
      sum.sumWeightsBackground += weight;
    }
    if (++n_ == capacity_) handOver();
  }
  // Writes every row pushed so far.
  void flush() {
    if (n_ > 0) handOver();
    pipeline_.finish();
  }

 private:
  static std::vector<h5::ChunkCompressor> compressorsFor(std::size_t threads, int level) {
    std::vector<h5::ChunkCompressor> c;
    for (std::size_t i = 0; i < threads; ++i) c.emplace_back(level);
    return c;
  }
  void startChunk() {
    chunk_ = &pipeline_.current();
    chunk_->features.resize(capacity_ * nf_);
    chunk_->labels.resize(capacity_);
    chunk_->weights.resize(capacity_);
    if (idOut_) chunk_->ids.resize(capacity_);
    n_ = 0;
  }
  void handOver() {
    chunk_->rows = n_;
    pipeline_.submit();
    startChunk();
  }
  // On a pipeline thread: only the chunk itself and this thread's compressor are touched.
  void compress(RowChunk& c, std::size_t slot) {
    h5::ChunkCompressor& z = compressors_[slot];
    z.compress(rowBytes(c.features, c.rows * nf_), featOut_.chunkBytes(), sizeof(float), c.filtered[0]);
    z.compress(rowBytes(c.labels, c.rows), labelOut_.chunkBytes(), sizeof(std::int8_t), c.filtered[1]);
    z.compress(rowBytes(c.weights, c.rows), weightOut_.chunkBytes(), sizeof(float), c.filtered[2]);
    if (idOut_) z.compress(rowBytes(c.ids, c.rows), idOut_->chunkBytes(), sizeof(std::int64_t), c.filtered[3]);
  }
  // On the calling thread, in row order.
  void write(const RowChunk& c) {
    featOut_.write(c.filtered[0], c.rows);
    labelOut_.write(c.filtered[1], c.rows);
    weightOut_.write(c.filtered[2], c.rows);
    if (idOut_) idOut_->write(c.filtered[3], c.rows);
  }

  std::size_t nf_, capacity_, n_ = 0;
  h5::ChunkWriter<float> featOut_;
  h5::ChunkWriter<std::int8_t> labelOut_;
  h5::ChunkWriter<float> weightOut_;
  std::optional<h5::ChunkWriter<std::int64_t>> idOut_;
  std::vector<h5::ChunkCompressor> compressors_;  // one per pipeline slot
  OrderedPipeline<RowChunk> pipeline_;            // last: its threads stop before the rest goes
  RowChunk* chunk_ = nullptr;                     // the chunk being filled
};

// Rows of one input (text or ROOT) into the chunk buffer, with convert's checks.
// After the rows of --multi-class / --class-names: names, K >= 3 and no class without rows.
void checkLabelClasses(const ConvertOptions& o, ConvertSummary& sum) {
  const std::size_t k = sum.classRows.size();
  const auto seen = [&] {
    std::string s;
    for (std::size_t c = 0; c < k; ++c)
      if (sum.classRows[c] > 0) s += (s.empty() ? "" : ", ") + std::to_string(c) + " x" + std::to_string(sum.classRows[c]);
    return s;
  };
  if (k < 3)
    throwInput("--multi-class: label column " + str::quoted(o.labelColumn) + " holds the class indices " + seen() +
               ": fewer than three classes; for two classes drop --multi-class (signal: --signal-value)");
  if (sum.classNames.empty())
    for (std::size_t c = 0; c < k; ++c) sum.classNames.push_back(std::to_string(c));
  for (std::size_t c = 0; c < k; ++c)
    if (sum.classRows[c] == 0)
      throwInput("label column " + str::quoted(o.labelColumn) + " has no row of class " + std::to_string(c) + " (" +
                 str::quoted(sum.classNames[c]) + "); the classes must be 0-" + std::to_string(k - 1) +
                 " without gaps (rows per class index: " + seen() + ")");
}

ConvertedInput readRows(const InputFile& in, const ConvertOptions& o, const std::vector<std::string>& features,
                        LabelRule& labelRule, const ClassLabelRule* classRule, ConvertSummary& sum, ChunkBuffer& out, data::LabelCopyFinder& labelCopies,
                        std::size_t threads, const Logger& log) {
  // With threads to spare, the input's SHA-256 is one more thread, off the reading thread's path.
  InputReader r = InputReader::open(in.path, o.separator, o.blockSize, threads > 1);
  const std::size_t nf = features.size();
  std::vector<std::size_t> cols;
  for (const auto& f : features) cols.push_back(r.requireColumn(f, "--features"));
  const bool byLabel = in.cls == InputClass::FromLabelColumn;
  const bool hasWeights = !o.weightColumn.empty();
  const bool hasIds = !o.idColumn.empty();
  const std::size_t labelAt = cols.size();
  if (byLabel) cols.push_back(r.requireColumn(o.labelColumn, "--label"));
  const std::size_t weightAt = cols.size();
  if (hasWeights) cols.push_back(r.requireColumn(o.weightColumn, "--weight"));
  const std::size_t idAt = cols.size();
  if (hasIds) cols.push_back(r.requireColumn(o.idColumn, "--id"));

  ConvertedInput ci;
  ci.path = in.path;
  ci.inputClass = in.cls;
  ci.separator = r.separatorName();
  if (const RootTree* tree = r.tree()) {
    const RootTree& t = *tree;
    ci.absolutePath = fs::absolute(t.filePath()).lexically_normal().string() + ":" + t.name();
    ci.format = "root";
    ci.tree = t.name();
    log.debug("convert: reading " + t.where() + " (" + std::to_string(t.entries()) + " entries, " +
              std::to_string(t.columns().size()) + " columns)");
    if (t.entries() == 0) throwInput(t.where() + " has no entries");
  } else {
    ci.absolutePath = fs::absolute(in.path).lexically_normal().string();
    ci.format = "text";
    log.debug("convert: reading '" + in.path + "' (" + ci.separator + "-separated, " +
              std::to_string(r.columnNames().size()) + " columns)");
  }

  r.select(cols);
  while (r.next()) {
    float* row = out.nextRow();
    for (std::size_t j = 0; j < nf; ++j) row[j] = r.feature(j, o.allowNonFinite);
    // By file, the class is the input's: Signal (1), Background (0) or a class index.
    std::int8_t label = static_cast<std::int8_t>(in.cls);
    if (byLabel && classRule) {
      const std::string_view text = r.text(labelAt);
      label = classRule->classOf(text, [&] { return r.where() + " row " + std::to_string(r.rowsRead()); }());
      // Without --class-names the number of classes is known at the end: grow as indices appear.
      if (static_cast<std::size_t>(label) >= sum.classRows.size()) {
        sum.classRows.resize(static_cast<std::size_t>(label) + 1, 0);
        sum.classWeights.resize(static_cast<std::size_t>(label) + 1, 0.0);
      }
    } else if (byLabel) {
      label = labelRule.isSignal(r.text(labelAt)) ? 1 : 0;
    }
    const float w = hasWeights ? r.weight(weightAt) : 1.0f;
    const std::int64_t id = hasIds ? r.integer(idAt) : 0;
    if (sum.classRows.empty() && !classRule) labelCopies.add({row, nf}, static_cast<float>(label));
    out.push(label, w, id, ci, sum);
  }
  ci.rows = r.rowsRead();
  if (ci.rows == 0) throwInput("file '" + in.path + "' has a header line but no data rows");
  ci.gzipped = r.gzipped();
  ci.decompressSeconds = r.decompressSeconds();
  ci.sha256 = r.finishChecksum();
  log.debug("convert: " + r.where() + ": " + std::to_string(ci.rows) + " rows" +
            (r.isRoot() ? ", " + std::to_string(r.basketBytesRead()) + " basket bytes read, " +
                           std::to_string(ci.decompressSeconds) + " s decompressing"
                     : std::string()) +
            ", sha256 " + ci.sha256);
  return ci;
}

}  // namespace

std::size_t defaultConvertThreads() {
  // The CPUs this process may run on: a batch system that gives the job a few cores of a node
  // (Slurm's cpusets, taskset) sets this mask, where hardware_concurrency() counts the whole node.
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  return static_cast<std::size_t>(std::clamp(cpus, 1, kMaxDefaultConvertThreads));
}

ConvertSummary convert(const ConvertOptions& o, const Logger& log) {
  const auto t0 = std::chrono::steady_clock::now();
  validateOptions(o);
  checkOutputWritable(o.output);

  // Headers first (one block per file), so that column problems are reported before any output.
  std::vector<InputFile> inputs;
  for (const auto& p : o.signalFiles) inputs.push_back({p, InputClass::Signal, {}, {}});
  for (const auto& p : o.backgroundFiles) inputs.push_back({p, InputClass::Background, {}, {}});
  for (const auto& p : o.labelledFiles) inputs.push_back({p, InputClass::FromLabelColumn, {}, {}});
  for (std::size_t k = 0; k < o.classes.size(); ++k)
    for (const auto& p : o.classes[k].files) inputs.push_back({p, static_cast<InputClass>(k), {}, {}});
  std::vector<std::string> warnings;
  for (auto& in : inputs) {
    if (const auto spec = parseRootInputSpec(in.path)) openRootInput(in, *spec, o, warnings);
    else in.header = TextReader(in.path, o.separator, 64 * 1024).header();
  }
  for (const auto& w : warnings) log.warning("convert: " + w);

  const std::vector<std::string> features = chooseFeatures(o, inputs);
  const std::size_t nf = features.size();
  for (const auto& m : o.missingFeatures)
    if (std::find(features.begin(), features.end(), m) == features.end())
      throwConfig("--missing-features names " + str::quoted(m) + ", which is not a feature" +
                  str::didYouMean(m, features));

  ConvertSummary sum;
  sum.output = o.output;
  sum.weightColumn = o.weightColumn;
  sum.featureNames = features;
  sum.warnings = warnings;
  for (const ClassFiles& c : o.classes) sum.classNames.push_back(c.name);
  sum.classRows.assign(o.classes.size(), 0);
  sum.classWeights.assign(o.classes.size(), 0.0);
  LabelRule labelRule(o.signalValue);
  const bool labelClasses = o.multiClassLabels || !o.classNames.empty();
  const ClassLabelRule classRule(o);
  if (labelClasses) {
    sum.classNames = o.classNames;
    sum.classRows.assign(o.classNames.size(), 0);
    sum.classWeights.assign(o.classNames.size(), 0.0);
  }
  const bool hasWeights = !o.weightColumn.empty();
  const bool hasIds = !o.idColumn.empty();
  const std::size_t chunkRows = chunkRowsFor(nf);
  sum.threads = o.threads > 0 ? static_cast<std::size_t>(o.threads) : defaultConvertThreads();

  data::LabelCopyFinder labelCopies(nf);
  h5::writeAtomically(o.output, [&](h5::File& f) {
    ChunkBuffer out(f, nf, chunkRows, hasIds, o.compressionLevel, sum.threads);
    for (const auto& in : inputs) {
      ConvertedInput ci =
          readRows(in, o, features, labelRule, labelClasses ? &classRule : nullptr, sum, out, labelCopies, sum.threads, log);
      sum.nSignal += ci.nSignal;
      sum.nBackground += ci.nBackground;
      sum.rows += ci.rows;
      sum.inputs.push_back(std::move(ci));
    }
    out.flush();

    if (labelClasses) checkLabelClasses(o, sum);
    if (sum.classRows.empty() && (sum.nSignal == 0 || sum.nBackground == 0)) {
      std::string msg = std::string("no ") + (sum.nSignal == 0 ? "signal" : "background") + " rows in the input";
      if (!o.labelColumn.empty()) {
        msg += ": label column " + str::quoted(o.labelColumn) + " values";
        for (const auto& lc : labelRule.counts())
          msg += " " + str::quoted(lc.value) + " x" + std::to_string(lc.count) + (lc.signal ? " (signal)" : " (background)");
        msg += "; signal is the value " + str::quoted(o.signalValue) + " (--signal-value)";
      }
      throwInput(msg);
    }

    f.writeStrings("feature_names", features);
    if (o.missingValue) {
      f.setAttr("missing_value", static_cast<double>(*o.missingValue), "features");
      f.writeStrings("missing_features", o.missingFeatures.empty() ? features : o.missingFeatures);
    }
    f.setAttr("has_weights", std::int64_t{hasWeights ? 1 : 0});
    f.setAttr("has_ids", std::int64_t{hasIds ? 1 : 0});
    if (hasWeights) f.setAttr("weight_column", o.weightColumn, "weights");
    if (hasIds) f.setAttr("id_column", o.idColumn, "ids");
    if (!o.labelColumn.empty()) {
      f.setAttr("label_column", o.labelColumn, "labels");
      if (!labelClasses) f.setAttr("signal_value", o.signalValue, "labels");
    }
    if (sum.classNames.empty()) {
      f.setAttr("n_signal", sum.nSignal);
      f.setAttr("n_background", sum.nBackground);
    } else {
      // Multi-class: /labels holds class indices; the names and counts say which is which.
      f.setAttr("n_classes", static_cast<std::int64_t>(sum.classNames.size()));
      f.writeStrings("class_names", sum.classNames);
      f.write<std::int64_t>("class_rows", sum.classRows, false);
    }
    f.setAttr("format", std::string(kDatasetFormat));
    f.setAttr("format_version", kDatasetFormatVersion);

    h5::Group prov = f.createGroup("provenance");
    h5::writeColumns(prov, sum.inputs, h5::Deflate::Off, h5::column<std::string>("input_paths", &ConvertedInput::path),
                     h5::column<std::string>("input_absolute_paths", &ConvertedInput::absolutePath),
                     h5::column<std::string>("input_sha256", &ConvertedInput::sha256),
                     h5::column<std::string>("input_separator", &ConvertedInput::separator),
                     h5::column<std::int64_t>("input_rows", &ConvertedInput::rows),
                     h5::column<std::int8_t>("input_class", &ConvertedInput::inputClass));
    prov.setAttr("command_line", o.commandLine);
    prov.setAttr("compression_level", std::int64_t{o.compressionLevel});
    prov.setAttr("version", versionString());
    prov.setAttr("created", utcTimestamp());
    prov.setAttr("format", std::string(kDatasetFormat));
    prov.setAttr("format_version", kDatasetFormatVersion);
  });

  for (const data::LabelCopy& c : labelCopies.copies()) {
    const std::string w = data::labelCopyMessage(features[c.feature], c) + "; leave it out (--drop " +
                          str::quoted(features[c.feature]) + ") or a classifier trained on it will be perfect and useless";
    log.warning("convert: " + w);
    sum.warnings.push_back(w);
  }
  sum.labelCounts = labelRule.counts();
  sum.otherLabelValues = labelRule.others();
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

std::string summaryText(const ConvertSummary& s) {
  std::string counts = std::to_string(s.nSignal) + " signal, " + std::to_string(s.nBackground) + " background";
  if (!s.classNames.empty()) {
    counts.clear();
    for (std::size_t k = 0; k < s.classNames.size(); ++k)
      counts += (k ? ", " : "") + std::to_string(s.classRows[k]) + " " + s.classNames[k];
  }
  std::string t = "Converted " + std::to_string(s.rows) + " rows (" + counts + ") with " + std::to_string(s.featureNames.size()) +
                  " features from " + std::to_string(s.inputs.size()) + " file" + (s.inputs.size() == 1 ? "" : "s") +
                  " into '" + s.output + "' in " + fixed2(s.seconds) + " s.";
  if (!s.labelCounts.empty()) {
    t += " Label values:";
    for (std::size_t i = 0; i < s.labelCounts.size(); ++i) {
      const auto& lc = s.labelCounts[i];
      t += std::string(i ? "," : "") + " " + str::quoted(lc.value) + " -> " + (lc.signal ? "signal" : "background") +
           " (" + std::to_string(lc.count) + " rows)";
    }
    if (s.otherLabelValues) t += ", " + std::to_string(s.otherLabelValues) + " rows with other values";
    t += ".";
  }
  if (!s.weightColumn.empty() && !s.classNames.empty()) {
    t += " Sum of weights (" + str::quoted(s.weightColumn) + "):";
    for (std::size_t k = 0; k < s.classNames.size(); ++k)
      t += std::string(k ? "," : "") + " " + s.classNames[k] + " " + shortDouble(s.classWeights[k]);
    t += ".";
  } else if (!s.weightColumn.empty()) {
    t += " Sum of weights (" + str::quoted(s.weightColumn) + "): signal " + shortDouble(s.sumWeightsSignal) +
         ", background " + shortDouble(s.sumWeightsBackground) + ".";
  }
  for (const auto& in : s.inputs) {
    const auto k = static_cast<std::size_t>(in.inputClass);
    // A multi-class file's inputs are one class each (--class), or labelled row by row (--multi-class).
    const std::string cls = in.inputClass == InputClass::FromLabelColumn ? "labelled"
                            : !s.classNames.empty()                   ? "class " + s.classNames[k]
                            : in.inputClass == InputClass::Signal     ? "signal"
                            : in.inputClass == InputClass::Background ? "background"
                                                                      : "labelled";
    const std::string how = in.format == "root" ? "ROOT tree " + str::quoted(in.tree) : in.separator;
    t += " '" + in.path + "': " + std::to_string(in.rows) + " rows (" + cls + ", " + how + ").";
  }
  for (const auto& w : s.warnings) t += " Warning: " + w + ".";
  return t;
}

}  // namespace hepsweep::io
