#!/usr/bin/env bash
# convert benchmark: `hepsweep convert` of a HIGGS-like CSV (label + 28 features, ~310 bytes a row,
# 613 MB for 2M rows) at its default settings, against the reference a notebook would run:
# pandas.read_csv + h5py create_dataset with gzip level 4 + shuffle, chunked like hepsweep
# (/usr/bin/python3). The CSVs are generated reproducibly (bench/gen_higgs_like.cpp; their sha256
# is printed). The programs run interleaved (hepsweep, reference, hepsweep --threads 1, then the
# next repeat), and the medians are compared; the peak RSS (/usr/bin/time) is the largest over the runs.
# Prints a markdown block for bench/RESULTS.md (and appends it to --append FILE). See bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/bench_convert.sh [--append FILE] [--rows "N..."] [--repeats N] [--workdir DIR] [--keep]
  --append FILE   also append the markdown block to FILE (e.g. bench/RESULTS.md)
  --rows "N..."   sizes of the generated CSVs, in rows (default "1000000 2000000")
  --repeats N     runs of each program per size; medians are reported (default 5)
  --workdir DIR   generate the CSVs and write the outputs in DIR and keep them (default: a temp
                  dir, removed at exit); CSVs already there (same rows and seed) are reused
  --keep          do not remove the temp dir
Environment: HEPSWEEP_BIN (use this binary instead of building the `bench` preset),
  PYTHON (default /usr/bin/python3: pandas, h5py, numpy).
Exit status: 0 on success, 2 on errors (a failed run, a reference whose output differs).
EOF
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
APPEND=""
ROWS="1000000 2000000"
REPEATS=5
WORKDIR=""
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --workdir) WORKDIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_convert.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

[[ -x /usr/bin/time ]] || { echo "bench_convert.sh: /usr/bin/time (Debian: time) measures the peak RSS" >&2; exit 2; }
if [[ -z ${HEPSWEEP_BIN:-} ]]; then
  cmake --preset bench -S "$ROOT" >/dev/null
  cmake --build "$ROOT/build/bench" -j2 --target hepsweep >/dev/null
  HEPSWEEP_BIN=$ROOT/build/bench/src/cli/hepsweep
fi
if [[ -z $WORKDIR ]]; then
  WORKDIR=$(mktemp -d /tmp/hepsweep-bench-convert-XXXXXX)
  [[ $KEEP == 1 ]] || trap 'rm -rf "$WORKDIR"' EXIT
fi
mkdir -p "$WORKDIR"
c++ -O2 -std=c++20 -o "$WORKDIR/gen_higgs_like" "$SCRIPT_DIR/gen_higgs_like.cpp"

export HEPSWEEP_BIN WORKDIR REPEATS ROWS APPEND SOURCE_CSV="$ROOT/examples/higgs/higgs-5k.csv.gz"
export REPRODUCE="bench/bench_convert.sh --rows \"$ROWS\" --repeats $REPEATS"
# Not exec: the EXIT trap above must still remove the work directory afterwards.
"$PY" - <<'PYEOF'
import gzip, hashlib, json, os, platform, statistics, subprocess, sys, time

BIN, WORK, APPEND = os.environ["HEPSWEEP_BIN"], os.environ["WORKDIR"], os.environ["APPEND"]
REPEATS, ROWS = int(os.environ["REPEATS"]), [int(x) for x in os.environ["ROWS"].split()]
SEED = 17

