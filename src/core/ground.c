/* ground.c — pairwise ground costs between row sets (see ground.h).
 *
 * The GEMM form computes G = X·Yᵀ with one cblas_dgemm and assembles
 * ‖x‖² + ‖y‖² − 2G clamped at 0 (cancellation can make it slightly
 * negative); the direct form is the exact difference sum, for checks and
 * small problems.  The median uses a selection on a copy, the lower median
 * like torch.median.
 */
#include "ground.h"
#include "names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

const char *const cf_ground_metric_names[] = { "sqeuclidean", "euclidean", "cosine", NULL };
const char *const cf_ground_norm_names[] = { "none", "max", "median", "mean", "log1p", NULL };

int cf_ground_metric_parse(const char *name)
{
	return cf_names_find(cf_ground_metric_names, name);
}

int cf_ground_norm_parse(const char *name)
{
	return cf_names_find(cf_ground_norm_names, name);
}

static int check_rows(const double *X, int64_t n, int64_t d, const char *name, double *sq,
		      cf_error *err)
{
	for (int64_t i = 0; i < n; i++) {
		double s = 0;
		for (int64_t k = 0; k < d; k++) {
			double x = X[i * d + k];
			if (!isfinite(x))
				return cf_error_set(err, CF_EINVAL, "%s[%lld][%lld] is not finite", name,
						    (long long)i, (long long)k);
			s += x * x;
		}
		sq[i] = s;
	}
	return CF_OK;
}

/* The argument checks both entry points make before touching the data. */
static int check_args(const void *X, int64_t n, const void *Y, int64_t m, int64_t d,
		      const double *M, cf_error *err)
{
	if (!X || !Y || !M)
		return cf_error_set(err, CF_EINVAL, "ground cost: missing input or output array");
	if (n < 1 || m < 1 || d < 1)
		return cf_error_set(err, CF_EINVAL, "ground cost: sizes n=%lld, m=%lld, d=%lld must be >= 1",
				    (long long)n, (long long)m, (long long)d);
	return CF_OK;
}

int cf_ground_cost(const double *X, int64_t n, const double *Y, int64_t m, int64_t d,
		   cf_ground_metric metric, int direct, double *M, cf_error *err)
{
	double *sx, *sy;
	int rc;

	if ((rc = check_args(X, n, Y, m, d, M, err)))
		return rc;
	if (n > INT32_MAX || m > INT32_MAX || d > INT32_MAX)
		return cf_error_set(err, CF_EINVAL, "ground cost: sizes too large for BLAS");
	if ((int)metric < 0 || metric > CF_GROUND_COSINE)
		return cf_error_set(err, CF_EINVAL, "ground cost: unknown metric %d", (int)metric);
	sx = malloc((size_t)n * sizeof *sx);
	sy = malloc((size_t)m * sizeof *sy);
	if (!sx || !sy) {
		free(sx);
		free(sy);
		return cf_error_set(err, CF_ENOMEM, "ground cost: out of memory");
	}
	if ((rc = check_rows(X, n, d, "X", sx, err)) || (rc = check_rows(Y, m, d, "Y", sy, err))) {
		free(sx);
		free(sy);
		return rc;
	}
	if (direct && metric != CF_GROUND_COSINE) {
		for (int64_t i = 0; i < n; i++)
			for (int64_t j = 0; j < m; j++) {
				const double *x = X + i * d, *y = Y + j * d;
				double s = 0;
				for (int64_t k = 0; k < d; k++)
					s += (x[k] - y[k]) * (x[k] - y[k]);
				M[i * m + j] = s;
			}
	} else {
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)m, (int)d, 1.0, X, (int)d,
			    Y, (int)d, 0.0, M, (int)m);
		for (int64_t i = 0; i < n; i++) {
			double *Mi = M + i * m;
			if (metric == CF_GROUND_COSINE) {
				for (int64_t j = 0; j < m; j++) {
					double c;
					if (sx[i] == 0 || sy[j] == 0) {
						Mi[j] = (sx[i] == 0 && sy[j] == 0) ? 0.0 : 1.0;
						continue;
					}
					c = Mi[j] / (sqrt(sx[i]) * sqrt(sy[j]));
					c = 1.0 - c;
					Mi[j] = c < 0 ? 0 : (c > 2 ? 2 : c);
				}
			} else {
				for (int64_t j = 0; j < m; j++) {
					double q = sx[i] + sy[j] - 2.0 * Mi[j];
					Mi[j] = q > 0 ? q : 0.0;
				}
			}
		}
	}
	if (metric == CF_GROUND_EUCLIDEAN)
		for (int64_t k = 0; k < n * m; k++)
			M[k] = sqrt(M[k]);
	free(sx);
	free(sy);
	return CF_OK;
}

