#pragma once
// The campaign report: a static HTML page (DIR/index.html) with plots drawn by gnuplot from data
// files written next to them, and a plain-text summary for the terminal. Everything a physicist
// asks after a hyperparameter campaign: which point won and by how much, how it performs on the
// held-out test set (ROC, working points, overtraining check), and what exactly was run.
#include <string>

#include "hepsweep/aggregate/Summary.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/report/Gnuplot.hpp"

namespace hepsweep::report {

struct ReportOptions {
  gnuplot::RunOptions gnuplot;  // which gnuplot to run
  int topPoints = 10;           // rows of the "top points" table
  Logger logger;                // gets gnuplot's warnings (a plot it drew despite them)
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
