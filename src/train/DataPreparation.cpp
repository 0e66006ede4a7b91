// Data preparation for one training run: the splits of a rule, balancing and class weights, the
// preprocessing fit (shared by the items of a fold through PreprocessFits), the rows a rank of a
// group holds, and the warnings about the prepared training events. The loop is in Trainer.cpp.
#include "hepsweep/train/Trainer.hpp"

#include <algorithm>
#include <iterator>
#include <numeric>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/data/LabelCopy.hpp"
#include "hepsweep/data/Parametrise.hpp"
#include "hepsweep/io/DatasetFile.hpp"

namespace hepsweep::train {
namespace {

// A split's rows with every event's label and input weight.
SplitData makeSplit(const data::EventTable& events, std::vector<data::Index> rows) {
  SplitData s;
  s.rows = std::move(rows);
  const auto n = static_cast<Eigen::Index>(s.rows.size());
  s.labels.resize(n);
  s.weights.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto r = static_cast<std::size_t>(s.rows[static_cast<std::size_t>(i)]);
    s.labels[i] = events.labels[r];
    s.weights[i] = events.weights[r];
  }
  return s;
}

void scaleByClass(SplitData& s, double signal, double background) {
  for (Eigen::Index i = 0; i < s.size(); ++i)
    s.weights[i] = static_cast<float>(s.weights[i] * (s.labels[i] > 0.5f ? signal : background));
}

std::span<const float> span(const Eigen::VectorXf& v) { return {v.data(), static_cast<std::size_t>(v.size())}; }

// data.held_out: the signal events of those parameter values leave the training and validation
// splits (they stay in the test split, where the per-value metrics evaluate them).
void removeHeldOut(const RunConfig& cfg, const data::EventTable& events, data::Partition& part) {
  if (!events.features)
    throwConfig("data.held_out needs the data in memory (resources.data = \"node\")");
  const auto stride = static_cast<data::Index>(events.header->featureNames.size());
  const data::Index column = events.header->featureColumns(std::vector<std::string>{cfg.data.parameter}).front();
  const auto keep = [&](data::Index r) {
    return events.labels[static_cast<std::size_t>(r)] <= 0.5f ||
           !data::isHeldOut(events.features[r * stride + column], cfg.data.heldOut);
  };
  for (auto* rows : {&part.train, &part.val}) {
    std::vector<data::Index> kept;
    std::copy_if(rows->begin(), rows->end(), std::back_inserter(kept), keep);
    *rows = std::move(kept);
  }
}

// Signal/background: balance factors (already in p.balanceFactors) and class weights applied to
// the training and validation weights, and the classes' summed training weights checked.
void weighSignalBackground(const RunConfig& cfg, PreparedData& p) {
  // Class weights multiply the training weights only, as Keras' class_weight does.
  double cs = cfg.train.classWeightSignal, cb = cfg.train.classWeightBackground;
  if (cfg.train.classWeightAuto) {
    double ns = 0, nb = 0;
    for (Eigen::Index i = 0; i < p.train.size(); ++i) (p.train.labels[i] > 0.5f ? ns : nb) += 1;
    const double n = ns + nb;
    cs = ns > 0 ? n / (2 * ns) : 1.0;
    cb = nb > 0 ? n / (2 * nb) : 1.0;
  }
  scaleByClass(p.train, p.balanceFactors.signal, p.balanceFactors.background);
  scaleByClass(p.val, p.balanceFactors.signal, p.balanceFactors.background);
  if (cs != 1.0 || cb != 1.0) scaleByClass(p.train, cs, cb);
  p.trainFactors = {p.balanceFactors.signal * cs, p.balanceFactors.background * cb};

  // A class whose training events weigh nothing in total cannot be learned (the loss would ignore
  // it, or reward getting it wrong): refused rather than trained silently.
  double sumS = 0, sumB = 0;
  for (Eigen::Index i = 0; i < p.train.size(); ++i) {
    const float w = p.train.weights[i];
    if (!std::isfinite(w))
      throwConfig("a training event's weight becomes " + std::to_string(w) + " after balancing and train.class_weight (" +
                  str::formatDouble(cs, "%g") + " for signal, " + str::formatDouble(cb, "%g") +
                  " for background): choose smaller class weights");
    (p.train.labels[i] > 0.5f ? sumS : sumB) += w;
  }
  for (const auto& [name, sum] : {std::pair<const char*, double>{"signal", sumS}, {"background", sumB}})
    if (p.train.size() > 0 && !(sum > 0))
      throwInput(std::string("the ") + name + " events of the training split have a summed weight of " +
                 str::formatDouble(sum, "%g") + " (all zero, or negative weights outweighing the positive ones): the "
                 "network cannot learn that class. Check the weight column of the data file" +
                 (cfg.data.balance == data::BalanceMode::Reweight ? "" : ", or use data.balance = \"reweight\""));

  p.trainWeightSignal = sumS;
  p.trainWeightBackground = sumB;
}

// Multi-class: the balance factor of each class on the training and validation weights, and
// train.class_weight = "auto" as n / (K n_k) per class (Keras' class_weight, sklearn's
// "balanced"); explicit signal/background class weights mean nothing here and are refused.
void weighClasses(const RunConfig& cfg, PreparedData& p, const std::vector<double>& balance) {
  const std::size_t k = p.classNames.size();
  if (cfg.train.classWeightSignal != 1.0 || cfg.train.classWeightBackground != 1.0)
    throwConfig("train.class_weight gives signal/background weights, but '" + p.dataFile + "' has " +
                std::to_string(k) + " classes (" + str::join(p.classNames, ", ") +
                "); use train.class_weight = \"auto\" or data.balance = \"reweight\"");
  std::vector<double> counts(k, 0.0);
  for (Eigen::Index i = 0; i < p.train.size(); ++i) counts[static_cast<std::size_t>(p.train.labels[i])] += 1;
  const auto scale = [&](SplitData& s, const std::vector<double>& f) {
    for (Eigen::Index i = 0; i < s.size(); ++i)
      s.weights[i] = static_cast<float>(s.weights[i] * f[static_cast<std::size_t>(s.labels[i])]);
  };
  scale(p.train, balance);
  scale(p.val, balance);
  if (cfg.train.classWeightAuto) {
    std::vector<double> auto_(k, 1.0);
    for (std::size_t c = 0; c < k; ++c)
      if (counts[c] > 0) auto_[c] = static_cast<double>(p.train.size()) / (static_cast<double>(k) * counts[c]);
    scale(p.train, auto_);
  }
  std::vector<double> sums(k, 0.0);
  for (Eigen::Index i = 0; i < p.train.size(); ++i) sums[static_cast<std::size_t>(p.train.labels[i])] += p.train.weights[i];
  for (std::size_t c = 0; c < k; ++c)
    if (p.train.size() > 0 && !(sums[c] > 0))
      throwInput("the " + p.classNames[c] + " events (class " + std::to_string(c) +
                 ") of the training split have a summed weight of " + str::formatDouble(sums[c], "%g") +
                 ": the network cannot learn that class. Check the weight column of the data file");
}

// Everything but the feature values: the splits of `rule`, balancing and class weights, the
// preprocessing fitted through `reader` (whose columns are `selected`'s). `selected`: the input
// features' names and missing-value information.
PreparedData prepareSplits(const RunConfig& cfg, const data::EventTable& events, const data::Dataset& selected,
                           const data::RowReader& reader, const data::SplitRule& rule, const std::string& dataFile,
                           const std::string& sha256, const Logger& log, const std::vector<data::Index>& columns,
                           PreprocessFits* fits) {
  PreparedData p;
  p.dataFile = dataFile;
  p.dataSha256 = sha256;
  p.featureNames = selected.featureNames;
  p.split = rule;
  const auto rows = static_cast<std::size_t>(events.rows());
  p.dataRows = events.rows();
  p.keyIsId = events.keysAreIds;
  if (events.weights.size() != rows || events.keys.size() != rows)
    throw Error(ErrorCategory::Internal, "prepareData: labels, weights and keys differ in length");
  for (std::size_t i = 0; i < rows; ++i) {
    p.hasWeights = p.hasWeights || events.weights[i] != 1.0f;
    (events.labels[i] > 0.5f ? p.nSignalInput : p.nBackgroundInput) += 1;
  }

  data::Partition part = data::itemPartition(events.labels, events.keys, rule);
  if (!cfg.data.heldOut.empty()) removeHeldOut(cfg, events, part);
  p.classNames = selected.classNames;
  std::vector<double> classFactors;
  if (p.classNames.empty()) p.balanceFactors = data::balanceFactors(part.train, events.labels, events.weights, cfg.data.balance);
  else classFactors = data::classBalanceFactors(part.train, events.labels, events.weights, cfg.data.balance);

  const auto fit = [&] {
    std::vector<data::Index> fitRows;
    if (cfg.preprocess.fitOn == data::FitOn::All) {
      fitRows.resize(rows);
      std::iota(fitRows.begin(), fitRows.end(), data::Index{0});
    } else {
      fitRows = part.train;
    }
    // Every rank fits on all fit rows (streamed in blocks), so all get the same parameters.
    return data::fitPreprocess(selected, reader, fitRows, cfg.preprocess);
  };
  if (fits) {
    const PreprocessFits::Key key{cfg.preprocess.fitOn == data::FitOn::All ? data::SplitRule{} : rule, columns,
                                  cfg.preprocess};
    p.preprocess = fits->get(key, fit);
  } else {
    p.preprocess = fit();
  }

  p.train = makeSplit(events, std::move(part.train));
  p.val = makeSplit(events, std::move(part.val));
  p.test = makeSplit(events, std::move(part.test));

  if (p.classNames.empty()) weighSignalBackground(cfg, p);
  else weighClasses(cfg, p, classFactors);
  if (p.train.size() == 0) throwConfig("the training split is empty; check data.split");
  if (p.val.size() == 0) throwConfig("the validation split is empty; early stopping and the best-weights checkpoint need one (data.split.val > 0)");
  log.info("data: " + std::to_string(rows) + " events (" + std::to_string(p.nSignalInput) + " signal, " +
           std::to_string(p.nBackgroundInput) + " background), " + std::to_string(selected.featureNames.size()) +
           " features; split " + std::to_string(p.train.size()) + " train / " + std::to_string(p.val.size()) +
           " val / " + std::to_string(p.test.size()) + " test");
  return p;
}

// The columns of cfg.data.features (all, in order, when empty) among the table's feature names.
std::vector<data::Index> selectedColumns(const RunConfig& cfg, const data::Dataset& header) {
  if (!cfg.data.features.empty()) return header.featureColumns(cfg.data.features);
  std::vector<data::Index> all(header.featureNames.size());
  std::iota(all.begin(), all.end(), data::Index{0});
  return all;
}

}  // namespace

