/* test_ot_sinkhorn.c — entropic solvers: plain, log-domain, ε-scaling,
 * unbalanced.  Convergence to the stated L1 marginal threshold, the cost
 * approaching the exact optimum as ε shrinks, the closed-form 1×1 and
 * decoupled unbalanced solutions, underflow handling (fallback or a clean
 * failure, never NaN), relative ε, stepping, and bad parameters.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OT_CHECK_SEED 1234567891234567ull
#include "ot.h"
#include "ot_check.h"
#include "tap.h"

static int all_finite(const double *x, int64_t k)
{
	for (int64_t i = 0; i < k; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

static void test_convergence(void)
{
	enum { N = 40, M_ = 30 };
	double M[N * M_], a[N], b[M_];
	cf_ot_problem p = {N, M_, a, b, M};
	cf_ot_params par;
	cf_ot_result r, ex;
	cf_error err = {0};
	int kinds[3] = {CF_OT_SINKHORN, CF_OT_SINKHORN_LOG, CF_OT_SINKHORN_EPS};
	double prev_gap = INFINITY;
	int monotone = 1;

	random_problem(N, M_, M, a, b);
	cf_ot_solve(CF_OT_EMD, &p, NULL, &ex, &err);
	cf_ot_params_init(&par);
	par.reg = 0.05;
	for (int q = 0; q < 3; q++) {
		double e;
		cf_ot_solve(kinds[q], &p, &par, &r, &err);
		e = ot_marg_err(&p, r.plan, NULL);
		ok(r.status == CF_OT_CONVERGED && e <= 1e-9 && all_finite(r.plan, N * M_),
		   "%s converges at eps 0.05: L1 marginal error %.2g <= 1e-9 (%lld it)", cf_ot_kind_name(kinds[q]),
		   e, (long long)r.iterations);
		ok(r.n_err >= 1 && r.err_hist[r.n_err - 1] <= 1e-9, "%s records its error history (%lld entries)",
		   cf_ot_kind_name(kinds[q]), (long long)r.n_err);
		cf_ot_result_clear(&r);
	}
	/* plain and log-domain agree */
	{
		cf_ot_result r1, r2;
		double d = 0;
		cf_ot_solve(CF_OT_SINKHORN, &p, &par, &r1, &err);
		cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r2, &err);
		for (int k = 0; k < N * M_; k++)
			d = fmax(d, fabs(r1.plan[k] - r2.plan[k]));
		ok(d < 1e-10, "plain and log-domain plans agree (max diff %.2g)", d);
		cf_ot_result_clear(&r1);
		cf_ot_result_clear(&r2);
	}
	/* cost approaches the exact optimum as eps shrinks */
	for (double eps = 1e-1; eps >= 1e-4; eps /= 10) {
		double gap;
		par.reg = eps;
		par.reg_scale = CF_OT_REG_MAX;
		cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r, &err);
		gap = r.cost - ex.cost;
		tap_diag("eps %g·max: cost %.12g, exact %.12g, %lld it", eps, r.cost, ex.cost, (long long)r.iterations);
		if (!(r.status == CF_OT_CONVERGED && gap < prev_gap && gap >= -1e-9))
			monotone = 0;
		prev_gap = gap;
		cf_ot_result_clear(&r);
	}
	ok(monotone && prev_gap < 1e-3 * ex.cost, "entropic cost decreases to the exact one as eps shrinks (gap %.2g at 1e-4·max)",
	   prev_gap);
	cf_ot_result_clear(&ex);
}

static void test_small_eps(void)
{
	enum { N = 50 };
	double M[N * N], a[N], b[N];
	cf_ot_problem p = {N, N, a, b, M};
	cf_ot_params par;
	cf_ot_result r;
	cf_error err = {0};

	random_problem(N, N, M, a, b);
	for (int k = 0; k < N * N; k++)
		M[k] = 1000 + 100 * M[k]; /* every exp(-M/eps) underflows at eps = 1e-3·max */
	cf_ot_params_init(&par);
	par.reg = 1e-3;
	par.reg_scale = CF_OT_REG_MAX;
	par.log_fallback = 0;
	cf_ot_solve(CF_OT_SINKHORN, &p, &par, &r, &err);
	ok(r.status == CF_OT_FAILED && all_finite(r.plan, N * N) && strstr(r.message, "too small"),
	   "plain Sinkhorn at eps 1e-3·max without fallback fails cleanly: %s", r.message);
	cf_ot_result_clear(&r);
	par.log_fallback = 1;
	cf_ot_solve(CF_OT_SINKHORN, &p, &par, &r, &err);
	ok(r.status == CF_OT_CONVERGED && all_finite(r.plan, N * N) &&
		   ot_marg_err(&p, r.plan, NULL) <= 1e-9 &&
	   strstr(r.message, "log domain"),
	   "with fallback it switches to the log domain and converges: %s", r.message);
	cf_ot_result_clear(&r);
	cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r, &err);
	ok(r.status == CF_OT_CONVERGED && all_finite(r.plan, N * N) && all_finite(r.u, N) &&
		   ot_marg_err(&p, r.plan, NULL) <= 1e-9,
	   "log-domain converges at eps = 1e-3·max(M) (%lld it, eps %.3g)", (long long)r.iterations, r.reg);
	cf_ot_result_clear(&r);
	cf_ot_solve(CF_OT_SINKHORN_EPS, &p, &par, &r, &err);
	ok(r.status == CF_OT_CONVERGED && ot_marg_err(&p, r.plan, NULL) <= 1e-9,
	   "eps-scaling converges at eps = 1e-3·max(M) (%lld it)", (long long)r.iterations);
	cf_ot_result_clear(&r);
	par.max_iter = 5;
	cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r, &err);
	ok(r.status == CF_OT_LIMIT && r.iterations == 5 && all_finite(r.plan, N * N),
	   "iteration limit gives status limit and a finite plan (%s)", r.message);
	cf_ot_result_clear(&r);
}

