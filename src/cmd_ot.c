/* cmd_ot.c — `clafuse ot`: solve one transport problem from a cost file.
 *
 * Reads a cost matrix (CSV or the binary format of share/doc/ot.md), and
 * optional weight vectors, runs one solver and prints cost, status,
 * iterations and the solver's own time (file I/O excluded; with --repeat
 * the fastest of N solves after one warm-up).  The plan is written
 * atomically (temporary file + rename).  Exit status: 0 solved (optimal or
 * converged), 1 failure (bad input, limit reached, numerical failure),
 * 2 bad usage.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ot.h"

#define BIN_MAGIC "CFMAT001"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: clafuse ot COSTS [options]\n"
		"Solve one optimal-transport problem with the cost matrix in COSTS\n"
		"(CSV: one row per line, numbers separated by commas or blanks, '#' comments;\n"
		" or binary: magic \"" BIN_MAGIC "\", int64 rows, int64 cols, float64 data, little-endian).\n\n"
		"options:\n"
		"  --a FILE           source weights (n numbers; default uniform 1/n)\n"
		"  --b FILE           target weights (m numbers; default uniform 1/m)\n"
		"  --solver NAME      exact (default) | emd | assign | sinkhorn | sinkhorn-log |\n"
		"                     sinkhorn-eps | unbalanced\n"
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
		"  --repeat N         solve N times after a warm-up, report the fastest time\n"
		"  -h, --help         this help\n");
}

/* Whole file into memory (NUL-terminated). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f)
		return NULL;
	for (;;) {
		size_t got;
		if (cap - n < 65536) {
			char *nb = realloc(buf, cap * 2 + 65536);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap = cap * 2 + 65536;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t x = 0;
	for (int k = 7; k >= 0; k--)
		x = x << 8 | p[k];
	return x;
}

/* Read a matrix; returns 0 and sets *out (malloc'd), *rows, *cols. */
static int read_matrix(const char *path, double **out, int64_t *rows, int64_t *cols)
{
	size_t len;
	char *buf = slurp(path, &len);
	double *data = NULL;
	int64_t r = 0, c = -1, cnt = 0, cap = 0;

	if (!buf) {
		fprintf(stderr, "clafuse ot: cannot read '%s': %s\n", path, strerror(errno));
		return 1;
	}
	if (len >= 8 && !memcmp(buf, BIN_MAGIC, 8)) {
		const unsigned char *p = (const unsigned char *)buf;
		uint64_t nr, nc;
		if (len < 24) {
			fprintf(stderr, "clafuse ot: '%s': binary header truncated (%zu bytes)\n", path, len);
			free(buf);
			return 1;
		}
		nr = le64(p + 8);
		nc = le64(p + 16);
		if (nr == 0 || nc == 0 || nr > (1u << 30) || nc > (1u << 30) ||
		    (len - 24) / 8 != nr * nc || (len - 24) % 8) {
			fprintf(stderr, "clafuse ot: '%s': binary matrix %llux%llu needs %llu data bytes, file has %zu\n",
				path, (unsigned long long)nr, (unsigned long long)nc,
				(unsigned long long)(nr * nc * 8), len - 24);
			free(buf);
			return 1;
		}
		data = malloc(nr * nc * sizeof *data);
		if (!data) {
			fprintf(stderr, "clafuse ot: out of memory for %llux%llu matrix\n",
				(unsigned long long)nr, (unsigned long long)nc);
			free(buf);
			return 1;
		}
		for (uint64_t k = 0; k < nr * nc; k++) {
			uint64_t bits = le64(p + 24 + 8 * k);
			memcpy(&data[k], &bits, 8);
		}
		*rows = (int64_t)nr;
		*cols = (int64_t)nc;
		*out = data;
		free(buf);
		return 0;
	}
	{
		char *s = buf;
		int64_t line = 1;
		while (*s) {
			int64_t inrow = 0;
			/* one line */
			while (*s && *s != '\n') {
				char *end;
				double x;
				if (*s == ' ' || *s == '\t' || *s == ',' || *s == '\r' || *s == ';') {
					s++;
					continue;
				}
				if (*s == '#') {
					while (*s && *s != '\n')
						s++;
					break;
				}
				x = strtod(s, &end);
				if (end == s) {
					fprintf(stderr, "clafuse ot: %s:%lld: not a number near '%.12s'\n", path,
						(long long)line, s);
					free(buf);
					free(data);
					return 1;
				}
				s = end;
				if (cnt == cap) {
					double *nd;
					cap = cap ? 2 * cap : 1024;
					nd = realloc(data, (size_t)cap * sizeof *nd);
					if (!nd) {
						fprintf(stderr, "clafuse ot: out of memory reading '%s'\n", path);
						free(buf);
						free(data);
						return 1;
					}
					data = nd;
				}
				data[cnt++] = x;
				inrow++;
			}
			if (inrow > 0) {
				if (c < 0)
					c = inrow;
				else if (inrow != c) {
					fprintf(stderr, "clafuse ot: %s:%lld: row has %lld values, expected %lld\n",
						path, (long long)line, (long long)inrow, (long long)c);
					free(buf);
					free(data);
					return 1;
				}
				r++;
			}
			if (*s == '\n') {
				s++;
				line++;
			}
		}
	}
	free(buf);
	if (r == 0) {
		fprintf(stderr, "clafuse ot: '%s' holds no numbers\n", path);
		free(data);
		return 1;
	}
	*rows = r;
	*cols = c;
	*out = data;
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

static int write_plan(const char *path, const double *T, int64_t n, int64_t m)
{
	size_t L = strlen(path);
	char *tmp = malloc(L + 16);
	FILE *f;
	int bin = L >= 4 && !strcmp(path + L - 4, ".bin"), bad = 0;

	if (!tmp)
		return 1;
	snprintf(tmp, L + 16, "%s.tmp%ld", path, (long)(rand() % 100000));
	if (!(f = fopen(tmp, "wb"))) {
		fprintf(stderr, "clafuse ot: cannot write '%s': %s\n", tmp, strerror(errno));
		free(tmp);
		return 1;
	}
	if (bin) {
		unsigned char h[24];
		memcpy(h, BIN_MAGIC, 8);
		for (int k = 0; k < 8; k++) {
			h[8 + k] = (unsigned char)((uint64_t)n >> (8 * k));
			h[16 + k] = (unsigned char)((uint64_t)m >> (8 * k));
		}
		bad |= fwrite(h, 1, 24, f) != 24;
		for (int64_t q = 0; q < n * m && !bad; q++) {
			uint64_t bits;
			unsigned char b[8];
			memcpy(&bits, &T[q], 8);
			for (int k = 0; k < 8; k++)
				b[k] = (unsigned char)(bits >> (8 * k));
			bad |= fwrite(b, 1, 8, f) != 8;
		}
	} else {
		for (int64_t i = 0; i < n && !bad; i++)
			for (int64_t j = 0; j < m; j++)
				bad |= fprintf(f, "%.17g%c", T[i * m + j], j + 1 < m ? ',' : '\n') < 0;
	}
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path)) {
		fprintf(stderr, "clafuse ot: writing '%s' failed: %s\n", path, strerror(errno));
		remove(tmp);
		free(tmp);
		return 1;
	}
	free(tmp);
	return 0;
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
	double *M = NULL, *a = NULL, *b = NULL, best = INFINITY;
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
	for (long r = 0; r <= repeat; r++) {
		cf_ot_result_clear(&res);
		if (cf_ot_solve(kind, &prob, &par, &res, &err)) {
			fprintf(stderr, "clafuse ot: %s: %s\n", costs, err.msg);
			goto out;
		}
		if (r > 0 || repeat == 0)
			best = fmin(best, res.time);
	}
	printf("problem     %lld x %lld\n", (long long)n, (long long)m);
	printf("solver      %s\n", cf_ot_kind_name(res.kind));
	printf("status      %s (%s)\n", cf_ot_status_name(res.status), res.message);
	printf("cost        %.17g\n", res.cost);
	if (res.reg > 0)
		printf("eps         %.6g\n", res.reg);
	printf("iterations  %lld\n", (long long)res.iterations);
	printf("time        %.6f s\n", best);
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
	if (planfile && write_plan(planfile, res.plan, n, m))
		goto out;
	rc = (res.status == CF_OT_OPTIMAL || res.status == CF_OT_CONVERGED) ? 0 : 1;
out:
	cf_ot_result_clear(&res);
	free(M);
	free(a);
	free(b);
	return rc;
}
