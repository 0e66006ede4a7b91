// End-to-end tests of `hepsweep convert` as a user runs it: --help versus docs/convert.md, the
// printed summary (text, --json, --quiet), exit codes and messages, the recorded command line,
// multi-class files from --class, and that memory does not grow with the input size (peak RSS on
// a 50 MB text input and a ROOT tree of 51 MB of values) nor with the number of ROOT inputs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <map>
#include <set>

#include "IoTestUtil.hpp"
#include "RootTestWriter.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/io/Hdf5.hpp"
#include "TestPaths.hpp"  // HEPSWEEP_SOURCE_DIR, HEPSWEEP_SHARED_DATA, HEPSWEEP_CLI

using hepsweep::iotest::TempDir;
using hepsweep::iotest::readFile;
using hepsweep::iotest::writeFile;

namespace {

const std::string kCli = HEPSWEEP_CLI;
const std::string kSource = HEPSWEEP_SOURCE_DIR;

struct CliRun {
  int code = -1;
  std::string out, err;
};

// Runs `hepsweep convert <args>` (args already shell-quoted) capturing stdout and stderr.
CliRun convertCli(const TempDir& d, const std::string& args, const std::string& prefix = "") {
  const std::string out = d / ".stdout", err = d / ".stderr";
  const std::string cmd = prefix + "'" + kCli + "' convert " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = readFile(out);
  r.err = readFile(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

// Why the peak RSS of a convert cannot be measured here, or "" when it can.
std::string peakRssUnavailable() {
#if defined(__SANITIZE_ADDRESS__)
  return "peak RSS is meaningless under AddressSanitizer (shadow memory, quarantine)";
#else
  return std::ifstream("/usr/bin/time") ? "" : "/usr/bin/time is not installed";
#endif
}

// The peak RSS in kB of `hepsweep convert ARGS` (the kernel's maxrss, through /usr/bin/time);
// -1 when time printed none.
long convertPeakRssKb(const TempDir& d, const std::string& args) {
  const CliRun r = convertCli(d, args, "/usr/bin/time -f 'maxrss %M' ");
  EXPECT_EQ(r.code, 0) << r.err;
  const auto pos = r.err.rfind("maxrss ");
  return pos == std::string::npos ? -1L : std::stol(r.err.substr(pos + 7));
}

bool isOptionChar(char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'; }

// `text` contains `option` as a whole word ("--drop" does not count as "--dro").
bool mentions(const std::string& text, const std::string& option) {
  for (std::size_t p = text.find(option); p != std::string::npos; p = text.find(option, p + 1)) {
    const std::size_t e = p + option.size();
    if (e == text.size() || !isOptionChar(text[e])) return true;
  }
  return false;
}

}  // namespace

// The options_description is the single declaration of the options: every option --help prints
// must be documented in docs/convert.md (this fails when an option is added without docs).
TEST(ConvertCli, EveryHelpOptionIsDocumented) {
  TempDir d;
  const CliRun r = convertCli(d, "--help");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string docs = readFile(kSource + "/docs/convert.md");
  ASSERT_FALSE(docs.empty()) << "docs/convert.md is missing";
  std::set<std::string> options;
  for (std::size_t p = r.out.find("--"); p != std::string::npos; p = r.out.find("--", p + 2)) {
    std::size_t e = p + 2;
    if (e >= r.out.size() || !std::islower(static_cast<unsigned char>(r.out[e]))) continue;
    while (e < r.out.size() && isOptionChar(r.out[e])) ++e;
    options.insert(r.out.substr(p, e - p));
  }
  EXPECT_GE(options.size(), 18u) << r.out;
  for (const auto& o : options)
    EXPECT_TRUE(mentions(docs, o)) << o << " is printed by --help but not in docs/convert.md";
}

// The success summary states rows per class, features and the output; --json is one parsable
// object with the same numbers; --quiet prints nothing. Counts: examples/higgs/SOURCE.md.
TEST(ConvertCli, SummaryJsonQuiet) {
  TempDir d;
  const std::string in = kSource + "/examples/higgs/higgs-5k.csv.gz";
  CliRun r = convertCli(d, "'" + in + "' --label label -o '" + (d / "a.h5") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* part : {"5000 rows", "2670 signal", "2330 background", "28 features", "a.h5"})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " not in: " << r.out;

  r = convertCli(d, "'" + in + "' --label label -o '" + (d / "b.h5") + "' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n_signal"], 2670);
  EXPECT_EQ(j["n_background"], 2330);
  EXPECT_EQ(j["n_features"], 28);
  EXPECT_EQ(j["output"], d / "b.h5");
  EXPECT_EQ(j["inputs"][0]["sha256"], "86cb2cc295dea9a9c3a30b836271ccfc20090dd670f6c11149b4fd12b61c455b");

  r = convertCli(d, "'" + in + "' --label label -o '" + (d / "c.h5") + "' --quiet");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

// Exit codes and messages per error category; no output and no temporary file remain.
TEST(ConvertCli, ErrorsExitCodesAndNoOutput) {
  TempDir d;
  writeFile(d / "sig.csv", "pt, eta\n1, 2\n3, 4x\n");
  writeFile(d / "bkg.csv", "pt, eta\n5, 6\n");
  const auto entries = d.entries();
  const std::string files = "--signal '" + (d / "sig.csv") + "' --background '" + (d / "bkg.csv") + "'";
  CliRun r = convertCli(d, files + " -o '" + (d / "out.h5") + "'");
  EXPECT_EQ(r.code, 3);
  for (const char* part : {"hepsweep convert: input error:", "sig.csv", "line 3", "column 'eta'", "'4x'"})
    EXPECT_NE(r.err.find(part), std::string::npos) << part << " not in: " << r.err;
  EXPECT_EQ(d.entries(), entries);

  r = convertCli(d, "--signal '" + (d / "nope.csv") + "' --background '" + (d / "bkg.csv") + "' -o '" + (d / "o.h5") + "'");
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("nope.csv"), std::string::npos) << r.err;
  r = convertCli(d, files + " -o '" + (d / "missing-dir/o.h5") + "'");
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("missing-dir"), std::string::npos) << r.err;
  r = convertCli(d, files + " --no-such-option -o x.h5");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no-such-option"), std::string::npos) << r.err;
  r = convertCli(d, files);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("-o"), std::string::npos) << r.err;
  r = convertCli(d, files + " --missing abc -o '" + (d / "o.h5") + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'abc'"), std::string::npos) << r.err;
  EXPECT_EQ(d.entries(), entries);
}

// --compression-level sets the output's deflate level: 0 writes the values unfiltered (the file is
// at least as large as the float32 features), 9 compresses this repetitive input to a fraction of
// that, and both hold exactly the same values. Catches the option being ignored (all three
// files would have about the same size) and a level out of 0-9 being accepted.
TEST(ConvertCli, CompressionLevelSetsTheOutputFilter) {
  TempDir d;
  std::string sig = "a,b,c,d\n", bkg = "a,b,c,d\n";
  for (int i = 0; i < 20000; ++i) {
    const std::string row = std::to_string(i % 7) + "," + std::to_string(i % 5) + ".5," + std::to_string(i % 3) + ",1\n";
    (i % 2 ? sig : bkg) += row;
  }
  writeFile(d / "sig.csv", sig);
  writeFile(d / "bkg.csv", bkg);
  const std::string files = "-q --signal '" + (d / "sig.csv") + "' --background '" + (d / "bkg.csv") + "'";
  std::map<int, std::uintmax_t> size;
  for (const int level : {0, 4, 9}) {
    const std::string out = d / ("l" + std::to_string(level) + ".h5");
    const CliRun r = convertCli(d, files + " --compression-level " + std::to_string(level) + " -o '" + out + "'");
    ASSERT_EQ(r.code, 0) << r.err;
    size[level] = std::filesystem::file_size(out);
  }
  EXPECT_GE(size[0], 20000u * 4u * sizeof(float));
  EXPECT_LT(size[9] * 4, size[0]) << size[9] << " vs " << size[0];
  EXPECT_LE(size[9], size[4]);
  const auto plain = hepsweep::io::readDataset(d / "l0.h5"), packed = hepsweep::io::readDataset(d / "l9.h5");
  EXPECT_TRUE(plain.features == packed.features);
  EXPECT_EQ(plain.labels, packed.labels);

  const auto entries = d.entries();
  const CliRun bad = convertCli(d, files + " --compression-level 10 -o '" + (d / "bad.h5") + "'");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--compression-level 10"), std::string::npos) << bad.err;
  EXPECT_EQ(d.entries(), entries);
}

// --threads takes a number of threads from 1 to 64 or auto (the default); --json reports how
// many compressed the output. Anything else is a configuration error naming the value, and no
// output is written.
TEST(ConvertCli, ThreadsOption) {
  TempDir d;
  writeFile(d / "sig.csv", "a,b\n1,2\n");
  writeFile(d / "bkg.csv", "a,b\n3,4\n");
  const std::string files = "--signal '" + (d / "sig.csv") + "' --background '" + (d / "bkg.csv") + "'";
  CliRun r = convertCli(d, files + " --threads 3 --json -o '" + (d / "t3.h5") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["threads"], 3);
  r = convertCli(d, files + " --json -o '" + (d / "auto.h5") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const int autoThreads = nlohmann::json::parse(r.out)["threads"];
  EXPECT_GE(autoThreads, 1);
  EXPECT_LE(autoThreads, 4);
  const auto entries = d.entries();
  for (const char* bad : {"0", "65", "-2", "two", "2x", ""}) {
    r = convertCli(d, files + " --threads '" + bad + "' -o '" + (d / "bad.h5") + "'");
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find(std::string("--threads '") + bad + "'"), std::string::npos) << r.err;
  }
  EXPECT_EQ(d.entries(), entries);
}

// h5py reads the output of the multi-threaded writer as any HDF5 file: shuffle + gzip chunks of
// 4096 rows x all features, inflated by h5py's own zlib into exactly the CSV's values (which are
// exact in float32, so numpy's parse of the text is exact too), rows in file order.
TEST(ConvertCli, H5pyReadsTheThreadedOutput) {
  if (std::system("/usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with h5py and numpy is not available";
  TempDir d;
  std::string csv = "label,a,b,c,d,e\n";
  for (int i = 0; i < 10000; ++i) {
    csv += std::to_string(i % 3 == 0 ? 1 : 0);
    for (int j = 0; j < 5; ++j) csv += "," + std::to_string(((i * 37 + j * 101) % 4001 - 2000) / 16.0);
    csv += "\n";
  }
  writeFile(d / "in.csv", csv);
  const CliRun r = convertCli(d, "-q '" + (d / "in.csv") + "' --label label --threads 4 -o '" + (d / "out.h5") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  writeFile(d / "check.py",
            "import h5py, numpy as np, sys\n"
            "x = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1)\n"
            "with h5py.File(sys.argv[2], 'r') as f:\n"
            "    ds = f['features']\n"
            "    assert ds.compression == 'gzip' and ds.compression_opts == 1 and ds.shuffle, (ds.compression, ds.shuffle)\n"
            "    assert ds.chunks == (4096, 5), ds.chunks\n"
            "    assert np.array_equal(ds[:], x[:, 1:].astype(np.float32)), 'features differ'\n"
            "    assert np.array_equal(f['labels'][:], (x[:, 0] == 1).astype(np.int8)), 'labels differ'\n"
            "    assert np.array_equal(f['weights'][:], np.ones(len(x), np.float32)), 'weights differ'\n"
            "print('ok')\n");
  const std::string out = d / "py.out";
  const std::string cmd = "/usr/bin/python3 '" + (d / "check.py") + "' '" + (d / "in.csv") + "' '" + (d / "out.h5") +
                          "' >'" + out + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << readFile(out);
  EXPECT_EQ(readFile(out), "ok\n");
}

// A write that fails stops convert with an I/O error (exit 4) naming the output file and the
// reason (the file asked for, not the temporary it was written as), with no output and no
// temporary file left, and no crash (HDF5 1.10 alone died with
// SIGSEGV after the message). Two ways to fail: a file size limit (ulimit -f, SIGXFSZ ignored:
// the writes fail with EFBIG) and, when this process may mount one, a full 1 MB tmpfs (ENOSPC).
TEST(ConvertCli, WriteFailureIsACleanError) {
  TempDir d;
  std::string csv = "a,b,c,d,e,f,g,h\n";
  for (int i = 0; i < 100000; ++i) {
    for (int j = 0; j < 8; ++j) csv += (j ? "," : "") + std::to_string(std::sin(i * 8.0 + j) * 1000.0);
    csv += "\n";
  }
  writeFile(d / "sig.csv", csv);
  writeFile(d / "bkg.csv", "a,b,c,d,e,f,g,h\n1,2,3,4,5,6,7,8\n");
  const std::string files = "-q --signal '" + (d / "sig.csv") + "' --background '" + (d / "bkg.csv") + "'";
  const auto entries = d.entries();
  CliRun r = convertCli(d, files + " -o '" + (d / "out.h5") + "'", "ulimit -f 400; trap '' XFSZ; ");
  EXPECT_EQ(r.code, 4) << r.err;
  for (const std::string& part : {std::string("I/O error"), "'" + (d / "out.h5") + "'", std::string("File too large")})
    EXPECT_NE(r.err.find(part), std::string::npos) << part << " not in: " << r.err;
  EXPECT_EQ(r.err.find(".tmp-"), std::string::npos) << r.err;
  EXPECT_EQ(d.entries(), entries);

  const std::string mnt = d / "small-disk";
  std::filesystem::create_directory(mnt);
  if (std::system(("mount -t tmpfs -o size=1m tmpfs '" + mnt + "' 2>/dev/null").c_str()) != 0) {
    std::cout << "no tmpfs mount permitted here: the disk-full case is not run\n";
    return;
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { std::system(("umount '" + dir + "'").c_str()); }
  } unmount{mnt};
  r = convertCli(d, files + " -o '" + mnt + "/out.h5'");
  EXPECT_EQ(r.code, 4) << r.err;
  for (const char* part : {"I/O error", "small-disk/out.h5'", "no space left on the device"})
    EXPECT_NE(r.err.find(part), std::string::npos) << part << " not in: " << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(mnt));
}

// Options that take lists and names with spaces (SHiP columns) work from the command line, and
// the full command line is recorded, quoted so that it can be pasted back into a shell.
TEST(ConvertCli, ListsNamesWithSpacesAndCommandLine) {
  TempDir d;
  writeFile(d / "sig.dat", "Decay Z (cm), Good Reco, Event Type, w\n1.5, 1, 1, -0.5\n");
  writeFile(d / "bkg.dat", "Decay Z (cm), Good Reco, Event Type, w\n2.5, 1, 4, 2\n");
  const CliRun r = convertCli(d, "--signal '" + (d / "sig.dat") + "' --background '" + (d / "bkg.dat") +
                                  "' --drop 'Good Reco,Event Type' --weight w -o '" + (d / "o.h5") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto ds = hepsweep::io::readDataset(d / "o.h5");
  EXPECT_EQ(ds.featureNames, std::vector<std::string>{"Decay Z (cm)"});
  EXPECT_EQ(ds.weights[0], -0.5f);
  const auto info = hepsweep::io::readDatasetInfo(d / "o.h5");
  EXPECT_NE(info.commandLine.find("convert"), std::string::npos) << info.commandLine;
  EXPECT_NE(info.commandLine.find("'Good Reco,Event Type'"), std::string::npos) << info.commandLine;
}

// Streaming: a 50 MB text input (17.8 MB of float32 once parsed) must not raise the peak RSS of
// the process by more than a few MB over a tiny input; reading the whole file or holding the
// parsed rows before writing would add 18-50 MB. Measured with /usr/bin/time (kernel's maxrss).
TEST(ConvertCli, MemoryDoesNotGrowWithInput) {
  if (const std::string why = peakRssUnavailable(); !why.empty()) GTEST_SKIP() << why;
  TempDir d;
  // 64 distinct rows repeated: realistic parse cost, cheap to compress, so the test stays fast.
  std::vector<std::string> rows;
  for (int i = 0; i < 64; ++i) {
    std::string row;
    for (int j = 0; j < 8; ++j) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.6f", j ? "," : "", (i * 8 + j) * 1.9379 - 500.0);
      row += buf;
    }
    rows.push_back(row + "\n");
  }
  {
    std::ofstream big(d / "big.csv", std::ios::binary);
    big << "a,b,c,d,e,f,g,h\n";
    std::size_t bytes = 0;
    for (std::size_t i = 0; bytes < 50'000'000; ++i) {
      big << rows[i % 64];
      bytes += rows[i % 64].size();
    }
  }
  writeFile(d / "small.csv", "a,b,c,d,e,f,g,h\n" + rows[0] + rows[1]);
  // A file of its own for the background: convert refuses one file given as both classes.
  writeFile(d / "background.csv", "a,b,c,d,e,f,g,h\n" + rows[2] + rows[3]);
  const auto peakKb = [&](const std::string& sig, const std::string& out) {
    return convertPeakRssKb(d, "-q --signal '" + (d / sig) + "' --background '" + (d / "background.csv") + "' -o '" + (d / out) + "'");
  };
  const long small = peakKb("small.csv", "small.h5");
  const long big = peakKb("big.csv", "big.h5");
  ASSERT_GT(small, 0);
  EXPECT_LT(big - small, 10 * 1024) << "peak RSS " << small << " kB (tiny input) vs " << big << " kB (50 MB input)";
  EXPECT_GT(hepsweep::io::readDatasetInfo(d / "big.h5").rows, 500000);
}

// The same for ROOT inputs. (1) A tree of 8 float branches with 51 MB of values in 1,600 LZ4
// baskets: reading every basket at once, or keeping the ones read, would add 51 MB. (2) The same
// file given as 30 inputs, each a tree whose TTree object holds 4 MB of embedded baskets over 50
// branches, one selected: keeping every input's tree (or every branch's embedded baskets) while
// the others are read would add 120 MB; streamed, one input and one branch are held at a time.
TEST(ConvertCli, RootMemoryDoesNotGrowWithInputSizeOrCount) {
  if (const std::string why = peakRssUnavailable(); !why.empty()) GTEST_SKIP() << why;
  namespace rootw = hepsweep::rootw;
  TempDir d;
  // 64 distinct values repeated: cheap to compress, so the files stay small and the test fast.
  const auto values = [](int n, int salt) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<float>((i + salt) % 64) * 1.9379f - 50.0f;
    return v;
  };
  const auto tree = [&](int entries, int branches, int perBasket, int embedded) {
    rootw::Tree t;
    t.entries = entries;
    for (int b = 0; b < branches; ++b) {
      auto br = rootw::branch("v" + std::to_string(b), "TLeafF", values(entries, b));
      br.basketEntries.assign(static_cast<std::size_t>((entries - embedded) / perBasket), perBasket);
      br.embeddedEntries = embedded;
      t.branches.push_back(std::move(br));
    }
    rootw::File f;
    f.codec = rootw::Codec::Lz4;
    f.trees = {t};
    return f;
  };
  rootw::writeFile(d / "big.root", tree(1'600'000, 8, 8000, 0));
  rootw::writeFile(d / "small.root", tree(1000, 8, 500, 0));
  rootw::writeFile(d / "background.root", tree(1000, 8, 500, 0));  // convert refuses one file as both classes
  rootw::writeFile(d / "wide.root", tree(20'000, 50, 20'000, 20'000));
  rootw::writeFile(d / "wide-background.root", tree(20'000, 50, 20'000, 20'000));
  const auto peakKb = [&](const std::string& inputs, const std::string& out) {
    return convertPeakRssKb(d, "-q " + inputs + " -o '" + (d / out) + "'");
  };
  const std::string small = "--background '" + (d / "background.root") + "'";
  const long base = peakKb("--signal '" + (d / "small.root") + "' " + small, "small.h5");
  const long big = peakKb("--signal '" + (d / "big.root") + "' " + small, "big.h5");
  ASSERT_GT(base, 0);
  EXPECT_LT(big - base, 10 * 1024) << "peak RSS " << base << " kB (tiny tree) vs " << big << " kB (51 MB tree)";
  EXPECT_EQ(hepsweep::io::readDatasetInfo(d / "big.h5").rows, 1'601'000);

  std::string one = "--features v7 --signal '" + (d / "wide.root") + "' --background '" + (d / "wide-background.root") + "'";
  std::string many = "--features v7 --signal";
  for (int i = 0; i < 29; ++i) many += " '" + (d / "wide.root") + "'";
  many += " --background '" + (d / "wide-background.root") + "'";
  const long oneKb = peakKb(one, "one.h5");
  const long manyKb = peakKb(many, "many.h5");
  EXPECT_LT(manyKb - oneKb, 10 * 1024) << "peak RSS " << oneKb << " kB (2 inputs) vs " << manyKb << " kB (30 inputs)";
  EXPECT_EQ(hepsweep::io::readDatasetInfo(d / "many.h5").rows, 30 * 20'000);
}

// --class NAME=FILE[,FILE...] from the command line: files split at commas, classes in order,
// the JSON summary's classes[], and a malformed or lone --class refused with exit code 2.
TEST(ConvertCli, MultiClassByClassOption) {
  TempDir d;
  writeFile(d / "a.csv", "x,y\n1,2\n3,4\n");
  writeFile(d / "b1.csv", "x,y\n5,6\n");
  writeFile(d / "b2.csv", "x,y\n7,8\n");
  writeFile(d / "c.csv", "x,y\n9,10\n");
  const std::string out = d / "out.h5";
  const CliRun r = convertCli(d, "--class 'pi mu=" + std::string(d / "a.csv") + "' --class rho=" + std::string(d / "b1.csv") +
                                     "," + std::string(d / "b2.csv") + " --class bkg=" + std::string(d / "c.csv") +
                                     " -o '" + out + "' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["classes"].size(), 3u);
  EXPECT_EQ(j["classes"][0]["name"], "pi mu");
  EXPECT_EQ(j["classes"][1]["rows"], 2);
  EXPECT_EQ(j["classes"][2]["sum_weights"], 1.0);
  const hepsweep::io::DatasetInfo info = hepsweep::io::readDatasetInfo(out);
  EXPECT_EQ(info.classNames, (std::vector<std::string>{"pi mu", "rho", "bkg"}));
  EXPECT_EQ(info.inputClass, (std::vector<std::int8_t>{0, 1, 1, 2}));

  const CliRun bad = convertCli(d, "--class " + std::string(d / "a.csv") + " -o '" + std::string(d / "x.h5") + "'");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("is not NAME=FILE"), std::string::npos) << bad.err;
  const CliRun two = convertCli(d, "--class a=" + std::string(d / "a.csv") + " --class b=" + std::string(d / "c.csv") +
                                       " -o '" + std::string(d / "x.h5") + "'");
  EXPECT_EQ(two.code, 2);
  EXPECT_NE(two.err.find("three or more"), std::string::npos) << two.err;
  EXPECT_FALSE(std::filesystem::exists(d / "x.h5"));
}
