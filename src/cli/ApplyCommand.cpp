// `hepsweep apply`: the options_description below is the single declaration of the options;
// --help prints it and docs/apply.md documents every name in it (a test checks that).
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <system_error>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/model/Apply.hpp"
#include "hepsweep/model/BaselineApply.hpp"

namespace hepsweep::cli {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "Usage: hepsweep apply best-model.h5 INPUT... -o scored.h5 [options]\n"
    "\n"
    "Score events with the model written by `hepsweep aggregate` (best-model.h5): each fold's stored\n"
    "preprocessing and network, averaged over the folds (the ensemble). INPUT is an HDF5 file from\n"
    "`hepsweep convert`, any text/CSV/.gz ntuple that convert reads, or a flat ROOT tree as\n"
    "file.root:tree (file.root alone when it holds one tree); features are matched by name.\n"
    "Row order (and the id column) is kept. Large inputs are streamed. A multi-class model writes\n"
    "the probability of each class (/score of shape (events, K), /class_names). See docs/apply.md.\n";

po::options_description makeOptions() {
  po::options_description d("Options", 100, 50);
  // clang-format off
  d.add_options()
    ("help,h", "print this help and exit")
    ("output,o", po::value<std::string>()->value_name("FILE"), "output file: HDF5 (default) or CSV with --csv (written to a temporary name, then renamed)")
    ("per-fold", po::bool_switch(), "also write each fold model's score (HDF5: /fold_scores (rows, k); CSV: score_fold_K columns)")
    ("out-of-fold", po::bool_switch(),
        "score each event of the training data only with the fold model that never trained on it (held-out test "
        "events: the ensemble); needs the fold key (event ids, or the training data file itself)")
    ("csv", po::bool_switch(), "write CSV text instead of HDF5")
    ("baseline", po::value<std::int64_t>()->value_name("POINT"),
     "score with the campaign's BDT baseline instead of a network: MODEL is then the run directory and POINT a point "
     "of its [baseline] grid; one input (HDF5, text/CSV or ROOT, as for networks; --sep and --id apply); writes /scores "
     "(mean of the fold models) and /fold_scores, as HDF5 (docs/baseline.md)")
    ("at-signal-efficiency", po::value<std::vector<double>>()->composing()->value_name("X"),
        "add a pass/fail column pass_at_X: score >= the threshold giving signal efficiency X on the model's "
        "held-out test set (repeatable)")
    ("id", po::value<std::string>()->value_name("COLUMN"), "text and ROOT inputs: column (branch) of integer event ids, kept in the output (HDF5 inputs use their /ids)")
    ("keep", po::value<std::vector<std::string>>()->composing()->value_name("COL,..."),
        "copy these input columns to the output beside the score, e.g. --keep label,weight,mass (text and ROOT "
        "inputs: any column; HDF5 inputs: a feature, label or weight; HDF5 output: /kept/COL as float32; CSV: "
        "columns COL, text fields as they are; repeatable)")
    ("parameter", po::value<std::vector<std::string>>()->composing()->value_name("NAME=VALUE"),
        "parametrised networks: set the model's input NAME to VALUE for every event, e.g. --parameter mass=500 "
        "(text and ROOT inputs need not have the column; an HDF5 input's column is overwritten; repeatable; "
        "docs/parametrised.md)")
    ("sep", po::value<std::string>()->default_value("auto")->value_name("SEP"), "text inputs: field separator, as for convert --sep")
    ("chunk-rows", po::value<std::int64_t>()->default_value(16384)->value_name("N"),
        "events read and scored per block (a multiple of 1024; it changes memory use, never the scores)")
    ("threads", po::value<int>()->default_value(1)->value_name("N"),
        "HDF5 inputs: threads that decompress and score each block and compress the output's chunks (the output's "
        "values are identical for any N); text and ROOT inputs use one")
    ("checksum", po::value<std::string>()->default_value("xxh128")->value_name("KIND"),
        "checksum of each input recorded in the output (/provenance/input_KIND): xxh128 (XXH3-128, as `xxhsum -H2`; faster than "
        "the file is read) or sha256 (as `sha256sum`; about 2 GB/s)")
    ("quiet,q", po::bool_switch(), "print nothing on success")
    ("json", po::bool_switch(), "print the summary as one JSON object")
    ("verbose,v", po::bool_switch(), "log each input to stderr");
  // clang-format on
  return d;
}

nlohmann::json toJson(const model::ApplySummary& s) {
  nlohmann::json j;
  j["output"] = s.output;
  j["rows"] = s.rows;
  j["folds"] = s.folds;
  j["model_sha256"] = s.modelSha256;
  j["seconds"] = s.seconds;
  j["input_checksum"] = toString(s.checksum);
  j["inputs"] = nlohmann::json::array();
  for (const auto& in : s.inputs)
    j["inputs"].push_back({{"path", in.path}, {toString(s.checksum), in.checksum}, {"rows", in.rows}, {"format", in.format},
                           {"has_ids", in.hasIds}});
  j["working_points"] = nlohmann::json::array();
  for (std::size_t w = 0; w < s.signalEfficiencies.size(); ++w)
    j["working_points"].push_back({{"signal_efficiency", s.signalEfficiencies[w]}, {"threshold", s.thresholds[w]},
                                   {"passing", s.passing[w]}});
  if (!s.outOfFoldCounts.empty()) j["out_of_fold_counts"] = s.outOfFoldCounts;
  return j;
}

// --baseline POINT: RUN_DIR INPUT -o OUT.h5 with the BDT baseline (the network's options other
// than -o, --quiet and --verbose do not apply to it and are refused by their absence of effect).
int applyBaselineCommand(const po::variables_map& vm, const std::vector<std::string>& pos, const Args& args) {
  if (pos.size() != 2)
    throwConfig("apply --baseline: give the campaign's run directory and one input (see hepsweep apply --help)");
  if (!vm.count("output")) throwConfig("apply: -o OUTPUT is required (see hepsweep apply --help)");
  for (const char* other : {"per-fold", "out-of-fold", "csv"})
    if (vm[other].as<bool>())
      throwConfig(std::string("apply --baseline: --") + other + " applies to networks only (the baseline always "
                  "writes /fold_scores, as HDF5)");
  if (vm.count("parameter"))
    throwConfig("apply --baseline: --parameter applies to networks only (the baseline scores the file's columns)");
  // Options the baseline has no use for are refused rather than ignored: a user who asked for
  // kept columns, a working-point column or a JSON summary would otherwise get none of them.
  for (const char* other : {"keep", "at-signal-efficiency"})
    if (vm.count(other))
      throwConfig(std::string("apply --baseline: --") + other + " applies to networks only (the baseline writes "
                  "/scores and /fold_scores; docs/baseline.md)");
  if (vm["json"].as<bool>()) throwConfig("apply --baseline: --json applies to networks only");
  if (!vm["checksum"].defaulted())
    throwConfig("apply --baseline: --checksum applies to networks only (the baseline records the input's sha256)");
  model::BaselineApplyOptions o;
  o.runDir = pos[0];
  o.input = pos[1];
  o.output = vm["output"].as<std::string>();
  o.point = vm["baseline"].as<std::int64_t>();
  o.separator = vm["sep"].as<std::string>();
  if (vm.count("id")) o.idColumn = vm["id"].as<std::string>();
  refuseOutputOverInput(o.output, std::vector<std::string>{o.input}, "-o");
  o.commandLine = invocation().empty() ? str::shellJoin(args) : invocation();
  const Logger log = vm["verbose"].as<bool>() ? Logger::toStderr(LogLevel::Debug) : Logger::toStderr(LogLevel::Warning);
  const model::BaselineApplySummary s = model::applyBaseline(o, log);
  if (!vm["quiet"].as<bool>())
    std::cout << "Scored " << s.rows << " events with the BDT baseline (point " << o.point << ", " << s.folds
              << " fold models) into '" << s.output << "' in " << str::formatDouble(s.seconds, "%.2f") << " s\n";
  return 0;
}

}  // namespace

