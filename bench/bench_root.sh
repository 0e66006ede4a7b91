#!/usr/bin/env bash
# ROOT reading benchmark: `hepsweep convert` on the three ROOT files of ../shared/data against the
# same events from their derived CSVs (as shipped, .csv.gz, and gunzipped), converted by hepsweep
# and by pandas + h5py (/usr/bin/python3), and optionally JSROOT (node) reading the same branches.
# Every time is the median of --repeats runs, every peak RSS (wait4) the largest. For ROOT it also
# reports the share of the convert time spent decompressing baskets (convert --json:
# inputs[].decompress_seconds), which says whether the reader or the codec limits the speed.
# Prints a markdown block for bench/RESULTS.md (and appends it to --append FILE). See bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/bench_root.sh [--append FILE] [--repeats N] [--workdir DIR] [--keep] [--jsroot DIR]
  --append FILE   also append the markdown block to FILE (e.g. bench/RESULTS.md)
  --repeats N     runs per measurement; the median is reported (default 7)
  --workdir DIR   keep the gunzipped CSVs and outputs in DIR (default: a temp dir, removed at exit)
  --keep          do not remove the temp dir
  --jsroot DIR    a directory where `npm install jsroot@7 --omit=optional --ignore-scripts` was run
                  (the optional canvas module does not build here): also time JSROOT reading the
                  same branches (node); without it the JSROOT column is left out
Environment: HEPSWEEP_BIN (use this binary instead of building the `bench` preset),
  PYTHON (default /usr/bin/python3), SHARED_DATA (default <repo>/../shared/data).
Exit status: 0 on success, 2 on errors (a failed conversion, missing data).
EOF
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
DATA=${SHARED_DATA:-$ROOT/../shared/data}
APPEND=""
REPEATS=7
WORKDIR=""
KEEP=0
JSROOT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --append) APPEND=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --workdir) WORKDIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --jsroot) JSROOT=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_root.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ -d $DATA ]] || { echo "bench_root.sh: no shared data at $DATA" >&2; exit 2; }

if [[ -z ${HEPSWEEP_BIN:-} ]]; then
  cmake --preset bench -S "$ROOT" >/dev/null
  cmake --build "$ROOT/build/bench" -j2 --target hepsweep >/dev/null
  HEPSWEEP_BIN=$ROOT/build/bench/src/cli/hepsweep
fi
if [[ -z $WORKDIR ]]; then
  WORKDIR=$(mktemp -d /tmp/hepsweep-bench-root-XXXXXX)
  [[ $KEEP == 1 ]] || trap 'rm -rf "$WORKDIR"' EXIT
fi
mkdir -p "$WORKDIR"

export HEPSWEEP_BIN DATA WORKDIR REPEATS JSROOT APPEND
export REPRODUCE="bench/bench_root.sh --repeats $REPEATS${JSROOT:+ --jsroot $JSROOT}"
# Not exec: the EXIT trap above must still remove the work directory afterwards.
"$PY" - <<'PYEOF'
import gzip, json, os, platform, shutil, statistics, subprocess, sys, time

BIN, DATA, WORK = os.environ["HEPSWEEP_BIN"], os.environ["DATA"], os.environ["WORKDIR"]
REPEATS, JSROOT, APPEND = int(os.environ["REPEATS"]), os.environ["JSROOT"], os.environ["APPEND"]

