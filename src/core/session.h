/* session.h — the fusion session: two or more models, a data set, named
 * parameters and every intermediate result of the pipeline
 *
 *   activations → layer costs C → alignment map → balanced models
 *     → per layer: ground cost Mℓ, plan Tℓ, aligned weights → fused model
 *     → evaluation → finetuning
 *
 * Each step can be run on its own (running the stale steps before it
 * first), inspected, and re-run.  Changing a parameter marks the step it
 * belongs to and every later step stale; a per-layer override (e.g.
 * ot.solver for layer 3) marks the fusion stale from that layer only, so
 * re-running re-solves that layer and the ones after it.  A step that fails
 * keeps the results it had and is marked failed with its message.  The
 * REPL, Lua, the TUI and `clafuse fuse` all drive this one object.
 *
 * Model 0 is the deeper of the first two models (more weight layers; the
 * first given on a tie), model 1 the other; with more than two models the
 * fusion step folds the others in (parameter fusion.multi: `iterative`
 * fuses each into the running result, `many-to-one` transports each onto
 * model 0 and averages).  Maps are 1-based as in cla.h.
 */
#ifndef CF_SESSION_H
#define CF_SESSION_H

#include <stdint.h>

#include "acts.h"
#include "data.h"
#include "error.h"
#include "fusion.h"
#include "net.h"
#include "progress.h"
#include "repair.h"
#include "session_params.h"
#include "train.h"

#define CF_SESSION_MAXMODELS 16

typedef enum cf_session_step {
	CF_STEP_ACTS = 0,   /* activation sample and recordings of the two models */
	CF_STEP_COSTS,      /* unit cost matrix C */
	CF_STEP_ALIGN,      /* alignment map */
	CF_STEP_BALANCE,    /* balanced pair (and its recordings) */
	CF_STEP_FUSE,       /* per-layer OT fusion → fused model */
	CF_STEP_EVAL,       /* accuracies on the test split */
	CF_STEP_FINETUNE,   /* finetuning of the fused model (finetune.epochs > 0) */
	CF_STEP_COUNT
} cf_session_step;

typedef enum cf_step_state {
	CF_STATE_STALE = 0, /* must be (re)computed before its results are current */
	CF_STATE_RUNNING,   /* in progress (the fusion: some layers done) */
	CF_STATE_FRESH,     /* results current */
	CF_STATE_FAILED,    /* the last run failed; previous results kept */
	CF_STATE_STOPPED,   /* the last run was stopped on request (not a failure):
	                       previous results kept, the next run redoes it */
	CF_STATE_COUNT
} cf_step_state;

const char *cf_session_step_name(int step);     /* "activations", "costs", ... */
int cf_session_step_parse(const char *name);    /* -1 if unknown */
const char *cf_step_state_name(int state);      /* "stale", "running", ..., "stopped" */

/* ---- parameters ------------------------------------------------------ */

typedef enum cf_param_type {
	CF_PARAM_INT, CF_PARAM_DOUBLE, CF_PARAM_BOOL, CF_PARAM_CHOICE, CF_PARAM_STRING
} cf_param_type;

/* Every parameter's index: CF_SP_OT_REG for "ot.reg", ... (the table is
 * session_params.h). */
typedef enum cf_session_param {
#define CF_SP_ENUM(id, ...) CF_SP_##id,
	CF_SESSION_PARAMS(CF_SP_ENUM)
#undef CF_SP_ENUM
	CF_SP_COUNT
} cf_session_param;

/* One row of the parameter table: the single source for validation, the
 * TUI's parameter view, completion and help. */
typedef struct cf_param_info {
	const char *name;         /* "ot.reg" */
	cf_param_type type;
	const char *def;          /* default, as text */
	double min, max;          /* INT / DOUBLE range (inclusive) */
	const char *const *names; /* CHOICE: the module's name table (names.h), else NULL */
	int step;                 /* first step a change makes stale */
	int per_layer;            /* may be overridden for one fusion layer */
	const char *help;
} cf_param_info;

/* fusion.multi's choices (more than two models). */
extern const char *const cf_session_multi_names[]; /* names.h */
enum { CF_SESSION_ITERATIVE = 0, CF_SESSION_MANY_TO_ONE };

/* The table (n rows).  Pointers are static. */
const cf_param_info *cf_session_params(int *n);
/* A row by name, or NULL. */
const cf_param_info *cf_session_param_info(const char *name);
/* A CHOICE's names as one text, "exact|emd|...", into buf ("" otherwise). */
const char *cf_session_param_choices(const cf_param_info *p, char *buf, int len);

typedef struct cf_session cf_session;

/* A new empty session with default parameters. */
int cf_session_new(cf_session **out, cf_error *err);
void cf_session_free(cf_session *s);

