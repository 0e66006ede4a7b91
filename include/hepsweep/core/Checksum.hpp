#pragma once
// File checksums recorded as provenance: XXH3-128 (libxxhash; tens of GB/s, for inputs scored by
// the terabyte) or SHA-256 (core/Sha256.hpp). XXH128's hex is its canonical (big-endian) form,
// identical to `xxhsum -H2 FILE` (xxhsum -H128).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hepsweep {

enum class ChecksumKind { Xxh128, Sha256 };

// "xxh128" / "sha256": the option value and the name in output files.
const char* toString(ChecksumKind kind);
// Error(Config) naming `what` (e.g. "apply --checksum") for anything else.
ChecksumKind parseChecksumKind(const std::string& name, const std::string& what);

class Xxh128 {
 public:
  Xxh128();  // the fastest implementation this CPU runs
  // A given implementation (one of implementations()): every one gives the same digest.
  explicit Xxh128(const std::string& implementation);
  // The implementations this build has and this CPU runs, fastest first: "avx512", "avx2",
  // "sse2" (libxxhash's vector code compiled for each x86-64 level).
  static std::vector<std::string> implementations();
  ~Xxh128();
  Xxh128(Xxh128&&) noexcept;
  Xxh128& operator=(Xxh128&&) noexcept;
  Xxh128(const Xxh128&) = delete;
  Xxh128& operator=(const Xxh128&) = delete;

  void update(const void* data, std::size_t size);
  // 32 lowercase hex digits; the object is reset afterwards.
  std::string hexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string xxh128Hex(std::string_view bytes);

// Hash a whole file; throws Error(Io) naming the file when it cannot be read.
std::string xxh128File(const std::string& path);
std::string checksumFile(const std::string& path, ChecksumKind kind);

}  // namespace hepsweep
