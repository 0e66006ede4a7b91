#include "hepsweep/core/Version.hpp"

#include "hepsweep/BuildInfo.hpp"
#include "hepsweep/GitDescribe.hpp"

namespace hepsweep {

std::string versionShort() {
  std::string v = build::kVersion;
  if (*build::kGitDescribe) v += std::string("+") + build::kGitDescribe;
  return v;
}

std::string versionString() {
  std::string v = "hepsweep " + versionShort() + " (" + build::kCompiler + ", " + build::kBuildType;
  v += std::string(", -march=") + (*build::kArch ? build::kArch : "default") + ")";
  return v;
}

}  // namespace hepsweep
