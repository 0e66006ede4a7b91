// The reader on ROOT files written by ROOT itself: the bundled cut of hzz4mu (tests/data/root, always
// present) and the three files of ../shared/data, whose every value must equal, bit for bit as
// float32 (ints exactly), the CSVs derived from them with JSROOT; converted through io::convert,
// the HDF5 features must be those same bits. Covers LZ4 with embedded baskets (tmva_data), ZLIB
// with several baskets and int64 (mlhep2016), int32 and key cycle 2 with a denormal (hzz4mu).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "IoTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/Convert.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/RootFile.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

using namespace hepsweep;
using namespace hepsweep::io;
using hepsweep::iotest::TempDir;
using hepsweep::iotest::writeFile;

namespace {

const std::string kShared = HEPSWEEP_SHARED_DATA;

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::string out;
  char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Csv readCsv(const std::string& gzPath) {
  Csv c;
  std::istringstream in(gunzip(gzPath));
  std::string line;
  std::getline(in, line);
  c.header = str::split(line, ',');
  while (std::getline(in, line))
    if (!line.empty()) c.rows.push_back(str::split(line, ','));
  return c;
}

std::uint32_t bitsOf(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// strtof: the correctly rounded float32 of the CSV's decimal (denormals included).
float parse(const std::string& s) { return std::strtof(s.c_str(), nullptr); }

// Every entry of every column of `tree` against the CSV, in the CSV's column order.
void expectTreeEqualsCsv(const std::string& rootPath, const std::string& tree, const std::string& csvPath) {
  const Csv csv = readCsv(csvPath);
  const RootTree t = RootFile(rootPath).tree(tree);
  EXPECT_TRUE(t.unsupported().empty());
  ASSERT_EQ(t.columnNames(), csv.header);
  ASSERT_EQ(t.entries(), static_cast<std::int64_t>(csv.rows.size()));
  std::vector<std::size_t> cols(csv.header.size());
  for (std::size_t i = 0; i < cols.size(); ++i) cols[i] = i;
  RootRowReader r(t, cols);
  std::size_t row = 0, mismatches = 0;
  while (r.next()) {
    const auto& fields = csv.rows[row];
    for (std::size_t j = 0; j < cols.size(); ++j) {
      const bool same = rootTypeIsInteger(r.type(j)) ? r.asInt64(j) == std::strtoll(fields[j].c_str(), nullptr, 10)
                                                     : bitsOf(r.asFloat(j)) == bitsOf(parse(fields[j]));
      if (!same && ++mismatches <= 5)
        ADD_FAILURE() << tree << " entry " << row << " column " << csv.header[j] << ": " << r.asText(j)
                      << " vs CSV " << fields[j];
    }
    ++row;
  }
  EXPECT_EQ(row, csv.rows.size());
  EXPECT_EQ(mismatches, 0u);
}

bool haveShared() { return std::filesystem::is_directory(kShared); }

}  // namespace

// tmva_data.root: LZ4 blocks with XXH64, 20 % of each column in baskets embedded in the TTree.
TEST(RootRealData, TmvaTreesEqualTheirCsvs) {
  if (!haveShared()) GTEST_SKIP() << "needs ../shared/data (absent)";
  const std::string dir = kShared + "/uci_higgs_sigbkg_root/";
  expectTreeEqualsCsv(dir + "tmva_data.root", "sig_tree", dir + "sig_tree.csv.gz");
  expectTreeEqualsCsv(dir + "tmva_data.root", "bkg_tree", dir + "bkg_tree.csv.gz");
}

// public_train_10000.root: ROOT 5.34, ZLIB, int64 event_id and float32 features.
TEST(RootRealData, Mlhep2016EqualsItsCsv) {
  if (!haveShared()) GTEST_SKIP() << "needs ../shared/data (absent)";
  const std::string dir = kShared + "/mlhep2016_exotic_higgs_10k/";
  expectTreeEqualsCsv(dir + "public_train_10000.root", "", dir + "public_train_10000.csv.gz");
}

// ntuple_4mu_gg.root: key cycle 2 (the default must pick it), int32 and a denormal constant.
TEST(RootRealData, Hzz4muEqualsItsCsv) {
  if (!haveShared()) GTEST_SKIP() << "needs ../shared/data (absent)";
  const std::string dir = kShared + "/hzz4mu_ggf_root/";
  const RootFile f(dir + "ntuple_4mu_gg.root");
  ASSERT_EQ(f.trees().size(), 1u);
  EXPECT_EQ(f.trees()[0].cycle, 2);
  EXPECT_EQ(f.rootVersionText(), "6.02/13");
  expectTreeEqualsCsv(dir + "ntuple_4mu_gg.root", "", dir + "ntuple_4mu_gg.csv.gz");
}

// The whole path to HDF5: `convert --signal tmva:sig_tree --background tmva:bkg_tree` stores the
// CSVs' float32 bits, signal rows first, 10000 + 10000 rows.
TEST(RootRealData, ConvertTmvaToHdf5IsBitExact) {
  if (!haveShared()) GTEST_SKIP() << "needs ../shared/data (absent)";
  const std::string dir = kShared + "/uci_higgs_sigbkg_root/";
  TempDir d;
  ConvertOptions o;
  o.signalFiles = {dir + "tmva_data.root:sig_tree"};
  o.backgroundFiles = {dir + "tmva_data.root:bkg_tree"};
  o.output = d / "tmva.h5";
  const ConvertSummary s = convert(o);
  EXPECT_EQ(s.nSignal, 10000);
  EXPECT_EQ(s.nBackground, 10000);
  EXPECT_EQ(s.inputs[0].sha256, "d8c95fc2125847fc61a0e177758d77fe14e76b33ce9959ed8bf42f70768630d5");
  const auto ds = readDataset(o.output);
  std::size_t mismatches = 0;
  Eigen::Index row = 0;
  for (const char* name : {"sig_tree", "bkg_tree"}) {
    const Csv csv = readCsv(dir + name + ".csv.gz");
    ASSERT_EQ(ds.featureNames, csv.header);
    for (const auto& fields : csv.rows) {
      for (std::size_t j = 0; j < fields.size(); ++j)
        mismatches += bitsOf(ds.features(row, static_cast<Eigen::Index>(j))) != bitsOf(parse(fields[j]));
      ++row;
    }
  }
  EXPECT_EQ(row, 20000);
  EXPECT_EQ(mismatches, 0u);
}

// mlhep2016 through convert with a label branch and an int64 id branch.
TEST(RootRealData, ConvertMlhepWithLabelAndIds) {
  if (!haveShared()) GTEST_SKIP() << "needs ../shared/data (absent)";
  const std::string dir = kShared + "/mlhep2016_exotic_higgs_10k/";
  TempDir d;
  ConvertOptions o;
  o.labelledFiles = {dir + "public_train_10000.root:tree"};
  o.labelColumn = "target";
  o.idColumn = "event_id";
  o.output = d / "mlhep.h5";
  const ConvertSummary s = convert(o);
  EXPECT_EQ(s.nSignal, 5285);
  EXPECT_EQ(s.nBackground, 4715);
  const auto ds = readDataset(o.output);
  const Csv csv = readCsv(dir + "public_train_10000.csv.gz");
  ASSERT_EQ(ds.cols(), 28);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < csv.rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    mismatches += ds.ids[i] != std::strtoll(csv.rows[i][0].c_str(), nullptr, 10);
    mismatches += ds.labels(r) != parse(csv.rows[i][1]);
    for (Eigen::Index j = 0; j < 28; ++j)
      mismatches += bitsOf(ds.features(r, j)) != bitsOf(parse(csv.rows[i][static_cast<std::size_t>(j) + 2]));
  }
  EXPECT_EQ(mismatches, 0u);
}

