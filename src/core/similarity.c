/* similarity.c — layer costs for cross-layer alignment (see similarity.h).
 *
 * CKA works on Gram matrices of column-centred activations: K̄ = X̄X̄ᵀ equals
 * HKH exactly in exact arithmetic but avoids the cancellation of centring a
 * Gram matrix built from raw (often offset) activations.  The debiased
 * estimator uses the "U-centring" of the Gram matrix: with K̃ = K with its
 * diagonal set to 0, row sums r_i, S = Σ r_i and
 *     a_i = r_i/(N−2) − S/(2(N−1)(N−2)),
 *     U(K)_ij = K̃_ij − a_i − a_j  (i ≠ j),  U(K)_ii = 0,
 * one has ⟨U(K), U(L)⟩_F = N(N−3)·HSIC_1(K, L) (Song et al. 2012), and U
 * annihilates matrices of the form v1ᵀ + 1vᵀ, so centring the features
 * first changes nothing.  CKA is then a cosine of prepared matrices.
 * CCA uses an orthonormal basis of each layer's column space from a
 * Householder QR with column pivoting (the reference uses plain QR), which
 * also gives the numerical rank.
 */
#include "similarity.h"
#include "names.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>
#include <gsl/gsl_vector.h>

/* Features whose centred norm is below this fraction of the raw norm are
 * taken as constant: below float32 resolution, the rest is rounding. */
#define CF_SIM_CONST_RTOL 1e-12
/* Doubles per block when converting a wide float32 layer for dsyrk. */
#define CF_SIM_BLOCK_ELEMS ((int64_t)1 << 20)

struct cf_sim_layer {
	cf_sim_options opt;
	int64_t n;      /* samples */
	int64_t f;      /* features */
	int64_t r;      /* CCA: rank (columns of mat); CKA: f */
	double *mat;    /* CKA: n × n prepared Gram; CCA: n × r orthonormal basis */
	double norm;    /* CKA: Frobenius norm of mat */
};

cf_sim_options cf_sim_options_default(void)
{
	cf_sim_options o = { CF_SIM_CKA, CF_SIM_CKA_BIASED, 0 };
	return o;
}

int cf_sim_metric_parse(const char *name, cf_sim_metric *out, cf_error *err)
{
	if (name && strcmp(name, "cka") == 0)
		*out = CF_SIM_CKA;
	else if (name && strcmp(name, "cca") == 0)
		*out = CF_SIM_CCA;
	else
		return cf_error_set(err, CF_EINVAL,
				    "unknown layer metric '%s' for activations: expected cka or cca",
				    name ? name : "(null)");
	return CF_OK;
}

const char *const cf_sim_estimator_names[] = { "biased", "debiased", NULL };

int cf_sim_estimator_parse(const char *name, cf_sim_cka_estimator *out, cf_error *err)
{
	int k = cf_names_find(cf_sim_estimator_names, name);
	if (k >= 0)
		*out = (cf_sim_cka_estimator)k;
	else
		return cf_error_set(err, CF_EINVAL,
				    "unknown CKA estimator '%s': expected biased or debiased",
				    name ? name : "(null)");
	return CF_OK;
}

const char *cf_sim_estimator_name(cf_sim_cka_estimator e)
{
	return cf_names_at(cf_sim_estimator_names, (int)e);
}

double cf_sim_euclidean(double x, double y)
{
	double d = x - y;
	return d * d;
}

int cf_sim_euclidean_costs(const double *x, int m, const double *y, int n, double *C,
			   cf_error *err)
{
	if (m < 1 || n < 1)
		return cf_error_set(err, CF_EINVAL,
				    "euclidean layer costs: need at least one layer per model "
				    "(got m = %d, n = %d)", m, n);
	for (int i = 0; i < m; i++)
		if (!isfinite(x[i]))
			return cf_error_set(err, CF_EINVAL,
					    "euclidean layer costs: model 0 layer %d has a "
					    "non-finite representation", i + 1);
	for (int j = 0; j < n; j++)
		if (!isfinite(y[j]))
			return cf_error_set(err, CF_EINVAL,
					    "euclidean layer costs: model 1 layer %d has a "
					    "non-finite representation", j + 1);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++)
			C[(int64_t)i * n + j] = cf_sim_euclidean(x[i], y[j]);
	return CF_OK;
}

/* ---- reading a view ------------------------------------------------------ */

