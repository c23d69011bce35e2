/* results.c — the results screen: accuracies on the test split (each
 * parent, the balanced model, the prediction ensemble, plain averaging
 * when shapes allow, the fused and the finetuned model), the steps' times
 * and runs, the per-epoch finetuning curve as a braille plot (x writes it
 * as a picture), and under it where the fused model loses accuracy: the
 * per-layer hybrids of eval.hybrids.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "results.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "curvepic.h"
#include "heatpic.h"
#include "plot.h"
#include "results.h"
#include "screen.h"
#include "sess.h"
#include "tui.h"

/* "name  accuracy  note": the note only when it fits whole (a cut note
 * reads as a typo). */
static void acc_row(cf_grid *g, int y, int x, int w, const char *what, double acc,
		    const char *note)
{
	char num[16];
	int used;
	if (isnan(acc))
		snprintf(num, sizeof num, "%8s", "-");
	else
		snprintf(num, sizeof num, "%7.2f%%", 100 * acc);
	char shown[96];
	/* the name column is 22 cells, narrower when the box is: the number
	 * must show */
	int nw = w - 9 < 22 ? w - 9 : 22;
	if (nw < 4)
		nw = 4;
	used = cf_grid_printf(g, y, x, w, isnan(acc) ? CF_ROLE_DIM : CF_ROLE_NORMAL, "%-*s %s", nw,
			      cf_utf8_elide(what, nw, shown, sizeof shown), num);
	if (note && *note && used + 2 + cf_utf8_width(note) <= w)
		cf_grid_puts(g, y, x + used + 2, w - used - 2, CF_ROLE_DIM, note);
}

/* Rows the hybrids box wants: a frame, the aligned and fused line, one
 * per layer, what the bars mean; 0 without hybrids. */
static int hybrids_rows(const cf_session *R)
{
	int n;
	return R && cf_session_hybrids(R, &n) ? n + 4 : 0;
}

/* "Where accuracy is lost": for each layer, the fused model's accuracy with
 * that layer taken from the aligned model 0, and a bar of the share of the
 * gap (aligned − fused) the swap closes. */
static void draw_hybrids(cf_grid *g, cf_rect r, const cf_session *R)
{
	const cf_session_metrics *mt = cf_session_metrics_get(R);
	int n, y = r.y + 1, w = r.w - 4, x = r.x + 2;
	const double *h = cf_session_hybrids(R, &n);
	double gap = mt->aligned_acc - mt->fused_acc;

	cf_grid_box(g, r, r.w >= 47 ? "Hybrids: fused with layer l from aligned A"
			  : r.w >= 28 ? "Hybrids (layer from A)" : "Hybrids", CF_ROLE_FRAME);
	/* narrow (the tour's panel at 80 columns): shorter lines, never cut
	 * numbers; the fused accuracy is in the box on the left anyway */
	if (w >= 32)
		cf_grid_printf(g, y++, x, w, CF_ROLE_DIM, "aligned A %6.2f%%  fused %6.2f%%",
			       100 * mt->aligned_acc, 100 * mt->fused_acc);
	else
		cf_grid_printf(g, y++, x, w, CF_ROLE_DIM, "aligned %6.2f%%", 100 * mt->aligned_acc);
	for (int l = 0; l < n && y < r.y + r.h - 1; l++, y++) {
		int used = w >= 18 ? cf_grid_printf(g, y, x, w, CF_ROLE_NORMAL, "L%-2d %6.2f%% %+6.2f",
						    l + 1, 100 * h[l], 100 * (h[l] - mt->fused_acc))
				   : cf_grid_printf(g, y, x, w, CF_ROLE_NORMAL, "L%-2d %6.2f%%", l + 1,
						    100 * h[l]);
		/* the bar: how much of the gap this one layer closes */
		if (gap > 0 && w - used - 1 >= 4) {
			double frac = (h[l] - mt->fused_acc) / gap;
			cf_plot_bar(g, y, x + used + 1, w - used - 1, frac < 0 ? 0 : frac > 1 ? 1 : frac,
				    frac > 0 ? CF_ROLE_GOOD : CF_ROLE_DIM);
		}
	}
	if (y < r.y + r.h - 1 && w >= 28) /* whole or not at all */
		cf_grid_puts(g, y, x, w, CF_ROLE_DIM, w >= 40 ? "bar: the share of the gap to aligned A "
			     "it closes" : "bar: share of the gap closed");
}

/* A finetuning from before the last change is not this fused model's. */
static int results_ft_stale(struct cf_tsess *S)
{
	return cf_session_state(S->s, CF_STEP_FINETUNE) != CF_STATE_FRESH;
}

