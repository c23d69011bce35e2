/* ops_conv.c — 2-D convolution (PyTorch Conv2d, zero padding, dilation 1)
 * as im2col + cblas_sgemm, forward and backward.
 *
 * Design choice: how the batch is lowered depends on the map size P =
 * oh·ow.  For small maps (P < CONV_DIRECT_P, i.e. below 8×8) the
 * batch is lowered in CHUNKS of samples: im2col writes the chunk's columns
 * side by side into one K × (nc·P) matrix (K = cin·kh·kw), one GEMM
 * W[cout×K] · cols does the whole chunk, and its cout × (nc·P) result is
 * reordered into N×cout×P; a per-sample GEMM would be too narrow to run near
 * peak there, and the backward dW GEMM gets an inner dimension of nc·P
 * instead of P.  For large maps one sample's GEMM is already wide, and
 * per-sample lowering wins: no reorder pass, K·P floats of workspace.  When
 * a sample's columns ARE its input (1×1 kernel, stride 1, no padding)
 * nothing is lowered at all.  cf_conv_workspace applies the same rule, so
 * the size it reports covers every batch of at most N samples.
 *
 * im2col/col2im never test a pixel for being in the padding: for every
 * kernel offset the range of output columns that reads real input is
 * computed first, so the inner loops are plain copies/adds that gcc -O2
 * vectorises, with zero fills on either side.
 */
#include "ops.h"
#include "ops_vec.h"

#include <string.h>

#include <gsl/gsl_cblas.h>

/* About 512K floats (2 MiB) per lowered chunk: the GEMM's N dimension is
 * then in the thousands, and the chunk stays near the cache.  Measured
 * chunks of 2^17..2^21 floats ran within noise of each other. */
#ifndef CONV_CHUNK_FLOATS
#define CONV_CHUNK_FLOATS ((int64_t)1 << 19)
#endif
#ifndef CONV_DIRECT_P
#define CONV_DIRECT_P 64
#endif

int cf_conv_shape_init(cf_conv_shape *s, int cin, int h, int w, int cout,
		       int kh, int kw, int stride, int pad)
{
	s->cin = cin;
	s->h = h;
	s->w = w;
	s->cout = cout;
	s->kh = kh;
	s->kw = kw;
	s->stride = stride;
	s->pad = pad;
	s->oh = 0;
	s->ow = 0;
	if (cin <= 0 || cout <= 0 || kh <= 0 || kw <= 0 || stride <= 0 || pad < 0 ||
	    h <= 0 || w <= 0)
		return -1;
	/* in int64: a padding near INT_MAX must not wrap into a "fitting" kernel */
	if ((int64_t)h + 2 * (int64_t)pad < kh || (int64_t)w + 2 * (int64_t)pad < kw)
		return -1;
	{
		int64_t oh = ((int64_t)h + 2 * (int64_t)pad - kh) / stride + 1;
		int64_t ow = ((int64_t)w + 2 * (int64_t)pad - kw) / stride + 1;
		if (oh > INT32_MAX || ow > INT32_MAX || oh * ow > INT32_MAX)
			return -1;
		s->oh = (int)oh;
		s->ow = (int)ow;
	}
	return 0;
}

static int64_t conv_k(const cf_conv_shape *s) { return (int64_t)s->cin * s->kh * s->kw; }
static int64_t conv_p(const cf_conv_shape *s) { return (int64_t)s->oh * s->ow; }