static inline double sim_at(const cf_sim_matrix *X, int64_t r, int64_t c)
{
	int64_t ld = X->ld > 0 ? X->ld : X->cols;
	if (X->dtype == CF_SIM_F32)
		return ((const float *)X->data)[r * ld + c];
	return ((const double *)X->data)[r * ld + c];
}

static int sim_check_view(const cf_sim_matrix *X, const char *what, cf_error *err)
{
	if (!X || !X->data || X->rows < 1 || X->cols < 1)
		return cf_error_set(err, CF_EINVAL, "%s: empty activation matrix", what);
	if (X->dtype != CF_SIM_F32 && X->dtype != CF_SIM_F64)
		return cf_error_set(err, CF_EINVAL, "%s: unknown element type %d", what,
				    (int)X->dtype);
	if (X->ld != 0 && X->ld < X->cols)
		return cf_error_set(err, CF_EINVAL,
				    "%s: row stride %lld is smaller than the %lld columns", what,
				    (long long)X->ld, (long long)X->cols);
	return CF_OK;
}

/* Per-feature sample means (mean[c], F doubles) and the raw Frobenius norm.
 * Returns CF_EINVAL on a non-finite entry. */
static int sim_column_means(const cf_sim_matrix *X, double *mean, double *rawnorm,
			    cf_error *err)
{
	double ss = 0.0;
	memset(mean, 0, (size_t)X->cols * sizeof *mean);
	for (int64_t r = 0; r < X->rows; r++)
		for (int64_t c = 0; c < X->cols; c++) {
			double v = sim_at(X, r, c);
			if (!isfinite(v))
				return cf_error_set(err, CF_EINVAL,
						    "activation (sample %lld, feature %lld) is "
						    "not finite", (long long)r + 1, (long long)c + 1);
			mean[c] += v;
			ss += v * v;
		}
	for (int64_t c = 0; c < X->cols; c++)
		mean[c] /= (double)X->rows;
	*rawnorm = sqrt(ss);
	return CF_OK;
}

/* Copy columns [c0, c0+b) of X into buf (N × b, row-major), minus mean
 * when mean is not NULL; returns the sum of squares written. */
static double sim_copy_block(const cf_sim_matrix *X, int64_t c0, int64_t b, const double *mean,
			     double *buf)
{
	double ss = 0.0;
	for (int64_t r = 0; r < X->rows; r++)
		for (int64_t c = 0; c < b; c++) {
			double v = sim_at(X, r, c0 + c) - (mean ? mean[c0 + c] : 0.0);
			buf[r * b + c] = v;
			ss += v * v;
		}
	return ss;
}

static double sim_frob(const double *a, int64_t len)
{
	double s = 0.0;
	for (int64_t i = 0; i < len; i++)
		s += a[i] * a[i];
	return sqrt(s);
}

/* ---- CKA preparation ------------------------------------------------------ */

/* Exact double centring HKH of a symmetric N × N matrix (removes the last
 * rounding-level column means left by centring the features). */
static void sim_centre_biased(double *K, int64_t n)
{
	double *cm = calloc((size_t)n, sizeof *cm), g = 0.0;
	if (!cm)
		return; /* the features are already centred: K is HKH up to rounding */
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < n; j++)
			cm[j] += K[i * n + j];
	for (int64_t j = 0; j < n; j++) {
		cm[j] /= (double)n;
		g += cm[j];
	}
	g /= (double)n;
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < n; j++)
			K[i * n + j] += g - cm[i] - cm[j];
	free(cm);
}

/* U-centring for the debiased estimator (formula in the file comment). */
static int sim_centre_unbiased(double *K, int64_t n)
{
	double *a = calloc((size_t)n, sizeof *a), S = 0.0;
	if (!a)
		return CF_ENOMEM;
	for (int64_t i = 0; i < n; i++) {
		K[i * n + i] = 0.0;
	}
	for (int64_t i = 0; i < n; i++) {
		double r = 0.0;
		for (int64_t j = 0; j < n; j++)
			r += K[i * n + j];
		a[i] = r;
		S += r;
	}
	for (int64_t i = 0; i < n; i++)
		a[i] = a[i] / (double)(n - 2) - S / (2.0 * (double)(n - 1) * (double)(n - 2));
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < n; j++)
			K[i * n + j] = i == j ? 0.0 : K[i * n + j] - a[i] - a[j];
	free(a);
	return CF_OK;
}