/* The accuracy box: each parent, the balanced model, the ensemble, plain
 * averaging when shapes allow, the fused and the finetuned model.  R is
 * the session's results, NULL while a step runs. */
static void draw_accuracies(cf_tui *t, cf_grid *g, cf_rect acc, const cf_session *R)
{
	struct cf_tsess *S = t->sess;
	const cf_session_metrics *mt = R ? cf_session_metrics_get(R) : NULL;
	const cf_session_finetune *ft = R ? cf_session_finetune_get(R) : NULL;
	int x = acc.x + 2, y = acc.y + 1, i0, i1;
	char name[96];

	cf_grid_box(g, acc, "Test accuracy", CF_ROLE_FRAME);
	cf_session_pair(S->s, &i0, &i1);
	if (!R) {
		cf_grid_printf(g, y++, x, acc.w - 4, CF_ROLE_DIM, "%s…", t->busy_text);
	} else if (!mt || !mt->have) {
		cf_grid_printf(g, y, x, acc.w - 4, CF_ROLE_DIM, "not evaluated yet: %s runs the steps",
			       cf_tui_command_key("run-all"));
	} else {
		for (int k = 0; k < cf_session_nmodels(S->s) && y < acc.y + acc.h - 1; k++) {
			const char *nm = cf_session_model_name(S->s, k), *b = strrchr(nm, '/');
			char shown[96], base[96], *dot;
			/* the name column is 22 cells, narrower beside the tour: the
			 * extension goes first ("mlp_a", not "mlp_a.…etensors"), then
			 * long names are elided */
			int nw = acc.w - 4 - 9 < 22 ? acc.w - 4 - 9 : 22;
			snprintf(base, sizeof base, "%s", b ? b + 1 : nm);
			if (cf_utf8_width(base) + 2 > nw && (dot = strrchr(base, '.')) && dot != base)
				*dot = '\0';
			snprintf(name, sizeof name, "%s %s", k == i0 ? "A" : k == i1 ? "B" : "+",
				 cf_utf8_elide(base, nw - 2 < 20 ? nw - 2 : 20, shown, sizeof shown));
			acc_row(g, y++, x, acc.w - 4, name, mt->parent_acc[k], "parent");
		}
		if (y < acc.y + acc.h - 1)
			acc_row(g, y++, x, acc.w - 4, "balanced", mt->balanced_acc, "same function");
		if (y < acc.y + acc.h - 1)
			acc_row(g, y++, x, acc.w - 4, "ensemble", mt->ensemble_acc, "runs all models");
		if (y < acc.y + acc.h - 1 && !isnan(mt->average_acc))
			acc_row(g, y++, x, acc.w - 4, "plain average", mt->average_acc, "baseline");
		if (y < acc.y + acc.h - 1)
			acc_row(g, y++, x, acc.w - 4, "fused", mt->fused_acc, "one network");
	}
	/* a finetuning from before the last change is not this fused model's:
	 * one row, said to be stale */
	if (ft && ft->epochs > 0 && results_ft_stale(S) && y < acc.y + acc.h - 1)
		acc_row(g, y++, x, acc.w - 4, "finetuned (stale)", ft->res[ft->epochs - 1].test_acc,
			"before the last change");
	else if (ft && ft->epochs > 0 && y < acc.y + acc.h - 1) {
		int wide = acc.w - 4 >= 31;
		acc_row(g, y++, x, acc.w - 4, wide ? "finetuned (last epoch)" : "finetuned (last)",
			ft->res[ft->epochs - 1].test_acc, "");
		if (y < acc.y + acc.h - 1) {
			if (wide)
				snprintf(name, sizeof name, "finetuned (best, ep %d)", ft->best_epoch);
			else
				snprintf(name, sizeof name, "finetuned (best)");
			acc_row(g, y++, x, acc.w - 4, name, ft->best_acc, "");
		}
	}
}

/* The steps box: each step's state, runs and time, the fusion layers
 * solved and the per-layer overrides, one a line. */
