/* ot_sinkhorn.c — entropic transport: plain Sinkhorn scaling, the
 * log-domain solver, ε-scaling, and unbalanced (KL-relaxed) Sinkhorn.
 *
 * The plan is T_ij = exp((f_i + g_j − M_ij)/ε) with potentials f, g in cost
 * units (the plain form keeps u = e^{f/ε}, v = e^{g/ε} and K = e^{−M/ε}).
 * One iteration updates g (columns exact), then measures the row marginal
 * error Σ_i |T1 − a|_i (L1) and stops when it is ≤ tol, else updates f.
 *
 * Main design choice for speed in the log domain: every log-sum-exp is
 * shifted by the *current* potential, so that each half-step is ONE pass
 * over the row-major costs computing Σ exp((f_i + g_j − M_ij)/ε) — the
 * current marginal itself — with a vectorisable exp.  Only when that shift
 * is unsafe (a term above e^700, or a sum below 1e-280, typical of the
 * first iterations) is the half-step redone exactly with max-shifted
 * log-sum-exp.  No NaN or Inf ever reaches the plan: the plain form checks
 * every scaling and either switches to the log domain (params.log_fallback)
 * or stops with status FAILED and the reason.
 */
#include "ot_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

enum { MODE_PLAIN, MODE_LOG };

typedef struct sk {
	int64_t n, m;
	int mode, variant;       /* variant: the cf_ot_kind */
	double eps, target;      /* current and final ε (they differ in ε-scaling) */
	double phi;              /* unbalanced: τ/(τ+ε) */
	double *f, *g;           /* potentials (log mode) */
	double *la, *lb;         /* log a, log b */
	double *K, *uu, *vv, *Ktu, *Kv;  /* plain mode */
	double *rs, *cs, *cz, *tmp;      /* sums and maxima per row / column */
	char note[160];          /* e.g. "switched to log-domain at iteration 12" */
	/* over-relaxation (balanced log domain) */
	double omega;            /* current ω; 1 = plain Sinkhorn */
	int adaptive;            /* ω is estimated per stage (params.omega == 0) */
	int verify;              /* f update skipped: the next column pass
	                            measures the column error of this iterate */
	double row_err;          /* row error of the iterate being verified */
	int64_t st_it;           /* iterations in the current ε stage */
	double e_mark;           /* row error at the start of a rate window */
	double e_best;           /* smallest row error since ω last changed */
	double e_relax_min;      /* smallest error under over-relaxation */
	int relax_off;           /* adaptive ω diverged too: ω = 1 from then on */
	int fixed_off;           /* a fixed ω diverged: adaptive from then on */
} sk;

static void free_impl(void *p)
{
	sk *k = p;
	if (!k)
		return;
	free(k->f);
	free(k->g);
	free(k->la);
	free(k->lb);
	free(k->K);
	free(k->uu);
	free(k->vv);
	free(k->Ktu);
	free(k->Kv);
	free(k->rs);
	free(k->cs);
	free(k->cz);
	free(k->tmp);
	free(k);
}

/* exp(x) for x ≤ 709, vectorisable: 2^k · p(r) with r = x − k ln 2,
 * |r| ≤ ln2/2, p the degree-12 Taylor polynomial (relative error ~2e-16);
 * 0 below −708. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline double fast_exp(double x)
{
	const double magic = 6755399441055744.0; /* 1.5 · 2^52 */
	double xc = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
	double k = __builtin_rint(xc * 1.4426950408889634);
	double kb = k + magic;
	double r = xc - k * 0.6931471803691238 - k * 1.9082149292705877e-10;
	double p = 1.0 / 479001600.0;
	uint64_t bits;
	double sc;
	p = p * r + 1.0 / 39916800.0;
	p = p * r + 1.0 / 3628800.0;
	p = p * r + 1.0 / 362880.0;
	p = p * r + 1.0 / 40320.0;
	p = p * r + 1.0 / 5040.0;
	p = p * r + 1.0 / 720.0;
	p = p * r + 1.0 / 120.0;
	p = p * r + 1.0 / 24.0;
	p = p * r + 1.0 / 6.0;
	p = p * r + 0.5;
	p = p * r + 1.0;
	p = p * r + 1.0;
	memcpy(&bits, &kb, sizeof bits);
	bits = (bits + 1023u) << 52;
	memcpy(&sc, &bits, sizeof sc);
	return x < -708.0 ? 0.0 : p * sc;
}

