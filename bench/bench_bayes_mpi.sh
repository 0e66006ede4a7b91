#!/usr/bin/env bash
# Group utilisation of the two schedules of a Bayesian campaign (search.schedule = "rounds" |
# "asynchronous") on the SHiP HNL tutorial pair: 2 groups of one rank (mpiexec -n 2), 12 points x
# 3 folds, width/depth/learning rate/dropout searched, early stopping on (so items differ in
# length, as in real searches). Utilisation = training time / wall time of each group, from the
# campaign's own "search: group utilisation" log line (--verbose). Prints a markdown table.
#   HEPSWEEP_BIN=build/release/src/cli/hepsweep bench/bench_bayes_mpi.sh [--epochs N] [--budget P]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DATA=${SHARED_DATA:-$ROOT/../shared/data}
EPOCHS=40
BUDGET=12
while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) EPOCHS=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    -h|--help) echo "usage: bench/bench_bayes_mpi.sh [--epochs N] [--budget P]   (HEPSWEEP_BIN: binary to use)"; exit 0 ;;
    *) echo "bench_bayes_mpi.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
BIN=${HEPSWEEP_BIN:-$ROOT/build/release/src/cli/hepsweep}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BIN" convert --quiet -o "$WORK/ship.h5" \
  --signal "$DATA/ship_hnl/Mini-school/kinematic_variables_HNLtoPimu.dat.gz" \
  --background "$DATA/ship_hnl/Mini-school/kinematic_variables_Back.dat.gz" --drop "Good Reco,Event Type"

campaign() {  # $1 = schedule
  cat <<TOML
seed = 11
[data]
file = "$WORK/ship.h5"
split = { train = 0.6, val = 0.2, test = 0.2 }
[preprocess]
scaler = "standard"
[model]
width = 25
depth = 2
[train]
batch_size = 100
epochs = $EPOCHS
early_stopping = { monitor = "val_loss", patience = 5, restore_best = true }
[output]
dir = "$WORK/run-$1"
[cv]
folds = 3
[search]
method = "bayes"
budget = $BUDGET
initial_points = 4
initial_design = "sobol"
acquisition = "EI"
schedule = "$1"
[search.space]
"model.width" = { min = 8, max = 64, log = true }
"model.depth" = { min = 1, max = 3 }
"train.learning_rate" = { min = 0.0003, max = 0.01, log = true }
"model.dropout" = { min = 0.0, max = 0.4 }
TOML
}

echo "| schedule | wall time | group 0 busy | group 1 busy | idle (s, group 0 / 1) |"
echo "|---|---|---|---|---|"
for schedule in rounds asynchronous; do
  campaign "$schedule" > "$WORK/$schedule.toml"
  start=$(date +%s.%N)
  mpiexec -n 2 "$BIN" train "$WORK/$schedule.toml" --verbose > "$WORK/$schedule.log" 2>&1
  end=$(date +%s.%N)
  line=$(grep "search: group utilisation" "$WORK/$schedule.log" | tail -1)
  # "... group 0 91.2% (idle 5.1 s), group 1 88.0% (idle 7.2 s)"
  read -r b0 i0 b1 i1 < <(echo "$line" | sed -E 's/.*group 0 ([0-9.]+)% \(idle ([0-9.]+) s\), group 1 ([0-9.]+)% \(idle ([0-9.]+) s\).*/\1 \2 \3 \4/')
  printf '| %s | %.1f s | %s %% | %s %% | %s / %s |\n' "$schedule" "$(echo "$end - $start" | bc)" "$b0" "$b1" "$i0" "$i1"
  cp "$WORK/$schedule.log" "${BENCH_LOG_DIR:-$WORK}/bayes_mpi_$schedule.log" 2>/dev/null || true
done
