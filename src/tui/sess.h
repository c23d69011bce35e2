/* sess.h — private: the workbench's view of a fusion session, shared by
 * the session screens (overview, network, params, results, tour).
 *
 * The screens never keep pointers into the session: the session frees and
 * rebuilds its results when a step re-runs, and a redraw can happen in the
 * middle of a run (the progress callback polls the keyboard and redraws).
 * So what a screen shows of a result is a copy taken by cf_tsess_sync()
 * while nothing runs, tagged with the generation it was taken at; `gen`
 * is bumped after everything that may change results (a run, a set).
 */
#ifndef CF_TUI_SESS_H
#define CF_TUI_SESS_H

#include <limits.h>
#include <stdint.h>

#include "heatmap.h"
#include "core/session.h"

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
	double *P;           /* copy of the selected layer's plan */
	int64_t pn, pm;
	int p_sel;
	unsigned p_gen;
	/* the parameter form */
	int prow, ptop;
	char edit[64];       /* parameter being edited */
};

#endif