/* The four kernel loops below take fast-math: their inputs are finite
 * (validated), the sums may be reassociated, and fast_exp rounds with rint,
 * not an add/subtract trick. */

/* Σ_j exp(fs + gs_j − Mi_j·ie) and the largest exponent. */
CF_HOT("fast-math") static double row_sum(const double *Mi, const double *gs, double fs, double ie, int64_t m,
			     double *zmax)
{
	double s = 0, zm = -INFINITY;
	for (int64_t j = 0; j < m; j++) {
		double z = fs + gs[j] - Mi[j] * ie;
		zm = z > zm ? z : zm;
		s += fast_exp(z);
	}
	*zmax = zm;
	return s;
}

/* cs_j += exp(fs + gs_j − Mi_j·ie); cz_j = max(cz_j, exponent). */
CF_HOT("fast-math") static void col_accum(const double *Mi, const double *gs, double fs, double ie, int64_t m,
			     double *cs, double *cz)
{
	for (int64_t j = 0; j < m; j++) {
		double z = fs + gs[j] - Mi[j] * ie;
		cz[j] = z > cz[j] ? z : cz[j];
		cs[j] += fast_exp(z);
	}
}

CF_HOT("fast-math") static void col_max(const double *Mi, const double *gs, double fs, double ie, int64_t m,
			   double *cz)
{
	for (int64_t j = 0; j < m; j++) {
		double z = fs + gs[j] - Mi[j] * ie;
		cz[j] = z > cz[j] ? z : cz[j];
	}
}

CF_HOT("fast-math") static void col_accum_shift(const double *Mi, const double *gs, double fs, double ie,
				   int64_t m, const double *cz, double *cs)
{
	for (int64_t j = 0; j < m; j++)
		cs[j] += fast_exp(fs + gs[j] - Mi[j] * ie - cz[j]);
}

static int alloc_log(sk *k)
{
	k->f = calloc((size_t)k->n, sizeof(double));
	k->g = calloc((size_t)k->m, sizeof(double));
	k->rs = malloc((size_t)k->n * sizeof(double));
	k->cs = malloc((size_t)k->m * sizeof(double));
	k->cz = malloc((size_t)k->m * sizeof(double));
	k->tmp = malloc((size_t)(k->n > k->m ? k->n : k->m) * sizeof(double));
	return k->f && k->g && k->rs && k->cs && k->cz && k->tmp;
}

static void stage_reset(const cf_ot_solver *s, sk *k);

static int init_common(cf_ot_solver *s, cf_error *err, int variant)
{
	sk *k = calloc(1, sizeof *k);
	const cf_ot_problem *p = &s->prob;
	if (!k)
		return cf_error_set(err, CF_ENOMEM, "out of memory for Sinkhorn");
	s->impl = k;
	k->n = p->n;
	k->m = p->m;
	k->variant = variant;
	k->target = s->reg;
	k->eps = s->reg;
	k->la = malloc((size_t)p->n * sizeof(double));
	k->lb = malloc((size_t)p->m * sizeof(double));
	if (!k->la || !k->lb || !alloc_log(k))
		return cf_error_set(err, CF_ENOMEM, "out of memory for Sinkhorn (%lldx%lld)",
				    (long long)p->n, (long long)p->m);
	/* log 0 = −inf is handled: such a row gets f = −inf·… → use a floor so
	 * that the plan row is exactly 0 without NaN. */
	for (int64_t i = 0; i < p->n; i++)
		k->la[i] = p->a[i] > 0 ? log(p->a[i]) : -1e300;
	for (int64_t j = 0; j < p->m; j++)
		k->lb[j] = p->b[j] > 0 ? log(p->b[j]) : -1e300;
	if (variant == CF_OT_SINKHORN_EPS) {
		double mx = 0;
		for (int64_t q = 0; q < p->n * p->m; q++)
			mx = fmax(mx, fabs(p->M[q]));
		k->eps = fmax(k->target, mx);
	}
	if (variant == CF_OT_UNBALANCED)
		k->phi = s->par.reg_m / (s->par.reg_m + k->eps);
	k->mode = MODE_LOG;
	stage_reset(s, k);
	return CF_OK;
}

/* ---- log domain ---------------------------------------------------------- */

