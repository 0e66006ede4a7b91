#include "hepsweep/io/DatasetFile.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::io {

namespace {

[[noreturn]] void notADataset(const std::string& path, const std::string& what) {
  throwInput("'" + path + "' is not a hepsweep dataset file: " + what +
             " (such files are written by `hepsweep convert`; layout in docs/hdf5-layout.md)");
}

struct Opened {
  h5::File file;
  DatasetInfo info;
};

std::int64_t intAttrOr(const h5::Group& g, const std::string& name, std::int64_t fallback, const std::string& obj = "") {
  return g.hasAttr(name, obj) ? g.attrInt(name, obj) : fallback;
}

Opened open(const std::string& path) {
  Opened o{h5::File::open(path), {}};
  const h5::File& f = o.file;
  DatasetInfo& info = o.info;
  info.path = path;

  if (!f.hasAttr("format")) notADataset(path, "the root attribute 'format' is missing");
  const std::string format = f.attrString("format");
  if (format != kDatasetFormat)
    notADataset(path, "the root attribute 'format' is " + str::quoted(format) + ", expected " +
                          str::quoted(kDatasetFormat));
  info.formatVersion = intAttrOr(f, "format_version", 0);
  if (info.formatVersion < 1 || info.formatVersion > kDatasetFormatVersion)
    throwInput("'" + path + "' has dataset format_version " + std::to_string(info.formatVersion) +
               "; this hepsweep reads version " + std::to_string(kDatasetFormatVersion) +
               (info.formatVersion > kDatasetFormatVersion ? " (the file was written by a newer hepsweep)" : ""));

  std::vector<std::string> missing;
  for (const char* name : {"features", "labels", "weights", "feature_names"})
    if (!f.exists(name)) missing.push_back(name);
  if (!missing.empty()) notADataset(path, "missing dataset(s) " + str::join(missing, ", "));

  const auto fshape = f.shape("features");
  if (fshape.size() != 2)
    notADataset(path, "'features' has " + std::to_string(fshape.size()) + " dimensions, expected 2 (rows x features)");
  info.rows = static_cast<std::int64_t>(fshape[0]);
  info.featureNames = f.readStrings("feature_names");
  if (info.featureNames.size() != fshape[1])
    notADataset(path, "'feature_names' has " + std::to_string(info.featureNames.size()) + " entries but 'features' has " +
                          std::to_string(fshape[1]) + " columns");
  const auto checkRows = [&](const char* name) {
    const auto s = f.shape(name);
    if (s.size() != 1 || static_cast<std::int64_t>(s[0]) != info.rows)
      notADataset(path, std::string("'") + name + "' does not have one entry per row of 'features' (" +
                            std::to_string(info.rows) + ")");
  };
  checkRows("labels");
  checkRows("weights");
  info.hasIds = f.exists("ids");
  if (info.hasIds) {
    checkRows("ids");
    if (f.hasAttr("id_column", "ids")) info.idColumn = f.attrString("id_column", "ids");
  }
  info.hasWeights = intAttrOr(f, "has_weights", 1) != 0;
  if (f.hasAttr("weight_column", "weights")) info.weightColumn = f.attrString("weight_column", "weights");
  if (f.hasAttr("label_column", "labels")) info.labelColumn = f.attrString("label_column", "labels");
  if (f.hasAttr("missing_value", "features")) {
    info.missingValue = static_cast<float>(f.attrDouble("missing_value", "features"));
    info.missingFeatures = f.exists("missing_features") ? f.readStrings("missing_features") : info.featureNames;
  }
  info.nSignal = intAttrOr(f, "n_signal", 0);
  info.nBackground = intAttrOr(f, "n_background", 0);
  if (f.hasAttr("n_classes")) {
    const std::int64_t k = f.attrInt("n_classes");
    if (k < 3 || k > 127 || !f.exists("class_names"))
      notADataset(path, "root attribute 'n_classes' is " + std::to_string(k) +
                            " (a multi-class file has 3 to 127 classes and a 'class_names' dataset)");
    info.classNames = f.readStrings("class_names");
    if (static_cast<std::int64_t>(info.classNames.size()) != k)
      notADataset(path, "'class_names' has " + std::to_string(info.classNames.size()) + " entries but 'n_classes' is " +
                            std::to_string(k));
    if (f.exists("class_rows")) info.classRows = f.read<std::int64_t>("class_rows");
  }

  if (f.exists("provenance")) {
    const h5::Group p = f.openGroup("provenance");
    if (p.exists("input_paths")) info.inputPaths = p.readStrings("input_paths");
    if (p.exists("input_absolute_paths")) info.inputAbsolutePaths = p.readStrings("input_absolute_paths");
    if (p.exists("input_sha256")) info.inputSha256 = p.readStrings("input_sha256");
    if (p.exists("input_rows")) info.inputRows = p.read<std::int64_t>("input_rows");
    if (p.exists("input_class")) info.inputClass = p.read<std::int8_t>("input_class");
    if (p.hasAttr("command_line")) info.commandLine = p.attrString("command_line");
    if (p.hasAttr("version")) info.version = p.attrString("version");
    if (p.hasAttr("created")) info.created = p.attrString("created");
  }
  return o;
}

// Column positions of the requested features (all, in file order, when none are requested).
std::vector<std::size_t> selectColumns(const DatasetInfo& info, const std::vector<std::string>& wanted) {
  std::vector<std::size_t> cols;
  if (wanted.empty()) {
    for (std::size_t j = 0; j < info.featureNames.size(); ++j) cols.push_back(j);
    return cols;
  }
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t j = 0; j < info.featureNames.size(); ++j) index.emplace(info.featureNames[j], j);
  std::vector<std::string> unknown;
  for (const auto& w : wanted) {
    const auto it = index.find(w);
    if (it == index.end()) {
      unknown.push_back(w);
      continue;
    }
    if (std::find(cols.begin(), cols.end(), it->second) != cols.end())
      throwInput("feature " + str::quoted(w) + " is requested twice from '" + info.path + "'");
    cols.push_back(it->second);
  }
  if (!unknown.empty())
    throwInput("'" + info.path + "' has no feature " + str::quoted(unknown.front()) +
               str::didYouMean(unknown.front(), info.featureNames) +
               (unknown.size() > 1 ? " (nor " + str::join(std::span(unknown).subspan(1), ", ") + ")" : std::string()) +
               "; it has " +
               std::to_string(info.featureNames.size()) + " features: " + str::join(info.featureNames, ", "));
  return cols;
}

