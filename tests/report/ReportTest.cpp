// The campaign report drawn from a hand-built aggregate::Summary: every picture the page shows
// exists and is a real PNG, the page parses as XML (Python's xml.dom.minidom, via std::system),
// user text is escaped, edge cases draw, and a missing gnuplot is a clear error.
// Long on purpose (~690 lines): one hand-built Summary feeds every section of the page, so the
// sections' tests share it here rather than rebuilding it in several files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "ReportTestUtil.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Random.hpp"
#include "hepsweep/metrics/Objective.hpp"
#include "hepsweep/report/Gnuplot.hpp"
#include "hepsweep/report/Report.hpp"

namespace hepsweep::report {
namespace {

using namespace testutil;
using aggregate::Summary;

// The numbers of a gnuplot data file, one vector per data line ('#' comments and blank lines
// between blocks skipped).
std::vector<std::vector<double>> dataRows(const fs::path& file) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(readFile(file));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::vector<double> row;
    for (double v; fields >> v;) row.push_back(v);
    rows.push_back(row);
  }
  return rows;
}

float sigmoid(double x) { return static_cast<float>(1.0 / (1.0 + std::exp(-x))); }

// Scores of one fold model: a per-event logit shared by all folds (event key `key`, class mean
// `mean`) plus fold-specific noise (fold key `foldKey`), so the fold models are correlated like
// real ones and their ensemble is only somewhat better.
std::vector<float> scores(std::uint64_t key, std::uint64_t foldKey, int n, double mean) {
  std::vector<float> out;
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::uint64_t>(i);
    out.push_back(sigmoid(mean + rng::normal(key, u) + 0.35 * rng::normal(foldKey, u)));
  }
  return out;
}

// ROC from scores: efficiencies for every threshold, from the tightest cut to the loosest.
aggregate::RocCurve rocOf(const std::string& label, std::vector<float> sig, std::vector<float> bkg) {
  aggregate::RocCurve c;
  c.label = label;
  std::vector<float> cuts = sig;
  cuts.insert(cuts.end(), bkg.begin(), bkg.end());
  std::sort(cuts.rbegin(), cuts.rend());
  std::sort(sig.begin(), sig.end());
  std::sort(bkg.begin(), bkg.end());
  for (float t : cuts) {
    const auto passS = static_cast<double>(sig.end() - std::lower_bound(sig.begin(), sig.end(), t));
    const auto passB = static_cast<double>(bkg.end() - std::lower_bound(bkg.begin(), bkg.end(), t));
    c.signalEfficiency.push_back(passS / static_cast<double>(sig.size()));
    c.backgroundEfficiency.push_back(passB / static_cast<double>(bkg.size()));
  }
  double auc = 0;
  for (std::size_t i = 1; i < c.signalEfficiency.size(); ++i)
    auc += (c.backgroundEfficiency[i] - c.backgroundEfficiency[i - 1]) * (c.signalEfficiency[i] + c.signalEfficiency[i - 1]) / 2;
  c.auc = auc;
  return c;
}

struct Shape {
  std::vector<std::vector<std::pair<std::string, std::string>>> pointParams;  // one per point
  int folds = 3;
};

