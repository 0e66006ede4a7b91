// `hepsweep aggregate RUN_DIR...`: from a finished campaign to summary.h5, best-model.h5 and the
// report: the ranking of the points, the best point's fold ensemble on the held-out test set.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/aggregate/Aggregate.hpp"
#include "hepsweep/aggregate/Importance.hpp"
#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/inspect/Inspect.hpp"
#include "hepsweep/io/DatasetFile.hpp"
#include "hepsweep/model/Model.hpp"
#include "hepsweep/report/Report.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hepsweep::cli {
namespace {

std::vector<double> parseEfficiencies(const std::string& text) {
  std::vector<double> out;
  for (const auto& part : str::split(text, ',')) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || !(v > 0 && v <= 1))
      throwConfig("--signal-efficiencies: " + str::quoted(part) + " is not a number in (0, 1] (e.g. 0.5,0.8,0.9)");
    out.push_back(v);
  }
  if (out.empty()) throwConfig("--signal-efficiencies: give at least one value, e.g. 0.5,0.8,0.9");
  return out;
}

// A TOML value as JSON: numbers, booleans, strings and lists are already valid JSON text; an
// inline table is not and stays a string.
nlohmann::ordered_json tomlValue(const std::string& text) {
  const auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::ordered_json(text) : j;
}

nlohmann::ordered_json parametersJson(const std::vector<std::pair<std::string, std::string>>& p) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : p) j[k] = tomlValue(v);
  return j;
}

// JSON has no infinity (a rejection at zero background efficiency): null instead.
nlohmann::ordered_json number(double x) { return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(); }

// The inspect report of the campaign's data file, restricted to the features the campaign trained
// on, written into the report as inspect/. A data file that is gone or changed since training is
// said on the page, never a failure: the summary needs only the result files.
report::LinkedPage inspectDataFile(const aggregate::Summary& s, const std::string& reportDir) {
  std::error_code ec;
  if (s.dataFile.empty() || !fs::is_regular_file(s.dataFile, ec))
    return {"", "The campaign's data file " + str::quoted(s.dataFile, 300) +
                    " is gone (moved or deleted since training): no inspect report of the inputs. Run `hepsweep "
                    "inspect DATA.h5 --report DIR` on a copy of it."};
  std::string note;
  if (!s.dataSha256.empty() && sha256File(s.dataFile) != s.dataSha256)
    note = "The data file " + str::quoted(s.dataFile, 300) + " has changed since training (its sha256 is no longer " +
           s.dataSha256 + "): the inspect report describes the file as it is now, not the data the campaign used.";
  // Features the data file no longer has would make readDataset fail: then every column, said so.
  std::vector<std::string> features = s.features;
  const io::DatasetInfo info = io::readDatasetInfo(s.dataFile);
  for (const std::string& name : features)
    if (std::find(info.featureNames.begin(), info.featureNames.end(), name) == info.featureNames.end()) {
      note += std::string(note.empty() ? "" : " ") + "The data file has no feature " + str::quoted(name) +
              " the campaign trained on: the inspect report shows all of its columns.";
      features.clear();
      break;
    }
  const data::Dataset ds = io::readDataset(s.dataFile, features);
  const inspect::Inspection r = inspect::inspect(ds, s.dataFile);
  inspect::writeReport(r, ds, (fs::path(reportDir) / "inspect").string());
  return {"inspect/index.html", note};
}

}  // namespace

