#pragma once
// Building static HTML report pages that open from disk without internet access: no scripts, no
// external style sheets or fonts, and XHTML-style markup (every element closed, attributes quoted,
// text escaped) so that the pages parse as XML and any tool can read them.
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hepsweep::report::html {

// Escapes & < > " ' as character references; safe in text and in quoted attribute values.
// Invalid UTF-8 bytes and control characters other than tab and newline become U+FFFD, since XML
// forbids them.
std::string escape(std::string_view text);

// A complete page: doctype, <html xmlns=...>, <head> with charset, title and the inline style
// sheet, then `bodyHtml` (already HTML) inside <body>.
std::string page(std::string_view title, std::string_view bodyHtml);

// <section id="id"><h2>heading</h2>bodyHtml</section>; `id` is escaped, `heading` is text.
std::string section(std::string_view id, std::string_view heading, std::string_view bodyHtml);

// <p>text</p>, <pre>text</pre>, <code>text</code> with the text escaped.
std::string paragraph(std::string_view text);
std::string pre(std::string_view text);
std::string code(std::string_view text);

// A table of text cells (escaped). Cells that read as numbers are right-aligned. `caption` may
// be empty. Rows shorter than the header are padded with empty cells. `highlightRow` (0-based
// data row, or -1) is shown in bold, e.g. the best point.
std::string table(std::span<const std::string> header, const std::vector<std::vector<std::string>>& rows,
                  std::string_view caption = {}, int highlightRow = -1);

// A two-column key/value table (<table class="kv">), keys as row headers.
std::string keyValueTable(const std::vector<std::pair<std::string, std::string>>& rows);

// <figure> with <img src="pngPath" alt="alt"/> and a <figcaption> holding `caption` (text) and,
// when `alternatePath` is not empty, a link to it (e.g. the SVG version of the same plot).
std::string figure(std::string_view pngPath, std::string_view alt, std::string_view caption,
                   std::string_view alternatePath = {}, std::string_view alternateLabel = "SVG");

// <a href="href">text</a>.
std::string link(std::string_view href, std::string_view text);

// Writes `content` to `path` through a temporary file in the same directory and a rename, so a
// reader never sees a half-written file. Throws Error(Io) naming the file.
void writeFileAtomic(const std::string& path, std::string_view content);

}  // namespace hepsweep::report::html