# Each case: the ROOT inputs and the derived CSVs holding the same events, with the same options.
# hzz4mu has no class branch: the tree is read twice, as --signal and as a copy of it as
# --background (convert refuses one file as both classes), and so is its CSV.
CASES = [
    dict(name="uci_higgs_sigbkg_root/tmva_data.root", codec="LZ4 (embedded baskets)",
         root=["--signal", "{d}/uci_higgs_sigbkg_root/tmva_data.root:sig_tree",
               "--background", "{d}/uci_higgs_sigbkg_root/tmva_data.root:bkg_tree"],
         csv=["--signal", "{c}/sig_tree.csv", "--background", "{c}/bkg_tree.csv"],
         csvs=["uci_higgs_sigbkg_root/sig_tree.csv.gz", "uci_higgs_sigbkg_root/bkg_tree.csv.gz"],
         classes=[1, 0], label=None, extra=[]),
    dict(name="mlhep2016_exotic_higgs_10k/public_train_10000.root", codec="ZLIB",
         root=["{d}/mlhep2016_exotic_higgs_10k/public_train_10000.root:tree"],
         csv=["{c}/public_train_10000.csv"],
         csvs=["mlhep2016_exotic_higgs_10k/public_train_10000.csv.gz"],
         classes=[None], label="target", extra=["--label", "target", "--id", "event_id"]),
    dict(name="hzz4mu_ggf_root/ntuple_4mu_gg.root", codec="ZLIB, several baskets",
         root=["--signal", "{d}/hzz4mu_ggf_root/ntuple_4mu_gg.root",
               "--background", "{c}/ntuple_4mu_gg-copy.root"],
         csv=["--signal", "{c}/ntuple_4mu_gg.csv", "--background", "{c}/ntuple_4mu_gg-copy.csv"],
         copies=["hzz4mu_ggf_root/ntuple_4mu_gg.root", "hzz4mu_ggf_root/ntuple_4mu_gg.csv.gz"],
         csvs=["hzz4mu_ggf_root/ntuple_4mu_gg.csv.gz", "hzz4mu_ggf_root/ntuple_4mu_gg.csv.gz"],
         classes=[1, 0], label=None, extra=["--weight", "f_weight", "--id", "f_event"]),
]

def median(xs):
    return statistics.median(xs)

def run_convert(args, out):
    """Wall seconds, convert's --json summary and the process's peak RSS in kB (wait4)."""
    cmd = [BIN, "convert", *args, "--json", "-o", out]
    with open(os.path.join(WORK, "stdout"), "w+") as so, open(os.path.join(WORK, "stderr"), "w+") as se:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=so, stderr=se)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        out_text, err_text = so.read(), se.read()
    if p.returncode != 0:
        sys.exit(f"bench_root.sh: failed ({p.returncode}): {' '.join(cmd)}\n{out_text}{err_text}")
    return wall, json.loads(out_text), usage.ru_maxrss

def time_hepsweep(args, tag):
    walls, inproc, decomp, rss, rows = [], [], [], [], 0
    for i in range(REPEATS):
        wall, j, maxrss = run_convert(args, os.path.join(WORK, f"{tag}.h5"))
        walls.append(wall)
        inproc.append(j["seconds"])
        decomp.append(sum(x.get("decompress_seconds", 0.0) for x in j["inputs"]))
        rss.append(maxrss)
        rows = j["rows"]
    return dict(wall=median(walls), seconds=median(inproc), decompress=median(decomp), rss=max(rss), rows=rows)

# pandas + h5py as a notebook would do it: read_csv (float32 features), write the same datasets.
PANDAS = r'''
import sys, time
t0 = time.perf_counter()
import h5py, numpy as np, pandas as pd
t1 = time.perf_counter()
out, label, extra = sys.argv[1], sys.argv[2], sys.argv[3]
files = sys.argv[4:]
frames = []
for spec in files:
    path, cls = spec.rsplit("=", 1)
    df = pd.read_csv(path, skipinitialspace=True)
    if label == "-":
        df["__label"] = int(cls)
    else:
        df["__label"] = (df[label] == 1).astype(np.int8)
    frames.append(df)
df = pd.concat(frames, ignore_index=True)
special = set(extra.split(",")) - {""} | ({label} if label != "-" else set()) | {"__label"}
feats = [c for c in df.columns if c not in special]
with h5py.File(out, "w") as f:
    f.create_dataset("features", data=df[feats].to_numpy(np.float32), chunks=True, compression="gzip")
    f.create_dataset("labels", data=df["__label"].to_numpy(np.int8))
    f.create_dataset("feature_names", data=np.array(feats, dtype=object), dtype=h5py.string_dtype())
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
'''