static void test_unbalanced(void)
{
	/* 1×1: t = exp((τ log(ab) − c)/(2τ + ε)) minimises
	 * tc + ε(t log t − t) + τ KL(t|a) + τ KL(t|b). */
	double cases[4][5] = {{0.7, 1.3, 0.4, 0.5, 2.0},
			      {2.0, 0.5, 1.0, 0.1, 0.3},
			      {1.0, 1.0, 0.0, 1.0, 1.0},
			      {0.3, 0.9, 2.5, 0.05, 10.0}};
	for (int q = 0; q < 4; q++) {
		double a = cases[q][0], b = cases[q][1], c = cases[q][2], eps = cases[q][3], tau = cases[q][4];
		double want = exp((tau * log(a * b) - c) / (2 * tau + eps));
		cf_ot_problem p = {1, 1, &a, &b, &c};
		cf_ot_params par;
		cf_ot_result r;
		cf_error err = {0};
		cf_ot_params_init(&par);
		par.reg = eps;
		par.reg_m = tau;
		par.tol = 1e-13;
		cf_ot_solve(CF_OT_UNBALANCED, &p, &par, &r, &err);
		ok(r.status == CF_OT_CONVERGED && fabs(r.plan[0] - want) <= 1e-10 * want,
		   "unbalanced 1x1 (a=%g b=%g c=%g eps=%g tau=%g): t = %.12g, closed form %.12g", a, b, c, eps,
		   tau, r.plan[0], want);
		cf_ot_result_clear(&r);
	}
	/* Decoupled supports: huge off-diagonal costs make each diagonal pair a
	 * 1×1 problem. */
	{
		double a[3] = {0.2, 0.5, 0.9}, b[3] = {0.4, 0.1, 1.2}, M[9], worst = 0;
		cf_ot_problem p = {3, 3, a, b, M};
		cf_ot_params par;
		cf_ot_result r;
		cf_error err = {0};
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++)
				M[i * 3 + j] = i == j ? 0.1 * i : 1e4;
		cf_ot_params_init(&par);
		par.reg = 0.2;
		par.reg_m = 0.7;
		par.tol = 1e-13;
		cf_ot_solve(CF_OT_UNBALANCED, &p, &par, &r, &err);
		for (int i = 0; i < 3; i++) {
			double w = exp((0.7 * log(a[i] * b[i]) - 0.1 * i) / (2 * 0.7 + 0.2));
			worst = fmax(worst, fabs(r.plan[i * 4] - w) / w);
		}
		ok(r.status == CF_OT_CONVERGED && worst < 1e-10 && r.plan[1] < 1e-300,
		   "unbalanced decoupled 3x3 matches the closed form per pair (rel err %.2g)", worst);
		cf_ot_result_clear(&r);
	}
	/* Unbalanced does not require balanced sums; large tau approaches balanced. */
	{
		double a[2] = {0.5, 0.5}, b[2] = {0.3, 0.9}, M[4] = {0, 1, 1, 0};
		cf_ot_problem p = {2, 2, a, b, M};
		cf_ot_result r;
		cf_error err = {0};
		ok(cf_ot_solve(CF_OT_UNBALANCED, &p, NULL, &r, &err) == CF_OK && r.status == CF_OT_CONVERGED &&
			   all_finite(r.plan, 4),
		   "unbalanced accepts sums 1 vs 1.2 (%s)", r.message);
		cf_ot_result_clear(&r);
	}
}