bool PreprocessFits::Key::operator==(const Key& o) const {
  const data::SplitFractions &a = rule.fractions, &b = o.rule.fractions;
  return rule.seed == o.rule.seed && a.train == b.train && a.val == b.val && a.test == b.test &&
         rule.folds == o.rule.folds && rule.fold == o.rule.fold && rule.balance == o.rule.balance &&
         columns == o.columns && config.scaler == o.config.scaler && config.pcaComponents == o.config.pcaComponents &&
         config.whiten == o.config.whiten && config.fitOn == o.config.fitOn && config.missing == o.config.missing;
}

const data::PreprocessParams& PreprocessFits::get(const Key& key, const std::function<data::PreprocessParams()>& fit) {
  for (const auto& [k, params] : fits_)
    if (k == key) return params;
  data::PreprocessParams params = fit();
  ++fitted_;
  if (fits_.size() >= kKept) fits_.erase(fits_.begin());
  fits_.emplace_back(key, std::move(params));
  return fits_.back().second;
}

data::SplitRule splitRule(const RunConfig& cfg, int folds, int fold) {
  return data::SplitRule{cfg.seed, cfg.data.split, folds, fold, cfg.data.balance};
}

PreparedData prepareData(const RunConfig& cfg, const Logger& log) {
  if (cfg.data.file.empty()) throwConfig("data.file is not set: name the HDF5 file written by `hepsweep convert`");
  const io::DatasetRows file(cfg.data.file);
  const data::Dataset& columns = file.columns();
  data::FeatureMatrix table(file.rows(), static_cast<Eigen::Index>(columns.featureNames.size()));
  io::readFeatureTable(cfg.data.file, {table.data(), static_cast<std::size_t>(table.size())});
  if (!cfg.data.parameter.empty())
    data::drawBackgroundParameter(table.data(), table.rows(), table.cols(), span(columns.labels),
                                  columns.featureColumns(std::vector<std::string>{cfg.data.parameter}).front(),
                                  cfg.seed, cfg.data.heldOut);
  const std::vector<std::uint64_t> keys = data::foldKeys(columns.ids, static_cast<std::size_t>(file.rows()));
  data::EventTable events;
  events.header = &columns;
  events.features = table.data();
  events.labels = span(columns.labels);
  events.weights = span(columns.weights);
  events.keys = keys;
  events.keysAreIds = columns.hasIds();
  PreparedData p = prepareData(cfg, events, splitRule(cfg), cfg.data.file, sha256File(cfg.data.file), log);
  p.ownTable = std::move(table);  // Eigen moves the buffer: source.table stays valid
  return p;
}

