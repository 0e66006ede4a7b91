// `hepsweep submit slurm|condor CAMPAIGN.toml`: job files that run a campaign on a batch system.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/campaign/Options.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/submit/Condor.hpp"
#include "hepsweep/submit/Job.hpp"
#include "hepsweep/submit/Plan.hpp"
#include "hepsweep/submit/Slurm.hpp"
#include "hepsweep/submit/Templates.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hepsweep::cli {
namespace {

// Runs `script` with bash and returns its stdout; its stderr goes to ours.
std::string runScript(const fs::path& script) {
  const std::string command = "/bin/bash " + str::shellQuote(script.string());
  std::FILE* p = ::popen(command.c_str(), "r");
  if (!p) throwIo("cannot run " + script.string());
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = ::pclose(p);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    throwIo("submitting failed: " + script.string() + " exited with status " +
            std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : -1) + " (its messages are above); output:\n" + out);
  return out;
}

// --templates DIR, else $HEPSWEEP_TEMPLATES, else the built-in templates.
submit::Templates templatesFrom(const std::string& option) {
  if (!option.empty()) return submit::Templates::fromDirectory(option);
  const char* env = std::getenv("HEPSWEEP_TEMPLATES");
  if (env && *env) {
    try {
      return submit::Templates::fromDirectory(env);
    } catch (const Error& e) {
      throw Error(e.category(), std::string(e.what()) + " (from the environment variable HEPSWEEP_TEMPLATES)");
    }
  }
  return submit::Templates::builtIn();
}

// `hepsweep submit templates DIR`: the built-in templates as files, for a site to edit.
int writeTemplates(const Args& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: hepsweep submit templates DIR\n\n"
                 "Write the built-in job templates into DIR/jobs/, DIR/slurm/ and DIR/condor/ (DIR is created;\n"
                 "existing files are never overwritten). Edit them, then `hepsweep submit ... --templates DIR`\n"
                 "(or HEPSWEEP_TEMPLATES=DIR). See docs/submit.md, \"Templates\".\n";
    return 0;
  }
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-')
    throwConfig("usage: hepsweep submit templates DIR (one directory to write the built-in templates into)");
  for (const auto& p : submit::writeBuiltInTemplates(args[0])) std::printf("%s\n", p.string().c_str());
  return 0;
}

fs::path thisExecutable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throwIo("cannot find the hepsweep binary (/proc/self/exe): " + ec.message() + "; pass --hepsweep PATH");
  return p;
}

}  // namespace