// A Summary shaped like the aggregator's: `pointParams.size()` points x `folds` folds, with
// loss histories, ROC curves of each fold and the ensemble, overtraining samples and working points.
Summary makeSummary(const Shape& shape) {
  Summary s;
  s.runDirs = {"runs/hnl-study"};
  s.objective = "val_loss";
  s.campaignToml = "[data]\nfile = \"data/hnl.h5\"\n[search]\nkind = \"grid\"\n";
  s.seed = 42;
  s.version = "0.1.0+test";
  s.dataFile = "data/hnl.h5";
  s.dataSha256 = std::string(64, 'a');
  s.inputs = {{"ship_hnl/kinematic_variables_HNLtoPimu.dat.gz", std::string(64, 'b'), 4257},
              {"ship_hnl/kinematic_variables_Back.dat.gz", std::string(64, 'c'), 3639}};
  s.nSignal = 4257;
  s.nBackground = 3639;
  s.nTrain = 5052;
  s.nVal = 1263;
  s.nTest = 1581;
  s.folds = shape.folds;
  s.splitCounts = {{"train", 3403, 2905, 3154.0, 3154.0}, {"val", 851, 727, 789.0, 789.0}, {"test", 3, 7, 3.0, 7.0}};
  const std::uint64_t key = rng::streamKey(7, rng::Stream::Misc);
  std::uint64_t counter = 0;
  const int nPoints = static_cast<int>(shape.pointParams.size());
  for (int p = 0; p < nPoints; ++p) {
    aggregate::PointSummary ps;
    ps.point = p;
    ps.parameters = shape.pointParams[static_cast<std::size_t>(p)];
    std::vector<double> objs;
    for (int f = 0; f < shape.folds; ++f) {
      aggregate::ItemSummary it;
      it.runDir = s.runDirs[0];
      it.item = p * shape.folds + f;
      it.point = p;
      it.fold = f;
      it.parameters = ps.parameters;
      const int epochs = 20 + 3 * f + 2 * p;
      double best = INFINITY;
      for (int e = 0; e < epochs; ++e) {
        const double noise = 0.01 * rng::normal(key, counter++);
        it.trainLoss.push_back(0.30 + 0.35 * std::exp(-e / 5.0) - 0.002 * e + 0.1 * p + noise);
        it.valLoss.push_back(0.34 + 0.30 * std::exp(-e / 5.0) + 0.0004 * (e - 12) * (e - 12) / 10 + 0.1 * p + noise);
        it.valAuc.push_back(0.95 - 0.2 * std::exp(-e / 4.0) - 0.05 * p + 0.5 * noise);
        if (it.valLoss.back() < best) best = it.valLoss.back(), it.bestEpoch = e + 1;
      }
      it.epochsRun = epochs;
      it.objective = best;
      it.seconds = 12.5 + f;
      it.metrics = {{"val_loss", best}, {"val_auc", it.valAuc[static_cast<std::size_t>(it.bestEpoch - 1)]}};
      objs.push_back(best);
      s.wallSeconds += it.seconds;
      s.items.push_back(it);
    }
    ps.foldsDone = shape.folds;
    ps.foldsExpected = shape.folds;
    const double mean = std::accumulate(objs.begin(), objs.end(), 0.0) / static_cast<double>(objs.size());
    double var = 0;
    for (double o : objs) var += (o - mean) * (o - mean);
    ps.objectiveMean = mean;
    ps.objectiveStd = objs.size() > 1 ? std::sqrt(var / static_cast<double>(objs.size() - 1)) : 0.0;
    ps.metricMean = {{"val_loss", mean}, {"val_auc", 0.9 - 0.05 * p}};
    ps.metricStd = {{"val_loss", ps.objectiveStd}, {"val_auc", 0.004}};
    s.points.push_back(ps);
  }
  std::sort(s.points.begin(), s.points.end(), [](const auto& a, const auto& b) { return a.objectiveMean < b.objectiveMean; });
  for (std::size_t r = 0; r < s.points.size(); ++r) s.points[r].rank = static_cast<int>(r + 1);
  s.bestPoint = s.points.front().point;
  for (int f = 0; f < shape.folds; ++f) s.bestItems.push_back(s.bestPoint * shape.folds + f);

  std::vector<float> ensSig(800, 0.f), ensBkg(700, 0.f);
  std::vector<double> aucs;
  for (int f = 0; f < shape.folds; ++f) {
    const auto uf = static_cast<std::uint64_t>(f);
    const auto sig = scores(rng::derive(key, 100), rng::derive(key, 110 + uf), 800, 1.1);
    const auto bkg = scores(rng::derive(key, 200), rng::derive(key, 210 + uf), 700, -1.1);
    for (std::size_t i = 0; i < sig.size(); ++i) ensSig[i] += sig[i] / static_cast<float>(shape.folds);
    for (std::size_t i = 0; i < bkg.size(); ++i) ensBkg[i] += bkg[i] / static_cast<float>(shape.folds);
    s.roc.push_back(rocOf("fold " + std::to_string(f), sig, bkg));
    aucs.push_back(s.roc.back().auc);
    for (int cls : {1, 0}) {
      aggregate::OvertrainingCheck c;
      c.label = "fold " + std::to_string(f);
      c.cls = cls;
      const double mean = cls == 1 ? 1.1 : -1.1;
      const std::uint64_t trainKey = rng::derive(key, 300 + 2 * uf + static_cast<std::uint64_t>(cls));
      c.trainScores = scores(trainKey, rng::derive(trainKey, 1), 2000, mean * 1.05);
      c.trainWeights.assign(c.trainScores.size(), 1.0f);
      c.testScores = cls == 1 ? sig : bkg;
      c.testWeights.assign(c.testScores.size(), 1.0f);
      c.ksStatistic = 0.03 + 0.01 * f;
      c.ksPValue = cls == 1 ? 0.42 - 0.1 * f : 0.0071;
      s.overtraining.push_back(c);
    }
  }
  s.roc.push_back(rocOf("ensemble", ensSig, ensBkg));
  s.ensembleTestAuc = s.roc.back().auc;
  s.foldMeanTestAuc = std::accumulate(aucs.begin(), aucs.end(), 0.0) / static_cast<double>(aucs.size());
  s.foldStdTestAuc = 0.003;
  for (double eff : {0.5, 0.7, 0.9}) {
    aggregate::WorkingPoint wp;
    wp.signalEfficiency = eff;
    const auto& c = s.roc.back();
    const auto at = std::lower_bound(c.signalEfficiency.begin(), c.signalEfficiency.end(), eff) - c.signalEfficiency.begin();
    wp.ensembleBackgroundEfficiency = c.backgroundEfficiency[static_cast<std::size_t>(at)];
    wp.foldMeanBackgroundEfficiency = wp.ensembleBackgroundEfficiency * 1.1;
    wp.foldStdBackgroundEfficiency = wp.ensembleBackgroundEfficiency * 0.1;
    wp.ensembleBackgroundRejection = 1 / wp.ensembleBackgroundEfficiency;
    wp.foldMeanBackgroundRejection = 0.9 * wp.ensembleBackgroundRejection;
    wp.foldStdBackgroundRejection = 0.1 * wp.ensembleBackgroundRejection;
    wp.ensembleThreshold = 0.5;
    s.workingPoints.push_back(wp);
  }
  return s;
}

