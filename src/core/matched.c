/* matched.c — two matched neurons' activations and their correlation
 * (matched.h). */
#include "matched.h"

#include <math.h>

double cf_pearson(const double *x, const double *y, int64_t n)
{
	double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
	if (n < 2)
		return NAN;
	for (int64_t k = 0; k < n; k++) {
		mx += x[k];
		my += y[k];
	}
	mx /= (double)n;
	my /= (double)n;
	for (int64_t k = 0; k < n; k++) {
		double dx = x[k] - mx, dy = y[k] - my;
		sxx += dx * dx;
		syy += dy * dy;
		sxy += dx * dy;
	}
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

/* neuron c of layer l, one value per sample (mean over positions) */
static void neuron_values(const cf_tensor *t, int64_t c, double *out)
{
	int64_t N = t->shape[0], C = t->shape[1], hw = t->size / (N * C);
	for (int64_t s = 0; s < N; s++) {
		const float *p = t->data + (s * C + c) * hw;
		double sum = 0;
		for (int64_t q = 0; q < hw; q++)
			sum += p[q];
		out[s] = sum / (double)hw;
	}
}

int cf_matched_neurons(const double *plan, int64_t n0, int64_t n1, const cf_activations *a0,
		       const cf_activations *a1, int l, int64_t j, double *x1, double *x0,
		       int64_t *i, double *corr, cf_error *err)
{
	const cf_tensor *t0, *t1;
	int64_t best = 0;

	if (!plan || !a0 || !a1)
		return cf_error_set(err, CF_EINVAL, "matched neurons: no plan or no recordings");
	if (l < 0 || l >= a0->n || l >= a1->n)
		return cf_error_set(err, CF_EINVAL, "matched neurons: layer %d of %d", l + 1,
				    a0->n < a1->n ? a0->n : a1->n);
	t0 = a0->a[l];
	t1 = a1->a[l];
	if (t0->shape[1] != n0 || t1->shape[1] != n1)
		return cf_error_set(err, CF_EINVAL, "matched neurons: the plan is %lldx%lld, the "
				    "layer's widths %lld and %lld", (long long)n0, (long long)n1,
				    (long long)t0->shape[1], (long long)t1->shape[1]);
	if (t0->shape[0] != t1->shape[0])
		return cf_error_set(err, CF_EINVAL, "matched neurons: %lld samples against %lld",
				    (long long)t0->shape[0], (long long)t1->shape[0]);
	if (j < 0 || j >= n1)
		return cf_error_set(err, CF_EINVAL, "matched neurons: neuron %lld of model 1 is out "
				    "of range 0..%lld", (long long)j, (long long)n1 - 1);
	for (int64_t r = 1; r < n0; r++)
		if (plan[r * n1 + j] > plan[best * n1 + j])
			best = r;
	neuron_values(t1, j, x1);
	neuron_values(t0, best, x0);
	*i = best;
	*corr = cf_pearson(x1, x0, t0->shape[0]);
	return CF_OK;
}
