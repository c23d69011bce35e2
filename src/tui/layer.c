/* layer.c — the layer screen: one transport problem, stepped in the open.
 *
 * Shows the ground cost M and the plan T side by side through one heatmap
 * view (same pooling, same cursor), marginal bars, the solver's state and
 * its error per iteration as a braille plot.  The solver is the core's
 * stepping API (cf_ot_solver_alloc / iterate / test / plan): `s` is one
 * ITERATE, `r` iterates until TEST says done, redrawing every ~50 ms and
 * polling for q so a run can be stopped and resumed with nothing lost.
 * Changing ε or the solver restarts it from iteration 0.
 *
 * In a fusion session the screen shows fusion layer ℓ (cf_layer_open_fusion):
 * copies of Mℓ and Tℓ and the fusion's own solver result, until the user
 * steps or runs the solver again, which restarts it on the same Mℓ (with
 * the layer's marginals) so the plan can be watched forming.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "layer.h"

#include <curses.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmap.h"
#include "commands.h"
#include "core/fusion.h"
#include "core/session.h"
#include "heatmap.h"
#include "heatpic.h"
#include "core/matfile.h"
#include "core/ot.h"
#include "plot.h"
#include "screen.h"
#include "sess.h"
#include "tui.h"

#define POLL_SECONDS 0.05 /* redraw and read keys this often during a run */

struct cf_layer {
	char desc[128];
	int64_t n, m;
	double *M, *plan;     /* owned, n×m */
	cf_ot_problem prob;   /* uniform marginals over M */
	int kind;             /* cf_ot_kind */
	double reg, tol;
	cf_ot_solver *solver; /* NULL when it could not be set up */
	int status;           /* cf_ot_status */
	int64_t iters;
	double err, cost, seconds;
	double *errs;         /* error after each iteration */
	int64_t nerr, cap;
	cf_heatmap *hM, *hT;
	cf_heatmap_view view; /* shared by both heatmaps */
	/* a fusion layer (cf_layer_open_fusion) */
	int fusion_layer;     /* 0-based, -1 for a stand-alone problem */
	int nlayers;
	char lname[64];
	double trace_ratio;
	int showing_fusion;   /* the plan is the fusion's, not a stepped one */
	double *a, *b;        /* non-uniform marginals (owned) or NULL */
	/* the plan in matching order (o): its rows sorted, and their order */
	int sorted;
	double *splan;
	int64_t *order;
};

/* Give the plan's heatmap the plan, or its rows in matching order. */
static void show_plan(struct cf_layer *L)
{
	if (L->sorted && L->splan && L->order) {
		cf_heatmap_order_rows(L->plan, L->n, L->m, L->order, L->splan);
		L->hT->row_order = L->order;
		cf_heatmap_set_data(L->hT, L->splan, L->n, L->m);
	} else {
		L->hT->row_order = NULL;
		cf_heatmap_set_data(L->hT, L->plan, L->n, L->m);
	}
}

int cf_layer_sorted(const cf_tui *t)
{
	return t->layer ? t->layer->sorted : 0;
}

int cf_layer_set_sorted(cf_tui *t, int on)
{
	struct cf_layer *L = t->layer;
	if (!L)
		return 0;
	if (on && !L->splan) {
		L->splan = malloc((size_t)(L->n * L->m) * sizeof *L->splan);
		L->order = malloc((size_t)L->n * sizeof *L->order);
		if (!L->splan || !L->order) {
			free(L->splan);
			free(L->order);
			L->splan = NULL;
			L->order = NULL;
			return -1;
		}
	}
	L->sorted = on;
	show_plan(L);
	return 0;
}

static void refresh_plan(struct cf_layer *L)
{
	double c = 0;
	int64_t nm = L->n * L->m;

	if (L->solver)
		cf_ot_solver_plan(L->solver, L->plan, NULL, NULL);
	else
		memset(L->plan, 0, (size_t)nm * sizeof *L->plan);
	for (int64_t k = 0; k < nm; k++)
		c += L->plan[k] * L->M[k];
	L->cost = c;
	show_plan(L);
}

static int restart(cf_tui *t)
{
	struct cf_layer *L = t->layer;
	cf_ot_params par;
	cf_error err;

	cf_error_clear(&err);
	cf_ot_solver_free(L->solver);
	L->nerr = 0;
	L->iters = 0;
	L->err = NAN;
	L->seconds = 0;
	L->status = CF_OT_RUNNING;
	cf_ot_params_init(&par);
	par.reg = L->reg;
	par.tol = L->tol;
	L->solver = cf_ot_solver_alloc(L->kind, &L->prob, &par, &err);
	refresh_plan(L);
	if (!L->solver) {
		L->status = CF_OT_FAILED;
		cf_tui_msg(t, CF_MSG_ERROR, "%s: %s", cf_ot_kind_name(L->kind), err.msg);
		return -1;
	}
	return 0;
}

static int push_err(struct cf_layer *L, double e)
{
	if (L->nerr == L->cap) {
		int64_t cap = L->cap ? 2 * L->cap : 1024;
		double *p = realloc(L->errs, (size_t)cap * sizeof *p);
		if (!p)
			return -1;
		L->errs = p;
		L->cap = cap;
	}
	L->errs[L->nerr++] = e;
	return 0;
}

/* One ITERATE + TEST.  Returns 0, or -1 after reporting a failure. */
static int iterate(cf_tui *t)
{
	struct cf_layer *L = t->layer;
	cf_error err;
	double t0 = cf_progress_clock();

	cf_error_clear(&err);
	if (cf_ot_solver_iterate(L->solver, &err)) {
		L->status = CF_OT_FAILED;
		cf_tui_msg(t, CF_MSG_ERROR, "%s failed at iteration %lld: %s",
			   cf_ot_kind_name(L->kind), (long long)L->iters, err.msg);
		return -1;
	}
	L->seconds += cf_progress_clock() - t0;
	L->iters = cf_ot_solver_iterations(L->solver);
	L->err = cf_ot_solver_error(L->solver);
	if (push_err(L, L->err)) {
		cf_tui_msg(t, CF_MSG_ERROR, "out of memory for the error history");
		return -1;
	}
	L->status = cf_ot_solver_test(L->solver);
	return 0;
}

static int ready(cf_tui *t)
{
	struct cf_layer *L = t->layer;
	if (!L) {
		cf_tui_msg(t, CF_MSG_ERROR, "no transport problem is open");
		return 0;
	}
	if (!L->solver) {
		cf_tui_msg(t, CF_MSG_ERROR, "%s could not start on this problem; change the solver (v)",
			   cf_ot_kind_name(L->kind));
		return 0;
	}
	return 1;
}

/* The first step or run after opening a fusion layer starts the solver
 * over on Mℓ, so its plan can be watched from iteration 0. */
static int leave_fusion_plan(cf_tui *t)
{
	struct cf_layer *L = t->layer;
	if (!L->showing_fusion)
		return 0;
	L->showing_fusion = 0;
	return restart(t);
}

static void report_end(cf_tui *t)
{
	struct cf_layer *L = t->layer;
	int good = L->status == CF_OT_CONVERGED || L->status == CF_OT_OPTIMAL;
	char e[48] = "";
	if (!isnan(L->err)) /* exact solvers have no marginal error */
		snprintf(e, sizeof e, "err %.3g, ", L->err);
	cf_tui_msg(t, good ? CF_MSG_GOOD : CF_MSG_WARN,
		   "%s after %lld iterations: %scost %.6g (%s, %.3f s)",
		   cf_ot_status_name(L->status), (long long)L->iters, e, L->cost,
		   cf_ot_kind_name(L->kind), L->seconds);
}

int cf_layer_cmd_step(cf_tui *t, const char *args)
{
	struct cf_layer *L = t->layer;
	(void)args;
	if (!ready(t) || leave_fusion_plan(t))
		return -1;
	L->status = cf_ot_solver_test(L->solver);
	if (L->status != CF_OT_RUNNING) {
		report_end(t);
		return 0;
	}
	if (iterate(t))
		return -1;
	refresh_plan(L);
	if (L->status != CF_OT_RUNNING)
		report_end(t);
	else if (isnan(L->err))
		cf_tui_msg(t, CF_MSG_INFO, "iteration %lld: cost %.6g", (long long)L->iters, L->cost);
	else
		cf_tui_msg(t, CF_MSG_INFO, "iteration %lld: err %.3g, cost %.6g", (long long)L->iters,
			   L->err, L->cost);
	return 0;
}

int cf_layer_cmd_run(cf_tui *t, const char *args)
{
	struct cf_layer *L = t->layer;
	double last, e0 = NAN;
	int failed = 0;
	(void)args;

	if (!ready(t) || leave_fusion_plan(t))
		return -1;
	L->status = cf_ot_solver_test(L->solver);
	t->busy = 1;
	t->stop = 0;
	t->busy_frac = 0;
	last = cf_progress_clock();
	while (L->status == CF_OT_RUNNING && !t->stop) {
		if (iterate(t)) {
			failed = 1;
			break;
		}
		if (isnan(e0) && L->err > 0)
			e0 = L->err;
		if (cf_progress_clock() - last >= POLL_SECONDS) {
			refresh_plan(L);
			/* progress: how far the error has come down towards tol */
			t->busy_frac = e0 > L->tol && L->err > 0
					       ? log(e0 / L->err) / log(e0 / L->tol) : -1;
			snprintf(t->busy_text, sizeof t->busy_text, "%s it=%lld err=%.3g",
				 cf_ot_kind_name(L->kind), (long long)L->iters, L->err);
			cf_tui_poll(t);
			last = cf_progress_clock();
		}
	}
	t->busy = 0;
	refresh_plan(L);
	if (failed)
		return -1;
	if (t->stop && L->status == CF_OT_RUNNING) {
		t->stop = 0;
		cf_tui_msg(t, CF_MSG_WARN, "stopped at iteration %lld, err %.3g (state kept; %s resumes)",
			   (long long)L->iters, L->err, "r");
		return 0;
	}
	t->stop = 0;
	report_end(t);
	return 0;
}

