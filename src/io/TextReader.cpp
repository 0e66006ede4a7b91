#include "hepsweep/io/TextReader.hpp"

#include <fast_float/fast_float.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "hepsweep/core/Checksum.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::io {

// ---------------------------------------------------------------------------------------------
// Separator

Separator Separator::parse(std::string_view text) {
  Separator s;
  if (text.empty()) throwConfig("--sep needs a value: comma, tab, space, whitespace or a literal string");
  if (text == "auto") s.kind = Kind::Auto;
  else if (text == "comma" || text == ",") s.kind = Kind::Comma;
  else if (text == "tab" || text == "\\t" || text == "\t") s.kind = Kind::Tab;
  else if (text == "space" || text == " ") s.kind = Kind::Space;
  else if (text == "whitespace") s.kind = Kind::Whitespace;
  else {
    s.kind = Kind::Literal;
    s.literal = std::string(text);
  }
  return s;
}

std::string Separator::describe() const {
  switch (kind) {
    case Kind::Auto: return "auto";
    case Kind::Comma: return "comma";
    case Kind::Tab: return "tab";
    case Kind::Space: return "space";
    case Kind::Whitespace: return "whitespace";
    case Kind::Literal: return "literal " + str::quoted(literal);
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// ByteSource

struct ByteSource::Impl {
  std::string path;
  std::FILE* file = nullptr;
  Sha256 sha;
  std::optional<BackgroundSha256> backgroundSha;  // instead of sha, when hashing on a thread
  std::optional<Xxh128> xxh;                      // instead of sha, for ChecksumKind::Xxh128
  std::vector<unsigned char> raw;
  std::size_t rawPos = 0, rawLen = 0;
  bool rawEof = false;
  std::uint64_t rawTotal = 0;
  bool gzip = false;
  bool zInit = false;
  bool inMember = false;
  z_stream z{};

  ~Impl() {
    if (zInit) inflateEnd(&z);
    if (file) std::fclose(file);
  }

  // Refills `raw` from the file and hashes what was read; returns false at end of file.
  bool refill() {
    if (rawEof) return false;
    const std::size_t n = std::fread(raw.data(), 1, raw.size(), file);
    if (n < raw.size()) {
      if (std::ferror(file)) throwIo("read error on '" + path + "': " + std::strerror(errno));
      rawEof = true;
    }
    if (xxh) xxh->update(raw.data(), n);
    else if (backgroundSha) backgroundSha->update(raw.data(), n);
    else sha.update(raw.data(), n);
    rawTotal += n;
    rawPos = 0;
    rawLen = n;
    return n > 0;
  }

  [[noreturn]] void gzipError(const char* what) const {
    throwInput("file '" + path + "': corrupt gzip data (" + what + ") after " +
               std::to_string(rawTotal) + " compressed bytes");
  }

  std::size_t readPlain(char* out, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      if (rawPos == rawLen && !refill()) break;
      const std::size_t k = std::min(n - done, rawLen - rawPos);
      std::memcpy(out + done, raw.data() + rawPos, k);
      rawPos += k;
      done += k;
    }
    return done;
  }

  std::size_t readGzip(char* out, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      if (!inMember) {
        // Between members: gzip(1) tolerates zero padding after the last member, so do we.
        for (;;) {
          while (rawPos < rawLen && raw[rawPos] == 0) ++rawPos;
          if (rawPos < rawLen) break;
          if (!refill()) return done;
        }
        if (inflateReset(&z) != Z_OK) gzipError("inflateReset failed");
        inMember = true;
      }
      if (rawPos == rawLen && !refill()) gzipError("the file ends inside a gzip member; truncated download?");
      z.next_in = raw.data() + rawPos;
      z.avail_in = static_cast<uInt>(rawLen - rawPos);
      z.next_out = reinterpret_cast<Bytef*>(out + done);
      z.avail_out = static_cast<uInt>(std::min<std::size_t>(n - done, 1u << 30));
      const uInt outBefore = z.avail_out;
      const int ret = inflate(&z, Z_NO_FLUSH);
      done += outBefore - z.avail_out;
      rawPos = rawLen - z.avail_in;
      if (ret == Z_STREAM_END) {
        inMember = false;
        if (done > 0) return done;
      } else if (ret == Z_BUF_ERROR) {
        // No progress possible with the input at hand: more input comes from the next refill.
      } else if (ret != Z_OK) {
        gzipError(z.msg ? z.msg : "inflate failed");
      }
    }
    return done;
  }
};

