/* ops_pool.c — max, average and global average pooling (PyTorch
 * MaxPool2d / AvgPool2d with padding 0 and floor mode, AdaptiveAvgPool2d(1)).
 *
 * Design choice: every sample's channel is an independent h×w plane, so the
 * batch and channel loops fuse into one loop over N·c planes.  Max pooling
 * keeps the argmax as an index into the plane (iy·w + ix), the same
 * convention as PyTorch's indices; ties go to the first maximum in
 * row-major window order and a NaN wins, as in PyTorch.  The backward
 * passes scatter-add, which handles overlapping windows (stride < k).
 */
#include "ops.h"
#include "ops_vec.h"

#include <string.h>

/* One output row of max pooling: window element (i, j) of every output
 * column at a time, so the compare is a select across ox instead of a
 * data-dependent branch (random data would mispredict half of them). */
static void maxpool_row(const float *restrict xp, int w, int oy, int ow, int k, int stride,
			float *restrict yr, int32_t *restrict ar)
{
	const int32_t row0 = (int32_t)(oy * stride) * w;
	for (int ox = 0; ox < ow; ++ox) {
		ar[ox] = row0 + ox * stride;
		yr[ox] = xp[row0 + ox * stride];
	}
	for (int i = 0; i < k; ++i) {
		const int32_t base = row0 + i * w;
		for (int j = 0; j < k; ++j) {
			for (int ox = 0; ox < ow; ++ox) {
				const int32_t at = base + ox * stride + j;
				const float v = xp[at];
				/* v != v: a NaN wins, as in PyTorch.  The select is done
				 * with a bit mask because gcc turns ?: back into a branch. */
				const uint32_t take = -(uint32_t)((v > yr[ox]) | (v != v));
				uint32_t vb, mb;
				memcpy(&vb, &v, sizeof vb);
				memcpy(&mb, &yr[ox], sizeof mb);
				mb ^= (vb ^ mb) & take;
				memcpy(&yr[ox], &mb, sizeof mb);
				ar[ox] ^= (at ^ ar[ox]) & (int32_t)take;
			}
		}
	}
}

/* The common 2×2 window with stride 2: the maximum from three max
 * operations, then the FIRST position holding it, found with selects from
 * the last position back; no branch on the data.  A NaN window (the
 * maximum compares unequal to everything) is redone by maxpool_row's
 * rules, a branch that is never taken on finite data. */
static void maxpool_row_2x2(const float *restrict xp, int w, int oy, int ow,
			    float *restrict yr, int32_t *restrict ar)
{
	const float *restrict r0 = xp + (int64_t)(2 * oy) * w;
	const float *restrict r1 = r0 + w;
	const int32_t row0 = (int32_t)(2 * oy) * w;
	int nan_seen = 0;
	for (int ox = 0; ox < ow; ++ox) {
		const float a = r0[2 * ox], b = r0[2 * ox + 1];
		const float c = r1[2 * ox], d = r1[2 * ox + 1];
		const float ab = a > b ? a : b, cd = c > d ? c : d;
		const float m = ab > cd ? ab : cd;
		/* selects as bit masks: gcc branches on a float == used in ?: */
		const int32_t pa = row0 + 2 * ox, pb = pa + 1, pc = pa + w, pd = pc + 1;
		int32_t at = pd;
		at ^= (at ^ pc) & -(int32_t)(c == m);
		at ^= (at ^ pb) & -(int32_t)(b == m);
		at ^= (at ^ pa) & -(int32_t)(a == m);
		yr[ox] = m;
		ar[ox] = at;
		/* NaN in, NaN sum (an inf − inf window also takes the slow path,
		 * which is merely slower) */
		const float sum = (a + b) + (c + d);
		nan_seen |= sum != sum;
	}
	if (nan_seen)
		maxpool_row(xp, w, oy, ow, 2, 2, yr, ar);
}

