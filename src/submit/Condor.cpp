#include "hepsweep/submit/Condor.hpp"

#include <algorithm>
#include <array>

#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"

namespace fs = std::filesystem;

namespace hepsweep::submit {
namespace {

std::string escapeDollar(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '$') out += "$(DOLLAR)";
    else out += ch;
  }
  return out;
}

// CERN's job flavours (batchdocs.web.cern.ch, "Job flavours").
constexpr std::array<std::string_view, 7> kFlavours = {"espresso", "microcentury", "longlunch", "workday",
                                                        "tomorrow", "testmatch", "nextweek"};

// transfer_input_files is split on commas with no escape (condor_submit, "transfer_input_files").
std::string transferPath(std::string_view what, const fs::path& p) {
  const std::string s = p.string();
  if (s.find(',') != std::string::npos)
    throwConfig(std::string(what) + " cannot contain a comma in HTCondor's file-transfer mode (transfer_input_files "
                "is a comma-separated list without escapes): " + str::quoted(s));
  return condorValue(what, s);
}

}  // namespace

std::string condorArgument(std::string_view arg) {
  checkOneLine("an HTCondor argument", arg);
  if (arg.empty()) return "''";
  const bool group = arg.find_first_of(" \t'\"") != std::string_view::npos;
  std::string out = group ? "'" : "";
  for (char ch : arg) {
    if (ch == '"') out += "\"\"";
    else if (ch == '\'') out += "''";
    else if (ch == '$') out += "$(DOLLAR)";
    else out += ch;
  }
  if (group) out += "'";
  return out;
}

std::string condorArguments(std::span<const std::string> args) {
  std::string out = "\"";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i) out += ' ';
    out += condorArgument(args[i]);
  }
  return out + "\"";
}

std::string condorValue(std::string_view what, std::string_view value) {
  checkOneLine(what, value);
  if (value.empty() || value != str::trim(value))
    throwConfig(std::string(what) + " cannot be empty or start or end with blanks in an HTCondor submit file, got " +
                str::quoted(value));
  return escapeDollar(value);
}

