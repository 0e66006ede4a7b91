#include "hepsweep/submit/Slurm.hpp"

#include <algorithm>

#include "hepsweep/campaign/Campaign.hpp"
#include "hepsweep/core/Error.hpp"
#include "hepsweep/core/Strings.hpp"
#include "hepsweep/core/Version.hpp"

namespace fs = std::filesystem;

namespace hepsweep::submit {
namespace {

// #SBATCH lines are split on blanks by sbatch and never shell-expanded: a value outside this set
// could change the meaning of the line, so it is refused rather than quoted.
void checkSlurmWord(const char* option, const std::string& value, std::string_view extra) {
  const std::string allowed = std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") + std::string(extra);
  if (value.empty() || value.find_first_not_of(allowed) != std::string::npos)
    throwConfig(std::string(option) + " must be made of letters, digits and " + std::string("_.-") + std::string(extra) +
                " (it goes on an #SBATCH line), got " + str::quoted(value));
}

// A job name Slurm shows in squeue: the run directory's name with anything unusual replaced.
std::string jobName(const fs::path& runDir) {
  std::string n = runDir.filename().string();
  if (n.empty()) n = runDir.parent_path().filename().string();
  for (auto& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.') ch = '_';
  if (n.size() > 40) n.resize(40);
  return n.empty() ? std::string("campaign") : n;
}

}  // namespace

std::vector<ArrayChunk> splitIntoArrays(const std::vector<int>& slices, int maxArraySize) {
  if (maxArraySize < 1) throwConfig("--max-array-size must be at least 1, got " + std::to_string(maxArraySize));
  std::vector<ArrayChunk> out;
  for (int s : slices) {
    const int offset = s / maxArraySize * maxArraySize;
    if (out.empty() || out.back().offset != offset) out.push_back({offset, {}});
    out.back().indices.push_back(s - offset);
  }
  return out;
}

std::string arraySpec(const std::vector<int>& indices, int throttle) {
  std::string s;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!s.empty()) s += ',';
    s += std::to_string(indices[i]);
    if (j > i) s += "-" + std::to_string(indices[j]);
    i = j + 1;
  }
  if (throttle > 0) s += "%" + std::to_string(throttle);
  return s;
}

long slurmTimeSeconds(const std::string& time) {
  // MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS (sbatch(1), --time).
  const auto bad = [&]() -> long {
    throwConfig("--time expects Slurm's syntax MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, got " + str::quoted(time));
  };
  if (time.empty() || time.find_first_not_of("0123456789:-") != std::string::npos) return bad();
  long days = 0;
  std::string rest = time;
  const auto dash = time.find('-');
  if (dash != std::string::npos) {
    if (dash == 0 || dash > 4) return bad();
    days = std::stol(time.substr(0, dash));
    rest = time.substr(dash + 1);
  }
  std::vector<long> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = rest.find(':', start);
    const std::string field = rest.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (field.empty() || field.size() > 6 || field.find('-') != std::string::npos) return bad();
    parts.push_back(std::stol(field));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3) return bad();
  if (dash != std::string::npos) {  // D-HH[:MM[:SS]]
    while (parts.size() < 3) parts.push_back(0);
    return ((days * 24 + parts[0]) * 60 + parts[1]) * 60 + parts[2];
  }
  if (parts.size() == 1) return parts[0] * 60;
  if (parts.size() == 2) return parts[0] * 60 + parts[1];
  return (parts[0] * 60 + parts[1]) * 60 + parts[2];
}

