/* ot_sparse.c — entropic transport at small ε by stabilised sparse
 * scaling (Schmitzer, "Stabilized sparse scaling algorithms for entropy
 * regularized transport problems", arXiv 1610.06519).
 *
 * The plan is T_ij = exp((α_i + β_j − M_ij)/ε) · u_i · v_j: absorbed duals
 * α, β in cost units and scalings u, v kept within [e^−τ, e^τ].  Sinkhorn
 * scaling runs on u, v with the kernel K_ij = exp((α_i + β_j − M_ij)/ε)
 * truncated to the entries with exponent ≥ −θ — where the plan can carry
 * mass — stored sparse, so that an iteration costs O(nnz), not O(n·m).
 * When a scaling leaves [e^−τ, e^τ] it is absorbed into α, β and the
 * kernel is re-truncated around the new duals.  ε is scaled from max|M|
 * down to the target by `eps_factor` per stage (each stage converged to
 * max(tol, 1e-4·Σa), absorbed, re-truncated), so the duals stay close to
 * the optimum of the current stage and the kernel stays small.
 *
 * Truncation never reaches the answer: when the truncated iteration meets
 * tol at the target ε, the full plan's marginals are computed densely
 * (one O(n·m) pass); the solver stops only when that plan's L1 error
 * (rows and columns) is ≤ tol — otherwise θ grows and it goes on — and the
 * plan returned is that full plan.  The mass the truncation left out at
 * that check is measured and reported, with the bound e^−θ·Σu·Σv.
 *
 * The row update is over-relaxed (adaptive ω, or params.omega when set),
 * which cuts the iterations at small ε several-fold.
 *
 * Every row keeps its largest kernel entry and every column too (over the
 * rows and columns of positive mass), so no scaling divides by zero.
 */
#include "ot_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAU 12.0          /* absorb when a scaling leaves [e^-TAU, e^TAU] */

typedef struct sps {
	int64_t n, m;
	double eps, target;      /* current and final ε */
	double theta;            /* keep kernel entries with exponent >= -theta */
	double *al, *be;         /* absorbed duals (cost units) */
	double *u, *v;           /* scalings */
	double *Kv, *Ktu;        /* products */
	int64_t *rp;             /* CSR row pointers (n+1) */
	int32_t *ci;             /* CSR columns */
	double *kv;              /* CSR values */
	int64_t nnz, cap;
	int64_t *xr;             /* extra entries: the largest of a column the */
	int32_t *xc;             /* row-wise truncation dropped (COO) */
	double *xv;
	int64_t nx, xcap;
	double *cmax;            /* per column: largest exponent seen */
	int64_t *carg;           /* and its row */
	double *zrow;            /* one row's exponents */
	double stage_tol, mass;  /* threshold of the current stage; Σa */
	/* over-relaxation of the row update (see relax_step) */
	double omega, e_mark, e_best, e_min;
	int64_t st_it;
	int64_t rebuilds, checks;
	double outside, bound;   /* mass outside the kernel at the last check,
	                            and its a-priori bound */
} sps;

static void sps_free(void *p)
{
	sps *k = p;
	if (!k)
		return;
	free(k->al);
	free(k->be);
	free(k->u);
	free(k->v);
	free(k->Kv);
	free(k->Ktu);
	free(k->rp);
	free(k->ci);
	free(k->kv);
	free(k->xr);
	free(k->xc);
	free(k->xv);
	free(k->cmax);
	free(k->carg);
	free(k->zrow);
	free(k);
}

/* Room for `need` more kernel entries. */
static int grow(sps *k, int64_t need)
{
	int64_t cap = k->cap ? k->cap : 1024;
	int32_t *c;
	double *v;
	if (k->nnz + need <= k->cap)
		return CF_OK;
	while (cap < k->nnz + need)
		cap *= 2;
	if (cap > k->n * k->m)
		cap = k->n * k->m;
	c = realloc(k->ci, (size_t)cap * sizeof *c);
	if (!c)
		return CF_ENOMEM;
	k->ci = c;
	v = realloc(k->kv, (size_t)cap * sizeof *v);
	if (!v)
		return CF_ENOMEM;
	k->kv = v;
	k->cap = cap;
	return CF_OK;
}

