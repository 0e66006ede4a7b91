#!/usr/bin/env bash
# Scoring speed: `hepsweep apply` against the PyTorch script that does the same job
# (bench/apply_reference.py: h5py read -> each fold's preprocessing -> forward -> sigmoid -> mean
# -> h5py write of the same datasets), end to end on N HIGGS-like events (bench/make_higgs_like.py,
# reproducible), from an uncompressed input (`convert --compression-level 0`) and from convert's
# default compressed output (shuffle + deflate). The model: 2 folds of 28-25-20-1 (relu), trained
# by hepsweep on 50k other events of the same generator. Runs are interleaved, medians reported.
#
# Times: *in-process* = apply's own `seconds` / the reference's stages after its imports (model
# read to output written); *CPU* = the process's CPU time (wait4 rusage, start-up included for
# hepsweep) / the reference's CPU time after its imports; *whole process* = wall and CPU of the
# process, interpreter start-up and imports included. On a shared machine CPU time is the robust
# figure (waiting for a core does not count). Prints a markdown block for bench/RESULTS.md.
set -euo pipefail

usage() {
  cat <<'EOF2'
usage: bench/bench_apply.sh [--append FILE] [--events N] [--repeats N] [--threads N]
  --append FILE  also append the markdown block to FILE (e.g. bench/RESULTS.md)
  --events N     events scored (default 1000000)
  --repeats N    runs per program and input, interleaved; medians reported (default 5)
  --threads N    apply --threads N; the reference gets N torch threads (default 1)
Environment: HEPSWEEP_BIN (binary to use instead of building the default `release` preset),
  PYTHON (default /usr/bin/python3), OPENBLAS_CORETYPE (passed to PyTorch's OpenBLAS when set; when
  unset and OpenBLAS falls back to a core below the CPU's, bench/openblas_core.sh sets it).
EOF2
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
# shellcheck source=openblas_core.sh
source "$SCRIPT_DIR/openblas_core.sh"
APPEND="" EVENTS=1000000 REPEATS=5 THREADS=1
ORIG_ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_apply.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$EVENTS" "$REPEATS" "$THREADS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench_apply.sh: '$n' is not a positive integer" >&2; exit 2; }
done
log() { echo "[bench_apply] $*" >&2; }

if [[ -z "${HEPSWEEP_BIN:-}" ]]; then
  log "building hepsweep with the default 'release' preset (portable, kernels chosen at run time)"
  (cd "$ROOT" && cmake --preset release >&2 && cmake --build --preset release --target hepsweep >&2)
  HEPSWEEP_BIN=$ROOT/build/release/src/cli/hepsweep
  BUILD_NOTE="cmake --preset release && cmake --build --preset release"
else
  BUILD_NOTE="given as HEPSWEEP_BIN"
fi
BIN=$HEPSWEEP_BIN
# torch.set_num_threads does not reach OpenBLAS' own pool (Debian's pthread build).
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hepsweep-apply.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)

log "generating $EVENTS events and 50000 training events"
"$PY" "$SCRIPT_DIR/make_higgs_like.py" "$EVENTS" "$WORK/events.csv"
"$PY" "$SCRIPT_DIR/make_higgs_like.py" 50000 "$WORK/train.csv" --seed 7
"$BIN" convert "$WORK/events.csv" --label label --compression-level 0 -q -o "$WORK/raw.h5"
"$BIN" convert "$WORK/events.csv" --label label -q -o "$WORK/compressed.h5"
"$BIN" convert "$WORK/train.csv" --label label -q -o "$WORK/train.h5"
rm -f "$WORK/events.csv" "$WORK/train.csv"
cat >"$WORK/model.toml" <<TOML
seed = 42
[data]
file = "$WORK/train.h5"
split = { train = 0.6, val = 0.2, test = 0.2 }
[model]
widths = [25, 20]
dropout = 0.2
[train]
batch_size = 100
epochs = 5
early_stopping = { enabled = false }
[output]
dir = "$WORK/run"
[cv]
folds = 2
TOML
log "training the 2-fold model"
"$BIN" train "$WORK/model.toml" --quiet >/dev/null
"$BIN" aggregate "$WORK/run" --no-report --no-inspect --best-model "$WORK/best-model.h5" -o "$WORK/summary.h5" >/dev/null

# measure OUT CMD...: runs CMD with its stdout in OUT; prints the wall and CPU seconds (the
# child's rusage from wait4) and its peak RSS as JSON.
measure() {
  "$PY" - "$@" <<'PY'
import json, os, subprocess, sys, time
with open(sys.argv[1], "w") as out:
    t = time.perf_counter()
    p = subprocess.Popen(sys.argv[2:], stdout=out)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
if status != 0:
    sys.exit(f"bench_apply.sh: {' '.join(sys.argv[2:])} failed (status {status})")
print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024}))
PY
}

for ((r = 0; r < REPEATS; r++)); do
  for input in raw compressed; do
    log "run $((r + 1))/$REPEATS, $input input: hepsweep"
    measure "$WORK/h-$input-$r.json" "$BIN" apply "$WORK/best-model.h5" "$WORK/$input.h5" -o "$WORK/h-$input.h5" \
      --threads "$THREADS" --json >"$WORK/hp-$input-$r.json"
    log "run $((r + 1))/$REPEATS, $input input: PyTorch"
    measure "$WORK/t-$input-$r.json" "$PY" "$SCRIPT_DIR/apply_reference.py" "$WORK/best-model.h5" "$WORK/$input.h5" \
      -o "$WORK/t-$input.h5" --threads "$THREADS" >"$WORK/tp-$input-$r.json"
  done
