#!/bin/bash
#% Template of RUN_DIR/jobs/condor/submit.sh, which `hepsweep submit condor --submit` runs (values
#% here are quoted for bash; see train.sub for the rules).
@GENERATED@
set -euo pipefail
cd -- @JOBS_DIR@
mkdir -p logs
exec condor_submit_dag campaign.dag
