/* cmd_tui.c — `clafuse tui`: the full-screen workbench.
 *
 * With model files it opens a fusion session on them (overview, layer,
 * network, parameters, results and log screens); a model, data set or
 * setting that fails to load is a one-line error and exit status 1, as
 * for `clafuse fuse`.  With --ot or --random it opens the layer screen on
 * one transport problem: a cost matrix from a file (the CSV or binary
 * format of share/doc/ot.md, the one `clafuse ot` reads) or two seeded
 * Gaussian point clouds with the squared Euclidean cost; errors there are
 * checked before the terminal is taken over, so they print normally.
 * `--man` prints the man page generated from the command table.  The
 * workbench itself (set-up, terminal, loop, and cf_tui_demo for `clafuse
 * demo`) is src/tui/app.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "cli/cmd.h"
#include "core/ground.h"
#include "core/matfile.h"
#include "core/ot.h"
#include "tui/app.h"
#include "tui/commands.h"
#include "tui/tui.h"

#define MAX_SIDE 65536

enum {
	O_DATA, O_SET, O_OT, O_RANDOM, O_SEED, O_SOLVER, O_REG, O_TOL, O_COLOR, O_NO_MOUSE,
	O_MAN
};

static const struct cli_opt opts[] = {
	[O_DATA] = {0, "data", CLI_STR, "SPEC", "data set of the session (e.g. fashion-mnist)"},
	[O_SET] = {0, "set", CLI_LIST, "NAME=VALUE",
		   "a session parameter (repeatable; see the params screen)"},
	[O_OT] = {0, "ot", CLI_STR, "FILE", "cost matrix (CSV or binary, as for 'clafuse ot')"},
	[O_RANDOM] = {0, "random", CLI_STR, "N[xM]",
		      "two Gaussian clouds of N and M points in the plane,\n"
		      "squared Euclidean cost divided by its maximum"},
	[O_SEED] = {0, "seed", CLI_INT, "S", "seed of --random (default 1)", 0, 2147483647.0},
	[O_SOLVER] = {0, "solver", CLI_STR, "NAME",
		      "sinkhorn (default) | sinkhorn-log | sinkhorn-eps |\n"
		      "sinkhorn-sparse | emd | exact"},
	[O_REG] = {0, "reg", CLI_REAL, "X", "entropic epsilon (default 0.01)", 1e-300, 1e300},
	[O_TOL] = {0, "tol", CLI_REAL, "X", "entropic stop: L1 marginal error (default 1e-9)", 0, 1},
	[O_COLOR] = {0, "color", CLI_STR, "MODE", "auto (default) | mono | 8 | 256 | rgb"},
	[O_NO_MOUSE] = {0, "no-mouse", CLI_FLAG, NULL,
			"leave the mouse to the terminal (text selection)"},
	[O_MAN] = {0, "man", CLI_FLAG, NULL,
		   "print the man page (generated from the command table)"},
	{0}
};

static void keys_help(FILE *f)
{
	fprintf(f, "Keys: ? shows them all; q quits.\n");
}

static int cmp_x(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* Two clouds in the plane, sorted by x so the plan runs near the diagonal;
 * M = squared distances / max. */
static int random_costs(int64_t n, int64_t m, unsigned long seed, double **out)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double *X = malloc((size_t)n * 2 * sizeof *X), *Y = malloc((size_t)m * 2 * sizeof *Y);
	double *M = malloc((size_t)(n * m) * sizeof *M);
	cf_error err;
	int rc = -1;

	cf_error_clear(&err);
	if (!rng || !X || !Y || !M) {
		fprintf(stderr, "clafuse tui: out of memory for a %lldx%lld problem\n", (long long)n,
			(long long)m);
		goto done;
	}
	gsl_rng_set(rng, seed);
	for (int64_t i = 0; i < n; i++) {
		X[2 * i] = gsl_ran_gaussian(rng, 1.0);
		X[2 * i + 1] = gsl_ran_gaussian(rng, 1.0);
	}
	for (int64_t j = 0; j < m; j++) {
		Y[2 * j] = 2.0 + gsl_ran_gaussian(rng, 0.7);
		Y[2 * j + 1] = 1.0 + gsl_ran_gaussian(rng, 1.3);
	}
	qsort(X, (size_t)n, 2 * sizeof *X, cmp_x);
	qsort(Y, (size_t)m, 2 * sizeof *Y, cmp_x);
	if (cf_ground_cost(X, n, Y, m, 2, CF_GROUND_SQEUCLIDEAN, 0, M, &err) ||
	    cf_ground_normalize(M, n * m, CF_GROUND_NORM_MAX, NULL, &err)) {
		fprintf(stderr, "clafuse tui: %s\n", err.msg);
		goto done;
	}
	*out = M;
	M = NULL;
	rc = 0;
done:
	gsl_rng_free(rng);
	free(X);
	free(Y);
	free(M);
	return rc;
}

