#!/usr/bin/env bash
# Training benchmark: hepsweep against the PyTorch reference (bench/torch_reference.py) on the SHiP
# HNL tutorial pair and the first 10k events of UCI HIGGS, with the tutorial's network
# (widths [25, 20], relu, dropout 0.2, Adam 1e-3, batch 100).
#   (a) accuracy: hepsweep with early stopping, then PyTorch on hepsweep's exact split (several
#       seeds); |test AUC difference| should stay below 0.01.
#   (b) speed: both run a fixed number of epochs without early stopping on 1 thread; samples/s
#       and the ratio hepsweep/torch.
# Prints a markdown block for bench/RESULTS.md (and appends it to --append FILE).
# See bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/bench_train.sh [--append FILE] [--epochs N] [--repeats N] [--seeds N]
                            [--workdir DIR] [--keep] [--baseline BIN]
  --append FILE     also append the markdown block to FILE (e.g. bench/RESULTS.md)
  --epochs N        epochs of the speed runs (default 200: at 20, hepsweep's loop lasts ~16 ms and the ratio moves by tens of per cent)
  --repeats N       speed runs per program and dataset; the median is reported (default 3)
  --seeds N         accuracy runs per program and dataset, campaign seeds 42..42+N-1 (default 5);
                    each seed gives hepsweep a new split, and PyTorch trains on that same split
  --workdir DIR     keep converted files, campaigns and results in DIR (default: a temp dir,
                    removed at exit unless --keep)
  --keep            do not remove the temp dir
  --baseline BIN    also time this hepsweep binary (e.g. a build before a change) in the same speed
                    runs, interleaved with the others; the report adds its samples/s and ratios
Environment: HEPSWEEP_BIN (use this binary instead of building the default `release` preset),
  PYTHON (default /usr/bin/python3), SHARED_DATA (default <repo>/../shared/data).
Exit status: 0 when every accuracy difference is below 0.01, 1 otherwise, 2 on errors.
EOF
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
# shellcheck source=openblas_core.sh
source "$SCRIPT_DIR/openblas_core.sh"
DATA=${SHARED_DATA:-$ROOT/../shared/data}
APPEND=""
EPOCHS=200
REPEATS=3
SEEDS=5
WORKDIR=""
KEEP=0
BASELINE=""
ORIG_ARGS=("$@")

while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --workdir) WORKDIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --baseline) BASELINE=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_train.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$EPOCHS" "$REPEATS" "$SEEDS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench_train.sh: '$n' is not a positive integer" >&2; exit 2; }
done

SHIP_SIG=$DATA/ship_hnl/Mini-school/kinematic_variables_HNLtoPimu.dat.gz
SHIP_BKG=$DATA/ship_hnl/Mini-school/kinematic_variables_Back.dat.gz
HIGGS=$DATA/uci_higgs_first10k/higgs_first10k.csv.gz
for f in "$SHIP_SIG" "$SHIP_BKG" "$HIGGS"; do
  [[ -r "$f" ]] || { echo "bench_train.sh: input '$f' is missing (set SHARED_DATA)" >&2; exit 2; }
done
"$PY" -c 'import torch, h5py, numpy' 2>/dev/null || {
  echo "bench_train.sh: $PY lacks torch/h5py/numpy (set PYTHON to an interpreter that has them)" >&2; exit 2; }

log() { echo "[bench] $*" >&2; }

if [[ -n "$WORKDIR" ]]; then
  mkdir -p "$WORKDIR"
  WORK=$(cd "$WORKDIR" && pwd)
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/hepsweep-bench.XXXXXX")
  if [[ $KEEP == 1 ]]; then log "work dir kept: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
fi

# --- hepsweep binary --------------------------------------------------------------------------
if [[ -n "${HEPSWEEP_BIN:-}" ]]; then
  BIN=$HEPSWEEP_BIN
  BUILD_NOTE="given as HEPSWEEP_BIN"
else
  log "building hepsweep with the default 'release' preset (portable; kernels chosen at run time)"
  (cd "$ROOT" && cmake --preset release >&2 && cmake --build --preset release --target hepsweep >&2)
  BIN=$ROOT/build/release/src/cli/hepsweep
  BUILD_NOTE="cmake --preset release && cmake --build --preset release"