// A label outside the file's classes: 0/1 for a binary file, 0 .. n_classes - 1 for a multi-class one.
void checkLabel(const DatasetInfo& info, std::size_t row, std::int8_t label) {
  const std::size_t k = info.classNames.size();
  if (k == 0 ? (label != 0 && label != 1) : (label < 0 || static_cast<std::size_t>(label) >= k))
    throwInput("'" + info.path + "': labels[" + std::to_string(row) + "] is " + std::to_string(label) +
               (k == 0 ? std::string(", expected 0 (background) or 1 (signal)")
                       : ", expected a class index from 0 to " + std::to_string(k - 1) + " (n_classes = " +
                             std::to_string(k) + ")"));
}

// Labels, weights, ids, names and missing-value information of rows [first, first + count), for
// the columns `cols`; the feature matrix is left empty (count x 0).
data::Dataset loadColumns(const Opened& o, const std::vector<std::size_t>& cols, std::int64_t first, std::int64_t count) {
  const DatasetInfo& info = o.info;
  const auto f0 = static_cast<std::size_t>(first), n = static_cast<std::size_t>(count);
  data::Dataset d;
  for (auto c : cols) d.featureNames.push_back(info.featureNames[c]);
  d.classNames = info.classNames;

  const auto labels = o.file.readRows<std::int8_t>("labels", f0, n);
  d.labels.resize(count);
  for (std::size_t i = 0; i < n; ++i) {
    checkLabel(info, f0 + i, labels[i]);
    d.labels[static_cast<Eigen::Index>(i)] = labels[i];
  }
  const auto weights = o.file.readRows<float>("weights", f0, n);
  d.weights = Eigen::Map<const Eigen::VectorXf>(weights.data(), count);
  if (info.hasIds) d.ids = o.file.readRows<std::int64_t>("ids", f0, n);

  if (info.missingValue) {
    std::vector<std::string> used;
    for (const auto& name : d.featureNames)
      if (std::find(info.missingFeatures.begin(), info.missingFeatures.end(), name) != info.missingFeatures.end())
        used.push_back(name);
    // Dataset's convention: an empty list with a marker means "all features use it".
    if (!used.empty()) {
      d.missingValue = info.missingValue;
      if (used.size() != d.featureNames.size()) d.missingFeatures = std::move(used);
    }
  }
  return d;
}