Shape twoPointsThreeFolds() {
  Shape sh;
  sh.pointParams = {{{"train.learning_rate", "1e-4"}, {"model.activation", "\"relu\""}, {"model.widths", "[64, 64]"},
                     {"train.batch_size", "64"}},
                    {{"train.learning_rate", "0.1"}, {"model.activation", "\"tanh\""}, {"model.widths", "[32]"},
                     {"train.batch_size", "256"}}};
  return sh;
}

// Checks what every report must satisfy: index.html exists in `dir`, parses as XML, and every
// <img> it references is a PNG of more than 1 kB with non-zero size, with its SVG next to it.
void expectValidReport(const fs::path& dir, const ReportResult& r, std::size_t minImages) {
  EXPECT_EQ(fs::path(r.indexHtml), dir / "index.html");
  ASSERT_TRUE(fs::exists(dir / "index.html"));
  EXPECT_EQ(xmlError(dir / "index.html"), "");
  const std::string html = readFile(dir / "index.html");
  const auto srcs = imageSources(html);
  EXPECT_GE(srcs.size(), minImages);
  for (const std::string& src : srcs) {
    SCOPED_TRACE(src);
    ASSERT_TRUE(fs::exists(dir / src));
    const gnuplot::PngInfo info = gnuplot::checkPng((dir / src).string());
    EXPECT_GT(info.width, 0u);
    EXPECT_GT(info.height, 0u);
    EXPECT_GT(info.bytes, 1024u);
    fs::path svg = dir / src;
    svg.replace_extension(".svg");
    EXPECT_TRUE(fs::exists(svg));
  }
  EXPECT_EQ(html.find("http://") == std::string::npos ? 0 : html.find("http://www.w3.org/1999/xhtml") != std::string::npos ? 0 : 1, 0)
      << "the page must not load anything from the internet";
  EXPECT_EQ(html.find("<script"), std::string::npos);
  for (const auto& e : fs::directory_iterator(dir.parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "staging left: " << e.path();
}

// Catches: a plot missing from the page or referenced but not drawn, invalid PNGs, malformed
// HTML, and a report missing the numbers a physicist looks for first.
TEST(Report, TwoPointsThreeFolds) {
  TempDir tmp;
  const Summary s = makeSummary(twoPointsThreeFolds());
  const ReportResult r = writeReport(s, (tmp.path() / "report").string());
  // loss, val AUC, ROC, 3 score plots, trace, 4 parameters.
  expectValidReport(tmp.path() / "report", r, 11);
  const std::string html = readFile(tmp.path() / "report" / "index.html");
  for (const char* name : {"loss.png", "roc.png", "scores-0.png", "scores-2.png", "trace.png", "param-0.png", "param-2.png"})
    EXPECT_NE(html.find(std::string("src=\"") + name + "\""), std::string::npos) << name;
  // The learning rate spans three decades: log x axis; the batch size spans less than two: linear.
  EXPECT_NE(readFile(tmp.path() / "report" / "param-0.gp").find("set logscale x"), std::string::npos);
  EXPECT_EQ(readFile(tmp.path() / "report" / "param-3.gp").find("set logscale x"), std::string::npos);
  EXPECT_EQ(readFile(tmp.path() / "report" / "param-3.gp").find("set xtics ("), std::string::npos);
  // Strings and arrays are categories, shown without their TOML quotes.
  EXPECT_NE(readFile(tmp.path() / "report" / "param-1.gp").find("set xtics ('relu' 0, 'tanh' 1)"), std::string::npos);
  EXPECT_NE(readFile(tmp.path() / "report" / "param-2.gp").find("set xtics ('[64, 64]' 0, '[32]' 1)"), std::string::npos);
  // Rejection is drawn on a log axis; the tightest cuts pass no background, and without the test
  // labels (which bound their rejection) the caption says those points are left out.
  EXPECT_NE(readFile(tmp.path() / "report" / "roc.gp").find("set logscale y"), std::string::npos);
  EXPECT_NE(html.find("= 0) are not drawn: this summary does not record the test set"), std::string::npos);
  // Provenance and the result.
  EXPECT_NE(html.find(std::string(64, 'b')), std::string::npos) << "input sha256 missing";
  EXPECT_NE(html.find("kinematic_variables_Back.dat.gz"), std::string::npos);
  EXPECT_NE(html.find("kind = &quot;grid&quot;"), std::string::npos) << "campaign TOML missing";
  EXPECT_NE(html.find("<td>val</td><td class=\"num\">851</td><td class=\"num\">727</td>"), std::string::npos)
      << "events per split missing";
  // The best point's learning rate, 1e-4 in TOML, as a reader writes it.
  ASSERT_EQ(s.points.front().parameters[0].second, "1e-4");
  EXPECT_NE(r.text.find("train.learning_rate = 0.0001, "), std::string::npos) << r.text;
  EXPECT_NE(r.text.find(r.indexHtml), std::string::npos);
  EXPECT_NE(r.text.find("warning: a p-value below 0.01"), std::string::npos) << r.text;
}

// The AMS curves: a plot, a table with the maximum of each model, the ensemble's maximum in the
// result and in the text summary, and the yield definition (luminosity) in the caption. Catches
// an AMS section that is missing, quotes another model's maximum, or draws a curve without its
// maximum point.
TEST(Report, AmsCurveAndTable) {
  TempDir tmp;
  Summary s = makeSummary(twoPointsThreeFolds());
  s.luminosity = 50;
  s.testWeighted = true;
  s.amsRegularisation = 10;
  for (const char* label : {"fold 0", "ensemble"}) {
    aggregate::AmsCurve c;
    c.label = label;
    const double peak = c.label == "ensemble" ? 3.25 : 2.5;
    for (int i = 0; i < 50; ++i) {
      const double t = 1.0 - i / 50.0;
      c.threshold.push_back(t);
      c.signal.push_back(10.0 * i);
      c.background.push_back(40.0 * i);
      c.ams.push_back(peak * (1 - (t - 0.7) * (t - 0.7)));
    }
    c.maxAms = peak;
    c.thresholdAtMax = 0.7;
    c.signalAtMax = 150;
    c.backgroundAtMax = 600;
    c.signalEfficiency = 0.3;
    c.sOverSqrtB = 150 / std::sqrt(600.0);
    c.totalSignal = 490;
    c.totalBackground = 1960;
    s.ams.push_back(c);
  }
  const ReportResult r = writeReport(s, (tmp.path() / "report").string());
  expectValidReport(tmp.path() / "report", r, 12);
  const std::string html = readFile(tmp.path() / "report" / "index.html");
  EXPECT_NE(html.find("src=\"ams.png\""), std::string::npos);
  EXPECT_NE(html.find("ensemble test AMS (maximum)</th><td>3.25 at score"), std::string::npos);
  EXPECT_NE(html.find("luminosity 50"), std::string::npos);
  EXPECT_NE(r.text.find("test AMS (ensemble, b_r = 10): 3.25 at score >= 0.7 (s = 150, b = 600"), std::string::npos)
      << r.text;
  const std::string gp = readFile(tmp.path() / "report" / "ams.gp");
  EXPECT_NE(gp.find("'ams-max.dat'"), std::string::npos);
  EXPECT_NE(readFile(tmp.path() / "report" / "ams-max.dat").find("3.25"), std::string::npos);
  // Every curve's maximum gets its own marker, drawn after all the lines (a fold's maximum on the
  // thick ensemble line was hidden under it).
  const auto plot = gp.substr(0, gp.find("unset output"));
  EXPECT_NE(plot.find("'ams-max.dat' every ::0::0"), std::string::npos) << plot;
  EXPECT_NE(plot.find("'ams-max.dat' every ::1::1"), std::string::npos) << plot;
  EXPECT_LT(plot.rfind("'ams.dat' index"), plot.find("'ams-max.dat' every")) << plot;
}

// Objectives stored negated or complemented are shown as read: "ams" stored as -AMS = -1.915
// prints as "validation AMS 1.915", never as "objective -1.915"; val_auc stored as 1 - AUC shows
// the AUC. The raw objective name stays visible.
TEST(Report, ObjectivesAreShownAsAPhysicistReadsThem) {
  Summary s = makeSummary(twoPointsThreeFolds());
  s.objective = "ams";
  for (auto& p : s.points) p.objectiveMean = -1.915 + 0.1 * p.rank;
  s.points.front().objectiveMean = -1.915;
  std::string text = textSummary(s);
  EXPECT_NE(text.find("ranked by validation AMS (objective ams, higher is better)"), std::string::npos) << text;
  EXPECT_NE(text.find("validation AMS 1.915"), std::string::npos) << text;
  EXPECT_EQ(text.find("objective -"), std::string::npos) << text;
  s.objective = "val_auc";
  s.points.front().objectiveMean = 0.125;
  text = textSummary(s);
  EXPECT_NE(text.find("validation AUC 0.875"), std::string::npos) << text;
  EXPECT_EQ(metrics::displayObjective("bkg_eff@sig_eff=0.8").quantity,
            "validation background efficiency at signal efficiency 0.8");
  EXPECT_EQ(metrics::displayObjective("val_loss").shown(0.25), 0.25);
}

// The link to the input data's inspect report: the callback writes into the staging directory
// (the page lands with the report), and a failing callback becomes a note, not a failed report.
TEST(Report, LinksTheInputsPageOrSaysWhyNot) {
  TempDir tmp;
  const Summary s = makeSummary(twoPointsThreeFolds());
  ReportOptions o;
  o.inputsPage = [](const std::string& dir) {
    fs::create_directories(fs::path(dir) / "inspect");
    writeFile(fs::path(dir) / "inspect" / "index.html", "<html></html>");
    return LinkedPage{"inspect/index.html", ""};
  };
  writeReport(s, (tmp.path() / "a").string(), o);
  EXPECT_TRUE(fs::exists(tmp.path() / "a" / "inspect" / "index.html"));
  EXPECT_NE(readFile(tmp.path() / "a" / "index.html").find("href=\"inspect/index.html\""), std::string::npos);

  o.inputsPage = [](const std::string&) -> LinkedPage { throwIo("cannot open 'gone.h5'"); };
  writeReport(s, (tmp.path() / "b").string(), o);
  const std::string html = readFile(tmp.path() / "b" / "index.html");
  EXPECT_NE(html.find("No inspect report of the input data: cannot open &#39;gone.h5&#39;"), std::string::npos)
      << html.substr(html.find("id=\"inputs\""), 400);
}

// Catches: user text (parameter values, input paths, campaign file) written into the page or
// a gnuplot script unescaped, which breaks the page or the plot script.
TEST(Report, EscapesSpecialCharacters) {
  TempDir tmp;
  Shape sh;
  sh.pointParams = {{{"model.o'brien_{x}", "\"<b>&'x\""}}, {{"model.o'brien_{x}", "\"a\\\"b\""}}};
  Summary s = makeSummary(sh);
  s.inputs[0].path = "data/<signal & co>.csv";
  s.campaignToml = "# </pre><script>alert(1)</script>\nname = \"R&D\"\n";
  s.incomplete = {"item 4 of runs/x: result.h5 truncated <eof>"};
  const ReportResult r = writeReport(s, (tmp.path() / "with space & amp").string());
  expectValidReport(tmp.path() / "with space & amp", r, 4);
  const std::string html = readFile(tmp.path() / "with space & amp" / "index.html");
  EXPECT_EQ(html.find("<b>&'x"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;&#39;x"), std::string::npos);
  EXPECT_NE(html.find("data/&lt;signal &amp; co&gt;.csv"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("truncated &lt;eof&gt;"), std::string::npos);
}

// Catches: a report that needs several folds or numeric parameters (a division by zero std,
// an empty x range of gnuplot, category tics on a numeric axis) failing on the smallest campaign.
TEST(Report, SinglePointOneFoldAllCategorical) {
  TempDir tmp;
  Shape sh;
  sh.pointParams = {{{"model.activation", "\"relu\""}, {"train.optimizer", "\"adam\""}}};
  sh.folds = 1;
  const Summary s = makeSummary(sh);
  const ReportResult r = writeReport(s, (tmp.path() / "r").string());
  // loss, val AUC, ROC, one score plot, trace, two parameters.
  expectValidReport(tmp.path() / "r", r, 7);
  EXPECT_NE(readFile(tmp.path() / "r" / "param-0.gp").find("set xtics ('relu' 0)"), std::string::npos);
}

// Catches: a report that throws (or draws empty plots, which gnuplot refuses) when the summary
// has no items at all, e.g. every item incomplete.
TEST(Report, EmptySummaryStillWritesAPage) {
  TempDir tmp;
  Summary s;
  s.runDirs = {"runs/empty"};
  s.objective = "val_loss";
  s.incomplete = {"item 0: no result.h5"};
  const ReportResult r = writeReport(s, (tmp.path() / "r").string());
  expectValidReport(tmp.path() / "r", r, 0);
  EXPECT_NE(r.text.find("1 incomplete"), std::string::npos) << r.text;
}

// Catches: a second report not replacing the first (stale plots from an older campaign), and a
// report written over a directory that is not a report.
TEST(Report, ReplacesOlderReportButNotOtherDirectories) {
  TempDir tmp;
  Shape sh;
  sh.pointParams = {{{"a", "1"}}};
  sh.folds = 1;
  const Summary s = makeSummary(sh);
  const fs::path dir = tmp.path() / "r";
  writeReport(s, dir.string());
  writeFile(dir / "stale.png", "old");
  writeReport(s, dir.string());
  EXPECT_FALSE(fs::exists(dir / "stale.png"));
  EXPECT_TRUE(fs::exists(dir / "index.html"));

  const fs::path other = tmp.path() / "analysis";
  fs::create_directory(other);
  writeFile(other / "fit.C", "void fit() {}");
  EXPECT_THROW(writeReport(s, other.string()), Error);
  EXPECT_EQ(readFile(other / "fit.C"), "void fit() {}");
}

// Catches: a missing gnuplot reported unclearly, or leaving a half-written report (or removing
// the older one) behind.
TEST(Report, MissingGnuplotIsAClearErrorAndKeepsOlderReport) {
  TempDir tmp;
  Shape sh;
  sh.pointParams = {{{"a", "1"}}};
  sh.folds = 1;
  const Summary s = makeSummary(sh);
  const fs::path dir = tmp.path() / "r";
  writeReport(s, dir.string());
  const std::string before = readFile(dir / "index.html");
  const fs::path emptyBin = tmp.path() / "bin";
  fs::create_directory(emptyBin);
  try {
    ScopedPath path(emptyBin.string());
    writeReport(s, dir.string());
    FAIL() << "no error without gnuplot";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.category(), ErrorCategory::Io);
    EXPECT_NE(m.find("gnuplot"), std::string::npos) << m;
    EXPECT_NE(m.find("not found on PATH"), std::string::npos) << m;
  }
  EXPECT_EQ(readFile(dir / "index.html"), before);
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) entries += e.path().filename() != "bin";
  EXPECT_EQ(entries, 1u) << "staging directory left behind";
}

// The search trace is per point in proposal order (the point index), not per item: its data hold
// each point's mean and std over folds and the best complete mean so far; a point with unfinished
// folds is flagged and does not lower the best so far. Catches a trace in rank order, per item,
// or with the best single fold as the running best.
TEST(Report, TraceIsPerPointInProposalOrder) {
  TempDir tmp;
  Shape sh = twoPointsThreeFolds();
  sh.pointParams.push_back({{"train.learning_rate", "0.01"}, {"model.activation", "\"relu\""},
                            {"model.widths", "[32]"}, {"train.batch_size", "128"}});
  sh.pointParams.push_back({{"train.learning_rate", "0.001"}, {"model.activation", "\"tanh\""},
                            {"model.widths", "[64, 64]"}, {"train.batch_size", "32"}});
  Summary s = makeSummary(sh);
  // Means by point index 0..3: 0.5, 0.4, 0.45, 0.3 (point 3 has only 2 of 3 folds); s.points is in
  // rank order, the trace must not be.
  const std::vector<double> means{0.5, 0.4, 0.45, 0.3};
  for (aggregate::PointSummary& p : s.points) {
    p.objectiveMean = means[static_cast<std::size_t>(p.point)];
    p.objectiveStd = 0.01 * static_cast<double>(p.point + 1);
    if (p.point == 3) p.foldsDone = 2;
  }
  std::sort(s.points.begin(), s.points.end(), [](const auto& a, const auto& b) { return a.objectiveMean < b.objectiveMean; });
  s.bestPoint = 1;
  writeReport(s, (tmp.path() / "r").string());
  const std::vector<std::vector<double>> rows = dataRows(tmp.path() / "r" / "trace.dat");
  // order point objective_mean objective_std best_so_far folds_done complete
  const std::vector<std::vector<double>> expected{{0, 0, 0.5, 0.01, 0.5, 3, 1},
                                                  {1, 1, 0.4, 0.02, 0.4, 3, 1},
                                                  {2, 2, 0.45, 0.03, 0.4, 3, 1},
                                                  {3, 3, 0.3, 0.04, 0.4, 2, 0}};
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), expected[i].size()) << i;
    for (std::size_t c = 0; c < rows[i].size(); ++c) EXPECT_DOUBLE_EQ(rows[i][c], expected[i][c]) << i << " " << c;
  }
  EXPECT_NE(readFile(tmp.path() / "r" / "trace-best.dat").find("\n1 0.4\n"), std::string::npos);
  // Every item (12) drawn at its point's position; the caption explains the unfinished point.
  const std::string items = readFile(tmp.path() / "r" / "trace-items.dat");
  EXPECT_EQ(std::count(items.begin(), items.end(), '\n'), 12 + 2);
  EXPECT_NE(readFile(tmp.path() / "r" / "index.html").find("points with unfinished folds"), std::string::npos);
}