fi
[[ -x "$BIN" ]] || { echo "bench_train.sh: hepsweep binary '$BIN' is not executable" >&2; exit 2; }
VERSION=$("$BIN" --version 2>&1 | head -n1)
KERNEL=$("$BIN" --version 2>&1 | sed -n 's/^kernel: //p')

# One thread for hepsweep: OpenMP (Eigen and hepsweep's own loops) is capped by the environment,
# and the option is passed as well when this build's `train` has one.
export OMP_NUM_THREADS=1
# torch.set_num_threads(1) does not reach OpenBLAS' own thread pool (Debian's pthread build): without
# this it splits every product over all cores, which on a loaded machine waits for a second core.
export OPENBLAS_NUM_THREADS=1
TRAIN_THREAD_ARGS=()
if "$BIN" train --help 2>&1 | grep -q -- '--threads'; then TRAIN_THREAD_ARGS=(--threads 1); fi

# --- data ---------------------------------------------------------------------------------------
log "converting SHiP HNL->pi mu vs background and UCI HIGGS (first 10k) into $WORK"
"$BIN" convert --signal "$SHIP_SIG" --background "$SHIP_BKG" --drop "Good Reco,Event Type" \
  -o "$WORK/ship.h5" >&2
"$BIN" convert "$HIGGS" --label label -o "$WORK/higgs.h5" >&2

# The tutorial defaults (the example campaign), one campaign per dataset.
write_campaign() {  # name data_file
  cat >"$WORK/$1.toml" <<EOF
# Tutorial defaults, written by bench/bench_train.sh
seed = 42

[data]
file = "$2"
features = []
balance = "downsample"
split = { train = 0.34, val = 0.33, test = 0.33 }

[preprocess]
scaler = "standard"

[model]
widths = [25, 20]
activation = "relu"
dropout = 0.2
batch_norm = false

[train]
optimizer = "adam"
learning_rate = 1e-3
batch_size = 100
epochs = 500
l2 = 0.0
early_stopping = { enabled = true, monitor = "val_loss", patience = 10, min_delta = 0.0, restore_best = true }

[output]
dir = "$WORK/runs/$1"
scores = "all"   # the split's rows, for the PyTorch reference
EOF
}
write_campaign ship "$WORK/ship.h5"
write_campaign higgs "$WORK/higgs.h5"

hep_train() {  # campaign outdir [--set ...]; HEP_TRAIN_BIN overrides the binary
  local campaign=$1 out=$2 bin=${HEP_TRAIN_BIN:-$BIN}; shift 2
  "$bin" train "$campaign" --set "output.dir=$out" "${TRAIN_THREAD_ARGS[@]}" "$@" >"$out.log" 2>&1 || {
    echo "bench_train.sh: hepsweep train $campaign failed; its output:" >&2; cat "$out.log" >&2; exit 2; }
  [[ -f "$out/result.h5" ]] || { echo "bench_train.sh: $out/result.h5 was not written" >&2; exit 2; }
}

torch_ref() {  # data result json [extra args]
  local data=$1 result=$2 json=$3; shift 3
  "$PY" "$SCRIPT_DIR/torch_reference.py" --data "$data" --result "$result" --threads 1 --quiet \
    --json "$json" "$@" >/dev/null
}

for ds in ship higgs; do
  # (a) accuracy
  mkdir -p "$WORK/runs"
  for ((k = 0; k < SEEDS; k++)); do
    log "$ds: accuracy, seed $((42 + k)): hepsweep with early stopping, then torch on its split"
    hep_train "$WORK/$ds.toml" "$WORK/runs/$ds-acc-$k" --set "seed=$((42 + k))"
    torch_ref "$WORK/$ds.h5" "$WORK/runs/$ds-acc-$k/result.h5" "$WORK/runs/$ds-acc-torch-$k.json"
  done
  # (b) speed
  for ((r = 0; r < REPEATS; r++)); do
    log "$ds: speed run $((r + 1))/$REPEATS ($EPOCHS epochs, 1 thread)"
    hep_train "$WORK/$ds.toml" "$WORK/runs/$ds-speed-$r" \
      --set train.early_stopping.enabled=false --set "train.epochs=$EPOCHS"
    torch_ref "$WORK/$ds.h5" "$WORK/runs/$ds-speed-$r/result.h5" "$WORK/runs/$ds-speed-torch-$r.json" \
      --epochs "$EPOCHS" --no-early-stopping
    if [[ -n "$BASELINE" ]]; then
      HEP_TRAIN_BIN=$BASELINE hep_train "$WORK/$ds.toml" "$WORK/runs/$ds-base-$r" \
        --set train.early_stopping.enabled=false --set "train.epochs=$EPOCHS"
    fi
  done