int cf_ground_cost_f(const float *X, int64_t n, const float *Y, int64_t m, int64_t d,
		     cf_ground_metric metric, int direct, double *M, cf_error *err)
{
	double *x, *y;
	int rc;
	if ((rc = check_args(X, n, Y, m, d, M, err)))
		return rc;
	x = malloc((size_t)(n * d) * sizeof *x);
	y = malloc((size_t)(m * d) * sizeof *y);
	if (!x || !y) {
		free(x);
		free(y);
		return cf_error_set(err, CF_ENOMEM, "ground cost: out of memory");
	}
	for (int64_t k = 0; k < n * d; k++)
		x[k] = X[k];
	for (int64_t k = 0; k < m * d; k++)
		y[k] = Y[k];
	rc = cf_ground_cost(x, n, y, m, d, metric, direct, M, err);
	free(x);
	free(y);
	return rc;
}

static void swap_d(double *a, double *b)
{
	double t = *a;
	*a = *b;
	*b = t;
}

/* k-th smallest of a copy: quickselect with median-of-three pivots (Hoare
 * partition), O(count) on average without sorting. */
static int kth(const double *x, int64_t count, int64_t k, double *out)
{
	double *w = malloc((size_t)count * sizeof *w);
	int64_t lo = 0, hi = count - 1;
	if (!w)
		return CF_ENOMEM;
	memcpy(w, x, (size_t)count * sizeof *w);
	while (hi > lo) {
		int64_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		double piv;
		if (w[mid] < w[lo]) swap_d(&w[mid], &w[lo]);
		if (w[hi] < w[lo]) swap_d(&w[hi], &w[lo]);
		if (w[hi] < w[mid]) swap_d(&w[hi], &w[mid]);
		piv = w[mid];
		while (i <= j) {
			while (w[i] < piv) i++;
			while (w[j] > piv) j--;
			if (i <= j) {
				swap_d(&w[i], &w[j]);
				i++;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	*out = w[k];
	free(w);
	return CF_OK;
}

int cf_ground_median(const double *M, int64_t count, double *median)
{
	return kth(M, count, (count - 1) / 2, median);
}

int cf_ground_normalize(double *M, int64_t count, cf_ground_norm norm, double *divisor,
			cf_error *err)
{
	double dv = 1;
	if (divisor)
		*divisor = 1;
	if (!M || count < 1)
		return cf_error_set(err, CF_EINVAL, "normalise: empty cost matrix");
	for (int64_t k = 0; k < count; k++)
		if (!isfinite(M[k]))
			return cf_error_set(err, CF_EINVAL, "normalise: cost entry %lld is not finite",
					    (long long)k);
	switch (norm) {
	case CF_GROUND_NORM_NONE:
		return CF_OK;
	case CF_GROUND_NORM_LOG1P:
		for (int64_t k = 0; k < count; k++)
			if (M[k] < 0)
				return cf_error_set(err, CF_EINVAL,
						    "normalise log1p: cost entry %lld = %g is negative",
						    (long long)k, M[k]);
		for (int64_t k = 0; k < count; k++)
			M[k] = log1p(M[k]);
		return CF_OK;
	case CF_GROUND_NORM_MAX:
		dv = M[0];
		for (int64_t k = 1; k < count; k++)
			dv = fmax(dv, M[k]);
		break;
	case CF_GROUND_NORM_MEAN:
		dv = 0;
		for (int64_t k = 0; k < count; k++)
			dv += M[k];
		dv /= (double)count;
		break;
	case CF_GROUND_NORM_MEDIAN:
		if (cf_ground_median(M, count, &dv))
			return cf_error_set(err, CF_ENOMEM, "normalise: out of memory for the median");
		break;
	default:
		return cf_error_set(err, CF_EINVAL, "normalise: unknown normalisation %d", (int)norm);
	}
	if (!(dv > 0) || !isfinite(dv))
		return CF_OK; /* nothing sensible to divide by */
	for (int64_t k = 0; k < count; k++)
		M[k] /= dv;
	if (divisor)
		*divisor = dv;
	return CF_OK;
}
