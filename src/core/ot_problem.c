/* ot_problem.c — OT problem validation, the generic solver driver, the
 * one-call solve and the optimality certificate.
 *
 * Every algorithm plugs into the same INITIALIZE / ITERATE / TEST loop
 * through a table of operations (ot_internal.h); limits, the progress
 * callback, timing and the error history are handled here once, so the
 * algorithms cannot disagree about what "limit" or "stopped" means.
 */
#include "ot_internal.h"
#include "names.h"
#include "ground.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cf_ot_params_init(cf_ot_params *p)
{
	memset(p, 0, sizeof *p);
	p->reg = 0.01;
	p->reg_scale = CF_OT_REG_ABS;
	p->reg_m = 1.0;
	p->tol = 1e-9;
	p->mass_tol = 1e-9;
	p->max_iter = 0;
	p->time_limit = 0;
	p->log_fallback = 1;
	p->eps_factor = 0.5;
}

void cf_ot_result_clear(cf_ot_result *r)
{
	if (!r)
		return;
	free(r->plan);
	free(r->u);
	free(r->v);
	free(r->err_hist);
	memset(r, 0, sizeof *r);
}

const char *const cf_ot_kind_names[] = {
	"exact", "emd", "assign", "sinkhorn", "sinkhorn-log", "sinkhorn-eps", "unbalanced",
	"sinkhorn-sparse", NULL
};
_Static_assert(sizeof cf_ot_kind_names / sizeof cf_ot_kind_names[0] == CF_OT_NKINDS + 1,
	       "a name per solver kind");

const char *cf_ot_kind_name(int kind)
{
	return cf_names_at(cf_ot_kind_names, kind);
}

int cf_ot_kind_parse(const char *name)
{
	return cf_names_find(cf_ot_kind_names, name);
}

const char *cf_ot_status_name(int status)
{
	switch (status) {
	case CF_OT_RUNNING: return "running";
	case CF_OT_OPTIMAL: return "optimal";
	case CF_OT_CONVERGED: return "converged";
	case CF_OT_LIMIT: return "limit";
	case CF_OT_STOPPED: return "stopped";
	case CF_OT_FAILED: return "failed";
	}
	return "?";
}

/* Checks one weight vector; `name` is "a" or "b". */
static int check_weights(const double *w, int64_t k, const char *name, double *sum, cf_error *err)
{
	double s = 0;
	if (!w) {
		*sum = 1.0;
		return CF_OK;
	}
	for (int64_t i = 0; i < k; i++) {
		if (!isfinite(w[i]))
			return cf_error_set(err, CF_EINVAL, "weight %s[%lld] is not finite", name, (long long)i);
		if (w[i] < 0)
			return cf_error_set(err, CF_EINVAL, "weight %s[%lld] = %g is negative", name,
					    (long long)i, w[i]);
		s += w[i];
	}
	if (!(s > 0) || !isfinite(s))
		return cf_error_set(err, CF_EINVAL, "weights %s sum to %s, expected a positive finite sum",
				    name, isfinite(s) ? "0" : "more than the largest double");
	*sum = s;
	return CF_OK;
}

int cf_ot_problem_check(const cf_ot_problem *p, const cf_ot_params *params, cf_error *err)
{
	double sa, sb, tol = params ? params->mass_tol : 1e-9;
	int rc;

	if (!p)
		return cf_error_set(err, CF_EINVAL, "no problem given");
	if (p->n < 1 || p->m < 1)
		return cf_error_set(err, CF_EINVAL, "cost matrix is %lldx%lld, expected at least 1x1",
				    (long long)p->n, (long long)p->m);
	if (p->n > (int64_t)1 << 31 || p->m > (int64_t)1 << 31 || p->n * p->m > (int64_t)1 << 40)
		return cf_error_set(err, CF_EINVAL, "cost matrix %lldx%lld is too large",
				    (long long)p->n, (long long)p->m);
	if (!p->M)
		return cf_error_set(err, CF_EINVAL, "no cost matrix given");
	if (!(tol >= 0))
		return cf_error_set(err, CF_EINVAL, "mass tolerance %g must be >= 0", tol);
	for (int64_t k = 0, nm = p->n * p->m; k < nm; k++)
		if (!isfinite(p->M[k]))
			return cf_error_set(err, CF_EINVAL, "cost M[%lld][%lld] is not finite (%s)",
					    (long long)(k / p->m), (long long)(k % p->m),
					    isnan(p->M[k]) ? "NaN" : p->M[k] > 0 ? "+Inf" : "-Inf");
	if ((rc = check_weights(p->a, p->n, "a", &sa, err)) ||
	    (rc = check_weights(p->b, p->m, "b", &sb, err)))
		return rc;
	if (fabs(sa - sb) > tol * fmax(sa, sb))
		return cf_error_set(err, CF_EINVAL,
				    "marginals do not balance: sum(a) = %.17g, sum(b) = %.17g "
				    "(relative difference %.3g > tolerance %g)",
				    sa, sb, fabs(sa - sb) / fmax(sa, sb), tol);
	return CF_OK;
}

