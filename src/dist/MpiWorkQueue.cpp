#include <string>

#include "Mpi.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"

namespace hepsweep::dist::mpi {

namespace {

std::int64_t fingerprint(const std::vector<std::int64_t>& items) {
  std::uint64_t h = rng::mix64(items.size());
  for (const std::int64_t item : items) h = rng::derive(h, static_cast<std::uint64_t>(item));
  // Kept non-negative so that negating it below cannot overflow.
  return static_cast<std::int64_t>(h >> 1);
}

MPI_Comm duplicate(MPI_Comm comm) {
  MPI_Comm copy = MPI_COMM_NULL;
  check(MPI_Comm_dup(comm, &copy), "MPI_Comm_dup");
  return copy;
}

}  // namespace

MpiWorkQueue::MpiWorkQueue(const MpiCommunicator& owner, std::vector<std::int64_t> items)
    : WorkQueue(std::move(items)), comm_(duplicate(owner.comm())) {
  check(MPI_Comm_set_errhandler(comm_.get(), MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  // Every rank must hand out the same list, or items would be skipped or run twice. The maximum of
  // (x, -x) shows at once whether all ranks agree on x.
  const std::int64_t size = static_cast<std::int64_t>(items_.size());
  const std::int64_t print = fingerprint(items_);
  std::int64_t agree[4] = {size, -size, print, -print};
  check(MPI_Allreduce(MPI_IN_PLACE, agree, 4, MPI_INT64_T, MPI_MAX, comm_.get()), "MPI_Allreduce");
  if (agree[0] != -agree[1] || agree[2] != -agree[3]) {
    throw Error(ErrorCategory::Internal, "work queue: the ranks passed different item lists (" +
                                             std::to_string(items_.size()) + " items on this rank)");
  }
  int rank = 0;
  check(MPI_Comm_rank(comm_.get(), &rank), "MPI_Comm_rank");
  std::int64_t* counter = nullptr;
  const MPI_Aint bytes = rank == 0 ? static_cast<MPI_Aint>(sizeof(std::int64_t)) : 0;
  // MPI_Win_allocate (not MPI_Win_create) lets Open MPI place the counter in shared memory.
  check(MPI_Win_allocate(bytes, sizeof(std::int64_t), MPI_INFO_NULL, comm_.get(), &counter, &window_),
        "MPI_Win_allocate");
  check(MPI_Win_set_errhandler(window_, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
  if (rank == 0) {
    check(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_), "MPI_Win_lock");
    *counter = 0;
    check(MPI_Win_unlock(0, window_), "MPI_Win_unlock");
  }
  check(MPI_Barrier(comm_.get()), "MPI_Barrier");
}

MpiWorkQueue::~MpiWorkQueue() {
  if (window_ != MPI_WIN_NULL && isActive()) MPI_Win_free(&window_);
}

std::optional<std::int64_t> MpiWorkQueue::next() {
  if (exhausted_) return std::nullopt;
  const std::int64_t one = 1;
  std::int64_t taken = 0;
  check(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window_), "MPI_Win_lock");
  check(MPI_Fetch_and_op(&one, &taken, MPI_INT64_T, 0, 0, MPI_SUM, window_), "MPI_Fetch_and_op");
  check(MPI_Win_unlock(0, window_), "MPI_Win_unlock");
  if (taken < 0 || static_cast<std::uint64_t>(taken) >= items_.size()) {
    exhausted_ = true;
    return std::nullopt;
  }
  return items_[static_cast<std::size_t>(taken)];
}

void MpiWorkQueue::poll() {
  // Nothing is ever sent on this private communicator: the probe only drives MPI's progress engine.
  int flag = 0;
  check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_.get(), &flag, MPI_STATUS_IGNORE), "MPI_Iprobe");
}

}  // namespace hepsweep::dist::mpi
