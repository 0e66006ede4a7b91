#!/usr/bin/env python3
"""The BDT baseline of a campaign, end to end, on the bundled HIGGS sample (examples/higgs):

1. its per-fold test AUC agrees with python3-xgboost trained with the same parameters on the same
   rows (the train/val/test row indices every baseline result file exports), weights and labels:
   the mean differs by less than the spread (standard deviation) of Python's fold AUCs, and each
   fold by less than twice that;
2. a rerun into another run directory gives the same trees and scores, bit for bit, and a rerun
   of a run directory missing one item's result trains that item alone, to the same bytes;
3. `hepsweep apply --baseline` reproduces each fold's stored test scores bit for bit, and scores
   the text (CSV.gz) sample itself as the HDF5 file converted from it;
4. a campaign without [baseline] writes no baseline and no [baseline] key;
6. `hepsweep status` lists the baseline's items apart: done, pending (a result removed) and
   invalid (a damaged result), in text and JSON; null without [baseline];
5. aggregate's summary.h5 (/baseline) and report (AUC table, ROC plot) hold the BDT beside the
   network, its ensemble AUC that of the mean of the fold scores.

Usage: baseline_campaign.py HEPSWEEP SOURCE_DIR WORK_DIR. Exit 77 (skipped) without python3-xgboost.
"""
import json
import os
import shutil
import subprocess
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"SKIP: /usr/bin/python3 lacks {e.name} (apt-get install python3-h5py python3-numpy)")
    sys.exit(77)
try:
    import xgboost as xgb
except ImportError:
    print("SKIP: python3-xgboost is not installed (apt-get install python3-xgboost); "
          "the comparison with Python's xgboost needs it")
    sys.exit(77)

hepsweep, source, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
sample = os.path.join(source, "examples", "higgs", "higgs-5k.csv.gz")
data = os.path.join(work, "higgs.h5")

TREES, DEPTH, RATE, PATIENCE, SEED, FOLDS = 60, 3, 0.1, 10, 42, 4