int cf_layer_cmd_reset(cf_tui *t, const char *args)
{
	(void)args;
	if (!t->layer)
		return -1;
	t->layer->showing_fusion = 0;
	if (restart(t))
		return -1;
	cf_tui_msg(t, CF_MSG_INFO, "%s restarted", cf_ot_kind_name(t->layer->kind));
	return 0;
}

/* On a fusion layer, e and v change the session too: a per-layer
 * override of `name` for this layer (the fusion turns stale from it, the
 * parameter screen and the results list it, w writes it).  The local
 * solver restarts with the new value so it can be stepped at once; the
 * session's own result comes with the next run.  Returns 0, or -1 after
 * a message. */
static int override(cf_tui *t, const char *name, const char *value)
{
	struct cf_layer *L = t->layer;
	cf_session *s = cf_tsess_session(t);
	cf_error err;

	if (L->fusion_layer < 0 || !s)
		return 0;
	cf_error_clear(&err);
	if (cf_session_set_layer(s, L->fusion_layer + 1, name, value, &err)) {
		cf_tui_msg(t, CF_MSG_ERROR, "layer %d: %s", L->fusion_layer + 1, err.msg);
		return -1;
	}
	/* results changed, but this screen keeps its restarted solver */
	t->sess->gen++;
	t->sess->layer_gen = t->sess->gen;
	return 1;
}

static int set_eps(cf_tui *t, const char *text)
{
	struct cf_layer *L = t->layer;
	char *end;
	double x;
	int ov;

	while (*text == ' ')
		text++;
	errno = 0;
	x = strtod(text, &end);
	while (*end == ' ')
		end++;
	if (end == text || *end || errno || !isfinite(x) || !(x > 0)) {
		cf_tui_msg(t, CF_MSG_ERROR, "eps: '%s' is not a positive number", text);
		return -1;
	}
	if ((ov = override(t, "ot.reg", text)) < 0)
		return -1;
	L->reg = x;
	L->showing_fusion = 0;
	if (restart(t))
		return -1;
	if (ov)
		cf_tui_msg(t, CF_MSG_GOOD, "layer %d: ot.reg = %g (override); fusion stale from this "
			   "layer, %s re-runs it", L->fusion_layer + 1, x,
			   cf_tui_command_key("run-all"));
	else
		cf_tui_msg(t, CF_MSG_INFO, "ε = %g; %s restarted", x, cf_ot_kind_name(L->kind));
	return 0;
}

int cf_layer_cmd_eps(cf_tui *t, const char *args)
{
	char init[32];
	if (!t->layer)
		return -1;
	if (args && *args)
		return set_eps(t, args);
	snprintf(init, sizeof init, "%g", t->layer->reg);
	cf_tui_prompt(t, "ε = ", init, set_eps);
	return 0;
}

int cf_layer_cmd_solver(cf_tui *t, const char *args)
{
	static const int cycle[] = {CF_OT_SINKHORN, CF_OT_SINKHORN_LOG, CF_OT_SINKHORN_EPS, CF_OT_EMD};
	struct cf_layer *L = t->layer;
	int kind = -1, ov;

	if (!L)
		return -1;
	if (args && *args) {
		kind = cf_ot_kind_parse(args);
		if (kind < 0) {
			cf_tui_msg(t, CF_MSG_ERROR,
				   "solver: unknown '%s' (exact, emd, assign, sinkhorn, sinkhorn-log, "
				   "sinkhorn-eps, unbalanced, sinkhorn-sparse)",
				   args);
			return -1;
		}
	} else {
		size_t k, n = sizeof cycle / sizeof *cycle;
		for (k = 0; k < n && cycle[k] != L->kind; k++)
			;
		kind = cycle[(k + 1) % n];
	}
	if ((ov = override(t, "ot.solver", cf_ot_kind_name(kind))) < 0)
		return -1;
	L->kind = kind;
	L->showing_fusion = 0;
	if (restart(t))
		return -1;
	if (ov)
		cf_tui_msg(t, CF_MSG_GOOD, "layer %d: ot.solver = %s (override); fusion stale from "
			   "this layer, %s re-runs it", L->fusion_layer + 1, cf_ot_kind_name(kind),
			   cf_tui_command_key("run-all"));
	else
		cf_tui_msg(t, CF_MSG_INFO, "solver %s (ε = %g)", cf_ot_kind_name(kind), L->reg);
	return 0;
}

