#!/usr/bin/env bash
# Sets up everything and runs the test suite: the `ci` preset (warnings are errors) with every
# default test (unit + e2e), then the unit tests again under ASan+UBSan (`asan` preset).
#   HEPSWEEP_SKIP_ASAN=1  skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"

if [[ "${HEPSWEEP_SKIP_ASAN:-0}" != 1 ]]; then
  cmake --preset asan
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs"
fi
