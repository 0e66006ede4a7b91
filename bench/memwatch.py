#!/usr/bin/python3
"""Runs a command and reports the memory of its `hepsweep` processes (the command itself, or the
ranks mpiexec starts): per process the peak resident set (VmHWM, from the kernel) and the peak
proportional set size (Pss: shared pages divided among the processes that map them, sampled every
INTERVAL seconds from /proc/PID/smaps_rollup), plus the command's wall time.

  bench/memwatch.py [--interval S] [--name hepsweep] -- CMD ARGS...

Prints one JSON object on stdout: {"wall": s, "exit": code, "processes": [{"pid", "peak_rss_mb",
"peak_pss_mb"}, ...]}; the command's own output goes to stderr.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def field(path, name):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) / 1024.0  # kB -> MB
    except OSError:
        return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--name", default="hepsweep")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        sys.exit("memwatch.py: no command")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=sys.stderr)
    peak = {}
    while p.poll() is None:
        todo, seen = [p.pid], set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            todo += children(pid)
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() != a.name:
                        continue
            except OSError:
                continue
            hwm = field(f"/proc/{pid}/status", "VmHWM")
            pss = field(f"/proc/{pid}/smaps_rollup", "Pss")
            rec = peak.setdefault(pid, {"pid": pid, "peak_rss_mb": 0.0, "peak_pss_mb": 0.0})
            if hwm is not None:
                rec["peak_rss_mb"] = max(rec["peak_rss_mb"], hwm)
            if pss is not None:
                rec["peak_pss_mb"] = max(rec["peak_pss_mb"], pss)
        time.sleep(a.interval)
    wall = time.monotonic() - t0
    print(json.dumps({"wall": wall, "exit": p.returncode, "processes": sorted(peak.values(), key=lambda r: r["pid"])}))
    sys.exit(0 if p.returncode == 0 else 1)


if __name__ == "__main__":
    main()
