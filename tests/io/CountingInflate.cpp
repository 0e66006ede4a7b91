#include "CountingInflate.hpp"

#include <dlfcn.h>
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {
std::atomic<long> gInflates{0};
}

// Defined in the executable and referenced by libhdf5, so the dynamic linker binds HDF5's call
// here; the real function is the next definition (libz).
extern "C" int inflateInit_(z_streamp strm, const char* version, int streamSize) {
  using Fn = int (*)(z_streamp, const char*, int);
  static const Fn real = [] {
    auto* f = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "inflateInit_"));
    if (!f) {
      std::fprintf(stderr, "CountingInflate: no inflateInit_ after this one\n");
      std::abort();
    }
    return f;
  }();
  ++gInflates;
  return real(strm, version, streamSize);
}

namespace hepsweep::iotest {
long inflateCount() { return gInflates.load(); }
}  // namespace hepsweep::iotest
