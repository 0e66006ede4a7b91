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

std::string header(const SlurmOptions& o, const std::string& name, const std::string& log) {
  std::string s = "#SBATCH --job-name=" + name + "\n#SBATCH --output=" + log + "\n";
  if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
  if (!o.account.empty()) s += "#SBATCH --account=" + o.account + "\n";
  if (!o.qos.empty()) s += "#SBATCH --qos=" + o.qos + "\n";
  if (!o.time.empty()) s += "#SBATCH --time=" + o.time + "\n";
  return s;
}

std::string setupLines(const CampaignJob& job) {
  std::string s;
  for (const auto& line : job.setup) s += line + "\n";
  return s;
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

std::vector<GeneratedFile> slurmFiles(const CampaignJob& job, const SlurmOptions& o, const fs::path& jobsDir) {
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
  const std::string cd = "cd -- " + str::shellQuote(job.workDir.string()) + " || exit 1\n";
  const std::string generated = "# Generated by `hepsweep submit slurm` (hepsweep " + versionString() + ").\n";

  // The train command, with the slice left to the shell.
  const auto argv = trainArguments(job, job.campaignFile.string(), "SLICE");
  const std::size_t itemsAt = static_cast<std::size_t>(std::find(argv.begin(), argv.end(), "--items") - argv.begin()) + 1;
  std::string trainCmd;
  for (std::size_t i = 0; i < argv.size(); ++i)
    trainCmd += " " + (i == itemsAt ? "\"$slice\"/" + std::to_string(job.sliceCount) : str::shellQuote(argv[i]));
  const std::string launcher =
      job.ranksPerTask > 1 ? "srun --mpi=pmix --ntasks=" + std::to_string(job.ranksPerTask) + " " : std::string();
  const std::string interrupted = std::to_string(campaign::kInterruptedExitCode);

  std::string train = "#!/bin/bash\n" + generated +
      "# One array task trains slice OFFSET + SLURM_ARRAY_TASK_ID of " + std::to_string(job.sliceCount) +
      " (hepsweep train --items I/N);\n"
      "# submit.sh passes OFFSET as the first argument (arrays are split at MaxArraySize).\n" +
      header(o, "hepsweep-train-" + name, "logs/train-%A_%a.out") +
      "#SBATCH --ntasks=" + std::to_string(job.ranksPerTask) + "\n#SBATCH --cpus-per-task=" + std::to_string(job.cpusPerTask) + "\n";
  if (!job.memory.empty()) train += "#SBATCH --mem=" + job.memory + "\n";
  if (!o.constraint.empty()) train += "#SBATCH --constraint=" + o.constraint + "\n";
  train += "#SBATCH --requeue\n#SBATCH --open-mode=append\n";
  if (o.signalSeconds > 0) train += "#SBATCH --signal=B:USR1@" + std::to_string(o.signalSeconds) + "\n";
  for (const auto& line : o.sbatchLines) train += "#SBATCH " + line + "\n";
  train += "set -u\n" + cd + setupLines(job) +
      "slice=$(( ${1:-0} + SLURM_ARRAY_TASK_ID ))\n"
      "echo \"hepsweep: slice $slice of " + std::to_string(job.sliceCount) +
      ", job ${SLURM_JOB_ID}, restart ${SLURM_RESTART_COUNT:-0}, host $(hostname)\"\n"
      "# Slurm signals only this shell (B:); hepsweep gets the signal, finishes the epoch it is in,\n"
      "# keeps its checkpoint and exits with status " + interrupted + ". USR1 means the time limit is near:\n"
      "# the task is then requeued and resumes from the checkpoint. TERM (scancel) only stops it.\n"
      "walltime=0\nchild=\n"
      "trap 'walltime=1; [ -n \"$child\" ] && kill -USR1 \"$child\"' USR1\n"
      "trap '[ -n \"$child\" ] && kill -TERM \"$child\"' TERM\n" +
      launcher + hs + trainCmd + " &\n"
      "child=$!\n"
      "wait \"$child\"; status=$?\n"
      "# wait returns early when a trapped signal arrives: wait again until hepsweep has exited.\n"
      "while kill -0 \"$child\" 2>/dev/null; do wait \"$child\"; status=$?; done\n"
      "if [ \"$status\" -eq " + interrupted + " ] && [ \"$walltime\" -eq 1 ]; then\n"
      "  echo \"hepsweep: slice $slice stopped at a checkpoint before the time limit; requeueing job $SLURM_JOB_ID\"\n"
      "  scontrol requeue \"$SLURM_JOB_ID\"\n"
      "  exit 0\n"
      "fi\n"
      "exit \"$status\"\n";

  const std::string runDir = str::shellQuote(job.runDir.string());
  std::string aggregate = "#!/bin/bash\n" + generated +
      "# Runs after every train task has ended (afterany), whatever its exit status: the report lists\n"
      "# the items that failed or are missing; `hepsweep submit slurm --only-missing` resubmits them.\n" +
      header(o, "hepsweep-aggregate-" + name, "logs/aggregate-%j.out") + "#SBATCH --ntasks=1\n";
  if (!job.memory.empty()) aggregate += "#SBATCH --mem=" + job.memory + "\n";
  if (!o.constraint.empty()) aggregate += "#SBATCH --constraint=" + o.constraint + "\n";
  aggregate += "set -u\n" + cd + setupLines(job);
  if (!job.rounds.empty()) {
    // The last round's points are observed (search.h5) once their items have ended.
    aggregate += hs;
    for (const auto& a : proposeArguments(job, job.campaignFile.string(), std::to_string(job.rounds.back().totalPoints)))
      aggregate += " " + str::shellQuote(a);
    aggregate += "\n";
  }
  aggregate += hs + " status " + runDir + "\n" +
      "exec " + hs + " aggregate " + runDir + " --report " + str::shellQuote((job.runDir / "report").string()) +
      " --allow-incomplete\n";

  std::string submit = "#!/bin/bash\n" + generated +
      "# Submits the train array(s), then the aggregate job once every train task has ended\n"
      "# (afterany). Prints one line per job: \"train JOBID\" or \"aggregate JOBID\".\n"
      "set -euo pipefail\n"
      "cd -- " + str::shellQuote(jobsDir.string()) + "\n"
      "mkdir -p logs\n"
      "train_ids=()\n";
  for (const auto& chunk : splitIntoArrays(job.slices, o.maxArraySize)) {
    submit += "id=$(sbatch --parsable --array=" + arraySpec(chunk.indices, o.throttle) + " train.sh " +
              std::to_string(chunk.offset) + ")\nid=${id%%;*}\ntrain_ids+=(\"$id\")\necho \"train $id\"\n";
  }
  submit += "dependency=afterany$(printf ':%s' \"${train_ids[@]}\")\n"
            "id=$(sbatch --parsable --dependency=\"$dependency\" aggregate.sh)\n"
            "echo \"aggregate ${id%%;*}\"\n";
  if (job.rounds.empty())
    return {{"train.sh", train, true}, {"aggregate.sh", aggregate, true}, {"submit.sh", submit, true}};

  // A Bayesian search: propose -> train array(s) per round, each step after the previous one.
  std::string proposeCmd;
  for (const auto& a : proposeArguments(job, job.campaignFile.string(), "TOTAL"))
    proposeCmd += " " + (a == "TOTAL" ? std::string("\"$1\"") : str::shellQuote(a));
  std::string propose = "#!/bin/bash\n" + generated +
      "# One round's proposals: brings the search's points up to the total given as the first argument\n"
      "# (run twice, it proposes nothing more), observing the points whose items have finished.\n" +
      header(o, "hepsweep-propose-" + name, "logs/propose-%j.out") + "#SBATCH --ntasks=1\n";
  if (!job.memory.empty()) propose += "#SBATCH --mem=" + job.memory + "\n";
  if (!o.constraint.empty()) propose += "#SBATCH --constraint=" + o.constraint + "\n";
  propose += "set -u\n" + cd + setupLines(job) + "exec " + hs + proposeCmd + "\n";

  std::string chain = "#!/bin/bash\n" + generated +
      "# Submits the rounds of the Bayesian search: propose (after every task of the previous round has\n"
      "# ended, afterany), then the round's train array(s) (after the proposal succeeded, afterok), and\n"
      "# finally the aggregate job. Prints one line per job: \"propose JOBID\", \"train JOBID\" or\n"
      "# \"aggregate JOBID\". Submitting again resumes: done items and proposed points are skipped.\n"
      "set -euo pipefail\n"
      "cd -- " + str::shellQuote(jobsDir.string()) + "\n"
      "mkdir -p logs\n"
      "after=\n";
  for (std::size_t r = 0; r < job.rounds.size(); ++r) {
    const SearchRound& round = job.rounds[r];
    chain += "# round " + std::to_string(r + 1) + " of " + std::to_string(job.rounds.size()) + ": " +
             std::to_string(round.totalPoints) + " points in all\n"
             "id=$(sbatch --parsable ${after:+--dependency=afterany$after} propose.sh " +
             std::to_string(round.totalPoints) + ")\nid=${id%%;*}\necho \"propose $id\"\n"
             "proposal=$id\nafter=\n";
    for (const auto& chunk : splitIntoArrays(round.slices, o.maxArraySize))
      chain += "id=$(sbatch --parsable --dependency=afterok:$proposal --array=" + arraySpec(chunk.indices, o.throttle) +
               " train.sh " + std::to_string(chunk.offset) + ")\nid=${id%%;*}\nafter=\"$after:$id\"\necho \"train $id\"\n";
  }
  chain += "id=$(sbatch --parsable --dependency=afterany$after aggregate.sh)\n"
           "echo \"aggregate ${id%%;*}\"\n";
  return {{"train.sh", train, true}, {"propose.sh", propose, true}, {"aggregate.sh", aggregate, true},
          {"submit.sh", chain, true}};
}

}  // namespace hepsweep::submit
