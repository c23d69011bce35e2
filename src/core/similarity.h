/* similarity.h — how alike two layers are: the layer costs of cross-layer
 * alignment (share/doc/method.md §3.1–3.2).
 *
 * A layer is seen through a representation: its 1-based index (`index`
 * measure), its width (`neuron`), or its activation matrix on N samples
 * (`activation`, N × F, one row per sample, F = neurons or C·H·W).
 * Scalars are compared by the squared difference; activation matrices by
 * linear CKA (biased or debiased estimator) or by the mean squared canonical
 * correlation (CCA).  The `wd` cost needs the OT core and lives with it.
 *
 * Main design choice: everything is computed in double from float32 or
 * double inputs, and the work that depends on one layer only (its centred
 * Gram matrix for CKA, an orthonormal basis of its column space for CCA) is
 * done once per layer by a `cf_sim_layer` and reused for every partner
 * layer, so an m × n cost matrix costs m + n factorisations and m·n cheap
 * products.  Gram matrices are built by blocks of columns with dsyrk, so a
 * wide conv layer (F ≫ N) is never copied to double as a whole.
 *
 * Indices here are 0-based (C arrays); the layer cost matrix C is m × n,
 * row-major, C[i*n + j] = cost(model-0 layer i+1, model-1 layer j+1), as in
 * §3.2.
 */
#ifndef CF_SIMILARITY_H
#define CF_SIMILARITY_H

#include <stdint.h>

#include "error.h"
#include "progress.h"

/* A read-only view of an N × F matrix of activations: row r (sample r)
 * starts at element r*ld.  Views never own their data. */
typedef enum cf_sim_dtype { CF_SIM_F32 = 0, CF_SIM_F64 = 1 } cf_sim_dtype;

typedef struct cf_sim_matrix {
	const void *data;
	cf_sim_dtype dtype;
	int64_t rows;   /* N, samples */
	int64_t cols;   /* F, features */
	int64_t ld;     /* row stride in elements; 0 means cols */
} cf_sim_matrix;

static inline cf_sim_matrix cf_sim_matrix_f32(const float *p, int64_t rows, int64_t cols)
{
	cf_sim_matrix m = { p, CF_SIM_F32, rows, cols, cols };
	return m;
}

static inline cf_sim_matrix cf_sim_matrix_f64(const double *p, int64_t rows, int64_t cols)
{
	cf_sim_matrix m = { p, CF_SIM_F64, rows, cols, cols };
	return m;
}

/* The layer costs of §3.2 on activation matrices. */
typedef enum cf_sim_metric {
	CF_SIM_CKA = 0,        /* cost 1 − CKA, linear kernel */
	CF_SIM_CCA = 1         /* cost 1 − mean squared canonical correlation */
} cf_sim_metric;

typedef enum cf_sim_cka_estimator {
	CF_SIM_CKA_BIASED = 0,   /* HSIC_0 = tr(HKH·HLH): the reference's estimator */
	CF_SIM_CKA_DEBIASED = 1  /* HSIC_1, the unbiased U-statistic of Song et al.
				  * (2012), as used by Nguyen et al. (2021); needs N ≥ 4 */
} cf_sim_cka_estimator;

typedef struct cf_sim_options {
	cf_sim_metric metric;
	cf_sim_cka_estimator estimator;  /* CKA only */
	int cca_centre;                  /* CCA only: 1 = subtract the per-feature
					  * sample mean first; 0 (default) = uncentred,
					  * as the reference computes it */
} cf_sim_options;

/* Defaults: CKA, biased estimator, CCA uncentred (the reference's choices). */
cf_sim_options cf_sim_options_default(void);

/* Names as used by parameters: "cka", "cca"; "biased", "debiased".
 * Return CF_EINVAL with a message listing the accepted names. */
int cf_sim_metric_parse(const char *name, cf_sim_metric *out, cf_error *err);
extern const char *const cf_sim_estimator_names[]; /* names.h */
int cf_sim_estimator_parse(const char *name, cf_sim_cka_estimator *out, cf_error *err);
const char *cf_sim_estimator_name(cf_sim_cka_estimator e);

/* ---- scalars: the `index` and `neuron` measures ---------------------- */

/* (x − y)², the `euclidean` layer cost of §3.2. */
double cf_sim_euclidean(double x, double y);

