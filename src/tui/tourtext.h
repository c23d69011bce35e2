/* tourtext.h — the words of the guided tour, one text for both tours:
 * the workbench's side panel (tour.c) and the printed `clafuse demo
 * --batch` (cmd_demo.c).
 *
 * Each stage's text is composed from a fusion session at the time it is
 * shown, so every number and every claim ("below both parents", "as deep
 * as A") is the session's own; no sentence is written for numbers it has
 * not seen.  The text comes out as paragraphs through a callback; the
 * caller wraps them to its width.  Curses-free: the batch tour links it.
 *
 * The caller must not call it while a session step runs (its results are
 * being rebuilt): the workbench reads results only through
 * cf_tsess_results() (sess.h), which is NULL then.
 */
#ifndef CF_TUI_TOURTEXT_H
#define CF_TUI_TOURTEXT_H

#include "core/session.h"

enum cf_tour_stage {
	CF_TOUR_MODELS = 0, /* the two networks */
	CF_TOUR_ACTS,       /* activations */
	CF_TOUR_ALIGN,      /* layer costs C and the alignment */
	CF_TOUR_CKA,        /* the same with CKA on activations */
	CF_TOUR_BALANCE,    /* balancing the depths */
	CF_TOUR_OT,         /* optimal transport, layer by layer */
	CF_TOUR_EVAL,       /* the fused network against the baselines */
	CF_TOUR_FINETUNE,   /* finetuning */
	CF_TOUR_END,        /* summary */
	CF_TOUR_BEYOND,     /* optional: the options beyond the published method */
	CF_TOUR_NSTAGES
};

typedef struct cf_tour_out {
	/* one paragraph of text (no trailing newline) */
	void (*say)(void *ud, const char *text);
	void *ud;
	/* 1: the workbench, the text may point at its screens; 0: printed */
	int screens;
	/* CF_TOUR_OT on the workbench: the fusion layer shown (0-based); the
	 * printed tour passes -1 and prints the table of every layer */
	int layer;
	/* how the alignment's cells of C are marked ("[bracketed]") */
	const char *marks;
	/* the workbench shows plans in matching order (o) */
	int sorted;
	/* CF_TOUR_BEYOND: the fused accuracy of the published method, taken
	 * before the options were switched on (the session then holds only
	 * the new one); NaN when unknown */
	double published_acc;
} cf_tour_out;

/* "3/9 Layer costs, alignment": the stage's numbered title. */
const char *cf_tour_title(int stage);

/* The options CF_TOUR_BEYOND switches on: parameter and value, ended by a
 * NULL name.  "Off" is each parameter's default (the published method). */
typedef struct cf_tour_option {
	const char *param, *value;
} cf_tour_option;
extern const cf_tour_option cf_tour_beyond[];

/* The stage's text for session s (models i0/i1 as cf_session_pair). */
void cf_tour_text(const cf_session *s, int stage, const cf_tour_out *o);

/* The relation of acc to the parents' accuracies a and b: "below both
 * parents", "above both parents" or "between the two parents". */
const char *cf_tour_versus(double acc, double a, double b);

/* The most and the fewest columns one row of the layer's plan T reaches
 * (entries above 1e-12 of the row's largest): 1 and 1 for a permutation.
 * 0 and 0 without a plan. */
void cf_tour_plan_reach(const cf_fusion_layer *fl, int64_t *most, int64_t *fewest);

/* The depth (units) of a net and its widths "400-200-10" into buf. */
int cf_tour_widths(const cf_net *net, char *buf, size_t size);

#endif