/* True when a sample's im2col matrix is the sample itself. */
static int conv_is_pointwise(const cf_conv_shape *s)
{
	return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

/* Samples per lowered chunk for a batch of N.  From a map of CONV_DIRECT_P
 * positions up, one sample's GEMM is wide enough and one sample at a time
 * wins: no reorder pass, less memory.  (Measured at one thread, N=64,
 * OpenBLAS SkylakeX kernels: per-sample 10-15% faster at 14×14, a tie at
 * 7×7, chunks 1.7× faster forward at 4×4.) */
static int64_t conv_chunk(const cf_conv_shape *s, int64_t N)
{
	if (conv_p(s) >= CONV_DIRECT_P)
		return 1;
	int64_t per = (conv_k(s) + s->cout) * conv_p(s);
	int64_t nc = CONV_CHUNK_FLOATS / (per > 0 ? per : 1);
	if (nc < 1)
		nc = 1;
	return nc < N ? nc : N;
}

size_t cf_conv_workspace(const cf_conv_shape *s, int64_t N)
{
	if (N <= 0 || conv_is_pointwise(s))
		return 0;
	if (conv_chunk(s, N) == 1) /* per-sample: the columns only */
		return (size_t)(conv_k(s) * conv_p(s));
	return (size_t)(conv_chunk(s, N) * (conv_k(s) + s->cout) * conv_p(s));
}

/* Output positions o in [lo, hi) read input index o·stride − pad + off
 * inside [0, n); outside that range they read padding. */
static void valid_range(int n, int on, int stride, int pad, int off, int *lo, int *hi)
{
	int a = pad - off; /* first o with o·stride ≥ a */
	int l = a > 0 ? (a + stride - 1) / stride : 0;
	int b = n - 1 + pad - off; /* last o with o·stride ≤ b */
	int r = b >= 0 ? b / stride + 1 : 0;
	if (r > on)
		r = on;
	if (l > r)
		l = r;
	*lo = l;
	*hi = r;
}

/* Stride 1 with ow == w ("same" padding, kw = 2·pad + 1): rows ylo..yhi−1
 * of a kernel offset's column row are the input plane shifted by a
 * constant, so they are ONE block copy (or add) of (yhi−ylo)·ow floats;
 * only the few positions that read padding need patching afterwards.
 * Copying [a, len − e) keeps every read inside the plane: the skipped
 * a = max(0, −off) first and e = max(0, off) last positions are padding. */
static int conv_is_same(const cf_conv_shape *s)
{
	return s->stride == 1 && s->ow == s->w;
}

/* Lower one sample x (cin×h×w) into K rows of P columns, row r starting at
 * col + r·ld. */
static void im2col(const cf_conv_shape *s, const float *restrict x, float *restrict col,
		   int64_t ld)
{
	const int st = s->stride, ow = s->ow, oh = s->oh, same = conv_is_same(s);
	for (int c = 0; c < s->cin; ++c) {
		const float *xc = x + (int64_t)c * s->h * s->w;
		for (int ki = 0; ki < s->kh; ++ki) {
			int ylo, yhi;
			valid_range(s->h, oh, st, s->pad, ki, &ylo, &yhi);
			for (int kj = 0; kj < s->kw; ++kj) {
				int xlo, xhi;
				valid_range(s->w, ow, st, s->pad, kj, &xlo, &xhi);
				float *row = col + ((int64_t)(c * s->kh + ki) * s->kw + kj) * ld;
				const int off = kj - s->pad;
				memset(row, 0, sizeof(float) * (size_t)ylo * (size_t)ow);
				memset(row + (int64_t)yhi * ow, 0,
				       sizeof(float) * (size_t)(oh - yhi) * (size_t)ow);
				if (same) {
					const int64_t len = (int64_t)(yhi - ylo) * ow;
					const int64_t a = off < 0 ? -off : 0, e = off > 0 ? off : 0;
					float *d0 = row + (int64_t)ylo * ow;
					const float *s0 = xc + (int64_t)(ylo - s->pad + ki) * s->w + off;
					if (len > a + e)
						memcpy(d0 + a, s0 + a, sizeof(float) * (size_t)(len - a - e));
					for (int oy = ylo; oy < yhi; ++oy) {
						float *d = row + (int64_t)oy * ow;
						for (int ox = 0; ox < xlo; ++ox)
							d[ox] = 0.0f;
						for (int ox = xhi; ox < ow; ++ox)
							d[ox] = 0.0f;
					}
					continue;
				}
				for (int oy = ylo; oy < yhi; ++oy) {
					float *restrict d = row + (int64_t)oy * ow;
					/* src[ox·st + off] is input column ox·st − pad + kj. */
					const float *restrict src = xc + (int64_t)(oy * st - s->pad + ki) * s->w;
					memset(d, 0, sizeof(float) * (size_t)xlo);
					if (st == 1) {
						memcpy(d + xlo, src + xlo + off, sizeof(float) * (size_t)(xhi - xlo));
					} else {
						for (int ox = xlo; ox < xhi; ++ox)
							d[ox] = src[ox * st + off];
					}
					memset(d + xhi, 0, sizeof(float) * (size_t)(ow - xhi));
				}
			}
		}
	}
}

/* Scatter-add columns back: dx (cin×h×w) += col2im(col).  Padding entries
 * of col are dropped (in the "same" case by zeroing them in col first, which
 * is scratch). */
static void col2im_add(const cf_conv_shape *s, float *restrict col, int64_t ld,
		       float *restrict dx)
{
	const int st = s->stride, ow = s->ow, oh = s->oh, same = conv_is_same(s);
	for (int c = 0; c < s->cin; ++c) {
		float *xc = dx + (int64_t)c * s->h * s->w;
		for (int ki = 0; ki < s->kh; ++ki) {
			int ylo, yhi;
			valid_range(s->h, oh, st, s->pad, ki, &ylo, &yhi);
			for (int kj = 0; kj < s->kw; ++kj) {
				int xlo, xhi;
				valid_range(s->w, ow, st, s->pad, kj, &xlo, &xhi);
				float *row = col + ((int64_t)(c * s->kh + ki) * s->kw + kj) * ld;
				const int off = kj - s->pad;
				if (same) {
					const int64_t len = (int64_t)(yhi - ylo) * ow;
					const int64_t a = off < 0 ? -off : 0, e = off > 0 ? off : 0;
					for (int oy = ylo; oy < yhi; ++oy) {
						float *d = row + (int64_t)oy * ow;
						for (int ox = 0; ox < xlo; ++ox)
							d[ox] = 0.0f;
						for (int ox = xhi; ox < ow; ++ox)
							d[ox] = 0.0f;
					}
					if (len > a + e)
						cf_vec_add(xc + (int64_t)(ylo - s->pad + ki) * s->w + off + a,
							   row + (int64_t)ylo * ow + a, len - a - e);
					continue;
				}
				for (int oy = ylo; oy < yhi; ++oy) {
					const float *restrict d = row + (int64_t)oy * ow;
					float *restrict dst = xc + (int64_t)(oy * st - s->pad + ki) * s->w;
					if (st == 1) {
						cf_vec_add(dst + xlo + off, d + xlo, xhi - xlo);
					} else {
						for (int ox = xlo; ox < xhi; ++ox)
							dst[ox * st + off] += d[ox];
					}
				}
			}
		}
	}
}

/* y[n] = W · x[n] (+ b) for the pointwise case: per-sample GEMMs, no copy. */
static void conv_forward_pointwise(const cf_conv_shape *s, const float *x, int64_t N,
				   const float *W, const float *b, float *y)
{
	const int K = s->cin;
	const int P = s->oh * s->ow;
	for (int64_t n = 0; n < N; ++n) {
		float *yn = y + n * s->cout * (int64_t)P;
		float beta = 0.0f;
		if (b) {
			for (int co = 0; co < s->cout; ++co)
				cf_vec_fill(yn + (int64_t)co * P, b[co], P);
			beta = 1.0f;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->cout, P, K, 1.0f, W, K,
			    x + n * (int64_t)K * P, P, beta, yn, P);
	}
}

/* y[co·ld + p] = b[co] for a cout × len block (the GEMM then adds onto it). */
static void fill_bias(float *y, int cout, int64_t len, int64_t ld, const float *b)
{
	for (int co = 0; co < cout; ++co)
		cf_vec_fill(y + co * ld, b ? b[co] : 0.0f, len);
}

void cf_conv_forward(const cf_conv_shape *s, const float *x, int64_t N,
		     const float *W, const float *b, float *y, float *work)
{
	if (N <= 0)
		return;
	if (conv_is_pointwise(s)) {
		conv_forward_pointwise(s, x, N, W, b, y);
		return;
	}
	const int64_t K = conv_k(s), P = conv_p(s), nc_max = conv_chunk(s, N);
	const int64_t in_sz = (int64_t)s->cin * s->h * s->w, out_sz = s->cout * P;
	float *cols = work;
	if (nc_max == 1) {
		/* Large maps: one GEMM per sample, straight into y. */
		for (int64_t n = 0; n < N; ++n) {
			float *yn = y + n * out_sz;
			im2col(s, x + n * in_sz, cols, P);
			fill_bias(yn, s->cout, P, P, b);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->cout, (int)P, (int)K,
				    1.0f, W, (int)K, cols, (int)P, 1.0f, yn, (int)P);
		}
		return;
	}
	float *tmp = work + nc_max * K * P;
	for (int64_t n0 = 0; n0 < N; n0 += nc_max) {
		const int64_t nc = N - n0 < nc_max ? N - n0 : nc_max;
		const int64_t ld = nc * P;
		for (int64_t i = 0; i < nc; ++i)
			im2col(s, x + (n0 + i) * in_sz, cols + i * P, ld);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->cout, (int)ld, (int)K,
			    1.0f, W, (int)K, cols, (int)ld, 0.0f, tmp, (int)ld);
		/* Reorder cout × (nc·P) into nc × cout × P, adding the bias. */
		for (int64_t i = 0; i < nc; ++i) {
			float *yn = y + (n0 + i) * out_sz;
			for (int co = 0; co < s->cout; ++co)
				cf_vec_copy_add(yn + co * P, tmp + co * ld + i * P, b ? b[co] : 0.0f, P);
		}
	}
}