int submitCommand(const Args& args, dist::Environment&) {
  po::options_description common(
      "usage: hepsweep submit slurm|condor CAMPAIGN.toml [options]\n"
      "       hepsweep submit templates DIR\n\n"
      "Write the job files that run a campaign on Slurm (a job array of `hepsweep train --items I/N`\n"
      "tasks, then `hepsweep aggregate` with the report) or HTCondor (submit descriptions and a DAG)\n"
      "into RUN_DIR/jobs/slurm/ or RUN_DIR/jobs/condor/, RUN_DIR being the campaign's output.dir as\n"
      "`hepsweep train` resolves it. Without --submit nothing is submitted (dry run). The files are\n"
      "filled from templates a site can edit (--templates DIR; `hepsweep submit templates DIR` writes\n"
      "the built-in ones). See docs/submit.md and docs/cluster.md.\n\noptions");
  std::vector<std::string> sets, setup, sbatchLines, condorLines;
  int slices = 0, ranks = 0, cpus = 1;
  std::int64_t pointsPerRound = 0;
  std::string memory, hepsweepPath, templatesDir, proposeMemory = "2G", aggregateMemory = "4G";
  common.add_options()
      ("help,h", "print this help and exit")
      ("set", po::value(&sets)->composing()->value_name("KEY=VALUE"),
       "override a campaign key, as for `hepsweep train` (repeatable; passed on to every job)")
      ("slices", po::value(&slices)->value_name("N"),
       "cut the items into N slices, one job each (default: one slice per item)")
      ("points-per-round", po::value(&pointsPerRound)->value_name("P"),
       "search.method = \"bayes\": points proposed per round after the initial design (default: "
       "search.initial_points); the jobs chain propose -> train array per round, then aggregate")
      ("only-missing", "resubmit only the slices holding items that are not done (pending, failed, killed); "
                       "failed items run again")
      ("submit", "submit the jobs (Slurm: sbatch; HTCondor: condor_submit_dag) and print the job ids; "
                 "without it only the files are written")
      ("json", "print one JSON object: run_dir, jobs_dir, files, slices and, with --submit, the job ids")
      ("ranks-per-task", po::value(&ranks)->value_name("R"),
       "MPI ranks of one slice's job (default: the campaign's resources.ranks_per_item)")
      ("cpus-per-task", po::value(&cpus)->default_value(1)->value_name("C"),
       "cores per rank; also `hepsweep train --threads`")
      ("memory", po::value(&memory)->value_name("MEM"),
       "memory per train job, e.g. 4G or 4000 (megabytes); Slurm --mem, HTCondor request_memory (default 2G there)")
      ("propose-memory", po::value(&proposeMemory)->default_value("2G")->value_name("MEM"),
       "memory of a Bayesian search's propose and observe jobs (and HTCondor's status node)")
      ("aggregate-memory", po::value(&aggregateMemory)->default_value("4G")->value_name("MEM"),
       "memory of the aggregate job (it reads the best point's test scores, not the training data)")
      ("setup", po::value(&setup)->composing()->value_name("LINE"),
       "a shell line run before hepsweep in every job, e.g. 'module load hdf5' or 'source /cvmfs/.../setup.sh' "
       "(repeatable, in order)")
      ("hepsweep", po::value(&hepsweepPath)->value_name("PATH"),
       "the hepsweep binary the jobs run (default: this one, by its absolute path)")
      ("templates", po::value(&templatesDir)->value_name("DIR"),
       "job templates (DIR/jobs/, DIR/slurm/, DIR/condor/) that replace the built-in ones where DIR has "
       "them (default: $HEPSWEEP_TEMPLATES when set)");

  po::options_description slurmOpts("Slurm (hepsweep submit slurm)");
  submit::SlurmOptions so;
  slurmOpts.add_options()
      ("partition", po::value(&so.partition)->value_name("NAME"), "sbatch --partition")
      ("account", po::value(&so.account)->value_name("NAME"), "sbatch --account")
      ("qos", po::value(&so.qos)->value_name("NAME"), "sbatch --qos")
      ("constraint", po::value(&so.constraint)->value_name("FEATURES"), "sbatch --constraint, e.g. 'haswell|skylake'")
      ("time", po::value(&so.time)->value_name("LIMIT"), "sbatch --time per train task, e.g. 2:00:00 or 1-00:00:00")
      ("propose-time", po::value(&so.proposeTime)->value_name("LIMIT"),
       "sbatch --time of a Bayesian search's propose jobs (default 30:00, or --time when shorter)")
      ("aggregate-time", po::value(&so.aggregateTime)->value_name("LIMIT"),
       "sbatch --time of the aggregate job (default 1:00:00, or --time when shorter)")
      ("max-array-size", po::value(&so.maxArraySize)->default_value(1001)->value_name("M"),
       "the cluster's MaxArraySize (scontrol show config): larger campaigns become several arrays")
      ("throttle", po::value(&so.throttle)->default_value(0)->value_name("K"),
       "at most K tasks of an array run at once (--array=...%K; 0: no limit)")
      ("signal-before", po::value(&so.signalSeconds)->default_value(300)->value_name("SECONDS"),
       "ask Slurm for SIGUSR1 this long before the time limit (--signal=B:USR1@SECONDS): the task "
       "checkpoints, stops and is requeued; 0 disables")
      ("sbatch", po::value(&sbatchLines)->composing()->value_name("OPTION"),
       "an extra #SBATCH line in the train script, e.g. --gres=gpu:1 (repeatable; lines for every script: slurm/site.sbatch in --templates)");

  po::options_description condorOpts("HTCondor (hepsweep submit condor)");
  submit::CondorOptions co;
  condorOpts.add_options()
      ("job-flavour", po::value(&co.jobFlavour)->value_name("NAME"),
       "CERN +JobFlavour: espresso, microcentury, longlunch, workday, tomorrow, testmatch or nextweek")
      ("requirements", po::value(&co.requirements)->value_name("EXPR"), "a ClassAd requirements expression")
      ("accounting-group", po::value(&co.accountingGroup)->value_name("GROUP"), "accounting_group")
      ("disk", po::value(&co.disk)->default_value("2G")->value_name("SIZE"), "request_disk per job")
      ("max-retries", po::value(&co.maxRetries)->default_value(3)->value_name("N"), "max_retries of each train job")
      ("dag-retry", po::value(&co.dagRetry)->default_value(1)->value_name("N"), "RETRY of each DAG node")
      ("transfer-files", "file-transfer mode: ship the campaign and its data file to the execute node and bring "
                         "the run directory back (default: a shared file system)")
      ("local-universe", "run the propose, observe, aggregate and status nodes in the local universe, on the "
                         "access point, without waiting for a slot (always so with --transfer-files)")
      ("condor-line", po::value(&condorLines)->composing()->value_name("'KEY = VALUE'"),
       "an extra submit command in every submit description (repeatable)");

  po::options_description all;
  all.add(common).add(slurmOpts).add(condorOpts);

  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << all << "\n";
    if (args.empty()) throwConfig("no batch system given (usage: hepsweep submit slurm|condor CAMPAIGN.toml)");
    return 0;
  }
  const std::string system = args[0];
  if (system == "templates") return writeTemplates(Args(args.begin() + 1, args.end()));
  if (system != "slurm" && system != "condor")
    throwConfig("unknown batch system " + str::quoted(system) +
                ": use `hepsweep submit slurm`, `hepsweep submit condor` or `hepsweep submit templates DIR`");
  std::string campaignFile;
  po::variables_map vm;
  if (!parseArgs(Args(args.begin() + 1, args.end()), all, campaignFile, vm)) return 0;
  if (campaignFile.empty()) throwConfig("no campaign file given (usage: hepsweep submit " + system + " CAMPAIGN.toml)");
  const char* otherOnly[] = {"partition", "account", "qos", "constraint", "time", "propose-time", "aggregate-time", "sbatch"};
  const char* condorOnly[] = {"job-flavour", "requirements", "accounting-group", "transfer-files", "local-universe",
                              "condor-line"};
  for (const char* o : system == "slurm" ? std::vector<const char*>(std::begin(condorOnly), std::end(condorOnly))
                                         : std::vector<const char*>(std::begin(otherOnly), std::end(otherOnly)))
    if (vm.count(o) && !vm[o].defaulted())
      throwConfig(std::string("--") + o + " is an option of `hepsweep submit " + (system == "slurm" ? "condor" : "slurm") + "`");

  const campaign::CampaignConfig c = campaign::loadCampaign(campaignFile, sets);
  submit::PlanRequest request;
  if (vm.count("slices")) request.slices = slices;
  if (vm.count("ranks-per-task")) request.ranksPerTask = ranks;
  if (vm.count("points-per-round")) request.pointsPerRound = pointsPerRound;
  request.onlyMissing = vm.count("only-missing") > 0;

  submit::CampaignJob job;
  job.hepsweep = vm.count("hepsweep") ? fs::path(hepsweepPath) : thisExecutable();
  if (!job.hepsweep.is_absolute() && job.hepsweep.has_parent_path()) job.hepsweep = fs::absolute(job.hepsweep);
  job.campaignFile = fs::absolute(campaignFile).lexically_normal();
  job.workDir = fs::current_path();
  job.runDir = fs::absolute(c.run.output.dir).lexically_normal();
  if (job.runDir.filename().empty()) job.runDir = job.runDir.parent_path();
  const submit::JobPlan plan = submit::planJobs(c, campaignFile, request, job.runDir);
  const bool bayes = plan.bayes;
  const std::int64_t itemCount = plan.itemCount;
  job.sets = sets;
  submit::applyPlan(plan, job);
  if (cpus < 1) throwConfig("--cpus-per-task must be at least 1");
  job.cpusPerTask = cpus;
  if (vm.count("memory")) job.memory = submit::normaliseMemory("--memory", memory);
  job.proposeMemory = submit::normaliseMemory("--propose-memory", proposeMemory);
  job.aggregateMemory = submit::normaliseMemory("--aggregate-memory", aggregateMemory);
  job.setup = setup;
  job.dataFile = fs::absolute(c.run.data.file).lexically_normal();
  co.transferFiles = vm.count("transfer-files") > 0;
  co.localUniverse = vm.count("local-universe") > 0;
  co.extraLines = condorLines;
  so.sbatchLines = sbatchLines;

  const bool json = vm.count("json") > 0;
  nlohmann::ordered_json j;
  j["system"] = system;
  j["run_dir"] = job.runDir.string();
  if (job.slices.empty()) {
    if (json) {
      j["slices"] = nlohmann::json::array();
      j["message"] = "every item is done";
      std::cout << j.dump() << std::endl;
    } else {
      std::printf("every item of %s is done: nothing to resubmit (`hepsweep status %s`)\n", job.runDir.string().c_str(),
                  job.runDir.string().c_str());
    }
    return 0;
  }

  const fs::path jobsDir = job.runDir / "jobs" / system;
  const submit::Templates templates = templatesFrom(vm.count("templates") ? templatesDir : std::string());
  const std::vector<submit::GeneratedFile> files = system == "slurm"
                                                       ? submit::slurmFiles(job, so, jobsDir, templates)
                                                       : submit::condorFiles(job, co, c, jobsDir, templates);
  submit::writeGenerated(jobsDir, files);
  std::error_code ec;
  fs::create_directories(jobsDir / "logs", ec);
  if (ec) throwIo("cannot create '" + (jobsDir / "logs").string() + "': " + ec.message());

  j["jobs_dir"] = jobsDir.string();
  j["files"] = nlohmann::json::array();
  for (const auto& f : files) j["files"].push_back((jobsDir / f.name).string());
  j["slices"] = job.slices;
  j["slice_count"] = job.sliceCount;
  j["items"] = itemCount;
  if (bayes) {
    nlohmann::ordered_json rounds = nlohmann::ordered_json::array();
    for (const auto& r : job.rounds) rounds.push_back({{"points", r.totalPoints}, {"slices", r.slices}});
    j["rounds"] = rounds;
  }

  if (!json) {
    std::printf("%s: %zu of %d slices (%lld items) for %s; files in %s:\n", system.c_str(), job.slices.size(),
                job.sliceCount, static_cast<long long>(itemCount), job.runDir.string().c_str(), jobsDir.string().c_str());
    for (const auto& f : files) std::printf("  %s\n", f.name.c_str());
    if (bayes)
      std::printf("Bayesian search: %zu rounds (propose -> train), %lld initial points then %lld per round, budget %lld\n",
                  job.rounds.size(), static_cast<long long>(plan.initialPoints), static_cast<long long>(plan.pointsPerRound),
                  static_cast<long long>(*c.search.budget));
  }
  if (vm.count("submit")) {
    const std::string out = runScript(jobsDir / "submit.sh");
    if (system == "slurm") {
      std::vector<std::string> trainIds, proposeIds;
      std::string aggregateId;
      for (const auto& line : str::split(out, '\n')) {
        if (str::startsWith(line, "propose ")) proposeIds.push_back(line.substr(8));
        if (str::startsWith(line, "train ")) trainIds.push_back(line.substr(6));
        if (str::startsWith(line, "aggregate ")) aggregateId = line.substr(10);
      }
      j["train_jobs"] = trainIds;
      if (bayes) j["propose_jobs"] = proposeIds;
      j["aggregate_job"] = aggregateId;
      if (!json)
        std::printf("submitted: train array job%s %s; aggregate job %s (runs after they all end)\n",
                    trainIds.size() > 1 ? "s" : "", str::join(trainIds, " ").c_str(), aggregateId.c_str());
    } else {
      j["condor_submit_dag"] = out;
      if (!json) std::printf("%s", out.c_str());
    }
  } else if (!json) {
    std::printf("dry run: submit with %s (or run this command again with --submit)\n",
                str::shellQuote((jobsDir / "submit.sh").string()).c_str());
  }
  if (json) std::cout << j.dump() << std::endl;
  return 0;
}

}  // namespace hepsweep::cli
