// `hepsweep train CAMPAIGN.toml`: one training run from a campaign file.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <Eigen/Core>
#include <omp.h>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/dist/Communicator.hpp"
#include "hepsweep/dist/Environment.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Log.hpp"
#include "hepsweep/model/Model.hpp"
#include "hepsweep/rundir/RunDirectory.hpp"
#include "hepsweep/nn/Kernel.hpp"
#include "hepsweep/train/ParameterMetrics.hpp"
#include "hepsweep/train/ResultFile.hpp"
#include "hepsweep/train/Trainer.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hepsweep::cli {
namespace {

// One line per epoch; on a terminal, a live bar rewritten in place instead.
class ProgressLine : public train::Callback {
 public:
  ProgressLine(std::FILE* out, int totalEpochs, bool enabled)
      : out_(out), total_(totalEpochs), enabled_(enabled), live_(enabled && ::isatty(::fileno(out))) {}

  train::CallbackResult onEpochEnd(const train::EpochRecord& r, nn::Network&) override {
    if (!enabled_) return train::CallbackResult::Continue;
    const bool improved = r.valLoss < best_;
    if (improved) best_ = r.valLoss;
    if (live_) {
      constexpr int kWidth = 24;
      const int filled = total_ > 0 ? kWidth * r.epoch / total_ : kWidth;
      std::string bar(static_cast<std::size_t>(filled), '=');
      bar.resize(kWidth, ' ');
      std::fprintf(out_, "\r[%s] epoch %d/%d  loss %.4f  val_loss %.4f%s  val_auc %.4f  %.2fs/epoch\x1b[K", bar.c_str(),
                   r.epoch, total_, r.trainLoss, r.valLoss, improved ? "*" : " ", r.valAuc, r.seconds);
    } else {
      std::fprintf(out_, "epoch %d/%d  loss %.4f  val_loss %.4f%s  val_auc %.4f  lr %.3g  %.2fs\n", r.epoch, total_,
                   r.trainLoss, r.valLoss, improved ? " *" : "  ", r.valAuc, r.learningRate, r.seconds);
    }
    std::fflush(out_);
    return train::CallbackResult::Continue;
  }
  void onTrainEnd(nn::Network&) override {
    if (live_) std::fprintf(out_, "\n");
  }

