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

#include "cli.h"
#include "cmd.h"
#include "lua/host.h"
#include "model.h"
#include "session.h"

static void usage(FILE *f)
{
	int n;
	const cf_param_info *p = cf_session_params(&n);
	fprintf(f,
		"usage: clafuse fuse A.safetensors B.safetensors [MORE...] --data SPEC [options]\n"
		"Fuse models of any depths (cross-layer alignment + OT fusion, CLAFusion).\n"
		"The deeper of the first two models is model 0; it is transported onto model 1.\n"
		"BatchNorm is folded into the convolution before it first (the same function\n"
		"in evaluation mode), so the fused model is BN-free, with biases.\n\n"
		"options:\n"
		"  --data SPEC            data set (fashion-mnist, idx:..., cifar10:DIR, ...)\n"
		"  --set NAME=VALUE       set a session parameter (repeatable)\n"
		"  --layer L:NAME=VALUE   override a per-layer parameter for fusion layer L\n"
		"  -o FILE                write the fused model (safetensors)\n"
		"  --json FILE            write the report as JSON\n"
		"  --threads N            BLAS threads, default 1\n"
		"  -q                     print less (no per-layer table)\n"
		"  -h, --help             this help\n\nparameters (default):\n");
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

int cmd_fuse(int argc, char **argv)
{
	const char *data = NULL, *out = NULL, *json_path = NULL;
	const char *files[CF_SESSION_MAXMODELS];
	int nfiles = 0, quiet = 0, rc = 1, n, np;
	long threads = 1;
	char **sets = NULL, **layers = NULL;
	int nsets = 0, nlayers = 0;
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	cf_progress prog = { cf_lua_progress, NULL }; /* a progress line on a terminal */
	json_t *rep = NULL;

	sets = calloc((size_t)argc, sizeof *sets);
	layers = calloc((size_t)argc, sizeof *layers);
	if (!sets || !layers)
		goto done;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			rc = 0;
			goto done;
		} else if (!strcmp(a, "-q")) {
			quiet = 1;
		} else if ((!strcmp(a, "--data") || !strcmp(a, "--set") || !strcmp(a, "-o") ||
			    !strcmp(a, "--json") || !strcmp(a, "--layer") || !strcmp(a, "--threads"))) {
			if (i + 1 >= argc) {
				fprintf(stderr, "clafuse fuse: %s needs a value\n", a);
				rc = 2;
				goto done;
			}
			if (!strcmp(a, "--data"))
				data = argv[++i];
			else if (!strcmp(a, "--set"))
				sets[nsets++] = argv[++i];
			else if (!strcmp(a, "--layer"))
				layers[nlayers++] = argv[++i];
			else if (!strcmp(a, "-o"))
				out = argv[++i];
			else if (!strcmp(a, "--threads")) {
				if (cli_int("fuse", "--threads", argv[++i], 1, 256, &threads)) {
					rc = 2;
					goto done;
				}
			}
			else
				json_path = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "clafuse fuse: unknown option '%s' (see --help)\n", a);
			rc = 2;
			goto done;
		} else if (nfiles == CF_SESSION_MAXMODELS) {
			fprintf(stderr, "clafuse fuse: at most %d models\n", CF_SESSION_MAXMODELS);
			rc = 2;
			goto done;
		} else {
			files[nfiles++] = a;
		}
	}
	if (nfiles < 2 || !data) {
		fprintf(stderr, "clafuse fuse: need at least two model files and --data (see --help)\n");
		rc = 2;
		goto done;
	}
	cli_set_threads((int)threads);
	if (cf_session_new(&s, &e))
		goto fail;
	for (int i = 0; i < nsets; i++) {
		char name[128], *eq = strchr(sets[i], '=');
		if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof name) {
			fprintf(stderr, "clafuse fuse: --set wants NAME=VALUE, got '%s'\n", sets[i]);
			rc = 2;
			goto done;
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - sets[i]), sets[i]);
		if (cf_session_set(s, name, eq + 1, &e)) {
			fprintf(stderr, "clafuse fuse: %s\n", e.msg);
			rc = 2;
			goto done;
		}
	}
	for (int i = 0; i < nfiles; i++)
		if (cf_session_load_model(s, files[i], &e))
			goto fail;
	if (cf_session_load_data(s, data, &e))
		goto fail;
	cf_session_set_progress(s, &prog);
	/* per-layer overrides need the balanced depth: run to the balance first */
	if (nlayers && cf_session_run(s, CF_STEP_BALANCE, &e))
		goto fail;
	for (int i = 0; i < nlayers; i++) {
		char name[128];
		int L;
		const char *eq = strchr(layers[i], '=');
		const char *colon = strchr(layers[i], ':');
		if (!colon || !eq || eq < colon || sscanf(layers[i], "%d", &L) != 1 ||
		    (size_t)(eq - colon - 1) >= sizeof name) {
			fprintf(stderr, "clafuse fuse: --layer wants L:NAME=VALUE, got '%s'\n", layers[i]);
			rc = 2;
			goto done;
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - colon - 1), colon + 1);
		if (cf_session_set_layer(s, L, name, eq + 1, &e)) {
			fprintf(stderr, "clafuse fuse: %s\n", e.msg);
			rc = 2;
			goto done;
		}
	}
	{
		int status = cf_session_run_all(s, &e);
		cf_lua_progress_done();
		if (status)
			goto fail;
	}

	/* ---- report ---- */
	rep = json_object();
	{
		int i0, i1, m, nn;
		const int *map = cf_session_unit_map(s, &n), *wmap;
		const cf_session_metrics *met = cf_session_metrics_get(s);
		const cf_session_finetune *ft = cf_session_finetune_get(s);
		json_t *jm = json_array(), *jl = json_array(), *jt = json_object(), *jp = json_object();
		const cf_param_info *pt = cf_session_params(&np);
		int rebuilt = cf_session_balanced_rebuilt(s);

		cf_session_pair(s, &i0, &i1);
		cf_session_costs(s, &m, &nn);
		printf("model 0: %s (%d weight layers)\nmodel 1: %s (%d weight layers)\n",
		       cf_session_model_name(s, i0), cf_net_nwlayers(cf_session_model(s, i0)),
		       cf_session_model_name(s, i1), cf_net_nwlayers(cf_session_model(s, i1)));
		printf("alignment (units, 1-based):");
		for (int k = 0; k < n; k++) {
			printf("%s%d", k ? "," : " [", map[k]);
			json_array_append_new(jm, json_integer(map[k]));
		}
		printf("]\n");
		json_object_set_new(rep, "unit_map", jm);
		wmap = cf_session_layer_map(s, &n);
		jm = json_array();
		printf("alignment (weight layers):");
		for (int k = 0; k < n; k++) {
			printf("%s%d", k ? "," : " [", wmap[k]);
			json_array_append_new(jm, json_integer(wmap[k]));
		}
		printf("]\n");
		json_object_set_new(rep, "layer_map", jm);
		if (rebuilt >= 0) {
			char *d = cf_arch_print(cf_net_arch(cf_session_balanced(s, rebuilt)));
			printf("balanced model %d: %s\n", rebuilt, d ? d : "?");
			json_object_set_new(rep, "balanced_arch", json_string(d ? d : ""));
			free(d);
		}
		if (!quiet)
			printf("\n%-4s %-22s %11s %14s %-9s %9s %7s\n", "L", "layer", "size", "cost",
			       "status", "time(s)", "trace");
		for (int l = 0; l < cf_session_fusion_layers(s); l++) {
			const cf_fusion_layer *y = cf_session_fusion_layer(s, l);
			char size[32];
			json_t *o = json_object();
			snprintf(size, sizeof size, "%lldx%lld", (long long)y->n0, (long long)y->n1);
			if (!quiet)
				printf("%-4d %-22s %11s %14.6g %-9s %9.4f %7.4f\n", l + 1, y->name, size,
				       y->plan ? y->ot.cost : NAN,
				       y->plan ? cf_ot_status_name(y->ot.status) : "none", y->time,
				       y->trace_ratio);
			json_object_set_new(o, "name", json_string(y->name));
			json_object_set_new(o, "n0", json_integer(y->n0));
			json_object_set_new(o, "n1", json_integer(y->n1));
			json_object_set_new(o, "cost", y->plan ? jnum(y->ot.cost) : json_null());
			json_object_set_new(o, "status", json_string(y->plan ? cf_ot_status_name(y->ot.status)
								     : "none"));
			json_object_set_new(o, "solver", json_string(cf_ot_kind_name(y->ot.kind)));
			json_object_set_new(o, "iterations", json_integer(y->ot.iterations));
			json_object_set_new(o, "time", jnum(y->time));
			json_object_set_new(o, "solve_time", jnum(y->ot.time));
			json_object_set_new(o, "trace_ratio", jnum(y->trace_ratio));
			json_array_append_new(jl, o);
		}
		json_object_set_new(rep, "layers", jl);

		printf("\naccuracy on %s:\n", cf_session_data(s, 0) ? cf_session_data(s, 0)->name : "?");
		jm = json_array();
		for (int i = 0; i < cf_session_nmodels(s); i++) {
			int folded = cf_session_model_folded(s, i);
			printf("  %-40s %7.2f%%%s\n", cf_session_model_name(s, i), 100 * met->parent_acc[i],
			       folded ? " (" CF_SESSION_FOLDED_NOTE ")" : "");
			json_t *o = json_object();
			json_object_set_new(o, "file", json_string(cf_session_model_name(s, i)));
			json_object_set_new(o, "acc", jnum(met->parent_acc[i]));
			json_object_set_new(o, "bn_folded", json_boolean(folded));
			if (ft->parents)
				json_object_set_new(o, "finetuned_best", jnum(ft->parent_best[i]));
			json_array_append_new(jm, o);
		}
		json_object_set_new(rep, "parents", jm);
		if (rebuilt >= 0)
			printf("  %-40s %7.2f%%\n", "balanced model", 100 * met->balanced_acc);
		printf("  %-40s %7.2f%%\n", "prediction ensemble", 100 * met->ensemble_acc);
		if (!isnan(met->average_acc))
			printf("  %-40s %7.2f%%\n", "plain average", 100 * met->average_acc);
		printf("  %-40s %7.2f%%\n", "fused", 100 * met->fused_acc);
		if (ft->epochs) {
			printf("  %-40s %7.2f%% (best of %d epochs, epoch %d; last %.2f%%)\n",
			       "fused, finetuned", 100 * ft->best_acc, ft->epochs, ft->best_epoch,
			       100 * ft->res[ft->epochs - 1].test_acc);
			for (int i = 0; ft->parents && i < cf_session_nmodels(s); i++)
				printf("  %-40s %7.2f%% (best)\n", cf_session_model_name(s, i),
				       100 * ft->parent_best[i]);
		}
		json_object_set_new(rep, "balanced_acc", jnum(met->balanced_acc));
		json_object_set_new(rep, "ensemble_acc", jnum(met->ensemble_acc));
		json_object_set_new(rep, "average_acc", jnum(met->average_acc));
		json_object_set_new(rep, "fused_acc", jnum(met->fused_acc));
		if (ft->epochs) {
			json_t *ep = json_array();
			for (int k = 0; k < ft->epochs; k++)
				json_array_append_new(ep, jnum(ft->res[k].test_acc));
			json_object_set_new(rep, "finetune_acc", ep);
			json_object_set_new(rep, "finetune_best", jnum(ft->best_acc));
		}
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
	if (out) {
		cf_net *fused = cf_session_fused(s);
		char *parents = NULL, *pars = NULL;
		size_t plen = 1, qlen = 1;
		const char *keys[2] = { "clafuse.parents", "clafuse.params" };
		const char *vals[2];
		const cf_param_info *pt = cf_session_params(&np);
		for (int i = 0; i < cf_session_nmodels(s); i++)
			plen += strlen(cf_session_model_name(s, i)) + 1;
		parents = calloc(plen, 1);
		pars = calloc((size_t)np * 300 + 1, 1);
		if (!parents || !pars) {
			free(parents);
			free(pars);
			goto fail;
		}
		for (int i = 0; i < cf_session_nmodels(s); i++) {
			if (i)
				strcat(parents, ",");
			strcat(parents, cf_session_model_name(s, i));
		}
		for (int i = 0; i < np; i++) {
			char buf[256];
			cf_session_get(s, pt[i].name, buf, sizeof buf, NULL);
			qlen += (size_t)sprintf(pars + strlen(pars), "%s%s=%s", i ? ";" : "", pt[i].name, buf);
		}
		(void)qlen;
		vals[0] = parents;
		vals[1] = pars;
		rc = cf_model_save(fused, out, keys, vals, 2, &e);
		free(parents);
		free(pars);
		if (rc) {
			rc = 1;
			goto fail;
		}
		printf("wrote %s\n", out);
	}
	if (json_path && json_dump_file(rep, json_path, JSON_INDENT(2) | JSON_SORT_KEYS)) {
		fprintf(stderr, "clafuse fuse: cannot write %s\n", json_path);
		rc = 1;
		goto done;
	}
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "clafuse fuse: %s\n", e.msg[0] ? e.msg : "failed");
	rc = 1;
done:
	json_decref(rep);
	cf_session_free(s);
	free(sets);
	free(layers);
	return rc;
}
