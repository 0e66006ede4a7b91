#!/usr/bin/python3
"""Writes a HIGGS-like CSV (label + 28 features, as the UCI HIGGS data set lays them out) of N
events, reproducibly: the same N and seed give the same bytes. For benchmarks at the sizes users
have (1-10 million events) without shipping the 2.6 GB original.

  bench/make_higgs_like.py N OUT.csv [--seed S]

Columns: label (1 signal, 0 background), 21 "low-level" kinematic features (lepton pT, eta, phi;
missing energy magnitude and phi; four jets' pT, eta, phi and b-tag) and 7 "high-level" invariant
masses. The classes differ mildly in the masses and the jet pTs, so a classifier reaches an AUC
of roughly 0.8, as on the real data set: training does real work, nothing is separable.
"""
import argparse
import sys

import numpy as np

NAMES = (["lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi"] +
         [f"jet{j}_{q}" for j in range(1, 5) for q in ("pt", "eta", "phi", "btag")] +
         ["m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"])


def block(rng, n):
    label = (rng.random(n) < 0.53).astype(np.int8)
    s = label.astype(np.float64)
    cols = []
    cols.append(rng.gamma(2.0, 0.5, n))                      # lepton pT
    cols.append(rng.normal(0, 1.0, n))                       # lepton eta
    cols.append(rng.uniform(-1.74, 1.74, n))                 # lepton phi
    cols.append(rng.gamma(2.0, 0.5 + 0.05 * s, n))           # missing energy
    cols.append(rng.uniform(-1.74, 1.74, n))                 # its phi
    for j in range(4):
        cols.append(rng.gamma(2.2, 0.45 + 0.04 * s * (j + 1) / 4, n))      # jet pT
        cols.append(rng.normal(0, 1.0, n))                                  # eta
        cols.append(rng.uniform(-1.74, 1.74, n))                            # phi
        cols.append(rng.choice([0.0, 1.087, 2.173], n, p=[0.5, 0.2, 0.3]) * (1 + 0.1 * s))  # b-tag
    for k, (mu_b, mu_s, sd) in enumerate([(1.0, 1.02, 0.4), (1.0, 1.03, 0.3), (1.0, 0.99, 0.2), (1.0, 1.05, 0.3),
                                           (1.0, 0.85, 0.5), (1.0, 0.95, 0.35), (1.0, 0.9, 0.3)]):
        cols.append(np.abs(rng.normal(mu_b + (mu_s - mu_b) * s, sd, n)))
    return label, np.column_stack(cols)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20141214)
    a = ap.parse_args()
    if a.n < 1:
        sys.exit("make_higgs_like.py: N must be >= 1")
    rng = np.random.default_rng(a.seed)
    with open(a.out, "w") as f:
        f.write("label," + ",".join(NAMES) + "\n")
        done = 0
        while done < a.n:
            n = min(200_000, a.n - done)
            label, x = block(rng, n)
            # 7 significant digits, as the original file's single-precision values
            np.savetxt(f, np.column_stack([label, x]), fmt=["%d"] + ["%.7g"] * x.shape[1], delimiter=",")
            done += n


if __name__ == "__main__":
    main()
