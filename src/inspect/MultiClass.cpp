// `hepsweep inspect` of a multi-class data file: each class against the rest, with inspect()'s
// numbers and report, and a page that puts the classes side by side.
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/inspect/Inspect.hpp"
#include "hepsweep/report/Directory.hpp"
#include "hepsweep/report/Html.hpp"

namespace hepsweep::inspect {

namespace html = report::html;

ClassInspection inspectClasses(const data::Dataset& ds, const std::string& file, const Options& options) {
  if (!ds.multiClass()) throwInput(file + " is a binary (signal/background) data file: inspect it with inspect()");
  ClassInspection r;
  r.file = file;
  r.classNames = ds.classNames;
  const std::size_t k = ds.classNames.size();
  r.classRows.assign(k, 0);
  r.classWeights.assign(k, 0.0);
  for (Eigen::Index i = 0; i < ds.rows(); ++i) {
    const auto c = static_cast<std::size_t>(ds.labels[i]);
    ++r.classRows.at(c);
    r.classWeights.at(c) += ds.weights[i];
  }
  for (std::size_t c = 0; c < k; ++c)
    if (r.classRows[c] == 0 || !(r.classWeights[c] > 0))
      throwInput(file + ": class " + str::quoted(ds.classNames[c]) + " has " + std::to_string(r.classRows[c]) +
                 " events of summed weight " + str::formatDouble(r.classWeights[c], "%.6g") +
                 "; inspect compares each class with the others and needs events of positive weight in every one");
  // One binary copy whose labels are rewritten per class: the features are copied once.
  data::Dataset oneVsRest = ds;
  oneVsRest.classNames.clear();
  for (std::size_t c = 0; c < k; ++c) {
    for (Eigen::Index i = 0; i < ds.rows(); ++i) oneVsRest.labels[i] = ds.labels[i] == static_cast<float>(c) ? 1.0f : 0.0f;
    r.oneVsRest.push_back(inspect(oneVsRest, file + " [" + ds.classNames[c] + " vs the other classes]", options));
  }
  return r;
}

std::string toJson(const ClassInspection& r, int indent, const std::string& report) {
  nlohmann::ordered_json j;
  j["file"] = r.file;
  j["classes"] = nlohmann::ordered_json::array();
  for (std::size_t c = 0; c < r.classNames.size(); ++c)
    j["classes"].push_back({{"name", r.classNames[c]}, {"events", r.classRows[c]}, {"sum_weights", r.classWeights[c]}});
  j["one_vs_rest"] = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < r.classNames.size(); ++c)
    j["one_vs_rest"][r.classNames[c]] = nlohmann::ordered_json::parse(toJson(r.oneVsRest[c]));
  if (!report.empty()) j["report"] = report;
  return j.dump(indent);
}

std::string textSummary(const ClassInspection& r) {
  std::ostringstream os;
  os << r.file << ": " << r.classNames.size() << " classes:";
  for (std::size_t c = 0; c < r.classNames.size(); ++c)
    os << (c ? ", " : " ") << r.classNames[c] << " " << r.classRows[c] << " events";
  os << "\nEach class against the others (\"signal\" = the class, \"background\" = every other class):\n";
  for (std::size_t c = 0; c < r.classNames.size(); ++c) os << "\n== class " << c << ": " << r.classNames[c] << " ==\n"
                                                          << textSummary(r.oneVsRest[c]);
  return os.str();
}

std::string writeReport(const ClassInspection& r, const data::Dataset& ds, const std::string& dirPath) {
  report::StagedDirectory staged(dirPath, ".hepsweep-inspect-report");
  const std::filesystem::path dir(staged.path());
  data::Dataset oneVsRest = ds;
  oneVsRest.classNames.clear();
  std::vector<std::vector<std::string>> classRows;
  std::string links;  // table cells are escaped text: the links go below the table
  for (std::size_t c = 0; c < r.classNames.size(); ++c) {
    for (Eigen::Index i = 0; i < ds.rows(); ++i) oneVsRest.labels[i] = ds.labels[i] == static_cast<float>(c) ? 1.0f : 0.0f;
    const std::string sub = "class_" + std::to_string(c);
    writeReport(r.oneVsRest[c], oneVsRest, (dir / sub).string());
    classRows.push_back({std::to_string(c), r.classNames[c], std::to_string(r.classRows[c]),
                         str::formatDouble(r.classWeights[c], "%.6g"), sub + "/index.html"});
    links += "<li>" + html::link(sub + "/index.html", r.classNames[c] + " against the other classes") + "</li>\n";
  }
  // Each feature's separation and AUC of every class against the rest, in file order.
  std::vector<std::string> header{"feature"};
  for (const std::string& name : r.classNames) {
    header.push_back("S² " + name);
    header.push_back("AUC " + name);
  }
  std::vector<std::vector<std::string>> featureRows;
  for (std::size_t f = 0; f < r.oneVsRest.front().features.size(); ++f) {
    std::vector<std::string> row{r.oneVsRest.front().features[f].name};
    for (const Inspection& in : r.oneVsRest) {
      row.push_back(str::formatDouble(in.features[f].separation, "%.5f"));
      row.push_back(str::formatDouble(in.features[f].auc, "%.4f"));
    }
    featureRows.push_back(row);
  }
  std::ostringstream body;
  body << "<h1>" << html::escape("hepsweep inspect: " + r.file) << "</h1>\n"
       << html::paragraph("A multi-class data file: each class is inspected against all the other classes together "
                          "(\"signal\" = the class, \"background\" = the rest), as a multi-class network's output for "
                          "that class separates it.")
       << html::table(std::vector<std::string>{"class", "name", "events", "summed weight", "report"}, classRows)
       << "<ul>\n" << links << "</ul>\n"
       << html::section("separation", "Separation of each class from the others",
                        html::table(header, featureRows,
                                    "TMVA separation S² and AUC of each feature alone, per class against the rest"))
       << html::paragraph("Every number on this page is in inspect.json (also printed by hepsweep inspect --json).");
  html::writeFileAtomic((dir / "inspect.json").string(), toJson(r, 1) + "\n");
  html::writeFileAtomic((dir / "index.html").string(), html::page("inspect: " + r.file, body.str()));
  staged.commit();
  return (std::filesystem::path(staged.finalPath()) / "index.html").string();
}

}  // namespace hepsweep::inspect
