#!/usr/bin/env bash
# BDT baseline benchmark (issue 21): on a HIGGS-like file (bench/make_higgs_like.py), one campaign
# with one network point and one [baseline] point on the same folds; reports each item's training
# time (the network's training loop, metrics/train_seconds; the BDT's boosting, train_seconds) and,
# as the reference, python3-xgboost trained with the same parameters on the same rows (the rows the
# baseline's result file exports), interleaved and repeated; medians and the load average.
# Everything on 1 thread. Prints a markdown block for bench/RESULTS.md (and appends it to --append FILE).
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/bench_baseline.sh [--events N] [--epochs N] [--trees N] [--repeats N] [--append FILE]
  --events N    HIGGS-like events (default 200000)
  --epochs N    network epochs, early stopping off (default 20)
  --trees N     BDT rounds, max_depth 3, learning rate 0.1, early stopping off (default 200)
  --repeats N   runs of each program; medians reported (default 3)
  --append FILE also append the markdown block to FILE (e.g. bench/RESULTS.md)
Environment: HEPSWEEP_BIN (default: build the `release` preset), PYTHON (default /usr/bin/python3).
USAGE
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
EVENTS=200000 EPOCHS=20 TREES=200 REPEATS=3 APPEND=""
ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) EVENTS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --trees) TREES=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --append) APPEND=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_baseline.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$EVENTS" "$EPOCHS" "$TREES" "$REPEATS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench_baseline.sh: '$n' is not a positive integer" >&2; exit 2; }
done
"$PY" -c "import xgboost" 2>/dev/null || { echo "bench_baseline.sh: $PY has no xgboost (apt-get install python3-xgboost)" >&2; exit 2; }
if [[ -z "${HEPSWEEP_BIN:-}" ]]; then
  (cd "$ROOT" && cmake --preset release > /dev/null && cmake --build --preset release --target hepsweep > /dev/null)
  HEPSWEEP_BIN=$ROOT/build/release/src/cli/hepsweep
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$PY" "$SCRIPT_DIR/make_higgs_like.py" "$EVENTS" "$WORK/higgs.csv" > /dev/null
"$HEPSWEEP_BIN" convert --quiet "$WORK/higgs.csv" --label label -o "$WORK/higgs.h5"
cat > "$WORK/campaign.toml" <<TOML
seed = 42
[data]
file = "higgs.h5"
split = { train = 0.6, val = 0.2, test = 0.2 }
[model]
widths = [25, 20]
dropout = 0.2
[train]
learning_rate = 1e-3
batch_size = 100
epochs = $EPOCHS
early_stopping = { enabled = false }
[cv]
folds = 2
[baseline]
method = "xgboost"
trees = $TREES
max_depth = 3
learning_rate = 0.1
[output]
dir = "run"
TOML

# The Python reference on the rows of baseline item 0 (fold 0), timed around xgboost.train alone.
cat > "$WORK/reference.py" <<'PYREF'
import sys, time
import h5py, numpy as np, xgboost as xgb
work, trees = sys.argv[1], int(sys.argv[2])
with h5py.File(f"{work}/higgs.h5", "r") as f:
    X = f["features"][()]
with h5py.File(f"{work}/run/baseline/items/000000/result.h5", "r") as r:
    s = r["scores"]
    rows, y, w = s["train_rows"][()], s["train_labels"][()], s["train_weights"][()]
    vrows, vy, vw = s["val_rows"][()], s["val_labels"][()], s["val_weights"][()]
dtrain = xgb.DMatrix(X[rows], label=y, weight=w, missing=np.nan)
dval = xgb.DMatrix(X[vrows], label=vy, weight=vw, missing=np.nan)
params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 3, "eta": 0.1, "seed": 42,
          "nthread": 1, "eval_metric": "logloss", "verbosity": 0}
t = time.perf_counter()
xgb.train(params, dtrain, num_boost_round=trees, evals=[(dval, "val")], verbose_eval=False)
print(time.perf_counter() - t)
PYREF

read_seconds() {  # network item 0's training loop, baseline item 0's boosting
  "$PY" - "$WORK" <<'PYREAD'
import sys, h5py
w = sys.argv[1]
with h5py.File(f"{w}/run/items/000000/result.h5", "r") as f:
    net = float(f["metrics/train_seconds"][()])
with h5py.File(f"{w}/run/baseline/items/000000/result.h5", "r") as f:
    bdt = float(f.attrs["train_seconds"])
print(net, bdt)
PYREAD
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
NET=() BDT=() REF=() LOADS=()
for ((i = 0; i < REPEATS; i++)); do
  LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
  (cd "$WORK" && "$HEPSWEEP_BIN" train --quiet --fresh campaign.toml > /dev/null)
  read -r net bdt < <(read_seconds)
  NET+=("$net") BDT+=("$bdt")
  REF+=("$("$PY" "$WORK/reference.py" "$WORK" "$TREES")")
done
r3() { for v in "$@"; do printf '%.3f ' "$v"; done; }
net=$(median "${NET[@]}") bdt=$(median "${BDT[@]}") ref=$(median "${REF[@]}")
NET=($(r3 "${NET[@]}")) BDT=($(r3 "${BDT[@]}")) REF=($(r3 "${REF[@]}"))
net=$(r3 "$net") bdt=$(r3 "$bdt") ref=$(r3 "$ref")
ntrain=$("$PY" -c "import h5py; print(len(h5py.File('$WORK/run/baseline/items/000000/result.h5','r')['scores/train_rows']))")
block=$(cat <<MD

## BDT baseline against the network and python3-xgboost (issue 21, bench/bench_baseline.sh)

\`bench/bench_baseline.sh ${ORIG_ARGS[*]}\` on $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),
kernel $(uname -r), binary $HEPSWEEP_BIN (the network: Eigen's own kernels, no BLAS), XGBoost $("$PY" -c 'import xgboost; print(xgboost.__version__)') (Debian's library, used by both hepsweep and Python),
1 thread. $EVENTS HIGGS-like events, fold 0 of 2: $ntrain training events. Load average (1 min) at each
repeat: ${LOADS[*]}${LOADS:+ }(the machine was shared: treat the figures as indicative).

| training of one item | median of $REPEATS (s) | runs (s) |
|---|---|---|
| network [25, 20], $EPOCHS epochs (hepsweep, training loop) | $net | ${NET[*]} |
| BDT, $TREES trees of depth 3 (hepsweep, XGBoost C API) | $bdt | ${BDT[*]} |
| BDT, same parameters and rows (python3-xgboost, xgboost.train) | $ref | ${REF[*]} |

BDT hepsweep / python3-xgboost: $(awk -v a="$bdt" -v b="$ref" 'BEGIN {printf "%.2f", a / b}');
BDT / network: $(awk -v a="$bdt" -v b="$net" 'BEGIN {printf "%.2f", a / b}').
MD
)
echo "$block"
[[ -n "$APPEND" ]] && echo "$block" >> "$APPEND"
exit 0
