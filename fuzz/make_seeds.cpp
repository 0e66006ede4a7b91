// Writes the seed corpus for root_reader_fuzz: small ROOT files from the tests' writer covering
// each codec and mixed codecs in one object, on-disk and embedded baskets, arrays, nested
// directories, the 64-bit (big file) layout, baskets after the key lists, a TNtuple, friend lists
// and the refused branch kinds, so the fuzzer starts from inputs that reach deep into the parser.
// (fuzz/make_real_seed.py adds one from a file ROOT wrote.)
#include <fstream>
#include <iostream>
#include <string>

#include "../tests/io/RootTestWriter.hpp"

using namespace hepsweep;

namespace {

rootw::Tree tree(const std::string& name) {
  rootw::Tree t;
  t.name = name;
  t.entries = 5;
  t.branches = {rootw::branch<float>("f", "TLeafF", {1, 2, 3, 4, 5}),
                rootw::branch<std::int64_t>("l", "TLeafL", {-1, 2, 3, 4, 1LL << 40}),
                rootw::branch<std::int16_t>("s", "TLeafS", {1, -2, 3, 4, 5}),
                rootw::branch<double>("x", "TLeafD", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 2),
                rootw::branch<bool>("o", "TLeafO", {true, false, true, true, false}),
                rootw::branch<std::int8_t>("b", "TLeafB", {-1, 2, -3, 4, 127}),
                rootw::branch<std::uint8_t>("ub", "TLeafB", {1, 2, 255, 4, 5}),
                rootw::branch<std::uint32_t>("ui", "TLeafI", {1, 2, 3, 4000000000u, 5})};
  t.branches[3].title = "x[2]/D";
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  const auto save = [&](const std::string& name, const rootw::File& f) {
    std::ofstream(dir + "/" + name + ".root", std::ios::binary) << rootw::write(f);
  };
  const char* names[] = {"raw", "zlib", "lzma", "lz4", "zstd"};
  const rootw::Codec codecs[] = {rootw::Codec::None, rootw::Codec::Zlib, rootw::Codec::Lzma, rootw::Codec::Lz4,
                                 rootw::Codec::Zstd};
  for (int i = 0; i < 5; ++i) {
    rootw::File f;
    f.codec = codecs[i];
    f.blockSize = 64;
    f.trees = {tree("T")};
    save(names[i], f);
  }
  rootw::File mixed;
  mixed.codecs = {rootw::Codec::Zlib, rootw::Codec::Lz4, rootw::Codec::Zstd, rootw::Codec::Lzma};
  mixed.blockSize = 48;
  mixed.trees = {tree("T")};
  save("mixed", mixed);

  rootw::File many;
  many.trees = {tree("a"), tree("b"), tree("c"), tree("d")};
  many.trees[1].dir = "sub/deeper";
  many.trees[2].className = "TNtuple";
  many.trees[2].friends = true;
  many.trees[3].dir = "sub";
  many.trees[3].unreadableFriends = true;
  many.rntuples = {"rn"};
  save("keys", many);

  // The 64-bit layout, uncompressed so that its seeks are in plain sight for the mutator.
  rootw::File big = many;
  big.codec = rootw::Codec::None;
  big.bigFile = true;
  save("big", big);
  rootw::File bigLast = big;
  bigLast.trees = {tree("T")};
  bigLast.trees[0].dir = "a/b";
  bigLast.basketsAt = 8192;
  save("big_baskets_last", bigLast);

  rootw::File refused;
  refused.codec = rootw::Codec::None;
  rootw::Tree t = tree("T");
  t.branches[0].jagged = true;
  t.branches[1].branchClass = "TBranchElement";
  t.branches[2].nLeaves = 2;
  t.branches[3].leafClass = "TLeafD32";
  refused.trees = {t};
  save("refused", refused);
  return 0;
}
