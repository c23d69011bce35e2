/* tour.c — the guided tour of `clafuse demo`: a side panel that explains
 * each step of cross-layer alignment and OT fusion with the numbers on
 * screen, advanced with Space or Enter.  Each advance runs the step it is
 * about to explain (through the same session the screens show) and
 * switches to the screen that shows it, so a newcomer sees the method
 * unfold: models → activations → costs & alignment → balancing →
 * per-layer OT (one layer per key press) → fused model & accuracy →
 * finetuning.  The texts are composed from the session at draw time.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "screen.h"
#include "sess.h"

enum {
	T_MODELS = 0, T_ACTS, T_ALIGN, T_BALANCE, T_OT, T_EVAL, T_FINETUNE, T_END
};

struct cf_tour {
	int stage;
};

static const char *const stage_title[] = {
	"1/7 Two networks",         "2/7 Activations",   "3/7 Layer costs, alignment",
	"4/7 Balancing the depths", "5/7 OT, layer by layer", "6/7 The fused network",
	"7/7 Finetuning",           "Done"};

int cf_tour_start(cf_tui *t)
{
	t->tour = calloc(1, sizeof *t->tour);
	if (!t->tour)
		return -1;
	cf_tui_show(t, "overview");
	return 0;
}

void cf_tour_free(cf_tui *t)
{
	free(t->tour);
	t->tour = NULL;
}

int cf_tour_width(const cf_tui *t, int cols)
{
	if (!t->tour)
		return 0;
	return cols >= 130 ? 44 : cols >= 100 ? 36 : 30;
}

/* Word-wrap `text` into the panel from row *y; "\n" starts a new line. */
static void wrap(cf_grid *g, cf_rect r, int *y, int role, const char *text)
{
	int w = r.w - 3, bottom = r.y + r.h - 2;
	const char *p = text;

	while (*p && *y < bottom) {
		const char *line = p, *brk = NULL, *q = p;
		int cells = 0;
		char buf[256];
		size_t n;
		while (*q && *q != '\n' && cells < w) {
			if (*q == ' ')
				brk = q;
			cf_utf8_next(&q);
			cells++;
		}
		if (*q && *q != '\n' && brk && cells >= w)
			q = brk;
		n = (size_t)(q - line) < sizeof buf - 1 ? (size_t)(q - line) : sizeof buf - 1;
		memcpy(buf, line, n);
		buf[n] = '\0';
		cf_grid_puts(g, (*y)++, r.x + 2, w, role, buf);
		p = q;
		if (*p == '\n' || *p == ' ')
			p++;
	}
}

