/* overview.c — the overview screen of a fusion session: the two models as
 * stages and units, the layer cost matrix C with the alignment path
 * (labelled cells while they fit), the steps with their states and times,
 * and the selected fusion layer's plan.
 *
 * Everything is drawn from the session's accessors and the copies of
 * sess.h; while a step runs (a redraw from the progress callback) only
 * copies and step states are read.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "overview.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "screen.h"
#include "sess.h"
#include "tui.h"

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* One model: "A mlp_a.safetensors", "  784→64→32→16→10", then its units
 * ("▸" marks those on the alignment path).  Returns the next free row. */
static int draw_model(cf_tui *t, cf_grid *g, cf_rect box, int y, int which, const char *tag)
{
	struct cf_tsess *S = t->sess;
	int i0, i1, x = box.x + 2, w = box.w - 4, bottom = box.y + box.h - 1;
	cf_net *net;
	char line[256];
	size_t used;
	const cf_net_unit *u0;

	cf_session_pair(S->s, &i0, &i1);
	if (cf_session_nmodels(S->s) <= which) {
		if (y < bottom)
			cf_grid_printf(g, y++, x, w, CF_ROLE_DIM, "%s (no model)", tag);
		return y;
	}
	net = cf_session_model(S->s, which ? i1 : i0);
	if (y < bottom) {
		char name[256], stem[256];
		const char *b = base(cf_session_model_name(S->s, which ? i1 : i0)), *dot;
		/* too long: the extension goes first (every model has one), then
		 * the middle of the stem, whose ends tell models apart */
		snprintf(stem, sizeof stem, "%s", b);
		if (cf_utf8_width(stem) > w - 2 && (dot = strrchr(stem, '.')) && dot != stem)
			stem[dot - stem] = '\0';
		cf_grid_printf(g, y++, x, w, CF_ROLE_SELECT, "%s %s", tag,
			       cf_utf8_elide(stem, w - 2, name, sizeof name));
	}
	u0 = cf_net_unit_at(net, 0);
	used = (size_t)snprintf(line, sizeof line, "%d", u0 ? u0->in_c * u0->in_h * u0->in_w : 0);
	for (int u = 0; u < cf_net_nunits(net) && used + 12 < sizeof line; u++)
		used += (size_t)snprintf(line + used, sizeof line - used, "→%d",
					 cf_net_unit_at(net, u)->width);
	/* the widths are on the unit rows too: when the chain does not fit,
	 * say what the rows do not (input size, depth) */
	if (cf_utf8_width(line) > w - 2)
		snprintf(line, sizeof line, "in %d, %d layers", u0 ? u0->in_c * u0->in_h * u0->in_w : 0,
			 cf_net_nunits(net));
	if (y < bottom)
		cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "  %s", line);
	/* one row per unit, named as C's rows and columns are ("A1", "B2"); the
	 * last unit is the output, which C does not align (it is always
	 * matched to the other output) */
	for (int u = 0; u < cf_net_nunits(net) && y < bottom; u++) {
		const cf_net_unit *un = cf_net_unit_at(net, u);
		int on = 0, last = u + 1 == cf_net_nunits(net);
		char stage[16] = "";
		for (int k = 0; k < S->path_len; k++)
			on |= S->path[2 * k + (which ? 1 : 0)] == u;
		if (cf_net_nstages(net) > 1)
			snprintf(stage, sizeof stage, " st%d", un->stage + 1);
		cf_grid_printf(g, y++, x, w, on ? CF_ROLE_PATH : CF_ROLE_DIM, "%s %s%-2d %-4s %5d%s%s",
			       on ? "▸" : " ", tag, u + 1,
			       un->kind == CF_UNIT_LINEAR ? "lin" : un->kind == CF_UNIT_CONV ? "conv"
											     : "blk",
			       un->width, stage, last && w >= 21 + (int)strlen(stage) ? " out" : "");
	}
	return y;
}

