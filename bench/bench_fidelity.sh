#!/usr/bin/env bash
# Issue 22: a real campaign with successive halving and racing against the plain search, same
# points, same seed. On the SHiP mini-school data (HNL -> pi mu against background), a random search
# of P points x 5 folds of the tutorial's network family (width, depth, learning rate, dropout),
# train.epochs = R, under `mpiexec -n 2` (two rank groups of one rank), run three times:
#   plain   every item trains until train.epochs or its own early stopping;
#   asha    [search.early_stopping] rule = "asha", min_epochs = 1, reduction_factor = 3;
#   asha-r3 the same with min_epochs = 3 (first rung later: fewer good points lost to noisy early values);
#   asha+racing  asha (min_epochs = 1) plus search.racing (z = 1.645);
#   plain-same-epochs  the plain search's first points, as many as the asha run's epochs allow.
# It reports, per run, the epochs all items trained (from each result.h5's history), the items
# trained / stopped / raced out, the wall time, and the best complete point's fold-mean validation
# loss and test AUC as aggregate ranks it, plus whether the plain run's best point is that run's best.
# Wall times depend on the machine's load; the epochs and objectives do not (same seed, same points;
# with two groups the ASHA and racing decisions depend on which items finished first).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=/usr/bin/python3
POINTS=16 EPOCHS=27 WORK="" APPEND="" RANKS=2
ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --points) POINTS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --ranks) RANKS=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    --append) APPEND=$2; shift 2 ;;
    -h|--help)
      echo "usage: bench/bench_fidelity.sh [--points P] [--epochs R] [--ranks N] [--workdir DIR] [--append FILE]"
      echo "       (HEPSWEEP_BIN: binary to use; default: build the bench preset)"
      exit 0 ;;
    *) echo "bench_fidelity.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
SHIP=$ROOT/../shared/data/ship_hnl/Mini-school
[[ -d $SHIP ]] || { echo "bench_fidelity.sh: needs $SHIP (the shared SHiP data)" >&2; exit 2; }
if [[ -z "${HEPSWEEP_BIN:-}" ]]; then
  (cd "$ROOT" && cmake --preset bench > /dev/null && cmake --build --preset bench --target hepsweep > /dev/null)
  HEPSWEEP_BIN=$ROOT/build/bench/src/cli/hepsweep
fi
[[ -n $WORK ]] || WORK=$(mktemp -d /tmp/bench_fidelity.XXXXXX)
mkdir -p "$WORK"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
DATA=$WORK/ship.h5
[[ -f $DATA ]] || "$HEPSWEEP_BIN" convert --quiet -o "$DATA" --drop "Good Reco,Event Type" \
  --signal "$SHIP/kinematic_variables_HNLtoPimu.dat.gz" --background "$SHIP/kinematic_variables_Back.dat.gz"

campaign() {  # $1 name, $2 extra TOML for [search], $3 points
  cat <<EOF
seed = 11
[data]
file = "$DATA"
split = { train = 0.6, val = 0.2, test = 0.2 }
[preprocess]
scaler = "standard"
[model]
activation = "relu"
[train]
optimizer = "adam"
batch_size = 100
epochs = $EPOCHS
early_stopping = { monitor = "val_loss", patience = 10, restore_best = true }
[cv]
folds = 5
[search]
method = "random"
budget = $3
objective = "val_loss"
$2
[search.space]
"model.width" = { min = 8, max = 128, log = true }
"model.depth" = { min = 1, max = 4 }
"train.learning_rate" = { min = 1e-4, max = 3e-2, log = true }
"model.dropout" = { min = 0.0, max = 0.5 }
[output]
dir = "$WORK/run-$1"
EOF
}