static int grow_extra(sps *k)
{
	int64_t cap = k->xcap ? 2 * k->xcap : 64;
	int64_t *r;
	int32_t *c;
	double *v;
	if (k->nx < k->xcap)
		return CF_OK;
	if (!(r = realloc(k->xr, (size_t)cap * sizeof *r)))
		return CF_ENOMEM;
	k->xr = r;
	if (!(c = realloc(k->xc, (size_t)cap * sizeof *c)))
		return CF_ENOMEM;
	k->xc = c;
	if (!(v = realloc(k->xv, (size_t)cap * sizeof *v)))
		return CF_ENOMEM;
	k->xv = v;
	k->xcap = cap;
	return CF_OK;
}

/* Fold the scalings into the duals: α += ε log u, β += ε log v, u = v = 1
 * (zero-mass rows and columns keep scaling 0). */
static void absorb(sps *k)
{
	for (int64_t i = 0; i < k->n; i++)
		if (k->u[i] > 0) {
			k->al[i] += k->eps * log(k->u[i]);
			k->u[i] = 1;
		}
	for (int64_t j = 0; j < k->m; j++)
		if (k->v[j] > 0) {
			k->be[j] += k->eps * log(k->v[j]);
			k->v[j] = 1;
		}
}

/* Truncate the kernel around the current duals: one pass over M.  A row
 * (column) of positive mass whose largest exponent is below −700 has its
 * dual raised so that this entry is e^0: the scaling iteration corrects it,
 * and nothing underflows. */
static int rebuild(cf_ot_solver *s, sps *k)
{
	const double *M = s->prob.M, *a = s->prob.a, *b = s->prob.b;
	int64_t n = k->n, m = k->m;
	double ie = 1.0 / k->eps, th = -k->theta;

	k->nnz = 0;
	k->nx = 0;
	k->rebuilds++;
	for (int64_t j = 0; j < m; j++) {
		k->cmax[j] = -INFINITY;
		k->carg[j] = -1;
	}
	for (int64_t i = 0; i < n; i++) {
		const double *Mi = M + i * m;
		double *z = k->zrow, ai = k->al[i], zmax = -INFINITY;
		int64_t jmax = -1, cnt = 0;
		for (int64_t j = 0; j < m; j++) {
			z[j] = (ai + k->be[j] - Mi[j]) * ie;
			if (b[j] > 0 && z[j] > zmax) {
				zmax = z[j];
				jmax = j;
			}
		}
		if (a[i] > 0 && jmax >= 0 && zmax < -700) {
			k->al[i] -= zmax * k->eps;
			for (int64_t j = 0; j < m; j++)
				z[j] -= zmax;
			zmax = 0;
		}
		for (int64_t j = 0; j < m; j++)
			cnt += z[j] >= th;
		if (cnt == 0 && jmax >= 0)
			cnt = 1;
		if (grow(k, cnt))
			return CF_ENOMEM;
		k->rp[i] = k->nnz;
		for (int64_t j = 0; j < m; j++)
			if (z[j] >= th || (j == jmax && zmax < th)) {
				k->ci[k->nnz] = (int32_t)j;
				k->kv[k->nnz++] = exp(fmin(z[j], 700.0));
			}
		if (a[i] > 0)
			for (int64_t j = 0; j < m; j++)
				if (z[j] > k->cmax[j]) {
					k->cmax[j] = z[j];
					k->carg[j] = i;
				}
	}
	k->rp[n] = k->nnz;
	for (int64_t j = 0; j < m; j++) {
		int64_t i = k->carg[j];
		double z;
		if (!(b[j] > 0) || i < 0 || k->cmax[j] >= th)
			continue;
		if (k->cmax[j] < -700) {
			k->be[j] -= k->cmax[j] * k->eps;
			k->cmax[j] = 0;
		}
		z = k->cmax[j];
		if (grow_extra(k))
			return CF_ENOMEM;
		k->xr[k->nx] = i;
		k->xc[k->nx] = (int32_t)j;
		k->xv[k->nx++] = exp(z);
	}
	return CF_OK;
}

static void stage_start(sps *k, double omega);

