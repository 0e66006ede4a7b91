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
    case ItemStatus::RacedOut: return "raced out";
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
  if (fs::exists(racedOutFile(item))) return ItemStatus::RacedOut;
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

void RunDirectory::markRacedOut(std::int64_t item, const std::string& reason) const {
  fs::create_directories(itemDir(item));
  writeTextFile(racedOutFile(item), reason + "\n");
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

namespace {

// The owner of a claim directory: "HOST PID", or nothing when the file is absent or unreadable.
struct ClaimOwner {
  std::string host;
  long pid = 0;
  bool readable = false;
};

ClaimOwner ownerOf(const fs::path& claim) {
  ClaimOwner o;
  std::ifstream in(claim / "owner");
  std::string extra;
  o.readable = static_cast<bool>(in >> o.host >> o.pid) && o.pid > 0 && !(in >> extra);
  return o;
}

// Whether the claim is held by a live process (on another host: touched recently). An unreadable
// or missing owner file younger than `staleSeconds` counts as held (a claim being made right now).
bool held(const fs::path& claim, double staleSeconds) {
  const ClaimOwner o = ownerOf(claim);
  if (!o.readable) return ageSeconds(claim) <= staleSeconds;
  if (o.host == hostName()) return !processGone(o.pid);
  return ageSeconds(claim / "owner") <= staleSeconds;
}

}  // namespace

void RunDirectory::claim(const std::string& slice, double staleSeconds) {
  const fs::path claims = root_ / "claims";
  fs::create_directories(claims);
  const fs::path dir = claims / slice;
  const std::string me = hostName() + " " + std::to_string(::getpid()) + "\n";
  for (int attempt = 0; attempt < 2; ++attempt) {
    // mkdir is atomic, also on NFS: exactly one process creates the directory.
    if (::mkdir(dir.c_str(), 0755) == 0) {
      writeFileAtomically(dir / "owner", me);
      claimed_ = dir;
      return;
    }
    if (errno != EEXIST) throwIo("cannot create '" + dir.string() + "': " + std::strerror(errno));
    if (held(dir, staleSeconds)) {
      const ClaimOwner o = ownerOf(dir);
      throwConfig("run directory '" + root_.string() + "' is in use (slice " + slice + ") by " +
                  (o.readable ? "process " + std::to_string(o.pid) + " on " + o.host
                              : std::string("a process whose claim file '" + (dir / "owner").string() +
                                            "' cannot be read (being written, or damaged)")) +
                  "; two campaigns on one directory are refused. If no campaign runs on it, remove '" + dir.string() + "'");
    }
    std::error_code ec;
    fs::remove_all(dir, ec);  // left by a killed process: take it over
  }
  throwConfig("could not claim '" + dir.string() + "'");
}

std::vector<std::string> RunDirectory::otherLiveClaims(double staleSeconds) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(root_ / "claims", ec), end; !ec && it != end; it.increment(ec)) {
    if (claimed_ && it->path() == *claimed_) continue;
    if (held(it->path(), staleSeconds)) out.push_back(it->path().filename().string());
  }
  return out;
}

void RunDirectory::release() {
  if (!claimed_) return;
  std::error_code ec;
  fs::remove_all(*claimed_, ec);
  claimed_.reset();
}

}  // namespace hepsweep::rundir
