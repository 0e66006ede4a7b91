// `hepsweep export`: the options_description below is the single declaration of the options;
// --help prints it and docs/export.md documents every name in it (a test checks that).
#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/core/AtomicOutput.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Sha256.hpp"
#include "hepsweep/model/Export.hpp"
#include "hepsweep/model/Model.hpp"

namespace hepsweep::cli {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "Usage: hepsweep export best-model.h5 --format onnx|lwtnn -o FILE [--fold K | --ensemble]\n"
    "\n"
    "Write the model of `hepsweep aggregate` for experiment software: ONNX (opset 13, for ONNX Runtime\n"
    "in CMSSW/Athena; input 'features' float[N, F], output 'score' float[N]) or lwtnn JSON. The\n"
    "preprocessing is part of the exported model; a few test vectors (inputs and hepsweep's scores)\n"
    "are embedded to check the loaded model. See docs/export.md.\n";

po::options_description makeOptions() {
  po::options_description d("Options", 100, 50);
  // clang-format off
  d.add_options()
    ("help,h", "print this help and exit")
    ("format", po::value<std::string>()->value_name("onnx|lwtnn"), "output format: onnx or lwtnn (lwtnn's JSON network format)")
    ("output,o", po::value<std::string>()->value_name("FILE"), "output file (written to a temporary name, then renamed)")
    ("fold", po::value<int>()->value_name("K"), "export fold K's model alone (0-based)")
    ("ensemble", po::bool_switch(), "export the ensemble: the mean of all fold models (the default)")
    ("test-vectors", po::value<int>()->default_value(5)->value_name("N"), "number of embedded test vectors")
    ("quiet,q", po::bool_switch(), "print nothing on success")
    ("json", po::bool_switch(), "print the summary as one JSON object");
  // clang-format on
  return d;
}

}  // namespace

int exportCommand(const Args& args, dist::Environment&) {
  const po::options_description opts = makeOptions();
  std::string modelPath;
  po::options_description hidden;
  hidden.add_options()("positional", po::value(&modelPath));
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description positional;
  positional.add("positional", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << kUsage << "\n" << opts << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throwConfig(std::string("export: ") + e.what() + " (see hepsweep export --help)");
  }
  if (modelPath.empty()) throwConfig("export: give the model file (best-model.h5 from `hepsweep aggregate`)");
  if (!vm.count("format")) throwConfig("export: --format onnx or --format lwtnn is required");
  if (!vm.count("output")) throwConfig("export: -o FILE is required");
  if (vm.count("fold") && vm["ensemble"].as<bool>()) throwConfig("export: give either --fold K or --ensemble, not both");
  const int nVectors = vm["test-vectors"].as<int>();
  if (nVectors < 1 || nVectors > 1000) throwConfig("export: --test-vectors must lie in [1, 1000]");

  const model::Model m = model::readModel(modelPath);
  model::ExportOptions o;
  o.format = model::parseExportFormat(vm["format"].as<std::string>());
  o.fold = vm.count("fold") ? vm["fold"].as<int>() : -1;
  o.modelPath = modelPath;
  o.modelSha256 = sha256File(modelPath);
  o.testVectors = nVectors;
  const std::string output = vm["output"].as<std::string>();
  refuseOutputOverInput(output, std::vector<std::string>{modelPath}, "-o");
  const model::ExportSummary s = model::exportModel(m, o, output);
  if (vm["quiet"].as<bool>()) return 0;
  const std::string what = s.fold >= 0    ? "fold " + std::to_string(s.fold)
                           : s.folds == 1 ? std::string("model (one fold)")
                                          : "ensemble of " + std::to_string(s.folds) + " folds";
  const std::string format = s.format == model::ExportFormat::Onnx ? "onnx" : "lwtnn";
  if (vm["json"].as<bool>()) {
    nlohmann::json j;
    j["output"] = s.output;
    j["format"] = format;
    j["model"] = what;
    j["bytes"] = s.bytes;
    j["features"] = m.featureNames;
    j["test_outputs"] = std::vector<float>(s.tests.scores.data(), s.tests.scores.data() + s.tests.scores.size());
    if (!m.classNames.empty()) j["class_names"] = m.classNames;  // test_outputs: K per vector, row by row
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "Exported the " << what << " of '" << modelPath << "' as " << format << " to '" << s.output << "' ("
              << s.bytes << " bytes, " << s.tests.inputs.rows() << " test vectors, " << m.featureNames.size()
              << " input features).\n";
  }
  return 0;
}

}  // namespace hepsweep::cli
