#define HEPSWEEP_XXH3_OPS v4
#define HEPSWEEP_XXH3_NAME "avx512"
#include "Xxh3Ops.inc"
