/* app.h — the workbench as a program: what `clafuse tui` and `clafuse
 * demo` call.  Each function sets up a workbench, reports a problem with
 * its inputs as one line on stderr ("clafuse NAME: ...") before the
 * terminal is taken over, runs it until the user quits and restores the
 * terminal.  Each returns the exit status: 0, or 1 when an input does not
 * load or the terminal cannot be opened.
 */
#ifndef CF_TUI_APP_H
#define CF_TUI_APP_H

#include <stdint.h>

/* The session workbench on model files.  `data` NULL: the default data
 * set (its absence is a warning on screen, not an error); `sets` are
 * "name=value" parameter settings; `colour` a cf_colour_mode or
 * CF_TUI_COLOUR_AUTO (tui.h); `mouse` 0 leaves the mouse to the terminal. */
int cf_tui_main_session(const char *const *models, int nmodels, const char *data,
			const char *const *sets, int nsets, int colour, int mouse);

/* The layer screen on one transport problem: M (n×m, malloc'd, owned from
 * here on) with the solver `kind` (cf_ot_kind), ε `reg`, tolerance `tol`;
 * `desc` names the problem in the title. */
int cf_tui_main_problem(double *M, int64_t n, int64_t m, int kind, double reg, double tol,
			const char *desc, int colour, int mouse);

/* `clafuse demo` on a terminal: the workbench on models a and b with the
 * default data set, one finetuning epoch and the guided tour. */
int cf_tui_demo(const char *a, const char *b);

#endif
