/* test_ot_sparse.c — the stabilised sparse Sinkhorn solver
 * (sinkhorn-sparse) against the dense log-domain solver: same objective
 * and plan on random problems at moderate and small ε, the returned plan's
 * own L1 marginal error within tol, degenerate problems (zero-mass rows and
 * columns, constant costs, 1×1, one row, one column, negative and offset
 * costs), stepping (ε falls stage by stage to the target, the kernel is
 * sparse), the error at a limit, and bad parameters.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OT_CHECK_SEED 0x9e3779b97f4a7c15ull
#include "ot.h"
#include "ot_check.h"
#include "tap.h"

/* Solve with sparse and dense log-domain at the same ε and tol; report the
 * worst relative objective difference, plan difference and plan error. */
typedef struct cmp {
	double obj, plan, err;
	int unconverged, insane;
} cmp;

static void compare(const cf_ot_problem *p, double reg, double tol, cmp *c)
{
	cf_ot_params par;
	cf_ot_result rs, rd;
	cf_error err = {0};
	int sane;
	double e, pd = 0;

	cf_ot_params_init(&par);
	par.reg = reg;
	par.reg_scale = CF_OT_REG_MAX;
	par.tol = tol;
	par.max_iter = 2000000;
	if (cf_ot_solve(CF_OT_SINKHORN_SPARSE, p, &par, &rs, &err) ||
	    cf_ot_solve(CF_OT_SINKHORN_EPS, p, &par, &rd, &err)) {
		c->unconverged++;
		return;
	}
	if (rs.status != CF_OT_CONVERGED || rd.status != CF_OT_CONVERGED)
		c->unconverged++;
	e = ot_marg_err(p, rs.plan, &sane);
	if (!sane)
		c->insane++;
	c->err = fmax(c->err, e);
	if (fabs(e - rs.marg_err) > 1e-12)
		c->insane++;
	c->obj = fmax(c->obj, fabs(rs.cost - rd.cost) / fmax(fabs(rd.cost), 1e-300));
	for (int64_t q = 0; q < p->n * p->m; q++)
		pd = fmax(pd, fabs(rs.plan[q] - rd.plan[q]));
	c->plan = fmax(c->plan, pd);
	cf_ot_result_clear(&rs);
	cf_ot_result_clear(&rd);
}

static void test_random(void)
{
	static const int sizes[][2] = {{7, 7}, {20, 13}, {33, 47}, {60, 60}, {90, 70}, {128, 128}};
	for (int r = 0; r < 2; r++) {
		double reg = r ? 1e-3 : 1e-2;
		cmp c = {0, 0, 0, 0, 0};
		for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
			int n = sizes[t][0], m = sizes[t][1];
			double *M = malloc((size_t)(n * m) * sizeof *M), *a = malloc((size_t)n * sizeof *a),
			       *b = malloc((size_t)m * sizeof *b);
			cf_ot_problem p = {n, m, a, b, M};
			random_problem(n, m, M, a, b);
			compare(&p, reg, 1e-8, &c);
			free(M);
			free(a);
			free(b);
		}
		ok(c.unconverged == 0 && c.insane == 0,
		   "eps %g·max: sparse and dense converge on 6 random problems, plans finite, non-negative, "
		   "marg_err is the plan's", reg);
		ok(c.err <= 1e-8, "eps %g·max: returned plans' L1 marginal error %.2g <= tol 1e-8", reg, c.err);
		ok(c.obj <= 1e-6, "eps %g·max: objective within 1e-6 relative of the dense solver (worst %.2g)",
		   reg, c.obj);
		ok(c.plan <= 1e-7, "eps %g·max: plans agree entrywise (max diff %.2g)", reg, c.plan);
	}
}

/* One solve; the result's status and plan error. */
static int solve(int kind, const cf_ot_problem *p, double reg, int rel, cf_ot_result *r)
{
	cf_ot_params par;
	cf_error err = {0};
	cf_ot_params_init(&par);
	par.reg = reg;
	par.reg_scale = rel ? CF_OT_REG_MAX : CF_OT_REG_ABS;
	par.tol = 1e-9;
	return cf_ot_solve(kind, p, &par, r, &err);
}

