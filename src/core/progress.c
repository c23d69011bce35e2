/* progress.c — progress reports, stop requests and the clock (see progress.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "progress.h"

#include <time.h>

int cf_progress_report(const cf_progress *p, const char *what, double fraction)
{
	if (!p || !p->fn)
		return 0;
	return p->fn(p->ud, what, fraction);
}

double cf_progress_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
