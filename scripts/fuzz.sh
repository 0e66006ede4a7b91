#!/usr/bin/env bash
# Fuzzes the ROOT reader with libFuzzer (clang, ASan + UBSan) for N seconds (default 60).
#   scripts/fuzz.sh [SECONDS] [--keep-going]
# Builds in build/fuzz, seeds, runs; exits 1 on a crash. --keep-going (for long runs) keeps
# fuzzing after a crash, timeout or out-of-memory (libFuzzer's fork mode, one worker) so that one
# run finds several bugs; each is saved as build/fuzz/{crash,timeout,oom}-* either way
# (replay: build/fuzz/root_reader_fuzz build/fuzz/crash-...).
# Seeds: small files from the tests' ROOT writer (fuzz/make_seeds.cpp), one made of bytes ROOT
# wrote (fuzz/make_real_seed.py, from tests/data/root), and fuzz/regression/ (inputs that found
# bugs; test_io_root_fuzz_regression replays them in every test pass). The corpus grown by the
# fuzzer is kept in build/fuzz/corpus between runs.
# Exits 0 without running when clang++ or libFuzzer is not installed (the test command calls it).
set -euo pipefail
seconds=${1:-60}
keep_going=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/fuzz
cxx=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z "$cxx" ]]; then
  echo "fuzz.sh: clang++ not found; skipping (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 0
fi
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
    "$cxx" -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "fuzz.sh: $cxx cannot link -fsanitize=fuzzer; skipping (apt-get install libclang-rt-14-dev)" >&2
  exit 0
fi
cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 >/dev/null
mkdir -p "$build/corpus" "$build/seeds"
"$build/make_seeds" "$build/seeds"
/usr/bin/python3 "$root/fuzz/make_real_seed.py" "$root/tests/data/root/hzz4mu_cut.root.gz" "$build/seeds/real_hzz4mu.root"
cd "$build"
# -rss_limit_mb: the reader must never need more than a few hundred MB for a small input.
# Each input goes through a file (the reader uses pread); a RAM-backed directory keeps that cheap.
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm
flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1)
[[ "$keep_going" == --keep-going ]] && flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ./root_reader_fuzz "${flags[@]}" corpus seeds "$root/fuzz/regression" 2>&1 | tee "$build/fuzz.log" | tail -n 25
