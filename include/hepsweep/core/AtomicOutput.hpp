#pragma once
// Every file hepsweep writes is written whole or not at all. An AtomicOutput names a temporary
// file next to the target (TARGET.tmp-HOST-PID-N: the same directory, so the rename is atomic);
// the caller writes the temporary; commit() flushes it to the disk (fsync), renames it over the
// target and flushes the directory. Destroying an uncommitted AtomicOutput (an error, an
// exception) removes the temporary, so a file with its final name is always complete, and a
// failed write leaves nothing behind. Temporaries of processes killed before they could clean up
// are removed by removeStaleTemporaries on the next run.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace hepsweep {

// Whether a committed file must survive a crash of the machine (power loss, kernel panic), or only
// of the process. Durable: fsync before the rename (a name never points at unwritten data) and of
// the directory after it (the name itself survives). Transient: neither; the rename stays atomic
// for processes, and after a machine crash the file may be missing, older, or torn. Only for
// files whose loss costs time, never a result: a checkpoint (a torn one fails its content
// checksum and is set aside, a missing or older one resumes earlier, with the same results).
enum class Durability { Durable, Transient };

class AtomicOutput {
 public:
  explicit AtomicOutput(std::filesystem::path target, Durability durability = Durability::Durable);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::filesystem::path& target() const { return target_; }
  const std::filesystem::path& temporary() const { return temporary_; }
  // fsync the temporary, rename it over the target, fsync the directory (Transient: the rename
  // alone). Error(Io) naming the target (a full disk says so); the temporary is then removed.
  void commit();

 private:
  std::filesystem::path target_, temporary_;
  Durability durability_;
  bool committed_ = false;
};

// Writes `text` to `path` through an AtomicOutput.
void writeFileAtomically(const std::filesystem::path& path, std::string_view text);

// Error(Config) when `output` is one of `inputs`, or the same file through a link or another
// spelling of its path: an output never overwrites what the command reads. `option` names the
// output in the message (e.g. "-o"). An input "file.root:tree" names the file before the colon.
void refuseOutputOverInput(const std::filesystem::path& output, std::span<const std::string> inputs,
                           std::string_view option);

// Temporaries (NAME.tmp-HOST-PID-N) in `dir` whose process, on this host, is gone: removed.
// Returns how many. Temporaries of other hosts and of live processes stay.
std::size_t removeStaleTemporaries(const std::filesystem::path& dir);

// Whether the process `pid` on this host is gone (or a zombie nobody reaped).
bool processGone(long pid);
// This machine's host name.
std::string hostName();

}  // namespace hepsweep
