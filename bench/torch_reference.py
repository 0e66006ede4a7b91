#!/usr/bin/python3
"""PyTorch reference for `hepsweep train`: the same network, loss and loop, written the way the
tutorial notebooks write it, so that hepsweep's test AUC and speed can be checked against it.

Two modes:
  --data DATA.h5 --result RESULT.h5    use hepsweep's split (scores/train_rows|val_rows|test_rows of a
                                       campaign with output.scores = "all"; split/train|val|test in old files), the rows after
                                       balancing) and the resolved campaign stored in the result
  --data DATA.h5 --config CAMPAIGN.toml  make an own seeded, stratified split with numpy

Run with /usr/bin/python3 (torch 1.13, h5py, numpy). No scikit-learn: AUC is computed here.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import tomllib
from typing import NoReturn

import h5py
import numpy as np


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="dataset file written by `hepsweep convert`")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--result", help="result.h5 of `hepsweep train`: its split and config are used")
    src.add_argument("--config", help="campaign TOML: an own stratified split is made")
    p.add_argument("--threads", type=int, default=1, help="torch intra- and inter-op threads (default 1)")
    p.add_argument("--epochs", type=int, help="override train.epochs")
    p.add_argument("--no-early-stopping", action="store_true",
                   help="run exactly train.epochs epochs (for speed measurements)")
    p.add_argument("--seed", type=int, help="override the campaign seed")
    p.add_argument("--json", help="also write the summary JSON to this file")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines on stderr")
    return p.parse_args(argv)


# Threads must be fixed before torch runs any parallel region, so torch is imported and configured
# right after the arguments are known.
ARGS = parse_args(sys.argv[1:]) if __name__ == "__main__" else None
import torch  # noqa: E402

if ARGS is not None:
    torch.set_num_threads(ARGS.threads)
    torch.set_num_interop_threads(ARGS.threads)


def fail(msg: str) -> NoReturn:
    print(f"torch_reference.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


# ----------------------------------------------------------------------------------------------
# Configuration


def table(cfg: dict, name: str) -> dict:
    value = cfg.get(name, {})
    if not isinstance(value, dict):
        fail(f"config key '{name}' must be a table, got {value!r}")
    return value


def lookup(section: dict, *names, default=None):
    """First present key among `names` (the campaign spelling varies between snake and short forms)."""
    for n in names:
        if n in section:
            return section[n]
    return default


def hidden_widths(model: dict) -> list[int]:
    widths = model.get("widths")
    if widths:
        return [int(w) for w in widths]
    width, depth, step = int(model.get("width", 0)), int(model.get("depth", 0)), int(model.get("step", 0))
    if width <= 0 or depth <= 0:
        fail("model.widths is empty and model.width/model.depth do not define the layers")
    out = [width - i * step for i in range(depth)]
    if min(out) <= 0:
        fail(f"model.width={width}, depth={depth}, step={step} gives a non-positive layer width: {out}")
    return out


def dropout_of(model: dict, n_layers: int) -> list[float]:
    d = model.get("dropout", 0.0)
    if isinstance(d, list):
        if len(d) == 1:
            return [float(d[0])] * n_layers
        if len(d) != n_layers:
            fail(f"model.dropout has {len(d)} values for {n_layers} hidden layers")
        return [float(x) for x in d]
    return [float(d)] * n_layers


# ----------------------------------------------------------------------------------------------
# Data


def load_dataset(path: str):
    with open_h5(path) as f:
        for name in ("features", "labels", "weights", "feature_names"):
            if name not in f:
                fail(f"{path}: dataset '{name}' is missing (is this a file from `hepsweep convert`?)")
        x = np.asarray(f["features"][...], dtype=np.float32)
        y = np.asarray(f["labels"][...]).astype(np.float32)
        w = np.asarray(f["weights"][...], dtype=np.float32)
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["feature_names"][...]]
    if x.ndim != 2 or x.shape[0] != y.shape[0] or y.shape[0] != w.shape[0] or x.shape[1] != len(names):
        fail(f"{path}: inconsistent shapes features={x.shape} labels={y.shape} weights={w.shape} "
             f"feature_names={len(names)}")
    return x, y, w, names


def load_result(path: str):
    with open_h5(path) as f:
        if "config" not in f.attrs:
            fail(f"{path}: root attribute 'config' is missing (is this a result.h5 of `hepsweep train`?)")
        text = f.attrs["config"]
        text = text.decode() if isinstance(text, bytes) else str(text)
        split = {}
        # Result format 2 stores the split as its rule; the rows are kept beside the scores when
        # the campaign has output.scores = "all" (format 1 stored them in split/).
        for part in ("train", "val", "test"):
            key = f"split/{part}"
            if key not in f:
                key = f"scores/{part}_rows"
            if key not in f:
                fail(f"{path}: neither split/{part} nor scores/{part}_rows: train with output.scores = \"all\"")
            split[part] = np.asarray(f[key][...], dtype=np.int64)
        hs = {}
        if "metrics/test_auc" in f:
            hs["test_auc"] = float(np.asarray(f["metrics/test_auc"][...]).reshape(-1)[0])
        for k in ("seed", "version", "data_sha256"):
            if k in f.attrs:
                v = f.attrs[k]
                hs[k] = v.decode() if isinstance(v, bytes) else (v.item() if hasattr(v, "item") else v)
    try:
        cfg = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        fail(f"{path}: attribute 'config' is not valid TOML: {e}")
    return cfg, split, hs


def balance_downsample(rows: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sig, bkg = rows[y[rows] == 1], rows[y[rows] == 0]
    if len(sig) == len(bkg):
        return rows
    small, large = (sig, bkg) if len(sig) < len(bkg) else (bkg, sig)
    keep = rng.choice(large, size=len(small), replace=False)
    return np.sort(np.concatenate([small, keep]))


def stratified_split(rows: np.ndarray, y: np.ndarray, fractions, rng: np.random.Generator):
    parts = {"train": [], "val": [], "test": []}
    for cls in (0, 1):
        r = rows[y[rows] == cls]
        if len(r) == 0:
            fail(f"class {cls} has no events: cannot make a stratified split")
        r = rng.permutation(r)
        n_train = int(round(fractions[0] * len(r)))
        n_val = int(round(fractions[1] * len(r)))
        n_val = min(n_val, len(r) - n_train)
        parts["train"].append(r[:n_train])
        parts["val"].append(r[n_train:n_train + n_val])
        parts["test"].append(r[n_train + n_val:])
    return {k: np.sort(np.concatenate(v)) for k, v in parts.items()}


def own_split(cfg: dict, y: np.ndarray, seed: int):
    """hepsweep's order of operations with numpy's generator: stratified split of all rows, then
    balancing of train and val separately; the test set keeps the natural class mix."""
    data = table(cfg, "data")
    split = data.get("split", {})
    if isinstance(split, dict):
        fr = (float(split.get("train", 0.6)), float(split.get("val", 0.2)), float(split.get("test", 0.2)))
    elif isinstance(split, list) and len(split) == 3:
        fr = tuple(float(v) for v in split)
    else:
        fail(f"data.split must be a table {{train, val, test}} or a list of 3 fractions, got {split!r}")
    if min(fr) < 0 or abs(sum(fr) - 1.0) > 1e-6:
        fail(f"data.split fractions {fr} must be non-negative and sum to 1")
    rng = np.random.default_rng(seed)
    parts = stratified_split(np.arange(len(y), dtype=np.int64), y, fr, rng)
    balance = str(data.get("balance", "none"))
    if balance == "downsample":
        parts["train"] = balance_downsample(parts["train"], y, rng)
        parts["val"] = balance_downsample(parts["val"], y, rng)
    elif balance not in ("none", "reweight"):
        fail(f"data.balance = {balance!r}: expected none, downsample or reweight")
    return parts


def reweight_factors(rows: np.ndarray, y: np.ndarray, w: np.ndarray):
    """Per-class factors equalising the summed signal and background weight, keeping the total."""
    ws, wb = float(w[rows][y[rows] == 1].sum()), float(w[rows][y[rows] == 0].sum())
    total = ws + wb
    if ws <= 0 or wb <= 0:
        fail("balance = reweight needs a positive summed weight in both classes")
    return total / (2 * ws), total / (2 * wb)


def class_weights(train_cfg: dict, y_train: np.ndarray):
    """train.class_weight: "none", "auto" (n / (2 n_class)) or {signal = .., background = ..}."""
    cw = train_cfg.get("class_weight", None)
    if cw is None or (isinstance(cw, str) and cw.lower() == "none"):
        return 1.0, 1.0
    if isinstance(cw, str):
        if cw.lower() not in ("auto", "balanced"):
            fail(f"train.class_weight = {cw!r}: expected \"none\", \"auto\" or a table {{signal, background}}")
        ns, nb = float((y_train == 1).sum()), float((y_train == 0).sum())
        n = ns + nb
        return (n / (2 * ns) if ns else 1.0), (n / (2 * nb) if nb else 1.0)
    if isinstance(cw, dict):
        return float(cw.get("signal", 1.0)), float(cw.get("background", 1.0))
    fail(f"train.class_weight = {cw!r}: expected \"none\", \"auto\" or a table {{signal, background}}")


# ----------------------------------------------------------------------------------------------
# Preprocessing (fitted on the training rows only, weights ignored: like scikit-learn's defaults)


class Scaler:
    def __init__(self, kind: str, x_train: np.ndarray, components: int = 0, whiten: bool = False):
        self.kind = kind
        xd = x_train.astype(np.float64)
        self.mean = xd.mean(axis=0)
        if kind == "none":
            return
        if kind == "standard":
            std = xd.std(axis=0)  # population std (ddof=0), as StandardScaler
            self.scale = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 1.0)
            return
        if kind == "pca":
            centred = xd - self.mean
            # SVD of the centred data: components are the right singular vectors, variance s^2/(n-1)
            # as scikit-learn's PCA reports it.
            _, s, vt = np.linalg.svd(centred, full_matrices=False)
            k = components if components > 0 else vt.shape[0]
            self.components = vt[:k]
            self.variance = (s[:k] ** 2) / max(len(xd) - 1, 1)
            self.whiten = whiten
            return
        fail(f"preprocess.scaler = {kind!r}: expected none, standard or pca")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return x.astype(np.float32)
        xd = x.astype(np.float64) - self.mean
        if self.kind == "standard":
            return (xd * self.scale).astype(np.float32)
        out = xd @ self.components.T
        if self.whiten:
            out /= np.sqrt(np.where(self.variance > 0, self.variance, 1.0))
        return out.astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Model

RELU_LIKE = {"relu", "leaky_relu", "elu"}


def activation_module(name: str, model_cfg: dict) -> torch.nn.Module:
    name = name.lower()
    if name == "relu":
        return torch.nn.ReLU()
    if name in ("leaky_relu", "leakyrelu"):
        return torch.nn.LeakyReLU(float(lookup(model_cfg, "leaky_slope", "negative_slope", default=0.01)))
    if name == "elu":
        return torch.nn.ELU(float(lookup(model_cfg, "elu_alpha", "alpha", default=1.0)))
    if name == "tanh":
        return torch.nn.Tanh()
    if name == "sigmoid":
        return torch.nn.Sigmoid()
    if name == "softplus":
        return torch.nn.Softplus()
    if name == "linear":
        return torch.nn.Identity()
    fail(f"model.activation = {name!r}: expected relu, leaky_relu, elu, tanh, sigmoid, softplus or linear")


def init_linear(layer: torch.nn.Linear, init: str, activation: str, generator: torch.Generator, slope: float):
    """He (kaiming) for relu-like layers, Glorot otherwise, zero bias: hepsweep's `init = "auto"`."""
    if init == "auto":
        init = "he_normal" if activation in RELU_LIKE else "glorot_uniform"
    w = layer.weight
    fan_out, fan_in = w.shape
    gain = math.sqrt(2.0 / (1 + slope ** 2)) if activation == "leaky_relu" else math.sqrt(2.0)
    with torch.no_grad():
        if init == "he_normal":
            w.normal_(0.0, gain / math.sqrt(fan_in), generator=generator)
        elif init == "he_uniform":
            bound = gain * math.sqrt(3.0 / fan_in)
            w.uniform_(-bound, bound, generator=generator)
        elif init == "glorot_normal":
            w.normal_(0.0, math.sqrt(2.0 / (fan_in + fan_out)), generator=generator)
        elif init == "glorot_uniform":
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            w.uniform_(-bound, bound, generator=generator)
        else:
            fail(f"model.init = {init!r}: expected auto, he_normal, he_uniform, glorot_normal or glorot_uniform")
        layer.bias.zero_()


