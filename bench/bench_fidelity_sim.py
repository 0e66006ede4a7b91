#!/usr/bin/python3
"""Regret against epochs and simulated wall time (issue 22): the simulator's traces of random, GP,
GP + ASHA and GP + racing (bench_search fidelity), Optuna's TPE with and without its
HyperbandPruner on the same learning curves, and the table of medians with quartiles.

usage: bench_fidelity_sim.py SIM_JSONL SEEDS EPOCH_BUDGET GROUPS PROBLEM [PROBLEM ...] [--table CSV]

Optuna runs its trials one after the other (one worker); a trial trains its folds side by side and
reports, after each epoch, the mean over folds of their running-best validation value, so the
pruner (HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)) stops all folds at
once; a trial costs folds x epochs trained. Its simulated wall time is its epochs x 10 s / GROUPS:
GROUPS perfectly parallel workers, no proposal time (a bound in Optuna's favour).
"""
import json
import math
import statistics
import sys

import numpy as np
import optuna

EPOCHS = 27
SECONDS_PER_EPOCH = 10
BRANIN_MIN = 0.397887357729739
HARTMANN6_MIN = -3.32236801141551
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]
# c, fold sd, epoch sd: as bench_search.cpp's CurveModel
MODELS = {"branin": (30, 1.0, 0.3), "hartmann6": (1.5, 0.05, 0.02)}


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i in range(4))


class Synthetic:
    """The same curve family as bench_search.cpp (other random draws: the points differ anyway)."""

    def __init__(self, name):
        self.name, self.folds = name, 3
        self.f, self.min = (branin, BRANIN_MIN) if name == "branin" else (hartmann6, HARTMANN6_MIN)

    def suggest(self, trial):
        if self.name == "branin":
            x = [trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15)]
            return x, x[1] / 15
        x = [trial.suggest_float(f"x{i + 1}", 0, 1) for i in range(6)]
        return x, x[5]

    def curves(self, key, rng):
        x, u = key
        c, fold_sd, epoch_sd = MODELS[self.name]
        f, tau = self.f(x), 1 + 8 * u
        out = []
        for _ in range(self.folds):
            offset = fold_sd * rng.standard_normal()
            out.append([f + c * math.exp(-e / tau) + offset + epoch_sd * rng.standard_normal() for e in range(1, EPOCHS + 1)])
        return out

    def regret(self, key):
        return self.f(key[0]) - self.min


class Tabulated:
    """make_ship_table.sh's CSV: a suggestion is replaced by the nearest recorded point in the unit cube."""

    def __init__(self, path):
        rows = [line.rstrip("\n").split(",") for line in open(path) if not line.startswith("#")]
        header, rows = rows[0], rows[1:]
        self.epochs = len(header) - 6
        points = {}
        for r in rows:
            p = points.setdefault(int(r[0]), {"x": [float(v) for v in r[2:6]], "folds": {}})
            p["folds"][int(r[1])] = [float(v) for v in r[6:]]
        self.folds = max(len(p["folds"]) for p in points.values())
        self.units = np.array([self.unit(p["x"]) for p in points.values()])
        self.curve_table = [[p["folds"][f][:EPOCHS] for f in range(self.folds)] for p in points.values()]
        self.truth = np.array([np.mean([np.minimum.accumulate(c)[-1] for c in folds]) for folds in self.curve_table])

    @staticmethod
    def unit(x):
        # Space::toUnit of the four dimensions: width log integer (the log-uniform draw on
        # [min - 1/2, max + 1/2]), depth integer (centre of its interval), log and linear reals.
        w, d, lr, dr = x
        return [(math.log(w) - math.log(7.5)) / (math.log(128.5) - math.log(7.5)), (d - 0.5) / 4,
                (math.log(lr) - math.log(1e-4)) / (math.log(3e-2) - math.log(1e-4)), dr / 0.5]

    def suggest(self, trial):
        x = [trial.suggest_int("model.width", 8, 128, log=True), trial.suggest_int("model.depth", 1, 4),
             trial.suggest_float("train.learning_rate", 1e-4, 3e-2, log=True), trial.suggest_float("model.dropout", 0, 0.5)]
        return int(np.argmin(((self.units - np.array(self.unit(x))) ** 2).sum(axis=1)))

    def curves(self, key, rng):
        return self.curve_table[key]

    def regret(self, key):
        return float(self.truth[key] - self.truth.min())


