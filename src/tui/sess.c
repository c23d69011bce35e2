/* sess.c — the workbench's fusion session: opening it, running its steps
 * under the progress bar, the layer selection, exports and the replayable
 * script.
 *
 * Long steps run in the foreground: the session's progress callback
 * updates the bar and, at most every 50 ms, redraws and reads pending keys
 * (cf_tui_poll), so q or Ctrl-C stop the step at its next report with the
 * session intact (the step is marked failed, earlier results kept).  See
 * sess.h for why screens draw from copies taken by cf_tsess_sync().
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "sess.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "layer.h"
#include "core/matfile.h"
#include "core/outfile.h"
#include "heatpic.h"
#include "results.h"
#include "tui.h"

#define POLL_SECONDS 0.05

static struct cf_tsess *S_of(const cf_tui *t)
{
	return t->sess;
}

cf_session *cf_tsess_session(const cf_tui *t)
{
	return t->sess ? t->sess->s : NULL;
}

const cf_session *cf_tsess_results(const cf_tui *t)
{
	return t->sess && !t->busy ? t->sess->s : NULL;
}

/* A solver's progress ("sinkhorn-log iteration 5900 error 0.031 eps/max(M)
 * 0.004") while the fusion runs: the layer in front, the fraction from
 * the error's fall towards the tolerance (log scale), and ε against the
 * costs remembered for the warning after the run. */
static void solver_progress(cf_tui *t, const char *what, double *frac)
{
	struct cf_tsess *S = t->sess;
	const char *it = strstr(what, " iteration ");
	const char *e = strstr(what, " error "), *r = strstr(what, " eps/max(M) ");
	int cur = cf_session_fusion_cursor(S->s), nl = cf_session_fusion_layers(S->s);
	char solver[32];
	long long iter = it ? atoll(it + 11) : 0;
	double err = e ? atof(e + 7) : NAN, ratio = r ? atof(r + 12) : NAN;

	snprintf(solver, sizeof solver, "%.*s", it ? (int)(it - what) : 0, what);
	if (cur != S->prog_layer || iter < S->prog_iter) {
		S->prog_layer = cur;
		S->prog_err0 = err;
	}
	S->prog_iter = iter;
	if (isnan(S->prog_err0) && !isnan(err))
		S->prog_err0 = err;
	if (!isnan(err) && S->prog_err0 > 1e-9 && err > 0)
		*frac = fmin(1, fmax(0, log(S->prog_err0 / err) / log(S->prog_err0 / 1e-9)));
	if (!isnan(ratio) && (isnan(S->eps_ratio) || ratio < S->eps_ratio)) {
		S->eps_ratio = ratio;
		S->eps_layer = cur + 1;
	}
	snprintf(t->busy_text, sizeof t->busy_text, "layer %d/%d %s it %lld err %.3g%s", cur + 1, nl,
		 solver, iter, err,
		 !isnan(ratio) && ratio < CF_TSESS_EPS_WARN ? " (ε tiny vs costs: slow)" : "");
}

static void progress_reset(struct cf_tsess *S)
{
	S->prog_layer = -1;
	S->prog_iter = 0;
	S->prog_err0 = NAN;
	S->eps_ratio = NAN;
	S->eps_layer = 0;
}

/* After a run whose entropic solver met costs far larger than ε: say so
 * (in the log too), with the remedy. */
static void warn_eps(cf_tui *t)
{
	struct cf_tsess *S = t->sess;
	if (isnan(S->eps_ratio) || S->eps_ratio >= CF_TSESS_EPS_WARN)
		return;
	cf_tui_msg(t, CF_MSG_WARN, "ε is %.2g%% of the largest cost in layer %d: Sinkhorn is slow and "
		   "its plan nearly exact; ot.reg is absolute, ground.norm=max makes it a fraction of "
		   "the largest cost", 100 * S->eps_ratio, S->eps_layer);
}

static int on_progress(void *ud, const char *what, double frac)
{
	cf_tui *t = ud;
	double now = cf_progress_clock();

	if (what && strstr(what, " iteration ") &&
	    cf_session_state(t->sess->s, CF_STEP_FUSE) == CF_STATE_RUNNING)
		solver_progress(t, what, &frac);
	else
		snprintf(t->busy_text, sizeof t->busy_text, "%s", what && *what ? what : "working");
	t->busy_frac = frac;
	if (now - t->sess->last_poll >= POLL_SECONDS) {
		t->sess->last_poll = now;
		cf_tui_poll(t);
	}
	return t->stop;
}

