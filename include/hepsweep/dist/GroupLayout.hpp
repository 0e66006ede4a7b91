#pragma once
// The split of the world into groups of consecutive ranks, each training one item at a time,
// data-parallel inside the group.
#include <memory>
#include <string_view>

#include "hepsweep/dist/Communicator.hpp"

namespace hepsweep::dist {

struct GroupLayout {
  std::unique_ptr<Communicator> group;  // this rank's group (ranks r*G .. r*G+G-1 of the world)
  int groupIndex = 0;
  int groupCount = 1;
  int ranksPerGroup = 1;
  bool leader = true;  // rank 0 of its group: takes items from the WorkQueue and writes results
};

// Collective over `world`. Throws hepsweep::Error (Config) naming `settingName` when ranksPerGroup
// is below 1 or does not divide the world size, e.g.
// "resources.ranks_per_item = 3 does not divide the 4 MPI ranks; use 1, 2 or 4".
GroupLayout makeGroups(Communicator& world, int ranksPerGroup,
                       std::string_view settingName = "resources.ranks_per_item");

}  // namespace hepsweep::dist
