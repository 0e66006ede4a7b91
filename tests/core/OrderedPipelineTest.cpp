// OrderedPipeline: blocks are taken in submission order whatever the threads and the time each
// block's work takes; per-slot state is used by one thread only; at most `window` blocks exist; a
// failure in the work or in the take reaches the calling thread, and the pipeline stops cleanly.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "hepsweep/core/OrderedPipeline.hpp"

using hepsweep::OrderedPipeline;

namespace {

struct Block {
  int input = -1;
  long output = 0;
};

// Work whose duration varies from block to block, so that workers finish out of order.
long slowSquare(int x) {
  std::this_thread::sleep_for(std::chrono::microseconds((x * 7919) % 13 * 50));
  return static_cast<long>(x) * x;
}

}  // namespace

// Takes come in submission order with each block's own result; with one thread everything runs
// on the calling thread. Catches a take of a block that is not the oldest, a result written
// into the wrong block, and a block reused before it was taken.
TEST(OrderedPipeline, TakesInSubmissionOrderForAnyThreadCount) {
  for (const std::size_t threads : {1u, 2u, 3u, 8u}) {
    for (const std::size_t window : {threads, 2 * threads + 1}) {
      std::vector<std::pair<int, long>> taken;
      std::set<const Block*> blocks;
      std::mutex m;
      std::map<std::size_t, std::set<std::thread::id>> slotThreads;
      const auto caller = std::this_thread::get_id();
      OrderedPipeline<Block> p(
          threads, window,
          [&](Block& b, std::size_t slot) {
            {
              std::lock_guard lock(m);
              slotThreads[slot].insert(std::this_thread::get_id());
            }
            b.output = slowSquare(b.input);
          },
          [&](Block& b) {
            EXPECT_EQ(std::this_thread::get_id(), caller);
            taken.emplace_back(b.input, b.output);
          });
      EXPECT_EQ(p.threads(), threads);
      for (int i = 0; i < 200; ++i) {
        Block& b = p.current();
        blocks.insert(&b);
        b.input = i;
        p.submit();
      }
      p.finish();
      ASSERT_EQ(taken.size(), 200u) << threads << " threads";
      for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(taken[static_cast<std::size_t>(i)].first, i) << threads << " threads, window " << window;
        EXPECT_EQ(taken[static_cast<std::size_t>(i)].second, static_cast<long>(i) * i);
      }
      EXPECT_LE(blocks.size(), p.window());
      for (const auto& [slot, ids] : slotThreads) {
        EXPECT_LT(slot, threads);
        EXPECT_EQ(ids.size(), 1u) << "slot " << slot << " used by several threads";
        if (slot == 0) {
          EXPECT_EQ(*ids.begin(), caller);
        }
      }
      if (threads == 1) {
        EXPECT_EQ(slotThreads.size(), 1u);
      }
    }
  }
}

// A failure in one block's work is rethrown on the calling thread when that block's turn to be
// taken comes: the blocks before it are taken, none after it, and destroying the pipeline then
// joins the workers (the test would hang or abort otherwise).
TEST(OrderedPipeline, WorkFailureReachesTheCallerInOrder) {
  for (const std::size_t threads : {1u, 4u}) {
    std::vector<int> taken;
    bool caught = false;
    try {
      OrderedPipeline<Block> p(
          threads, 2 * threads,
          [](Block& b, std::size_t) {
            if (b.input == 37) throw std::runtime_error("block 37 failed");
            b.output = slowSquare(b.input);
          },
          [&](Block& b) { taken.push_back(b.input); });
      for (int i = 0; i < 100; ++i) {
        p.current().input = i;
        p.submit();
      }
      p.finish();
    } catch (const std::runtime_error& e) {
      caught = true;
      EXPECT_STREQ(e.what(), "block 37 failed");
    }
    EXPECT_TRUE(caught) << threads << " threads";
    ASSERT_EQ(taken.size(), 37u) << threads << " threads";
    for (int i = 0; i < 37; ++i) EXPECT_EQ(taken[static_cast<std::size_t>(i)], i);
  }
}

// A failure in the take (a write error) and one in the calling thread between submits (a parse
// error) both leave with the pipeline's workers joined, while blocks are still queued.
TEST(OrderedPipeline, CallerFailuresStopTheWorkers) {
  EXPECT_THROW(
      {
        OrderedPipeline<Block> p(
            3, 6, [](Block& b, std::size_t) { b.output = slowSquare(b.input); },
            [](Block& b) {
              if (b.input == 5) throw std::runtime_error("disk full");
            });
        for (int i = 0; i < 50; ++i) {
          p.current().input = i;
          p.submit();
        }
        p.finish();
      },
      std::runtime_error);
  EXPECT_THROW(
      {
        OrderedPipeline<Block> p(
            3, 6, [](Block& b, std::size_t) { b.output = slowSquare(b.input); }, [](Block&) {});
        for (int i = 0; i < 50; ++i) {
          if (i == 20) throw std::runtime_error("bad row");
          p.current().input = i;
          p.submit();
        }
      },
      std::runtime_error);
}
