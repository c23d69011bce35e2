/* test_ops_norm.c — BatchNorm2d: training output and running-statistics
 * update worked by hand (biased variance for y, unbiased for running_var),
 * eval mode, accuracy with a large mean, and finite-difference checks of
 * the training-mode backward for dx, dgamma, dbeta. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "ops_check.h"

static void test_train_by_hand(void)
{
	/* N=2, c=2, hw=2.  Channel 0 sees {1,2,3,4}: mean 2.5, biased var
	 * 1.25, unbiased 5/3.  Channel 1 sees {10,10,10,14}: mean 11, biased
	 * var 3, unbiased 4. */
	const float x[8] = {1, 2, 10, 10, 3, 4, 10, 14};
	const float gamma[2] = {2, -1}, beta[2] = {0.5f, 3};
	float rm[2] = {0, 1}, rv[2] = {1, 2}, sm[2], si[2], y[8];
	const float eps = 1e-5f, mom = 0.1f;
	cf_batchnorm_forward_train(x, 2, 2, 2, gamma, beta, eps, mom, rm, rv, sm, si, y);
	const double is0 = 1.0 / sqrt(1.25 + 1e-5), is1 = 1.0 / sqrt(3.0 + 1e-5);
	double worst = 0.0;
	const int ch_of[8] = {0, 0, 1, 1, 0, 0, 1, 1};
	for (int i = 0; i < 8; ++i) {
		int ch = ch_of[i];
		double want = ch == 0 ? 2.0 * (x[i] - 2.5) * is0 + 0.5 : -1.0 * (x[i] - 11.0) * is1 + 3.0;
		double e = fabs(y[i] - want);
		if (e > worst)
			worst = e;
	}
	ok(worst < 1e-5, "batchnorm train output = gamma (x - mean)/sqrt(biased var + eps) + beta "
			 "(max err %.1e)", worst);
	ok(sm[0] == 2.5f && sm[1] == 11.0f && fabs(si[0] - is0) < 1e-6 && fabs(si[1] - is1) < 1e-6,
	   "batchnorm saves mean [%g %g] and inverse std [%g %g]", sm[0], sm[1], si[0], si[1]);
	is_double(rm[0], 0.9 * 0 + 0.1 * 2.5, 1e-6, "running_mean[0] = 0.9·0 + 0.1·2.5");
	is_double(rm[1], 0.9 * 1 + 0.1 * 11, 1e-6, "running_mean[1] = 0.9·1 + 0.1·11");
	is_double(rv[0], 0.9 * 1 + 0.1 * 5.0 / 3.0, 1e-6, "running_var[0] uses unbiased 5/3");
	is_double(rv[1], 0.9 * 2 + 0.1 * 4.0, 1e-6, "running_var[1] uses unbiased 4");

	/* Without running statistics (NULL) the output is the same. */
	float y2[8], sm2[2], si2[2];
	cf_batchnorm_forward_train(x, 2, 2, 2, gamma, beta, eps, mom, NULL, NULL, sm2, si2, y2);
	ok(memcmp(y, y2, sizeof y) == 0, "batchnorm train with running stats NULL gives the same y");
}

static void test_eval_by_hand(void)
{
	const float x[6] = {1, 3, 0, 2, -1, 5}; /* N=1, c=2, hw=3 */
	const float gamma[2] = {2, 0.5f}, beta[2] = {1, -1};
	const float rm[2] = {1, -2}, rv[2] = {4, 0.25f};
	float y[6];
	cf_batchnorm_forward_eval(x, 1, 2, 3, gamma, beta, 0.0f, rm, rv, y);
	/* channel 0: 2·(x − 1)/2 + 1 = x; channel 1: 0.5·(x + 2)/0.5 − 1 = x + 1 */
	ok(y[0] == 1 && y[1] == 3 && y[2] == 0 && y[3] == 3 && y[4] == 0 && y[5] == 6,
	   "batchnorm eval by hand: [%g %g %g | %g %g %g] = [1 3 0 | 3 0 6]", y[0], y[1], y[2],
	   y[3], y[4], y[5]);
	float ye[6];
	cf_batchnorm_forward_eval(x, 1, 2, 3, gamma, beta, 1e-5f, rm, rv, ye);
	is_double(ye[1], 2.0 * (3 - 1) / sqrt(4 + 1e-5) + 1, 1e-6, "batchnorm eval adds eps to var");
}

