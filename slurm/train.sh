#!/bin/bash
#% Template of RUN_DIR/jobs/slurm/train.sh, filled by `hepsweep submit slurm` (docs/submit.md,
#% "Templates"). Lines starting with #% are left out; @NAME@ is replaced by a value that is
#% already quoted for bash or, on #SBATCH lines, made of plain words only; a line holding only a
#% placeholder whose value is empty is left out. Your own #SBATCH lines go above `set -u`.
#% @JOB_WRAPPER@ is jobs/job.sh (the environment set-up, then the command); @LAUNCHER@ is
#% "srun --mpi=pmix --ntasks=R " when a slice has R > 1 ranks, else empty.
@GENERATED@
# One array task trains slice OFFSET + SLURM_ARRAY_TASK_ID of @SLICE_COUNT@ (hepsweep train --items I/N);
# submit.sh passes OFFSET as the first argument (arrays are split at MaxArraySize).
#SBATCH --job-name=hepsweep-train-@NAME@
#SBATCH --output=logs/train-%A_%a.out
@SBATCH_QUEUE@
@SBATCH_TIME@
#SBATCH --ntasks=@RANKS@
#SBATCH --cpus-per-task=@CPUS_PER_TASK@
@SBATCH_MEMORY@
@SBATCH_CONSTRAINT@
#SBATCH --requeue
#SBATCH --open-mode=append
@SBATCH_SIGNAL@
@SBATCH_LINES@
@SITE_SBATCH@
set -u
cd -- @WORK_DIR@ || exit 1
slice=$(( ${1:-0} + SLURM_ARRAY_TASK_ID ))
echo "hepsweep: slice $slice of @SLICE_COUNT@, job ${SLURM_JOB_ID}, restart ${SLURM_RESTART_COUNT:-0}, host $(hostname)"
# Slurm signals only this shell (B:); hepsweep gets the signal, finishes the epoch it is in,
# keeps its checkpoint and exits with status @INTERRUPTED@. USR1 means the time limit is near:
# the task is then requeued and resumes from the checkpoint. TERM (scancel) only stops it.
walltime=0
child=
trap 'walltime=1; [ -n "$child" ] && kill -USR1 "$child"' USR1
trap '[ -n "$child" ] && kill -TERM "$child"' TERM
@LAUNCHER@@JOB_WRAPPER@ @HEPSWEEP@ @TRAIN_ARGUMENTS@ &
child=$!
wait "$child"; status=$?
# wait returns early when a trapped signal arrives: wait again until hepsweep has exited.
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
if [ "$status" -eq @INTERRUPTED@ ] && [ "$walltime" -eq 1 ]; then
  echo "hepsweep: slice $slice stopped at a checkpoint before the time limit; requeueing job $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"
  exit 0
fi
exit "$status"
