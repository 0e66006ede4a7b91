#define HEPSWEEP_XXH3_OPS v3
#define HEPSWEEP_XXH3_NAME "avx2"
#include "Xxh3Ops.inc"
