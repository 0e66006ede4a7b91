#include "hepsweep/submit/Templates.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "EmbeddedTemplates.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace fs = std::filesystem;

namespace hepsweep::submit {
namespace {

bool nameChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// The placeholder starting at `at` ('@'), or 0 when there is none: its length including both '@'.
std::size_t placeholderAt(std::string_view line, std::size_t at) {
  if (at + 2 >= line.size() || !(line[at + 1] >= 'A' && line[at + 1] <= 'Z')) return 0;
  std::size_t end = at + 1;
  while (end < line.size() && nameChar(line[end])) ++end;
  return end < line.size() && line[end] == '@' ? end - at + 1 : 0;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) throwIo("cannot read template '" + p.string() + "'");
  return s.str();
}

}  // namespace

std::string fillTemplate(std::string_view text, std::string_view origin, const TemplateValues& values) {
  std::string out;
  std::size_t lineNo = 0;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t stop = nl == std::string_view::npos ? text.size() : nl;
    const std::string_view line = text.substr(start, stop - start);
    const bool hasNewline = nl != std::string_view::npos;
    start = hasNewline ? nl + 1 : text.size();
    ++lineNo;
    if (line.substr(0, 2) == "#%") continue;
    std::string filled;
    bool onlyEmptyPlaceholder = false;
    for (std::size_t i = 0; i < line.size();) {
      const std::size_t len = line[i] == '@' ? placeholderAt(line, i) : 0;
      if (len == 0) {
        filled += line[i++];
        continue;
      }
      const std::string_view name = line.substr(i + 1, len - 2);
      const auto it = values.find(name);
      if (it == values.end()) {
        std::vector<std::string> known;
        for (const auto& kv : values) known.push_back("@" + kv.first + "@");
        throwConfig("template " + std::string(origin) + ":" + std::to_string(lineNo) + ": unknown placeholder @" +
                    std::string(name) + "@; this template is filled with " + str::join(known, ", "));
      }
      onlyEmptyPlaceholder = len == line.size() && it->second.empty();
      filled += it->second;
      i += len;
    }
    if (onlyEmptyPlaceholder) continue;
    out += filled;
    if (hasNewline) out += '\n';
  }
  return out;
}

const std::vector<std::string>& Templates::names() {
  static const std::vector<std::string> n = [] {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < detail::kEmbeddedTemplateCount; ++i) v.emplace_back(detail::kEmbeddedTemplates[i].name);
    return v;
  }();
  return n;
}

const Templates& Templates::builtIn() {
  static const Templates t = [] {
    Templates b;
    for (std::size_t i = 0; i < detail::kEmbeddedTemplateCount; ++i)
      b.entries_.push_back({detail::kEmbeddedTemplates[i].name, detail::kEmbeddedTemplates[i].text, ""});
    return b;
  }();
  return t;
}

Templates Templates::fromDirectory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throwConfig("--templates " + str::quoted(dir.string()) + ": " +
                (fs::exists(dir, ec) ? "not a directory" : "no such directory"));
  Templates t = builtIn();
  std::size_t found = 0;
  for (const char* sub : {"jobs", "slurm", "condor"}) {
    if (!fs::is_directory(dir / sub, ec)) continue;
    for (const auto& e : fs::directory_iterator(dir / sub, ec)) {
      const std::string name = std::string(sub) + "/" + e.path().filename().string();
      if (e.path().extension() == ".md") continue;
      const auto it = std::find_if(t.entries_.begin(), t.entries_.end(), [&](const Entry& x) { return x.name == name; });
      if (it == t.entries_.end()) {
        std::vector<std::string> same;
        for (const auto& n : names())
          if (n.compare(0, std::string(sub).size() + 1, std::string(sub) + "/") == 0) same.push_back(n);
        throwConfig("--templates " + str::quoted(dir.string()) + ": " + str::quoted(e.path().string()) +
                    " is not a template name; the templates there are " + str::join(same, ", "));
      }
      it->text = readText(e.path());
      it->path = e.path().string();
      ++found;
    }
    if (ec) throwIo("cannot list '" + (dir / sub).string() + "': " + ec.message());
  }
  if (found == 0)
    throwConfig("--templates " + str::quoted(dir.string()) +
                " holds no template: expected files such as slurm/train.sh or condor/train.sub below it "
                "(`hepsweep submit templates DIR` writes the built-in ones)");
  return t;
}

const Templates::Entry& Templates::entry(std::string_view name) const {
  for (const auto& e : entries_)
    if (e.name == name) return e;
  throw Error(ErrorCategory::Internal, "no job template named '" + std::string(name) + "'");
}

const std::string& Templates::text(std::string_view name) const { return entry(name).text; }

std::string Templates::origin(std::string_view name) const {
  const Entry& e = entry(name);
  return e.path.empty() ? "built-in " + e.name : e.path;
}

std::string Templates::fill(std::string_view name, const TemplateValues& values) const {
  return fillTemplate(text(name), origin(name), values);
}

std::vector<fs::path> writeBuiltInTemplates(const fs::path& dir) {
  std::vector<fs::path> written;
  for (const auto& name : Templates::names()) {
    const fs::path p = dir / name;
    std::error_code ec;
    if (fs::exists(p, ec))
      throwIo("'" + p.string() + "' exists already: write the templates into a new directory (nothing was overwritten)");
  }
  for (const auto& name : Templates::names()) {
    const fs::path p = dir / name;
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) throwIo("cannot create directory '" + p.parent_path().string() + "': " + ec.message());
    std::ofstream out(p, std::ios::binary);
    out << Templates::builtIn().text(name);
    out.flush();
    if (!out) throwIo("cannot write '" + p.string() + "'");
    written.push_back(p);
  }
  return written;
}

}  // namespace hepsweep::submit
