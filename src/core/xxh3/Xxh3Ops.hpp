#pragma once
// XXH3-128 compiled once per x86-64 level (Xxh3*.cpp, each with libxxhash's header-only
// implementation, whose vector code is chosen by the compiler flags: SSE2, AVX2, AVX-512) and
// picked at run time in Checksum.cpp. Debian's libxxhash is built for baseline x86-64 (SSE2):
// AVX2 hashes about twice as fast. Every implementation gives the same digest. Private to core.
#include <cstddef>

namespace hepsweep::xxh3 {

struct Ops {
  const char* name;
  void* (*create)();  // a reset XXH3 state, null when out of memory
  void (*destroy)(void* state);
  void (*reset)(void* state);
  void (*update)(void* state, const void* data, std::size_t size);
  void (*digest)(void* state, unsigned char canonical[16]);  // XXH128's canonical (big-endian) bytes
};

const Ops& portable();
#if defined(HEPSWEEP_XXH3_X86)
const Ops& v3();
const Ops& v4();
#endif

}  // namespace hepsweep::xxh3