def build_model(n_inputs: int, model_cfg: dict, generator: torch.Generator):
    widths = hidden_widths(model_cfg)
    act = str(model_cfg.get("activation", "relu")).lower().replace("leakyrelu", "leaky_relu")
    drops = dropout_of(model_cfg, len(widths))
    batch_norm = bool(model_cfg.get("batch_norm", False))
    bn_momentum = float(lookup(model_cfg, "batch_norm_momentum", default=0.1))
    bn_eps = float(lookup(model_cfg, "batch_norm_epsilon", default=1e-5))
    init = str(model_cfg.get("init", "auto")).lower()
    slope = float(lookup(model_cfg, "leaky_slope", "negative_slope", default=0.01))
    layers: list[torch.nn.Module] = []
    linears: list[torch.nn.Linear] = []
    prev = n_inputs
    for width, p in zip(widths, drops):
        lin = torch.nn.Linear(prev, width)
        init_linear(lin, init, act, generator, slope)
        layers.append(lin)
        linears.append(lin)
        if batch_norm:
            layers.append(torch.nn.BatchNorm1d(width, eps=bn_eps, momentum=bn_momentum))
        layers.append(activation_module(act, model_cfg))
        if p > 0:
            layers.append(torch.nn.Dropout(p))
        prev = width
    out = torch.nn.Linear(prev, 1)
    init_linear(out, init, "linear", generator, slope)
    layers.append(out)
    linears.append(out)
    return torch.nn.Sequential(*layers), linears, widths, act, drops


