#!/usr/bin/env bash
# Wide-network training speed: hepsweep against the PyTorch reference (bench/torch_reference.py)
# on 28-256-256-256-1 (relu, no dropout, Adam, batch 1024) on the 20k UCI HIGGS events of
# uci_higgs_sigbkg_root, 1 thread each, in the same run: samples/s, GFLOP/s and the ratio, for
# each kernel level asked for (HEPSWEEP_KERNEL), with torch.mm's peak on this CPU measured in the
# same run and the BLAS PyTorch runs on. Prints a markdown block for bench/RESULTS.md.
#
# FLOPs counted (the same for both programs): per training event 2P (forward) + 2P (weight
# gradients) + 2(P - P1) (gradients of the hidden activations; none for the input layer), per
# validation event 2P, where P = sum of in x out over the layers and P1 the input layer's.
# Bias, activation, loss and optimiser work is not counted (it is < 1 % here) but is timed.
set -euo pipefail

usage() {
  cat <<'EOF2'
usage: bench/bench_wide.sh [--append FILE] [--epochs N] [--repeats N] [--levels "L ..."]
  --append FILE   also append the markdown block to FILE (e.g. bench/RESULTS.md)
  --epochs N      epochs per run (default 10)
  --repeats N     runs per program and level, interleaved; medians reported (default 3)
  --levels "..."  HEPSWEEP_KERNEL values to time (default "portable v3 auto"; auto = best level)
Environment: HEPSWEEP_BIN (binary to use instead of building the default `release` preset),
  PYTHON (default /usr/bin/python3), SHARED_DATA (default <repo>/../shared/data),
  OPENBLAS_CORETYPE (passed to PyTorch's OpenBLAS when set; when unset and OpenBLAS falls back
  to a core below the CPU's, bench/openblas_core.sh sets it).
EOF2
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
# shellcheck source=openblas_core.sh
source "$SCRIPT_DIR/openblas_core.sh"
DATA=${SHARED_DATA:-$ROOT/../shared/data}
APPEND="" EPOCHS=10 REPEATS=3 LEVELS="portable v3 auto"
ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --levels) LEVELS=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_wide.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$EPOCHS" "$REPEATS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench_wide.sh: '$n' is not a positive integer" >&2; exit 2; }
done
log() { echo "[bench_wide] $*" >&2; }

if [[ -z "${HEPSWEEP_BIN:-}" ]]; then
  log "building hepsweep with the default 'release' preset (portable, kernels chosen at run time)"
  (cd "$ROOT" && cmake --preset release >&2 && cmake --build --preset release --target hepsweep >&2)
  HEPSWEEP_BIN=$ROOT/build/release/src/cli/hepsweep
  BUILD_NOTE="cmake --preset release && cmake --build --preset release"
else
  BUILD_NOTE="given as HEPSWEEP_BIN"
fi
BIN=$HEPSWEEP_BIN
export OMP_NUM_THREADS=1
# torch.set_num_threads(1) does not reach OpenBLAS' own thread pool (Debian's pthread build): without
# this it splits every product over all cores, which on a loaded machine waits for a second core.
export OPENBLAS_NUM_THREADS=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hepsweep-wide.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$BIN" convert --quiet -o "$WORK/higgs20k.h5" \
  --signal "$DATA/uci_higgs_sigbkg_root/sig_tree.csv.gz" --background "$DATA/uci_higgs_sigbkg_root/bkg_tree.csv.gz"
cat >"$WORK/wide.toml" <<TOML
seed = 42
[data]
file = "$WORK/higgs20k.h5"
split = { train = 0.6, val = 0.2, test = 0.2 }
[model]
widths = [256, 256, 256]
dropout = 0.0
[train]
batch_size = 1024
epochs = $EPOCHS
early_stopping = { enabled = false }
[output]
dir = "$WORK/unused"
scores = "all"   # the split's rows, for the PyTorch reference (torch_reference.py trains on them)
TOML

for ((r = 0; r < REPEATS; r++)); do
  for level in $LEVELS; do
    log "run $((r + 1))/$REPEATS: hepsweep, HEPSWEEP_KERNEL=$level"
    HEPSWEEP_KERNEL=$level "$BIN" train "$WORK/wide.toml" --quiet --threads 1 \
      --set "output.dir=$WORK/h-$level-$r" >"$WORK/h-$level-$r.log" 2>&1 || {
      cat "$WORK/h-$level-$r.log" >&2; exit 2; }
    HEPSWEEP_KERNEL=$level "$BIN" --version | sed -n 's/^kernel: //p' >"$WORK/h-$level.kernel"
  done
  log "run $((r + 1))/$REPEATS: PyTorch"
  first=$(echo $LEVELS | cut -d' ' -f1)
  "$PY" "$SCRIPT_DIR/torch_reference.py" --data "$WORK/higgs20k.h5" --result "$WORK/h-$first-$r/result.h5" \
    --threads 1 --quiet --epochs "$EPOCHS" --no-early-stopping --json "$WORK/t-$r.json" >/dev/null
done

log "torch.mm peak (1 thread)"
"$PY" - >"$WORK/mm.json" <<'PY'
import json, time, torch
torch.set_num_threads(1)
best = {}
for (m, k, n) in [(1024, 1024, 1024), (2048, 2048, 2048), (256, 256, 1024), (1024, 256, 256)]:
    a, b = torch.randn(m, k), torch.randn(k, n)
    torch.mm(a, b)
    reps = max(3, int(2e9 / (2 * m * k * n)))
    rates = []
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b)
        rates.append(2 * m * k * n * reps / (time.perf_counter() - t) / 1e9)
    best[f"{m}x{k}x{n}"] = max(rates)
