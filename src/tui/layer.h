/* layer.h — the layer screen: one transport problem (a ground cost M and
 * its plan T), stepped in the open, alone or as a fusion layer of the
 * session.
 */
#ifndef CF_TUI_LAYER_H
#define CF_TUI_LAYER_H

#include <stdint.h>

#include "core/error.h"
#include "screen.h"

extern const cf_screen cf_screen_layer;

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

#endif