/* Load the data set `spec` into the session; 0, or the status with err set. */
static int load_data(cf_tui *t, const char *spec, cf_error *err)
{
	struct cf_tsess *S = t->sess;
	int rc;
	cf_error_clear(err);
	if ((rc = cf_session_load_data(S->s, spec, err)))
		return rc;
	snprintf(S->data, sizeof S->data, "%s", spec);
	S->gen++;
	cf_tui_msg(t, CF_MSG_INFO, "loaded data %s", spec);
	return 0;
}

int cf_tsess_open(cf_tui *t, const char *const *paths, int npaths, const char *const *archs,
		  const char *data, const char *const *sets, int nsets, cf_error *err)
{
	struct cf_tsess *S = calloc(1, sizeof *S);
	cf_progress prog = {on_progress, t};

	cf_error_clear(err);
	if (!S || !(S->hC = cf_heatmap_alloc("C", CF_POOL_MEAN)) ||
	    !(S->hP = cf_heatmap_alloc("T", CF_POOL_SUM)) || cf_session_new(&S->s, err)) {
		if (S) {
			cf_heatmap_free(S->hC);
			cf_heatmap_free(S->hP);
			free(S);
		}
		return cf_error_set(err, CF_ENOMEM, "out of memory");
	}
	t->sess = S;
	S->layer_sel = -1;
	S->p_sel = -1;
	S->gen = 1;
	S->hC->labels = 1;
	S->hC->label_cursor = 1;
	snprintf(S->hC->row_prefix, sizeof S->hC->row_prefix, "A");
	snprintf(S->hC->col_prefix, sizeof S->hC->col_prefix, "B");
	S->hP->scale = CF_SCALE_LOG;
	S->hP->show_marginals = 1;
	cf_heatmap_view_init(&S->vC);
	cf_heatmap_view_init(&S->vP);
	cf_session_set_progress(S->s, &prog);
	if (npaths > CF_SESSION_MAXMODELS)
		return cf_error_set(err, CF_EINVAL, "%d model files; a session takes at most %d",
				    npaths, CF_SESSION_MAXMODELS);
	/* what the command line names must load, as for `clafuse fuse`: a
	 * workbench on the wrong files would only mislead */
	for (int k = 0; k < npaths; k++) {
		char abs[PATH_MAX];
		const char *p = realpath(paths[k], abs) ? abs : paths[k];
		cf_error_clear(err);
		if (cf_session_load_model_arch(S->s, paths[k], archs ? archs[k] : NULL, err))
			return -1;
		snprintf(S->paths[S->npaths++], sizeof S->paths[0], "%s", p);
		cf_tui_msg(t, CF_MSG_INFO, "loaded model %s%s", paths[k],
			   cf_session_model_folded(S->s, cf_session_nmodels(S->s) - 1)
				   ? " (" CF_SESSION_FOLDED_NOTE ")"
				   : "");
	}
	for (int k = 0; k < nsets; k++) {
		char name[128];
		const char *eq = strchr(sets[k], '=');
		if (!eq || eq == sets[k] || (size_t)(eq - sets[k]) >= sizeof name)
			return cf_error_set(err, CF_EINVAL, "--set %s: expected NAME=VALUE", sets[k]);
		memcpy(name, sets[k], (size_t)(eq - sets[k]));
		name[eq - sets[k]] = '\0';
		int rc;
		cf_error_clear(err);
		if ((rc = cf_session_set(S->s, name, eq + 1, err)))
			return cf_error_prefix(err, rc, "--set %s", sets[k]);
	}
	/* the data set: as given, or the documented default, Fashion-MNIST;
	 * a default that is not installed is a warning (:data SPEC sets one) */
	if (data && *data) {
		int rc = load_data(t, data, err);
		if (rc)
			return cf_error_prefix(err, rc, "--data %s", data);
	} else if (npaths >= 2 && load_data(t, CF_TSESS_DEFAULT_DATA, err))
		cf_tui_msg(t, CF_MSG_WARN, "no data set: the default %s did not load (%s); set one "
			   "with :data SPEC", CF_TSESS_DEFAULT_DATA, err->msg);
	cf_error_clear(err);
	if (S->npaths < 2)
		cf_tui_msg(t, CF_MSG_WARN, "%d model%s loaded: a fusion needs two (:lua can build "
			   "them; see the log)", S->npaths, S->npaths == 1 ? "" : "s");
	{
		size_t used = 0;
		t->title[0] = '\0';
		for (int k = 0; k < S->npaths && used + 2 < sizeof t->title; k++) {
			const char *b = strrchr(S->paths[k], '/'), *dot;
			int len;
			b = b ? b + 1 : S->paths[k];
			dot = strstr(b, ".safetensors");
			len = dot ? (int)(dot - b) : (int)strlen(b);
			if (len > 24)
				len = 24;
			used += (size_t)snprintf(t->title + used, sizeof t->title - used, "%s%.*s",
						 k ? "×" : "", len, b);
		}
		if (!S->npaths)
			snprintf(t->title, sizeof t->title, "no models");
	}
	return 0;
}