/* Set a parameter from text ("0.05", "sinkhorn", "true").  Validates the
 * name, the type and the range; on error the session is unchanged and the
 * message names the parameter and what is accepted.  A changed value marks
 * its step and every later step stale. */
int cf_session_set(cf_session *s, const char *name, const char *value, cf_error *err);
/* The current value as text into buf; CF_EINVAL for an unknown name. */
int cf_session_get(const cf_session *s, const char *name, char *buf, int len, cf_error *err);
/* Numeric value (INT/DOUBLE/BOOL; a CHOICE's index), NAN if unknown. */
double cf_session_get_num(const cf_session *s, const char *name);
/* The same by index, for code: cf_session_value(s, CF_SP_FINETUNE_EPOCHS).
 * A CHOICE's value is its module's enum value. */
double cf_session_value(const cf_session *s, cf_session_param id);

/* Override a per-layer parameter for fusion layer `layer` (1-based weight
 * layer of the balanced models); value NULL removes the override.  Marks the
 * fusion stale from that layer on.  Errors: not a per-layer parameter, a
 * bad value, layer < 1 (or beyond the balanced models once known). */
int cf_session_set_layer(cf_session *s, int layer, const char *name, const char *value,
			 cf_error *err);
/* The override's text into buf; returns 1 when layer has one, else 0. */
int cf_session_get_layer(const cf_session *s, int layer, const char *name, char *buf, int len);

/* ---- inputs ------------------------------------------------------------ */

/* Add a model (the session takes ownership of net, also on error, when it
 * frees it).  A model with BatchNorm is replaced by its BN-folded form
 * (cf_net_fold_bn: the same function in eval mode; the original is freed),
 * since the fusion works on BN-free models; folding errors carry the model's
 * name.  Checks it against the models already there: same input
 * size (c·h·w), same number of classes; and against the data set.
 * `name` (copied) labels it in reports (may be NULL: "model N").  Marks
 * every step stale. */
int cf_session_add_model(cf_session *s, cf_net *net, const char *name, cf_error *err);
/* Load a model file and add it (named by the path). */
int cf_session_load_model(cf_session *s, const char *path, cf_error *err);
/* The same with an architecture description for a file that has none
 * (cf_model_load's arch; NULL: the file's). */
int cf_session_load_model_arch(cf_session *s, const char *path, const char *arch,
			       cf_error *err);

/* The data: training split (activation samples, finetuning) and test
 * split (evaluation); the session takes ownership of both (also on error).
 * Checks that they fit every model (sample shape, labels within the
 * classes).  Marks every step stale. */
int cf_session_set_data(cf_session *s, cf_dataset *train, cf_dataset *test, cf_error *err);
/* Load both splits by name (cf_data_load spec, e.g. "fashion-mnist"),
 * normalised as the models expect: parameter data.norm when set, else what
 * the models state (norm.h; models that disagree are an error that names
 * both), else the data set's own statistics.  A run reloads the data when
 * that statement changed since (a model added, data.norm set), and refuses
 * data given as data sets (cf_session_set_data) normalised otherwise.  The
 * fused model states the normalisation it was built with. */
int cf_session_load_data(cf_session *s, const char *spec, cf_error *err);

enum cf_session_norm_from {
	CF_SESSION_NORM_DATA,   /* nothing stated it: the data set's own statistics */
	CF_SESSION_NORM_MODELS, /* the models' metadata */
	CF_SESSION_NORM_PARAM   /* parameter data.norm */
};
/* The normalisation of the data in use (NULL before any data) and, in
 * *from (may be NULL), who stated it. */
struct cf_norm;
const struct cf_norm *cf_session_norm(const cf_session *s, int *from);

/* Progress and stop requests for every step (copied; fn may be NULL). */
void cf_session_set_progress(cf_session *s, const cf_progress *p);

/* ---- running ----------------------------------------------------------- */

/* Run `step`, after every stale or failed step before it.  Fresh steps are
 * not recomputed.  On error the failing step is marked failed (previous
 * results kept) and its message returned. */
int cf_session_run(cf_session *s, int step, cf_error *err);
/* Everything up to evaluation (and finetuning when finetune.epochs > 0). */
int cf_session_run_all(cf_session *s, cf_error *err);
/* Fuse one more layer (running the steps before the fusion first).  When
 * the last layer is done the fusion step is fresh.  CF_OK with nothing done
 * when the fusion is already fresh. */
int cf_session_fuse_step(cf_session *s, cf_error *err);

int cf_session_state(const cf_session *s, int step);      /* cf_step_state */
int cf_session_runs(const cf_session *s, int step);       /* times computed */
double cf_session_time(const cf_session *s, int step);    /* seconds, last run */
const char *cf_session_error(const cf_session *s, int step); /* "" if none */
/* Layers solved by the fusion in total (counts re-solves). */
int64_t cf_session_layer_solves(const cf_session *s);

