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

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "screen.h"
#include "sess.h"

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
	if (y < bottom)
		cf_grid_printf(g, y++, x, w, CF_ROLE_SELECT, "%s %s", tag,
			       base(cf_session_model_name(S->s, which ? i1 : i0)));
	u0 = cf_net_unit_at(net, 0);
	used = (size_t)snprintf(line, sizeof line, "  %d", u0 ? u0->in_c * u0->in_h * u0->in_w : 0);
	for (int u = 0; u < cf_net_nunits(net) && used + 12 < sizeof line; u++)
		used += (size_t)snprintf(line + used, sizeof line - used, "→%d",
					 cf_net_unit_at(net, u)->width);
	if (y < bottom)
		cf_grid_puts(g, y++, x, w, CF_ROLE_NORMAL, line);
	for (int u = 0; u < cf_net_nunits(net) && y < bottom; u++) {
		const cf_net_unit *un = cf_net_unit_at(net, u);
		int on = 0;
		for (int k = 0; k < S->path_len; k++)
			on |= S->path[2 * k + (which ? 1 : 0)] == u;
		cf_grid_printf(g, y++, x, w, on ? CF_ROLE_PATH : CF_ROLE_DIM, "  %s %-5s %d  stage %d",
			       on ? "▸" : " ",
			       un->kind == CF_UNIT_LINEAR ? "lin" : un->kind == CF_UNIT_CONV ? "conv"
											     : "block",
			       un->width, un->stage + 1);
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

static void draw_costs(cf_tui *t, cf_grid *g, cf_rect box)
{
	struct cf_tsess *S = t->sess;
	char title[64], line[256];
	size_t used = 0;
	int bottom = box.y + box.h - 1;

	snprintf(title, sizeof title, "Layer costs C (%d×%d)", S->cm, S->cn);
	cf_grid_box(g, box, title, CF_ROLE_FRAME);
	if (!S->C) {
		cf_grid_printf(g, box.y + 1, box.x + 2, box.w - 4, CF_ROLE_DIM,
			       "not computed yet: %s runs the steps", cf_tui_command_key("run-all"));
		return;
	}
	cf_heatmap_render(S->hC, &S->vC, g, (cf_rect){box.y + 1, box.x + 1, box.h - 3, box.w - 2});
	if (S->path_len) {
		double cost = 0;
		used = (size_t)snprintf(line, sizeof line, "path");
		for (int k = 0; k < S->path_len && used + 16 < sizeof line; k++) {
			used += (size_t)snprintf(line + used, sizeof line - used, " A%lld→B%lld",
						 (long long)S->path[2 * k] + 1,
						 (long long)S->path[2 * k + 1] + 1);
			cost += S->C[S->path[2 * k] * S->cn + S->path[2 * k + 1]];
		}
		snprintf(line + used, sizeof line - used, "  cost %.4g", cost);
	} else
		snprintf(line, sizeof line, "alignment not computed yet");
	cf_grid_puts(g, bottom - 1, box.x + 2, box.w - 4, S->path_len ? CF_ROLE_NORMAL : CF_ROLE_DIM,
		     line);
}

static void draw_steps(cf_tui *t, cf_grid *g, cf_rect box)
{
	static const char *const sym[] = {"·", "◐", "✓", "✗"};
	static const int role[] = {CF_ROLE_DIM, CF_ROLE_WARN, CF_ROLE_GOOD, CF_ROLE_ERROR};
	cf_session *s = t->sess->s;
	int y = box.y + 1;

	cf_grid_box(g, box, "Steps", CF_ROLE_FRAME);
	for (int k = 0; k < CF_STEP_COUNT && y < box.y + box.h - 1; k++, y++) {
		int st = cf_session_state(s, k);
		const char *name = cf_step_state_name(st);
		int x = box.x + 2;
		if (st < 0 || st > 3)
			st = 0;
		if (k == CF_STEP_FINETUNE && st == CF_STATE_STALE &&
		    cf_session_get_num(s, "finetune.epochs") == 0)
			name = "off";
		x += cf_grid_printf(g, y, x, 3, role[st], "%s ", sym[st]);
		x += cf_grid_printf(g, y, x, 12, CF_ROLE_NORMAL, "%-12s", cf_session_step_name(k));
		x += cf_grid_printf(g, y, x, 8, role[st], "%-7s", name);
		if (cf_session_runs(s, k) > 0)
			cf_grid_printf(g, y, x, box.x + box.w - 1 - x, CF_ROLE_DIM, "%6.2fs",
				       cf_session_time(s, k));
	}
	if (y < box.y + box.h - 1 && !t->busy) {
		for (int k = 0; k < CF_STEP_COUNT; k++)
			if (cf_session_state(s, k) == CF_STATE_FAILED) {
				cf_grid_puts(g, y++, box.x + 2, box.w - 4, CF_ROLE_ERROR,
					     cf_session_error(s, k));
				break;
			}
	}
}

static void draw_plan(cf_tui *t, cf_grid *g, cf_rect box)
{
	struct cf_tsess *S = t->sess;
	int nl, sel = cf_tsess_selected(t, &nl), iw = box.w >= 70 ? 30 : 0;
	char title[320], scale[96];
	const cf_fusion_layer *fl = !t->busy && nl ? cf_session_fusion_layer(S->s, sel) : NULL;

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
	snprintf(title, sizeof title, "Plan T%d %s  %s  (%s %s select)", sel + 1,
		 fl ? fl->name : "", scale, cf_tui_command_key("prev-layer"),
		 cf_tui_command_key("next-layer"));
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
	sw = body.w >= 100 ? 32 : 29;
	draw_models(t, g, (cf_rect){body.y, body.x, top, mw});
	draw_costs(t, g, (cf_rect){body.y, body.x + mw, top, body.w - mw - sw});
	draw_steps(t, g, (cf_rect){body.y, body.x + body.w - sw, top, sw});
	draw_plan(t, g, (cf_rect){body.y + top, body.x, body.h - top, body.w});
}

static int overview_key(cf_tui *t, int key)
{
	(void)t;
	return key == KEY_MOUSE;
}

const cf_screen cf_screen_overview = {"overview", overview_draw, overview_key};