data::Dataset load(const std::string& path, std::int64_t first, std::int64_t count, bool wholeFile,
                   const std::vector<std::string>& wanted) {
  Opened o = open(path);
  const DatasetInfo& info = o.info;
  if (wholeFile) {
    first = 0;
    count = info.rows;
  }
  if (first < 0 || count < 0 || first > info.rows || count > info.rows - first)
    throwInput("rows [" + std::to_string(first) + ", " + std::to_string(first + count) + ") requested from '" + path +
               "', which has " + std::to_string(info.rows) + " rows");
  const auto cols = selectColumns(info, wanted);
  const auto n = static_cast<std::size_t>(count);
  const std::size_t nAll = info.featureNames.size();

  data::Dataset d = loadColumns(o, cols, first, count);
  const std::vector<float> raw = o.file.readRows<float>("features", static_cast<std::size_t>(first), n);
  d.features.resize(count, static_cast<Eigen::Index>(cols.size()));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < cols.size(); ++j)
      d.features(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = raw[i * nAll + cols[j]];
  return d;
}

}  // namespace

DatasetInfo readDatasetInfo(const std::string& path) { return open(path).info; }

data::Dataset readDataset(const std::string& path, const std::vector<std::string>& features) {
  return load(path, 0, 0, true, features);
}

data::Dataset readDatasetRows(const std::string& path, std::int64_t first, std::int64_t count,
                              const std::vector<std::string>& features) {
  return load(path, first, count, false, features);
}

namespace {

// The block of rows a chunk-aligned read covers: whole chunks of the feature table.
std::size_t blockRowsOf(const h5::BlockReader<float>& table) {
  return table.chunkRows() > 0 ? table.chunkRows() : static_cast<std::size_t>(16384);
}

}  // namespace

struct DatasetRows::Impl {
  Opened opened;
  std::vector<std::size_t> cols;
  data::Dataset columns;
  h5::BlockReader<float> table;
  std::size_t blockRows = 0;
  // The last block read: successive reads of ascending rows share the block at their boundary.
  mutable std::vector<float> block;
  mutable std::int64_t cachedBlock = -1;
  mutable std::int64_t blocksRead = 0;

  const float* loadBlock(std::int64_t b) const {
    if (b != cachedBlock) {
      const std::size_t first = static_cast<std::size_t>(b) * blockRows;
      const std::size_t count = std::min(blockRows, table.rows() - first);
      block.resize(blockRows * table.cols());
      table.read(first, count, block.data());
      cachedBlock = b;
      ++blocksRead;
    }
    return block.data();
  }
};

DatasetRows::DatasetRows(const std::string& path, const std::vector<std::string>& features) {
  Opened o = open(path);
  h5::BlockReader<float> table(o.file, "features");
  auto cols = selectColumns(o.info, features);
  data::Dataset columns = loadColumns(o, cols, 0, o.info.rows);
  columns.features.resize(0, static_cast<Eigen::Index>(cols.size()));
  const std::size_t blockRows = blockRowsOf(table);
  impl_ = std::make_unique<Impl>(Impl{std::move(o), std::move(cols), std::move(columns), std::move(table), blockRows, {}, -1, 0});
}