/* ---- results (owned by the session; valid until the step re-runs) ------ */

int cf_session_nmodels(const cf_session *s);
cf_net *cf_session_model(const cf_session *s, int i);
const char *cf_session_model_name(const cf_session *s, int i);
/* 1 when model i had BatchNorm that was folded into its convolutions when
 * it was added (cf_session_model is then the folded network), else 0. */
int cf_session_model_folded(const cf_session *s, int i);
/* How the reports mark such a model. */
#define CF_SESSION_FOLDED_NOTE "BatchNorm folded into the convolutions"
/* Indices (into the added models) of model 0 and model 1. */
void cf_session_pair(const cf_session *s, int *i0, int *i1);
const cf_dataset *cf_session_data(const cf_session *s, int train);

const cf_acts_sample *cf_session_sample(const cf_session *s);
/* Recording of model 0 / model 1 (which = 0, 1) on the sample. */
const cf_activations *cf_session_acts(const cf_session *s, int which);
/* The m × n unit cost matrix (NaN across stages), or NULL. */
const double *cf_session_costs(const cf_session *s, int *m, int *n);
/* The unit map (n entries) and the weight-layer map, or NULL. */
const int *cf_session_unit_map(const cf_session *s, int *n);
const int *cf_session_layer_map(const cf_session *s, int *n);
/* The balanced pair (which = 0, 1), or NULL; and which of the two was
 * rebuilt by balancing (-1 when the depths were equal). */
cf_net *cf_session_balanced(const cf_session *s, int which);
int cf_session_balanced_rebuilt(const cf_session *s);
/* Fusion results: layers of the (current) fusion, or NULL before one. */
int cf_session_fusion_layers(const cf_session *s);
int cf_session_fusion_cursor(const cf_session *s);
const cf_fusion_layer *cf_session_fusion_layer(const cf_session *s, int l);
/* The fused model once the fusion is done, else NULL. */
cf_net *cf_session_fused(const cf_session *s);
/* Fusion layer l's neuron j of model 1 and its match in model 0 (the row
 * of the plan's largest entry in column j, matched.h): their
 * pre-activations over the activation samples into x1 and x0 (N =
 * cf_session_matched_samples(s) values each), the match *i and the
 * correlation *corr.  plan: the fusion's own when NULL, else another plan
 * of the layer's shape (a re-solved one).  CF_EINVAL when the layer has no
 * plan yet or j is out of range. */
int cf_session_matched(const cf_session *s, int l, const double *plan, int64_t j, double *x1,
		       double *x0, int64_t *i, double *corr, cf_error *err);
/* Samples cf_session_matched gives (0 before the balance step). */
int64_t cf_session_matched_samples(const cf_session *s);
/* Model 0 transported onto model 1 by the pair's fusion (a new network for
 * the caller to free): model 1's architecture with, at every weight layer,
 * the transported weights T̃ᵀŴ0 and bias T̃ᵀb0 (zero when model 0 has
 * none) -- the fused model of fusion.step = 0.  *out is NULL (CF_OK)
 * until the fusion is done. */
int cf_session_aligned(const cf_session *s, cf_net **out, cf_error *err);
/* What fusion.repair did to the fused model (per weight layer: repaired,
 * std before relative to the target, deviation after), or NULL when the
 * fused model was not repaired. */
const cf_repair_report *cf_session_repair_report(const cf_session *s);

typedef struct cf_session_metrics {
	int have;                                 /* evaluation has run */
	double parent_acc[CF_SESSION_MAXMODELS];  /* each added model */
	double ensemble_acc;                      /* prediction ensemble of all models */
	double balanced_acc;                      /* the rebuilt balanced model (NAN if none) */
	double fused_acc, fused_loss;
	double average_acc;                       /* plain averaging when shapes agree, else NAN */
	double aligned_acc;                       /* eval.hybrids: model 0 aligned onto the
						   * fused shape (cf_session_aligned), else NAN */
} cf_session_metrics;
const cf_session_metrics *cf_session_metrics_get(const cf_session *s);
/* eval.hybrids, two models: acc[l] is the test accuracy of the fused model
 * with its weight layer l taken from the aligned model 0 (hybrid.h), for
 * *n layers; NULL (*n = 0) before the evaluation or without hybrids. */
const double *cf_session_hybrids(const cf_session *s, int *n);

typedef struct cf_session_finetune {
	int epochs;                 /* 0: not run */
	cf_epoch_result *res;       /* per epoch, fused model */
	double best_acc;            /* best test accuracy over the epochs */
	int best_epoch;
	int parents;                /* parents were finetuned too */
	double parent_best[CF_SESSION_MAXMODELS];
	cf_net *net;                /* the finetuned fused model (last epoch) */
} cf_session_finetune;
const cf_session_finetune *cf_session_finetune_get(const cf_session *s);

#endif
