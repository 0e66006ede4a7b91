#pragma once
// The communication interface training code sees (XGBoost's collective layer, LightGBM's linkers).
// Two implementations: LocalCommunicator (one rank; every collective is a no-op that succeeds, so
// callers use them unconditionally) and an MPI one that only src/dist knows. All collectives must be
// called by every rank of the communicator in the same order; they are not thread-safe and must be
// called from the thread that created the Environment (MPI_THREAD_FUNNELED).
// Transport failures throw hepsweep::Error (Io); misuse (bad root, size mismatch) throws Internal.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace hepsweep::dist {

class Environment;
class SharedSlots;
class WorkQueue;

enum class ReduceOp { Sum, Min, Max };

class Communicator {
 public:
  virtual ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void barrier() = 0;

  // Broadcasts from `root`: on return every rank holds root's values. Sizes must agree, except for
  // the string, which takes root's length.
  void broadcast(std::span<std::byte> data, int root);
  void broadcast(std::span<std::int64_t> values, int root);
  void broadcast(std::span<double> values, int root);
  void broadcast(std::string& text, int root);

  // Element-wise reduction, result on every rank (small vectors: metrics, counters). The order in
  // which ranks are combined is MPI's: a double sum is not bitwise reproducible across layouts.
  void allreduce(std::span<double> values, ReduceOp op);
  void allreduce(std::span<std::int64_t> values, ReduceOp op);
  // Plain MPI_Allreduce on floats (the fast, order-unspecified gradient path; see
  // GradientReduction.hpp for the deterministic one).
  void allreduce(std::span<float> values, ReduceOp op);

  // Every rank's data, indexed by rank; the lengths may differ between ranks.
  std::vector<std::vector<std::byte>> allgatherBytes(std::span<const std::byte> mine);
  template <class T>
  std::vector<std::vector<T>> allgatherv(std::span<const T> mine);
  template <class T>
  std::vector<T> allgather(const T& mine);
  std::vector<std::string> allgather(const std::string& mine);

  // Sends `send` to `peer` and receives the same number of floats from it (the step of an
  // exchange algorithm; peer may be this rank).
  void sendReceive(int peer, std::span<const float> send, std::span<float> receive);

  // Collective: ranks with the same colour form a sub-communicator, ordered by (key, rank). The
  // result owns its handle and releases it exactly once; it must not outlive the Environment.
  std::unique_ptr<Communicator> split(int color, int key);
  std::unique_ptr<Communicator> split(int color) { return split(color, rank()); }

  // Collective: a queue handing out `items` (the same list on every rank) one at a time, each
  // exactly once, to whichever rank asks first. See WorkQueue.hpp.
  std::unique_ptr<WorkQueue> makeWorkQueue(std::vector<std::int64_t> items);
  // Collective: `copies` buffers of `floats` floats per rank that every rank of this communicator
  // reads and writes in place, when all its ranks share one node (SharedMemory.hpp); nullptr when
  // they do not, and for one rank. The communicator keeps them until it is destroyed and hands
  // them out again to calls that fit, so a user per item (the gradient exchange of each training)
  // allocates once per job. Every rank must ask for the same sizes in the same order.
  SharedSlots* sharedSlots(std::size_t floats, int copies);

 protected:
  Communicator();  // out of line, with the destructor: slots_ needs SharedSlots complete

 private:
  virtual void broadcastBytes(std::span<std::byte> data, int root) = 0;
  virtual void broadcastInt64(std::span<std::int64_t> values, int root) = 0;
  virtual void broadcastDouble(std::span<double> values, int root) = 0;
  virtual void allreduceDouble(std::span<double> values, ReduceOp op) = 0;
  virtual void allreduceInt64(std::span<std::int64_t> values, ReduceOp op) = 0;
  virtual void allreduceFloat(std::span<float> values, ReduceOp op) = 0;
  virtual std::vector<std::vector<std::byte>> allgatherBytesImpl(std::span<const std::byte> mine) = 0;
  virtual void sendReceiveImpl(int peer, std::span<const float> send, std::span<float> receive) = 0;
  virtual std::unique_ptr<Communicator> splitImpl(int color, int key) = 0;
  virtual std::unique_ptr<WorkQueue> makeWorkQueueImpl(std::vector<std::int64_t> items) = 0;

  void checkRoot(int root, const char* what) const;

  std::unique_ptr<SharedSlots> slots_;
  bool slotsUnavailable_ = false;  // the ranks are not on one node: asked once
};

// One rank, no MPI: the serial run and the unit tests.
class LocalCommunicator final : public Communicator {
 public:
  LocalCommunicator() = default;
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}

 private:
  void broadcastBytes(std::span<std::byte>, int) override {}
  void broadcastInt64(std::span<std::int64_t>, int) override {}
  void broadcastDouble(std::span<double>, int) override {}
  void allreduceDouble(std::span<double>, ReduceOp) override {}
  void allreduceInt64(std::span<std::int64_t>, ReduceOp) override {}
  void allreduceFloat(std::span<float>, ReduceOp) override {}
  std::vector<std::vector<std::byte>> allgatherBytesImpl(std::span<const std::byte> mine) override;
  void sendReceiveImpl(int peer, std::span<const float> send, std::span<float> receive) override;
  std::unique_ptr<Communicator> splitImpl(int color, int key) override;
  std::unique_ptr<WorkQueue> makeWorkQueueImpl(std::vector<std::int64_t> items) override;
};

// The communicator of all ranks: an MPI one when the Environment uses MPI, else a Local one.
std::unique_ptr<Communicator> world(Environment& environment);

template <class T>
std::vector<std::vector<T>> Communicator::allgatherv(std::span<const T> mine) {
  static_assert(std::is_trivially_copyable_v<T>, "allgatherv copies raw bytes");
  const auto gathered = allgatherBytes(std::as_bytes(mine));
  std::vector<std::vector<T>> result(gathered.size());
  for (std::size_t r = 0; r < gathered.size(); ++r) {
    result[r].resize(gathered[r].size() / sizeof(T));
    if (!gathered[r].empty()) std::memcpy(result[r].data(), gathered[r].data(), gathered[r].size());
  }
  return result;
}

template <class T>
std::vector<T> Communicator::allgather(const T& mine) {
  static_assert(std::is_trivially_copyable_v<T>, "allgather copies raw bytes");
  const auto gathered = allgatherv(std::span<const T>(&mine, 1));
  std::vector<T> result;
  result.reserve(gathered.size());
  for (const auto& one : gathered) result.push_back(one.at(0));
  return result;
}

}  // namespace hepsweep::dist
