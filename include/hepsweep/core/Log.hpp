#pragma once
// A small injected logger: library code reports through a Logger it is given, never to std::cout,
// so the CLI decides where messages go (terminal, per-item log file, rank prefix under MPI).
#include <functional>
#include <string>

namespace hepsweep {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3 };

class Logger {
 public:
  using Sink = std::function<void(LogLevel, const std::string&)>;
  Logger() = default;  // discards everything
  Logger(Sink sink, LogLevel threshold) : sink_(std::move(sink)), threshold_(threshold) {}

  void log(LogLevel level, const std::string& msg) const {
    if (sink_ && level >= threshold_) sink_(level, msg);
  }
  void debug(const std::string& m) const { log(LogLevel::Debug, m); }
  void info(const std::string& m) const { log(LogLevel::Info, m); }
  void warning(const std::string& m) const { log(LogLevel::Warning, m); }
  bool enabled(LogLevel level) const { return sink_ && level >= threshold_; }

  // Logs to stderr with an optional prefix such as "[rank 1] ".
  static Logger toStderr(LogLevel threshold, std::string prefix = {});

 private:
  Sink sink_;
  LogLevel threshold_ = LogLevel::Info;
};

}  // namespace hepsweep
