// End to end: `hepsweep convert` a tiny CSV, then `hepsweep inspect` it (--json and --report).
// Checks that the command reads the converted file's weights and missing-value marker (the
// per-class numbers are hand-computed below), flags the leaked label column, and that the report
// holds real PNG plots and an HTML page naming every feature.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../e2e/CliRun.hpp"

namespace fs = std::filesystem;
using namespace hepsweep::test;

namespace {

// Signal rows (label s): a = 1, 3, -999 (missing), weight 1, 1, 2; background (label b): a = 2, 4,
// 6, weight 1 each. `leak` repeats the label as a number; `b` is an ordinary feature.
const char* kCsv =
    "id,a,b,leak,w,Label\n"
    "1,1,0.5,1,1,s\n"
    "2,3,0.1,1,1,s\n"
    "3,-999,0.9,1,2,s\n"
    "4,2,0.4,0,1,b\n"
    "5,4,0.8,0,1,b\n"
    "6,6,0.2,0,1,b\n";

bool isPng(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char sig[8] = {};
  in.read(sig, 8);
  return in.gcount() == 8 && std::string(sig, 8) == std::string("\x89PNG\r\n\x1a\n", 8);
}

fs::path convertTiny(const fs::path& dir) {
  std::ofstream(dir / "tiny.csv") << kCsv;
  const auto c = run(kCli + " convert " + (dir / "tiny.csv").string() + " --label Label --signal-value s --weight w" +
                     " --id id --missing -999 -o " + (dir / "tiny.h5").string());
  EXPECT_EQ(c.status, 0) << c.out;
  return dir / "tiny.h5";
}

}  // namespace

