#!/bin/bash
#% Template of RUN_DIR/jobs/slurm/propose.sh, a Bayesian search's proposal step (see train.sh for
#% the rules).
@GENERATED@
# One round's proposals: brings the search's points up to the total given as the first argument
# (run twice, it proposes nothing more), observing the points whose items have finished.
#SBATCH --job-name=hepsweep-propose-@NAME@
#SBATCH --output=logs/propose-%j.out
@SBATCH_QUEUE@
@SBATCH_TIME@
#SBATCH --ntasks=1
@SBATCH_MEMORY@
@SBATCH_CONSTRAINT@
@SITE_SBATCH@
set -u
cd -- @WORK_DIR@ || exit 1
exec @JOB_WRAPPER@ @HEPSWEEP@ @PROPOSE_ARGUMENTS@