def optuna_run(problem, seed, budget, groups, pruner):
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(sampler=sampler, pruner=optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=EPOCHS, reduction_factor=3) if pruner else optuna.pruners.NopPruner())
    rng = np.random.default_rng(seed)
    state = {"epochs": 0, "keys": {}}

    def objective(trial):
        key = problem.suggest(trial)
        state["keys"][trial.number] = key
        curves = [np.minimum.accumulate(c) for c in problem.curves(key, rng)]
        for e in range(EPOCHS):
            state["epochs"] += problem.folds
            value = float(np.mean([c[e] for c in curves]))
            trial.report(value, e + 1)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    trace, best = [], None
    while state["epochs"] < budget:
        study.optimize(objective, n_trials=1)
        try:
            b = study.best_trial
        except ValueError:
            continue
        if best is None or b.number != best:
            best = b.number
            epochs = state["epochs"]
            trace.append([epochs, epochs * SECONDS_PER_EPOCH / groups, problem.regret(state["keys"][best])])
    return trace


def at(trace, index, limit):
    """The regret of the last step of `trace` whose coordinate `index` is <= limit (inf before any)."""
    r = math.inf
    for step in trace:
        if step[index] <= limit:
            r = step[2]
    return r


def cell(values):
    values = sorted(values)
    if len(values) == 1:
        return f"{values[0]:.3g}"
    if any(math.isinf(v) for v in values):
        # Interpolating between a number and inf gives nan: the nearest rank instead.
        q = [values[round(f * (len(values) - 1))] for f in (0.25, 0.5, 0.75)]
        return f"{q[1]:.3g} ({q[0]:.3g}–{q[2]:.3g})"
    q = statistics.quantiles(values, n=4, method="inclusive")
    return f"{statistics.median(values):.3g} ({q[0]:.3g}–{q[2]:.3g})"


def main():
    args = sys.argv[1:]
    table = None
    if "--table" in args:
        i = args.index("--table")
        table = args[i + 1]
        del args[i:i + 2]
    sim_file, seeds, budget, groups, problems = args[0], int(args[1]), int(args[2]), int(args[3]), args[4:]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = [json.loads(line) for line in open(sim_file)]
    for name in problems:
        problem = Tabulated(table) if name == "table" else Synthetic(name)
        for seed in range(1, seeds + 1):
            for pruner in (False, True):
                rows.append({"problem": name, "method": "optuna_tpe_hyperband" if pruner else "optuna_tpe", "seed": seed,
                             "trace": optuna_run(problem, seed, budget, groups, pruner)})
    methods = ["random", "gp", "gp_asha", "gp_racing", "optuna_tpe", "optuna_tpe_hyperband"]
    fractions = (0.25, 0.5, 1.0)
    ideal_wall = budget * SECONDS_PER_EPOCH / groups
    for name in problems:
        sim = next(r for r in rows if r["problem"] == name and "folds" in r)
        print(f"\n### {name}: regret, median over {seeds} seeds (quartiles), budget {budget} epochs "
              f"({sim['folds']} folds x {sim['epochs_per_item']} epochs a point), {groups} simulated groups\n")
        print("| method | points | stopped / raced-out items | " +
              " | ".join(f"{int(f * 100)} % epochs" for f in fractions) + " | " +
              " | ".join(f"wall {f * ideal_wall / 3600:.2f} h" for f in fractions) + " |")
        print("|---|---|---|" + "---|" * (2 * len(fractions)))
        for m in methods:
            runs = [r for r in rows if r["problem"] == name and r["method"] == m]
            if not runs:
                continue
            points = cell([r["points"] for r in runs]) if "points" in runs[0] else "–"
            cut = f"{cell([r['stopped'] for r in runs])} / {cell([r['raced_out'] for r in runs])}" if "stopped" in runs[0] else "–"
            cells = [cell([at(r["trace"], 0, f * budget) for r in runs]) for f in fractions]
            cells += [cell([at(r["trace"], 1, f * ideal_wall) for r in runs]) for f in fractions]
            print(f"| {m} | {points} | {cut} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