static void draw_steps(cf_tui *t, cf_grid *g, cf_rect times)
{
	struct cf_tsess *S = t->sess;
	int y = times.y + 1;
	char ov[256];

	cf_grid_box(g, times, "Steps", CF_ROLE_FRAME);
	/* 38 cells, or 26 without the runs when narrow */
	if (times.w - 4 >= 38)
		cf_grid_printf(g, y++, times.x + 2, times.w - 4, CF_ROLE_DIM, "%-12s %-8s %5s %10s",
			       "step", "state", "runs", "time");
	else
		cf_grid_printf(g, y++, times.x + 2, times.w - 4, CF_ROLE_DIM, "%-11s %-7s %6s", "step",
			       "state", "time");
	for (int k = 0; k < CF_STEP_COUNT && y < times.y + times.h - 1; k++, y++) {
		int state = cf_session_state(S->s, k);
		const char *st = cf_step_state_name(state);
		int role = state == CF_STATE_STOPPED ? CF_ROLE_WARN
			   : state == CF_STATE_FAILED ? CF_ROLE_ERROR
						      : CF_ROLE_NORMAL;
		if (times.w - 4 >= 38)
			cf_grid_printf(g, y, times.x + 2, times.w - 4, role, "%-12s %-8s %5d %9.3fs",
				       cf_session_step_name(k), st, cf_session_runs(S->s, k),
				       cf_session_time(S->s, k));
		else
			cf_grid_printf(g, y, times.x + 2, times.w - 4, role, "%-11s %-7s %5.2fs",
				       cf_session_step_name(k), st, cf_session_time(S->s, k));
	}
	if (y < times.y + times.h - 1)
		cf_grid_printf(g, y++, times.x + 2, times.w - 4, CF_ROLE_DIM, "fusion layers solved: %lld",
			       (long long)cf_session_layer_solves(S->s));
	if (cf_tsess_overrides(t, NULL, ov, sizeof ov) && y < times.y + times.h - 1) {
		const char *p = ov;
		cf_grid_puts(g, y++, times.x + 2, times.w - 4, CF_ROLE_WARN, "overrides:");
		while (*p && y < times.y + times.h - 1) {
			size_t n = strcspn(p, ",");
			cf_grid_printf(g, y++, times.x + 2, times.w - 4, CF_ROLE_WARN, "  %.*s", (int)n,
				       p);
			p += n;
			while (*p == ',' || *p == ' ')
				p++;
		}
	}
}

/* The finetuning curve box: test accuracy per epoch as a braille plot
 * with its range, the best epoch and the last training loss; ft NULL or
 * without epochs says how to ask for finetuning. */
static void draw_curve(cf_grid *g, cf_rect curve, const cf_session_finetune *ft, int stale)
{
	double *a, lo, hi;
	cf_rect pr = {curve.y + 2, curve.x + 9, curve.h - 5, curve.w - 10};
	char l1[96], l2[96];
	int iw = curve.w - 4;

	cf_grid_box(g, curve, curve.w >= 40 ? "Finetuning: test accuracy per epoch"
					    : "Finetuning: test accuracy", CF_ROLE_FRAME);
	if (!ft || ft->epochs == 0) {
		int wide = curve.w - 4 >= 26;
		cf_grid_puts(g, curve.y + 1, curve.x + 2, curve.w - 4, CF_ROLE_DIM,
			     wide ? "no finetuning yet" : "none yet: set");
		if (wide)
			cf_grid_printf(g, curve.y + 2, curve.x + 2, curve.w - 4, CF_ROLE_DIM,
				       "(set finetune.epochs on %s)", cf_tui_command_key("params"));
		else {
			cf_grid_puts(g, curve.y + 2, curve.x + 2, curve.w - 4, CF_ROLE_DIM,
				     "finetune.epochs");
			cf_grid_printf(g, curve.y + 3, curve.x + 2, curve.w - 4, CF_ROLE_DIM,
				       "on screen %s", cf_tui_command_key("params"));
		}
		return;
	}
	a = malloc((size_t)ft->epochs * sizeof *a);
	if (!a)
		return;
	for (int e = 0; e < ft->epochs; e++)
		a[e] = 100 * ft->res[e].test_acc;
	if (stale)
		cf_grid_printf(g, curve.y + 1, curve.x + 2, iw, CF_ROLE_WARN,
			       iw >= 24 ? "stale: %s finetunes again" : "stale: %s re-runs",
			       cf_tui_command_key("run-all"));
	if (ft->epochs == 1) {
		snprintf(l1, sizeof l1, "epoch 1: %.2f%% (one point)", a[0]);
		snprintf(l2, sizeof l2, "epoch 1: %.2f%%", a[0]);
		cf_grid_puts(g, curve.y + 2, curve.x + 2, iw, CF_ROLE_NORMAL,
			     cf_utf8_width(l1) <= iw ? l1 : l2);
	}
	else if (cf_plot_braille(g, pr, a, ft->epochs, 0, CF_ROLE_GOOD, &lo, &hi) > 0) {
		cf_grid_printf(g, pr.y, curve.x + 1, 8, CF_ROLE_DIM, "%6.2f%%", hi);
		cf_grid_printf(g, pr.y + pr.h - 1, curve.x + 1, 8, CF_ROLE_DIM, "%6.2f%%", lo);
		cf_grid_printf(g, pr.y + pr.h, pr.x, pr.w, CF_ROLE_DIM, "epoch 1%*d", pr.w - 8,
			       ft->epochs);
	}
	/* the summary in full when it fits, else shorter: never cut */
	if (ft->epochs == 1)
		snprintf(l1, sizeof l1, "1 epoch, test %.2f%%", 100 * ft->best_acc);
	else
		snprintf(l1, sizeof l1, "%d epochs, best %.2f%% (epoch %d)", ft->epochs,
			 100 * ft->best_acc, ft->best_epoch);
	if (cf_utf8_width(l1) > iw)
		snprintf(l1, sizeof l1, "best %.2f%% (ep %d/%d)", 100 * ft->best_acc, ft->best_epoch,
			 ft->epochs);
	if (cf_utf8_width(l1) > iw)
		snprintf(l1, sizeof l1, "best %.2f%%", 100 * ft->best_acc);
	cf_grid_puts(g, curve.y + curve.h - 3, curve.x + 2, iw, CF_ROLE_NORMAL, l1);
	cf_grid_printf(g, curve.y + curve.h - 2, curve.x + 2, iw, CF_ROLE_NORMAL,
		       iw >= 24 ? "last training loss %.4f" : iw >= 17 ? "train loss %.4f" : "loss %.4f",
		       ft->res[ft->epochs - 1].train_loss);
	free(a);
}

