/* tap.h — a tiny Test Anything Protocol emitter for the unit tests.
 *
 * Each test program calls tap_plan() (or tap_done() at the end for a
 * trailing plan), then ok()/is_double()/... for each check.  Output goes to
 * stdout and is read by automake's tap-driver.sh.  Header-only on purpose:
 * every test is one .c file plus this.
 */
#ifndef CF_TAP_H
#define CF_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int tap_n_ = 0, tap_failed_ = 0;

static inline void tap_plan(int n) { printf("1..%d\n", n); }

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
	++tap_n_;
	if (!cond)
		++tap_failed_;
	printf("%sok %d - ", cond ? "" : "not ", tap_n_);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

static inline int ok(int cond, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

/* A check that cannot be made here, with the reason (TAP's SKIP
 * directive: counted, neither passed nor failed). */
static inline void tap_skip(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
static inline void tap_skip(const char *fmt, ...)
{
	va_list ap;
	printf("ok %d # SKIP ", ++tap_n_);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* |got - want| <= tol * max(1, |want|) (relative for large values). */
static inline int is_double(double got, double want, double tol, const char *what)
{
	double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
	int cond = isfinite(got) && fabs(got - want) <= tol * scale;
	if (!cond)
		printf("# %s: got %.17g, want %.17g (tol %g)\n", what, got, want, tol);
	return ok(cond, "%s (%.10g)", what, got);
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Print the trailing plan; exit status 0 (the driver reads the results). */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n_);
	return 0;
}

#endif
