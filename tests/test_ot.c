/* test_ot.c — exact OT: network simplex and assignment solver.
 *
 * Brute force over all permutations (n ≤ 7), the worked example of
 * ALGORITHM.md §5.5, the optimality certificate on hundreds of random
 * rectangular problems with non-uniform and degenerate data, the tie rule,
 * stepping, limits, and every bad input.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OT_CHECK_SEED 88172645463325252ull
#include "ot.h"
#include "ot_check.h"
#include "tap.h"

/* Minimum over all permutations of Σ C[i][π(i)] (Heap's algorithm). */
static double brute_assign(const double *C, int n)
{
	int p[8], c[8], i = 1;
	double best = 0;
	for (int k = 0; k < n; k++) {
		p[k] = k;
		c[k] = 0;
		best += C[k * n + k];
	}
	while (i < n) {
		if (c[i] < i) {
			int s = (i % 2) ? c[i] : 0, t = p[s];
			double cost = 0;
			p[s] = p[i];
			p[i] = t;
			for (int k = 0; k < n; k++)
				cost += C[k * n + p[k]];
			if (cost < best)
				best = cost;
			c[i]++;
			i = 1;
		} else {
			c[i] = 0;
			i++;
		}
	}
	return best;
}

static int certified(const cf_ot_problem *p, const cf_ot_result *r, double tol, cf_ot_report *rep)
{
	cf_error err = {0};
	if (cf_ot_check(p, r->plan, r->u, r->v, rep, &err))
		return 0;
	return cf_ot_report_optimal(rep, tol);
}

static void test_tiny_example(void)
{
	double a[3] = {1. / 3, 1. / 3, 1. / 3}, b[2] = {0.5, 0.5};
	double M[6] = {0, 1, 1, 0, 0.4, 0.6};
	double want[6] = {1. / 3, 0, 0, 1. / 3, 1. / 6, 1. / 6};
	cf_ot_problem p = {3, 2, a, b, M};
	cf_ot_result r;
	cf_ot_report rep;
	cf_error err = {0};
	double d = 0;
	int kinds[2] = {CF_OT_EMD, CF_OT_EXACT};

	for (int q = 0; q < 2; q++) {
		ok(cf_ot_solve(kinds[q], &p, NULL, &r, &err) == CF_OK && r.status == CF_OT_OPTIMAL,
		   "§5.5 example solves (%s): %s", cf_ot_kind_name(kinds[q]), r.message);
		is_double(r.cost, 1. / 6, 1e-14, "§5.5 example cost is 1/6");
		d = 0;
		for (int k = 0; k < 6; k++)
			d = fmax(d, fabs(r.plan[k] - want[k]));
		ok(d < 1e-15, "§5.5 plan is [[1/3,0],[0,1/3],[1/6,1/6]] (max dev %.2g)", d);
		{
			int c = certified(&p, &r, 1e-12, &rep);
			ok(c, "§5.5 certificate (gap %.2g)", rep.gap);
		}
		cf_ot_result_clear(&r);
	}
	/* the same with uniform weights passed as NULL */
	p.a = p.b = NULL;
	{
		int rc = cf_ot_solve(CF_OT_EXACT, &p, NULL, &r, &err);
		ok(rc == CF_OK && fabs(r.cost - 1. / 6) < 1e-14, "NULL weights mean uniform (cost %.17g)", r.cost);
	}
	cf_ot_result_clear(&r);
}

