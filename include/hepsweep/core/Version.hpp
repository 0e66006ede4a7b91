#pragma once
#include <string>

namespace hepsweep {
// "hepsweep 0.1.0 (git abc123, GNU 12.2.0, -march=...)": recorded in every output file.
std::string versionString();
// Just the semantic version and git describe, e.g. "0.1.0+abc123".
std::string versionShort();
}  // namespace hepsweep
