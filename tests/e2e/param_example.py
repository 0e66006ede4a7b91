#!/usr/bin/python3
"""examples/param end to end at small size: the toy of make_toy.py, a 2-fold campaign of a
parametrised network with the 500 GeV signal held out, then aggregate.

Checks, each of which fails on the bug named:
- every result file has parametrised/ with one AUC per signal mass 300..700 and the 500 GeV one
  flagged held out (per-value metrics missing or unflagged);
- no training or validation event is a 500 GeV signal event, while the test split has them
  (held-out values leaking into training);
- the held-out mass's AUC is above 0.85 and every mass's above 0.9 (no interpolation: chance is 0.5);
- the per-value AUC of the 600 GeV signal, recomputed here with numpy from `apply --parameter
  mass=600` scores of the test events, equals the stored one to 1e-6 (the background evaluated
  with another parameter value than the one named);
- summary.h5 of aggregate carries the per-value AUC of the best point (mean of the folds), and the
  report has the per-value plot and section;
- a text input without the mass column, scored with --parameter mass=600, gives the same scores
  as the HDF5 input with its column overwritten;
- malformed --parameter arguments, an unknown name and an HDF5 input without the column are
  refused with a message saying so and the usage/input exit code.

usage: param_example.py HEPSWEEP SOURCE_DIR WORK_DIR
"""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("failed (%d): %s\n%s%s" % (r.returncode, " ".join(args), r.stdout, r.stderr))
    return r.stdout


def auc(scores, labels, weights):
    """Weighted AUC, ties counting one half (as metrics::auc)."""
    order = np.argsort(scores, kind="mergesort")
    s, y, w = scores[order], labels[order], weights[order]
    total_b = w[y < 0.5].sum()
    total_s = w[y > 0.5].sum()
    area, bkg_below = 0.0, 0.0
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        ws = w[i:j][y[i:j] > 0.5].sum()
        wb = w[i:j][y[i:j] < 0.5].sum()
        area += ws * (bkg_below + 0.5 * wb)
        bkg_below += wb
        i = j
    return area / (total_s * total_b)