done
LOAD_AFTER=$(cut -d" " -f1-3 /proc/loadavg)

CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
FLAGS=$(grep -o -w 'avx512f\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')
REPRO="bench/bench_apply.sh${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}"
[[ "$BUILD_NOTE" == "given as HEPSWEEP_BIN" ]] && REPRO="HEPSWEEP_BIN=$HEPSWEEP_BIN $REPRO"
WORK="$WORK" REPEATS="$REPEATS" THREADS="$THREADS" CPU="$CPU" FLAGS="$FLAGS" LOAD_BEFORE="$LOAD_BEFORE" \
LOAD_AFTER="$LOAD_AFTER" VERSION="$("$BIN" --version | head -n1)" KERNEL="$("$BIN" --version | sed -n 's/^kernel: //p')" \
REPRO="$REPRO" BUILD_NOTE="$BUILD_NOTE" GIT="$(git -C "$ROOT" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)" \
  "$PY" - >"$WORK/report.md" <<'PY'
import datetime, json, os, statistics as st
import h5py, numpy as np
E = os.environ
work, repeats = E["WORK"], int(E["REPEATS"])
def load(pattern):
    return [json.load(open(f"{work}/{pattern.format(r=r)}")) for r in range(repeats)]
rows, worst = [], 0.0
size = {k: os.path.getsize(f"{work}/{k}.h5") / 1e6 for k in ("raw", "compressed")}
for inp, label in (("raw", "uncompressed"), ("compressed", "convert's default (shuffle + deflate)")):
    h, hp = load(f"h-{inp}-{{r}}.json"), load(f"hp-{inp}-{{r}}.json")
    t, tp = load(f"t-{inp}-{{r}}.json"), load(f"tp-{inp}-{{r}}.json")
    m = lambda xs: st.median(xs)
    h_in, t_in = m(x["seconds"] for x in h), m(x["seconds"] for x in t)
    h_cpu, t_cpu = m(x["cpu"] for x in hp), m(x["cpu_seconds"] for x in t)
    h_wall, t_wall = m(x["wall"] for x in hp), m(x["wall"] for x in tp)
    h_pcpu, t_pcpu = m(x["cpu"] for x in hp), m(x["cpu"] for x in tp)
    n = h[0]["rows"]
    rows.append(f"| {label}, {size[inp]:.0f} MB | in-process wall | {h_in:.3f} s ({n / h_in / 1e6:.2f} M/s) | {t_in:.3f} s | **{t_in / h_in:.2f}** |")
    rows.append(f"| | CPU (hepsweep: whole process; PyTorch: after its imports) | {h_cpu:.3f} s | {t_cpu:.3f} s | **{t_cpu / h_cpu:.2f}** |")
    rows.append(f"| | whole process, wall / CPU | {h_wall:.3f} / {h_pcpu:.3f} s | {t_wall:.3f} / {t_pcpu:.3f} s | {t_wall / h_wall:.2f} / {t_pcpu / h_pcpu:.2f} |")
    rows.append(f"| | peak RSS | {max(x['maxrss_mb'] for x in hp):.0f} MB | {max(x['maxrss_mb'] for x in tp):.0f} MB | |")
    with h5py.File(f"{work}/h-{inp}.h5") as a, h5py.File(f"{work}/t-{inp}.h5") as b:
        worst = max(worst, float(np.abs(a["score"][...].astype(np.float64) - b["score"][...]).max()))
        assert np.array_equal(a["labels"][...], b["labels"][...]) and np.array_equal(a["weights"][...], b["weights"][...])
t0 = load("t-raw-{r}.json")[0]
stages = {k: st.median(x[k] for x in load("t-raw-{r}.json")) for k in ("read", "preprocess", "forward", "write")}
print(f"""### apply vs a PyTorch script, {datetime.date.today().isoformat()} (git {E['GIT']})

Reproduce: `{E['REPRO']}` (hepsweep binary: {E['BUILD_NOTE']})

| environment | |
|---|---|
| CPU | {E['CPU']} (flags: {E['FLAGS'].strip()}; load average before {E['LOAD_BEFORE']}, after {E['LOAD_AFTER']}) |
| hepsweep | `{E['VERSION']}`; kernel {E['KERNEL']}; `apply --threads {E['THREADS']}` |
| PyTorch | {t0['torch_version']}, {t0['threads']} thread(s); BLAS: {t0['blas']}{' (' + E['OPENBLAS_CORE_NOTE'] + ')' if E.get('OPENBLAS_CORE_NOTE') else ''}; h5py {h5py.__version__}, numpy {np.__version__} |

{t0['rows']:,} HIGGS-like events (bench/make_higgs_like.py), 28 features; best-model.h5 of 2 folds of
28-25-20-1 (relu, standard scaler). Both programs read the features, labels and weights, apply each
fold's preprocessing and network, average the sigmoids and write score, labels and weights (chunks
of 8192 rows, shuffle + deflate 1). PyTorch scores in blocks of 65536 rows (the whole array at once
is several times slower). Median of {repeats} interleaved runs each. Largest |score difference|
between the two outputs: {worst:.1e} (float32 rounding; labels and weights identical).

| input | time | hepsweep | PyTorch | PyTorch / hepsweep |
|---|---|---|---|---|
""" + "\n".join(rows) + f"""

PyTorch's stages on the uncompressed input (median wall s): read {stages['read']:.3f}, preprocessing
{stages['preprocess']:.3f}, forward {stages['forward']:.3f}, write {stages['write']:.3f}.
""")
PY
cat "$WORK/report.md"
if [[ -n "$APPEND" ]]; then { echo; cat "$WORK/report.md"; } >>"$APPEND"; log "appended to $APPEND"; fi
