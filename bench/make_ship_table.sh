#!/usr/bin/env bash
# The tabulated objective of bench_search.sh (issue 22): one real campaign on the SHiP mini-school
# data (HNL -> pi mu against background), recorded once with every epoch's validation loss of every
# fold, so that the scheduler simulator can replay successive halving and racing on real learning
# curves without training. A random search of P points x 5 folds of the tutorial's network family
# (width 8-128 log, depth 1-4, learning rate 1e-4-3e-2 log, dropout 0-0.5; the space of
# bench_fidelity.sh), train.epochs = R, no early stopping (every item trains all R epochs),
# `mpiexec -n 2`. Writes a CSV (default bench/data/ship_curves.csv), one row per item:
#   point,fold,model.width,model.depth,train.learning_rate,model.dropout,val_loss_1,...,val_loss_R
# with a first comment line naming the campaign (seed, points, epochs, hepsweep version, data).
# usage: bench/make_ship_table.sh [--points P] [--epochs R] [--out FILE] [--workdir DIR]
#        (HEPSWEEP_BIN: binary to use; default: build the bench preset)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=/usr/bin/python3
POINTS=64 EPOCHS=27 WORK="" OUT=$ROOT/bench/data/ship_curves.csv
while [[ $# -gt 0 ]]; do
  case $1 in
    --points) POINTS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "make_ship_table.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
SHIP=$ROOT/../shared/data/ship_hnl/Mini-school
[[ -d $SHIP ]] || SHIP=/work/shared/data/ship_hnl/Mini-school
[[ -d $SHIP ]] || { echo "make_ship_table.sh: needs the shared SHiP data (ship_hnl/Mini-school)" >&2; exit 2; }
if [[ -z "${HEPSWEEP_BIN:-}" ]]; then
  (cd "$ROOT" && cmake --preset bench > /dev/null && cmake --build --preset bench --target hepsweep > /dev/null)
  HEPSWEEP_BIN=$ROOT/build/bench/src/cli/hepsweep
fi
[[ -n $WORK ]] || WORK=$(mktemp -d /tmp/ship_table.XXXXXX)
mkdir -p "$WORK"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
DATA=$WORK/ship.h5
[[ -f $DATA ]] || "$HEPSWEEP_BIN" convert --quiet -o "$DATA" --drop "Good Reco,Event Type" \
  --signal "$SHIP/kinematic_variables_HNLtoPimu.dat.gz" --background "$SHIP/kinematic_variables_Back.dat.gz"
cat > "$WORK/table.toml" <<TOML
seed = 11
[data]
file = "$DATA"
split = { train = 0.6, val = 0.2, test = 0.2 }
[preprocess]
scaler = "standard"
[model]
activation = "relu"
[train]
optimizer = "adam"
batch_size = 100
epochs = $EPOCHS
early_stopping = { enabled = false }
[cv]
folds = 5
[search]
method = "random"
budget = $POINTS
objective = "val_loss"
[search.space]
"model.width" = { min = 8, max = 128, log = true }
"model.depth" = { min = 1, max = 4 }
"train.learning_rate" = { min = 1e-4, max = 3e-2, log = true }
"model.dropout" = { min = 0.0, max = 0.5 }
[output]
dir = "$WORK/run"
TOML
mpiexec -n 2 --oversubscribe "$HEPSWEEP_BIN" train "$WORK/table.toml" --fresh --quiet > "$WORK/train.log" 2>&1 ||
  { echo "make_ship_table.sh: the campaign failed, see $WORK/train.log" >&2; exit 1; }
"$PYTHON" - "$WORK/run" "$OUT" "$POINTS" "$EPOCHS" "$("$HEPSWEEP_BIN" --version | head -1)" <<'PY'
import glob, os, sys
import h5py
run, out, points, epochs, version = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
keys = ["model.width", "model.depth", "train.learning_rate", "model.dropout"]
rows = []
for path in sorted(glob.glob(os.path.join(run, "items", "*", "result.h5"))):
    with h5py.File(path) as f:
        a = f.attrs
        text = a["item_overrides"]
        text = text.decode() if isinstance(text, bytes) else text
        values = dict(kv.split("=", 1) for kv in text.split())
        loss = list(f["history/val_loss"][()])
        if len(loss) != epochs:
            sys.exit(f"{path}: {len(loss)} epochs, expected {epochs} (early stopping must be off)")
        rows.append((int(a["point_id"]), int(a["fold"]), [values[k] for k in keys], loss))
if len(rows) != points * 5:
    sys.exit(f"{run}: {len(rows)} finished items, expected {points * 5}")
rows.sort(key=lambda r: (r[0], r[1]))
tmp = out + ".tmp"
with open(tmp, "w") as f:
    f.write(f"# SHiP mini-school HNL->pi mu vs background; random search seed 11, {points} points x 5 folds, "
            f"{epochs} epochs, Adam, batch 100, no early stopping; {version}; bench/make_ship_table.sh\n")
    f.write(",".join(["point", "fold"] + keys + [f"val_loss_{e + 1}" for e in range(epochs)]) + "\n")
    for p, fold, values, loss in rows:
        f.write(",".join([str(p), str(fold)] + values + [repr(float(v)) for v in loss]) + "\n")
os.replace(tmp, out)
print(f"wrote {out}: {len(rows)} items")
PY
