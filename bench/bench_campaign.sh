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
# --repeats N (default 3) runs (b) N times, 1 rank and 2 ranks interleaved, and reports medians.
# --fifo runs every hepsweep process of (b) under SCHED_FIFO (chrt -f 50; needs root or
# CAP_SYS_NICE): on a machine other work keeps busy this takes the cores from it, so the figure is
# close to a quiet machine's; the block says so. Not for a shared production node.
# Prints a markdown block for bench/RESULTS.md (and appends it to --append FILE).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
DATA=${SHARED_DATA:-$ROOT/../shared/data}
APPEND=""
DP_ONLY=0
REPEATS=3
FIFO=()
ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --data-parallel-only) DP_ONLY=1; shift ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --fifo) FIFO=(chrt -f 50); shift ;;
    -h|--help) echo "usage: bench/bench_campaign.sh [--append FILE] [--data-parallel-only] [--repeats N] [--fifo]   (HEPSWEEP_BIN: binary to use)"; exit 0 ;;
    *) echo "bench_campaign.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || { echo "bench_campaign.sh: --repeats needs a positive integer, not '$REPEATS'" >&2; exit 2; }
if [[ ${#FIFO[@]} -gt 0 ]] && ! chrt -f 50 true 2> /dev/null; then
  echo "bench_campaign.sh: --fifo needs permission to use SCHED_FIFO (root or CAP_SYS_NICE)" >&2; exit 2
fi

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

# One item: --items 0/2 runs item 0 only (fold 0 of the single point). 1 rank and 2 ranks
# alternate, so that a change of the machine's load hits both alike; medians of the repeats.
# The training loops alone (metrics/train_seconds: epochs with their validation and checkpoints),
# without start-up, data preparation and result writing.
loop() { /usr/bin/python3 -c "import h5py,sys; print(float(h5py.File(sys.argv[1])['metrics/train_seconds'][()]))" "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
heavy "$WORK/h1" 1 > "$WORK/h1.toml"; heavy "$WORK/h2" 2 > "$WORK/h2.toml"
H1S=(); H2S=(); L1S=(); L2S=(); LOADS=()
for ((r = 1; r <= REPEATS; ++r)); do
  rm -rf "$WORK/h1" "$WORK/h2"
  LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
  H1S+=("$(seconds "${FIFO[@]}" "$HEPSWEEP_BIN" train "$WORK/h1.toml" --quiet --items 0/2)")
  H2S+=("$(seconds "${FIFO[@]}" mpiexec -n 2 "$HEPSWEEP_BIN" train "$WORK/h2.toml" --quiet --items 0/2)")
  L1S+=("$(loop "$WORK/h1/items/000000/result.h5")"); L2S+=("$(loop "$WORK/h2/items/000000/result.h5")")
done
H1=$(median "${H1S[@]}"); H2=$(median "${H2S[@]}"); L1=$(median "${L1S[@]}"); L2=$(median "${L2S[@]}")
SPEEDUP=$(echo "$H1 / $H2" | bc -l)
LOOP_SPEEDUP=$(echo "$L1 / $L2" | bc -l)
SAME=$(/usr/bin/python3 "$ROOT/tests/e2e/compare_results.py" "$WORK/h1/items/000000/result.h5" "$WORK/h2/items/000000/result.h5" \
  --ignore /@created --ignore /@config --ignore /@command_line --ignore /@run_dir --ignore /@ranks_per_item \
  --ignore /history/epoch_seconds --ignore /metrics/train_seconds --ignore /metrics/samples_per_second | tail -1)
runs() { local t out=""; for t in "$@"; do out+=" $(printf %.2f "$t")"; done; echo "${out# }"; }
SCHED="ordinary scheduling"
[[ ${#FIFO[@]} -gt 0 ]] && SCHED="every hepsweep process under SCHED_FIFO (\`chrt -f 50\`, --fifo): other processes could not take the cores"

block=$(cat <<MD

### hepsweep campaigns on MPI, $(date -u +%Y-%m-%d) (git $(git -C "$ROOT" describe --always --dirty --abbrev=12))

Reproduce: \`bench/bench_campaign.sh ${ORIG_ARGS[*]}\`

| environment | |
|---|---|
| CPU | $(lscpu | sed -n 's/^Model name: *//p' | head -1) ($(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)) |
| hepsweep | \`$("$HEPSWEEP_BIN" --version | head -1)\`; kernel $("$HEPSWEEP_BIN" --version | sed -n 's/^kernel: //p') |
| MPI | $(mpiexec --version | head -1) |
| OPENBLAS_CORETYPE | ${OPENBLAS_CORETYPE:-(unset)} |
| HEPSWEEP_NODE_BARRIER | ${HEPSWEEP_NODE_BARRIER:-(unset: yield)} |
| item runs | medians of $REPEATS, 1 rank and 2 ranks alternating; $SCHED; 1-minute load average before each repeat: ${LOADS[*]} |

| measurement | 1 rank | 2 ranks | figure |
|---|---|---|---|
${SWEEP_ROW}| one item, 28-256-256-256-1 on 20k HIGGS events (8k train), batch 1024 (4 micro-batches), 40 epochs, 1 group of 2 | $(printf %.2f "$H1") s | $(printf %.2f "$H2") s | speed-up $(printf %.2f "$SPEEDUP") |
| the same item's training loop (train_seconds: epochs, validation, checkpoints) | $(printf %.2f "$L1") s | $(printf %.2f "$L2") s | speed-up $(printf %.2f "$LOOP_SPEEDUP") (goal of issue 17: >= 1.8) |

Runs (s): item on 1 rank $(runs "${H1S[@]}"), on 2 ranks $(runs "${H2S[@]}"); loop on 1 rank $(runs "${L1S[@]}"), on 2 ranks $(runs "${L2S[@]}").

The 2-rank item's result file against the 1-rank one (last repeat): $SAME.
MD
)
echo "$block"
if [[ -n "$APPEND" ]]; then echo "$block" >> "$APPEND"; fi
