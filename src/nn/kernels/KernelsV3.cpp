// The nn kernels for x86-64-v3 (AVX2, FMA); src/nn/CMakeLists.txt sets this file's -march.
#if !defined(__AVX2__) || !defined(__FMA__) || defined(__AVX512F__)
#error "KernelsV3.cpp must be compiled with -march=x86-64-v3"
#endif
#define HEPSWEEP_KERNEL_NS v3
#define HEPSWEEP_KERNEL_NAME "v3"
#include "Kernels.inc"
