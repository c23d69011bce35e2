/* fusion.h — layer-wise optimal-transport fusion of two networks of the
 * same depth (OTFusion, share/doc/method.md §5), advanced one weight layer at a
 * time, and the baselines it is compared with (§5.9).
 *
 * Model 0 is transported onto model 1: for each weight layer ℓ, with the
 * corrected map T̃_{ℓ−1} of the layer before (none at the first layer),
 *
 *     Ŵ0 = W0 · T̃_{ℓ−1}          (per kernel tap, per flattened position)
 *     M  = ground cost between the layer's neurons (activations or weights)
 *     T  = OT(μ, ν, M);   T̃_ij = T_ij / (Σ_i T_ij + ε)      (correction)
 *     W_F = (1 − s) · T̃ᵀ Ŵ0 + s · W1
 *
 * with ResNet shortcuts handled from the weight layers' roles (§5.6): a
 * projection shortcut takes its block's input map, and the layer after it
 * the mean of the shortcut's and conv2's maps (with residual_tied, the
 * layers adding into one residual stream share one plan instead, so that
 * the map is the same for all of them).  The fused network has
 * model 1's architecture; its weights are written layer by layer, so a
 * viewer can watch the fusion advance (INITIALIZE / ITERATE / TEST:
 * cf_fusion_alloc, cf_fusion_step, cf_fusion_done).
 *
 * Main design choice: every per-layer result (M, T, T̃, the incoming map
 * actually used, Ŵ0's transport T̃ᵀŴ0, solver status and times) is kept,
 * and each layer's incoming map depends only on layers before it, so
 * changing the parameters of layer ℓ re-solves layers ℓ.. only
 * (cf_fusion_rewind).  Weights are float32 as in the networks; costs and
 * plans are double; T̃ is float32 (as the reference uses it).
 */
#ifndef CF_FUSION_H
#define CF_FUSION_H

#include <stdint.h>

#include "acts.h"
#include "data.h"
#include "error.h"
#include "ground.h"
#include "net.h"
#include "ot.h"
#include "progress.h"

typedef enum cf_fusion_mode {
	CF_FUSION_ACTS = 0,   /* neurons compared by their activations (default) */
	CF_FUSION_WTS = 1     /* neurons compared by their (incoming-aligned) weights */
} cf_fusion_mode;

typedef enum cf_fusion_marginals {
	CF_MARGINALS_UNIFORM = 0,  /* 1/n (default) */
	CF_MARGINALS_L1,           /* ∝ ‖incoming weights of the neuron‖₁ + 1e-9 */
	CF_MARGINALS_L2            /* ∝ ‖…‖₂ + 1e-9 (never for the output layer) */
} cf_fusion_marginals;

/* Parameters of one layer (every layer may have its own). */
typedef struct cf_fusion_params {
	int mode;              /* cf_fusion_mode, default ACTS */
	int metric;            /* cf_ground_metric, default EUCLIDEAN (not squared) */
	int norm;              /* cf_ground_norm, default NONE */
	int direct;            /* ground cost by exact difference sums (default 0: GEMM) */
	int normalize_wts;     /* wts mode: rows / (‖row‖₂ + 1e-9) before the cost */
	int solver;            /* cf_ot_kind, default CF_OT_EXACT */
	double reg;            /* entropic ε (absolute), default 0.01 */
	double reg_m;          /* unbalanced marginal penalty, default 1e-3 */
	int64_t max_iter;      /* 0 = the solver's default */
	int marginals;         /* cf_fusion_marginals, default UNIFORM */
	int correction;        /* divide T by its column mass (default 1) */
	double eps;            /* ε of the correction, default 1e-7 */
	int past_correction;   /* transport the incoming-aligned Ŵ0 (default 1) */
	double step;           /* s: weight of model 1, default 0.5 */
	int output_plan;       /* output layer: own plan (1, default) or plain
				  (1−s)Ŵ0 + sW1 (0, the reference's --skip-last-layer) */
	int width_aware;       /* beyond the method: the incoming map with its rows
				  normalised to sum 1, so a transported neuron
				  keeps its scale when model 0's layer is narrower
				  or wider than model 1's (default 0: T̃ as is) */
	int residual_tied;     /* beyond the method: every layer that writes into
				  one residual stream (the stream's input layer,
				  each identity block's conv2, a projection
				  block's conv2 and shortcut) uses one plan, so
				  the stream keeps one channel order (default 0:
				  a plan per layer) */
} cf_fusion_params;

/* The defaults above (the paper's experiments, share/doc/method.md). */
void cf_fusion_params_default(cf_fusion_params *p);

/* Names: "acts", "wts"; "uniform", "l1", "l2". */
extern const char *const cf_fusion_mode_names[]; /* names.h */
extern const char *const cf_fusion_marginals_names[];

/* What fusing one weight layer produced.  Arrays are owned by the fusion
 * and valid until the layer is rewound or the fusion freed. */
