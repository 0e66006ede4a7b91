// The report's building blocks: gnuplot data files, scripts and runs, PNG checks, HTML escaping
// and page structure, staged report directories.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ReportTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/report/Directory.hpp"
#include "hepsweep/report/Gnuplot.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::report {
namespace {

using namespace testutil;
namespace gp = gnuplot;

// Catches: a data file gnuplot reads wrongly (blocks not separated by two blank lines, so
// `index 1` finds nothing; NaN written as something gnuplot parses as a number; a multi-line
// comment whose second line is not commented out and is read as data).
TEST(GnuplotData, BlocksCommentsAndNaN) {
  TempDir tmp;
  const std::vector<gp::Block> blocks{{"first", {{"x", {1, 2}}, {"y", {0.5, NAN}}}}, {"second", {{"x", {3}}, {"y", {4}}}}};
  gp::writeDataFile((tmp.path() / "d.dat").string(), "line one\nline two", blocks);
  const std::string text = readFile(tmp.path() / "d.dat");
  EXPECT_EQ(text, "# line one\n# line two\n# first\n# x y\n1 0.5\n2 NaN\n\n\n# second\n# x y\n3 4\n");
}

// Catches: columns of different lengths silently truncated (a plot that drops points).
TEST(GnuplotData, UnequalColumnsAreABug) {
  TempDir tmp;
  const std::vector<gp::Column> cols{{"x", {1, 2}}, {"y", {1}}};
  try {
    gp::writeDataFile((tmp.path() / "d.dat").string(), "", cols);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Internal);
    EXPECT_NE(std::string(e.what()).find("'y'"), std::string::npos) << e.what();
  }
}

// Catches: a quote inside a title ending the gnuplot string early (script syntax error), and an
// underscore in a parameter name turned into a subscript.
TEST(GnuplotText, QuoteAndEnhancedLiteral) {
  EXPECT_EQ(gp::quote("it's"), "'it''s'");
  EXPECT_EQ(gp::enhancedLiteral("learning_rate^2 {x}"), "learning\\_rate\\^2 \\{x\\}");
  // gnuplot itself must read the quoted text back unchanged.
  TempDir tmp;
  writeFile(tmp.path() / "q.gp", "set print 'out.txt'\nprint " + gp::quote("a'b\"c\\d") + "\n");
  gp::run((tmp.path() / "q.gp").string(), tmp.path().string());
  EXPECT_EQ(readFile(tmp.path() / "out.txt"), "a'b\"c\\d\n");
}

// Catches: a script that does not produce both pictures, or produces an invalid PNG.
TEST(GnuplotRun, DrawsPngAndSvg) {
  TempDir tmp;
  gp::writeDataFile((tmp.path() / "line.dat").string(), "a line",
                    std::vector<gp::Column>{{"x", {0, 1, 2}}, {"y", {0, 1, 4}}});
  html::writeFileAtomic((tmp.path() / "line.gp").string(),
                        gp::pngAndSvgScript("line", "set xlabel 'x'\nplot 'line.dat' using 1:2 with lines title 'y'",
                                            gp::Size{400, 300}));
  gp::run((tmp.path() / "line.gp").string(), tmp.path().string());
  const gp::PngInfo info = gp::checkPng((tmp.path() / "line.png").string());
  EXPECT_EQ(info.width, 400u);
  EXPECT_EQ(info.height, 300u);
  EXPECT_GT(info.bytes, 1024u);
  EXPECT_NE(readFile(tmp.path() / "line.svg").find("<svg"), std::string::npos);
}

// Catches: a failing script reported without naming it or without gnuplot's own message.
TEST(GnuplotRun, ScriptErrorNamesScriptAndQuotesGnuplot) {
  TempDir tmp;
  writeFile(tmp.path() / "bad.gp", "set terminal dumb\nplot 'no-such-file.dat' using 1:2\n");
  try {
    gp::run((tmp.path() / "bad.gp").string(), tmp.path().string());
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(m.find("bad.gp"), std::string::npos) << m;
    EXPECT_NE(m.find("no-such-file.dat"), std::string::npos) << m;
  }
}

// Catches: gnuplot missing from PATH reported as a cryptic spawn failure (or not at all).
TEST(GnuplotRun, MissingGnuplotSaysHowToInstall) {
  TempDir tmp;
  writeFile(tmp.path() / "x.gp", "print 1\n");
  const fs::path emptyBin = tmp.path() / "bin";
  fs::create_directory(emptyBin);
  try {
    ScopedPath path(emptyBin.string());
    gp::run((tmp.path() / "x.gp").string(), tmp.path().string());
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(m.find("not found on PATH"), std::string::npos) << m;
    EXPECT_NE(m.find("gnuplot-nox"), std::string::npos) << m;
    EXPECT_NE(m.find("x.gp"), std::string::npos) << m;
  }
}

