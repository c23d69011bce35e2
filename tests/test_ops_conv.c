/* test_ops_conv.c — convolution kernels: output-shape rule, a forward
 * worked by hand, forward and backward against a naive direct convolution
 * on random data for shapes that reach every code path (chunked lowering
 * with a tail chunk, per-sample lowering for large maps, the 1×1 stride-1
 * shortcut, strided 1×1 projections, rectangular kernels, cin = 3), and
 * central finite differences for dx, dW and db. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "ops_check.h"

/* Direct PyTorch Conv2d in double: the reference. */
static void naive_forward(const cf_conv_shape *s, const float *x, int N, const float *W,
			  const float *b, double *y)
{
	for (int n = 0; n < N; ++n)
		for (int co = 0; co < s->cout; ++co)
			for (int oy = 0; oy < s->oh; ++oy)
				for (int ox = 0; ox < s->ow; ++ox) {
					double t = b ? b[co] : 0.0;
					for (int ci = 0; ci < s->cin; ++ci)
						for (int i = 0; i < s->kh; ++i)
							for (int j = 0; j < s->kw; ++j) {
								int iy = oy * s->stride - s->pad + i;
								int ix = ox * s->stride - s->pad + j;
								if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
									continue;
								t += (double)x[((n * s->cin + ci) * s->h + iy) * s->w + ix] *
								     W[((co * s->cin + ci) * s->kh + i) * s->kw + j];
							}
					y[((n * s->cout + co) * s->oh + oy) * s->ow + ox] = t;
				}
}

/* The adjoint of naive_forward: dx, dW, db from dy, in double. */
static void naive_backward(const cf_conv_shape *s, const float *x, const float *dy, int N,
			   const float *W, double *dx, double *dW, double *db)
{
	memset(dx, 0, sizeof(double) * (size_t)N * s->cin * s->h * s->w);
	memset(dW, 0, sizeof(double) * (size_t)s->cout * s->cin * s->kh * s->kw);
	memset(db, 0, sizeof(double) * (size_t)s->cout);
	for (int n = 0; n < N; ++n)
		for (int co = 0; co < s->cout; ++co)
			for (int oy = 0; oy < s->oh; ++oy)
				for (int ox = 0; ox < s->ow; ++ox) {
					double g = dy[((n * s->cout + co) * s->oh + oy) * s->ow + ox];
					db[co] += g;
					for (int ci = 0; ci < s->cin; ++ci)
						for (int i = 0; i < s->kh; ++i)
							for (int j = 0; j < s->kw; ++j) {
								int iy = oy * s->stride - s->pad + i;
								int ix = ox * s->stride - s->pad + j;
								if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
									continue;
								int64_t xi = ((n * s->cin + ci) * s->h + iy) * s->w + ix;
								int64_t wi = ((co * s->cin + ci) * s->kh + i) * s->kw + j;
								dx[xi] += g * W[wi];
								dW[wi] += g * x[xi];
							}
				}
}

/* max |a − b| / max(1, max |b|) */
static double rel_err(const float *a, const double *b, int64_t n)
{
	double m = 0.0, s = 1.0;
	for (int64_t i = 0; i < n; ++i) {
		double d = fabs(a[i] - b[i]);
		if (!(d <= m))
			m = d;
		if (fabs(b[i]) > s)
			s = fabs(b[i]);
	}
	return m / s;
}

