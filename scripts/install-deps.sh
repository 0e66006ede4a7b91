#!/usr/bin/env bash
# Installs hepsweep's build and test dependencies from Debian 12 packages (run as root).
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --bench  also the reference implementations for bench/ (PyTorch, pandas)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  # ccache: scripts/test.sh builds the same sources twice (ci, then nompi without MPI); the second
  # build takes all but src/dist and a few tests from the cache.
  ccache
  libeigen3-dev libhdf5-dev libboost-program-options-dev libgtest-dev libgmock-dev
  libtomlplusplus-dev libfast-float-dev zlib1g-dev libssl-dev nlohmann-json3-dev
  liblz4-dev libzstd-dev liblzma-dev libxxhash-dev liblbfgspp-dev libdeflate-dev
  openmpi-bin libopenmpi-dev
  # libxgboost-dev: the campaign's BDT baseline (src/baseline) trains XGBoost's trees through its
  # C API; python3-xgboost: the test comparing its AUC with Python's xgboost on the same folds.
  libxgboost-dev python3-xgboost
  gnuplot-nox hdf5-tools
  python3 python3-numpy python3-h5py python3-onnx
  # python3-sklearn: the multi-class metrics test checks one-vs-rest AUCs and the confusion
  # matrix against scikit-learn's on the same scores.
  python3-sklearn
  # libFuzzer for the ROOT reader's fuzz run in scripts/test.sh (~37 MB download, about a minute).
  clang-14 libclang-rt-14-dev
  # qemu-x86_64 emulates older CPUs (x86-64-v2, baseline) for test_nn_kernel_cpu: the binary and
  # its kernels must run there without an AVX instruction (~12 MB download).
  qemu-user
)
if [[ "${1:-}" == "--bench" ]]; then
  # libopenblas0: without it Debian's PyTorch runs on netlib's reference BLAS, ~25x slower
  # products, which would make every PyTorch reference figure meaningless.
  packages+=(python3-torch libopenblas0 python3-pandas python3-optuna hyperfine bc)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing packages: ${missing[*]}; run this script as root (or install them with apt-get)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
