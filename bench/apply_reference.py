#!/usr/bin/python3
"""The PyTorch reference for `hepsweep apply` (bench/bench_apply.sh): the job a physicist's script
does with a best-model.h5 and an HDF5 file from `hepsweep convert`, step by step as apply does it:

  h5py read (features, labels, weights) -> each fold's stored preprocessing (numpy, in float64 as
  hepsweep computes it, rounded to float32) -> the fold's network (torch.nn, inference mode) ->
  sigmoid -> mean over the folds (float64, rounded to float32) -> h5py write of the scores with
  the labels and weights, in the layout apply writes (chunks of 8192 rows, shuffle + deflate 1).

  bench/apply_reference.py best-model.h5 input.h5 -o scored.h5 [--threads 1] [--batch N] [--json FILE]

Supported: standard and no scaler, no missing-value imputation, no batch normalisation (what the
benchmark's model uses); anything else is refused with a message rather than scored wrongly.
The JSON gives the wall seconds of each stage after the imports (`seconds`: model read to output
written), the CPU seconds of the same (`cpu_seconds`), the imports' wall and CPU seconds, the
torch version and the BLAS it runs on.
"""
import argparse
import json
import os
import sys
import time

T_START, CPU_START = time.perf_counter(), time.process_time()
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

T_IMPORTED, CPU_IMPORTED = time.perf_counter(), time.process_time()

ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
               "softplus": torch.nn.Softplus, "linear": torch.nn.Identity}


def fail(msg):
    sys.exit(f"apply_reference.py: {msg}")


def strings(ds):
    return [s.decode() if isinstance(s, bytes) else str(s) for s in ds[...]]


def fold_model(g):
    """(mean, scale or None, torch module) of one fold group of best-model.h5."""
    pre = g["preprocess"]
    scaler = pre.attrs["scaler"]
    scaler = scaler.decode() if isinstance(scaler, bytes) else scaler
    if pre.attrs["missing"] not in ("keep", b"keep") and int(pre.attrs["has_missing_value"]):
        fail("missing-value imputation is not supported by this reference")
    if scaler not in ("standard", "none"):
        fail(f"scaler {scaler!r} is not supported by this reference")
    mean = pre["mean"][...] if scaler == "standard" else None
    scale = pre["scale"][...] if scaler == "standard" else None
    m = g["model"]
    layers = []
    for i in range(int(m.attrs["layers"])):
        lg = m[f"layer_{i}"]
        if int(lg.attrs["batch_norm"]):
            fail("batch normalisation is not supported by this reference")
        w = lg["W"][...]
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(lg["b"][...]))
        layers.append(lin)
        act = lg.attrs["activation"]
        act = act.decode() if isinstance(act, bytes) else act
        if act == "elu":
            layers.append(torch.nn.ELU(alpha=float(m.attrs["elu_alpha"])))
        elif act == "leaky_relu":
            layers.append(torch.nn.LeakyReLU(float(m.attrs["leaky_slope"])))
        elif act in ACTIVATIONS:
            layers.append(ACTIVATIONS[act]())
        else:
            fail(f"activation {act!r} is not supported by this reference")
    net = torch.nn.Sequential(*layers).eval()
    return mean, scale, net, strings(pre["input_names"])


def blas_info():
    try:
        with open("/proc/self/maps") as fh:
            libs = sorted({ln.split()[-1] for ln in fh if "blas" in ln.lower() and ".so" in ln})
    except OSError:
        libs = []
    text = ", ".join(os.path.basename(p) for p in libs) or "no BLAS library mapped"
    if any("openblas" in p for p in libs):
        try:
            import ctypes
            lib = ctypes.CDLL(next(p for p in libs if "openblas" in p))
            lib.openblas_get_corename.restype = ctypes.c_char_p
            text += f" (OpenBLAS core {lib.openblas_get_corename().decode()}, {lib.openblas_get_num_threads()} thread(s))"
        except (OSError, AttributeError, StopIteration):
            pass
    elif libs:
        text += " (netlib reference BLAS: install libopenblas0)"
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=65536, help="rows preprocessed and scored at once (default 65536)")
    ap.add_argument("--json", help="write the timings here")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)

    t = {}
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    with h5py.File(a.model, "r") as mf:
        model_features = strings(mf["feature_names"])
        folds = [fold_model(mf[f"fold_{k}"]) for k in range(int(mf.attrs["folds"]))]
    t["model"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with h5py.File(a.input, "r") as f:
        names = strings(f["feature_names"])
        x = f["features"][...]
        labels = f["labels"][...]
        weights = f["weights"][...]
    t["read"] = time.perf_counter() - t0

    # Blocks of --batch rows, as apply scores: the whole array at once runs several times slower
    # (every layer's output then lives in main memory instead of the cache).
    t["preprocess"] = t["forward"] = 0.0
    total = np.zeros(len(x), dtype=np.float64)
    for mean, scale, net, inputs in folds:
        cols = [names.index(n) for n in inputs]
        same = cols == list(range(x.shape[1]))
        for start in range(0, len(x), a.batch):
            t0 = time.perf_counter()
            xb = x[start:start + a.batch] if same else x[start:start + a.batch, cols]
            if mean is not None:
                xb = ((xb.astype(np.float64) - mean) * scale).astype(np.float32)
            t1 = time.perf_counter()
            with torch.no_grad():
                s = torch.sigmoid(net(torch.from_numpy(np.ascontiguousarray(xb))).squeeze(1)).numpy()
            total[start:start + len(s)] += s
            t2 = time.perf_counter()
            t["preprocess"] += t1 - t0
            t["forward"] += t2 - t1
    t0 = time.perf_counter()
    score = (total / len(folds)).astype(np.float32)
    t["mean"] = time.perf_counter() - t0
    del model_features

    t0 = time.perf_counter()
    with h5py.File(a.output, "w") as out:
        opts = dict(chunks=(8192,), maxshape=(None,), shuffle=True, compression="gzip", compression_opts=1)
        out.create_dataset("score", data=score, **opts)
        out.create_dataset("labels", data=labels.astype(np.int8), **opts)
        out.create_dataset("weights", data=weights, **opts)
        out.attrs["format"] = "hepsweep-scores"
    t["write"] = time.perf_counter() - t0
    t["seconds"] = t["read"] + t["preprocess"] + t["forward"] + t["mean"] + t["write"] + t["model"]
    t["cpu_seconds"] = time.process_time() - cpu0
    t["imports"] = T_IMPORTED - T_START
    t["imports_cpu_seconds"] = CPU_IMPORTED - CPU_START
    t["rows"] = int(len(x))
    t["folds"] = len(folds)
    t["torch_version"] = torch.__version__
    t["blas"] = blas_info()
    t["threads"] = a.threads
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(t, fh)
    print(json.dumps(t))


if __name__ == "__main__":
    main()
