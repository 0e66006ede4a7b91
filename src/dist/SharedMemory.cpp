#include "hepsweep/dist/SharedMemory.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "hepsweep/dist/Communicator.hpp"

#if HEPSWEEP_WITH_MPI
#include "Mpi.hpp"
#endif

namespace hepsweep::dist {
namespace {

// One process: the block is this process's own memory (anonymous pages, asked to be huge pages:
// training reads rows scattered over the whole table, and with 4 KiB pages nearly every row is
// also a TLB miss), and publishing only reports the error.
class LocalBlock final : public SharedBlock {
 public:
  explicit LocalBlock(std::size_t bytes) : size_(std::max<std::size_t>(bytes, 1)) {
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throwIo("cannot allocate " + std::to_string(bytes) + " bytes for the feature table: " + std::strerror(errno));
    ::madvise(p, size_, MADV_HUGEPAGE);  // a hint: refused or ignored where huge pages are off
    memory_ = static_cast<std::byte*>(p);
    bytes_ = {memory_, bytes};
  }
  ~LocalBlock() override { ::munmap(memory_, size_); }
  void nodeBarrier() override {}
  void publish(const std::string& error, ErrorCategory category) override {
    if (!error.empty()) throw Error(category, error);
  }

 private:
  std::size_t size_;
  std::byte* memory_ = nullptr;
};

#if HEPSWEEP_WITH_MPI
// The window lives on the node's first rank; the others map the same pages. A passive-target
// epoch (lock_all) stays open for the block's lifetime, and publish() synchronises the public and
// private copies around a node barrier, as the MPI-3 shared-memory model asks.
class MpiBlock final : public SharedBlock {
 public:
  MpiBlock(const mpi::MpiCommunicator& owner, std::size_t bytes) : world_(owner.comm()) {
    MPI_Comm node = MPI_COMM_NULL;
    mpi::check(MPI_Comm_split_type(owner.comm(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
    node_ = mpi::CommHandle(node);
    mpi::check(MPI_Comm_set_errhandler(node_.get(), MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    int rank = 0;
    mpi::check(MPI_Comm_rank(node_.get(), &rank), "MPI_Comm_rank");
    mpi::check(MPI_Comm_size(node_.get(), &nodeRanks_), "MPI_Comm_size");
    nodeRank_ = rank;
    filler_ = rank == 0;
    // Rounded up to the alignment, so the memory behind the last value is ours too.
    const std::size_t padded = (std::max<std::size_t>(bytes, 1) + 63) / 64 * 64;
    void* mine = nullptr;
    const int rc = MPI_Win_allocate_shared(filler_ ? static_cast<MPI_Aint>(padded) : 0, 1, MPI_INFO_NULL, node_.get(),
                                           &mine, &window_);
    if (rc != MPI_SUCCESS) {
      char text[MPI_MAX_ERROR_STRING] = {};
      int length = 0;
      MPI_Error_string(rc, text, &length);
      throwIo("cannot allocate " + std::to_string(bytes) + " bytes of node-shared memory for the feature table (" +
              std::string(text, static_cast<std::size_t>(length)) +
              "): the node's shared-memory file system (/dev/shm or Open MPI's session directory) may be too "
              "small; set resources.data = \"rows\" to read each rank's rows instead");
    }
    mpi::check(MPI_Win_set_errhandler(window_, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
    MPI_Aint size = 0;
    int unit = 0;
    void* base = nullptr;
    mpi::check(MPI_Win_shared_query(window_, 0, &size, &unit, &base), "MPI_Win_shared_query");
    if (static_cast<std::size_t>(size) < bytes)
      throw Error(ErrorCategory::Internal, "shared window of " + std::to_string(size) + " bytes, " +
                                               std::to_string(bytes) + " asked for");
    bytes_ = {static_cast<std::byte*>(base), bytes};
    mpi::check(MPI_Win_lock_all(MPI_MODE_NOCHECK, window_), "MPI_Win_lock_all");
  }

  ~MpiBlock() override {
    if (window_ == MPI_WIN_NULL || !mpi::isActive()) return;
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
  }

  void nodeBarrier() override {
    mpi::check(MPI_Win_sync(window_), "MPI_Win_sync");
    mpi::check(MPI_Barrier(node_.get()), "MPI_Barrier");
    mpi::check(MPI_Win_sync(window_), "MPI_Win_sync");
  }

  void publish(const std::string& error, ErrorCategory category) override {
    mpi::check(MPI_Win_sync(window_), "MPI_Win_sync");
    // Every rank's error reaches every rank: the lowest failing rank's message wins.
    int worldRank = 0, worldSize = 1;
    mpi::check(MPI_Comm_rank(world_, &worldRank), "MPI_Comm_rank");
    mpi::check(MPI_Comm_size(world_, &worldSize), "MPI_Comm_size");
    // The lowest failing rank, or worldSize when none failed; the reduction is also the barrier
    // after which every rank of every node has written its part.
    int who = error.empty() ? worldSize : worldRank;
    mpi::check(MPI_Allreduce(MPI_IN_PLACE, &who, 1, MPI_INT, MPI_MIN, world_), "MPI_Allreduce");
    mpi::check(MPI_Win_sync(window_), "MPI_Win_sync");
    if (who == worldSize) return;
    std::string text = error;
    std::int64_t meta[2] = {static_cast<std::int64_t>(text.size()), static_cast<std::int64_t>(category)};
    const int root = who;
    mpi::check(MPI_Bcast(meta, 2, MPI_INT64_T, root, world_), "MPI_Bcast");
    text.resize(static_cast<std::size_t>(meta[0]));
    mpi::check(MPI_Bcast(text.data(), mpi::count(text.size(), "publish"), MPI_CHAR, root, world_), "MPI_Bcast");
    throw Error(static_cast<ErrorCategory>(meta[1]), text);
  }

 private:
  MPI_Comm world_;
  mpi::CommHandle node_;
  MPI_Win window_ = MPI_WIN_NULL;
};

// How the ranks of the gradient exchange wait for each other at a step's barrier.
enum class BarrierWait {
  Yield,  // spin, then sched_yield until released: never asleep, no wake-up latency
  Futex,  // spin, then sleep in the kernel (futex) until the last rank wakes the sleepers
  Mpi     // MPI_Barrier (Open MPI polls its progress engine, never yielding)
};

// HEPSWEEP_NODE_BARRIER = yield | futex | mpi, for measurements (bench/RESULTS.md); default yield.
BarrierWait barrierWait() {
  const char* v = std::getenv("HEPSWEEP_NODE_BARRIER");
  if (!v || !*v || std::strcmp(v, "yield") == 0) return BarrierWait::Yield;
  if (std::strcmp(v, "futex") == 0) return BarrierWait::Futex;
  if (std::strcmp(v, "mpi") == 0) return BarrierWait::Mpi;
  throw Error(ErrorCategory::Config, std::string("HEPSWEEP_NODE_BARRIER = \"") + v +
                                         "\" is not one of yield, futex, mpi");
}

// A barrier of the ranks of one node in their shared memory: the last rank to arrive resets the
// count and advances the generation; the others wait for the generation to change. One cache
// line, written by every rank once per barrier. (MPI_Barrier through Open MPI's shared-memory
// transport costs several messages per barrier and spins in the progress engine: with other work
// on the node a waiting rank keeps its core from it.)
struct alignas(64) NodeBarrierWord {
  std::atomic<std::uint32_t> arrived;
  std::atomic<std::uint32_t> generation;
  std::atomic<std::uint32_t> sleepers;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "process-shared atomics need lock-free ones");

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

void nodeBarrier(NodeBarrierWord& w, std::uint32_t ranks, BarrierWait wait) {
  // Read before arriving: the generation cannot advance before this rank has arrived.
  const std::uint32_t generation = w.generation.load(std::memory_order_acquire);
  if (w.arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == ranks) {
    w.arrived.store(0, std::memory_order_relaxed);  // before the release below: no rank is inside
    w.generation.store(generation + 1, std::memory_order_seq_cst);
    if (wait == BarrierWait::Futex && w.sleepers.load(std::memory_order_seq_cst) > 0)
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&w.generation), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
    return;
  }
  // Tens of microseconds of spinning (2000 pause instructions: ~50 us on a Zen core, ~100 us on
  // a recent Xeon's): a partner that is a little behind (the usual case of two ranks with a core
  // each) releases this rank without a system call.
  for (int i = 0; i < 2000; ++i) {
    if (w.generation.load(std::memory_order_acquire) != generation) return;
    cpuRelax();
  }
  if (wait == BarrierWait::Yield) {
    while (w.generation.load(std::memory_order_acquire) == generation) ::sched_yield();
    return;
  }
  w.sleepers.fetch_add(1, std::memory_order_seq_cst);
  // The kernel sleeps only while the word still holds this generation: a release between the
  // check and the call returns at once (EAGAIN), and the releasing rank saw sleepers > 0.
  while (w.generation.load(std::memory_order_seq_cst) == generation)
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&w.generation), FUTEX_WAIT, generation, nullptr, nullptr, 0);
  w.sleepers.fetch_sub(1, std::memory_order_seq_cst);
}

// Each rank's slots in its own part of the window (alloc_shared_noncontig: on pages of its own,
// first touched by itself), read by the others through MPI_Win_shared_query's addresses. Rank 0's
// part begins with the barrier word of sync().
class MpiSlots final : public SharedSlots {
 public:
  // `node`: a communicator of all the ranks, on one node, in the ranks' order.
  MpiSlots(mpi::CommHandle node, std::size_t floats, int copies) : node_(std::move(node)), wait_(barrierWait()) {
    floats_ = floats;
    copies_ = copies;
    stride_ = (std::max<std::size_t>(floats, 1) + 15) / 16 * 16;  // 64-byte aligned slots
    int ranks = 0;
    mpi::check(MPI_Comm_size(node_.get(), &ranks), "MPI_Comm_size");
    ranks_ = static_cast<std::uint32_t>(ranks);
    MPI_Info info = MPI_INFO_NULL;
    mpi::check(MPI_Info_create(&info), "MPI_Info_create");
    MPI_Info_set(info, "alloc_shared_noncontig", "true");
    void* mine = nullptr;
    const auto bytes = static_cast<MPI_Aint>(stride_ * static_cast<std::size_t>(copies) * sizeof(float) + kHeader);
    const int rc = MPI_Win_allocate_shared(bytes, sizeof(float), info, node_.get(), &mine, &window_);
    MPI_Info_free(&info);
    mpi::check(rc, "MPI_Win_allocate_shared (the gradient exchange's node-shared buffers)");
    mpi::check(MPI_Win_set_errhandler(window_, MPI_ERRORS_RETURN), "MPI_Win_set_errhandler");
    for (int r = 0; r < ranks; ++r) {
      MPI_Aint size = 0;
      int unit = 0;
      void* base = nullptr;
      mpi::check(MPI_Win_shared_query(window_, r, &size, &unit, &base), "MPI_Win_shared_query");
      if (size < bytes)
        throw Error(ErrorCategory::Internal, "shared slots of " + std::to_string(size) + " bytes, " +
                                                 std::to_string(bytes) + " asked for");
      bases_.push_back(reinterpret_cast<float*>(static_cast<std::byte*>(base) + kHeader));
      if (r == 0) word_ = static_cast<NodeBarrierWord*>(base);
    }
    mpi::check(MPI_Win_lock_all(MPI_MODE_NOCHECK, window_), "MPI_Win_lock_all");
    int rank = 0;
    mpi::check(MPI_Comm_rank(node_.get(), &rank), "MPI_Comm_rank");
    if (rank == 0) new (word_) NodeBarrierWord{{0}, {0}, {0}};
    syncByMpi();  // the word is set before any rank uses it
  }

  // MPI_Win_free waits for every rank: a rank unwinding from an error (on its way to the job's
  // abort) leaves the window to the end of the process instead of waiting for ranks that will
  // never come.
  ~MpiSlots() override {
    if (window_ == MPI_WIN_NULL || !mpi::isActive() || std::uncaught_exceptions() > 0) return;
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
  }

  // The atomics' acquire and release order the slots' plain stores and loads around the barrier
  // (MPI_Win_sync, which the MPI-3 model asks for, is a memory fence in Open MPI's osc/sm).
  void sync() override {
    if (wait_ == BarrierWait::Mpi) {
      syncByMpi();
      return;
    }
    nodeBarrier(*word_, ranks_, wait_);
  }

 private:
  static constexpr std::size_t kHeader = 64;  // the barrier word, in rank 0's part

  void syncByMpi() {
    mpi::check(MPI_Win_sync(window_), "MPI_Win_sync");
    mpi::check(MPI_Barrier(node_.get()), "MPI_Barrier");
    mpi::check(MPI_Win_sync(window_), "MPI_Win_sync");
  }

  mpi::CommHandle node_;
  MPI_Win window_ = MPI_WIN_NULL;
  BarrierWait wait_;
  std::uint32_t ranks_ = 1;
  NodeBarrierWord* word_ = nullptr;
};
#endif

}  // namespace

std::unique_ptr<SharedSlots> allocateSlots(Communicator& comm, std::size_t floats, int copies) {
#if HEPSWEEP_WITH_MPI
  if (const auto* m = dynamic_cast<const mpi::MpiCommunicator*>(&comm); m && comm.size() > 1) {
    // Key 0 everywhere: the node communicator keeps the ranks' order. Its size is the whole
    // communicator's on every rank exactly when all ranks share one node, so all ranks agree.
    MPI_Comm node = MPI_COMM_NULL;
    mpi::check(MPI_Comm_split_type(m->comm(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
    mpi::CommHandle handle(node);
    mpi::check(MPI_Comm_set_errhandler(handle.get(), MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    int ranks = 0;
    mpi::check(MPI_Comm_size(handle.get(), &ranks), "MPI_Comm_size");
    if (ranks != comm.size()) return nullptr;
    return std::make_unique<MpiSlots>(std::move(handle), floats, copies);
  }
#endif
  (void)comm;
  (void)floats;
  (void)copies;
  return nullptr;
}

std::unique_ptr<SharedBlock> allocateShared(Communicator& comm, std::size_t bytes) {
#if HEPSWEEP_WITH_MPI
  if (const auto* m = dynamic_cast<const mpi::MpiCommunicator*>(&comm)) return std::make_unique<MpiBlock>(*m, bytes);
#else
  (void)comm;  // without MPI every communicator is a one-rank LocalCommunicator
#endif
  return std::make_unique<LocalBlock>(bytes);
}

}  // namespace hepsweep::dist