def generate(rows):
    path = os.path.join(WORK, f"higgs-like-{rows}-seed{SEED}.csv")
    if not os.path.exists(path):
        with gzip.open(os.environ["SOURCE_CSV"], "rb") as src, open(path + ".part", "wb") as dst:
            subprocess.run([os.path.join(WORK, "gen_higgs_like"), str(rows), str(SEED)], input=src.read(),
                           stdout=dst, check=True)
        os.rename(path + ".part", path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            h.update(block)
    return path, h.hexdigest()

def run(cmd, out):
    """Wall seconds, stdout, peak RSS in kB and CPU seconds (user + system) of one process writing
    `out`. Peak RSS and CPU come from /usr/bin/time (its wait4): a process forked from this Python
    would count the memory of the Python process it was forked from until its exec."""
    if os.path.exists(out):
        os.remove(out)
    with open(os.path.join(WORK, "stdout"), "w+") as so, open(os.path.join(WORK, "stderr"), "w+") as se:
        t0 = time.perf_counter()
        status = subprocess.run(["/usr/bin/time", "-f", "maxrss %M %U %S", *cmd], stdout=so, stderr=se).returncode
        wall = time.perf_counter() - t0
        so.seek(0)
        se.seek(0)
        text, err = so.read(), se.read()
    if status != 0:
        sys.exit(f"bench_convert.sh: failed ({status}): {' '.join(cmd)}\n{text}{err}")
    _, rss, user, system = err.strip().splitlines()[-1].split()
    return wall, text, int(rss), float(user) + float(system)

# The reference, as a notebook writes it: read_csv, then the datasets hepsweep writes (features,
# labels, weights, feature names) with h5py, gzip level 4 + shuffle, chunks of 4096 rows as
# hepsweep's. Prints the seconds of read_csv + writing (after the imports).
PANDAS = r'''
import sys, time
t0 = time.perf_counter()
import h5py, numpy as np, pandas as pd
t1 = time.perf_counter()
src, out = sys.argv[1], sys.argv[2]
df = pd.read_csv(src)
feats = [c for c in df.columns if c != "label"]
x = df[feats].to_numpy(np.float32)
y = (df["label"] == 1).to_numpy(np.int8)
gz = dict(compression="gzip", compression_opts=4, shuffle=True)
with h5py.File(out, "w") as f:
    f.create_dataset("features", data=x, chunks=(min(4096, len(x)), x.shape[1]), **gz)
    f.create_dataset("labels", data=y, chunks=(min(4096, len(y)),), **gz)
    f.create_dataset("weights", data=np.ones(len(y), np.float32), chunks=(min(4096, len(y)),), **gz)
    f.create_dataset("feature_names", data=np.array(feats, dtype=object), dtype=h5py.string_dtype())
print(time.perf_counter() - t1, t1 - t0)
'''

# hepsweep's output and the reference's hold the same values (checked once per size).
SAME = r'''
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in ("features", "labels", "weights"):
    assert np.array_equal(a[k][:], b[k][:]), k
print("same")
'''

load_before = os.getloadavg()
results = []
for rows in ROWS:
    csv, sha = generate(rows)
    hep = lambda extra, tag: [BIN, "convert", csv, "--label", "label", "--json", *extra, "-o",
                              os.path.join(WORK, f"{tag}.h5")]
    runs = {"hepsweep": [], "threads1": [], "pandas": []}
    for i in range(REPEATS):
        for kind in ("hepsweep", "pandas", "threads1"):
            out = os.path.join(WORK, f"{kind}.h5")
            if kind == "pandas":
                wall, text, rss, cpu = run([sys.executable, "-c", PANDAS, csv, out], out)
                inproc = float(text.split()[0])
                threads = 1
            else:
                wall, text, rss, cpu = run(hep(["--threads", "1"] if kind == "threads1" else [], kind), out)
                j = json.loads(text)
                inproc, threads = j["seconds"], j["threads"]
            runs[kind].append(dict(wall=wall, seconds=inproc, rss=rss, cpu=cpu, bytes=os.path.getsize(out),
                                   threads=threads))
    check = subprocess.run([sys.executable, "-c", SAME, os.path.join(WORK, "hepsweep.h5"), os.path.join(WORK, "pandas.h5")],
                           capture_output=True, text=True)
    if check.stdout.strip() != "same":
        print(f"bench_convert.sh: hepsweep's and the reference's datasets differ:\n{check.stderr}", file=sys.stderr)
        sys.exit(2)
    summary = {k: dict(wall=statistics.median(r["wall"] for r in v), seconds=statistics.median(r["seconds"] for r in v),
                       cpu=statistics.median(r["cpu"] for r in v),
                       rss=max(r["rss"] for r in v), bytes=v[-1]["bytes"], threads=v[-1]["threads"],
                       walls=[r["wall"] for r in v])
               for k, v in runs.items()}
    results.append(dict(rows=rows, csv_bytes=os.path.getsize(csv), sha=sha, **summary))
load_after = os.getloadavg()

def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
    except (OSError, IndexError):
        return "unknown"

cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
ver = first_line([BIN, "--version"])
gxx = first_line(["c++", "--version"])
deflate = first_line(["dpkg-query", "-W", "-f=${Version}", "libdeflate0"])
pyv = subprocess.run([sys.executable, "-c", "import pandas, h5py, numpy; print(pandas.__version__, h5py.__version__, "
                      "numpy.__version__, h5py.version.hdf5_version)"], capture_output=True, text=True).stdout.split()
git = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(BIN)), "describe", "--always", "--dirty"],
                     capture_output=True, text=True).stdout.strip() or "unknown"
