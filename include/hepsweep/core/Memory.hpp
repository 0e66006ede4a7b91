#pragma once
// How much memory this process can still use, and how much it has used: for choosing where a
// campaign keeps its data (one copy per node, or each rank's rows) and for reporting peaks.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace hepsweep {

// The smaller of the kernel's MemAvailable and the room left under the memory limit of the
// process's control group (cgroup v2 memory.max, v1 memory.limit_in_bytes: the limits Slurm and
// HTCondor set for a job). nullopt when neither can be read.
std::optional<std::uint64_t> availableMemoryBytes();

// The process's peak resident set (VmHWM), in bytes; 0 when unknown.
std::uint64_t peakResidentBytes();

// Maps the pages of `bytes` (whole pages inside it) for writing at once, in one system call
// (MADV_POPULATE_WRITE, Linux 5.14+), instead of one page fault per page as they are first
// written: for a table about to be filled, where the faults cost about a third of the filling in
// a virtual machine. A hint: nothing happens where the kernel does not support it.
void prefaultForWrite(std::span<std::byte> bytes);

}  // namespace hepsweep
