/* app.c — the workbench as a program (see app.h): set-up, the `:` line's
 * Lua, the terminal and the event loop, in the order they need: inputs
 * are checked before the terminal is taken over, so their errors print
 * as ordinary lines; the Lua state opens before the terminal so the
 * workbench's signal handlers, installed later, win.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "app.h"

#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "core/error.h"
#include "layer.h"
#include "log.h"
#include "lualine.h"
#include "network.h"
#include "overview.h"
#include "params.h"
#include "results.h"
#include "screen.h"
#include "sess.h"
#include "tour.h"
#include "tui.h"

/* Every screen, in the order of the CF_SCREEN_* indices (commands.h). */
static void add_screens(cf_tui *t)
{
	static const cf_screen *const all[CF_SCREEN_COUNT] = {
		&cf_screen_overview, &cf_screen_layer,   &cf_screen_network,
		&cf_screen_params,   &cf_screen_results, &cf_screen_log};
	for (int k = 0; k < CF_SCREEN_COUNT; k++)
		cf_tui_add_screen(t, all[k]);
}

/* Lua, the terminal, the loop, the terminal restored; frees t. */
static int run(cf_tui *t, int colour)
{
	cf_tui_lua_open(t);
	if (cf_tui_start(t, colour)) {
		cf_tui_end(t);
		return 1;
	}
	cf_tui_run(t);
	cf_tui_end(t);
	return 0;
}

static int session_main(const char *prog, const char *const *models, int nmodels,
			const char *const *archs, const char *data, const char *const *sets,
			int nsets, int colour, int mouse, int tour)
{
	cf_tui t;
	cf_error err;

	if (cf_tui_setup(&t)) {
		fprintf(stderr, "clafuse %s: out of memory\n", prog);
		return 1;
	}
	t.use_mouse = mouse;
	add_screens(&t);
	if (cf_tsess_open(&t, models, nmodels, archs, data, sets, nsets, &err)) {
		fprintf(stderr, "clafuse %s: %s\n", prog, err.msg);
		cf_tui_end(&t);
		return 1;
	}
	if (tour && cf_tour_start(&t)) {
		fprintf(stderr, "clafuse %s: out of memory\n", prog);
		cf_tui_end(&t);
		return 1;
	}
	return run(&t, colour);
}

int cf_tui_main_session(const char *const *models, int nmodels, const char *const *archs,
			const char *data, const char *const *sets, int nsets, int colour, int mouse)
{
	return session_main("tui", models, nmodels, archs, data, sets, nsets, colour, mouse, 0);
}

int cf_tui_main_problem(double *M, int64_t n, int64_t m, int kind, double reg, double tol,
			const char *desc, int colour, int mouse)
{
	cf_tui t;
	cf_error err;

	if (cf_tui_setup(&t)) {
		free(M);
		fprintf(stderr, "clafuse tui: out of memory\n");
		return 1;
	}
	t.use_mouse = mouse;
	add_screens(&t);
	cf_tui_show(&t, "layer");
	cf_error_clear(&err);
	if (cf_layer_open(&t, M, n, m, kind, reg, tol, desc, &err)) {
		fprintf(stderr, "clafuse tui: %s\n", err.msg);
		cf_tui_end(&t);
		return 1;
	}
	return run(&t, colour);
}

int cf_tui_demo(const char *a, const char *b, const char *norm)
{
	const char *models[2] = {a, b};
	char normset[200];
	const char *sets[2] = {"finetune.epochs=1", normset};
	snprintf(normset, sizeof normset, "data.norm=%s", norm ? norm : "");
	return session_main("demo", models, 2, NULL, NULL, sets, norm ? 2 : 1, CF_TUI_COLOUR_AUTO,
			    1, 1);
}