// With objective "ams" (stored as -AMS so that smaller is better) the trace shows the AMS itself:
// positive values, the best so far the largest AMS, and a y axis that says higher is better.
// Catches a plot of the stored -AMS labelled as if lower were better.
TEST(Report, TraceShowsAmsAsAmsWithHigherBetter) {
  TempDir tmp;
  Summary s = makeSummary(twoPointsThreeFolds());
  s.objective = "ams";
  const std::vector<double> stored{-1.5, -2.5};  // AMS 1.5 and 2.5
  for (aggregate::PointSummary& p : s.points) {
    p.objectiveMean = stored[static_cast<std::size_t>(p.point)];
    p.objectiveStd = 0.1;
  }
  for (aggregate::ItemSummary& it : s.items) it.objective = stored[static_cast<std::size_t>(it.point)];
  s.bestPoint = 1;
  writeReport(s, (tmp.path() / "r").string());
  const std::vector<std::vector<double>> rows = dataRows(tmp.path() / "r" / "trace.dat");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0][2], 1.5);  // objective_mean, shown as AMS
  EXPECT_DOUBLE_EQ(rows[0][4], 1.5);  // best so far
  EXPECT_DOUBLE_EQ(rows[1][2], 2.5);
  EXPECT_DOUBLE_EQ(rows[1][4], 2.5);
  EXPECT_NE(readFile(tmp.path() / "r" / "trace.gp").find("validation AMS (higher is better)"), std::string::npos);
  EXPECT_NE(readFile(tmp.path() / "r" / "param-0.gp").find("validation AMS (higher is better)"), std::string::npos);
  EXPECT_EQ(readFile(tmp.path() / "r" / "param-0-points.dat").find(" -1.5"), std::string::npos);
}

