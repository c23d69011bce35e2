/* tour.c — the guided tour of `clafuse demo`: a side panel that explains
 * each step of cross-layer alignment and OT fusion with the numbers on
 * screen, advanced with Space or Enter.  Each advance runs the step it is
 * about to explain (through the same session the screens show) and
 * switches to the screen that shows it, so a newcomer sees the method
 * unfold: models → activations → costs & alignment → balancing →
 * per-layer OT (one layer per key press) → fused model & accuracy →
 * finetuning.  The texts are composed from the session at draw time.
 *
 * A step's text can be longer than the panel on a small terminal (80×24
 * leaves it 17 rows), so it is word-wrapped into lines first and the
 * panel shows a window of them: PgDn/PgUp and the mouse wheel over the
 * panel scroll it, "more ↓" says there is unread text, and Space pages
 * down before it advances, so a newcomer who only ever presses Space
 * still reads every line.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <curses.h>
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

enum { TOUR_LINES = 96, TOUR_LINE_BYTES = 256 };

struct cf_tour {
	int stage;
	int scroll;  /* first text line shown */
	/* the last frame's wrapped text and panel, for the keys and the mouse */
	int nlines, visible;
	cf_rect panel;
	int role[TOUR_LINES];
	char line[TOUR_LINES][TOUR_LINE_BYTES];
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
	cf_tui_msg(t, CF_MSG_INFO, "guided tour: Space or Enter runs and explains the next step");
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

/* Word-wrap `text` into the tour's lines (the panel's text width);
 * "\n" starts a new line.  *y counts lines; the panel draws a window of
 * them afterwards. */
static void wrap(struct cf_tour *T, cf_rect r, int *y, int role, const char *text)
{
	
	int w = r.w - 4;
	const char *p = text;

	while (*p) {
		const char *line = p, *brk = NULL, *q = p;
		int cells = 0;
		size_t n;
		while (*q && *q != '\n' && cells < w) {
			if (*q == ' ')
				brk = q;
			cf_utf8_next(&q);
			cells++;
		}
		if (*q && *q != '\n' && *q != ' ' && brk && cells >= w)
			q = brk;
		n = (size_t)(q - line) < TOUR_LINE_BYTES - 1 ? (size_t)(q - line) : TOUR_LINE_BYTES - 1;
		if (*y >= 0 && *y < TOUR_LINES) {
			memcpy(T->line[*y], line, n);
			T->line[*y][n] = '\0';
			T->role[*y] = role;
		}
		(*y)++;
		p = q;
		if (*p == '\n' || *p == ' ')
			p++;
	}
}

