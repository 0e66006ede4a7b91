// Conversions of the real samples in ../shared/data, checked against references that do not go
// through hepsweep's reader: the UCI HIGGS npz (read by numpy), glibc strtof on the raw text
// (read by zlib's gz API), and the counts/weight sums recorded in each SOURCE.md.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "IoTestUtil.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

using namespace hepsweep;
using namespace hepsweep::io;
using hepsweep::iotest::TempDir;
using hepsweep::iotest::readFile;

namespace {

const std::string kData = HEPSWEEP_SHARED_DATA;

#define SKIP_WITHOUT(path)                                                              \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "needs ../shared/data (absent)"

// All lines of a gzip file, read through zlib's own gz API (not hepsweep's ByteSource).
std::vector<std::string> gzLines(const std::string& path) {
  gzFile g = gzopen(path.c_str(), "rb");
  std::vector<std::string> out;
  std::string cur;
  char buf[1 << 16];
  while (gzgets(g, buf, sizeof buf)) {
    cur += buf;
    if (!cur.empty() && cur.back() == '\n') {
      cur.pop_back();
      if (!cur.empty() && cur.back() == '\r') cur.pop_back();
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  gzclose(g);
  while (!out.empty() && str::trim(out.back()).empty()) out.pop_back();
  return out;
}

std::vector<std::string> splitOn(const std::string& line, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t p = line.find(sep, start);
    out.emplace_back(str::trim(line.substr(start, p == std::string::npos ? p : p - start)));
    if (p == std::string::npos) return out;
    start = p + sep.size();
  }
}

bool sameBits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

// Feature values must equal strtof of the text of the named columns, bit for bit.
void expectMatchesText(const data::Dataset& ds, std::int64_t firstRow, const std::vector<std::string>& lines,
                       const std::string& sep) {
  const auto header = splitOn(lines[0], sep);
  std::vector<std::size_t> col;
  for (const auto& name : ds.featureNames)
    col.push_back(static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin()));
  std::size_t mismatches = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto fields = splitOn(lines[i], sep);
    for (std::size_t j = 0; j < col.size(); ++j) {
      const float want = std::strtof(fields[col[j]].c_str(), nullptr);
      const float got = ds.features(firstRow + static_cast<std::int64_t>(i) - 1, static_cast<Eigen::Index>(j));
      if (!sameBits(want, got) && mismatches++ < 5)
        ADD_FAILURE() << "line " << i + 1 << " column " << ds.featureNames[j] << ": " << fields[col[j]] << " -> "
                      << got;
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace

// UCI HIGGS: the CSV was derived from the npz by printing each float32 as its shortest
// round-trip decimal, so a correct parser must reproduce the npz bit for bit (labels too).
TEST(RealData, UciHiggsCsvEqualsNpzBitExact) {
  const std::string csv = kData + "/uci_higgs_first10k/higgs_first10k.csv.gz";
  const std::string npz = kData + "/uci_higgs_first10k/HIGGS_small.npz";
  SKIP_WITHOUT(csv);
  TempDir d;
  ConvertOptions o;
  o.labelledFiles = {csv};
  o.labelColumn = "label";
  o.output = d / "higgs.h5";
  const auto s = convert(o);
  EXPECT_EQ(s.nSignal, 5295);  // SOURCE.md
  EXPECT_EQ(s.nBackground, 4705);
  const auto ds = readDataset(o.output);
  ASSERT_EQ(ds.rows(), 10000);
  ASSERT_EQ(ds.cols(), 28);
  EXPECT_EQ(ds.featureNames.front(), "lepton_pT");
  EXPECT_EQ(ds.featureNames.back(), "m_wwbb");

  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; z=np.load('" + npz +
                          "'); z['X'].astype('<f4').tofile('" + (d / "X.bin") + "'); z['y'].astype('<f4').tofile('" +
                          (d / "y.bin") + "')\" 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "/usr/bin/python3 with numpy is not available";
  const std::string x = readFile(d / "X.bin"), y = readFile(d / "y.bin");
  ASSERT_EQ(x.size(), 10000u * 28u * 4u);
  EXPECT_EQ(std::memcmp(x.data(), ds.features.data(), x.size()), 0) << "features differ from the npz";
  std::vector<float> yv(10000);
  std::memcpy(yv.data(), y.data(), y.size());
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(yv[static_cast<std::size_t>(i)], ds.labels[i]) << "row " << i;
  EXPECT_EQ(readDatasetInfo(o.output).inputSha256[0],
            "07eea0bb24f929b3e40cade911f33112f1ec6e58f920fa5ef2d7964a9d70ff53");  // SOURCE.md
}

// SHiP HNL main pair: ", "-separated gz text with spaces and parentheses in the names; 4257
// signal / 3639 background rows (SOURCE.md); the two bookkeeping columns dropped; every value
// equal to strtof of its text.
TEST(RealData, ShipHnlMainPair) {
  const std::string sig = kData + "/ship_hnl/Mini-school/kinematic_variables_HNLtoPimu.dat.gz";
  const std::string bkg = kData + "/ship_hnl/Mini-school/kinematic_variables_Back.dat.gz";
  SKIP_WITHOUT(sig);
  TempDir d;
  ConvertOptions o;
  o.signalFiles = {sig};
  o.backgroundFiles = {bkg};
  o.drop = {"Good Reco", "Event Type"};
  o.output = d / "ship.h5";
  const auto s = convert(o);
  EXPECT_EQ(s.nSignal, 4257);
  EXPECT_EQ(s.nBackground, 3639);
  const auto ds = readDataset(o.output);
  ASSERT_EQ(ds.cols(), 16);
  EXPECT_EQ(ds.featureNames[7], "Daughter1 Fraction of Transverse Momentum");  // had two leading spaces
  EXPECT_EQ(ds.featureNames.back(), "Invariant Mass (GeV/c^2)");
  expectMatchesText(ds, 0, gzLines(sig), ", ");
  expectMatchesText(ds, 4257, gzLines(bkg), ", ");
  const auto info = readDatasetInfo(o.output);
  EXPECT_EQ(info.inputSha256[0], "097236011645a2e52718ee1e3d58f088a3af599f99e7d518bc831f92b07d4e74");
  EXPECT_EQ(info.inputSha256[1], "4a33fb6eb1da1ba0f5a96374e4e9f6d39727d972fd83c8ebe03f1b297b1642d5");
}

// HiggsML (Kaggle) sample: label s/b, per-event weights, exact EventIds and the -999 marker.
// Counts and weight sums are those in SOURCE.md.
TEST(RealData, HiggsMlWithWeightsIdsMissing) {
  const std::string csv = kData + "/higgsml_kaggle_5k/small_higgs.csv.gz";
  SKIP_WITHOUT(csv);
  TempDir d;
  ConvertOptions o;
  o.labelledFiles = {csv};
  o.labelColumn = "Label";
  o.signalValue = "s";
  o.weightColumn = "Weight";
  o.idColumn = "EventId";
  o.missingValue = -999.0f;
  o.output = d / "higgsml.h5";
  const auto s = convert(o);
  EXPECT_EQ(s.nSignal, 1644);
  EXPECT_EQ(s.nBackground, 3355);
  EXPECT_NEAR(s.sumWeightsSignal, 13.45, 0.005);
  EXPECT_NEAR(s.sumWeightsBackground, 8428.77, 0.005);
  const auto ds = readDataset(o.output);
  ASSERT_EQ(ds.cols(), 30);
  EXPECT_EQ(ds.featureIndex("Weight"), -1);
  EXPECT_EQ(ds.featureIndex("EventId"), -1);
  ASSERT_EQ(ds.ids.size(), 4999u);
  for (std::size_t i = 0; i < ds.ids.size(); ++i) ASSERT_EQ(ds.ids[i], 100000 + static_cast<std::int64_t>(i));
  ASSERT_TRUE(ds.missingValue.has_value());
  EXPECT_EQ(*ds.missingValue, -999.0f);
  EXPECT_EQ((ds.features.array() == -999.0f).count(), 32048);  // SOURCE.md: 32,048 missing cells
  double sw = 0;
  for (Eigen::Index i = 0; i < ds.rows(); ++i) sw += ds.labels[i] * ds.weights[i];
  EXPECT_NEAR(sw, 13.45, 0.005);
  expectMatchesText(ds, 0, gzLines(csv), ",");
}
