#pragma once
// SHA-256 of files and byte streams (OpenSSL's libcrypto does the hashing), as lowercase hex,
// identical to `sha256sum`. Inputs are hashed while they are streamed, so no file is read twice.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace hepsweep {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Hex digest; the object is reset afterwards.
  std::string hexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// SHA-256 (hex) of bytes in memory.
std::string sha256Hex(std::string_view bytes);

// Hash a whole file; throws Error(Io) naming the file when it cannot be read.
std::string sha256File(const std::string& path);

// SHA-256 on a thread of its own, so that hashing overlaps with the caller's work (convert parses
// an input while its bytes are hashed): of the bytes given to update(), copied into one of a few
// blocks and hashed in order, or of a whole file, which that thread reads (ofFile). The digest is
// Sha256's. Destroying it before hexDigest() stops the thread without finishing the hash.
class BackgroundSha256 {
 public:
  BackgroundSha256();
  static BackgroundSha256 ofFile(const std::string& path);
  ~BackgroundSha256();
  BackgroundSha256(BackgroundSha256&&) noexcept;
  BackgroundSha256& operator=(BackgroundSha256&&) noexcept;
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;

  // Waits only while every block is still queued for hashing.
  void update(const void* data, std::size_t size);
  // Waits for the hash to finish; call once. Throws Error(Io) when the file could not be read.
  std::string hexDigest();

 private:
  struct Impl;
  explicit BackgroundSha256(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepsweep
