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

#include "error.h"
#include "grid.h"
#include "tui.h"

typedef struct cf_screen {
	const char *name;   /* the screen's name, for :screen and the title */
	void (*draw)(cf_tui *t, cf_grid *g, cf_rect body);
	int (*key)(cf_tui *t, int key);
} cf_screen;

extern const cf_screen cf_screen_layer;
extern const cf_screen cf_screen_log;

/* The layer screen: ground cost M and plan T of one transport problem.
 * Takes ownership of M (n×m, malloc'd; freed on error too).  `kind` is a
 * cf_ot_kind, `reg` the ε of entropic solvers, `desc` describes M. */
int cf_layer_open(cf_tui *t, double *M, int64_t n, int64_t m, int kind, double reg, double tol,
		  const char *desc, cf_error *err);
void cf_layer_close(cf_tui *t);
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
int cf_layer_cmd_left(cf_tui *t, const char *args);
int cf_layer_cmd_right(cf_tui *t, const char *args);
int cf_layer_cmd_up(cf_tui *t, const char *args);
int cf_layer_cmd_down(cf_tui *t, const char *args);
int cf_layer_cmd_export(cf_tui *t, const char *args);

/* The log: messages with time and level, newest last. */
int cf_log_alloc(cf_tui *t);
void cf_log_free(cf_tui *t);
void cf_log_add(cf_tui *t, int level, const char *text);
int cf_log_cmd_clear(cf_tui *t, const char *args);

#endif