 private:
  std::FILE* out_;
  int total_;
  bool enabled_;
  bool live_;
  double best_ = INFINITY;
};

// Slurm's walltime warning (sbatch --signal=B:USR1@T, forwarded by the job script) and SIGTERM
// (scancel, HTCondor eviction) ask a campaign to stop at the next epoch boundary; see
// campaign::RunOptions::stopRequested. A lock-free atomic is async-signal-safe to store to.
std::atomic<bool> gStopRequested{false};
static_assert(std::atomic<bool>::is_always_lock_free);
// The first signal asks for a stop at the next epoch boundary (a checkpoint resumes the item); a
// second of the same kind (Ctrl-C pressed again) ends the process at once, as the default action.
void requestStop(int sig) {
  if (gStopRequested.exchange(true)) {
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

void catchStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = requestStop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

// The test-set significance that the result file records (metrics/ams*), for the summary of a
// single training whose campaign has physics settings: event weights in the data, a [metrics]
// luminosity or scale, or the AMS as the objective. Without them the AMS of raw event counts means
// little and is not printed.
// The JSON fields a single training prints whatever its classes: epochs, timing and split sizes.
void addRunSummary(nlohmann::ordered_json& j, const train::TrainResult& result, const train::PreparedData& data,
                   double wall) {
  j["best_epoch"] = result.bestEpoch;
  j["epochs_run"] = result.epochsRun;
  j["stopped_early"] = result.stoppedEarly;
  j["train_seconds"] = result.trainSeconds;
  j["samples_per_second"] = result.samplesPerSecond;
  j["wall_seconds"] = wall;
  j["n_train"] = data.train.size();
  j["n_val"] = data.val.size();
  j["n_test"] = data.test.size();
}

// A multi-class training's summary: the mean and per-class one-vs-rest test AUCs and the argmax
// accuracy (the signal-efficiency working points and the AMS are signal/background quantities).
void printMultiClass(const train::RunConfig& cfg, const train::PreparedData& data, const train::TrainResult& result,
                     const fs::path& resultPath, const fs::path& modelPath, const fs::path& outDir, bool json,
                     double wall) {
  const std::size_t k = data.classNames.size();
  double diagonal = 0, total = 0;
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t q = 0; q < k; ++q) {
      total += result.test.confusionMatrix[t * k + q];
      if (t == q) diagonal += result.test.confusionMatrix[t * k + q];
    }
  const double accuracy = total > 0 ? diagonal / total : std::nan("");
  if (json) {
    nlohmann::ordered_json j;
    j["classes"] = data.classNames;
    j["test_auc"] = result.test.auc;
    j["test_auc_per_class"] = result.test.aucPerClass;
    j["test_auc_weighted"] = result.test.aucWeighted;
    j["val_auc"] = result.val.auc;
    j["val_loss"] = result.val.loss;
    j["test_loss"] = result.test.loss;
    j["accuracy"] = accuracy;
    addRunSummary(j, result, data, wall);
    j["seed"] = cfg.seed;
    j["result"] = fs::absolute(resultPath).string();
    j["model"] = fs::absolute(modelPath).string();
    std::cout << j.dump() << std::endl;
    return;
  }
  std::printf("\ntest AUC %.4f, mean of %zu one-vs-rest AUCs (val AUC %.4f), best epoch %d of %d run%s\n",
              result.test.auc, k, result.val.auc, result.bestEpoch, result.epochsRun,
              result.stoppedEarly ? " (early stopping)" : "");
  for (std::size_t c = 0; c < k; ++c)
    std::printf("  %s against the rest: test AUC %.4f\n", data.classNames[c].c_str(), result.test.aucPerClass[c]);
  std::printf("accuracy of the most probable class: %.4f\n", accuracy);
  std::printf("%lld train / %lld val / %lld test events; training loop %.2f s (%.0f samples/s)\n",
              static_cast<long long>(data.train.size()), static_cast<long long>(data.val.size()),
              static_cast<long long>(data.test.size()), result.trainSeconds, result.samplesPerSecond);
  std::printf("result: %s\nmodel:  %s (`hepsweep aggregate %s` draws the report)\n", resultPath.string().c_str(),
              modelPath.string().c_str(), outDir.string().c_str());
}

struct Significance {
  bool shown = false;
  train::TestSignificance values{};
};

Significance significanceOf(const campaign::CampaignConfig& c, const train::PreparedData& data,
                            const fs::path& resultFile) {
  Significance s;
  const train::MetricsConfig& m = c.run.metrics;
  s.shown = data.hasWeights || m.luminosity != 1 || m.signalScale != 1 || m.backgroundScale != 1 ||
            c.search.objective.kind() == metrics::Objective::Kind::Ams;
  if (s.shown) s.values = train::readTestSignificance(resultFile.string());
  return s;
}

int runCampaignCommand(const campaign::CampaignConfig& c, const po::variables_map& vm, bool json, const Logger& log,
                       dist::Environment& env) {
  campaign::RunOptions opts;
  catchStopSignals();
  opts.stopRequested = &gStopRequested;
  if (vm.count("items")) {
    const std::string spec = vm["items"].as<std::string>();
    const auto slash = spec.find('/');
    try {
      if (slash == std::string::npos) throw std::invalid_argument(spec);
      opts.sliceIndex = std::stoi(spec.substr(0, slash));
      opts.sliceCount = std::stoi(spec.substr(slash + 1));
    } catch (const std::exception&) {
      throwConfig("--items expects I/N (the I-th of N slices, 0-based), got '" + spec + "'");
    }
  }
  opts.fresh = vm.count("fresh") > 0;
  opts.retryFailed = vm.count("retry-failed") > 0;
  opts.quiet = vm.count("quiet") > 0 || json;
  opts.verbose = vm.count("verbose") > 0;
  opts.commandLine = invocation();
  opts.progress = Logger(
      [](LogLevel, const std::string& line) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
      },
      LogLevel::Info);
  auto world = dist::world(env);
  const campaign::RunSummary s = campaign::runCampaign(c, campaign::toToml(c), *world, opts, log);
  if (s.interrupted) {
    if (world->rank() == 0)
      std::fprintf(stderr, "campaign: stopped on a signal at an epoch boundary, %lld of %lld items done; checkpoints "
                           "are in %s: run the same command again to resume (exit status %d)\n",
                   static_cast<long long>(s.done), static_cast<long long>(s.total), s.runDir.string().c_str(),
                   campaign::kInterruptedExitCode);
    return campaign::kInterruptedExitCode;
  }
  const int code = s.failed > 0 ? campaign::kFailedItemsExitCode : 0;
  if (world->rank() != 0) return code;
  if (json) {
    nlohmann::ordered_json j;
    j["run_dir"] = fs::absolute(s.runDir).string();
    j["total"] = s.total;
    j["done"] = s.done;
    j["failed"] = s.failed;
    j["raced_out"] = s.racedOut;
    j["ran_here"] = s.ranHere;
    j["seconds"] = s.seconds;
    std::cout << j.dump() << std::endl;
  } else {
    std::printf("campaign: %lld of %lld items done, %lld failed (%lld run now) in %.1f s; run directory %s\n",
                static_cast<long long>(s.done), static_cast<long long>(s.total), static_cast<long long>(s.failed),
                static_cast<long long>(s.ranHere), s.seconds, s.runDir.string().c_str());
    if (s.racedOut > 0)
      std::printf("racing: %lld items raced out (search.racing; never trained)\n", static_cast<long long>(s.racedOut));
    if (s.failed > 0)
      std::printf("see `hepsweep status %s` for the failures (exit status %d)\n", s.runDir.string().c_str(),
                  campaign::kFailedItemsExitCode);
  }
  return code;
}

}  // namespace