static void test_degenerate(void)
{
	cf_ot_result r, d;
	int sane;

	{ /* zero-mass rows and columns: no mass there, the rest converges */
		enum { N = 6, K = 5 };
		double M[N * K], a[N] = {0.2, 0, 0.3, 0.1, 0, 0.4}, b[K] = {0.25, 0.25, 0, 0.3, 0.2};
		cf_ot_problem p = {N, K, a, b, M};
		double zero = 0;
		for (int q = 0; q < N * K; q++)
			M[q] = urand();
		ok(solve(CF_OT_SINKHORN_SPARSE, &p, 0.005, 0, &r) == CF_OK && r.status == CF_OT_CONVERGED,
		   "zero-mass rows and columns: converged (%s)", r.message);
		for (int j = 0; j < K; j++)
			zero += r.plan[1 * K + j] + r.plan[4 * K + j];
		for (int i = 0; i < N; i++)
			zero += r.plan[i * K + 2];
		ok(zero == 0 && ot_marg_err(&p, r.plan, &sane) <= 1e-9 && sane,
		   "zero-mass rows and columns get exactly 0, the rest within tol (%.2g)", r.marg_err);
		sane = solve(CF_OT_SINKHORN_EPS, &p, 0.005, 0, &d) == CF_OK;
		ok(sane && d.status == CF_OT_CONVERGED && fabs(d.cost - r.cost) <= 1e-6 * d.cost,
		   "zero-mass: same cost as dense (%.12g vs %.12g)", r.cost, d.cost);
		cf_ot_result_clear(&r);
		cf_ot_result_clear(&d);
	}
	{ /* constant cost: the plan is a·bᵀ */
		enum { N = 5, K = 4 };
		double M[N * K], a[N] = {0.1, 0.2, 0.3, 0.15, 0.25}, b[K] = {0.4, 0.1, 0.3, 0.2}, dev = 0;
		cf_ot_problem p = {N, K, a, b, M};
		for (int q = 0; q < N * K; q++)
			M[q] = 2.5;
		solve(CF_OT_SINKHORN_SPARSE, &p, 1e-3, 1, &r);
		for (int i = 0; i < N; i++)
			for (int j = 0; j < K; j++)
				dev = fmax(dev, fabs(r.plan[i * K + j] - a[i] * b[j]));
		ok(r.status == CF_OT_CONVERGED && dev <= 1e-9, "constant cost: plan a·b^T (max dev %.2g)", dev);
		cf_ot_result_clear(&r);
	}
	{ /* 1×1, one row, one column: the plan is forced */
		double M1 = 3.0, a1 = 0.7, M3[3] = {1, 5, 2}, b3[3] = {0.2, 0.5, 0.3}, one = 1;
		cf_ot_problem p1 = {1, 1, &a1, &a1, &M1}, pr = {1, 3, &one, b3, M3}, pc = {3, 1, b3, &one, M3};
		double dev = 0;
		solve(CF_OT_SINKHORN_SPARSE, &p1, 1e-4, 1, &r);
		ok(r.status == CF_OT_CONVERGED && fabs(r.plan[0] - 0.7) <= 1e-12 && fabs(r.cost - 2.1) <= 1e-12,
		   "1x1: T = a, cost 2.1 (%.15g)", r.cost);
		cf_ot_result_clear(&r);
		solve(CF_OT_SINKHORN_SPARSE, &pr, 1e-4, 1, &r);
		for (int j = 0; j < 3; j++)
			dev = fmax(dev, fabs(r.plan[j] - b3[j]));
		solve(CF_OT_SINKHORN_SPARSE, &pc, 1e-4, 1, &d);
		for (int i = 0; i < 3; i++)
			dev = fmax(dev, fabs(d.plan[i] - b3[i]));
		ok(r.status == CF_OT_CONVERGED && d.status == CF_OT_CONVERGED && dev <= 1e-9,
		   "one row / one column: the plan is the other marginal (max dev %.2g)", dev);
		cf_ot_result_clear(&r);
		cf_ot_result_clear(&d);
	}
	{ /* negative and offset costs: the plan does not depend on a constant */
		enum { N = 30 };
		double M[N * N], M2[N * N], a[N], b[N], dev = 0;
		cf_ot_problem p = {N, N, a, b, M}, p2 = {N, N, a, b, M2};
		random_problem(N, N, M, a, b);
		for (int q = 0; q < N * N; q++) {
			M[q] -= 0.5;
			M2[q] = M[q] + 1e4;
		}
		solve(CF_OT_SINKHORN_SPARSE, &p, 1e-3, 0, &r);
		solve(CF_OT_SINKHORN_SPARSE, &p2, 1e-3, 0, &d);
		for (int q = 0; q < N * N; q++)
			dev = fmax(dev, fabs(r.plan[q] - d.plan[q]));
		ok(r.status == CF_OT_CONVERGED && d.status == CF_OT_CONVERGED && dev <= 1e-7 &&
		   fabs(d.cost - r.cost - 1e4) <= 1e-6,
		   "negative costs and costs offset by 1e4 at eps 1e-3: same plan (max diff %.2g), cost + 1e4", dev);
		cf_ot_result_clear(&r);
		cf_ot_result_clear(&d);
	}
}