void cf_maxpool_forward(const float *x, int64_t N, int c, int h, int w, int k, int stride,
			float *y, int32_t *argmax)
{
	const int oh = (h - k) / stride + 1, ow = (w - k) / stride + 1;
	const int64_t planes = N * c, hw = (int64_t)h * w, ohw = (int64_t)oh * ow;
	const int fast = k == 2 && stride == 2;
	for (int64_t pl = 0; pl < planes; ++pl)
		for (int oy = 0; oy < oh; ++oy) {
			float *yr = y + pl * ohw + (int64_t)oy * ow;
			int32_t *ar = argmax + pl * ohw + (int64_t)oy * ow;
			if (fast)
				maxpool_row_2x2(x + pl * hw, w, oy, ow, yr, ar);
			else
				maxpool_row(x + pl * hw, w, oy, ow, k, stride, yr, ar);
		}
}

void cf_maxpool_backward(const float *dy, const int32_t *argmax, int64_t N, int c,
			 int h, int w, int oh, int ow, float *dx)
{
	const int64_t planes = N * c, hw = (int64_t)h * w, ohw = (int64_t)oh * ow;
	memset(dx, 0, sizeof(float) * (size_t)(planes * hw));
	for (int64_t pl = 0; pl < planes; ++pl) {
		float *dxp = dx + pl * hw;
		const float *dyp = dy + pl * ohw;
		const int32_t *ap = argmax + pl * ohw;
		for (int64_t o = 0; o < ohw; ++o)
			dxp[ap[o]] += dyp[o];
	}
}

void cf_avgpool_forward(const float *x, int64_t N, int c, int h, int w, int k, int stride,
			float *y)
{
	const int oh = (h - k) / stride + 1, ow = (w - k) / stride + 1;
	const int64_t planes = N * c, hw = (int64_t)h * w, ohw = (int64_t)oh * ow;
	const float inv = 1.0f / (float)(k * k);
	for (int64_t pl = 0; pl < planes; ++pl) {
		const float *restrict xp = x + pl * hw;
		float *restrict yp = y + pl * ohw;
		for (int oy = 0; oy < oh; ++oy) {
			/* Sum the window rows into the output row, one kernel row at a
			 * time, so the inner loop runs along ox. */
			float *restrict yr = yp + (int64_t)oy * ow;
			for (int ox = 0; ox < ow; ++ox)
				yr[ox] = 0.0f;
			for (int i = 0; i < k; ++i) {
				const float *restrict xr = xp + (int64_t)(oy * stride + i) * w;
				for (int j = 0; j < k; ++j)
					for (int ox = 0; ox < ow; ++ox)
						yr[ox] += xr[ox * stride + j];
			}
			for (int ox = 0; ox < ow; ++ox)
				yr[ox] *= inv;
		}
	}
}

void cf_avgpool_backward(const float *dy, int64_t N, int c, int h, int w, int k, int stride,
			 float *dx)
{
	const int oh = (h - k) / stride + 1, ow = (w - k) / stride + 1;
	const int64_t planes = N * c, hw = (int64_t)h * w, ohw = (int64_t)oh * ow;
	const float inv = 1.0f / (float)(k * k);
	memset(dx, 0, sizeof(float) * (size_t)(planes * hw));
	for (int64_t pl = 0; pl < planes; ++pl) {
		float *restrict dxp = dx + pl * hw;
		const float *restrict dyp = dy + pl * ohw;
		for (int oy = 0; oy < oh; ++oy) {
			const float *restrict dr = dyp + (int64_t)oy * ow;
			for (int i = 0; i < k; ++i) {
				float *restrict xr = dxp + (int64_t)(oy * stride + i) * w;
				for (int j = 0; j < k; ++j)
					for (int ox = 0; ox < ow; ++ox)
						xr[ox * stride + j] += dr[ox] * inv;
			}
		}
	}
}

void cf_gap_forward(const float *x, int64_t N, int c, int hw, float *y)
{
	const int64_t planes = N * c;
	for (int64_t pl = 0; pl < planes; ++pl) {
		const float *restrict xp = x + pl * hw;
		y[pl] = (float)(cf_vec_sum(xp, hw) / hw);
	}
}

void cf_gap_backward(const float *dy, int64_t N, int c, int hw, float *dx)
{
	const int64_t planes = N * c;
	const float inv = 1.0f / (float)hw;
	for (int64_t pl = 0; pl < planes; ++pl) {
		cf_vec_fill(dx + pl * hw, dy[pl] * inv, hw);
	}
}
