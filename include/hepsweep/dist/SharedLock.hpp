#pragma once
// A mutex over all ranks of a communicator guarding a few shared 64-bit registers: the rank that
// holds it reads and changes the registers, and does whatever else must happen one rank at a time
// (an asynchronous Bayesian search proposes a point and rewrites its state file under it).
//
// MPI implementation: the registers live in an MPI-3 RMA window on rank 0; acquire() takes
// MPI_Win_lock(MPI_LOCK_EXCLUSIVE) on rank 0 and reads them with MPI_Get + MPI_Win_flush. The read
// inside the epoch is what makes the exclusion real: MPI may grant a lock lazily (Open MPI's osc
// pt2pt sends the request with the first operation), so a lock without an operation would not
// exclude anything. Release writes the registers back with MPI_Put and unlocks. As with WorkQueue,
// on one node (osc rdma over shared memory) this is passive; over osc pt2pt rank 0 must enter MPI
// for others to get the lock, which poll() (and any collective) does.
//
// The lock is not recursive: acquiring it again while this rank holds it is a bug (Internal).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace hepsweep::dist {

class Communicator;

class SharedLock {
 public:
  class Guard;

  virtual ~SharedLock() = default;
  SharedLock(const SharedLock&) = delete;
  SharedLock& operator=(const SharedLock&) = delete;

  // Blocks until this rank holds the lock; the guard holds the registers' current values.
  // Not collective. Transport failures throw Error (Io).
  Guard acquire();
  // Lets the MPI library serve other ranks' lock requests; cheap, never blocks.
  virtual void poll() {}
  // Waits `duration` while polling every 10 ms: how a rank that holds no lock waits for work
  // another rank is finishing, without stalling that rank's lock requests.
  void pollFor(std::chrono::milliseconds duration);
  std::size_t registerCount() const noexcept { return registers_; }

 protected:
  explicit SharedLock(std::size_t registers) : registers_(registers) {}

 private:
  friend class Guard;
  virtual void lockAndRead(std::vector<std::int64_t>& values) = 0;
  virtual void writeAndUnlock(const std::vector<std::int64_t>& values) = 0;
  virtual void unlockDiscarding() noexcept = 0;

  std::size_t registers_;
  bool held_ = false;
};

// Holds the lock from acquire() until commit() or destruction. commit() writes the changed
// registers back and unlocks; a guard destroyed without commit() (an exception in the critical
// section) unlocks and discards the changes, so a failed step leaves the shared state as it was.
class SharedLock::Guard {
 public:
  Guard(Guard&& other) noexcept;
  Guard& operator=(Guard&&) = delete;
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  ~Guard();

  std::int64_t get(std::size_t index) const;  // Internal for an index past registerCount()
  void set(std::size_t index, std::int64_t value);
  void commit();  // Error (Io) on transport failure; the lock is released either way

 private:
  friend class SharedLock;
  Guard(SharedLock& owner, std::vector<std::int64_t> values) : owner_(&owner), values_(std::move(values)) {}
  void checkIndex(std::size_t index) const;

  SharedLock* owner_;  // null once released or moved from
  std::vector<std::int64_t> values_;
};

// One process: the registers are plain memory and the lock only checks it is not taken twice.
class LocalSharedLock final : public SharedLock {
 public:
  explicit LocalSharedLock(std::size_t registers) : SharedLock(registers), values_(registers, 0) {}

 private:
  void lockAndRead(std::vector<std::int64_t>& values) override { values = values_; }
  void writeAndUnlock(const std::vector<std::int64_t>& values) override { values_ = values; }
  void unlockDiscarding() noexcept override {}
  std::vector<std::int64_t> values_;
};

// Collective over `comm`: a lock shared by its ranks with `registers` registers, all zero. The MPI
// communicator gets the RMA implementation, a local one LocalSharedLock. The result must not outlive
// the Environment; its destruction is collective under MPI (MPI_Win_free).
std::unique_ptr<SharedLock> makeSharedLock(Communicator& comm, std::size_t registers);

}  // namespace hepsweep::dist
