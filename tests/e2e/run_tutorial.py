#!/usr/bin/python3
"""Runs a tutorial page (Markdown) as a user would: every ```sh block with bash, every ```python
block with this Python, in page order, in a scratch copy of the repository layout; ```toml blocks
must equal the example file the page names. Then checks the outputs the SHiP tutorial promises.

usage: run_tutorial.py TUTORIAL.md HEPSWEEP_BINARY SOURCE_DIR SHARED_DATA_DIR WORK_DIR
Exit 0: every command ran and every check held; 77: the shared data are absent (ctest: skipped);
anything else: a failure, with the block and its output."""
import os
import re
import shutil
import subprocess
import sys

SKIP = 77


def blocks(text):
    """(language, body) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```\s*$", text, re.S | re.M)]


def main():
    page, binary, source, shared, work = sys.argv[1:6]
    if not os.path.isdir(os.path.join(shared, "ship_hnl")):
        print(f"skipped: {shared}/ship_hnl is absent")
        return SKIP
    for module in ("h5py", "numpy", "onnx"):
        try:
            __import__(module)
        except ImportError:
            print(f"skipped: this Python lacks {module}")
            return SKIP
    if shutil.which("gnuplot") is None:
        print("skipped: no gnuplot on PATH (the report)")
        return SKIP
    text = open(page, encoding="utf-8").read()
    found = blocks(text)
    # The scratch layout: WORK/repo/examples/ship (a copy, so that paths relative to the campaign
    # file stay inside WORK), WORK/shared -> the shared data's parent.
    shutil.rmtree(work, ignore_errors=True)
    repo = os.path.join(work, "repo")
    shutil.copytree(os.path.join(source, "examples", "ship"), os.path.join(repo, "examples", "ship"))
    os.symlink(os.path.dirname(os.path.abspath(shared)), os.path.join(work, "shared"))
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(os.path.abspath(binary)) + os.pathsep + env["PATH"]

    toml = [b for lang, b in found if lang == "toml"]
    if len(toml) != 1:
        print(f"the page should show the campaign file once, it has {len(toml)} toml blocks")
        return 1
    with open(os.path.join(source, "examples", "ship", "tutorial.toml"), encoding="utf-8") as f:
        if f.read() != toml[0]:
            print("the toml block of the page differs from examples/ship/tutorial.toml")
            return 1

    ran = 0
    for lang, body in found:
        if lang == "sh":
            cmd = ["bash", "-euo", "pipefail", "-c", body]
        elif lang == "python":
            cmd = [sys.executable, "-c", body]
        else:
            continue
        r = subprocess.run(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(f"--- {lang} block {ran + 1}:\n{body}--- output:\n{r.stdout}")
        if r.returncode != 0:
            print(f"FAILED with exit status {r.returncode}")
            return 1
        ran += 1

    out = os.path.join(repo, "runs", "ship-tutorial")
    for f in ["ship.h5", "inspect/index.html", "model/result.h5", "model/model.h5", "model/report/index.html",
              "model/report/roc.png", "scored.h5", "model.onnx"]:
        if not os.path.isfile(os.path.join(out, f)):
            print(f"missing output {f}")
            return 1
    import h5py
    with h5py.File(os.path.join(out, "model", "result.h5")) as f:
        auc = float(f["metrics/test_auc"][()])
        stopped = bool(f["metrics/stopped_early"][()])
        if not (0.95 < auc <= 1.0):
            print(f"test AUC {auc}: the tutorial network should separate SHiP's HNL from background (> 0.95)")
            return 1
        if not stopped:
            print("early stopping did not stop the training within the configured epochs")
            return 1
    print(f"{ran} blocks ran; test AUC {auc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
