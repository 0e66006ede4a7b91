#include "hepsweep/report/Html.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"

namespace hepsweep::report::html {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) len = 2, cp = b0 & 0x1Fu;
  else if ((b0 & 0xF0) == 0xE0) len = 3, cp = b0 & 0x0Fu;
  else if ((b0 & 0xF8) == 0xF0) len = 4, cp = b0 & 0x07u;
  else return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return len;
}

bool looksNumeric(std::string_view cell) {
  cell = str::trim(cell);
  if (cell.empty()) return false;
  // "0.912 ± 0.004" and "1.2e-3" are numbers to a reader; align them as such.
  const std::size_t pm = cell.find("\xC2\xB1");
  if (pm != std::string_view::npos) cell = str::trim(cell.substr(0, pm));
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  return ec == std::errc() && ptr == cell.data() + cell.size();
}

constexpr std::string_view kStyle = R"(
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; margin: 1.5em auto; max-width: 1200px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.7em; border-bottom: 2px solid #345; padding-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #bbb; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: 0.3em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #eef2f6; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.highlight td { font-weight: bold; background: #fff8dc; }
table.kv th { width: 14em; }
pre { background: #f6f8fa; border: 1px solid #ddd; padding: 0.7em; overflow-x: auto; font-size: 0.88em; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.92em; }
figure { display: inline-block; margin: 0.6em 1em 1.2em 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; max-width: 900px; }
.warning { background: #fff0f0; border-left: 4px solid #c33; padding: 0.4em 0.8em; }
.muted { color: #666; font-size: 0.9em; }
.wide { overflow-x: auto; max-width: 100%; }
.pair { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.pair figure { flex: 1 1 420px; margin-right: 0; }
)";

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        case '\t': case '\n': out += c; break;
        case '\r': out += '\n'; break;
        default:
          if (u < 0x20 || u == 0x7F) out += kReplacement;
          else out += c;
      }
      ++i;
      continue;
    }
    const std::size_t len = utf8Length(text, i);
    if (len == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string page(std::string_view title, std::string_view bodyHtml) {
  std::string out;
  out += "<!DOCTYPE html>\n";
  out += "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n";
  out += "<meta charset=\"utf-8\"/>\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  out += "<title>" + escape(title) + "</title>\n";
  out += "<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  out += bodyHtml;
  out += "\n</body>\n</html>\n";
  return out;
}

std::string section(std::string_view id, std::string_view heading, std::string_view bodyHtml) {
  std::string out = "<section id=\"" + escape(id) + "\">\n<h2>" + escape(heading) + "</h2>\n";
  out += bodyHtml;
  out += "\n</section>\n";
  return out;
}

std::string paragraph(std::string_view text) { return "<p>" + escape(text) + "</p>\n"; }
std::string pre(std::string_view text) { return "<pre>" + escape(text) + "</pre>\n"; }
std::string code(std::string_view text) { return "<code>" + escape(text) + "</code>"; }

std::string table(std::span<const std::string> header, const std::vector<std::vector<std::string>>& rows,
                  std::string_view caption, int highlightRow) {
  std::size_t columns = header.size();
  for (const auto& r : rows) columns = std::max(columns, r.size());
  std::string out = "<table>\n";
  if (!caption.empty()) out += "<caption>" + escape(caption) + "</caption>\n";
  if (!header.empty()) {
    out += "<thead><tr>";
    for (std::size_t c = 0; c < columns; ++c) out += "<th>" + (c < header.size() ? escape(header[c]) : std::string()) + "</th>";
    out += "</tr></thead>\n";
  }
  out += "<tbody>\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out += static_cast<int>(r) == highlightRow ? "<tr class=\"highlight\">" : "<tr>";
    for (std::size_t c = 0; c < columns; ++c) {
      const std::string cell = c < rows[r].size() ? rows[r][c] : std::string();
      out += looksNumeric(cell) ? "<td class=\"num\">" : "<td>";
      out += escape(cell);
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::string keyValueTable(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = "<table class=\"kv\">\n<tbody>\n";
  for (const auto& [k, v] : rows) out += "<tr><th>" + escape(k) + "</th><td>" + escape(v) + "</td></tr>\n";
  out += "</tbody>\n</table>\n";
  return out;
}

std::string figure(std::string_view pngPath, std::string_view alt, std::string_view caption,
                   std::string_view alternatePath, std::string_view alternateLabel) {
  std::string out = "<figure>\n<img src=\"" + escape(pngPath) + "\" alt=\"" + escape(alt) + "\"/>\n<figcaption>";
  out += escape(caption);
  if (!alternatePath.empty()) out += " [" + link(alternatePath, alternateLabel) + "]";
  out += "</figcaption>\n</figure>\n";
  return out;
}

std::string link(std::string_view href, std::string_view text) {
  return "<a href=\"" + escape(href) + "\">" + escape(text) + "</a>";
}

void writeFileAtomic(const std::string& path, std::string_view content) { writeFileAtomically(path, content); }

}  // namespace hepsweep::report::html
