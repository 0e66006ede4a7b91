#!/bin/bash
#% Template of the wrapper every job runs (RUN_DIR/jobs/slurm/job.sh, RUN_DIR/jobs/condor/job.sh),
#% filled by `hepsweep submit` (docs/submit.md, "Templates"): the environment set-up, then the
#% command line it is given. Environment lines every job of your site needs go here once.
#% Lines starting with #% are left out; a line holding only a placeholder whose value is empty is
#% left out. @SETUP@ holds the --setup lines as given (your shell code); @MPI_LAUNCH@ (HTCondor,
#% slices of R > 1 ranks) starts `hepsweep train` under mpirun inside the job's slot.
@GENERATED@
# The executable of every job: environment set-up, then the hepsweep command line given as arguments.
set -u
@SETUP@
@MPI_LAUNCH@
exec "$@"
