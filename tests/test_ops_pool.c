/* test_ops_pool.c — max, average and global average pooling: worked
 * examples (values, argmax, ties, NaN, floor mode), and finite-difference
 * checks of the backward passes, including overlapping windows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "ops_check.h"

static void test_maxpool_by_hand(void)
{
	const float x[16] = {1, 5, 2, 0,
			     3, 4, 8, 7,
			     9, 6, 1, 1,
			     2, 0, 3, 4};
	float y[4];
	int32_t am[4];
	cf_maxpool_forward(x, 1, 1, 4, 4, 2, 2, y, am);
	ok(y[0] == 5 && y[1] == 8 && y[2] == 9 && y[3] == 4,
	   "maxpool 2/2 by hand: [%g %g; %g %g] = [5 8; 9 4]", y[0], y[1], y[2], y[3]);
	ok(am[0] == 1 && am[1] == 6 && am[2] == 8 && am[3] == 15,
	   "maxpool argmax indexes the plane: [%d %d %d %d] = [1 6 8 15]", am[0], am[1], am[2],
	   am[3]);

	float dy[4] = {1, 2, 3, 4}, dx[16];
	cf_maxpool_backward(dy, am, 1, 1, 4, 4, 2, 2, dx);
	float want[16] = {0};
	want[1] = 1, want[6] = 2, want[8] = 3, want[15] = 4;
	ok(memcmp(dx, want, sizeof want) == 0, "maxpool backward routes dy to the argmax only");

	/* 5x5 with k3 s2: output 2x2, windows overlap on the middle row and
	 * column; the maximum 24 at (1,2) is in both top windows. */
	float x5[25];
	for (int i = 0; i < 25; ++i)
		x5[i] = (float)((i * 7) % 25); /* a permutation of 0..24 */
	float y5[4];
	int32_t a5[4];
	cf_maxpool_forward(x5, 1, 1, 5, 5, 3, 2, y5, a5);
	/* x5 rows: [0 7 14 21 3] [10 17 24 6 13] [20 2 9 16 23] [5 12 19 1 8] [15 22 4 11 18]
	 * windows: rows 0-2 cols 0-2 → 24 at 7; rows 0-2 cols 2-4 → 24 at 7;
	 *          rows 2-4 cols 0-2 → 22 at 21; rows 2-4 cols 2-4 → 23 at 14. */
	ok(y5[0] == 24 && y5[1] == 24 && y5[2] == 22 && y5[3] == 23 && a5[0] == 7 && a5[1] == 7 &&
		   a5[2] == 21 && a5[3] == 14,
	   "maxpool k3 s2 on 5x5, overlapping: [%g %g %g %g] at [%d %d %d %d]", y5[0], y5[1], y5[2],
	   y5[3], a5[0], a5[1], a5[2], a5[3]);
	float dy5[4] = {1, 1, 1, 1}, dx5[25];
	cf_maxpool_backward(dy5, a5, 1, 1, 5, 5, 2, 2, dx5);
	ok(dx5[7] == 2 && dx5[21] == 1 && dx5[14] == 1 && dx5[0] == 0,
	   "maxpool backward adds up overlapping windows (dx[7] = %g)", dx5[7]);

	/* Ties go to the first maximum; a NaN wins (PyTorch). */
	const float tie[4] = {3, 3, 1, 3}, withnan[4] = {1, NAN, 7, 2};
	float yt;
	int32_t at;
	cf_maxpool_forward(tie, 1, 1, 2, 2, 2, 2, &yt, &at);
	ok(yt == 3 && at == 0, "maxpool tie goes to the first maximum (argmax %d)", at);
	cf_maxpool_forward(withnan, 1, 1, 2, 2, 2, 2, &yt, &at);
	ok(isnan(yt) && at == 1, "maxpool propagates NaN (argmax %d)", at);

	/* Several samples and channels: planes are independent. */
	float xs[2 * 3 * 4];
	for (int i = 0; i < 24; ++i)
		xs[i] = (float)(i % 5) - (float)i * 0.01f;
	float ys[6];
	int32_t as[6];
	cf_maxpool_forward(xs, 2, 3, 2, 2, 2, 2, ys, as);
	int good = 1;
	for (int p = 0; p < 6; ++p) {
		float m = xs[4 * p];
		for (int j = 1; j < 4; ++j)
			m = xs[4 * p + j] > m ? xs[4 * p + j] : m;
		good &= ys[p] == m && xs[4 * p + as[p]] == m;
	}
	ok(good, "maxpool over N=2, c=3 takes each plane's own maximum");
}

