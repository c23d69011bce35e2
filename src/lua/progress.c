/* progress.c — the progress line of long work started from Lua.
 *
 * Design choice: one cf_progress_fn for every binding, so all long work
 * looks the same and all of it stops on Ctrl-C (it returns the stop flag
 * of interrupt.c).  Drawing is throttled to one redraw per 50 ms and only
 * happens when stderr is a terminal, so scripts whose output is piped or
 * logged stay clean.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

static double last_draw = -1.0; /* monotonic seconds of the last redraw */
static int showing;             /* a line is on screen and needs erasing */

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *cf_lua_progress_format(char *buf, size_t len, int barw, const char *what,
			     double fraction)
{
	char bar[128];
	if (barw < 1)
		barw = 1;
	if (barw > (int)sizeof bar - 1)
		barw = (int)sizeof bar - 1;
	int filled = 0;
	if (fraction >= 0) {
		if (fraction > 1)
			fraction = 1;
		filled = (int)(fraction * barw + 1e-9);
	}
	for (int i = 0; i < barw; i++)
		bar[i] = i < filled ? '#' : ' ';
	bar[barw] = '\0';
	if (fraction >= 0)
		snprintf(buf, len, "[%s] %3d%% %s", bar, (int)(fraction * 100 + 1e-9),
			 what ? what : "");
	else
		snprintf(buf, len, "[%s] %s", bar, what ? what : "");
	return buf;
}

int cf_lua_progress(void *ud, const char *what, double fraction)
{
	(void)ud;
	if (isatty(STDERR_FILENO)) {
		double t = now_seconds();
		if (last_draw < 0 || t - last_draw >= 0.05 || fraction >= 1) {
			char line[256];
			cf_lua_progress_format(line, sizeof line, 20, what, fraction);
			fprintf(stderr, "\r%s\033[K", line);
			fflush(stderr);
			last_draw = t;
			showing = 1;
		}
	}
	return cf_lua_stop_requested();
}

void cf_lua_progress_done(void)
{
	if (showing) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	showing = 0;
	last_draw = -1.0;
}