static void test_brute(void)
{
	int bad_emd = 0, bad_asg = 0, bad_cert = 0, count = 0;
	double C[49];
	for (int n = 1; n <= 7; n++)
		for (int rep = 0; rep < (n <= 3 ? 30 : 12); rep++) {
			cf_ot_problem p = {n, n, NULL, NULL, C};
			cf_ot_result r1, r2;
			cf_ot_report rp;
			cf_error err = {0};
			double best;
			int ties = rep % 3 == 0;
			for (int k = 0; k < n * n; k++)
				C[k] = ties ? floor(urand() * 4) : urand() * 10 - 3;
			best = brute_assign(C, n) / n;
			cf_ot_solve(CF_OT_EMD, &p, NULL, &r1, &err);
			cf_ot_solve(CF_OT_ASSIGN, &p, NULL, &r2, &err);
			if (fabs(r1.cost - best) > 1e-12 * fmax(1, fabs(best)))
				bad_emd++;
			if (fabs(r2.cost - best) > 1e-12 * fmax(1, fabs(best)))
				bad_asg++;
			if (!certified(&p, &r1, 1e-12, &rp) || !certified(&p, &r2, 1e-12, &rp))
				bad_cert++;
			count++;
			cf_ot_result_clear(&r1);
			cf_ot_result_clear(&r2);
		}
	ok(bad_emd == 0, "network simplex = brute force on %d square problems n<=7 (%d wrong)", count, bad_emd);
	ok(bad_asg == 0, "assignment = brute force on %d square problems n<=7 (%d wrong)", count, bad_asg);
	ok(bad_cert == 0, "both certified on all of them (%d not)", bad_cert);
}

/* Random rectangular problem of a given flavour into M, a, b. */
static void make_problem(int flavour, int n, int m, double *M, double *a, double *b)
{
	double sa = 0, sb = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < m; j++) {
			double x;
			switch (flavour) {
			case 0: x = urand(); break;                       /* generic */
			case 1: x = 2.5; break;                           /* constant */
			case 2: x = (1 + i % 5) * (0.5 + j % 3); break;   /* rank one */
			case 3: x = floor(urand() * 3); break;            /* heavy ties */
			case 4: x = (i % 3) * 10 + urand(); break;        /* repeated-ish rows */
			default: {                                        /* sq. distances, 1-D */
				double xi = sin(i * 1.3), yj = cos(j * 0.7);
				x = (xi - yj) * (xi - yj);
			}
			}
			M[i * m + j] = x;
		}
	if (flavour == 4) /* exactly repeated rows */
		for (int i = 1; i < n; i += 2)
			memcpy(M + i * m, M + (i - 1) * m, (size_t)m * sizeof *M);
	for (int i = 0; i < n; i++) {
		a[i] = (flavour == 2 && i % 4 == 1) ? 0 : urand() + 0.01; /* zero masses */
		if (flavour == 3)
			a[i] = 1 + (i % 2);                       /* ties between masses */
		sa += a[i];
	}
	for (int j = 0; j < m; j++) {
		b[j] = (flavour == 5 && j % 3 == 1) ? 0 : urand() + 0.01;
		if (flavour == 3)
			b[j] = 1 + (j % 3);
		sb += b[j];
	}
	for (int j = 0; j < m; j++)
		b[j] *= sa / sb;
}

static void test_certificates(void)
{
	static const char *names[] = {"generic", "constant", "rank-one + zero rows", "integer ties",
				      "repeated rows", "1-D sq. distance + zero columns"};
	double *M = malloc(40 * 40 * sizeof *M), a[40], b[40];
	for (int fl = 0; fl < 6; fl++) {
		int bad = 0, count = 0;
		double worst = 0;
		for (int rep = 0; rep < 60; rep++) {
			int n = 1 + (int)(urand() * 30), m = 1 + (int)(urand() * 30);
			cf_ot_problem p = {n, m, a, b, M};
			cf_ot_result r;
			cf_ot_report rp;
			cf_error err = {0};
			make_problem(fl, n, m, M, a, b);
			if (cf_ot_solve(CF_OT_EMD, &p, NULL, &r, &err) || r.status != CF_OT_OPTIMAL ||
			    !certified(&p, &r, 1e-10, &rp)) {
				bad++;
				tap_diag("%s %dx%d: %s", names[fl], n, m, r.message);
			} else {
				worst = fmax(worst, rp.rel_gap);
			}
			count++;
			cf_ot_result_clear(&r);
		}
		ok(bad == 0, "certificate holds on %d random %s problems (worst rel gap %.2g)", count,
		   names[fl], worst);
	}
	free(M);
}

