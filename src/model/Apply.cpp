// apply: reading the inputs, checking them against the model, and scoring them block by block
// on several threads; the output files are written by ApplyOutput.cpp.
#include "hepsweep/model/Apply.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <exception>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Checksum.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/io/Columns.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/model/Model.hpp"
#include "ApplyOutput.hpp"

namespace hepsweep::model {

using namespace detail;

namespace {

namespace fs = std::filesystem;
namespace h5 = io::h5;

// One input as the scorer reads it: an HDF5 dataset file read block by block, or a text/ROOT
// input streamed row by row (only the model's features and the id column are parsed).
struct Source {
  std::string path;    // as given
  std::string format;  // "hdf5", "text" or "root"
  io::DatasetInfo info;  // HDF5 inputs
  // Text and ROOT inputs: the columns read (the model's features, then the id column). The input
  // is opened to check them, closed, and opened again when scored, so that only the input being
  // scored holds a file and its buffers.
  std::vector<std::string> columns;
  std::int64_t rows = 0;  // HDF5: known up front; streamed inputs: counted while scoring
  bool hasIds = false;
  std::string idColumn;
  // Per --keep column: HDF5 inputs: its index in info.featureNames, or kKeepLabels/kKeepWeights;
  // streamed inputs: its position in `columns`.
  std::vector<std::ptrdiff_t> keepAt;
  // Streamed inputs: per model feature, its position in `columns`, or -1 when --parameter sets it;
  // the id column's position.
  std::vector<std::ptrdiff_t> featureAt;
  std::size_t featuresRead = 0, idAt = 0;
  bool streamed() const { return format != "hdf5"; }
};
constexpr std::ptrdiff_t kKeepLabels = -1, kKeepWeights = -2;

// --out-of-fold needs each event's fold key; say why it cannot be had.
void checkOutOfFold(const Model& m, const std::vector<Source>& sources) {
  const FoldRule& r = m.foldRule;
  if (r.folds < 2)
    throwConfig("--out-of-fold needs a k-fold model (cv.folds > 1); this model has a single fold, which trained "
                "on a fixed split, so there is no model that left each event out");
  switch (r.key) {
    case FoldKey::Unknown:
      throwConfig("--out-of-fold: the model does not know the fold keys of its training events (the training data "
                  "file '" + m.dataFile + "' was missing or changed when the model was made); re-run "
                  "`hepsweep aggregate` where the data file is present");
    case FoldKey::Id:
      for (const Source& s : sources)
        if (!s.hasIds)
          throwConfig("--out-of-fold: the model's folds were assigned by event id (column " + str::quoted(r.idColumn) +
                      "), but input '" + s.path + "' has no ids; " +
                      (s.streamed() ? "pass --id " + r.idColumn + " for text and ROOT inputs"
                                   : "convert it with `hepsweep convert ... --id " + r.idColumn + "`"));
      break;
    case FoldKey::RowIndex:
      if (sources.size() != 1 || sources[0].streamed() || sources[0].rows != r.dataRows)
        throwConfig("--out-of-fold: the model's folds were assigned by row index (the training data had no ids), so "
                    "the only input that carries the key is the training data file itself ('" + m.dataFile + "', " +
                    std::to_string(r.dataRows) + " rows) given alone; got " +
                    (sources.size() != 1 ? std::to_string(sources.size()) + " inputs"
                     : sources[0].streamed() ? "the " + sources[0].format + " input '" + sources[0].path + "'"
                                             : "'" + sources[0].path + "' with " + std::to_string(sources[0].rows) + " rows"));
      break;
  }
}

// Scores blocks of rows with `threads` Scorers: the block is cut at multiples of the scoring
// chunk (1024 rows), so every event is scored in the chunk, at the position, the serial scorer
// would use, and the scores do not depend on the thread count. The threads live for one block
// and end with it: none waits, spinning, between blocks.
class ParallelScorer {
 public:
  ParallelScorer(const Model& m, std::span<const std::string> tableColumns, int threads) {
    for (int t = 0; t < threads; ++t) scorers_.push_back(std::make_unique<Scorer>(m, tableColumns));
    parts_.resize(static_cast<std::size_t>(threads));
  }