/* g update: columns become exact (balanced) or the KL-relaxed update. */
static double g_update(cf_ot_solver *s, sk *k, double *col_err)
{
	const double *M = s->prob.M;
	int64_t n = k->n, m = k->m;
	double ie = 1.0 / k->eps, *gs = k->tmp, change = 0;
	int bad = 0;

	for (int64_t j = 0; j < m; j++) {
		gs[j] = k->g[j] * ie;
		k->cs[j] = 0;
		k->cz[j] = -INFINITY;
	}
	for (int64_t i = 0; i < n; i++)
		col_accum(M + i * m, gs, k->f[i] * ie, ie, m, k->cs, k->cz);
	for (int64_t j = 0; j < m && !bad; j++)
		if (k->cz[j] > 700 || !(k->cs[j] >= 1e-280))
			bad = 1;
	if (bad) { /* exact: max-shifted log-sum-exp, two passes */
		for (int64_t j = 0; j < m; j++) {
			k->cs[j] = 0;
			k->cz[j] = -INFINITY;
		}
		for (int64_t i = 0; i < n; i++)
			col_max(M + i * m, gs, k->f[i] * ie, ie, m, k->cz);
		for (int64_t j = 0; j < m; j++)
			if (!isfinite(k->cz[j]))
				k->cz[j] = 0; /* a zero-mass column: its terms are all 0 */
		for (int64_t i = 0; i < n; i++)
			col_accum_shift(M + i * m, gs, k->f[i] * ie, ie, m, k->cz, k->cs);
	} else {
		for (int64_t j = 0; j < m; j++)
			k->cz[j] = 0;
	}
	if (col_err) { /* L1 column error of the current iterate; no update */
		double e = 0;
		for (int64_t j = 0; j < m; j++) {
			double lc = k->cz[j] + log(k->cs[j]);
			e += lc > 700 ? DBL_MAX / (double)(m + 1) : fabs(exp(lc) - s->prob.b[j]);
		}
		*col_err = e;
		return 0;
	}
	for (int64_t j = 0; j < m; j++) {
		/* log of the current column marginal */
		double lc = k->cz[j] + log(k->cs[j]);
		double step = k->eps * (k->lb[j] - lc), gn;
		if (k->variant == CF_OT_UNBALANCED)
			gn = k->phi * (k->g[j] + step);
		else
			gn = k->g[j] + k->omega * step;
		if (!isfinite(gn))
			gn = k->g[j] > -1e300 ? -1e300 : k->g[j];
		change = fmax(change, fabs(gn - k->g[j]));
		k->g[j] = gn;
	}
	return change;
}

/* Row marginal error of the current (f, g) and, unless it has converged,
 * the f update.  Returns the L1 error (balanced) or the potential change. */
static double f_update(cf_ot_solver *s, sk *k, int *converged, double tol)
{
	const double *M = s->prob.M;
	int64_t n = k->n, m = k->m;
	double ie = 1.0 / k->eps, *gs = k->tmp, e = 0, change = 0;

	for (int64_t j = 0; j < m; j++)
		gs[j] = k->g[j] * ie;
	for (int64_t i = 0; i < n; i++) {
		const double *Mi = M + i * m;
		double zm, S = row_sum(Mi, gs, k->f[i] * ie, ie, m, &zm), ls;
		if (zm > 700 || !(S >= 1e-280)) {
			/* exact: shift by the row maximum */
			double mx = -INFINITY, fs = k->f[i] * ie;
			for (int64_t j = 0; j < m; j++)
				mx = fmax(mx, fs + gs[j] - Mi[j] * ie);
			if (isfinite(mx)) {
				S = row_sum(Mi, gs, fs - mx, ie, m, &zm);
				ls = mx + log(S);
			} else {
				ls = -INFINITY; /* a zero-mass row */
			}
		} else {
			ls = log(S);
		}
		/* row marginal exp(ls); L1 error, capped so that it stays finite */
		e += ls > 700 ? DBL_MAX / (double)(n + 1) : fabs(exp(ls) - s->prob.a[i]);
		k->rs[i] = ls;
	}
	if (k->variant != CF_OT_UNBALANCED && e <= tol) {
		*converged = 1;
		return e;
	}
	for (int64_t i = 0; i < n; i++) {
		double step = k->eps * (k->la[i] - k->rs[i]), fn;
		fn = k->variant == CF_OT_UNBALANCED ? k->phi * (k->f[i] + step)
						    : k->f[i] + k->omega * step;
		if (!isfinite(fn))
			fn = -1e300;
		change = fmax(change, fabs(fn - k->f[i]));
		k->f[i] = fn;
	}
	return k->variant == CF_OT_UNBALANCED ? change : e;
}