int aggregateCommand(const Args& args, dist::Environment&) {
  po::options_description opts(
      "usage: hepsweep aggregate RUN_DIR... [options]\n\n"
      "Collect the results of one or several campaign run directories: rank the points by the\n"
      "campaign's validation objective (mean over folds), evaluate the best point's fold models as\n"
      "an ensemble on the held-out test set, and write summary.h5, best-model.h5 and a report.\n"
      "A single training's output directory (result.h5, no search) counts as a one-point campaign.\n\noptions");
  std::string output, reportDir, modelPath, efficiencies;
  std::vector<std::string> importanceGroups;
  aggregate::ImportanceOptions importance;
  std::uint64_t importanceSeed = 0;
  opts.add_options()("help,h", "print this help and exit")(
      "output,o", po::value(&output)->value_name("FILE"),
      "summary file to write, its directory created if missing (default: FIRST_RUN_DIR/summary.h5)")(
      "report", po::value(&reportDir)->value_name("DIR"), "directory of the HTML report (default: FIRST_RUN_DIR/report)")(
      "no-report", "do not write the report (the text summary is still printed)")(
      "no-inspect",
      "leave the inspect report of the data file (the campaign's features) out of the report: it reads the whole "
      "data file")(
      "best-model", po::value(&modelPath)->value_name("FILE"),
      "file for the best point's fold models, the input of apply and export (default: best-model.h5 next to the summary; "
      "for a single training's output directory, its model.h5)")(
      "signal-efficiencies", po::value(&efficiencies)->value_name("LIST"),
      "comma-separated signal efficiencies of the working points on the test set (default: 0.5,0.8,0.9)")(
      "allow-incomplete",
      "aggregate what finished: failed, unfinished or unreadable items are listed, not an error, and a point "
      "missing folds ranks by the folds it has")(
      "json", "print one JSON object (best_point, best_objective, ensemble_test_auc, summary, best_model, report, "
              "points, ...) instead of the text summary")(
      "importance",
      "permutation feature importance of the best point: on each fold's validation events, the drop of the AUC "
      "when a feature's values are shuffled (one extra scoring pass per feature, repeat and fold; reads the data "
      "file); in summary.h5 (/importance) and the report")(
      "importance-all-points", "with --importance: every point, not only the best (summary.h5 /importance/points)")(
      "importance-seed", po::value(&importanceSeed)->value_name("N"),
      "seed of the shuffles (default: the campaign's seed); recorded in summary.h5")(
      "importance-repeats", po::value(&importance.repeats)->value_name("N")->default_value(1),
      "shuffles per feature and fold, their drops averaged")(
      "importance-group", po::value(&importanceGroups)->value_name("A,B,...")->composing(),
      "features shuffled together (the same permutation), e.g. correlated ones; repeat the option for several groups")(
      "importance-correlation", po::value(&importance.correlationThreshold)->value_name("R")->default_value(0.0),
      "also shuffle together every connected set of features whose |Pearson r| over the data file's events is >= R "
      "(0 < R <= 1; 0: off)")(
      "compare",
      "compare the run directories instead of merging them: each aggregated on its own, their best points side by "
      "side, convergence curves and, for Bayesian runs, the partial dependence per dimension; writes only the report "
      "(default: FIRST_RUN_DIR/compare)");

  po::options_description hidden;
  hidden.add_options()("run-dir", po::value<std::vector<std::string>>()->composing());
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description positional;
  positional.add("run-dir", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  po::notify(vm);
  const auto runDirs = vm.count("run-dir") ? vm["run-dir"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (runDirs.empty()) throwConfig("no run directory given (usage: hepsweep aggregate RUN_DIR... [options])");
  if (vm.count("report") && vm.count("no-report")) throwConfig("--report and --no-report contradict each other; give one");

  aggregate::CollectOptions co;
  co.allowIncomplete = vm.count("allow-incomplete") > 0;
  if (vm.count("signal-efficiencies")) co.signalEfficiencies = parseEfficiencies(efficiencies);
  importance.enabled = vm.count("importance") > 0;
  for (const char* o : {"importance-all-points", "importance-seed", "importance-group"})
    if (vm.count(o) && !importance.enabled) throwConfig(std::string("--") + o + " needs --importance");
  if (!vm["importance-repeats"].defaulted() && !importance.enabled) throwConfig("--importance-repeats needs --importance");
  if (!vm["importance-correlation"].defaulted() && !importance.enabled)
    throwConfig("--importance-correlation needs --importance");
  if (importance.repeats < 1) throwConfig("--importance-repeats must be at least 1");
  importance.allPoints = vm.count("importance-all-points") > 0;
  if (vm.count("importance-seed")) importance.seed = importanceSeed;
  for (const auto& g : importanceGroups) importance.groups.push_back(str::split(g, ','));
  const bool json = vm.count("json") > 0;
  const fs::path first(runDirs.front());
  if (vm.count("compare")) {
    for (const char* o : {"output", "best-model", "no-report", "importance"})
      if (vm.count(o)) throwConfig(std::string("--compare writes only the comparison report: --") + o + " does not apply");
    return compareRuns(runDirs, co, reportDir.empty() ? (first / "compare").string() : reportDir, json);
  }
  if (output.empty()) output = (first / "summary.h5").string();
  const bool withReport = vm.count("no-report") == 0;
  if (withReport && reportDir.empty()) reportDir = (first / "report").string();

  aggregate::Summary s = aggregate::collect(runDirs, co);
  // The importance is the drop of a signal/background validation AUC under fold models scored
  // with one sigmoid output each: not defined here for K softmax outputs.
  if (importance.enabled && !s.multiClass.empty())
    throwConfig("--importance is defined for signal/background campaigns; " + str::quoted(s.dataFile) + " has " +
                std::to_string(s.multiClass.classNames.size()) + " classes (" + str::join(s.multiClass.classNames, ", ") +
                ")");
  if (importance.enabled) aggregate::computeImportance(s, importance);
  // A single training's model file is the model.h5 `train` wrote next to its result: aggregate
  // rewrites that one file (same writer, same content) rather than add a second copy beside it.
  if (modelPath.empty())
    modelPath = s.singleTraining && !vm.count("output") ? (first / "model.h5").string()
                                                        : (fs::path(output).parent_path() / "best-model.h5").string();
  // The outputs never overwrite what was read: the data file, the run directories' files.
  {
    std::vector<std::string> read{s.dataFile};
    for (const auto& dir : runDirs) {
      const rundir::RunDirectory layout(dir);
      read.push_back(layout.campaignFile().string());
      read.push_back(layout.manifestFile().string());
    }
    for (const auto& it : s.items) read.push_back(it.resultFile);
    refuseOutputOverInput(output, read, "-o");
    refuseOutputOverInput(modelPath, read, "--best-model");
    std::error_code ec;
    if (fs::exists(modelPath, ec) && fs::exists(output, ec) && fs::equivalent(modelPath, output, ec))
      throwConfig("--best-model " + str::quoted(modelPath) + " and -o " + str::quoted(output) + " are the same file");
    if (modelPath == output) throwConfig("--best-model and -o name the same file " + str::quoted(output));
  }
  // Like --report, -o and --best-model create the directories they name (mkdir -p).
  for (const auto& [path, what] : {std::pair{output, "the summary file"}, std::pair{modelPath, "the best-model file"}}) {
    const fs::path parent = fs::path(path).parent_path();
    std::error_code ec;
    if (parent.empty() || fs::is_directory(parent, ec)) continue;
    fs::create_directories(parent, ec);
    if (ec)
      throwIo("cannot create the directory '" + parent.string() + "' for " + what + " '" + path + "': " + ec.message());
  }
  aggregate::writeSummaryFile(output, s, invocation());

  // The best point's folds in fold order; a point missing folds (only with --allow-incomplete)
  // is no k-fold ensemble that apply could use fold-aware, so no model file is written for it.
  const aggregate::PointSummary& best = s.points.front();
  std::string writtenModel;
  if (best.complete()) {
    std::vector<std::string> foldFiles;
    for (auto i : s.bestItems) foldFiles.push_back(s.items[static_cast<std::size_t>(i)].resultFile);
    // The fold scores aggregate already has (read or recomputed): the model is built from them.
    model::FoldScores scores;
    scores.testRows = s.testRows;
    scores.testLabels = s.testLabels;
    scores.testWeights = s.testWeights;
    scores.test = s.foldTestScores;
    if (!s.multiClass.empty()) {
      scores.classNames = s.multiClass.classNames;
      scores.testMulti = s.multiClass.foldTestScores;
      scores.test.assign(scores.testMulti.size(), {});
    }
    model::writeModel(modelPath, model::fromResultFiles(foldFiles, &scores));
    writtenModel = modelPath;
  } else {
    std::fprintf(stderr, "hepsweep aggregate: the best point has %d of %d folds: no best-model file written\n",
                 best.foldsDone, best.foldsExpected);
  }

  std::string indexHtml, text;
  if (withReport) {
    report::ReportOptions ro;
    if (!vm.count("no-inspect"))
      ro.inputsPage = [&s](const std::string& stagingDir) { return inspectDataFile(s, stagingDir); };
    const report::ReportResult r = report::writeReport(s, reportDir, ro);
    indexHtml = r.indexHtml;
    text = r.text;
  } else {
    text = report::textSummary(s);
  }

  if (json) {
    nlohmann::ordered_json j;
    j["best_point"] = parametersJson(best.parameters);
    j["best_point_index"] = best.point;
    j["objective"] = s.objective;
    j["best_objective"] = best.objectiveMean;
    j["best_objective_std"] = best.objectiveStd;
    j["ensemble_test_auc"] = s.ensembleTestAuc;
    j["fold_mean_test_auc"] = s.foldMeanTestAuc;
    j["fold_std_test_auc"] = s.foldStdTestAuc;
    j["summary"] = output;
    j["best_model"] = writtenModel.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(writtenModel);
    j["report"] = indexHtml.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(indexHtml);
    nlohmann::ordered_json wps = nlohmann::ordered_json::array();
    for (const auto& w : s.workingPoints)
      wps.push_back({{"signal_efficiency", w.signalEfficiency},
                     {"background_efficiency", w.ensembleBackgroundEfficiency},
                     {"background_rejection", number(w.ensembleBackgroundRejection)},
                     {"threshold", number(w.ensembleThreshold)},
                     {"fold_mean_background_efficiency", w.foldMeanBackgroundEfficiency},
                     {"fold_std_background_efficiency", w.foldStdBackgroundEfficiency}});
    j["working_points"] = wps;
    if (!s.multiClass.empty()) {
      const aggregate::MultiClassSummary& m = s.multiClass;
      j["classes"] = m.classNames;
      j["ensemble_test_auc_per_class"] = m.ensembleAuc;
      j["fold_mean_test_auc_per_class"] = m.foldMeanAuc;
      j["fold_std_test_auc_per_class"] = m.foldStdAuc;
      const std::size_t k = m.classNames.size();
      nlohmann::ordered_json cm = nlohmann::ordered_json::array();
      for (std::size_t t = 0; t < k; ++t)
        cm.push_back(std::vector<double>(m.confusion.begin() + static_cast<std::ptrdiff_t>(t * k),
                                         m.confusion.begin() + static_cast<std::ptrdiff_t>((t + 1) * k)));
      j["confusion"] = cm;
    }
    // The AMS at its maximising cut on the test set, for the ensemble and each fold model.
    nlohmann::ordered_json ams = nlohmann::ordered_json::array();
    for (const auto& c : s.ams)
      ams.push_back({{"model", c.label},
                     {"ams", number(c.maxAms)},
                     {"threshold", number(c.thresholdAtMax)},
                     {"signal", number(c.signalAtMax)},
                     {"background", number(c.backgroundAtMax)},
                     {"s_over_sqrt_b", number(c.sOverSqrtB)},
                     {"signal_efficiency", number(c.signalEfficiency)},
                     {"background_efficiency", number(c.backgroundEfficiency)},
                     {"expected_signal", number(c.totalSignal)},
                     {"expected_background", number(c.totalBackground)}});
    j["ams"] = ams;
    j["ams_regularisation"] = s.amsRegularisation;
    j["ensemble_ams"] = s.ams.empty() ? nlohmann::ordered_json() : number(s.ams.back().maxAms);
    nlohmann::ordered_json points = nlohmann::ordered_json::array();
    for (const auto& p : s.points)
      points.push_back({{"rank", p.rank},
                        {"point", p.point},
                        {"parameters", parametersJson(p.parameters)},
                        {"objective_mean", number(p.objectiveMean)},
                        {"objective_std", number(p.objectiveStd)},
                        {"folds_done", p.foldsDone},
                        {"folds_expected", p.foldsExpected}});
    j["points"] = points;
    j["items"] = s.items.size();
    if (!s.importance.empty()) {  // the best point's; summary.h5 /importance has the folds
      nlohmann::ordered_json imp = nlohmann::ordered_json::array();
      const aggregate::FeatureImportance& fi = s.importance.front();
      for (std::size_t g = 0; g < fi.names.size(); ++g)
        imp.push_back({{"feature", fi.names[g]}, {"mean_drop", number(fi.mean[g])}, {"std_drop", number(fi.std[g])}});
      j["importance"] = imp;
    }
    j["run_dirs"] = runDirs;  // more than one: merged into this one ranking
    j["incomplete"] = s.incomplete;
    std::cout << j.dump() << std::endl;
    return 0;
  }
  if (runDirs.size() > 1)
    std::cout << "merged " << runDirs.size() << " run directories into one ranking (their points pooled); "
              << "`--compare` shows them side by side instead\n";
  std::cout << text;
  if (!text.empty() && text.back() != '\n') std::cout << '\n';
  std::cout << "summary     " << output << "\n";
  if (!writtenModel.empty()) std::cout << "best model  " << writtenModel << "\n";
  if (!indexHtml.empty() && text.find(indexHtml) == std::string::npos) std::cout << "report      " << indexHtml << "\n";
  return 0;
}

}  // namespace hepsweep::cli
