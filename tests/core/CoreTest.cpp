#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <set>
#include <vector>

#include "hepsweep/core/Checksum.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"

using namespace hepsweep;

// Counter-based streams are pure functions of (key, counter): the property that makes dropout
// masks and shuffles independent of which rank computes them. Catches hidden state.
TEST(Random, SameKeyAndCounterGiveSameValueInAnyOrder) {
  const std::uint64_t key = rng::streamKey(42, rng::Stream::Dropout);
  std::vector<std::uint64_t> forward, backward;
  for (std::uint64_t c = 0; c < 100; ++c) forward.push_back(rng::bits(key, c));
  for (std::uint64_t c = 100; c-- > 0;) backward.push_back(rng::bits(key, c));
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(forward, backward);
}

// Distinct purposes of one seed must not share a stream (a shuffle correlated with dropout
// masks would bias training).
TEST(Random, StreamsOfOneSeedDiffer) {
  EXPECT_NE(rng::streamKey(1, rng::Stream::Shuffle), rng::streamKey(1, rng::Stream::Dropout));
  EXPECT_NE(rng::streamKey(1, rng::Stream::Shuffle), rng::streamKey(2, rng::Stream::Shuffle));
  EXPECT_NE(rng::derive(7, 1), rng::derive(7, 2));
}

// Moments of uniform and normal draws: catches a wrong scaling constant or a biased mixer.
TEST(Random, UniformAndNormalMoments) {
  const std::uint64_t key = rng::streamKey(3, rng::Stream::Misc);
  const int n = 200000;
  double su = 0, su2 = 0, sn = 0, sn2 = 0;
  float umin = 1, umax = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng::uniform(key, static_cast<std::uint64_t>(i));
    const float uf = rng::uniformf(key, static_cast<std::uint64_t>(i));
    umin = std::min(umin, uf);
    umax = std::max(umax, uf);
    su += u;
    su2 += u * u;
    const double z = rng::normal(key, static_cast<std::uint64_t>(i));
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(su2 / n - (su / n) * (su / n), 1.0 / 12, 0.002);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
  EXPECT_GE(umin, 0.0f);
  EXPECT_LT(umax, 1.0f);
}

