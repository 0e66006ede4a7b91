// index.html of the campaign report: every section's tables and figures.
#include "ReportBuilder.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Time.hpp"
#include "hepsweep/core/Version.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::report::detail {

std::string Builder::html(const std::string& finalDir) const {
  const Summary& s = s_;
  const PointSummary* best = bestPointOf(s);
  const metrics::ObjectiveDisplay obj = metrics::displayObjective(s.objective);
  std::string body;
  body += s.singleTraining ? "<h1>hepsweep report of a single training</h1>\n" : "<h1>hepsweep campaign report</h1>\n";
  body += "<p class=\"muted\">" + html::escape("Written " + utcTimestamp() + " by " + versionString() + " into " + finalDir) +
          "</p>\n";
  body += "<nav>" + html::link("#result", "Result") + " " + html::link("#points", "Top points") + " " +
          html::link("#test", "Test set") + " " +
          (s.multiClass.empty() ? std::string() : html::link("#multiclass", "Classes") + " ") + html::link("#overtraining", "Overtraining") + " " +
          html::link("#training", "Training") + " " + html::link("#search", "Search") + " " +
          (s.importance.empty() ? std::string() : html::link("#importance", "Feature importance") + " ") +
          (s.parametrised.empty() ? std::string() : html::link("#parametrised", "Per parameter value") + " ") +
          (o_.inputsPage ? html::link("#inputs", "Input data") + " " : std::string()) +
          html::link("#provenance", "What was run") + "</nav>\n";

  // Result.
  {
    std::string b;
    if (!s.incomplete.empty())
      b += "<p class=\"warning\">" +
           html::escape(std::to_string(s.incomplete.size()) +
                        " item(s) were incomplete and left out (--allow-incomplete); see \"What was run\".") +
           "</p>\n";
    std::vector<std::pair<std::string, std::string>> kv;
    // A single training is the one-point, one-fold case of a campaign: its "ensemble" is the model.
    if (s.singleTraining && !s.items.empty())
      kv.emplace_back("model", "one training (no search, one fold): result " + s.items.front().resultFile +
                                   "; the model file `train` wrote for apply and export is model.h5 beside it");
    if (best) {
      kv.emplace_back("best point", "point " + std::to_string(best->point) + ": " + parameterText(best->parameters));
      kv.emplace_back(obj.quantity + " (objective " + s.objective + ")",
                      pm(obj.shown(best->objectiveMean), best->objectiveStd) + " over " +
                          std::to_string(best->foldsDone) + " fold(s) (mean \xC2\xB1 standard deviation; " +
                          (obj.higherIsBetter ? "higher" : "lower") + " is better)");
      if (s.points.size() > 1) {
        const PointSummary& second = best == &s.points[0] ? s.points[1] : s.points[0];
        const double margin = second.objectiveMean - best->objectiveMean;
        // Standard error of the difference of two fold means; folds share events, so it is a
        // rough guide, which the wording says.
        const double se = std::sqrt(best->objectiveStd * best->objectiveStd / std::max(best->foldsDone, 1) +
                                    second.objectiveStd * second.objectiveStd / std::max(second.foldsDone, 1));
        kv.emplace_back("margin over the runner-up",
                        fmt(margin, 3) + " (runner-up point " + std::to_string(second.point) + ": " +
                            pm(obj.shown(second.objectiveMean), second.objectiveStd) + ")" +
                            (se > 0 ? "; about " + fmt(margin / se, 2) + " standard errors of the difference of the fold means" : ""));
      }
    } else {
      kv.emplace_back("best point", "none (no complete point)");
    }
    if (!s.multiClass.empty()) {
      kv.emplace_back("classes", str::join(s.multiClass.classNames, ", "));
      kv.emplace_back("ensemble test AUC (mean of one-vs-rest)", fmt(s.ensembleTestAuc, 5));
      kv.emplace_back("fold models' test AUC (mean of one-vs-rest)",
                      pm(s.foldMeanTestAuc, s.foldStdTestAuc, 5) + " (mean \xC2\xB1 std)");
    }
    if (!s.roc.empty()) {
      kv.emplace_back("ensemble test AUC", fmt(s.ensembleTestAuc, 5));
      if (s.ensembleTestAucWeighted != 0 && std::fabs(s.ensembleTestAucWeighted - s.ensembleTestAuc) > 1e-12)
        kv.emplace_back("ensemble test AUC, event weights", fmt(s.ensembleTestAucWeighted, 5));
      kv.emplace_back("fold models' test AUC", pm(s.foldMeanTestAuc, s.foldStdTestAuc, 5) + " (mean \xC2\xB1 std)");
    }
    if (!s.ams.empty()) {
      const aggregate::AmsCurve& e = s.ams.back();
      kv.emplace_back("ensemble test AMS (maximum)",
                      fmt(e.maxAms, 4) + " at score \xE2\x89\xA5 " + fmt(e.thresholdAtMax, 4) + ": s = " +
                          fmt(e.signalAtMax, 4) + ", b = " + fmt(e.backgroundAtMax, 5) + ", signal efficiency " +
                          fmt(e.signalEfficiency, 3));
    }
    kv.emplace_back("points / items", std::to_string(s.points.size()) + " points, " + std::to_string(s.items.size()) + " items");
    b += html::keyValueTable(kv);
    for (const std::string& n : notes_) b += html::paragraph(n);
    body += html::section("result", "Result", b);
  }

  // Top points: the searched parameters and the validation objective first, then the other
  // validation metrics; nothing measured on the test set (ranking never looks at it).
  {
    std::vector<std::string> keys;
    for (const PointSummary& p : s.points)
      for (const auto& kv : p.parameters)
        if (std::find(keys.begin(), keys.end(), kv.first) == keys.end()) keys.push_back(kv.first);
    std::vector<std::pair<std::string, std::string>> metricNames;  // stored name, header
    for (const auto& [name, header] : {std::pair<std::string, std::string>{"val_loss", "validation loss"},
                                       {"val_auc", "validation AUC"}})
      if (name != s.objective && !s.points.empty())
        for (const auto& mv : s.points.front().metricMean)
          if (mv.first == name) metricNames.emplace_back(name, header);
    std::vector<std::string> header{"rank", "point"};
    header.insert(header.end(), keys.begin(), keys.end());
    header.push_back(obj.quantity + " (mean \xC2\xB1 std)");
    header.push_back("folds");
    for (const auto& m : metricNames) header.push_back(m.second + " (mean \xC2\xB1 std)");
    int highlight = -1;
    const std::size_t n = std::min(s.points.size(), static_cast<std::size_t>(std::max(o_.topPoints, 1)));
    // Each parameter column with the digits that keep its values apart (at least 4 significant).
    std::vector<std::vector<std::string>> shown(keys.size());
    for (std::size_t k = 0; k < keys.size(); ++k) {
      std::vector<std::string> raw;
      for (std::size_t i = 0; i < n; ++i) {
        std::string v;
        for (const auto& [pk, pv] : s.points[i].parameters)
          if (pk == keys[k]) v = pv;
        raw.push_back(v);
      }
      shown[k] = displayColumn(raw);
    }
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < n; ++i) {
      const PointSummary& p = s.points[i];
      if (p.point == s.bestPoint) highlight = static_cast<int>(i);
      std::vector<std::string> r{std::to_string(p.rank), std::to_string(p.point)};
      for (std::size_t k = 0; k < keys.size(); ++k) r.push_back(shown[k][i]);
      r.push_back(pm(obj.shown(p.objectiveMean), p.objectiveStd));
      r.push_back(p.foldsExpected > 0 && p.foldsDone != p.foldsExpected
                      ? std::to_string(p.foldsDone) + " of " + std::to_string(p.foldsExpected) +
                            (p.foldsRacedOut > 0 ? " (raced out)" : " (incomplete)")
                      : std::to_string(p.foldsDone));
      for (const auto& m : metricNames) {
        std::string cell;
        for (std::size_t j = 0; j < p.metricMean.size(); ++j)
          if (p.metricMean[j].first == m.first)
            cell = j < p.metricStd.size() ? pm(p.metricMean[j].second, p.metricStd[j].second) : fmt(p.metricMean[j].second);
        r.push_back(cell);
      }
      rows.push_back(std::move(r));
    }
    std::string caption = "Points ranked by the mean validation objective over folds";
    if (s.points.size() > n) caption += "; top " + std::to_string(n) + " of " + std::to_string(s.points.size());
    caption += ". The best point is highlighted. Validation figures only, mean \xC2\xB1 standard deviation over folds: "
               "the test set is evaluated for the best point alone (below), never used to rank.";
    body += html::section("points", "Top points",
                          rows.empty() ? html::paragraph("No complete point.")
                                       : "<div class=\"wide\">" + html::table(header, rows, caption, highlight) + "</div>\n");
  }

  // Test set.
  {
    std::string b;
    const auto workingPointTable = [&](const std::vector<aggregate::WorkingPoint>& points, const std::string& caption,
                                       bool weighted) {
      if (points.empty()) return;
      const std::string of = weighted ? ", event weights" : "";
      const std::vector<std::string> header{"signal efficiency \xCE\xB5_S" + of, "\xCE\xB5_B (ensemble" + of + ")",
                                            "\xCE\xB5_B (fold models, mean \xC2\xB1 std)",
                                            "rejection 1/\xCE\xB5_B (ensemble)",
                                            "rejection (fold models, mean \xC2\xB1 std)", "score threshold (ensemble)"};
      std::vector<std::vector<std::string>> rows;
      const double nBackground = testBackgroundEvents(s);
      for (const auto& wp : points) {
        const bool none = !(wp.ensembleBackgroundEfficiency > 0);
        const bool foldRejection = wp.foldMeanBackgroundRejection != 0 || wp.foldStdBackgroundRejection != 0;
        // A weighted efficiency of 0 has no 1/N bound in events: say 0 and no finite rejection.
        rows.push_back({fmt(wp.signalEfficiency, 3),
                        none ? (weighted ? std::string("0") : efficiencyLimit(nBackground)) : fmt(wp.ensembleBackgroundEfficiency, 4),
                        pm(wp.foldMeanBackgroundEfficiency, wp.foldStdBackgroundEfficiency, 4),
                        none ? (weighted ? std::string("n/a (no weighted background passes)") : rejectionLimit(nBackground))
                             : fmt(1.0 / wp.ensembleBackgroundEfficiency, 4),
                        foldRejection ? pm(wp.foldMeanBackgroundRejection, wp.foldStdBackgroundRejection, 4) : std::string("n/a"),
                        fmt(wp.ensembleThreshold, 5)});
      }
      b += html::table(header, rows, caption);
    };
    workingPointTable(s.workingPoints,
                      std::string("Working points on the held-out test set: background efficiency at fixed signal "
                                  "efficiency, for the ensemble of the best point's fold models and across its fold "
                                  "models.") +
                          (s.workingPointsWeighted.empty() ? "" : " Efficiencies count events (unweighted)."),
                      false);
    workingPointTable(s.workingPointsWeighted,
                      "The same working points with the test events' weights: efficiencies are fractions of each "
                      "class's summed weight (the expected yields' efficiencies a physics selection quotes).",
                      true);
    b += figures("test");
    if (!s.roc.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : s.roc) rows.push_back({c.label, fmt(c.auc, 5)});
      for (const auto& c : s.rocWeighted) rows.push_back({c.label, fmt(c.auc, 5)});
      for (const auto& c : s.baseline.roc) rows.push_back({c.label + " (ensemble of its best point)", fmt(c.auc, 5)});
      b += html::table(std::vector<std::string>{"model", "test AUC"}, rows, "ROC AUC on the held-out test set.");
    }
    b += baselineTable(s);
    if (!s.ams.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : s.ams)
        rows.push_back({c.label, fmt(c.maxAms, 4), fmt(c.thresholdAtMax, 4), fmt(c.signalAtMax, 4),
                        fmt(c.backgroundAtMax, 5), fmt(c.sOverSqrtB, 4), fmt(c.signalEfficiency, 3),
                        fmt(c.backgroundEfficiency, 3)});
      b += html::table(std::vector<std::string>{"model", "max AMS", "score threshold", "s", "b", "s/\xE2\x88\x9A" "b",
                                                "signal efficiency", "background efficiency"},
                       rows,
                       "The cut score \xE2\x89\xA5 threshold maximising the AMS on the held-out test set, with the "
                       "expected yields passing it. " + yieldDescription(s) +
                           " Totals before any cut: s = " + fmt(s.ams.back().totalSignal, 5) +
                           ", b = " + fmt(s.ams.back().totalBackground, 6) + ".");
    }
    if (b.empty()) b = html::paragraph("The summary holds no test-set evaluation.");
    body += html::section("test", "Test-set performance of the best point", b);
  }

  // Overtraining.
  {
    std::string b = figures("overtraining");
    if (!s.overtraining.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : s.overtraining)
        rows.push_back({c.label, c.cls == 1 ? "signal" : "background", std::to_string(c.trainScores.size()),
                        std::to_string(c.testScores.size()), fmt(c.ksStatistic, 4), fmt(c.ksPValue, 4)});
      b += html::table(std::vector<std::string>{"model", "class", "train events", "test events", "KS D", "KS p-value"},
                       rows,
                       "Weighted two-sample Kolmogorov\xE2\x80\x93Smirnov test of train vs test score distributions, "
                       "per class (as in TMVA).");
    } else {
      b += html::paragraph("The summary holds no train/test score samples.");
    }
    body += html::section("overtraining", "Overtraining check", b);
  }

  // Training.
  {
    std::string b = figures("training");
    if (b.empty()) b = html::paragraph("No per-epoch history in the best point's result files.");
    const auto items = bestItemsOf(s);
    if (!items.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const ItemSummary* it : items)
        rows.push_back({std::to_string(it->fold), std::to_string(it->item), it->runDir, fmt(obj.shown(it->objective)),
                        std::to_string(it->epochsRun), std::to_string(it->bestEpoch), duration(it->seconds)});
      b += html::table(std::vector<std::string>{"fold", "item", "run directory", obj.quantity, "epochs run", "best epoch", "time"},
                       rows, "The best point's fold models.");
    }
    body += html::section("training", "Training of the best point", b);
  }

  // Search.
  {
    std::string b = figures("search") + rungTable_;
    if (b.empty()) b = html::paragraph("No items.");
    body += html::section("search", "Search", b);
  }

  body += multiClassSection();
  body += importanceSection();
  body += parametrisedSection();

  // Input data.
  if (o_.inputsPage) {
    std::string b;
    if (!inputs_.href.empty())
      b += "<p>" + html::link(inputs_.href, "Inspect report of the data file") +
           html::escape(" (" + s.dataFile + (s.features.empty() ? std::string() : ", the " + std::to_string(s.features.size()) +
                                                     " features the campaign trained on") +
                        "): per-feature signal and background distributions, separation ranking, correlation "
                        "matrices and warnings (constant, duplicated or label-leaking columns).") +
           "</p>\n";
    if (!inputs_.note.empty()) b += html::paragraph(inputs_.note);
    body += html::section("inputs", "Input data", b);
  }

  // What was run.
  {
    std::string b;
    std::vector<std::pair<std::string, std::string>> kv;
    kv.emplace_back("run directories", str::join(s.runDirs, ", "));
    kv.emplace_back("data file", s.dataFile);
    kv.emplace_back("data file sha256", s.dataSha256);
    if (s.folds > 0) kv.emplace_back("cross-validation folds", std::to_string(s.folds));
    kv.emplace_back("seed", std::to_string(s.seed));
    kv.emplace_back("hepsweep version (training)", s.version);
    kv.emplace_back("objective", s.objective + " (" + obj.quantity + "; stored so that lower is better" +
                                     (obj.sign < 0 ? ": " + (obj.offset != 0 ? "1 - value" : std::string("-value")) : std::string()) + ")");
    kv.emplace_back("training time (sum over items)", duration(s.wallSeconds));
    kv.emplace_back("items", std::to_string(s.items.size()) + " finished, " + std::to_string(s.incomplete.size()) + " incomplete");
    if (!s.created.empty()) kv.emplace_back("aggregated", s.created);
    b += html::keyValueTable(kv);
    if (!s.inputs.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& in : s.inputs) rows.push_back({in.path, std::to_string(in.rows), in.sha256});
      b += html::table(std::vector<std::string>{"input file", "rows", "sha256"}, rows, "Original inputs of the data file.");
    }
    if (!s.splitCounts.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : s.splitCounts)
        rows.push_back({c.split, std::to_string(c.signal), std::to_string(c.background), fmt(c.signalWeight, 6),
                        fmt(c.backgroundWeight, 6)});
      rows.push_back({"data file (all)", std::to_string(s.nSignal), std::to_string(s.nBackground), "", ""});
      b += html::table(std::vector<std::string>{"split", "signal events", "background events", "signal weight", "background weight"},
                       rows,
                       "Events per class and split (of the best point's first fold; train and validation weights "
                       "after class balancing, test weights as in the data).");
    } else if (s.multiClass.empty()) {  // multi-class: the counts per class are in "Classes"
      const std::vector<std::vector<std::string>> rows{
          {"signal", std::to_string(s.nSignal)}, {"background", std::to_string(s.nBackground)},
          {"training split", std::to_string(s.nTrain)}, {"validation split", std::to_string(s.nVal)},
          {"test split", std::to_string(s.nTest)}};
      b += html::table(std::vector<std::string>{"events", "count"}, rows, "Events per class and per split.");
    }
    if (!s.incomplete.empty()) {
      b += "<p class=\"warning\">" + html::escape("Incomplete items (left out of every number above):") + "</p>\n<ul>\n";
      for (const auto& why : s.incomplete) b += "<li>" + html::escape(why) + "</li>\n";
      b += "</ul>\n";
    }
    b += "<h3>Campaign</h3>\n" + html::pre(s.campaignToml.empty() ? std::string("(not recorded)") : s.campaignToml);
    b += html::paragraph(
        "Every plot is drawn by gnuplot from the data files next to it in this directory (NAME.dat, with a header "
        "comment) by the script NAME.gp: re-draw or restyle one with `gnuplot NAME.gp`, all with `gnuplot plots.gp`.");
    body += html::section("provenance", "What was run", b);
  }
  return html::page("hepsweep report: " + (s.runDirs.empty() ? std::string("campaign") : str::join(s.runDirs, ", ")), body);
}


}  // namespace hepsweep::report::detail
