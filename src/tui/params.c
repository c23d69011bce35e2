/* params.c — the parameters screen: every row of the session's parameter
 * table (session.h) as a form — name, value, default, the step a change
 * makes stale — with the selected row's help, type and range below.
 * Enter edits the value in place on the status line; the text goes through
 * cf_session_set, so validation is the session's: an invalid value shows
 * its message and the old value stays.  Changed values are marked "*",
 * parameters with per-layer overrides "+" and the overrides listed
 * ("override L3 0.05").
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "params.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "screen.h"
#include "sess.h"
#include "tui.h"

static const char *type_name(int type)
{
	switch (type) {
	case CF_PARAM_INT: return "integer";
	case CF_PARAM_DOUBLE: return "number";
	case CF_PARAM_BOOL: return "boolean (0/1, true/false)";
	case CF_PARAM_CHOICE: return "one of";
	default: return "text";
	}
}

static int done_edit(cf_tui *t, const char *text)
{
	if (!t->sess)
		return -1;
	return cf_tsess_set(t, t->sess->edit, text);
}

static const cf_param_info *selected(cf_tui *t)
{
	int n;
	const cf_param_info *p = cf_session_params(&n);
	if (!t->sess)
		return NULL;
	if (t->sess->prow >= n)
		t->sess->prow = n - 1;
	if (t->sess->prow < 0)
		t->sess->prow = 0;
	return &p[t->sess->prow];
}

int cf_params_cmd_edit(cf_tui *t, const char *args)
{
	const cf_param_info *p = selected(t);
	char v[256], label[96];
	if (!p)
		return -1;
	if (args && *args)
		return cf_tsess_set(t, p->name, args);
	cf_session_get(t->sess->s, p->name, v, sizeof v, NULL);
	snprintf(t->sess->edit, sizeof t->sess->edit, "%s", p->name);
	snprintf(label, sizeof label, " %s = ", p->name);
	cf_tui_prompt(t, label, v, done_edit);
	return 0;
}

int cf_params_cmd_default(cf_tui *t, const char *args)
{
	const cf_param_info *p = selected(t);
	(void)args;
	if (!p)
		return -1;
	return cf_tsess_set(t, p->name, p->def);
}

static void params_draw(cf_tui *t, cf_grid *g, cf_rect body)
{
	struct cf_tsess *S = t->sess;
	int n, rows = body.h - 7, y; /* form rows: the box less header, help */
	const cf_param_info *p = cf_session_params(&n), *sel;
	char v[256], buf[512], ov[160];
	int ovn;

	if (!S) {
		cf_grid_puts(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM,
			     "no fusion session: clafuse tui A.safetensors B.safetensors --data SPEC");
		return;
	}
	sel = selected(t);
	if (rows < 3)
		rows = 3;
	if (S->prow < S->ptop)
		S->ptop = S->prow;
	if (S->prow >= S->ptop + rows)
		S->ptop = S->prow - rows + 1;
	cf_grid_box(g, (cf_rect){body.y, body.x, body.h - 4, body.w}, "Parameters (Enter edits)",
		    CF_ROLE_FRAME);
	cf_grid_printf(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM, "  %-24s %-22s %-12s %s",
		       "name", "value", "default", "stale from");
	y = body.y + 2;
	for (int k = S->ptop; k < n && y < body.y + body.h - 5; k++, y++) {
		int changed;
		cf_session_get(S->s, p[k].name, v, sizeof v, NULL);
		/* numbers compare as numbers: "1e-07" is the default "1e-7" */
		if (p[k].type == CF_PARAM_INT || p[k].type == CF_PARAM_DOUBLE)
			changed = strtod(v, NULL) != strtod(p[k].def, NULL);
		else
			changed = strcmp(v, p[k].def) != 0;
		/* per-layer overrides show beside the value they override */
		ov[0] = '\0';
		ovn = p[k].per_layer ? cf_tsess_overrides(t, p[k].name, ov, sizeof ov) : 0;
		cf_grid_printf(g, y, body.x + 2, body.w - 4, k == S->prow ? CF_ROLE_SELECT : CF_ROLE_NORMAL,
			       "%s %-24s %-22.22s %-12.12s %s%s%s", changed ? "*" : ovn ? "+" : " ",
			       p[k].name, v, p[k].def, cf_session_step_name(p[k].step),
			       ovn ? "  override " : p[k].per_layer ? " (per layer)" : "", ov);
	}
	/* the selected row's help */
	if (sel->type == CF_PARAM_CHOICE) {
		char choices[256];
		snprintf(buf, sizeof buf, "%s: %s %s", sel->name, type_name(sel->type),
			 cf_session_param_choices(sel, choices, sizeof choices));
	}
	else if (sel->type == CF_PARAM_INT || sel->type == CF_PARAM_DOUBLE)
		snprintf(buf, sizeof buf, "%s: %s in [%g, %g]", sel->name, type_name(sel->type),
			 sel->min, sel->max);
	else
		snprintf(buf, sizeof buf, "%s: %s", sel->name, type_name(sel->type));
	cf_grid_puts(g, body.y + body.h - 4, body.x + 2, body.w - 4, CF_ROLE_SELECT, buf);
	cf_grid_puts(g, body.y + body.h - 3, body.x + 2, body.w - 4, CF_ROLE_NORMAL, sel->help);
	cf_grid_printf(g, body.y + body.h - 2, body.x + 2, body.w - 4, CF_ROLE_DIM,
		       "a change marks '%s' and every later step stale; %s runs them again",
		       cf_session_step_name(sel->step), cf_tui_command_key("run-all"));
}

static int params_key(cf_tui *t, int key)
{
	struct cf_tsess *S = t->sess;
	int n;
	cf_session_params(&n);
	if (!S)
		return 0;
	switch (key) {
	case KEY_DOWN:
	case 'j':
		S->prow = S->prow + 1 < n ? S->prow + 1 : n - 1;
		return 1;
	case KEY_UP:
	case 'k':
		S->prow = S->prow > 0 ? S->prow - 1 : 0;
		return 1;
	case KEY_NPAGE:
		S->prow = S->prow + 10 < n ? S->prow + 10 : n - 1;
		return 1;
	case KEY_PPAGE:
		S->prow = S->prow > 10 ? S->prow - 10 : 0;
		return 1;
	case KEY_HOME:
	case 'g':
		S->prow = 0;
		return 1;
	case KEY_END:
	case 'G':
		S->prow = n - 1;
		return 1;
	case KEY_MOUSE:
		return 1;
	}
	return 0;
}

const cf_screen cf_screen_params = {"params", params_draw, params_key};