static int sim_prepare_cka(const cf_sim_matrix *X, cf_sim_layer *l, cf_error *err)
{
	int64_t n = X->rows, F = X->cols;
	int64_t b = CF_SIM_BLOCK_ELEMS / n;
	double *mean = NULL, *buf = NULL, rawnorm, cnorm2 = 0.0;
	int rc;

	if (l->opt.estimator == CF_SIM_CKA_DEBIASED && n < 4)
		return cf_error_set(err, CF_EINVAL,
				    "debiased CKA needs at least 4 samples, got N = %lld",
				    (long long)n);
	if (b < 1)
		b = 1;
	if (b > F)
		b = F;
	mean = malloc((size_t)F * sizeof *mean);
	buf = malloc((size_t)(n * b) * sizeof *buf);
	l->mat = calloc((size_t)(n * n), sizeof *l->mat);
	if (!mean || !buf || !l->mat) {
		rc = cf_error_set(err, CF_ENOMEM, "CKA: out of memory for a %lld × %lld Gram matrix",
				  (long long)n, (long long)n);
		goto out;
	}
	rc = sim_column_means(X, mean, &rawnorm, err);
	if (rc)
		goto out;
	for (int64_t c0 = 0; c0 < F; c0 += b) {
		int64_t w = F - c0 < b ? F - c0 : b;
		cnorm2 += sim_copy_block(X, c0, w, mean, buf);
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)w, 1.0, buf,
			    (int)w, 1.0, l->mat, (int)n);
	}
	if (rawnorm == 0.0 || sqrt(cnorm2) <= CF_SIM_CONST_RTOL * rawnorm) {
		rc = cf_error_set(err, CF_EFAILED,
				  "CKA is undefined: the activations are constant over the "
				  "%lld samples (zero variance in every feature)", (long long)n);
		goto out;
	}
	for (int64_t i = 0; i < n; i++) /* mirror the upper triangle */
		for (int64_t j = 0; j < i; j++)
			l->mat[i * n + j] = l->mat[j * n + i];
	if (l->opt.estimator == CF_SIM_CKA_DEBIASED) {
		rc = sim_centre_unbiased(l->mat, n);
		if (rc) {
			rc = cf_error_set(err, rc, "CKA: out of memory");
			goto out;
		}
	} else {
		sim_centre_biased(l->mat, n);
	}
	l->norm = sim_frob(l->mat, n * n);
	if (!(l->norm > 0.0)) {
		rc = cf_error_set(err, CF_EFAILED,
				  "CKA is undefined: the centred Gram matrix of the activations "
				  "is zero (N = %lld)", (long long)n);
		goto out;
	}
	rc = CF_OK;
out:
	free(mean);
	free(buf);
	return rc;
}

/* ---- CCA preparation ------------------------------------------------------ */

/* Householder QR with column pivoting, A P = Q R, with the same arithmetic
 * as gsl_linalg_QRPT_decomp (the same GSL kernels in the same order, so
 * the result is bit for bit the same) but one column at a time, so that a
 * stop request is seen within one column's work: for N = 3000, F = 2000
 * the whole factorisation is half a minute of level-2 BLAS.  The pivot is
 * the remaining column of largest norm; norms are downdated and recomputed
 * when cancellation has eaten most of their digits. */
