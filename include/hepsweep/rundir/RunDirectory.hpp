#pragma once
// The run directory is the whole state of a campaign: no database, no daemon. Everything in it
// is written under a temporary name and renamed, so a file with its final name is complete, and
// concurrent slices (--items I/N) write disjoint files. This module (hepsweep::rundir) is the one
// owner of the layout and of the file schemas in it (Manifest.hpp, ResultSchema.hpp); it needs
// neither MPI nor the campaign option table, so aggregate, model and status read run directories
// without them.
//
//   RUN/campaign.toml              the resolved campaign (every default filled in)
//   RUN/manifest.h5                items (id, point, fold, overrides), seed, version, input sha256
//   RUN/items/<id>/result.h5       a finished item (its existence means done)
//   RUN/items/<id>/failed.txt      a failed item and why
//   RUN/items/<id>/raced_out.txt   an item skipped by racing across folds (search.racing) and why
//   RUN/items/<id>/checkpoint.h5   the last finished epoch of an unfinished item
//   RUN/items/<id>/heartbeat       touched every epoch by the rank writing the item
//   RUN/items/<id>/log.txt         one line per epoch
//   RUN/items/<id>/rungs.txt       successive halving: the item's value and decision per rung (Rungs.hpp)
//   RUN/items/<id>/median_peers.txt  median rule: the items of its fold finished when it started, one
//                                  id a line ('#' lines are comments); its decisions use only these
//   RUN/claims/<slice>/owner       host, pid and start of the process running that slice
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hepsweep::rundir {

// RacedOut: never trained, on purpose: its point lost the race across folds (search.racing), so
// it is neither pending (no run trains it) nor failed.
enum class ItemStatus { Pending, Running, Done, Failed, RacedOut };
const char* toString(ItemStatus s);

class RunDirectory {
 public:
  // Names the directory only; nothing is created or read (status and aggregate only read).
  explicit RunDirectory(std::filesystem::path root);
  // Creates the directory and its items/ folder (Error(Io) naming it when that fails).
  void create() const;
  const std::filesystem::path& root() const { return root_; }

  std::filesystem::path campaignFile() const { return root_ / "campaign.toml"; }
  std::filesystem::path manifestFile() const { return root_ / "manifest.h5"; }
  std::filesystem::path itemDir(std::int64_t item) const;
  std::filesystem::path resultFile(std::int64_t item) const { return itemDir(item) / "result.h5"; }
  std::filesystem::path checkpointFile(std::int64_t item) const { return itemDir(item) / "checkpoint.h5"; }
  std::filesystem::path failedFile(std::int64_t item) const { return itemDir(item) / "failed.txt"; }
  std::filesystem::path logFile(std::int64_t item) const { return itemDir(item) / "log.txt"; }
  std::filesystem::path heartbeatFile(std::int64_t item) const { return itemDir(item) / "heartbeat"; }
  std::filesystem::path rungFile(std::int64_t item) const { return itemDir(item) / "rungs.txt"; }
  std::filesystem::path racedOutFile(std::int64_t item) const { return itemDir(item) / "raced_out.txt"; }
  std::filesystem::path medianPeersFile(std::int64_t item) const { return itemDir(item) / "median_peers.txt"; }

  // Status from the files: done (result), failed (failed.txt), raced out (raced_out.txt), running (heartbeat younger than
  // `staleSeconds`), else pending (with or without a checkpoint).
  ItemStatus status(std::int64_t item, double staleSeconds = 600) const;
  std::optional<std::string> failureReason(std::int64_t item) const;

  void markFailed(std::int64_t item, const std::string& reason) const;
  // Records that racing skips the item (written once, by the hand-out that decided it).
  void markRacedOut(std::int64_t item, const std::string& reason) const;
  void touchHeartbeat(std::int64_t item) const;
  void appendLog(std::int64_t item, const std::string& line) const;
  // Remove everything hepsweep wrote (campaign, manifest, items, claims); other files stay.
  void clear() const;

  // Claim a slice ("all" or "3-of-8") for this process: an atomic mkdir. A claim left by a dead
  // process on this host is taken over; a live one (or one from another host whose owner file was
  // touched in the last `staleSeconds`) is refused with Error(Config) naming host and pid.
  void claim(const std::string& slice, double staleSeconds = 600);
  void release();
  // The slices other processes hold now (not this one's own claim): --fresh refuses while any is.
  std::vector<std::string> otherLiveClaims(double staleSeconds = 600) const;
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

 private:
  std::filesystem::path root_;
  std::optional<std::filesystem::path> claimed_;
};

// Writes `text` to `path` atomically (temporary name, then rename).
void writeTextFile(const std::filesystem::path& path, const std::string& text);
std::string readTextFile(const std::filesystem::path& path);

}  // namespace hepsweep::rundir
