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
 * workbench itself (set-up, terminal, loop) is src/tui/app.c.
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

#include "cli.h"
#include "cmd.h"
#include "matfile.h"
#include "ground.h"
#include "ot.h"
#include "tui/commands.h"
#include "tui/app.h"
#include "tui/tui.h"

#define MAX_SIDE 65536

static void usage(FILE *f)
{
	fprintf(f,
		"usage: clafuse tui A.safetensors B.safetensors [more...] [--data SPEC]\n"
		"                   [--set NAME=VALUE]... [options]\n"
		"       clafuse tui (--ot COSTS | --random N[xM]) [options]\n"
		"The full-screen workbench: a fusion session on model files, or the layer\n"
		"screen of one transport problem.\n\n"
		"  --data SPEC      data set of the session (e.g. fashion-mnist)\n"
		"  --set NAME=VALUE a session parameter (repeatable; see the params screen)\n"
		"  --ot FILE        cost matrix (CSV or binary, as for 'clafuse ot')\n"
		"  --random N[xM]   two Gaussian clouds of N and M points in the plane,\n"
		"                   squared Euclidean cost divided by its maximum\n"
		"  --seed S         seed of --random (default 1)\n"
		"  --solver NAME    sinkhorn (default) | sinkhorn-log | sinkhorn-eps | emd | exact\n"
		"  --reg X          entropic epsilon (default 0.01)\n"
		"  --tol X          entropic stop: L1 marginal error (default 1e-9)\n"
		"  --color MODE     auto (default) | mono | 8 | 256 | rgb\n"
		"  --no-mouse       leave the mouse to the terminal (text selection)\n"
		"  --man            print the man page (generated from the command table)\n"
		"  -h, --help       this help\n"
		"Keys: ? shows them all; q quits.\n");
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

/* Options into the pointers; returns an exit status when done (help, man,
 * a usage error) or -1 to go on. */
static int parse_args(int argc, char **argv, const char **ot_file, const char **random,
		      long *seed, double *reg, double *tol, int *kind, int *colour, int *mouse,
		      const char **data, const char **models, int *nmodels, const char **sets,
		      int *nsets)
{
	for (int k = 1; k < argc; k++) {
		const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
		int takes = !strcmp(a, "--ot") || !strcmp(a, "--random") || !strcmp(a, "--seed") ||
			    !strcmp(a, "--solver") || !strcmp(a, "--reg") || !strcmp(a, "--tol") ||
			    !strcmp(a, "--color") || !strcmp(a, "--data") || !strcmp(a, "--set");
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--man")) {
			cf_tui_commands_man(stdout);
			return 0;
		}
		if (!strcmp(a, "--no-mouse")) {
			*mouse = 0;
			continue;
		}
		if (a[0] != '-') {
			models[(*nmodels)++] = a;
			continue;
		}
		if (!takes) {
			fprintf(stderr, "clafuse tui: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
		if (!v) {
			fprintf(stderr, "clafuse tui: %s needs a value\n", a);
			return 2;
		}
		k++;
		if (!strcmp(a, "--ot"))
			*ot_file = v;
		else if (!strcmp(a, "--random"))
			*random = v;
		else if (!strcmp(a, "--data"))
			*data = v;
		else if (!strcmp(a, "--set"))
			sets[(*nsets)++] = v;
		else if (!strcmp(a, "--seed")) {
			if (cli_int("tui", "--seed", v, 0, 2147483647L, seed))
				return 2;
		} else if (!strcmp(a, "--reg")) {
			if (cli_double("tui", "--reg", v, 1e-300, 1e300, reg))
				return 2;
		} else if (!strcmp(a, "--tol")) {
			if (cli_double("tui", "--tol", v, 0, 1, tol))
				return 2;
		} else if (!strcmp(a, "--solver")) {
			*kind = cf_ot_kind_parse(v);
			if (*kind < 0) {
				fprintf(stderr, "clafuse tui: --solver: unknown '%s'\n", v);
				return 2;
			}
		} else if (!strcmp(a, "--color")) {
			if (!strcmp(v, "auto"))
				*colour = CF_TUI_COLOUR_AUTO;
			else if (!strcmp(v, "mono"))
				*colour = CF_MODE_MONO;
			else if (!strcmp(v, "8"))
				*colour = CF_MODE_8;
			else if (!strcmp(v, "256"))
				*colour = CF_MODE_256;
			else if (!strcmp(v, "rgb"))
				*colour = CF_MODE_RGB;
			else {
				fprintf(stderr, "clafuse tui: --color: expected auto, mono, 8, 256 or rgb, "
						"got '%s'\n", v);
				return 2;
			}
		}
	}
	return -1;
}

int cmd_tui(int argc, char **argv)
{
	const char *ot_file = NULL, *random = NULL;
	long seed = 1;
	double reg = 0.01, tol = 1e-9;
	int kind = CF_OT_SINKHORN, colour = CF_TUI_COLOUR_AUTO, mouse = 1;
	int64_t n = 0, m = 0;
	double *M = NULL;
	char desc[160];
	cf_error err;
	const char *data = NULL;
	const char **models = calloc((size_t)argc + 1, sizeof *models);
	const char **sets = calloc((size_t)argc + 1, sizeof *sets);
	int nmodels = 0, nsets = 0, rc;

	if (!models || !sets) {
		free(models);
		free(sets);
		fprintf(stderr, "clafuse tui: out of memory\n");
		return 1;
	}
	rc = parse_args(argc, argv, &ot_file, &random, &seed, &reg, &tol, &kind, &colour, &mouse,
			&data, models, &nmodels, sets, &nsets);
	if (rc >= 0) {
		free(models);
		free(sets);
		return rc;
	}
	if (nmodels > 0) {
		if (ot_file || random) {
			fprintf(stderr, "clafuse tui: give model files or --ot/--random, not both\n");
			free(models);
			free(sets);
			return 2;
		}
		rc = cf_tui_main_session(models, nmodels, data, sets, nsets, colour, mouse);
		free(models);
		free(sets);
		return rc;
	}
	free(models);
	free(sets);
	if (data || nsets) {
		fprintf(stderr, "clafuse tui: --data and --set need model files\n");
		return 2;
	}

	if (!!ot_file == !!random) {
		fprintf(stderr, "clafuse tui: give exactly one of --ot FILE or --random N\n");
		usage(stderr);
		return 2;
	}
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
	return cf_tui_main_problem(M, n, m, kind, reg, tol, desc, colour, mouse);
}