static void results_draw(cf_tui *t, cf_grid *g, cf_rect body)
{
	struct cf_tsess *S = t->sess;
	const cf_session *R;
	int lw = body.w * 11 / 20 > 52 || body.w - 30 < 52 ? body.w * 11 / 20 : 52;
	/* narrow (80 columns with the tour): the accuracies need their numbers
	 * more than the curve needs width */
	if (lw < 30 && body.w - 30 >= 20)
		lw = 30;
	/* the accuracy rows (parents, balanced, ensemble, average, fused, two
	 * finetuned) need no more; the rest goes to the steps below */
	int need = (S ? cf_session_nmodels(S->s) : 2) + 8;
	cf_rect acc = {body.y, body.x, body.h / 2 + 2 < need ? body.h / 2 + 2 : need, lw};
	cf_rect times = {body.y + acc.h, body.x, body.h - acc.h, lw};
	cf_rect curve = {body.y, body.x + lw, body.h, body.w - lw};

	if (!S) {
		cf_grid_puts(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM,
			     "no fusion session: clafuse tui A.safetensors B.safetensors --data SPEC");
		return;
	}
	R = cf_tsess_results(t);
	/* the hybrids take the lower part of the right column, leaving the
	 * curve at least 8 rows (enough for its plot and summary) */
	int hr = hybrids_rows(R);
	if (hr && curve.h - 8 >= 5 && curve.w - 4 >= 15) {
		if (hr > curve.h - 8)
			hr = curve.h - 8;
		curve.h -= hr;
		draw_hybrids(g, (cf_rect){curve.y + curve.h, curve.x, hr, curve.w}, R);
	}
	draw_accuracies(t, g, acc, R);
	draw_steps(t, g, times);
	draw_curve(g, curve, R ? cf_session_finetune_get(R) : NULL, results_ft_stale(S));
}

int cf_results_cmd_export(cf_tui *t, const char *args)
{
	const cf_session *R = cf_tsess_results(t);
	const cf_session_finetune *ft = R ? cf_session_finetune_get(R) : NULL;
	const char *path = args && *args ? args : "finetune.png";
	cf_error err = {0};

	if (!cf_picture_kind(path)) {
		cf_tui_msg(t, CF_MSG_ERROR, "export: the results screen writes the finetuning curve as "
			   "a picture, FILE.svg or FILE.png");
		return -1;
	}
	if (!ft || ft->epochs < 1 || !ft->res) {
		cf_tui_msg(t, CF_MSG_ERROR, "export: no finetuning curve yet (set finetune.epochs on "
			   "%s, then %s)", cf_tui_command_key("params"), cf_tui_command_key("run-all"));
		return -1;
	}
	if (cf_finetune_write_picture(ft, path, &err)) {
		cf_tui_msg(t, CF_MSG_ERROR, "export: %s", err.msg);
		return -1;
	}
	cf_tui_msg(t, CF_MSG_GOOD, "finetuning curve (%d epochs) written to %s", ft->epochs, path);
	return 0;
}

static int results_key(cf_tui *t, int key)
{
	(void)t;
	return key == KEY_MOUSE;
}

const cf_screen cf_screen_results = {"results", results_draw, results_key};
