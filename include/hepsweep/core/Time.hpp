#pragma once
#include <string>

namespace hepsweep {
// The current UTC time as ISO 8601, e.g. "2026-11-23T07:20:06Z" (the `created` attribute of outputs).
std::string utcTimestamp();
}  // namespace hepsweep