int applyCommand(const Args& args, dist::Environment&) {
  const po::options_description opts = makeOptions();
  po::options_description hidden;
  hidden.add_options()("positional", po::value<std::vector<std::string>>()->composing());
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description positional;
  positional.add("positional", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throwConfig(std::string("apply: ") + e.what() + " (see hepsweep apply --help)");
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << opts << "\n";
    return 0;
  }
  const auto pos = vm.count("positional") ? vm["positional"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (pos.size() < 2) throwConfig("apply: give the model file and at least one input (see hepsweep apply --help)");

  if (vm.count("baseline")) return applyBaselineCommand(vm, pos, args);

  model::ApplyOptions o;
  o.modelPath = pos[0];
  o.inputs.assign(pos.begin() + 1, pos.end());
  if (!vm.count("output")) throwConfig("apply: -o OUTPUT is required (see hepsweep apply --help)");
  o.output = vm["output"].as<std::string>();
  {
    std::vector<std::string> read = o.inputs;
    read.push_back(o.modelPath);
    refuseOutputOverInput(o.output, read, "-o");
  }
  o.perFold = vm["per-fold"].as<bool>();
  o.outOfFold = vm["out-of-fold"].as<bool>();
  o.csv = vm["csv"].as<bool>();
  if (vm.count("at-signal-efficiency")) o.signalEfficiencies = vm["at-signal-efficiency"].as<std::vector<double>>();
  if (vm.count("id")) o.idColumn = vm["id"].as<std::string>();
  if (vm.count("keep"))
    for (const std::string& list : vm["keep"].as<std::vector<std::string>>())
      for (const std::string& name : str::split(list, ',')) o.keep.push_back(name);
  if (vm.count("parameter"))
    for (const std::string& spec : vm["parameter"].as<std::vector<std::string>>()) {
      const auto eq = spec.find('=');
      const std::string name = eq == std::string::npos ? std::string() : spec.substr(0, eq);
      const std::string text = eq == std::string::npos ? std::string() : spec.substr(eq + 1);
      float value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (name.empty() || text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
        throwConfig("apply --parameter " + str::quoted(spec) + ": expected NAME=VALUE with a finite number, e.g. "
                    "--parameter mass=500");
      o.setFeatures.emplace_back(name, value);
    }
  o.separator = vm["sep"].as<std::string>();
  o.chunkRows = vm["chunk-rows"].as<std::int64_t>();
  o.threads = vm["threads"].as<int>();
  o.checksum = parseChecksumKind(vm["checksum"].as<std::string>(), "apply --checksum");
  o.commandLine = invocation().empty() ? str::shellJoin(args) : invocation();

  const Logger log = vm["verbose"].as<bool>() ? Logger::toStderr(LogLevel::Debug) : Logger::toStderr(LogLevel::Warning);
  const model::ApplySummary s = model::applyModel(o, log);
  if (vm["quiet"].as<bool>()) return 0;
  if (vm["json"].as<bool>()) std::cout << toJson(s).dump() << "\n";
  else std::cout << model::summaryText(s) << "\n";
  return 0;
}

}  // namespace hepsweep::cli