/* db[co] += Σ_p g[co·ld + p] for a cout × len block with row stride ld. */
static void bias_grad(const float *g, int cout, int64_t len, int64_t ld, float *db)
{
	for (int co = 0; co < cout; ++co)
		db[co] += (float)cf_vec_sum(g + co * ld, len);
}

static void conv_backward_pointwise(const cf_conv_shape *s, const float *x, const float *dy,
				    int64_t N, const float *W, float *dx, float *dW, float *db)
{
	const int K = s->cin, P = s->oh * s->ow;
	for (int64_t n = 0; n < N; ++n) {
		const float *dyn = dy + n * s->cout * (int64_t)P;
		const float *xn = x + n * (int64_t)K * P;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->cout, K, P, 1.0f, dyn, P,
			    xn, P, 1.0f, dW, K);
		if (db)
			bias_grad(dyn, s->cout, P, P, db);
		if (dx)
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, s->cout, 1.0f, W, K,
				    dyn, P, 0.0f, dx + n * (int64_t)K * P, P);
	}
}

void cf_conv_backward(const cf_conv_shape *s, const float *x, const float *dy, int64_t N,
		      const float *W, float *dx, float *dW, float *db, float *work)
{
	if (N <= 0)
		return;
	if (conv_is_pointwise(s)) {
		conv_backward_pointwise(s, x, dy, N, W, dx, dW, db);
		return;
	}
	const int64_t K = conv_k(s), P = conv_p(s), nc_max = conv_chunk(s, N);
	const int64_t in_sz = (int64_t)s->cin * s->h * s->w, out_sz = s->cout * P;
	float *cols = work;
	if (dx)
		memset(dx, 0, sizeof(float) * (size_t)(N * in_sz));
	if (nc_max == 1) {
		/* Large maps: per-sample GEMMs reading dy in place. */
		for (int64_t n = 0; n < N; ++n) {
			const float *dyn = dy + n * out_sz;
			if (db)
				bias_grad(dyn, s->cout, P, P, db);
			im2col(s, x + n * in_sz, cols, P);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->cout, (int)K, (int)P,
				    1.0f, dyn, (int)P, cols, (int)P, 1.0f, dW, (int)K);
			if (!dx)
				continue;
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)P, s->cout,
				    1.0f, W, (int)K, dyn, (int)P, 0.0f, cols, (int)P);
			col2im_add(s, cols, P, dx + n * in_sz);
		}
		return;
	}
	float *g = work + nc_max * K * P;
	for (int64_t n0 = 0; n0 < N; n0 += nc_max) {
		const int64_t nc = N - n0 < nc_max ? N - n0 : nc_max;
		const int64_t ld = nc * P;
		/* dy of the chunk as one cout × (nc·P) matrix, like the forward tmp. */
		for (int64_t i = 0; i < nc; ++i) {
			const float *dyn = dy + (n0 + i) * out_sz;
			for (int co = 0; co < s->cout; ++co)
				memcpy(g + co * ld + i * P, dyn + co * P, sizeof(float) * (size_t)P);
		}
		if (db)
			bias_grad(g, s->cout, ld, ld, db);
		for (int64_t i = 0; i < nc; ++i)
			im2col(s, x + (n0 + i) * in_sz, cols + i * P, ld);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->cout, (int)K, (int)ld, 1.0f,
			    g, (int)ld, cols, (int)ld, 1.0f, dW, (int)K);
		if (!dx)
			continue;
		/* The columns are no longer needed: reuse them for dcols = Wᵀ·g. */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)ld, s->cout, 1.0f,
			    W, (int)K, g, (int)ld, 0.0f, cols, (int)ld);
		for (int64_t i = 0; i < nc; ++i)
			col2im_add(s, cols + i * P, ld, dx + (n0 + i) * in_sz);
	}
}
