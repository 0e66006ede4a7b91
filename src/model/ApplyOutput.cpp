// apply's output files: HDF5 (datasets growing block by block, attributes and provenance at the
// end) or CSV, each written to a temporary that becomes the output when complete.
#include "ApplyOutput.hpp"

#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

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

class Hdf5Writer final : public Writer {
 public:
  Hdf5Writer(const std::string& output, const Layout& l, const ApplyOptions& o, const std::string& modelSha)
      : out_(output), layout_(l), options_(o), modelSha_(modelSha) {
    file_ = std::make_unique<h5::File>(h5::File::create(out_.temporary().string()));
    columns_ = std::make_unique<Columns>(*file_, l);
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
    f.setAttr("format_version", std::int64_t{1});
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
    const h5::Group p = f.createGroup("provenance");
    h5::writeColumns(p, s.inputs, h5::Deflate::Off, h5::column<std::string>("input_paths", &AppliedInput::path),
                     h5::column<std::string>("input_sha256", &AppliedInput::sha256),
                     h5::column<std::int64_t>("input_rows", &AppliedInput::rows));
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
    using Appender = std::optional<h5::RowAppender<T>>;
    Columns(const h5::Group& f, const Layout& l) {
      const auto make = [](auto& a, const h5::Group& g, const std::string& name, std::size_t cols = 0) {
        a.emplace(g, name, cols, kOutputChunkRows, kOutputDeflate);
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
    }
    // Declared in the reverse of the order they close in (pass first, weights last), the order
    // the output was always closed in.
    Appender<float> weights;
    Appender<std::int8_t> labels;
    Appender<std::int64_t> ids;
    Appender<std::int8_t> fold;
    Appender<float> perFold, score;
    std::vector<Appender<float>> kept;
    std::vector<Appender<std::int8_t>> pass;
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
