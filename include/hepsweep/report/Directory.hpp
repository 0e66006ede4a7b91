#pragma once
// A report directory is built completely under a temporary sibling name (DIR.tmp-XXXXXX) and
// renamed to DIR only when every file is written, so a reader (or a browser left open on
// DIR/index.html) never sees a half-drawn report, and a failure leaves any older report intact.
#include <string>

namespace hepsweep::report {

class StagedDirectory {
 public:
  // Creates DIR.tmp-XXXXXX next to `finalDir` (and the parents of `finalDir` if missing).
  // `marker` is a file name written into the staging directory; an existing `finalDir` is only
  // ever replaced when it is empty or contains that marker (i.e. it is an older report of the
  // same kind), never an unrelated directory. Throws Error(Io) when it cannot be created.
  StagedDirectory(std::string finalDir, std::string marker = ".hepsweep-report");
  ~StagedDirectory();  // removes the staging directory unless commit() succeeded
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  // Where to write the files now.
  const std::string& path() const { return staging_; }
  // Where they will be after commit().
  const std::string& finalPath() const { return final_; }

  // Moves the staging directory to the final name, replacing an older report there. Throws
  // Error(Io) when the final name holds something that is not an older report, or on failure.
  void commit();

 private:
  std::string final_, staging_, marker_;
  bool committed_ = false;
};

}  // namespace hepsweep::report