static void draw_models(cf_tui *t, cf_grid *g, cf_rect box)
{
	int y = box.y + 1;
	cf_grid_box(g, box, "Models", CF_ROLE_FRAME);
	y = draw_model(t, g, box, y, 0, "A");
	draw_model(t, g, box, y, 1, "B");
}

/* The overview's readout of C's cursor: units named as on the screen. */
static void c_cursor_text(const struct cf_tsess *S, char *buf, size_t size)
{
	const cf_heatmap_view *v = &S->vC;
	if (cf_heatmap_labelled(S->hC) || (v->sy <= 1 && v->sx <= 1)) {
		int64_t r = (int64_t)floor(v->r0 + (v->cy + 0.5) * v->sy);
		int64_t c = (int64_t)floor(v->c0 + (v->cx + 0.5) * v->sx);
		if (r >= S->cm)
			r = S->cm - 1;
		if (c >= S->cn)
			c = S->cn - 1;
		snprintf(buf, size, "C[A%lld,B%lld] = %.6g", (long long)r + 1, (long long)c + 1,
			 S->C[r * S->cn + c]);
	} else
		cf_heatmap_cursor_text(S->hC, v, buf, size);
}

static void draw_costs(cf_tui *t, cf_grid *g, cf_rect box)
{
	struct cf_tsess *S = t->sess;
	char title[64], line[256];
	size_t used = 0;
	int bottom = box.y + box.h - 1, focus = !S->focus || !S->P;

	snprintf(title, sizeof title, "%sLayer costs C (%d×%d)", focus && S->C ? "▸ " : "", S->cm,
		 S->cn);
	cf_grid_box(g, box, title, CF_ROLE_FRAME);
	if (!S->C) {
		cf_grid_puts(g, box.y + 1, box.x + 2, box.w - 4, CF_ROLE_DIM, "not computed yet:");
		cf_grid_printf(g, box.y + 2, box.x + 2, box.w - 4, CF_ROLE_DIM, "%s runs the steps",
			       cf_tui_command_key("run-all"));
		return;
	}
	cf_heatmap_render(S->hC, &S->vC, g, (cf_rect){box.y + 1, box.x + 1, box.h - 4, box.w - 2});
	if (S->path_len) {
		double cost = 0;
		size_t before;
		used = (size_t)snprintf(line, sizeof line, "path");
		for (int k = 0; k < S->path_len && used + 16 < sizeof line; k++) {
			used += (size_t)snprintf(line + used, sizeof line - used, " A%lld→B%lld",
						 (long long)S->path[2 * k] + 1,
						 (long long)S->path[2 * k + 1] + 1);
			cost += S->C[S->path[2 * k] * S->cn + S->path[2 * k + 1]];
		}
		before = used;
		snprintf(line + used, sizeof line - used, ", cost %.4g", cost);
		if (cf_utf8_width(line) > box.w - 4)
			line[before] = '\0'; /* the path matters more; the tour has the cost */
	} else
		snprintf(line, sizeof line, "alignment not computed yet");
	cf_grid_puts(g, bottom - 2, box.x + 2, box.w - 4, S->path_len ? CF_ROLE_NORMAL : CF_ROLE_DIM,
		     line);
	c_cursor_text(S, line, sizeof line);
	cf_grid_puts(g, bottom - 1, box.x + 2, box.w - 4, CF_ROLE_SELECT, line);
}

