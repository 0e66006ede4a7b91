#!/bin/bash
#% Template of RUN_DIR/jobs/slurm/aggregate.sh (see train.sh for the rules).
@GENERATED@
# Runs after every train task has ended (afterany), whatever its exit status: the report lists
# the items that failed or are missing; `hepsweep submit slurm --only-missing` resubmits them.
#SBATCH --job-name=hepsweep-aggregate-@NAME@
#SBATCH --output=logs/aggregate-%j.out
@SBATCH_QUEUE@
@SBATCH_TIME@
#SBATCH --ntasks=1
@SBATCH_MEMORY@
@SBATCH_CONSTRAINT@
@SITE_SBATCH@
set -u
cd -- @WORK_DIR@ || exit 1
@OBSERVE_COMMAND@
@JOB_WRAPPER@ @HEPSWEEP@ @STATUS_ARGUMENTS@
exec @JOB_WRAPPER@ @HEPSWEEP@ @AGGREGATE_ARGUMENTS@