namespace {

// FNV-1a 64 over the big-endian bytes of each value, as make_hzz4mu_cut.py computes it.
struct Fnv {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void add(std::uint32_t v) {
    for (int k = 3; k >= 0; --k) {
      h ^= (v >> (8 * k)) & 0xFF;
      h *= 0x100000001b3ULL;
    }
  }
};

}  // namespace

// The bundled cut of ntuple_4mu_gg.root (real ROOT 6.02 bytes: ZLIB TTree object and baskets, key
// cycle 2, int32 and float32 leaves; other baskets zeroed) against values derived from the
// JSROOT CSV: runs on a fresh clone without ../shared.
TEST(RootRealData, BundledHzz4muCutMatchesExpected) {
  const std::string dir = std::string(HEPSWEEP_SOURCE_DIR) + "/tests/data/root/";
  TempDir d;
  writeFile(d / "cut.root", gunzip(dir + "hzz4mu_cut.root.gz"));
  std::ifstream exp(dir + "hzz4mu_cut.expected");
  std::string line;
  std::getline(exp, line);
  struct Col {
    std::string name, type;
    std::int64_t count = 0;
    std::string hash, first, last;
  };
  std::vector<Col> cols;
  Col c;
  while (exp >> c.name >> c.type >> c.count >> c.hash >> c.first >> c.last) cols.push_back(c);
  ASSERT_EQ(cols.size(), 4u);

  const RootTree t = RootFile(d / "cut.root").tree("");
  EXPECT_EQ(t.name(), "HZZ4LeptonsAnalysisReduced");
  EXPECT_EQ(t.cycle(), 2);
  std::vector<std::size_t> idx;
  for (const auto& col : cols) {
    ASSERT_GE(t.column(col.name), 0) << col.name;
    idx.push_back(static_cast<std::size_t>(t.column(col.name)));
  }
  RootRowReader r(t, idx);
  std::vector<Fnv> hashes(cols.size());
  std::vector<std::string> first(cols.size()), last(cols.size());
  std::int64_t n = 0;
  while (r.next()) {
    for (std::size_t j = 0; j < cols.size(); ++j) {
      hashes[j].add(cols[j].type == "int32" ? static_cast<std::uint32_t>(r.asInt64(j)) : bitsOf(r.asFloat(j)));
      if (n == 0) first[j] = r.asText(j);
      last[j] = r.asText(j);
    }
    ++n;
  }
  for (std::size_t j = 0; j < cols.size(); ++j) {
    EXPECT_EQ(n, cols[j].count);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hashes[j].h));
    EXPECT_EQ(hex, cols[j].hash) << cols[j].name;
    EXPECT_EQ(bitsOf(parse(first[j])), bitsOf(parse(cols[j].first))) << cols[j].name;
    EXPECT_EQ(bitsOf(parse(last[j])), bitsOf(parse(cols[j].last))) << cols[j].name;
  }
  // The zeroed baskets of the other branches are corrupt input, reported as such.
  RootRowReader other(t, {static_cast<std::size_t>(t.column("f_lept1_pt"))});
  try {
    other.next();
    ADD_FAILURE() << "a zeroed basket was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f_lept1_pt"), std::string::npos) << e.what();
  }
}