/* C[i*n + j] = (x[i] − y[j])² for an m × n cost matrix.  For the `index`
 * measure pass x = 1..m and y = 1..n (every hidden layer, not the
 * reference's off-by-one 1..m−1); for `neuron` pass the widths.
 * CF_EINVAL on m, n < 1 or a non-finite value. */
int cf_sim_euclidean_costs(const double *x, int m, const double *y, int n, double *C,
			   cf_error *err);

/* ---- one layer, prepared for comparisons ------------------------------ */

typedef struct cf_sim_layer cf_sim_layer;

/* Prepare layer X for the metric in `opt`: for CKA its N × N centred Gram
 * matrix (HKH for the biased estimator; the U-centred matrix with zero
 * diagonal for the debiased one), for CCA an orthonormal basis of its
 * (optionally centred) column space from a column-pivoted Householder QR,
 * with numerical rank r (|R_kk| > |R_11|·max(N,F)·DBL_EPSILON).
 * The layer does not keep a reference to X.  Errors (CF_EINVAL): empty X;
 * debiased CKA with N < 4; CCA with more features than samples (F > N: the
 * column space then fills R^N and CCA says nothing); CF_EFAILED when X is
 * constant over the samples (CKA is 0/0) or all zero (CCA has no basis);
 * CF_ENOMEM.  CCA reports progress per QR column (progress may be NULL) and
 * returns CF_ESTOPPED when asked to stop.  On success *out owns the result;
 * free with cf_sim_layer_free. */
int cf_sim_layer_new(const cf_sim_matrix *X, const cf_sim_options *opt, cf_sim_layer **out,
		     const cf_progress *progress, cf_error *err);
void cf_sim_layer_free(cf_sim_layer *l);

/* For CCA the numerical rank of the layer's basis (for CKA: F). */
int64_t cf_sim_layer_rank(const cf_sim_layer *l);

/* For CKA layers: the N × N centred Gram matrix (row-major, owned by the
 * layer), or NULL for CCA layers.  Used by tests and viewers. */
const double *cf_sim_layer_gram(const cf_sim_layer *l);

/* Similarity of two prepared layers (prepared with the same options and on
 * the same N samples): CKA in [0,1] (the debiased CKA may be slightly
 * negative), or the mean squared canonical correlation
 * ‖U_xᵀU_y‖²_F / min(r_x, r_y) in [0,1]; for full-rank layers r = F and this
 * is exactly the reference's ‖Q_xᵀQ_y‖²_F / min(F_x, F_y).
 * CF_EINVAL when the samples or options differ. */
int cf_sim_layer_compare(const cf_sim_layer *a, const cf_sim_layer *b, double *sim,
			 cf_error *err);

/* ---- one pair, directly ------------------------------------------------ */

/* Linear CKA of X (N×p) and Y (N×q).  For the biased estimator with
 * p, q < N the feature-space form ‖X̄ᵀȲ‖²_F / (‖X̄ᵀX̄‖_F ‖ȲᵀȲ‖_F) on
 * column-centred X̄, Ȳ is used (O(N p q)); otherwise Gram matrices (O(N²(p+q))).
 * Errors as cf_sim_layer_new, plus CF_EINVAL when the sample counts differ. */
int cf_sim_cka(const cf_sim_matrix *X, const cf_sim_matrix *Y, cf_sim_cka_estimator est,
	       double *cka, cf_error *err);

/* Mean squared canonical correlation of X (N×p) and Y (N×q), p, q ≤ N,
 * optionally after centring each feature (centre = 1).  Progress and stop
 * as cf_sim_layer_new (progress may be NULL). */
int cf_sim_cca(const cf_sim_matrix *X, const cf_sim_matrix *Y, int centre, double *cca,
	       const cf_progress *progress, cf_error *err);

/* ---- the whole layer cost matrix -------------------------------------- */

/* C[i*n + j] = 1 − sim(xs[i], ys[j]) for m layers of model 0 and n layers of
 * model 1 (all on the same N samples).  Each layer is prepared once; memory
 * is n + 1 prepared layers.  Progress is reported per model-0 layer; a stop
 * request returns CF_ESTOPPED.  Errors name the layer ("model 0 layer 3:
 * ...", 1-based).  C is written only on success. */
int cf_sim_cost_matrix(const cf_sim_matrix *xs, int m, const cf_sim_matrix *ys, int n,
		       const cf_sim_options *opt, double *C, const cf_progress *progress,
		       cf_error *err);

#endif
