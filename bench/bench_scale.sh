#!/usr/bin/env bash
# Campaign cost at realistic data sizes (issue: per-item overhead, result volume and memory
# independent of the number of events). On HIGGS-like files of 1M and 2M events (generated
# reproducibly by make_higgs_like.py, converted with convert's defaults), a 2-fold x 2-point
# campaign of [25, 20] networks with a short training loop, run
#   (a) as one process, and
#   (b) under mpiexec -n 2 (two groups of one rank, resources.data = "node": one copy of the data
#       shared by the two ranks),
# measuring
#   - overhead per item = (ranks x wall time - sum of the items' training loops) / items, per
#     million events (core-seconds: mpiexec and MPI start-up, reading the data, splits,
#     preprocessing fits, evaluation, result files, and any rank's wait for another);
#   - result.h5 size per item, and the projected size of a 10,000-item campaign;
#   - peak RSS (VmHWM) and peak PSS per rank (bench/memwatch.py), against the feature bytes.
# Goals: overhead <= 1 s per million events, result <= 1 MB per item, RSS <= 1.5 x features + 100 MB.
# With 4 items the job's one-time costs (process and MPI start-up, the data read once per job)
# weigh a quarter each on every item. So the same campaign is also run with --points-large points
# (default 8: 2 folds x 8 points = 16 items), and the two overheads O(n) = ranks x wall - training
# loops give, assuming O(n) = F + n x m:
#   m = (O(16) - O(4)) / 12   the marginal overhead of one more item (core-s),
#   F = O(4) - 4 m            the job's fixed cost (core-s),
#   m + F / 1000              the overhead per item of a 1,000-item campaign.
# Prints a markdown block (appended to --append FILE).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
APPEND=""
SIZES="1000000 2000000"
EPOCHS=2
LARGE=8
ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --points-large) LARGE=$2; shift 2 ;;
    --workdir) WORK=$2; KEEP=1; shift 2 ;;
    -h|--help)
      echo "usage: bench/bench_scale.sh [--sizes \"1000000 2000000\"] [--epochs N] [--points-large P] [--workdir DIR] [--append FILE]"
      echo "       --points-large P: also run 2 folds x P points to split fixed and marginal cost (0: skip; default 8)"
      echo "       (HEPSWEEP_BIN: binary to use; default: build the bench preset)"
      exit 0 ;;
    *) echo "bench_scale.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if [[ -z "${HEPSWEEP_BIN:-}" ]]; then
  (cd "$ROOT" && cmake --preset bench > /dev/null && cmake --build --preset bench --target hepsweep > /dev/null)
  HEPSWEEP_BIN=$ROOT/build/bench/src/cli/hepsweep
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
if [[ -z "${WORK:-}" ]]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"

campaign() {  # $1 data file, $2 run dir, $3 the learning rates of the grid (a TOML array's items)
  cat <<TOML
seed = 42
[data]
file = "$1"
split = { train = 0.6, val = 0.2, test = 0.2 }
[model]
widths = [25, 20]
dropout = 0.1
[train]
batch_size = 1024
epochs = $EPOCHS
[output]
dir = "$2"
[cv]
folds = 2
[search]
method = "grid"
[search.space]
"train.learning_rate" = [$3]
[resources]
data = "node"
TOML
}

# Sum of the items' training loops (s), total and mean result size (bytes), item count.
summarise() {  # $1 run dir
  "$PYTHON" - "$1" <<'PY'
import glob, os, sys, h5py
files = sorted(glob.glob(os.path.join(sys.argv[1], "items", "*", "result.h5")))
train = sum(float(h5py.File(f, "r")["metrics/train_seconds"][()]) for f in files)
sizes = [os.path.getsize(f) for f in files]
print(train, sum(sizes), max(sizes), len(files))
PY
}

# The grid's learning rates for P points: 0.001, 0.003 for the issue's 2 points, else P values
# from 0.001 in steps of 0.0005.
rates() {
  if [[ $1 == 2 ]]; then echo "0.001, 0.003"; return; fi
  "$PYTHON" -c "import sys; print(', '.join(f'{0.001 + 0.0005 * i:g}' for i in range(int(sys.argv[1]))))" "$1"
}

# Runs the campaign of $3 points on $1 events with $2 ranks; prints
# "wall training_loops_s result_bytes max_result_bytes items memwatch_json".
run_campaign() {
  local n=$1 ranks=$2 points=$3 data=$WORK/higgs$1.h5 run=$WORK/run$1-$2-$3
  campaign "$data" "$run" "$(rates "$points")" > "$WORK/c.toml"
  local cmd
  if [[ $ranks == 1 ]]; then cmd=("$HEPSWEEP_BIN" train "$WORK/c.toml" --fresh --quiet)
  else cmd=(mpiexec -n "$ranks" "$HEPSWEEP_BIN" train "$WORK/c.toml" --fresh --quiet); fi
  local mem
  mem=$("$PYTHON" "$SCRIPT_DIR/memwatch.py" -- "${cmd[@]}" 2> "$WORK/log$n-$ranks-$points.txt")
  echo "$(summarise "$run") $mem"
}