int cf_ot_reg_resolve(const cf_ot_problem *p, const cf_ot_params *par, double *eps, cf_error *err)
{
	double scale = 1, nm = (double)(p->n * p->m);
	if (!isfinite(par->reg) || !(par->reg > 0))
		return cf_error_set(err, CF_EINVAL, "regularisation reg = %g, expected a finite value > 0",
				    par->reg);
	if (par->reg_scale == CF_OT_REG_MAX) {
		scale = p->M[0];
		for (int64_t k = 1; k < p->n * p->m; k++)
			scale = fmax(scale, p->M[k]);
	} else if (par->reg_scale == CF_OT_REG_MEDIAN) {
		if (cf_ground_median(p->M, p->n * p->m, &scale))
			return cf_error_set(err, CF_ENOMEM, "out of memory computing the median of M (%.0f entries)", nm);
	} else if (par->reg_scale != CF_OT_REG_ABS) {
		return cf_error_set(err, CF_EINVAL, "unknown regularisation scale %d", par->reg_scale);
	}
	*eps = par->reg * scale;
	if (!isfinite(*eps) || !(*eps > 0))
		return cf_error_set(err, CF_EINVAL,
				    "regularisation %g relative to %s(M) = %g gives eps = %g; expected > 0",
				    par->reg, par->reg_scale == CF_OT_REG_MAX ? "max" : "median", scale, *eps);
	return CF_OK;
}

int cf_ot_hist_push(struct cf_ot_solver *s, double e)
{
	if (s->n_hist == s->cap_hist) {
		int64_t cap = s->cap_hist ? 2 * s->cap_hist : 256;
		double *h = realloc(s->hist, (size_t)cap * sizeof *h);
		if (!h)
			return CF_ENOMEM;
		s->hist = h;
		s->cap_hist = cap;
	}
	s->hist[s->n_hist++] = e;
	return CF_OK;
}

void cf_ot_finish(struct cf_ot_solver *s, int status, const char *fmt, ...)
{
	va_list ap;
	s->status = status;
	va_start(ap, fmt);
	vsnprintf(s->message, sizeof s->message, fmt, ap);
	va_end(ap);
}

/* Whether every entry of w (length k, NULL = uniform) is the same. */
static int is_uniform(const double *w, int64_t k)
{
	if (!w)
		return 1;
	for (int64_t i = 1; i < k; i++)
		if (w[i] != w[0])
			return 0;
	return 1;
}