static int push(cf_ot_solver *s, double e, cf_error *err)
{
	s->err_now = e;
	if (cf_ot_hist_push(s, e))
		return cf_error_set(err, CF_ENOMEM, "out of memory for the error history");
	return CF_OK;
}

/* Start an ε stage: plain updates first (ω = 1) so that the rate can be
 * measured, unless ω is fixed by the caller. */
static void stage_reset(const cf_ot_solver *s, sk *k)
{
	int relax = k->variant == CF_OT_SINKHORN_LOG || k->variant == CF_OT_SINKHORN_EPS;
	relax = relax && !k->relax_off;
	k->adaptive = relax && (s->par.omega == 0 || k->fixed_off);
	k->omega = relax && s->par.omega > 0 && !k->fixed_off ? s->par.omega : 1.0;
	k->e_relax_min = INFINITY;
	k->st_it = 0;
	k->verify = 0;
	k->e_mark = k->e_best = INFINITY;
}

/* Adaptive over-relaxation (successive over-relaxation of the two dual
 * blocks).  Plain Sinkhorn converges linearly with some rate ρ; after 2W
 * plain iterations ρ is measured from the error and ω is set to Young's
 * optimum 2/(1 + √(1 − ρ)).  With ω below the optimum SOR's rate λ obeys
 * (λ + ω − 1)² = λ ω² ρ, so after every further window of W iterations ρ is
 * re-estimated from the observed λ and ω raised when that shows it was too
 * low; if the window's smallest error did not improve on the previous
 * window's, ω backs off halfway to 1.  The row error oscillates under
 * over-relaxation, hence the rates use each window's smallest error.  The
 * updates stay in the log domain, so no ω can produce NaN or Inf. */
static void adapt_omega(sk *k, double e)
{
	const int64_t W = 20;
	const double wmax = 1.95;
	k->st_it++;
	if (!k->adaptive || !(e > 0) || !isfinite(e))
		return;
	k->e_best = fmin(k->e_best, e);
	if (k->st_it % W)
		return;
	if (k->st_it == W) {
		k->e_mark = k->e_best;
	} else if (k->omega == 1.0) {
		double rho = pow(k->e_best / k->e_mark, 1.0 / (double)W);
		if (k->st_it == 2 * W && rho > 0 && rho < 1)
			k->omega = fmin(wmax, 2.0 / (1.0 + sqrt(1.0 - rho)));
		k->e_mark = k->e_best;
	} else {
		double lam = pow(k->e_best / k->e_mark, 1.0 / (double)W), w = k->omega;
		if (!(lam < 1)) {
			k->omega = 1.0 + 0.5 * (w - 1.0);
		} else if (lam > w - 1.0 + 0.02) {
			double rho = (lam + w - 1.0) * (lam + w - 1.0) / (lam * w * w);
			double wn = rho < 1 ? 2.0 / (1.0 + sqrt(1.0 - rho)) : wmax;
			if (wn > w)
				k->omega = fmin(wmax, 0.5 * (w + wn));
		}
		k->e_mark = k->e_best;
	}
	k->e_best = INFINITY;
}

/* Over-relaxation converges only near the solution: from a cold start a
 * fixed ω = 1.8 at ε = 1e-3·max(M) drives the marginal error to 1e150,
 * where it cycles.  An error 1000 times the smallest seen under
 * over-relaxation is divergence: a fixed ω gives way to the adaptive one
 * (which starts with plain steps and measures the rate), and if that
 * diverges too, ω stays 1 for the rest of the solve.  Plain Sinkhorn
 * converges from any finite start, and every update stays in the log
 * domain, so nothing overflowed; the result's message says what happened. */
static void guard_relaxation(const cf_ot_solver *s, sk *k, double e)
{
	if (k->omega == 1.0)
		return;
	if (e < k->e_relax_min)
		k->e_relax_min = e;
	if (isfinite(e) && e <= 1e3 * k->e_relax_min)
		return;
	if (!k->adaptive) {
		snprintf(k->note, sizeof k->note,
			 "omega %.3g diverged at iteration %lld, continued with adaptive omega",
			 k->omega, (long long)s->iter);
		k->fixed_off = 1;
		k->adaptive = 1;
	} else {
		snprintf(k->note, sizeof k->note,
			 "adaptive omega diverged at iteration %lld, continued with omega 1",
			 (long long)s->iter);
		k->relax_off = 1;
		k->adaptive = 0;
	}
	k->omega = 1.0;
	k->st_it = 0;
	k->e_mark = k->e_best = k->e_relax_min = INFINITY;
}

