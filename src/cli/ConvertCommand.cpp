// `hepsweep convert`: the options_description below is the single declaration of the options;
// --help prints it and docs/convert.md documents every name in it (a test checks that).
#include <boost/program_options.hpp>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/io/Convert.hpp"

namespace hepsweep::cli {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "Usage: hepsweep convert --signal FILE... --background FILE... -o OUT.h5 [options]\n"
    "       hepsweep convert FILE... --label COLUMN [--signal-value V] -o OUT.h5 [options]\n"
    "       hepsweep convert --signal sig.root:TREE --background bkg.root:TREE -o OUT.h5 [options]\n"
    "       hepsweep convert --class NAME=FILE[,FILE...] --class ... (three or more) -o OUT.h5 [options]\n"
    "       hepsweep convert FILE... --label COLUMN --multi-class [--class-names A,B,C] -o OUT.h5 [options]\n"
    "\n"
    "Convert text ntuples (CSV, tab-, space- or \", \"-separated; plain or .gz) or flat ROOT TTrees\n"
    "(FILE.root:TREE, or FILE.root alone when it holds one tree; no ROOT installation needed) into one HDF5\n"
    "dataset file (features, labels, weights, feature_names, provenance; see docs/hdf5-layout.md).\n"
    "The class of each row comes from the file it is in (--signal/--background) or from a label\n"
    "column (--label); with --class, a multi-class file holds one named class per --class, and with\n"
    "--multi-class the --label column holds each row's class index (or name, --class-names).\n"
    "Inputs are streamed; on any error no output file is left behind.\n";

// "--features a,b --features c" -> {a, b, c}; names are trimmed, empty entries rejected.
std::vector<std::string> splitList(const std::vector<std::string>& values, const char* option) {
  std::vector<std::string> out;
  for (const auto& v : values)
    for (auto& name : str::split(v, ',')) {
      if (name.empty()) throwConfig(std::string(option) + " " + str::quoted(v) + " contains an empty name");
      out.push_back(std::move(name));
    }
  return out;
}

po::options_description makeOptions() {
  po::options_description d("Options", 100, 50);
  // clang-format off
  d.add_options()
    ("help,h", "print this help and exit")
    ("signal", po::value<std::vector<std::string>>()->multitoken()->composing()->value_name("FILE..."),
        "input file(s) whose rows are all signal")
    ("background", po::value<std::vector<std::string>>()->multitoken()->composing()->value_name("FILE..."),
        "input file(s) whose rows are all background")
    ("class", po::value<std::vector<std::string>>()->composing()->value_name("NAME=FILE[,FILE...]"),
        "one class of a multi-class file and its input files; repeat for each class (three or more; "
        "labels are the class indices 0, 1, ... in the order given, names in /class_names)")
    ("input", po::value<std::vector<std::string>>()->composing()->value_name("FILE..."),
        "input file(s) labelled by --label (also accepted positionally)")
    ("output,o", po::value<std::string>()->value_name("OUT.h5"), "output HDF5 file (written to a temporary name, then renamed)")
    ("label", po::value<std::string>()->value_name("COLUMN"), "column holding the class of each row (not a feature)")
    ("signal-value", po::value<std::string>()->default_value("1")->value_name("V"),
        "label value meaning signal (text equal after trimming, or numerically equal); anything else is background")
    ("multi-class", po::bool_switch(),
        "the --label column holds each row's class index 0, 1, ..., K-1 (integers, three or more classes, none "
        "without rows): a multi-class file whose class names are the indices (\"0\", \"1\", ...) unless "
        "--class-names gives them")
    ("class-names", po::value<std::vector<std::string>>()->composing()->value_name("A,B,C,..."),
        "names of the classes of a multi-class --label column, in index order (implies --multi-class); the "
        "column may hold the indices 0..K-1 or these names")
    ("weight", po::value<std::string>()->value_name("COLUMN"), "column of per-event weights (negative weights are kept; not a feature)")
    ("id", po::value<std::string>()->value_name("COLUMN"), "column of integer event numbers, stored exactly as int64 in /ids (not a feature)")
    ("features", po::value<std::vector<std::string>>()->composing()->value_name("A,B,..."),
        "comma-separated feature columns to keep, in this order (default: all other columns)")
    ("drop", po::value<std::vector<std::string>>()->composing()->value_name("A,B,..."), "comma-separated columns that are not features")
    ("missing", po::value<std::string>()->value_name("VALUE"), "value marking a missing measurement, e.g. -999 (kept as is, recorded)")
    ("missing-features", po::value<std::vector<std::string>>()->composing()->value_name("A,B,..."),
        "comma-separated features that use the --missing marker (default: all)")
    ("sep", po::value<std::string>()->default_value("auto")->value_name("SEP"),
        "field separator: auto, comma, tab, space, whitespace or a literal string (auto: tab if the header "
        "has one, else comma, else whitespace)")
    ("common-columns", po::bool_switch(), "keep only the columns present in every input file")
    ("allow-nonfinite", po::bool_switch(), "accept nan/inf feature values instead of stopping with an error")
    ("compression-level", po::value<int>()->default_value(1)->value_name("N"),
        "deflate level of the output's features, labels, weights and ids: 1 (fastest) to 9 (smallest: 1-3 % "
        "smaller than 1 on physics ntuples, for up to 6x the compression time), 0 for none (the file is then "
        "about as large as the float32 values); h5py reads every level")
    ("threads", po::value<std::string>()->default_value("auto")->value_name("N"),
        "threads that compress the output while one reads the input (the file does not depend on it); "
        "auto: the CPUs this process may run on, at most 4")
    ("quiet,q", po::bool_switch(), "print nothing on success but warnings (on stderr)")
    ("json", po::bool_switch(), "print the summary as one JSON object")
    ("verbose,v", po::bool_switch(), "log each input file to stderr");
  // clang-format on
  return d;
}

nlohmann::json toJson(const io::ConvertSummary& s) {
  nlohmann::json j;
  j["output"] = s.output;
  j["rows"] = s.rows;
  j["n_signal"] = s.nSignal;
  j["n_background"] = s.nBackground;
  if (!s.classNames.empty()) {
    j["classes"] = nlohmann::json::array();
    for (std::size_t k = 0; k < s.classNames.size(); ++k)
      j["classes"].push_back({{"name", s.classNames[k]}, {"rows", s.classRows[k]}, {"sum_weights", s.classWeights[k]}});
  }
  j["n_features"] = s.featureNames.size();
  j["features"] = s.featureNames;
  j["sum_weights_signal"] = s.sumWeightsSignal;
  j["sum_weights_background"] = s.sumWeightsBackground;
  j["seconds"] = s.seconds;
  j["threads"] = s.threads;
  j["inputs"] = nlohmann::json::array();
  for (const auto& in : s.inputs) {
    j["inputs"].push_back({{"path", in.path},
                           {"absolute_path", in.absolutePath},
                           {"sha256", in.sha256},
                           {"class", static_cast<int>(in.inputClass)},
                           {"rows", in.rows},
                           {"n_signal", in.nSignal},
                           {"n_background", in.nBackground},
                           {"separator", in.separator},
                           {"format", in.format},
                           {"tree", in.tree},
                           {"decompress_seconds", in.decompressSeconds},
                           {"gzip", in.gzipped}});
  }
  if (!s.labelCounts.empty()) {
    j["label_values"] = nlohmann::json::array();
    for (const auto& lc : s.labelCounts)
      j["label_values"].push_back({{"value", lc.value}, {"signal", lc.signal}, {"rows", lc.count}});
    j["other_label_value_rows"] = s.otherLabelValues;
  }
  j["warnings"] = s.warnings;
  return j;
}

}  // namespace

