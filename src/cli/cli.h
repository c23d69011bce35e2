/* cli.h — small helpers shared by the batch subcommands: strict number
 * parsing for options, the BLAS thread count and a clock.  (The progress
 * line is the one Lua uses: cf_lua_progress in src/lua/host.h.) */
#ifndef CF_CLI_H
#define CF_CLI_H

/* Parse `s` as a whole number / real in [lo, hi] for option `opt`; on
 * failure print "clafuse CMD: --opt: ... " and return -1. */
int cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
	       double *out);

/* Set the number of BLAS threads (OpenBLAS only; a no-op with GSL's CBLAS). */
void cli_set_threads(int n);
/* The number of BLAS threads in use (1 for GSL's CBLAS). */
int cli_threads(void);

/* Monotonic seconds. */
double cli_now(void);

#endif
