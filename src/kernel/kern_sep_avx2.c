/* gridr: the separable-grid kernels compiled for AVX2 (four lanes), chosen at run time by
 * gridr__rs_get_sep when the CPU has AVX2; same bits as the SSE2 build. */
#include "base/internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#pragma GCC target("avx2")
#define GRIDR__KERN_AVX2 1
#include "kern_sep.c"
#endif
