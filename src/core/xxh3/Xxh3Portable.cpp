#define HEPSWEEP_XXH3_OPS portable
#define HEPSWEEP_XXH3_NAME "sse2"
#include "Xxh3Ops.inc"
