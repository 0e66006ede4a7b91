#pragma once
// The parts of a result file (result.h5, docs/hdf5-layout.md) that the stages after training
// read back: who wrote it and for which item (the header), how its rows were chosen (the split
// record), the scalar metrics and history, and the model groups (preprocessing, network), which
// best-model.h5 repeats per fold. train::writeResultFile writes the whole file through these;
// aggregate, model, status and the search read them here, without the campaign module.
#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/data/Preprocess.hpp"
#include "hepsweep/data/Split.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "hepsweep/nn/Config.hpp"
#include "hepsweep/nn/Network.hpp"
#include "hepsweep/rundir/Overrides.hpp"

namespace hepsweep::rundir {

inline constexpr const char* kResultFormat = "hepsweep-result";
// 1: split/* index lists and every score. 2: the split rule and row digests instead, scores only
// as output.scores asks, curves of bounded size, the item's own configuration in `config`.
inline constexpr std::int64_t kResultFormatVersion = 2;

// The campaign item a result belongs to (a single training has none).
struct ItemIdentity {
  std::int64_t id = 0, point = 0;
  int fold = 0, folds = 1;
  Overrides overrides;   // the point's values
  std::string runDir;
  int ranksPerItem = 1;
  // SHA-256 of the campaign's resolved TOML (its manifest's campaign_sha256): a result copied from
  // another campaign's run directory shows. Empty in older files.
  std::string campaignSha256;
};

struct ResultHeader {
  std::int64_t formatVersion = kResultFormatVersion;
  // The resolved configuration this training ran, as TOML (every default filled in; for a campaign
  // item, the campaign with the point's values applied). Version 1 files hold the campaign's base.
  std::string config;
  std::uint64_t seed = 0;
  std::string version, created, commandLine, dataFile, dataSha256;
  std::optional<ItemIdentity> item;
};

void writeResultHeader(const io::h5::File& f, const ResultHeader& h);
// Versions 1 and 2. Error(Input) naming the file when it is not a result file, or one written by
// a newer hepsweep (with that version named).
ResultHeader readResultHeader(const io::h5::File& f);

// How an item's rows were chosen, stored instead of the row lists (group /split): the rule that
// rebuilds them from the data file (data::itemPartition), the digest of each list (rowsDigest)
// that proves a rebuild right, and the weight factors the train and validation events carried.
struct SplitRecord {
  data::SplitRule rule;
  std::int64_t dataRows = 0;  // rows of the data file
  bool keyIsId = false;       // fold key: the event id (the data has ids), else the row index
  std::int64_t nTrain = 0, nVal = 0, nTest = 0;
  std::string trainDigest, valDigest, testDigest;
  data::ClassFactors trainFactors, valFactors;  // weight = input weight x factor of its class
};
void writeSplitRecord(const io::h5::Group& g, const SplitRecord& r);
SplitRecord readSplitRecord(const io::h5::Group& g);
// The rows of `r` rebuilt from the data's labels and fold keys, checked against the digests.
// Error(Input) naming `what` (e.g. the result file) when they differ: the data file or the program
// that splits changed since training.
data::Partition rebuildPartition(const SplitRecord& r, std::span<const float> labels,
                                 std::span<const std::uint64_t> keys, const std::string& what);

// What aggregate, status and the search read of a result: the header, every scalar of /metrics,
// the per-epoch history, and the attributes a campaign adds (e.g. stopped_by).
struct ResultSummary {
  ResultHeader header;
  std::vector<std::pair<std::string, double>> metrics;
  std::optional<std::string> objectiveName;  // metrics/objective's `name`
  std::vector<double> trainLoss, valLoss, valAuc;
  std::optional<std::string> stoppedBy;
  bool hasScores = false;  // scores/test and scores/train are stored (v1 files, or output.scores)
  std::optional<double> metric(const std::string& name) const;
};
ResultSummary readResultSummary(const std::string& path);  // Error(Input) naming the file

// Integrity: the SHA-256 of every dataset of a file but the timing figures (which differ between
// runs: so two runs of one campaign carry the same checksum), io::h5::Group::contentDigest, stored
// in its root attribute content_sha256 as the last thing written. verifyContent: Error(Input) naming the
// file when the attribute is missing from a file of `format_version` >= 2 or does not match (a
// byte changed since it was written).
void sealContent(const io::h5::File& f);
void verifyContent(const io::h5::File& f);

// Why `path` is not a valid finished result of item `id` (unreadable, truncated, not a result
// file, another item's or another campaign's, its content changed), or nullopt when it is.
// `campaignSha256`: the campaign's (empty: not checked).
std::optional<std::string> resultProblem(const std::filesystem::path& path, std::int64_t id,
                                         const std::string& campaignSha256);

// Moves a file that failed its checks out of the way (NAME.invalid-1, -2, ...): never deleted, so
// nothing a user might want is lost. Returns the new name.
std::filesystem::path setAside(const std::filesystem::path& path);

// The preprocessing as a group of datasets and attributes, and back.
void writePreprocess(const io::h5::Group& g, const data::PreprocessParams& p);
data::PreprocessParams readPreprocess(const io::h5::Group& g);

// The network's layers: layer_<i>/W (outputs x inputs, PyTorch's nn.Linear layout), b, batch-norm
// parameters and running statistics, with the attributes that rebuild its configuration.
void writeNetwork(const io::h5::Group& g, const nn::Network& net);
struct StoredNetwork {
  nn::ModelConfig config;  // enough to rebuild the parameter layout exactly
  int inputs = 0;
  int outputs = 1;  // 1: a logit (signal/background); K: one logit per class (multi-class)
  Eigen::VectorXf params, state;  // nn::Network::params() / state() layouts
};
// Error(Input) naming the group when the layers do not form a hepsweep network.
StoredNetwork readNetwork(const io::h5::Group& g);
// The network with its stored parameters, ready for inference.
nn::Network buildNetwork(const StoredNetwork& s);

}  // namespace hepsweep::rundir
