#!/usr/bin/python3
"""Multi-class campaigns end to end (issue 21), checked against scikit-learn.

usage: multiclass_campaign.py toy HEPSWEEP_BINARY WORK_DIR
       multiclass_campaign.py ship HEPSWEEP_BINARY SOURCE_DIR SHARED_DATA_DIR WORK_DIR

toy:  three Gaussian classes in four features (seeded, written as CSV here), `convert --class`
      three times, a 2-fold campaign of two points, `aggregate` with its report.
ship: examples/ship/multiclass.md run as a user would (every sh and python block in page order,
      the toml block equal to examples/ship/multiclass.toml) on the SHiP mini-school samples; exit
      77 (ctest: skipped) when the shared data are absent.

Then, for every item's result.h5: the stored (events, classes) softmax scores are probabilities,
and metrics/auc_per_class (also weighted), test_auc and metrics/confusion equal scikit-learn's
roc_auc_score and confusion_matrix on those stored scores; for summary.h5: the ensemble is the
mean of the best point's fold scores, best/auc_per_class, fold_auc_per_class and best/confusion
equal scikit-learn on them, the best point has the smallest objective; the report and
best-model.h5 exist with their per-class content."""
import glob
import os
import re
import shutil
import subprocess
import sys

SKIP = 77


BINARY = None  # the hepsweep binary under test (main sets it)


def fail(msg):
    print("FAILED: " + msg)
    sys.exit(1)


def run(cmd, cwd, env=None):
    r = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(f"$ {' '.join(cmd) if isinstance(cmd, list) else cmd}\n{r.stdout}")
    if r.returncode != 0:
        fail(f"exit status {r.returncode}")
    return r.stdout


def close(a, b, tol, what):
    import numpy as np
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        fail(f"{what}: shape {a.shape} != {b.shape}")
    if not np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True):
        fail(f"{what}: hepsweep {a.tolist()} != scikit-learn {b.tolist()}")


def per_class_auc(labels, p, weights=None):
    from sklearn.metrics import roc_auc_score
    return [roc_auc_score(labels == k, p[:, k], sample_weight=weights) for k in range(p.shape[1])]


def check_results(run_dir, names):
    import h5py
    import numpy as np
    from sklearn.metrics import confusion_matrix
    files = sorted(glob.glob(os.path.join(run_dir, "items", "*", "result.h5")))
    if not files:
        fail(f"no result files in {run_dir}/items")
    for path in files:
        check_result_file(path, names)
    print(f"{len(files)} result files: per-class AUCs and confusion matrices equal scikit-learn's")


def check_result_file(path, names):
    import h5py
    import numpy as np
    from sklearn.metrics import confusion_matrix
    if True:
        with h5py.File(path, "r") as f:
            if int(f.attrs["n_classes"]) != len(names) or list(f["class_names"].asstr()[:]) != names:
                fail(f"{path}: classes {f.attrs.get('n_classes')} {f['class_names'][:]} != {names}")
            p = f["scores/test"][:]
            y = f["scores/test_labels"][:].astype(int)
            w = f["scores/test_weights"][:]
            if p.dtype != np.float32 or p.shape != (len(y), len(names)):
                fail(f"{path}: scores/test is {p.dtype} {p.shape}, expected float32 (events, {len(names)})")
            if not np.allclose(p.sum(axis=1), 1.0, atol=1e-5) or (p < 0).any():
                fail(f"{path}: scores/test rows are not probabilities")
            m = f["metrics"]
            auc = per_class_auc(y, p)
            close(m["auc_per_class"][:], auc, 1e-9, f"{path} metrics/auc_per_class")
            close(m["auc_per_class_weighted"][:], per_class_auc(y, p, w), 1e-9, f"{path} metrics/auc_per_class_weighted")
            close(m["test_auc"][()], np.mean(auc), 1e-9, f"{path} metrics/test_auc")
            cm = confusion_matrix(y, p.argmax(axis=1), labels=range(len(names)), sample_weight=w)
            close(m["confusion"][:], cm, 1e-6, f"{path} metrics/confusion")
            close(m["accuracy"][()], np.trace(cm) / cm.sum(), 1e-9, f"{path} metrics/accuracy")
            eff = m["background_efficiency"][:]
            if eff.shape != (len(names), len(m["signal_efficiency"][:])):
                fail(f"{path}: metrics/background_efficiency is {eff.shape}")
            for k in range(len(names)):
                g = f[f"roc/class_{k}"]
                if g.attrs["class_name"] != names[k] or len(g["fpr"]) > 2000 + 16:
                    fail(f"{path}: roc/class_{k} is not {names[k]}'s curve of bounded size")
            if m["objective"].attrs["name"] not in ("val_loss", "val_auc"):
                fail(f"{path}: objective {m['objective'].attrs['name']}")