done

# --- report -----------------------------------------------------------------------------------
CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
CORES=$(getconf _NPROCESSORS_ONLN)  # not nproc: it honours OMP_NUM_THREADS=1
LOAD=$(cut -d" " -f1-3 /proc/loadavg)
GXX=$(g++ --version 2>/dev/null | head -n1 || echo "g++ not found")
GIT=$(git -C "$ROOT" describe --always --dirty --abbrev=12 2>/dev/null || echo "unknown")
REPRO="bench/bench_train.sh"
[[ ${#ORIG_ARGS[@]} -gt 0 ]] && REPRO+=" ${ORIG_ARGS[*]}"
[[ -n "${HEPSWEEP_BIN:-}" ]] && REPRO="HEPSWEEP_BIN=$HEPSWEEP_BIN $REPRO"

REPORT=$WORK/report.md
STATUS_FILE=$WORK/status
WORK="$WORK" CPU="$CPU" CORES="$CORES" GXX="$GXX" GIT="$GIT" VERSION="$VERSION" KERNEL="$KERNEL" REPRO="$REPRO" \
BASELINE="$BASELINE" BASELINE_VERSION="${BASELINE:+$("$BASELINE" --version 2>&1 | head -n1)}" \
BUILD_NOTE="$BUILD_NOTE" EPOCHS="$EPOCHS" REPEATS="$REPEATS" SEEDS="$SEEDS" LOAD="$LOAD" \
  "$PY" - >"$REPORT" 3>"$STATUS_FILE" <<'EOF'
import datetime, json, os, statistics as st
import h5py, numpy as np

E = os.environ
work = E["WORK"]
epochs, repeats, nseeds = int(E["EPOCHS"]), int(E["REPEATS"]), int(E["SEEDS"])
names = {"ship": "SHiP HNL→πμ vs bkg", "higgs": "UCI HIGGS first 10k"}

def scalar(f, key):
    return np.asarray(f[key][...]).reshape(-1)[0].item()

def result(path):
    with h5py.File(path, "r") as f:
        return {k: scalar(f, f"metrics/{k}") for k in ("test_auc", "best_epoch", "epochs_run",
                                                          "train_seconds", "samples_per_second")} | {
            "n": tuple(len(f[f"scores/{p}_rows"]) for p in ("train", "val", "test"))}

def load(path):
    with open(path) as fh:
        return json.load(fh)

first_torch = load(f"{work}/runs/ship-acc-torch-0.json")
ok = True
acc_rows, speed_rows, base_rows = [], [], []
for ds in ("ship", "higgs"):
    h = [result(f"{work}/runs/{ds}-acc-{k}/result.h5") for k in range(nseeds)]
    t = [load(f"{work}/runs/{ds}-acc-torch-{k}.json") for k in range(nseeds)]
    def stats(aucs):
        return st.mean(aucs), (st.stdev(aucs) if len(aucs) > 1 else 0.0)
    hm, hsd = stats([x["test_auc"] for x in h])
    tm, tsd = stats([x["test_auc"] for x in t])
    diff = abs(hm - tm)
    ok &= diff < 0.01
    hep = ", ".join(f"{x['best_epoch']}/{x['epochs_run']}" for x in h)
    tep = ", ".join(f"{x['best_epoch']}/{x['epochs_run']}" for x in t)
    acc_rows.append(f"| {names[ds]} | {t[0]['network']} | {h[0]['n'][0]}/{h[0]['n'][1]}/{h[0]['n'][2]} | "
                    f"{hm:.4f} ± {hsd:.4f} ({hep}) | {tm:.4f} ± {tsd:.4f} ({tep}) | {diff:.4f} | "
                    f"{'yes' if diff < 0.01 else '**NO**'} |")
    hs = [result(f"{work}/runs/{ds}-speed-{r}/result.h5")["samples_per_second"] for r in range(repeats)]
    ts = [load(f"{work}/runs/{ds}-speed-torch-{r}.json") for r in range(repeats)]
    hm, tm = st.median(hs), st.median(x["samples_per_second"] for x in ts)
    speed_rows.append(f"| {names[ds]} | {ts[0]['network']} | {ts[0]['batch_size']} | {ts[0]['n_train']} | "
                      f"{hm:,.0f} | {tm:,.0f} | **{hm / tm:.2f}** |")
    if E["BASELINE"]:
        bs = st.median(result(f"{work}/runs/{ds}-base-{r}/result.h5")["samples_per_second"] for r in range(repeats))
        base_rows.append(f"| {names[ds]} | {bs:,.0f} | {bs / tm:.2f} | {hm:,.0f} | {hm / tm:.2f} | **{hm / bs:.2f}** |")

parallel = "; ".join(first_torch["torch_parallel"])
print(f"""### hepsweep vs PyTorch, {datetime.date.today().isoformat()} (git {E['GIT']})

Reproduce: `{E['REPRO']}` (hepsweep binary: {E['BUILD_NOTE']})

| environment | |
|---|---|
| CPU | {E['CPU']} ({E['CORES']} cores online; load average before the report {E['LOAD']}) |
| hepsweep | `{E['VERSION']}`; kernel {E['KERNEL'] or 'not reported (binary before kernel dispatch)'} |
| g++ | {E['GXX']} |
| PyTorch | {first_torch['torch_version']} (Python {first_torch['python']}); {parallel}; BLAS: {first_torch.get('blas', 'not recorded')} |
| OPENBLAS_CORETYPE | {first_torch['OPENBLAS_CORETYPE']}{' (' + os.environ['OPENBLAS_CORE_NOTE'] + ')' if os.environ.get('OPENBLAS_CORE_NOTE') else ''} |
| threads | 1 each (hepsweep: OMP_NUM_THREADS=1; torch: set_num_threads(1), set_num_interop_threads(1), OPENBLAS_NUM_THREADS=1) |

**Accuracy**: tutorial campaign (balance downsample, split 0.34/0.33/0.33, standard scaler, Adam 1e-3,
batch 100, dropout 0.2, early stopping on val_loss, patience 10, best weights restored).
Seeds 42..{41 + nseeds}: each seed is one hepsweep run (its own split) and one PyTorch run on that run's
exact rows (`scores/*_rows` of result.h5). AUC mean ± sd over the seeds; epochs are best/run per seed;
|diff| is the difference of the means (target < 0.01). Train/val/test sizes are those of seed 42.

| dataset | network | train/val/test | hepsweep test AUC (best/run) | PyTorch test AUC (best/run) | \\|diff\\| | < 0.01 |
|---|---|---|---|---|---|---|
""" + "\n".join(acc_rows) + f"""

**Speed**: {epochs} epochs, no early stopping, 1 thread, median of {repeats} runs; samples/s =
n_train × epochs / time of the training loop (including the per-epoch validation pass), data loading excluded.
Ratio > 1: hepsweep is faster.

| dataset | network | batch | n_train | hepsweep samples/s | PyTorch samples/s | hepsweep/torch |
|---|---|---|---|---|---|---|
""" + "\n".join(speed_rows) + "\n" + (f"""
**Baseline** (`--baseline`): `{E['BASELINE_VERSION']}` ({E['BASELINE']}), timed in the same speed runs,
interleaved (hepsweep, PyTorch, baseline per repeat); medians of {repeats}.

| dataset | baseline samples/s | baseline/torch | hepsweep samples/s | hepsweep/torch | hepsweep/baseline |
|---|---|---|---|---|---|
""" + "\n".join(base_rows) + "\n" if E["BASELINE"] else ""))
with os.fdopen(3, "w") as status:
    status.write("ok" if ok else "fail")
EOF

cat "$REPORT"
if [[ -n "$APPEND" ]]; then
  { echo; cat "$REPORT"; } >>"$APPEND"
  log "appended to $APPEND"
fi
[[ $(cat "$STATUS_FILE") == ok ]] || { log "an accuracy difference reached 0.01"; exit 1; }
