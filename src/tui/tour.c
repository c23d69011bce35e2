/* tour.c — the guided tour of `clafuse demo`: a side panel that explains
 * each step of cross-layer alignment and OT fusion with the numbers on
 * screen, advanced with Space or Enter.  Each advance runs the step it is
 * about to explain (through the same session the screens show) and
 * switches to the screen that shows it, so a newcomer sees the method
 * unfold: models → activations → costs & alignment → the same by CKA →
 * balancing → per-layer OT (one layer per key press; from the second
 * layer the plans in matching order) → the fused model against the
 * baselines → finetuning → the end, and one optional step more: the
 * options beyond the published method.  The words are tourtext.c's, the
 * same the printed tour (`clafuse demo --batch`) uses, composed from the
 * session at draw time.
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

#include "tour.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "screen.h"
#include "sess.h"
#include "tourtext.h"
#include "tui.h"

enum { TOUR_LINES = 96, TOUR_LINE_BYTES = 256 };

struct cf_tour {
	int stage;   /* enum cf_tour_stage */
	int scroll;  /* first text line shown */
	/* the last frame's wrapped text and panel, for the keys and the mouse */
	int nlines, visible;
	cf_rect panel;
	int width;   /* text width while composing */
	double published_acc; /* the fused accuracy before CF_TOUR_BEYOND's options */
	int role[TOUR_LINES];
	char line[TOUR_LINES][TOUR_LINE_BYTES];
};

int cf_tour_start(cf_tui *t)
{
	t->tour = calloc(1, sizeof *t->tour);
	if (!t->tour)
		return -1;
	t->tour->published_acc = NAN;
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

/* A paragraph of the tour's text, word-wrapped into its lines. */
static void add_paragraph(void *ud, const char *text)
{
	struct cf_tour *T = ud;
	char line[TOUR_LINE_BYTES];

	while (cf_utf8_wrap(&text, T->width, line, sizeof line)) {
		if (T->nlines < TOUR_LINES) {
			memcpy(T->line[T->nlines], line, sizeof line);
			T->role[T->nlines] = CF_ROLE_NORMAL;
		}
		T->nlines++;
	}
}

/* Compose the text of the tour's stage into T's lines (the title is drawn
 * apart).  Sets T->nlines. */
static void compose(cf_tui *t, struct cf_tour *T, cf_rect r)
{
	const cf_session *s = cf_tsess_results(t);
	struct cf_tsess *S = t->sess;
	cf_tour_out o = {
		.say = add_paragraph,
		.ud = T,
		.screens = 1,
		.layer = S ? cf_tsess_selected(t, NULL) : 0,
		.marks = S && cf_heatmap_labelled(S->hC) ? "[bracketed]" : "marked red",
		.sorted = S ? S->sorted : 0,
		.published_acc = T->published_acc,
	};

	T->nlines = 0;
	T->width = r.w - 4;
	if (!s) {
		/* a step is running: its results are being rebuilt */
		add_paragraph(T, t->busy ? "Working on it…" : "The tour needs two models and the data "
						"set; see the log (6).");
		return;
	}
	cf_tour_text(s, T->stage, &o);
	if (T->nlines > TOUR_LINES)
		T->nlines = TOUR_LINES;
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
	compose(t, T, r);
	clamp_scroll(T);
	cf_grid_puts(g, r.y + 1, r.x + 2, r.w - 4, CF_ROLE_SELECT, cf_tour_title(T->stage));
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
	else if (T->stage < CF_TOUR_END)
		cf_grid_printf(g, hint, r.x + 2, r.w - 4, CF_ROLE_HINT, "Space/Enter: next step");
	else if (T->stage == CF_TOUR_END)
		cf_grid_printf(g, hint, r.x + 2, r.w - 4, CF_ROLE_HINT, "Space: optional step");
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

/* The optional last step: the published method's fused accuracy kept for
 * the text, then the options of share/doc/beyond.md on and the fusion
 * evaluated again (the alignment and balancing stay). */
static void beyond(cf_tui *t, struct cf_tour *T)
{
	const cf_session_metrics *mt;
	int rc = 0;

	/* the published method first, in case the options were set by hand */
	for (int i = 0; !rc && cf_tour_beyond[i].param; i++)
		rc = cf_tsess_set(t, cf_tour_beyond[i].param,
				  cf_session_param_info(cf_tour_beyond[i].param)->def);
	if (rc || cf_tsess_run(t, CF_STEP_EVAL))
		return;
	mt = cf_session_metrics_get(t->sess->s);
	T->published_acc = mt && mt->have ? mt->fused_acc : NAN;
	for (int i = 0; !rc && cf_tour_beyond[i].param; i++)
		rc = cf_tsess_set(t, cf_tour_beyond[i].param, cf_tour_beyond[i].value);
	if (!rc)
		cf_tsess_run(t, CF_STEP_EVAL);
	cf_tui_show(t, "results");
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
	if (T->stage == CF_TOUR_OT && cf_session_state(t->sess->s, CF_STEP_FUSE) != CF_STATE_FRESH) {
		/* from the second layer on, plans in matching order: the
		 * scattered plan of layer 1 becomes a readable matching */
		if (!t->sess->sorted && cf_session_fusion_cursor(t->sess->s) == 1)
			cf_tsess_cmd_sort(t, "");
		cf_tsess_cmd_fuse_next(t, "");
		cf_tui_show(t, "layer");
		return 0;
	}
	if (T->stage >= CF_TOUR_NSTAGES - 1)
		return 0;
	T->stage++;
	switch (T->stage) {
	case CF_TOUR_ACTS:
		cf_tsess_run(t, CF_STEP_ACTS);
		break;
	case CF_TOUR_ALIGN:
		cf_tsess_run(t, CF_STEP_ALIGN);
		cf_tui_show(t, "overview");
		break;
	case CF_TOUR_CKA:
		/* the same layers compared by what they compute */
		if (!cf_tsess_set(t, "cla.measure", "activation") &&
		    !cf_tsess_set(t, "cla.metric", "cka"))
			cf_tsess_run(t, CF_STEP_ALIGN);
		cf_tui_show(t, "overview");
		break;
	case CF_TOUR_BALANCE:
		cf_tsess_run(t, CF_STEP_BALANCE);
		cf_tui_show(t, "network");
		break;
	case CF_TOUR_OT:
		cf_tsess_cmd_fuse_next(t, "");
		cf_tui_show(t, "layer");
		break;
	case CF_TOUR_EVAL:
		cf_tsess_run(t, CF_STEP_EVAL);
		cf_tui_show(t, "results");
		break;
	case CF_TOUR_FINETUNE:
		if (cf_session_get_num(t->sess->s, "finetune.epochs") > 0)
			cf_tsess_run(t, CF_STEP_FINETUNE);
		break;
	case CF_TOUR_BEYOND:
		beyond(t, T);
		break;
	default:
		cf_tui_show(t, "overview");
		break;
	}
	return 0;
}
