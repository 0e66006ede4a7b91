#!/usr/bin/python3
"""Self-test of torch_reference.py without hepsweep: fabricates a dataset file and a result file
in the layouts of `hepsweep convert` / `hepsweep train` (two Gaussian blobs whose separation
fixes the best achievable AUC), runs the reference in both modes and checks that

  * the split of the result file is the one used (n_train/n_val/n_test echo it),
  * the test AUC is close to the Bayes-optimal AUC of the blobs, computed analytically,
  * the tie-aware AUC agrees with a brute-force pair count, ties included.

Exits non-zero on failure. Usage: /usr/bin/python3 bench/selftest_torch_reference.py [WORKDIR]
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CONFIG = """seed = 7
[data]
file = "{data}"
features = []
balance = "downsample"
split = {{ train = 0.5, val = 0.25, test = 0.25 }}
[preprocess]
scaler = "standard"
[model]
widths = [25, 20]
activation = "relu"
dropout = 0.2
batch_norm = false
[train]
optimizer = "adam"
learning_rate = 1e-3
batch_size = 100
epochs = 60
l2 = 0.0
early_stopping = {{ enabled = true, monitor = "val_loss", patience = 5, min_delta = 0.0, restore_best = true }}
[output]
dir = "runs/selftest"
"""


def fabricate(workdir: str, n_sig=3000, n_bkg=3500, n_feat=8, shift=0.5):
    rng = np.random.default_rng(1)
    # Signal is shifted by `shift` in every feature; features are scaled differently so the scaler matters.
    scale = np.logspace(-2, 3, n_feat)
    xs = (rng.normal(size=(n_sig, n_feat)) + shift) * scale
    xb = rng.normal(size=(n_bkg, n_feat)) * scale
    x = np.concatenate([xs, xb]).astype(np.float32)
    y = np.concatenate([np.ones(n_sig), np.zeros(n_bkg)]).astype(np.int8)
    data = os.path.join(workdir, "blobs.h5")
    with h5py.File(data, "w") as f:
        f["features"] = x
        f["labels"] = y
        f["weights"] = np.ones(len(y), dtype=np.float32)
        f.create_dataset("feature_names", data=[f"f{i}" for i in range(n_feat)], dtype=h5py.string_dtype())
        f["ids"] = np.arange(len(y), dtype=np.int64)
    # A hepsweep-like split: downsample background, then 50/25/25 per class.
    sig = np.flatnonzero(y == 1)
    bkg = np.sort(rng.choice(np.flatnonzero(y == 0), size=len(sig), replace=False))
    parts = {"train": [], "val": [], "test": []}
    for r in (sig, bkg):
        r = rng.permutation(r)
        a, b = len(r) // 2, len(r) // 2 + len(r) // 4
        parts["train"].append(r[:a]); parts["val"].append(r[a:b]); parts["test"].append(r[b:])
    result = os.path.join(workdir, "result.h5")
    config = CONFIG.format(data=data)
    with h5py.File(result, "w") as f:
        f.attrs["config"] = config
        f.attrs["seed"] = np.uint64(7)
        f.attrs["version"] = "fabricated"
        f.attrs["data_sha256"] = "0" * 64
        for k, v in parts.items():
            f[f"split/{k}"] = np.sort(np.concatenate(v)).astype(np.int64)
        f["metrics/test_auc"] = np.float64(0.0)
    with open(os.path.join(workdir, "campaign.toml"), "w") as fh:
        fh.write(config)
    # Equal-covariance Gaussians: the optimal discriminant is linear, AUC = Phi(d / sqrt(2)) with d the
    # Mahalanobis distance shift*sqrt(n_feat).
    d = shift * math.sqrt(n_feat)
    bayes_auc = 0.5 * (1 + math.erf(d / 2))
    return data, result, {k: sum(len(p) for p in v) for k, v in parts.items()}, bayes_auc


def check_auc_against_pairs():
    from torch_reference import roc_auc  # noqa: WPS433 (import after sys.path set)
    rng = np.random.default_rng(3)
    s = rng.integers(0, 6, size=300).astype(float)  # many ties on purpose
    y = rng.integers(0, 2, size=300)
    w = rng.uniform(0.1, 2.0, size=300)
    sig, bkg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    num = sum(w[i] * w[j] * (1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0) for i in sig for j in bkg)
    expected = num / (w[sig].sum() * w[bkg].sum())
    got = roc_auc(s, y, w)
    assert abs(got - expected) < 1e-12, f"weighted tie-aware AUC {got} != pair count {expected}"
    got_u = roc_auc(s, y)
    num_u = sum((1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0) for i in sig for j in bkg)
    assert abs(got_u - num_u / (len(sig) * len(bkg))) < 1e-12, "unweighted tie-aware AUC != pair count"
    print(f"AUC vs brute-force pair count: OK ({got:.6f})")


def main():
    check_auc_against_pairs()
    workdir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="hepsweep-selftest-")
    data, result, sizes, bayes = fabricate(workdir)
    script = os.path.join(HERE, "torch_reference.py")
    ok = True
    for mode in (["--result", result], ["--config", os.path.join(workdir, "campaign.toml")]):
        out = subprocess.run([sys.executable, script, "--data", data, *mode, "--quiet"],
                             check=True, capture_output=True, text=True).stdout
        s = json.loads(out)
        print(f"{mode[0]:9s} test_auc {s['test_auc']:.4f} (Bayes {bayes:.4f})  best_epoch {s['best_epoch']}  "
              f"epochs_run {s['epochs_run']}  n_train/val/test {s['n_train']}/{s['n_val']}/{s['n_test']}  "
              f"{s['samples_per_second']:.0f} samples/s")
        if mode[0] == "--result" and (s["n_train"], s["n_val"], s["n_test"]) != (
                sizes["train"], sizes["val"], sizes["test"]):
            print(f"FAIL: split sizes {s['n_train']}/{s['n_val']}/{s['n_test']} are not the result file's {sizes}")
            ok = False
        if not (bayes - 0.03 < s["test_auc"] <= bayes + 0.02):
            print(f"FAIL: test AUC {s['test_auc']:.4f} is not near the Bayes AUC {bayes:.4f}")
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