static int sps_init(cf_ot_solver *s, cf_error *err)
{
	const cf_ot_problem *p = &s->prob;
	int64_t n = p->n, m = p->m;
	double mx = 0;
	sps *k = calloc(1, sizeof *k);

	if (!k)
		return cf_error_set(err, CF_ENOMEM, "out of memory for sparse Sinkhorn");
	s->impl = k;
	k->n = n;
	k->m = m;
	k->target = s->reg;
	k->al = calloc((size_t)n, sizeof(double));
	k->be = calloc((size_t)m, sizeof(double));
	k->u = malloc((size_t)n * sizeof(double));
	k->v = malloc((size_t)m * sizeof(double));
	k->Kv = malloc((size_t)n * sizeof(double));
	k->Ktu = malloc((size_t)m * sizeof(double));
	k->rp = malloc((size_t)(n + 1) * sizeof(int64_t));
	k->cmax = malloc((size_t)m * sizeof(double));
	k->carg = malloc((size_t)m * sizeof(int64_t));
	k->zrow = malloc((size_t)m * sizeof(double));
	if (!k->al || !k->be || !k->u || !k->v || !k->Kv || !k->Ktu || !k->rp || !k->cmax || !k->carg ||
	    !k->zrow)
		return cf_error_set(err, CF_ENOMEM, "out of memory for sparse Sinkhorn (%lldx%lld)",
				    (long long)n, (long long)m);
	for (int64_t i = 0; i < n; i++)
		k->u[i] = p->a[i] > 0 ? 1.0 : 0.0;
	for (int64_t j = 0; j < m; j++)
		k->v[j] = p->b[j] > 0 ? 1.0 : 0.0;
	for (int64_t q = 0; q < n * m; q++)
		mx = fmax(mx, fabs(p->M[q]));
	k->eps = fmax(k->target, mx);
	/* the truncated mass is at most e^−θ·Σu·Σv ≤ n·m·e^(2τ−θ); start where
	 * that is tol/10 with scalings near 1 (after absorption), and rely on
	 * the dense check at the end for the rest */
	k->theta = log(1e3 * (double)n * (double)m / s->par.tol);
	stage_start(k, s->par.omega);
	for (int64_t i = 0; i < n; i++)
		k->mass += p->a[i];
	k->stage_tol = k->eps <= k->target ? s->par.tol : fmax(s->par.tol, 1e-4 * k->mass);
	if (rebuild(s, k))
		return cf_error_set(err, CF_ENOMEM, "out of memory for the sparse kernel (%lldx%lld)",
				    (long long)n, (long long)m);
	return CF_OK;
}

/* Full (untruncated) marginals of the current plan: L1 error of rows and
 * columns, and the mass outside the kernel (full minus truncated total). */
static double dense_check(const cf_ot_solver *s, sps *k)
{
	const double *M = s->prob.M, *a = s->prob.a, *b = s->prob.b;
	int64_t n = k->n, m = k->m;
	double ie = 1.0 / k->eps, e = 0, full = 0, trunc = 0, su = 0, sv = 0;
	double *col = k->Ktu;

	k->checks++;
	for (int64_t j = 0; j < m; j++)
		col[j] = 0;
	for (int64_t i = 0; i < n; i++) {
		const double *Mi = M + i * m;
		double r = 0;
		if (k->u[i] > 0)
			for (int64_t j = 0; j < m; j++) {
				double t = k->v[j] > 0 ? exp(fmin((k->al[i] + k->be[j] - Mi[j]) * ie, 700.0)) *
								 k->u[i] * k->v[j]
						       : 0.0;
				r += t;
				col[j] += t;
			}
		e += fabs(r - a[i]);
		full += r;
		su += k->u[i];
	}
	for (int64_t j = 0; j < m; j++) {
		e += fabs(col[j] - b[j]);
		sv += k->v[j];
	}
	for (int64_t i = 0; i < n; i++)
		for (int64_t q = k->rp[i]; q < k->rp[i + 1]; q++)
			trunc += k->u[i] * k->kv[q] * k->v[k->ci[q]];
	for (int64_t x = 0; x < k->nx; x++)
		trunc += k->u[k->xr[x]] * k->xv[x] * k->v[k->xc[x]];
	k->outside = fmax(0.0, full - trunc);
	k->bound = exp(-k->theta) * su * sv;
	return isfinite(e) ? e : DBL_MAX;
}

