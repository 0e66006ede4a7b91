#include "hepsweep/dist/GroupLayout.hpp"

#include <string>
#include <vector>

#include "hepsweep/core/Error.hpp"

namespace hepsweep::dist {

namespace {

// "1", "1 or 2", "1, 2 or 4".
std::string divisorList(int n) {
  std::vector<int> divisors;
  for (int d = 1; d <= n; ++d) {
    if (n % d == 0) divisors.push_back(d);
  }
  std::string text;
  for (std::size_t i = 0; i < divisors.size(); ++i) {
    if (i > 0) text += (i + 1 == divisors.size()) ? " or " : ", ";
    text += std::to_string(divisors[i]);
  }
  return text;
}

}  // namespace

GroupLayout makeGroups(Communicator& world, int ranksPerGroup, std::string_view settingName) {
  const int worldSize = world.size();
  const std::string setting(settingName);
  if (ranksPerGroup < 1) {
    throwConfig(setting + " = " + std::to_string(ranksPerGroup) + " must be at least 1; use " +
                divisorList(worldSize));
  }
  if (worldSize % ranksPerGroup != 0) {
    throwConfig(setting + " = " + std::to_string(ranksPerGroup) + " does not divide the " +
                std::to_string(worldSize) + (worldSize == 1 ? " MPI rank" : " MPI ranks") + "; use " +
                divisorList(worldSize));
  }
  GroupLayout layout;
  layout.ranksPerGroup = ranksPerGroup;
  layout.groupCount = worldSize / ranksPerGroup;
  // Consecutive world ranks share a group: launchers place consecutive ranks on one node, so the
  // per-step gradient exchange stays inside a node when it can.
  layout.groupIndex = world.rank() / ranksPerGroup;
  layout.group = world.split(layout.groupIndex, world.rank());
  layout.leader = layout.group->rank() == 0;
  return layout;
}

}  // namespace hepsweep::dist
