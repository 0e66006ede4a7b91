#pragma once
// Shared by the model tests: a small real k-fold campaign (synthetic CSV -> convert -> campaign
// trained in-process), whose result files the tests turn into models.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/io/Convert.hpp"

namespace hepsweep::model::testing {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("hepsweep-model-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

struct CampaignSpec {
  int rows = 3000;
  int folds = 3;
  bool ids = true;           // an id column (the fold key) or row indices
  bool missing = false;      // feature f3 uses -999 for ~10% of the events
  std::string dataToml;        // extra lines of the [data] table
  std::string preprocessToml;  // lines of the [preprocess] table
  std::string modelToml;       // extra lines of the [model] table
  // output.scores: "all" keeps the training's own scores in the result files, which the tests
  // compare rescoring against; "none" makes every stage after training recompute them.
  std::string scores = "all";
  std::string runDir = "run";
};

// Features f0..f4; signal is shifted in f0, f1 and f2. Ids are large, unordered event numbers.
inline void writeCsv(const std::string& path, const CampaignSpec& s) {
  std::ofstream out(path);
  out << (s.ids ? "event," : "") << "f0,f1,f2,f3,f4,label\n";
  out.precision(9);
  const std::uint64_t key = rng::streamKey(1234, rng::Stream::Misc);
  for (int i = 0; i < s.rows; ++i) {
    const int label = i % 3 == 0 ? 0 : (i % 2);
    const auto c = static_cast<std::uint64_t>(i) * 8;
    if (s.ids) out << (static_cast<std::int64_t>(i) * 7919 % 100003) + 500000 << ",";
    for (int j = 0; j < 5; ++j) {
      double v = rng::normal(key, c + static_cast<std::uint64_t>(j)) + (label && j < 3 ? 0.8 * (j + 1) : 0.0);
      if (j == 3 && s.missing && rng::uniform(key, c + 6) < 0.1) v = -999;
      out << static_cast<float>(v) << ",";
    }
    out << label << "\n";
  }
}

// Converts the CSV and trains the campaign; returns the result files of point 0 in fold order.
// `existingData`: train on that file instead of converting a new one.
inline std::vector<std::string> runSmallCampaign(const TempDir& d, const CampaignSpec& s, std::string* dataFile = nullptr,
                                                 const std::string& existingData = "") {
  std::string h5 = existingData;
  if (h5.empty()) {
    const std::string csv = d.file("events.csv");
    h5 = d.file("events.h5");
    writeCsv(csv, s);
    io::ConvertOptions o;
    o.labelledFiles = {csv};
    o.labelColumn = "label";
    if (s.ids) o.idColumn = "event";
    if (s.missing) o.missingValue = -999.0f;
    o.output = h5;
    io::convert(o);
  }
  if (dataFile) *dataFile = h5;
  const std::string toml = "seed = 11\n[data]\nfile = \"" + h5 +
                           "\"\nsplit = { train = 0.6, val = 0.2, test = 0.2 }\n" + s.dataToml + "[preprocess]\n" + s.preprocessToml +
                           "[model]\nwidths = [8, 4]\ndropout = 0.1\n" + s.modelToml + "[train]\nepochs = 2\nbatch_size = 64\n[output]\ndir = \"" +
                           d.file(s.runDir) + "\"\nscores = \"" + s.scores + "\"\n[cv]\nfolds = " +
                           std::to_string(s.folds) + "\n";
  const campaign::CampaignConfig c = campaign::parseCampaign(toml, "model-test.toml");
  dist::LocalCommunicator world;
  campaign::RunOptions ro;
  ro.quiet = true;
  campaign::runCampaign(c, toml, world, ro, Logger{});
  const rundir::RunDirectory dir(d.file(s.runDir));
  std::vector<std::string> paths;
  for (int f = 0; f < s.folds; ++f) paths.push_back(dir.resultFile(f).string());
  return paths;
}

}  // namespace hepsweep::model::testing
