/* ot_assign.c — exact transport for square problems with uniform weights,
 * as a linear assignment problem, by Jonker–Volgenant shortest augmenting
 * paths (clean-room).
 *
 * Initialisation: column reduction (one row-major pass computes every
 * column minimum), reduction transfer, and two passes of augmenting row
 * reduction; then one Dijkstra shortest augmenting path per row left free.
 * The Dijkstra step prices the whole row of the column it reaches with a
 * contiguous scan, which keeps it cache-friendly for row-major costs.  The
 * plan is T = (Σa/n)·P for the permutation P found; the JV potentials are
 * valid transport duals as they stand (the constraint u_i + v_j ≤ M_ij does
 * not depend on the weights).
 *
 * Ties: every minimum search takes the lowest index among equal values; in
 * addition, when M is constant along every row or along every column (any
 * permutation is then optimal, e.g. the zero layers of §5.7) the identity
 * is returned.  One solver iteration is one augmentation.
 */
#include "ot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CF_HAVE_X86 1
#endif

typedef struct assign {
	int32_t n;
	const double *C;
	double w;                 /* mass per matched pair */
	double *v, *d;            /* column duals; Dijkstra distances */
	int32_t *x, *y;           /* row -> column, column -> row (-1 free) */
	int32_t *freer, nfree;    /* rows still free */
	int32_t *pred, *done, *todo;
	char *scanned;
} assign;

static void free_impl(void *p)
{
	assign *a = p;
	if (!a)
		return;
	free(a->v);
	free(a->d);
	free(a->x);
	free(a->y);
	free(a->freer);
	free(a->pred);
	free(a->done);
	free(a->todo);
	free(a->scanned);
	free(a);
}