// Catches: a PNG check that accepts any file, a truncated header or an empty image.
TEST(Png, RejectsNonPngTruncatedAndEmpty) {
  TempDir tmp;
  const std::string sig("\x89PNG\r\n\x1a\n", 8);
  auto ihdr = [&](unsigned w, unsigned h) {
    std::string s = sig + std::string("\0\0\0\x0dIHDR", 8);
    for (unsigned v : {w, h})
      for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xff);
    return s + std::string("\x08\x02\0\0\0", 5);
  };
  writeFile(tmp.path() / "text.png", "not a picture at all, just text");
  writeFile(tmp.path() / "short.png", sig + "\0\0");
  writeFile(tmp.path() / "empty.png", ihdr(0, 10));
  writeFile(tmp.path() / "ok.png", ihdr(640, 480));
  for (const char* bad : {"text.png", "short.png", "empty.png", "absent.png"}) {
    EXPECT_THROW(gp::checkPng((tmp.path() / bad).string()), Error) << bad;
  }
  const gp::PngInfo ok = gp::checkPng((tmp.path() / "ok.png").string());
  EXPECT_EQ(ok.width, 640u);
  EXPECT_EQ(ok.height, 480u);
}

// Catches: text that breaks out of an element or attribute, and bytes that make the page
// invalid XML (control characters, broken UTF-8).
TEST(Html, EscapesMarkupAndInvalidBytes) {
  EXPECT_EQ(html::escape("<a href=\"x\">R&D's</a>"), "&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;");
  EXPECT_EQ(html::escape("\xCE\xB5_S"), "\xCE\xB5_S");  // valid UTF-8 kept
  EXPECT_EQ(html::escape(std::string("a\x01" "b\xFF", 4)), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}

// Catches: a page or table helper that emits markup an XML parser rejects (unclosed <meta>,
// <img>, unescaped cells), and numbers not recognised for right alignment.
TEST(Html, PageWithTableAndFigureIsWellFormed) {
  TempDir tmp;
  const std::vector<std::string> header{"name", "value"};
  const std::vector<std::vector<std::string>> rows{{"<x>", "0.5 \xC2\xB1 0.1"}, {"b&c", "1e-3"}, {"short"}};
  const std::string tbl = html::table(header, rows, "a \"caption\"", 1);
  EXPECT_NE(tbl.find("<td class=\"num\">0.5 \xC2\xB1 0.1</td>"), std::string::npos) << tbl;
  EXPECT_NE(tbl.find("<tr class=\"highlight\"><td>b&amp;c</td>"), std::string::npos) << tbl;
  const std::string body = html::section("s&1", "A <section>", tbl + html::figure("a b.png", "alt \"x\"", "cap & more", "a b.svg") +
                                                                html::pre("x < y\n") + html::keyValueTable({{"k<", "v>"}}));
  html::writeFileAtomic((tmp.path() / "p.html").string(), html::page("T & <t>", body));
  EXPECT_EQ(xmlError(tmp.path() / "p.html"), "");
  // The checker itself must reject a broken page, or the report test proves nothing.
  writeFile(tmp.path() / "broken.html", "<html><body><img src=\"x.png\"></body></html>");
  EXPECT_NE(xmlError(tmp.path() / "broken.html"), "");
}

// Catches: a staged directory that replaces an unrelated directory, or leaves its staging
// directory behind when abandoned.
TEST(StagedDirectory, ReplacesOnlyOlderReports) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "report";
  {
    StagedDirectory staged(dir.string());
    writeFile(fs::path(staged.path()) / "a.txt", "first");
    staged.commit();
  }
  EXPECT_EQ(readFile(dir / "a.txt"), "first");
  {
    StagedDirectory staged(dir.string());
    writeFile(fs::path(staged.path()) / "b.txt", "second");
    staged.commit();
  }
  EXPECT_FALSE(fs::exists(dir / "a.txt"));
  EXPECT_EQ(readFile(dir / "b.txt"), "second");
  {
    StagedDirectory abandoned(dir.string());
    writeFile(fs::path(abandoned.path()) / "c.txt", "never");
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1) << "staging left behind";

  const fs::path mine = tmp.path() / "my-analysis";
  fs::create_directory(mine);
  writeFile(mine / "notes.txt", "precious");
  EXPECT_THROW(StagedDirectory{mine.string()}, Error);
  EXPECT_EQ(readFile(mine / "notes.txt"), "precious");
}

}  // namespace
}  // namespace hepsweep::report
