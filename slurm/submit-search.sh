#!/bin/bash
#% Template of RUN_DIR/jobs/slurm/submit.sh for a Bayesian search (search.method = "bayes"; see
#% train.sh for the rules). @SUBMIT_ROUNDS@ submits each round: propose.sh, then its train arrays.
@GENERATED@
# Submits the rounds of the Bayesian search: propose (after every task of the previous round has
# ended, afterany), then the round's train array(s) (after the proposal succeeded, afterok), and
# finally the aggregate job. Prints one line per job: "propose JOBID", "train JOBID" or
# "aggregate JOBID". Submitting again resumes: done items and proposed points are skipped.
set -euo pipefail
cd -- @JOBS_DIR@
mkdir -p logs
after=
@SUBMIT_ROUNDS@
id=$(sbatch --parsable --dependency=afterany$after --kill-on-invalid-dep=yes aggregate.sh)
echo "aggregate ${id%%;*}"
