/* screen.h — a screen is a (draw, key) pair over the shared state.
 *
 * draw() composes the body of the frame (between the title line and the
 * status line) from state; key() handles a key the command table did not
 * take and returns 1 when it did something.  Nothing is patched by hand:
 * after every key the whole frame is drawn again, which makes resizing,
 * overlays and the size guard free.  This header also declares each
 * screen's command functions, which the command table (commands.c) names.
 */
#ifndef CF_TUI_SCREEN_H
#define CF_TUI_SCREEN_H

#include <stdint.h>

#include "core/error.h"
#include "grid.h"
#include "tui.h"

struct cf_net;
struct cf_session;

typedef struct cf_screen {
	const char *name;   /* the screen's name, for :screen and the title */
	void (*draw)(cf_tui *t, cf_grid *g, cf_rect body);
	int (*key)(cf_tui *t, int key);
} cf_screen;

extern const cf_screen cf_screen_overview;
extern const cf_screen cf_screen_layer;
extern const cf_screen cf_screen_network;
extern const cf_screen cf_screen_params;
extern const cf_screen cf_screen_results;
extern const cf_screen cf_screen_log;

/* Add every screen in the order of the CF_SCREEN_* indices (commands.h). */
void cf_tui_add_screens(cf_tui *t);

/* The layer screen: ground cost M and plan T of one transport problem.
 * Takes ownership of M (n×m, malloc'd; freed on error too).  `kind` is a
 * cf_ot_kind, `reg` the ε of entropic solvers, `desc` describes M. */
int cf_layer_open(cf_tui *t, double *M, int64_t n, int64_t m, int kind, double reg, double tol,
		  const char *desc, cf_error *err);
void cf_layer_close(cf_tui *t);
/* The layer screen on fusion layer l (0-based) of a session: copies its
 * ground cost M and plan T and shows the fusion's own result (status,
 * cost, iterations, time, error history, trace ratio) until the user
 * steps (s) or runs (r) the solver again on M, which restarts it from
 * iteration 0 with the layer's solver and ε.  A layer without a plan
 * closes the screen's problem.  Errors: out of memory. */
struct cf_fusion_layer;
int cf_layer_open_fusion(cf_tui *t, const struct cf_fusion_layer *fl, int l, int nlayers,
			 cf_error *err);
/* The plan shown (n×m, row-major) or NULL. */
const double *cf_layer_plan(const cf_tui *t, int64_t *n, int64_t *m);
/* Current state, for tests and the title: iterations so far, status
 * (cf_ot_status) and latest error. */
int64_t cf_layer_iterations(const cf_tui *t);

/* Command functions: args is the text after the command name ("" when run
 * from a key).  Return 0, or -1 after reporting an error with cf_tui_msg. */
int cf_layer_cmd_step(cf_tui *t, const char *args);
int cf_layer_cmd_run(cf_tui *t, const char *args);
int cf_layer_cmd_reset(cf_tui *t, const char *args);
int cf_layer_cmd_eps(cf_tui *t, const char *args);
int cf_layer_cmd_solver(cf_tui *t, const char *args);
int cf_layer_cmd_logscale(cf_tui *t, const char *args);
int cf_layer_cmd_cmap(cf_tui *t, const char *args);
int cf_layer_cmd_marginals(cf_tui *t, const char *args);
int cf_layer_cmd_zoom_in(cf_tui *t, const char *args);
int cf_layer_cmd_zoom_out(cf_tui *t, const char *args);
int cf_layer_cmd_fit(cf_tui *t, const char *args);
/* Toggle fill-the-box / square pixels of the heatmap in focus. */
int cf_layer_cmd_aspect(cf_tui *t, const char *args);
int cf_layer_cmd_left(cf_tui *t, const char *args);
int cf_layer_cmd_right(cf_tui *t, const char *args);
int cf_layer_cmd_up(cf_tui *t, const char *args);
int cf_layer_cmd_down(cf_tui *t, const char *args);
/* The plan in matching order (rows sorted by the column they go to, see
 * cf_heatmap_order_rows) or in the neurons' own order; the readout names
 * the original rows.  set returns -1 when out of memory. */
int cf_layer_sorted(const cf_tui *t);
int cf_layer_set_sorted(cf_tui *t, int on);
/* Write the plan shown on the layer screen to a CSV file (atomically). */
int cf_layer_cmd_export(cf_tui *t, const char *args);

/* ---- the fusion session (sess.c) ---- */

/* The data set of a session opened without one (as for `clafuse fuse`). */
#define CF_TSESS_DEFAULT_DATA "fashion-mnist"
/* Open a session on model files and a data spec (NULL: the default, whose
 * failure to load is only a warning) with parameter settings "name=value".
 * Returns 0, or nonzero with err set when a model, the data set given or
 * a setting fails (the caller reports it and exits before the terminal is
 * taken over) or memory runs out; t->sess is then closed by cf_tui_end. */
