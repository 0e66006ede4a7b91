#pragma once
// Drawing plots with the gnuplot program (Debian package gnuplot-nox): write the numbers to
// plain-text data files a physicist can re-plot, write a script that reads them, run gnuplot on
// the script, and check that the picture it produced is a real PNG. Plots are data files plus
// scripts on purpose: the report directory can be re-drawn or restyled by hand with `gnuplot x.gp`.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hepsweep::report::gnuplot {

// One column of a data file. Non-finite values are written as NaN, which gnuplot skips.
struct Column {
  std::string name;
  std::vector<double> values;
};

// A block of columns of equal length; gnuplot addresses the blocks of a file with `index N`.
struct Block {
  std::string title;  // written as a comment line above the block
  std::vector<Column> columns;
};

// `v` as gnuplot should read it in data files and scripts alike: the shortest decimal that reads
// back as exactly `v` (at most max_digits10 = 17 significant digits), "NaN" when not finite. A
// script's `set xrange [a:b]` written with fewer digits than the data can put a data point just
// outside the range, and gnuplot leaves it out of the autoscaled y range: use this everywhere.
std::string number(double v);

// Writes a whitespace-separated data file: `comment` (may span lines) as '#' lines, then for each
// block a "# title" line, a "# name1 name2 ..." header and the rows; blocks are separated by two
// blank lines. Values are printed by number(), exactly. Written to a temporary name and
// renamed. Throws Error(Internal) when the columns of a block differ in length, Error(Io) when the
// file cannot be written.
void writeDataFile(const std::string& path, std::string_view comment, std::span<const Block> blocks);
void writeDataFile(const std::string& path, std::string_view comment, std::span<const Column> columns);

// `s` as a gnuplot string literal in single quotes (inside which backslashes are literal).
std::string quote(std::string_view s);
// `s` with the characters that enhanced-text mode interprets (_ ^ @ & ~ { } \) escaped, so a
// parameter name such as "learning_rate" is printed as written. Combine with quote().
std::string enhancedLiteral(std::string_view s);

// Picture sizes in pixels for PNG (SVG uses the same numbers as its canvas size).
struct Size {
  int width = 900, height = 650;
};

// A script that draws `body` (gnuplot commands ending in one or more plot commands; the terminal
// and output are set here) twice: to `stem`.png with the pngcairo terminal, then to `stem`.svg.
// Both use a readable sans-serif font of `fontPoints` points, enhanced text and a white background.
std::string pngAndSvgScript(const std::string& stem, const std::string& body, Size size = {},
                            int fontPoints = 13);

struct RunOptions {
  std::string executable = "gnuplot";  // looked up in PATH unless it contains '/'
};

// Runs `gnuplot SCRIPT` with `workDir` as its working directory (relative paths in the script are
// relative to it), stdin from /dev/null. Returns what gnuplot printed on stderr (warnings) when it
// succeeds. Throws Error(Io) naming the script and quoting gnuplot's messages when gnuplot exits
// with an error or is killed, and Error(Io) saying how to install it when it is not on PATH.
std::string run(const std::string& scriptPath, const std::string& workDir, const RunOptions& options = {});

// Width and height from a PNG file's IHDR chunk.
struct PngInfo {
  std::uint32_t width = 0, height = 0;
  std::uintmax_t bytes = 0;
};
// Checks that `path` is a PNG: the 8-byte signature, then an IHDR chunk of length 13 with non-zero
// width and height. Throws Error(Io) naming the file and what is wrong.
PngInfo checkPng(const std::string& path);

}  // namespace hepsweep::report::gnuplot