print(json.dumps(best))
PY

CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
FLAGS=$(grep -o -w 'avx512f\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')
LOAD=$(cut -d" " -f1-3 /proc/loadavg)
REPRO="bench/bench_wide.sh${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}"
[[ -n "${HEPSWEEP_BIN:-}" && "$BUILD_NOTE" == "given as HEPSWEEP_BIN" ]] && REPRO="HEPSWEEP_BIN=$HEPSWEEP_BIN $REPRO"
WORK="$WORK" LEVELS="$LEVELS" REPEATS="$REPEATS" EPOCHS="$EPOCHS" CPU="$CPU" FLAGS="$FLAGS" LOAD="$LOAD" \
VERSION="$("$BIN" --version | head -n1)" REPRO="$REPRO" BUILD_NOTE="$BUILD_NOTE" \
GIT="$(git -C "$ROOT" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)" \
  "$PY" - >"$WORK/report.md" <<'PY'
import datetime, json, os, statistics as st
import h5py, numpy as np
E = os.environ
work, levels, repeats = E["WORK"], E["LEVELS"].split(), int(E["REPEATS"])
widths = [28, 256, 256, 256, 1]
P = sum(a * b for a, b in zip(widths, widths[1:]))
P1 = widths[0] * widths[1]
def result(path):
    with h5py.File(path, "r") as f:
        sec = float(np.asarray(f["metrics/train_seconds"][...]).reshape(-1)[0])
        ep = int(np.asarray(f["metrics/epochs_run"][...]).reshape(-1)[0])
        n = [int(f["split"].attrs[f"n_{p}"]) for p in ("train", "val")]  # sizes after balancing
    return sec, ep, n
def flops(n_train, n_val, epochs):
    return epochs * (n_train * (6 * P - 2 * P1) + n_val * 2 * P)
torch_runs = [json.load(open(f"{work}/t-{r}.json")) for r in range(repeats)]
t_sps = st.median(t["samples_per_second"] for t in torch_runs)
t0 = torch_runs[0]
t_gf = st.median(flops(t["n_train"], t["n_val"], t["epochs_run"]) / t["train_seconds"] / 1e9 for t in torch_runs)
mm = json.load(open(f"{work}/mm.json"))
peak = max(mm.values())
rows = []
for lv in levels:
    runs = [result(f"{work}/h-{lv}-{r}/result.h5") for r in range(repeats)]
    sps = st.median(n[0] * ep / sec for sec, ep, n in runs)
    gf = st.median(flops(n[0], n[1], ep) / sec / 1e9 for sec, ep, n in runs)
    kernel = open(f"{work}/h-{lv}.kernel").read().strip()
    rows.append(f"| HEPSWEEP_KERNEL={lv}: {kernel} | {sps:,.0f} | {gf:.1f} | **{sps / t_sps:.2f}** | {100 * gf / peak:.0f} % |")
print(f"""### Wide network, hepsweep vs PyTorch, {datetime.date.today().isoformat()} (git {E['GIT']})

Reproduce: `{E['REPRO']}` (hepsweep binary: {E['BUILD_NOTE']})

| environment | |
|---|---|
| CPU | {E['CPU']} (flags: {E['FLAGS'].strip()}; load average before the report {E['LOAD']}) |
| hepsweep | `{E['VERSION']}` |
| PyTorch | {t0['torch_version']}, 1 thread; BLAS: {t0.get('blas', 'unknown')}; OPENBLAS_CORETYPE {t0['OPENBLAS_CORETYPE']}{' (' + os.environ['OPENBLAS_CORE_NOTE'] + ')' if os.environ.get('OPENBLAS_CORE_NOTE') else ''} |
| torch.mm, 1 thread, GFLOP/s | {', '.join(f'{k}: {v:.1f}' for k, v in mm.items())} (peak {peak:.1f}) |

28-256-256-256-1 (relu, no dropout, Adam 1e-3), batch 1024, {t0['n_train']} training and {t0['n_val']} validation
events (UCI HIGGS 20k, split 0.6/0.2/0.2), {E['EPOCHS']} epochs without early stopping, 1 thread each, median of
{repeats} interleaved runs. samples/s = training events x epochs / training-loop time (validation pass
included); GFLOP/s counts the products only (see the script's header).

| program | samples/s | GFLOP/s | hepsweep / PyTorch | % of torch.mm peak |
|---|---|---|---|---|
""" + "\n".join(rows) + f"""
| PyTorch {t0['torch_version']} | {t_sps:,.0f} | {t_gf:.1f} | 1 | {100 * t_gf / peak:.0f} % |
""")
PY
cat "$WORK/report.md"
if [[ -n "$APPEND" ]]; then { echo; cat "$WORK/report.md"; } >>"$APPEND"; log "appended to $APPEND"; fi