static void test_shape(void)
{
	cf_conv_shape s;
	int r = cf_conv_shape_init(&s, 1, 3, 3, 1, 2, 2, 2, 1);
	ok(r == 0 && s.oh == 2 && s.ow == 2, "3x3 input, 2x2 kernel, stride 2, pad 1 gives 2x2");
	r = cf_conv_shape_init(&s, 3, 32, 30, 8, 3, 5, 1, 0);
	ok(r == 0 && s.oh == 30 && s.ow == 26, "32x30 input, 3x5 kernel, pad 0 gives 30x26 (%dx%d)",
	   s.oh, s.ow);
	r = cf_conv_shape_init(&s, 64, 8, 8, 128, 1, 1, 2, 0);
	ok(r == 0 && s.oh == 4 && s.ow == 4, "1x1 stride-2 projection of 8x8 gives 4x4");
	r = cf_conv_shape_init(&s, 1, 2, 2, 1, 5, 5, 1, 0);
	ok(r == -1, "a 5x5 kernel on a 2x2 input without padding is refused");
	r = cf_conv_shape_init(&s, 1, 2, 2, 1, 5, 5, 1, 2);
	ok(r == 0 && s.oh == 2, "... and accepted with pad 2 (oh %d)", s.oh);
	r = cf_conv_shape_init(&s, 1, 4, 4, 1, 3, 3, 0, 0);
	ok(r == -1, "stride 0 is refused");
}

static void test_by_hand(void)
{
	/* x = [1..9] as 3x3, W = [[1 2] [3 4]], b = 0.5, stride 2, pad 1.
	 * The padded input is
	 *   0 0 0 0 0
	 *   0 1 2 3 0
	 *   0 4 5 6 0
	 *   0 7 8 9 0
	 *   0 0 0 0 0
	 * and the windows at rows/cols {0,1} and {2,3} give
	 *   4·1 = 4, 3·2 + 4·3 = 18, 2·4 + 4·7 = 36, 5 + 2·6 + 3·8 + 4·9 = 77. */
	const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, W[4] = {1, 2, 3, 4}, b[1] = {0.5f};
	cf_conv_shape s;
	cf_conv_shape_init(&s, 1, 3, 3, 1, 2, 2, 2, 1);
	float y[4], work[64];
	ok(cf_conv_workspace(&s, 1) <= 64, "workspace for the hand example is small (%zu)",
	   cf_conv_workspace(&s, 1));
	cf_conv_forward(&s, x, 1, W, b, y, work);
	ok(y[0] == 4.5f && y[1] == 18.5f && y[2] == 36.5f && y[3] == 77.5f,
	   "conv forward by hand: [%g %g; %g %g] = [4.5 18.5; 36.5 77.5]", y[0], y[1], y[2], y[3]);

	/* Its backward with dy = 1: db = 4 and dW[i][j] = the sum of the inputs
	 * that each kernel tap saw: tap (0,0) saw {0,0,0,5} ... */
	float dy[4] = {1, 1, 1, 1}, dx[9], dW[4] = {0}, db[1] = {0};
	cf_conv_backward(&s, x, dy, 1, W, dx, dW, db, work);
	/* tap (0,0): windows' top-left = padded (0,0),(0,2),(2,0),(2,2) = 0,0,0,5
	 * tap (0,1): padded (0,1),(0,3),(2,1),(2,3) = 0,0,4,6
	 * tap (1,0): padded (1,0),(1,2),(3,0),(3,2) = 0,2,0,8
	 * tap (1,1): padded (1,1),(1,3),(3,1),(3,3) = 1,3,7,9 */
	ok(dW[0] == 5 && dW[1] == 10 && dW[2] == 10 && dW[3] == 20 && db[0] == 4,
	   "conv backward by hand: dW = [%g %g; %g %g] = [5 10; 10 20], db = %g = 4", dW[0], dW[1],
	   dW[2], dW[3], db[0]);
	/* Every input pixel is seen by exactly one tap (stride 2 = kernel 2):
	 * x(0,0) by tap (1,1) → 4; x(0,1) by (1,0) → 3; x(1,1) by (0,0) → 1 ... */
	const float want[9] = {4, 3, 4, 2, 1, 2, 4, 3, 4};
	ok(memcmp(dx, want, sizeof want) == 0,
	   "conv backward by hand: dx = [%g %g %g; %g %g %g; %g %g %g]", dx[0], dx[1], dx[2],
	   dx[3], dx[4], dx[5], dx[6], dx[7], dx[8]);
}

struct shape_case {
	int N, cin, h, w, cout, kh, kw, stride, pad;
	const char *what;
};

