// The nn kernels for x86-64-v2 (SSE4.2, POPCNT); src/nn/CMakeLists.txt sets this file's -march.
#if !defined(__SSE4_2__) || !defined(__POPCNT__) || defined(__AVX__)
#error "KernelsV2.cpp must be compiled with -march=x86-64-v2"
#endif
#define HEPSWEEP_KERNEL_NS v2
#define HEPSWEEP_KERNEL_NAME "v2"
#include "Kernels.inc"