def run(*args):
    p = subprocess.run([hepsweep, *args], cwd=work, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"hepsweep {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def campaign(name, baseline=True):
    text = f"""seed = {SEED}
[data]
file = "higgs.h5"
split = {{ train = 0.6, val = 0.2, test = 0.2 }}
[model]
widths = [8]
[train]
epochs = 2
batch_size = 250
class_weight = {{ signal = 3.0, background = 1.0 }}
[cv]
folds = {FOLDS}
[output]
dir = "{name}"
"""
    if baseline:
        text += f"""[baseline]
method = "xgboost"
trees = {TREES}
max_depth = {DEPTH}
learning_rate = {RATE}
early_stopping_rounds = {PATIENCE}
"""
    path = os.path.join(work, name + ".toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def item_files(run_dir):
    d = os.path.join(work, run_dir, "baseline", "items")
    return [os.path.join(d, i, "result.h5") for i in sorted(os.listdir(d))]


run("convert", sample, "--label", "label", "-o", data)
run("train", campaign("a"))
run("train", campaign("b"))
files_a, files_b = item_files("a"), item_files("b")
assert len(files_a) == FOLDS, files_a

with h5py.File(data, "r") as f:
    X = f["features"][()]
    y = f["labels"][()]

# 1. Python's xgboost on the exported rows.
params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": DEPTH, "eta": RATE,
          "seed": SEED, "nthread": 1, "eval_metric": "logloss", "verbosity": 0}
ours, theirs = [], []
for path in files_a:
    with h5py.File(path, "r") as r:
        s = r["scores"]
        split = {n: (s[n + "_rows"][()], s[n + "_labels"][()], s[n + "_weights"][()]) for n in ("train", "val", "test")}
        ours.append(float(r["metrics/test_auc"][()]))
    # The class weights reach the trees' training events (else the comparison would not see them).
    assert len(np.unique(split["train"][2])) == 2, f"{path}: train weights are not the class weights"
    for n, (rows, labels, _) in split.items():
        assert np.array_equal(y[rows].astype(np.float32), labels), f"{path}: {n} labels differ from the data file's rows"
    dm = {n: xgb.DMatrix(X[rows], label=labels, weight=w, missing=np.nan) for n, (rows, labels, w) in split.items()}
    b = xgb.train(params, dm["train"], num_boost_round=TREES, evals=[(dm["val"], "val")],
                  early_stopping_rounds=PATIENCE, verbose_eval=False)
    p = b.predict(dm["test"], iteration_range=(0, b.best_iteration + 1))
    labels = split["test"][1]
    # AUC as the probability that a signal event outscores a background one (ties half).
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(sp):
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    ns, nb = (labels == 1).sum(), (labels == 0).sum()
    theirs.append(float((ranks[labels == 1].sum() - ns * (ns + 1) / 2) / (ns * nb)))
ours, theirs = np.array(ours), np.array(theirs)
spread = theirs.std(ddof=1)
print("hepsweep BDT test AUC per fold:", np.round(ours, 5), "mean", round(ours.mean(), 5))
print("xgboost (Python) test AUC per fold:", np.round(theirs, 5), "mean", round(theirs.mean(), 5), "spread", round(spread, 5))
assert abs(ours.mean() - theirs.mean()) <= spread, "mean AUC outside Python's spread"
assert np.all(np.abs(ours - theirs) <= 2 * spread), "a fold's AUC is more than twice the spread from Python's"

# 2. Reruns: the same trees and scores.
for pa, pb in zip(files_a, files_b):
    with h5py.File(pa, "r") as a, h5py.File(pb, "r") as b:
        assert a["model"][()].tobytes() == b["model"][()].tobytes(), f"{pa}: trees differ between reruns"
        for n in ("train", "val", "test"):
            assert a["scores"][n][()].tobytes() == b["scores"][n][()].tobytes(), f"{pa}: {n} scores differ"
        assert a["roc/fpr"][()].tobytes() == b["roc/fpr"][()].tobytes()

# 2b. Resuming: a rerun keeps finished items and trains a missing one (as after kill -9 during
# it: the result file is written under a temporary name and renamed), to the same bytes.
lost = files_b[2]
with h5py.File(lost, "r") as r:
    lost_model = r["model"][()].tobytes()
os.remove(lost)
# 6. status sees the missing item as pending.
lost_id = int(os.path.basename(os.path.dirname(lost)))
st = json.loads(run("status", "b", "--json").stdout)["baseline"]
assert (st["total"], st["done"], st["pending"], st["pending_items"]) == (FOLDS, FOLDS - 1, 1, [lost_id]), st
assert "baseline (BDT" in run("status", "b").stdout
kept = {p: os.stat(p).st_mtime_ns for p in files_b if p != lost}
run("train", campaign("b"))
assert os.path.exists(lost), "the rerun did not train the missing baseline item"
with h5py.File(lost, "r") as r:
    assert r["model"][()].tobytes() == lost_model, "the retrained item differs"
assert all(os.stat(p).st_mtime_ns == t for p, t in kept.items()), "the rerun rewrote finished items"
st = json.loads(run("status", "b", "--json").stdout)["baseline"]
assert (st["done"], st["pending"], st["failed"], st["invalid"]) == (FOLDS, 0, 0, 0), st
# A damaged result file is reported as invalid, naming the item.
with open(files_b[0], "r+b") as f:
    f.write(b"garbage!")
st = json.loads(run("status", "b", "--json").stdout)["baseline"]
damaged_id = int(os.path.basename(os.path.dirname(files_b[0])))
assert (st["done"], st["invalid"]) == (FOLDS - 1, 1) and st["invalid_items"][0]["item"] == damaged_id, st

# 3. apply --baseline reproduces each fold's test scores.
run("apply", "--baseline", "0", "a", "higgs.h5", "-o", "scored.h5")
with h5py.File(os.path.join(work, "scored.h5"), "r") as f:
    fold_scores = f["fold_scores"][()]
    mean = f["scores"][()]
for k, path in enumerate(files_a):
    with h5py.File(path, "r") as r:
        rows, stored = r["scores/test_rows"][()], r["scores/test"][()]
        assert int(r.attrs["fold"]) == k
    assert np.array_equal(fold_scores[rows, k], stored), f"apply's fold {k} scores differ from {path}'s test scores"
assert np.allclose(mean, fold_scores.mean(axis=1), rtol=0, atol=1e-6)
# 3b. The text sample as it is (CSV.gz, the label column ignored): the same scores, bit for bit.
run("apply", "--baseline", "0", "a", sample, "-o", "scored-text.h5")
with h5py.File(os.path.join(work, "scored-text.h5"), "r") as f:
    assert f["fold_scores"][()].tobytes() == fold_scores.tobytes(), "the CSV input scores differently from its HDF5"
    assert f["scores"][()].tobytes() == mean.tobytes()

# 3c. Network-only options are refused by name, not silently ignored.
for extra in (["--keep", "x0"], ["--at-signal-efficiency", "0.5"], ["--json"], ["--per-fold"]):
    p = subprocess.run([hepsweep, "apply", "--baseline", "0", "a", "higgs.h5", "-o", "refused.h5", *extra],
                       cwd=work, capture_output=True, text=True)
    assert p.returncode != 0 and extra[0] in p.stderr, f"apply --baseline {extra}: {p.returncode} {p.stderr}"
    assert not os.path.exists(os.path.join(work, "refused.h5")), f"apply --baseline {extra} wrote an output"

# 5. aggregate: summary.h5's /baseline and the report put the BDT next to the network.
run("aggregate", "a", "-o", "summary.h5")
scores = []
for path in files_a:
    with h5py.File(path, "r") as r:
        scores.append(r["scores/test"][()].astype(np.float64))
        test_labels = r["scores/test_labels"][()]
ens = (sum(scores) / len(scores)).astype(np.float32)
with h5py.File(os.path.join(work, "summary.h5"), "r") as f:
    g = f["baseline"]
    assert list(g["point"][()]) == [0]
    stored_auc = float(g["ensemble_test_auc"][0])
    assert abs(float(g["fold_mean_test_auc"][0]) - ours.mean()) < 1e-12
    assert g["ensemble_bkg_eff"].shape == (1, len(g["signal_efficiencies"][()]))
sig, bkg = ens[test_labels == 1], ens[test_labels == 0]
expected = ((sig[:, None] > bkg[None, :]).sum() + 0.5 * (sig[:, None] == bkg[None, :]).sum()) / (len(sig) * len(bkg))
assert abs(stored_auc - expected) < 1e-9, (stored_auc, expected)
with open(os.path.join(work, "a", "report", "index.html")) as f:
    assert "BDT baseline (ensemble of its best point)" in f.read(), "the report's AUC table has no BDT row"
with open(os.path.join(work, "a", "report", "roc.gp")) as f:
    assert "BDT baseline, AUC" in f.read(), "the ROC plot has no BDT curve"

# 4. No [baseline]: nothing of it is written.
run("train", campaign("plain", baseline=False))
assert not os.path.exists(os.path.join(work, "plain", "baseline")), "a campaign without [baseline] wrote one"
with open(os.path.join(work, "plain", "campaign.toml")) as f:
    assert "[baseline]" not in f.read(), "campaign.toml of a campaign without [baseline] has the section"
assert json.loads(run("status", "plain", "--json").stdout)["baseline"] is None
assert "baseline" not in run("status", "plain").stdout
print("ok")
