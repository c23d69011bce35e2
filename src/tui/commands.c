/* commands.c — the command table and everything generated from it.
 *
 * See commands.h.  Key dispatch, `:` lines, the help overlay, the hint
 * line and the man page all read the array below; adding a command is one
 * entry here plus its function.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "config.h"

#include "commands.h"

#include <curses.h>
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "layer.h"
#include "log.h"
#include "lualine.h"
#include "params.h"
#include "screen.h"
#include "sess.h"
#include "tour.h"
#include "tui.h"

static int cmd_help(cf_tui *t, const char *args)
{
	(void)args;
	t->help = !t->help;
	t->help_top = 0;
	t->help_used = 1;
	return 0;
}

static int exec_prompt(cf_tui *t, const char *text)
{
	return cf_tui_command_exec(t, text);
}

static int cmd_command(cf_tui *t, const char *args)
{
	if (args && *args)
		return cf_tui_command_exec(t, args);
	cf_tui_prompt(t, ":", "", exec_prompt);
	return 0;
}

static int cmd_quit(cf_tui *t, const char *args)
{
	(void)args;
	t->quit = 1;
	return 0;
}

static int cmd_screen(cf_tui *t, const char *args)
{
	if (!args || !*args) {
		cf_tui_msg(t, CF_MSG_ERROR,
			   "screen: which one? (overview, layer, network, params, results, log)");
		return -1;
	}
	if (cf_tui_show(t, args)) {
		cf_tui_msg(t, CF_MSG_ERROR,
			   "screen: no screen called '%s' (overview, layer, network, params, results, "
			   "log)",
			   args);
		return -1;
	}
	return 0;
}

#define SCREEN_CMD(fname, sname)                     \
	static int fname(cf_tui *t, const char *args) \
	{                                             \
		(void)args;                           \
		return cmd_screen(t, sname);          \
	}
SCREEN_CMD(cmd_overview, "overview")
SCREEN_CMD(cmd_layer, "layer")
SCREEN_CMD(cmd_network, "network")
SCREEN_CMD(cmd_params, "params")
SCREEN_CMD(cmd_results, "results")
SCREEN_CMD(cmd_log, "log")

static int cmd_next(cf_tui *t, const char *args)
{
	(void)args;
	if (t->nscreens > 0)
		t->screen = (t->screen + 1) % t->nscreens;
	return 0;
}

static int cmd_redraw(cf_tui *t, const char *args)
{
	(void)args;
	if (t->curses)
		clearok(curscr, TRUE);
	return 0;
}

#define K(...) {__VA_ARGS__}
#define ANY CF_CMD_ANY_SCREEN
#define LAYER CF_SCREEN_LAYER

#define PARAMS CF_SCREEN_PARAMS
#define HEAT CF_CMD_HEATMAP_SCREENS

const cf_tui_command cf_tui_commands[] = {
	/* global */
	{"help", "? F1", K('?', KEY_F(1)), NULL, "show or hide this help", cmd_help, ANY, "help"},
	{"command", ":", K(':'), "[COMMAND|LUA]",
	 "a command by name (this table), or any line of Lua (print goes to the log)", cmd_command,
	 ANY, "command"},
	{"lua", NULL, K(0), "CODE", "evaluate Lua even when it starts like a command",
	 cf_tui_cmd_lua, ANY, NULL},
	{"quit", "q Q F10", K('q', 'Q', KEY_F(10)), NULL, "leave clafuse (also closes overlays)",
	 cmd_quit, ANY, "quit"},
	{"overview", "1", K('1'), NULL, "models, layer costs C with the alignment, steps, plan",
	 cmd_overview, ANY, NULL},
	{"layer", "2", K('2'), NULL, "the layer screen: M, plan T, matched neurons", cmd_layer, ANY,
	 NULL},
	{"network", "3", K('3'), NULL, "A, B, balanced and fused models with the layer map",
	 cmd_network, ANY, NULL},
	{"params", "4", K('4'), NULL, "every session parameter, editable", cmd_params, ANY, NULL},
	{"results", "5", K('5'), NULL, "accuracies, hybrids, timings and the finetuning curve",
	 cmd_results, ANY, NULL},
	{"log", "6", K('6'), NULL, "the log screen: every message with its time", cmd_log, ANY, NULL},
	{"screen", "Tab", K('\t'), "[NAME]", "next screen, or the one named", cmd_next, ANY, NULL},
	{"redraw", "^L", K(12), NULL, "redraw the whole terminal", cmd_redraw, ANY, NULL},
	{"clear-log", NULL, K(0), NULL, "forget the log's messages", cf_log_cmd_clear, ANY, NULL},
	{"run-all", "r", K('r'), "[STEP]",
	 "run every stale step (or up to STEP) with a progress bar; q stops, session kept",
	 cf_tsess_cmd_run_all, ANY, "run"},
	{"fuse-next", "n", K('n'), NULL, "fuse the next layer (one OT problem) and show it",
	 cf_tsess_cmd_fuse_next, ANY, "next layer"},
	{"prev-layer", "[ <", K('[', '<'), NULL, "select the previous fusion layer",
	 cf_tsess_cmd_prev_layer, ANY, NULL},
	{"next-layer", "] >", K(']', '>'), NULL, "select the next fusion layer",
	 cf_tsess_cmd_next_layer, ANY, "layer"},
	{"export", "x", K('x'), "[FILE]",
	 "write C or T as CSV, or as a picture when FILE ends in .svg or .png (the results "
	 "screen: the finetuning curve)",
	 cf_tsess_cmd_export, ANY, NULL},
	{"write-script", "w", K('w'), "[FILE]",
	 "write the session as a replayable Lua script (default session.lua)", cf_tsess_cmd_script,
	 ANY, "script"},
	{"set", NULL, K(0), "NAME=VALUE", "set a session parameter (as the form does)",
	 cf_tsess_cmd_set, ANY, NULL},
	{"sort-rows", "o", K('o'), NULL,
	 "plans in matching order (rows sorted by the column they go to: a permutation is a "
	 "diagonal) or their own",
	 cf_tsess_cmd_sort, ANY, NULL},
	{"data", NULL, K(0), "SPEC",
	 "load the session's data set (fashion-mnist, idx:..., cifar10:DIR); steps turn stale",
	 cf_tsess_cmd_data, ANY, NULL},
	{"tour-next", "Space Enter", K(' ', '\n', '\r', KEY_ENTER), NULL,
	 "guided tour (clafuse demo): read on, or explain and run the next step", cf_tour_cmd_next,
	 ANY, NULL},
	{"tour-down", "PgDn", K(KEY_NPAGE), NULL,
	 "guided tour: scroll its panel down (the wheel over it too); else the screen's page down",
	 cf_tour_cmd_down, ANY, NULL},
	{"tour-up", "PgUp", K(KEY_PPAGE), NULL,
	 "guided tour: scroll its panel up; else the screen's page up", cf_tour_cmd_up, ANY, NULL},
	/* layer screen */
	{"step", "s", K('s'), NULL, "one solver iteration", cf_layer_cmd_step, LAYER, "step"},
	{"run", "r", K('r'), NULL, "iterate to convergence (q stops, state kept)", cf_layer_cmd_run,
	 LAYER, "run"},
	{"reset", "R", K('R'), NULL, "restart the solver from iteration 0", cf_layer_cmd_reset, LAYER,
	 NULL},
	{"eps", "e", K('e'), "[X]", "set the entropic regularisation epsilon (restarts)",
	 cf_layer_cmd_eps, LAYER, "ε"},
	{"solver", "v", K('v'), "[NAME]",
	 "next solver, or the one named: sinkhorn sinkhorn-log sinkhorn-eps emd exact sinkhorn-sparse",
	 cf_layer_cmd_solver, LAYER, "solver"},
	{"log-scale", "z", K('z'), NULL, "toggle linear / log colour scale of the heatmap in focus",
	 cf_layer_cmd_logscale, HEAT, "log"},
	{"colormap", "c", K('c'), "[NAME]", "next colour map, or viridis / magma / grey",
	 cf_layer_cmd_cmap, LAYER, NULL},
	{"marginals", "b", K('b'), NULL, "show or hide the marginal bars", cf_layer_cmd_marginals,
	 LAYER, NULL},
	{"zoom-in", "+ =", K('+', '='), NULL, "zoom in 2x around the cursor", cf_layer_cmd_zoom_in,
	 HEAT, "zoom"},
	{"zoom-out", "-", K('-'), NULL, "zoom out 2x", cf_layer_cmd_zoom_out, HEAT, NULL},
	{"fit", "0", K('0'), NULL, "fit the whole matrix", cf_layer_cmd_fit, HEAT, NULL},
	{"aspect", "a", K('a'), NULL,
	 "fill the box (default) or keep square pixels (same scale down and across)",
	 cf_layer_cmd_aspect, HEAT, "aspect"},
	{"focus", "f", K('f'), NULL, "overview: move the keys' focus between C and the plan",
	 cf_tsess_cmd_focus, CF_SCREEN_OVERVIEW, "focus"},
	{"left", "← h", K(KEY_LEFT, 'h'), NULL, "cursor left (pans at the edge)", cf_layer_cmd_left,
	 HEAT, NULL},
	{"down", "↓ j", K(KEY_DOWN, 'j'), NULL, "cursor down", cf_layer_cmd_down, HEAT, NULL},
	{"up", "↑ k", K(KEY_UP, 'k'), NULL, "cursor up", cf_layer_cmd_up, HEAT, NULL},
	{"right", "→ l", K(KEY_RIGHT, 'l'), NULL, "cursor right", cf_layer_cmd_right, HEAT, "move"},
	/* parameters screen (↑↓ j k move the selection) */
	{"edit", "Enter e", K('\n', '\r', KEY_ENTER, 'e'), NULL,
	 "edit the selected parameter in place (validated; later steps turn stale)",
	 cf_params_cmd_edit, PARAMS, "edit"},
	{"default", "d", K('d'), NULL, "reset the selected parameter to its default",
	 cf_params_cmd_default, PARAMS, "default"},
	{NULL, NULL, K(0), NULL, NULL, NULL, 0, NULL}};