def check_summary(run_dir, names, report_dir, cwd):
    import h5py
    import numpy as np
    from sklearn.metrics import confusion_matrix
    summary = os.path.join(run_dir, "summary.h5")
    with h5py.File(summary, "r") as s:
        if int(s.attrs["n_classes"]) != len(names) or list(s["class_names"].asstr()[:]) != names:
            fail("summary.h5: wrong classes")
        best = s["best"]
        objectives = s["points/objective_mean"][:]
        if not np.isclose(best.attrs["objective_mean"], np.nanmin(objectives)):
            fail(f"summary.h5: the best point's objective {best.attrs['objective_mean']} is not the smallest of {objectives}")
        # Result files as the campaign named them: relative to the directory it ran in.
        files = [os.path.join(cwd, x.decode() if isinstance(x, bytes) else x) for x in best["result_files"][:]]
        folds = []
        for path in files:
            with h5py.File(path, "r") as f:
                folds.append(f["scores/test"][:].astype(np.float64))
        y = best["test/labels"][:].astype(int)
        w = best["test/weights"][:]
        ens = best["test/ensemble_score"][:]
        close(ens, np.mean(folds, axis=0).astype(np.float32), 1e-7, "summary.h5 best/test/ensemble_score (mean of the folds)")
        close(best["auc_per_class"][:], per_class_auc(y, ens), 1e-9, "summary.h5 best/auc_per_class")
        close(best["auc_per_class_weighted"][:], per_class_auc(y, ens, w), 1e-9, "summary.h5 best/auc_per_class_weighted")
        close(best["fold_auc_per_class"][:], [per_class_auc(y, p.astype(np.float32)) for p in folds], 1e-9,
              "summary.h5 best/fold_auc_per_class")
        close(best.attrs["ensemble_test_auc"], np.mean(per_class_auc(y, ens)), 1e-9, "summary.h5 ensemble_test_auc")
        cm = confusion_matrix(y, ens.argmax(axis=1), labels=range(len(names)))
        close(best["confusion"][:], cm, 1e-9, "summary.h5 best/confusion")
        close(best["confusion_weighted"][:], confusion_matrix(y, ens.argmax(axis=1), labels=range(len(names)),
                                                             sample_weight=w), 1e-6, "summary.h5 best/confusion_weighted")
        aucs = best["auc_per_class"][:]
    # A campaign's best-model.h5, or the model.h5 a single training wrote (aggregate keeps it):
    # it must read back, and `apply` on the training data must give the summary's ensemble
    # probabilities on the test rows (the same fold models, preprocessing and mean).
    models = [os.path.join(run_dir, m) for m in ("best-model.h5", "model.h5") if os.path.isfile(os.path.join(run_dir, m))]
    if not models:
        fail(f"no best-model.h5 (or model.h5) in {run_dir}")
    with h5py.File(models[0], "r") as m:
        if list(m["class_names"].asstr()[:]) != names:
            fail(f"{models[0]}: /class_names is not {names}")
        test_rows = m["fold_rule/test_rows"][:]
        close(m["test/scores"][:].reshape(len(test_rows), len(names)), ens, 1e-7, f"{models[0]} /test/scores")
        data_file = m.attrs["data_file"]
    data_file = data_file.decode() if isinstance(data_file, bytes) else data_file
    scored = os.path.join(run_dir, "applied.h5")
    run([BINARY, "apply", models[0], os.path.join(cwd, data_file) if not os.path.isabs(data_file) else data_file,
         "-o", scored], cwd)
    with h5py.File(scored, "r") as a:
        if list(a["class_names"].asstr()[:]) != names:
            fail("apply: /class_names differ from the model's")
        close(a["score"][:][test_rows], ens, 1e-6, "apply /score on the test rows (against the summary's ensemble)")
    for f in ["index.html", "multiclass-roc.png", "multiclass-roc-linear.png", "multiclass-confusion.png"] + \
             [f"multiclass-discriminant-{k}.png" for k in range(len(names))]:
        if not os.path.isfile(os.path.join(report_dir, f)):
            fail(f"report: missing {f}")
    page = open(os.path.join(report_dir, "index.html"), encoding="utf-8").read()
    for n in names:
        if n not in page:
            fail(f"report: class {n} is not named on the page")
    if 'id="multiclass"' not in page or "Confusion matrix" not in page:
        fail("report: no multi-class section with the confusion matrix")
    print("summary.h5: ensemble, per-class AUCs and confusion matrix equal scikit-learn's; ensemble AUCs " +
          ", ".join(f"{n} {a:.4f}" for n, a in zip(names, aucs)))
    return aucs


