#!/usr/bin/env bash
# The main job on the bundled example: install dependencies, build, convert the UCI HIGGS sample
# to HDF5, run a 3-fold x 4-point grid campaign on 2 MPI ranks, aggregate it (ranking, best point,
# fold ensemble on the held-out test set, best-model.h5) and write the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release -j "$(nproc)" --target hepsweep
bin=$PWD/build/release/src/cli/hepsweep
# Open MPI refuses to start as root unless told it is on purpose (containers, CI machines).
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

mkdir -p runs/example
"$bin" convert examples/higgs/higgs-5k.csv.gz --label label -o runs/example/higgs.h5
mpiexec -n 2 "$bin" train examples/higgs/sweep.toml --fresh
"$bin" aggregate runs/example/sweep --report runs/example/sweep/report
echo
echo "outputs:"
echo "  data file    runs/example/higgs.h5                 (h5py: f['features'], f['labels'], f['feature_names'])"
echo "  run dir      runs/example/sweep/items/*/result.h5  (one result file per fold x point; docs/hdf5-layout.md)"
echo "  summary      runs/example/sweep/summary.h5         (ranking, ensemble, docs/aggregate.md)"
echo "  best model   runs/example/sweep/best-model.h5      (hepsweep apply / export; docs/apply.md)"
echo "report: $PWD/runs/example/sweep/report/index.html"
