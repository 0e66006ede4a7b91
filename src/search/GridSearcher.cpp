#include <limits>
#include <string>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/search/Searcher.hpp"

namespace hepsweep::search {

GridSearcher::GridSearcher(Space space) : Searcher(std::move(space), 0) {
  std::size_t total = 1;
  bool tooLarge = false;
  std::string factors;
  for (const Dimension& d : this->space().dimensions()) {
    axes_.push_back(d.gridValues());
    const std::size_t n = axes_.back().size();
    if (total > kMaxPoints / n) tooLarge = true;
    else total *= n;
    factors += (factors.empty() ? "" : " x ") + std::to_string(n) + " (" + d.key() + ")";
  }
  if (tooLarge || total > kMaxPoints)
    throwConfig("the search grid has more than " + std::to_string(kMaxPoints) + " points: " + factors +
                "; lower the steps, shorten the lists, or use method = \"random\" with a budget");
  total_ = total;
}

std::vector<Value> GridSearcher::generate(std::int64_t id) {
  // Mixed-radix digits of the id, last dimension least significant (itertools.product order).
  std::vector<Value> values(axes_.size());
  auto rest = static_cast<std::size_t>(id);
  for (std::size_t d = axes_.size(); d-- > 0;) {
    values[d] = axes_[d][rest % axes_[d].size()];
    rest /= axes_[d].size();
  }
  return values;
}

}  // namespace hepsweep::search