/* The heatmap the view keys act on: the plan T on the layer screen (M
 * shares its view), the focused one of C and the plan on the overview.
 * NULL (with a message) when there is none. */
static cf_heatmap *focused(cf_tui *t, cf_heatmap_view **v)
{
	if (t->screen == CF_SCREEN_OVERVIEW && t->sess) {
		struct cf_tsess *S = t->sess;
		int plan = S->focus && S->P;
		if (!plan && !S->C) {
			cf_tui_msg(t, CF_MSG_INFO, "no heatmap yet: %s runs the steps",
				   cf_tui_command_key("run-all"));
			return NULL;
		}
		*v = plan ? &S->vP : &S->vC;
		return plan ? S->hP : S->hC;
	}
	if (!t->layer) {
		cf_tui_msg(t, CF_MSG_INFO, "no matrix on this screen yet");
		return NULL;
	}
	*v = &t->layer->view;
	return t->layer->hT;
}

int cf_layer_cmd_logscale(cf_tui *t, const char *args)
{
	cf_heatmap_view *v;
	cf_heatmap *h = focused(t, &v);
	(void)args;
	if (!h)
		return -1;
	h->scale = h->scale == CF_SCALE_LOG ? CF_SCALE_LIN : CF_SCALE_LOG;
	cf_tui_msg(t, CF_MSG_INFO, "%s: %s colour scale", h->label,
		   h->scale == CF_SCALE_LOG ? "log" : "linear");
	return 0;
}

int cf_layer_cmd_aspect(cf_tui *t, const char *args)
{
	cf_heatmap_view *v;
	cf_heatmap *h = focused(t, &v);
	(void)args;
	if (!h)
		return -1;
	cf_heatmap_view_set_square(v, !v->square);
	cf_tui_msg(t, CF_MSG_INFO, "%s", v->square ? "square pixels (same scale down and across)"
						   : "heatmaps fill their box");
	return 0;
}

int cf_layer_cmd_cmap(cf_tui *t, const char *args)
{
	struct cf_layer *L = t->layer;
	int c = -1;
	if (!L)
		return -1;
	if (args && *args) {
		for (int k = 0; k < CF_CMAP_N; k++)
			if (!strcmp(args, cf_cmap_name(k)))
				c = k;
		if (c < 0) {
			cf_tui_msg(t, CF_MSG_ERROR, "colormap: unknown '%s' (viridis, magma, grey)", args);
			return -1;
		}
	} else
		c = (L->hT->cmap + 1) % CF_CMAP_N;
	L->hT->cmap = L->hM->cmap = c;
	cf_tui_msg(t, CF_MSG_INFO, "colour map %s", cf_cmap_name(c));
	return 0;
}

int cf_layer_cmd_marginals(cf_tui *t, const char *args)
{
	(void)args;
	if (!t->layer)
		return -1;
	t->layer->hT->show_marginals = t->layer->hM->show_marginals = !t->layer->hT->show_marginals;
	return 0;
}

#define VIEW_CMD(fname, call)                                  \
	int fname(cf_tui *t, const char *args)                 \
	{                                                      \
		cf_heatmap_view *v;                            \
		(void)args;                                    \
		if (!focused(t, &v))                           \
			return -1;                             \
		call;                                          \
		return 0;                                      \
	}

VIEW_CMD(cf_layer_cmd_zoom_in, cf_heatmap_view_zoom(v, 1))
VIEW_CMD(cf_layer_cmd_zoom_out, cf_heatmap_view_zoom(v, -1))
VIEW_CMD(cf_layer_cmd_fit, cf_heatmap_view_fit(v))
VIEW_CMD(cf_layer_cmd_left, cf_heatmap_view_move(v, 0, -1))
VIEW_CMD(cf_layer_cmd_right, cf_heatmap_view_move(v, 0, 1))
VIEW_CMD(cf_layer_cmd_up, cf_heatmap_view_move(v, -1, 0))
VIEW_CMD(cf_layer_cmd_down, cf_heatmap_view_move(v, 1, 0))

