/* bigmem.c — large allocations on transparent huge pages (see bigmem.h). */
#define _DEFAULT_SOURCE /* madvise */
#include "bigmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)
/* Below this a request gains little from huge pages and would waste most
 * of one. */
#define BIG_ENOUGH ((size_t)4 << 20)

void *cf_big_alloc(size_t bytes, int zero)
{
#ifdef MADV_HUGEPAGE
	if (bytes >= BIG_ENOUGH) {
		void *p;
		if (posix_memalign(&p, HUGE_PAGE, bytes))
			return NULL;
		/* Advice only: where the kernel declines, small pages it is. */
		(void)madvise(p, bytes, MADV_HUGEPAGE);
		if (zero)
			memset(p, 0, bytes);
		return p;
	}
#endif
	return zero ? calloc(1, bytes) : malloc(bytes);
}