rows=()
# The last mode is the plain search cut to the epochs successive halving spent: its first points
# (the random search's points do not depend on its budget) as many as fit in the asha run's epochs,
# at the plain run's mean epochs per item.
for mode in plain asha asha-r3 asha+racing plain-same-epochs; do
  points=$POINTS
  case $mode in
    plain|plain-same-epochs) extra="" ;;
    asha) extra=$'early_stopping = { rule = "asha", min_epochs = 1, reduction_factor = 3 }' ;;
    asha-r3) extra=$'early_stopping = { rule = "asha", min_epochs = 3, reduction_factor = 3 }' ;;
    asha+racing) extra=$'early_stopping = { rule = "asha", min_epochs = 1, reduction_factor = 3 }\nracing = { enabled = true, z = 1.645 }' ;;
  esac
  if [[ $mode == plain-same-epochs ]]; then
    points=$("$PYTHON" - "$WORK/run-plain" "$WORK/run-asha" <<'PY'
import glob, os, sys
import h5py
def epochs(run):
    n = [len(h5py.File(p)["history/epoch"]) for p in glob.glob(os.path.join(run, "items", "*", "result.h5"))]
    return sum(n), len(n)
plain, items = epochs(sys.argv[1])
asha, _ = epochs(sys.argv[2])
print(max(1, int(asha / (plain / items * 5))))
PY
)
  fi
  campaign "$mode" "$extra" "$points" > "$WORK/$mode.toml"
  t0=$(date +%s.%N)
  mpiexec -n "$RANKS" --oversubscribe "$HEPSWEEP_BIN" train "$WORK/$mode.toml" --fresh --quiet > "$WORK/$mode.log" 2>&1
  t1=$(date +%s.%N)
  "$HEPSWEEP_BIN" aggregate "$WORK/run-$mode" > "$WORK/$mode-aggregate.log" 2>&1
  rows+=("$("$PYTHON" - "$mode" "$WORK/run-$mode" "$t0" "$t1" <<'PY'
import glob, os, sys
import h5py
mode, run, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
epochs = trained = stopped = 0
for path in glob.glob(os.path.join(run, "items", "*", "result.h5")):
    with h5py.File(path) as f:
        trained += 1
        epochs += len(f["history/epoch"])
        stopped += "stopped_by" in f.attrs
raced = len(glob.glob(os.path.join(run, "items", "*", "raced_out.txt")))
with h5py.File(os.path.join(run, "summary.h5")) as s:
    b = s["best"].attrs
    best, val, auc, folds = b["parameters"], b["objective_mean"], b["fold_mean_test_auc"], b["folds_used"]
    if isinstance(best, bytes):
        best = best.decode()
print(f"| {mode} ({len(glob.glob(os.path.join(run, 'items', '*')))//5} points) | {trained} | {stopped} | {raced} | {epochs} | {t1 - t0:.0f} | {best} | {val:.5f} | {auc:.4f} | {folds} |")
PY
)")
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
  echo
  echo "### Successive halving and racing in a real campaign, $(date -u +%Y-%m-%d) (git $(git -C "$ROOT" describe --always --dirty --abbrev=12))"
  echo
  echo "Reproduce: \`bench/bench_fidelity.sh ${ORIG_ARGS[*]}\` (hepsweep: \`$("$HEPSWEEP_BIN" --version | head -1)\`)"
  echo
  echo "CPU: $cpu ($(nproc --all) cores), kernel $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "SHiP mini-school HNL -> pi mu against background; random search of $POINTS points x 5 folds (width 8-128 log,"
  echo "depth 1-4, learning rate 1e-4-3e-2 log, dropout 0-0.5), train.epochs = $EPOCHS, Adam, batch 100, early stopping"
  echo "(patience 10) on validation loss; \`mpiexec -n $RANKS\` (groups of one rank); the same seed and points in every row."
  echo "Epochs: the sum over trained items of the epochs each ran. Best point: aggregate's ranking (complete points"
  echo "first); objective = its fold-mean validation loss (a fold stopped at a rung counts with its value there)."
  echo "plain-same-epochs: the plain search's first points, as many as the asha run's epochs allow."
  echo
  echo "| search | items trained | stopped at a rung | raced out | epochs trained | wall s | best point | best objective (val_loss) | its fold-mean test AUC | its folds |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee ${APPEND:+-a "$APPEND"}