static int sim_qrpt(gsl_matrix *A, gsl_vector *tau, gsl_permutation *perm, gsl_vector *norm,
		    const cf_progress *progress, cf_error *err)
{
	const size_t M = A->size1, N = A->size2, K = M < N ? M : N;
	const double recompute = sqrt(20.0) * GSL_SQRT_DBL_EPSILON;

	gsl_permutation_init(perm);
	for (size_t j = 0; j < N; j++) {
		gsl_vector_view c = gsl_matrix_column(A, j);
		gsl_vector_set(norm, j, gsl_blas_dnrm2(&c.vector));
	}
	for (size_t i = 0; i < K; i++) {
		size_t piv = i;
		double best = gsl_vector_get(norm, i);

		if (cf_progress_report(progress, "CCA: QR factorisation", (double)i / (double)K))
			return cf_error_set(err, CF_ESTOPPED, "CCA: stopped in the QR factorisation "
					    "at column %zu of %zu", i + 1, K);
		for (size_t j = i + 1; j < N; j++)
			if (gsl_vector_get(norm, j) > best) {
				best = gsl_vector_get(norm, j);
				piv = j;
			}
		if (piv != i) {
			gsl_matrix_swap_columns(A, i, piv);
			gsl_permutation_swap(perm, i, piv);
			gsl_vector_swap_elements(norm, i, piv);
		}
		gsl_vector_view col = gsl_matrix_column(A, i);
		gsl_vector_view v = gsl_vector_subvector(&col.vector, i, M - i);
		double t = gsl_linalg_householder_transform(&v.vector);
		gsl_vector_set(tau, i, t);
		if (i + 1 < N) {
			gsl_matrix_view rest = gsl_matrix_submatrix(A, i, i + 1, M - i, N - i - 1);
			if (gsl_linalg_householder_hm(t, &v.vector, &rest.matrix))
				return cf_error_set(err, CF_EFAILED, "CCA: the QR decomposition of the "
						    "%zu x %zu activations failed", M, N);
		}
		if (i + 1 >= M)
			continue;
		for (size_t j = i + 1; j < N; j++) {
			double x = gsl_vector_get(norm, j), y, q;
			if (x <= 0.0)
				continue;
			q = gsl_matrix_get(A, i, j) / x;
			y = fabs(q) >= 1 ? 0.0 : x * sqrt(1 - q * q);
			if (fabs(y / x) < recompute) {
				gsl_vector_view cj = gsl_matrix_column(A, j);
				gsl_vector_view below = gsl_vector_subvector(&cj.vector, i + 1, M - i - 1);
				y = gsl_blas_dnrm2(&below.vector);
			}
			gsl_vector_set(norm, j, y);
		}
	}
	return CF_OK;
}

static int sim_prepare_cca(const cf_sim_matrix *X, cf_sim_layer *l, const cf_progress *progress,
			   cf_error *err)
{
	int64_t n = X->rows, F = X->cols;
	gsl_matrix *A = NULL;
	gsl_vector *tau = NULL, *norm = NULL, *v = NULL;
	gsl_permutation *perm = NULL;
	double *mean = NULL, rawnorm, r00, tol;
	int rc = CF_OK;

	if (F > n)
		return cf_error_set(err, CF_EINVAL,
				    "CCA needs at least as many samples as features: the layer has "
				    "F = %lld features but only N = %lld samples (use more samples, "
				    "or CKA)", (long long)F, (long long)n);
	cf_error_gsl_off(); /* so that a failed allocation returns NULL, not abort */
	mean = malloc((size_t)F * sizeof *mean);
	A = gsl_matrix_alloc((size_t)n, (size_t)F);
	tau = gsl_vector_alloc((size_t)F);
	norm = gsl_vector_alloc((size_t)F);
	v = gsl_vector_alloc((size_t)n);
	perm = gsl_permutation_alloc((size_t)F);
	if (!mean || !A || !tau || !norm || !v || !perm) {
		rc = cf_error_set(err, CF_ENOMEM, "CCA: out of memory");
		goto out;
	}
	rc = sim_column_means(X, mean, &rawnorm, err);
	if (rc)
		goto out;
	/* gsl_matrix rows are contiguous with tda == F here */
	sim_copy_block(X, 0, F, l->opt.cca_centre ? mean : NULL, A->data);
	if (rawnorm == 0.0 || sim_frob(A->data, n * F) <= CF_SIM_CONST_RTOL * rawnorm) {
		rc = cf_error_set(err, CF_EFAILED, "CCA is undefined: the activations are %s",
				  l->opt.cca_centre ? "constant over the samples" : "all zero");
		goto out;
	}
	/* Householder QR with column pivoting: no iteration that could fail,
	 * and |R_kk| decreases, so it reveals the numerical rank. */
	if ((rc = sim_qrpt(A, tau, perm, norm, progress, err)) != CF_OK)
		goto out;
	r00 = fabs(gsl_matrix_get(A, 0, 0));
	tol = r00 * (double)(n > F ? n : F) * DBL_EPSILON;
	l->r = 0;
	while (l->r < F && fabs(gsl_matrix_get(A, (size_t)l->r, (size_t)l->r)) > tol)
		l->r++;
	l->mat = malloc((size_t)(n * l->r) * sizeof *l->mat);
	if (!l->mat) {
		rc = cf_error_set(err, CF_ENOMEM, "CCA: out of memory");
		goto out;
	}
	for (int64_t k = 0; k < l->r; k++) { /* column k of the thin Q = Q e_k */
		if (cf_progress_report(progress, "CCA: orthonormal basis", (double)k / (double)l->r)) {
			rc = cf_error_set(err, CF_ESTOPPED, "CCA: stopped forming the basis at column "
					  "%lld of %lld", (long long)k + 1, (long long)l->r);
			goto out;
		}
		gsl_vector_set_basis(v, (size_t)k);
		if (gsl_linalg_QR_Qvec(A, tau, v)) {
			rc = cf_error_set(err, CF_EFAILED, "CCA: forming Q of the QR decomposition failed");
			goto out;
		}
		for (int64_t i = 0; i < n; i++)
			l->mat[i * l->r + k] = gsl_vector_get(v, (size_t)i);
	}
out:
	free(mean);
	gsl_matrix_free(A);
	gsl_vector_free(tau);
	gsl_vector_free(norm);
	gsl_vector_free(v);
	gsl_permutation_free(perm);
	return rc;
}