void setLinearAlgebraThreads(int threads) {
  if (threads < 1) throwConfig("--threads must be at least 1");
  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
}

int trainCommand(const Args& args, dist::Environment& env) {
  po::options_description opts(
      "usage: hepsweep train CAMPAIGN.toml [options]\n\n"
      "Train one signal-vs-background classifier, or every item (point x fold) of a campaign, as the\n"
      "campaign file describes (docs/campaign.md). A single training writes OUTPUT_DIR/result.h5\n"
      "(metrics, history, scores) and OUTPUT_DIR/model.h5, the model `apply` and `export` read;\n"
      "`aggregate OUTPUT_DIR` draws its report. A campaign fills the run directory OUTPUT_DIR and\n"
      "resumes when run again (docs/train.md).\n"
      "Under mpiexec, rank groups of resources.ranks_per_item ranks share the items.\n\noptions");
  std::vector<std::string> sets;
  int threads = 1;
  opts.add_options()
      ("help,h", "print this help and exit")
      ("help-options", "list every campaign key with its type, default and description")
      ("set", po::value(&sets)->composing()->value_name("KEY=VALUE"),
       "override a campaign key, e.g. --set train.epochs=30 --set model.widths=[64,64] (repeatable)")
      ("threads", po::value(&threads)->default_value(1)->value_name("N"),
       "threads one process uses for the linear algebra (OpenMP/Eigen)")
      ("json", "print the final summary as one JSON object on stdout (progress goes to stderr)")
      ("quiet,q", "no per-epoch progress")
      ("verbose,v", "also log data preparation details and, in campaigns, every item's start")
      ("items", po::value<std::string>()->value_name("I/N"),
       "campaigns: run only the I-th of N disjoint slices of the items (0 <= I < N), e.g. one Slurm array task each")
      ("fresh", "campaigns: discard what the run directory holds (results, checkpoints) and start again")
      ("retry-failed", "campaigns: run the items recorded as failed again");
  std::string campaignFile;
  po::variables_map vm;
  if (!parseArgs(args, opts, campaignFile, vm)) return 0;
  if (vm.count("help-options")) {
    std::cout << campaign::optionsHelp();
    return 0;
  }
  if (campaignFile.empty()) throwConfig("no campaign file given (usage: hepsweep train CAMPAIGN.toml)");
  setLinearAlgebraThreads(threads);

  const bool json = vm.count("json") > 0;
  std::FILE* progressOut = json ? stderr : stdout;
  const Logger log = Logger::toStderr(vm.count("verbose") ? LogLevel::Info : LogLevel::Warning);
  log.info("kernel: " + nn::kernelDescription());

  const campaign::CampaignConfig campaignCfg = campaign::loadCampaign(campaignFile, sets);
  // A [baseline] makes a campaign too: its items need the run directory's layout.
  const bool isCampaign = campaignCfg.cv.folds > 1 || campaignCfg.search.method != campaign::SearchMethod::None ||
                          campaignCfg.baseline.enabled || env.worldSize() > 1 || vm.count("items") || vm.count("fresh");
  if (isCampaign) return runCampaignCommand(campaignCfg, vm, json, log, env);
  // The result file stores the value of the campaign's objective (metrics/objective), as a
  // campaign item's does: aggregate ranks and labels by it (an "ams" objective read as -val_loss
  // showed a negative AMS).
  train::RunConfig cfg = campaignCfg.run;
  cfg.metrics.objective = campaignCfg.search.objective;
  const std::string configToml = campaign::toToml(campaignCfg);

  const auto t0 = std::chrono::steady_clock::now();
  const train::PreparedData data = train::prepareData(cfg, log);
  campaign::checkMultiClass(campaignCfg, data.classNames);
  if (const std::string w = train::weightImbalanceWarning(cfg, data); !w.empty()) log.warning(w);
  if (const std::string w = train::labelCopyWarning(data); !w.empty()) log.warning(w);
  train::Trainer trainer(cfg, data, log);
  ProgressLine progress(progressOut, cfg.train.epochs, vm.count("quiet") == 0);
  const train::TrainResult result = trainer.fit({&progress});

  const fs::path outDir(cfg.output.dir);
  std::error_code ec;
  fs::create_directories(outDir, ec);
  if (ec) throwIo("cannot create output directory '" + outDir.string() + "': " + ec.message());
  const fs::path resultPath = outDir / "result.h5";
  train::RunRecord record;
  record.configToml = configToml;
  record.commandLine = invocation();
  std::optional<train::ParameterMetrics> perValue;
  if (!cfg.data.parameter.empty()) {
    perValue = train::parameterMetrics(cfg, data, trainer.network());
    record.writeExtra = [&](const io::h5::File& f) { train::writeParameterMetrics(f, cfg, *perValue); };
  }
  train::writeResultFile(resultPath.string(), cfg, record, data, result, trainer.network());
  rundir::writeTextFile(outDir / "config.toml", configToml);
  // The model file of this one model, as aggregate writes a campaign's best point (one writer, one
  // format): what `apply` and `export` read, like Keras' model.save(). Its test scores are the
  // ones just computed (whatever output.scores keeps), so the data file is not read again.
  const fs::path modelPath = outDir / "model.h5";
  {
    model::FoldScores scores;
    scores.testRows.assign(data.test.rows.begin(), data.test.rows.end());
    scores.testLabels.assign(data.test.labels.data(), data.test.labels.data() + data.test.labels.size());
    scores.testWeights.assign(data.test.weights.data(), data.test.weights.data() + data.test.weights.size());
    scores.test.emplace_back(result.test.scores.data(), result.test.scores.data() + result.test.scores.size());
    if (!data.classNames.empty()) {
      scores.classNames = data.classNames;
      const Eigen::MatrixXf& p = result.test.probabilities;  // classes x events: events x classes row-major
      scores.testMulti.emplace_back(p.data(), p.data() + p.size());
    }
    model::writeModel(modelPath.string(), model::fromResultFiles({resultPath.string()}, &scores));
  }
  if (!data.classNames.empty()) {
    printMultiClass(cfg, data, result, resultPath, modelPath, outDir, json,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return 0;
  }
  const Significance significance = significanceOf(campaignCfg, data, resultPath);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (json) {
    nlohmann::ordered_json j;
    j["test_auc"] = result.test.auc;
    j["test_auc_weighted"] = result.test.aucWeighted;
    j["val_auc"] = result.val.auc;
    j["val_loss"] = result.val.loss;
    j["test_loss"] = result.test.loss;
    addRunSummary(j, result, data, wall);
    j["signal_efficiency"] = cfg.metrics.signalEfficiencies;
    j["background_efficiency"] = result.test.bkgEff;
    j["accuracy"] = result.test.confusion.accuracy();
    if (significance.shown) {
      j["ams"] = significance.values.ams;
      j["ams_threshold"] = significance.values.threshold;
      j["ams_signal"] = significance.values.signal;
      j["ams_background"] = significance.values.background;
      j["s_over_sqrt_b"] = significance.values.sOverSqrtB;
      j["ams_signal_efficiency"] = significance.values.signalEfficiency;
      j["ams_regularisation"] = significance.values.regularisation;
      if (!significance.values.note.empty()) j["ams_note"] = significance.values.note;
    }
    j["seed"] = cfg.seed;
    j["result"] = fs::absolute(resultPath).string();
    j["model"] = fs::absolute(modelPath).string();
    std::cout << j.dump() << std::endl;
  } else {
    std::printf("\ntest AUC %.4f (val AUC %.4f), best epoch %d of %d run%s\n", result.test.auc, result.val.auc,
                result.bestEpoch, result.epochsRun, result.stoppedEarly ? " (early stopping)" : "");
    // No test background passing is not a perfect rejection: eps_B < 1/N_B only, as the report says.
    long long testBackground = 0;
    for (Eigen::Index i = 0; i < data.test.labels.size(); ++i) testBackground += data.test.labels[i] == 0.0f;
    for (std::size_t i = 0; i < cfg.metrics.signalEfficiencies.size(); ++i) {
      const double eb = result.test.bkgEff[i];
      if (eb > 0)
        std::printf("  background efficiency at signal efficiency %.2f: %.4f (rejection %.1f)\n",
                    cfg.metrics.signalEfficiencies[i], eb, 1.0 / eb);
      else
        std::printf("  background efficiency at signal efficiency %.2f: 0 of %lld test background events pass "
                    "(< %.2g, rejection > %lld)\n",
                    cfg.metrics.signalEfficiencies[i], testBackground, 1.0 / static_cast<double>(std::max(testBackground, 1LL)),
                    testBackground);
    }
    std::printf("accuracy at threshold %.2f: %.4f\n", cfg.metrics.threshold, result.test.confusion.accuracy());
    if (significance.shown) {
      if (std::isfinite(significance.values.ams))
        std::printf("AMS %.4g (b_r = %g) at score >= %.4g: expected s = %.4g, b = %.4g, s/sqrt(b) = %.4g, signal "
                    "efficiency %.3f (test set, cut chosen on it: optimistic)\n",
                    significance.values.ams, significance.values.regularisation, significance.values.threshold, significance.values.signal,
                    significance.values.background, significance.values.sOverSqrtB, significance.values.signalEfficiency);
      else
        std::printf("AMS undefined on the test set%s%s\n", significance.values.note.empty() ? "" : ": ",
                    significance.values.note.c_str());
    }
    std::printf("%lld train / %lld val / %lld test events; training loop %.2f s (%.0f samples/s)\n",
                static_cast<long long>(data.train.size()), static_cast<long long>(data.val.size()),
                static_cast<long long>(data.test.size()), result.trainSeconds, result.samplesPerSecond);
    std::printf("result: %s\nmodel:  %s (for `hepsweep apply` and `hepsweep export`; `hepsweep aggregate %s` draws "
                "the report)\n",
                resultPath.string().c_str(), modelPath.string().c_str(), outDir.string().c_str());
  }
  return 0;
}

}  // namespace hepsweep::cli
