/* cmd_ot.c — `clafuse ot`: solve one transport problem from a cost file.
 *
 * Reads a cost matrix (CSV or the binary format of share/doc/ot.md), and
 * optional weight vectors, runs one solver and prints cost, status,
 * iterations, the L1 marginal error of the returned plan and the time of
 * the whole call — solve, dense plan and cost, the work a peer's call such
 * as POT's ot.emd does — in wall and CPU seconds (file I/O excluded; with
 * --repeat the median of N calls after one warm-up), and the solver's own
 * share of it.  The plan is written atomically (temporary file + rename).  Exit status: 0 solved (optimal or
 * converged), 1 failure (bad input, limit reached, numerical failure),
 * 2 bad usage.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "core/matfile.h"
#include "core/ot.h"

enum {
	O_A, O_B, O_SOLVER, O_REG, O_REG_REL, O_REG_M, O_TOL, O_MAX_ITER, O_OMEGA,
	O_TIME_LIMIT, O_NO_FALLBACK, O_PLAN, O_CHECK, O_REPEAT
};

static const struct cli_opt opts[] = {
	[O_A] = {0, "a", CLI_STR, "FILE", "source weights (n numbers; default uniform 1/n)"},
	[O_B] = {0, "b", CLI_STR, "FILE", "target weights (m numbers; default uniform 1/m)"},
	[O_SOLVER] = {0, "solver", CLI_STR, "NAME",
		      "exact (default) | emd | assign | sinkhorn | sinkhorn-log |\n"
		      "sinkhorn-eps | unbalanced | sinkhorn-sparse"},
	[O_REG] = {0, "reg", CLI_REAL, "X", "entropic regularisation eps (default 0.01)",
		   -HUGE_VAL, HUGE_VAL},
	[O_REG_REL] = {0, "reg-rel", CLI_STR, "max|median", "make --reg relative to max(M) or median(M)"},
	[O_REG_M] = {0, "reg-m", CLI_REAL, "X", "KL marginal penalty for unbalanced (default 1)",
		     -HUGE_VAL, HUGE_VAL},
	[O_TOL] = {0, "tol", CLI_REAL, "X", "entropic stop: L1 marginal error (default 1e-9)",
		   -HUGE_VAL, HUGE_VAL},
	[O_MAX_ITER] = {0, "max-iter", CLI_INT, "N", "iteration limit (pivot blocks count pivots)",
			0, 1e15},
	[O_OMEGA] = {0, "omega", CLI_REAL, "X", "log-domain over-relaxation: 0 adaptive (default),\n"
						"1 plain Sinkhorn, or fixed in (0, 2)",
		     -HUGE_VAL, HUGE_VAL},
	[O_TIME_LIMIT] = {0, "time-limit", CLI_REAL, "S", "time limit in seconds", -HUGE_VAL,
			  HUGE_VAL},
	[O_NO_FALLBACK] = {0, "no-fallback", CLI_FLAG, NULL,
			   "plain Sinkhorn fails instead of switching to log domain"},
	[O_PLAN] = {0, "plan", CLI_STR, "OUT", "write the plan (OUT.bin binary, otherwise CSV)"},
	[O_CHECK] = {0, "check", CLI_FLAG, NULL, "print the optimality certificate"},
	[O_REPEAT] = {0, "repeat", CLI_INT, "N",
		      "solve N times after a warm-up, report the median times", 0, 1e6},
	{0}
};

/* Read a matrix, printing the error; 0 on success. */
static int read_matrix(const char *path, double **out, int64_t *rows, int64_t *cols)
{
	cf_error err = {0};
	if (cf_matfile_read(path, out, rows, cols, &err)) {
		fprintf(stderr, "clafuse ot: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int read_vector(const char *path, int64_t want, const char *name, double **out)
{
	double *d;
	int64_t r, c;
	if (read_matrix(path, &d, &r, &c))
		return 1;
	if (r * c != want) {
		fprintf(stderr, "clafuse ot: '%s' has %lld weights, the cost matrix needs %lld for %s\n", path,
			(long long)(r * c), (long long)want, name);
		free(d);
		return 1;
	}
	*out = d;
	return 0;
}

/* The solver's parameters from the options; -1 after a message. */
static int solver_params(const struct cli_args *a, int *kind, cf_ot_params *par)
{
	const char *solver = cli_str(a, O_SOLVER, NULL), *rel = cli_str(a, O_REG_REL, NULL);

	cf_ot_params_init(par);
	*kind = CF_OT_EXACT;
	if (solver && (*kind = cf_ot_kind_parse(solver)) < 0) {
		fprintf(stderr, "clafuse ot: unknown solver '%s'\n", solver);
		return -1;
	}
	if (rel && !strcmp(rel, "max"))
		par->reg_scale = CF_OT_REG_MAX;
	else if (rel && !strcmp(rel, "median"))
		par->reg_scale = CF_OT_REG_MEDIAN;
	else if (rel) {
		fprintf(stderr, "clafuse ot: --reg-rel expects max or median, got '%s'\n", rel);
		return -1;
	}
	par->reg = cli_real(a, O_REG, par->reg);
	par->reg_m = cli_real(a, O_REG_M, par->reg_m);
	par->tol = cli_real(a, O_TOL, par->tol);
	par->omega = cli_real(a, O_OMEGA, par->omega);
	par->time_limit = cli_real(a, O_TIME_LIMIT, par->time_limit);
	par->max_iter = cli_long(a, O_MAX_ITER, (long)par->max_iter);
	if (cli_flag(a, O_NO_FALLBACK))
		par->log_fallback = 0;
	return 0;
}

static double clock_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static double median(double *x, long k)
{
	qsort(x, (size_t)k, sizeof *x, cmp_double);
	return k % 2 ? x[k / 2] : 0.5 * (x[k / 2 - 1] + x[k / 2]);
}

static void print_check(const cf_ot_problem *prob, const cf_ot_result *res)
{
	cf_ot_report rep;
	cf_error err = {0};
	if (cf_ot_check(prob, res->plan, res->u, res->v, &rep, &err) == CF_OK) {
		printf("primal_err  %.3g\n", rep.primal_err);
		printf("dual_viol   %.3g\n", rep.dual_viol);
		printf("slackness   %.3g\n", rep.slackness);
		printf("dual_obj    %.17g\n", rep.dual_obj);
		printf("rel_gap     %.3g\n", rep.rel_gap);
		printf("certified   %s\n", cf_ot_report_optimal(&rep, 1e-9) ? "yes" : "no");
	}
}

static int run(const struct cli_args *a)
{
	const char *costs = a->pos[0], *afile = cli_str(a, O_A, NULL);
	const char *bfile = cli_str(a, O_B, NULL), *planfile = cli_str(a, O_PLAN, NULL);
	int kind, rc = 1;
	long repeat = cli_long(a, O_REPEAT, 0);
	cf_ot_params par;
	cf_ot_problem prob = {0};
	cf_ot_result res = {0};
	cf_error err = {0};
	double *M = NULL, *wa = NULL, *wb = NULL, *tw = NULL, *tc, *ts;
	int64_t n, m;

	if (solver_params(a, &kind, &par))
		return 2;
	if (read_matrix(costs, &M, &n, &m))
		goto out;
	if (afile && read_vector(afile, n, "a", &wa))
		goto out;
	if (bfile && read_vector(bfile, m, "b", &wb))
		goto out;
	prob.n = n;
	prob.m = m;
	prob.a = wa;
	prob.b = wb;
	prob.M = M;
	if (!(tw = malloc((size_t)(repeat + 1) * 3 * sizeof *tw))) {
		fprintf(stderr, "clafuse ot: out of memory\n");
		goto out;
	}
	tc = tw + repeat + 1;
	ts = tc + repeat + 1;
	for (long r = 0; r <= repeat; r++) {
		double w0, c0;
		cf_ot_result_clear(&res);
		w0 = clock_s(CLOCK_MONOTONIC);
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		if (cf_ot_solve(kind, &prob, &par, &res, &err)) {
			fprintf(stderr, "clafuse ot: %s: %s\n", costs, err.msg);
			goto out;
		}
		tc[r] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		tw[r] = clock_s(CLOCK_MONOTONIC) - w0;
		ts[r] = res.time;
	}
	{ /* with --repeat, the first call warmed up */
		long k = repeat > 0 ? repeat : 1, o = repeat > 0;
		printf("problem     %lld x %lld\n", (long long)n, (long long)m);
		printf("solver      %s\n", cf_ot_kind_name(res.kind));
		printf("status      %s (%s)\n", cf_ot_status_name(res.status), res.message);
		printf("cost        %.17g\n", res.cost);
		printf("error       %.6g (L1 marginal error of the plan, rows + columns)\n", res.marg_err);
		if (res.reg > 0)
			printf("eps         %.6g\n", res.reg);
		printf("iterations  %lld\n", (long long)res.iterations);
		printf("time        %.6f s (wall: solve, dense plan and cost)\n", median(tw + o, k));
		printf("cpu         %.6f s\n", median(tc + o, k));
		printf("solve       %.6f s (wall: the solver alone)\n", median(ts + o, k));
	}
	if (cli_flag(a, O_CHECK))
		print_check(&prob, &res);
	if (planfile && cf_matfile_write(planfile, res.plan, n, m, &err)) {
		fprintf(stderr, "clafuse ot: %s\n", err.msg);
		goto out;
	}
	rc = (res.status == CF_OT_OPTIMAL || res.status == CF_OT_CONVERGED) ? 0 : 1;
out:
	cf_ot_result_clear(&res);
	free(tw);
	free(M);
	free(wa);
	free(wb);
	return rc;
}

const struct cf_command cf_cmd_ot = {
	.name = "ot",
	.synopsis = "COSTS [options]",
	.summary = "solve one transport problem from a cost file",
	.about = "Solve one optimal-transport problem with the cost matrix in COSTS\n"
		 "(CSV: one row per line, numbers separated by commas or blanks, '#' comments;\n"
		 " or binary: magic \"" CF_MATFILE_MAGIC "\", int64 rows, int64 cols, float64 data,"
		 " little-endian).\n",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
