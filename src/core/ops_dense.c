/* ops_dense.c — the element-wise and fully connected kernels: Linear
 * (PyTorch layout, W is out×in), ReLU, softmax cross-entropy and axpy.
 *
 * Design choice: the linear layer never copies or transposes a matrix; the
 * three products of forward and backward are single cblas_sgemm calls whose
 * transpose flags read W and the activations where they lie.  The other
 * loops go through restrict-parameter helpers with no branches on the data
 * (ops_vec.h) so that gcc -O2 vectorises them.
 */
#include "ops.h"
#include "ops_vec.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

void cf_linear_forward(const float *x, int64_t N, int in, int out,
		       const float *W, const float *b, float *y)
{
	if (N <= 0)
		return;
	float beta = 0.0f;
	if (b) {
		for (int64_t n = 0; n < N; ++n)
			memcpy(y + n * out, b, sizeof(float) * (size_t)out);
		beta = 1.0f;
	}
	/* y = x · Wᵀ (+ y holding the bias) */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, out, in, 1.0f, x, in, W,
		    in, beta, y, out);
}

void cf_linear_backward(const float *x, const float *dy, int64_t N, int in, int out,
			const float *W, float *dx, float *dW, float *db)
{
	if (N <= 0)
		return;
	/* dx = dy · W */
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, in, out, 1.0f, dy,
			    out, W, in, 0.0f, dx, in);
	/* dW += dyᵀ · x */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, (int)N, 1.0f, dy, out, x,
		    in, 1.0f, dW, in);
	if (db) {
		for (int64_t n = 0; n < N; ++n)
			cf_vec_add(db, dy + n * out, out);
	}
}

/* ReLU comes in out-of-place (ops_vec.h) and in-place forms, so that every
 * pointer can be restrict and both vectorise. */
static void relu_inplace(float *restrict y, int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j) {
			const float v = y[i + j];
			y[i + j] = v > 0.0f ? v : 0.0f;
		}
	for (; i < n; ++i) {
		const float v = y[i];
		y[i] = v > 0.0f ? v : 0.0f;
	}
}

static void relu_mask_inplace(float *restrict d, const float *restrict y, int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j) {
			const float v = d[i + j];
			d[i + j] = y[i + j] > 0.0f ? v : 0.0f;
		}
	for (; i < n; ++i) {
		const float v = d[i];
		d[i] = y[i] > 0.0f ? v : 0.0f;
	}
}

void cf_relu_forward(const float *x, int64_t n, float *y)
{
	if (x == y)
		relu_inplace(y, n);
	else
		cf_vec_relu(y, x, n);
}

void cf_relu_backward(const float *y, const float *dy, int64_t n, float *dx)
{
	if (dx == dy)
		relu_mask_inplace(dx, y, n);
	else
		cf_vec_relu_mask(dx, y, dy, n);
}

double cf_softmax_xent(const float *logits, const int32_t *labels, int64_t N, int k,
		       float *dlogits)
{
	if (N <= 0 || k <= 0)
		return 0.0;
	double total = 0.0;
	const float inv_n = 1.0f / (float)N;
	for (int64_t n = 0; n < N; ++n) {
		const float *z = logits + n * k;
		float m = z[0];
		for (int j = 1; j < k; ++j)
			m = z[j] > m ? z[j] : m;
		double se = 0.0;
		for (int j = 0; j < k; ++j)
			se += exp((double)z[j] - m);
		const int32_t lab = labels[n];
		/* An out-of-range label poisons the loss instead of reading past
		 * the row; the caller validated labels, so this is a safety net. */
		if (lab < 0 || lab >= k) {
			total = NAN;
			if (dlogits)
				for (int j = 0; j < k; ++j)
					dlogits[n * k + j] = NAN;
			continue;
		}
		const double lse = log(se);
		total += lse - ((double)z[lab] - m);
		if (dlogits) {
			float *restrict d = dlogits + n * k;
			const double inv_se = 1.0 / se;
			for (int j = 0; j < k; ++j)
				d[j] = (float)(exp((double)z[j] - m) * inv_se) * inv_n;
			d[lab] -= inv_n;
		}
	}
	return total / (double)N;
}

void cf_axpy(int64_t n, float alpha, const float *x, float *y)
{
	cf_vec_axpy(y, alpha, x, n);
}
