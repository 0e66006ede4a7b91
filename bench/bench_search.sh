#!/bin/sh
# Benchmark of the Bayesian search (not a test; a few minutes on one core):
#   median regret on Branin and Hartmann-6 of hepsweep's GP-EI, random search and Optuna's TPE,
#   SEEDS seeds each, BUDGET evaluations; and the time of one proposal after 50, 200, 500
#   observations in 6-D. Prints a markdown block for bench/RESULTS.md.
# usage: bench/bench_search.sh [SEEDS [BUDGET]]     (defaults 20 and 50)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seeds=${1:-20}
budget=${2:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Built from the sources with optimisation, independent of any build directory's type.
g++ -std=c++20 -O2 -DNDEBUG -I"$root/include" -I/usr/include/eigen3 -o "$work/bench_search" \
  "$here/bench_search.cpp" \
  "$root/src/search/BayesSearcher.cpp" "$root/src/search/Design.cpp" "$root/src/search/Gp.cpp" \
  "$root/src/search/GridSearcher.cpp" "$root/src/search/RandomSearcher.cpp" "$root/src/search/Searcher.cpp" \
  "$root/src/search/Space.cpp" "$root/src/core/Error.cpp" "$root/src/core/Random.cpp" "$root/src/core/Strings.cpp"
"$work/bench_search" regret "$seeds" "$budget" > "$work/regret.jsonl"
"$work/bench_search" timing > "$work/timing.jsonl"
/usr/bin/python3 "$here/bench_search.py" "$work/regret.jsonl" "$work/timing.jsonl" "$seeds" "$budget"
echo
echo "($(g++ --version | head -1); $(nproc) cores; $(date -u +%Y-%m-%d))"
