#include "hepsweep/core/AtomicOutput.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace fs = std::filesystem;

namespace hepsweep {
namespace {

constexpr std::string_view kMarker = ".tmp-";

std::string describeErrno(int err) {
  if (err == ENOSPC) return "no space left on the device";
  if (err == EDQUOT) return "disk quota exceeded";
  return std::strerror(err);
}

// fsync of a file or directory; the errno of a failure (0 on success).
int syncPath(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return errno;
  const int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace

std::string hostName() {
  char buf[256] = {0};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

bool processGone(long pid) {
  if (pid <= 0) return true;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
  // Containers whose init does not reap orphans keep killed processes as zombies.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

AtomicOutput::AtomicOutput(fs::path target, Durability durability)
    : target_(std::move(target)), durability_(durability) {
  static std::atomic<unsigned> counter{0};
  const fs::path dir = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throwIo("cannot write " + str::quoted(target_.string(), 300) + ": the directory " + str::quoted(dir.string(), 300) +
            " does not exist");
  temporary_ = target_.string() + std::string(kMarker) + hostName() + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(counter++);
}

AtomicOutput::~AtomicOutput() {
  if (committed_) return;
  std::error_code ec;
  fs::remove(temporary_, ec);
}

void AtomicOutput::commit() {
  const auto fail = [&](const std::string& what, int err) {
    std::error_code ec;
    fs::remove(temporary_, ec);
    throwIo("cannot write " + str::quoted(target_.string(), 300) + ": " + what + ": " + describeErrno(err));
  };
  const bool durable = durability_ == Durability::Durable;
  // The data first: a rename that reaches the disk before them would name a file of zeros.
  if (durable)
    if (const int err = syncPath(temporary_, false)) fail("flushing it to the disk failed", err);
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) fail("renaming the finished file into place failed", errno);
  committed_ = true;
  if (!durable) return;
  // The rename itself is durable once the directory is: a failure here leaves a complete file.
  syncPath(target_.has_parent_path() ? target_.parent_path() : fs::path("."), true);
}

void writeFileAtomically(const fs::path& path, std::string_view text) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.temporary(), std::ios::binary | std::ios::trunc);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.flush();
    if (!f) {
      const int err = errno;
      throwIo("cannot write " + str::quoted(path.string(), 300) + ": " + describeErrno(err));
    }
  }
  out.commit();
}

void refuseOutputOverInput(const fs::path& output, std::span<const std::string> inputs, std::string_view option) {
  std::error_code ec;
  if (!fs::exists(output, ec)) return;  // a new file cannot be an existing input
  for (std::string in : inputs) {
    std::error_code e2;
    // "file.root:tree" names a file and a tree in it.
    if (!fs::exists(in, e2) && in.rfind(':') != std::string::npos) in = in.substr(0, in.rfind(':'));
    if (in.empty() || !fs::equivalent(output, in, e2)) continue;
    throwConfig(std::string(option) + " " + str::quoted(output.string(), 300) + " is the input " +
                str::quoted(in, 300) + (output.string() == in ? "" : " (the same file through another path or a link)") +
                ": writing it would destroy what is being read; choose another output file");
  }
}

std::size_t removeStaleTemporaries(const fs::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  const std::string host = hostName();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto at = name.rfind(kMarker);
    if (at == std::string::npos) continue;
    // HOST-PID-N, the host possibly holding dashes itself.
    const std::string tail = name.substr(at + kMarker.size());
    const auto dash2 = tail.rfind('-');
    if (dash2 == std::string::npos || dash2 == 0) continue;
    const auto dash1 = tail.rfind('-', dash2 - 1);
    if (dash1 == std::string::npos) continue;
    const std::string owner = tail.substr(0, dash1), pid = tail.substr(dash1 + 1, dash2 - dash1 - 1);
    if (owner != host || pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!processGone(std::stol(pid))) continue;
    std::error_code e2;
    fs::remove_all(it->path(), e2);
    if (!e2) ++removed;
  }
  return removed;
}

}  // namespace hepsweep
