// apply's output files: HDF5 (datasets growing block by block, attributes and provenance at the
// end) or CSV, each written to a temporary that becomes the output when complete.
#include "ApplyOutput.hpp"

#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <thread>

#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/io/Columns.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::model::detail {

std::string shortest(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string shortest(float v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string passName(double eff) { return "pass_at_" + shortest(eff); }

namespace {

namespace h5 = io::h5;

// A field of a CSV line, quoted when it holds a separator, a quote or a line break.
std::string csvField(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Deflate level of the output datasets. Scores are close to incompressible (level 4 keeps 77 % of
// their bytes, level 1 78 %) and level 1 deflates about 1.5x faster: at level 4 the output's
// deflate was a fifth of apply's time on an uncompressed input.
constexpr int kOutputDeflate = 1;
constexpr std::size_t kOutputChunkRows = 8192;

// Whole chunks of the output's datasets waiting to be filtered (shuffle + deflate, by libdeflate:
// about 3x zlib's speed, which HDF5's own filter uses) and written as they are (H5Dwrite_chunk).
// They are filtered on up to `threads` threads, each chunk on its own, so the bytes do not depend
// on the thread count; the threads live for one run() and end with it (none waits, spinning,
// between blocks). The chunks are written in the order they were queued, on the calling thread.
class ChunkQueue {
 public:
  struct Chunk {
    std::vector<std::byte> raw, filtered;
    std::size_t rows = 0, chunkBytes = 0, elemSize = 0;
    std::function<void(const Chunk&)> write;
  };
  explicit ChunkQueue(int threads) {
    for (int t = 0; t < threads; ++t) compressors_.emplace_back(kOutputDeflate, true);
  }
  // A chunk to fill in, queued for the next run().
  Chunk& add() {
    if (queued_ == chunks_.size()) chunks_.emplace_back();
    return chunks_[queued_++];
  }
  void run() {
    const std::size_t n = queued_;
    const std::size_t workers = std::min(compressors_.size(), n);
    const auto compress = [&](std::size_t i, std::size_t who) {
      Chunk& c = chunks_[i];
      compressors_[who].compress(c.raw, c.chunkBytes, c.elemSize, c.filtered);
    };
    if (workers <= 1) {
      for (std::size_t i = 0; i < n; ++i) compress(i, 0);
    } else {
      std::atomic<std::size_t> next{0};
      std::vector<std::exception_ptr> errors(workers);
      const auto work = [&](std::size_t who) {
        try {
          for (std::size_t i; (i = next.fetch_add(1)) < n;) compress(i, who);
        } catch (...) {
          errors[who] = std::current_exception();
          next.store(n);
        }
      };
      std::vector<std::thread> helpers;
      for (std::size_t w = 1; w < workers; ++w) helpers.emplace_back(work, w);
      work(0);
      for (std::thread& t : helpers) t.join();
      for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);
    }
    queued_ = 0;
    for (std::size_t i = 0; i < n; ++i) chunks_[i].write(chunks_[i]);
  }

 private:
  std::vector<h5::ChunkCompressor> compressors_;  // one per thread
  std::deque<Chunk> chunks_;  // reused from block to block; a deque: add() keeps references valid
  std::size_t queued_ = 0;
};

// One output dataset (chunks of kOutputChunkRows rows, shuffle + deflate at kOutputDeflate, as
// h5::RowAppender lays it out): rows gathered into whole chunks, which go through the queue.
template <class T>
class OutColumn {
 public:
  OutColumn(const h5::Group& g, const std::string& name, std::size_t cols, ChunkQueue& q)
      : writer_(g, name, cols, kOutputChunkRows, kOutputDeflate), queue_(q), width_(std::max<std::size_t>(cols, 1)) {}
  void append(const T* rows, std::size_t n) {
    while (n > 0) {
      fill_.resize(writer_.chunkBytes());
      const std::size_t take = std::min(n, kOutputChunkRows - filled_);
      std::memcpy(fill_.data() + filled_ * width_ * sizeof(T), rows, take * width_ * sizeof(T));
      filled_ += take;
      rows += take * width_;
      n -= take;
      if (filled_ == kOutputChunkRows) hand();
    }
  }
  // Queues the rows of a last, partial chunk.
  void flush() {
    if (filled_ > 0) hand();
  }

 private:
  void hand() {
    ChunkQueue::Chunk& c = queue_.add();
    std::swap(c.raw, fill_);  // fill_ takes the memory of a chunk written before
    c.raw.resize(filled_ * width_ * sizeof(T));  // the compressor pads a last chunk with zeros
    c.rows = filled_;
    c.chunkBytes = writer_.chunkBytes();
    c.elemSize = sizeof(T);
    c.write = [this](const ChunkQueue::Chunk& done) { writer_.write(done.filtered, done.rows); };
    filled_ = 0;
  }

  h5::ChunkWriter<T> writer_;
  ChunkQueue& queue_;
  std::size_t width_;
  std::vector<std::byte> fill_;  // the chunk being filled: filled_ rows
  std::size_t filled_ = 0;
};

class Hdf5Writer final : public Writer {
 public:
  Hdf5Writer(const std::string& output, const Layout& l, const ApplyOptions& o, const std::string& modelSha)
      : out_(output), layout_(l), options_(o), modelSha_(modelSha) {
    file_ = std::make_unique<h5::File>(h5::File::create(out_.temporary().string()));
    columns_ = std::make_unique<Columns>(*file_, l, o.threads);
  }
  // Members are destroyed in reverse order: on an error the datasets (columns_) close before
  // their file (file_), and the file before out_ removes the temporary.

  void append(const Block& b) override {
    try {
      appendRows(b);
    } catch (const Error& e) {
      throw Error(e.category(), h5::nameTarget(e.what(), out_));
    }
  }

  void appendRows(const Block& b) { columns_->append(b); }

  void finish(const ApplySummary& s) override {
    try {
      writeAttributesAndClose(s);
    } catch (const Error& e) {
      throw Error(e.category(), h5::nameTarget(e.what(), out_));
    }
    file_.reset();
    out_.commit();
  }

 private:
  void writeAttributesAndClose(const ApplySummary& s) {
    const h5::File& f = *file_;
    f.setAttr("format", std::string("hepsweep-scores"));
    // 2: the input checksums are /provenance/input_<kind> with the kind in input_checksum (1: input_sha256).
    f.setAttr("format_version", std::int64_t{2});
    f.setAttr("mode", std::string(layout_.outOfFold ? "out_of_fold" : "ensemble"));
    f.setAttr("folds", static_cast<std::int64_t>(layout_.folds));
    f.setAttr("model", options_.modelPath);
    f.setAttr("model_sha256", modelSha_);
    f.setAttr("has_ids", static_cast<std::int64_t>(layout_.ids));
    f.setAttr("has_labels", static_cast<std::int64_t>(layout_.labels));
    const bool multi = layout_.classes() > 1;
    const std::string what = multi ? "softmax probabilities (one column per class, /class_names order)" : "sigmoid score";
    f.setAttr("score", std::string(layout_.outOfFold
        ? what + " of the fold model that never trained on the event (fold); held-out test events (fold = -1): mean of the fold models"
        : "mean of the fold models' " + what));
    if (multi) {
      f.setAttr("classes", static_cast<std::int64_t>(layout_.classes()));
      f.writeStrings("class_names", layout_.classNames);
    }
    if (layout_.ids) f.setAttr("id_column", layout_.idColumn, "ids");
    if (layout_.perFold)
      f.setAttr("columns", std::string(multi ? "fold 0 class 0, fold 0 class 1, ..., fold 1 class 0, ... (column k * classes + c: "
                                               "model of fold k, class c; reshape to (rows, folds, classes))"
                                             : "fold 0, fold 1, ... (model of fold k)"), "fold_scores");
    if (layout_.outOfFold) f.setAttr("meaning", std::string("fold model that scored the event; -1 = held-out test event, ensemble mean"), "fold");
    for (std::size_t w = 0; w < layout_.efficiencies.size(); ++w) {
      const std::string name = passName(layout_.efficiencies[w]);
      f.setAttr("signal_efficiency", layout_.efficiencies[w], name);
      f.setAttr("threshold", layout_.thresholds[w], name);
      f.setAttr("cut", std::string("score >= threshold (threshold measured on the model's held-out test set)"), name);
    }
    if (!layout_.keep.empty())
      f.setAttr("meaning", std::string("input columns kept by --keep, as float32, one dataset per column"), "kept");
    columns_->finish();
    const h5::Group p = f.createGroup("provenance");
    const std::string checksum = toString(options_.checksum);
    h5::writeColumns(p, s.inputs, h5::Deflate::Off, h5::column<std::string>("input_paths", &AppliedInput::path),
                     h5::column<std::string>("input_" + checksum, &AppliedInput::checksum),
                     h5::column<std::int64_t>("input_rows", &AppliedInput::rows));
    // Which of input_xxh128 / input_sha256 the file has, for readers that accept either.
    p.setAttr("input_checksum", checksum);
    p.setAttr("command_line", options_.commandLine);
    p.setAttr("version", versionString());
    p.setAttr("created", utcTimestamp());
    p.setAttr("model", options_.modelPath);
    p.setAttr("model_sha256", modelSha_);
    // Datasets before their file: HDF5 crashes closing a dataset whose file failed to close (a
    // full disk shows first at the file's close).
    columns_.reset();
    file_->close();
  }

  // The output's datasets, growing block by block; optional ones exist as the layout asks.
  struct Columns {
    template <class T>
    using Column = std::optional<OutColumn<T>>;
    Columns(const h5::Group& f, const Layout& l, int threads) : chunks(threads) {
      const auto make = [&](auto& a, const h5::Group& g, const std::string& name, std::size_t cols = 0) {
        a.emplace(g, name, cols, chunks);
      };
      const auto classes = static_cast<std::size_t>(l.classes());
      make(score, f, "score", classes > 1 ? classes : 0);
      if (l.perFold) make(perFold, f, "fold_scores", static_cast<std::size_t>(l.folds) * classes);
      if (l.outOfFold) make(fold, f, "fold");
      if (l.ids) make(ids, f, "ids");
      if (l.labels) {
        make(labels, f, "labels");
        make(weights, f, "weights");
      }
      for (double e : l.efficiencies) make(pass.emplace_back(), f, passName(e));
      if (!l.keep.empty()) {
        const h5::Group g = f.createGroup("kept");
        for (const std::string& name : l.keep) make(kept.emplace_back(), g, name);
      }
    }
    void append(const Block& b) {
      const auto n = static_cast<std::size_t>(b.rows);
      score->append(b.score.data(), n);
      if (perFold) perFold->append(b.perFold.data(), n);
      if (fold) fold->append(b.fold.data(), n);
      if (ids) ids->append(b.ids, n);
      if (labels) {
        labels->append(b.labels, n);
        weights->append(b.weights, n);
      }
      for (std::size_t w = 0; w < pass.size(); ++w) pass[w]->append(b.pass[w].data(), n);
      for (std::size_t c = 0; c < kept.size(); ++c) kept[c]->append(b.kept.col(static_cast<Eigen::Index>(c)).data(), n);
      chunks.run();
    }
    // The rows of every dataset's last, partial chunk.
    void finish() {
      score->flush();
      if (perFold) perFold->flush();
      if (fold) fold->flush();
      if (ids) ids->flush();
      if (labels) {
        labels->flush();
        weights->flush();
      }
      for (auto& p : pass) p->flush();
      for (auto& k : kept) k->flush();
      chunks.run();
    }
    ChunkQueue chunks;  // first: the columns' writers refer to it
    // Declared in the reverse of the order they close in (pass first, weights last), the order
    // the output was always closed in.
    Column<float> weights;
    Column<std::int8_t> labels;
    Column<std::int64_t> ids;
    Column<std::int8_t> fold;
    Column<float> perFold, score;
    std::vector<Column<float>> kept;
    std::vector<Column<std::int8_t>> pass;
  };

  AtomicOutput out_;
  Layout layout_;
  const ApplyOptions& options_;
  std::string modelSha_;
  std::unique_ptr<h5::File> file_;
  std::unique_ptr<Columns> columns_;
};

class CsvWriter final : public Writer {
 public:
  CsvWriter(const std::string& output, const Layout& l) : file_(output), layout_(l) {
    out_.open(file_.temporary(), std::ios::binary | std::ios::trunc);
    if (!out_) throwIo("cannot create '" + file_.temporary().string() + "': " + std::strerror(errno));
    std::vector<std::string> cols;
    if (l.ids) cols.push_back(l.idColumn.empty() ? "id" : l.idColumn);
    if (l.classes() == 1) cols.push_back("score");
    for (const std::string& c : l.classNames) cols.push_back(csvField("score_" + c));
    if (l.perFold)
      for (int k = 0; k < l.folds; ++k) {
        if (l.classes() == 1) cols.push_back("score_fold_" + std::to_string(k));
        for (const std::string& c : l.classNames) cols.push_back(csvField("score_fold_" + std::to_string(k) + "_" + c));
      }
    if (l.outOfFold) cols.push_back("fold");
    for (double e : l.efficiencies) cols.push_back(passName(e));
    if (l.labels) {
      cols.push_back("label");
      cols.push_back("weight");
    }
    for (const std::string& k : l.keep)
      if (std::find(cols.begin(), cols.end(), k) != cols.end())
        throwConfig("apply: --keep " + k + " would be a second column " + str::quoted(k) +
                    " of the CSV output, which already has " + str::join(cols, ", ") +
                    (l.labels && (k == "label" || k == "weight") ? " (HDF5 inputs' labels and weights are written anyway)" : "") +
                    "; leave it out of --keep");
    for (const std::string& k : l.keep) cols.push_back(csvField(k));
    out_ << str::join(cols, ",") << "\n";
  }
  // Uncommitted (an error): the stream closes before file_ removes the temporary.
  ~CsvWriter() override { out_.close(); }

  void append(const Block& b) override {
    std::string line;
    for (Eigen::Index i = 0; i < b.rows; ++i) {
      line.clear();
      const auto si = static_cast<std::size_t>(i);
      if (layout_.ids) line += std::to_string(b.ids[si]) + ",";
      const int classes = layout_.classes();
      for (int c = 0; c < classes; ++c) line += (c ? "," : "") + shortest(b.score[i * classes + c]);
      if (layout_.perFold)
        for (Eigen::Index k = 0; k < b.perFold.cols(); ++k) line += "," + shortest(b.perFold(i, k));
      if (layout_.outOfFold) line += "," + std::to_string(static_cast<int>(b.fold[si]));
      for (const auto& p : b.pass) line += p[si] ? ",1" : ",0";
      if (layout_.labels) line += "," + std::to_string(static_cast<int>(b.labels[si])) + "," + shortest(b.weights[si]);
      const std::size_t nk = layout_.keep.size();
      for (std::size_t c = 0; c < nk; ++c) {
        line += ',';
        if (b.keptIsText) line += csvField(b.keptText[si * nk + c]);
        else line += shortest(b.kept(i, static_cast<Eigen::Index>(c)));
      }
      line += '\n';
      out_ << line;
    }
    if (!out_) throwIo("cannot write '" + file_.target().string() + "': " + std::strerror(errno));
  }

  void finish(const ApplySummary&) override {
    out_.close();
    if (!out_) throwIo("cannot write '" + file_.target().string() + "': " + std::strerror(errno));
    file_.commit();
  }

 private:
  AtomicOutput file_;
  Layout layout_;
  std::ofstream out_;
};

}  // namespace

std::unique_ptr<Writer> makeWriter(const ApplyOptions& o, const Layout& layout, const std::string& modelSha) {
  if (o.csv) return std::make_unique<CsvWriter>(o.output, layout);
  return std::make_unique<Hdf5Writer>(o.output, layout, o, modelSha);
}

}  // namespace hepsweep::model::detail