static int parse_size(const char *s, int64_t *n, int64_t *m)
{
	char *end;
	long a, b;
	errno = 0;
	a = strtol(s, &end, 10);
	if (end == s || errno || a < 1 || a > MAX_SIDE)
		return -1;
	b = a;
	if (*end == 'x' || *end == 'X') {
		const char *t = end + 1;
		b = strtol(t, &end, 10);
		if (end == t || errno || b < 1 || b > MAX_SIDE)
			return -1;
	}
	if (*end)
		return -1;
	*n = a;
	*m = b;
	return 0;
}

/* The colour mode named by --color, or -2 after a message. */
static int colour_mode(const char *v)
{
	static const struct { const char *name; int mode; } modes[] = {
		{"auto", CF_TUI_COLOUR_AUTO}, {"mono", CF_MODE_MONO}, {"8", CF_MODE_8},
		{"256", CF_MODE_256}, {"rgb", CF_MODE_RGB}};
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		if (!strcmp(v, modes[i].name))
			return modes[i].mode;
	fprintf(stderr, "clafuse tui: --color: expected auto, mono, 8, 256 or rgb, got '%s'\n", v);
	return -2;
}

/* The layer screen on one transport problem (--ot or --random). */
static int ot_tui(const struct cli_args *a, int kind, int colour, int mouse)
{
	const char *ot_file = cli_str(a, O_OT, NULL), *random = cli_str(a, O_RANDOM, NULL);
	long seed = cli_long(a, O_SEED, 1);
	int64_t n = 0, m = 0;
	double *M = NULL;
	char desc[160];
	cf_error err;

	if (random) {
		if (parse_size(random, &n, &m)) {
			fprintf(stderr, "clafuse tui: --random: expected N or NxM with 1..%d, got '%s'\n",
				MAX_SIDE, random);
			return 2;
		}
		if (random_costs(n, m, (unsigned long)seed, &M))
			return 1;
		snprintf(desc, sizeof desc, "random %lld×%lld (seed %ld)", (long long)n, (long long)m,
			 seed);
	} else {
		const char *base = strrchr(ot_file, '/');
		if (cf_matfile_read(ot_file, &M, &n, &m, &err)) {
			fprintf(stderr, "clafuse tui: %s\n", err.msg);
			return 1;
		}
		if (n > MAX_SIDE || m > MAX_SIDE) {
			fprintf(stderr, "clafuse tui: '%s' is %lldx%lld; the layer screen takes at most %dx%d\n",
				ot_file, (long long)n, (long long)m, MAX_SIDE, MAX_SIDE);
			free(M);
			return 1;
		}
		snprintf(desc, sizeof desc, "%s %lld×%lld", base ? base + 1 : ot_file, (long long)n,
			 (long long)m);
	}
	return cf_tui_main_problem(M, n, m, kind, cli_real(a, O_REG, 0.01), cli_real(a, O_TOL, 1e-9),
				   desc, colour, mouse);
}

static int run(const struct cli_args *a)
{
	const char *solver = cli_str(a, O_SOLVER, NULL), *data = cli_str(a, O_DATA, NULL);
	int kind = CF_OT_SINKHORN, colour = CF_TUI_COLOUR_AUTO, mouse = !cli_flag(a, O_NO_MOUSE);
	int has_ot = cli_flag(a, O_OT) || cli_flag(a, O_RANDOM);

	if (cli_flag(a, O_MAN)) {
		cf_tui_commands_man(stdout);
		return 0;
	}
	if (solver && (kind = cf_ot_kind_parse(solver)) < 0) {
		fprintf(stderr, "clafuse tui: --solver: unknown '%s'\n", solver);
		return 2;
	}
	if (cli_flag(a, O_COLOR) && (colour = colour_mode(cli_str(a, O_COLOR, ""))) == -2)
		return 2;
	if (a->npos > 0) {
		if (has_ot) {
			fprintf(stderr, "clafuse tui: give model files or --ot/--random, not both\n");
			return 2;
		}
		return cf_tui_main_session(a->pos, a->npos, data, a->v[O_SET].list, a->v[O_SET].n,
					   colour, mouse);
	}
	if (data || a->v[O_SET].n) {
		fprintf(stderr, "clafuse tui: --data and --set need model files\n");
		return 2;
	}
	if (cli_flag(a, O_OT) == cli_flag(a, O_RANDOM)) {
		fprintf(stderr, "clafuse tui: give exactly one of --ot FILE or --random N\n");
		return 2;
	}
	return ot_tui(a, kind, colour, mouse);
}

const struct cf_command cf_cmd_tui = {
	.name = "tui",
	.synopsis = "(A B [MORE...] | --ot FILE | --random N) [options]",
	.summary = "the full-screen workbench",
	.about = "The full-screen workbench: a fusion session on model files, or the layer\n"
		 "screen of one transport problem.\n",
	.opts = opts,
	.min_args = 0,
	.max_args = -1,
	.more_help = keys_help,
	.run = run,
};
