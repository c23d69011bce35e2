/* test_ops_dense.c — Linear, ReLU, softmax cross-entropy and axpy kernels:
 * hand-computed forwards, finite-difference backwards, the accumulate /
 * overwrite contract of the gradients. */
#define _POSIX_C_SOURCE 200112L /* setenv */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "ops_check.h"

/* ---- Linear ---- */

struct lin_ctx {
	float *x, *W, *b, *y, *r;
	int64_t N;
	int in, out;
};

static double lin_loss(void *p)
{
	struct lin_ctx *c = p;
	cf_linear_forward(c->x, c->N, c->in, c->out, c->W, c->b, c->y);
	return oc_dot(c->r, c->y, c->N * c->out);
}

static void test_linear(void)
{
	/* y = x·Wᵀ + b with x = [1 2 3], W = [[1 0 −1], [2 1 0]], b = [0.5 −1]. */
	const float x[6] = {1, 2, 3, -1, 0, 4}, W[6] = {1, 0, -1, 2, 1, 0}, b[2] = {0.5f, -1};
	float y[4];
	cf_linear_forward(x, 2, 3, 2, W, b, y);
	ok(y[0] == -1.5f && y[1] == 3.0f && y[2] == -4.5f && y[3] == -3.0f,
	   "linear forward by hand: [%g %g; %g %g] = [-1.5 3; -4.5 -3]", y[0], y[1], y[2], y[3]);
	cf_linear_forward(x, 2, 3, 2, W, NULL, y);
	ok(y[0] == -2.0f && y[1] == 4.0f && y[2] == -5.0f && y[3] == -2.0f,
	   "linear forward without bias: [%g %g; %g %g] = [-2 4; -5 -2]", y[0], y[1], y[2], y[3]);

	enum { N = 3, IN = 5, OUT = 4 };
	float xs[N * IN], Ws[OUT * IN], bs[OUT], ys[N * OUT], r[N * OUT];
	float dx[N * IN], dW[OUT * IN], db[OUT];
	oc_seed(1);
	oc_fill(xs, N * IN, -1, 1);
	oc_fill(Ws, OUT * IN, -1, 1);
	oc_fill(bs, OUT, -1, 1);
	oc_fill(r, N * OUT, -1, 1);
	memset(dW, 0, sizeof dW);
	memset(db, 0, sizeof db);
	/* dL/dy = r */
	cf_linear_backward(xs, r, N, IN, OUT, Ws, dx, dW, db);
	struct lin_ctx c = {xs, Ws, bs, ys, r, N, IN, OUT};
	oc_grad_check("linear dx", xs, dx, N * IN, lin_loss, &c, 1e-2f, 1e-2);
	oc_grad_check("linear dW", Ws, dW, OUT * IN, lin_loss, &c, 1e-2f, 1e-2);
	oc_grad_check("linear db", bs, db, OUT, lin_loss, &c, 1e-2f, 1e-2);

	/* A second backward adds onto dW and db and leaves dx alone when NULL. */
	float dW2[OUT * IN], db2[OUT];
	memcpy(dW2, dW, sizeof dW);
	memcpy(db2, db, sizeof db);
	cf_linear_backward(xs, r, N, IN, OUT, Ws, NULL, dW2, db2);
	int acc = 1;
	for (int i = 0; i < OUT * IN; ++i)
		acc &= fabsf(dW2[i] - 2 * dW[i]) <= 1e-5f * (1 + fabsf(dW[i]));
	for (int i = 0; i < OUT; ++i)
		acc &= fabsf(db2[i] - 2 * db[i]) <= 1e-5f * (1 + fabsf(db[i]));
	ok(acc, "linear backward accumulates into dW and db (twice = double)");
	/* db optional */
	memcpy(dW2, dW, sizeof dW);
	cf_linear_backward(xs, r, N, IN, OUT, Ws, NULL, dW2, NULL);
	acc = 1;
	for (int i = 0; i < OUT * IN; ++i)
		acc &= fabsf(dW2[i] - 2 * dW[i]) <= 1e-5f * (1 + fabsf(dW[i]));
	ok(acc, "linear backward with db = NULL still accumulates dW");
}

/* ---- ReLU ---- */

struct relu_ctx {
	float *x, *y, *r;
	int64_t n;
};

static double relu_loss(void *p)
{
	struct relu_ctx *c = p;
	cf_relu_forward(c->x, c->n, c->y);
	return oc_dot(c->r, c->y, c->n);
}

static void test_relu(void)
{
	float x[5] = {-1, 0, 2, -0.5f, 3.25f}, y[5];
	cf_relu_forward(x, 5, y);
	ok(y[0] == 0 && y[1] == 0 && y[2] == 2 && y[3] == 0 && y[4] == 3.25f,
	   "relu forward by hand: [%g %g %g %g %g]", y[0], y[1], y[2], y[3], y[4]);
	cf_relu_forward(x, 5, x);
	ok(memcmp(x, y, sizeof y) == 0, "relu forward in place gives the same");
	float dy[5] = {1, 2, 3, 4, 5};
	cf_relu_backward(y, dy, 5, dy);
	ok(dy[0] == 0 && dy[1] == 0 && dy[2] == 3 && dy[3] == 0 && dy[4] == 5,
	   "relu backward in place by hand: [%g %g %g %g %g]", dy[0], dy[1], dy[2], dy[3], dy[4]);

	enum { n = 40 };
	float xs[n], ys[n], r[n], dx[n];
	oc_seed(2);
	for (int i = 0; i < n; ++i) {
		/* keep every input at least 0.1 from the kink */
		float v = oc_uniform(0.1f, 1.0f);
		xs[i] = i % 2 ? v : -v;
	}
	oc_fill(r, n, -1, 1);
	cf_relu_forward(xs, n, ys);
	cf_relu_backward(ys, r, n, dx);
	struct relu_ctx c = {xs, ys, r, n};
	oc_grad_check("relu dx", xs, dx, n, relu_loss, &c, 1e-2f, 1e-2);
}

