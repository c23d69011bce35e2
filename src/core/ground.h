/* ground.h — ground costs between two sets of points (rows of X and Y).
 *
 * M_ij = d(X_i, Y_j) for squared Euclidean, Euclidean or cosine distance,
 * computed through one GEMM (‖x‖² + ‖y‖² − 2 x·y, clamped at 0) or, when
 * asked, by the exact direct sum Σ_d (x_d − y_d)², and then optionally
 * normalised.  Results are never NaN: for cosine, a zero vector is at
 * distance 1 from every non-zero vector and at distance 0 from another zero
 * vector (documented in share/doc/ot.md).
 */
#ifndef CF_GROUND_H
#define CF_GROUND_H

#include <stdint.h>

#include "error.h"

typedef enum cf_ground_metric {
	CF_GROUND_SQEUCLIDEAN = 0,
	CF_GROUND_EUCLIDEAN,
	CF_GROUND_COSINE
} cf_ground_metric;

typedef enum cf_ground_norm {
	CF_GROUND_NORM_NONE = 0,
	CF_GROUND_NORM_MAX,     /* M / max(M) */
	CF_GROUND_NORM_MEDIAN,  /* M / median(M) (lower median, as torch) */
	CF_GROUND_NORM_MEAN,    /* M / mean(M) */
	CF_GROUND_NORM_LOG1P    /* log(1 + M) */
} cf_ground_norm;

/* M (n×m, row-major, caller-allocated) = metric between the rows of X
 * (n×d) and Y (m×d), both row-major double.  `direct` = 1 computes the
 * Euclidean forms by the exact difference sum instead of GEMM (slower, no
 * cancellation).  Errors: CF_EINVAL for empty sizes, NULL arrays, non-finite
 * input (naming the row); CF_ENOMEM. */
int cf_ground_cost(const double *X, int64_t n, const double *Y, int64_t m, int64_t d,
		   cf_ground_metric metric, int direct, double *M, cf_error *err);

/* The same for float32 inputs (activations are float32); computed in
 * double. */
int cf_ground_cost_f(const float *X, int64_t n, const float *Y, int64_t m, int64_t d,
		     cf_ground_metric metric, int direct, double *M, cf_error *err);

/* Normalise M (count entries) in place.  `divisor` (may be NULL) receives
 * the value divided by (1 for none/log1p).  When the divisor is not > 0 (e.g.
 * an all-zero M) M is left unchanged and *divisor = 1.  log1p needs M ≥ 0.
 * CF_EINVAL for non-finite or (log1p) negative entries, CF_ENOMEM. */
int cf_ground_normalize(double *M, int64_t count, cf_ground_norm norm, double *divisor,
			cf_error *err);

/* *median = the lower median of the count ≥ 1 entries of M (the
 * ((count - 1) / 2)-th smallest, as torch.median), found on a copy: M is
 * unchanged.  Returns CF_OK or CF_ENOMEM; it fills no error record, so the
 * caller says what the median was for. */
int cf_ground_median(const double *M, int64_t count, double *median);

/* Names "sqeuclidean", "euclidean", "cosine"; "none", "max", "median",
 * "mean", "log1p".  Parse functions return -1 for an unknown name. */
extern const char *const cf_ground_metric_names[]; /* names.h */
extern const char *const cf_ground_norm_names[];
int cf_ground_metric_parse(const char *name);
int cf_ground_norm_parse(const char *name);

#endif