static void test_stepping(void)
{
	enum { N = 200 };
	double *M = malloc(N * N * sizeof *M), a[N], b[N], prev = INFINITY, target;
	cf_ot_problem p = {N, N, a, b, M};
	cf_ot_params par;
	cf_ot_result r;
	cf_error err = {0};
	cf_ot_solver *s;
	int monotone = 1, sparse_seen = 0, sane;
	int64_t nnz_bad = 0, steps = 0;

	random_problem(N, N, M, a, b);
	cf_ot_params_init(&par);
	par.reg = 1e-3;
	par.reg_scale = CF_OT_REG_MAX;
	par.tol = 1e-7;
	s = cf_ot_solver_alloc(CF_OT_SINKHORN_SPARSE, &p, &par, &err);
	ok(s != NULL, "sparse solver allocates (%s)", s ? cf_ot_solver_name(s) : err.msg);
	if (!s)
		return;
	while (cf_ot_solver_test(s) == CF_OT_RUNNING) {
		double e = cf_ot_solver_eps(s);
		int64_t k = cf_ot_solver_kernel_size(s);
		if (e > prev)
			monotone = 0;
		prev = e;
		if (k < N || k > (int64_t)N * N)
			nnz_bad++;
		if (k < (int64_t)N * N / 4)
			sparse_seen = 1;
		if (cf_ot_solver_iterate(s, &err))
			break;
		steps++;
	}
	cf_ot_solver_result(s, &r, &err);
	target = r.reg;
	ok(r.status == CF_OT_CONVERGED && monotone && fabs(cf_ot_solver_eps(s) - target) <= 1e-15 * target,
	   "stepping: eps falls stage by stage to the target %.3g in %lld steps", target, (long long)steps);
	ok(nnz_bad == 0 && sparse_seen,
	   "stepping: the kernel keeps every row (>= n entries) and is sparse at small eps (%lld of %d)",
	   (long long)cf_ot_solver_kernel_size(s), N * N);
	ok(ot_marg_err(&p, r.plan, &sane) <= 1e-7 && sane && r.n_err == r.iterations,
	   "stepping: plan within tol, one history entry per iteration (%lld)", (long long)r.n_err);
	ok(cf_ot_solver_kernel_size(s) > 0 && strstr(r.message, "mass outside it") != NULL,
	   "the message reports the kernel and the truncated mass: %s", r.message);
	cf_ot_solver_free(s);
	cf_ot_result_clear(&r);

	/* an iteration limit: the reported error is the returned plan's */
	par.max_iter = 50;
	cf_ot_solve(CF_OT_SINKHORN_SPARSE, &p, &par, &r, &err);
	{
		double e = ot_marg_err(&p, r.plan, &sane), shown = strtod(strstr(r.message, "error ") + 6, NULL);
		ok(r.status == CF_OT_LIMIT && sane && fabs(e - r.marg_err) <= 1e-12 * fmax(e, 1) &&
		   fabs(shown - e) <= 5e-3 * e,
		   "limit: status limit, message and marg_err give the plan's L1 error %.4g (%s)", e, r.message);
	}
	cf_ot_result_clear(&r);
	/* the other solvers' current ε and kernel size */
	s = cf_ot_solver_alloc(CF_OT_SINKHORN_LOG, &p, &par, &err);
	ok(s && fabs(cf_ot_solver_eps(s) - target) <= 1e-15 * target && cf_ot_solver_kernel_size(s) == -1,
	   "sinkhorn-log: eps is the target, no sparse kernel (-1)");
	cf_ot_solver_free(s);
	s = cf_ot_solver_alloc(CF_OT_EMD, &p, &par, &err);
	ok(s && cf_ot_solver_eps(s) == 0 && cf_ot_solver_kernel_size(s) == -1, "emd: eps 0, no kernel");
	cf_ot_solver_free(s);
	free(M);
}

static void test_bad(void)
{
	double M[4] = {0, 1, 1, 0}, a[2] = {0.5, 0.5}, b[2] = {0.9, 0.3};
	cf_ot_problem p = {2, 2, a, a, M}, q = {2, 2, a, b, M};
	cf_ot_params par;
	cf_error err = {0};
	cf_ot_solver *s;

	cf_ot_params_init(&par);
	par.eps_factor = 1.5;
	s = cf_ot_solver_alloc(CF_OT_SINKHORN_SPARSE, &p, &par, &err);
	ok(!s && err.code == CF_EINVAL && strstr(err.msg, "eps_factor"), "eps_factor 1.5 -> error: %s", err.msg);
	cf_ot_params_init(&par);
	s = cf_ot_solver_alloc(CF_OT_SINKHORN_SPARSE, &q, &par, &err);
	ok(!s && strstr(err.msg, "do not balance"), "unbalanced masses -> error: %s", err.msg);
	ok(cf_ot_kind_parse("sinkhorn-sparse") == CF_OT_SINKHORN_SPARSE &&
	   !strcmp(cf_ot_kind_name(CF_OT_SINKHORN_SPARSE), "sinkhorn-sparse"),
	   "the name sinkhorn-sparse parses and prints");
}

int main(void)
{
	test_random();
	test_degenerate();
	test_stepping();
	test_bad();
	return tap_done();
}