/* Start an ε stage: plain steps first, so that the rate can be measured. */
static void stage_start(sps *k, double omega)
{
	k->omega = omega > 0 ? omega : 1.0;
	k->st_it = 0;
	k->e_mark = k->e_best = k->e_min = INFINITY;
}

/* Adaptive over-relaxation of the row update only: u ← u·(a/(u∘Kv))^ω.
 * The columns stay exact after their update, so the row error measured
 * before the row update is the plan's whole L1 error, relaxed or not.
 * After 2W plain iterations the plain rate ρ gives Young's ω =
 * 2/(1 + √(1 − ρ)) (capped at 1.9); a window of W iterations whose
 * smallest error does not improve on the previous one's halves ω − 1; an
 * error 1000 times the smallest seen means divergence: ω = 1 for the rest
 * of the stage.  The fixed point, hence the plan, is the plain one. */
static void relax_step(sps *k, double e, int omega_fixed)
{
	const int64_t W = 20;
	k->st_it++;
	if (k->omega != 1.0 && !(e <= 1e3 * k->e_min)) {
		k->omega = 1.0;
		k->st_it = -((int64_t)1 << 60); /* no more adapting in this stage */
		return;
	}
	k->e_min = fmin(k->e_min, e);
	if (omega_fixed || !(e > 0) || !isfinite(e))
		return;
	k->e_best = fmin(k->e_best, e);
	if (k->st_it <= 0 || k->st_it % W)
		return;
	if (k->st_it == W) {
		k->e_mark = k->e_best;
	} else if (k->st_it == 2 * W) {
		double rho = pow(k->e_best / k->e_mark, 1.0 / (double)W);
		if (rho > 0 && rho < 1)
			k->omega = fmin(1.9, 2.0 / (1.0 + sqrt(1.0 - rho)));
		k->e_mark = k->e_best;
	} else {
		if (!(k->e_best < k->e_mark))
			k->omega = 1.0 + 0.5 * (k->omega - 1.0);
		k->e_mark = k->e_best;
	}
	k->e_best = INFINITY;
}

/* Whether every positive scaling lies in [e^−τ, e^τ]. */
static int in_range(const double *x, int64_t len)
{
	const double lo = exp(-TAU), hi = exp(TAU);
	for (int64_t i = 0; i < len; i++)
		if (x[i] > 0 && !(x[i] >= lo && x[i] <= hi))
			return 0;
	return 1;
}