static void draw_steps(cf_tui *t, cf_grid *g, cf_rect box)
{
	/* by cf_step_state: stale, running, fresh, failed, stopped */
	static const char *const sym[] = {"·", "◐", "✓", "✗", "■"};
	static const int role[] = {CF_ROLE_DIM, CF_ROLE_WARN, CF_ROLE_GOOD, CF_ROLE_ERROR,
				   CF_ROLE_WARN};
	cf_session *s = t->sess->s;
	int y = box.y + 1;

	cf_grid_box(g, box, "Steps", CF_ROLE_FRAME);
	for (int k = 0; k < CF_STEP_COUNT && y < box.y + box.h - 1; k++, y++) {
		int st = cf_session_state(s, k);
		const char *name = cf_step_state_name(st);
		int x = box.x + 2;
		if (st < 0 || st >= CF_STATE_COUNT)
			st = 0;
		if (k == CF_STEP_FINETUNE && st == CF_STATE_STALE &&
		    cf_session_get_num(s, "finetune.epochs") == 0)
			name = "off";
		/* "✓ activations fresh  0.01s": 2 + 12 + 7 + 6 cells */
		x += cf_grid_printf(g, y, x, 3, role[st], "%s ", sym[st]);
		x += cf_grid_printf(g, y, x, 12, CF_ROLE_NORMAL, "%-11s ", cf_session_step_name(k));
		x += cf_grid_printf(g, y, x, 8, role[st], "%-7s", name);
		if (cf_session_runs(s, k) > 0) {
			double sec = cf_session_time(s, k);
			cf_grid_printf(g, y, x, box.x + box.w - 1 - x, CF_ROLE_DIM,
				       sec < 99.5 ? "%5.2fs" : "%4.0fs", sec);
		}
	}
	if (y < box.y + box.h - 1 && cf_tsess_results(t)) {
		for (int k = 0; k < CF_STEP_COUNT; k++)
			if (cf_session_state(s, k) == CF_STATE_FAILED) {
				cf_grid_puts(g, y++, box.x + 2, box.w - 4, CF_ROLE_ERROR,
					     cf_session_error(s, k));
				break;
			}
	}
}

/* The row of the plan's cursor readout (the info column's last row). */
static int y_cursor_row(cf_rect box)
{
	return box.h >= 11 ? box.y + box.h - 2 : box.y;
}

static void draw_plan(cf_tui *t, cf_grid *g, cf_rect box)
{
	struct cf_tsess *S = t->sess;
	int nl, sel = cf_tsess_selected(t, &nl), iw = box.w >= 70 ? 30 : 0;
	char title[320], scale[96];
	const cf_session *R = cf_tsess_results(t);
	const cf_fusion_layer *fl = R && nl ? cf_session_fusion_layer(R, sel) : NULL;

	cf_grid_box(g, box, "Plan of the selected fusion layer", CF_ROLE_FRAME);
	if (!nl || !S->P) {
		if (nl)
			cf_grid_printf(g, box.y + 1, box.x + 2, box.w - 4, CF_ROLE_DIM,
				       "fusion layer %d has no plan yet (%s fuses the next layer)", sel + 1,
				       cf_tui_command_key("fuse-next"));
		else
			cf_grid_printf(g, box.y + 1, box.x + 2, box.w - 4, CF_ROLE_DIM,
				       "no fusion yet: %s fuses the next layer, %s runs every stale step",
				       cf_tui_command_key("fuse-next"), cf_tui_command_key("run-all"));
		return;
	}
	cf_heatmap_render(S->hP, &S->vP, g,
			  (cf_rect){box.y + 1, box.x + 1, box.h - 2, box.w - 2 - iw});
	/* the title names the pooling, known once the view is laid out */
	cf_heatmap_scale_text(S->hP, &S->vP, scale, sizeof scale);
	snprintf(title, sizeof title, "%sPlan T%d %s  %s  (%s %s layer)", S->focus ? "▸ " : "",
		 sel + 1, fl ? fl->name : "", scale, cf_tui_command_key("prev-layer"),
		 cf_tui_command_key("next-layer"));
	/* narrow: without the key hint, then the scale's clauses that fit */
	if (cf_utf8_width(title) > box.w - 6) {
		char cut[128];
		snprintf(title, sizeof title, "%sPlan T%d %s  ", S->focus ? "▸ " : "", sel + 1,
			 fl ? fl->name : "");
		cf_utf8_cut(scale, box.w - 6 - cf_utf8_width(title), ", ", cut, sizeof cut);
		snprintf(title + strlen(title), sizeof title - strlen(title), "%s", cut);
	}
	cf_grid_box(g, box, title, CF_ROLE_FRAME);
	if (iw && fl) {
		int x = box.x + box.w - iw, y = box.y + 1, w = iw - 2;
		cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "layer %d/%d %s", sel + 1, nl, fl->name);
		cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "%lld × %lld neurons", (long long)fl->n0,
			       (long long)fl->n1);
		cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "%s %s", cf_ot_kind_name(fl->ot.kind),
			       cf_ot_status_name(fl->ot.status));
		if (y < box.y + box.h - 1)
			cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "cost %.5g", fl->ot.cost);
		if (y < box.y + box.h - 1)
			cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "%lld iterations",
				       (long long)fl->ot.iterations);
		if (y < box.y + box.h - 1)
			cf_grid_printf(g, y++, x, w, CF_ROLE_NORMAL, "trace ratio %.3f", fl->trace_ratio);
		if (y < box.y + box.h - 1)
			cf_grid_printf(g, y++, x, w, CF_ROLE_DIM, "%.1f ms", 1e3 * fl->time);
	}
	if (iw && y_cursor_row(box) > box.y) {
		char buf[128];
		cf_heatmap_cursor_text(S->hP, &S->vP, buf, sizeof buf);
		cf_grid_puts(g, y_cursor_row(box), box.x + box.w - iw, iw - 2, CF_ROLE_SELECT, buf);
	}
}