static void say(cf_grid *g, cf_rect r, int *y, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

#include <stdarg.h>
static void say(cf_grid *g, cf_rect r, int *y, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	wrap(g, r, y, CF_ROLE_NORMAL, buf);
}

void cf_tour_draw(cf_tui *t, cf_grid *g, cf_rect r)
{
	struct cf_tsess *S = t->sess;
	cf_session *s = S ? S->s : NULL;
	int y = r.y + 1, stage = t->tour->stage, i0 = 0, i1 = 1;
	char wa[128], wb[128];

	cf_grid_fill(g, r, ' ', CF_ROLE_NORMAL);
	cf_grid_box(g, r, "Guided tour", CF_ROLE_FRAME);
	if (!s || cf_session_nmodels(s) < 2) {
		say(g, r, &y, "The tour needs two models and the data set; see the log (6).");
		return;
	}
	cf_session_pair(s, &i0, &i1);
	cf_tsess_widths(cf_session_model(s, i0), wa, sizeof wa);
	cf_tsess_widths(cf_session_model(s, i1), wb, sizeof wb);
	wrap(g, r, &y, CF_ROLE_SELECT, stage_title[stage]);
	y++;
	switch (stage) {
	case T_MODELS:
		say(g, r, &y, "Two networks were trained separately on the same task. A (model 0) "
			      "has widths %s, B (model 1) %s: A is deeper, so their layers cannot "
			      "simply be averaged.", wa, wb);
		say(g, r, &y, "CLAFusion (1) finds which layer of A matches each layer of B, (2) "
			      "makes the depths equal, (3) matches neurons layer by layer with optimal "
			      "transport and averages them: ONE network with B's shape.");
		break;
	case T_ACTS:
		say(g, r, &y, "%g training images went through both networks; every neuron is now "
			      "described by its activations on them (%.2f s).",
		    cf_session_get_num(s, "data.samples"), cf_session_time(s, CF_STEP_ACTS));
		say(g, r, &y, "Next: compare the layers of A with those of B.");
		break;
	case T_ALIGN:
		say(g, r, &y, "C[i][j] (middle) is the cost of matching hidden layer i of A with "
			      "layer j of B. A dynamic program picks one layer of A for each layer "
			      "of B, in order, at least cost: the [bracketed] cells.");
		if (S->path_len) {
			char line[256];
			size_t used = 0;
			double cost = 0;
			for (int k = 0; k < S->path_len && used + 16 < sizeof line; k++) {
				used += (size_t)snprintf(line + used, sizeof line - used, "%sB%lld←A%lld",
							 k ? ", " : "", (long long)S->path[2 * k + 1] + 1,
							 (long long)S->path[2 * k] + 1);
				cost += S->C[S->path[2 * k] * S->cn + S->path[2 * k + 1]];
			}
			say(g, r, &y, "Here: %s, total cost %.4g. A's other layers have no partner yet.",
			    line, cost);
		}
		break;
	case T_BALANCE: {
		int rb = t->busy ? -1 : cf_session_balanced_rebuilt(s);
		char wc[128] = "";
		if (rb >= 0)
			cf_tsess_widths(cf_session_balanced(s, rb), wc, sizeof wc);
		say(g, r, &y, "Identity layers are added to the shallower model after each matched "
			      "layer, up to the next match: %s → %s. It computes exactly the same "
			      "function (ReLU passes its non-negative input through).",
		    wb, wc[0] ? wc : "?");
		say(g, r, &y, "Now both have the same depth: left, A and B with the alignment as "
			      "connectors; right, the balanced model.");
		break;
	}
	case T_OT: {
		int nl, sel = cf_tsess_selected(t, &nl);
		const cf_fusion_layer *fl = !t->busy && nl ? cf_session_fusion_layer(s, sel) : NULL;
		say(g, r, &y, "For each layer: a ground cost M between every neuron of A and of B "
			      "(distance of their activations, left), then a transport plan T (right) "
			      "that moves A's neurons onto B's at least total cost.");
		if (fl && fl->done)
			say(g, r, &y, "Layer %d/%d (%s): %lld×%lld neurons, cost %.4g, %s. Trace "
				      "ratio %.3f: the share of T on the diagonal (1 = neuron i went "
				      "to neuron i).",
			    sel + 1, nl, fl->name, (long long)fl->n0, (long long)fl->n1, fl->ot.cost,
			    cf_ot_status_name(fl->ot.status), fl->trace_ratio);
		say(g, r, &y, "The aligned weights of A are averaged with B's. %s",
		    cf_session_state(s, CF_STEP_FUSE) == CF_STATE_FRESH
			    ? "Every layer is fused."
			    : "Space fuses the next layer.");
		break;
	}
	case T_EVAL: {
		const cf_session_metrics *mt = cf_session_metrics_get(s);
		if (mt && mt->have)
			say(g, r, &y, "On the test images: A %.2f%%, B %.2f%%, their prediction "
				      "ensemble %.2f%% (needs both networks), the fused network "
				      "%.2f%% — one network of B's size.",
			    100 * mt->parent_acc[i0], 100 * mt->parent_acc[i1],
			    100 * mt->ensemble_acc, 100 * mt->fused_acc);
		say(g, r, &y, "Fusion alone is a starting point; a little training finishes it.");
		break;
	}
	case T_FINETUNE: {
		const cf_session_finetune *ft = t->busy ? NULL : cf_session_finetune_get(s);
		if (ft && ft->epochs > 0)
			say(g, r, &y, "After %d epoch%s of SGD the fused network reaches %.2f%% "
				      "(best %.2f%%).", ft->epochs, ft->epochs > 1 ? "s" : "",
			    100 * ft->res[ft->epochs - 1].test_acc, 100 * ft->best_acc);
		else if (cf_session_get_num(s, "finetune.epochs") > 0)
			say(g, r, &y, "Finetuning the fused network with SGD on the training set "
				      "(q stops; the session is kept).");
		else
			say(g, r, &y, "Finetuning is off (finetune.epochs = 0).");
		break;
	}
	default:
		say(g, r, &y, "That is the whole method. Explore: 1-6 screens, [ ] layers, 4 to "
			      "change a parameter (later steps turn stale), r to re-run, : for Lua, "
			      "? for every key, q to quit.");
		break;
	}
	if (stage < T_END)
		cf_grid_printf(g, r.y + r.h - 2, r.x + 2, r.w - 4, CF_ROLE_HINT,
			       "Space/Enter: next step");
}

int cf_tour_cmd_next(cf_tui *t, const char *args)
{
	struct cf_tour *T = t->tour;
	(void)args;
	if (!T) {
		cf_tui_msg(t, CF_MSG_INFO, "no guided tour here (clafuse demo starts one)");
		return 0;
	}
	if (!t->sess)
		return -1;
	/* fuse one layer per key press until the fusion is done */
	if (T->stage == T_OT && cf_session_state(t->sess->s, CF_STEP_FUSE) != CF_STATE_FRESH) {
		cf_tsess_cmd_fuse_next(t, "");
		cf_tui_show(t, "layer");
		return 0;
	}
	if (T->stage >= T_END)
		return 0;
	T->stage++;
	switch (T->stage) {
	case T_ACTS:
		cf_tsess_run(t, CF_STEP_ACTS);
		break;
	case T_ALIGN:
		cf_tsess_run(t, CF_STEP_ALIGN);
		cf_tui_show(t, "overview");
		break;
	case T_BALANCE:
		cf_tsess_run(t, CF_STEP_BALANCE);
		cf_tui_show(t, "network");
		break;
	case T_OT:
		cf_tsess_cmd_fuse_next(t, "");
		cf_tui_show(t, "layer");
		break;
	case T_EVAL:
		cf_tsess_run(t, CF_STEP_EVAL);
		cf_tui_show(t, "results");
		break;
	case T_FINETUNE:
		if (cf_session_get_num(t->sess->s, "finetune.epochs") > 0)
			cf_tsess_run(t, CF_STEP_FINETUNE);
		break;
	default:
		cf_tui_show(t, "overview");
		break;
	}
	return 0;
}