/* ---- layers ---------------------------------------------------------------- */

int cf_sim_layer_new(const cf_sim_matrix *X, const cf_sim_options *opt, cf_sim_layer **out,
		     const cf_progress *progress, cf_error *err)
{
	cf_sim_options o = opt ? *opt : cf_sim_options_default();
	cf_sim_layer *l;
	int rc;

	*out = NULL;
	rc = sim_check_view(X, "layer similarity", err);
	if (rc)
		return rc;
	if (o.metric != CF_SIM_CKA && o.metric != CF_SIM_CCA)
		return cf_error_set(err, CF_EINVAL, "unknown layer metric %d", (int)o.metric);
	if (o.estimator != CF_SIM_CKA_BIASED && o.estimator != CF_SIM_CKA_DEBIASED)
		return cf_error_set(err, CF_EINVAL, "unknown CKA estimator %d", (int)o.estimator);
	if (X->rows > 46340 && o.metric == CF_SIM_CKA) /* n*n must fit an int for BLAS */
		return cf_error_set(err, CF_EINVAL,
				    "CKA: %lld samples is too many for an N × N Gram matrix",
				    (long long)X->rows);
	l = calloc(1, sizeof *l);
	if (!l)
		return cf_error_set(err, CF_ENOMEM, "layer similarity: out of memory");
	l->opt = o;
	l->n = X->rows;
	l->f = X->cols;
	l->r = X->cols;
	rc = o.metric == CF_SIM_CKA ? sim_prepare_cka(X, l, err)
				     : sim_prepare_cca(X, l, progress, err);
	if (rc) {
		cf_sim_layer_free(l);
		return rc;
	}
	*out = l;
	return CF_OK;
}

void cf_sim_layer_free(cf_sim_layer *l)
{
	if (!l)
		return;
	free(l->mat);
	free(l);
}

int64_t cf_sim_layer_rank(const cf_sim_layer *l)
{
	return l->r;
}

const double *cf_sim_layer_gram(const cf_sim_layer *l)
{
	return l->opt.metric == CF_SIM_CKA ? l->mat : NULL;
}

int cf_sim_layer_compare(const cf_sim_layer *a, const cf_sim_layer *b, double *sim,
			 cf_error *err)
{
	if (a->n != b->n)
		return cf_error_set(err, CF_EINVAL,
				    "layers were computed on different numbers of samples "
				    "(%lld and %lld)", (long long)a->n, (long long)b->n);
	if (a->opt.metric != b->opt.metric ||
	    (a->opt.metric == CF_SIM_CKA && a->opt.estimator != b->opt.estimator) ||
	    (a->opt.metric == CF_SIM_CCA && a->opt.cca_centre != b->opt.cca_centre))
		return cf_error_set(err, CF_EINVAL,
				    "layers were prepared with different similarity options");
	if (a->opt.metric == CF_SIM_CKA) {
		double dot = 0.0;
		for (int64_t i = 0; i < a->n * a->n; i++)
			dot += a->mat[i] * b->mat[i];
		*sim = dot / (a->norm * b->norm);
	} else {
		int64_t ra = a->r, rb = b->r;
		double *G = malloc((size_t)(ra * rb) * sizeof *G);
		if (!G)
			return cf_error_set(err, CF_ENOMEM, "CCA: out of memory");
		cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ra, (int)rb, (int)a->n,
			    1.0, a->mat, (int)ra, b->mat, (int)rb, 0.0, G, (int)rb);
		double fr = sim_frob(G, ra * rb);
		*sim = fr * fr / (double)(ra < rb ? ra : rb);
		free(G);
	}
	return CF_OK;
}

