#pragma once
// Private to src/dist: the only header that includes <mpi.h>.
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/WorkQueue.hpp"

namespace hepsweep::dist::mpi {

// Throws hepsweep::Error (Io) naming the MPI call and MPI's own explanation.
void check(int code, const char* call);
// An element count as MPI's int; larger buffers are a bug of the caller (Internal).
int count(std::size_t n, const char* what);
bool isActive() noexcept;  // initialised and not yet finalised

// The one owner of a communicator made by MPI_Comm_dup / MPI_Comm_split: move-only, frees exactly
// once. If MPI is already finalised (a communicator outliving the Environment, a bug) it lets go
// without calling MPI, since MPI_Comm_free would then be an error.
class CommHandle {
 public:
  CommHandle() = default;
  explicit CommHandle(MPI_Comm comm) noexcept : comm_(comm) {}
  CommHandle(CommHandle&& other) noexcept : comm_(other.release()) {}
  CommHandle& operator=(CommHandle&& other) noexcept;
  CommHandle(const CommHandle&) = delete;
  CommHandle& operator=(const CommHandle&) = delete;
  ~CommHandle();
  MPI_Comm get() const noexcept { return comm_; }
  MPI_Comm release() noexcept;

 private:
  void free() noexcept;
  MPI_Comm comm_ = MPI_COMM_NULL;
};

class MpiCommunicator final : public Communicator {
 public:
  // Takes ownership; sets MPI_ERRORS_RETURN so failures become exceptions with context.
  explicit MpiCommunicator(CommHandle comm);
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void barrier() override;
  MPI_Comm comm() const noexcept { return comm_.get(); }

 private:
  void broadcastBytes(std::span<std::byte> data, int root) override;
  void broadcastInt64(std::span<std::int64_t> values, int root) override;
  void broadcastDouble(std::span<double> values, int root) override;
  void allreduceDouble(std::span<double> values, ReduceOp op) override;
  void allreduceInt64(std::span<std::int64_t> values, ReduceOp op) override;
  void allreduceFloat(std::span<float> values, ReduceOp op) override;
  std::vector<std::vector<std::byte>> allgatherBytesImpl(std::span<const std::byte> mine) override;
  void sendReceiveImpl(int peer, std::span<const float> send, std::span<float> receive) override;
  std::unique_ptr<Communicator> splitImpl(int color, int key) override;
  std::unique_ptr<WorkQueue> makeWorkQueueImpl(std::vector<std::int64_t> items) override;

  CommHandle comm_;
  int rank_ = 0;
  int size_ = 1;
};

// The counter lives in an RMA window on rank 0 of `owner`'s communicator (see WorkQueue.hpp).
class MpiWorkQueue final : public WorkQueue {
 public:
  // Collective over `owner`; checks that every rank passed the same item list.
  MpiWorkQueue(const MpiCommunicator& owner, std::vector<std::int64_t> items);
  ~MpiWorkQueue() override;  // collective (MPI_Win_free)
  std::optional<std::int64_t> next() override;
  void poll() override;

 private:
  CommHandle comm_;  // our own duplicate: the queue may outlive the communicator it was made from
  MPI_Win window_ = MPI_WIN_NULL;
  bool exhausted_ = false;
};

}  // namespace hepsweep::dist::mpi
