// The hepsweep command as a user runs it: convert the bundled example, train it, read the
// outputs back with h5py, and check reproducibility, errors and documentation.
#include <gtest/gtest.h>

#include "CliRun.hpp"
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

using namespace hepsweep::test;

namespace {

// Converts the bundled UCI HIGGS sample once per test binary.
const fs::path& exampleData() {
  static const fs::path data = [] {
    const fs::path d = workDir("data");
    const fs::path out = d / "higgs.h5";
    const CliRun r = run(kCli + " convert " + kSource + "/examples/higgs/higgs-5k.csv.gz --label label --quiet -o " + out.string());
    EXPECT_EQ(r.status, 0) << r.out;
    return out;
  }();
  return data;
}

fs::path writeCampaign(const fs::path& dir, const std::string& extra = "") {
  const fs::path p = dir / "campaign.toml";
  std::ofstream(p) << "seed = 42\n[data]\nfile = \"" << exampleData().string() << "\"\nbalance = \"downsample\"\n"
                   << "split = { train = 0.6, val = 0.2, test = 0.2 }\n[model]\nwidths = [16, 8]\ndropout = 0.1\n"
                   << "[train]\nepochs = 4\nbatch_size = 128\n[output]\ndir = \"" << (dir / "out").string() << "\"\n"
                   << extra;
  return p;
}

}  // namespace