ByteSource::ByteSource(std::string path, std::size_t blockSize, bool hashInBackground, ChecksumKind checksum)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = std::move(path);
  s.file = std::fopen(s.path.c_str(), "rb");
  if (!s.file) throwIo("cannot open input file '" + s.path + "': " + std::strerror(errno));
  if (checksum == ChecksumKind::Xxh128) s.xxh.emplace();
  else if (hashInBackground) s.backgroundSha.emplace();
  s.raw.resize(std::max<std::size_t>(blockSize, 64));
  s.refill();
  if (s.rawLen >= 2 && s.raw[0] == 0x1f && s.raw[1] == 0x8b) {
    s.gzip = true;
    // 15 + 32: maximal window, automatic gzip/zlib header detection.
    if (inflateInit2(&s.z, 15 + 32) != Z_OK) throwIo("cannot initialise zlib for '" + s.path + "'");
    s.zInit = true;
  }
}

ByteSource::~ByteSource() = default;
ByteSource::ByteSource(ByteSource&&) noexcept = default;
ByteSource& ByteSource::operator=(ByteSource&&) noexcept = default;

std::size_t ByteSource::read(char* out, std::size_t n) {
  return impl_->gzip ? impl_->readGzip(out, n) : impl_->readPlain(out, n);
}

bool ByteSource::gzipped() const { return impl_->gzip; }
std::uint64_t ByteSource::rawBytes() const { return impl_->rawTotal; }
const std::string& ByteSource::path() const { return impl_->path; }

std::string ByteSource::finishChecksum() {
  while (impl_->refill()) {
  }
  if (impl_->xxh) return impl_->xxh->hexDigest();
  return impl_->backgroundSha ? impl_->backgroundSha->hexDigest() : impl_->sha.hexDigest();
}

// ---------------------------------------------------------------------------------------------
// TextReader

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Inline here (not str::trim) because it runs once per field of multi-GB inputs.
std::string_view trimField(std::string_view f) {
  std::size_t b = 0, e = f.size();
  while (b < e && isBlank(f[b])) ++b;
  while (e > b && isBlank(f[e - 1])) --e;
  return f.substr(b, e - b);
}

std::string_view unquote(std::string_view f) {
  if (f.size() >= 2 && f.front() == '"' && f.back() == '"') return f.substr(1, f.size() - 2);
  return f;
}

void splitLine(std::string_view line, const Separator& sep, std::vector<std::string_view>& out) {
  out.clear();
  if (sep.kind == Separator::Kind::Whitespace) {
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && isBlank(line[i])) ++i;
      if (i == line.size()) break;
      const std::size_t b = i;
      while (i < line.size() && !isBlank(line[i])) ++i;
      out.push_back(unquote(line.substr(b, i - b)));
    }
    return;
  }
  std::string_view delim;
  char one = 0;
  switch (sep.kind) {
    case Separator::Kind::Comma: one = ','; break;
    case Separator::Kind::Tab: one = '\t'; break;
    case Separator::Kind::Space: one = ' '; break;
    default: delim = sep.literal; break;
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = one ? line.find(one, start) : line.find(delim, start);
    const std::string_view f =
        line.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    out.push_back(unquote(trimField(f)));
    if (pos == std::string_view::npos) break;
    start = pos + (one ? 1 : delim.size());
  }
}

}  // namespace

namespace {

// No control bytes but tab, and valid UTF-8 (an HDF5 file starts with 0x89 'HDF').
bool plainTextLine(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    if (c < 0x80) continue;
    std::size_t more = 0;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) more = 2;
    else if (c >= 0xf0 && c <= 0xf4) more = 3;
    else return false;
    for (std::size_t k = 1; k <= more; ++k)
      if (i + k >= line.size() || (static_cast<unsigned char>(line[i + k]) & 0xc0) != 0x80) return false;
    i += more;
  }
  return true;
}

// The longest line read: 100,000 columns of 20-character numbers fit with room to spare.
constexpr std::size_t kMaxLineBytes = std::size_t{32} << 20;

}  // namespace