// A dimension searched with log = true is drawn on a log x axis even when its values span less
// than two decades (model.width 8 to 128), labelled 1-2-5; a linear one stays linear. Catches the
// report judging by the span of the values alone.
TEST(Report, LogSearchedDimensionsOnLogAxes) {
  TempDir tmp;
  Shape sh;
  for (const auto& [w, d] : std::vector<std::pair<const char*, const char*>>{{"8", "0.1"}, {"23", "0.2"}, {"128", "0.3"}})
    sh.pointParams.push_back({{"model.width", w}, {"model.dropout", d}});
  Summary s = makeSummary(sh);
  s.campaignToml = "[search]\nmethod = \"bayes\"\n\n[search.space]\n"
                   "\"model.width\" = { min = 8, max = 128, log = true, steps = 3, type = \"int\" }\n"
                   "\"model.dropout\" = { min = 0.0, max = 0.5, log = false, steps = 3, type = \"float\" }\n";
  writeReport(s, (tmp.path() / "r").string());
  const std::string width = readFile(tmp.path() / "r" / "param-0.gp");
  EXPECT_NE(width.find("set logscale x\nset format x '%g'\nset xtics (10, 20, 50, 100)\n"), std::string::npos) << width;
  EXPECT_NE(readFile(tmp.path() / "r" / "index.html").find("searched in log space (log = true)"), std::string::npos);
  EXPECT_EQ(readFile(tmp.path() / "r" / "param-1.gp").find("set logscale x"), std::string::npos);
  // Without the campaign text (an older summary) the span decides: 16x is linear.
  s.campaignToml.clear();
  writeReport(s, (tmp.path() / "r").string());
  EXPECT_EQ(readFile(tmp.path() / "r" / "param-0.gp").find("set logscale x"), std::string::npos);
}