PreparedData prepareData(const RunConfig& cfg, const data::EventTable& events, const data::SplitRule& rule,
                         const std::string& dataFile, const std::string& sha256, const Logger& log,
                         PreprocessFits* fits) {
  if (!events.features) throw Error(ErrorCategory::Internal, "prepareData: the event table holds no features");
  const data::Dataset& header = *events.header;
  const auto stride = static_cast<data::Index>(header.featureNames.size());
  std::vector<data::Index> cols = selectedColumns(cfg, header);
  const data::TableRowReader reader(events.features, events.rows(), stride, cols);
  PreparedData p = prepareSplits(cfg, events, header.featureHeader(cols), reader, rule, dataFile, sha256, log, cols, fits);
  p.source = FeatureSource{events.features, events.rows(), stride, std::move(cols)};
  return p;
}

PreparedData prepareData(const RunConfig& cfg, const data::Dataset& ds, const std::string& dataFile,
                         const std::string& sha256, const Logger& log) {
  const std::vector<std::uint64_t> keys = data::foldKeys(ds.ids, static_cast<std::size_t>(ds.labels.size()));
  return prepareData(cfg, data::eventTable(ds, keys), splitRule(cfg), dataFile, sha256, log);
}

PreparedData prepareData(const RunConfig& cfg, const data::EventTable& events, const data::RowReader& reader,
                         const data::SplitRule& rule, const std::string& dataFile, const std::string& sha256,
                         const Logger& log, const RankShare& share, PreprocessFits* fits) {
  const data::Dataset& header = *events.header;
  std::vector<data::Index> cols = selectedColumns(cfg, header);
  // The reader gives every column; the fit reads the selected ones through this view of it.
  class Selecting final : public data::RowReader {
   public:
    Selecting(const data::RowReader& all, const std::vector<data::Index>& cols) : all_(all), cols_(cols) {}
    void read(std::span<const data::Index> rows, data::FeatureMatrix& out) const override {
      all_.read(rows, buffer_);
      out.resize(buffer_.rows(), static_cast<Eigen::Index>(cols_.size()));
      for (std::size_t j = 0; j < cols_.size(); ++j) out.col(static_cast<Eigen::Index>(j)) = buffer_.col(cols_[j]);
    }

   private:
    const data::RowReader& all_;
    const std::vector<data::Index>& cols_;
    mutable data::FeatureMatrix buffer_;
  } selecting(reader, cols);
  PreparedData p = prepareSplits(cfg, events, header.featureHeader(cols), selecting, rule, dataFile, sha256, log, cols, fits);

  // The events this rank trains on or evaluates, read in one pass over the file in row order.
  const HeldEvents held = heldEvents(cfg, p.train.size(), p.val.size(), p.test.size(), share);
  std::vector<data::Index> fileRows;
  const std::pair<SplitData*, const std::vector<data::Index>*> splits[3] = {
      {&p.train, &held.train}, {&p.val, &held.val}, {&p.test, &held.test}};
  for (const auto& [s, h] : splits)
    for (const data::Index e : *h) fileRows.push_back(s->rows[static_cast<std::size_t>(e)]);
  std::sort(fileRows.begin(), fileRows.end());
  fileRows.erase(std::unique(fileRows.begin(), fileRows.end()), fileRows.end());
  reader.read(fileRows, p.ownTable);
  for (const auto& [s, h] : splits) {
    s->tableRow.assign(static_cast<std::size_t>(s->size()), -1);
    for (const data::Index e : *h) {
      const data::Index r = s->rows[static_cast<std::size_t>(e)];
      s->tableRow[static_cast<std::size_t>(e)] = std::lower_bound(fileRows.begin(), fileRows.end(), r) - fileRows.begin();
    }
  }
  p.source = FeatureSource{p.ownTable.data(), p.ownTable.rows(), p.ownTable.cols(), std::move(cols)};
  return p;
}

