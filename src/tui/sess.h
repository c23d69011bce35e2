/* sess.h — private: the workbench's view of a fusion session, shared by
 * the session screens (overview, network, params, results, tour).
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
#include <stdint.h>

#include "heatmap.h"
#include "core/session.h"

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

#endif