def make_optimizer(params, train_cfg: dict):
    kind = str(lookup(train_cfg, "optimizer", default="adam")).lower()
    lr = float(lookup(train_cfg, "learning_rate", "lr", default=1e-3))
    betas = (float(lookup(train_cfg, "beta1", default=0.9)), float(lookup(train_cfg, "beta2", default=0.999)))
    eps = float(lookup(train_cfg, "epsilon", "eps", default=1e-8))
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps), kind, lr
    if kind == "nadam":
        md = float(lookup(train_cfg, "momentum_decay", default=4e-3))
        return torch.optim.NAdam(params, lr=lr, betas=betas, eps=eps, momentum_decay=md), kind, lr
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=float(lookup(train_cfg, "momentum", default=0.0)),
                               nesterov=bool(lookup(train_cfg, "nesterov", default=False))), kind, lr
    fail(f"train.optimizer = {kind!r}: expected adam, nadam or sgd")


# ----------------------------------------------------------------------------------------------
# Metrics


def roc_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Exact, tie-aware AUC: the (weighted) probability that a signal event scores above a
    background event, tied pairs counting one half (Mann-Whitney U on grouped equal scores)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    w = np.ones_like(scores) if weights is None else np.asarray(weights, dtype=np.float64)
    order = np.argsort(scores, kind="mergesort")
    s, y, w = scores[order], labels[order], w[order]
    # Group equal scores: per group, summed signal and background weight.
    boundaries = np.flatnonzero(np.diff(s)) + 1
    starts = np.concatenate([[0], boundaries])
    ws = np.add.reduceat(np.where(y == 1, w, 0.0), starts)
    wb = np.add.reduceat(np.where(y == 0, w, 0.0), starts)
    total_s, total_b = ws.sum(), wb.sum()
    if total_s == 0 or total_b == 0:
        return float("nan")
    bkg_below = np.cumsum(wb) - wb
    return float(np.sum(ws * (bkg_below + 0.5 * wb)) / (total_s * total_b))