int cf_tsess_open(cf_tui *t, const char *const *paths, int npaths, const char *data,
		  const char *const *sets, int nsets, cf_error *err);
void cf_tsess_close(cf_tui *t);
/* Bring derived views (layer screen, heatmaps) up to date with the
 * session; called before each frame. */
void cf_tsess_sync(cf_tui *t);
/* Run a session step (CF_STEP_*, or -1 for every stale step) with the
 * progress bar; q stops it with the session kept.  Returns the core status. */
int cf_tsess_run(cf_tui *t, int step);
/* Set a parameter from the form or :set; errors go to the status line. */
int cf_tsess_set(cf_tui *t, const char *name, const char *value);
/* The selected fusion layer (0-based), and the number of fusion layers. */
int cf_tsess_selected(const cf_tui *t, int *nlayers);
/* Write the session as a replayable Lua script (atomically). */
int cf_tsess_write_script(cf_tui *t, const char *path, cf_error *err);
/* Models' widths "64-32-10" into buf. */
void cf_tsess_widths(const struct cf_net *net, char *buf, size_t size);
/* The session (NULL when none). */
struct cf_session *cf_tsess_session(const cf_tui *t);
/* The session for reading its results: NULL when there is none or while
 * a step runs (the progress callback redraws mid-step, when the session
 * is freeing and rebuilding them).  Every screen reads results through
 * this, or through the copies cf_tsess_sync() takes. */
const struct cf_session *cf_tsess_results(const cf_tui *t);
/* Bumped whenever session results may have changed. */
unsigned cf_tsess_generation(const cf_tui *t);

int cf_tsess_cmd_run_all(cf_tui *t, const char *args);
int cf_tsess_cmd_fuse_next(cf_tui *t, const char *args);
int cf_tsess_cmd_prev_layer(cf_tui *t, const char *args);
int cf_tsess_cmd_next_layer(cf_tui *t, const char *args);
int cf_tsess_cmd_export(cf_tui *t, const char *args);
int cf_tsess_cmd_script(cf_tui *t, const char *args);
int cf_tsess_cmd_set(cf_tui *t, const char *args);
/* The per-layer overrides, "L3 ot.reg=0.05, L4 ot.solver=emd" (of `name`
 * only, as "L3 0.05", when name is not NULL), into buf; returns how many. */
#define CF_TSESS_MAX_LAYERS 256
int cf_tsess_overrides(const cf_tui *t, const char *name, char *buf, size_t size);
/* :data SPEC: load the session's data set (every step turns stale). */
int cf_tsess_cmd_data(cf_tui *t, const char *args);
int cf_tsess_cmd_run_step(cf_tui *t, const char *args);
/* o: plans in matching order or in their own (toggle, every screen). */
int cf_tsess_cmd_sort(cf_tui *t, const char *args);
/* Overview: the view keys act on C or on the plan (toggle). */
int cf_tsess_cmd_focus(cf_tui *t, const char *args);

/* ---- parameters screen (params.c) ---- */
int cf_params_cmd_edit(cf_tui *t, const char *args);
int cf_params_cmd_default(cf_tui *t, const char *args);

/* ---- the : line's Lua (lualine.c) ---- */

/* A Lua state from cf_lua_open for the : line, with print and io.write
 * going to the log.  Call before cf_tui_start (the workbench's signal
 * handlers then win).  Failure is logged, not fatal. */
void cf_tui_lua_open(cf_tui *t);
void cf_tui_lua_close(cf_tui *t);
/* Evaluate a line of Lua: an expression's value goes to the status line,
 * errors to the status line and the log.  Returns 0 or -1. */
int cf_tui_lua_eval(cf_tui *t, const char *code);
int cf_tui_cmd_lua(cf_tui *t, const char *args);

/* ---- the guided tour (tour.c) ---- */

/* Start the tour's side panel over a session (overview first). */
int cf_tour_start(cf_tui *t);
void cf_tour_free(cf_tui *t);
/* Width the side panel takes from the body (0 when none). */
int cf_tour_width(const cf_tui *t, int cols);
void cf_tour_draw(cf_tui *t, cf_grid *g, cf_rect r);
int cf_tour_cmd_next(cf_tui *t, const char *args);
/* Scroll the tour's panel a page (PgDn/PgUp); without a tour the key goes
 * to the screen. */
int cf_tour_cmd_down(cf_tui *t, const char *args);
int cf_tour_cmd_up(cf_tui *t, const char *args);
/* A mouse event (t->mouse_*) over the panel: the wheel scrolls it.
 * Returns 1 when the event was the panel's. */
int cf_tour_mouse(cf_tui *t);

/* The log: messages with time and level, newest last. */
int cf_log_alloc(cf_tui *t);
void cf_log_free(cf_tui *t);
void cf_log_add(cf_tui *t, int level, const char *text);
int cf_log_cmd_clear(cf_tui *t, const char *args);

#endif
