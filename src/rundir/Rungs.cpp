#include "hepsweep/rundir/Rungs.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <system_error>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"

namespace fs = std::filesystem;

namespace hepsweep::rundir {
namespace {

constexpr const char* kHeader = "# hepsweep rungs 1: epoch bracket value cutoff compared decision";

std::string real(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

template <class T>
bool parse(const std::string& word, T& out) {
  const auto [end, err] = std::from_chars(word.data(), word.data() + word.size(), out);
  return err == std::errc() && end == word.data() + word.size();
}

}  // namespace

std::vector<RungRecord> readRungs(const fs::path& path) {
  std::vector<RungRecord> out;
  std::error_code ec;
  if (!fs::exists(path, ec)) return out;
  std::istringstream in(readTextFile(path));
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string w[6], extra;
    for (auto& x : w) words >> x;
    words >> extra;
    RungRecord r;
    const bool ok = extra.empty() && parse(w[0], r.epoch) && parse(w[1], r.bracket) && parse(w[2], r.value) &&
                    parse(w[3], r.cutoff) && parse(w[4], r.compared) && (w[5] == "stop" || w[5] == "continue") &&
                    r.epoch >= 1 && r.bracket >= 0 && r.compared >= 1 && (out.empty() || r.epoch > out.back().epoch);
    if (!ok)
      throwInput(path.string() + ":" + std::to_string(lineNo) + ": expected 'epoch bracket value cutoff compared " +
                 "stop|continue' with rising epochs, got '" + line + "'");
    r.stopped = w[5] == "stop";
    out.push_back(r);
  }
  return out;
}

void writeRungs(const fs::path& path, const std::vector<RungRecord>& records) {
  std::string text = std::string(kHeader) + "\n";
  for (const auto& r : records)
    text += std::to_string(r.epoch) + " " + std::to_string(r.bracket) + " " + real(r.value) + " " + real(r.cutoff) +
            " " + std::to_string(r.compared) + " " + (r.stopped ? "stop" : "continue") + "\n";
  writeTextFile(path, text);
}

}  // namespace hepsweep::rundir
