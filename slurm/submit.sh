#!/bin/bash
#% Template of RUN_DIR/jobs/slurm/submit.sh for a campaign whose items are all known (grid,
#% random, none; see train.sh for the rules). @SUBMIT_ARRAYS@ is one sbatch --array call per block
#% of at most --max-array-size slices.
@GENERATED@
# Submits the train array(s), then the aggregate job once every train task has ended
# (afterany). Prints one line per job: "train JOBID" or "aggregate JOBID".
set -euo pipefail
cd -- @JOBS_DIR@
mkdir -p logs
train_ids=()
@SUBMIT_ARRAYS@
dependency=afterany$(printf ':%s' "${train_ids[@]}")
id=$(sbatch --parsable --dependency="$dependency" --kill-on-invalid-dep=yes aggregate.sh)
echo "aggregate ${id%%;*}"
