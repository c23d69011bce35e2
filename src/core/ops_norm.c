/* ops_norm.c — BatchNorm2d over N×c×hw, with PyTorch's semantics: batch
 * statistics with the BIASED variance for normalising in training, the
 * UNBIASED one for the running-variance update, running = (1 − momentum)·
 * running + momentum·batch, and running statistics in eval mode.
 *
 * Design choice: per channel, everything reduces to y = a·x + b (forward)
 * and dx = k·dy + p·(x − mean) + q (backward) with per-channel scalars computed from
 * a few sums, so the passes over the data are plain vectorisable maps and
 * eight-lane sums (ops_vec.h) combined in double.  Statistics use two
 * passes (mean, then squared deviations), which stays accurate when the
 * mean is large compared with the spread.  gamma and beta may be NULL
 * (no affine transform), and so may dx, dgamma and dbeta.
 */
#include "ops.h"
#include "ops_vec.h"

#include <math.h>

/* y = a·x + sh over channel ch of every sample. */
static void bn_affine(const float *x, int64_t N, int c, int hw, int ch, float a, float sh,
		      float *y)
{
	for (int64_t n = 0; n < N; ++n) {
		const int64_t off = (n * c + ch) * (int64_t)hw;
		cf_vec_affine(y + off, a, x + off, sh, hw);
	}
}

void cf_batchnorm_forward_train(const float *x, int64_t N, int c, int hw,
				const float *gamma, const float *beta, float eps, float momentum,
				float *running_mean, float *running_var,
				float *save_mean, float *save_invstd, float *y)
{
	const int64_t M = N * hw;
	if (M <= 0)
		return;
	for (int ch = 0; ch < c; ++ch) {
		double s = 0.0;
		for (int64_t n = 0; n < N; ++n)
			s += cf_vec_sum(x + (n * c + ch) * (int64_t)hw, hw);
		const float mean = (float)(s / (double)M);
		double ss = 0.0;
		for (int64_t n = 0; n < N; ++n)
			ss += cf_vec_sqdev(x + (n * c + ch) * (int64_t)hw, mean, hw);
		const double var = ss / (double)M;
		const float invstd = (float)(1.0 / sqrt(var + (double)eps));
		save_mean[ch] = mean;
		save_invstd[ch] = invstd;
		if (running_mean) {
			/* With one value per channel PyTorch refuses to train; keep
			 * the update finite by falling back to the biased variance. */
			const double unbiased = M > 1 ? ss / (double)(M - 1) : var;
			running_mean[ch] = (1.0f - momentum) * running_mean[ch] + momentum * mean;
			running_var[ch] =
				(float)((1.0 - momentum) * running_var[ch] + momentum * unbiased);
		}
		const float g = gamma ? gamma[ch] : 1.0f, bt = beta ? beta[ch] : 0.0f;
		const float a = g * invstd;
		bn_affine(x, N, c, hw, ch, a, bt - mean * a, y);
	}
}

void cf_batchnorm_forward_eval(const float *x, int64_t N, int c, int hw,
			       const float *gamma, const float *beta, float eps,
			       const float *running_mean, const float *running_var, float *y)
{
	for (int ch = 0; ch < c; ++ch) {
		const float invstd = (float)(1.0 / sqrt((double)running_var[ch] + (double)eps));
		const float g = gamma ? gamma[ch] : 1.0f, bt = beta ? beta[ch] : 0.0f;
		const float a = g * invstd;
		bn_affine(x, N, c, hw, ch, a, bt - running_mean[ch] * a, y);
	}
}

void cf_batchnorm_backward(const float *x, const float *dy, int64_t N, int c, int hw,
			   const float *gamma, const float *save_mean, const float *save_invstd,
			   float *dx, float *dgamma, float *dbeta)
{
	const int64_t M = N * hw;
	if (M <= 0)
		return;
	for (int ch = 0; ch < c; ++ch) {
		const float mean = save_mean[ch], invstd = save_invstd[ch];
		double sdy = 0.0, sdyx = 0.0; /* Σ dy and Σ dy·(x − mean) */
		for (int64_t n = 0; n < N; ++n) {
			const int64_t off = (n * c + ch) * (int64_t)hw;
			sdy += cf_vec_sum(dy + off, hw);
			sdyx += cf_vec_dotdev(dy + off, x + off, mean, hw);
		}
		if (dbeta)
			dbeta[ch] += (float)sdy;
		if (dgamma)
			dgamma[ch] += (float)(sdyx * invstd);
		if (!dx)
			continue;
		/* dx = k·(dy − mean(dy) − x̂·mean(dy·x̂)), x̂ = (x − mean)·invstd,
		 * rewritten as k·dy + p·(x − mean) + q (centred, so a large mean
		 * does not cancel). */
		const double k = (gamma ? gamma[ch] : 1.0) * invstd;
		const double mdy = sdy / (double)M;
		const double mdyx = sdyx * invstd / (double)M;
		const double p = -k * mdyx * invstd;
		const double q = -k * mdy;
		const float kf = (float)k, pf = (float)p, qf = (float)q;
		for (int64_t n = 0; n < N; ++n) {
			const int64_t off = (n * c + ch) * (int64_t)hw;
			cf_vec_affine2(dx + off, kf, dy + off, pf, x + off, mean, qf, hw);
		}
	}
}
