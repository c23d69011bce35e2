/* progress.c — progress reports and stop requests (see progress.h). */
#include "progress.h"

int cf_progress_report(const cf_progress *p, const char *what, double fraction)
{
	if (!p || !p->fn)
		return 0;
	return p->fn(p->ud, what, fraction);
}