int cf_layer_cmd_export(cf_tui *t, const char *args)
{
	struct cf_layer *L = t->layer;
	const char *path = args && *args ? args : "plan.csv";

	if (!L) {
		cf_tui_msg(t, CF_MSG_ERROR, "export: no plan on the layer screen");
		return -1;
	}
	cf_error err = {0};
	if (cf_picture_kind(path)) {
		char title[160];
		snprintf(title, sizeof title, "Transport plan T%s%s (%lld×%lld, iteration %lld)%s",
			 L->lname[0] ? " " : "", L->lname, (long long)L->n, (long long)L->m,
			 (long long)L->iters, L->sorted ? ", rows in matching order" : "");
		if (cf_heatmap_write_picture(L->hT, path, title,
					     L->fusion_layer >= 0 ? "neurons of B (model 1)" : "column j",
					     L->fusion_layer >= 0 ? (L->sorted ? "neurons of A, sorted"
										: "neurons of A (model 0)")
								  : "row i", &err)) {
			cf_tui_msg(t, CF_MSG_ERROR, "export: %s", err.msg);
			return -1;
		}
		cf_tui_msg(t, CF_MSG_GOOD, "plan picture written to %s", path);
		return 0;
	}
	if (cf_matfile_write(path, L->plan, L->n, L->m, &err)) {
		cf_tui_msg(t, CF_MSG_ERROR, "export: %s", err.msg);
		return -1;
	}
	cf_tui_msg(t, CF_MSG_GOOD, "plan (%lld×%lld, iteration %lld) written to %s", (long long)L->n,
		   (long long)L->m, (long long)L->iters, path);
	return 0;
}

/* ---- drawing ---- */

static void draw_pane(cf_grid *g, cf_rect box, const char *title, cf_heatmap *h,
		      cf_heatmap_view *v)
{
	char scale[128], cut[128];
	cf_rect inner = {box.y + 2, box.x + 1, box.h - 3, box.w - 2};

	cf_grid_box(g, box, title, CF_ROLE_FRAME);
	cf_heatmap_render(h, v, g, inner);
	cf_heatmap_scale_text(h, v, scale, sizeof scale);
	/* narrow: "400×400 → 20×10 px" without the pooling clause, not cut
	 * inside a word */
	cf_utf8_cut(scale, box.w - 4, ", ", cut, sizeof cut);
	cf_grid_puts(g, box.y + 1, box.x + 2, box.w - 4, CF_ROLE_DIM, cut);
}

static void draw_solver(cf_tui *t, cf_grid *g, cf_rect box)
{
	struct cf_layer *L = t->layer;
	char buf[160];
	int x = box.x + 2, w = box.w - 4, y = box.y + 1;
	int good = L->status == CF_OT_CONVERGED || L->status == CF_OT_OPTIMAL;

	cf_grid_box(g, box, "Solver", CF_ROLE_FRAME);
	if (L->kind >= CF_OT_SINKHORN) {
		cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "%s  ε=%g  tol=%g",
			       cf_ot_kind_name(L->kind), L->reg, L->tol);
	} else /* ε and tol mean nothing to an exact solver */
		cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "%s (exact)", cf_ot_kind_name(L->kind));
	/* exact solvers have no marginal error: "-", not nan */
	if (isnan(L->err))
		snprintf(buf, sizeof buf, "it=%lld  err=-  ", (long long)L->iters);
	else
		snprintf(buf, sizeof buf, "it=%lld  err=%.3g  ", (long long)L->iters, L->err);
	{
		const char *st = L->status == CF_OT_RUNNING ? "running" : cf_ot_status_name(L->status);
		int used = cf_grid_puts(g, y, x, w, CF_ROLE_NORMAL, buf);
		int sx = x + 20 > x + used ? x + 20 : x + used;
		if (sx + cf_utf8_width(st) > x + w)
			sx = x + used;
		cf_grid_puts(g, y++, sx, x + w - sx,
			     good ? CF_ROLE_GOOD : L->status == CF_OT_RUNNING ? CF_ROLE_NORMAL
									: CF_ROLE_WARN,
			     st);
	}
	cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "cost=%.6g  time %.3f s", L->cost, L->seconds);
	if (L->solver && (L->kind == CF_OT_SINKHORN_EPS || L->kind == CF_OT_SINKHORN_SPARSE)) {
		/* ε-scaling steps through larger ε first; the sparse kernel's
		 * size is what one of its iterations costs */
		int64_t nnz = cf_ot_solver_kernel_size(L->solver);
		if (nnz >= 0)
			cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "ε now %.3g  kernel %lld of %lld",
				       cf_ot_solver_eps(L->solver), (long long)nnz,
				       (long long)(L->prob.n * L->prob.m));
		else
			cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "ε now %.3g",
				       cf_ot_solver_eps(L->solver));
	}
	if (L->fusion_layer >= 0 && y < box.y + box.h - 1) {
		snprintf(buf, sizeof buf, "%s %d/%d %s trace %.3f",
			 L->showing_fusion ? "fusion's plan" : "re-solving", L->fusion_layer + 1,
			 L->nlayers, L->lname, L->trace_ratio);
		/* narrow: the trace whole, the words before it shorter */
		if (cf_utf8_width(buf) > w)
			snprintf(buf, sizeof buf, "%s %d/%d trace %.3f",
				 L->showing_fusion ? "plan" : "re-solving", L->fusion_layer + 1,
				 L->nlayers, L->trace_ratio);
		cf_grid_puts(g, y++, x, w, CF_ROLE_NORMAL, buf);
	}
	if (y < box.y + box.h - 1) {
		cf_heatmap_cursor_text(L->hM, &L->view, buf, sizeof buf);
		cf_grid_puts(g, y++, x, w, CF_ROLE_SELECT, buf);
	}
	if (y < box.y + box.h - 1) {
		cf_heatmap_cursor_text(L->hT, &L->view, buf, sizeof buf);
		cf_grid_puts(g, y++, x, w, CF_ROLE_SELECT, buf);
	}
}