def time_pandas(case, files):
    specs = [f"{p}={c if c is not None else 0}" for p, c in zip(files, case["classes"] * len(files))]
    extra = ",".join(v for k, v in zip(case["extra"][::2], case["extra"][1::2]) if k != "--label")
    walls, work = [], []
    for i in range(REPEATS):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", PANDAS, os.path.join(WORK, "pandas.h5"),
                            case["label"] or "-", extra, *specs], capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        if p.returncode != 0:
            sys.exit(f"bench_root.sh: pandas failed:\n{p.stderr}")
        work.append(float(p.stdout.split()[1]))
    return dict(wall=median(walls), seconds=median(work))

# JSROOT 7 in node: open the file, read every branch of the trees as arrays (no output file).
JSROOT_JS = r'''
const { openFile, treeProcess, TSelector } = await import("jsroot");
const specs = process.argv.slice(2);
const t0 = performance.now();
let rows = 0;
for (const spec of specs) {
  const [path, name] = spec.split(":");
  const file = await openFile(path);
  const tree = await file.readObject(name);
  const sel = new TSelector();
  for (const b of tree.fBranches.arr) sel.addBranch(b.fName);
  sel.Process = function () { rows++; };
  await treeProcess(tree, sel);
}
console.log(((performance.now() - t0) / 1000).toString(), rows);
'''

def time_jsroot(case):
    specs = []
    for a in case["root"]:
        if a.startswith("--"):
            continue
        path = a.format(d=DATA, c=os.path.join(WORK, "csv"))
        if ":" not in os.path.basename(path):
            path += ":" + {"ntuple_4mu_gg.root": "HZZ4LeptonsAnalysisReduced"}[os.path.basename(path).replace("-copy", "")]
        specs.append(path)
    script = os.path.join(JSROOT, "bench_read.mjs")
    with open(script, "w") as f:
        f.write(JSROOT_JS)
    walls, work = [], []
    for i in range(REPEATS):
        t0 = time.perf_counter()
        p = subprocess.run(["node", script, *specs], capture_output=True, text=True, cwd=JSROOT)
        walls.append(time.perf_counter() - t0)
        if p.returncode != 0:
            return None
        work.append(float(p.stdout.split()[0]))
    return dict(wall=median(walls), seconds=median(work))

csvdir = os.path.join(WORK, "csv")
os.makedirs(csvdir, exist_ok=True)
results = []
for case in CASES:
    for rel in set(case["csvs"]):
        plain = os.path.join(csvdir, os.path.basename(rel)[:-3])
        if not os.path.exists(plain):
            with gzip.open(os.path.join(DATA, rel), "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
    # The copies read as the other class: NAME-copy.EXT next to the CSVs, plain and gzipped.
    for rel in case.get("copies", []):
        base = os.path.basename(rel)
        stem, ext = (base[:-7], ".csv.gz") if base.endswith(".csv.gz") else os.path.splitext(base)
        shutil.copyfile(os.path.join(DATA, rel), os.path.join(csvdir, stem + "-copy" + ext))
        if ext == ".csv.gz":
            shutil.copyfile(os.path.join(csvdir, stem + ".csv"), os.path.join(csvdir, stem + "-copy.csv"))
    fmt = lambda args, c: [a.format(d=DATA, c=c) for a in args] + case["extra"]
    gzdir = os.path.dirname(os.path.join(DATA, case["csvs"][0]))
    gzargs = [a + ".gz" if a.endswith(".csv") else a for a in fmt(case["csv"], gzdir)]
    gzargs = [os.path.join(csvdir, os.path.basename(a)) if a.endswith("-copy.csv.gz") else a for a in gzargs]
    r = dict(case=case)
    r["root"] = time_hepsweep(fmt(case["root"], csvdir), "root")
    # Without output compression: what reading and decompressing the ROOT file costs on its own.
    r["root0"] = time_hepsweep(fmt(case["root"], csvdir) + ["--compression-level", "0"], "root0")
    r["csvgz"] = time_hepsweep(gzargs, "csvgz")
    r["csv"] = time_hepsweep(fmt(case["csv"], csvdir), "csv")
    plain_files = [os.path.join(csvdir, os.path.basename(x)[:-3]) for x in case["csvs"]]
    r["pandas_gz"] = time_pandas(case, [os.path.join(DATA, x) for x in case["csvs"]])
    r["pandas"] = time_pandas(case, plain_files)
    r["jsroot"] = time_jsroot(case) if JSROOT else None
    r["root_bytes"] = os.path.getsize(fmt(case["root"], csvdir)[1 if case["root"][0].startswith("--") else 0].split(".root")[0] + ".root")
    results.append(r)
    if r["root"]["rows"] != r["csv"]["rows"]:
        sys.exit(f"bench_root.sh: {case['name']}: ROOT gave {r['root']['rows']} rows, CSV {r['csv']['rows']}")

def ms(x):
    return f"{1000 * x:.1f}"

ver = subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.strip()
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
gxx = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
pdv = subprocess.run([sys.executable, "-c", "import pandas, h5py; print(pandas.__version__, h5py.__version__)"],
                     capture_output=True, text=True).stdout.split()
git = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(BIN)), "describe", "--always", "--dirty"],
                     capture_output=True, text=True).stdout.strip() or "unknown"
