/* report.c — the fusion session's report (see report.h). */
#include "report.h"

#include <math.h>
#include <stdlib.h>

#include "arch.h"
#include "ot.h"

/* ---- text ------------------------------------------------------------------ */

static void print_map(FILE *f, const char *what, const int *map, int n)
{
	fprintf(f, "%s:", what);
	for (int k = 0; k < n; k++)
		fprintf(f, "%s%d", k ? "," : " [", map[k]);
	fputs(n ? "]\n" : " -\n", f);
}

static void print_alignment(const cf_session *s, FILE *f)
{
	int K = cf_session_nmodels(s), n, i0, i1, rebuilt = cf_session_balanced_rebuilt(s);
	const int *map;

	if (K < 2) {
		fprintf(f, "%d model%s (a fusion needs two or more)\n", K, K == 1 ? "" : "s");
	} else {
		cf_session_pair(s, &i0, &i1);
		fprintf(f, "model 0: %s (%d weight layers)\nmodel 1: %s (%d weight layers)\n",
			cf_session_model_name(s, i0), cf_net_nwlayers(cf_session_model(s, i0)),
			cf_session_model_name(s, i1), cf_net_nwlayers(cf_session_model(s, i1)));
	}
	if ((map = cf_session_unit_map(s, &n)))
		print_map(f, "alignment (units, 1-based)", map, n);
	if ((map = cf_session_layer_map(s, &n)))
		print_map(f, "alignment (weight layers)", map, n);
	if (rebuilt >= 0) {
		char *d = cf_arch_print(cf_net_arch(cf_session_balanced(s, rebuilt)));
		fprintf(f, "balanced model %d: %s\n", rebuilt, d ? d : "?");
		free(d);
	}
}

static void print_layers(const cf_session *s, FILE *f)
{
	int nl = cf_session_fusion_layers(s);

	if (nl <= 0)
		return;
	fprintf(f, "\n%-4s %-22s %11s %14s %-9s %9s %7s\n", "L", "layer", "size", "cost", "status",
		"time(s)", "trace");
	for (int l = 0; l < nl; l++) {
		const cf_fusion_layer *y = cf_session_fusion_layer(s, l);
		char size[48];
		snprintf(size, sizeof size, "%lldx%lld", (long long)y->n0, (long long)y->n1);
		if (!y->done)
			fprintf(f, "%-4d %-22s %11s %14s %-9s\n", l + 1, y->name, size, "-", "pending");
		else
			fprintf(f, "%-4d %-22s %11s %14.6g %-9s %9.4f %7.4f\n", l + 1, y->name, size,
				y->plan ? y->ot.cost : NAN,
				y->plan ? cf_ot_status_name(y->ot.status) : "none", y->time,
				y->trace_ratio);
	}
}

/* fusion.repair: which layers were renormalised and how far off they were. */
static void print_repair(const cf_session *s, FILE *f)
{
	const cf_repair_report *r = cf_session_repair_report(s);
	const cf_net *fz = cf_session_fused(s);
	double before = 0, worst = 0;
	int n = 0, nb = 0;

	if (!r)
		return;
	for (int l = 0; l < r->n; l++)
		if (r->repaired[l]) {
			enum cf_wl_role role = cf_net_wlayer_at(fz, l)->role;
			n++;
			nb += role == CF_WL_CONV2 || role == CF_WL_SHORTCUT;
			before += r->std_before[l];
			worst = r->max_err[l] > worst ? r->max_err[l] : worst;
		}
	fprintf(f, "  (REPAIR renormalised %d of %d layers", n, r->n);
	/* said only when there are some, so the line is as before otherwise */
	if (nb)
		fprintf(f, ", %d of them residual branches", nb);
	fprintf(f, ": their neurons' std was %.2f of the target before, within %.1e after)\n",
		n ? before / n : 1.0, worst);
}

/* eval.hybrids: where the fused model loses accuracy, one line per layer
 * taken from the aligned model 0 */
static void print_hybrids(const cf_session *s, FILE *f)
{
	const cf_session_metrics *met = cf_session_metrics_get(s);
	int n;
	const double *h = cf_session_hybrids(s, &n);

	if (!h)
		return;
	fprintf(f, "  %-40s %7.2f%%\n", "aligned model 0 (every layer)", 100 * met->aligned_acc);
	for (int l = 0; l < n; l++) {
		char what[64];
		snprintf(what, sizeof what, "fused, layer %d from aligned model 0", l + 1);
		fprintf(f, "  %-40s %7.2f%% (%+.2f)\n", what, 100 * h[l], 100 * (h[l] - met->fused_acc));
	}
}

