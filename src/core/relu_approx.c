/* relu_approx.c — diagonal approximations of ReLU from pre-activations
 * (see relu_approx.h).  One pass over Z, row by row, so the float32
 * activation matrix is read in memory order. */
#include "relu_approx.h"
#include "names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cf_relu_approx_names[] = { "sum", "majority", "avg", NULL };

int cf_relu_approx_parse(const char *name, cf_relu_approx *out, cf_error *err)
{
	int k = cf_names_find(cf_relu_approx_names, name);
	if (k < 0)
		return cf_error_set(err, CF_EINVAL,
				    "unknown ReLU approximation '%s': expected sum, majority or avg",
				    name ? name : "(null)");
	*out = (cf_relu_approx)k;
	return CF_OK;
}

const char *cf_relu_approx_name(cf_relu_approx a)
{
	return cf_names_at(cf_relu_approx_names, (int)a);
}

int cf_relu_approx_mask(const float *Z, int64_t N, int64_t width, cf_relu_approx method,
			double *d, cf_error *err)
{
	double *acc;

	if (N < 1 || width < 1)
		return cf_error_set(err, CF_EINVAL,
				    "ReLU approximation: need at least one sample and one neuron "
				    "(got N = %lld, width = %lld)", (long long)N, (long long)width);
	if (method != CF_RELU_SUM && method != CF_RELU_MAJORITY && method != CF_RELU_AVG)
		return cf_error_set(err, CF_EINVAL, "ReLU approximation: unknown method %d",
				    (int)method);
	acc = calloc((size_t)width, sizeof *acc);
	if (!acc)
		return cf_error_set(err, CF_ENOMEM, "ReLU approximation: out of memory");
	for (int64_t s = 0; s < N; s++) {
		const float *z = Z + s * width;
		for (int64_t i = 0; i < width; i++) {
			if (!isfinite(z[i])) {
				free(acc);
				return cf_error_set(err, CF_EINVAL,
						    "ReLU approximation: pre-activation of sample "
						    "%lld, neuron %lld is not finite", (long long)s + 1,
						    (long long)i + 1);
			}
			if (method == CF_RELU_SUM)
				acc[i] += z[i];
			else if (z[i] > 0.0f)
				acc[i] += 1.0;
		}
	}
	for (int64_t i = 0; i < width; i++) {
		switch (method) {
		case CF_RELU_SUM: d[i] = acc[i] >= 0.0 ? 1.0 : 0.0; break;
		case CF_RELU_MAJORITY: d[i] = 2.0 * acc[i] >= (double)N ? 1.0 : 0.0; break;
		default: d[i] = acc[i] / (double)N; break;
		}
	}
	free(acc);
	return CF_OK;
}