lines = []
lines.append(f"### ROOT reading: convert from ROOT vs the same events as CSV, {time.strftime('%Y-%m-%d')} (git {git})")
lines.append("")
lines.append(f"Reproduce: `{os.environ['REPRODUCE']}` (builds the `bench` preset; binary: `HEPSWEEP_BIN` when set)")
lines.append("")
lines.append("| environment | |")
lines.append("|---|---|")
lines.append(f"| CPU | {cpu} ({os.cpu_count()} cores online; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}) |")
lines.append(f"| hepsweep | `{ver}` |")
lines.append(f"| compiler | {gxx} |")
lines.append(f"| pandas, h5py | {' '.join(pdv)} (Python {platform.python_version()}) |")
lines.append(f"| OPENBLAS_CORETYPE | {os.environ.get('OPENBLAS_CORETYPE', '(unset)')} |")
lines.append(f"| repeats | median of {REPEATS} runs each |")
lines.append("")
lines.append("Times in ms. *in-process*: convert's own `seconds` (hepsweep) or read_csv + h5py write "
             "(pandas, after its imports); *wall*: the whole process, start-up included. "
             "*peak RSS*: the largest maximum resident set size of the convert process over the runs (wait4), in MB. "
             "*output uncompressed*: the same ROOT conversion with `--compression-level 0` (instead of the default level).")
lines.append("")
head = "| file (codec) | rows | ROOT in-process | decompression share | ROOT in-process, output uncompressed | its decompression share | ROOT wall | ROOT peak RSS | CSV.gz in-process | CSV in-process | CSV peak RSS | pandas CSV.gz | pandas CSV | pandas CSV wall |"
sep = "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
if JSROOT:
    head += " JSROOT read | JSROOT wall |"
    sep += "---|---|"
lines.append(head)
lines.append(sep)
for r in results:
    c = r["case"]
    share = r["root"]["decompress"] / r["root"]["seconds"] if r["root"]["seconds"] > 0 else 0.0
    share0 = r["root0"]["decompress"] / r["root0"]["seconds"] if r["root0"]["seconds"] > 0 else 0.0
    row = (f"| {c['name']} ({c['codec']}) | {r['root']['rows']} | {ms(r['root']['seconds'])} | {100 * share:.0f} % | "
           f"{ms(r['root0']['seconds'])} | {100 * share0:.0f} % | "
           f"{ms(r['root']['wall'])} | {r['root']['rss'] / 1024:.1f} | {ms(r['csvgz']['seconds'])} | {ms(r['csv']['seconds'])} | "
           f"{r['csv']['rss'] / 1024:.1f} | {ms(r['pandas_gz']['seconds'])} | {ms(r['pandas']['seconds'])} | {ms(r['pandas']['wall'])} |")
    if JSROOT:
        j = r["jsroot"]
        row += f" {ms(j['seconds']) if j else 'failed'} | {ms(j['wall']) if j else '-'} |"
    lines.append(row)
lines.append("")
block = "\n".join(lines) + "\n"
print(block)
if APPEND:
    with open(APPEND, "a") as f:
        f.write("\n" + block)
PYEOF