/* The command belongs to this screen (not just to every screen). */
static int own_screen(const cf_tui_command *c, int screen)
{
	return c->screen == screen ||
	       (c->screen == HEAT && (screen == CF_SCREEN_OVERVIEW || screen == CF_SCREEN_LAYER));
}

int cf_tui_command_on_screen(const cf_tui_command *c, int screen)
{
	return c->screen == ANY || own_screen(c, screen);
}

#define on_screen cf_tui_command_on_screen

const cf_tui_command *cf_tui_command_for_key(int screen, int key)
{
	/* the screen's own commands win over global ones */
	for (int pass = 0; pass < 2; pass++)
		for (const cf_tui_command *c = cf_tui_commands; c->name; c++) {
			if ((pass == 0) != own_screen(c, screen) || !on_screen(c, screen))
				continue;
			for (int k = 0; k < 4 && c->key[k]; k++)
				if (c->key[k] == key)
					return c;
		}
	return NULL;
}

const cf_tui_command *cf_tui_command_find(const char *name)
{
	for (const cf_tui_command *c = cf_tui_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int cf_tui_command_exec(cf_tui *t, const char *line)
{
	char name[64];
	size_t n = 0;
	const cf_tui_command *c;
	const char *start;

	while (isspace((unsigned char)*line))
		line++;
	if (*line == ':')
		line++;
	start = line;
	while (*line && !isspace((unsigned char)*line) && n + 1 < sizeof name)
		name[n++] = *line++;
	name[n] = '\0';
	while (isspace((unsigned char)*line))
		line++;
	if (!n)
		return 0;
	c = cf_tui_command_find(name);
	if (!c)
		return cf_tui_lua_eval(t, start);
	if (!on_screen(c, t->screen)) {
		cf_tui_msg(t, CF_MSG_ERROR, "%s: only on the %s screen", name,
			   c->screen == HEAT ? "overview and layer"
			   : c->screen >= 0 && c->screen < t->nscreens ? t->screens[c->screen]->name
								      : "other");
		return -1;
	}
	/* `screen NAME` from the line picks a screen; the Tab key cycles */
	if (c->fn == cmd_next && *line)
		return cmd_screen(t, line);
	return c->fn(t, line);
}

const char *cf_tui_command_key(const char *name)
{
	/* a few buffers in turn, so one printf may show several keys */
	static char bufs[8][16];
	static int next;
	char *buf = bufs[next++ % 8];
	const cf_tui_command *c = cf_tui_command_find(name);
	size_t n = 0;
	if (!c || !c->keys)
		return "";
	while (c->keys[n] && c->keys[n] != ' ' && n + 1 < sizeof bufs[0]) {
		buf[n] = c->keys[n];
		n++;
	}
	buf[n] = '\0';
	return buf;
}

void cf_tui_command_hints(int screen, char *buf, size_t size)
{
	size_t used = 0;

	if (!size)
		return;
	buf[0] = '\0';
	/* the screen's hints first, then the global ones */
	for (int pass = 0; pass < 2; pass++)
		for (const cf_tui_command *c = cf_tui_commands; c->name; c++) {
			int n;
			if (!c->hint || !on_screen(c, screen) || (pass == 0) != own_screen(c, screen))
				continue;
			/* a global command whose key this screen takes has no hint here */
			if (pass == 1 && cf_tui_command_for_key(screen, c->key[0]) != c)
				continue;
			if (c->fn == cf_layer_cmd_right)
				n = snprintf(buf + used, size - used, " ←↓↑→ %s ", c->hint);
			else if (c->fn == cf_layer_cmd_zoom_in)
				n = snprintf(buf + used, size - used, " +/- %s ", c->hint);
			else
				n = snprintf(buf + used, size - used, " %s %s ", cf_tui_command_key(c->name),
					     c->hint);
			if (n < 0 || (size_t)n >= size - used) {
				buf[used] = '\0';
				return;
			}
			used += (size_t)n;
		}
}

/* roff needs a backslash before a leading dot or quote and before '-' */
static void roff_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '-' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void cf_tui_commands_man(FILE *f)
{
	static const char *const section[1 + CF_SCREEN_COUNT] = {
		"Everywhere",      "Overview screen", "Layer screen", "Network screen",
		"Parameters screen", "Results screen", "Log screen"};

	fprintf(f, ".\\\" Generated by 'clafuse tui --man' from src/tui/commands.c; do not edit.\n"
		   ".TH CLAFUSE\\-TUI 1 \"\" \"clafuse " PACKAGE_VERSION "\" \"clafuse manual\"\n"
		   ".SH NAME\nclafuse\\-tui \\- the full\\-screen clafuse workbench\n"
		   ".SH SYNOPSIS\n.B clafuse tui\n"
		   "\\fIA.safetensors\\fR \\fIB.safetensors\\fR [\\fImore...\\fR] "
		   "[\\fB\\-\\-data\\fR \\fISPEC\\fR] [\\fB\\-\\-set\\fR \\fINAME=VALUE\\fR]...\n"
		   ".br\n.B clafuse tui\n"
		   "[\\fB\\-\\-ot\\fR \\fIFILE\\fR | \\fB\\-\\-random\\fR \\fIN\\fR[x\\fIM\\fR]] "
		   "[\\fB\\-\\-seed\\fR \\fIS\\fR] [\\fB\\-\\-solver\\fR \\fINAME\\fR] "
		   "[\\fB\\-\\-reg\\fR \\fIX\\fR] [\\fB\\-\\-tol\\fR \\fIX\\fR] "
		   "[\\fB\\-\\-color\\fR \\fIMODE\\fR] [\\fB\\-\\-no\\-mouse\\fR]\n"
		   ".SH DESCRIPTION\n"
		   "With model files, opens a fusion session on them: an overview (models, the "
		   "layer cost matrix C with the alignment path, the steps with their state, the "
		   "selected layer's plan), a layer screen, a network screen, an editable "
		   "parameter form, results and the log.  Changing a parameter marks the steps "
		   "after it stale; \\fBr\\fR runs every stale step.  \\fBclafuse demo\\fR opens "
		   "it on the bundled models with a guided tour.\n.PP\n"
		   "With \\fB\\-\\-ot\\fR or \\fB\\-\\-random\\fR it opens the layer screen on one optimal\\-transport problem: the ground cost M and "
		   "the transport plan T side by side as half\\-block heatmaps at the same pooling "
		   "(mean for costs, sum for plans), marginal bars, and the solver's error per "
		   "iteration.  The solver can be stepped one iteration at a time or run to "
		   "convergence; a run can be stopped with q without losing its state.\n"
		   ".PP\nColours: 24\\-bit when the terminal description has the RGB capability "
		   "(e.g. TERM=xterm\\-direct), else 256 or 8 colours; NO_COLOR or "
		   "\\fB\\-\\-color mono\\fR selects a monochrome scheme with shade characters.\n"
		   ".SH KEYS AND COMMANDS\n"
		   "Every command has a name, usable on the \\fB:\\fR line as \\fB:\\fR\\fIname "
		   "args\\fR, and most have keys.\n");
	/* s = -1: the heatmap commands, after "Everywhere" */
	for (int s = 0; s < 1 + CF_SCREEN_COUNT; s = s == 0 ? -1 : s == -1 ? 1 : s + 1) {
		int any = 0, want = s < 0 ? HEAT : s - 1;
		for (const cf_tui_command *c = cf_tui_commands; c->name; c++)
			any |= c->screen == want;
		if (!any)
			continue;
		fprintf(f, ".SS %s\n", s < 0 ? "Heatmaps (overview and layer screens)" : section[s]);
		for (const cf_tui_command *c = cf_tui_commands; c->name; c++) {
			if (c->screen != want)
				continue;
			fprintf(f, ".TP\n.B ");
			roff_text(f, c->name);
			if (c->args) {
				fputc(' ', f);
				roff_text(f, c->args);
			}
			if (c->keys) {
				fprintf(f, "  (");
				roff_text(f, c->keys);
				fputc(')', f);
			}
			fputc('\n', f);
			roff_text(f, c->help);
			fputc('\n', f);
		}
	}
	fprintf(f, ".SS Mouse\n"
		   "Unless \\fB\\-\\-no\\-mouse\\fR is given (which leaves the mouse to the "
		   "terminal, e.g. for selecting text): a click on a tab of the title line shows "
		   "that screen, a click on \\fB? help\\fR opens the help overlay (a click closes "
		   "it, the wheel scrolls it).  On the overview a click on a cell of C or of the "
		   "plan puts the cursor there and gives that heatmap the keys; on the layer "
		   "screen a click on M or T puts the cursor there.  On these two screens the "
		   "wheel zooms the heatmap that has the keys in and out; over the guided tour's "
		   "panel it scrolls the text.\n");
	fprintf(f, ".SH SEE ALSO\n.BR clafuse (1)\n");
}