void cf_tsess_close(cf_tui *t)
{
	struct cf_tsess *S = t->sess;
	if (!S)
		return;
	cf_session_free(S->s);
	cf_heatmap_free(S->hC);
	cf_heatmap_free(S->hP);
	free(S->C);
	free(S->path);
	free(S->map);
	free(S->P);
	free(S->porder);
	free(S);
	t->sess = NULL;
}

int cf_tsess_selected(const cf_tui *t, int *nlayers)
{
	struct cf_tsess *S = S_of(t);
	int n = S ? cf_session_fusion_layers(S->s) : 0;
	if (nlayers)
		*nlayers = n;
	if (!S || n == 0)
		return 0;
	if (S->sel >= n)
		S->sel = n - 1;
	if (S->sel < 0)
		S->sel = 0;
	return S->sel;
}

/* Copy C, the map and the alignment path (as (row, col) pairs of C). */
static void sync_costs(struct cf_tsess *S)
{
	int m = 0, n = 0, nm = 0;
	const double *C = cf_session_costs(S->s, &m, &n);
	const int *map = cf_session_unit_map(S->s, &nm);

	free(S->C);
	free(S->path);
	free(S->map);
	S->C = NULL;
	S->path = NULL;
	S->map = NULL;
	S->path_len = 0;
	S->cm = S->cn = S->nmap = 0;
	if (C && m > 0 && n > 0 && (S->C = malloc((size_t)m * (size_t)n * sizeof *S->C))) {
		memcpy(S->C, C, (size_t)m * (size_t)n * sizeof *S->C);
		S->cm = m;
		S->cn = n;
	}
	if (map && nm > 0 && (S->map = malloc((size_t)nm * sizeof *S->map))) {
		memcpy(S->map, map, (size_t)nm * sizeof *S->map);
		S->nmap = nm;
		if (S->C && cf_session_state(S->s, CF_STEP_ALIGN) == CF_STATE_FRESH &&
		    (S->path = malloc((size_t)nm * 2 * sizeof *S->path))) {
			for (int j = 0; j < nm && j < n; j++)
				if (map[j] >= 1 && map[j] <= m) {
					S->path[2 * S->path_len] = map[j] - 1;
					S->path[2 * S->path_len + 1] = j;
					S->path_len++;
				}
		}
	}
	cf_heatmap_set_data(S->hC, S->C, S->cm, S->cn);
	S->hC->path = S->path;
	S->hC->path_len = S->path_len;
}

static void sync_plan(struct cf_tsess *S, int sel)
{
	const cf_fusion_layer *fl = cf_session_fusion_layer(S->s, sel);
	size_t nm;

	free(S->P);
	free(S->porder);
	S->P = NULL;
	S->porder = NULL;
	S->hP->row_order = NULL;
	S->pn = S->pm = 0;
	if (fl && fl->done && fl->plan && fl->n0 > 0 && fl->n1 > 0 &&
	    (S->P = malloc((nm = (size_t)(fl->n0 * fl->n1)) * sizeof *S->P))) {
		S->pn = fl->n0;
		S->pm = fl->n1;
		/* the matching order: rows sorted by the column they go to */
		if (S->sorted && (S->porder = malloc((size_t)fl->n0 * sizeof *S->porder))) {
			cf_heatmap_order_rows(fl->plan, fl->n0, fl->n1, S->porder, S->P);
			S->hP->row_order = S->porder;
		} else
			memcpy(S->P, fl->plan, nm * sizeof *S->P);
	}
	cf_heatmap_set_data(S->hP, S->P, S->pn, S->pm);
}