// A shuffle is a permutation (nothing lost or duplicated), deterministic in its key, and
// different keys give different orders.
TEST(Random, ShuffleIsADeterministicPermutation) {
  std::vector<int> a(1000), b(1000), c(1000);
  std::iota(a.begin(), a.end(), 0);
  b = a;
  c = a;
  rng::shuffle(a.data(), a.size(), 11);
  rng::shuffle(b.data(), b.size(), 11);
  rng::shuffle(c.data(), c.size(), 12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(sorted[static_cast<std::size_t>(i)], i);
}

// below(n) stays in range and hits every value: catches an off-by-one in the multiply-shift.
TEST(Random, BelowCoversRange) {
  std::set<std::uint64_t> seen;
  for (std::uint64_t c = 0; c < 1000; ++c) {
    const auto v = rng::below(5, c, 7);
    ASSERT_LT(v, 7u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
}

// SHA-256 against the FIPS 180-2 test vectors, and the file variant against the same bytes.
TEST(Sha256, KnownVectors) {
  Sha256 h;
  h.update("abc");
  EXPECT_EQ(h.hexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  h.update("");
  EXPECT_EQ(h.hexDigest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string path = testing::TempDir() + "/sha_abc.txt";
  std::ofstream(path) << "abc";
  EXPECT_EQ(sha256File(path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::remove(path.c_str());
}

// XXH128 in its canonical (big-endian) hex, as `xxhsum -H2` prints it, against xxHash's own sanity
// vectors (cli/xsum_sanity_check.c, which every xxhsum build checks itself with): the empty input
// { low64 0x6001C324468D497F, high64 0x99AA06D3014798D8 } and 2367 bytes of its test buffer
// { 0xCB37AEB9E5D361ED, 0xE89C0F6FF369B427 } (3 blocks, last stripe overlapping). A digest
// printed low half first, or little-endian, fails both. The file variant, read in 256 KiB blocks,
// must give the one-shot digest of the same bytes across several blocks and an odd tail.
TEST(Xxh128, KnownVectorsInXxhsumsCanonicalForm) {
  EXPECT_EQ(xxh128Hex(""), "99aa06d3014798d86001c324468d497f");
  std::string buf(2367, '\0');
  std::uint64_t gen = 2654435761u;  // xxhsum's XSUM_fillTestBuffer: PRIME32, times PRIME64 per byte
  for (char& c : buf) {
    c = static_cast<char>(gen >> 56);
    gen *= 11400714785074694797ull;
  }
  EXPECT_EQ(xxh128Hex(buf), "e89c0f6ff369b427cb37aeb9e5d361ed");
  // Every implementation this CPU runs (AVX-512, AVX2, SSE2 builds of the same code), whole and in
  // uneven pieces, and once more after the digest reset the state.
  const std::vector<std::string> impls = Xxh128::implementations();
  ASSERT_FALSE(impls.empty());
  EXPECT_EQ(impls.back(), "sse2");
  for (const std::string& impl : impls) {
    Xxh128 whole(impl);
    whole.update(buf.data(), buf.size());
    EXPECT_EQ(whole.hexDigest(), "e89c0f6ff369b427cb37aeb9e5d361ed") << impl;
    EXPECT_EQ(whole.hexDigest(), "99aa06d3014798d86001c324468d497f") << impl;
    Xxh128 pieces(impl);
    for (std::size_t at = 0, step = 1; at < buf.size(); at += step, step = step * 3 % 97 + 1)
      pieces.update(buf.data() + at, std::min(step, buf.size() - at));
    EXPECT_EQ(pieces.hexDigest(), "e89c0f6ff369b427cb37aeb9e5d361ed") << impl;
  }
  EXPECT_THROW(Xxh128("md5"), Error);

  const std::string path = testing::TempDir() + "/xxh_buf.bin";
  std::ofstream(path, std::ios::binary) << buf;
  EXPECT_EQ(xxh128File(path), "e89c0f6ff369b427cb37aeb9e5d361ed");
  EXPECT_EQ(checksumFile(path, ChecksumKind::Xxh128), "e89c0f6ff369b427cb37aeb9e5d361ed");
  EXPECT_EQ(checksumFile(path, ChecksumKind::Sha256), sha256File(path));
  std::string big;
  for (int i = 0; i < 700; ++i) big += buf;  // 1.66 MB: 6 full blocks and a partial one
  std::ofstream(path, std::ios::binary | std::ios::trunc) << big;
  EXPECT_EQ(xxh128File(path), xxh128Hex(big));
  std::remove(path.c_str());
  try {
    xxh128File("/nonexistent/dir/file.h5");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/file.h5"), std::string::npos);
  }
}

TEST(Xxh128, ChecksumKindNamesRoundTripAndOthersAreRefused) {
  for (ChecksumKind k : {ChecksumKind::Xxh128, ChecksumKind::Sha256}) EXPECT_EQ(parseChecksumKind(toString(k), "x"), k);
  try {
    parseChecksumKind("md5", "apply --checksum");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Config);
    EXPECT_NE(std::string(e.what()).find("apply --checksum 'md5'"), std::string::npos);
  }
}

TEST(Sha256, MissingFileIsAnIoErrorNamingIt) {
  try {
    sha256File("/nonexistent/dir/file.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/file.csv"), std::string::npos);
  }
}

// A path that opens but cannot be read (a directory: fopen succeeds, fread fails with EISDIR)
// must be a read error naming it, not the hash of an empty file.
TEST(Checksum, UnreadableFileIsAnIoErrorNamingIt) {
  const std::string dir = ::testing::TempDir();
  for (ChecksumKind kind : {ChecksumKind::Xxh128, ChecksumKind::Sha256}) {
    try {
      checksumFile(dir, kind);
      FAIL() << "expected an error for " << toString(kind);
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::Io);
      EXPECT_NE(std::string(e.what()).find("read error on '" + dir + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(Strings, TrimSplit) {
  EXPECT_EQ(str::trim("  Decay Z (cm) \r\n"), "Decay Z (cm)");
  const auto parts = str::split(" a, b ,c", ',');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "b");
  EXPECT_EQ(str::editDistance("kitten", "sitting"), 3u);
}

// The one "did you mean" of every unknown key, choice, column, tree and command: it must find a
// typo, a key typed in the wrong section and a column differing in case, and must not guess when
// nothing is near (a wrong guess sends the user after the wrong name).
TEST(Strings, NearestSuggestsOnlyWhatIsNear) {
  const std::vector<std::string> keys{"train.learning_rate", "train.batch_size", "model.widths"};
  EXPECT_EQ(str::nearest("train.learnig_rate", keys), "train.learning_rate");
  EXPECT_EQ(str::nearest("learning_rate", keys), "train.learning_rate");  // wrong section
  EXPECT_EQ(str::nearest("model.widht", keys), "model.widths");
  const std::vector<std::string> columns{"evt", "id", "mass", "Mass_jj"};
  EXPECT_EQ(str::nearest("ID", columns), "id");            // case first
  EXPECT_EQ(str::nearest("mass_JJ", columns), "Mass_jj");  // case-folded distance 0
  EXPECT_EQ(str::nearest("mas", columns), "mass");
  EXPECT_EQ(str::nearest("event", columns), "evt");
  // Nothing near: no suggestion, whatever the closest candidate.
  EXPECT_EQ(str::nearest("pt_lead", columns), "");
  EXPECT_EQ(str::nearest("x", columns), "");  // two edits would replace the whole word
  EXPECT_EQ(str::nearest("batch", keys), "");
  EXPECT_EQ(str::nearest("mass", std::vector<std::string>{}), "");
  // Ties go to the earlier candidate, so the suggestion does not depend on anything but the list.
  EXPECT_EQ(str::nearest("ab", std::vector<std::string>{"aa", "bb"}), "aa");
}

TEST(Strings, DidYouMeanHasOneWording) {
  const std::vector<std::string> choices{"grid", "random", "bayes"};
  EXPECT_EQ(str::didYouMean("gird", choices), "; did you mean 'grid'?");
  EXPECT_EQ(str::didYouMean("Bayes", choices), "; did you mean 'bayes'?");
  EXPECT_EQ(str::didYouMean("optuna", choices), "");
}

// shellQuote must round-trip through a real shell: catches quoting bugs that would corrupt
// recorded command lines (and, later, generated job scripts).
TEST(Strings, ShellQuoteRoundTripsThroughSh) {
  const std::vector<std::string> hostile{"plain", "with space", "it's", "$HOME", "`id`", "a;b", "x\ny", ""};
  for (const auto& s : hostile) {
    const std::string cmd = "printf %s " + str::shellQuote(s);
    std::FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[256];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    EXPECT_EQ(out, s) << "quoted as " << str::shellQuote(s);
  }
}

TEST(Strings, QuotedEscapesControlCharacters) {
  EXPECT_EQ(str::quoted("a\tb\n"), "'a\\tb\\n'");
  EXPECT_EQ(str::quoted(std::string(100, 'x'), 5), "'xxxxx...'");
}

TEST(Error, CategoriesHaveDistinctNonZeroExitCodes) {
  const ErrorCategory all[] = {ErrorCategory::Input, ErrorCategory::Config, ErrorCategory::Io,
                               ErrorCategory::Numeric, ErrorCategory::Internal};
  std::set<int> codes;
  for (auto c : all) {
    EXPECT_NE(exitCode(c), 0);
    codes.insert(exitCode(c));
  }
  EXPECT_EQ(codes.size(), 5u);
}

// BackgroundSha256 gives Sha256's digest for the same bytes however they are cut (empty pieces,
// pieces larger than earlier ones, more pieces than its blocks), and for a whole file; a missing
// file is an Error(Io) from hexDigest(); one dropped unfinished stops its thread (no hang).
TEST(Sha256, BackgroundGivesTheSameDigest) {
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>((i * 7919) ^ (i >> 5));
  Sha256 plain;
  plain.update(data);
  const std::string expected = plain.hexDigest();
  BackgroundSha256 bg;
  std::size_t at = 0;
  for (std::size_t piece = 0; at < data.size(); piece = (piece * 31 + 17) % 40000) {
    const std::size_t n = std::min(piece, data.size() - at);
    bg.update(data.data() + at, n);
    at += n;
  }
  EXPECT_EQ(bg.hexDigest(), expected);

  const std::string path = testing::TempDir() + "/hepsweep_bg_sha.bin";
  std::ofstream(path, std::ios::binary) << data;
  EXPECT_EQ(BackgroundSha256::ofFile(path).hexDigest(), expected);
  EXPECT_EQ(BackgroundSha256::ofFile(path).hexDigest(), sha256File(path));
  BackgroundSha256 missing = BackgroundSha256::ofFile(path + ".missing");
  EXPECT_THROW(missing.hexDigest(), Error);
  {
    BackgroundSha256 dropped;
    dropped.update(data.data(), 1000);
    BackgroundSha256 droppedFile = BackgroundSha256::ofFile(path);
  }
  std::remove(path.c_str());
}