static void say(struct cf_tour *T, cf_rect r, int *y, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

#include <stdarg.h>
static void say(struct cf_tour *T, cf_rect r, int *y, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	wrap(T, r, y, CF_ROLE_NORMAL, buf);
}

/* Depth (number of units) of a model, 0 when none. */
static int depth(const cf_net *net)
{
	return net ? cf_net_nunits(net) : 0;
}

/* "below both parents" / "between them" / "above both": how an accuracy
 * compares with the parents', so the text never claims what the numbers
 * contradict. */
static const char *versus(double acc, double a, double b)
{
	if (acc < fmin(a, b))
		return "below both parents";
	if (acc > fmax(a, b))
		return "above both parents";
	return "between the two parents";
}

static void draw_models_text(struct cf_tour *T, cf_rect r, int *y, cf_session *s, int i0, int i1,
			     const char *wa, const char *wb)
{
	int da = depth(cf_session_model(s, i0)), db = depth(cf_session_model(s, i1));
	say(T, r, y, "Two networks trained separately on the same task. A (model %d) has %d layers "
		     "of widths %s, B (model %d) %d layers %s.",
	    i0, da, wa, i1, db, wb);
	if (da != db)
		say(T, r, y, "%s is deeper, so the layers cannot be paired one to one and averaged.",
		    da > db ? "A" : "B");
	say(T, r, y, "CLAFusion (1) finds which layer of A matches each layer of B, (2) makes the "
		     "depths equal, (3) matches neurons layer by layer with optimal transport and "
		     "averages the matched weights: ONE network instead of two.");
}

static void draw_align_text(cf_tui *t, struct cf_tour *T, cf_rect r, int *y, cf_session *s)
{
	struct cf_tsess *S = t->sess;
	char measure[32] = "", metric[32] = "", st[16] = "", fe[16] = "";

	cf_session_get(s, "cla.measure", measure, sizeof measure, NULL);
	cf_session_get(s, "cla.metric", metric, sizeof metric, NULL);
	cf_session_get(s, "cla.start", st, sizeof st, NULL);
	cf_session_get(s, "cla.free_end", fe, sizeof fe, NULL);
	say(T, r, y, "C[Ai,Bj] (middle box) is the cost of matching hidden layer i of A with hidden "
		     "layer j of B.");
	if (!strcmp(measure, "neuron") && !strcmp(metric, "euclidean"))
		say(T, r, y, "Here a layer is described by its number of neurons (cla.measure = "
			     "neuron), so C is the squared width difference: 0 for equal widths.");
	else
		say(T, r, y, "Here layers are compared by %s with the %s metric (cla.measure, "
			     "cla.metric).", measure, metric);
	say(T, r, y, "A dynamic program picks one layer of A for each layer of B, in order, at "
		     "least total cost. The first %d and the last %s are paired by rule (cla.start = "
		     "%s, cla.free_end = %s); it chooses the rest. The chosen cells are %s.",
	    atoi(st) - 1, fe, st, fe, cf_heatmap_labelled(S->hC) ? "[bracketed]" : "marked red");
	if (S->path_len) {
		char line[256];
		size_t used = 0;
		double cost = 0;
		for (int k = 0; k < S->path_len && used + 16 < sizeof line; k++) {
			used += (size_t)snprintf(line + used, sizeof line - used, "%sA%lld→B%lld",
						 k ? ", " : "", (long long)S->path[2 * k] + 1,
						 (long long)S->path[2 * k + 1] + 1);
			cost += S->C[S->path[2 * k] * S->cn + S->path[2 * k + 1]];
		}
		say(T, r, y, "Here: %s, total cost %.4g. %s", line, cost,
		    S->path_len < S->cm ? "A's other hidden layers have no partner." : "");
	}
}

/* Compose the text of the tour's stage into T's lines (the title is drawn
 * apart).  Returns the number of lines. */
static int compose(cf_tui *t, struct cf_tour *T, cf_rect r)
{
	struct cf_tsess *S = t->sess;
	cf_session *s = S ? S->s : NULL;
	int y = 0, stage = T->stage, i0 = 0, i1 = 1;
	char wa[128], wb[128];

	if (!s || cf_session_nmodels(s) < 2) {
		say(T, r, &y, "The tour needs two models and the data set; see the log (6).");
		return y;
	}
	cf_session_pair(s, &i0, &i1);
	cf_tsess_widths(cf_session_model(s, i0), wa, sizeof wa);
	cf_tsess_widths(cf_session_model(s, i1), wb, sizeof wb);
	switch (stage) {
	case T_MODELS:
		draw_models_text(T, r, &y, s, i0, i1, wa, wb);
		break;
	case T_ACTS:
		say(T, r, &y, "%g training images went through both networks (%.2f s). Each neuron "
			      "is now described by its activations on them: two neurons that fire "
			      "alike are alike. Step 5 uses this.",
		    cf_session_get_num(s, "data.samples"), cf_session_time(s, CF_STEP_ACTS));
		say(T, r, &y, "Next: compare the layers of A with those of B.");
		break;
	case T_ALIGN:
		draw_align_text(t, T, r, &y, s);
		break;
	case T_BALANCE: {
		int rb = t->busy ? -1 : cf_session_balanced_rebuilt(s);
		char wc[128] = "", method[16] = "";
		cf_session_get(s, "balance.method", method, sizeof method, NULL);
		if (rb >= 0)
			cf_tsess_widths(cf_session_balanced(s, rb), wc, sizeof wc);
		if (!strcmp(method, "add")) {
			say(T, r, &y, "Where the deeper model has layers with no partner, the shallower gets "
				      "identity layers of the same width as the layer before: %s "
				      "becomes %s.",
			    rb == i0 ? wa : wb, wc[0] ? wc : "?");
			say(T, r, &y, "It computes exactly the same function: an identity layer "
				      "passes the non-negative output of a ReLU through unchanged.");
		} else
			say(T, r, &y, "Layers of the deeper model are merged (balance.method = %s) "
				      "until the depths are equal: %s.",
			    method, wc[0] ? wc : "?");
		say(T, r, &y, "Left: A and B with the alignment as connectors; right: the balanced "
			      "model, now as deep as the other.");
		break;
	}
	case T_OT: {
		int nl, sel = cf_tsess_selected(t, &nl);
		const cf_fusion_layer *fl = !t->busy && nl ? cf_session_fusion_layer(s, sel) : NULL;
		say(T, r, &y, "For each layer: a ground cost M between every neuron of A and every "
			      "neuron of B (distance of their activations; left), then a transport "
			      "plan T (right) that moves A's neurons onto B's at least total cost.");
		if (fl && fl->done)
			say(T, r, &y, "Layer %d of %d (%s): %lld×%lld neurons, %s, cost %.4g. %.0f%% of "
				      "T lies on the diagonal (trace ratio %.3f; 100%% = neuron i of A "
				      "went to neuron i of B).",
			    sel + 1, nl, fl->name, (long long)fl->n0, (long long)fl->n1,
			    cf_ot_status_name(fl->ot.status), fl->ot.cost, 100 * fl->trace_ratio,
			    fl->trace_ratio);
		say(T, r, &y, "A's weights, reordered by T, are averaged with B's. %s",
		    cf_session_state(s, CF_STEP_FUSE) == CF_STATE_FRESH
			    ? "Every layer is fused."
			    : "Space fuses the next layer.");
		break;
	}
	case T_EVAL: {
		const cf_session_metrics *mt = cf_session_metrics_get(s);
		if (mt && mt->have) {
			double a = mt->parent_acc[i0], b = mt->parent_acc[i1];
			say(T, r, &y, "Test accuracy: A %.2f%%, B %.2f%%; their ensemble (averaged "
				      "predictions, needs both networks) %.2f%%.",
			    100 * a, 100 * b, 100 * mt->ensemble_acc);
			say(T, r, &y, "The fused network: %.2f%%, %s, in one network.",
			    100 * mt->fused_acc, versus(mt->fused_acc, a, b));
			if (mt->fused_acc < fmin(a, b))
				say(T, r, &y, "Averaging moved the weights away from what each network "
					      "learned; a little training brings them back.");
		}
		break;
	}
	case T_FINETUNE: {
		const cf_session_finetune *ft = t->busy ? NULL : cf_session_finetune_get(s);
		const cf_session_metrics *mt = cf_session_metrics_get(s);
		if (ft && ft->epochs > 0) {
			double acc = ft->res[ft->epochs - 1].test_acc;
			say(T, r, &y, "After %d epoch%s of SGD the fused network reaches %.2f%% "
				      "(best %.2f%%).", ft->epochs, ft->epochs > 1 ? "s" : "", 100 * acc,
			    100 * ft->best_acc);
			if (mt && mt->have)
				say(T, r, &y, "That is %s (A %.2f%%, B %.2f%%), up from %.2f%% right "
					      "after fusion.",
				    versus(acc, mt->parent_acc[i0], mt->parent_acc[i1]),
				    100 * mt->parent_acc[i0], 100 * mt->parent_acc[i1],
				    100 * mt->fused_acc);
		} else if (cf_session_get_num(s, "finetune.epochs") > 0)
			say(T, r, &y, "Finetuning the fused network with SGD on the training set "
				      "(q stops; the session is kept).");
		else
			say(T, r, &y, "Finetuning is off (finetune.epochs = 0).");
		break;
	}
	default: {
		const cf_session_metrics *mt = cf_session_metrics_get(s);
		const cf_session_finetune *ft = t->busy ? NULL : cf_session_finetune_get(s);
		if (mt && mt->have)
			say(T, r, &y, "Test accuracy: A %.2f%%, B %.2f%%, fused %.2f%%.",
			    100 * mt->parent_acc[i0], 100 * mt->parent_acc[i1], 100 * mt->fused_acc);
		if (mt && mt->have && ft && ft->epochs > 0)
			say(T, r, &y, "Fused and finetuned: %.2f%% after %d epoch%s.",
			    100 * ft->res[ft->epochs - 1].test_acc, ft->epochs, ft->epochs > 1 ? "s" : "");
		say(T, r, &y, "That is the whole method. Explore: 1-6 screens, [ ] layers, 4 to "
			      "change a parameter (later steps turn stale), r to re-run, : for Lua, "
			      "? for every key, q to quit.");
		break;
	}
	}
	return y < TOUR_LINES ? y : TOUR_LINES;
}

/* Keep the window inside the text. */
static void clamp_scroll(struct cf_tour *T)
{
	if (T->scroll > T->nlines - T->visible)
		T->scroll = T->nlines - T->visible;
	if (T->scroll < 0)
		T->scroll = 0;
}

/* Unread text below the window (as last drawn). */
static int more_below(const struct cf_tour *T)
{
	return T->scroll + T->visible < T->nlines;
}

void cf_tour_draw(cf_tui *t, cf_grid *g, cf_rect r)
{
	struct cf_tour *T = t->tour;
	int top = r.y + 3, hint = r.y + r.h - 2;

	cf_grid_fill(g, r, ' ', CF_ROLE_NORMAL);
	cf_grid_box(g, r, "Guided tour", CF_ROLE_FRAME);
	T->panel = r;
	if (r.h < 6 || r.w < 8) {
		T->nlines = T->visible = 0;
		return;
	}
	/* rows: frame, title, blank (or "↑ more"), text..., hint, frame */
	T->visible = hint - top;
	T->nlines = compose(t, T, r);
	clamp_scroll(T);
	cf_grid_puts(g, r.y + 1, r.x + 2, r.w - 4, CF_ROLE_SELECT, stage_title[T->stage]);
	if (T->scroll > 0)
		cf_grid_printf(g, r.y + 2, r.x + 2, r.w - 4, CF_ROLE_HINT, "↑ more (%s)",
			       cf_tui_command_key("tour-up"));
	for (int i = 0; i < T->visible && T->scroll + i < T->nlines; i++)
		cf_grid_puts(g, top + i, r.x + 2, r.w - 4, T->role[T->scroll + i],
			     T->line[T->scroll + i]);
	/* keys other than q are dropped while a step runs (cf_tui_poll), so
	 * the hint must not offer Space then */
	if (t->busy)
		cf_grid_printf(g, hint, r.x + 2, r.w - 4, CF_ROLE_HINT, "working… q stops");
	else if (more_below(T))
		cf_grid_printf(g, hint, r.x + 2, r.w - 4, CF_ROLE_HINT, "more ↓ Space/%s",
			       cf_tui_command_key("tour-down"));
	else if (T->stage < T_END)
		cf_grid_printf(g, hint, r.x + 2, r.w - 4, CF_ROLE_HINT, "Space/Enter: next step");
}

/* Scroll the panel by n lines (negative: up). */
static void scroll_by(struct cf_tour *T, int n)
{
	T->scroll += n;
	clamp_scroll(T);
}

static int page(const struct cf_tour *T)
{
	return T->visible > 2 ? T->visible - 1 : 1;
}

/* PgDn/PgUp belong to the tour while it is shown; without one they go to
 * the screen (the log and the form page with them). */
int cf_tour_cmd_down(cf_tui *t, const char *args)
{
	(void)args;
	if (!t->tour)
		return t->nscreens > 0 ? (t->screens[t->screen]->key(t, KEY_NPAGE), 0) : 0;
	scroll_by(t->tour, page(t->tour));
	return 0;
}

int cf_tour_cmd_up(cf_tui *t, const char *args)
{
	(void)args;
	if (!t->tour)
		return t->nscreens > 0 ? (t->screens[t->screen]->key(t, KEY_PPAGE), 0) : 0;
	scroll_by(t->tour, -page(t->tour));
	return 0;
}

int cf_tour_mouse(cf_tui *t)
{
	struct cf_tour *T = t->tour;
	cf_rect r;
	if (!T)
		return 0;
	r = T->panel;
	if (t->mouse_y < r.y || t->mouse_y >= r.y + r.h || t->mouse_x < r.x ||
	    t->mouse_x >= r.x + r.w)
		return 0;
#if NCURSES_MOUSE_VERSION > 1
	if (t->mouse_bstate & BUTTON4_PRESSED)
		scroll_by(T, -3);
	else if (t->mouse_bstate & BUTTON5_PRESSED)
		scroll_by(T, 3);
#endif
	return 1; /* a click on the panel is the panel's */
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
	/* unread text first: Space reads on before it moves on */
	if (more_below(T)) {
		scroll_by(T, page(T));
		return 0;
	}
	T->scroll = 0;
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