// `--json` prints one object with the documented fields, and the result file it names opens
// in h5py with the documented datasets.
TEST(EndToEnd, ConvertTrainJsonAndH5py) {
  const fs::path dir = workDir("json");
  const CliRun r = run(kCli + " train " + writeCampaign(dir).string() + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  for (const char* k : {"test_auc", "best_epoch", "epochs_run", "train_seconds", "n_train", "result"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_GT(j["test_auc"].get<double>(), 0.55);  // 4 epochs on 3k HIGGS events: weak but clearly learning
  EXPECT_EQ(j["epochs_run"].get<int>(), 4);
  const std::string result = j["result"];
  ASSERT_TRUE(fs::exists(result));
  ASSERT_TRUE(fs::exists(dir / "out" / "config.toml"));

  const std::string py =
      "/usr/bin/python3 -c \"import h5py,sys; f=h5py.File(sys.argv[1]); "
      "print(len(f['history/val_loss']), f['metrics/test_auc'][()], len(f['roc/fpr'])>2, f.attrs['seed'], "
      "'[model]' in f.attrs['config'])\" " + result;
  const CliRun p = run(py);
  ASSERT_EQ(p.status, 0) << p.out;
  std::istringstream is(p.out);
  int epochs = 0;
  double auc = 0;
  std::string rocOk, seed, hasConfig;
  is >> epochs >> auc >> rocOk >> seed >> hasConfig;
  EXPECT_EQ(epochs, 4);
  EXPECT_DOUBLE_EQ(auc, j["test_auc"].get<double>());
  EXPECT_EQ(rocOk, "True");
  EXPECT_EQ(seed, "42");
  EXPECT_EQ(hasConfig, "True");
}

// HiggsML-like weights: signal events weigh 1000 times less than background ones, so without
// data.balance = "reweight" the loss ignores the signal. `train` says so once, naming both sums
// and the fix, for a single training and for a 3-fold campaign (once, not once per item);
// with reweighting it is silent. Would catch a warning that never fires, repeats per item, or
// fires after the fix.
TEST(EndToEnd, WarnsOnceWhenClassWeightsDifferByOrdersOfMagnitude) {
  const fs::path dir = workDir("weights");
  {
    std::ofstream csv(dir / "weighted.csv");
    csv << "x0,x1,w,label\n";
    for (int i = 0; i < 600; ++i) {
      const bool sig = i % 2 == 0;
      csv << (sig ? 1.0 : 0.0) + 0.01 * (i % 17) << "," << 0.03 * (i % 11) << "," << (sig ? 0.001 : 1.0) << ","
          << (sig ? 1 : 0) << "\n";
    }
  }
  const fs::path data = dir / "weighted.h5";
  const CliRun c = run(kCli + " convert " + (dir / "weighted.csv").string() + " --label label --weight w --quiet -o " +
                       data.string());
  ASSERT_EQ(c.status, 0) << c.out;
  const fs::path toml = dir / "campaign.toml";
  std::ofstream(toml) << "seed = 1\n[data]\nfile = \"" << data.string() << "\"\n"
                      << "split = { train = 0.6, val = 0.2, test = 0.2 }\n[model]\nwidths = [4]\n"
                      << "[train]\nepochs = 2\nbatch_size = 64\nmicro_batches = 1\n[output]\ndir = \""
                      << (dir / "out").string() << "\"\n";
  const auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  const std::string warning = "for signal and ";
  CliRun r = run(kCli + " train " + toml.string() + " --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(count(r.out, warning), 1u) << r.out;
  // 180 training events per class: 0.18 for signal, 180 for background.
  EXPECT_NE(r.out.find("sum to 0.18 for signal and 180 for background"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("data.balance = \"reweight\""), std::string::npos) << r.out;

  r = run(kCli + " train " + toml.string() + " --quiet --set cv.folds=3 --set 'output.dir=\"" + (dir / "cv").string() +
          "\"'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(count(r.out, warning), 1u) << r.out;

  r = run(kCli + " train " + toml.string() + " --quiet --set data.balance=reweight --set 'output.dir=\"" +
          (dir / "rw").string() + "\"'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(count(r.out, warning), 0u) << r.out;
}

// The same campaign and seed give identical result files apart from the creation time and the
// timing figures; a different seed does not.
TEST(EndToEnd, SameSeedGivesIdenticalResultFile) {
  const fs::path a = workDir("det_a"), b = workDir("det_b");
  ASSERT_EQ(run(kCli + " train " + writeCampaign(a).string() + " --quiet").status, 0);
  ASSERT_EQ(run(kCli + " train " + writeCampaign(b).string() + " --quiet").status, 0);
  const std::string cmp = "/usr/bin/python3 " + kSource + "/tests/e2e/compare_results.py ";
  // output.dir differs between the two campaigns, and with it the config text and command line.
  const std::string ignore =
      " --ignore /@created --ignore /@config --ignore /@command_line --ignore /history/epoch_seconds"
      " --ignore /metrics/train_seconds --ignore /metrics/samples_per_second";
  const CliRun same = run(cmp + (a / "out/result.h5").string() + " " + (b / "out/result.h5").string() + ignore);
  EXPECT_EQ(same.status, 0) << same.out;

  const fs::path c = workDir("det_c");
  ASSERT_EQ(run(kCli + " train " + writeCampaign(c).string() + " --quiet --set seed=43").status, 0);
  const CliRun differ = run(cmp + (a / "out/result.h5").string() + " " + (c / "out/result.h5").string() + ignore);
  EXPECT_EQ(differ.status, 1) << differ.out;
  EXPECT_NE(differ.out.find("/model/layer_0/W"), std::string::npos) << differ.out;
}

// A typo in a key is a configuration error (exit 2) naming the key and the closest valid one.
TEST(EndToEnd, UnknownKeyIsRefusedWithSuggestion) {
  const fs::path dir = workDir("typo");
  const CliRun r = run(kCli + " train " + writeCampaign(dir).string() + " --set train.learnig_rate=0.01");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("train.learnig_rate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("train.learning_rate"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out" / "result.h5"));
}

// A mistyped command is a usage error (exit 2) naming it and the command meant; a word near no
// command gets no guess.
TEST(EndToEnd, UnknownCommandSuggestsTheNearest) {
  const CliRun typo = run(kCli + " aggreagte");
  EXPECT_EQ(typo.status, 2) << typo.out;
  EXPECT_NE(typo.out.find("unknown command 'aggreagte'; did you mean 'aggregate'?"), std::string::npos) << typo.out;
  const CliRun far = run(kCli + " zzzzzz");
  EXPECT_EQ(far.status, 2) << far.out;
  EXPECT_NE(far.out.find("unknown command 'zzzzzz'\n"), std::string::npos) << far.out;
  EXPECT_EQ(far.out.find("did you mean"), std::string::npos) << far.out;
}

// A data file that does not exist is an I/O error naming it, and no result is written.
TEST(EndToEnd, MissingDataFileIsAnIoError) {
  const fs::path dir = workDir("missing");
  const CliRun r = run(kCli + " train " + writeCampaign(dir).string() + " --set 'data.file=\"/nonexistent/x.h5\"'");
  EXPECT_EQ(r.status, 4) << r.out;
  EXPECT_NE(r.out.find("/nonexistent/x.h5"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out" / "result.h5"));
}

// Every option a command's --help prints is documented on its page in docs/: the option
// declarations are the single source, and this catches a page that drifted from them. The
// commands come from `hepsweep --help`, so a new command without a page fails here too.
TEST(EndToEnd, EveryOptionIsDocumented) {
  const CliRun top = run(kCli + " --help");
  ASSERT_EQ(top.status, 0) << top.out;
  std::vector<std::string> commands;
  const std::regex commandLine("\\n  ([a-z]+)  +[^\\n]*");
  for (auto it = std::sregex_iterator(top.out.begin(), top.out.end(), commandLine); it != std::sregex_iterator(); ++it)
    commands.push_back((*it)[1].str());
  // The nine commands of the pipeline at the time of writing: fewer means the listing broke.
  ASSERT_GE(commands.size(), 9u) << top.out;
  // convert reads ROOT TTrees as well as text (the listing once said text only).
  const auto convertAt = top.out.find("\n  convert ");
  ASSERT_NE(convertAt, std::string::npos) << top.out;
  const std::string convertLine = top.out.substr(convertAt + 1, top.out.find('\n', convertAt + 1) - convertAt - 1);
  EXPECT_NE(convertLine.find("ROOT"), std::string::npos) << convertLine;
  for (const std::string& cmd : commands) {
    const CliRun help = run(kCli + " " + cmd + " --help");
    ASSERT_EQ(help.status, 0) << cmd << ": " << help.out;
    std::ifstream page(kSource + "/docs/" + cmd + ".md");
    ASSERT_TRUE(page) << "docs/" << cmd << ".md is missing";
    const std::string doc((std::istreambuf_iterator<char>(page)), {});
    EXPECT_NE(doc.find("hepsweep " + cmd), std::string::npos) << "docs/" << cmd << ".md has no worked example";
    const std::regex opt("--[a-z][a-z0-9-]+");
    std::set<std::string> options;
    for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), opt); it != std::sregex_iterator(); ++it)
      options.insert(it->str());
    EXPECT_GE(options.size(), 2u) << cmd << ": " << help.out;  // at least --help and one real option
    for (const auto& o : options) EXPECT_NE(doc.find(o), std::string::npos) << o << " missing from docs/" << cmd << ".md";
  }
}

// One model taken through every command, as Keras' model.save() / load_model().predict(): a
// single training (no search, no folds, the standardising PCA) writes model.h5; `apply` of it
// gives the training's own test scores back, its ONNX export evaluates to them too
// (tests/model/check_export.py), and `aggregate` of the output directory draws the report of
// this model. Before, apply and export refused result.h5 ("not a hepsweep model file") and
// aggregate refused the directory ("not a campaign run directory").
TEST(EndToEnd, OneModelTrainApplyExportReport) {
  const fs::path dir = workDir("one_model");
  const fs::path out = dir / "out";
  const CliRun t = run(kCli + " train " + writeCampaign(dir).string() +
                       " --set preprocess.scaler=pca --set output.scores=test --json --quiet");
  ASSERT_EQ(t.status, 0) << t.out;
  const auto j = nlohmann::json::parse(t.out.substr(t.out.find('{')));
  ASSERT_TRUE(j.contains("model")) << t.out;
  EXPECT_EQ(fs::path(j["model"].get<std::string>()), fs::absolute(out / "model.h5"));
  ASSERT_TRUE(fs::exists(out / "model.h5"));

  const fs::path scored = dir / "scored.h5";
  const CliRun a = run(kCli + " apply " + (out / "model.h5").string() + " " + exampleData().string() + " -o " + scored.string());
  ASSERT_EQ(a.status, 0) << a.out;
  const fs::path inputs = dir / "inputs.csv", expected = dir / "expected.csv";
  const CliRun c = run("/usr/bin/python3 " + kSource + "/tests/e2e/check_one_model.py " + (out / "result.h5").string() +
                       " " + (out / "model.h5").string() + " " + exampleData().string() + " " + scored.string() + " " +
                       inputs.string() + " " + expected.string());
  ASSERT_EQ(c.status, 0) << c.out;

  const fs::path onnx = dir / "model.onnx";
  const CliRun e = run(kCli + " export " + (out / "model.h5").string() + " --format onnx -o " + onnx.string());
  ASSERT_EQ(e.status, 0) << e.out;
  const CliRun x = run("/usr/bin/python3 " + kSource + "/tests/model/check_export.py onnx " + onnx.string() + " " +
                       inputs.string() + " " + expected.string());
  EXPECT_EQ(x.status, 0) << x.out;

  const CliRun g = run(kCli + " aggregate " + out.string() + " --no-inspect --json");
  ASSERT_EQ(g.status, 0) << g.out;
  const auto s = nlohmann::json::parse(g.out.substr(g.out.find('{')));
  EXPECT_NEAR(s["ensemble_test_auc"].get<double>(), j["test_auc"].get<double>(), 1e-9);
  EXPECT_EQ(s["best_model"].get<std::string>(), (out / "model.h5").string());  // no second copy of the model
  EXPECT_FALSE(fs::exists(out / "best-model.h5"));
  EXPECT_EQ(s["items"].get<int>(), 1);
  const fs::path report = out / "report";
  for (const char* f : {"index.html", "loss.svg", "roc.svg", "scores-0.svg"})
    EXPECT_TRUE(fs::exists(report / f)) << f;
  const std::string index = readText(report / "index.html");
  EXPECT_NE(index.find("report of a single training"), std::string::npos);
  EXPECT_NE(index.find((out / "result.h5").string()), std::string::npos) << "the report names the model's result";
  EXPECT_NE(index.find("model.h5"), std::string::npos);
  char auc[32];
  std::snprintf(auc, sizeof auc, "%.5f", j["test_auc"].get<double>());
  EXPECT_NE(index.find(auc), std::string::npos) << "the report shows the model's test AUC " << auc;
  // The model file aggregate rewrote is still the one apply reads, with the same scores.
  const CliRun again = run(kCli + " apply " + (out / "model.h5").string() + " " + exampleData().string() + " -o " +
                           (dir / "again.h5").string());
  ASSERT_EQ(again.status, 0) << again.out;
  const CliRun same = run("/usr/bin/python3 -c \"import h5py, numpy, sys; a, b = (h5py.File(p)['score'][()] for p in "
                          "sys.argv[1:]); sys.exit(0 if numpy.array_equal(a, b) else 1)\" " +
                          scored.string() + " " + (dir / "again.h5").string());
  EXPECT_EQ(same.status, 0) << same.out;
}

namespace {

// 1200 events, half signal: x0 separates the classes, x1 is noise, `leak` is the label itself.
// Signal events weigh 0.5, background ones 1 to 2.
fs::path writeWeightedCsv(const fs::path& dir) {
  const fs::path p = dir / "weighted.csv";
  std::ofstream csv(p);
  csv << "x0,x1,leak,w,label\n";
  std::uint64_t state = 12345;
  const auto uniform = [&state] {  // a fixed LCG: the same file everywhere
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int i = 0; i < 1200; ++i) {
    const bool sig = i % 2 == 0;
    const double x0 = (sig ? 1.0 : 0.0) + 2 * (uniform() + uniform() + uniform() - 1.5);
    csv << x0 << "," << uniform() << "," << (sig ? 1 : 0) << ","
        << (sig ? 0.5 : 1.0 + 0.5 * (1 + std::sin(0.05 * i))) << "," << (sig ? 1 : 0) << "\n";
  }
  return p;
}

}  // namespace

// A feature that repeats the label: `convert` warns (summary, --json warnings, and stderr under
// --quiet), `train` warns on its training events once (a 3-fold campaign too), and leaving the
// column out silences it. Would catch a check that never runs in one of the commands, or that
// fires on ordinary features.
TEST(EndToEnd, LeakedLabelIsWarnedByConvertAndTrain) {
  const fs::path dir = workDir("leak");
  const fs::path csv = writeWeightedCsv(dir), data = dir / "w.h5";
  const std::string message = "leak is a copy of the label (1 for every signal, 0 for every background event)";
  CliRun c = run(kCli + " convert " + csv.string() + " --label label --weight w -o " + data.string());
  ASSERT_EQ(c.status, 0) << c.out;
  EXPECT_NE(c.out.find(message), std::string::npos) << c.out;
  EXPECT_EQ(c.out.find("x0 is a copy"), std::string::npos) << c.out;
  c = run(kCli + " convert " + csv.string() + " --label label --weight w --quiet -o " + (dir / "q.h5").string());
  ASSERT_EQ(c.status, 0) << c.out;
  EXPECT_NE(c.out.find("warning: convert: " + message), std::string::npos) << c.out;
  c = run(kCli + " convert " + csv.string() + " --label label --weight w --json -o " + (dir / "j.h5").string());
  ASSERT_EQ(c.status, 0) << c.out;
  const auto j = nlohmann::json::parse(c.out.substr(c.out.find('{')));
  ASSERT_EQ(j["warnings"].size(), 1u) << c.out;
  EXPECT_NE(j["warnings"][0].get<std::string>().find(message), std::string::npos);
  c = run(kCli + " convert " + csv.string() + " --label label --weight w --drop leak -o " + (dir / "d.h5").string());
  ASSERT_EQ(c.status, 0) << c.out;
  EXPECT_EQ(c.out.find("leaked label"), std::string::npos) << c.out;

  const fs::path toml = dir / "campaign.toml";
  std::ofstream(toml) << "seed = 1\n[data]\nfile = \"" << data.string() << "\"\nbalance = \"reweight\"\n"
                      << "split = { train = 0.6, val = 0.2, test = 0.2 }\n[model]\nwidths = [4]\n"
                      << "[train]\nepochs = 1\nbatch_size = 64\n[output]\ndir = \"" << (dir / "out").string() << "\"\n";
  const auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  CliRun t = run(kCli + " train " + toml.string() + " --quiet");
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_EQ(count(t.out, message), 1u) << t.out;
  EXPECT_NE(t.out.find("Remove it from data.features"), std::string::npos) << t.out;
  t = run(kCli + " train " + toml.string() + " --quiet --set cv.folds=3 --set 'output.dir=\"" + (dir / "cv").string() + "\"'");
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_EQ(count(t.out, message), 1u) << t.out;
  t = run(kCli + " train " + toml.string() + " --quiet --set 'data.features=[\"x0\",\"x1\"]' --set 'output.dir=\"" +
          (dir / "clean").string() + "\"'");
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_EQ(t.out.find("leaked label"), std::string::npos) << t.out;
}

// Weighted data with a luminosity: `train` prints the test AMS and s/sqrt(b) and puts them in
// --json, consistent with each other (AMS and s/sqrt(b) recomputed from the printed yields); on
// unweighted data without physics settings it does not. The report of that training shows the
// weighted ROC and working points, labelled, next to the counted ones; an unweighted one does not.
TEST(EndToEnd, PhysicsSettingsGiveSignificanceAndWeightedRoc) {
  const fs::path dir = workDir("physics");
  const fs::path data = dir / "w.h5";
  CliRun c = run(kCli + " convert " + writeWeightedCsv(dir).string() + " --label label --weight w --drop leak --quiet -o " +
                 data.string());
  ASSERT_EQ(c.status, 0) << c.out;
  const fs::path toml = dir / "campaign.toml";
  std::ofstream(toml) << "seed = 3\n[data]\nfile = \"" << data.string() << "\"\nbalance = \"reweight\"\n"
                      << "split = { train = 0.6, val = 0.2, test = 0.2 }\n[model]\nwidths = [8]\n"
                      << "[train]\nepochs = 5\nbatch_size = 32\nlearning_rate = 0.01\n[metrics]\nluminosity = 2.0\n"
                      << "[output]\ndir = \"" << (dir / "out").string() << "\"\n";
  CliRun t = run(kCli + " train " + toml.string() + " --quiet");
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("AMS "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("s/sqrt(b) = "), std::string::npos) << t.out;
  t = run(kCli + " train " + toml.string() + " --quiet --json --set 'output.dir=\"" + (dir / "json").string() + "\"'");
  ASSERT_EQ(t.status, 0) << t.out;
  const auto j = nlohmann::json::parse(t.out.substr(t.out.find('{')));
  for (const char* k : {"ams", "ams_threshold", "ams_signal", "ams_background", "s_over_sqrt_b", "ams_regularisation"})
    ASSERT_TRUE(j.contains(k) && j[k].is_number()) << k << ": " << t.out;
  const double s = j["ams_signal"], b = j["ams_background"], br = j["ams_regularisation"];
  EXPECT_GT(s, 0);
  EXPECT_NEAR(j["s_over_sqrt_b"].get<double>(), s / std::sqrt(b), 1e-9 * s / std::sqrt(b));
  EXPECT_NEAR(j["ams"].get<double>(), std::sqrt(2 * ((s + b + br) * std::log1p(s / (b + br)) - s)), 1e-9);
  // Expected signal at most luminosity x the summed signal weight of the whole sample (2 x 600 x 0.5).
  EXPECT_LE(s, 600.0 + 1e-6);

  // search.objective = "ams" in a single training: the result file's objective is -val_ams (what
  // aggregate ranks and shows as the validation AMS), not the validation loss.
  t = run(kCli + " train " + toml.string() + " --quiet --set 'search.objective=\"ams\"' --set 'output.dir=\"" +
          (dir / "ams").string() + "\"'");
  ASSERT_EQ(t.status, 0) << t.out;
  const CliRun objective = run("/usr/bin/python3 -c \"import h5py, sys; m = h5py.File(sys.argv[1])['metrics']; "
                               "sys.exit(0 if m['val_ams'][()] > 0 and m['objective'][()] == -m['val_ams'][()] else 1)\" " +
                               (dir / "ams" / "result.h5").string());
  EXPECT_EQ(objective.status, 0) << objective.out;

  const fs::path plainDir = dir / "plain";
  fs::create_directories(plainDir);
  const CliRun plain = run(kCli + " train " + writeCampaign(plainDir).string() + " --json --quiet");
  ASSERT_EQ(plain.status, 0) << plain.out;
  EXPECT_FALSE(nlohmann::json::parse(plain.out.substr(plain.out.find('{'))).contains("ams")) << plain.out;

  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "needs gnuplot on PATH";
  const CliRun g = run(kCli + " aggregate " + (dir / "out").string() + " --no-inspect");
  ASSERT_EQ(g.status, 0) << g.out;
  EXPECT_NE(g.out.find("working points with event weights"), std::string::npos) << g.out;
  const fs::path report = dir / "out" / "report";
  ASSERT_TRUE(fs::exists(report / "roc-weighted.dat"));
  const std::string index = readText(report / "index.html");
  EXPECT_NE(index.find("ensemble, weighted"), std::string::npos);
  EXPECT_NE(index.find("The same working points with the test events"), std::string::npos);
  EXPECT_NE(index.find("Efficiencies count events (unweighted)"), std::string::npos);
  EXPECT_NE(readText(report / "roc.gp").find("'working points, event weights'"), std::string::npos);


  const CliRun pg = run(kCli + " aggregate " + (plainDir / "out").string() + " --no-inspect");
  ASSERT_EQ(pg.status, 0) << pg.out;
  EXPECT_EQ(pg.out.find("event weights"), std::string::npos) << pg.out;
  EXPECT_FALSE(fs::exists(plainDir / "out" / "report" / "roc-weighted.dat"));
}

// `aggregate A B` says it merges; `aggregate A B --compare` aggregates each on its own: the text
// names both runs, --json gives each run's best-so-far curve (non-increasing, ending at its best
// objective) and, for the Bayesian run only, a partial dependence per searched dimension; the page
// has the convergence plot and one partial-dependence plot per dimension of the Bayesian run.
TEST(EndToEnd, CompareRunsSideBySide) {
  const fs::path dir = workDir("compare");
  const std::string space = "[search.space]\n\"model.dropout\" = { min = 0.0, max = 0.3 }\n"
                            "\"train.learning_rate\" = { min = 1e-3, max = 1e-2, log = true }\n";
  const fs::path bayesDir = dir / "bayes", randomDir = dir / "random";
  fs::create_directories(bayesDir);
  fs::create_directories(randomDir);
  CliRun r = run(kCli + " train " +
                 writeCampaign(bayesDir, "[cv]\nfolds = 2\n[search]\nmethod = \"bayes\"\nbudget = 4\ninitial_points = 2\n" + space)
                     .string() + " --quiet --set train.epochs=2");
  ASSERT_EQ(r.status, 0) << r.out;
  r = run(kCli + " train " + writeCampaign(randomDir, "[cv]\nfolds = 2\n[search]\nmethod = \"random\"\nbudget = 3\n" + space)
                                 .string() + " --quiet --set train.epochs=2");
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string a = (bayesDir / "out").string(), b = (randomDir / "out").string();

  const CliRun merged = run(kCli + " aggregate " + a + " " + b + " --no-report -o " + (dir / "merged.h5").string());
  ASSERT_EQ(merged.status, 0) << merged.out;
  EXPECT_NE(merged.out.find("merged 2 run directories into one ranking"), std::string::npos) << merged.out;

  const CliRun text = run(kCli + " aggregate " + a + " " + b + " --compare --report " + (dir / "cmp").string());
  ASSERT_EQ(text.status, 0) << text.out;
  EXPECT_NE(text.out.find("run 1: " + a + " (bayes)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("run 2: " + b + " (random)"), std::string::npos) << text.out;
  for (const char* f : {"index.html", "convergence.png", "convergence.dat", "dependence-1-1.png", "dependence-1-2.png"})
    EXPECT_TRUE(fs::exists(dir / "cmp" / f)) << f;
  EXPECT_FALSE(fs::exists(dir / "cmp" / "dependence-2-1.png"));  // random search: no model to show
  EXPECT_FALSE(fs::exists(fs::path(a) / "summary.h5"));         // --compare writes only its page

  const CliRun js = run(kCli + " aggregate " + a + " " + b + " --compare --json --report " + (dir / "cmp2").string());
  ASSERT_EQ(js.status, 0) << js.out;
  const auto j = nlohmann::json::parse(js.out.substr(js.out.find('{')));
  ASSERT_EQ(j["runs"].size(), 2u);
  for (const auto& run : j["runs"]) {
    const auto& best = run["best_so_far"];
    ASSERT_FALSE(best.empty());
    for (std::size_t i = 1; i < best.size(); ++i) EXPECT_LE(best[i].get<double>(), best[i - 1].get<double>());
    EXPECT_DOUBLE_EQ(best.back().get<double>(), run["best_objective"].get<double>());
  }
  EXPECT_EQ(j["runs"][0]["best_so_far"].size(), 4u);
  EXPECT_EQ(j["runs"][1]["best_so_far"].size(), 3u);
  ASSERT_EQ(j["runs"][0]["partial_dependence"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["partial_dependence"][0]["key"], "model.dropout");
  EXPECT_EQ(j["runs"][0]["partial_dependence"][0]["mean"].size(), 40u);
  EXPECT_TRUE(j["runs"][1]["partial_dependence"].empty());

  const CliRun one = run(kCli + " aggregate " + a + " --compare");
  EXPECT_NE(one.status, 0);
  EXPECT_NE(one.out.find("at least two run directories"), std::string::npos) << one.out;
}