static void test_avgpool_by_hand(void)
{
	const float x[16] = {1, 5, 2, 0,
			     3, 4, 8, 7,
			     9, 6, 1, 1,
			     2, 0, 3, 4};
	float y[4];
	cf_avgpool_forward(x, 1, 1, 4, 4, 2, 2, y);
	ok(y[0] == 3.25f && y[1] == 4.25f && y[2] == 4.25f && y[3] == 2.25f,
	   "avgpool 2/2 by hand: [%g %g; %g %g] = [3.25 4.25; 4.25 2.25]", y[0], y[1], y[2], y[3]);
	/* Floor mode: 5x5 with k2 s2 ignores the last row and column. */
	float x5[25], y5[4];
	for (int i = 0; i < 25; ++i)
		x5[i] = (i % 5 == 4 || i >= 20) ? 1000.0f : 1.0f;
	cf_avgpool_forward(x5, 1, 1, 5, 5, 2, 2, y5);
	ok(y5[0] == 1 && y5[1] == 1 && y5[2] == 1 && y5[3] == 1,
	   "avgpool floor mode drops the 5th row and column");
	float dy[4] = {4, 8, 12, 16}, dx[16];
	cf_avgpool_backward(dy, 1, 1, 4, 4, 2, 2, dx);
	ok(dx[0] == 1 && dx[5] == 1 && dx[2] == 2 && dx[10] == 4 && dx[15] == 4 && dx[8] == 3,
	   "avgpool backward spreads dy/k^2 over each window");
}

static void test_gap_by_hand(void)
{
	const float x[8] = {1, 2, 3, 4, -1, -1, 2, 8};
	float y[2];
	cf_gap_forward(x, 1, 2, 4, y);
	ok(y[0] == 2.5f && y[1] == 2.0f, "global average pool by hand: [%g %g] = [2.5 2]", y[0],
	   y[1]);
	float dy[2] = {4, -8}, dx[8];
	cf_gap_backward(dy, 1, 2, 4, dx);
	ok(dx[0] == 1 && dx[3] == 1 && dx[4] == -2 && dx[7] == -2,
	   "global average pool backward spreads dy/hw");
	/* A long plane (partial sums path) with a known mean. */
	enum { hw = 1001 };
	static float big[hw];
	for (int i = 0; i < hw; ++i)
		big[i] = (float)i;
	float m;
	cf_gap_forward(big, 1, 1, hw, &m);
	is_double(m, 500.0, 1e-7, "global average of 0..1000 is 500");
}

/* ---- finite differences ---- */

enum { KIND_MAX, KIND_AVG, KIND_GAP };

struct pool_ctx {
	int kind, N, c, h, w, k, stride;
	float *x, *y, *r;
	int32_t *am;
	int64_t ny;
};

static double pool_loss(void *p)
{
	struct pool_ctx *c = p;
	if (c->kind == KIND_MAX)
		cf_maxpool_forward(c->x, c->N, c->c, c->h, c->w, c->k, c->stride, c->y, c->am);
	else if (c->kind == KIND_AVG)
		cf_avgpool_forward(c->x, c->N, c->c, c->h, c->w, c->k, c->stride, c->y);
	else
		cf_gap_forward(c->x, c->N, c->c, c->h * c->w, c->y);
	return oc_dot(c->r, c->y, c->ny);
}

static void test_fd(int kind, int N, int ch, int h, int w, int k, int stride, const char *what)
{
	struct pool_ctx c = {kind, N, ch, h, w, k, stride, NULL, NULL, NULL, NULL, 0};
	int oh = kind == KIND_GAP ? 1 : (h - k) / stride + 1;
	int ow = kind == KIND_GAP ? 1 : (w - k) / stride + 1;
	int64_t nx = (int64_t)N * ch * h * w;
	c.ny = (int64_t)N * ch * oh * ow;
	c.x = malloc(sizeof(float) * nx);
	c.y = malloc(sizeof(float) * c.ny);
	c.r = malloc(sizeof(float) * c.ny);
	c.am = malloc(sizeof(int32_t) * c.ny);
	float *dx = malloc(sizeof(float) * nx);
	/* Distinct values at least 0.05 apart, shuffled, so that a step of
	 * 0.01 never changes which input is the maximum. */
	for (int64_t i = 0; i < nx; ++i)
		c.x[i] = 0.05f * (float)((i * 37) % nx) - 1.0f;
	oc_fill(c.r, c.ny, -1, 1);
	pool_loss(&c);
	if (kind == KIND_MAX)
		cf_maxpool_backward(c.r, c.am, N, ch, h, w, oh, ow, dx);
	else if (kind == KIND_AVG)
		cf_avgpool_backward(c.r, N, ch, h, w, k, stride, dx);
	else
		cf_gap_backward(c.r, N, ch, h * w, dx);
	oc_grad_check(what, c.x, dx, nx, pool_loss, &c, 1e-2f, 1e-2);
	free(c.x), free(c.y), free(c.r), free(c.am), free(dx);
}

int main(void)
{
	oc_seed(21);
	test_maxpool_by_hand();
	test_avgpool_by_hand();
	test_gap_by_hand();
	/* nx must be coprime with 37 for the shuffle to give distinct values */
	test_fd(KIND_MAX, 2, 3, 6, 6, 2, 2, "maxpool k2 s2 dx");
	test_fd(KIND_MAX, 2, 2, 7, 5, 3, 2, "maxpool k3 s2 (overlapping, floor) dx");
	test_fd(KIND_AVG, 2, 3, 6, 6, 2, 2, "avgpool k2 s2 dx");
	test_fd(KIND_AVG, 2, 2, 7, 5, 3, 2, "avgpool k3 s2 (overlapping, floor) dx");
	test_fd(KIND_AVG, 1, 2, 5, 5, 3, 1, "avgpool k3 s1 dx");
	test_fd(KIND_GAP, 2, 3, 4, 5, 0, 1, "global average pool dx");
	return tap_done();
}
