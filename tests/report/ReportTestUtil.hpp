#pragma once
// Helpers shared by the report tests: temporary directories, reading files, and the XML
// well-formedness check (Python's xml.dom.minidom, i.e. expat, run through std::system).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace hepsweep::report::testutil {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hepsweep-report-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writeFile(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

// Empty when `path` parses as XML, else the parser's message.
inline std::string xmlError(const fs::path& path) {
  const fs::path err = path.string() + ".xmlcheck";
  const std::string cmd = "/usr/bin/python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' '" +
                          path.string() + "' 2> '" + err.string() + "'";
  const int rc = std::system(cmd.c_str());
  std::string msg = readFile(err);
  std::error_code ec;
  fs::remove(err, ec);
  if (rc == 0) return {};
  return msg.empty() ? "python3 exited with " + std::to_string(rc) : msg;
}

// Every src="..." of an <img>, in order. (Plain string search: std::regex trips GCC 12's
// -Wmaybe-uninitialized inside libstdc++ at -O2, which -Werror builds reject.)
inline std::vector<std::string> imageSources(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t at = html.find("<img"); at != std::string::npos; at = html.find("<img", at + 1)) {
    const std::size_t end = html.find('>', at);
    const std::size_t src = html.find(" src=\"", at);
    if (src == std::string::npos || src > end) continue;
    const std::size_t close = html.find('"', src + 6);
    out.push_back(html.substr(src + 6, close - (src + 6)));
  }
  return out;
}

// Sets PATH for the lifetime of the object.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& value) {
    if (const char* old = std::getenv("PATH")) old_ = old, had_ = true;
    ::setenv("PATH", value.c_str(), 1);
  }
  ~ScopedPath() {
    if (had_) ::setenv("PATH", old_.c_str(), 1);
    else ::unsetenv("PATH");
  }
  ScopedPath(const ScopedPath&) = delete;
  ScopedPath& operator=(const ScopedPath&) = delete;

 private:
  std::string old_;
  bool had_ = false;
};

}  // namespace hepsweep::report::testutil
