#pragma once
// How much memory this process can still use, and how much it has used: for choosing where a
// campaign keeps its data (one copy per node, or each rank's rows) and for reporting peaks.
#include <cstdint>
#include <optional>

namespace hepsweep {

// The smaller of the kernel's MemAvailable and the room left under the memory limit of the
// process's control group (cgroup v2 memory.max, v1 memory.limit_in_bytes: the limits Slurm and
// HTCondor set for a job). nullopt when neither can be read.
std::optional<std::uint64_t> availableMemoryBytes();

// The process's peak resident set (VmHWM), in bytes; 0 when unknown.
std::uint64_t peakResidentBytes();

}  // namespace hepsweep
