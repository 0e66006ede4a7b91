#include "hepsweep/core/Memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace hepsweep {
namespace {

// "Name:   1234 kB" lines of /proc files, in bytes.
std::optional<std::uint64_t> procField(const char* file, const std::string& name) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, name.size(), name) != 0 || line.size() <= name.size() || line[name.size()] != ':') continue;
    std::istringstream fields(line.substr(name.size() + 1));
    std::uint64_t value = 0;
    std::string unit;
    if (!(fields >> value)) return std::nullopt;
    fields >> unit;
    return unit == "kB" ? value * 1024 : value;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> readNumber(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Room under the memory limit of this process's cgroup: v2 ("0::/path") or v1 ("N:memory:/path").
std::optional<std::uint64_t> cgroupRoom() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    std::optional<std::uint64_t> limit, usage;
    if (line.compare(0, 3, "0::") == 0) {
      limit = readNumber("/sys/fs/cgroup" + path + "/memory.max");
      usage = readNumber("/sys/fs/cgroup" + path + "/memory.current");
    } else if (controllers == "memory") {
      // Inside a container the cgroup's own directory is usually mounted at the root.
      for (const std::string& base : {"/sys/fs/cgroup/memory" + path, std::string("/sys/fs/cgroup/memory")}) {
        limit = readNumber(base + "/memory.limit_in_bytes");
        usage = readNumber(base + "/memory.usage_in_bytes");
        if (limit && usage) break;
      }
    }
    // v1 reports "no limit" as a huge number rather than "max".
    if (limit && usage && *limit < (std::uint64_t{1} << 60)) return *limit > *usage ? *limit - *usage : 0;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> availableMemoryBytes() {
  const auto kernel = procField("/proc/meminfo", "MemAvailable");
  const auto cgroup = cgroupRoom();
  if (kernel && cgroup) return std::min(*kernel, *cgroup);
  return kernel ? kernel : cgroup;
}

std::uint64_t peakResidentBytes() { return procField("/proc/self/status", "VmHWM").value_or(0); }

void prefaultForWrite(std::span<std::byte> bytes) {
#ifdef MADV_POPULATE_WRITE
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t first = (begin + page - 1) / page * page, end = (begin + bytes.size()) / page * page;
  if (end > first) ::madvise(reinterpret_cast<void*>(first), end - first, MADV_POPULATE_WRITE);
#else
  (void)bytes;
#endif
}

}  // namespace hepsweep