int cf_tsess_cmd_sort(cf_tui *t, const char *args)
{
	struct cf_tsess *S = t->sess;
	int on = !(S ? S->sorted : cf_layer_sorted(t));
	(void)args;
	if (cf_layer_set_sorted(t, on)) {
		cf_tui_msg(t, CF_MSG_ERROR, "out of memory for the sorted plan");
		return -1;
	}
	if (S) {
		S->sorted = on;
		S->p_gen = 0; /* copy the plan again, in the new order */
		S->p_sel = -1;
	}
	cf_tui_msg(t, CF_MSG_INFO, on ? "plans in matching order: rows sorted by the column they go "
				      "to (a permutation is a diagonal)"
				    : "plans in the neurons' own order");
	return 0;
}

void cf_tsess_sync(cf_tui *t)
{
	struct cf_tsess *S = S_of(t);
	int nl, sel;

	if (!S || !cf_tsess_results(t))
		return;
	sel = cf_tsess_selected(t, &nl);
	if (S->c_gen != S->gen) {
		sync_costs(S);
		S->c_gen = S->gen;
	}
	/* plans are copied (and their summed-area tables built) only when the
	 * selection or the results change, and only for the screen showing them */
	if (t->screen == CF_SCREEN_OVERVIEW && (S->p_gen != S->gen || S->p_sel != sel)) {
		sync_plan(S, sel);
		S->p_gen = S->gen;
		S->p_sel = sel;
	}
	if (t->screen == CF_SCREEN_LAYER && (S->layer_gen != S->gen || S->layer_sel != sel)) {
		const cf_fusion_layer *fl = nl ? cf_session_fusion_layer(S->s, sel) : NULL;
		cf_error err;
		cf_error_clear(&err);
		if (!fl)
			cf_layer_close(t);
		else if (cf_layer_open_fusion(t, fl, sel, nl, &err))
			cf_tui_msg(t, CF_MSG_ERROR, "layer %d: %s", sel + 1, err.msg);
		S->layer_gen = S->gen;
		S->layer_sel = sel;
	}
}

static int need_session(cf_tui *t, const char *what)
{
	if (!t->sess) {
		cf_tui_msg(t, CF_MSG_ERROR, "%s: no fusion session (open one with clafuse tui A B "
			   "--data SPEC)", what);
		return 0;
	}
	return 1;
}

int cf_tsess_run(cf_tui *t, int step)
{
	struct cf_tsess *S = t->sess;
	cf_error err;
	double t0 = cf_progress_clock();
	int rc;

	cf_error_clear(&err);
	t->busy = 1;
	t->stop = 0;
	t->busy_frac = -1;
	snprintf(t->busy_text, sizeof t->busy_text, "running %s",
		 step < 0 ? "every stale step" : cf_session_step_name(step));
	S->last_poll = 0;
	progress_reset(S);
	rc = step < 0 ? cf_session_run_all(S->s, &err) : cf_session_run(S->s, step, &err);
	t->busy = 0;
	t->stop = 0;
	S->gen++;
	if (rc == CF_ESTOPPED)
		cf_tui_msg(t, CF_MSG_WARN, "stopped after %.1f s; the session is kept (%s resumes)",
			   cf_progress_clock() - t0, cf_tui_command_key("run-all"));
	else if (rc)
		cf_tui_msg(t, CF_MSG_ERROR, "%s", err.msg);
	else
		cf_tui_msg(t, CF_MSG_GOOD, "%s fresh (%.2f s)",
			   step < 0 ? "every step" : cf_session_step_name(step), cf_progress_clock() - t0);
	warn_eps(t);
	return rc;
}