static int check_params(int kind, const cf_ot_params *par, cf_error *err)
{
	if (par->max_iter < 0)
		return cf_error_set(err, CF_EINVAL, "max_iter = %lld, expected >= 0", (long long)par->max_iter);
	if (!isfinite(par->time_limit) || par->time_limit < 0)
		return cf_error_set(err, CF_EINVAL, "time limit %g s, expected a finite value >= 0",
				    par->time_limit);
	if (kind >= CF_OT_SINKHORN) {
		if (!isfinite(par->tol) || !(par->tol > 0))
			return cf_error_set(err, CF_EINVAL, "tolerance tol = %g, expected a finite value > 0",
					    par->tol);
		if (!isfinite(par->reg) || !(par->reg > 0))
			return cf_error_set(err, CF_EINVAL,
					    "regularisation reg = %g, expected a finite value > 0", par->reg);
	}
	if (kind == CF_OT_UNBALANCED && (!isfinite(par->reg_m) || !(par->reg_m > 0)))
		return cf_error_set(err, CF_EINVAL,
				    "marginal penalty reg_m = %g, expected a finite value > 0", par->reg_m);
	if ((kind == CF_OT_SINKHORN_EPS || kind == CF_OT_SINKHORN_SPARSE) &&
	    (!isfinite(par->eps_factor) || !(par->eps_factor > 0) || !(par->eps_factor < 1)))
		return cf_error_set(err, CF_EINVAL, "eps_factor = %g, expected a value in (0, 1)",
				    par->eps_factor);
	if (!isfinite(par->omega) || par->omega < 0 || !(par->omega < 2))
		return cf_error_set(err, CF_EINVAL,
				    "over-relaxation omega = %g, expected 0 (adaptive) or a value in (0, 2)",
				    par->omega);
	return CF_OK;
}

cf_ot_solver *cf_ot_solver_alloc(cf_ot_kind kind, const cf_ot_problem *p,
				 const cf_ot_params *params, cf_error *err)
{
	cf_ot_params def;
	cf_ot_solver *s;
	cf_ot_params par;
	cf_ot_params mass_par;
	int rc;
	double t0 = cf_progress_clock();

	if (!params) {
		cf_ot_params_init(&def);
		params = &def;
	}
	par = *params;
	if ((int)kind < 0 || kind >= CF_OT_NKINDS) {
		cf_error_set(err, CF_EINVAL, "unknown OT solver kind %d", (int)kind);
		return NULL;
	}
	if (check_params(kind, &par, err))
		return NULL;
	mass_par = par;
	if (kind == CF_OT_UNBALANCED)      /* unbalanced problems need not balance */
		mass_par.mass_tol = INFINITY;
	if (cf_ot_problem_check(p, &mass_par, err))
		return NULL;
	if (kind == CF_OT_EXACT)
		kind = (p->n == p->m && is_uniform(p->a, p->n) && is_uniform(p->b, p->m)) ? CF_OT_ASSIGN
											: CF_OT_EMD;
	if (kind == CF_OT_ASSIGN && !(p->n == p->m && is_uniform(p->a, p->n) && is_uniform(p->b, p->m))) {
		cf_error_set(err, CF_EINVAL,
			     "assignment solver needs a square problem with uniform weights (got %lldx%lld%s); "
			     "use the network simplex (emd)",
			     (long long)p->n, (long long)p->m,
			     p->n == p->m ? ", non-uniform weights" : "");
		return NULL;
	}
	if (!(s = calloc(1, sizeof *s))) {
		cf_error_set(err, CF_ENOMEM, "out of memory allocating an OT solver");
		return NULL;
	}
	s->start = t0;
	s->kind = kind;
	s->par = par;
	s->prob = *p;
	s->err_now = NAN;
	if (!p->a || !p->b) {
		double *w = malloc((size_t)(p->n + p->m) * sizeof *w);
		if (!w) {
			free(s);
			cf_error_set(err, CF_ENOMEM, "out of memory for uniform weights");
			return NULL;
		}
		s->ab_own = w;
		if (!p->a) {
			for (int64_t i = 0; i < p->n; i++)
				w[i] = 1.0 / (double)p->n;
			s->prob.a = w;
		}
		if (!p->b) {
			for (int64_t j = 0; j < p->m; j++)
				w[p->n + j] = 1.0 / (double)p->m;
			s->prob.b = w + p->n;
		}
	}
	switch (kind) {
	case CF_OT_EMD: s->ops = &cf_ot_simplex_ops; break;
	case CF_OT_ASSIGN: s->ops = &cf_ot_assign_ops; break;
	case CF_OT_SINKHORN: s->ops = &cf_ot_sinkhorn_ops; break;
	case CF_OT_SINKHORN_LOG: s->ops = &cf_ot_sinkhorn_log_ops; break;
	case CF_OT_SINKHORN_EPS: s->ops = &cf_ot_sinkhorn_eps_ops; break;
	case CF_OT_SINKHORN_SPARSE: s->ops = &cf_ot_sinkhorn_sparse_ops; break;
	default: s->ops = &cf_ot_unbalanced_ops; break;
	}
	if (kind >= CF_OT_SINKHORN) {
		if (par.max_iter == 0)
			s->par.max_iter = 100000;
		if ((rc = cf_ot_reg_resolve(&s->prob, &par, &s->reg, err))) {
			cf_ot_solver_free(s);
			return NULL;
		}
		/* ε against the costs decides how long Sinkhorn takes: the
		 * progress line says it */
		s->cost_max = 0;
		for (int64_t k = 0; k < s->prob.n * s->prob.m; k++)
			if (isfinite(s->prob.M[k]) && s->prob.M[k] > s->cost_max)
				s->cost_max = s->prob.M[k];
	}
	if ((rc = s->ops->init(s, err))) {
		cf_ot_solver_free(s);
		return NULL;
	}
	s->elapsed = cf_progress_clock() - t0;
	return s;
}

