/* sess.h — private: the workbench's view of a fusion session, shared by
 * the session screens (overview, network, params, results, tour), and
 * the session's API: opening it, running steps, its commands.
 *
 * The screens never keep pointers into the session: the session frees and
 * rebuilds its results when a step re-runs, and a redraw can happen in the
 * middle of a run (the progress callback polls the keyboard and redraws).
 * So a screen reads results one of two ways, both safe mid-run: the
 * copies cf_tsess_sync() takes while nothing runs (heatmaps, tagged with
 * the generation they were taken at; `gen` is bumped after everything
 * that may change results: a run, a set, a Lua line), or the session
 * itself through cf_tsess_results(), which is NULL while a step runs.
 * No screen tests t->busy to decide.
 */
#ifndef CF_TUI_SESS_H
#define CF_TUI_SESS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/session.h"
#include "heatmap.h"
#include "tui.h"

/* ε below this share of the largest cost gets a warning: Sinkhorn then
 * needs very many iterations (share/doc/method.md §5.3) */
#define CF_TSESS_EPS_WARN 0.01

struct cf_tsess {
	cf_session *s;
	char paths[CF_SESSION_MAXMODELS][PATH_MAX]; /* models as given (absolute when known) */
	int npaths;
	char data[512];      /* data spec, "" when none */
	unsigned gen;        /* bumped when results may have changed */
	double last_poll;    /* progress: time of the last redraw */
	int sel;             /* selected fusion layer, 0-based */
	/* the layer screen shows fusion layer layer_sel as of layer_gen */
	int layer_sel;
	unsigned layer_gen;
	/* copies for the overview: C with the alignment path, the plan */
	double *C;
	int cm, cn;
	int64_t *path;       /* (row, col) pairs of the alignment */
	int64_t path_len;
	int *map;            /* unit map copy, nmap entries (1-based values) */
	int nmap;
	unsigned c_gen;
	cf_heatmap *hC, *hP;
	cf_heatmap_view vC, vP;
	int focus;           /* overview: 0 = view keys act on C, 1 = on the plan */
	double *P;           /* copy of the selected layer's plan (rows sorted when `sorted`) */
	int64_t *porder;     /* its row order when sorted, else NULL */
	int sorted;          /* plans in matching order (o) */
	int64_t pn, pm;
	int p_sel;
	unsigned p_gen;
	/* a solver's progress during a run (sess.c solver_progress) */
	int prog_layer;
	long long prog_iter;
	double prog_err0;    /* the layer's first marginal error */
	double eps_ratio;    /* smallest ε / max cost met (NAN: none) */
	int eps_layer;       /* its layer, 1-based */
	/* the parameter form */
	int prow, ptop;
	char edit[64];       /* parameter being edited */
};

/* The data set of a session opened without one (as for `clafuse fuse`). */
#define CF_TSESS_DEFAULT_DATA "fashion-mnist"
/* Open a session on model files and a data spec (NULL: the default, whose
 * failure to load is only a warning) with parameter settings "name=value".
 * Returns 0, or nonzero with err set when a model, the data set given or
 * a setting fails (the caller reports it and exits before the terminal is
 * taken over) or memory runs out; t->sess is then closed by cf_tui_end. */
int cf_tsess_open(cf_tui *t, const char *const *paths, int npaths, const char *const *archs,
		  const char *data, const char *const *sets, int nsets, cf_error *err);
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
/* The session (NULL when none). */
struct cf_session *cf_tsess_session(const cf_tui *t);
/* The session for reading its results: NULL when there is none or while
 * a step runs (the progress callback redraws mid-step, when the session
 * is freeing and rebuilding them).  Every screen reads results through
 * this, or through the copies cf_tsess_sync() takes. */
const struct cf_session *cf_tsess_results(const cf_tui *t);

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
/* o: plans in matching order or in their own (toggle, every screen). */
int cf_tsess_cmd_sort(cf_tui *t, const char *args);
/* Overview: the view keys act on C or on the plan (toggle). */
int cf_tsess_cmd_focus(cf_tui *t, const char *args);

#endif