int cf_tsess_cmd_run_all(cf_tui *t, const char *args)
{
	int step = -1;
	if (!need_session(t, "run"))
		return -1;
	if (args && *args) {
		step = cf_session_step_parse(args);
		if (step < 0) {
			cf_tui_msg(t, CF_MSG_ERROR, "run-all: unknown step '%s' (activations, costs, "
				   "alignment, balance, fusion, evaluation, finetune)", args);
			return -1;
		}
	}
	return cf_tsess_run(t, step) ? -1 : 0;
}

int cf_tsess_cmd_focus(cf_tui *t, const char *args)
{
	struct cf_tsess *S = t->sess;
	(void)args;
	if (!S)
		return -1;
	if (!S->focus && !S->P) {
		cf_tui_msg(t, CF_MSG_INFO, "no plan yet: the keys stay on C (%s fuses a layer)",
			   cf_tui_command_key("fuse-next"));
		return 0;
	}
	S->focus = !S->focus;
	cf_tui_msg(t, CF_MSG_INFO, "the arrow, zoom and scale keys act on %s",
		   S->focus ? "the plan" : "the layer costs C");
	return 0;
}

int cf_tsess_cmd_fuse_next(cf_tui *t, const char *args)
{
	struct cf_tsess *S = t->sess;
	cf_error err;
	int rc, cur, nl;
	(void)args;

	if (!need_session(t, "fuse-next"))
		return -1;
	if (cf_session_state(S->s, CF_STEP_FUSE) == CF_STATE_FRESH) {
		cf_tui_msg(t, CF_MSG_INFO, "the fusion is done (%d layers); change a parameter to "
			   "fuse again", cf_session_fusion_layers(S->s));
		return 0;
	}
	cf_error_clear(&err);
	t->busy = 1;
	t->stop = 0;
	t->busy_frac = -1;
	snprintf(t->busy_text, sizeof t->busy_text, "fusing the next layer");
	S->last_poll = 0;
	progress_reset(S);
	rc = cf_session_fuse_step(S->s, &err);
	t->busy = 0;
	t->stop = 0;
	S->gen++;
	if (rc == CF_ESTOPPED) {
		cf_tui_msg(t, CF_MSG_WARN, "stopped; the session is kept");
		warn_eps(t);
		return 0;
	}
	if (rc) {
		cf_tui_msg(t, CF_MSG_ERROR, "%s", err.msg);
		return -1;
	}
	cur = cf_session_fusion_cursor(S->s);
	nl = cf_session_fusion_layers(S->s);
	if (cur > 0) {
		const cf_fusion_layer *fl = cf_session_fusion_layer(S->s, cur - 1);
		S->sel = cur - 1;
		char how[48];
		if (fl && fl->tied_to >= 0)
			snprintf(how, sizeof how, "plan of layer %d (residual_tied)", fl->tied_to + 1);
		else
			snprintf(how, sizeof how, "%s",
				 fl && fl->plan ? cf_ot_status_name(fl->ot.status) : "no plan");
		if (fl)
			/* Short enough that an 80-column status line holds it
			 * whatever the time takes: "(0.3 ms)" and "(1234.5 ms)"
			 * must not decide where the line is cut. */
			cf_tui_msg(t, CF_MSG_GOOD, "fused %d/%d %s: %lld×%lld, %s, cost %.5g, "
				   "trace ratio %.3f (%.1f ms)", cur, nl, fl->name, (long long)fl->n0,
				   (long long)fl->n1, how, fl->ot.cost, fl->trace_ratio, 1e3 * fl->time);
	}
	return 0;
}

static int move_layer(cf_tui *t, int d)
{
	int nl, sel;
	if (!need_session(t, "layer"))
		return -1;
	sel = cf_tsess_selected(t, &nl);
	if (nl == 0) {
		cf_tui_msg(t, CF_MSG_WARN, "no fusion layers yet (%s fuses the first)",
			   cf_tui_command_key("fuse-next"));
		return -1;
	}
	sel = (sel + d + nl) % nl;
	t->sess->sel = sel;
	cf_tui_msg(t, CF_MSG_INFO, "fusion layer %d of %d", sel + 1, nl);
	return 0;
}

int cf_tsess_cmd_prev_layer(cf_tui *t, const char *args)
{
	(void)args;
	return move_layer(t, -1);
}

int cf_tsess_cmd_next_layer(cf_tui *t, const char *args)
{
	(void)args;
	return move_layer(t, 1);
}