DatasetRows::~DatasetRows() = default;

const data::Dataset& DatasetRows::columns() const { return impl_->columns; }
std::int64_t DatasetRows::rows() const { return impl_->opened.info.rows; }
std::int64_t DatasetRows::blocksRead() const { return impl_->blocksRead; }
std::int64_t DatasetRows::blockRows() const { return static_cast<std::int64_t>(impl_->blockRows); }

void DatasetRows::read(std::span<const data::Index> rows, data::FeatureMatrix& out) const {
  const Impl& im = *impl_;
  const std::int64_t total = im.opened.info.rows;
  const std::size_t nAll = im.table.cols();
  out.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(im.cols.size()));
  // Visit the requested rows in file order, so that every block is read once.
  std::vector<std::size_t> order(rows.size());
  bool sorted = true;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= total)
      throw Error(ErrorCategory::Internal, "row " + std::to_string(rows[i]) + " requested from '" + im.opened.info.path +
                                               "', which has " + std::to_string(total) + " rows");
    order[i] = i;
    sorted = sorted && (i == 0 || rows[i - 1] <= rows[i]);
  }
  if (!sorted) std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rows[a] < rows[b]; });
  const auto blockRows = static_cast<std::int64_t>(im.blockRows);
  for (const std::size_t i : order) {
    const std::int64_t r = rows[i];
    const float* src = im.loadBlock(r / blockRows) + static_cast<std::size_t>(r % blockRows) * nAll;
    float* dst = out.row(static_cast<Eigen::Index>(i)).data();
    for (std::size_t j = 0; j < im.cols.size(); ++j) dst[j] = src[im.cols[j]];
  }
}

void readFeatureTable(const std::string& path, std::span<float> out) { readFeatureTableShare(path, out, 0, 1); }

FeatureShare featureShare(std::int64_t rows, std::int64_t chunkRows, int part, int parts) {
  if (parts < 1 || part < 0 || part >= parts || rows < 0 || chunkRows < 1)
    throw Error(ErrorCategory::Internal, "featureShare: part " + std::to_string(part) + " of " + std::to_string(parts));
  const std::int64_t chunks = (rows + chunkRows - 1) / chunkRows;
  const std::int64_t c0 = chunks * part / parts, c1 = chunks * (part + 1) / parts;
  return {std::min(rows, c0 * chunkRows), std::min(rows, c1 * chunkRows)};
}

FeatureShare readFeatureTableShare(const std::string& path, std::span<float> out, int part, int parts,
                                   const std::function<void(std::span<float>)>& before) {
  const Opened o = open(path);
  const h5::ChunkReader<float> chunks(o.file, "features");
  const h5::BlockReader<float> table(o.file, "features");
  const std::size_t rows = table.rows(), cols = table.cols();
  if (out.size() != rows * cols)
    throw Error(ErrorCategory::Internal, "readFeatureTable: " + std::to_string(out.size()) + " values for the " +
                                             std::to_string(rows) + " x " + std::to_string(cols) + " table of '" +
                                             path + "'");
  const std::size_t step = chunks.decodable() ? chunks.chunkRows() : blockRowsOf(table);
  const FeatureShare share = featureShare(static_cast<std::int64_t>(rows), static_cast<std::int64_t>(step), part, parts);
  const auto first = static_cast<std::size_t>(share.first), end = static_cast<std::size_t>(share.end);
  if (before) before(out.subspan(first * cols, (end - first) * cols));
  if (!chunks.decodable()) {
    // Other filters or layouts: HDF5 reads (and decompresses) whole chunks, one block at a time.
    for (std::size_t r = first; r < end; r += step) table.read(r, std::min(step, end - r), out.data() + r * cols);
    return share;
  }
  // Chunks decoded outside HDF5 (libdeflate) straight into their rows; only the file's last chunk,
  // padded past the table's end, goes through a buffer.
  h5::ChunkDecoder decoder;
  h5::ChunkReader<float>::Stored stored;
  std::vector<float> last;
  for (std::size_t r = first; r < end; r += step) {
    const std::size_t c = r / step, n = std::min(step, rows - r);
    float* dst = out.data() + r * cols;
    if (n < step) {
      last.resize(step * cols);
      dst = last.data();
    }
    try {
      if (!chunks.readPlain(c, dst)) {
        chunks.readStored(c, stored);
        chunks.decode(stored, decoder, dst);
      }
    } catch (const Error& e) {
      throw Error(e.category(), std::string(e.what()) + " (chunk " + std::to_string(c) + ": rows " + std::to_string(r) +
                                    "-" + std::to_string(r + n - 1) + ")");
    }
    if (n < step) std::copy(last.begin(), last.begin() + static_cast<std::ptrdiff_t>(n * cols), out.data() + r * cols);
  }
  return share;
}

}  // namespace hepsweep::io

