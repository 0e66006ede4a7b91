#include "hepsweep/rundir/RunDirectory.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"

namespace fs = std::filesystem;

namespace hepsweep::rundir {
namespace {

double ageSeconds(const fs::path& p) {
  std::error_code ec;
  const auto t = fs::last_write_time(p, ec);
  if (ec) return 1e30;
  return std::chrono::duration<double>(fs::file_time_type::clock::now() - t).count();
}

}  // namespace

const char* toString(ItemStatus s) {
  switch (s) {
    case ItemStatus::Pending: return "pending";
    case ItemStatus::Running: return "running";
    case ItemStatus::Done: return "done";
    case ItemStatus::Failed: return "failed";
  }
  return "?";
}

void writeTextFile(const fs::path& path, const std::string& text) { writeFileAtomically(path, text); }

std::string readTextFile(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throwIo("cannot read '" + path.string() + "'");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

RunDirectory::RunDirectory(fs::path root) : root_(std::move(root)) {}

void RunDirectory::create() const {
  std::error_code ec;
  fs::create_directories(root_ / "items", ec);
  if (ec) throwIo("cannot create run directory '" + root_.string() + "': " + ec.message());
}

RunDirectory::~RunDirectory() {
  try {
    release();
  } catch (...) {
  }
}

fs::path RunDirectory::itemDir(std::int64_t item) const {
  char name[32];
  std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(item));
  return root_ / "items" / name;
}

ItemStatus RunDirectory::status(std::int64_t item, double staleSeconds) const {
  if (fs::exists(resultFile(item))) return ItemStatus::Done;
  if (fs::exists(failedFile(item))) return ItemStatus::Failed;
  if (ageSeconds(heartbeatFile(item)) < staleSeconds) {
    // A heartbeat written on this host by a process that is gone (killed) is no longer running.
    std::string host;
    long pid = 0;
    std::ifstream(heartbeatFile(item)) >> host >> pid;
    if (host == hostName() && processGone(pid)) return ItemStatus::Pending;
    return ItemStatus::Running;
  }
  return ItemStatus::Pending;
}

std::optional<std::string> RunDirectory::failureReason(std::int64_t item) const {
  if (!fs::exists(failedFile(item))) return std::nullopt;
  return readTextFile(failedFile(item));
}

void RunDirectory::markFailed(std::int64_t item, const std::string& reason) const {
  fs::create_directories(itemDir(item));
  writeTextFile(failedFile(item), reason + "\n");
  std::error_code ec;
  fs::remove(heartbeatFile(item), ec);
}

void RunDirectory::touchHeartbeat(std::int64_t item) const {
  fs::create_directories(itemDir(item));
  std::ofstream(heartbeatFile(item), std::ios::trunc) << hostName() << " " << ::getpid() << "\n";
}

void RunDirectory::appendLog(std::int64_t item, const std::string& line) const {
  fs::create_directories(itemDir(item));
  std::ofstream(logFile(item), std::ios::app) << line << "\n";
}

void RunDirectory::clear() const {
  std::error_code ec;
  fs::remove_all(root_ / "items", ec);
  fs::remove(campaignFile(), ec);
  fs::remove(manifestFile(), ec);
  fs::create_directories(root_ / "items", ec);
}

void RunDirectory::claim(const std::string& slice, double staleSeconds) {
  const fs::path claims = root_ / "claims";
  fs::create_directories(claims);
  const fs::path dir = claims / slice;
  const std::string me = hostName() + " " + std::to_string(::getpid());
  for (int attempt = 0; attempt < 2; ++attempt) {
    // mkdir is atomic, also on NFS: exactly one process creates the directory.
    if (::mkdir(dir.c_str(), 0755) == 0) {
      std::ofstream(dir / "owner") << me << "\n";
      claimed_ = dir;
      return;
    }
    if (errno != EEXIST) throwIo("cannot create '" + dir.string() + "': " + std::strerror(errno));
    std::string host;
    long pid = 0;
    std::ifstream(dir / "owner") >> host >> pid;
    const bool sameHost = host == hostName();
    const bool dead = sameHost && processGone(pid);
    const bool stale = !sameHost && ageSeconds(dir / "owner") > staleSeconds;
    if (!dead && !stale && !host.empty())
      throwConfig("run directory '" + root_.string() + "' is in use by process " + std::to_string(pid) + " on " + host +
                  " (slice " + slice + "); two campaigns on one directory are refused. If that process is gone, "
                  "remove '" + dir.string() + "'");
    std::error_code ec;
    fs::remove_all(dir, ec);  // left by a killed process: take it over
  }
  throwConfig("could not claim '" + dir.string() + "'");
}

void RunDirectory::release() {
  if (!claimed_) return;
  std::error_code ec;
  fs::remove_all(*claimed_, ec);
  claimed_.reset();
}

}  // namespace hepsweep::rundir
