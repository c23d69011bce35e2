/* relu_approx.h — the ReLU approximations used when layers of the deeper
 * model are merged (share/doc/method.md §4.2, "merge" balancing).
 *
 * A hidden layer that is folded into the next one loses its ReLU; it is
 * replaced by a diagonal D_l = diag(d_l) estimated from the layer's
 * PRE-activations Z_l (N samples × width, float32, as recorded by the
 * activation step of the ORIGINAL unmerged model 0, "decisive detail" 2).
 * The merge itself (products of weight matrices) belongs to balancing; this
 * module only computes d_l.
 */
#ifndef CF_RELU_APPROX_H
#define CF_RELU_APPROX_H

#include <stdint.h>

#include "error.h"

typedef enum cf_relu_approx {
	CF_RELU_SUM = 0,      /* d_i = 1 if Σ_s Z[s][i] ≥ 0, else 0 (default) */
	CF_RELU_MAJORITY = 1, /* d_i = 1 if (#samples with Z > 0)/N ≥ 0.5, else 0 */
	CF_RELU_AVG = 2       /* d_i = (#samples with Z > 0)/N, in [0,1] */
} cf_relu_approx;

/* "sum", "majority", "avg" ↔ cf_relu_approx; CF_EINVAL lists the names. */
extern const char *const cf_relu_approx_names[]; /* names.h */
int cf_relu_approx_parse(const char *name, cf_relu_approx *out, cf_error *err);
const char *cf_relu_approx_name(cf_relu_approx a);

/* d[0..width-1] from Z (N × width, row-major, sample-major, float32).  Sums
 * are accumulated in double; `majority` compares counts exactly (2·count ≥
 * N).  Errors (CF_EINVAL): N < 1, width < 1, a non-finite value in Z
 * (naming sample and neuron), an unknown method. */
int cf_relu_approx_mask(const float *Z, int64_t N, int64_t width, cf_relu_approx method,
			double *d, cf_error *err);

#endif
