#include "hepsweep/core/Checksum.hpp"

#include <new>
#include <vector>

#include "FileBlocks.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "xxh3/Xxh3Ops.hpp"

namespace hepsweep {

const char* toString(ChecksumKind kind) { return kind == ChecksumKind::Sha256 ? "sha256" : "xxh128"; }

ChecksumKind parseChecksumKind(const std::string& name, const std::string& what) {
  if (name == "xxh128") return ChecksumKind::Xxh128;
  if (name == "sha256") return ChecksumKind::Sha256;
  throwConfig(what + " '" + name + "': expected xxh128 or sha256");
}

namespace {

bool supported(const xxh3::Ops& ops) {
#if defined(HEPSWEEP_XXH3_X86)
  __builtin_cpu_init();
  if (&ops == &xxh3::v4()) return __builtin_cpu_supports("x86-64-v4");
  if (&ops == &xxh3::v3()) return __builtin_cpu_supports("x86-64-v3");
#endif
  return &ops == &xxh3::portable();
}

std::vector<const xxh3::Ops*> allOps() {
#if defined(HEPSWEEP_XXH3_X86)
  return {&xxh3::v4(), &xxh3::v3(), &xxh3::portable()};
#else
  return {&xxh3::portable()};
#endif
}

// The fastest implementation this CPU runs (libgcc's checks include the OS's AVX state).
const xxh3::Ops& bestOps() {
  static const xxh3::Ops* best = [] {
    for (const xxh3::Ops* ops : allOps())
      if (supported(*ops)) return ops;
    return &xxh3::portable();
  }();
  return *best;
}

const xxh3::Ops& opsNamed(const std::string& name) {
  for (const xxh3::Ops* ops : allOps())
    if (name == ops->name && supported(*ops)) return *ops;
  throwConfig("XXH3 implementation '" + name + "' is not in this build or not supported by this CPU");
}

}  // namespace

struct Xxh128::Impl {
  const xxh3::Ops& ops;
  void* state;
  explicit Impl(const xxh3::Ops& o) : ops(o), state(o.create()) {
    if (!state) throw std::bad_alloc();
  }
  ~Impl() { ops.destroy(state); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

Xxh128::Xxh128() : impl_(std::make_unique<Impl>(bestOps())) {}
Xxh128::Xxh128(const std::string& implementation) : impl_(std::make_unique<Impl>(opsNamed(implementation))) {}
Xxh128::~Xxh128() = default;
Xxh128::Xxh128(Xxh128&&) noexcept = default;
Xxh128& Xxh128::operator=(Xxh128&&) noexcept = default;

void Xxh128::update(const void* data, std::size_t size) {
  if (size > 0) impl_->ops.update(impl_->state, data, size);
}

std::string Xxh128::hexDigest() {
  unsigned char c[16];
  impl_->ops.digest(impl_->state, c);
  impl_->ops.reset(impl_->state);
  static const char* hex = "0123456789abcdef";
  std::string out(2 * sizeof c, '0');
  for (std::size_t i = 0; i < sizeof c; ++i) {
    out[2 * i] = hex[c[i] >> 4];
    out[2 * i + 1] = hex[c[i] & 15];
  }
  return out;
}

std::vector<std::string> Xxh128::implementations() {
  std::vector<std::string> names;
  for (const xxh3::Ops* ops : allOps())
    if (supported(*ops)) names.emplace_back(ops->name);
  return names;
}

std::string xxh128Hex(std::string_view bytes) {
  Xxh128 h;
  h.update(bytes.data(), bytes.size());
  return h.hexDigest();
}

std::string xxh128File(const std::string& path) {
  Xxh128 h;
  // 256 KiB blocks stay in the core's L2 between the copy from the page cache and the hash, which
  // is faster than the copy.
  detail::forEachFileBlock(path, std::size_t{256} << 10, [&](const char* data, std::size_t n) {
    h.update(data, n);
    return true;
  });
  return h.hexDigest();
}

std::string checksumFile(const std::string& path, ChecksumKind kind) {
  return kind == ChecksumKind::Sha256 ? sha256File(path) : xxh128File(path);
}

}  // namespace hepsweep