static void test_reg_scale_and_stepping(void)
{
	double M[6] = {1, 5, 3, 6, 2, 4}, eps;
	cf_ot_problem p = {2, 3, NULL, NULL, M};
	cf_ot_params par;
	cf_error err = {0};
	cf_ot_solver *s;
	int steps = 0, decreasing = 1;
	double last = INFINITY;

	cf_ot_params_init(&par);
	par.reg = 0.1;
	par.reg_scale = CF_OT_REG_MAX;
	cf_ot_reg_resolve(&p, &par, &eps, &err);
	is_double(eps, 0.6, 1e-15, "reg 0.1 relative to max(M)=6");
	par.reg_scale = CF_OT_REG_MEDIAN;
	cf_ot_reg_resolve(&p, &par, &eps, &err);
	is_double(eps, 0.3, 1e-15, "reg 0.1 relative to the lower median 3");
	par.reg_scale = CF_OT_REG_ABS;
	par.omega = 1; /* plain updates: the error of plain Sinkhorn is monotone */
	s = cf_ot_solver_alloc(CF_OT_SINKHORN_LOG, &p, &par, &err);
	while (cf_ot_solver_test(s) == CF_OT_RUNNING) {
		cf_ot_solver_iterate(s, &err);
		if (steps > 2 && !(cf_ot_solver_error(s) <= last * 1.0000001))
			decreasing = 0;
		last = cf_ot_solver_error(s);
		steps++;
	}
	ok(cf_ot_solver_test(s) == CF_OT_CONVERGED && decreasing && steps > 1,
	   "stepping Sinkhorn: %d steps, marginal error decreases to %.2g", steps, last);
	cf_ot_solver_free(s);
}

static void expect_einval(int kind, const cf_ot_problem *p, const cf_ot_params *par, const char *what)
{
	cf_ot_result r;
	cf_error err = {0};
	int rc = cf_ot_solve(kind, p, par, &r, &err);
	ok(rc == CF_EINVAL && r.plan == NULL, "%s -> error: %s", what, err.msg);
	cf_ot_result_clear(&r);
}

static void test_bad(void)
{
	double M[4] = {0, 1, 1, 0}, a[2] = {0.5, 0.5}, b[2] = {0.2, 0.2};
	cf_ot_problem p = {2, 2, NULL, NULL, M};
	cf_ot_params par;
	cf_ot_params_init(&par);
	par.reg = NAN;
	expect_einval(CF_OT_SINKHORN, &p, &par, "NaN reg");
	par.reg = INFINITY;
	expect_einval(CF_OT_SINKHORN_LOG, &p, &par, "infinite reg");
	par.reg = -1;
	expect_einval(CF_OT_SINKHORN_EPS, &p, &par, "negative reg");
	par.reg = 0.1;
	par.reg_m = NAN;
	expect_einval(CF_OT_UNBALANCED, &p, &par, "NaN reg_m");
	par.reg_m = 1;
	par.tol = 0;
	expect_einval(CF_OT_SINKHORN, &p, &par, "zero tolerance");
	par.tol = 1e-9;
	par.omega = 2;
	expect_einval(CF_OT_SINKHORN_LOG, &p, &par, "over-relaxation omega = 2");
	par.omega = -0.5;
	expect_einval(CF_OT_SINKHORN_EPS, &p, &par, "negative omega");
	par.omega = NAN;
	expect_einval(CF_OT_SINKHORN_LOG, &p, &par, "NaN omega");
	par.omega = 0;
	M[3] = INFINITY;
	expect_einval(CF_OT_SINKHORN, &p, &par, "infinite cost");
	M[3] = 0;
	for (int k = 0; k < 4; k++)
		M[k] = 0;
	par.reg_scale = CF_OT_REG_MAX;
	expect_einval(CF_OT_SINKHORN, &p, &par, "reg relative to max(M) = 0");
	par.reg_scale = CF_OT_REG_ABS;
	p.a = a;
	p.b = b;
	expect_einval(CF_OT_SINKHORN_LOG, &p, &par, "unbalanced sums for balanced Sinkhorn");
}

/* Over-relaxation: the adaptive and a fixed ω reach the plan of plain
 * log-domain Sinkhorn (same fixed point), with the returned plan's full L1
 * marginal error (rows and columns: with ω != 1 the columns are not exact
 * after a half-step) within tol, and in fewer iterations at a small ε. */