int cf_tsess_cmd_export(cf_tui *t, const char *args)
{
	struct cf_tsess *S = t->sess;
	const char *path;
	cf_error err = {0};

	if (t->screen == CF_SCREEN_LAYER)
		return cf_layer_cmd_export(t, args);
	if (t->screen == CF_SCREEN_RESULTS)
		return cf_results_cmd_export(t, args);
	if (t->screen != CF_SCREEN_OVERVIEW) {
		cf_tui_msg(t, CF_MSG_ERROR, "export: nothing to write on this screen (the overview has "
			   "C, the layer screen the plan T, the results the finetuning curve)");
		return -1;
	}
	if (!S || !S->C) {
		cf_tui_msg(t, CF_MSG_ERROR, "export: no cost matrix C yet (%s runs the steps)",
			   cf_tui_command_key("run-all"));
		return -1;
	}
	path = args && *args ? args : "costs.csv";
	if (cf_picture_kind(path)) {
		if (cf_heatmap_write_picture(S->hC, path, "Layer costs C (rows: A's hidden layers, "
					     "columns: B's)", "hidden layer of B", "hidden layer of A",
					     &err)) {
			cf_tui_msg(t, CF_MSG_ERROR, "export: %s", err.msg);
			return -1;
		}
		cf_tui_msg(t, CF_MSG_GOOD, "layer costs C picture written to %s", path);
		return 0;
	}
	if (cf_matfile_write(path, S->C, S->cm, S->cn, &err)) {
		cf_tui_msg(t, CF_MSG_ERROR, "export: %s", err.msg);
		return -1;
	}
	cf_tui_msg(t, CF_MSG_GOOD, "layer costs C (%d×%d) written to %s", S->cm, S->cn, path);
	return 0;
}

int cf_tsess_set(cf_tui *t, const char *name, const char *value)
{
	struct cf_tsess *S = t->sess;
	const cf_param_info *p;
	char old[256];
	cf_error err;

	if (!need_session(t, "set"))
		return -1;
	cf_error_clear(&err);
	p = cf_session_param_info(name);
	if (!p) {
		cf_tui_msg(t, CF_MSG_ERROR, "set: no parameter '%s' (the list is on the params "
			   "screen, %s)", name, cf_tui_command_key("params"));
		return -1;
	}
	cf_session_get(S->s, name, old, sizeof old, NULL);
	if (cf_session_set(S->s, name, value, &err)) {
		cf_tui_msg(t, CF_MSG_ERROR, "kept %s = %s: %s", name, old, err.msg);
		return -1;
	}
	S->gen++;
	cf_session_get(S->s, name, old, sizeof old, NULL);
	cf_tui_msg(t, CF_MSG_GOOD, "%s = %s; %s and later steps are stale", name, old,
		   cf_session_step_name(p->step));
	return 0;
}

int cf_tsess_overrides(const cf_tui *t, const char *name, char *buf, size_t size)
{
	int np, n = 0;
	const cf_param_info *p = cf_session_params(&np);
	size_t used = 0;

	if (size)
		buf[0] = '\0';
	if (!t->sess)
		return 0;
	for (int l = 1; l <= CF_TSESS_MAX_LAYERS; l++)
		for (int k = 0; k < np; k++) {
			char v[64];
			if (!p[k].per_layer || (name && strcmp(name, p[k].name)) ||
			    !cf_session_get_layer(t->sess->s, l, p[k].name, v, sizeof v))
				continue;
			if (used < size)
				used += (size_t)snprintf(buf + used, size - used, "%sL%d %s%s%s",
							 n ? ", " : "", l, name ? "" : p[k].name,
							 name ? "" : "=", v);
			n++;
		}
	return n;
}

int cf_tsess_cmd_data(cf_tui *t, const char *args)
{
	cf_error err;
	while (args && *args == ' ')
		args++;
	if (!need_session(t, "data"))
		return -1;
	if (!args || !*args) {
		cf_tui_msg(t, CF_MSG_ERROR, "data: give a data set, e.g. :data fashion-mnist (now: %s)",
			   t->sess->data[0] ? t->sess->data : "none");
		return -1;
	}
	if (load_data(t, args, &err)) {
		cf_tui_msg(t, CF_MSG_ERROR, "data %s: %s", args, err.msg);
		return -1;
	}
	cf_tui_msg(t, CF_MSG_GOOD, "data %s loaded; every step is stale (%s runs them)", args,
		   cf_tui_command_key("run-all"));
	return 0;
}