std::vector<std::vector<data::Index>> microBatchSlots(data::Index events, data::Index batch, int micro,
                                                      std::uint64_t seed, bool shuffle) {
  std::vector<data::Index> first(static_cast<std::size_t>(events));
  std::iota(first.begin(), first.end(), data::Index{0});
  if (shuffle) rng::shuffle(first.data(), first.size(), rng::derive(rng::streamKey(seed, rng::Stream::Shuffle), 0));
  std::vector<std::vector<data::Index>> slots(static_cast<std::size_t>(micro));
  batch = std::max<data::Index>(1, std::min(batch, events));
  for (data::Index start = 0; start < events; start += batch) {
    const data::Index b = std::min(batch, events - start);
    for (int k = 0; k < micro; ++k)
      for (data::Index i = k * b / micro; i < (k + 1) * b / micro; ++i)
        slots[static_cast<std::size_t>(k)].push_back(first[static_cast<std::size_t>(start + i)]);
  }
  return slots;
}

HeldEvents heldEvents(const RunConfig& cfg, data::Index nTrain, data::Index nVal, data::Index nTest,
                      const RankShare& share) {
  const auto chunks = [&](data::Index n, std::vector<data::Index>& out) {
    for (data::Index c = share.rank; c * kEvalChunk < n; c += share.size)
      for (data::Index i = c * kEvalChunk; i < std::min(n, (c + 1) * kEvalChunk); ++i) out.push_back(i);
  };
  HeldEvents h;
  const auto slots = microBatchSlots(nTrain, cfg.train.batchSize, cfg.train.microBatches, cfg.seed, cfg.train.shuffle);
  const dist::MicroBatchRange mine = dist::microBatchShare(cfg.train.microBatches, share.size, share.rank);
  for (int k = mine.first; k < mine.first + mine.count; ++k)
    h.train.insert(h.train.end(), slots[static_cast<std::size_t>(k)].begin(), slots[static_cast<std::size_t>(k)].end());
  chunks(nTrain, h.train);
  std::sort(h.train.begin(), h.train.end());
  h.train.erase(std::unique(h.train.begin(), h.train.end()), h.train.end());
  chunks(nVal, h.val);
  chunks(nTest, h.test);
  return h;
}