static void draw_errors(cf_tui *t, cf_grid *g, cf_rect box)
{
	struct cf_layer *L = t->layer;
	cf_rect plot = {box.y + 1, box.x + 10, box.h - 2, box.w - 11};
	double lo, hi;

	cf_grid_box(g, box, box.w - 5 >= 27 ? "error per iteration (log10)"
			    : box.w - 5 >= 13 ? "error (log10)" : "error",
		    CF_ROLE_FRAME);
	if (L->nerr == 0 || isnan(L->err)) {
		/* wrapped: a narrow box shows it whole on more lines */
		const char *text = L->nerr || L->iters > 0 || L->status != CF_OT_RUNNING
					   ? "(exact solver: no marginal error to plot)"
					   : "(no iterations yet: press s)";
		char line[64];
		for (int y = box.y + 1;
		     y < box.y + box.h - 1 && cf_utf8_wrap(&text, box.w - 4, line, sizeof line); y++)
			cf_grid_puts(g, y, box.x + 2, box.w - 4, CF_ROLE_DIM, line);
		return;
	}
	if (cf_plot_braille(g, plot, L->errs, L->nerr, 1, CF_ROLE_GOOD, &lo, &hi) > 0) {
		cf_grid_printf(g, plot.y, box.x + 1, 9, CF_ROLE_DIM, "%.0e", pow(10, hi));
		cf_grid_printf(g, plot.y + plot.h - 1, box.x + 1, 9, CF_ROLE_DIM, "%.0e", pow(10, lo));
	}
}

/* The plan column under the cursor: neuron j of model 1. */
static int64_t cursor_column(const struct cf_layer *L)
{
	double y0, y1, x0, x1;
	if (cf_heatmap_labelled(L->hT))
		return L->view.cx;
	cf_heatmap_view_block(&L->view, L->view.cy, L->view.cx, &y0, &y1, &x0, &x1);
	return (int64_t)x0 < L->m ? (int64_t)x0 : L->m - 1;
}

/* Something to look at at the activation step: the neuron of model 1 under
 * the cursor's plan column and its match in model 0 (the column's largest
 * entry), their pre-activations over the samples as a scatter and their
 * correlation.  Returns 0 when the session has no recordings for this
 * layer (a stand-alone problem, or results mid-run), drawing nothing. */
static int draw_matched(cf_tui *t, cf_grid *g, cf_rect box)
{
	struct cf_layer *L = t->layer;
	const cf_session *R = L->fusion_layer >= 0 ? cf_tsess_results(t) : NULL;
	int64_t N = R ? cf_session_matched_samples(R) : 0, j, i;
	double *x1, *x0, corr, rg[4];
	cf_rect plot = {box.y + 2, box.x + 2, box.h - 3, box.w - 4};
	int rc;

	if (N < 1 || box.w < 24 || box.h < 5)
		return 0;
	j = cursor_column(L);
	x1 = malloc(2 * (size_t)N * sizeof *x1);
	if (!x1)
		return 0;
	x0 = x1 + N;
	rc = cf_session_matched(R, L->fusion_layer, L->plan, j, x1, x0, &i, &corr, NULL);
	if (rc) {
		free(x1);
		return 0;
	}
	cf_grid_box(g, box, box.w >= 40 ? "Matched neurons (cursor's column)" : "Matched neurons",
		    CF_ROLE_FRAME);
	{
		char head[128];
		int iw = box.w - 4;
		snprintf(head, sizeof head, "B%lld ↔ A%lld  corr %.2f  (x: B, y: A, %lld samples)",
			 (long long)j, (long long)i, corr, (long long)N);
		if (cf_utf8_width(head) > iw)
			snprintf(head, sizeof head, "B%lld ↔ A%lld  corr %.2f", (long long)j, (long long)i,
				 corr);
		cf_grid_puts(g, box.y + 1, box.x + 2, iw, CF_ROLE_NORMAL, head);
	}
	/* the y range on the left when there is room for it */
	if (plot.w >= 30) {
		plot.x += 8;
		plot.w -= 8;
	}
	if (cf_plot_scatter(g, plot, x1, x0, N, CF_ROLE_GOOD, rg) > 0 && plot.x > box.x + 2) {
		cf_grid_printf(g, plot.y, box.x + 1, 8, CF_ROLE_DIM, "%7.3g", rg[3]);
		cf_grid_printf(g, plot.y + plot.h - 1, box.x + 1, 8, CF_ROLE_DIM, "%7.3g", rg[2]);
	}
	free(x1);
	return 1;
}

