#!/bin/sh
# Benchmark of the Bayesian search (not a test; about an hour on one core with the defaults):
#   median regret on Branin and Hartmann-6 of hepsweep's GP-EI, random search and Optuna's TPE,
#   SEEDS seeds each, BUDGET evaluations; the regret of the local GP (search.model_points =
#   LOCAL_POINTS, with and without refit_every = 10) against the exact GP at LOCAL_BUDGET
#   evaluations, 4 pending points per proposal; the CPU time of one proposal after 50 .. 2000
#   observations in 6-D (exact GP up to 500); and the scheduler simulator for GROUPS simulated
#   rank groups (a list); and multi-fidelity (issue 22): the regret against epochs and simulated
#   wall time of random, GP, GP + ASHA, GP + racing (the simulator replaying the campaign's rung
#   and racing decisions) and Optuna TPE with and without its HyperbandPruner, on Branin,
#   Hartmann-6 and the recorded SHiP campaign (bench/data/ship_curves.csv, from
#   bench/make_ship_table.sh), FIDELITY_SEEDS seeds, FIDELITY_BUDGET epochs, FIDELITY_GROUPS groups.
#   Prints a markdown block for bench/RESULTS.md, with what is needed to compare it with another run.
# usage: bench/bench_search.sh [SEEDS [BUDGET]]     (defaults 20 and 50)
# Environment: PARTS ("regret fidelity": any of regret, fidelity; regret includes the local GP,
#   the timings and the scheduler simulator), LOCAL_BUDGET (150), LOCAL_POINTS (50),
#   MAX_OBSERVATIONS (2000), GROUPS ("10 100 1000"), SIM_BUDGET (2000 points), SIM_FOLDS (5),
#   SIM_MEDIAN (600 s), SIM_SPREAD (0.5), SIM_REFIT (10), FIDELITY_SEEDS (SEEDS),
#   FIDELITY_BUDGET (3240 epochs: 40 points x 3 folds x 27 epochs), FIDELITY_GROUPS (8),
#   FIDELITY_PROBLEMS ("branin hartmann6 table"), FIDELITY_TABLE (bench/data/ship_curves.csv).
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

parts=${PARTS:-regret fidelity}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
case " $parts " in *" regret "*)
  "$bin" regret "$seeds" "$budget" > "$work/regret.jsonl"
  "$bin" local "$seeds" "${LOCAL_BUDGET:-150}" "${LOCAL_POINTS:-50}" 4 > "$work/local.jsonl"
  "$bin" timing 3 "${MAX_OBSERVATIONS:-2000}" > "$work/timing.jsonl"
  : > "$work/simulate.jsonl"
  for g in ${GROUPS:-10 100 1000}; do
    "$bin" simulate "$g" "${SIM_BUDGET:-2000}" "${SIM_FOLDS:-5}" "${SIM_MEDIAN:-600}" "${SIM_SPREAD:-0.5}" 300 \
      "${SIM_REFIT:-10}" >> "$work/simulate.jsonl"
  done
  /usr/bin/python3 "$here/bench_search.py" "$work/regret.jsonl" "$work/timing.jsonl" "$seeds" "$budget" \
    "$work/local.jsonl" "$work/simulate.jsonl" ;;
esac
fidelity_seeds=${FIDELITY_SEEDS:-$seeds}
fidelity_budget=${FIDELITY_BUDGET:-3240}
fidelity_groups=${FIDELITY_GROUPS:-8}
fidelity_table=${FIDELITY_TABLE:-$here/data/ship_curves.csv}
case " $parts " in *" fidelity "*)
  problems=${FIDELITY_PROBLEMS:-branin hartmann6 table}
  : > "$work/fidelity.jsonl"
  for p in $problems; do
    "$bin" fidelity "$p" "$fidelity_seeds" "$fidelity_budget" "$fidelity_groups" "$fidelity_table" \
      >> "$work/fidelity.jsonl"
  done
  echo
  echo "## Multi-fidelity and racing in the simulator against Optuna (issue 22)"
  echo
  echo "Regret at 25 / 50 / 100 % of the epoch budget and of the ideal wall time (budget x 10 s per epoch / groups);"
  echo "median over seeds (quartiles); inf: no point finished by then. hepsweep's methods run in the scheduler simulator"
  echo "(asynchronous schedule; racing: rounds of one point per group), proposals 1 s under the lock, item durations"
  echo "log-normal (median 27 x 10 s, log spread 0.3); Optuna runs one trial at a time, its wall time is its epochs"
  echo "x 10 s / groups (perfect parallelism, no proposal time). Table: $(head -1 "$fidelity_table" | sed 's/^# //')."
  # shellcheck disable=SC2086
  /usr/bin/python3 "$here/bench_fidelity_sim.py" "$work/fidelity.jsonl" "$fidelity_seeds" "$fidelity_budget" \
    "$fidelity_groups" $problems --table "$fidelity_table" ;;
esac
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -c1)
echo
echo "Reproduce: \`PARTS=\"$parts\" FIDELITY_SEEDS=$fidelity_seeds FIDELITY_BUDGET=$fidelity_budget FIDELITY_GROUPS=$fidelity_groups bench/bench_search.sh $seeds $budget\` at git $commit${dirty:+ (with uncommitted changes)};"
echo "$($cxx --version | head -1), CMAKE_BUILD_TYPE=$build_type, -march=${march:-(compiler default)};"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} (the search uses Eigen only, no BLAS);"
echo "CPU $(lscpu | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r);"
echo "$(nproc) cores; load average (1, 5, 15 min) $load_before before, $load_after after; $(date -u +%Y-%m-%d)."