std::string weightImbalanceWarning(const RunConfig& cfg, const PreparedData& p) {
  const double s = p.trainWeightSignal, b = p.trainWeightBackground;
  if (cfg.data.balance == data::BalanceMode::Reweight || !(s > 0) || !(b > 0)) return {};
  if (std::max(s, b) <= kWeightImbalance * std::min(s, b)) return {};
  return "the training events' weights sum to " + str::formatDouble(s, "%.6g") + " for signal and " +
         str::formatDouble(b, "%.6g") + " for background (a factor " + str::formatDouble(std::max(s, b) / std::min(s, b), "%.0f") +
         "): the weighted loss is dominated by the " + (s > b ? "signal" : "background") +
         " class and the scores will crowd at " + (s > b ? "1" : "0") +
         ". Set data.balance = \"reweight\" to give both classes the same total weight";
}

std::string labelCopyWarning(const PreparedData& p) {
  const FeatureSource& src = p.source;
  if (!src.table) return {};
  data::LabelCopyFinder finder(src.columns.size());
  std::vector<float> row(src.columns.size());
  for (Eigen::Index e = 0; e < p.train.size(); ++e) {
    const data::Index r = p.train.tableRowOf(e);
    if (r < 0) continue;  // held by another rank of the group
    for (std::size_t j = 0; j < row.size(); ++j) row[j] = src.row(r)[src.columns[j]];
    finder.add(row, p.train.labels[e]);
  }
  std::vector<std::string> found;
  for (const data::LabelCopy& c : finder.copies()) found.push_back(data::labelCopyMessage(p.featureNames[c.feature], c));
  if (found.empty()) return {};
  return str::join(found, "; ") + " (in the training events). Remove " + (found.size() > 1 ? "them" : "it") +
         " from data.features (or `convert --drop`): the classifier would be perfect on paper and useless";
}

}  // namespace hepsweep::train