static void test_zero_mass(void)
{
	double a[4] = {0.5, 0, 0.5, 0}, b[3] = {0, 0.3, 0.7};
	double M[12] = {1, 2, 3, 4, 5, 6, 7, 8, 0.5, 9, 9, 9};
	cf_ot_problem p = {4, 3, a, b, M};
	cf_ot_result r;
	cf_ot_report rp;
	cf_error err = {0};
	double zero = 0;
	cf_ot_solve(CF_OT_EMD, &p, NULL, &r, &err);
	for (int j = 0; j < 3; j++)
		zero += fabs(r.plan[1 * 3 + j]) + fabs(r.plan[3 * 3 + j]);
	for (int i = 0; i < 4; i++)
		zero += fabs(r.plan[i * 3]);
	ok(zero == 0, "zero-mass rows and columns get no mass");
	{
		int c = certified(&p, &r, 1e-12, &rp);
		ok(c, "restored duals certify the plan (viol %.2g)", rp.dual_viol);
	}
	/* rows 0, 2 send to columns 1, 2: 0.5·{2,3} and 0.5·{8,0.5}... */
	is_double(r.cost, 0.3 * 2 + 0.2 * 3 + 0.5 * 0.5 + 0, 1e-14, "zero-mass problem cost");
	cf_ot_result_clear(&r);
}

static void test_ties(void)
{
	double M[16], Mr[12];
	cf_ot_problem p = {4, 4, NULL, NULL, M};
	cf_ot_result r;
	cf_error err = {0};
	int ident;
	for (int k = 0; k < 16; k++)
		M[k] = 3.0;
	for (int q = 0; q < 2; q++) {
		int kind = q ? CF_OT_ASSIGN : CF_OT_EMD;
		cf_ot_solve(kind, &p, NULL, &r, &err);
		ident = 1;
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++)
				ident &= r.plan[i * 4 + j] == (i == j ? 0.25 : 0.0);
		ok(ident, "constant cost: %s returns the identity", cf_ot_kind_name(kind));
		cf_ot_result_clear(&r);
	}
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			M[i * 4 + j] = (double)(7 - 2 * i);
	for (int q = 0; q < 2; q++) {
		int kind = q ? CF_OT_ASSIGN : CF_OT_EMD;
		cf_ot_solve(kind, &p, NULL, &r, &err);
		ident = 1;
		for (int i = 0; i < 4; i++)
			ident &= r.plan[i * 4 + i] == 0.25;
		ok(ident, "cost constant along rows (§5.7): %s returns the identity", cf_ot_kind_name(kind));
		cf_ot_result_clear(&r);
	}
	/* Cost constant along columns: every plan is optimal; the greedy start
	 * fills the cheapest columns first, rows in decreasing regret (all 0
	 * here, so index order), and is returned with 0 pivots. */
	{
		double a[3] = {0.5, 0.25, 0.25}, b[4] = {0.25, 0.25, 0.25, 0.25};
		double want[12] = {0, 0.25, 0, 0.25, 0.25, 0, 0, 0, 0, 0, 0.25, 0};
		double dj[4] = {2, 1, 3, 1};
		cf_ot_problem q = {3, 4, a, b, Mr};
		int same = 1;
		for (int k = 0; k < 12; k++)
			Mr[k] = dj[k % 4];
		cf_ot_solve(CF_OT_EMD, &q, NULL, &r, &err);
		for (int k = 0; k < 12; k++)
			same &= r.plan[k] == want[k];
		ok(same && r.iterations == 0 && fabs(r.cost - 1.75) < 1e-15,
		   "cost constant along columns: greedy start (cheapest columns first), 0 pivots");
		cf_ot_result_clear(&r);
	}
	/* Rectangular constant cost: the north-west-corner plan. */
	{
		double a[3] = {0.5, 0.25, 0.25}, b[4] = {0.25, 0.25, 0.25, 0.25};
		double want[12] = {0.25, 0.25, 0, 0, 0, 0, 0.25, 0, 0, 0, 0, 0.25};
		cf_ot_problem q = {3, 4, a, b, Mr};
		int same = 1;
		for (int k = 0; k < 12; k++)
			Mr[k] = 1.5;
		cf_ot_solve(CF_OT_EMD, &q, NULL, &r, &err);
		for (int k = 0; k < 12; k++)
			same &= r.plan[k] == want[k];
		ok(same && r.iterations == 0, "constant rectangular cost: north-west-corner plan, 0 pivots");
		cf_ot_result_clear(&r);
	}
}

