// ROOT's compressed object payloads: a sequence of blocks, each with a 9-byte header that names
// its own codec (the file header's fCompress does not say what the blocks use).
#include <lz4.h>
#include <lzma.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/io/RootFile.hpp"

namespace hepsweep::io {

namespace {

constexpr std::size_t kBlockHeader = 9;

std::uint32_t le24(const unsigned char* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16);
}

std::string printable(const unsigned char* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    char buf[8];
    if (p[i] >= 0x20 && p[i] < 0x7f) {
      s += static_cast<char>(p[i]);
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02x", p[i]);
      s += buf;
    }
  }
  return s;
}

void inflateZlib(const unsigned char* in, std::size_t inLen, unsigned char* out, std::size_t outLen,
                 const std::string& where) {
  uLongf produced = static_cast<uLongf>(outLen);
  const int rc = ::uncompress(out, &produced, in, static_cast<uLong>(inLen));
  if (rc != Z_OK || produced != outLen)
    throwInput(where + ": corrupt ZLIB block (" + (rc == Z_OK ? "wrong size" : std::string(zError(rc))) + ")");
}

void decodeXz(const unsigned char* in, std::size_t inLen, unsigned char* out, std::size_t outLen,
              const std::string& where) {
  // ROOT writes XZ with liblzma presets 1-9: a dictionary of at most 64 MiB, which the decoder
  // allocates in full. A block header asking for more is corrupt, and must not make a small file
  // allocate a gigabyte.
  std::uint64_t memlimit = std::uint64_t{128} << 20;
  std::size_t inPos = 0, outPos = 0;
  const lzma_ret rc = ::lzma_stream_buffer_decode(&memlimit, 0, nullptr, in, &inPos, inLen, out, &outPos, outLen);
  if (rc == LZMA_MEMLIMIT_ERROR)
    throwInput(where + ": corrupt LZMA (XZ) block (it asks for a dictionary larger than any ROOT compression "
               "level uses)");
  if (rc != LZMA_OK || outPos != outLen)
    throwInput(where + ": corrupt LZMA (XZ) block (liblzma code " + std::to_string(static_cast<int>(rc)) + ")");
}

void decodeLz4(const unsigned char* in, std::size_t inLen, unsigned char* out, std::size_t outLen,
               const std::string& where) {
  if (inLen < 8) throwInput(where + ": LZ4 block too short for its XXH64 checksum");
  std::uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) stored = (stored << 8) | in[i];
  const std::uint64_t actual = XXH64(in + 8, inLen - 8, 0);
  if (stored != actual) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "stored %016llx, computed %016llx", static_cast<unsigned long long>(stored),
                  static_cast<unsigned long long>(actual));
    throwInput(where + ": LZ4 block checksum mismatch (XXH64 " + buf + "): the file is corrupt");
  }
  const int n = ::LZ4_decompress_safe(reinterpret_cast<const char*>(in + 8), reinterpret_cast<char*>(out),
                                      static_cast<int>(inLen - 8), static_cast<int>(outLen));
  if (n < 0 || static_cast<std::size_t>(n) != outLen) throwInput(where + ": corrupt LZ4 block");
}

void decodeZstd(const unsigned char* in, std::size_t inLen, unsigned char* out, std::size_t outLen,
                const std::string& where) {
  const std::size_t n = ::ZSTD_decompress(out, outLen, in, inLen);
  if (::ZSTD_isError(n)) throwInput(where + ": corrupt ZSTD block (" + ::ZSTD_getErrorName(n) + ")");
  if (n != outLen) throwInput(where + ": ZSTD block decompressed to the wrong size");
}

}  // namespace

std::vector<unsigned char> rootDecompress(const unsigned char* data, std::size_t size, std::size_t objLen,
                                          const std::string& what) {
  std::vector<unsigned char> out;
  std::size_t pos = 0;
  int block = 0;
  // The output grows block by block (never to the claimed objLen up front), so a corrupt length
  // costs no more memory than the blocks actually decoded.
  while (out.size() < objLen) {
    const std::string where = what + ", compressed block " + std::to_string(block + 1);
    if (size - pos < kBlockHeader)
      throwInput(where + ": truncated (" + std::to_string(out.size()) + " of " + std::to_string(objLen) +
                 " bytes decoded, no room for another block header)");
    const unsigned char* h = data + pos;
    const std::size_t c = le24(h + 3);
    const std::size_t u = le24(h + 6);
    pos += kBlockHeader;
    if (c > size - pos)
      throwInput(where + ": block claims " + std::to_string(c) + " compressed bytes but only " +
                 std::to_string(size - pos) + " remain");
    if (u == 0 || u > objLen - out.size())
      throwInput(where + ": block claims " + std::to_string(u) + " uncompressed bytes, " +
                 std::to_string(objLen - out.size()) + " expected at most");
    const std::size_t at = out.size();
    const std::string magic(reinterpret_cast<const char*>(h), 2);
    if (magic == "ZL" || magic == "XZ" || magic == "L4" || magic == "ZS") out.resize(at + u);
    if (magic == "ZL") {
      inflateZlib(h + kBlockHeader, c, out.data() + at, u, where);
    } else if (magic == "XZ") {
      decodeXz(h + kBlockHeader, c, out.data() + at, u, where);
    } else if (magic == "L4") {
      decodeLz4(h + kBlockHeader, c, out.data() + at, u, where);
    } else if (magic == "ZS") {
      decodeZstd(h + kBlockHeader, c, out.data() + at, u, where);
    } else if (magic == "CS") {
      throwInput(where + ": compressed with ROOT's old 'CS' algorithm (ROOT before 5.x zlib), which is not "
                 "supported; rewrite the file with a current ROOT (e.g. hadd -f or TTree::CloneTree)");
    } else {
      throwInput(where + ": unknown compression block header '" + printable(h, 3) +
                 "' (supported: ZL zlib, XZ lzma, L4 lz4, ZS zstd)");
    }
    pos += c;
    ++block;
  }
  return out;
}

}  // namespace hepsweep::io