static void print_accuracy(const cf_session *s, FILE *f)
{
	const cf_session_metrics *met = cf_session_metrics_get(s);
	const cf_session_finetune *ft = cf_session_finetune_get(s);
	const cf_dataset *te = cf_session_data(s, 0);
	int K = cf_session_nmodels(s);

	if (!met->have)
		return;
	fprintf(f, "\naccuracy on %s:\n", te ? te->name : "?");
	for (int i = 0; i < K; i++)
		fprintf(f, "  %-40s %7.2f%%%s\n", cf_session_model_name(s, i), 100 * met->parent_acc[i],
			cf_session_model_folded(s, i) ? " (" CF_SESSION_FOLDED_NOTE ")" : "");
	if (!isnan(met->balanced_acc))
		fprintf(f, "  %-40s %7.2f%%\n", "balanced model", 100 * met->balanced_acc);
	fprintf(f, "  %-40s %7.2f%%\n", "prediction ensemble", 100 * met->ensemble_acc);
	if (!isnan(met->average_acc))
		fprintf(f, "  %-40s %7.2f%%\n", "plain average", 100 * met->average_acc);
	fprintf(f, "  %-40s %7.2f%%\n", "fused", 100 * met->fused_acc);
	print_repair(s, f);
	print_hybrids(s, f);
	if (ft->epochs > 0 && ft->res) {
		fprintf(f, "  %-40s %7.2f%% (best of %d epochs, epoch %d; last %.2f%%)\n",
			"fused, finetuned", 100 * ft->best_acc, ft->epochs, ft->best_epoch,
			100 * ft->res[ft->epochs - 1].test_acc);
		for (int i = 0; ft->parents && i < K; i++)
			fprintf(f, "  %-40s %7.2f%% (best)\n", cf_session_model_name(s, i),
				100 * ft->parent_best[i]);
	}
}

