// The transport-independent half of Communicator: argument checks, typed conveniences, and the
// one-rank LocalCommunicator. No MPI here.
#include "hepsweep/dist/Communicator.hpp"

#include <algorithm>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/SharedMemory.hpp"
#include "hepsweep/dist/WorkQueue.hpp"

namespace hepsweep::dist {

namespace {
[[noreturn]] void internal(const std::string& message) {
  throw Error(ErrorCategory::Internal, message);
}
}  // namespace

void Communicator::checkRoot(int root, const char* what) const {
  if (root < 0 || root >= size()) {
    internal(std::string(what) + ": root rank " + std::to_string(root) + " outside a communicator of " +
             std::to_string(size()) + " ranks");
  }
}

void Communicator::broadcast(std::span<std::byte> data, int root) {
  checkRoot(root, "broadcast");
  broadcastBytes(data, root);
}

void Communicator::broadcast(std::span<std::int64_t> values, int root) {
  checkRoot(root, "broadcast");
  broadcastInt64(values, root);
}

void Communicator::broadcast(std::span<double> values, int root) {
  checkRoot(root, "broadcast");
  broadcastDouble(values, root);
}

void Communicator::broadcast(std::string& text, int root) {
  checkRoot(root, "broadcast");
  std::int64_t length = static_cast<std::int64_t>(text.size());
  broadcastInt64(std::span(&length, 1), root);
  text.resize(static_cast<std::size_t>(length));
  broadcastBytes(std::as_writable_bytes(std::span(text.data(), text.size())), root);
}

void Communicator::allreduce(std::span<double> values, ReduceOp op) { allreduceDouble(values, op); }
void Communicator::allreduce(std::span<std::int64_t> values, ReduceOp op) { allreduceInt64(values, op); }
void Communicator::allreduce(std::span<float> values, ReduceOp op) { allreduceFloat(values, op); }

std::vector<std::vector<std::byte>> Communicator::allgatherBytes(std::span<const std::byte> mine) {
  return allgatherBytesImpl(mine);
}

std::vector<std::string> Communicator::allgather(const std::string& mine) {
  const auto gathered = allgatherBytes(std::as_bytes(std::span(mine.data(), mine.size())));
  std::vector<std::string> result;
  result.reserve(gathered.size());
  for (const auto& bytes : gathered) {
    result.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return result;
}

void Communicator::sendReceive(int peer, std::span<const float> send, std::span<float> receive) {
  if (peer < 0 || peer >= size()) {
    internal("sendReceive: peer rank " + std::to_string(peer) + " outside a communicator of " +
             std::to_string(size()) + " ranks");
  }
  if (send.size() != receive.size()) {
    internal("sendReceive: sending " + std::to_string(send.size()) + " floats but receiving " +
             std::to_string(receive.size()));
  }
  sendReceiveImpl(peer, send, receive);
}

std::unique_ptr<Communicator> Communicator::split(int color, int key) {
  if (color < 0) internal("split: colour " + std::to_string(color) + " must not be negative");
  return splitImpl(color, key);
}

Communicator::Communicator() = default;
Communicator::~Communicator() = default;

SharedSlots* Communicator::sharedSlots(std::size_t floats, int copies) {
  if (size() == 1 || slotsUnavailable_) return nullptr;
  if (slots_ && slots_->floats() >= floats && slots_->copies() >= copies) return slots_.get();
  slots_.reset();  // collective: every rank asked for the same sizes
  slots_ = allocateSlots(*this, floats, copies);
  slotsUnavailable_ = !slots_;
  return slots_.get();
}

std::unique_ptr<WorkQueue> Communicator::makeWorkQueue(std::vector<std::int64_t> items) {
  checkDistinctItems(items);
  return makeWorkQueueImpl(std::move(items));
}

std::vector<std::vector<std::byte>> LocalCommunicator::allgatherBytesImpl(std::span<const std::byte> mine) {
  return {std::vector<std::byte>(mine.begin(), mine.end())};
}

void LocalCommunicator::sendReceiveImpl(int, std::span<const float> send, std::span<float> receive) {
  std::copy(send.begin(), send.end(), receive.begin());
}

std::unique_ptr<Communicator> LocalCommunicator::splitImpl(int, int) {
  return std::make_unique<LocalCommunicator>();
}

std::unique_ptr<WorkQueue> LocalCommunicator::makeWorkQueueImpl(std::vector<std::int64_t> items) {
  return std::make_unique<LocalWorkQueue>(std::move(items));
}

}  // namespace hepsweep::dist
