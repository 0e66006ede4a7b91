#pragma once
// The campaign report: a static HTML page (DIR/index.html) with plots drawn by gnuplot from data
// files written next to them, and a plain-text summary for the terminal. Everything a physicist
// asks after a hyperparameter campaign: which point won and by how much, how it performs on the
// held-out test set (ROC, working points, overtraining check), and what exactly was run.
#include <functional>
#include <string>

#include "hepsweep/aggregate/Summary.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/report/Gnuplot.hpp"

namespace hepsweep::report {

// A page written next to the report and linked from it (the inspect report of the campaign's
// data): `href` relative to the report directory, or empty with `note` saying why there is none.
struct LinkedPage {
  std::string href, note;
};

struct ReportOptions {
  gnuplot::RunOptions gnuplot;  // which gnuplot to run
  int topPoints = 10;           // rows of the "top points" table
  Logger logger;                // gets gnuplot's warnings (a plot it drew despite them)
  // When set, called with the staging directory before index.html is written, to add the inspect
  // report of the input data (kept out of this module: inspect depends on report, not the reverse).
  // An Error it throws is not fatal: its message becomes the page's note.
  std::function<LinkedPage(const std::string& stagingDir)> inputsPage;
};

struct ReportResult {
  std::string indexHtml;  // path of DIR/index.html
  std::string text;       // plain-text summary, for stdout
};

// Writes the report into `dir` (built in a temporary sibling directory and renamed; an older
// report in `dir` is replaced, an unrelated non-empty directory is an error). Files in `dir`:
// index.html; for each plot NAME.png, NAME.svg, NAME.gp (the gnuplot script) and NAME*.dat (its
// data, with a header comment). Throws Error(Io) when gnuplot is missing or fails, naming the
// script and quoting gnuplot's message.
ReportResult writeReport(const aggregate::Summary& s, const std::string& dir, const ReportOptions& options);
ReportResult writeReport(const aggregate::Summary& s, const std::string& dir);

// The plain-text summary alone (also returned by writeReport): best point, its objective with
// the spread over folds, test AUC, working points, overtraining p-values, incomplete items.
std::string textSummary(const aggregate::Summary& s);

}  // namespace hepsweep::report