# ----------------------------------------------------------------------------------------------
# Training


def weighted_bce(logits, y, w):
    per_event = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
    return (per_event * w).mean()


def penalty(linears, l1: float, l2: float):
    """Keras-style regularisers on weight matrices only: l1*sum|W| + l2*sum W^2."""
    total = None
    for lin in linears:
        term = 0.0
        if l2:
            term = term + l2 * lin.weight.pow(2).sum()
        if l1:
            term = term + l1 * lin.weight.abs().sum()
        total = term if total is None else total + term
    return total


@torch.no_grad()
def evaluate(model, x, y, w, batch: int = 4096):
    model.eval()
    logits = torch.cat([model(x[i:i + batch]).squeeze(1) for i in range(0, len(x), batch)])
    loss = float((torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none") * w).mean())
    return loss, torch.sigmoid(logits).numpy()


def blas_info() -> str:
    """The BLAS this torch process has loaded (Debian's torch uses whichever libblas.so.3 the
    alternatives system points to: OpenBLAS when libopenblas0 is installed, else netlib's
    reference BLAS, ~25x slower), with OpenBLAS' kernel choice."""
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
            lib.openblas_get_config.restype = ctypes.c_char_p
            text += (f" (OpenBLAS core {lib.openblas_get_corename().decode()}, {lib.openblas_get_num_threads()} "
                     f"thread(s); {lib.openblas_get_config().decode()})")
        except (OSError, AttributeError, StopIteration):
            pass
    elif any("/blas/" in p or "libblas" in p for p in libs):
        text += " (netlib reference BLAS: install libopenblas0)"
    return text


def open_h5(path: str) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as e:
        fail(f"cannot open {path!r} as HDF5: {e}")


def run(args) -> dict:
    x_all, y_all, w_all, names = load_dataset(args.data)
    hs = {}
    if args.result:
        cfg, split, hs = load_result(args.result)
        for part, rows in split.items():
            if len(rows) and (rows.min() < 0 or rows.max() >= len(y_all)):
                fail(f"{args.result}: split/{part} has row indices outside [0, {len(y_all)}) of {args.data}: "
                     "was the result made from another dataset file?")
    else:
        try:
            with open(args.config, "rb") as fh:
                cfg = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as e:
            fail(f"{args.config}: {e}")
        split = None
    data_cfg, pre_cfg = table(cfg, "data"), table(cfg, "preprocess")
    model_cfg, train_cfg = table(cfg, "model"), table(cfg, "train")
    seed = int(args.seed if args.seed is not None else cfg.get("seed", 42))
    if split is None:
        split = own_split(cfg, y_all, seed)

    es_cfg = train_cfg.get("early_stopping", {})
    if isinstance(es_cfg, bool):
        es_cfg = {"enabled": es_cfg}

    wanted = data_cfg.get("features", []) or names
    missing = [f for f in wanted if f not in names]
    if missing:
        fail(f"data.features names {missing[0]!r}, which is not in {args.data} (features: {names})")
    cols = [names.index(f) for f in wanted]
    x_all = x_all[:, cols]

    tr, va, te = split["train"], split["val"], split["test"]
    w_tr, w_va, w_te = w_all[tr].copy(), w_all[va].copy(), w_all[te].copy()
    # As hepsweep: reweight factors come from the training rows and apply to train and val;
    # class weights multiply the training weights only (Keras' class_weight); test weights as read.
    if str(data_cfg.get("balance", "none")) == "reweight":
        fs, fb = reweight_factors(tr, y_all, w_all)
        for rows, wv in ((tr, w_tr), (va, w_va)):
            wv *= np.where(y_all[rows] == 1, fs, fb).astype(np.float32)
    cw_s, cw_b = class_weights(train_cfg, y_all[tr])
    if (cw_s, cw_b) != (1.0, 1.0):
        w_tr *= np.where(y_all[tr] == 1, cw_s, cw_b).astype(np.float32)

    missing = str(pre_cfg.get("missing", "keep"))
    if missing != "keep":
        fail(f"preprocess.missing = {missing!r}: the reference implements only \"keep\"")
    fit_on = str(pre_cfg.get("fit_on", "train"))
    if fit_on not in ("train", "all"):
        fail(f"preprocess.fit_on = {fit_on!r}: expected train or all")
    scaler = Scaler(str(pre_cfg.get("scaler", "standard")).lower(), x_all if fit_on == "all" else x_all[tr],
                    int(lookup(pre_cfg, "pca_components", "components", default=0)),
                    bool(pre_cfg.get("whiten", False)))
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    x_tr, x_va, x_te = t(scaler(x_all[tr])), t(scaler(x_all[va])), t(scaler(x_all[te]))
    y_tr, y_va = t(y_all[tr]), t(y_all[va])
    w_tr_t, w_va_t = t(w_tr), t(w_va)

    torch.manual_seed(seed)  # dropout masks come from the global generator
    init_gen = torch.Generator().manual_seed(seed)
    model, linears, widths, act, drops = build_model(x_tr.shape[1], model_cfg, init_gen)
    opt, opt_kind, lr = make_optimizer(model.parameters(), train_cfg)

    epochs = int(args.epochs if args.epochs is not None else train_cfg.get("epochs", 100))
    batch = int(train_cfg.get("batch_size", 100))
    l1, l2 = float(train_cfg.get("l1", 0.0)), float(train_cfg.get("l2", 0.0))
    shuffle = bool(train_cfg.get("shuffle", True))
    es_enabled = bool(es_cfg.get("enabled", True)) and not args.no_early_stopping
    monitor = str(es_cfg.get("monitor", "val_loss"))
    if monitor not in ("val_loss", "val_auc"):
        fail(f"train.early_stopping.monitor = {monitor!r}: expected val_loss or val_auc")
    patience = int(es_cfg.get("patience", 10))
    min_delta = float(es_cfg.get("min_delta", 0.0))
    restore_best = bool(es_cfg.get("restore_best", True))

    shuffle_gen = torch.Generator().manual_seed(seed + 1)
    n_train = len(x_tr)
    history = {"train_loss": [], "val_loss": [], "val_auc": [], "epoch_seconds": []}
    best_value, best_epoch, best_state, wait = None, 0, None, 0
    epochs_run = 0

    t_start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        t_epoch = time.perf_counter()
        model.train()
        perm = torch.randperm(n_train, generator=shuffle_gen) if shuffle else torch.arange(n_train)
        loss_sum = 0.0
        for start in range(0, n_train, batch):
            idx = perm[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = weighted_bce(model(x_tr[idx]).squeeze(1), y_tr[idx], w_tr_t[idx])
            if l1 or l2:
                loss = loss + penalty(linears, l1, l2)
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(idx)
        val_loss, val_scores = evaluate(model, x_va, y_va, w_va_t)
        val_auc = roc_auc(val_scores, y_all[va])  # unweighted, as hepsweep's val_auc
        epochs_run = epoch
        history["train_loss"].append(loss_sum / n_train)
        history["val_loss"].append(val_loss)
        history["val_auc"].append(val_auc)
        history["epoch_seconds"].append(time.perf_counter() - t_epoch)
        if not args.quiet:
            print(f"epoch {epoch:4d}  train_loss {loss_sum / n_train:.5f}  val_loss {val_loss:.5f}  "
                  f"val_auc {val_auc:.5f}", file=sys.stderr)

        value = val_loss if monitor == "val_loss" else -val_auc
        if best_value is None or value < best_value - min_delta:
            best_value, best_epoch, wait = value, epoch, 0
            if restore_best:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            wait += 1
            if es_enabled and wait >= patience:
                break
    train_seconds = time.perf_counter() - t_start

    if best_state is not None:
        model.load_state_dict(best_state)
    _, test_scores = evaluate(model, x_te, t(y_all[te]), t(w_te))
    config_summary = os.environ.get("OPENBLAS_CORETYPE")
    parallel = torch.__config__.parallel_info().splitlines()
    return {
        "data": os.path.abspath(args.data),
        "split_source": os.path.abspath(args.result) if args.result else "own stratified split (numpy)",
        "seed": seed,
        "n_train": int(len(tr)), "n_val": int(len(va)), "n_test": int(len(te)),
        "n_features": int(x_tr.shape[1]),
        "network": "-".join(str(v) for v in [x_tr.shape[1], *widths, 1]),
        "activation": act, "dropout": drops, "optimizer": opt_kind, "learning_rate": lr,
        "batch_size": batch, "early_stopping": es_enabled,
        "test_auc": roc_auc(test_scores, y_all[te]),
        "test_auc_weighted": roc_auc(test_scores, y_all[te], w_te),
        "val_loss_best": history["val_loss"][best_epoch - 1],
        # 1-based; the epoch whose weights are kept (the last one when restore_best is off)
        "best_epoch": best_epoch if restore_best else epochs_run,
        "epochs_run": epochs_run,
        "train_seconds": train_seconds,
        "samples_per_second": n_train * epochs_run / train_seconds,
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "OPENBLAS_CORETYPE": config_summary if config_summary is not None else "(unset)",
        "torch_config": [ln.strip() for ln in torch.__config__.show().splitlines()[1:7] if ln.strip()],
        "torch_parallel": [ln.strip() for ln in parallel if "threads" in ln or "backend" in ln],
        "blas": blas_info(),
        "python": platform.python_version(),
        "hepsweep_result": hs,
        "history": history,
    }


def main():
    summary = run(ARGS)
    text = json.dumps(summary, indent=2)
    print(text)
    if ARGS.json:
        with open(ARGS.json, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
