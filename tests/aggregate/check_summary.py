"""Independent check of `hepsweep aggregate --json` and summary.h5 against the run directory's
result files, read with h5py and numpy only (no hepsweep code): the best point by mean val_loss,
its objective, and the AUC of the mean of its folds' test scores.

usage: check_summary.py RUN_DIR JSON_FILE SUMMARY_H5
"""
import collections
import glob
import json
import sys

import h5py
import numpy as np
import pandas as pd


def auc(scores, labels):
    # Mann-Whitney U from average ranks (ties share their mean rank).
    s = scores.astype(np.float64)
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = average_rank[inverse]
    pos, neg = (labels == 1), (labels == 0)
    npos, nneg = pos.sum(), neg.sum()
    return (ranks[pos].sum() - npos * (npos + 1) / 2.0) / (npos * nneg)


def main():
    run, json_file, summary = sys.argv[1:4]
    out = json.load(open(json_file))
    groups = collections.defaultdict(list)
    for path in sorted(glob.glob(run + "/items/*/result.h5")):
        with h5py.File(path, "r") as f:
            groups[f.attrs["item_overrides"]].append(
                (int(f.attrs["fold"]), float(f["metrics/val_loss"][()]), f["scores/test"][:], f["scores/test_labels"][:]))
    means = {k: np.mean([v[1] for v in vs]) for k, vs in groups.items()}
    best = min(means, key=lambda k: means[k])
    errors = []
    if abs(means[best] - out["best_objective"]) > 1e-12:
        errors.append(f"best_objective {out['best_objective']} != {means[best]}")
    key, value = best.split("=", 1)
    if abs(float(out["best_point"][key]) - float(value)) > 1e-12:
        errors.append(f"best_point {out['best_point']} != {best}")
    folds = sorted(groups[best], key=lambda v: v[0])
    ensemble = np.mean([v[2].astype(np.float64) for v in folds], axis=0).astype(np.float32)
    expected_auc = auc(ensemble, folds[0][3])
    if abs(expected_auc - out["ensemble_test_auc"]) > 1e-9:
        errors.append(f"ensemble_test_auc {out['ensemble_test_auc']} != {expected_auc}")

    with h5py.File(summary, "r") as f:
        items = pd.DataFrame({k: f["items"][k][:] for k in f["items"]})
        points = pd.DataFrame({k: f["points"][k][:] for k in f["points"]})
        if len(items) != sum(len(v) for v in groups.values()):
            errors.append(f"/items has {len(items)} rows")
        if list(points["rank"]) != list(range(1, len(points) + 1)):
            errors.append(f"/points not in rank order: {list(points['rank'])}")
        if abs(points["objective_mean"][0] - means[best]) > 1e-12:
            errors.append("/points/objective_mean[0] is not the best mean")
        by_point = items.groupby("point")["val_loss"].mean().sort_values()
        if abs(by_point.iloc[0] - means[best]) > 1e-12:
            errors.append("pandas groupby of /items disagrees")
        stored = f["best/test/ensemble_score"][:]
        if not np.array_equal(stored, ensemble):
            errors.append("best/test/ensemble_score differs from the mean of the folds' scores/test")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("ok")


main()