static void test_large_mean(void)
{
	/* Values 1000 + u, u in [-1,1]: a one-pass E[x²] − E[x]² in float
	 * would lose the variance; the result must have mean 0 and var 1. */
	enum { N = 8, C = 1, HW = 64, M = N * C * HW };
	static float x[M], y[M];
	float sm, si;
	oc_seed(31);
	for (int i = 0; i < M; ++i)
		x[i] = 1000.0f + oc_uniform(-1, 1);
	cf_batchnorm_forward_train(x, N, C, HW, NULL, NULL, 0.0f, 0.1f, NULL, NULL, &sm, &si, y);
	double m = 0, v = 0;
	for (int i = 0; i < M; ++i)
		m += y[i];
	m /= M;
	for (int i = 0; i < M; ++i)
		v += (y[i] - m) * (y[i] - m);
	v /= M;
	ok(fabs(m) < 1e-3 && fabs(v - 1) < 1e-3,
	   "batchnorm of 1000 + U(-1,1) normalises to mean %.1e, var %.6f", m, v);
}

struct bn_ctx {
	float *x, *gamma, *beta, *y, *r, *sm, *si;
	int N, c, hw;
};

static double bn_loss(void *p)
{
	struct bn_ctx *b = p;
	cf_batchnorm_forward_train(b->x, b->N, b->c, b->hw, b->gamma, b->beta, 1e-5f, 0.1f, NULL,
				   NULL, b->sm, b->si, b->y);
	return oc_dot(b->r, b->y, (int64_t)b->N * b->c * b->hw);
}

static void test_fd(int N, int c, int hw)
{
	int64_t n = (int64_t)N * c * hw;
	struct bn_ctx b = {malloc(sizeof(float) * n), malloc(sizeof(float) * c),
			   malloc(sizeof(float) * c), malloc(sizeof(float) * n),
			   malloc(sizeof(float) * n), malloc(sizeof(float) * c),
			   malloc(sizeof(float) * c), N, c, hw};
	float *dx = malloc(sizeof(float) * n), *dg = calloc(c, sizeof(float));
	float *dbt = calloc(c, sizeof(float));
	oc_fill(b.x, n, -2, 2);
	oc_fill(b.gamma, c, 0.5f, 1.5f);
	oc_fill(b.beta, c, -1, 1);
	oc_fill(b.r, n, -1, 1);
	bn_loss(&b);
	cf_batchnorm_backward(b.x, b.r, N, c, hw, b.gamma, b.sm, b.si, dx, dg, dbt);
	char name[96];
	snprintf(name, sizeof name, "batchnorm train N=%d c=%d hw=%d dx", N, c, hw);
	oc_grad_check(name, b.x, dx, n, bn_loss, &b, 1e-2f, 1e-2);
	snprintf(name, sizeof name, "batchnorm train N=%d c=%d hw=%d dgamma", N, c, hw);
	oc_grad_check(name, b.gamma, dg, c, bn_loss, &b, 1e-2f, 1e-2);
	snprintf(name, sizeof name, "batchnorm train N=%d c=%d hw=%d dbeta", N, c, hw);
	oc_grad_check(name, b.beta, dbt, c, bn_loss, &b, 1e-2f, 1e-2);
	/* dx of the normalisation sums to zero per channel (the mean is
	 * subtracted), a certificate independent of the finite differences. */
	double worst = 0.0;
	for (int ch = 0; ch < c; ++ch) {
		double s = 0.0;
		for (int i = 0; i < N; ++i)
			for (int p = 0; p < hw; ++p)
				s += dx[((int64_t)i * c + ch) * hw + p];
		if (fabs(s) > worst)
			worst = fabs(s);
	}
	ok(worst < 1e-4, "batchnorm dx sums to 0 per channel (max |sum| %.1e)", worst);
	free(b.x), free(b.gamma), free(b.beta), free(b.y), free(b.r), free(b.sm), free(b.si);
	free(dx), free(dg), free(dbt);
}

int main(void)
{
	test_train_by_hand();
	test_eval_by_hand();
	test_large_mean();
	oc_seed(32);
	test_fd(3, 2, 5);
	test_fd(4, 3, 9);
	return tap_done();
}