static int stop_after(void *ud, const char *what, double f)
{
	int *c = ud;
	(void)what;
	(void)f;
	return ++*c >= 1;
}

static void test_stepping_and_limits(void)
{
	int n = 60, m = 45;
	double *M = malloc((size_t)(n * m) * sizeof *M), a[60], b[60], *T = malloc((size_t)(n * m) * sizeof *T);
	double u[60], v[60];
	cf_ot_problem p = {n, m, a, b, M};
	cf_ot_params par;
	cf_error err = {0};
	cf_ot_solver *s;
	cf_ot_result r;
	cf_ot_report rp;
	int steps = 0, feasible = 1, calls = 0;

	make_problem(0, n, m, M, a, b);
	s = cf_ot_solver_alloc(CF_OT_EMD, &p, NULL, &err);
	ok(s != NULL, "simplex solver allocates");
	while (cf_ot_solver_test(s) == CF_OT_RUNNING) {
		cf_ot_solver_iterate(s, &err);
		cf_ot_solver_plan(s, T, u, v);
		cf_ot_check(&p, T, u, v, &rp, &err);
		feasible &= rp.primal_err < 1e-12;
		steps++;
	}
	ok(steps >= 1 && feasible && cf_ot_solver_test(s) == CF_OT_OPTIMAL,
	   "simplex steps in %d blocks (%lld pivots), plan feasible after every block", steps,
	   (long long)cf_ot_solver_iterations(s));
	cf_ot_solver_free(s);

	cf_ot_params_init(&par);
	par.max_iter = 3;
	cf_ot_solve(CF_OT_EMD, &p, &par, &r, &err);
	cf_ot_check(&p, r.plan, r.u, r.v, &rp, &err);
	ok(r.status == CF_OT_LIMIT && r.iterations == 3 && rp.primal_err < 1e-12,
	   "max_iter 3: status limit after 3 pivots with a feasible plan (%s)", r.message);
	cf_ot_result_clear(&r);

	cf_ot_params_init(&par);
	par.progress.fn = stop_after;
	par.progress.ud = &calls;
	cf_ot_solve(CF_OT_EMD, &p, &par, &r, &err);
	cf_ot_check(&p, r.plan, r.u, r.v, &rp, &err);
	ok(r.status == CF_OT_STOPPED && calls == 1 && rp.primal_err < 1e-12,
	   "progress callback stops the simplex with a feasible plan (%s)", r.message);
	cf_ot_result_clear(&r);
	free(M);
	free(T);
}