namespace hepsweep::io {

namespace {

// The decoding of one chunk into its place in a block, for whichever thread takes it.
struct DecodeTask {
  std::function<void(h5::ChunkDecoder&)> run;
};

// One dataset of the file read in blocks of rows: through h5::ChunkReader when its chunks can be
// decoded here, else through HDF5 (h5::BlockReader).
template <class T>
class BlockColumn {
 public:
  BlockColumn(const h5::File& f, const std::string& name) : chunks_(f, name), plain_(f, name) {
    if (chunks_.decodable()) perChunk_ = chunks_.chunkRows() * chunks_.cols();
  }
  std::size_t cols() const { return plain_.cols(); }

  // Rows [first, first + count) into `dst`: what needs HDF5 now (the stored bytes, or the whole
  // read when not decodable), the decoding as tasks for any thread.
  void plan(std::size_t first, std::size_t count, T* dst, std::vector<DecodeTask>& tasks) {
    if (!chunks_.decodable()) {
      plain_.read(first, count, dst);
      return;
    }
    const std::size_t cr = chunks_.chunkRows(), w = chunks_.cols();
    const std::size_t end = first + count;
    // Every task keeps a reference to its stored bytes: size the buffers before taking any.
    if (stored_.size() < count / cr + 2) stored_.resize(count / cr + 2);
    std::size_t used = 0;
    for (std::size_t c = first / cr; c * cr < end; ++c) {
      const std::size_t lo = std::max(first, c * cr), hi = std::min(end, (c + 1) * cr);
      T* out = dst + (lo - first) * w;
      if (c == cached_) {  // the chunk the previous block ended in, decoded then
        std::copy(cache_.begin() + static_cast<std::ptrdiff_t>((lo - c * cr) * w),
                  cache_.begin() + static_cast<std::ptrdiff_t>((hi - c * cr) * w), out);
        continue;
      }
      const bool whole = lo == c * cr && hi == (c + 1) * cr;
      if (whole && chunks_.readPlain(c, out)) continue;  // an unfiltered chunk is its values
      typename h5::ChunkReader<T>::Stored& s = stored_[used++];
      chunks_.readStored(c, s);
      if (whole) {
        tasks.push_back({[this, &s, out](h5::ChunkDecoder& d) { chunks_.decode(s, d, out); }});
        continue;
      }
      // A block that ends inside a chunk keeps it decoded for the next block (ascending reads);
      // one that starts inside a chunk not kept decodes it into a scratch buffer of its own.
      std::vector<T>& into = hi < (c + 1) * cr ? cache_ : head_;
      into.resize(perChunk_);
      if (&into == &cache_) cached_ = c;
      tasks.push_back({[this, &s, &into, out, skip = (lo - c * cr) * w, n = (hi - lo) * w](h5::ChunkDecoder& d) {
        chunks_.decode(s, d, into.data());
        std::copy(into.begin() + static_cast<std::ptrdiff_t>(skip), into.begin() + static_cast<std::ptrdiff_t>(skip + n), out);
      }});
    }
  }

