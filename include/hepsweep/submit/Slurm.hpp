#pragma once
// Slurm job files for a campaign (RUN_DIR/jobs/slurm/):
//   train.sh      one array task = one slice: `hepsweep train --items $((OFFSET+SLURM_ARRAY_TASK_ID))/N`,
//                 under `srun --mpi=pmix` when a slice has several ranks. It asks for the walltime
//                 warning (--signal=B:USR1@T), forwards it to hepsweep, which stops at the next
//                 epoch boundary with its checkpoint on disk and exits with
//                 campaign::kInterruptedExitCode; the script then requeues the task (--requeue).
//   aggregate.sh  `hepsweep aggregate RUN --report RUN/report --allow-incomplete`, after every
//                 train task ended (afterany), so failed items are reported, not waited for.
//   job.sh        the wrapper every job runs hepsweep through: the --setup lines, then exec.
//   submit.sh     sbatch --parsable for each array (split at MaxArraySize) and the aggregate job;
//                 prints "train ID" / "aggregate ID" lines. Every job with a dependency has
//                 --kill-on-invalid-dep=yes: when a Bayesian search's propose step fails, the
//                 round's arrays are cancelled (and the chain goes on to the aggregate job)
//                 instead of pending for ever with DependencyNeverSatisfied.
#include <string>
#include <vector>

#include "hepsweep/submit/Job.hpp"
#include "hepsweep/submit/Templates.hpp"

namespace hepsweep::submit {

struct SlurmOptions {
  std::string partition, account, qos, constraint;
  std::string time;                // Slurm --time syntax: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS
  // --time of propose.sh and aggregate.sh; empty: kProposeTime / kAggregateTime, or `time` when
  // that is shorter.
  std::string proposeTime, aggregateTime;
  int maxArraySize = 1001;         // the cluster's MaxArraySize: array indices stay below it
  int throttle = 0;                // %K: at most K tasks of an array run at once (0: no limit)
  int signalSeconds = 300;         // --signal=B:USR1@T (0: no walltime warning, no requeue)
  std::vector<std::string> sbatchLines;  // extra "#SBATCH <line>" lines, e.g. --gres=gpu:1
};

inline constexpr const char* kProposeTime = "30:00";
inline constexpr const char* kAggregateTime = "1:00:00";

// One sbatch --array call: indices (ascending, each < maxArraySize) plus the offset that turns an
// index into a slice.
struct ArrayChunk {
  int offset = 0;
  std::vector<int> indices;
};
std::vector<ArrayChunk> splitIntoArrays(const std::vector<int>& slices, int maxArraySize);
// "0-3,7,9-10" (+ "%K" when throttle > 0).
std::string arraySpec(const std::vector<int>& indices, int throttle);
// Seconds of a Slurm --time value; throws Error(Config) naming the value.
long slurmTimeSeconds(const std::string& time);

// Validates the options (Error Config naming the option and quoting the value) and returns
// train.sh, aggregate.sh and submit.sh (and propose.sh for a Bayesian search) for `job` written
// into `jobsDir`, filled from `templates` (slurm/*.sh, slurm/site.sbatch).
std::vector<GeneratedFile> slurmFiles(const CampaignJob& job, const SlurmOptions& options,
                                      const std::filesystem::path& jobsDir,
                                      const Templates& templates = Templates::builtIn());

}  // namespace hepsweep::submit
