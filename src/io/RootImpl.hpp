#pragma once
// Private to the ROOT reader: the state behind RootFile and RootTree, shared by the directory
// reader (RootFile.cpp), the tree parser (RootTree.cpp) and the row reader (RootRowReader.cpp).
#include <unistd.h>

#include <set>

#include "RootCursor.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::io {

struct RootFile::Impl {
  std::string path;
  int fd = -1;
  std::uint64_t size = 0;
  int version = 0;
  std::vector<rootfmt::TreeLocation> allTrees;  // every cycle
  std::vector<RootTreeKey> trees;      // highest cycles
  std::vector<std::string> rntuples;
  std::set<std::int64_t> visitedDirectories;

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
  std::string where() const { return "ROOT file '" + path + "'"; }
  std::string writtenBy() const { return "written by ROOT " + rootfmt::versionText(version); }

  // `n` bytes at `offset`; Error(Input) naming `what` when they lie past the end of the file.
  std::vector<unsigned char> readAt(std::int64_t offset, std::int64_t n, const std::string& what) const;
  // Spec section 2: a directory record and its list of keys (recursively: subdirectories).
  void readDirectory(std::int64_t recordOffset, const std::string& prefix, int depth);
};

struct RootTree::Impl {
  std::shared_ptr<const RootFile::Impl> file;
  std::string name, className;
  int cycle = 0;
  std::int64_t entries = 0;
  std::string friendWarning;  // empty: no friend trees
  std::vector<RootBranch> branches;
  std::vector<std::vector<rootfmt::BasketRef>> baskets;  // per branch
  std::vector<RootColumn> columns;
  std::vector<RootUnsupportedBranch> unsupported;

  std::string where() const { return "ROOT file '" + file->path + "', tree " + str::quoted(name); }
};

}  // namespace hepsweep::io