// Real numbers as a reader writes them: 0.014560705333176032 is 0.01456 in the summary, the result
// and the ranking, while two values that 4 digits would merge keep the digits that tell them apart.
TEST(Report, ParametersWithSensiblePrecision) {
  TempDir tmp;
  Shape sh;
  sh.pointParams = {{{"train.learning_rate", "0.014560705333176032"}, {"model.widths", "[64, 32]"}},
                    {{"train.learning_rate", "0.0010001"}, {"model.widths", "[64, 32]"}},
                    {{"train.learning_rate", "0.0010002"}, {"model.widths", "[8]"}}};
  Summary s = makeSummary(sh);
  const ReportResult r = writeReport(s, (tmp.path() / "r").string());
  const std::string html = readFile(tmp.path() / "r" / "index.html");
  EXPECT_EQ(html.find("0.014560705333176032"), std::string::npos);
  EXPECT_EQ(r.text.find("0.014560705333176032"), std::string::npos) << r.text;
  EXPECT_NE(html.find("<td class=\"num\">0.014561</td>"), std::string::npos);  // 5 digits: the column needs them
  EXPECT_NE(html.find("<td class=\"num\">0.0010001</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.0010002</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>[64, 32]</td>"), std::string::npos);  // lists as written
  // The best point's line (point 0) uses 4 digits.
  EXPECT_NE(r.text.find("best point 0: train.learning_rate = 0.01456, model.widths = [64, 32]"), std::string::npos)
      << r.text;
}