int cf_tsess_cmd_set(cf_tui *t, const char *args)
{
	char name[128];
	const char *eq = args ? strchr(args, '=') : NULL;
	size_t n;

	if (!eq || eq == args) {
		cf_tui_msg(t, CF_MSG_ERROR, "set: expected NAME=VALUE, e.g. set ot.reg=0.05");
		return -1;
	}
	n = (size_t)(eq - args);
	while (n > 0 && args[n - 1] == ' ')
		n--;
	if (n >= sizeof name)
		n = sizeof name - 1;
	memcpy(name, args, n);
	name[n] = '\0';
	eq++;
	while (*eq == ' ')
		eq++;
	return cf_tsess_set(t, name, eq) ? -1 : 0;
}

/* A Lua string literal: "…" with the characters that need it escaped. */
static void lua_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\%03d", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Whether a parameter's value differs from its default (numbers compared
 * as numbers: "0.010" is the default "0.01"). */
static int non_default(const cf_param_info *p, const char *v)
{
	if (p->type == CF_PARAM_INT || p->type == CF_PARAM_DOUBLE) {
		char *e1, *e2;
		double a = strtod(v, &e1), b = strtod(p->def, &e2);
		if (!*e1 && !*e2 && e1 != v)
			return a != b;
	}
	if (p->type == CF_PARAM_BOOL) {
		int a = !strcmp(v, "1") || !strcmp(v, "true");
		int b = !strcmp(p->def, "1") || !strcmp(p->def, "true");
		return a != b;
	}
	return strcmp(v, p->def) != 0;
}

int cf_tsess_write_script(cf_tui *t, const char *path, cf_error *err)
{
	struct cf_tsess *S = t->sess;
	char v[512], when[64];
	const cf_param_info *p;
	int np, nl = 0;
	time_t now = time(NULL);
	struct tm tm;
	cf_outfile o;
	FILE *f;

	if (cf_outfile_open(&o, path, err))
		return -1;
	f = o.f;
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
	fprintf(f, "-- A clafuse fusion session, written by the workbench (%s).\n"
		   "-- Replay it with:  clafuse run %s\n\n"
		   "local s = assert(cf.session.new())\n", when, path);
	for (int k = 0; k < S->npaths; k++) {
		fputs("assert(s:add_model(", f);
		lua_quote(f, S->paths[k]);
		fputs("))\n", f);
	}
	if (S->data[0]) {
		fputs("assert(s:data(", f);
		lua_quote(f, S->data);
		fputs("))\n", f);
	}
	p = cf_session_params(&np);
	for (int k = 0; k < np; k++) {
		if (cf_session_get(S->s, p[k].name, v, sizeof v, NULL) || !non_default(&p[k], v))
			continue;
		fputs("s:set(", f);
		lua_quote(f, p[k].name);
		fputs(", ", f);
		lua_quote(f, v);
		fprintf(f, ")\n");
	}
	cf_tsess_selected(t, &nl);
	for (int l = 1; l <= nl; l++)
		for (int k = 0; k < np; k++)
			if (p[k].per_layer && cf_session_get_layer(S->s, l, p[k].name, v, sizeof v)) {
				fprintf(f, "s:set_layer(%d, ", l);
				lua_quote(f, p[k].name);
				fputs(", ", f);
				lua_quote(f, v);
				fprintf(f, ")\n");
			}
	fprintf(f, "s:run()\nprint(s:report())\n");
	return cf_outfile_commit(&o, err) ? -1 : 0;
}

int cf_tsess_cmd_script(cf_tui *t, const char *args)
{
	const char *path = args && *args ? args : "session.lua";
	cf_error err = {0};
	if (!need_session(t, "write-script"))
		return -1;
	if (cf_tsess_write_script(t, path, &err)) {
		cf_tui_msg(t, CF_MSG_ERROR, "write-script: %s", err.msg);
		return -1;
	}
	cf_tui_msg(t, CF_MSG_GOOD, "session written to %s (replay: clafuse run %s)", path, path);
	return 0;
}
