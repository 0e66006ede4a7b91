#!/usr/bin/python3
"""The PyTorch reference for `hepsweep aggregate --importance` (bench/bench_importance.sh): the
permutation importance a physicist's script computes with the fold networks of a best-model.h5,
the same work as aggregate's extra passes: per fold, read the events, score them once as they
are and once per feature with that column shuffled (numpy permutation), the ROC AUC of each
(rank-based, numpy), the drop.

  bench/importance_reference.py best-model.h5 data.h5 --events N [--threads 1] [--json FILE]

N: validation events per fold (summary.h5 /importance/validation_events); the reference scores the
first N rows of the data file (the cost does not depend on which rows). Timing starts after the
imports and includes reading the data file (aggregate reads it too). The network is built by
apply_reference.py's fold_model (standard/no scaler, no batch norm, no imputation).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from apply_reference import blas_info, fold_model, strings  # noqa: E402


def auc(score, label):
    """Tie-aware ROC AUC (Mann-Whitney U with average ranks)."""
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    ranks = np.empty(len(s), dtype=np.float64)
    # Average ranks of ties, vectorised over the run boundaries.
    boundaries = np.flatnonzero(np.diff(s)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(s)]))
    avg = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(avg, ends - starts)
    pos = label > 0.5
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=65536, help="rows scored at once (default 65536)")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    with h5py.File(a.model, "r") as mf:
        folds = [fold_model(mf[f"fold_{k}"]) for k in range(int(mf.attrs["folds"]))]
    with h5py.File(a.data, "r") as f:
        names = strings(f["feature_names"])
        x_all = f["features"][...]
        labels = f["labels"][...][: a.events]
    drops = []
    for mean, scale, net, inputs in folds:
        x = np.ascontiguousarray(x_all[: a.events][:, [names.index(n) for n in inputs]])

        def score(x):
            # Blocks of --batch rows, as apply_reference.py scores: the whole array at once runs
            # several times slower (every layer's output then lives in main memory).
            out = np.empty(len(x), dtype=np.float32)
            for start in range(0, len(x), a.batch):
                xb = x[start:start + a.batch]
                if mean is not None:
                    xb = ((xb.astype(np.float64) - mean) * scale).astype(np.float32)
                with torch.no_grad():
                    out[start:start + len(xb)] = torch.sigmoid(
                        net(torch.from_numpy(np.ascontiguousarray(xb))).squeeze(1)).numpy()
            return out

        base = auc(score(x), labels)
        perm = rng.permutation(len(x))
        row = []
        for c in range(x.shape[1]):
            saved = x[:, c].copy()
            x[:, c] = saved[perm]
            row.append(base - auc(score(x), labels))
            x[:, c] = saved
        drops.append(row)
    t = {"seconds": time.perf_counter() - t0, "events": a.events, "folds": len(folds),
         "features": len(drops[0]) if drops else 0, "torch_version": torch.__version__, "blas": blas_info(),
         "threads": a.threads, "mean_drop": np.mean(np.array(drops), axis=0).tolist()}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(t, fh)
    print(json.dumps(t))


if __name__ == "__main__":
    main()
