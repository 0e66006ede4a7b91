#!/usr/bin/env bash
# Sets up everything and runs the test suite: the `ci` preset (warnings are errors) with every
# default test (unit + e2e), a short libFuzzer run of the ROOT reader (scripts/fuzz.sh) when clang
# with libFuzzer is installed, the build without MPI (`nompi` preset: the command and the unit
# tests, which it runs), then the unit tests again under ASan+UBSan (`asan` preset).
#   HEPSWEEP_SKIP_ASAN=1        skip the sanitizer pass
#   HEPSWEEP_FUZZ_SECONDS=N     length of the fuzz run (default 60; 0 skips it)
#   HEPSWEEP_SKIP_NOMPI=1       skip the build without MPI
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)
# ccache (when installed) lets the later passes reuse the ci pass's objects: the nompi build
# compiles again only src/dist and the tests whose flags name the build directory.
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
fi

cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"

fuzz_seconds=${HEPSWEEP_FUZZ_SECONDS:-60}
if [[ "$fuzz_seconds" == 0 ]]; then
  echo "test.sh: fuzzing skipped (HEPSWEEP_FUZZ_SECONDS=0)"
else
  # fuzz.sh prints why and exits 0 when clang or libFuzzer is missing; a crash fails the run.
  bash scripts/fuzz.sh "$fuzz_seconds"
fi

if [[ "${HEPSWEEP_SKIP_NOMPI:-0}" != 1 ]]; then
  # HEPSWEEP_WITH_MPI=OFF: builds without find_package(MPI); runs the unit tests (test_dist_cli_mpi
  # checks that a run under mpiexec is refused).
  cmake --preset nompi
  cmake --build --preset nompi -j "$jobs"
  ctest --preset nompi -j "$jobs"
fi

if [[ "${HEPSWEEP_SKIP_ASAN:-0}" != 1 ]]; then
  cmake --preset asan
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs"
fi