def main():
    hepsweep, source, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    csv = os.path.join(work, "toy.csv")
    data = os.path.join(work, "toy.h5")
    run("/usr/bin/python3", os.path.join(source, "examples/param/make_toy.py"), csv, "--signal-per-mass", "600",
        "--background", "3000")
    run(hepsweep, "convert", csv, "--label", "label", "-o", data)
    sweep = os.path.join(work, "sweep")
    run(hepsweep, "train", os.path.join(source, "examples/param/campaign.toml"), "--set", "data.file=" + data,
        "--set", "output.dir=" + sweep, "--set", "train.epochs=20", "--quiet")

    with h5py.File(data) as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["feature_names"][:]]
        features = f["features"][:]
        file_labels = f["labels"][:]
    mass = features[:, names.index("mass")]

    per_fold = []
    items = sorted(os.listdir(os.path.join(sweep, "items")))
    assert len(items) == 2, items
    for item in items:
        with h5py.File(os.path.join(sweep, "items", item, "result.h5")) as f:
            g = f["parametrised"]
            values = list(g["values"][:])
            assert values == [300.0, 400.0, 500.0, 600.0, 700.0], values
            assert list(g["held_out"][:]) == [0, 0, 1, 0, 0], g["held_out"][:]
            aucs = g["auc"][:]
            assert aucs[2] > 0.85, ("held-out 500 GeV AUC", aucs)
            assert (aucs > 0.9).sum() >= 4, aucs
            assert g["bkg_eff"].shape == (len(f["metrics/signal_efficiency"][:]), 5)
            assert g.attrs["parameter"] == "mass" and "signal event" in g.attrs["draw"]
            for split in ("train", "val"):
                rows = f["scores/%s_rows" % split][:]
                labels = f["scores/%s_labels" % split][:]
                assert not np.any((labels > 0.5) & (mass[rows] == 500.0)), split + " holds 500 GeV signal"
            test_rows = f["scores/test_rows"][:]
            assert np.sum((file_labels[test_rows] > 0.5) & (mass[test_rows] == 500.0)) == g["n_signal"][2] > 0
            per_fold.append((test_rows, f["scores/test_weights"][:], aucs))

    run(hepsweep, "aggregate", sweep)
    with h5py.File(os.path.join(sweep, "summary.h5")) as f:
        p = f["parametrised"]
        assert list(p["values"][:]) == [300.0, 400.0, 500.0, 600.0, 700.0]
        assert list(p["held_out"][:]) == [0, 0, 1, 0, 0]
        mean = p["auc_mean"][:]
        assert abs(mean[2] - (per_fold[0][2][2] + per_fold[1][2][2]) / 2) < 1e-12, mean
    report = os.path.join(work, "report")
    run(hepsweep, "aggregate", sweep, "--report", report)
    assert os.path.getsize(os.path.join(report, "parametrised.png")) > 0
    with open(os.path.join(report, "index.html")) as f:
        assert 'id="parametrised"' in f.read()

    # apply with mass set to 600 for every event: per fold, the 600 GeV test signal against all test
    # background, AUC recomputed here, equals the stored per-value AUC.
    scored = os.path.join(work, "scored600.h5")
    run(hepsweep, "apply", os.path.join(sweep, "best-model.h5"), data, "--per-fold", "--parameter", "mass=600",
        "-o", scored)
    with h5py.File(scored) as f:
        fold_scores = f["fold_scores"][:]
    for k, (test_rows, weights, aucs) in enumerate(per_fold):
        labels = file_labels[test_rows].astype(float)
        pick = (labels < 0.5) | (mass[test_rows] == 600.0)
        a = auc(fold_scores[test_rows[pick], k].astype(np.float64), labels[pick], weights[pick].astype(np.float64))
        assert abs(a - aucs[3]) < 1e-6, (k, a, aucs[3])

    # A text input without the mass column, scored with --parameter: the same scores.
    text = os.path.join(work, "nomass.csv")
    with open(csv) as src, open(text, "w") as out:
        for line in src:
            fields = line.rstrip("\n").split(",")
            out.write(",".join(fields[:1] + fields[2:]) + "\n")
    scored_text = os.path.join(work, "scored600-text.h5")
    run(hepsweep, "apply", os.path.join(sweep, "best-model.h5"), text, "--parameter", "mass=600", "-o", scored_text)
    with h5py.File(scored) as a, h5py.File(scored_text) as b:
        assert np.array_equal(a["score"][:], b["score"][:])

    # Bad --parameter arguments: a clear error and the exit code of a usage (2) or input (3) error.
    best = os.path.join(sweep, "best-model.h5")
    for args, code, message in ((["--parameter", "mass"], 2, "expected NAME=VALUE"),
                             (["--parameter", "mas=500"], 2, "did you mean 'mass'"),
                             (["--parameter", "mass=abc"], 2, "expected NAME=VALUE")):
        r = subprocess.run([hepsweep, "apply", best, data, "-o", os.path.join(work, "bad.h5")] + args,
                           capture_output=True, text=True)
        assert r.returncode == code and message in r.stderr, (args, r.returncode, r.stderr)
    nomass_h5 = os.path.join(work, "nomass.h5")
    run(hepsweep, "convert", text, "--label", "label", "-o", nomass_h5)
    r = subprocess.run([hepsweep, "apply", best, nomass_h5, "--parameter", "mass=500", "-o",
                        os.path.join(work, "bad.h5")], capture_output=True, text=True)
    assert r.returncode == 3 and "has no column 'mass' to overwrite" in r.stderr, (r.returncode, r.stderr)

    aucs = per_fold[0][2]
    print("ok: per-mass AUC", ", ".join("%.3f" % a for a in aucs), "(500 GeV held out)")


if __name__ == "__main__":
    main()
