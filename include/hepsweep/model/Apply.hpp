#pragma once
// `hepsweep apply`: score events with a best-model.h5 (layout of the output in docs/apply.md).
// Inputs are HDF5 dataset files from `hepsweep convert` or anything convert reads: text, CSV, .gz
// and flat ROOT trees ("file.root:tree", or "file.root" holding one tree). Text and ROOT inputs
// are streamed through io::InputReader, reading only the model's features (and the --id column);
// every input is scored block by block, so memory does not grow with its size. The output is
// written under a temporary name and renamed at the end.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hepsweep/core/Checksum.hpp"
#include "hepsweep/core/Log.hpp"

namespace hepsweep::model {

struct ApplyOptions {
  std::string modelPath;
  std::vector<std::string> inputs;
  std::string output;
  bool perFold = false;    // also write each fold model's score
  bool outOfFold = false;  // score each event with the fold model that never trained on it
  bool csv = false;        // write text (CSV) instead of HDF5
  std::vector<double> signalEfficiencies;  // a pass/fail column per working point
  std::string idColumn;    // text and ROOT inputs: the column (branch) of event ids (HDF5 inputs use their /ids)
  // Input columns copied to the output beside the scores (HDF5 output: /kept/NAME, float32; CSV:
  // columns NAME, text inputs' fields verbatim). Text and ROOT inputs: any column; HDF5 inputs: a
  // feature, "label" or "weight".
  std::vector<std::string> keep;
  std::string separator = "auto";  // text inputs: as convert --sep
  // Rows read per block; a multiple of 1024 (the scoring chunk), so that the chunk layout and
  // therefore every bit of the scores do not depend on it.
  std::int64_t chunkRows = 16384;
  // HDF5 inputs: threads decompressing and scoring each block (the output is the same for any
  // count); text and ROOT inputs are read and scored on one.
  int threads = 1;
  // The checksum of each input recorded in the output (/provenance/input_<kind>): XXH128 by
  // default, since SHA-256 (~2 GB/s) cost a fifth of scoring an uncompressed input.
  ChecksumKind checksum = ChecksumKind::Xxh128;
  std::string commandLine;
  // --parameter NAME=VALUE (parametrised networks, docs/parametrised.md): the model's input NAME
  // set to VALUE for every event. Text and ROOT inputs need not have the column; an HDF5 input's
  // column is overwritten.
  std::vector<std::pair<std::string, float>> setFeatures;
};

struct AppliedInput {
  std::string path;
  std::string checksum;  // hex, of ApplyOptions::checksum's kind
  std::int64_t rows = 0;
  std::string format;  // "hdf5", "text" or "root"
  bool hasIds = false;
};

struct ApplySummary {
  std::string output;
  std::string modelSha256;
  int folds = 0;
  std::int64_t rows = 0;
  std::vector<AppliedInput> inputs;
  ChecksumKind checksum = ChecksumKind::Xxh128;  // of inputs[i].checksum
  std::vector<double> signalEfficiencies, thresholds;
  std::vector<std::int64_t> passing;      // events passing each working point
  std::vector<std::int64_t> outOfFoldCounts;  // --out-of-fold: events per fold model (index k), test events last
  double seconds = 0;
};

ApplySummary applyModel(const ApplyOptions& options, const Logger& log = {});

std::string summaryText(const ApplySummary& s);

}  // namespace hepsweep::model
