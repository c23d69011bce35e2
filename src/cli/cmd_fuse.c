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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "core/model.h"
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

static json_t *jnum(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
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

static json_t *int_array(const char *label, const int *v, int n)
{
	json_t *a = json_array();
	printf("%s", label);
	for (int k = 0; k < n; k++) {
		printf("%s%d", k ? "," : " [", v[k]);
		json_array_append_new(a, json_integer(v[k]));
	}
	printf("]\n");
	return a;
}

static void report_alignment(cf_session *s, json_t *rep)
{
	int i0, i1, n, rebuilt = cf_session_balanced_rebuilt(s);
	const int *map;

	cf_session_pair(s, &i0, &i1);
	printf("model 0: %s (%d weight layers)\nmodel 1: %s (%d weight layers)\n",
	       cf_session_model_name(s, i0), cf_net_nwlayers(cf_session_model(s, i0)),
	       cf_session_model_name(s, i1), cf_net_nwlayers(cf_session_model(s, i1)));
	map = cf_session_unit_map(s, &n);
	json_object_set_new(rep, "unit_map", int_array("alignment (units, 1-based):", map, n));
	map = cf_session_layer_map(s, &n);
	json_object_set_new(rep, "layer_map", int_array("alignment (weight layers):", map, n));
	if (rebuilt >= 0) {
		char *d = cf_arch_print(cf_net_arch(cf_session_balanced(s, rebuilt)));
		printf("balanced model %d: %s\n", rebuilt, d ? d : "?");
		json_object_set_new(rep, "balanced_arch", json_string(d ? d : ""));
		free(d);
	}
}

static void report_layers(cf_session *s, json_t *rep, int quiet)
{
	json_t *jl = json_array();

	if (!quiet)
		printf("\n%-4s %-22s %11s %14s %-9s %9s %7s\n", "L", "layer", "size", "cost",
		       "status", "time(s)", "trace");
	for (int l = 0; l < cf_session_fusion_layers(s); l++) {
		const cf_fusion_layer *y = cf_session_fusion_layer(s, l);
		const char *status = y->plan ? cf_ot_status_name(y->ot.status) : "none";
		char size[32];
		json_t *o = json_object();
		snprintf(size, sizeof size, "%lldx%lld", (long long)y->n0, (long long)y->n1);
		if (!quiet)
			printf("%-4d %-22s %11s %14.6g %-9s %9.4f %7.4f\n", l + 1, y->name, size,
			       y->plan ? y->ot.cost : NAN, status, y->time, y->trace_ratio);
		json_object_set_new(o, "name", json_string(y->name));
		json_object_set_new(o, "n0", json_integer(y->n0));
		json_object_set_new(o, "n1", json_integer(y->n1));
		json_object_set_new(o, "cost", y->plan ? jnum(y->ot.cost) : json_null());
		json_object_set_new(o, "status", json_string(status));
		json_object_set_new(o, "solver", json_string(cf_ot_kind_name(y->ot.kind)));
		json_object_set_new(o, "iterations", json_integer(y->ot.iterations));
		json_object_set_new(o, "time", jnum(y->time));
		json_object_set_new(o, "solve_time", jnum(y->ot.time));
		json_object_set_new(o, "trace_ratio", jnum(y->trace_ratio));
		json_array_append_new(jl, o);
	}
	json_object_set_new(rep, "layers", jl);
}

static void report_accuracy(cf_session *s, json_t *rep)
{
	const cf_session_metrics *met = cf_session_metrics_get(s);
	const cf_session_finetune *ft = cf_session_finetune_get(s);
	json_t *jm = json_array();

	printf("\naccuracy on %s:\n", cf_session_data(s, 0) ? cf_session_data(s, 0)->name : "?");
	for (int i = 0; i < cf_session_nmodels(s); i++) {
		int folded = cf_session_model_folded(s, i);
		json_t *o = json_object();
		printf("  %-40s %7.2f%%%s\n", cf_session_model_name(s, i), 100 * met->parent_acc[i],
		       folded ? " (" CF_SESSION_FOLDED_NOTE ")" : "");
		json_object_set_new(o, "file", json_string(cf_session_model_name(s, i)));
		json_object_set_new(o, "acc", jnum(met->parent_acc[i]));
		json_object_set_new(o, "bn_folded", json_boolean(folded));
		if (ft->parents)
			json_object_set_new(o, "finetuned_best", jnum(ft->parent_best[i]));
		json_array_append_new(jm, o);
	}
	json_object_set_new(rep, "parents", jm);
	if (cf_session_balanced_rebuilt(s) >= 0)
		printf("  %-40s %7.2f%%\n", "balanced model", 100 * met->balanced_acc);
	printf("  %-40s %7.2f%%\n", "prediction ensemble", 100 * met->ensemble_acc);
	if (!isnan(met->average_acc))
		printf("  %-40s %7.2f%%\n", "plain average", 100 * met->average_acc);
	printf("  %-40s %7.2f%%\n", "fused", 100 * met->fused_acc);
	if (ft->epochs) {
		json_t *ep = json_array();
		printf("  %-40s %7.2f%% (best of %d epochs, epoch %d; last %.2f%%)\n",
		       "fused, finetuned", 100 * ft->best_acc, ft->epochs, ft->best_epoch,
		       100 * ft->res[ft->epochs - 1].test_acc);
		for (int i = 0; ft->parents && i < cf_session_nmodels(s); i++)
			printf("  %-40s %7.2f%% (best)\n", cf_session_model_name(s, i),
			       100 * ft->parent_best[i]);
		for (int k = 0; k < ft->epochs; k++)
			json_array_append_new(ep, jnum(ft->res[k].test_acc));
		json_object_set_new(rep, "finetune_acc", ep);
		json_object_set_new(rep, "finetune_best", jnum(ft->best_acc));
	}
	json_object_set_new(rep, "balanced_acc", jnum(met->balanced_acc));
	json_object_set_new(rep, "ensemble_acc", jnum(met->ensemble_acc));
	json_object_set_new(rep, "average_acc", jnum(met->average_acc));
	json_object_set_new(rep, "fused_acc", jnum(met->fused_acc));
}

static void report_times_params(cf_session *s, json_t *rep)
{
	int np;
	const cf_param_info *pt = cf_session_params(&np);
	json_t *jt = json_object(), *jp = json_object();

	printf("\nstep times (s):");
	for (int k = 0; k < CF_STEP_COUNT; k++) {
		printf(" %s %.3f", cf_session_step_name(k), cf_session_time(s, k));
		json_object_set_new(jt, cf_session_step_name(k), jnum(cf_session_time(s, k)));
	}
	printf("\n");
	json_object_set_new(rep, "times", jt);
	for (int i = 0; i < np; i++) {
		char buf[256];
		cf_session_get(s, pt[i].name, buf, sizeof buf, NULL);
		json_object_set_new(jp, pt[i].name, json_string(buf));
	}
	json_object_set_new(rep, "params", jp);
}

/* Print the report and return it as JSON (NULL when out of memory). */
static json_t *report(cf_session *s, int quiet)
{
	json_t *rep = json_object();
	if (!rep)
		return NULL;
	report_alignment(s, rep);
	report_layers(s, rep, quiet);
	report_accuracy(s, rep);
	report_times_params(s, rep);
	return rep;
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
	if (!(rep = report(s, cli_flag(a, O_QUIET)))) {
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
	if (json_path && json_dump_file(rep, json_path, JSON_INDENT(2) | JSON_SORT_KEYS)) {
		fprintf(stderr, "clafuse fuse: cannot write %s\n", json_path);
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
