/* ops_vec.h — private to the ops_*.c kernels: the inner loops over
 * contiguous float vectors, as small inline functions.
 *
 * They exist so that gcc -O2 vectorises them.  Its cheap cost model at -O2
 * will not emit a run-time alias check, so every pointer here is a
 * restrict-qualified PARAMETER (restrict on a local copy is not enough);
 * after inlining the no-alias facts stay with the loop.  Selects load both
 * operands first so the loop has no control flow.  gcc also does not
 * vectorise a float reduction without -ffast-math (it may not reorder the
 * additions); the sums keep eight explicit lanes, which it does vectorise,
 * and which also cut the rounding error of one long running sum.  The lanes
 * are combined in double.
 */
#ifndef CF_OPS_VEC_H
#define CF_OPS_VEC_H

#include <stdint.h>

/* Σ x[i], i < n. */
static inline double cf_vec_sum(const float *restrict x, int64_t n)
{
	float acc[8] = {0};
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; ++j)
			acc[j] += x[i + j];
	double t = 0.0;
	for (; i < n; ++i)
		t += x[i];
	for (int j = 0; j < 8; ++j)
		t += acc[j];
	return t;
}

/* Σ (x[i] − m)², i < n. */
static inline double cf_vec_sqdev(const float *restrict x, float m, int64_t n)
{
	float acc[8] = {0};
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; ++j) {
			const float d = x[i + j] - m;
			acc[j] += d * d;
		}
	double t = 0.0;
	for (; i < n; ++i) {
		const double d = (double)x[i] - m;
		t += d * d;
	}
	for (int j = 0; j < 8; ++j)
		t += acc[j];
	return t;
}

/* Σ y[i]·(x[i] − m), i < n. */
static inline double cf_vec_dotdev(const float *restrict y, const float *restrict x, float m,
				   int64_t n)
{
	float acc[8] = {0};
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; ++j)
			acc[j] += y[i + j] * (x[i + j] - m);
	double t = 0.0;
	for (; i < n; ++i)
		t += (double)y[i] * ((double)x[i] - m);
	for (int j = 0; j < 8; ++j)
		t += acc[j];
	return t;
}

/* The maps below run in blocks of CF_VEC_BLOCK with a fixed-length inner
 * loop, then a scalar tail: gcc -O2 (the "very cheap" vectoriser model)
 * only vectorises a loop whose trip count is a known multiple of the
 * vector length. */
#define CF_VEC_BLOCK 8

/* y[i] = v */
static inline void cf_vec_fill(float *restrict y, float v, int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j)
			y[i + j] = v;
	for (; i < n; ++i)
		y[i] = v;
}

/* y[i] = x[i] + v */
static inline void cf_vec_copy_add(float *restrict y, const float *restrict x, float v,
				   int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j)
			y[i + j] = x[i + j] + v;
	for (; i < n; ++i)
		y[i] = x[i] + v;
}

/* y[i] += x[i] */
static inline void cf_vec_add(float *restrict y, const float *restrict x, int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j)
			y[i + j] += x[i + j];
	for (; i < n; ++i)
		y[i] += x[i];
}

/* y[i] += a·x[i] */
static inline void cf_vec_axpy(float *restrict y, float a, const float *restrict x, int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j)
			y[i + j] += a * x[i + j];
	for (; i < n; ++i)
		y[i] += a * x[i];
}

/* y[i] = a·x[i] + b */
static inline void cf_vec_affine(float *restrict y, float a, const float *restrict x, float b,
				 int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j)
			y[i + j] = a * x[i + j] + b;
	for (; i < n; ++i)
		y[i] = a * x[i] + b;
}

/* y[i] = a·u[i] + b·(v[i] − m) + c */
static inline void cf_vec_affine2(float *restrict y, float a, const float *restrict u, float b,
				  const float *restrict v, float m, float c, int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j)
			y[i + j] = a * u[i + j] + b * (v[i + j] - m) + c;
	for (; i < n; ++i)
		y[i] = a * u[i] + b * (v[i] - m) + c;
}

/* y[i] = max(x[i], 0) (0 for NaN) */
static inline void cf_vec_relu(float *restrict y, const float *restrict x, int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j) {
			const float v = x[i + j];
			y[i + j] = v > 0.0f ? v : 0.0f;
		}
	for (; i < n; ++i) {
		const float v = x[i];
		y[i] = v > 0.0f ? v : 0.0f;
	}
}

/* d[i] = y[i] > 0 ? g[i] : 0 */
static inline void cf_vec_relu_mask(float *restrict d, const float *restrict y,
				    const float *restrict g, int64_t n)
{
	int64_t i = 0;
	for (; i + CF_VEC_BLOCK <= n; i += CF_VEC_BLOCK)
		for (int j = 0; j < CF_VEC_BLOCK; ++j) {
			const float v = g[i + j];
			d[i + j] = y[i + j] > 0.0f ? v : 0.0f;
		}
	for (; i < n; ++i) {
		const float v = g[i];
		d[i] = y[i] > 0.0f ? v : 0.0f;
	}
}

#endif
