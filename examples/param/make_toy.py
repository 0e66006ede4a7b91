#!/usr/bin/python3
"""A toy for parametrised networks (Baldi et al., Eur. Phys. J. C 76 (2016) 235), seeded.

Signal: a resonance of mass m in {300, 400, 500, 600, 700} (SIGNAL_PER_MASS events each);
  m_reco ~ Normal(m, 0.05 m)    the reconstructed mass: peaks at m
  pt     ~ Normal(m / 2, 0.1 m) a transverse momentum that grows with m
  eta    ~ Normal(0, 1)         the same for both classes: carries nothing
  mass   = m                    the parameter (the true mass of the sample)
Background: broad, BACKGROUND events;
  m_reco ~ 200 + Exponential(250), pt ~ 20 + Exponential(120), eta ~ Normal(0, 1.2)
  mass   = 0                    a placeholder: the campaign draws each background event's value
                                from the signal's (data.parameter)
Columns: label (1 signal, 0 background), mass, m_reco, pt, eta. numpy's default_rng(seed).

usage: make_toy.py OUT.csv [--seed 2016] [--signal-per-mass 1000] [--background 5000]
"""
import argparse

import numpy as np

MASSES = [300.0, 400.0, 500.0, 600.0, 700.0]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=2016)
    p.add_argument("--signal-per-mass", type=int, default=1000)
    p.add_argument("--background", type=int, default=5000)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    rows = []
    for m in MASSES:
        n = a.signal_per_mass
        rows.append(np.column_stack([np.ones(n), np.full(n, m), rng.normal(m, 0.05 * m, n),
                                     rng.normal(m / 2, 0.1 * m, n), rng.normal(0, 1, n)]))
    n = a.background
    rows.append(np.column_stack([np.zeros(n), np.zeros(n), 200 + rng.exponential(250, n),
                                 20 + rng.exponential(120, n), rng.normal(0, 1.2, n)]))
    table = np.concatenate(rows)
    table = table[rng.permutation(len(table))]
    with open(a.out, "w") as f:
        f.write("label,mass,m_reco,pt,eta\n")
        for r in table:
            f.write("%d,%g,%.6g,%.6g,%.6g\n" % (r[0], r[1], r[2], r[3], r[4]))


if __name__ == "__main__":
    main()
