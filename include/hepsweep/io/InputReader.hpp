#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hepsweep/core/Checksum.hpp"
#include "hepsweep/io/RootFile.hpp"
#include "hepsweep/io/TextReader.hpp"

namespace hepsweep::io {

// One input of `convert` or `apply`, read row by row through the same interface whether it is a
// text ntuple (plain or .gz; only the selected fields are parsed) or a flat ROOT tree (only the
// selected branches are decompressed, one basket per branch in memory). Values come out with the
// checks convert applies: float32 features (finite unless allowed), finite weights, integer ids;
// errors name the file (and tree), the line or entry, and the column.
class InputReader {
 public:
  // A text file, or a ROOT input "file.root:tree" / "file.root" (see parseRootInputSpec).
  // checksum: the kind finishChecksum() returns. hashInBackground (SHA-256): the hash is computed
  // on a thread of its own while the rows are read (text: the bytes as they are read; ROOT: a
  // sequential read of the file from select() on).
  static InputReader open(const std::string& input, const Separator& separator, std::size_t blockSize = 1 << 20,
                          bool hashInBackground = false, ChecksumKind checksum = ChecksumKind::Sha256);
  ~InputReader();
  InputReader(InputReader&&) noexcept;
  InputReader& operator=(InputReader&&) noexcept;

  const std::string& input() const;  // as given
  bool isRoot() const;
  // The parsed tree, for its unreadable branches and friend warning; null for text inputs and
  // after select() (the reader then keeps only what the selected branches need).
  const RootTree* tree() const;
  // "file 'x.csv'" or "file 'f.root', tree 'T'", for messages.
  std::string where() const;
  // The text header, or the tree's readable columns ("x[0]", "x[1]" for array branches).
  const std::vector<std::string>& columnNames() const;
  std::ptrdiff_t column(std::string_view name) const;
  // Index of column `name`, or Error(Input) naming the input, the column, `namedBy` (the option
  // that asked for it) and the closest name; a ROOT branch this reader cannot read is named
  // with its class and the reason.
  std::size_t requireColumn(const std::string& name, const std::string& namedBy) const;

  // The columns that next() reads, by index into columnNames(); the accessors below take the
  // position `k` in this list. Call once, before the first next().
  void select(std::vector<std::size_t> columns);
  // Advances to the next row; false after the last one.
  bool next();
  // The float32 of the k-th selected column of the current row: Error(Input) for text that is not
  // a number, values outside the float32 range, and NaN/inf unless allowNonFinite.
  float feature(std::size_t k, bool allowNonFinite) const;
  // As feature(), always finite (weights).
  float weight(std::size_t k) const;
  // An integer (ids); Error(Input) for text or values that are not integers.
  std::int64_t integer(std::size_t k) const;
  // The value as text (labels): the field itself, or a ROOT value printed as convert compares it.
  std::string_view text(std::size_t k);
  std::int64_t rowsRead() const;

  // After next() returned false: the hex checksum, of the kind given to open(), of the file's
  // bytes (the ROOT file for trees).
  std::string finishChecksum();
  // Text: how fields were separated ("comma", ...); ROOT: "root".
  std::string separatorName() const;
  bool gzipped() const;
  double decompressSeconds() const;  // ROOT: seconds spent decompressing baskets
  std::uint64_t basketBytesRead() const;  // ROOT: compressed basket bytes read

  struct Impl;

 private:
  explicit InputReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepsweep::io