std::vector<GeneratedFile> condorFiles(const CampaignJob& job, const CondorOptions& o,
                                       const campaign::CampaignConfig& campaign, const fs::path& jobsDir,
                                       const Templates& templates) {
  if (!o.jobFlavour.empty() && std::find(kFlavours.begin(), kFlavours.end(), o.jobFlavour) == kFlavours.end())
    throwConfig("--job-flavour must be one of espresso, microcentury, longlunch, workday, tomorrow, testmatch, "
                "nextweek (CERN's flavours), got " + str::quoted(o.jobFlavour));
  if (!o.requirements.empty()) checkOneLine("--requirements", o.requirements);
  if (!o.accountingGroup.empty() &&
      o.accountingGroup.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos)
    throwConfig("--accounting-group must be made of letters, digits and _.-, got " + str::quoted(o.accountingGroup));
  const std::string disk = normaliseMemory("--disk", o.disk);
  if (o.maxRetries < 0 || o.dagRetry < 0) throwConfig("--max-retries and --dag-retry must be 0 or more");
  for (const auto& line : o.extraLines) {
    checkOneLine("--condor-line", line);
    const auto eq = line.find('=');
    if (eq == std::string::npos || str::trim(line.substr(0, eq)).empty() ||
        str::startsWith(str::trim(line), "queue") || str::startsWith(str::trim(line), "#"))
      throwConfig("--condor-line takes one submit command 'key = value' (no queue statement), got " + str::quoted(line));
  }
  for (const auto& line : job.setup) checkOneLine("--setup", line);
  if (job.slices.empty()) throwConfig("no slice to submit");
  if (job.ranksPerTask < 1 || job.cpusPerTask < 1) throwConfig("--ranks-per-task and --cpus-per-task must be at least 1");
  if (o.transferFiles && !job.rounds.empty())
    throwConfig("--transfer-files is not available for a Bayesian search (search.method = \"bayes\"): its rounds "
                "propose points from the results in the run directory, which needs a shared file system");

  const std::string jobs = condorValue("the jobs directory", jobsDir.string());
  const std::string hepsweep = job.hepsweep.string();
  const std::string runDir = job.runDir.string();
  checkOneLine("the run directory", runDir);

  std::vector<std::string> siteOptions;
  if (!o.jobFlavour.empty()) siteOptions.push_back("+JobFlavour = \"" + o.jobFlavour + "\"");
  if (!o.requirements.empty()) siteOptions.push_back("requirements = " + o.requirements);
  if (!o.accountingGroup.empty()) siteOptions.push_back("accounting_group = " + o.accountingGroup);
  for (const auto& line : o.extraLines) siteOptions.push_back(std::string(str::trim(line)));
  std::string site = templates.fill("condor/site.sub", {});
  if (!site.empty() && site.back() == '\n') site.pop_back();
  const std::string memory = job.memory.empty() ? std::string("2G") : job.memory;
  const TemplateValues common{
      {"GENERATED", "# Generated by `hepsweep submit condor` (hepsweep " + versionShort() + ")."},
      {"JOBS_DIR", jobs},
      {"LOGS_DIR", jobs + "/logs"},
      {"REQUEST_MEMORY", memory},
      {"REQUEST_DISK", disk},
      {"SITE_OPTIONS", str::join(siteOptions, "\n")},
      {"SITE_SUBMIT", site},
      {"SLICE_COUNT", std::to_string(job.sliceCount)},
  };
  const auto with = [&](TemplateValues extra) {
    extra.insert(common.begin(), common.end());
    return extra;
  };

  // ---- train.sub
  CampaignJob trainJob = job;
  std::string campaignArg = job.campaignFile.string();
  std::string initialDir = condorValue("the working directory", job.workDir.string());
  std::vector<GeneratedFile> files;
  std::string transfer = "should_transfer_files = NO";
  if (o.transferFiles) {
    // The execute node gets the resolved campaign (overrides applied) with its data file and run
    // directory next to it, and sends the run directory back into the run directory's parent.
    campaign::CampaignConfig remote = campaign;
    remote.run.data.file = job.dataFile.filename().string();
    remote.run.output.dir = job.runDir.filename().string();
    files.push_back({"campaign.toml", campaign::toToml(remote), false});
    trainJob.sets.clear();
    campaignArg = "campaign.toml";
    initialDir = condorValue("the run directory's parent", job.runDir.parent_path().string());
    transfer = "should_transfer_files = YES\nwhen_to_transfer_output = ON_EXIT_OR_EVICT\ntransfer_input_files = " +
               transferPath("the jobs directory", jobsDir / "campaign.toml") + ", " +
               transferPath("data.file", job.dataFile) + "\ntransfer_output_files = " +
               condorValue("the run directory's name", job.runDir.filename().string());
  }
  // Encoded arguments: each literal goes through condorArgument; the slice is HTCondor's $(Slice).
  std::vector<std::string> trainArgv{hepsweep};
  for (auto& x : trainArguments(trainJob, campaignArg, "SLICE")) trainArgv.push_back(x);
  const std::size_t itemsAt =
      static_cast<std::size_t>(std::find(trainArgv.begin(), trainArgv.end(), "--items") - trainArgv.begin()) + 1;
  std::string trainArguments = "\"";
  for (std::size_t i = 0; i < trainArgv.size(); ++i) {
    if (i) trainArguments += ' ';
    trainArguments += i == itemsAt ? "$(Slice)/" + std::to_string(job.sliceCount) : condorArgument(trainArgv[i]);
  }
  trainArguments += "\"";
  const auto trainSub = [&](const std::vector<int>& slices) {
    std::vector<std::string> lines;
    for (int s : slices) lines.push_back(std::to_string(s));
    return templates.fill("condor/train.sub",
                          with({{"FILE_SYSTEM", o.transferFiles ? "file-transfer mode" : "shared file system"},
                                {"TRAIN_ARGUMENTS", trainArguments},
                                {"INITIAL_DIR", initialDir},
                                {"ENVIRONMENT", "\"OMP_NUM_THREADS=" + std::to_string(job.cpusPerTask) + "\""},
                                {"TRANSFER", transfer},
                                {"REQUEST_CPUS", std::to_string(job.ranksPerTask * job.cpusPerTask)},
                                {"MAX_RETRIES", std::to_string(o.maxRetries)},
                                {"SLICES", str::join(lines, "\n")}}));
  };

  // ---- the one-job descriptions: on the access point in file-transfer mode (local universe),
  // where the results came back.
  const bool local = o.transferFiles || o.localUniverse;
  const auto single = [&](const std::string& description, const std::vector<std::string>& argv,
                          const std::string& logName, const std::string& memory) {
    return templates.fill("condor/single.sub",
                          with({{"DESCRIPTION", description},
                                {"UNIVERSE", local ? "local" : "vanilla"},
                                {"ARGUMENTS", condorArguments(argv)},
                                {"INITIAL_DIR", condorValue("the working directory", job.workDir.string())},
                                {"TRANSFER", local ? "" : "should_transfer_files = NO"},
                                {"LOG_NAME", logName},
                                {"REQUEST_MEMORY", memory}}));
  };
  const auto withBinary = [&](const std::vector<std::string>& args) {
    std::vector<std::string> a{hepsweep};
    a.insert(a.end(), args.begin(), args.end());
    return a;
  };
  const std::string dagRetry = std::to_string(o.dagRetry);
  if (job.rounds.empty()) files.push_back({"train.sub", trainSub(job.slices), false});
  files.push_back({"aggregate.sub",
                   single("# Aggregates the results and writes the report; failed or missing items are listed.",
                          withBinary(aggregateArguments(job)), "aggregate", job.aggregateMemory),
                   false});
  files.push_back({"status.sub",
                   single("# The DAG's FINAL node: records which items are done, failed or missing, even when a\n"
                          "# node failed (the output file is logs/status.out).",
                          withBinary(statusArguments(job)), "status", job.proposeMemory),
                   false});

  if (!job.rounds.empty()) {
    // A Bayesian search: per round a propose node, then a train node over the round's slices.
    std::string roundJobs, edges;
    for (std::size_t r = 0; r < job.rounds.size(); ++r) {
      const SearchRound& round = job.rounds[r];
      const std::string n = std::to_string(r + 1);
      files.push_back({"train-" + n + ".sub", trainSub(round.slices), false});
      files.push_back({"propose-" + n + ".sub",
                       single("# Round " + n + " of " + std::to_string(job.rounds.size()) + ": brings the search to " +
                                  std::to_string(round.totalPoints) + " points proposed in all.",
                              withBinary(proposeArguments(job, job.campaignFile.string(), std::to_string(round.totalPoints))),
                              "propose-" + n, job.proposeMemory),
                       false});
      roundJobs += "JOB propose" + n + " propose-" + n + ".sub\nJOB train" + n + " train-" + n + ".sub\n";
      edges += "RETRY propose" + n + " " + dagRetry + "\nRETRY train" + n + " " + dagRetry + "\nPARENT propose" + n +
               " CHILD train" + n + "\n";
      edges += "PARENT train" + n + " CHILD " +
               (r + 1 < job.rounds.size() ? "propose" + std::to_string(r + 2) : std::string("observe")) + "\n";
    }
    roundJobs.pop_back();
    edges.pop_back();
    // The last round's points are observed (search.h5) once their items have ended.
    files.push_back(
        {"observe.sub",
         single("# Observes the last round's points in search.h5 (proposes nothing more).",
                withBinary(proposeArguments(job, job.campaignFile.string(), std::to_string(job.rounds.back().totalPoints))),
                "observe", job.proposeMemory),
         false});
    files.push_back({"campaign.dag",
                     templates.fill("condor/search.dag",
                                    with({{"ROUND_JOBS", roundJobs}, {"ROUND_EDGES", edges}, {"DAG_RETRY", dagRetry}})),
                     false});
  } else {
    files.push_back({"campaign.dag", templates.fill("condor/campaign.dag", with({{"DAG_RETRY", dagRetry}})), false});
  }

  // ---- job.sh
  const std::string mpi =
      job.ranksPerTask > 1
          ? "# train runs under mpirun with " + std::to_string(job.ranksPerTask) + " ranks inside this one slot.\n"
                "if [ \"${2:-}\" = train ]; then\n  exec mpirun -n " + std::to_string(job.ranksPerTask) + " \"$@\"\nfi"
          : std::string();
  files.push_back({"job.sh", templates.fill("jobs/job.sh", with({{"SETUP", str::join(job.setup, "\n")}, {"MPI_LAUNCH", mpi}})),
                   true});

  files.push_back({"submit.sh", templates.fill("condor/submit.sh", with({{"JOBS_DIR", str::shellQuote(jobsDir.string())}})),
                   true});
  return files;
}

}  // namespace hepsweep::submit
