#pragma once
// Reader for flat ROOT TTrees, without ROOT. Supported: branches holding one numeric leaf (bool,
// 8-64-bit signed/unsigned integers, float, double) or a fixed-size array of one (`x[3]/F`, read
// as the columns x[0], x[1], x[2]); trees in subdirectories; the highest key cycle; baskets on
// disk and baskets embedded in the TTree object; ZLIB, LZMA, LZ4 (XXH64-checked) and ZSTD blocks.
// Everything else (jagged arrays, TBranchElement/STL/object branches, leaf lists, Float16_t,
// Double32_t, RNTuple, friend trees) is reported by name, never silently skipped or misread.
//
// Reading streams basket by basket: RootRowReader keeps one decompressed basket per selected
// branch, plus the selected branches' baskets embedded in the TTree object (the TTree object itself
// is dropped once parsed). Corrupt or truncated files throw Error(Input) naming the file and the
// object.
// The byte layout followed is ../shared/formats/root-flat-ttree.md (ROOT io/doc/TFile, uproot5).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hepsweep::io {

enum class RootType : std::uint8_t { Bool, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float, Double };
// "float32", "int64", "bool", ... as numpy names them.
const char* rootTypeName(RootType t);
std::size_t rootTypeSize(RootType t);
bool rootTypeIsInteger(RootType t);  // bool counts as integer (0/1)

// One readable column: a scalar branch, or one element of a fixed-size array branch.
struct RootColumn {
  std::string name;         // branch name, or "x[1]" / "m[0][2]" for array elements
  std::size_t branch = 0;   // index into RootTree::branches()
  std::size_t element = 0;  // position inside the branch's per-entry array
  RootType type = RootType::Float;
};

// A branch of the tree that hepsweep can read.
struct RootBranch {
  std::string name;
  std::string title;      // e.g. "pt/F", "x[3]/F"
  std::string leafClass;  // TLeafF, TLeafI, ...
  RootType type = RootType::Float;
  std::size_t length = 1;  // values per entry (fixed-size arrays > 1)
};

// A branch that hepsweep refuses, and why ("jagged array x[n]/F (its length comes from branch 'n')").
struct RootUnsupportedBranch {
  std::string name;
  std::string className;  // TBranchElement, TBranch, ...; the leaf class for leaf problems
  std::string reason;
};

// A tree found in the file: "dir/sub/name", its class, highest cycle and the key's title.
struct RootTreeKey {
  std::string path;
  std::string className;  // TTree, TNtuple, TNtupleD
  int cycle = 0;
  std::string title;
};

class RootTree;

class RootFile {
 public:
  // Opens `path`, checks the file header and lists the keys of every directory. Throws Error(Io)
  // when the file cannot be opened and Error(Input) when it is not a readable ROOT file.
  explicit RootFile(const std::string& path);
  ~RootFile();
  RootFile(RootFile&&) noexcept;
  RootFile& operator=(RootFile&&) noexcept;

  const std::string& path() const;
  std::uint64_t size() const;
  // ROOT version that wrote the file, e.g. "6.15/01".
  std::string rootVersionText() const;
  // TTrees (and TNtuples), highest cycle of each name, in key order.
  const std::vector<RootTreeKey>& trees() const;

  // The tree named `name` ("tree", "dir/tree", "tree;2" for an older cycle); an empty name
  // selects the only tree of the file. Throws Error(Input) for no such tree, an ambiguous
  // default, an RNTuple, or a TTree this reader does not support (class version, ...).
  RootTree tree(std::string_view name) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

class RootTree {
 public:
  const std::string& filePath() const;
  const std::string& name() const;  // path inside the file, "dir/tree"
  int cycle() const;
  std::int64_t entries() const;
  const std::vector<RootBranch>& branches() const;
  const std::vector<RootColumn>& columns() const;
  const std::vector<RootUnsupportedBranch>& unsupported() const;
  std::vector<std::string> columnNames() const;
  // Column index by name, or -1.
  std::ptrdiff_t column(std::string_view name) const;
  // Unsupported branch by name (array columns "x[1]" also match their branch "x"), or null.
  const RootUnsupportedBranch* unsupportedBranch(std::string_view name) const;
  // The error text for reading `u`: "ROOT file 'f.root', tree 'T', branch 'x' (TLeafF) is a jagged ...".
  std::string refusal(const RootUnsupportedBranch& u) const;
  // Empty, or the warning to show: the tree has friend trees (not followed), or whether it has
  // any could not be read.
  const std::string& friendWarning() const;
  // "file 'f.root', tree 'T'" for messages.
  std::string where() const;

  struct Impl;
  explicit RootTree(std::shared_ptr<const Impl> impl);

 private:
  friend class RootRowReader;
  std::shared_ptr<const Impl> impl_;
};

// Streams the selected columns entry by entry, loading one basket per branch at a time.
class RootRowReader {
 public:
  // `columns` are indices into tree.columns() (at least one). Throws Error(Config) otherwise.
  // The reader keeps the file open and the selected branches' embedded baskets, nothing else of
  // `tree`, which may be dropped.
  RootRowReader(const RootTree& tree, std::vector<std::size_t> columns);
  ~RootRowReader();
  RootRowReader(RootRowReader&&) noexcept;
  RootRowReader& operator=(RootRowReader&&) noexcept;

  // Advances to the next entry; false after the last one. Throws Error(Input) for a corrupt or
  // unsupported basket, naming file, tree, branch and basket.
  bool next();
  std::int64_t entry() const;  // 0-based entry number of the current row

  // The value of the i-th selected column in the current entry.
  RootType type(std::size_t i) const;
  double asDouble(std::size_t i) const;  // exact for every type except (u)int64 beyond 2^53
  float asFloat(std::size_t i) const;    // the nearest float32 (float leaves: the stored bits)
  // Integer value; for floating-point leaves the value must be integral and in range, else
  // Error(Input) naming the column and entry.
  std::int64_t asInt64(std::size_t i) const;
  // The value as text: integers in decimal, floats as the shortest round-trip decimal.
  std::string asText(std::size_t i) const;

  // Bytes read from the file and seconds spent decompressing, for benchmarks.
  std::uint64_t bytesRead() const;
  double decompressSeconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A "file.root:tree" argument. The whole text names an existing file -> that file (tree empty);
// otherwise the text up to the last ':' must name a file. Only ROOT files (magic "root") match.
struct RootInputSpec {
  std::string file;
  std::string tree;  // empty: the file's only tree
};
// nullopt when `text` does not name a ROOT file. Throws Error(Input) when the part before ':'
// names an existing file that is not a ROOT file.
std::optional<RootInputSpec> parseRootInputSpec(const std::string& text);
// True when the file starts with ROOT's magic bytes "root".
bool isRootFile(const std::string& path);

// Decompresses one ROOT object payload (a sequence of compressed blocks, each with its own 9-byte
// header) into exactly `objLen` bytes. `what` names the object in error messages.
std::vector<unsigned char> rootDecompress(const unsigned char* data, std::size_t size, std::size_t objLen,
                                          const std::string& what);

}  // namespace hepsweep::io