struct TextReader::Impl {
  ByteSource src;
  std::size_t blockSize;
  std::string buf;
  std::size_t begin = 0;     // start of the unconsumed text in buf
  std::size_t scanFrom = 0;  // where the search for '\n' resumes
  bool eof = false;
  std::uint64_t line = 0;       // lines consumed so far
  std::uint64_t rowLine = 0;    // line of the last returned row
  std::uint64_t rows = 0;
  std::vector<std::string> header;
  std::unordered_map<std::string, std::size_t> index;
  Separator sep;

  Impl(const std::string& path, std::size_t block, bool hashInBackground, ChecksumKind checksum)
      : src(path, block, hashInBackground, checksum), blockSize(block) {}

  // The next line without its terminator; false at the end of the data.
  bool nextLine(std::string_view& out) {
    for (;;) {
      const std::size_t nl = buf.find('\n', scanFrom);
      if (nl != std::string::npos) {
        out = std::string_view(buf).substr(begin, nl - begin);
        begin = scanFrom = nl + 1;
        ++line;
        return true;
      }
      scanFrom = buf.size();
      if (eof) {
        if (begin == buf.size()) return false;
        out = std::string_view(buf).substr(begin);
        begin = scanFrom = buf.size();
        ++line;
        return true;
      }
      // A line is held whole while it is split: without a bound, a file without line breaks
      // (/dev/zero, a binary file) would be read into memory until it ran out.
      if (buf.size() - begin > kMaxLineBytes)
        throwInput("file '" + src.path() + "', line " + std::to_string(line + 1) + ": longer than " +
                   std::to_string(kMaxLineBytes >> 20) + " MiB without a line break: not a text table (a binary "
                   "file?)");
      // Keep only the partial line, then append one more block.
      buf.erase(0, begin);
      scanFrom -= begin;
      begin = 0;
      const std::size_t old = buf.size();
      buf.resize(old + blockSize);
      const std::size_t n = src.read(buf.data() + old, blockSize);
      buf.resize(old + n);
      if (n == 0) eof = true;
    }
  }

  bool nextNonBlank(std::string_view& out) {
    while (nextLine(out)) {
      if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
      if (!trimField(out).empty()) return true;
    }
    return false;
  }
};