static void test_against_naive(const struct shape_case *c)
{
	cf_conv_shape s;
	if (cf_conv_shape_init(&s, c->cin, c->h, c->w, c->cout, c->kh, c->kw, c->stride, c->pad)) {
		ok(0, "%s: shape refused", c->what);
		return;
	}
	int64_t nx = (int64_t)c->N * c->cin * c->h * c->w, ny = (int64_t)c->N * c->cout * s.oh * s.ow;
	int64_t nw = (int64_t)c->cout * c->cin * c->kh * c->kw;
	size_t ws = cf_conv_workspace(&s, c->N);
	float *x = malloc(sizeof(float) * nx), *y = malloc(sizeof(float) * ny);
	float *W = malloc(sizeof(float) * nw), *b = malloc(sizeof(float) * c->cout);
	float *dy = malloc(sizeof(float) * ny), *dx = malloc(sizeof(float) * nx);
	float *dW = malloc(sizeof(float) * nw), *db = malloc(sizeof(float) * c->cout);
	float *work = malloc(sizeof(float) * (ws + 1));
	double *ry = malloc(sizeof(double) * ny), *rdx = malloc(sizeof(double) * nx);
	double *rdW = malloc(sizeof(double) * nw), *rdb = malloc(sizeof(double) * c->cout);
	oc_fill(x, nx, -1, 1);
	oc_fill(W, nw, -1, 1);
	oc_fill(b, c->cout, -1, 1);
	oc_fill(dy, ny, -1, 1);
	/* Poison dx and the workspace: dx must be overwritten, not added to. */
	for (int64_t i = 0; i < nx; ++i)
		dx[i] = NAN;
	for (size_t i = 0; i < ws; ++i)
		work[i] = NAN;
	memset(dW, 0, sizeof(float) * nw);
	memset(db, 0, sizeof(float) * c->cout);

	cf_conv_forward(&s, x, c->N, W, b, y, work);
	naive_forward(&s, x, c->N, W, b, ry);
	double ef = rel_err(y, ry, ny);
	cf_conv_backward(&s, x, dy, c->N, W, dx, dW, db, work);
	naive_backward(&s, x, dy, c->N, W, rdx, rdW, rdb);
	double ex = rel_err(dx, rdx, nx), ew = rel_err(dW, rdW, nw), eb = rel_err(db, rdb, c->cout);
	ok(ef < 1e-5 && ex < 1e-5 && ew < 1e-5 && eb < 1e-5,
	   "%s: N=%d %d->%d %dx%d k%dx%d s%d p%d matches direct conv "
	   "(rel err y %.1e dx %.1e dW %.1e db %.1e, workspace %zu)",
	   c->what, c->N, c->cin, c->cout, c->h, c->w, c->kh, c->kw, c->stride, c->pad, ef, ex, ew,
	   eb, ws);

	free(x), free(y), free(W), free(b), free(dy), free(dx), free(dW), free(db), free(work);
	free(ry), free(rdx), free(rdW), free(rdb);
}

struct conv_ctx {
	cf_conv_shape s;
	int N;
	float *x, *W, *b, *y, *r, *work;
};

static double conv_loss(void *p)
{
	struct conv_ctx *c = p;
	cf_conv_forward(&c->s, c->x, c->N, c->W, c->b, c->y, c->work);
	return oc_dot(c->r, c->y, (int64_t)c->N * c->s.cout * c->s.oh * c->s.ow);
}

