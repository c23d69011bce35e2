/* ops_check.h — helpers shared by the tests of the ops kernels
 * (tests/test_ops_*.c): a seeded random generator and a central
 * finite-difference gradient check.
 *
 * The gradient check works on a scalar loss L = Σ r⊙y with a fixed random r,
 * computed by a caller's callback from the current float inputs, summed in
 * double.  Each input entry is nudged by ±h in float and the difference of
 * the losses is compared with the analytic gradient.  The error of an entry
 * is |analytic − numeric| / max(|numeric|, 0.05·max|analytic|), so tiny
 * entries are judged against the gradient's own scale rather than 0.
 */
#ifndef CF_OPS_CHECK_H
#define CF_OPS_CHECK_H

#include <math.h>
#include <stdint.h>

#include "tap.h"

static uint64_t oc_state_ = 0x9e3779b97f4a7c15ull;

static inline void oc_seed(uint64_t s) { oc_state_ = s * 0x9e3779b97f4a7c15ull + 1; }

/* Uniform in [lo, hi) from a 64-bit xorshift*. */
static inline float oc_uniform(float lo, float hi)
{
	oc_state_ ^= oc_state_ >> 12;
	oc_state_ ^= oc_state_ << 25;
	oc_state_ ^= oc_state_ >> 27;
	uint64_t r = oc_state_ * 0x2545f4914f6cdd1dull;
	double u = (double)(r >> 11) / 9007199254740992.0;
	return (float)(lo + (hi - lo) * u);
}

static inline void oc_fill(float *a, int64_t n, float lo, float hi)
{
	for (int64_t i = 0; i < n; ++i)
		a[i] = oc_uniform(lo, hi);
}

/* Σ r·y in double. */
static inline double oc_dot(const float *r, const float *y, int64_t n)
{
	double t = 0.0;
	for (int64_t i = 0; i < n; ++i)
		t += (double)r[i] * y[i];
	return t;
}

static inline double oc_max_abs_diff(const float *a, const float *b, int64_t n)
{
	double m = 0.0;
	for (int64_t i = 0; i < n; ++i) {
		double d = fabs((double)a[i] - b[i]);
		if (!(d <= m)) /* also catches NaN */
			m = d;
	}
	return m;
}

static inline double oc_max_abs(const float *a, int64_t n)
{
	double m = 0.0;
	for (int64_t i = 0; i < n; ++i)
		if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

typedef double (*oc_loss_fn)(void *ctx);

/* Check grad (analytic, n entries) of loss(ctx) with respect to param (the
 * array the loss reads) by central differences with step h; emits one TAP
 * line with the worst relative error.  param is restored afterwards. */
static inline int oc_grad_check(const char *what, float *param, const float *grad, int64_t n,
				oc_loss_fn loss, void *ctx, float h, double tol)
{
	double scale = 0.05 * oc_max_abs(grad, n), worst = 0.0;
	int64_t worst_i = 0;
	double worst_num = 0.0;
	if (scale < 1e-6)
		scale = 1e-6;
	for (int64_t i = 0; i < n; ++i) {
		const float keep = param[i];
		param[i] = keep + h;
		const double lp = loss(ctx);
		param[i] = keep - h;
		const double lm = loss(ctx);
		param[i] = keep;
		/* The step actually taken, after rounding to float. */
		const double step = (double)(keep + h) - (double)(keep - h);
		const double num = (lp - lm) / step;
		double den = fabs(num) > scale ? fabs(num) : scale;
		double e = fabs((double)grad[i] - num) / den;
		if (!(e <= worst)) {
			worst = e;
			worst_i = i;
			worst_num = num;
		}
	}
	if (!(worst <= tol))
		tap_diag("%s: entry %lld analytic %.8g numeric %.8g", what, (long long)worst_i,
			 (double)grad[worst_i], worst_num);
	return ok(worst <= tol, "%s matches finite differences (%lld entries, max rel err %.2e)",
		  what, (long long)n, worst);
}

#endif
