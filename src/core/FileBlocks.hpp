#pragma once
// Internal to core: a whole file read in blocks, for the checksums (Sha256.cpp, Checksum.cpp).
#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::detail {

// Calls fn(data, size) for each block of up to `blockSize` bytes of the file, in order, until the
// end or until fn returns false. Throws Error(Io) naming the file when it cannot be opened or read.
template <class F>
void forEachFileBlock(const std::string& path, std::size_t blockSize, F&& fn) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throwIo("cannot open '" + path + "' for reading: " + std::strerror(errno));
  posix_fadvise(fileno(f.get()), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buf(blockSize);
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0)
    if (!fn(buf.data(), n)) return;
  if (std::ferror(f.get())) throwIo("read error on '" + path + "': " + std::strerror(errno));
}

}  // namespace hepsweep::detail
