#include "hepsweep/core/Checksum.hpp"

#include <xxhash.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"

namespace hepsweep {

const char* toString(ChecksumKind kind) { return kind == ChecksumKind::Sha256 ? "sha256" : "xxh128"; }

ChecksumKind parseChecksumKind(const std::string& name, const std::string& what) {
  if (name == "xxh128") return ChecksumKind::Xxh128;
  if (name == "sha256") return ChecksumKind::Sha256;
  throwConfig(what + " '" + name + "': expected xxh128 or sha256");
}

struct Xxh128::Impl {
  XXH3_state_t* state = XXH3_createState();
  Impl() {
    if (!state) throw std::bad_alloc();
    XXH3_128bits_reset(state);
  }
  ~Impl() { XXH3_freeState(state); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

Xxh128::Xxh128() : impl_(std::make_unique<Impl>()) {}
Xxh128::~Xxh128() = default;
Xxh128::Xxh128(Xxh128&&) noexcept = default;
Xxh128& Xxh128::operator=(Xxh128&&) noexcept = default;

void Xxh128::update(const void* data, std::size_t size) {
  if (size > 0) XXH3_128bits_update(impl_->state, data, size);
}

std::string Xxh128::hexDigest() {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(impl_->state));
  XXH3_128bits_reset(impl_->state);
  static const char* hex = "0123456789abcdef";
  std::string out(2 * sizeof c.digest, '0');
  for (std::size_t i = 0; i < sizeof c.digest; ++i) {
    out[2 * i] = hex[c.digest[i] >> 4];
    out[2 * i + 1] = hex[c.digest[i] & 15];
  }
  return out;
}

std::string xxh128Hex(std::string_view bytes) {
  Xxh128 h;
  h.update(bytes.data(), bytes.size());
  return h.hexDigest();
}

std::string xxh128File(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throwIo("cannot open '" + path + "' for reading: " + std::strerror(errno));
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  Xxh128 h;
  // 256 KiB blocks stay in the core's L2 between the copy from the page cache and the hash, which
  // is faster than the copy.
  std::vector<char> buf(256 << 10);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throwIo("read error on '" + path + "': " + std::strerror(err));
    }
    h.update(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return h.hexDigest();
}

std::string checksumFile(const std::string& path, ChecksumKind kind) {
  return kind == ChecksumKind::Sha256 ? sha256File(path) : xxh128File(path);
}

}  // namespace hepsweep