rows=()
costRows=()
for n in $SIZES; do
  csv=$WORK/higgs$n.csv data=$WORK/higgs$n.h5
  [[ -f $data ]] || { "$PYTHON" "$SCRIPT_DIR/make_higgs_like.py" "$n" "$csv"; "$HEPSWEEP_BIN" convert --quiet "$csv" --label label -o "$data"; rm -f "$csv"; }
  featureMb=$("$PYTHON" -c "import h5py; d = h5py.File('$data')['features']; print(d.shape[0] * d.shape[1] * 4 / 2**20)")
  for ranks in 1 2; do
    read -r trainS bytes maxBytes items mem < <(run_campaign "$n" "$ranks" 2)
    rows+=("$("$PYTHON" - "$n" "$ranks" "$featureMb" "$trainS" "$bytes" "$maxBytes" "$items" "$mem" <<'PY'
import json, sys
n, ranks, feat, train, total, biggest, items = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
m = json.loads(sys.argv[8])
wall = m["wall"]
overhead = (ranks * wall - train) / items
procs = m["processes"]
rss = max(p["peak_rss_mb"] for p in procs)
pss = max(p["peak_pss_mb"] for p in procs)
goal = 1.5 * feat + 100
print(f"| {n/1e6:.0f}M | {ranks} | {wall:.1f} | {train:.1f} | {overhead:.2f} | **{overhead / (n / 1e6):.2f}** | "
      f"{total / items / 1e6:.3f} (max {biggest / 1e6:.3f}) | {feat:.0f} | {rss:.0f} | {pss:.0f} | {goal:.0f} | "
      f"{'yes' if rss <= goal else 'no'} | {total / items * 10000 / 1e9:.2f} |")
PY
)")
    if [[ $LARGE -gt 2 ]]; then
      smallWall=$("$PYTHON" -c "import json, sys; print(json.loads(sys.argv[1])['wall'])" "$mem")
      read -r trainL _ _ itemsL memL < <(run_campaign "$n" "$ranks" "$LARGE")
      costRows+=("$("$PYTHON" - "$n" "$ranks" "$items" "$smallWall" "$trainS" "$itemsL" "$memL" "$trainL" <<'PY'
import json, sys
n, ranks = int(sys.argv[1]), int(sys.argv[2])
i4, w4, t4 = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
iL, wL, tL = int(sys.argv[6]), json.loads(sys.argv[7])["wall"], float(sys.argv[8])
o4, oL = ranks * w4 - t4, ranks * wL - tL
m = (oL - o4) / (iL - i4)
f = o4 - i4 * m
per_m = n / 1e6
thousand = m + f / 1000
print(f"| {n/1e6:.0f}M | {ranks} | {i4} / {iL} | {w4:.1f} / {wL:.1f} | {t4:.1f} / {tL:.1f} | {o4:.1f} / {oL:.1f} | "
      f"{f:.1f} | {m:.2f} | **{m / per_m:.2f}** | {o4 / i4 / per_m:.2f} | **{thousand / per_m:.2f}** |")
PY
)")
    fi
  done
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
  echo
  echo "### Campaign cost at scale, $(date -u +%Y-%m-%d) (git $(git -C "$ROOT" describe --always --dirty --abbrev=12))"
  echo
  echo "Reproduce: \`bench/bench_scale.sh ${ORIG_ARGS[*]}\` (hepsweep: \`$("$HEPSWEEP_BIN" --version | head -1)\`)"
  echo
  echo "CPU: $cpu ($(nproc --all) cores), kernel $(uname -r); load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "A 2-fold x 2-point grid of [25, 20] networks, $EPOCHS epochs of batch 1024, on HIGGS-like files"
  echo "(28 features, convert's default shuffle + deflate). Overhead per item = (ranks x wall - sum of the"
  echo "items' training loops) / items, in core-seconds. RSS: peak resident set of the largest rank (VmHWM);"
  echo "PSS: its peak proportional set size (the node copy of the data counts half for each of 2 ranks)."
  echo
  echo "| events | ranks | wall s | training loops s | overhead s/item | overhead s/item per M events | result.h5 MB/item | features MB | peak RSS MB | peak PSS MB | 1.5 x features + 100 MB | RSS within | 10,000 items GB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  if [[ ${#costRows[@]} -gt 0 ]]; then
    echo
    echo "Fixed and marginal cost: the same campaign with 2 and $LARGE points (2 folds each). O = ranks x wall -"
    echo "training loops (core-s) of each run; marginal m = (O_large - O_small) / (items_large - items_small) is what"
    echo "one more item costs besides its training loop; fixed F = O_small - items_small x m is what the job pays"
    echo "once (process and MPI start-up, the data read once per job, run-directory checks, the last item's wait"
    echo "for the others); a 1,000-item campaign pays m + F / 1000 per item. Per M events: divided by the"
    echo "millions of events. Two runs, so noisy: a negative F or m means the noise exceeded the difference."
    echo
    echo "| events | ranks | items | wall s | training loops s | overhead O core-s | fixed F core-s/job | marginal m core-s/item | marginal per M events | 4-item overhead per item per M events | 1,000-item campaign per item per M events |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${costRows[@]}"
  fi
} | tee -a "${APPEND:-/dev/null}"
