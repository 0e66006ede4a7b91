# shellcheck shell=bash
# Sourced by the benchmarks whose reference is PyTorch, after PY is set. Debian 12's OpenBLAS
# 0.3.21 picks its kernels from the CPU model; on a CPU it does not know (this project's Intel
# Xeon with AVX-512 reports a generic model) it falls back to the SSE3 "Prescott" kernels, and
# PyTorch's GEMMs run 3x slower (24 against 78.5 GFLOP/s on the wide network). A reference on a
# fallback core would flatter every ratio, so when OPENBLAS_CORETYPE is unset and OpenBLAS chose a
# core below what the CPU's flags support, this sets OPENBLAS_CORETYPE to the best matching core
# (SkylakeX for AVX-512, Haswell for AVX2 + FMA) and says so in OPENBLAS_CORE_NOTE. A value the
# user set is left alone. Every report names the core PyTorch ran on.
export OPENBLAS_CORE_NOTE=""
if [[ -z "${OPENBLAS_CORETYPE+x}" ]]; then
  _ob_core=$("$PY" -c 'import ctypes
try:
    lib = ctypes.CDLL("libopenblas.so.0")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    print(lib.openblas_get_corename().decode())
except (OSError, AttributeError):
    pass' 2>/dev/null || true)
  _ob_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
  _ob_has() { local f; for f in "$@"; do [[ "$_ob_flags" == *" $f "* ]] || return 1; done; }
  _ob_want="" _ob_good=""
  if _ob_has avx512f avx512bw avx512vl avx512dq; then
    _ob_want=SkylakeX _ob_good=" SkylakeX CooperLake SapphireRapids "
  elif _ob_has avx2 fma; then
    _ob_want=Haswell _ob_good=" Haswell Zen SkylakeX CooperLake SapphireRapids "
  fi
  if [[ -n "$_ob_core" && -n "$_ob_want" && "$_ob_good" != *" $_ob_core "* ]]; then
    export OPENBLAS_CORETYPE=$_ob_want
    OPENBLAS_CORE_NOTE="OpenBLAS chose its $_ob_core kernels on this CPU; set OPENBLAS_CORETYPE=$_ob_want for the reference (the CPU has $( [[ $_ob_want == SkylakeX ]] && echo AVX-512 || echo AVX2 + FMA))"
    echo "[openblas] $OPENBLAS_CORE_NOTE" >&2
  fi
  unset -f _ob_has
  unset _ob_core _ob_flags _ob_want _ob_good
fi