static int iterate_log(cf_ot_solver *s, cf_error *err)
{
	sk *k = s->impl;
	int conv = 0;
	double e, gchange, stage_tol = s->par.tol;
	int last_stage = k->eps <= k->target;

	if (!last_stage)
		stage_tol = fmax(s->par.tol, 1e-4 * s->prob.a[0] * (double)s->prob.n);
	if (k->verify) {
		/* the f update was skipped because the rows were within the
		 * threshold; with ω ≠ 1 the columns are not exact, so measure
		 * them on the same iterate before declaring convergence */
		double ec;
		g_update(s, k, &ec);
		k->verify = 0;
		if (k->row_err + ec <= stage_tol) {
			e = k->row_err + ec;
			conv = 1;
			s->iter++;
			goto done;
		}
	}
	gchange = g_update(s, k, NULL);
	e = f_update(s, k, &conv, stage_tol);
	s->iter++;
	if (k->variant == CF_OT_UNBALANCED) {
		e = fmax(e, gchange) / k->eps;  /* change of log-scalings */
		conv = e <= s->par.tol;
	} else if (conv && k->omega != 1.0) {
		k->verify = 1;
		k->row_err = e;
		conv = 0;
	} else if (!conv) {
		guard_relaxation(s, k, e);
		adapt_omega(k, e);
	}
done:
	if (push(s, e, err))
		return CF_ENOMEM;
	if (conv && !last_stage) {
		k->eps = fmax(k->target, k->eps * s->par.eps_factor);
		stage_reset(s, k);
		return CF_OK;
	}
	if (conv)
		cf_ot_finish(s, CF_OT_CONVERGED, "converged after %lld iterations (%s %.3g <= %g%s)%s%s",
			     (long long)s->iter,
			     k->variant == CF_OT_UNBALANCED ? "potential change" : "L1 marginal error", e,
			     s->par.tol, k->adaptive || k->omega != 1.0 ? ", over-relaxed" : "",
			     k->note[0] ? "; " : "", k->note);
	return CF_OK;
}

/* ---- plain scaling ------------------------------------------------------- */

static int init_plain(cf_ot_solver *s, cf_error *err)
{
	int rc = init_common(s, err, CF_OT_SINKHORN);
	sk *k = s->impl;
	int64_t n = s->prob.n, m = s->prob.m;
	double ie;
	if (rc)
		return rc;
	k->K = malloc((size_t)(n * m) * sizeof(double));
	k->uu = malloc((size_t)n * sizeof(double));
	k->vv = malloc((size_t)m * sizeof(double));
	k->Ktu = malloc((size_t)m * sizeof(double));
	k->Kv = malloc((size_t)n * sizeof(double));
	if (!k->K || !k->uu || !k->vv || !k->Ktu || !k->Kv)
		return cf_error_set(err, CF_ENOMEM, "out of memory for the Sinkhorn kernel (%lldx%lld)",
				    (long long)n, (long long)m);
	ie = 1.0 / k->eps;
	for (int64_t q = 0; q < n * m; q++)
		k->K[q] = exp(-s->prob.M[q] * ie);
	for (int64_t i = 0; i < n; i++)
		k->uu[i] = 1.0;
	for (int64_t j = 0; j < m; j++)
		k->vv[j] = 1.0;
	k->mode = MODE_PLAIN;
	return CF_OK;
}

static int scal_ok(const double *x, int64_t k)
{
	for (int64_t i = 0; i < k; i++)
		if (!(x[i] > 1e-300 && x[i] < 1e300))
			return 0;
	return 1;
}

/* Plain form cannot go on: switch to the log domain or fail. */
static int plain_trouble(cf_ot_solver *s, sk *k, const char *what)
{
	if (s->par.log_fallback) {
		for (int64_t i = 0; i < k->n; i++)
			k->f[i] = k->eps * log(k->uu[i]);
		for (int64_t j = 0; j < k->m; j++)
			k->g[j] = k->eps * log(k->vv[j]);
		k->mode = MODE_LOG;
		snprintf(k->note, sizeof k->note, "%s at iteration %lld: switched to the log domain", what,
			 (long long)s->iter);
		return CF_OK;
	}
	cf_ot_finish(s, CF_OT_FAILED,
		     "plain Sinkhorn: %s at iteration %lld (eps = %g is too small for the kernel form "
		     "exp(-M/eps)); use sinkhorn-log or enable the log-domain fallback",
		     what, (long long)s->iter, k->eps);
	return CF_OK;
}

