// `hepsweep inspect DATA.h5`: look at the input features before training on them.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/inspect/Inspect.hpp"
#include "hepsweep/io/DatasetFile.hpp"

namespace po = boost::program_options;

namespace hepsweep::cli {

int inspectCommand(const Args& args, dist::Environment&) {
  po::options_description opts(
      "usage: hepsweep inspect DATA.h5 [options]\n\n"
      "Per feature and class: weighted mean, std, min, max and fraction of missing values; the\n"
      "separation <S^2> (as TMVA) and the single-feature AUC, ranked, with features compatible with\n"
      "no separation flagged; weighted correlation matrices per class and the pairs whose correlation\n"
      "differs most; warnings for constant, duplicated and label-leaking columns. DATA.h5 is the\n"
      "output of `hepsweep convert`. A multi-class file (convert --class) is inspected class by class,\n"
      "each class against all the others (the report: one page per class and a page side by side).\n\noptions");
  std::string reportDir;
  inspect::Options o;
  opts.add_options()("help,h", "print this help and exit")(
      "report", po::value<std::string>(&reportDir),
      "write a static HTML report to this directory (index.html, distributions and correlation heat maps drawn "
      "by gnuplot, inspect.json)")("json", "print every number as one JSON object instead of the text summary")(
      "bins", po::value<int>(&o.bins)->default_value(o.bins), "histogram bins of the separation <S^2>")(
      "top-pairs", po::value<int>(&o.topPairs)->default_value(o.topPairs),
      "how many feature pairs with the largest signal/background correlation difference to list")(
      "max-features", po::value<int>(&o.maxFeatures)->default_value(o.maxFeatures),
      "beyond this many features, the correlations and the plots cover those with the largest separation");
  std::string file;
  po::variables_map vm;
  if (!parseArgs(args, opts, file, vm)) return 0;
  if (file.empty()) throwConfig("no data file given (usage: hepsweep inspect DATA.h5)");
  if (o.bins < 2 || o.bins > 10000) throwConfig("--bins must be between 2 and 10000, got " + std::to_string(o.bins));
  if (o.maxFeatures < 2) throwConfig("--max-features must be >= 2, got " + std::to_string(o.maxFeatures));
  if (o.topPairs < 0) throwConfig("--top-pairs must be >= 0, got " + std::to_string(o.topPairs));

  const data::Dataset ds = io::readDataset(file);
  // A multi-class file is inspected class against class; the printing is the same for both kinds.
  const auto emit = [&](const auto& r) {
    std::string index;
    if (!reportDir.empty()) index = inspect::writeReport(r, ds, reportDir);
    if (vm.count("json")) {
      std::cout << inspect::toJson(r, -1, index) << std::endl;
      return 0;
    }
    std::cout << inspect::textSummary(r);
    if (!index.empty()) std::cout << "\nreport: " << index << "\n";
    return 0;
  };
  if (ds.multiClass()) return emit(inspect::inspectClasses(ds, file, o));
  return emit(inspect::inspect(ds, file, o));
}

}  // namespace hepsweep::cli
