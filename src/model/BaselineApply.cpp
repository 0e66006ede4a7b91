#include "hepsweep/model/BaselineApply.hpp"

#include <chrono>

#include "hepsweep/baseline/Booster.hpp"
#include "hepsweep/baseline/Result.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/InputReader.hpp"
#include "hepsweep/io/RootFile.hpp"
#include "hepsweep/io/TextReader.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"

namespace hepsweep::model {
namespace {

// The input's values of `names`, row-major, and its ids (empty without), read as network apply
// reads it: HDF5 data files whole, text and ROOT inputs through io::InputReader.
struct Table {
  std::vector<float> values;
  std::int64_t rows = 0;
  std::vector<std::int64_t> ids;
  std::string sha256;
};

Table readTable(const BaselineApplyOptions& o, const std::vector<std::string>& names, const Logger& log) {
  Table t;
  const auto cols = static_cast<std::int64_t>(names.size());
  if (io::h5::hasHdf5Signature(o.input)) {
    if (!o.idColumn.empty())
      throwConfig("apply --baseline --id " + o.idColumn + ": '" + o.input + "' is an HDF5 data file, whose ids are its "
                  "/ids (--id is for text and ROOT inputs)");
    const data::Dataset ds = io::readDataset(o.input, names);
    t.rows = ds.rows();
    t.values.resize(static_cast<std::size_t>(t.rows * cols));
    for (std::int64_t r = 0; r < t.rows; ++r)
      for (std::int64_t j = 0; j < cols; ++j) t.values[static_cast<std::size_t>(r * cols + j)] = ds.features(r, j);
    t.ids = ds.ids;
    t.sha256 = sha256File(o.input);
    return t;
  }
  io::InputReader r = io::InputReader::open(o.input, io::Separator::parse(o.separator));
  if (r.tree() && !r.tree()->friendWarning().empty()) log.warning("apply --baseline: " + r.tree()->friendWarning());
  std::vector<std::size_t> selected;
  for (const std::string& f : names) {
    if (r.column(f) < 0 && !(r.tree() && r.tree()->unsupportedBranch(f)))
      throwInput("apply --baseline: " + r.where() + " lacks feature " + str::quoted(f) + ", which the baseline needs" +
                 str::didYouMean(f, r.columnNames()) + " (its features: " + str::join(names, ", ") + ")");
    selected.push_back(r.requireColumn(f, "the baseline's features"));
  }
  if (!o.idColumn.empty()) selected.push_back(r.requireColumn(o.idColumn, "--id"));
  r.select(std::move(selected));
  // Missing values arrive as the marker the trees were trained with, or NaN: both become missing.
  while (r.next()) {
    for (std::size_t j = 0; j < names.size(); ++j) t.values.push_back(r.feature(j, true));
    if (!o.idColumn.empty()) t.ids.push_back(r.integer(names.size()));
  }
  t.rows = r.rowsRead();
  t.sha256 = r.finishChecksum();
  return t;
}

}  // namespace

BaselineApplySummary applyBaseline(const BaselineApplyOptions& o, const Logger& log) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<baseline::ItemRecord> folds;
  for (const std::string& path : baseline::resultFiles(o.runDir)) {
    baseline::StoredResult r = baseline::readResult(path, false);
    if (r.record.point == o.point) folds.push_back(std::move(r.record));
  }
  if (folds.empty())
    throwInput("'" + o.runDir + "' has no finished BDT baseline item of point " + std::to_string(o.point) +
               " (RUN/baseline/items/*/result.h5; `hepsweep train` with a [baseline] table writes them)");
  const int k = folds.front().folds;
  if (static_cast<int>(folds.size()) != k)
    throwInput("'" + o.runDir + "': baseline point " + std::to_string(o.point) + " has " +
               std::to_string(folds.size()) + " of its " + std::to_string(k) +
               " fold models finished; run the campaign to its end first");
  const std::vector<std::string>& names = folds.front().featureNames;
  Table input = readTable(o, names, log);
  const std::int64_t rows = input.rows, cols = static_cast<std::int64_t>(names.size());
  std::vector<float>& table = input.values;
  // The marker the model was trained with, not the input's: the trees learnt where it goes.
  baseline::markMissing(table, folds.front().missingValue, folds.front().usesMissing);
  const baseline::Matrix m(table, rows, cols);

  std::vector<float> perFold(static_cast<std::size_t>(rows * k));
  std::vector<double> sum(static_cast<std::size_t>(rows), 0.0);
  for (int f = 0; f < k; ++f) {
    const baseline::ItemRecord& rec = folds[static_cast<std::size_t>(f)];
    const baseline::Booster b = baseline::Booster::load(rec.model, o.runDir + " baseline item " + std::to_string(rec.id));
    const std::vector<float> s = b.predict(m);
    for (std::int64_t r = 0; r < rows; ++r) {
      perFold[static_cast<std::size_t>(r * k + f)] = s[static_cast<std::size_t>(r)];
      sum[static_cast<std::size_t>(r)] += s[static_cast<std::size_t>(r)];
    }
  }
  std::vector<float> scores(static_cast<std::size_t>(rows));
  for (std::size_t r = 0; r < scores.size(); ++r) scores[r] = static_cast<float>(sum[r] / k);

  io::h5::writeAtomically(o.output, [&](io::h5::File& f) {
    f.setAttr("model", std::string("xgboost-baseline"));
    f.setAttr("run_dir", o.runDir);
    f.setAttr("baseline_point", o.point);
    f.setAttr("trees", static_cast<std::int64_t>(folds.front().params.trees));
    f.setAttr("max_depth", static_cast<std::int64_t>(folds.front().params.maxDepth));
    f.setAttr("learning_rate", folds.front().params.learningRate);
    f.setAttr("input", o.input);
    f.setAttr("input_sha256", input.sha256);
    f.setAttr("command_line", o.commandLine);
    f.write<float>("scores", scores);
    f.write2d<float>("fold_scores", perFold.data(), static_cast<std::size_t>(rows), static_cast<std::size_t>(k));
    if (!input.ids.empty()) f.write<std::int64_t>("ids", input.ids);
  });
  log.info("scored " + std::to_string(rows) + " events of '" + o.input + "' with baseline point " +
           std::to_string(o.point) + " (" + std::to_string(k) + " fold models)");
  BaselineApplySummary s;
  s.output = o.output;
  s.folds = k;
  s.rows = rows;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace hepsweep::model