std::vector<GeneratedFile> slurmFiles(const CampaignJob& job, const SlurmOptions& o, const fs::path& jobsDir,
                                      const Templates& templates) {
  if (!o.partition.empty()) checkSlurmWord("--partition", o.partition, ",");
  if (!o.account.empty()) checkSlurmWord("--account", o.account, "");
  if (!o.qos.empty()) checkSlurmWord("--qos", o.qos, "");
  if (!o.constraint.empty()) checkSlurmWord("--constraint", o.constraint, "&|[]*:,!()=+");
  if (o.throttle < 0) throwConfig("--throttle must be 0 (no limit) or more, got " + std::to_string(o.throttle));
  if (o.signalSeconds < 0 || o.signalSeconds > 65535)
    throwConfig("--signal-before must be between 0 and 65535 seconds (Slurm's limit), got " + std::to_string(o.signalSeconds));
  if (!o.time.empty()) {
    const long limit = slurmTimeSeconds(o.time);
    if (o.signalSeconds > 0 && o.signalSeconds >= limit)
      throwConfig("--signal-before " + std::to_string(o.signalSeconds) + " s is not shorter than --time " + o.time +
                  " (" + std::to_string(limit) + " s): each task would stop right after its first epoch");
  }
  // The light jobs' limits: their own, or the defaults unless the train jobs' limit is shorter.
  const auto lightTime = [&](const char* option, const std::string& asked, const char* fallback) {
    if (!asked.empty()) {
      try {
        slurmTimeSeconds(asked);
      } catch (const Error& e) {
        throwConfig(std::string(option) + ": " + e.what());
      }
      return asked;
    }
    return !o.time.empty() && slurmTimeSeconds(o.time) < slurmTimeSeconds(fallback) ? o.time : std::string(fallback);
  };
  const std::string proposeTime = lightTime("--propose-time", o.proposeTime, kProposeTime);
  const std::string aggregateTime = lightTime("--aggregate-time", o.aggregateTime, kAggregateTime);
  for (const auto& line : o.sbatchLines) {
    checkOneLine("--sbatch", line);
    if (line.empty() || line[0] != '-')
      throwConfig("--sbatch takes one sbatch option such as --gres=gpu:1 (it becomes an #SBATCH line), got " + str::quoted(line));
  }
  for (const auto& line : job.setup) checkOneLine("--setup", line);
  if (job.slices.empty()) throwConfig("no slice to submit");
  if (job.ranksPerTask < 1 || job.cpusPerTask < 1) throwConfig("--ranks-per-task and --cpus-per-task must be at least 1");

  const std::string name = jobName(job.runDir);
  const std::string hs = str::shellQuote(job.hepsweep.string());
  const auto quoted = [](const std::vector<std::string>& argv) {
    std::vector<std::string> q;
    for (const auto& a : argv) q.push_back(str::shellQuote(a));
    return str::join(q, " ");
  };

  // Values shared by every script; each job adds its own.
  const auto sbatch = [](const std::string& option, const std::string& value) {
    return value.empty() ? std::string() : "#SBATCH " + option + "=" + value;
  };
  std::vector<std::string> queue;
  const std::vector<std::pair<std::string, std::string>> queueOptions{
      {"--partition", o.partition}, {"--account", o.account}, {"--qos", o.qos}};
  for (const auto& [option, value] : queueOptions)
    if (!value.empty()) queue.push_back(sbatch(option, value));
  std::string siteLines;
  {
    const std::string site = templates.fill("slurm/site.sbatch", {});
    siteLines = site.empty() || site.back() != '\n' ? site : site.substr(0, site.size() - 1);
  }
  // Every job runs hepsweep through the common wrapper (jobs/job.sh: the --setup lines, then exec).
  const std::string wrapper = str::shellQuote((jobsDir / "job.sh").string());
  const TemplateValues common{
      {"GENERATED", "# Generated by `hepsweep submit slurm` (hepsweep " + versionShort() + ")."},
      {"NAME", name},
      {"SBATCH_QUEUE", str::join(queue, "\n")},
      {"SBATCH_CONSTRAINT", sbatch("--constraint", o.constraint)},
      {"SITE_SBATCH", siteLines},
      {"WORK_DIR", str::shellQuote(job.workDir.string())},
      {"JOB_WRAPPER", wrapper},
      {"HEPSWEEP", hs},
      {"JOBS_DIR", str::shellQuote(jobsDir.string())},
      {"SLICE_COUNT", std::to_string(job.sliceCount)},
  };
  const auto with = [&](TemplateValues extra) {
    extra.insert(common.begin(), common.end());
    return extra;
  };

  // The train arguments, with the slice left to the shell.
  const auto argv = trainArguments(job, job.campaignFile.string(), "SLICE");
  const std::size_t itemsAt = static_cast<std::size_t>(std::find(argv.begin(), argv.end(), "--items") - argv.begin()) + 1;
  std::vector<std::string> trainArgs;
  for (std::size_t i = 0; i < argv.size(); ++i)
    trainArgs.push_back(i == itemsAt ? "\"$slice\"/" + std::to_string(job.sliceCount) : str::shellQuote(argv[i]));
  std::vector<std::string> extra;
  for (const auto& line : o.sbatchLines) extra.push_back("#SBATCH " + line);
  const std::string train = templates.fill(
      "slurm/train.sh",
      with({{"SBATCH_TIME", sbatch("--time", o.time)},
            {"SBATCH_MEMORY", sbatch("--mem", job.memory)},
            {"RANKS", std::to_string(job.ranksPerTask)},
            {"CPUS_PER_TASK", std::to_string(job.cpusPerTask)},
            {"SBATCH_SIGNAL", o.signalSeconds > 0 ? "#SBATCH --signal=B:USR1@" + std::to_string(o.signalSeconds) : ""},
            {"SBATCH_LINES", str::join(extra, "\n")},
            {"LAUNCHER", job.ranksPerTask > 1 ? "srun --mpi=pmix --ntasks=" + std::to_string(job.ranksPerTask) + " " : ""},
            {"TRAIN_ARGUMENTS", str::join(trainArgs, " ")},
            {"INTERRUPTED", std::to_string(campaign::kInterruptedExitCode)}}));

  // The last round's points are observed (search.h5) once their items have ended.
  const std::string observe =
      job.rounds.empty()
          ? std::string()
          : wrapper + " " + hs + " " +
                quoted(proposeArguments(job, job.campaignFile.string(), std::to_string(job.rounds.back().totalPoints)));
  const std::string aggregate = templates.fill("slurm/aggregate.sh", with({{"SBATCH_TIME", sbatch("--time", aggregateTime)},
                                                                            {"SBATCH_MEMORY", sbatch("--mem", job.aggregateMemory)},
                                                                            {"OBSERVE_COMMAND", observe},
                                                                            {"STATUS_ARGUMENTS", quoted(statusArguments(job))},
                                                                            {"AGGREGATE_ARGUMENTS", quoted(aggregateArguments(job))}}));

  const std::string jobWrapper =
      templates.fill("jobs/job.sh", with({{"SETUP", str::join(job.setup, "\n")}, {"MPI_LAUNCH", ""}}));

  if (job.rounds.empty()) {
    std::string arrays;
    for (const auto& chunk : splitIntoArrays(job.slices, o.maxArraySize))
      arrays += "id=$(sbatch --parsable --array=" + arraySpec(chunk.indices, o.throttle) + " train.sh " +
                std::to_string(chunk.offset) + ")\nid=${id%%;*}\ntrain_ids+=(\"$id\")\necho \"train $id\"\n";
    arrays.pop_back();
    const std::string submit = templates.fill("slurm/submit.sh", with({{"SUBMIT_ARRAYS", arrays}}));
    return {{"train.sh", train, true}, {"aggregate.sh", aggregate, true}, {"job.sh", jobWrapper, true},
            {"submit.sh", submit, true}};
  }

  // A Bayesian search: propose -> train array(s) per round, each step after the previous one.
  std::string proposeArgs;
  for (const auto& a : proposeArguments(job, job.campaignFile.string(), "TOTAL"))
    proposeArgs += (proposeArgs.empty() ? "" : " ") + (a == "TOTAL" ? std::string("\"$1\"") : str::shellQuote(a));
  const std::string propose = templates.fill("slurm/propose.sh", with({{"SBATCH_TIME", sbatch("--time", proposeTime)},
                                                                        {"SBATCH_MEMORY", sbatch("--mem", job.proposeMemory)},
                                                                        {"PROPOSE_ARGUMENTS", proposeArgs}}));

  std::string rounds;
  for (std::size_t r = 0; r < job.rounds.size(); ++r) {
    const SearchRound& round = job.rounds[r];
    rounds += "# round " + std::to_string(r + 1) + " of " + std::to_string(job.rounds.size()) + ": " +
              std::to_string(round.totalPoints) + " points in all\n"
              "id=$(sbatch --parsable ${after:+--dependency=afterany$after --kill-on-invalid-dep=yes} propose.sh " +
              std::to_string(round.totalPoints) + ")\nid=${id%%;*}\necho \"propose $id\"\n"
              "proposal=$id\nafter=\n";
    for (const auto& chunk : splitIntoArrays(round.slices, o.maxArraySize))
      rounds += "id=$(sbatch --parsable --dependency=afterok:$proposal --kill-on-invalid-dep=yes --array=" + arraySpec(chunk.indices, o.throttle) +
                " train.sh " + std::to_string(chunk.offset) + ")\nid=${id%%;*}\nafter=\"$after:$id\"\necho \"train $id\"\n";
  }
  rounds.pop_back();
  const std::string chain = templates.fill("slurm/submit-search.sh", with({{"SUBMIT_ROUNDS", rounds}}));
  return {{"train.sh", train, true},    {"propose.sh", propose, true}, {"aggregate.sh", aggregate, true},
          {"job.sh", jobWrapper, true}, {"submit.sh", chain, true}};
}

}  // namespace hepsweep::submit
