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

#include "cmd.h"
#include "matfile.h"
#include "ot.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: clafuse ot COSTS [options]\n"
		"Solve one optimal-transport problem with the cost matrix in COSTS\n"
		"(CSV: one row per line, numbers separated by commas or blanks, '#' comments;\n"
		" or binary: magic \"" CF_MATFILE_MAGIC "\", int64 rows, int64 cols, float64 data, little-endian).\n\n"
		"options:\n"
		"  --a FILE           source weights (n numbers; default uniform 1/n)\n"
		"  --b FILE           target weights (m numbers; default uniform 1/m)\n"
		"  --solver NAME      exact (default) | emd | assign | sinkhorn | sinkhorn-log |\n"
		"                     sinkhorn-eps | unbalanced | sinkhorn-sparse\n"
		"  --reg X            entropic regularisation eps (default 0.01)\n"
		"  --reg-rel max|median  make --reg relative to max(M) or median(M)\n"
		"  --reg-m X          KL marginal penalty for unbalanced (default 1)\n"
		"  --tol X            entropic stop: L1 marginal error (default 1e-9)\n"
		"  --max-iter N       iteration limit (pivot blocks count pivots)\n"
		"  --omega X          log-domain over-relaxation: 0 adaptive (default),\n"
		"                     1 plain Sinkhorn, or fixed in (0, 2)\n"
		"  --time-limit S     time limit in seconds\n"
		"  --no-fallback      plain Sinkhorn fails instead of switching to log domain\n"
		"  --plan OUT         write the plan (OUT.bin binary, otherwise CSV)\n"
		"  --check            print the optimality certificate\n"
		"  --repeat N         solve N times after a warm-up, report the median times\n"
		"  -h, --help         this help\n");
}

/* Whole file into memory (NUL-terminated). */
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

static int parse_num(const char *opt, const char *s, double *x)
{
	char *end;
	errno = 0;
	*x = strtod(s, &end);
	if (end == s || *end || errno) {
		fprintf(stderr, "clafuse ot: %s expects a number, got '%s'\n", opt, s);
		return 1;
	}
	return 0;
}

