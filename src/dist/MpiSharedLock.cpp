#include "Mpi.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/SharedLock.hpp"

namespace hepsweep::dist {

namespace mpi {
namespace {

// See SharedLock.hpp: the registers in a window on rank 0 of a private duplicate communicator.
class MpiSharedLock final : public SharedLock {
 public:
  MpiSharedLock(const MpiCommunicator& owner, std::size_t registers) : SharedLock(registers) {
    MPI_Comm copy = MPI_COMM_NULL;
    check(MPI_Comm_dup(owner.comm(), &copy), "MPI_Comm_dup");
    comm_ = CommHandle(copy);
    check(MPI_Comm_set_errhandler(comm_.get(), MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    count_ = count(registers, "shared lock registers");
    int rank = 0;
    check(MPI_Comm_rank(comm_.get(), &rank), "MPI_Comm_rank");
    std::int64_t* base = nullptr;
    const MPI_Aint bytes = rank == 0 ? static_cast<MPI_Aint>(registers * sizeof(std::int64_t)) : 0;
    check(MPI_Win_allocate(bytes, sizeof(std::int64_t), MPI_INFO_NULL, comm_.get(), &base, &window_),
          "MPI_Win_allocate");
    check(MPI_Win_set_errhandler(window_, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
    if (rank == 0) {
      check(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_), "MPI_Win_lock");
      for (std::size_t i = 0; i < registers; ++i) base[i] = 0;
      check(MPI_Win_unlock(0, window_), "MPI_Win_unlock");
    }
    check(MPI_Barrier(comm_.get()), "MPI_Barrier");
  }

  ~MpiSharedLock() override {
    if (window_ != MPI_WIN_NULL && isActive()) MPI_Win_free(&window_);
  }

  void poll() override {
    // Nothing is sent on this private communicator: the probe only drives MPI's progress engine.
    int flag = 0;
    check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_.get(), &flag, MPI_STATUS_IGNORE), "MPI_Iprobe");
  }

 private:
  void lockAndRead(std::vector<std::int64_t>& values) override {
    check(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_), "MPI_Win_lock");
    const int get = MPI_Get(values.data(), count_, MPI_INT64_T, 0, 0, count_, MPI_INT64_T, window_);
    const int flush = get == MPI_SUCCESS ? MPI_Win_flush(0, window_) : get;
    if (flush != MPI_SUCCESS) {
      MPI_Win_unlock(0, window_);
      check(get, "MPI_Get");
      check(flush, "MPI_Win_flush");
    }
  }

  void writeAndUnlock(const std::vector<std::int64_t>& values) override {
    const int put = MPI_Put(values.data(), count_, MPI_INT64_T, 0, 0, count_, MPI_INT64_T, window_);
    const int unlock = MPI_Win_unlock(0, window_);
    check(put, "MPI_Put");
    check(unlock, "MPI_Win_unlock");
  }

  void unlockDiscarding() noexcept override {
    if (isActive()) MPI_Win_unlock(0, window_);
  }

  CommHandle comm_;
  MPI_Win window_ = MPI_WIN_NULL;
  int count_ = 0;
};

}  // namespace
}  // namespace mpi

std::unique_ptr<SharedLock> makeSharedLock(Communicator& comm, std::size_t registers) {
  if (registers == 0) throw Error(ErrorCategory::Internal, "shared lock: no registers");
  if (const auto* m = dynamic_cast<const mpi::MpiCommunicator*>(&comm))
    return std::make_unique<mpi::MpiSharedLock>(*m, registers);
  return std::make_unique<LocalSharedLock>(registers);
}

}  // namespace hepsweep::dist