void cf_ot_solver_free(cf_ot_solver *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->free)
		s->ops->free(s->impl);
	free(s->ab_own);
	free(s->hist);
	free(s);
}

int cf_ot_solver_iterate(cf_ot_solver *s, cf_error *err)
{
	double t0;
	int rc;
	char what[128];

	if (s->status != CF_OT_RUNNING)
		return CF_OK;
	t0 = cf_progress_clock();
	rc = s->ops->iterate(s, err);
	s->elapsed += cf_progress_clock() - t0;
	if (rc) {
		if (s->status == CF_OT_RUNNING)
			cf_ot_finish(s, CF_OT_FAILED, "%s", err ? err->msg : "solver failed");
		return rc;
	}
	if (s->status == CF_OT_RUNNING && s->par.progress.fn) {
		/* the marginal error and ε against the largest cost too: a front
		 * end shows how far the solver is, and why it is slow */
		int used = snprintf(what, sizeof what, "%s iteration %lld", s->ops->name,
				    (long long)s->iter);
		if (!isnan(s->err_now))
			used += snprintf(what + used, sizeof what - (size_t)used, " error %.3g",
					 s->err_now);
		if (s->reg > 0 && s->cost_max > 0)
			snprintf(what + used, sizeof what - (size_t)used, " eps/max(M) %.2g",
				 s->reg / s->cost_max);
		if (cf_progress_report(&s->par.progress, what, -1.0))
			cf_ot_finish(s, CF_OT_STOPPED, "stopped by the caller after %lld iterations",
				     (long long)s->iter);
	}
	return CF_OK;
}

int cf_ot_solver_test(cf_ot_solver *s)
{
	if (s->status != CF_OT_RUNNING)
		return s->status;
	/* the marginal error is not named here: the solvers' own running error
	 * may cover the rows only; cf_ot_solver_result adds the returned plan's */
	if (s->par.max_iter > 0 && s->iter >= s->par.max_iter)
		cf_ot_finish(s, CF_OT_LIMIT, "iteration limit %lld reached", (long long)s->par.max_iter);
	else if (s->par.time_limit > 0 && cf_progress_clock() - s->start >= s->par.time_limit)
		cf_ot_finish(s, CF_OT_LIMIT, "time limit %g s reached after %lld iterations",
			     s->par.time_limit, (long long)s->iter);
	return s->status;
}

void cf_ot_solver_plan(const cf_ot_solver *s, double *plan, double *u, double *v)
{
	s->ops->plan(s, plan, u, v);
}

int64_t cf_ot_solver_iterations(const cf_ot_solver *s) { return s->iter; }
double cf_ot_solver_error(const cf_ot_solver *s) { return s->err_now; }
const char *cf_ot_solver_name(const cf_ot_solver *s) { return s->ops->name; }

/* Costs near the ends of the double range (±1e308) make potentials,
 * plan masses or the cost sum overflow even when every entry is finite.
 * No Inf or NaN is ever handed out as a result: such a result becomes
 * status FAILED, the message says why, and cost, plan and duals are 0 —
 * not numbers anyone could mistake for an answer. */