int cmd_ot(int argc, char **argv)
{
	const char *costs = NULL, *afile = NULL, *bfile = NULL, *planfile = NULL;
	int kind = CF_OT_EXACT, check = 0, rc = 1;
	long repeat = 0;
	cf_ot_params par;
	cf_ot_problem prob = {0};
	cf_ot_result res = {0};
	cf_error err = {0};
	double *M = NULL, *a = NULL, *b = NULL, *tw = NULL, *tc = NULL, *ts = NULL;
	int64_t n, m;

	cf_ot_params_init(&par);
	for (int k = 1; k < argc; k++) {
		const char *o = argv[k];
		double x;
		int has = k + 1 < argc;
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(o, "--check")) {
			check = 1;
			continue;
		}
		if (!strcmp(o, "--no-fallback")) {
			par.log_fallback = 0;
			continue;
		}
		if (o[0] == '-' && o[1] == '-') {
			const char *val;
			if (!has) {
				fprintf(stderr, "clafuse ot: %s needs a value\n", o);
				return 2;
			}
			val = argv[++k];
			if (!strcmp(o, "--a"))
				afile = val;
			else if (!strcmp(o, "--b"))
				bfile = val;
			else if (!strcmp(o, "--plan"))
				planfile = val;
			else if (!strcmp(o, "--solver")) {
				if ((kind = cf_ot_kind_parse(val)) < 0) {
					fprintf(stderr, "clafuse ot: unknown solver '%s'\n", val);
					return 2;
				}
			} else if (!strcmp(o, "--reg-rel")) {
				if (!strcmp(val, "max"))
					par.reg_scale = CF_OT_REG_MAX;
				else if (!strcmp(val, "median"))
					par.reg_scale = CF_OT_REG_MEDIAN;
				else {
					fprintf(stderr, "clafuse ot: --reg-rel expects max or median, got '%s'\n", val);
					return 2;
				}
			} else if (!strcmp(o, "--reg") || !strcmp(o, "--reg-m") || !strcmp(o, "--tol") ||
				   !strcmp(o, "--omega") ||
				   !strcmp(o, "--max-iter") || !strcmp(o, "--time-limit") ||
				   !strcmp(o, "--repeat")) {
				if (parse_num(o, val, &x))
					return 2;
				if (!strcmp(o, "--reg"))
					par.reg = x;
				else if (!strcmp(o, "--reg-m"))
					par.reg_m = x;
				else if (!strcmp(o, "--tol"))
					par.tol = x;
				else if (!strcmp(o, "--omega"))
					par.omega = x;
				else if (!strcmp(o, "--time-limit"))
					par.time_limit = x;
				else if (!(x >= 0 && x < 1e15 && x == floor(x))) {
					fprintf(stderr, "clafuse ot: %s expects a whole number >= 0, got '%s'\n", o, val);
					return 2;
				} else if (!strcmp(o, "--max-iter"))
					par.max_iter = (int64_t)x;
				else
					repeat = (long)x;
			} else {
				fprintf(stderr, "clafuse ot: unknown option '%s'\n", o);
				return 2;
			}
			continue;
		}
		if (costs) {
			fprintf(stderr, "clafuse ot: more than one cost file ('%s', '%s')\n", costs, o);
			return 2;
		}
		costs = o;
	}
	if (!costs) {
		usage(stderr);
		return 2;
	}
	if (read_matrix(costs, &M, &n, &m))
		goto out;
	if (afile && read_vector(afile, n, "a", &a))
		goto out;
	if (bfile && read_vector(bfile, m, "b", &b))
		goto out;
	prob.n = n;
	prob.m = m;
	prob.a = a;
	prob.b = b;
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
	if (repeat > 0) { /* the first call warmed up */
		tw++;
		tc++;
		ts++;
	}
	printf("problem     %lld x %lld\n", (long long)n, (long long)m);
	printf("solver      %s\n", cf_ot_kind_name(res.kind));
	printf("status      %s (%s)\n", cf_ot_status_name(res.status), res.message);
	printf("cost        %.17g\n", res.cost);
	printf("error       %.6g (L1 marginal error of the plan, rows + columns)\n", res.marg_err);
	if (res.reg > 0)
		printf("eps         %.6g\n", res.reg);
	printf("iterations  %lld\n", (long long)res.iterations);
	printf("time        %.6f s (wall: solve, dense plan and cost)\n", median(tw, repeat > 0 ? repeat : 1));
	printf("cpu         %.6f s\n", median(tc, repeat > 0 ? repeat : 1));
	printf("solve       %.6f s (wall: the solver alone)\n", median(ts, repeat > 0 ? repeat : 1));
	if (repeat > 0) {
		tw--;
		tc--;
		ts--;
	}
	if (check) {
		cf_ot_report rep;
		if (cf_ot_check(&prob, res.plan, res.u, res.v, &rep, &err) == CF_OK) {
			printf("primal_err  %.3g\n", rep.primal_err);
			printf("dual_viol   %.3g\n", rep.dual_viol);
			printf("slackness   %.3g\n", rep.slackness);
			printf("dual_obj    %.17g\n", rep.dual_obj);
			printf("rel_gap     %.3g\n", rep.rel_gap);
			printf("certified   %s\n", cf_ot_report_optimal(&rep, 1e-9) ? "yes" : "no");
		}
	}
	if (planfile && cf_matfile_write(planfile, res.plan, n, m, &err)) {
		fprintf(stderr, "clafuse ot: %s\n", err.msg);
		goto out;
	}
	rc = (res.status == CF_OT_OPTIMAL || res.status == CF_OT_CONVERGED) ? 0 : 1;
out:
	cf_ot_result_clear(&res);
	free(tw);
	free(M);
	free(a);
	free(b);
	return rc;
}
