#!/bin/sh
# Benchmark of the Bayesian search (not a test; about an hour on one core with the defaults):
#   median regret on Branin and Hartmann-6 of hepsweep's GP-EI, random search and Optuna's TPE,
#   SEEDS seeds each, BUDGET evaluations; the regret of the local GP (search.model_points =
#   LOCAL_POINTS, with and without refit_every = 10) against the exact GP at LOCAL_BUDGET
#   evaluations, 4 pending points per proposal; the CPU time of one proposal after 50 .. 2000
#   observations in 6-D (exact GP up to 500); and the scheduler simulator for GROUPS simulated
#   rank groups (a list). Prints a markdown block for bench/RESULTS.md, with what is needed to
#   compare it with another run.
# usage: bench/bench_search.sh [SEEDS [BUDGET]]     (defaults 20 and 50)
# Environment: LOCAL_BUDGET (150), LOCAL_POINTS (50), MAX_OBSERVATIONS (2000),
#   GROUPS ("10 100 1000"), SIM_BUDGET (2000 points), SIM_FOLDS (5), SIM_MEDIAN (600 s),
#   SIM_SPREAD (0.5), SIM_REFIT (10).
# Builds the bench_search target with the `bench` preset (Release, -march=x86-64-v3) unless
# HEPSWEEP_BENCH_BUILD names an existing CMake build directory to take bench/bench_search from.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seeds=${1:-20}
budget=${2:-50}
for n in "$seeds" "$budget"; do
  case "$n" in
    '' | *[!0-9]* | 0) echo "bench_search.sh: '$n' is not a positive integer" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${HEPSWEEP_BENCH_BUILD:-}" ]; then
  build=$HEPSWEEP_BENCH_BUILD
else
  build=$root/build/bench
  (cd "$root" && cmake --preset bench >&2 && cmake --build --preset bench --target bench_search >&2)
fi
bin=$build/bench/bench_search
[ -x "$bin" ] || { echo "bench_search.sh: no $bin (build the bench_search target there)" >&2; exit 2; }
cache=$build/CMakeCache.txt
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$cache")
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")
march=$(sed -n 's/^HEPSWEEP_ARCH:[A-Z]*=//p' "$cache")

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$bin" regret "$seeds" "$budget" > "$work/regret.jsonl"
"$bin" local "$seeds" "${LOCAL_BUDGET:-150}" "${LOCAL_POINTS:-50}" 4 > "$work/local.jsonl"
"$bin" timing 3 "${MAX_OBSERVATIONS:-2000}" > "$work/timing.jsonl"
: > "$work/simulate.jsonl"
for g in ${GROUPS:-10 100 1000}; do
  "$bin" simulate "$g" "${SIM_BUDGET:-2000}" "${SIM_FOLDS:-5}" "${SIM_MEDIAN:-600}" "${SIM_SPREAD:-0.5}" 300 \
    "${SIM_REFIT:-10}" >> "$work/simulate.jsonl"
done
/usr/bin/python3 "$here/bench_search.py" "$work/regret.jsonl" "$work/timing.jsonl" "$seeds" "$budget" \
  "$work/local.jsonl" "$work/simulate.jsonl"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -c1)
echo
echo "Reproduce: \`bench/bench_search.sh $seeds $budget\` at git $commit${dirty:+ (with uncommitted changes)};"
echo "$($cxx --version | head -1), CMAKE_BUILD_TYPE=$build_type, -march=${march:-(compiler default)};"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} (the search uses Eigen only, no BLAS);"
echo "$(nproc) cores; load average (1, 5, 15 min) $load_before before, $load_after after; $(date -u +%Y-%m-%d)."