 private:
  h5::ChunkReader<T> chunks_;
  h5::BlockReader<T> plain_;
  std::size_t perChunk_ = 0;
  std::vector<typename h5::ChunkReader<T>::Stored> stored_;
  std::vector<T> cache_, head_;
  std::size_t cached_ = static_cast<std::size_t>(-1);
};

}  // namespace

struct DatasetBlocks::Impl {
  Opened opened;
  int threads;
  BlockColumn<float> features;
  BlockColumn<std::int8_t> labels;
  BlockColumn<float> weights;
  std::optional<BlockColumn<std::int64_t>> ids;
  std::vector<float> featureBuf, weightBuf;
  std::vector<std::int8_t> labelBuf;
  std::vector<std::int64_t> idBuf;
  std::vector<h5::ChunkDecoder> decoders;
  std::vector<DecodeTask> tasks;

  Impl(Opened o, int nThreads)
      : opened(std::move(o)), threads(nThreads), features(opened.file, "features"), labels(opened.file, "labels"),
        weights(opened.file, "weights") {
    if (opened.info.hasIds) ids.emplace(opened.file, "ids");
    decoders.resize(static_cast<std::size_t>(threads));
  }

  // The tasks on up to `threads` threads (this one included), taken in order from a shared counter.
  void runTasks() {
    const std::size_t n = tasks.size();
    const std::size_t workers = std::min(static_cast<std::size_t>(threads), n);
    if (workers <= 1) {
      for (DecodeTask& t : tasks) t.run(decoders[0]);
      return;
    }
    const std::size_t helpers = workers - 1;
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(helpers + 1);
    const auto work = [&](std::size_t who) {
      try {
        for (std::size_t i; (i = next.fetch_add(1)) < n;) tasks[i].run(decoders[who]);
      } catch (...) {
        errors[who] = std::current_exception();
        next.store(n);
      }
    };
    std::vector<std::thread> pool;
    pool.reserve(helpers);
    for (std::size_t h = 1; h <= helpers; ++h) pool.emplace_back(work, h);
    work(0);
    for (std::thread& t : pool) t.join();
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
  }
};

DatasetBlocks::DatasetBlocks(const std::string& path, int threads) {
  if (threads < 1) throw Error(ErrorCategory::Internal, "DatasetBlocks: " + std::to_string(threads) + " threads");
  impl_ = std::make_unique<Impl>(open(path), threads);
}

DatasetBlocks::~DatasetBlocks() = default;

const DatasetInfo& DatasetBlocks::info() const { return impl_->opened.info; }

DatasetBlocks::Block DatasetBlocks::read(std::int64_t first, std::int64_t count) {
  Impl& im = *impl_;
  const DatasetInfo& info = im.opened.info;
  if (first < 0 || count < 0 || first > info.rows || count > info.rows - first)
    throw Error(ErrorCategory::Internal, "rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                                             ") requested from '" + info.path + "', which has " +
                                             std::to_string(info.rows) + " rows");
  const auto f0 = static_cast<std::size_t>(first), n = static_cast<std::size_t>(count);
  const std::size_t width = im.features.cols();
  if (im.featureBuf.size() < n * width) im.featureBuf.resize(n * width);
  if (im.labelBuf.size() < n) im.labelBuf.resize(n);
  if (im.weightBuf.size() < n) im.weightBuf.resize(n);
  if (im.ids && im.idBuf.size() < n) im.idBuf.resize(n);
  im.tasks.clear();
  im.features.plan(f0, n, im.featureBuf.data(), im.tasks);
  im.labels.plan(f0, n, im.labelBuf.data(), im.tasks);
  im.weights.plan(f0, n, im.weightBuf.data(), im.tasks);
  if (im.ids) im.ids->plan(f0, n, im.idBuf.data(), im.tasks);
  im.runTasks();
  for (std::size_t i = 0; i < n; ++i) checkLabel(info, f0 + i, im.labelBuf[i]);
  Block b;
  b.first = first;
  b.rows = count;
  b.features = im.featureBuf.data();
  b.labels = im.labelBuf.data();
  b.weights = im.weightBuf.data();
  b.ids = im.ids ? im.idBuf.data() : nullptr;
  return b;
}

}  // namespace hepsweep::io