typedef struct cf_fusion_layer {
	int done;
	char name[CF_NET_NAME_MAX];   /* model 1's module name */
	int64_t n0, n1;               /* neurons of model 0 / model 1 */
	int64_t taps;                 /* values per input channel (kernel taps) */
	double *M;                    /* n0×n1 ground cost (NULL: no plan computed) */
	double *plan;                 /* n0×n1 transport plan T (NULL: no plan) */
	float *Tc;                    /* n0×n1 corrected map T̃ (NULL: no plan) */
	float *tin;                   /* incoming map used, tin_rows×tin_cols (NULL: none) */
	int64_t tin_rows, tin_cols;
	float *w0t;                   /* T̃ᵀŴ0, n1 × (in1·taps): model 0 transported */
	cf_ot_result ot;              /* solver status, cost, iterations, message, time */
	double trace_ratio;           /* trace(T̃)/ΣT̃: 1 for the identity matching */
	double time_ground, time;     /* seconds: ground cost; whole layer */
	cf_fusion_params par;         /* the parameters it was fused with */
	int tied_to;                  /* residual_tied: the layer (0-based) whose
					 plan this one reuses; -1 when it has
					 its own (a stream's head, or untied) */
} cf_fusion_layer;

typedef struct cf_fusion cf_fusion;

/* INITIALIZE: check that net0 and net1 have the same depth and structure
 * (weight layers of the same kind, kernel, stride and role, and the same
 * number of classes) and, in acts mode, that a0 and a1 are recordings of
 * them on the same samples (they may be NULL when every layer uses wts).
 * The networks and recordings are borrowed and must outlive the fusion;
 * the fused network (a copy of net1) is owned by it.  Every layer starts
 * with `par`.  Errors (CF_EINVAL) name the first mismatching layer. */
int cf_fusion_alloc(const cf_net *net0, const cf_net *net1, const cf_activations *a0,
		    const cf_activations *a1, const cf_fusion_params *par, cf_fusion **out,
		    cf_error *err);
void cf_fusion_free(cf_fusion *f);

/* Parameters of layer l (0-based); l = -1 sets every layer.  Does not
 * rewind: call cf_fusion_rewind(f, l) to re-fuse from l.  CF_EINVAL for a
 * layer out of range or a value out of range (naming it). */
int cf_fusion_set_params(cf_fusion *f, int l, const cf_fusion_params *par, cf_error *err);

/* Model 0 transported onto model 1 (the aligned model): a new network
 * (*out, free with cf_net_free) of the fused network's architecture whose
 * layer ℓ holds T̃ᵀŴ0 and bias T̃ᵀb0 (b0 itself without a plan; zero when
 * model 0 has no bias) — what the fused network is with fusion.step 0.
 * CF_EINVAL until every layer is fused; CF_ENOMEM. */
int cf_fusion_aligned_net(const cf_fusion *f, cf_net **out, cf_error *err);

/* ITERATE: fuse the next layer.  On error (a solver failure, a stop
 * request: CF_ESTOPPED) the layer stays undone and the fusion can be
 * stepped again.  CF_EINVAL when already done. */
int cf_fusion_step(cf_fusion *f, const cf_progress *prog, cf_error *err);
/* All remaining layers. */
int cf_fusion_run(cf_fusion *f, const cf_progress *prog, cf_error *err);

/* TEST: nonzero when every layer is fused. */
int cf_fusion_done(const cf_fusion *f);
/* The next layer to fuse (= number of fused layers), and the number of
 * layers. */
int cf_fusion_cursor(const cf_fusion *f);
int cf_fusion_nlayers(const cf_fusion *f);

/* Forget layers l.. so that the next step re-fuses layer l.  Layers before
 * l keep their results.  No-op when l ≥ cursor. */
void cf_fusion_rewind(cf_fusion *f, int l);

/* Results of layer l (0-based), or NULL when out of range. */
const cf_fusion_layer *cf_fusion_layer_at(const cf_fusion *f, int l);

/* The fused network (owned by the fusion; complete when done). */
cf_net *cf_fusion_net(cf_fusion *f);

/* ---- baselines (§5.9) ---------------------------------------------------- */

/* Plain weighted averaging of K ≥ 1 networks of one architecture: every
 * parameter (and buffer) Σ w_i·p_i.  wts may be NULL (uniform 1/K).
 * CF_EINVAL names the first model whose architecture differs. */
int cf_fusion_average(const cf_net *const *nets, const double *wts, int K, cf_net **out,
		      cf_error *err);

/* Logits of net on every sample of d (d->n × classes, new array, free()),
 * evaluated batch at a time (batch 0 = 1000).  Errors as cf_evaluate. */
int cf_fusion_logits(cf_net *net, const cf_dataset *d, int batch, float **logits,
		     const cf_progress *prog, cf_error *err);

/* Accuracy (in [0,1]) of the prediction ensemble of K models from their
 * logits (d->n × nclasses each) on d: argmax of Σ w_i · log_softmax(logits_i); wts NULL = 1/K.
 * With K = 1, the model's own accuracy. */
double cf_fusion_ensemble_accuracy(const float *const *logits, const double *wts, int K,
				   int nclasses, const cf_dataset *d);

#endif
