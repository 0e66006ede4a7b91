// The deterministic exchange algorithm, written against Communicator only (no MPI here).
#include "hepsweep/dist/GradientReduction.hpp"

#include <algorithm>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/SharedMemory.hpp"

namespace hepsweep::dist {

namespace {

[[noreturn]] void internal(const std::string& message) {
  throw Error(ErrorCategory::Internal, message);
}

// left[i] = left[i] + right[i]: the left operand is always the lower subtree, so even NaN payloads
// (which x86 takes from the first operand) come out the same on every rank.
void addInto(std::span<float> left, std::span<const float> right) {
  for (std::size_t i = 0; i < left.size(); ++i) left[i] = left[i] + right[i];
}

void addIntoRight(std::span<const float> left, std::span<float> right) {
  for (std::size_t i = 0; i < right.size(); ++i) right[i] = left[i] + right[i];
}

}  // namespace

bool isPowerOfTwo(long long n) noexcept { return n > 0 && (n & (n - 1)) == 0; }

MicroBatchAccumulator::MicroBatchAccumulator(std::size_t length) : length_(length) {}

std::vector<float> MicroBatchAccumulator::takeBuffer() {
  if (spare_.empty()) return std::vector<float>(length_);
  std::vector<float> buffer = std::move(spare_.back());
  spare_.pop_back();
  return buffer;
}

void MicroBatchAccumulator::add(std::span<const float> gradient) {
  if (gradient.size() != length_) {
    internal("MicroBatchAccumulator: gradient of " + std::to_string(gradient.size()) +
             " values added to an accumulator of " + std::to_string(length_));
  }
  std::vector<float> buffer = takeBuffer();
  std::copy(gradient.begin(), gradient.end(), buffer.begin());
  stack_.push_back(Node{0, std::move(buffer)});
  ++count_;
  // Two complete subtrees of equal height merge at once, like carries in a binary counter.
  while (stack_.size() >= 2 && stack_[stack_.size() - 1].level == stack_[stack_.size() - 2].level) {
    Node right = std::move(stack_.back());
    stack_.pop_back();
    addInto(stack_.back().data, right.data);
    ++stack_.back().level;
    spare_.push_back(std::move(right.data));
  }
}

void MicroBatchAccumulator::finish(std::span<float> out) {
  if (out.size() != length_) {
    internal("MicroBatchAccumulator: output of " + std::to_string(out.size()) +
             " values for an accumulator of " + std::to_string(length_));
  }
  if (stack_.empty()) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  // The subtrees left on the stack have strictly decreasing sizes (the binary digits of count);
  // merging them from the right gives "largest power of two first, then the rest", as treeSum.
  while (stack_.size() >= 2) {
    Node right = std::move(stack_.back());
    stack_.pop_back();
    addInto(stack_.back().data, right.data);
    spare_.push_back(std::move(right.data));
  }
  std::copy(stack_.front().data.begin(), stack_.front().data.end(), out.begin());
  reset();
}

void MicroBatchAccumulator::reset() {
  for (Node& node : stack_) spare_.push_back(std::move(node.data));
  stack_.clear();
  count_ = 0;
}

void treeSum(std::span<const std::span<const float>> parts, std::span<float> out) {
  MicroBatchAccumulator accumulator(out.size());
  for (const auto& part : parts) accumulator.add(part);
  accumulator.finish(out);
}

namespace {

// The tree over parts [lo, hi) into parts[lo].
void treeInto(std::span<float* const> parts, std::size_t lo, std::size_t hi, std::size_t length) {
  if (hi - lo < 2) return;
  std::size_t p = 1;
  while (2 * p < hi - lo) p *= 2;
  treeInto(parts, lo, lo + p, length);
  treeInto(parts, lo + p, hi, length);
  addInto({parts[lo], length}, {parts[lo + p], length});
}

}  // namespace

void treeSumInPlace(std::span<float* const> parts, std::size_t length, float* out) {
  const std::size_t n = parts.size();
  if (n == 0) {
    std::fill(out, out + length, 0.0f);
    return;
  }
  if (n == 1) {
    if (parts[0] != out) std::copy(parts[0], parts[0] + length, out);
    return;
  }
  // The last addition writes into `out` directly (no copy of the root).
  std::size_t p = 1;
  while (2 * p < n) p *= 2;
  treeInto(parts, 0, p, length);
  treeInto(parts, p, n, length);
  const float* left = parts[0];
  const float* right = parts[p];
  for (std::size_t i = 0; i < length; ++i) out[i] = left[i] + right[i];
}

MicroBatchRange microBatchShare(int microBatches, int groupSize, int rankInGroup) {
  if (microBatches < 1 || groupSize < 1 || rankInGroup < 0 || rankInGroup >= groupSize) {
    internal("microBatchShare: " + std::to_string(microBatches) + " micro-batches, rank " +
             std::to_string(rankInGroup) + " of " + std::to_string(groupSize));
  }
  const long long m = microBatches;
  const int first = static_cast<int>(m * rankInGroup / groupSize);
  const int end = static_cast<int>(m * (rankInGroup + 1) / groupSize);
  return {first, end - first};
}

void allreduceSumFast(Communicator& group, std::span<float> buffer) {
  group.allreduce(buffer, ReduceOp::Sum);
}

const char* toString(GradientSum s) { return s == GradientSum::Fast ? "fast" : "deterministic"; }

namespace {

// The deterministic exchange by messages; `received`: scratch of buffer.size() floats.
void reduceByMessages(Communicator& group, std::span<float> buffer, std::span<float> received) {
  const int size = group.size();
  const int rank = group.rank();
  if (isPowerOfTwo(size)) {
    // After the step with distance d, every rank holds the tree over its aligned block of 2d ranks.
    for (int distance = 1; distance < size; distance *= 2) {
      const int peer = rank ^ distance;
      group.sendReceive(peer, buffer, received);
      if (rank < peer) {
        addInto(buffer, received);
      } else {
        addIntoRight(received, buffer);
      }
    }
    return;
  }
  const auto all = group.allgatherv(std::span<const float>(buffer.data(), buffer.size()));
  std::vector<std::span<const float>> parts;
  parts.reserve(all.size());
  for (const auto& part : all) {
    if (part.size() != buffer.size()) {
      internal("reduceGradients: rank buffers differ in length (" + std::to_string(part.size()) + " vs " +
               std::to_string(buffer.size()) + ")");
    }
    parts.emplace_back(part);
  }
  treeSum(parts, buffer);
}

}  // namespace

void reduceGradients(Communicator& group, std::span<float> buffer, GradientSum mode) {
  if (group.size() == 1) return;
  if (mode == GradientSum::Fast) {
    allreduceSumFast(group, buffer);
    return;
  }
  std::vector<float> received(buffer.size());
  reduceByMessages(group, buffer, received);
}

GradientExchange::GradientExchange(Communicator& group, std::size_t length, GradientSum mode)
    : group_(group), length_(length), mode_(mode), own_{0, length}, accumulator_(length) {
  if (group_.size() == 1 || mode_ == GradientSum::Fast) return;
  // Two copies: a rank may write the next step's partial sum while a slower one still reads this
  // step's (the barrier of the next step orders the one after).
  slots_ = group_.sharedSlots(length_, 2);
  if (!slots_) received_.resize(length_);
  if (!slots_) return;
  // Boundaries on 16 floats (the slots are 64-byte aligned): no cache line is written by two ranks.
  const auto g = static_cast<std::size_t>(group_.size());
  const auto boundary = [&](std::size_t r) { return r == g ? length_ : length_ * r / g / 16 * 16; };
  for (std::size_t r = 0; r < g; ++r) ranges_.push_back({boundary(r), boundary(r + 1) - boundary(r)});
  own_ = ranges_[static_cast<std::size_t>(group_.rank())];
  ownAccumulator_ = MicroBatchAccumulator(own_.count);
}

void GradientExchange::reduce(std::span<float> buffer) {
  if (buffer.size() != length_) {
    internal("GradientExchange: a buffer of " + std::to_string(buffer.size()) + " floats for an exchange of " +
             std::to_string(length_));
  }
  const int size = group_.size();
  if (size == 1) return;
  if (mode_ == GradientSum::Fast) {
    allreduceSumFast(group_, buffer);
    return;
  }
  if (!slots_) {
    reduceByMessages(group_, buffer, received_);
    return;
  }
  const int copy = slots_->nextCopy;
  slots_->nextCopy = (copy + 1) % 2;
  std::copy(buffer.begin(), buffer.end(), slots_->slot(group_.rank(), copy));
  slots_->sync();
  sumSlots(copy, {0, length_}, buffer.data(), accumulator_);
}

// The sum of the slots' `range` (rank order, the fixed tree) into out[0, range.count).
void GradientExchange::sumSlots(int copy, Range range, float* out, MicroBatchAccumulator& acc) {
  const int size = group_.size();
  if (size == 2) {
    // The tree of two parts, lower rank first: what the butterfly's one step gives.
    const float* left = slots_->slot(0, copy) + range.first;
    const float* right = slots_->slot(1, copy) + range.first;
    for (std::size_t i = 0; i < range.count; ++i) out[i] = left[i] + right[i];
    return;
  }
  // treeSum over the ranks' parts in rank order: the butterfly's tree for a power of two, the
  // gather fallback's otherwise. Element-wise, so a range of it has the bits of the whole.
  for (int r = 0; r < size; ++r) acc.add({slots_->slot(r, copy) + range.first, range.count});
  acc.finish({out, range.count});
}

float* GradientExchange::partialSlot() const noexcept {
  return slots_ ? slots_->slot(group_.rank(), slots_->nextCopy) : nullptr;
}

void GradientExchange::reduceOwnRange(const float* partial, std::span<float> out) {
  if (out.size() != length_) {
    internal("GradientExchange: a buffer of " + std::to_string(out.size()) + " floats for an exchange of " +
             std::to_string(length_));
  }
  if (!slots_) {
    if (partial != out.data()) std::copy(partial, partial + length_, out.data());
    reduce(out);
    return;
  }
  const int copy = slots_->nextCopy;
  slots_->nextCopy = (copy + 1) % 2;
  lastCopy_ = copy;
  float* mine = slots_->slot(group_.rank(), copy);
  if (partial != mine) std::copy(partial, partial + length_, mine);
  slots_->sync();
  sumSlots(copy, own_, out.data() + own_.first, ownAccumulator_);
}

void GradientExchange::shareOwnRanges(std::span<float> values) {
  if (!slots_) return;
  if (values.size() != length_) {
    internal("GradientExchange: " + std::to_string(values.size()) + " values shared by an exchange of " +
             std::to_string(length_));
  }
  // This rank's slot of the last reduce: the others read only their own ranges of it, so this
  // rank's range is free; the copy the next reduce writes is the other one.
  std::copy_n(values.data() + own_.first, own_.count, slots_->slot(group_.rank(), lastCopy_) + own_.first);
  slots_->sync();
  for (int r = 0; r < group_.size(); ++r) {
    if (r == group_.rank()) continue;
    const Range& range = ranges_[static_cast<std::size_t>(r)];
    std::copy_n(slots_->slot(r, lastCopy_) + range.first, range.count, values.data() + range.first);
  }
}

void GradientExchange::gatherOwnRanges(std::span<const std::span<float>> vectors) {
  if (!slots_) return;
  for (const auto& v : vectors) {
    if (v.size() != length_)
      internal("GradientExchange: a vector of " + std::to_string(v.size()) + " values gathered by an exchange of " +
               std::to_string(length_));
  }
  // Up to two vectors per round (the two copies), with a barrier before each round (no rank still
  // reads the slots from before) and after it (none writes them before all have read).
  for (std::size_t done = 0; done < vectors.size(); done += 2) {
    slots_->sync();
    const std::size_t n = std::min<std::size_t>(2, vectors.size() - done);
    for (std::size_t k = 0; k < n; ++k)
      std::copy_n(vectors[done + k].data() + own_.first, own_.count,
                  slots_->slot(group_.rank(), static_cast<int>(k)) + own_.first);
    slots_->sync();
    for (std::size_t k = 0; k < n; ++k) {
      for (int r = 0; r < group_.size(); ++r) {
        if (r == group_.rank()) continue;
        const Range& range = ranges_[static_cast<std::size_t>(r)];
        std::copy_n(slots_->slot(r, static_cast<int>(k)) + range.first, range.count, vectors[done + k].data() + range.first);
      }
    }
  }
  if (!vectors.empty()) slots_->sync();
}

}  // namespace hepsweep::dist