static void result_finite(const cf_ot_solver *s, cf_ot_result *r)
{
	int64_t n = r->n, m = r->m, bad = !isfinite(r->cost) || !isfinite(r->marg_err);
	double big = 0;
	for (int64_t k = 0; k < n * m && !bad; k++)
		bad = !isfinite(r->plan[k]);
	for (int64_t i = 0; i < n && !bad; i++)
		bad = !isfinite(r->u[i]);
	for (int64_t j = 0; j < m && !bad; j++)
		bad = !isfinite(r->v[j]);
	if (!bad)
		return;
	for (int64_t k = 0; k < n * m; k++)
		big = fmax(big, fabs(s->prob.M[k]));
	snprintf(r->message, sizeof r->message,
		 "the %s overflows double precision with costs up to %.3g in magnitude: divide the costs (and an absolute epsilon) by their largest magnitude and multiply the cost back",
		 !isfinite(r->cost) ? "cost" : "plan or its duals", big);
	r->status = CF_OT_FAILED;
	r->cost = 0;
	r->marg_err = 0;
	memset(r->plan, 0, sizeof(double) * (size_t)(n * m));
	memset(r->u, 0, sizeof(double) * (size_t)n);
	memset(r->v, 0, sizeof(double) * (size_t)m);
}

double cf_ot_solver_eps(const cf_ot_solver *s)
{
	double eps = s->reg;
	if (s->ops->stats)
		s->ops->stats(s, &eps, NULL);
	return eps;
}

int64_t cf_ot_solver_kernel_size(const cf_ot_solver *s)
{
	int64_t nnz = -1;
	if (s->ops->stats)
		s->ops->stats(s, NULL, &nnz);
	return nnz;
}

/* Σ T∘M and the L1 marginal error (rows and columns) of a plan in one pass. */
static int plan_cost_error(const cf_ot_problem *p, const double *T, double *cost, double *l1)
{
	int64_t n = p->n, m = p->m;
	double c = 0, e = 0, *col = calloc((size_t)m, sizeof *col);
	if (!col)
		return CF_ENOMEM;
	for (int64_t i = 0; i < n; i++) {
		const double *Ti = T + i * m, *Mi = p->M + i * m;
		double ci = 0, ri = 0;
		for (int64_t j = 0; j < m; j++) {
			ci += Ti[j] * Mi[j];
			ri += Ti[j];
			col[j] += Ti[j];
		}
		c += ci;
		e += fabs(ri - p->a[i]);
	}
	for (int64_t j = 0; j < m; j++)
		e += fabs(col[j] - p->b[j]);
	free(col);
	*cost = c;
	*l1 = e;
	return CF_OK;
}

int cf_ot_solver_result(const cf_ot_solver *s, cf_ot_result *r, cf_error *err)
{
	int64_t n = s->prob.n, m = s->prob.m;
	memset(r, 0, sizeof *r);
	r->plan = malloc((size_t)(n * m) * sizeof(double));
	r->u = malloc((size_t)n * sizeof(double));
	r->v = malloc((size_t)m * sizeof(double));
	if (s->n_hist)
		r->err_hist = malloc((size_t)s->n_hist * sizeof(double));
	if (!r->plan || !r->u || !r->v || (s->n_hist && !r->err_hist)) {
		cf_ot_result_clear(r);
		return cf_error_set(err, CF_ENOMEM, "out of memory for a %lldx%lld transport plan",
				    (long long)n, (long long)m);
	}
	r->n = n;
	r->m = m;
	s->ops->plan(s, r->plan, r->u, r->v);
	if (plan_cost_error(&s->prob, r->plan, &r->cost, &r->marg_err)) {
		cf_ot_result_clear(r);
		return cf_error_set(err, CF_ENOMEM, "out of memory for a %lldx%lld transport plan",
				    (long long)n, (long long)m);
	}
	if (s->n_hist)
		memcpy(r->err_hist, s->hist, (size_t)s->n_hist * sizeof(double));
	r->n_err = s->n_hist;
	r->iterations = s->iter;
	r->status = s->status;
	r->kind = s->kind;
	r->reg = s->reg;
	r->time = s->elapsed;
	snprintf(r->message, sizeof r->message, "%s",
		 s->message[0] ? s->message : cf_ot_status_name(s->status));
	if (s->status == CF_OT_LIMIT || s->status == CF_OT_STOPPED) {
		size_t L = strlen(r->message);
		snprintf(r->message + L, sizeof r->message - L, " (L1 marginal error %.3g)", r->marg_err);
	}
	result_finite(s, r);
	return CF_OK;
}

