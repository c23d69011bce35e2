/* cli.c — helpers shared by the batch subcommands (see cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifdef CF_HAVE_OPENBLAS
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
#endif

int cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "clafuse %s: %s: expected a whole number in [%ld, %ld], got '%s'\n",
			cmd, opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
	       double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, "clafuse %s: %s: expected a number in [%g, %g], got '%s'\n",
			cmd, opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

void cli_set_threads(int n)
{
#ifdef CF_HAVE_OPENBLAS
	openblas_set_num_threads(n);
#else
	(void)n;
#endif
}

int cli_threads(void)
{
#ifdef CF_HAVE_OPENBLAS
	return openblas_get_num_threads();
#else
	return 1;
#endif
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