  void score(const float* table, Eigen::Index stride, Eigen::Index rows, data::FeatureMatrix& perFold) {
    constexpr Eigen::Index chunk = Scorer::kChunkRows;
    const Eigen::Index chunks = (rows + chunk - 1) / chunk;
    const auto parts = static_cast<Eigen::Index>(std::min<std::size_t>(scorers_.size(), static_cast<std::size_t>(chunks)));
    if (parts <= 1) {
      scorers_[0]->scoreTable(table, stride, rows, perFold);
      return;
    }
    perFold.resize(rows, static_cast<Eigen::Index>(scorers_[0]->folds()) * scorers_[0]->classes());
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(parts));
    const auto run = [&](Eigen::Index p) {
      const Eigen::Index lo = std::min(rows, chunks * p / parts * chunk);
      const Eigen::Index hi = std::min(rows, chunks * (p + 1) / parts * chunk);
      try {
        data::FeatureMatrix& part = parts_[static_cast<std::size_t>(p)];
        scorers_[static_cast<std::size_t>(p)]->scoreTable(table + lo * stride, stride, hi - lo, part);
        perFold.middleRows(lo, hi - lo) = part;
      } catch (...) {
        errors[static_cast<std::size_t>(p)] = std::current_exception();
      }
    };
    std::vector<std::thread> helpers;
    for (Eigen::Index p = 1; p < parts; ++p) helpers.emplace_back(run, p);
    run(0);
    for (std::thread& t : helpers) t.join();
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
  }

 private:
  std::vector<std::unique_ptr<Scorer>> scorers_;
  std::vector<data::FeatureMatrix> parts_;
};

}  // namespace

