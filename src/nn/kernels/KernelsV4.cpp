// The nn kernels for x86-64-v4 (AVX-512 F/BW/CD/DQ/VL); src/nn/CMakeLists.txt sets this file's -march.
#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__AVX512VL__)
#error "KernelsV4.cpp must be compiled with -march=x86-64-v4"
#endif
#define HEPSWEEP_KERNEL_NS v4
#define HEPSWEEP_KERNEL_NAME "v4"
#include "Kernels.inc"
