#include "hepsweep/core/Log.hpp"

#include <cstdio>

namespace hepsweep {

Logger Logger::toStderr(LogLevel threshold, std::string prefix) {
  return Logger(
      [prefix = std::move(prefix)](LogLevel level, const std::string& msg) {
        const char* tag = level == LogLevel::Warning ? "warning: " : level == LogLevel::Error ? "error: " : "";
        std::fprintf(stderr, "%s%s%s\n", prefix.c_str(), tag, msg.c_str());
      },
      threshold);
}

}  // namespace hepsweep
