#include "hepsweep/search/Schedule.hpp"

namespace hepsweep::search {

Handout handOut(Searcher& searcher, std::int64_t handed, const std::vector<std::int64_t>& resumed,
                std::int64_t proposedAtStart, int folds) {
  Handout h;
  const auto resumedCount = static_cast<std::int64_t>(resumed.size());
  if (handed < resumedCount) {
    h.item = resumed[static_cast<std::size_t>(handed)];
    return h;
  }
  const std::int64_t index = handed - resumedCount;
  const std::int64_t point = proposedAtStart + index / folds;
  if (point >= static_cast<std::int64_t>(searcher.proposedCount())) h.proposed = searcher.propose(1);
  if (point < static_cast<std::int64_t>(searcher.proposedCount())) h.item = point * folds + index % folds;
  return h;
}

}  // namespace hepsweep::search