/* ---- one pair ---------------------------------------------------------------- */

/* Column-centred double copy of X (N × F) with its centred and raw norms. */
static int sim_centred_copy(const cf_sim_matrix *X, double **out, cf_error *err)
{
	double *mean = malloc((size_t)X->cols * sizeof *mean), rawnorm, cn;
	double *buf = malloc((size_t)(X->rows * X->cols) * sizeof *buf);
	int rc;

	*out = NULL;
	if (!mean || !buf) {
		free(mean);
		free(buf);
		return cf_error_set(err, CF_ENOMEM, "CKA: out of memory");
	}
	rc = sim_column_means(X, mean, &rawnorm, err);
	if (!rc) {
		cn = sqrt(sim_copy_block(X, 0, X->cols, mean, buf));
		if (rawnorm == 0.0 || cn <= CF_SIM_CONST_RTOL * rawnorm)
			rc = cf_error_set(err, CF_EFAILED,
					  "CKA is undefined: the activations are constant over "
					  "the %lld samples (zero variance in every feature)",
					  (long long)X->rows);
	}
	free(mean);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return CF_OK;
}

/* ‖AᵀB‖_F for A (N × p), B (N × q). */
static int sim_cross_frob(const double *A, int64_t p, const double *B, int64_t q, int64_t N,
			  double *out)
{
	double *G = malloc((size_t)(p * q) * sizeof *G);
	if (!G)
		return CF_ENOMEM;
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)p, (int)q, (int)N, 1.0, A,
		    (int)p, B, (int)q, 0.0, G, (int)q);
	*out = sim_frob(G, p * q);
	free(G);
	return CF_OK;
}

static int sim_cka_features(const cf_sim_matrix *X, const cf_sim_matrix *Y, double *cka,
			    cf_error *err)
{
	double *Xc = NULL, *Yc = NULL, xy, xx, yy;
	int64_t N = X->rows, p = X->cols, q = Y->cols;
	int rc;

	rc = sim_centred_copy(X, &Xc, err);
	if (rc)
		return cf_error_prefix(err, rc, "first layer");
	rc = sim_centred_copy(Y, &Yc, err);
	if (rc) {
		free(Xc);
		return cf_error_prefix(err, rc, "second layer");
	}
	if (sim_cross_frob(Xc, p, Yc, q, N, &xy) || sim_cross_frob(Xc, p, Xc, p, N, &xx) ||
	    sim_cross_frob(Yc, q, Yc, q, N, &yy))
		rc = cf_error_set(err, CF_ENOMEM, "CKA: out of memory");
	else
		*cka = xy * xy / (xx * yy);
	free(Xc);
	free(Yc);
	return rc;
}

static int sim_pair(const cf_sim_matrix *X, const cf_sim_matrix *Y, const cf_sim_options *o,
		    double *sim, const cf_progress *progress, cf_error *err)
{
	cf_sim_layer *a = NULL, *b = NULL;
	int rc;

	rc = cf_sim_layer_new(X, o, &a, progress, err);
	if (rc)
		return cf_error_prefix(err, rc, "first layer");
	rc = cf_sim_layer_new(Y, o, &b, progress, err);
	if (rc) {
		cf_sim_layer_free(a);
		return cf_error_prefix(err, rc, "second layer");
	}
	rc = cf_sim_layer_compare(a, b, sim, err);
	cf_sim_layer_free(a);
	cf_sim_layer_free(b);
	return rc;
}

int cf_sim_cka(const cf_sim_matrix *X, const cf_sim_matrix *Y, cf_sim_cka_estimator est,
	       double *cka, cf_error *err)
{
	cf_sim_options o = cf_sim_options_default();
	int rc;

	if ((rc = sim_check_view(X, "CKA first layer", err)) ||
	    (rc = sim_check_view(Y, "CKA second layer", err)))
		return rc;
	if (X->rows != Y->rows)
		return cf_error_set(err, CF_EINVAL,
				    "CKA: the layers have different numbers of samples (%lld and %lld)",
				    (long long)X->rows, (long long)Y->rows);
	if (est == CF_SIM_CKA_BIASED && X->cols < X->rows && Y->cols < Y->rows)
		return sim_cka_features(X, Y, cka, err);
	o.estimator = est;
	return sim_pair(X, Y, &o, cka, NULL, err);
}