static void layer_draw(cf_tui *t, cf_grid *g, cf_rect body)
{
	struct cf_layer *L = t->layer;
	int bh = body.h >= 26 ? 9 : 8, half = body.w / 2, sw;
	char title[96];

	if (!L) {
		int nl, sel = cf_tsess_selected(t, &nl);
		if (!t->sess)
			cf_grid_puts(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM,
				     "no transport problem is open");
		else if (nl == 0)
			cf_grid_printf(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM,
				       "no fusion layer yet: press %s to fuse the first layer, %s to run "
				       "every step",
				       cf_tui_command_key("fuse-next"), cf_tui_command_key("run-all"));
		else
			cf_grid_printf(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM,
				       "fusion layer %d of %d has no plan yet: press %s to fuse the next "
				       "layer, %s to run every step",
				       sel + 1, nl, cf_tui_command_key("fuse-next"),
				       cf_tui_command_key("run-all"));
		return;
	}
	if (L->fusion_layer >= 0)
		snprintf(title, sizeof title, "Ground cost M%d  %s", L->fusion_layer + 1, L->lname);
	else
		snprintf(title, sizeof title, "Ground cost M");
	draw_pane(g, (cf_rect){body.y, body.x, body.h - bh, half}, title, L->hM, &L->view);
	snprintf(title, sizeof title, "Plan T  it=%lld", (long long)L->iters);
	draw_pane(g, (cf_rect){body.y, body.x + half, body.h - bh, half}, title, L->hT, &L->view);
	sw = body.w * 9 / 20 < 36 ? 36 : body.w * 9 / 20;
	draw_solver(t, g, (cf_rect){body.y + body.h - bh, body.x, bh, sw});
	{
		/* right of the solver: the error curve of an iterative solver,
		 * and the matched neurons of a fusion layer (the whole width when
		 * an exact solver leaves no error to plot) */
		cf_rect rest = {body.y + body.h - bh, body.x + sw, bh, body.w - sw};
		int errs = L->nerr > 0 && !isnan(L->err);
		int mw = errs ? rest.w / 2 : rest.w;
		if (L->fusion_layer >= 0 &&
		    draw_matched(t, g, (cf_rect){rest.y, rest.x + rest.w - mw, rest.h, mw})) {
			if (errs)
				draw_errors(t, g, (cf_rect){rest.y, rest.x, rest.h, rest.w - mw});
		} else
			draw_errors(t, g, rest);
	}
}

static int layer_key(cf_tui *t, int key)
{
	struct cf_layer *L = t->layer;
	int py, px;

	if (!L || key != KEY_MOUSE)
		return 0;
#if NCURSES_MOUSE_VERSION > 1
	if (t->mouse_bstate & BUTTON4_PRESSED) {
		cf_heatmap_view_zoom(&L->view, 1);
		return 1;
	}
	if (t->mouse_bstate & BUTTON5_PRESSED) {
		cf_heatmap_view_zoom(&L->view, -1);
		return 1;
	}
#endif
	if (cf_heatmap_hit(L->hT, &L->view, t->mouse_y, t->mouse_x, &py, &px) ||
	    cf_heatmap_hit(L->hM, &L->view, t->mouse_y, t->mouse_x, &py, &px)) {
		L->view.cy = py;
		L->view.cx = px;
		return 1;
	}
	return 1; /* clicks elsewhere do nothing */
}

const cf_screen cf_screen_layer = {"layer", layer_draw, layer_key};