int cf_session_report(const cf_session *s, FILE *f, int flags, cf_error *err)
{
	print_alignment(s, f);
	if (!(flags & CF_REPORT_QUIET))
		print_layers(s, f);
	print_accuracy(s, f);
	fputs("\nstep times (s):", f);
	for (int k = 0; k < CF_STEP_COUNT; k++)
		fprintf(f, " %s %.3f", cf_session_step_name(k), cf_session_time(s, k));
	fputc('\n', f);
	if (ferror(f))
		return cf_error_set(err, CF_EIO, "report: the output stream failed");
	return CF_OK;
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *jnum(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *jints(const int *v, int n)
{
	json_t *a = json_array();
	for (int k = 0; a && k < n; k++)
		json_array_append_new(a, json_integer(v[k]));
	return a;
}

static json_t *json_layers(const cf_session *s)
{
	json_t *jl = json_array();

	for (int l = 0; jl && l < cf_session_fusion_layers(s); l++) {
		const cf_fusion_layer *y = cf_session_fusion_layer(s, l);
		const char *status = !y->done ? "pending" : y->plan ? cf_ot_status_name(y->ot.status)
								  : "none";
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(y->name));
		json_object_set_new(o, "n0", json_integer(y->n0));
		json_object_set_new(o, "n1", json_integer(y->n1));
		json_object_set_new(o, "cost", y->done && y->plan ? jnum(y->ot.cost) : json_null());
		json_object_set_new(o, "status", json_string(status));
		json_object_set_new(o, "solver", json_string(cf_ot_kind_name(y->ot.kind)));
		json_object_set_new(o, "iterations", json_integer(y->ot.iterations));
		json_object_set_new(o, "time", jnum(y->time));
		json_object_set_new(o, "solve_time", jnum(y->ot.time));
		json_object_set_new(o, "trace_ratio", jnum(y->trace_ratio));
		json_array_append_new(jl, o);
	}
	return jl;
}

/* {"layers": [1-based repaired layers], "std_before": [...], "max_err": [...]}
 * per repaired layer, or null without fusion.repair. */
static json_t *json_repair(const cf_session *s)
{
	const cf_repair_report *r = cf_session_repair_report(s);
	json_t *o, *ls, *sb, *me;

	if (!r)
		return json_null();
	o = json_object();
	ls = json_array();
	sb = json_array();
	me = json_array();
	for (int l = 0; l < r->n; l++)
		if (r->repaired[l]) {
			json_array_append_new(ls, json_integer(l + 1));
			json_array_append_new(sb, jnum(r->std_before[l]));
			json_array_append_new(me, jnum(r->max_err[l]));
		}
	json_object_set_new(o, "layers", ls);
	json_object_set_new(o, "std_before", sb);
	json_object_set_new(o, "max_err", me);
	return o;
}

static void json_accuracy(const cf_session *s, json_t *rep)
{
	const cf_session_metrics *met = cf_session_metrics_get(s);
	const cf_session_finetune *ft = cf_session_finetune_get(s);
	json_t *jm = json_array();

	for (int i = 0; jm && i < cf_session_nmodels(s); i++) {
		json_t *o = json_object();
		json_object_set_new(o, "file", json_string(cf_session_model_name(s, i)));
		json_object_set_new(o, "acc", met->have ? jnum(met->parent_acc[i]) : json_null());
		json_object_set_new(o, "bn_folded", json_boolean(cf_session_model_folded(s, i)));
		if (ft->parents)
			json_object_set_new(o, "finetuned_best", jnum(ft->parent_best[i]));
		json_array_append_new(jm, o);
	}
	json_object_set_new(rep, "parents", jm);
	if (ft->epochs > 0 && ft->res) {
		json_t *ep = json_array();
		for (int k = 0; ep && k < ft->epochs; k++)
			json_array_append_new(ep, jnum(ft->res[k].test_acc));
		json_object_set_new(rep, "finetune_acc", ep);
		json_object_set_new(rep, "finetune_best", jnum(ft->best_acc));
	}
	json_object_set_new(rep, "balanced_acc", met->have ? jnum(met->balanced_acc) : json_null());
	json_object_set_new(rep, "ensemble_acc", met->have ? jnum(met->ensemble_acc) : json_null());
	json_object_set_new(rep, "average_acc", met->have ? jnum(met->average_acc) : json_null());
	json_object_set_new(rep, "fused_acc", met->have ? jnum(met->fused_acc) : json_null());
	json_object_set_new(rep, "aligned_acc", met->have ? jnum(met->aligned_acc) : json_null());
	{
		/* eval.hybrids: [accuracy with layer l+1 from aligned model 0] or null */
		int n;
		const double *h = cf_session_hybrids(s, &n);
		json_t *jh = h ? json_array() : json_null();
		for (int l = 0; h && jh && l < n; l++)
			json_array_append_new(jh, jnum(h[l]));
		json_object_set_new(rep, "hybrid_acc", jh);
	}
	json_object_set_new(rep, "repair", json_repair(s));
}

json_t *cf_session_report_json(const cf_session *s)
{
	json_t *rep = json_object(), *jt = json_object(), *jp = json_object();
	int n, rebuilt = cf_session_balanced_rebuilt(s);
	const int *map;
	const cf_param_info *pt = cf_session_params(&n);

	if (!rep || !jt || !jp) {
		json_decref(rep);
		json_decref(jt);
		json_decref(jp);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		char buf[256];
		cf_session_get(s, pt[i].name, buf, sizeof buf, NULL);
		json_object_set_new(jp, pt[i].name, json_string(buf));
	}
	if ((map = cf_session_unit_map(s, &n)))
		json_object_set_new(rep, "unit_map", jints(map, n));
	if ((map = cf_session_layer_map(s, &n)))
		json_object_set_new(rep, "layer_map", jints(map, n));
	if (rebuilt >= 0) {
		char *d = cf_arch_print(cf_net_arch(cf_session_balanced(s, rebuilt)));
		json_object_set_new(rep, "balanced_arch", json_string(d ? d : ""));
		free(d);
	}
	json_object_set_new(rep, "layers", json_layers(s));
	json_accuracy(s, rep);
	for (int k = 0; k < CF_STEP_COUNT; k++)
		json_object_set_new(jt, cf_session_step_name(k), jnum(cf_session_time(s, k)));
	json_object_set_new(rep, "times", jt);
	json_object_set_new(rep, "params", jp);
	return rep;
}
