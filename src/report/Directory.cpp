#include "hepsweep/report/Directory.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::report {

namespace fs = std::filesystem;

namespace {

// Throws unless `dir` may be replaced: absent, empty, or an older report carrying `marker`.
void checkReplaceable(const fs::path& dir, const std::string& marker) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (ec || !fs::exists(st)) return;
  if (!fs::is_directory(st))
    throwIo("report directory '" + dir.string() + "' exists and is not a directory; remove it or choose another");
  if (fs::is_empty(dir, ec) || fs::exists(dir / marker, ec)) return;
  throwIo("report directory '" + dir.string() + "' exists, is not empty and is not a hepsweep report (no '" + marker +
          "' file in it); remove it or choose another directory");
}

std::string makeUniqueDir(const std::string& prefix) {
  std::vector<char> name(prefix.begin(), prefix.end());
  for (char c : std::string("XXXXXX")) name.push_back(c);
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr)
    throwIo("cannot create directory '" + std::string(name.data()) + "': " + std::strerror(errno));
  return std::string(name.data());
}

}  // namespace

StagedDirectory::StagedDirectory(std::string finalDir, std::string marker)
    : final_(std::move(finalDir)), marker_(std::move(marker)) {
  fs::path f(final_);
  // "out/report/" names the same directory as "out/report"; the sibling must not land inside it.
  if (!f.has_filename()) f = f.parent_path();
  if (f.empty()) throwIo("empty report directory name");
  final_ = f.string();
  checkReplaceable(f, marker_);
  std::error_code ec;
  const fs::path parent = fs::absolute(f, ec).parent_path();
  fs::create_directories(parent, ec);
  if (ec) throwIo("cannot create directory '" + parent.string() + "': " + ec.message());
  staging_ = makeUniqueDir(final_ + ".tmp-");
  html::writeFileAtomic((fs::path(staging_) / marker_).string(),
                        "This directory was written by hepsweep; hepsweep may replace it with a newer report.\n");
}

StagedDirectory::~StagedDirectory() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void StagedDirectory::commit() {
  const fs::path f(final_);
  checkReplaceable(f, marker_);
  std::error_code ec;
  std::string old;
  if (fs::exists(fs::symlink_status(f, ec))) {
    old = makeUniqueDir(final_ + ".old-");
    // mkdtemp reserved the name; rename() replaces an empty directory with ours.
    fs::rename(f, old, ec);
    if (ec) throwIo("cannot move the older report '" + final_ + "' aside to '" + old + "': " + ec.message());
  }
  fs::rename(staging_, f, ec);
  if (ec) {
    const std::string why = ec.message();
    if (!old.empty()) fs::rename(old, f, ec);
    throwIo("cannot rename '" + staging_ + "' to '" + final_ + "': " + why);
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace hepsweep::report