int cf_layer_open(cf_tui *t, double *M, int64_t n, int64_t m, int kind, double reg, double tol,
		  const char *desc, cf_error *err)
{
	struct cf_layer *L = calloc(1, sizeof *L);

	if (!L || !(L->plan = calloc((size_t)(n * m), sizeof *L->plan)) ||
	    !(L->hM = cf_heatmap_alloc("M", CF_POOL_MEAN)) ||
	    !(L->hT = cf_heatmap_alloc("T", CF_POOL_SUM))) {
		if (L) {
			free(L->plan);
			cf_heatmap_free(L->hM);
			free(L);
		}
		free(M);
		return cf_error_set(err, CF_ENOMEM, "out of memory for a %lld×%lld problem",
				    (long long)n, (long long)m);
	}
	cf_layer_close(t);
	t->layer = L;
	snprintf(L->desc, sizeof L->desc, "%s", desc ? desc : "");
	L->n = n;
	L->m = m;
	L->M = M;
	L->prob = (cf_ot_problem){n, m, NULL, NULL, M};
	L->kind = kind;
	L->reg = reg;
	L->tol = tol;
	L->fusion_layer = -1;
	L->hT->scale = CF_SCALE_LOG; /* plans span many orders of magnitude */
	L->hT->show_marginals = L->hM->show_marginals = 1;
	cf_heatmap_view_init(&L->view);
	if (cf_heatmap_set_data(L->hM, M, n, m)) {
		cf_layer_close(t);
		return cf_error_set(err, CF_ENOMEM, "out of memory for the cost heatmap");
	}
	snprintf(t->title, sizeof t->title, "%s", L->desc);
	restart(t); /* a failure is shown on the status line, not fatal */
	return CF_OK;
}

void cf_layer_close(cf_tui *t)
{
	struct cf_layer *L = t->layer;
	if (!L)
		return;
	cf_ot_solver_free(L->solver);
	cf_heatmap_free(L->hM);
	cf_heatmap_free(L->hT);
	free(L->M);
	free(L->plan);
	free(L->errs);
	free(L->a);
	free(L->b);
	free(L->splan);
	free(L->order);
	free(L);
	t->layer = NULL;
}

int cf_layer_open_fusion(cf_tui *t, const cf_fusion_layer *fl, int l, int nlayers, cf_error *err)
{
	struct cf_layer *L;
	int64_t n = fl->n0, m = fl->n1, nm = n * m;
	double *M;
	char title[sizeof t->title], desc[128];
	int rc;

	if (!fl->done || !fl->M || !fl->plan) {
		cf_layer_close(t);
		return CF_OK;
	}
	M = malloc((size_t)nm * sizeof *M);
	if (!M)
		return cf_error_set(err, CF_ENOMEM, "out of memory for the %lld×%lld cost of layer %d",
				    (long long)n, (long long)m, l + 1);
	memcpy(M, fl->M, (size_t)nm * sizeof *M);
	memcpy(title, t->title, sizeof title);
	snprintf(desc, sizeof desc, "layer %d %s", l + 1, fl->name);
	rc = cf_layer_open(t, M, n, m, fl->par.solver, fl->par.reg, 1e-9, desc, err);
	memcpy(t->title, title, sizeof title); /* keep the session's title */
	if (rc)
		return rc;
	L = t->layer;
	L->fusion_layer = l;
	L->nlayers = nlayers;
	snprintf(L->lname, sizeof L->lname, "%s", fl->name);
	L->trace_ratio = fl->trace_ratio;
	if (fl->par.marginals != CF_MARGINALS_UNIFORM) {
		/* the layer's marginals are the fusion plan's row and column sums */
		L->a = calloc((size_t)n, sizeof *L->a);
		L->b = calloc((size_t)m, sizeof *L->b);
		if (L->a && L->b) {
			for (int64_t i = 0; i < n; i++)
				for (int64_t j = 0; j < m; j++) {
					L->a[i] += fl->plan[i * m + j];
					L->b[j] += fl->plan[i * m + j];
				}
			L->prob.a = L->a;
			L->prob.b = L->b;
			restart(t);
		}
	}
	memcpy(L->plan, fl->plan, (size_t)nm * sizeof *L->plan);
	if (cf_heatmap_set_data(L->hT, L->plan, n, m)) {
		cf_layer_close(t);
		return cf_error_set(err, CF_ENOMEM, "out of memory for the plan heatmap");
	}
	L->showing_fusion = 1;
	L->status = fl->ot.status;
	L->iters = fl->ot.iterations;
	L->cost = fl->ot.cost;
	L->seconds = fl->ot.time;
	L->kind = fl->ot.kind;
	L->nerr = 0;
	L->err = NAN;
	for (int64_t k = 0; k < fl->ot.n_err; k++)
		if (push_err(L, fl->ot.err_hist[k]) == 0)
			L->err = fl->ot.err_hist[k];
	/* the matching order (o) stays on from layer to layer */
	if (t->sess && t->sess->sorted && cf_layer_set_sorted(t, 1)) {
		cf_layer_close(t);
		return cf_error_set(err, CF_ENOMEM, "out of memory for the sorted plan");
	}
	return CF_OK;
}