int cf_ot_solve(cf_ot_kind kind, const cf_ot_problem *p, const cf_ot_params *params,
		cf_ot_result *r, cf_error *err)
{
	cf_ot_solver *s;
	int rc;

	memset(r, 0, sizeof *r);
	if (!(s = cf_ot_solver_alloc(kind, p, params, err)))
		return err ? err->code : CF_EINVAL;
	while (cf_ot_solver_test(s) == CF_OT_RUNNING)
		if (cf_ot_solver_iterate(s, err) != CF_OK)
			break;
	if (s->status == CF_OT_FAILED && err && err->code == CF_ENOMEM) {
		cf_ot_solver_free(s);
		return CF_ENOMEM;
	}
	rc = cf_ot_solver_result(s, r, err);
	cf_ot_solver_free(s);
	return rc;
}

int cf_ot_check(const cf_ot_problem *p, const double *T, const double *u, const double *v,
		cf_ot_report *rep, cf_error *err)
{
	int64_t n, m;
	double pe = 0, viol = 0, slack = 0, cost = 0, dobj = 0, scale = 0, sa = 0;
	double *col;
	int rc;
	cf_ot_params par;

	cf_ot_params_init(&par);
	par.mass_tol = INFINITY;
	if ((rc = cf_ot_problem_check(p, &par, err)))
		return rc;
	if (!T || !u || !v)
		return cf_error_set(err, CF_EINVAL, "certificate needs a plan and both duals");
	n = p->n;
	m = p->m;
	if (!(col = calloc((size_t)m, sizeof *col)))
		return cf_error_set(err, CF_ENOMEM, "out of memory");
	for (int64_t i = 0; i < n; i++) {
		const double *Ti = T + i * m, *Mi = p->M + i * m;
		double ai = p->a ? p->a[i] : 1.0 / (double)n, row = 0, minr = INFINITY;
		for (int64_t j = 0; j < m; j++) {
			double r = Mi[j] - u[i] - v[j];
			row += Ti[j];
			col[j] += Ti[j];
			if (Ti[j] < 0)
				pe += -Ti[j];
			slack += fabs(Ti[j]) * fabs(r);
			cost += Ti[j] * Mi[j];
			if (r < minr)
				minr = r;
			if (fabs(Mi[j]) > scale)
				scale = fabs(Mi[j]);
		}
		pe += fabs(row - ai);
		if (-minr > viol)
			viol = -minr;
		dobj += ai * u[i];
		sa += ai;
	}
	for (int64_t j = 0; j < m; j++) {
		double bj = p->b ? p->b[j] : 1.0 / (double)m;
		pe += fabs(col[j] - bj);
		dobj += bj * v[j];
	}
	free(col);
	rep->primal_err = pe;
	rep->dual_viol = viol;
	rep->slackness = slack;
	rep->cost = cost;
	rep->dual_obj = dobj;
	rep->gap = fabs(cost - dobj);
	rep->scale = scale;
	rep->mass = sa;
	rep->rel_gap = rep->gap / fmax(fmax(fabs(cost), scale * sa), 1e-300);
	if (!isfinite(pe) || !isfinite(viol) || !isfinite(slack) || !isfinite(dobj))
		rep->rel_gap = INFINITY;
	return CF_OK;
}

int cf_ot_report_optimal(const cf_ot_report *r, double tol)
{
	double s = r->scale > 0 ? r->scale : 1.0;
	return isfinite(r->rel_gap) && r->primal_err <= tol * r->mass && r->dual_viol <= tol * s &&
	       r->slackness <= tol * s && r->rel_gap <= tol;
}