mb = lambda b: f"{b / 1e6:.1f}"
lines = [f"### convert: HIGGS-like CSV against pandas + h5py, {time.strftime('%Y-%m-%d')} (git {git})", "",
         f"Reproduce: `{os.environ['REPRODUCE']}` (builds the `bench` preset; binary: `HEPSWEEP_BIN` when set)", "",
         "| environment | |", "|---|---|",
         f"| CPU | {cpu} ({os.cpu_count()} cores online) |",
         f"| load average | {' '.join(f'{x:.2f}' for x in load_before)} before, {' '.join(f'{x:.2f}' for x in load_after)} after |",
         f"| kernel | {platform.system()} {platform.release()} |",
         f"| hepsweep | `{ver}`, libdeflate {deflate} |",
         f"| compiler | {gxx} |",
         f"| reference | pandas {pyv[0]}, h5py {pyv[1]} (HDF5 {pyv[3]}, zlib), numpy {pyv[2]}, Python {platform.python_version()} |",
         f"| repeats | {REPEATS} runs of each program per size, interleaved; medians |", ""]
lines += ["Times in s, *wall* of the whole process (start-up and the reference's imports included); "
          "*in-process*: convert's own `seconds` / read_csv + writing; *CPU*: user + system time of the process, "
          "all threads (less sensitive to other load than the wall time). *ratio*: reference wall / hepsweep wall. "
          "*peak RSS*: largest maximum resident set size over the runs (/usr/bin/time), MB. Sizes in MB (10^6 bytes).", ""]
lines.append("| rows | CSV | hepsweep (default: threads) | wall | in-process | CPU | peak RSS | output | "
             "--threads 1 wall | CPU | peak RSS | pandas + h5py wall | in-process | CPU | peak RSS | output | "
             "ratio | ratio, --threads 1 | CPU ratio |")
lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in results:
    h, t, p = r["hepsweep"], r["threads1"], r["pandas"]
    lines.append(f"| {r['rows']} | {mb(r['csv_bytes'])} | {h['threads']} | {h['wall']:.2f} | {h['seconds']:.2f} | "
                 f"{h['cpu']:.2f} | {h['rss'] / 1024:.0f} | {mb(h['bytes'])} | {t['wall']:.2f} | {t['cpu']:.2f} | "
                 f"{t['rss'] / 1024:.0f} | {p['wall']:.2f} | {p['seconds']:.2f} | {p['cpu']:.2f} | {p['rss'] / 1024:.0f} | "
                 f"{mb(p['bytes'])} | {p['wall'] / h['wall']:.2f} | {p['wall'] / t['wall']:.2f} | {p['cpu'] / h['cpu']:.2f} |")
lines.append("")
lines.append("Every run's wall time (s), in the order run:")
lines.append("")
for r in results:
    for k in ("hepsweep", "threads1", "pandas"):
        lines.append(f"- {r['rows']} rows, {k}: " + ", ".join(f"{w:.2f}" for w in r[k]["walls"]))
lines.append("")
lines.append("Generated CSVs (`zcat examples/higgs/higgs-5k.csv.gz | gen_higgs_like ROWS 17`, bench/gen_higgs_like.cpp): " +
             ", ".join(f"{r['rows']} rows sha256 `{r['sha']}`" for r in results) + ".")
block = "\n".join(lines) + "\n"
print(block)
if APPEND:
    with open(APPEND, "a") as f:
        f.write("\n" + block)
PYEOF