int cf_sim_cca(const cf_sim_matrix *X, const cf_sim_matrix *Y, int centre, double *cca,
	       const cf_progress *progress, cf_error *err)
{
	cf_sim_options o = cf_sim_options_default();
	int rc;

	if ((rc = sim_check_view(X, "CCA first layer", err)) ||
	    (rc = sim_check_view(Y, "CCA second layer", err)))
		return rc;
	if (X->rows != Y->rows)
		return cf_error_set(err, CF_EINVAL,
				    "CCA: the layers have different numbers of samples (%lld and %lld)",
				    (long long)X->rows, (long long)Y->rows);
	o.metric = CF_SIM_CCA;
	o.cca_centre = centre ? 1 : 0;
	return sim_pair(X, Y, &o, cca, progress, err);
}

/* ---- the cost matrix ---------------------------------------------------------- */

int cf_sim_cost_matrix(const cf_sim_matrix *xs, int m, const cf_sim_matrix *ys, int n,
		       const cf_sim_options *opt, double *C, const cf_progress *progress,
		       cf_error *err)
{
	cf_sim_layer **ly = NULL, *lx = NULL;
	double *tmp = NULL;
	int rc = CF_OK;
	char what[64];

	if (m < 1 || n < 1)
		return cf_error_set(err, CF_EINVAL,
				    "layer costs: need at least one layer per model (got m = %d, "
				    "n = %d)", m, n);
	for (int i = 0; i < m; i++)
		if (xs[i].rows != ys[0].rows)
			return cf_error_set(err, CF_EINVAL,
					    "layer costs: model 0 layer %d has %lld samples, model 1 "
					    "layer 1 has %lld: all layers need the same samples",
					    i + 1, (long long)xs[i].rows, (long long)ys[0].rows);
	for (int j = 0; j < n; j++)
		if (ys[j].rows != ys[0].rows)
			return cf_error_set(err, CF_EINVAL,
					    "layer costs: model 1 layer %d has %lld samples, layer 1 "
					    "has %lld: all layers need the same samples",
					    j + 1, (long long)ys[j].rows, (long long)ys[0].rows);
	ly = calloc((size_t)n, sizeof *ly);
	tmp = malloc((size_t)m * (size_t)n * sizeof *tmp);
	if (!ly || !tmp) {
		rc = cf_error_set(err, CF_ENOMEM, "layer costs: out of memory");
		goto out;
	}
	for (int j = 0; j < n; j++) {
		rc = cf_sim_layer_new(&ys[j], opt, &ly[j], progress, err);
		if (rc) {
			cf_error_prefix(err, rc, "model 1 layer %d", j + 1);
			goto out;
		}
	}
	for (int i = 0; i < m; i++) {
		snprintf(what, sizeof what, "layer costs: model 0 layer %d/%d", i + 1, m);
		if (cf_progress_report(progress, what, (double)i / m)) {
			rc = cf_error_set(err, CF_ESTOPPED, "layer costs: stopped at model 0 layer %d",
					  i + 1);
			goto out;
		}
		rc = cf_sim_layer_new(&xs[i], opt, &lx, progress, err);
		if (rc) {
			cf_error_prefix(err, rc, "model 0 layer %d", i + 1);
			goto out;
		}
		for (int j = 0; j < n; j++) {
			double s;
			rc = cf_sim_layer_compare(lx, ly[j], &s, err);
			if (rc) {
				cf_error_prefix(err, rc, "model 0 layer %d vs model 1 layer %d", i + 1,
						j + 1);
				goto out;
			}
			tmp[(int64_t)i * n + j] = 1.0 - s;
		}
		cf_sim_layer_free(lx);
		lx = NULL;
	}
	memcpy(C, tmp, (size_t)m * (size_t)n * sizeof *C);
out:
	cf_sim_layer_free(lx);
	if (ly)
		for (int j = 0; j < n; j++)
			cf_sim_layer_free(ly[j]);
	free(ly);
	free(tmp);
	return rc;
}
