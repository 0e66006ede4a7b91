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

}  // namespace hepsweep
