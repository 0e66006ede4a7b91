#!/usr/bin/python3
"""Optuna TPE on Branin and Hartmann-6 (same budget and seeds as bench_search regret), and the
table of median regrets of GP-EI, random and TPE from the JSON lines of bench_search.

usage: bench_search.py REGRET_JSONL TIMING_JSONL SEEDS BUDGET [LOCAL_JSONL SIMULATE_JSONL]
"""
import json
import math
import statistics
import sys

import optuna

BRANIN_MIN = 0.397887357729739
HARTMANN6_MIN = -3.32236801141551
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def branin(x1, x2):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i in range(4))


def tpe(function, seed, budget):
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(sampler=sampler)
    if function == "branin":
        study.optimize(lambda t: branin(t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)), n_trials=budget)
        return study.best_value - BRANIN_MIN
    study.optimize(lambda t: hartmann6([t.suggest_float(f"x{i}", 0, 1) for i in range(6)]), n_trials=budget)
    return study.best_value - HARTMANN6_MIN


def main():
    regret_file, timing_file, seeds, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = [json.loads(line) for line in open(regret_file)]
    for function in ("branin", "hartmann6"):
        for seed in range(1, seeds + 1):
            rows.append({"function": function, "method": "optuna_tpe", "seed": seed, "regret": tpe(function, seed, budget)})
    print(f"### Bayesian search: median regret over {seeds} seeds, budget {budget}\n")
    print("| function | GP-EI (hepsweep) | random (hepsweep) | TPE (Optuna %s) |" % optuna.__version__)
    print("|---|---|---|---|")
    for function in ("branin", "hartmann6"):
        cells = []
        for method in ("gp_ei", "random", "optuna_tpe"):
            r = [x["regret"] for x in rows if x["function"] == function and x["method"] == method]
            q = statistics.quantiles(r, n=4)
            cells.append(f"{statistics.median(r):.4g} (IQR {q[0]:.3g}–{q[2]:.3g})")
        print(f"| {function} | " + " | ".join(cells) + " |")
    timings = [json.loads(line) for line in open(timing_file)]
    repeats = timings[0]["repeats"] if timings else 0
    columns = list(dict.fromkeys((t.get("model", "exact"), t["acquisition"]) for t in timings))
    print(f"\n### Proposal CPU time, 6-D (Hartmann-6), seconds per proposal (median of {repeats} searches)\n")
    print("exact: every point in the GP; local: search.model_points = 300; local_refit10: the same with "
          "search.refit_every = 10, the mean over a batch of 10 proposals (one fit, 9 reuses).\n")
    print("| observations | " + " | ".join(f"{m} {a}" for m, a in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for n in dict.fromkeys(t["observations"] for t in timings):
        cells = [next((f"{t['seconds']:.3f}" for t in timings if t["observations"] == n and
                       (t.get("model", "exact"), t["acquisition"]) == c), "–") for c in columns]
        print(f"| {n} | " + " | ".join(cells) + " |")
    if len(sys.argv) > 6:
        local = [json.loads(line) for line in open(sys.argv[5])]
        methods = list(dict.fromkeys(x["method"] for x in local))
        print(f"\n### Local GP against the exact GP: median regret over {seeds} seeds (IQR), GP-EI, 4 pending points\n")
        print("| function | " + " | ".join(methods) + " |")
        print("|---|" + "---|" * len(methods))
        for function in ("branin", "hartmann6"):
            cells = []
            for method in methods:
                r = [x["regret"] for x in local if x["function"] == function and x["method"] == method]
                q = statistics.quantiles(r, n=4) if len(r) > 1 else [r[0], r[0], r[0]]
                cells.append(f"{statistics.median(r):.3g} ({q[0]:.3g}–{q[2]:.3g})")
            print(f"| {function} | " + " | ".join(cells) + " |")
        sims = [json.loads(line) for line in open(sys.argv[6])]
        print("\n### Scheduler simulator (Hartmann-6, GP-EI, model_points 300; proposals cost their measured CPU time)\n")
        print("| groups | points x folds | item median, spread | refit_every | utilisation (steady / all) | "
              "proposals per CPU s | lock wait per item, s | simulated wall, h | regret at 25 / 50 / 100 % of wall |")
        print("|---|---|---|---|---|---|---|---|---|")
        for x in sims:
            print(f"| {x['groups']} | {x['budget']} x {x['folds']} | {x['median_item_s']:g} s, {x['spread']:g} | "
                  f"{x['refit_every']} | {100 * x['steady_utilisation']:.1f} % / {100 * x['utilisation']:.1f} % | "
                  f"{x['proposals_per_cpu_s']:.2f} | {x['lock_wait_s_per_item']:.3f} | {x['wall_s'] / 3600:.2f} | "
                  f"{x['regret_25']:.3g} / {x['regret_50']:.3g} / {x['regret_100']:.3g} |")

if __name__ == "__main__":
    main()