def toy(binary, work):
    import numpy as np
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = np.random.default_rng(21)
    names = ["a", "b", "c"]
    for k, name in enumerate(names):
        x = rng.normal(size=(600, 4))
        x[:, 0] += 1.5 * k          # separates every class
        x[:, 1] += 2.5 * (k == 1)   # b from the rest
        np.savetxt(os.path.join(work, f"{name}.csv"), x, delimiter=",", header="x0,x1,x2,x3", comments="", fmt="%.6f")
    run([binary, "convert", "-o", "toy.h5"] + sum([["--class", f"{n}={n}.csv"] for n in names], []), work)
    with open(os.path.join(work, "campaign.toml"), "w") as f:
        f.write('seed = 5\n[data]\nfile = "toy.h5"\n[model]\nwidths = [16]\n[train]\nepochs = 10\nbatch_size = 64\n'
                '[cv]\nfolds = 2\n[search]\nmethod = "grid"\n[search.space]\n"train.learning_rate" = [1e-3, 1e-2]\n'
                '[output]\ndir = "run"\n')  # output.scores left at "none": multi-class keeps the test scores
    run([binary, "train", "campaign.toml", "--quiet"], work)
    run([binary, "aggregate", "run", "--no-inspect"], work)
    check_results(os.path.join(work, "run"), names)
    aucs = check_summary(os.path.join(work, "run"), names, os.path.join(work, "run", "report"), work)
    if min(aucs) < 0.8:
        fail(f"the toy's classes are well separated, the ensemble's AUCs {aucs} should exceed 0.8")
    # A single training (no folds, no search): its result file and model.h5, then aggregated alone.
    with open(os.path.join(work, "single.toml"), "w") as f:
        f.write('seed = 5\n[data]\nfile = "toy.h5"\n[model]\nwidths = [16]\n[train]\nepochs = 10\nbatch_size = 64\n'
                'learning_rate = 1e-2\n[output]\ndir = "single"\n')
    out = run([binary, "train", "single.toml", "--quiet"], work)
    if "a against the rest: test AUC" not in out:
        fail("hepsweep train does not print the per-class test AUCs")
    check_result_file(os.path.join(work, "single", "result.h5"), names)
    if not os.path.isfile(os.path.join(work, "single", "model.h5")):
        fail("hepsweep train wrote no model.h5")
    run([binary, "aggregate", "single", "--no-inspect"], work)
    check_summary(os.path.join(work, "single"), names, os.path.join(work, "single", "report"), work)
    return 0


def blocks(text):
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```\s*$", text, re.S | re.M)]


def ship(binary, source, shared, work):
    if not os.path.isdir(os.path.join(shared, "ship_hnl")):
        print(f"skipped: {shared}/ship_hnl is absent")
        return SKIP
    page = os.path.join(source, "examples", "ship", "multiclass.md")
    found = blocks(open(page, encoding="utf-8").read())
    shutil.rmtree(work, ignore_errors=True)
    repo = os.path.join(work, "repo")
    shutil.copytree(os.path.join(source, "examples", "ship"), os.path.join(repo, "examples", "ship"))
    os.symlink(os.path.dirname(os.path.abspath(shared)), os.path.join(work, "shared"))
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(os.path.abspath(binary)) + os.pathsep + env["PATH"]
    toml = [b for lang, b in found if lang == "toml"]
    with open(os.path.join(source, "examples", "ship", "multiclass.toml"), encoding="utf-8") as f:
        if toml != [f.read()]:
            fail("the page should show examples/ship/multiclass.toml once, as it is")
    for lang, body in found:
        if lang == "sh":
            run(["bash", "-euo", "pipefail", "-c", body], repo, env)
        elif lang == "python":
            run([sys.executable, "-c", body], repo, env)
    names = ["pi_mu", "rho_mu", "background"]
    out = os.path.join(repo, "runs", "ship-multiclass", "campaign")
    check_results(out, names)
    aucs = check_summary(out, names, os.path.join(out, "report"), repo)
    # The mini-school's HNL channels are told from the background well, from each other less so.
    if aucs[2] < 0.95:
        fail(f"background against the HNL channels: ensemble AUC {aucs[2]} (expected > 0.95)")
    return 0


def main():
    for module in ("h5py", "numpy", "sklearn"):
        try:
            __import__(module)
        except ImportError:
            print(f"skipped: this Python lacks {module}")
            return SKIP
    if shutil.which("gnuplot") is None:
        print("skipped: no gnuplot on PATH (the report)")
        return SKIP
    global BINARY
    BINARY = os.path.abspath(sys.argv[2])
    if sys.argv[1] == "toy":
        return toy(os.path.abspath(sys.argv[2]), sys.argv[3])
    return ship(os.path.abspath(sys.argv[2]), *sys.argv[3:6])


if __name__ == "__main__":
    sys.exit(main())
