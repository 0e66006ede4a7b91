"""Recomputes hepsweep's multi-class metrics with scikit-learn (see MultiClassMetricsTest.cpp).

data.txt: one event per line: label weight p_0 .. p_{K-1}. cases.txt: for the unweighted case,
then the weighted one: per-class one-vs-rest AUCs, their mean, eps_B at eps_S = 0.3/0.5/0.9 per
class and the argmax confusion matrix (row-major, true x predicted). Exit 1 on any difference.
"""
import sys

import numpy as np
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

data = np.loadtxt(sys.argv[1])
# The float32 values hepsweep used (the text holds 9 digits, enough to round-trip a float32).
labels, weights, scores = data[:, 0].astype(int), data[:, 1].astype(np.float32), data[:, 2:].astype(np.float32)
classes = scores.shape[1]
effs = [0.3, 0.5, 0.9]
bad = []
weighted = None
for line in open(sys.argv[2]):
    key, *vals = line.split()
    if key == "case":
        weighted = vals[0] == "1"
        w = weights if weighted else None
        continue
    vals = np.array([float(v) for v in vals])
    tag = ("weighted " if weighted else "") + key
    if key == "auc":
        ref = [roc_auc_score(labels == k, scores[:, k], sample_weight=w) for k in range(classes)]
        if not np.allclose(vals, ref, rtol=1e-12, atol=1e-12):
            bad.append(f"{tag}: hepsweep {vals} sklearn {ref}")
    elif key == "mean":
        # sklearn's multi_class="ovr", average="macro" is this mean (it also wants rows summing to 1).
        ref = np.mean([roc_auc_score(labels == k, scores[:, k], sample_weight=w) for k in range(classes)])
        if abs(vals[0] - ref) > 1e-12:
            bad.append(f"{tag}: hepsweep {vals[0]} sklearn {ref}")
    elif key == "effb":
        k = int(vals[0])
        fpr, tpr, _ = roc_curve(labels == k, scores[:, k], sample_weight=w, drop_intermediate=False)
        # hepsweep interpolates linearly between the first point reaching the efficiency and the one before.
        ref = []
        for e in effs:
            j = int(np.argmax(tpr >= e - 1e-12))
            t0, t1, f0, f1 = tpr[j - 1], tpr[j], fpr[j - 1], fpr[j]
            ref.append(f1 if t1 == t0 else f0 + (f1 - f0) * (e - t0) / (t1 - t0))
        if not np.allclose(vals[1:], ref, rtol=1e-9, atol=1e-12):
            bad.append(f"{tag} class {k}: hepsweep {vals[1:]} sklearn roc_curve {ref}")
    elif key == "confusion":
        ref = confusion_matrix(labels, np.argmax(scores, axis=1), labels=range(classes), sample_weight=w)
        if not np.allclose(vals.reshape(classes, classes), ref, rtol=1e-12, atol=1e-9):
            bad.append(f"{tag}: hepsweep\n{vals.reshape(classes, classes)}\nsklearn\n{ref}")
for b in bad:
    print("MISMATCH", b)
print("checked", "ok" if not bad else f"{len(bad)} mismatches")
sys.exit(1 if bad else 0)