// The ranking: rank, point, the searched parameters, the validation objective, folds, then the
// other validation metrics; no test-set figure (accuracy, test AUC, AMS are test-set numbers the
// ranking never used) and a table that scrolls rather than widening the page.
TEST(Report, RankingTableShowsValidationFiguresOnly) {
  TempDir tmp;
  Summary s = makeSummary(twoPointsThreeFolds());
  for (aggregate::PointSummary& p : s.points) {
    p.metricMean = {{"accuracy", 0.8}, {"ams", 3.0}, {"test_auc", 0.91}, {"val_auc", 0.9}, {"val_loss", p.objectiveMean}};
    p.metricStd = {{"accuracy", 0.01}, {"ams", 0.1}, {"test_auc", 0.01}, {"val_auc", 0.004}, {"val_loss", p.objectiveStd}};
  }
  writeReport(s, (tmp.path() / "r").string());
  const std::string html = readFile(tmp.path() / "r" / "index.html");
  const auto at = html.find("id=\"points\"");
  const std::string section = html.substr(at, html.find("</section>", at) - at);
  EXPECT_NE(section.find("<div class=\"wide\"><table>"), std::string::npos) << section;
  const auto headStart = section.find("<tr>"), headEnd = section.find("</tr>", headStart);
  std::string header = section.substr(headStart, headEnd - headStart);
  EXPECT_EQ(header,
            "<tr><th>rank</th><th>point</th><th>train.learning_rate</th><th>model.activation</th><th>model.widths</th>"
            "<th>train.batch_size</th><th>validation loss (mean \xC2\xB1 std)</th><th>folds</th>"
            "<th>validation AUC (mean \xC2\xB1 std)</th>");
  for (const char* test : {"accuracy", "test_auc", ">ams<", "0.91"}) EXPECT_EQ(section.find(test), std::string::npos) << test;
}