static void test_overrelaxation(void)
{
	int n = 40, m = 30;
	double *M = malloc((size_t)(n * m) * sizeof *M), a[40], b[30];
	cf_ot_problem p = {n, m, a, b, M};
	cf_ot_params par;
	cf_ot_result r0, r1, r2, r3;
	cf_error err = {0};
	double d1 = 0, d2 = 0, d3 = 0;
	random_problem(n, m, M, a, b);
	cf_ot_params_init(&par);
	par.reg = 0.003;
	par.reg_scale = CF_OT_REG_MAX;
	par.tol = 1e-11;
	par.omega = 1;
	cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r0, &err);
	par.omega = 0;
	cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r1, &err);
	par.omega = 1.5;
	cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r2, &err);
	par.omega = 0;
	cf_ot_solve(CF_OT_SINKHORN_EPS, &p, &par, &r3, &err);
	ok(r0.status == CF_OT_CONVERGED && r1.status == CF_OT_CONVERGED && r2.status == CF_OT_CONVERGED &&
	   r3.status == CF_OT_CONVERGED,
	   "eps = 0.003 max: plain, adaptive, omega 1.5 and eps-scaling converge (%lld, %lld, %lld, %lld it)",
	   (long long)r0.iterations, (long long)r1.iterations, (long long)r2.iterations,
	   (long long)r3.iterations);
	for (int k = 0; k < n * m; k++) {
		d1 = fmax(d1, fabs(r1.plan[k] - r0.plan[k]));
		d2 = fmax(d2, fabs(r2.plan[k] - r0.plan[k]));
		d3 = fmax(d3, fabs(r3.plan[k] - r0.plan[k]));
	}
	ok(d1 < 1e-8 && d2 < 1e-8 && d3 < 1e-8,
	   "over-relaxed plans equal the plain plan (max diff %.2g, %.2g, eps-scaling %.2g)", d1, d2, d3);
	ok(ot_marg_err(&p, r1.plan, NULL) <= 1.5e-11 && ot_marg_err(&p, r2.plan, NULL) <= 1.5e-11 &&
	   ot_marg_err(&p, r3.plan, NULL) <= 1.5e-11,
	   "over-relaxed plans: rows + columns L1 error within tol (%.2g, %.2g, %.2g)",
	   ot_marg_err(&p, r1.plan, NULL), ot_marg_err(&p, r2.plan, NULL),
	   ot_marg_err(&p, r3.plan, NULL));
	ok(r1.iterations < r0.iterations && r3.iterations < r0.iterations,
	   "adaptive over-relaxation needs fewer iterations than plain (%lld, eps-scaling %lld < %lld)",
	   (long long)r1.iterations, (long long)r3.iterations, (long long)r0.iterations);
	ok(fabs(r1.cost - r0.cost) <= 1e-9 * r0.cost, "same cost (%.15g vs %.15g)", r1.cost, r0.cost);
	cf_ot_result_clear(&r0);
	cf_ot_result_clear(&r1);
	cf_ot_result_clear(&r2);
	cf_ot_result_clear(&r3);
	free(M);
}

/* A fixed ω that diverges from the cold start (ω = 1.9 at ε = 1e-3·max):
 * the solver notices, goes on with the adaptive ω, converges to the plain
 * plan and says what happened; without the guard the error cycles near
 * 1e150 until the iteration limit. */
static void test_relaxation_guard(void)
{
	int n = 40, m = 30;
	double *M = malloc((size_t)(n * m) * sizeof *M), a[40], b[30], d = 0;
	cf_ot_problem p = {n, m, a, b, M};
	cf_ot_params par;
	cf_ot_result r0, r1;
	cf_error err = {0};
	random_problem(n, m, M, a, b);
	cf_ot_params_init(&par);
	par.reg = 0.001;
	par.reg_scale = CF_OT_REG_MAX;
	par.tol = 1e-9;
	par.max_iter = 200000;
	par.omega = 0;
	cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r0, &err);
	par.omega = 1.9;
	cf_ot_solve(CF_OT_SINKHORN_LOG, &p, &par, &r1, &err);
	ok(r0.status == CF_OT_CONVERGED && r1.status == CF_OT_CONVERGED &&
		   strstr(r1.message, "omega 1.9 diverged at iteration") &&
		   strstr(r1.message, "continued with adaptive omega"),
	   "omega 1.9 from a cold start at eps = 0.001 max: diverges, is noticed, converges (%s)",
	   r1.message);
	for (int k = 0; k < n * m; k++)
		d = fmax(d, fabs(r1.plan[k] - r0.plan[k]));
	ok(all_finite(r1.plan, n * m) && d < 1e-7 && ot_marg_err(&p, r1.plan, NULL) <= 1.5e-9,
	   "the guarded plan is the adaptive plan (max diff %.2g, marginal error %.2g)", d,
	   ot_marg_err(&p, r1.plan, NULL));
	cf_ot_result_clear(&r0);
	cf_ot_result_clear(&r1);
	free(M);
}

int main(void)
{
	test_convergence();
	test_small_eps();
	test_unbalanced();
	test_reg_scale_and_stepping();
	test_overrelaxation();
	test_relaxation_guard();
	test_bad();
	return tap_done();
}
