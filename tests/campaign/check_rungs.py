"""Recomputes the successive-halving decisions of a one-process campaign from its result files.

Usage: check_rungs.py RUN_DIR ITEMS FOLDS EPOCHS MIN_EPOCHS ETA BRACKETS

With one process, items run in id order, so item i at rung e saw exactly the values recorded at e
by the earlier items of its fold and bracket. For every item this script takes its running best
val_loss from history/val_loss, replays the rule independently of hepsweep (rungs r*eta^(b+k)
below EPOCHS; continue iff value <= the k-th best of the n values there, k = max(1, n // eta))
and prints one JSON object: per item the decisions expected and those found in
items/<id>/rungs.txt, and the result.h5 attributes; 'mismatches' lists every difference.
"""
import json
import os
import sys

import h5py
import numpy as np

run_dir = sys.argv[1]
items, folds, epochs, r, eta, brackets = (int(a) for a in sys.argv[2:8])


def rungs_of(bracket):
    out, e = [], r * eta ** bracket
    while e < epochs:
        out.append(e)
        e *= eta
    return out


def read_rungs(path):
    if not os.path.exists(path):
        return []
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            e, b, v, c, n, d = line.split()
            rows.append([int(e), int(b), float(v), float(c), int(n), d == "stop"])
    return rows


recorded = {}
out = {"items": {}, "mismatches": [], "stopped": []}
for i in range(items):
    d = f"{run_dir}/items/{i:06d}"
    with h5py.File(f"{d}/result.h5", "r") as f:
        val_loss = f["history/val_loss"][:]
        epochs_run = int(f["metrics/epochs_run"][()])
        attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items() if k.startswith("stopped_")}
    best = np.minimum.accumulate(val_loss)
    fold, bracket = i % folds, (i // folds) % brackets
    expected = []
    for e in rungs_of(bracket):
        if len(best) < e:
            break
        v = float(best[e - 1])
        values = sorted(recorded.get((fold, bracket, e), []) + [v])
        k = max(1, len(values) // eta)
        expected.append([e, bracket, v, values[k - 1], len(values), v > values[k - 1]])
        recorded.setdefault((fold, bracket, e), []).append(v)
        if expected[-1][5]:
            break
    found = read_rungs(f"{d}/rungs.txt")
    if found != expected:
        out["mismatches"].append(f"item {i}: rungs.txt {found} != expected {expected}")
    stop = expected[-1] if expected and expected[-1][5] else None
    if stop:
        out["stopped"].append(i)
        want = {"stopped_epoch": stop[0], "stopped_value": stop[2], "stopped_cutoff": stop[3],
                "stopped_compared": stop[4], "stopped_bracket": bracket}
        got = {k: attrs.get(k) for k in want}
        if got != want or epochs_run != stop[0]:
            out["mismatches"].append(f"item {i}: attrs {got}, epochs_run {epochs_run}; expected {want}")
    elif attrs or epochs_run != epochs:
        out["mismatches"].append(f"item {i}: not stopped but attrs {attrs}, epochs_run {epochs_run} of {epochs}")
    out["items"][str(i)] = {"bracket": bracket, "epochs_run": epochs_run, "rungs": found,
                            "stopped_by": attrs.get("stopped_by")}
print(json.dumps(out))
