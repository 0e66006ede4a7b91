#include "hepsweep/dist/WorkQueue.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/dist/Communicator.hpp"

namespace hepsweep::dist {

WorkQueue::WorkQueue(std::vector<std::int64_t> items) : items_(std::move(items)) {}

LocalWorkQueue::LocalWorkQueue(std::vector<std::int64_t> items) : WorkQueue(std::move(items)) {
  checkDistinctItems(items_);
}

std::optional<std::int64_t> LocalWorkQueue::next() {
  if (nextIndex_ >= items_.size()) return std::nullopt;
  return items_[nextIndex_++];
}

std::vector<std::int64_t> allItems(std::int64_t count) {
  std::vector<std::int64_t> items(static_cast<std::size_t>(std::max<std::int64_t>(count, 0)));
  std::iota(items.begin(), items.end(), std::int64_t{0});
  return items;
}

std::optional<std::int64_t> nextItemForGroup(WorkQueue& queue, Communicator& group) {
  // A flag travels with the item because item ids are the caller's and may take any value.
  std::int64_t message[2] = {0, 0};
  if (group.rank() == 0) {
    const auto item = queue.next();
    message[0] = item.has_value() ? 1 : 0;
    message[1] = item.value_or(0);
  }
  group.broadcast(std::span<std::int64_t>(message), 0);
  if (message[0] == 0) return std::nullopt;
  return message[1];
}

void checkDistinctItems(const std::vector<std::int64_t>& items) {
  std::vector<std::int64_t> sorted(items);
  std::sort(sorted.begin(), sorted.end());
  const auto duplicate = std::adjacent_find(sorted.begin(), sorted.end());
  if (duplicate != sorted.end()) {
    throw Error(ErrorCategory::Internal,
                "work queue: item " + std::to_string(*duplicate) + " listed twice; it would run twice");
  }
}

}  // namespace hepsweep::dist