TEST(InspectCli, JsonNumbersAndLeakedLabel) {
  const fs::path dir = workDir("inspect_json");
  const fs::path h5 = convertTiny(dir);
  const auto r = run(kCli + " inspect " + h5.string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n_signal"], 3);
  EXPECT_EQ(j["n_background"], 3);
  EXPECT_EQ(j["weighted"], true);
  EXPECT_DOUBLE_EQ(j["sum_weights_signal"].get<double>(), 4.0);
  const auto& a = j["features"][0];
  ASSERT_EQ(a["name"], "a");
  // Signal a: present 1 and 3 (weights 1, 1) -> mean 2, std 1; the missing event weighs 2 of 4.
  EXPECT_DOUBLE_EQ(a["signal"]["mean"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(a["signal"]["std"].get<double>(), 1.0);
  EXPECT_EQ(a["signal"]["missing"], 1);
  EXPECT_DOUBLE_EQ(a["signal"]["missing_fraction"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(a["background"]["mean"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(a["background"]["max"].get<double>(), 6.0);
  bool leak = false;
  for (const auto& w : j["warnings"])
    if (w["kind"] == "label_copy" && w["features"][0] == "leak") leak = true;
  EXPECT_TRUE(leak) << r.out;
  EXPECT_DOUBLE_EQ(j["features"][2]["auc"].get<double>(), 1.0);

  const auto text = run(kCli + " inspect " + h5.string());
  ASSERT_EQ(text.status, 0) << text.out;
  EXPECT_NE(text.out.find("[label_copy]"), std::string::npos) << text.out;
}

TEST(InspectCli, ReportHasPlotsAndPage) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "needs gnuplot on PATH";
  const fs::path dir = workDir("inspect_report");
  const fs::path h5 = convertTiny(dir);
  const auto r = run(kCli + " inspect " + h5.string() + " --report " + (dir / "report").string());
  ASSERT_EQ(r.status, 0) << r.out;
  for (const char* png : {"distributions.png", "correlation_signal.png", "correlation_background.png",
                          "correlation_difference.png"})
    EXPECT_TRUE(isPng(dir / "report" / png)) << png;
  const std::string html = readText(dir / "report" / "index.html");
  for (const char* name : {"leak", "label_copy", "distributions.png"}) EXPECT_NE(html.find(name), std::string::npos) << name;
  const auto j = nlohmann::json::parse(readText(dir / "report" / "inspect.json"));
  EXPECT_EQ(j["features"].size(), 3u);
  // A second run replaces the report (it is an older inspect report, not a foreign directory).
  EXPECT_EQ(run(kCli + " inspect " + h5.string() + " --report " + (dir / "report").string()).status, 0);
  // An unrelated non-empty directory is never overwritten.
  fs::create_directories(dir / "mine");
  std::ofstream(dir / "mine" / "notes.txt") << "keep";
  EXPECT_NE(run(kCli + " inspect " + h5.string() + " --report " + (dir / "mine").string()).status, 0);
  EXPECT_TRUE(fs::exists(dir / "mine" / "notes.txt"));
}

// A file converted with --allow-nonfinite: inspect (text, JSON and report) finishes instead of
// hanging on NaN (this test has a ctest TIMEOUT), and counts the NaN/inf values per class.
TEST(InspectCli, NonFiniteValuesFromConvert) {
  const fs::path dir = workDir("inspect_nonfinite");
  std::ofstream(dir / "nf.csv") << "a,b,Label\n"
                                   "1,nan,s\n"
                                   "2,0.5,s\n"
                                   "3,inf,s\n"
                                   "4,0.1,b\n"
                                   "5,nan,b\n"
                                   "6,-inf,b\n"
                                   "7,0.3,b\n";
  const auto c = run(kCli + " convert " + (dir / "nf.csv").string() + " --label Label --signal-value s" +
                     " --allow-nonfinite -o " + (dir / "nf.h5").string());
  ASSERT_EQ(c.status, 0) << c.out;
  const auto r = run(kCli + " inspect " + (dir / "nf.h5").string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  const auto& b = j["features"][1];
  ASSERT_EQ(b["name"], "b");
  EXPECT_EQ(b["signal"]["nonfinite"], 2);
  EXPECT_EQ(b["background"]["nonfinite"], 2);
  EXPECT_EQ(b["signal"]["present"], 1);
  EXPECT_NE(r.out.find("\"nonfinite\""), std::string::npos);
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    const auto rep = run(kCli + " inspect " + (dir / "nf.h5").string() + " --report " + (dir / "report").string());
    ASSERT_EQ(rep.status, 0) << rep.out;
    EXPECT_TRUE(isPng(dir / "report" / "distributions.png"));
    EXPECT_NE(readText(dir / "report" / "index.html").find("NaN/inf"), std::string::npos);
  }
}

TEST(InspectCli, MissingFileIsAnError) {
  const auto r = run(kCli + " inspect /nonexistent/data.h5");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("/nonexistent/data.h5"), std::string::npos) << r.out;
}

// A multi-class file (convert --multi-class) through the command: the text names every class,
// --json has the classes and one one-vs-rest inspection per class (x separates class 1 alone),
// and --report writes a page per class and the side-by-side page linking them.
TEST(InspectCli, MultiClassFileClassByClass) {
  const fs::path dir = workDir("inspect_multiclass");
  std::ofstream csv(dir / "mc.csv");
  csv << "x,y,proc\n";
  for (int i = 0; i < 60; ++i) csv << (i % 3 == 1 ? 10 + i % 7 : i % 5) << "," << (i * 7) % 11 << "," << i % 3 << "\n";
  csv.close();
  const auto c = run(kCli + " convert " + (dir / "mc.csv").string() + " --label proc --class-names pi,rho,bkg -o " +
                     (dir / "mc.h5").string());
  ASSERT_EQ(c.status, 0) << c.out;
  const auto t = run(kCli + " inspect " + (dir / "mc.h5").string());
  ASSERT_EQ(t.status, 0) << t.out;
  for (const char* s : {"3 classes", "== class 0: pi ==", "== class 2: bkg =="}) EXPECT_NE(t.out.find(s), std::string::npos) << s;
  const auto r = run(kCli + " inspect " + (dir / "mc.h5").string() + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["classes"][1]["name"], "rho");
  EXPECT_EQ(j["classes"][1]["events"], 20);
  EXPECT_EQ(j["one_vs_rest"]["rho"]["n_signal"], 20);
  EXPECT_DOUBLE_EQ(j["one_vs_rest"]["rho"]["features"][0]["auc"].get<double>(), 1.0);
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "the report needs gnuplot on PATH";
  const auto rep = run(kCli + " inspect " + (dir / "mc.h5").string() + " --report " + (dir / "report").string());
  ASSERT_EQ(rep.status, 0) << rep.out;
  const std::string html = readText(dir / "report" / "index.html");
  for (const char* s : {"class_0/index.html", "class_2/index.html", "AUC rho"}) EXPECT_NE(html.find(s), std::string::npos) << s;
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(isPng(dir / "report" / ("class_" + std::to_string(k)) / "distributions.png")) << k;
  EXPECT_EQ(nlohmann::json::parse(readText(dir / "report" / "inspect.json"))["classes"].size(), 3u);
}