// ε_B = 0 is an upper limit, not "inf" and not a dropped point: with 700 test background events the
// working point that no background passes reads ε_B < 1/700 and rejection > 700, and the ROC plot
// draws each curve's limit as an arrow up from 700 (roc-limits.dat) with the bound in the caption.
TEST(Report, ZeroBackgroundEfficiencyIsAnUpperLimit) {
  TempDir tmp;
  Summary s = makeSummary(twoPointsThreeFolds());
  s.testLabels.assign(800, 1.0f);
  s.testLabels.insert(s.testLabels.end(), 700, 0.0f);
  aggregate::WorkingPoint tight = s.workingPoints.front();
  tight.signalEfficiency = 0.01;
  tight.ensembleBackgroundEfficiency = 0;
  tight.ensembleBackgroundRejection = INFINITY;
  s.workingPoints.insert(s.workingPoints.begin(), tight);
  const ReportResult r = writeReport(s, (tmp.path() / "r").string());
  const std::string html = readFile(tmp.path() / "r" / "index.html");
  EXPECT_NE(html.find("<td>0 (&lt; 1/700 = 0.00143)</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>&gt; 700 (no test background event passes)</td>"), std::string::npos);
  EXPECT_NE(html.find("1/\xCE\xB5_B &gt; N_B = 700 test background events"), std::string::npos);
  EXPECT_NE(r.text.find("eff_S = 0.01: eff_B = 0 (< 1/700 = 0.00143)"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("rejection > 700 (no test background event passes)"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("inf"), std::string::npos) << r.text;
  // One limit per curve (3 folds + ensemble), each at N_B, at the highest ε_S with ε_B = 0.
  const auto limits = dataRows(tmp.path() / "r" / "roc-limits.dat");
  ASSERT_EQ(limits.size(), 4u);
  for (std::size_t k = 0; k < limits.size(); ++k) {
    const auto& c = s.roc[k];
    double expected = 0;
    for (std::size_t i = 0; i < c.signalEfficiency.size(); ++i)
      if (c.backgroundEfficiency[i] == 0) expected = std::max(expected, c.signalEfficiency[i]);
    EXPECT_DOUBLE_EQ(limits[k][0], expected) << k;
    EXPECT_EQ(limits[k][1], 700) << k;
  }
  EXPECT_NE(readFile(tmp.path() / "r" / "roc.gp").find("'roc-limits.dat' every ::3::3 using 1:2:(0):($2 * 1.8) with vectors"),
            std::string::npos);
  EXPECT_EQ(html.find("are not drawn"), std::string::npos);
}

// One diverged point (validation loss 2.0 against 0.3-0.4) is drawn off scale, as a marker with
// its value, and the y range holds the others; a point 30x larger than the rest makes a log axis
// instead. Catches a linear range stretched to the bad point, where the others merge into a line.
TEST(Report, OneBadPointDoesNotFlattenTheTrace) {
  TempDir tmp;
  Shape sh;
  for (int p = 0; p < 6; ++p) sh.pointParams.push_back({{"train.l2", std::to_string(p) + ".0"}});
  Summary s = makeSummary(sh);
  const auto setMean = [&](std::int64_t point, double mean) {
    for (aggregate::PointSummary& p : s.points)
      if (p.point == point) p.objectiveMean = mean;
    for (aggregate::ItemSummary& it : s.items)
      if (it.point == point) it.objective = mean;
  };
  for (std::int64_t p = 0; p < 6; ++p) setMean(p, 0.3 + 0.02 * static_cast<double>(p));
  setMean(4, 2.0);
  writeReport(s, (tmp.path() / "r").string());
  const auto off = dataRows(tmp.path() / "r" / "trace-offscale.dat");
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0][0], 4);    // its position in proposal order
  EXPECT_EQ(off[0][2], 2.0);  // its value, printed next to the marker
  EXPECT_EQ(off[0][3], 1);    // above the range
  const std::string gp = readFile(tmp.path() / "r" / "trace.gp");
  const auto at = gp.find("set yrange [");
  ASSERT_NE(at, std::string::npos);
  const double top = std::stod(gp.substr(gp.find(':', at) + 1));
  EXPECT_LT(top, 2.0) << gp;
  EXPECT_GT(off[0][1], 0.3);
  EXPECT_LT(off[0][1], top);  // the marker is inside the drawn range
  EXPECT_NE(gp.find("(sprintf('%.4g', $3)) with labels left offset 1.2,0"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp.path() / "r" / "param-0-offscale.dat"));
  // 30x: a log axis shows everything.
  setMean(4, 12.0);
  writeReport(s, (tmp.path() / "r").string());
  EXPECT_NE(readFile(tmp.path() / "r" / "trace.gp").find("set logscale y"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp.path() / "r" / "trace-offscale.dat"));
}

// Each fold's kept epoch is marked in the fold's colour (the legend's one entry is neutral), and the
// test-set section shows the rejection plot and a linear TPR-against-FPR ROC side by side.
TEST(Report, FoldColouredBestEpochsAndLinearRoc) {
  TempDir tmp;
  const Summary s = makeSummary(twoPointsThreeFolds());
  writeReport(s, (tmp.path() / "r").string());
  const std::string loss = readFile(tmp.path() / "r" / "loss.gp");
  for (const char* c : {"#1f77b4", "#ff7f0e", "#2ca02c"})
    EXPECT_NE(loss.find(std::string("using 2:3 with points pt 7 ps 2.0 lc rgb '") + c + "'"), std::string::npos) << c;
  EXPECT_EQ(loss.find("lc rgb 'black' title 'best epoch (kept)'\n"), std::string::npos);
  const std::string lin = readFile(tmp.path() / "r" / "roc-linear.gp");
  EXPECT_NE(lin.find("'roc.dat' index 3 using 2:1 with lines lw 3.5 lc rgb 'black'"), std::string::npos) << lin;
  EXPECT_EQ(lin.find("logscale"), std::string::npos);
  const std::string html = readFile(tmp.path() / "r" / "index.html");
  const auto pair = html.find("<div class=\"pair\">");
  ASSERT_NE(pair, std::string::npos);
  const std::string inPair = html.substr(pair, html.find("</div>", pair) - pair);
  EXPECT_NE(inPair.find("src=\"roc.png\""), std::string::npos);
  EXPECT_NE(inPair.find("src=\"roc-linear.png\""), std::string::npos);
}

}  // namespace
}  // namespace hepsweep::report