/* The two smallest values of Ci[j] − v[j] (u1 ≤ u2), branch-free. */
static void two_vals_generic(const double *Ci, const double *v, int32_t n, double *u1, double *u2)
{
	double a[4] = {INFINITY, INFINITY, INFINITY, INFINITY}, b[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
	int32_t j = 0;
	for (; j + 4 <= n; j += 4)
		for (int l = 0; l < 4; l++) {
			double h = Ci[j + l] - v[j + l], hi = h > a[l] ? h : a[l];
			b[l] = hi < b[l] ? hi : b[l];
			a[l] = h < a[l] ? h : a[l];
		}
	for (; j < n; j++) {
		double h = Ci[j] - v[j], hi = h > a[0] ? h : a[0];
		b[0] = hi < b[0] ? hi : b[0];
		a[0] = h < a[0] ? h : a[0];
	}
	for (int l = 1; l < 4; l++) {
		double hi = a[l] > a[0] ? a[l] : a[0];
		b[0] = fmin(fmin(b[0], b[l]), hi);
		a[0] = fmin(a[0], a[l]);
	}
	*u1 = a[0];
	*u2 = b[0];
}

#ifdef CF_HAVE_X86
__attribute__((target("avx2"))) static void two_vals_avx2(const double *Ci, const double *v, int32_t n,
							   double *u1, double *u2)
{
	__m256d a0 = _mm256_set1_pd(INFINITY), b0 = a0, a1 = a0, b1 = a0;
	double ta[8], tb[8], A = INFINITY, B = INFINITY;
	int32_t j = 0;
	for (; j + 8 <= n; j += 8) {
		__m256d h0 = _mm256_sub_pd(_mm256_loadu_pd(Ci + j), _mm256_loadu_pd(v + j));
		__m256d h1 = _mm256_sub_pd(_mm256_loadu_pd(Ci + j + 4), _mm256_loadu_pd(v + j + 4));
		b0 = _mm256_min_pd(b0, _mm256_max_pd(a0, h0));
		a0 = _mm256_min_pd(a0, h0);
		b1 = _mm256_min_pd(b1, _mm256_max_pd(a1, h1));
		a1 = _mm256_min_pd(a1, h1);
	}
	_mm256_storeu_pd(ta, a0);
	_mm256_storeu_pd(ta + 4, a1);
	_mm256_storeu_pd(tb, b0);
	_mm256_storeu_pd(tb + 4, b1);
	for (int l = 0; l < 8; l++) {
		B = fmin(fmin(B, tb[l]), fmax(A, ta[l]));
		A = fmin(A, ta[l]);
	}
	for (; j < n; j++) {
		double h = Ci[j] - v[j];
		B = fmin(B, fmax(A, h));
		A = fmin(A, h);
	}
	*u1 = A;
	*u2 = B;
}
#endif

/* First j >= start with Ci[j] − v[j] == val, or -1. */
#ifdef CF_HAVE_X86
__attribute__((target("avx2"))) static int32_t find_val_avx2(const double *Ci, const double *v, int32_t n,
							      double val, int32_t j)
{
	__m256d vv = _mm256_set1_pd(val);
	for (; j + 4 <= n; j += 4) {
		__m256d h = _mm256_sub_pd(_mm256_loadu_pd(Ci + j), _mm256_loadu_pd(v + j));
		int mask = _mm256_movemask_pd(_mm256_cmp_pd(h, vv, _CMP_EQ_OQ));
		if (mask)
			return j + __builtin_ctz((unsigned)mask);
	}
	for (; j < n; j++)
		if (Ci[j] - v[j] == val)
			return j;
	return -1;
}
#endif

static int32_t find_val(const double *Ci, const double *v, int32_t n, double val, int32_t j)
{
#ifdef CF_HAVE_X86
	if (__builtin_cpu_supports("avx2"))
		return find_val_avx2(Ci, v, n, val, j);
#endif
	for (; j < n; j++)
		if (Ci[j] - v[j] == val)
			return j;
	return -1;
}

/* Lowest and second-lowest of Ci[j] − v[j]; j1 is the lowest index of the
 * minimum, j2 the lowest other index holding the runner-up value. */
static void two_min(const double *Ci, const double *v, int32_t n, double *u1, int32_t *j1,
		    double *u2, int32_t *j2)
{
	double a, b;
	int32_t ja = -1, jb = -1;
#ifdef CF_HAVE_X86
	if (__builtin_cpu_supports("avx2"))
		two_vals_avx2(Ci, v, n, &a, &b);
	else
#endif
		two_vals_generic(Ci, v, n, &a, &b);
	ja = find_val(Ci, v, n, a, 0);
	jb = find_val(Ci, v, n, b, 0);
	if (jb == ja)
		jb = find_val(Ci, v, n, b, ja + 1);
	if (jb < 0)
		jb = ja; /* n == 1 */
	*u1 = a;
	*j1 = ja;
	*u2 = b;
	*j2 = jb;
}

/* Column minima in one row-major pass. */
CF_HOT("no-signed-zeros", "finite-math-only") static void col_min(const double *C, int32_t n, double *v, int32_t *imin)
{
	for (int32_t j = 0; j < n; j++) {
		v[j] = C[j];
		imin[j] = 0;
	}
	for (int32_t i = 1; i < n; i++) {
		const double *Ci = C + (int64_t)i * n;
		for (int32_t j = 0; j < n; j++)
			if (Ci[j] < v[j]) {
				v[j] = Ci[j];
				imin[j] = i;
			}
	}
}

static int degenerate_identity(assign *a)
{
	const double *C = a->C;
	int32_t n = a->n;
	int rows = 1, cols = 1;
	for (int32_t i = 0; i < n && rows; i++)
		for (int32_t j = 1; j < n; j++)
			if (C[(int64_t)i * n + j] != C[(int64_t)i * n]) {
				rows = 0;
				break;
			}
	for (int32_t i = 1; i < n && cols && !rows; i++)
		if (memcmp(C + (int64_t)i * n, C, (size_t)n * sizeof *C)) {
			cols = 0;
			break;
		}
	if (!rows && !cols)
		return 0;
	for (int32_t i = 0; i < n; i++) {
		a->x[i] = a->y[i] = i;
		a->v[i] = rows ? 0.0 : C[i];
	}
	a->nfree = 0;
	return 1;
}

static void arr_pass(assign *a)
{
	int32_t n = a->n, k = 0, prev = a->nfree, nf = 0;
	int64_t steps = 0, cap = 16 * (int64_t)n + 100;
	const double *C = a->C;
	double *v = a->v;
	while (k < prev) {
		int32_t i = a->freer[k++], j1, j2, i0;
		double u1, u2;
		if (++steps > cap) {
			/* Guard against long float ping-pong: leave the rest free. */
			a->freer[nf++] = i;
			while (k < prev)
				a->freer[nf++] = a->freer[k++];
			break;
		}
		two_min(C + (int64_t)i * n, v, n, &u1, &j1, &u2, &j2);
		i0 = a->y[j1];
		if (u1 < u2)
			v[j1] -= u2 - u1;
		else if (i0 >= 0) {
			j1 = j2;
			i0 = a->y[j2];
		}
		if (i0 >= 0)
			a->x[i0] = -1;
		a->x[i] = j1;
		a->y[j1] = i;
		if (i0 >= 0) {
			if (u1 < u2)
				a->freer[--k] = i0;
			else
				a->freer[nf++] = i0;
		}
	}
	a->nfree = nf;
}

static int init(cf_ot_solver *s, cf_error *err)
{
	assign *a = calloc(1, sizeof *a);
	int32_t n = (int32_t)s->prob.n;
	int32_t *imin;
	if (!a)
		return cf_error_set(err, CF_ENOMEM, "out of memory for the assignment solver");
	s->impl = a;
	a->n = n;
	a->C = s->prob.M;
	a->w = s->prob.a[0];
	a->v = malloc((size_t)n * sizeof *a->v);
	a->d = malloc((size_t)n * sizeof *a->d);
	a->x = malloc((size_t)n * sizeof *a->x);
	a->y = malloc((size_t)n * sizeof *a->y);
	a->freer = malloc((size_t)n * sizeof *a->freer);
	a->pred = malloc((size_t)n * sizeof *a->pred);
	a->done = malloc((size_t)n * sizeof *a->done);
	a->todo = malloc((size_t)n * sizeof *a->todo);
	a->scanned = malloc((size_t)n);
	if (!a->v || !a->d || !a->x || !a->y || !a->freer || !a->pred || !a->done || !a->todo ||
	    !a->scanned)
		return cf_error_set(err, CF_ENOMEM, "out of memory for the assignment solver");
	if (degenerate_identity(a))
		return CF_OK;
	/* Column reduction: each column goes to its cheapest row if that row
	 * has no column yet (columns in increasing order). */
	imin = a->pred;
	col_min(a->C, n, a->v, imin);
	for (int32_t i = 0; i < n; i++) {
		a->x[i] = -1;
		a->done[i] = 0; /* number of columns whose minimum is row i */
	}
	for (int32_t j = 0; j < n; j++) {
		int32_t i = imin[j];
		a->done[i]++;
		if (a->x[i] < 0) {
			a->x[i] = j;
			a->y[j] = i;
		} else {
			a->y[j] = -1;
		}
	}
	/* Reduction transfer for rows that are the minimum of exactly one
	 * column; rows with none are free. */
	a->nfree = 0;
	for (int32_t i = 0; i < n; i++) {
		if (a->done[i] == 0) {
			a->freer[a->nfree++] = i;
		} else if (a->done[i] == 1) {
			const double *Ci = a->C + (int64_t)i * n;
			int32_t j1 = a->x[i];
			double mu = INFINITY;
			for (int32_t j = 0; j < n; j++)
				if (j != j1 && Ci[j] - a->v[j] < mu)
					mu = Ci[j] - a->v[j];
			if (isfinite(mu))
				a->v[j1] -= mu;
		}
	}
	for (int pass = 0; pass < 2 && a->nfree > 0; pass++)
		arr_pass(a);
	return CF_OK;
}

/* Relax the unscanned columns through row i (row potential offset h) and
 * return the unscanned column with the smallest distance. */
CF_HOT("no-signed-zeros", "finite-math-only") static int32_t relax_row(const double *Ci, const double *v, double h, double *d,
				int32_t *pred, const char *scanned, int32_t i, int32_t n, double *dmin)
{
	double mn = INFINITY;
	int32_t jm = -1;
	for (int32_t j = 0; j < n; j++) {
		if (scanned[j])
			continue;
		double c = Ci[j] - v[j] - h;
		if (c < d[j]) {
			d[j] = c;
			pred[j] = i;
		}
		if (d[j] < mn) {
			mn = d[j];
			jm = j;
		}
	}
	*dmin = mn;
	return jm;
}

/* One shortest augmenting path from free row f (Dijkstra on reduced costs). */
static void augment(assign *a, int32_t f)
{
	int32_t n = a->n, nd = 0, j, sink;
	double *d = a->d, *v = a->v, mn, h = 0;
	const double *C = a->C;

	for (j = 0; j < n; j++) {
		d[j] = INFINITY;
		a->scanned[j] = 0;
	}
	j = relax_row(C + (int64_t)f * n, v, 0.0, d, a->pred, a->scanned, f, n, &mn);
	for (;;) {
		int32_t i;
		a->scanned[j] = 1;
		a->done[nd++] = j;
		if (a->y[j] < 0) {
			sink = j;
			break;
		}
		i = a->y[j];
		/* u_i = C[i][j] − v[j]; distances continue from d[j] = mn. */
		h = C[(int64_t)i * n + j] - v[j] - mn;
		j = relax_row(C + (int64_t)i * n, v, h, d, a->pred, a->scanned, i, n, &mn);
	}
	mn = d[sink];
	for (int32_t k = 0; k < nd; k++) {
		int32_t jj = a->done[k];
		v[jj] += d[jj] - mn;
	}
	for (;;) {
		int32_t i = a->pred[sink], next = a->x[i];
		a->y[sink] = i;
		a->x[i] = sink;
		if (i == f)
			break;
		sink = next;
	}
}

static int iterate(cf_ot_solver *s, cf_error *err)
{
	assign *a = s->impl;
	(void)err; /* a step of this solver cannot fail */
	if (a->nfree == 0) {
		cf_ot_finish(s, CF_OT_OPTIMAL, "optimal after %lld augmentations", (long long)s->iter);
		return CF_OK;
	}
	augment(a, a->freer[--a->nfree]);
	s->iter++;
	if (a->nfree == 0)
		cf_ot_finish(s, CF_OT_OPTIMAL, "optimal after %lld augmentations", (long long)s->iter);
	return CF_OK;
}

static void plan(const cf_ot_solver *s, double *T, double *u, double *v)
{
	const assign *a = s->impl;
	int64_t n = a->n;
	if (T) {
		memset(T, 0, (size_t)(n * n) * sizeof *T);
		for (int64_t i = 0; i < n; i++)
			if (a->x[i] >= 0)
				T[i * n + a->x[i]] = a->w;
	}
	if (v)
		memcpy(v, a->v, (size_t)n * sizeof *v);
	if (u)
		for (int64_t i = 0; i < n; i++) {
			/* A free row (stepping only) gets its row minimum. */
			if (a->x[i] >= 0) {
				u[i] = a->C[i * n + a->x[i]] - a->v[a->x[i]];
			} else {
				double mn = INFINITY;
				for (int64_t j = 0; j < n; j++)
					mn = fmin(mn, a->C[i * n + j] - a->v[j]);
				u[i] = mn;
			}
		}
}

const struct cf_ot_ops cf_ot_assign_ops = {"assign", init, iterate, plan, free_impl, NULL};
