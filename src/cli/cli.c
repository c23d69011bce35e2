/* cli.c — the option parser of the subcommands and its helpers (see cli.h).
 *
 * Accepted forms: `--name VALUE`, `--name=VALUE`, `-x VALUE`, `-xVALUE`,
 * flags `--name` / `-x`, and `--` to end the options; options and
 * positional arguments may be mixed (as GNU getopt permutes them) unless
 * the command asks options to end at the first positional argument.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

#ifdef CF_HAVE_OPENBLAS
void openblas_set_num_threads(int n);
#endif

#define HELP_COLUMN 24

static int nopts(const struct cf_command *c)
{
	int n = 0;
	while (c->opts && (c->opts[n].shortopt || c->opts[n].longopt))
		n++;
	return n;
}

/* The left column of an option's help line: "-o, --output FILE". */
static int opt_label(const struct cli_opt *o, char *buf, size_t len)
{
	int w;
	if (o->shortopt && o->longopt)
		w = snprintf(buf, len, "-%c, --%s", o->shortopt, o->longopt);
	else if (o->shortopt)
		w = snprintf(buf, len, "-%c", o->shortopt);
	else
		w = snprintf(buf, len, "--%s", o->longopt);
	if (o->kind != CLI_FLAG && w >= 0 && (size_t)w < len)
		w += snprintf(buf + w, len - (size_t)w, " %s", o->arg ? o->arg : "VALUE");
	return w;
}

static void help_line(FILE *f, const char *label, const char *help)
{
	int w = fprintf(f, "  %s", label);
	if (w >= HELP_COLUMN) {
		fputc('\n', f);
		w = 0;
	}
	while (help && *help) {
		const char *nl = strchr(help, '\n');
		int len = nl ? (int)(nl - help) : (int)strlen(help);
		fprintf(f, "%*s%.*s\n", HELP_COLUMN - w, "", len, help);
		w = 0;
		help = nl ? nl + 1 : help + len;
	}
	if (!help || !*help)
		if (w) /* a label without help */
			fputc('\n', f);
}

void cli_usage(const struct cf_command *c, FILE *f)
{
	char label[96];
	int n = nopts(c);

	fprintf(f, "usage: clafuse %s %s\n", c->name, c->synopsis);
	if (c->about)
		fputs(c->about, f);
	fprintf(f, "\noptions:\n");
	for (int i = 0; i < n; i++) {
		opt_label(&c->opts[i], label, sizeof label);
		help_line(f, label, c->opts[i].help);
	}
	help_line(f, "-h, --help", "this help");
	if (c->more_help)
		c->more_help(f);
}

static void usage_error(const struct cf_command *c)
{
	fprintf(stderr, "usage: clafuse %s %s (see --help)\n", c->name, c->synopsis);
}

/* The option named by `a` (without its leading dashes; `len` characters of
 * a long name, or the single character of a short one), or -1. */
static int find_opt(const struct cf_command *c, const char *name, size_t len, int is_long)
{
	int n = nopts(c);
	for (int i = 0; i < n; i++) {
		const struct cli_opt *o = &c->opts[i];
		if (is_long ? o->longopt && strlen(o->longopt) == len && !strncmp(o->longopt, name, len)
			    : o->shortopt && o->shortopt == name[0])
			return i;
	}
	return -1;
}

/* Store `val` for option i given as `shown`; 0, or -1 after a message. */
static int store(const struct cf_command *c, struct cli_args *a, int i, const char *shown,
		 const char *val)
{
	const struct cli_opt *o = &c->opts[i];
	struct cli_value *v = &a->v[i];

	switch (o->kind) {
	case CLI_INT:
		if (cli_int(c->name, shown, val, (long)o->lo, (long)o->hi, &v->i))
			return -1;
		break;
	case CLI_REAL:
		if (cli_double(c->name, shown, val, o->lo, o->hi, &v->x))
			return -1;
		break;
	case CLI_LIST:
		v->list[v->n++] = val;
		break;
	default:
		break;
	}
	v->s = val;
	v->set++;
	return 0;
}

