#include "CountingInflate.hpp"

#include <dlfcn.h>
#include <libdeflate.h>
#include <zlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {
std::atomic<long> gInflates{0};
std::atomic<long> gDecodes{0};

template <class Fn>
Fn next(const char* name) {
  auto* f = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  if (!f) {
    std::fprintf(stderr, "CountingInflate: no %s after this one\n", name);
    std::abort();
  }
  return f;
}
}

// Defined in the executable and referenced by libhdf5, so the dynamic linker binds HDF5's call
// here; the real function is the next definition (libz).
extern "C" int inflateInit_(z_streamp strm, const char* version, int streamSize) {
  using Fn = int (*)(z_streamp, const char*, int);
  static const Fn real = next<Fn>("inflateInit_");
  ++gInflates;
  return real(strm, version, streamSize);
}

// Defined in the executable, which also holds hepsweep's code (static libraries): its calls bind
// here at link time; the real function is libdeflate's.
extern "C" libdeflate_result libdeflate_zlib_decompress(libdeflate_decompressor* d, const void* in, size_t inBytes,
                                                        void* out, size_t outBytes, size_t* got) {
  using Fn = libdeflate_result (*)(libdeflate_decompressor*, const void*, size_t, void*, size_t, size_t*);
  static const Fn real = next<Fn>("libdeflate_zlib_decompress");
  ++gDecodes;
  return real(d, in, inBytes, out, outBytes, got);
}

namespace hepsweep::iotest {
long inflateCount() { return gInflates.load(); }
long deflateDecodeCount() { return gDecodes.load(); }
}  // namespace hepsweep::iotest