static void test_fd(int N, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad,
		    const char *what)
{
	struct conv_ctx c;
	cf_conv_shape_init(&c.s, cin, h, w, cout, kh, kw, stride, pad);
	c.N = N;
	int64_t nx = (int64_t)N * cin * h * w, ny = (int64_t)N * cout * c.s.oh * c.s.ow;
	int64_t nw = (int64_t)cout * cin * kh * kw;
	c.x = malloc(sizeof(float) * nx);
	c.W = malloc(sizeof(float) * nw);
	c.b = malloc(sizeof(float) * cout);
	c.y = malloc(sizeof(float) * ny);
	c.r = malloc(sizeof(float) * ny);
	c.work = malloc(sizeof(float) * (cf_conv_workspace(&c.s, N) + 1));
	float *dx = malloc(sizeof(float) * nx), *dW = calloc(nw, sizeof(float));
	float *db = calloc(cout, sizeof(float));
	oc_fill(c.x, nx, -1, 1);
	oc_fill(c.W, nw, -1, 1);
	oc_fill(c.b, cout, -1, 1);
	oc_fill(c.r, ny, -1, 1);
	cf_conv_backward(&c.s, c.x, c.r, N, c.W, dx, dW, db, c.work);
	char name[128];
	snprintf(name, sizeof name, "conv %s dx", what);
	oc_grad_check(name, c.x, dx, nx, conv_loss, &c, 1e-2f, 1e-2);
	snprintf(name, sizeof name, "conv %s dW", what);
	oc_grad_check(name, c.W, dW, nw, conv_loss, &c, 1e-2f, 1e-2);
	snprintf(name, sizeof name, "conv %s db", what);
	oc_grad_check(name, c.b, db, cout, conv_loss, &c, 1e-2f, 1e-2);

	/* Accumulation: a second backward doubles dW and db; db and dx may be
	 * left out. */
	float *dW1 = malloc(sizeof(float) * nw);
	memcpy(dW1, dW, sizeof(float) * nw);
	cf_conv_backward(&c.s, c.x, c.r, N, c.W, NULL, dW, NULL, c.work);
	int good = 1;
	for (int64_t i = 0; i < nw; ++i)
		good &= fabsf(dW[i] - 2 * dW1[i]) <= 1e-5f * (1 + fabsf(dW1[i]));
	ok(good, "conv %s: backward accumulates into dW, with dx and db NULL", what);
	free(c.x), free(c.W), free(c.b), free(c.y), free(c.r), free(c.work);
	free(dx), free(dW), free(db), free(dW1);
}

int main(void)
{
	oc_seed(11);
	test_shape();
	test_by_hand();
	static const struct shape_case cases[] = {
		{2, 3, 7, 6, 4, 3, 3, 1, 1, "cin=3 3x3 pad 1"},
		{2, 3, 9, 8, 5, 3, 3, 2, 0, "stride 2 pad 0"},
		{3, 4, 9, 9, 6, 3, 3, 2, 1, "stride 2 pad 1"},
		{2, 5, 6, 7, 3, 1, 1, 1, 0, "1x1 pointwise"},
		{2, 6, 8, 8, 4, 1, 1, 2, 0, "1x1 stride 2 projection"},
		{2, 3, 7, 9, 4, 2, 3, 2, 1, "rectangular 2x3 kernel"},
		{2, 2, 5, 8, 3, 3, 5, 1, 2, "rectangular 3x5 kernel pad 2"},
		{2, 2, 6, 6, 3, 5, 5, 1, 2, "5x5 kernel pad 2"},
		{1, 2, 3, 3, 2, 3, 3, 3, 1, "stride 3 larger than needed"},
		{2, 3, 20, 20, 4, 3, 3, 1, 1, "20x20 map (per-sample lowering)"},
		{30, 64, 6, 6, 64, 3, 3, 1, 1, "N=30 64ch 6x6 (two chunks, the second short)"},
		{2, 8, 14, 14, 8, 3, 3, 1, 1, "14x14 map (per-sample lowering)"},
		{3, 2, 16, 16, 3, 1, 1, 1, 0, "1x1 on a 16x16 map"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
		test_against_naive(&cases[i]);
	test_fd(2, 2, 5, 6, 3, 3, 2, 2, 1, "stride 2 pad 1 3x2");
	test_fd(2, 3, 4, 4, 2, 3, 3, 1, 1, "3x3 pad 1");
	test_fd(2, 3, 5, 5, 2, 1, 1, 2, 0, "1x1 stride 2");
	test_fd(2, 2, 3, 3, 2, 1, 1, 1, 0, "1x1 pointwise");
	return tap_done();
}
