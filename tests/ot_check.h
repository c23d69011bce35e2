/* ot_check.h — helpers shared by the tests of the OT solvers
 * (tests/test_ot*.c): a seeded xorshift generator, random problems from
 * points in the unit square, and a plan's L1 marginal error.
 *
 * A test defines OT_CHECK_SEED before including this file, so that each
 * program keeps its own fixed sequence of problems.
 */
#ifndef CF_OT_CHECK_H
#define CF_OT_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ot.h"

#ifndef OT_CHECK_SEED
#error "define OT_CHECK_SEED before including ot_check.h"
#endif

static uint64_t urand_state_ = OT_CHECK_SEED;

/* Uniform in [0, 1) from a 64-bit xorshift. */
static inline double urand(void)
{
	urand_state_ ^= urand_state_ << 13;
	urand_state_ ^= urand_state_ >> 7;
	urand_state_ ^= urand_state_ << 17;
	return (double)(urand_state_ >> 11) * (1.0 / 9007199254740992.0);
}

/* L1 marginal error of a plan (rows and columns); when sane is not NULL it
 * says whether every entry is finite and non-negative. */
static inline double ot_marg_err(const cf_ot_problem *p, const double *T, int *sane)
{
	double e = 0;
	if (sane)
		*sane = 1;
	for (int64_t i = 0; i < p->n; i++) {
		double s = 0;
		for (int64_t j = 0; j < p->m; j++) {
			s += T[i * p->m + j];
			if (sane && (!(T[i * p->m + j] >= 0) || !isfinite(T[i * p->m + j])))
				*sane = 0;
		}
		e += fabs(s - p->a[i]);
	}
	for (int64_t j = 0; j < p->m; j++) {
		double s = 0;
		for (int64_t i = 0; i < p->n; i++)
			s += T[i * p->m + j];
		e += fabs(s - p->b[j]);
	}
	return e;
}

/* n + m points in [0,1]^2, M = their squared distances (n × m), weights
 * uniform in [0.5, 1.5) normalised to sum 1. */
static inline void random_problem(int n, int m, double *M, double *a, double *b)
{
	double sa = 0, sb = 0, *x = malloc((size_t)(n + m) * 2 * sizeof *x);
	for (int k = 0; k < (n + m) * 2; k++)
		x[k] = urand();
	for (int i = 0; i < n; i++)
		for (int j = 0; j < m; j++) {
			double dx = x[2 * i] - x[2 * (n + j)], dy = x[2 * i + 1] - x[2 * (n + j) + 1];
			M[i * m + j] = dx * dx + dy * dy;
		}
	for (int i = 0; i < n; i++)
		sa += a[i] = 0.5 + urand();
	for (int j = 0; j < m; j++)
		sb += b[j] = 0.5 + urand();
	for (int i = 0; i < n; i++)
		a[i] /= sa;
	for (int j = 0; j < m; j++)
		b[j] /= sb;
	free(x);
}

#endif
