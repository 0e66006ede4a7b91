#!/usr/bin/env bash
# The main job on the bundled example: install dependencies, build, convert the UCI HIGGS sample
# to HDF5 and train one classifier on it, then print the metrics and where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release -j "$(nproc)" --target hepsweep
bin=build/release/src/cli/hepsweep

mkdir -p runs/example
"$bin" convert examples/higgs/higgs-5k.csv.gz --label label -o runs/example/higgs.h5
"$bin" train examples/higgs/campaign.toml
echo
echo "outputs:"
echo "  data file    runs/example/higgs.h5         (h5py: f['features'], f['labels'], f['feature_names'])"
echo "  result file  runs/example/train/result.h5  (history/, roc/, scores/, metrics/, model/; docs/hdf5-layout.md)"
echo "  config       runs/example/train/config.toml (the full resolved campaign)"
