/* ops_blas.c — a check of the BLAS kernels the engine's GEMMs run on.
 *
 * OpenBLAS built with DYNAMIC_ARCH picks its kernels from the CPU model
 * number.  A model newer than the library (e.g. the Xeons of family 6,
 * model 207 that OpenBLAS 0.3.21 does not know) falls back to "Prescott",
 * SSE3 kernels 3-7x slower than the AVX-512 ones the CPU can run; the
 * OPENBLAS_CORETYPE environment variable overrides the choice but is read
 * only when the library loads.  So this file only DIAGNOSES: it compares
 * the kernel OpenBLAS chose with the CPU's feature bits and names a better
 * one; the front end decides what to do (set the variable and re-execute
 * itself, or print a hint).
 */
#include "config.h"

#include "ops.h"

#include <stdlib.h>
#include <string.h>

#ifdef CF_HAVE_OPENBLAS
char *openblas_get_corename(void);
#endif

/* True when name is in the NULL-terminated list. */
static int name_in(const char *name, const char *const *list)
{
	for (; *list; ++list)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

const char *cf_ops_blas_core(void)
{
#ifdef CF_HAVE_OPENBLAS
	const char *n = openblas_get_corename();
	return n ? n : "unknown";
#else
	return "reference";
#endif
}

const char *cf_ops_blas_coretype_hint(void)
{
#if defined(CF_HAVE_OPENBLAS) && defined(__x86_64__) && defined(__GNUC__)
	if (getenv("OPENBLAS_CORETYPE"))
		return NULL; /* the user chose */
	static const char *const avx512_cores[] = {"SkylakeX", "Cooperlake", "SapphireRapids",
						   NULL};
	static const char *const avx2_cores[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
						 "SapphireRapids", NULL};
	const char *core = cf_ops_blas_core();
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
	    !name_in(core, avx512_cores))
		return "SkylakeX";
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
	    !name_in(core, avx2_cores))
		return "Haswell";
	return NULL;
#else
	(void)name_in;
	return NULL;
#endif
}