ApplySummary applyModel(const ApplyOptions& o, const Logger& log) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.inputs.empty()) throwConfig("apply: no input files given");
  if (o.output.empty()) throwConfig("apply: -o OUTPUT is required");
  if (o.threads < 1) throwConfig("apply: --threads " + std::to_string(o.threads) + " must be at least 1");
  if (o.chunkRows < Scorer::kChunkRows || o.chunkRows % Scorer::kChunkRows != 0)
    throwConfig("apply: --chunk-rows " + std::to_string(o.chunkRows) + " must be a positive multiple of " +
                std::to_string(Scorer::kChunkRows) + " (the scoring chunk, so that scores do not depend on it)");
  for (double e : o.signalEfficiencies)
    if (!(e > 0.0 && e < 1.0))
      throwConfig("apply: --at-signal-efficiency " + shortest(e) + " must lie strictly between 0 and 1");
  for (std::size_t i = 0; i < o.keep.size(); ++i) {
    if (o.keep[i].empty()) throwConfig("apply: --keep has an empty column name (write --keep a,b,c)");
    if (o.keep[i].find('/') != std::string::npos)
      throwConfig("apply: --keep " + str::quoted(o.keep[i]) + ": a column name cannot contain '/' (it names an HDF5 dataset)");
    if (std::find(o.keep.begin(), o.keep.begin() + static_cast<std::ptrdiff_t>(i), o.keep[i]) != o.keep.begin() + static_cast<std::ptrdiff_t>(i))
      throwConfig("apply: --keep names column " + str::quoted(o.keep[i]) + " twice");
  }

  const Model m = readModel(o.modelPath);
  const int classes = scoreColumns(m);
  if (classes > 1 && !o.signalEfficiencies.empty())
    throwConfig("apply: --at-signal-efficiency cuts a binary model's score; '" + o.modelPath + "' is a " +
                std::to_string(classes) + "-class model (" + str::join(m.classNames, ", ") +
                "): cut on the probability of a class (the output's score[:, k]) instead");
  ApplySummary s;
  s.output = o.output;
  s.modelSha256 = sha256File(o.modelPath);
  s.folds = m.numFolds();
  s.checksum = o.checksum;

  // Inputs: HDF5 datasets block by block; text and ROOT inputs streamed through io::InputReader.
  // All are opened (and their columns checked) before anything is scored.
  std::vector<Source> sources;
  std::vector<std::future<std::string>> hashes(o.inputs.size());
  const auto hashOf = [&](std::size_t in) {
    if (hashes[in].valid()) s.inputs[in].checksum = hashes[in].get();
    return s.inputs[in].checksum;
  };
  const io::Separator separator = io::Separator::parse(o.separator);
  // --parameter: per model feature, the value it is set to (NaN: read from the input).
  std::vector<float> setTo(m.featureNames.size(), std::numeric_limits<float>::quiet_NaN());
  for (const auto& [name, value] : o.setFeatures) {
    const auto it = std::find(m.featureNames.begin(), m.featureNames.end(), name);
    if (it == m.featureNames.end())
      throwConfig("apply --parameter " + name + "=...: " + str::quoted(name) + " is not an input of the model" +
                  str::didYouMean(name, m.featureNames) + " (its features: " + str::join(m.featureNames, ", ") + ")");
    setTo[static_cast<std::size_t>(it - m.featureNames.begin())] = value;
  }
  const auto isSet = [&](std::size_t j) { return !std::isnan(setTo[j]); };
  for (const std::string& path : o.inputs) {
    Source src;
    src.path = path;
    const auto lacks = [&](const std::string& where, const std::string& f, const std::vector<std::string>& names) {
      throwInput("apply: " + where + " lacks feature " + str::quoted(f) + ", which the model needs" +
                 str::didYouMean(f, names) + " (the model's features: " + str::join(m.featureNames, ", ") + ")");
    };
    if (io::h5::hasHdf5Signature(path)) {
      src.format = "hdf5";
      src.info = io::readDatasetInfo(path);
      src.rows = src.info.rows;
      src.hasIds = src.info.hasIds;
      src.idColumn = src.info.idColumn;
      // Labels are class indices: they mean the model's classes only when the names agree.
      if (!src.info.classNames.empty() && src.info.classNames != m.classNames)
        log.warning("apply: '" + path + "' labels the classes " + str::join(src.info.classNames, ", ") + ", the model " +
                    (m.classNames.empty() ? std::string("is binary") : "has " + str::join(m.classNames, ", ")) +
                    ": its /labels are copied as they are");
      for (std::size_t j = 0; j < m.featureNames.size(); ++j) {
        const std::string& f = m.featureNames[j];
        if (std::find(src.info.featureNames.begin(), src.info.featureNames.end(), f) != src.info.featureNames.end())
          continue;
        if (isSet(j))
          throwInput("apply --parameter " + f + "=...: the HDF5 input '" + path + "' has no column " + str::quoted(f) +
                     " to overwrite; convert the data with one (any value), or give a text or ROOT input, which "
                     "need not have it");
        lacks("input '" + path + "'", f, src.info.featureNames);
      }
      for (const std::string& k : o.keep) {
        const auto& names = src.info.featureNames;
        const auto it = std::find(names.begin(), names.end(), k);
        if (it != names.end()) src.keepAt.push_back(it - names.begin());
        else if (k == "label" || k == "labels") src.keepAt.push_back(kKeepLabels);
        else if (k == "weight" || k == "weights") src.keepAt.push_back(kKeepWeights);
        else {
          std::vector<std::string> all = names;
          all.insert(all.end(), {"label", "weight"});
          throwInput("apply: input '" + path + "' has no column " + str::quoted(k) + " to keep (--keep)" +
                     str::didYouMean(k, all) + "; an HDF5 input keeps its features, \"label\" and \"weight\"");
        }
      }
    } else {
      const io::InputReader r = io::InputReader::open(path, separator);
      src.format = r.isRoot() ? "root" : "text";
      if (r.tree() && !r.tree()->friendWarning().empty()) log.warning("apply: " + r.tree()->friendWarning());
      for (std::size_t j = 0; j < m.featureNames.size(); ++j) {
        const std::string& f = m.featureNames[j];
        if (isSet(j)) {
          src.featureAt.push_back(-1);
          continue;
        }
        if (r.column(f) < 0 && !(r.tree() && r.tree()->unsupportedBranch(f))) lacks(r.where(), f, r.columnNames());
        r.requireColumn(f, "the model's features");
        src.featureAt.push_back(static_cast<std::ptrdiff_t>(src.columns.size()));
        src.columns.push_back(f);
      }
      src.featuresRead = src.idAt = src.columns.size();
      if (!o.idColumn.empty()) {
        r.requireColumn(o.idColumn, "--id");
        src.columns.push_back(o.idColumn);
        src.hasIds = true;
        src.idColumn = o.idColumn;
      }
      for (const std::string& k : o.keep) {
        if (r.column(k) < 0 && !(r.tree() && r.tree()->unsupportedBranch(k)))
          throwInput("apply: " + r.where() + " has no column " + str::quoted(k) + " to keep (--keep)" +
                     str::didYouMean(k, r.columnNames()));
        r.requireColumn(k, "--keep");
        const auto at = std::find(src.columns.begin(), src.columns.end(), k);
        src.keepAt.push_back(at - src.columns.begin());
        if (at == src.columns.end()) src.columns.push_back(k);
      }
    }
    AppliedInput a;
    a.path = src.path;
    a.format = src.format;
    // Streamed inputs are hashed while or after they are read (io::InputReader::finishChecksum);
    // HDF5 files here, or on a thread of their own beside the scoring when there are threads.
    if (!src.streamed()) {
      if (o.threads > 1)
        hashes[sources.size()] = std::async(std::launch::async, [path, kind = o.checksum] { return checksumFile(path, kind); });
      else a.checksum = checksumFile(path, o.checksum);
    }
    a.rows = src.rows;
    a.hasIds = src.hasIds;
    s.inputs.push_back(a);
    sources.push_back(std::move(src));
  }
  if (o.outOfFold) checkOutOfFold(m, sources);
  // The model records its training data's SHA-256; the input is hashed so once more only here,
  // where checkOutOfFold has already found it has the training data's rows.
  if (o.outOfFold && m.foldRule.key == FoldKey::RowIndex &&
      (o.checksum == ChecksumKind::Sha256 ? hashOf(0) : sha256File(sources[0].path)) != m.dataSha256)
    log.warning("apply: '" + sources[0].path + "' is not byte-identical to the training data file (sha256 differs); "
                "its row indices are taken to mean the same events");

  Layout layout;
  layout.folds = m.numFolds();
  layout.classNames = m.classNames;
  layout.perFold = o.perFold;
  layout.outOfFold = o.outOfFold;
  layout.ids = true;
  layout.labels = true;
  for (const Source& src : sources) {
    layout.ids = layout.ids && src.hasIds;
    layout.labels = layout.labels && !src.streamed();
  }
  if (layout.ids) layout.idColumn = sources[0].idColumn;
  else
    for (const Source& src : sources)
      if (src.hasIds)
        log.warning("apply: '" + src.path + "' has ids but other inputs do not; the output has no id column");
  layout.keep = o.keep;
  layout.efficiencies = o.signalEfficiencies;
  for (double e : o.signalEfficiencies) layout.thresholds.push_back(m.thresholdAt(e));
  s.signalEfficiencies = layout.efficiencies;
  s.thresholds = layout.thresholds;
  s.passing.assign(layout.efficiencies.size(), 0);
  if (o.outOfFold) s.outOfFoldCounts.assign(static_cast<std::size_t>(m.numFolds()) + 1, 0);

  std::unordered_set<std::int64_t> testKeys;
  if (o.outOfFold) testKeys.insert(m.foldRule.testKeys.begin(), m.foldRule.testKeys.end());

  std::unique_ptr<Writer> writer;
  writer = makeWriter(o, layout, s.modelSha256);

  Block b;
  // The block's scores are in b.perFold; the rest follows from them. `first`: the block's first
  // row in its input (the fold key without ids).
  const auto finishBlock = [&](std::int64_t first, std::int64_t count) {
    b.rows = count;
    b.score = classes == 1 ? ensembleMean(b.perFold) : ensembleMean(b.perFold, classes);
    if (!layout.ids) b.ids = nullptr;
    if (o.outOfFold) {
      b.fold.assign(static_cast<std::size_t>(count), -1);
      for (std::int64_t i = 0; i < count; ++i) {
        const auto si = static_cast<std::size_t>(i);
        const std::int64_t key = m.foldRule.key == FoldKey::Id ? b.ids[si] : first + i;
        if (testKeys.count(key)) {
          ++s.outOfFoldCounts.back();
          continue;
        }
        const int k = m.foldRule.foldOf(static_cast<std::uint64_t>(key));
        b.fold[si] = static_cast<std::int8_t>(k);
        for (int c = 0; c < classes; ++c) b.score[i * classes + c] = b.perFold(i, k * classes + c);
        ++s.outOfFoldCounts[static_cast<std::size_t>(k)];
      }
    }
    b.pass.resize(layout.efficiencies.size());
    for (std::size_t w = 0; w < layout.efficiencies.size(); ++w) {
      b.pass[w].resize(static_cast<std::size_t>(count));
      for (std::int64_t i = 0; i < count; ++i) {
        const bool pass = static_cast<double>(b.score[i]) >= layout.thresholds[w];
        b.pass[w][static_cast<std::size_t>(i)] = pass ? 1 : 0;
        s.passing[w] += pass;
      }
    }
    writer->append(b);
    s.rows += count;
  };

  const auto nf = static_cast<Eigen::Index>(m.featureNames.size());
  for (std::size_t in = 0; in < sources.size(); ++in) {
    Source& src = sources[in];
    // Each input is chunked from its own first row: its scores do not depend on the other inputs.
    if (!src.streamed()) {
      // The file's rows as they are (every column): each fold's preprocessing picks its inputs.
      io::DatasetBlocks file(src.path, o.threads);
      ParallelScorer scorer(m, file.info().featureNames, o.threads);
      const auto width = static_cast<Eigen::Index>(file.info().featureNames.size());
      // --parameter: the file's columns of the features it sets, overwritten in a copy of each block.
      std::vector<std::pair<Eigen::Index, float>> overwrite;
      for (std::size_t j = 0; j < m.featureNames.size(); ++j)
        if (isSet(j))
          overwrite.emplace_back(std::find(file.info().featureNames.begin(), file.info().featureNames.end(),
                                           m.featureNames[j]) - file.info().featureNames.begin(), setTo[j]);
      std::vector<float> copy;
      for (std::int64_t first = 0; first < src.rows; first += o.chunkRows) {
        const std::int64_t count = std::min(o.chunkRows, src.rows - first);
        const io::DatasetBlocks::Block data = file.read(first, count);
        const float* features = data.features;
        if (!overwrite.empty()) {
          copy.assign(data.features, data.features + count * width);
          for (std::int64_t i = 0; i < count; ++i)
            for (const auto& [col, value] : overwrite) copy[static_cast<std::size_t>(i * width + col)] = value;
          features = copy.data();
        }
        scorer.score(features, width, count, b.perFold);
        b.ids = data.ids;
        b.labels = data.labels;
        b.weights = data.weights;
        b.keptIsText = false;
        b.kept.resize(count, static_cast<Eigen::Index>(src.keepAt.size()));
        for (std::size_t c = 0; c < src.keepAt.size(); ++c) {
          const std::ptrdiff_t at = src.keepAt[c];
          const auto cc = static_cast<Eigen::Index>(c);
          for (std::int64_t i = 0; i < count; ++i)
            b.kept(i, cc) = at == kKeepLabels ? static_cast<float>(data.labels[i])
                          : at == kKeepWeights ? data.weights[i]
                                               : data.features[i * width + at];
        }
        finishBlock(first, count);
      }
    } else {
      Scorer scorer(m);
      io::InputReader r = io::InputReader::open(src.path, separator, std::size_t{1} << 20, false, o.checksum);
      std::vector<std::size_t> columns;
      for (std::size_t c = 0; c < src.columns.size(); ++c)
        columns.push_back(r.requireColumn(src.columns[c], c < src.featuresRead ? "the model's features"
                                                          : src.columns[c] == src.idColumn ? "--id" : "--keep"));
      r.select(std::move(columns));
      data::FeatureMatrix x(o.chunkRows, nf);
      std::vector<std::int64_t> ids(src.hasIds ? static_cast<std::size_t>(o.chunkRows) : 0);
      const std::size_t idAt = src.idAt;
      const std::size_t nk = src.keepAt.size();
      // CSV output copies the fields as they are (labels such as "s"/"b" included); HDF5 output
      // stores numbers.
      b.keptIsText = o.csv;
      b.kept.resize(o.chunkRows, static_cast<Eigen::Index>(b.keptIsText ? 0 : nk));
      b.keptText.assign(b.keptIsText ? static_cast<std::size_t>(o.chunkRows) * nk : 0, std::string());
      const auto keepRow = [&](Eigen::Index row) {
        for (std::size_t c = 0; c < nk; ++c) {
          const auto k = static_cast<std::size_t>(src.keepAt[c]);
          if (b.keptIsText) {
            b.keptText[static_cast<std::size_t>(row) * nk + c] = r.text(k);
            continue;
          }
          try {
            b.kept(row, static_cast<Eigen::Index>(c)) = r.feature(k, true);
          } catch (const Error& e) {
            throw Error(e.category(), std::string(e.what()) + " (--keep " + o.keep[c] +
                                          ": HDF5 output keeps numbers; write --csv to keep text columns as they are)");
          }
        }
      };
      bool more = true;
      for (std::int64_t first = 0; more; first += o.chunkRows) {
        Eigen::Index count = 0;
        while (count < o.chunkRows && (more = r.next())) {
          for (Eigen::Index j = 0; j < nf; ++j) {
            const std::ptrdiff_t at = src.featureAt[static_cast<std::size_t>(j)];
            x(count, j) = at < 0 ? setTo[static_cast<std::size_t>(j)] : r.feature(static_cast<std::size_t>(at), false);
          }
          if (src.hasIds) ids[static_cast<std::size_t>(count)] = r.integer(idAt);
          keepRow(count);
          ++count;
        }
        if (count == 0) break;
        if (count < o.chunkRows) x.conservativeResize(count, nf);
        scorer.scoreFolds(x, b.perFold);
        b.ids = src.hasIds ? ids.data() : nullptr;
        b.labels = nullptr;
        b.weights = nullptr;
        finishBlock(first, count);
      }
      src.rows = r.rowsRead();
      s.inputs[in].rows = src.rows;
      s.inputs[in].checksum = r.finishChecksum();
    }
    log.debug("apply: scored '" + src.path + "' (" + std::to_string(src.rows) + " events)");
  }
  for (std::size_t in = 0; in < sources.size(); ++in) hashOf(in);
  writer->finish(s);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

std::string summaryText(const ApplySummary& s) {
  std::ostringstream os;
  os << "Scored " << s.rows << " events from " << s.inputs.size() << " input" << (s.inputs.size() == 1 ? "" : "s")
     << " with " << s.folds << " fold model" << (s.folds == 1 ? "" : "s") << " into '" << s.output << "'";
  os.precision(3);
  os << std::fixed << " in " << s.seconds << " s.";
  for (std::size_t w = 0; w < s.signalEfficiencies.size(); ++w)
    os << "\n  signal efficiency " << shortest(s.signalEfficiencies[w]) << ": threshold " << shortest(s.thresholds[w])
       << ", " << s.passing[w] << " events pass";
  if (!s.outOfFoldCounts.empty()) {
    os << "\n  out-of-fold:";
    for (std::size_t k = 0; k + 1 < s.outOfFoldCounts.size(); ++k) os << " fold " << k << ": " << s.outOfFoldCounts[k] << ",";
    os << " held-out test (ensemble): " << s.outOfFoldCounts.back();
  }
  return os.str();
}

}  // namespace hepsweep::model