/* ---- softmax cross-entropy ---- */

struct xent_ctx {
	float *z;
	const int32_t *lab;
	int64_t N;
	int k;
};

static double xent_loss(void *p)
{
	struct xent_ctx *c = p;
	return cf_softmax_xent(c->z, c->lab, c->N, c->k, NULL);
}

static void test_xent(void)
{
	float z[2] = {0, 0}, d[3];
	int32_t lab0 = 0;
	double L = cf_softmax_xent(z, &lab0, 1, 2, d);
	is_double(L, log(2.0), 1e-12, "xent of logits [0 0], label 0 is ln 2");
	ok(d[0] == -0.5f && d[1] == 0.5f, "xent gradient for [0 0], label 0 is [-0.5 0.5] (%g %g)",
	   d[0], d[1]);

	float z3[3] = {1, 2, 3};
	int32_t lab2 = 2;
	L = cf_softmax_xent(z3, &lab2, 1, 3, d);
	is_double(L, log(exp(1.0) + exp(2.0) + exp(3.0)) - 3.0, 1e-7,
		  "xent of [1 2 3], label 2 = log(e+e^2+e^3) - 3");
	/* softmax([1 2 3]) = [0.0900306, 0.2447285, 0.6652410] */
	ok(fabsf(d[0] - 0.09003057f) < 1e-6f && fabsf(d[1] - 0.24472847f) < 1e-6f &&
		   fabsf(d[2] - (0.66524096f - 1.0f)) < 1e-6f,
	   "xent gradient of [1 2 3], label 2 is softmax - onehot (%g %g %g)", d[0], d[1], d[2]);

	/* Large logits must not overflow: loss = 1000 exactly (to rounding). */
	float big[2] = {1000, 0};
	int32_t lab1 = 1;
	L = cf_softmax_xent(big, &lab1, 1, 2, NULL);
	is_double(L, 1000.0, 1e-9, "xent of [1000 0], label 1 is 1000 (max subtracted)");

	/* Mean over the batch: row [0 0] with label 0, row [1 2] with label 1. */
	float z2[4] = {0, 0, 1, 2};
	int32_t l2[2] = {0, 1};
	float d2[4];
	L = cf_softmax_xent(z2, l2, 2, 2, d2);
	is_double(L, 0.5 * (log(2.0) + log(1.0 + exp(-1.0))), 1e-7, "xent is the batch mean");
	ok(fabsf(d2[0] + 0.25f) < 1e-7f && fabsf(d2[1] - 0.25f) < 1e-7f,
	   "xent gradient is divided by N (%g %g)", d2[0], d2[1]);

	int32_t bad = 5;
	L = cf_softmax_xent(z, &bad, 1, 2, NULL);
	ok(isnan(L), "xent with an out-of-range label returns NaN instead of reading past the row");

	enum { N = 4, K = 6 };
	float zs[N * K], dz[N * K];
	int32_t labs[N] = {0, 5, 2, 2};
	oc_seed(3);
	oc_fill(zs, N * K, -2, 2);
	cf_softmax_xent(zs, labs, N, K, dz);
	struct xent_ctx c = {zs, labs, N, K};
	oc_grad_check("xent dlogits", zs, dz, N * K, xent_loss, &c, 1e-2f, 1e-2);
}

static void test_axpy(void)
{
	float x[11], y[11];
	for (int i = 0; i < 11; ++i) {
		x[i] = (float)i;
		y[i] = 1.0f;
	}
	cf_axpy(11, -0.5f, x, y);
	int good = 1;
	for (int i = 0; i < 11; ++i)
		good &= y[i] == 1.0f - 0.5f * i;
	ok(good, "axpy: y = 1 - 0.5 i over 11 entries (y[10] = %g)", y[10]);
}

static void test_blas_hint(void)
{
	const char *core = cf_ops_blas_core();
	if (!core)
		core = "";
	const char *hint = cf_ops_blas_coretype_hint();
	tap_diag("BLAS kernels: %s; suggested OPENBLAS_CORETYPE: %s", core, hint ? hint : "(none)");
	ok(*core && (!hint || strcmp(hint, "SkylakeX") == 0 || strcmp(hint, "Haswell") == 0),
	   "BLAS core is named (%s) and the hint is none or a known core type", core);
	ok(!hint || strcmp(hint, core) != 0, "the hint never names the core already in use");
	setenv("OPENBLAS_CORETYPE", "Haswell", 1);
	ok(cf_ops_blas_coretype_hint() == NULL, "no hint once OPENBLAS_CORETYPE is set");
}

int main(void)
{
	test_blas_hint();
	test_linear();
	test_relu();
	test_xent();
	test_axpy();
	return tap_done();
}
