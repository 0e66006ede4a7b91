#include <algorithm>
#include <climits>
#include <string>

#include "Mpi.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Environment.hpp"

namespace hepsweep::dist {

namespace mpi {

bool isActive() noexcept {
  int initialised = 0;
  int finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised != 0 && finalised == 0;
}

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  throwIo(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

int count(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(INT_MAX)) {
    throw Error(ErrorCategory::Internal, std::string(what) + ": " + std::to_string(n) +
                                             " elements exceed what one MPI call can move");
  }
  return static_cast<int>(n);
}

CommHandle& CommHandle::operator=(CommHandle&& other) noexcept {
  if (this != &other) {
    free();
    comm_ = other.release();
  }
  return *this;
}

CommHandle::~CommHandle() { free(); }

MPI_Comm CommHandle::release() noexcept {
  MPI_Comm comm = comm_;
  comm_ = MPI_COMM_NULL;
  return comm;
}

void CommHandle::free() noexcept {
  if (comm_ != MPI_COMM_NULL && isActive()) MPI_Comm_free(&comm_);
  comm_ = MPI_COMM_NULL;
}

namespace {

MPI_Op toMpi(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return MPI_SUM;
    case ReduceOp::Min: return MPI_MIN;
    case ReduceOp::Max: return MPI_MAX;
  }
  return MPI_OP_NULL;
}

// Tag of the exchange steps; the communicator is private to us, so any fixed value works.
constexpr int kExchangeTag = 7301;

}  // namespace

MpiCommunicator::MpiCommunicator(CommHandle comm) : comm_(std::move(comm)) {
  check(MPI_Comm_set_errhandler(comm_.get(), MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check(MPI_Comm_rank(comm_.get(), &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm_.get(), &size_), "MPI_Comm_size");
}

void MpiCommunicator::barrier() { check(MPI_Barrier(comm_.get()), "MPI_Barrier"); }

void MpiCommunicator::broadcastBytes(std::span<std::byte> data, int root) {
  check(MPI_Bcast(data.data(), count(data.size(), "broadcast"), MPI_BYTE, root, comm_.get()), "MPI_Bcast");
}

void MpiCommunicator::broadcastInt64(std::span<std::int64_t> values, int root) {
  check(MPI_Bcast(values.data(), count(values.size(), "broadcast"), MPI_INT64_T, root, comm_.get()),
        "MPI_Bcast");
}

void MpiCommunicator::broadcastDouble(std::span<double> values, int root) {
  check(MPI_Bcast(values.data(), count(values.size(), "broadcast"), MPI_DOUBLE, root, comm_.get()),
        "MPI_Bcast");
}

void MpiCommunicator::allreduceDouble(std::span<double> values, ReduceOp op) {
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), count(values.size(), "allreduce"), MPI_DOUBLE, toMpi(op),
                      comm_.get()),
        "MPI_Allreduce");
}

void MpiCommunicator::allreduceInt64(std::span<std::int64_t> values, ReduceOp op) {
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), count(values.size(), "allreduce"), MPI_INT64_T, toMpi(op),
                      comm_.get()),
        "MPI_Allreduce");
}

void MpiCommunicator::allreduceFloat(std::span<float> values, ReduceOp op) {
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), count(values.size(), "allreduce"), MPI_FLOAT, toMpi(op),
                      comm_.get()),
        "MPI_Allreduce");
}

std::vector<std::vector<std::byte>> MpiCommunicator::allgatherBytesImpl(std::span<const std::byte> mine) {
  int myLength = count(mine.size(), "allgather");
  std::vector<int> lengths(static_cast<std::size_t>(size_));
  check(MPI_Allgather(&myLength, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm_.get()), "MPI_Allgather");
  std::vector<int> offsets(lengths.size());
  std::size_t total = 0;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    offsets[r] = count(total, "allgather");
    total += static_cast<std::size_t>(lengths[r]);
  }
  count(total, "allgather");
  std::vector<std::byte> all(total);
  check(MPI_Allgatherv(mine.data(), myLength, MPI_BYTE, all.data(), lengths.data(), offsets.data(), MPI_BYTE,
                       comm_.get()),
        "MPI_Allgatherv");
  std::vector<std::vector<std::byte>> result(lengths.size());
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    const auto begin = all.begin() + offsets[r];
    result[r].assign(begin, begin + lengths[r]);
  }
  return result;
}

void MpiCommunicator::sendReceiveImpl(int peer, std::span<const float> send, std::span<float> receive) {
  const int n = count(send.size(), "sendReceive");
  check(MPI_Sendrecv(send.data(), n, MPI_FLOAT, peer, kExchangeTag, receive.data(), n, MPI_FLOAT, peer,
                     kExchangeTag, comm_.get(), MPI_STATUS_IGNORE),
        "MPI_Sendrecv");
}

std::unique_ptr<Communicator> MpiCommunicator::splitImpl(int color, int key) {
  MPI_Comm part = MPI_COMM_NULL;
  check(MPI_Comm_split(comm_.get(), color, key, &part), "MPI_Comm_split");
  return std::make_unique<MpiCommunicator>(CommHandle(part));
}

std::unique_ptr<WorkQueue> MpiCommunicator::makeWorkQueueImpl(std::vector<std::int64_t> items) {
  return std::make_unique<MpiWorkQueue>(*this, std::move(items));
}

}  // namespace mpi

std::unique_ptr<Communicator> world(Environment& environment) {
  if (!environment.usesMpi()) return std::make_unique<LocalCommunicator>();
  // A duplicate, so our traffic never matches messages of other code using MPI_COMM_WORLD.
  MPI_Comm duplicate = MPI_COMM_NULL;
  mpi::check(MPI_Comm_dup(MPI_COMM_WORLD, &duplicate), "MPI_Comm_dup");
  return std::make_unique<mpi::MpiCommunicator>(mpi::CommHandle(duplicate));
}

}  // namespace hepsweep::dist
