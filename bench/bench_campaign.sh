#!/usr/bin/env bash
# Campaign benchmark on the SHiP HNL tutorial pair (see bench/README.md):
#   (a) throughput: a 16-item sweep (4 grid points x 4 folds, the tutorial network) on 1 rank and
#       on 2 ranks as 2 groups of 1; efficiency = T1 / (2 T2), goal >= 90 %.
#   (b) data parallelism: one item of a compute-heavy network (3 x 256, batch 1024) on the 20k
#       UCI HIGGS events of uci_higgs_sigbkg_root, on 1 rank and on one group of 2 ranks;
#       speed-up = T1 / T2 (the gradient exchange and per-epoch checkpoints are in T2).
# Wall times include process start-up, data loading and result writing (mpiexec adds ~0.3 s); the
# training loops' own speed-up (train_seconds) is printed beside them. --data-parallel-only runs (b)
# alone (about a minute), for re-measuring the G=2 speed-up of issue 17 (goal >= 1.8) on a quiet machine.
# Prints a markdown block for bench/RESULTS.md (and appends it to --append FILE).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DATA=${SHARED_DATA:-$ROOT/../shared/data}
APPEND=""
DP_ONLY=0
ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --data-parallel-only) DP_ONLY=1; shift ;;
    -h|--help) echo "usage: bench/bench_campaign.sh [--append FILE] [--data-parallel-only]   (HEPSWEEP_BIN: binary to use)"; exit 0 ;;
    *) echo "bench_campaign.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if [[ -z "${HEPSWEEP_BIN:-}" ]]; then
  (cd "$ROOT" && cmake --preset release > /dev/null && cmake --build --preset release --target hepsweep > /dev/null)
  HEPSWEEP_BIN=$ROOT/build/release/src/cli/hepsweep
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$HEPSWEEP_BIN" convert --quiet -o "$WORK/ship.h5" \
  --signal "$DATA/ship_hnl/Mini-school/kinematic_variables_HNLtoPimu.dat.gz" \
  --background "$DATA/ship_hnl/Mini-school/kinematic_variables_Back.dat.gz" --drop "Good Reco,Event Type"
"$HEPSWEEP_BIN" convert --quiet -o "$WORK/higgs20k.h5" \
  --signal "$DATA/uci_higgs_sigbkg_root/sig_tree.csv.gz" --background "$DATA/uci_higgs_sigbkg_root/bkg_tree.csv.gz"

sweep() {  # $1 = run dir
  cat <<TOML
seed = 42
[data]
file = "$WORK/ship.h5"
balance = "downsample"
split = { train = 0.6, val = 0.2, test = 0.2 }
[model]
widths = [25, 20]
dropout = 0.2
[train]
batch_size = 100
epochs = 150
early_stopping = { enabled = false }
[output]
dir = "$1"
[cv]
folds = 4
[search]
method = "grid"
[search.space]
"train.learning_rate" = [0.0003, 0.001]
"model.activation" = ["relu", "elu"]
TOML
}
heavy() {  # $1 = run dir, $2 = ranks per item
  cat <<TOML
seed = 42
[data]
file = "$WORK/higgs20k.h5"
split = { train = 0.6, val = 0.2, test = 0.2 }
[model]
widths = [256, 256, 256]
dropout = 0.0
[train]
batch_size = 1024
micro_batches = 4
epochs = 40
early_stopping = { enabled = false }
[output]
dir = "$1"
[cv]
folds = 2
[search]
method = "grid"
[search.space]
"train.learning_rate" = [0.001]
[resources]
ranks_per_item = $2
TOML
}
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

SWEEP_ROW=""
if [[ $DP_ONLY == 0 ]]; then
  sweep "$WORK/s1" > "$WORK/s1.toml"; sweep "$WORK/s2" > "$WORK/s2.toml"
  T1=$(seconds "$HEPSWEEP_BIN" train "$WORK/s1.toml" --quiet)
  T2=$(seconds mpiexec -n 2 "$HEPSWEEP_BIN" train "$WORK/s2.toml" --quiet)
  EFF=$(echo "100 * $T1 / (2 * $T2)" | bc -l)
  SWEEP_ROW="| 16-item sweep (4 points x 4 folds, 16-25-20-1, 150 epochs), 2 groups of 1 | $(printf %.2f "$T1") s | $(printf %.2f "$T2") s | efficiency $(printf %.1f "$EFF") % (goal >= 90 %) |"$'\n'
fi

# One item: --items 0/2 runs item 0 only (fold 0 of the single point).
heavy "$WORK/h1" 1 > "$WORK/h1.toml"; heavy "$WORK/h2" 2 > "$WORK/h2.toml"
H1=$(seconds "$HEPSWEEP_BIN" train "$WORK/h1.toml" --quiet --items 0/2)
H2=$(seconds mpiexec -n 2 "$HEPSWEEP_BIN" train "$WORK/h2.toml" --quiet --items 0/2)
SPEEDUP=$(echo "$H1 / $H2" | bc -l)
# The training loops alone (metrics/train_seconds: epochs with their validation and checkpoints),
# without start-up, data preparation and result writing.
loop() { /usr/bin/python3 -c "import h5py,sys; print(float(h5py.File(sys.argv[1])['metrics/train_seconds'][()]))" "$1"; }
L1=$(loop "$WORK/h1/items/000000/result.h5"); L2=$(loop "$WORK/h2/items/000000/result.h5")
LOOP_SPEEDUP=$(echo "$L1 / $L2" | bc -l)
SAME=$(/usr/bin/python3 "$ROOT/tests/e2e/compare_results.py" "$WORK/h1/items/000000/result.h5" "$WORK/h2/items/000000/result.h5" \
  --ignore /@created --ignore /@config --ignore /@command_line --ignore /@run_dir --ignore /@ranks_per_item \
  --ignore /history/epoch_seconds --ignore /metrics/train_seconds --ignore /metrics/samples_per_second | tail -1)

block=$(cat <<MD

### hepsweep campaigns on MPI, $(date -u +%Y-%m-%d) (git $(git -C "$ROOT" describe --always --dirty --abbrev=12))

Reproduce: \`bench/bench_campaign.sh ${ORIG_ARGS[*]}\`

| environment | |
|---|---|
| CPU | $(lscpu | sed -n 's/^Model name: *//p' | head -1) ($(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)) |
| hepsweep | \`$("$HEPSWEEP_BIN" --version | head -1)\`; kernel $("$HEPSWEEP_BIN" --version | sed -n 's/^kernel: //p') |
| MPI | $(mpiexec --version | head -1) |
| OPENBLAS_CORETYPE | ${OPENBLAS_CORETYPE:-(unset)} |

| measurement | 1 rank | 2 ranks | figure |
|---|---|---|---|
${SWEEP_ROW}| one item, 28-256-256-256-1 on 20k HIGGS events (8k train), batch 1024 (4 micro-batches), 40 epochs, 1 group of 2 | $(printf %.2f "$H1") s | $(printf %.2f "$H2") s | speed-up $(printf %.2f "$SPEEDUP") |
| the same item's training loop (train_seconds: epochs, validation, checkpoints) | $(printf %.2f "$L1") s | $(printf %.2f "$L2") s | speed-up $(printf %.2f "$LOOP_SPEEDUP") (goal of issue 17: >= 1.8) |

The 2-rank item's result file against the 1-rank one: $SAME.
MD
)
echo "$block"
if [[ -n "$APPEND" ]]; then echo "$block" >> "$APPEND"; fi