TextReader::TextReader(const std::string& path, Separator sep, std::size_t blockSize, bool hashInBackground,
                       ChecksumKind checksum)
    : impl_(std::make_unique<Impl>(path, std::max<std::size_t>(blockSize, 64), hashInBackground, checksum)) {
  Impl& r = *impl_;
  std::string_view line;
  if (!r.nextNonBlank(line)) throwInput("file '" + path + "' is empty (no header line)");
  if (r.line == 1 && str::startsWith(line, "\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 BOM
  // A binary file (an HDF5 file, an executable...) would otherwise show up as odd column names:
  // control bytes other than tab, and bytes that are not UTF-8, never occur in a text header.
  if (!plainTextLine(line))
    throwInput("file '" + path + "' is not a text table: its first line holds binary bytes (convert reads text "
               "tables, plain or gzip-compressed, and ROOT files; an HDF5 file needs no converting)");
  if (sep.kind == Separator::Kind::Auto) {
    if (line.find('\t') != std::string_view::npos) sep.kind = Separator::Kind::Tab;
    else if (line.find(',') != std::string_view::npos) sep.kind = Separator::Kind::Comma;
    else sep.kind = Separator::Kind::Whitespace;
  }
  r.sep = sep;
  std::vector<std::string_view> fields;
  splitLine(line, r.sep, fields);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    // pandas writes its index column with an empty name and reads it back as "Unnamed: <i>".
    std::string name = fields[i].empty() ? "Unnamed: " + std::to_string(i) : std::string(fields[i]);
    const auto [it, inserted] = r.index.emplace(name, i);
    if (!inserted)
      throwInput("file '" + path + "', line " + std::to_string(r.line) + ": duplicate column name " +
                 str::quoted(name) + " (fields " + std::to_string(it->second + 1) + " and " +
                 std::to_string(i + 1) + ")");
    r.header.push_back(std::move(name));
  }
}

TextReader::~TextReader() = default;
TextReader::TextReader(TextReader&&) noexcept = default;
TextReader& TextReader::operator=(TextReader&&) noexcept = default;

const std::string& TextReader::path() const { return impl_->src.path(); }
const std::vector<std::string>& TextReader::header() const { return impl_->header; }
const Separator& TextReader::separator() const { return impl_->sep; }
bool TextReader::gzipped() const { return impl_->src.gzipped(); }
std::uint64_t TextReader::lineNumber() const { return impl_->rowLine; }
std::uint64_t TextReader::rowsRead() const { return impl_->rows; }

std::ptrdiff_t TextReader::column(std::string_view name) const {
  const auto it = impl_->index.find(std::string(name));
  return it == impl_->index.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}

bool TextReader::next(std::vector<std::string_view>& fields) {
  Impl& r = *impl_;
  std::string_view line;
  if (!r.nextNonBlank(line)) return false;
  r.rowLine = r.line;
  splitLine(line, r.sep, fields);
  if (fields.size() != r.header.size()) {
    std::string msg = "file '" + path() + "', line " + std::to_string(r.line) + ": expected " +
                      std::to_string(r.header.size()) + " fields (as in the header, " +
                      r.sep.describe() + "-separated) but found " + std::to_string(fields.size());
    if (fields.size() < r.header.size())
      msg += "; column " + str::quoted(r.header[fields.size()]) + " (field " +
             std::to_string(fields.size() + 1) + ") is missing";
    else
      msg += "; extra field " + std::to_string(r.header.size() + 1) + " is " +
             str::quoted(fields[r.header.size()]);
    msg += "; line: " + str::quoted(line, 80);
    throwInput(msg);
  }
  ++r.rows;
  return true;
}

std::string TextReader::finishChecksum() { return impl_->src.finishChecksum(); }

// ---------------------------------------------------------------------------------------------
// Numbers

std::string describe(const FieldContext& at) {
  std::string s = "file '" + std::string(at.path) + "', line " + std::to_string(at.line);
  if (!at.column.empty()) s += ", column " + str::quoted(at.column);
  if (at.field) s += " (field " + std::to_string(at.field) + ")";
  return s;
}

namespace {
// from_chars forbids a leading '+', but many writers (C printf "%+g", some Fortran) emit one.
std::string_view dropPlus(std::string_view t) {
  if (t.size() > 1 && t[0] == '+' && t[1] != '+' && t[1] != '-') t.remove_prefix(1);
  return t;
}
}  // namespace

float parseFloat(std::string_view text, bool allowNonFinite, const FieldContext& at) {
  const std::string_view t = dropPlus(text);
  if (t.empty()) throwInput(describe(at) + ": empty field where a number was expected");
  float v = 0;
  const auto r = fast_float::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size())
    throwInput(describe(at) + ": " + str::quoted(text) + " is not a number");
  if (!std::isfinite(v)) {
    const std::size_t k = (t[0] == '-') ? 1 : 0;
    const bool literal = k < t.size() && std::isalpha(static_cast<unsigned char>(t[k]));
    if (!literal)
      throwInput(describe(at) + ": " + str::quoted(text) + " is outside the float32 range (|x| > 3.4e38)");
    if (!allowNonFinite)
      throwInput(describe(at) + ": " + str::quoted(text) +
                 " is not finite; pass --allow-nonfinite to keep NaN/inf values");
  }
  return v;
}

std::int64_t parseInt64(std::string_view text, const FieldContext& at) {
  const std::string_view t = dropPlus(text);
  if (t.empty()) throwInput(describe(at) + ": empty field where an integer was expected");
  std::int64_t v = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec == std::errc::result_out_of_range)
    throwInput(describe(at) + ": " + str::quoted(text) + " is outside the int64 range");
  if (r.ec != std::errc() || r.ptr != t.data() + t.size())
    throwInput(describe(at) + ": " + str::quoted(text) + " is not an integer");
  return v;
}

bool tryParseDouble(std::string_view text, double& value) {
  const std::string_view t = dropPlus(str::trim(text));
  if (t.empty()) return false;
  const auto r = fast_float::from_chars(t.data(), t.data() + t.size(), value);
  return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

}  // namespace hepsweep::io
