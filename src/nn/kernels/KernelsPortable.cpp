// The nn kernels for baseline x86-64 (SSE2), or the compiler's default target elsewhere; src/nn/CMakeLists.txt sets this file's -march.
#if defined(__x86_64__)
#if defined(__SSE3__) || defined(__AVX__)
#error "the portable kernels must be compiled for the baseline (check the -march order in src/nn/CMakeLists.txt)"
#endif
#endif
#define HEPSWEEP_KERNEL_NS portable
#define HEPSWEEP_KERNEL_NAME "portable"
#include "Kernels.inc"