static void overview_draw(cf_tui *t, cf_grid *g, cf_rect body)
{
	int top, mw, sw;

	if (!t->sess) {
		cf_grid_puts(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM,
			     "no fusion session: clafuse tui A.safetensors B.safetensors --data SPEC");
		return;
	}
	top = body.h / 2 + 1;
	if (top < 12)
		top = body.h - 6 > 12 ? 12 : body.h - 6;
	mw = body.w >= 100 ? 28 : 24;
	sw = body.w >= 100 ? 32 : 30;
	/* narrow (80 columns with the tour): C needs its room more than the
	 * steps, whose states the results screen also lists */
	if (body.w - mw - sw < 26)
		sw = 0;
	draw_models(t, g, (cf_rect){body.y, body.x, top, mw});
	draw_costs(t, g, (cf_rect){body.y, body.x + mw, top, body.w - mw - sw});
	if (sw)
		draw_steps(t, g, (cf_rect){body.y, body.x + body.w - sw, top, sw});
	draw_plan(t, g, (cf_rect){body.y + top, body.x, body.h - top, body.w});
}

/* Mouse: a click on C or on the plan gives it the focus and puts its
 * cursor on the clicked cell; the wheel zooms the heatmap in focus. */
static int overview_key(cf_tui *t, int key)
{
	struct cf_tsess *S = t->sess;
	int py, px;

	if (key != KEY_MOUSE)
		return 0;
	if (!S)
		return 1;
#if NCURSES_MOUSE_VERSION > 1
	if (t->mouse_bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		int in = (t->mouse_bstate & BUTTON4_PRESSED) != 0;
		if (S->focus && S->P)
			cf_heatmap_view_zoom(&S->vP, in ? 1 : -1);
		else if (S->C)
			cf_heatmap_view_zoom(&S->vC, in ? 1 : -1);
		return 1;
	}
#endif
	if (S->C && cf_heatmap_hit(S->hC, &S->vC, t->mouse_y, t->mouse_x, &py, &px)) {
		S->focus = 0;
		S->vC.cy = py;
		S->vC.cx = px;
	} else if (S->P && cf_heatmap_hit(S->hP, &S->vP, t->mouse_y, t->mouse_x, &py, &px)) {
		S->focus = 1;
		S->vP.cy = py;
		S->vP.cx = px;
	}
	return 1;
}

const cf_screen cf_screen_overview = {"overview", overview_draw, overview_key};
