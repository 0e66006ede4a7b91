#pragma once
// Streaming reader for text ntuples (CSV, tab- or whitespace-separated, the SHiP ", " files),
// plain or gzip-compressed. The file is read once, in fixed-size blocks: the raw bytes are hashed
// (SHA-256, identical to `sha256sum`) in the same pass that inflates and splits them into lines,
// so memory does not grow with the file and provenance costs no second read.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hepsweep/core/Checksum.hpp"

namespace hepsweep::io {

// How a line is cut into fields. Fields are always trimmed of spaces, tabs and a final '\r'.
struct Separator {
  enum class Kind {
    Auto,        // decided from the header line: tab if present, else comma if present, else whitespace
    Comma,       // ',' (covers the SHiP ", " files, since fields are trimmed)
    Tab,         // '\t'
    Space,       // exactly one ' ' between fields (two spaces make an empty field)
    Whitespace,  // any run of spaces/tabs; leading and trailing blanks ignored
    Literal      // an arbitrary string, e.g. ";" or " | "
  };
  Kind kind = Kind::Auto;
  std::string literal;  // for Kind::Literal

  // "comma", "tab", "space", "whitespace", "auto" or any other non-empty text as a literal
  // separator; throws Error(Config) for an empty value.
  static Separator parse(std::string_view text);
  // Human-readable name for summaries and messages: "comma", "tab", "literal ';'", ...
  std::string describe() const;
};

// Raw byte source: plain file or gzip (detected from the magic bytes 1f 8b, any number of
// concatenated members), hashing the bytes as they come off the disk.
class ByteSource {
 public:
  // checksum: what finishChecksum() returns. hashInBackground (SHA-256 only; XXH128 is cheaper
  // than the read): the hash is computed on a thread of its own (BackgroundSha256) while the
  // caller works on the bytes, instead of in read().
  explicit ByteSource(std::string path, std::size_t blockSize = 1 << 20, bool hashInBackground = false,
                      ChecksumKind checksum = ChecksumKind::Sha256);
  ~ByteSource();
  ByteSource(ByteSource&&) noexcept;
  ByteSource& operator=(ByteSource&&) noexcept;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Up to `n` decompressed bytes into `out`; 0 at the end of the data. Throws Error(Io) on a read
  // failure and Error(Input) for corrupt or truncated gzip data.
  std::size_t read(char* out, std::size_t n);
  bool gzipped() const;
  // Reads any bytes not yet consumed (so the hash covers the whole file) and returns the hex
  // checksum (of the kind given to the constructor) of the raw file bytes. Call once, after
  // read() returned 0.
  std::string finishChecksum();
  std::uint64_t rawBytes() const;  // raw (compressed) bytes read so far
  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads the header line and then one data row at a time.
class TextReader {
 public:
  // Opens `path` and reads its header line (the first non-blank line). Throws Error(Io) when the
  // file cannot be opened and Error(Input) for an empty file or duplicate column names.
  // hashInBackground, checksum: see ByteSource.
  explicit TextReader(const std::string& path, Separator sep = {}, std::size_t blockSize = 1 << 20,
                      bool hashInBackground = false, ChecksumKind checksum = ChecksumKind::Sha256);
  ~TextReader();
  TextReader(TextReader&&) noexcept;
  TextReader& operator=(TextReader&&) noexcept;

  const std::string& path() const;
  const std::vector<std::string>& header() const;  // trimmed names, unquoted
  const Separator& separator() const;              // the resolved separator (never Auto)
  bool gzipped() const;
  // Position of a column by name, or -1.
  std::ptrdiff_t column(std::string_view name) const;

  // The next non-blank data line cut into fields (views valid until the next call); false at the
  // end. Throws Error(Input) naming file and line when the field count differs from the header.
  bool next(std::vector<std::string_view>& fields);
  std::uint64_t lineNumber() const;  // 1-based line number of the row last returned by next()
  std::uint64_t rowsRead() const;    // data rows returned so far

  // After next() returned false: the checksum of the raw file bytes (see ByteSource::finishChecksum).
  std::string finishChecksum();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Location of a field, for error messages: "file 'x.csv', line 12, column 'pt' (field 3)".
struct FieldContext {
  std::string_view path;
  std::uint64_t line = 0;
  std::string_view column;
  std::size_t field = 0;  // 1-based
};
std::string describe(const FieldContext& at);

// The float32 nearest to the decimal `text` (correctly rounded, from_chars semantics plus an
// optional leading '+'). "inf", "nan", "infinity" are recognised and rejected unless
// allowNonFinite; a finite decimal outside the float32 range is always rejected. Throws
// Error(Input) naming the location and quoting the text.
float parseFloat(std::string_view text, bool allowNonFinite, const FieldContext& at);
// A decimal integer, exactly (never through floating point); throws Error(Input) otherwise.
std::int64_t parseInt64(std::string_view text, const FieldContext& at);
// True (and the value) when `text` is, as a whole, a number that parses as double.
bool tryParseDouble(std::string_view text, double& value);

}  // namespace hepsweep::io
