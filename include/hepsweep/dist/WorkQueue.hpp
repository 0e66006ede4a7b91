#pragma once
// A dynamic queue of work items for a campaign: every item is handed out exactly once, to whichever
// group leader asks first, so a group that finishes early takes the next item and no group idles
// while items remain. No rank is dedicated to coordination.
//
// MPI implementation: a counter in an MPI-3 RMA window on world rank 0, advanced with
// MPI_Fetch_and_op under MPI_Win_lock(MPI_LOCK_SHARED). With Open MPI 4.1 on one node (osc rdma
// over the vader shared-memory BTL) this is truly passive: tested here, the other ranks take every
// item while rank 0 sleeps outside MPI. Across nodes without RDMA hardware (TCP), Open MPI falls
// back to osc pt2pt, where rank 0 must enter the MPI library for others' requests to progress: its
// group's gradient exchanges do that every step, and a group whose steps make no MPI call (one rank
// per item) should call poll() once per step (tested with --mca osc pt2pt: about 30 ms per item
// when rank 0 polls every 5 ms). No thread busy-waits.
#include <cstdint>
#include <optional>
#include <vector>

namespace hepsweep::dist {

class Communicator;

class WorkQueue {
 public:
  virtual ~WorkQueue() = default;
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // The next item, or nothing when all have been handed out (then always nothing). Not collective:
  // call it on group leaders only and share the answer with nextItemForGroup.
  virtual std::optional<std::int64_t> next() = 0;
  // Lets the MPI library serve other ranks' requests (see above); cheap, never blocks.
  virtual void poll() {}
  std::size_t itemCount() const noexcept { return items_.size(); }

 protected:
  explicit WorkQueue(std::vector<std::int64_t> items);
  std::vector<std::int64_t> items_;
};

// One process: a plain counter over the items.
class LocalWorkQueue final : public WorkQueue {
 public:
  explicit LocalWorkQueue(std::vector<std::int64_t> items);
  std::optional<std::int64_t> next() override;

 private:
  std::size_t nextIndex_ = 0;
};

// 0, 1, ..., count - 1 (all items of a fresh campaign; a resumed one passes its pending ids).
std::vector<std::int64_t> allItems(std::int64_t count);

// Collective over `group`: its rank 0 (the leader) takes the next item from `queue` and broadcasts
// it, so every rank of the group works on the same item.
std::optional<std::int64_t> nextItemForGroup(WorkQueue& queue, Communicator& group);

// Throws hepsweep::Error (Internal) when `items` holds a duplicate (it would run twice).
void checkDistinctItems(const std::vector<std::int64_t>& items);

}  // namespace hepsweep::dist
