/* cmd_fuse.c — `clafuse fuse`: fuse two or more model files of any depths
 * with a fusion session and print (and optionally write as JSON) a report.
 *
 * A thin wrapper over the session: load the models and the data, apply
 * --set / --layer parameters, run every step, report the alignment map,
 * per-layer plan statistics, accuracies and step times, save the fused
 * model with its parents and parameters in the metadata.  Exit status:
 * 0 success, 1 failure of the work, 2 bad usage.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "core/model.h"
#include "core/outfile.h"
#include "core/report.h"
#include "core/session.h"
#include "term/progress.h"

enum { O_DATA, O_SET, O_LAYER, O_OUT, O_JSON, O_THREADS, O_QUIET };

static const struct cli_opt opts[] = {
	[O_DATA] = {0, "data", CLI_STR, "SPEC",
		    "data set (default fashion-mnist; idx:..., cifar10:DIR, ...)"},
	[O_SET] = {0, "set", CLI_LIST, "NAME=VALUE", "set a session parameter (repeatable)"},
	[O_LAYER] = {0, "layer", CLI_LIST, "L:NAME=VALUE",
		     "override a per-layer parameter for fusion layer L"},
	[O_OUT] = {'o', NULL, CLI_STR, "FILE", "write the fused model (safetensors)"},
	[O_JSON] = {0, "json", CLI_STR, "FILE", "write the report as JSON"},
	[O_THREADS] = {0, "threads", CLI_INT, "N", "BLAS threads, default 1", 1, 256},
	[O_QUIET] = {'q', NULL, CLI_FLAG, NULL, "print less (no per-layer table)"},
	{0}
};

static void params_help(FILE *f)
{
	int n;
	const cf_param_info *p = cf_session_params(&n);
	fprintf(f, "\nparameters (default):\n");
	for (int i = 0; i < n; i++) {
		char choices[256];
		cf_session_param_choices(&p[i], choices, sizeof choices);
		fprintf(f, "  %-24s %-10s %s%s%s\n", p[i].name, *p[i].def ? p[i].def : "\"\"", p[i].help,
			*choices ? ": " : "", choices);
	}
}

/* The report as indented JSON, written atomically like every output. */
static int write_json(const json_t *rep, const char *path, cf_error *err)
{
	cf_outfile o;

	if (cf_outfile_open(&o, path, err))
		return -1;
	if (json_dumpf(rep, o.f, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 && !ferror(o.f)) {
		cf_outfile_discard(&o);
		return cf_error_set(err, CF_EFAILED, "cannot write '%s': the report could not be "
				    "encoded as JSON", path);
	}
	return cf_outfile_commit(&o, err);
}

/* --set NAME=VALUE, each; 0, or 2 (bad usage) after a message. */
static int apply_sets(cf_session *s, const struct cli_value *v)
{
	cf_error e = {0};
	for (int i = 0; i < v->n; i++) {
		const char *a = v->list[i], *eq = strchr(a, '=');
		char name[128];
		if (!eq || eq == a || (size_t)(eq - a) >= sizeof name) {
			fprintf(stderr, "clafuse fuse: --set wants NAME=VALUE, got '%s'\n", a);
			return 2;
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
		if (cf_session_set(s, name, eq + 1, &e)) {
			cli_error("fuse", &e);
			return 2;
		}
	}
	return 0;
}

/* --layer L:NAME=VALUE, each (after the balance step: the layers exist);
 * 0, or 2 (bad usage) after a message. */
static int apply_layers(cf_session *s, const struct cli_value *v)
{
	cf_error e = {0};
	for (int i = 0; i < v->n; i++) {
		const char *a = v->list[i], *eq = strchr(a, '='), *colon = strchr(a, ':');
		char name[128];
		int L;
		if (!colon || !eq || eq < colon || sscanf(a, "%d", &L) != 1 ||
		    (size_t)(eq - colon - 1) >= sizeof name) {
			fprintf(stderr, "clafuse fuse: --layer wants L:NAME=VALUE, got '%s'\n", a);
			return 2;
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - colon - 1), colon + 1);
		if (cf_session_set_layer(s, L, name, eq + 1, &e)) {
			cli_error("fuse", &e);
			return 2;
		}
	}
	return 0;
}

/* Save the fused model with its parents and parameters in the metadata. */
static int save_fused(cf_session *s, const char *out, cf_error *e)
{
	int np, rc;
	const cf_param_info *pt = cf_session_params(&np);
	const char *keys[2] = {"clafuse.parents", "clafuse.params"}, *vals[2];
	size_t plen = 1;
	char *parents, *pars;

	for (int i = 0; i < cf_session_nmodels(s); i++)
		plen += strlen(cf_session_model_name(s, i)) + 1;
	parents = calloc(plen, 1);
	pars = calloc((size_t)np * 300 + 1, 1);
	if (!parents || !pars) {
		free(parents);
		free(pars);
		return cf_error_set(e, CF_ENOMEM, "out of memory");
	}
	for (int i = 0; i < cf_session_nmodels(s); i++) {
		if (i)
			strcat(parents, ",");
		strcat(parents, cf_session_model_name(s, i));
	}
	for (int i = 0; i < np; i++) {
		char buf[256];
		cf_session_get(s, pt[i].name, buf, sizeof buf, NULL);
		sprintf(pars + strlen(pars), "%s%s=%s", i ? ";" : "", pt[i].name, buf);
	}
	vals[0] = parents;
	vals[1] = pars;
	rc = cf_model_save(cf_session_fused(s), out, keys, vals, 2, e);
	free(parents);
	free(pars);
	return rc;
}

/* Load the models and the data set, apply the parameters and run every
 * step; an exit status (0 done). */
static int prepare_and_run(cf_session *s, const struct cli_args *a, cf_progress *prog)
{
	cf_error e = {0};
	int rc;

	if ((rc = apply_sets(s, &a->v[O_SET])))
		return rc;
	for (int i = 0; i < a->npos; i++)
		if (cf_session_load_model(s, a->pos[i], &e))
			goto fail;
	if (cf_session_load_data(s, cli_str(a, O_DATA, "fashion-mnist"), &e))
		goto fail;
	cf_session_set_progress(s, prog);
	/* per-layer overrides need the balanced depth: run to the balance first */
	if (a->v[O_LAYER].n && cf_session_run(s, CF_STEP_BALANCE, &e))
		goto fail;
	if ((rc = apply_layers(s, &a->v[O_LAYER])))
		return rc;
	rc = cf_session_run_all(s, &e);
	cf_term_progress_done();
	if (!rc)
		return 0;
fail:
	cf_term_progress_done();
	cli_error("fuse", &e);
	return 1;
}

static int run(const struct cli_args *a)
{
	const char *out = cli_str(a, O_OUT, NULL), *json_path = cli_str(a, O_JSON, NULL);
	int rc;
	cf_session *s = NULL;
	cf_error e = {0};
	cf_progress prog = {cf_term_progress, NULL}; /* a progress line on a terminal */
	json_t *rep = NULL;

	cli_set_threads((int)cli_long(a, O_THREADS, 1));
	cf_term_interrupt_install();
	if (cf_session_new(&s, &e)) {
		cli_error("fuse", &e);
		return 1;
	}
	if ((rc = prepare_and_run(s, a, &prog)))
		goto done;
	rc = 1;
	if (cf_session_report(s, stdout, cli_flag(a, O_QUIET) ? CF_REPORT_QUIET : 0, &e)) {
		cli_error("fuse", &e);
		goto done;
	}
	if (json_path && !(rep = cf_session_report_json(s))) {
		fprintf(stderr, "clafuse fuse: out of memory\n");
		goto done;
	}
	if (out) {
		if (save_fused(s, out, &e)) {
			cli_error("fuse", &e);
			goto done;
		}
		printf("wrote %s\n", out);
	}
	if (json_path && write_json(rep, json_path, &e)) {
		cli_error("fuse", &e);
		goto done;
	}
	rc = 0;
done:
	json_decref(rep);
	cf_session_free(s);
	return rc;
}

const struct cf_command cf_cmd_fuse = {
	.name = "fuse",
	.synopsis = "A B [MORE...] [options]",
	.summary = "fuse models of any depths (CLAFusion)",
	.about = "Fuse models of any depths (cross-layer alignment + OT fusion, CLAFusion).\n"
		 "The deeper of the first two models is model 0; it is transported onto model 1.\n"
		 "BatchNorm is folded into the convolution before it first (the same function\n"
		 "in evaluation mode), so the fused model is BN-free, with biases.\n",
	.opts = opts,
	.min_args = 2,
	.max_args = CF_SESSION_MAXMODELS,
	.more_help = params_help,
	.run = run,
};
