#!/usr/bin/env bash
# Cost of permutation feature importance (aggregate --importance, issue 21): one extra scoring
# pass of the validation events per feature (or group) and repeat, per fold, plus reading the
# data file that aggregate otherwise does not need (the result files keep the test scores).
# On a HIGGS-like file (bench/make_higgs_like.py, 28 features, converted with convert's defaults)
# a 3-fold campaign of one [25, 20] network is trained once; then, interleaved and repeated:
#   (a) hepsweep aggregate RUN --no-report                 (without importance)
#   (b) hepsweep aggregate RUN --no-report --importance    (with)
#   (c) bench/importance_reference.py: the same passes with PyTorch + numpy on the fold networks
#       of best-model.h5 (same events per fold, one thread, the data file read with h5py)
# Reports the medians, the extra cost (b - a), per pass and per million events scored, and the
# ratio of the reference's time to hepsweep's extra time. Prints a markdown block (appended to
# --append FILE).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
PY=$PYTHON
# shellcheck source=openblas_core.sh
source "$SCRIPT_DIR/openblas_core.sh"
APPEND=""
EVENTS=1000000
REPEATS=3
EPOCHS=1
ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    -h|--help)
      echo "usage: bench/bench_importance.sh [--events 1000000] [--repeats 3] [--epochs 1] [--workdir DIR] [--append FILE]"
      echo "       (HEPSWEEP_BIN: binary to use; default: build the bench preset)"
      exit 0 ;;
    *) echo "bench_importance.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if [[ -z "${HEPSWEEP_BIN:-}" ]]; then
  (cd "$ROOT" && cmake --preset bench > /dev/null && cmake --build --preset bench --target hepsweep > /dev/null)
  HEPSWEEP_BIN=$ROOT/build/bench/src/cli/hepsweep
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
if [[ -z "${WORK:-}" ]]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"

data=$WORK/higgs$EVENTS.h5
if [[ ! -f $data ]]; then
  "$PYTHON" "$SCRIPT_DIR/make_higgs_like.py" "$EVENTS" "$WORK/higgs.csv"
  "$HEPSWEEP_BIN" convert --quiet "$WORK/higgs.csv" --label label -o "$data"
  rm -f "$WORK/higgs.csv"
fi
run=$WORK/run
cat > "$WORK/c.toml" <<TOML
seed = 42
[data]
file = "$data"
split = { train = 0.6, val = 0.2, test = 0.2 }
[model]
widths = [25, 20]
[train]
batch_size = 1024
epochs = $EPOCHS
[output]
dir = "$run"
[cv]
folds = 3
TOML
[[ -f $WORK/trained ]] || { "$HEPSWEEP_BIN" train "$WORK/c.toml" --fresh --quiet; touch "$WORK/trained"; }

now() { date +%s.%N; }
without=() with=() reference=()
for ((r = 0; r < REPEATS; ++r)); do
  t0=$(now); "$HEPSWEEP_BIN" aggregate "$run" --no-report -o "$WORK/s0.h5" > /dev/null; t1=$(now)
  without+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); "$HEPSWEEP_BIN" aggregate "$run" --no-report --importance -o "$WORK/s1.h5" > /dev/null; t1=$(now)
  with+=("$(echo "$t1 - $t0" | bc -l)")
  events=$("$PYTHON" -c "import h5py; print(int(h5py.File('$WORK/s1.h5')['importance/validation_events'][0]))")
  "$PYTHON" "$SCRIPT_DIR/importance_reference.py" "$WORK/best-model.h5" "$data" --events "$events" \
    --json "$WORK/ref$r.json" > /dev/null
  reference+=("$("$PYTHON" -c "import json; print(json.load(open('$WORK/ref$r.json'))['seconds'])")")
done

read -r folds groups events < <("$PYTHON" - "$WORK/s1.h5" <<'PY'
import sys, h5py
g = h5py.File(sys.argv[1])["importance"]
print(len(g["fold"]), len(g["feature"]), int(sum(g["validation_events"][...])))
PY
)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
blas=$("$PYTHON" -c "import json; print(json.load(open('$WORK/ref0.json'))['blas'])")
torchv=$("$PYTHON" -c "import json; print(json.load(open('$WORK/ref0.json'))['torch_version'])")
"$PYTHON" - "$EVENTS" "$folds" "$groups" "$events" "${without[*]}" "${with[*]}" "${reference[*]}" > "$WORK/table.md" <<'PY'
import statistics, sys
n, folds, groups, val = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
a = [float(x) for x in sys.argv[5].split()]
b = [float(x) for x in sys.argv[6].split()]
ref = [float(x) for x in sys.argv[7].split()]
ma, mb, mr = statistics.median(a), statistics.median(b), statistics.median(ref)
extra = mb - ma
passes = folds * (groups + 1)
scored = val * (groups + 1)
print("| events | folds | features | validation events (all folds) | aggregate without s | with --importance s | extra s | extra per pass ms | extra per M events scored s | PyTorch reference s | reference / extra |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
print(f"| {n/1e6:g}M | {folds} | {groups} | {val} | {ma:.2f} | {mb:.2f} | **{extra:.2f}** | {1e3*extra/passes:.1f} | "
      f"{extra/(scored/1e6):.3f} | {mr:.2f} | **{mr/extra:.1f}x** |")
print()
print("runs (s): without " + ", ".join(f"{x:.2f}" for x in a) + "; with " + ", ".join(f"{x:.2f}" for x in b) +
      "; reference " + ", ".join(f"{x:.2f}" for x in ref))
PY
{
  echo
  echo "### Permutation importance cost, $(date -u +%Y-%m-%d) (git $(git -C "$ROOT" describe --always --dirty --abbrev=12))"
  echo
  echo "Reproduce: \`bench/bench_importance.sh ${ORIG_ARGS[*]}\` (hepsweep: \`$("$HEPSWEEP_BIN" --version | head -1)\`)"
  echo
  echo "CPU: $cpu ($(nproc --all) cores), kernel $(uname -r); load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "PyTorch $torchv, BLAS: $blas, 1 thread. A 3-fold campaign of one [25, 20] network ($EPOCHS epoch(s))"
  echo "on a HIGGS-like file; aggregate with and without \`--importance\` and the reference interleaved,"
  echo "$REPEATS times, medians. Extra = with - without: reading the data file (and its sha256), rebuilding each"
  echo "fold's split, then (features + 1) scoring passes of the fold's validation events per fold."
  echo
  cat "$WORK/table.md"
} | tee -a "${APPEND:-/dev/null}"
