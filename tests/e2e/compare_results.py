#!/usr/bin/python3
"""Compare two hepsweep HDF5 files object by object: every dataset's bytes, every attribute.

usage: compare_results.py A.h5 B.h5 [--ignore PATH ...]
Exit 0 when identical apart from the ignored paths (datasets or attributes, written
/group/name or /group/name@attr), 1 with a list of differences otherwise.
"""
import sys

import h5py
import numpy as np


def collect(f):
    items = {}

    def visit(name, obj):
        path = "/" + name
        if isinstance(obj, h5py.Dataset):
            items[path] = obj[()]
        for k, v in obj.attrs.items():
            items[f"{path}@{k}"] = v

    for k, v in f.attrs.items():
        items[f"/@{k}"] = v
    f.visititems(visit)
    return items


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == object:  # variable-length strings: compare values, not pointers
        return a.tolist() == b.tolist()
    return a.tobytes() == b.tobytes()


def main():
    args = sys.argv[1:]
    ignore = set()
    while "--ignore" in args:
        i = args.index("--ignore")
        ignore.add(args[i + 1])
        del args[i : i + 2]
    with h5py.File(args[0], "r") as fa, h5py.File(args[1], "r") as fb:
        a, b = collect(fa), collect(fb)
    diffs = []
    for key in sorted(set(a) | set(b)):
        if key in ignore:
            continue
        if key not in a or key not in b:
            diffs.append(f"{key}: only in {'first' if key in a else 'second'}")
        elif not same(a[key], b[key]):
            diffs.append(f"{key}: differs")
    print("\n".join(diffs) if diffs else f"identical ({len(a)} objects compared)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