/* 0 parsed, 1 help printed, 2 bad usage (message printed), -1 no memory. */
static int parse(const struct cf_command *c, int argc, char **argv, struct cli_args *a)
{
	int only_args = 0;

	for (int k = 1; k < argc; k++) {
		const char *s = argv[k], *val = NULL, *name;
		char shown[64];
		size_t len;
		int i, is_long;

		if (only_args || s[0] != '-' || !s[1]) {
			a->pos[a->npos++] = s;
			if (c->flags & CLI_STOP_AT_ARG)
				only_args = 1;
			continue;
		}
		if (!strcmp(s, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			cli_usage(c, stdout);
			return 1;
		}
		is_long = s[1] == '-';
		name = s + 1 + is_long;
		if (is_long) {
			const char *eq = strchr(name, '=');
			len = eq ? (size_t)(eq - name) : strlen(name);
			val = eq ? eq + 1 : NULL;
		} else {
			len = 1;
			val = name[1] ? name + 1 : NULL;
		}
		i = find_opt(c, name, len, is_long);
		snprintf(shown, sizeof shown, "%s%.*s", is_long ? "--" : "-", (int)len, name);
		if (i < 0) {
			fprintf(stderr, "clafuse %s: unknown option '%s'\n", c->name, shown);
			return 2;
		}
		if (c->opts[i].kind == CLI_FLAG) {
			if (val) {
				fprintf(stderr, "clafuse %s: %s takes no value, got '%s'\n", c->name, shown,
					s);
				return 2;
			}
			a->v[i].set++;
			continue;
		}
		if (!val) {
			if (k + 1 >= argc) {
				fprintf(stderr, "clafuse %s: %s needs a value (%s)\n", c->name, shown,
					c->opts[i].arg ? c->opts[i].arg : "VALUE");
				return 2;
			}
			val = argv[++k];
		}
		if (store(c, a, i, shown, val))
			return 2;
	}
	if (a->npos < c->min_args) {
		fprintf(stderr, "clafuse %s: %s\n", c->name,
			a->npos ? "too few arguments" : "missing arguments");
		return 2;
	}
	if (c->max_args >= 0 && a->npos > c->max_args) {
		fprintf(stderr, "clafuse %s: unexpected argument '%s'\n", c->name,
			a->pos[c->max_args]);
		return 2;
	}
	return 0;
}

int cli_main(const struct cf_command *c, int argc, char **argv)
{
	int n = nopts(c), rc;
	struct cli_args a = {c, NULL, NULL, 0, argc, argv};

	a.v = calloc((size_t)n + 1, sizeof *a.v);
	a.pos = calloc((size_t)argc + 1, sizeof *a.pos);
	rc = a.v && a.pos ? 0 : -1;
	for (int i = 0; i < n && !rc; i++)
		if (c->opts[i].kind == CLI_LIST &&
		    !(a.v[i].list = calloc((size_t)argc + 1, sizeof *a.v[i].list)))
			rc = -1;
	if (!rc) {
		rc = parse(c, argc, argv, &a);
		if (rc == 2)
			usage_error(c);
		if (rc == 1)
			rc = 0;
		else if (rc == 0)
			rc = c->run(&a);
	}
	if (rc < 0) {
		fprintf(stderr, "clafuse %s: out of memory\n", c->name);
		rc = 1;
	}
	for (int i = 0; a.v && i < n; i++)
		free(a.v[i].list);
	free(a.v);
	free(a.pos);
	return rc;
}

const char *cli_str(const struct cli_args *a, int opt, const char *def)
{
	return a->v[opt].set ? a->v[opt].s : def;
}

long cli_long(const struct cli_args *a, int opt, long def)
{
	return a->v[opt].set ? a->v[opt].i : def;
}

double cli_real(const struct cli_args *a, int opt, double def)
{
	return a->v[opt].set ? a->v[opt].x : def;
}

int cli_flag(const struct cli_args *a, int opt)
{
	return a->v[opt].set;
}

void cli_error(const char *cmd, const cf_error *err)
{
	fprintf(stderr, "clafuse %s: %s\n", cmd,
		err->code == CF_ESTOPPED ? "interrupted"
		: err->msg[0]            ? err->msg
					 : cf_status_name(err->code));
}

int cli_archs_check(const char *cmd, const struct cli_value *v, int n)
{
	if (v->n <= 1 || v->n == n)
		return 0;
	fprintf(stderr, "clafuse %s: %d --arch for %d models: give one for all of them, or one "
			"per model in order\n", cmd, v->n, n);
	return -1;
}

const char *cli_arch_for(const struct cli_value *v, int i)
{
	return v->n == 0 ? NULL : v->n == 1 ? v->list[0] : v->list[i];
}

int cli_norm(const char *cmd, const char *text, cf_norm *n)
{
	cf_error err = {0};
	memset(n, 0, sizeof *n);
	if (text && cf_norm_parse(text, "--norm", n, &err)) {
		fprintf(stderr, "clafuse %s: %s\n", cmd, err.msg);
		return -1;
	}
	return 0;
}

void cli_norm_of(const cf_dataset *d, cf_norm *n)
{
	cf_norm_set(n, d->c, d->mean, d->std);
}

void cli_norm_note(const char *cmd, const cf_dataset *d)
{
	cf_norm n;
	char text[160];
	cli_norm_of(d, &n);
	fprintf(stderr, "clafuse %s: no input normalisation stated (--norm, or the model's %s); "
			"using %s's own statistics %s\n",
		cmd, CF_NORM_META_KEY, d->name, cf_norm_print(&n, text, sizeof text));
}

int cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "clafuse %s: %s: expected a whole number in [%ld, %ld], got '%s'\n",
			cmd, opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
	       double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
		if (isinf(lo) && isinf(hi))
			fprintf(stderr, "clafuse %s: %s: expected a number, got '%s'\n", cmd, opt, s);
		else if (isinf(hi))
			fprintf(stderr, "clafuse %s: %s: expected a number >= %g, got '%s'\n", cmd, opt,
				lo, s);
		else
			fprintf(stderr, "clafuse %s: %s: expected a number in [%g, %g], got '%s'\n",
				cmd, opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

void cli_set_threads(int n)
{
#ifdef CF_HAVE_OPENBLAS
	openblas_set_num_threads(n);
#else
	(void)n;
#endif
}

