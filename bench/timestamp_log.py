#!/usr/bin/env python3
"""Times a campaign's phases per rank from its `train -v` log lines, stamped as they arrive.

usage: bench/timestamp_log.py [--ranks N] HEPSWEEP CAMPAIGN.toml
Runs `mpiexec --tag-output -n N HEPSWEEP train CAMPAIGN.toml --fresh -v` (N = 1: no mpiexec) and
prints, with the seconds since the start, the lines that mark the data read ("data:"), each
item's start and end, and the job's end. A line reaches this script through mpiexec's output
forwarding a few milliseconds after the rank wrote it. Used for bench/RESULTS.md (issue 16: when
the ranks of a 2-rank job start their first item).
"""
import os
import subprocess
import sys
import time

KEYS = ("data:", "start item", "result written", "search:", "campaign:")


def main(argv):
    ranks = 2
    if len(argv) >= 2 and argv[0] == "--ranks":
        ranks = int(argv[1])
        argv = argv[2:]
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    binary, toml = argv
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
    cmd = [binary, "train", toml, "--fresh", "-v"]
    if ranks > 1:
        cmd = ["mpiexec", "--tag-output", "-n", str(ranks)] + cmd
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    for line in p.stdout:
        if any(k in line for k in KEYS):
            print(f"{time.monotonic() - t0:7.3f} {line.rstrip()[:160]}")
    p.wait()
    print(f"{time.monotonic() - t0:7.3f} exit {p.returncode}")
    return p.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