int convertCommand(const Args& args, dist::Environment&) {
  const po::options_description opts = makeOptions();
  po::positional_options_description positional;
  positional.add("input", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throwConfig(std::string("convert: ") + e.what() + " (see hepsweep convert --help)");
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << opts << "\n";
    return 0;
  }

  io::ConvertOptions o;
  const auto list = [&](const char* name) {
    return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
  };
  const auto text = [&](const char* name) { return vm.count(name) ? vm[name].as<std::string>() : std::string(); };
  o.signalFiles = list("signal");
  o.backgroundFiles = list("background");
  o.labelledFiles = list("input");
  for (const std::string& c : list("class")) {
    const auto eq = c.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == c.size())
      throwConfig("--class " + str::quoted(c) + " is not NAME=FILE[,FILE...]");
    o.classes.push_back({std::string(str::trim(c.substr(0, eq))), splitList({c.substr(eq + 1)}, "--class")});
  }
  o.output = text("output");
  if (o.output.empty()) throwConfig("convert: -o OUT.h5 is required (see hepsweep convert --help)");
  std::vector<std::string> inputs = o.signalFiles;
  inputs.insert(inputs.end(), o.backgroundFiles.begin(), o.backgroundFiles.end());
  inputs.insert(inputs.end(), o.labelledFiles.begin(), o.labelledFiles.end());
  for (const io::ClassFiles& c : o.classes) inputs.insert(inputs.end(), c.files.begin(), c.files.end());
  refuseOutputOverInput(o.output, inputs, "-o");
  // The same events as both classes would teach the network nothing and look like a perfect
  // separation failure: certainly a slip of the command line.
  for (const auto& sig : o.signalFiles)
    for (const auto& bkg : o.backgroundFiles) {
      std::error_code ec;
      if (sig == bkg || std::filesystem::equivalent(sig, bkg, ec))
        throwConfig("convert: " + str::quoted(sig) + " is given as --signal and as --background (" + str::quoted(bkg) +
                    "): each file's rows belong to one class");
    }
  o.labelColumn = text("label");
  o.signalValue = text("signal-value");
  o.multiClassLabels = vm["multi-class"].as<bool>();
  o.classNames = splitList(list("class-names"), "--class-names");
  if ((o.multiClassLabels || !o.classNames.empty()) && !vm["signal-value"].defaulted())
    throwConfig("--signal-value names the signal of a binary label column; with --multi-class/--class-names every "
                "value of the --label column is a class");
  o.weightColumn = text("weight");
  o.idColumn = text("id");
  o.features = splitList(list("features"), "--features");
  o.drop = splitList(list("drop"), "--drop");
  o.missingFeatures = splitList(list("missing-features"), "--missing-features");
  if (vm.count("missing")) {
    const std::string m = text("missing");
    try {
      o.missingValue = io::parseFloat(str::trim(m), false, {"--missing", 0, {}, 0});
    } catch (const Error&) {
      throwConfig("--missing " + str::quoted(m) + " is not a finite number");
    }
  }
  o.separator = io::Separator::parse(text("sep"));
  o.commonColumns = vm["common-columns"].as<bool>();
  o.allowNonFinite = vm["allow-nonfinite"].as<bool>();
  o.compressionLevel = vm["compression-level"].as<int>();
  if (o.compressionLevel < 0 || o.compressionLevel > 9)
    throwConfig("--compression-level " + std::to_string(o.compressionLevel) + " is not in 0-9 (0: no compression)");
  if (const std::string t = text("threads"); t != "auto") {
    int n = 0;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), n);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size() || n < 1 || n > io::kMaxConvertThreads)
      throwConfig("--threads " + str::quoted(t) + " is not auto or a number of threads from 1 to " +
                  std::to_string(io::kMaxConvertThreads));
    o.threads = n;
  }
  o.commandLine = invocation().empty() ? str::shellJoin(args) : invocation();

  const Logger log = vm["verbose"].as<bool>() ? Logger::toStderr(LogLevel::Debug) : Logger();
  const io::ConvertSummary s = io::convert(o, log);
  if (vm["quiet"].as<bool>()) {
    // Quiet on success, but not about a data set that is wrong (a leaked label, an unfollowed friend tree).
    for (const std::string& w : s.warnings) std::cerr << "warning: convert: " << w << "\n";
    return 0;
  }
  if (vm["json"].as<bool>()) std::cout << toJson(s).dump() << "\n";
  else std::cout << io::summaryText(s) << "\n";
  return 0;
}

}  // namespace hepsweep::cli
