#pragma once
// A stream of blocks worked on by several threads and handed back in the order they came: the
// calling thread fills a block and submits it; `work` runs on a worker thread; `take` runs on the
// calling thread, in submission order. So the work can use every core while everything that must
// stay on one thread and in order (HDF5 calls, writing a file) does. Used by `convert` to
// compress output chunks on several threads and write them in row order.
//
// At most `window` blocks exist, reused round-robin: filling one more waits until the oldest is
// taken, which bounds the memory. While it waits, the calling thread works on the oldest block
// not yet started instead of sleeping. With one thread there are no workers and every block is
// worked on and taken at its submit(): the same calls in the same order as without a pipeline.
#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hepsweep {

template <class Block>
class OrderedPipeline {
 public:
  // `slot` is 0 on the calling thread and 1..threads-1 on the workers: per-thread state (a
  // compressor, a scratch buffer) indexed by it is never used by two threads at once.
  using Work = std::function<void(Block& block, std::size_t slot)>;
  using Take = std::function<void(Block& block)>;

  // threads >= 1 (threads - 1 workers are started), window >= threads blocks in flight.
  OrderedPipeline(std::size_t threads, std::size_t window, Work work, Take take)
      : work_(std::move(work)), take_(std::move(take)) {
    threads = std::max<std::size_t>(threads, 1);
    window = std::max(window, threads);
    for (std::size_t i = 0; i < window; ++i) ring_.push_back(Entry{std::make_unique<Block>(), State::Free, nullptr});
    try {
      for (std::size_t w = 1; w < threads; ++w) workers_.emplace_back([this, w] { workerLoop(w); });
    } catch (...) {
      stopWorkers();  // a thread could not be started: join those that were
      throw;
    }
  }
  // Stops the workers after the block each is working on; blocks not taken are dropped. So an
  // exception in the calling thread (a parse error) unwinds without waiting for the rest.
  ~OrderedPipeline() { stopWorkers(); }
  OrderedPipeline(const OrderedPipeline&) = delete;
  OrderedPipeline& operator=(const OrderedPipeline&) = delete;

  std::size_t threads() const { return workers_.size() + 1; }
  std::size_t window() const { return ring_.size(); }

  // The block to fill next (contents as the last take() left them).
  Block& current() { return *ring_[submitted_ % ring_.size()].block; }

  // Hands current() over to the workers, takes the blocks that are done, and when no block is
  // free for the next current() works on or waits for the oldest one. Rethrows (on the calling
  // thread) what `work` threw for a block when that block's turn to be taken comes, and what
  // `take` throws.
  void submit() {
    {
      std::lock_guard lock(m_);
      ring_[submitted_ % ring_.size()].state = State::Queued;
      ++submitted_;
    }
    wake_.notify_one();
    takeDone();
    if (submitted_ - taken_ == ring_.size()) advanceOldest();
  }

  // Works on and takes every submitted block.
  void finish() {
    while (taken_ < submitted_) advanceOldest();
  }

 private:
  enum class State { Free, Queued, Running, Done };
  struct Entry {
    std::unique_ptr<Block> block;
    State state;
    std::exception_ptr error;
  };

  void stopWorkers() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void run(std::size_t seq, std::size_t slot) {
    Entry& e = ring_[seq % ring_.size()];
    std::exception_ptr error;
    try {
      work_(*e.block, slot);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(m_);
      e.error = error;
      e.state = State::Done;
    }
    done_.notify_all();
  }

  void workerLoop(std::size_t slot) {
    for (;;) {
      std::size_t seq = 0;
      {
        std::unique_lock lock(m_);
        wake_.wait(lock, [&] { return stop_ || started_ < submitted_; });
        if (stop_) return;
        seq = started_++;
        ring_[seq % ring_.size()].state = State::Running;
      }
      run(seq, slot);
    }
  }

  // Takes the blocks at the head of the order that are done, without waiting.
  void takeDone() {
    for (;;) {
      {
        std::lock_guard lock(m_);
        if (taken_ == submitted_ || ring_[taken_ % ring_.size()].state != State::Done) return;
      }
      takeOldest();
    }
  }

  // Takes the oldest block, working on it or on an earlier-queued one meanwhile when none has
  // started yet, else waiting for the worker that has it.
  void advanceOldest() {
    std::unique_lock lock(m_);
    Entry& oldest = ring_[taken_ % ring_.size()];
    while (oldest.state != State::Done) {
      if (started_ < submitted_) {
        const std::size_t seq = started_++;
        ring_[seq % ring_.size()].state = State::Running;
        lock.unlock();
        run(seq, 0);
        lock.lock();
      } else {
        done_.wait(lock, [&] { return oldest.state == State::Done; });
      }
    }
    lock.unlock();
    takeOldest();
    takeDone();
  }

  // The oldest block is done: rethrow its failure or take it, and free its place.
  void takeOldest() {
    Entry& e = ring_[taken_ % ring_.size()];
    if (e.error) std::rethrow_exception(e.error);
    take_(*e.block);
    std::lock_guard lock(m_);
    e.state = State::Free;
    ++taken_;
  }

  Work work_;
  Take take_;
  std::vector<Entry> ring_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_;  // a block was queued, or stop
  std::condition_variable done_;  // a block is done
  std::size_t submitted_ = 0;     // blocks handed over (the next current() is ring_[submitted_ % window])
  std::size_t started_ = 0;       // blocks a thread has begun to work on (in submission order)
  std::size_t taken_ = 0;         // blocks taken
  bool stop_ = false;
};

}  // namespace hepsweep