static int sps_iterate(cf_ot_solver *s, cf_error *err)
{
	sps *k = s->impl;
	const double *a = s->prob.a, *b = s->prob.b;
	int64_t n = k->n, m = k->m;
	double e = 0, e_trunc;
	int last = k->eps <= k->target;

	/* columns: v = b / Kᵀu */
	memset(k->Ktu, 0, (size_t)m * sizeof(double));
	for (int64_t i = 0; i < n; i++) {
		double ui = k->u[i];
		if (ui == 0)
			continue;
		for (int64_t q = k->rp[i]; q < k->rp[i + 1]; q++)
			k->Ktu[k->ci[q]] += k->kv[q] * ui;
	}
	for (int64_t x = 0; x < k->nx; x++)
		k->Ktu[k->xc[x]] += k->xv[x] * k->u[k->xr[x]];
	for (int64_t j = 0; j < m; j++)
		k->v[j] = b[j] > 0 ? b[j] / k->Ktu[j] : 0.0;
	/* rows: error of the truncated plan (columns exact), then u = a / Kv */
	for (int64_t i = 0; i < n; i++) {
		double t = 0;
		for (int64_t q = k->rp[i]; q < k->rp[i + 1]; q++)
			t += k->kv[q] * k->v[k->ci[q]];
		k->Kv[i] = t;
	}
	for (int64_t x = 0; x < k->nx; x++)
		k->Kv[k->xr[x]] += k->xv[x] * k->v[k->xc[x]];
	for (int64_t i = 0; i < n; i++)
		e += fabs(k->u[i] * k->Kv[i] - a[i]);
	if (!isfinite(e))
		e = DBL_MAX;
	s->iter++;
	if (e <= k->stage_tol) {
		if (!last) {
			absorb(k);
			k->eps = fmax(k->target, k->eps * s->par.eps_factor);
			stage_start(k, s->par.omega);
			k->stage_tol = k->eps <= k->target ? s->par.tol : fmax(s->par.tol, 1e-4 * k->mass);
			s->err_now = e;
			if (cf_ot_hist_push(s, e))
				return cf_error_set(err, CF_ENOMEM, "out of memory for the error history");
			if (rebuild(s, k))
				return cf_error_set(err, CF_ENOMEM, "out of memory for the sparse kernel");
			return CF_OK;
		}
		e_trunc = e;
		e = dense_check(s, k);
		s->err_now = e;
		if (cf_ot_hist_push(s, e))
			return cf_error_set(err, CF_ENOMEM, "out of memory for the error history");
		if (e <= s->par.tol) {
			cf_ot_finish(s, CF_OT_CONVERGED,
				     "converged after %lld iterations (L1 marginal error %.3g <= %g); kernel "
				     "%lld of %lld entries, mass outside it %.2g (bound %.2g), %lld truncations",
				     (long long)s->iter, e, s->par.tol, (long long)(k->nnz + k->nx),
				     (long long)(n * m), k->outside, k->bound, (long long)k->rebuilds);
			return CF_OK;
		}
		/* the full plan is off: either the truncation dropped too much
		 * (keep more entries) or the truncated iterate needs to be closer */
		if (k->outside > 0.01 * s->par.tol) {
			k->theta += TAU;
			k->stage_tol = 0.99 * s->par.tol;
		} else { /* aim below tol by twice what the full plan adds */
			k->stage_tol = fmax(0.5 * s->par.tol,
					    fmin(k->stage_tol, s->par.tol) - 2.0 * fabs(e - e_trunc) - 1e-3 * s->par.tol);
		}
		absorb(k);
		if (rebuild(s, k))
			return cf_error_set(err, CF_ENOMEM, "out of memory for the sparse kernel");
		return CF_OK;
	}
	relax_step(k, e, s->par.omega > 0);
	if (k->omega == 1.0)
		for (int64_t i = 0; i < n; i++)
			k->u[i] = a[i] > 0 ? a[i] / k->Kv[i] : 0.0;
	else
		for (int64_t i = 0; i < n; i++)
			k->u[i] = a[i] > 0 ? k->u[i] * exp(k->omega * log(a[i] / (k->u[i] * k->Kv[i]))) : 0.0;
	s->err_now = e;
	if (cf_ot_hist_push(s, e))
		return cf_error_set(err, CF_ENOMEM, "out of memory for the error history");
	if (!in_range(k->u, n) || !in_range(k->v, m)) {
		absorb(k);
		if (rebuild(s, k))
			return cf_error_set(err, CF_ENOMEM, "out of memory for the sparse kernel");
	}
	return CF_OK;
}

static void sps_plan(const cf_ot_solver *s, double *T, double *f, double *g)
{
	const sps *k = s->impl;
	int64_t n = k->n, m = k->m;
	const double *M = s->prob.M;
	double ie = 1.0 / k->eps;
	if (T)
		for (int64_t i = 0; i < n; i++)
			for (int64_t j = 0; j < m; j++) {
				double t = 0;
				if (k->u[i] > 0 && k->v[j] > 0) {
					double z = (k->al[i] + k->be[j] - M[i * m + j]) * ie;
					t = z < -745 ? 0.0 : exp(fmin(z, 700.0)) * k->u[i] * k->v[j];
				}
				T[i * m + j] = t;
			}
	if (f)
		for (int64_t i = 0; i < n; i++)
			f[i] = k->u[i] > 0 ? k->al[i] + k->eps * log(k->u[i]) : -1e300;
	if (g)
		for (int64_t j = 0; j < m; j++)
			g[j] = k->v[j] > 0 ? k->be[j] + k->eps * log(k->v[j]) : -1e300;
}

static void sps_stats(const cf_ot_solver *s, double *eps, int64_t *nnz)
{
	const sps *k = s->impl;
	if (eps)
		*eps = k->eps;
	if (nnz)
		*nnz = k->nnz + k->nx;
}

const struct cf_ot_ops cf_ot_sinkhorn_sparse_ops = {"sinkhorn-sparse", sps_init, sps_iterate, sps_plan,
						     sps_free, sps_stats};