static int iterate_plain(cf_ot_solver *s, cf_error *err)
{
	sk *k = s->impl;
	int64_t n = k->n, m = k->m;
	double e = 0;

	if (k->mode == MODE_LOG)
		return iterate_log(s, err);
	cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)m, 1.0, k->K, (int)m, k->uu, 1, 0.0, k->Ktu, 1);
	for (int64_t j = 0; j < m; j++)
		k->Ktu[j] = s->prob.b[j] / k->Ktu[j];
	if (!scal_ok(k->Ktu, m))
		return plain_trouble(s, k, "the column scaling b/(K^T u) under- or overflowed");
	memcpy(k->vv, k->Ktu, (size_t)m * sizeof(double));
	cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)m, 1.0, k->K, (int)m, k->vv, 1, 0.0, k->Kv, 1);
	for (int64_t i = 0; i < n; i++) {
		double r = k->uu[i] * k->Kv[i];
		e += fabs(r - s->prob.a[i]);
		k->Kv[i] = s->prob.a[i] / k->Kv[i];
	}
	s->iter++;
	if (!isfinite(e))
		e = DBL_MAX;
	if (push(s, e, err))
		return CF_ENOMEM;
	if (e <= s->par.tol) {
		cf_ot_finish(s, CF_OT_CONVERGED,
			     "converged after %lld iterations (L1 marginal error %.3g <= %g)",
			     (long long)s->iter, e, s->par.tol);
		return CF_OK;
	}
	if (!scal_ok(k->Kv, n))
		return plain_trouble(s, k, "the row scaling a/(K v) under- or overflowed");
	memcpy(k->uu, k->Kv, (size_t)n * sizeof(double));
	return CF_OK;
}

static void plan(const cf_ot_solver *s, double *T, double *u, double *v)
{
	const sk *k = s->impl;
	int64_t n = k->n, m = k->m;
	const double *M = s->prob.M;
	if (k->mode == MODE_PLAIN) {
		if (T)
			for (int64_t i = 0; i < n; i++)
				for (int64_t j = 0; j < m; j++)
					T[i * m + j] = k->uu[i] * k->K[i * m + j] * k->vv[j];
		if (u)
			for (int64_t i = 0; i < n; i++)
				u[i] = k->eps * log(k->uu[i]);
		if (v)
			for (int64_t j = 0; j < m; j++)
				v[j] = k->eps * log(k->vv[j]);
		return;
	}
	if (T) {
		double ie = 1.0 / k->eps;
		for (int64_t i = 0; i < n; i++)
			for (int64_t j = 0; j < m; j++) {
				double z = (k->f[i] + k->g[j] - M[i * m + j]) * ie;
				T[i * m + j] = z < -745 ? 0.0 : exp(fmin(z, 709.0));
			}
	}
	if (u)
		memcpy(u, k->f, (size_t)n * sizeof *u);
	if (v)
		memcpy(v, k->g, (size_t)m * sizeof *v);
}

static int init_log(cf_ot_solver *s, cf_error *err) { return init_common(s, err, CF_OT_SINKHORN_LOG); }
static int init_eps(cf_ot_solver *s, cf_error *err) { return init_common(s, err, CF_OT_SINKHORN_EPS); }
static int init_unb(cf_ot_solver *s, cf_error *err) { return init_common(s, err, CF_OT_UNBALANCED); }

static void stats(const cf_ot_solver *s, double *eps, int64_t *nnz)
{
	if (eps)
		*eps = ((const sk *)s->impl)->eps;
	if (nnz)
		*nnz = -1;
}

const struct cf_ot_ops cf_ot_sinkhorn_ops = {"sinkhorn", init_plain, iterate_plain, plan, free_impl, stats};
const struct cf_ot_ops cf_ot_sinkhorn_log_ops = {"sinkhorn-log", init_log, iterate_log, plan, free_impl, stats};
const struct cf_ot_ops cf_ot_sinkhorn_eps_ops = {"sinkhorn-eps", init_eps, iterate_log, plan, free_impl, stats};
const struct cf_ot_ops cf_ot_unbalanced_ops = {"unbalanced", init_unb, iterate_log, plan, free_impl, stats};
