#include "hepsweep/report/Gnuplot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/report/Html.hpp"

extern char** environ;

namespace hepsweep::report::gnuplot {

namespace fs = std::filesystem;

namespace {

void appendComment(std::string& out, std::string_view comment) {
  if (comment.empty()) return;
  std::size_t start = 0;
  while (start <= comment.size()) {
    const std::size_t end = comment.find('\n', start);
    const std::string_view line = comment.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += "# ";
    out += line;
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

// Column names become single words so that `plot 'f' using "name"` style lookups stay possible.
std::string headerWord(const std::string& name) {
  std::string w = name.empty() ? std::string("-") : name;
  for (char& c : w)
    if (c == ' ' || c == '\t' || c == '\n') c = '_';
  return w;
}

}  // namespace

std::string number(double v) {
  if (!std::isfinite(v)) return "NaN";
  std::array<char, 32> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), result.ptr);
}

void writeDataFile(const std::string& path, std::string_view comment, std::span<const Block> blocks) {
  std::string out;
  appendComment(out, comment);
  bool first = true;
  for (const Block& block : blocks) {
    if (!first) out += "\n\n";
    first = false;
    std::size_t rows = block.columns.empty() ? 0 : block.columns.front().values.size();
    for (const Column& c : block.columns)
      if (c.values.size() != rows)
        throw Error(ErrorCategory::Internal, "gnuplot data file '" + path + "': column " + str::quoted(c.name) +
                                                 " has " + std::to_string(c.values.size()) + " values, expected " +
                                                 std::to_string(rows));
    if (!block.title.empty()) appendComment(out, block.title);
    out += "#";
    for (const Column& c : block.columns) {
      out += ' ';
      out += headerWord(c.name);
    }
    out += '\n';
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < block.columns.size(); ++c) {
        if (c) out += ' ';
        out += number(block.columns[c].values[r]);
      }
      out += '\n';
    }
  }
  html::writeFileAtomic(path, out);
}

void writeDataFile(const std::string& path, std::string_view comment, std::span<const Column> columns) {
  const Block block{{}, std::vector<Column>(columns.begin(), columns.end())};
  writeDataFile(path, comment, std::span<const Block>(&block, 1));
}

std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  out += '\'';
  return out;
}

std::string enhancedLiteral(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '^' || c == '@' || c == '&' || c == '~' || c == '{' || c == '}' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string pngAndSvgScript(const std::string& stem, const std::string& body, Size size, int fontPoints) {
  std::ostringstream s;
  s << "# Draws " << stem << ".png and " << stem << ".svg; re-run with: gnuplot " << stem << ".gp\n";
  s << "set encoding utf8\n";
  s << "set terminal pngcairo enhanced color size " << size.width << "," << size.height << " font 'DejaVu Sans,"
    << fontPoints << "' linewidth 1.5 background rgb 'white'\n";
  s << "set output " << quote(stem + ".png") << "\n";
  s << body << "\n";
  s << "unset output\n";
  // The SVG terminal's font sizes are in points of a 72-dpi canvas; the same numbers look alike.
  s << "set terminal svg enhanced size " << size.width << "," << size.height << " font 'DejaVu Sans," << fontPoints
    << "' linewidth 1.5 background rgb 'white'\n";
  s << "set output " << quote(stem + ".svg") << "\n";
  s << body << "\n";
  s << "unset output\n";
  return s.str();
}

std::string run(const std::string& scriptPath, const std::string& workDir, const RunOptions& options) {
  std::error_code ec;
  const fs::path script = fs::absolute(scriptPath, ec);
  if (ec || !fs::is_regular_file(script, ec))
    throwIo("gnuplot script '" + scriptPath + "' does not exist");

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throwIo(std::string("cannot create a pipe to run gnuplot: ") + std::strerror(errno));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, workDir.c_str());

  std::string exe = options.executable;
  std::string scriptArg = script.string();
  char* argv[] = {exe.data(), scriptArg.data(), nullptr};
  pid_t pid = -1;
  const bool searchPath = exe.find('/') == std::string::npos;
  const int rc = searchPath ? ::posix_spawnp(&pid, exe.c_str(), &actions, nullptr, argv, environ)
                            : ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    if (rc == ENOENT) {
      if (!fs::is_directory(workDir, ec))
        throwIo("cannot run gnuplot on '" + scriptPath + "': working directory '" + workDir + "' does not exist");
      throwIo("cannot run gnuplot on '" + scriptPath + "': program " + str::quoted(exe) +
              (searchPath ? " not found on PATH" : " not found") +
              " (the report's plots need gnuplot; on Debian/Ubuntu: apt-get install gnuplot-nox)");
    }
    throwIo("cannot run gnuplot (" + str::quoted(exe) + ") on '" + scriptPath + "': " + std::strerror(rc));
  }

  std::string messages;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(fds[0], buf.data(), buf.size());
    if (n > 0) {
      messages.append(buf.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throwIo("cannot wait for gnuplot on '" + scriptPath + "': " + std::strerror(errno));
  }
  const std::string_view trimmed = str::trim(messages);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::string(trimmed);
  std::string why = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                      : "was killed by signal " + std::to_string(WTERMSIG(status));
  // A missing working directory makes the child fail before exec with status 127.
  if (!fs::is_directory(workDir, ec)) why += " (working directory '" + workDir + "' does not exist)";
  throwIo("gnuplot " + why + " on script '" + scriptPath + "'" +
          (trimmed.empty() ? std::string(" without a message") : ":\n" + std::string(trimmed)));
}

PngInfo checkPng(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throwIo("cannot open PNG file '" + path + "'");
  std::array<unsigned char, 24> head{};
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  const auto got = static_cast<std::size_t>(in.gcount());
  static constexpr std::array<unsigned char, 8> signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (got < signature.size() || !std::equal(signature.begin(), signature.end(), head.begin()))
    throwIo("'" + path + "' is not a PNG file (no PNG signature)");
  if (got < head.size()) throwIo("PNG file '" + path + "' is truncated (" + std::to_string(got) + " bytes)");
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t{head[at]} << 24) | (std::uint32_t{head[at + 1]} << 16) | (std::uint32_t{head[at + 2]} << 8) |
           std::uint32_t{head[at + 3]};
  };
  if (be32(8) != 13 || std::memcmp(head.data() + 12, "IHDR", 4) != 0)
    throwIo("PNG file '" + path + "' does not start with an IHDR chunk");
  PngInfo info;
  info.width = be32(16);
  info.height = be32(20);
  if (info.width == 0 || info.height == 0)
    throwIo("PNG file '" + path + "' has an empty image (" + std::to_string(info.width) + " x " +
            std::to_string(info.height) + " pixels)");
  std::error_code ec;
  info.bytes = fs::file_size(path, ec);
  return info;
}

}  // namespace hepsweep::report::gnuplot