static void test_larger(void)
{
	int n = 300;
	double *M = malloc((size_t)n * n * sizeof *M), *X = malloc((size_t)n * 4 * sizeof *X);
	cf_ot_problem p = {n, n, NULL, NULL, M};
	cf_ot_result r1, r2;
	cf_ot_report rp;
	cf_error err = {0};
	for (int k = 0; k < n * 4; k++)
		X[k] = urand();
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;
			for (int d = 0; d < 2; d++)
				s += (X[i * 4 + d] - X[j * 4 + 2 + d]) * (X[i * 4 + d] - X[j * 4 + 2 + d]);
			M[i * n + j] = sqrt(s);
		}
	cf_ot_solve(CF_OT_EMD, &p, NULL, &r1, &err);
	cf_ot_solve(CF_OT_ASSIGN, &p, NULL, &r2, &err);
	ok(fabs(r1.cost - r2.cost) <= 1e-12 * r1.cost, "300x300: simplex and assignment agree (%.15g vs %.15g)",
	   r1.cost, r2.cost);
	{
		int c = certified(&p, &r1, 1e-10, &rp);
		ok(c, "300x300 simplex certified (rel gap %.2g)", rp.rel_gap);
		c = certified(&p, &r2, 1e-10, &rp);
		ok(c, "300x300 assignment certified (rel gap %.2g)", rp.rel_gap);
	}
	cf_ot_result_clear(&r1);
	cf_ot_result_clear(&r2);
	{
		cf_ot_problem q = {n, 170, NULL, NULL, M};
		int c;
		cf_ot_solve(CF_OT_EXACT, &q, NULL, &r1, &err);
		c = certified(&q, &r1, 1e-10, &rp);
		ok(r1.kind == CF_OT_EMD && c,
		   "300x170 uniform (exact -> emd) certified (rel gap %.2g)", rp.rel_gap);
		cf_ot_result_clear(&r1);
	}
	free(M);
	free(X);
}

static void expect_einval(const cf_ot_problem *p, int kind, const cf_ot_params *par, const char *what)
{
	cf_ot_result r;
	cf_error err = {0};
	int rc = cf_ot_solve(kind, p, par, &r, &err);
	ok(rc == CF_EINVAL && r.plan == NULL && err.msg[0], "%s -> error: %s", what, err.msg);
	cf_ot_result_clear(&r);
}

static void test_bad_input(void)
{
	double a[2] = {0.5, 0.5}, b[2] = {0.5, 0.5}, M[4] = {0, 1, 1, 0};
	double an[2] = {0.5, -0.5}, au[2] = {0.5, 0.6}, anan[2] = {NAN, 0.5}, az[2] = {0, 0};
	cf_ot_problem p = {2, 2, a, b, M};
	cf_ot_params par;

	M[1] = NAN;
	expect_einval(&p, CF_OT_EMD, NULL, "NaN cost");
	M[1] = INFINITY;
	expect_einval(&p, CF_OT_ASSIGN, NULL, "infinite cost");
	M[1] = 1;
	p.a = an;
	expect_einval(&p, CF_OT_EMD, NULL, "negative weight");
	p.a = anan;
	expect_einval(&p, CF_OT_EMD, NULL, "NaN weight");
	p.a = az;
	expect_einval(&p, CF_OT_EMD, NULL, "all-zero weights");
	p.a = au;
	expect_einval(&p, CF_OT_EMD, NULL, "unbalanced sums 1.1 vs 1");
	p.a = a;
	p.n = 0;
	expect_einval(&p, CF_OT_EMD, NULL, "empty problem");
	p.n = 2;
	p.M = NULL;
	expect_einval(&p, CF_OT_EMD, NULL, "missing cost matrix");
	p.M = M;
	p.m = 1;
	p.b = NULL;
	expect_einval(&p, CF_OT_ASSIGN, NULL, "assignment on a 2x1 problem");
	p.m = 2;
	p.b = b;
	p.a = au;
	au[0] = 0.4;
	expect_einval(&p, CF_OT_ASSIGN, NULL, "assignment with non-uniform weights");
	p.a = a;
	cf_ot_params_init(&par);
	par.max_iter = -1;
	expect_einval(&p, CF_OT_EMD, &par, "negative max_iter");
	cf_ot_params_init(&par);
	par.time_limit = NAN;
	expect_einval(&p, CF_OT_EMD, &par, "NaN time limit");
	expect_einval(&p, (cf_ot_kind)42, NULL, "unknown solver kind");
	ok(cf_ot_kind_parse("sinkhorn-log") == CF_OT_SINKHORN_LOG && cf_ot_kind_parse("nope") == -1,
	   "solver names parse");
}

int main(void)
{
	test_tiny_example();
	test_brute();
	test_certificates();
	test_zero_mass();
	test_ties();
	test_stepping_and_limits();
	test_larger();
	test_bad_input();
	return tap_done();
}
