#include "hepsweep/dist/SharedLock.hpp"

#include <string>
#include <thread>
#include <utility>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::dist {

void SharedLock::pollFor(std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

SharedLock::Guard SharedLock::acquire() {
  if (held_) throw Error(ErrorCategory::Internal, "shared lock: acquired again by the rank that holds it");
  std::vector<std::int64_t> values(registers_, 0);
  lockAndRead(values);
  held_ = true;
  return Guard(*this, std::move(values));
}

SharedLock::Guard::Guard(Guard&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), values_(std::move(other.values_)) {}

SharedLock::Guard::~Guard() {
  if (owner_ == nullptr) return;
  owner_->held_ = false;
  owner_->unlockDiscarding();
}

void SharedLock::Guard::checkIndex(std::size_t index) const {
  if (owner_ == nullptr) throw Error(ErrorCategory::Internal, "shared lock: register used after commit()");
  if (index >= values_.size())
    throw Error(ErrorCategory::Internal, "shared lock: register " + std::to_string(index) + " of " +
                                             std::to_string(values_.size()));
}

std::int64_t SharedLock::Guard::get(std::size_t index) const {
  checkIndex(index);
  return values_[index];
}

void SharedLock::Guard::set(std::size_t index, std::int64_t value) {
  checkIndex(index);
  values_[index] = value;
}

void SharedLock::Guard::commit() {
  if (owner_ == nullptr) throw Error(ErrorCategory::Internal, "shared lock: commit() twice");
  SharedLock* owner = std::exchange(owner_, nullptr);
  owner->held_ = false;
  owner->writeAndUnlock(values_);
}

}  // namespace hepsweep::dist
