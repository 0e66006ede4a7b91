// Writes the seed corpus for root_reader_fuzz: small ROOT files from the tests' writer covering
// each codec, on-disk and embedded baskets, arrays, a subdirectory, a TNtuple and the refused
// branch kinds, so the fuzzer starts from inputs that reach deep into the parser.
#include <fstream>
#include <iostream>
#include <string>

#include "../tests/io/RootTestWriter.hpp"

using namespace hepsweep;

namespace {

rootw::Branch branch(const std::string& name, const char* leaf, std::string data, int size, int entries, int length = 1) {
  rootw::Branch b;
  b.name = name;
  b.leafClass = leaf;
  b.valueSize = size;
  b.length = length;
  b.data = std::move(data);
  b.basketEntries = {entries - 2};
  b.embeddedEntries = 2;
  return b;
}

rootw::Tree tree(const std::string& name) {
  rootw::Tree t;
  t.name = name;
  t.entries = 5;
  t.branches = {branch("f", "TLeafF", rootw::column<float>({1, 2, 3, 4, 5}), 4, 5),
                branch("l", "TLeafL", rootw::column<std::int64_t>({-1, 2, 3, 4, 1LL << 40}), 8, 5),
                branch("s", "TLeafS", rootw::column<std::int16_t>({1, -2, 3, 4, 5}), 2, 5),
                branch("x", "TLeafD", rootw::column<double>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), 8, 5, 2)};
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
  rootw::File many;
  many.trees = {tree("a"), tree("b"), tree("c")};
  many.trees[1].dir = "sub";
  many.trees[2].className = "TNtuple";
  many.trees[2].friends = true;
  many.rntuples = {"rn"};
  save("keys", many);
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
