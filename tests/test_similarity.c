/* test_similarity.c — layer costs: the CKA example of ALGORITHM.md §3.2,
 * CKA invariances, the debiased estimator against a direct O(N²) HSIC_1
 * implementation, CCA hand cases and a projection-matrix cross-check, the
 * cost-matrix builder and its error paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>

#include "similarity.h"
#include "tap.h"

static const double EX_X[4 * 2] = { 1, 0, 0, 1, 1, 1, 0, 0 };
static const double EX_Y[4 * 3] = { 2, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1 };

static double *rand_matrix(gsl_rng *r, int rows, int cols)
{
	double *a = malloc((size_t)(rows * cols) * sizeof *a);
	for (int i = 0; i < rows * cols; i++)
		a[i] = gsl_ran_gaussian(r, 1.0);
	return a;
}

/* C = A (r × k) · B (k × c) */
static double *matmul(const double *A, const double *B, int r, int k, int c)
{
	double *C = calloc((size_t)(r * c), sizeof *C);
	for (int i = 0; i < r; i++)
		for (int t = 0; t < k; t++)
			for (int j = 0; j < c; j++)
				C[i * c + j] += A[i * k + t] * B[t * c + j];
	return C;
}

static double *orthogonal(gsl_rng *r, int n)
{
	gsl_matrix *A = gsl_matrix_alloc((size_t)n, (size_t)n), *Q = gsl_matrix_alloc((size_t)n, (size_t)n);
	gsl_matrix *R = gsl_matrix_alloc((size_t)n, (size_t)n);
	gsl_vector *tau = gsl_vector_alloc((size_t)n);
	double *q = malloc((size_t)(n * n) * sizeof *q);
	for (int i = 0; i < n * n; i++)
		A->data[i] = gsl_ran_gaussian(r, 1.0);
	gsl_linalg_QR_decomp(A, tau);
	gsl_linalg_QR_unpack(A, tau, Q, R);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			q[i * n + j] = gsl_matrix_get(Q, (size_t)i, (size_t)j);
	gsl_matrix_free(A);
	gsl_matrix_free(Q);
	gsl_matrix_free(R);
	gsl_vector_free(tau);
	return q;
}

static double cka_of(const double *X, int N, int p, const double *Y, int q,
		     cf_sim_cka_estimator est)
{
	cf_sim_matrix a = cf_sim_matrix_f64(X, N, p), b = cf_sim_matrix_f64(Y, N, q);
	double v = NAN;
	cf_error err = { 0, "" };
	if (cf_sim_cka(&a, &b, est, &v, &err))
		tap_diag("cka failed: %s", err.msg);
	return v;
}

/* Direct, independent reference: biased CKA from explicit H K H. */
static double ref_cka_biased(const double *X, int N, int p, const double *Y, int q)
{
	double *K = calloc((size_t)(N * N), sizeof *K), *L = calloc((size_t)(N * N), sizeof *L);
	double kl = 0, kk = 0, ll = 0;
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			for (int t = 0; t < p; t++)
				K[i * N + j] += X[i * p + t] * X[j * p + t];
			for (int t = 0; t < q; t++)
				L[i * N + j] += Y[i * q + t] * Y[j * q + t];
		}
	/* H K H with H = I − 11ᵀ/N, by explicit products */
	double *H = malloc((size_t)(N * N) * sizeof *H);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			H[i * N + j] = (i == j) - 1.0 / N;
	double *t1 = matmul(H, K, N, N, N), *Kc = matmul(t1, H, N, N, N);
	double *t2 = matmul(H, L, N, N, N), *Lc = matmul(t2, H, N, N, N);
	for (int i = 0; i < N * N; i++) {
		kl += Kc[i] * Lc[i];
		kk += Kc[i] * Kc[i];
		ll += Lc[i] * Lc[i];
	}
	free(K), free(L), free(H), free(t1), free(t2), free(Kc), free(Lc);
	return kl / sqrt(kk * ll);
}

/* Direct HSIC_1 of Song et al. (2012): with K̃, L̃ the Gram matrices with
 * zero diagonal,
 * HSIC_1 = [tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1/((N−1)(N−2)) − 2/(N−2)·1ᵀK̃L̃1] / (N(N−3)). */
static double ref_hsic1(const double *K, const double *L, int N)
{
	double tr = 0, sk = 0, sl = 0, cross = 0;
	for (int i = 0; i < N; i++) {
		double rk = 0, rl = 0;
		for (int j = 0; j < N; j++) {
			if (i == j)
				continue;
			tr += K[i * N + j] * L[j * N + i];
			rk += K[i * N + j];
			rl += L[i * N + j];
		}
		sk += rk;
		sl += rl;
		cross += rk * rl;
	}
	return (tr + sk * sl / ((N - 1.0) * (N - 2.0)) - 2.0 / (N - 2.0) * cross) /
	       (N * (N - 3.0));
}

static double ref_cka_debiased(const double *X, int N, int p, const double *Y, int q)
{
	double *K = calloc((size_t)(N * N), sizeof *K), *L = calloc((size_t)(N * N), sizeof *L);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			for (int t = 0; t < p; t++)
				K[i * N + j] += X[i * p + t] * X[j * p + t];
			for (int t = 0; t < q; t++)
				L[i * N + j] += Y[i * q + t] * Y[j * q + t];
		}
	double v = ref_hsic1(K, L, N) / sqrt(ref_hsic1(K, K, N) * ref_hsic1(L, L, N));
	free(K);
	free(L);
	return v;
}

static void test_cka_example(void)
{
	static const double Kc[16] = { .5, -.5, 0, 0, -.5, .5, 0, 0, 0, 0, .5, -.5, 0, 0, -.5, .5 };
	cf_sim_matrix X = cf_sim_matrix_f64(EX_X, 4, 2), Y = cf_sim_matrix_f64(EX_Y, 4, 3);
	cf_sim_options o = cf_sim_options_default();
	cf_sim_layer *lx = NULL, *ly = NULL;
	cf_error err = { 0, "" };
	double v = 0, worst = 0, C = 0;

	ok(cf_sim_layer_new(&X, &o, &lx, NULL, &err) == CF_OK, "§3.2 X prepared (%s)", err.msg);
	for (int i = 0; i < 16; i++)
		worst = fmax(worst, fabs(cf_sim_layer_gram(lx)[i] - Kc[i]));
	ok(worst < 1e-15, "§3.2 K^c(X) = [[.5,-.5,0,0],[-.5,.5,0,0],[0,0,.5,-.5],[0,0,-.5,.5]] "
	   "(max err %.2g)", worst);
	ok(cf_sim_layer_new(&Y, &o, &ly, NULL, &err) == CF_OK, "§3.2 Y prepared");
	cf_sim_layer_compare(lx, ly, &v, &err);
	is_double(v, 0.8432740427, 1e-10, "§3.2 CKA(X,Y) via Gram matrices");
	is_double(cka_of(EX_X, 4, 2, EX_Y, 3, CF_SIM_CKA_BIASED), 0.8432740427, 1e-10,
		  "§3.2 CKA(X,Y) via the feature-space form");
	{
		float xf[8], yf[12];
		for (int i = 0; i < 8; i++)
			xf[i] = (float)EX_X[i];
		for (int i = 0; i < 12; i++)
			yf[i] = (float)EX_Y[i];
		cf_sim_matrix a = cf_sim_matrix_f32(xf, 4, 2), b = cf_sim_matrix_f32(yf, 4, 3);
		cf_sim_cka(&a, &b, CF_SIM_CKA_BIASED, &v, NULL);
		is_double(v, 0.8432740427, 1e-10, "§3.2 CKA(X,Y) from float32 inputs");
	}
	ok(cf_sim_cost_matrix(&X, 1, &Y, 1, &o, &C, NULL, &err) == CF_OK, "cost matrix runs");
	is_double(C, 0.1567259573, 1e-10, "§3.2 cost 1 - CKA");
	{
		double X3[8];
		for (int i = 0; i < 8; i++)
			X3[i] = 3 * EX_X[i];
		is_double(cka_of(EX_X, 4, 2, X3, 2, CF_SIM_CKA_BIASED), 1.0, 1e-14, "CKA(X, 3X) = 1");
	}
	{
		/* a strided view: X as the first 2 columns of a 4 × 5 buffer */
		double buf[20];
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 5; j++)
				buf[i * 5 + j] = j < 2 ? EX_X[i * 2 + j] : 99.0 + i * j;
		cf_sim_matrix s = { buf, CF_SIM_F64, 4, 2, 5 };
		cf_sim_cka(&s, &Y, CF_SIM_CKA_BIASED, &v, NULL);
		is_double(v, 0.8432740427, 1e-10, "strided view (ld = 5) reads the right columns");
	}
	cf_sim_layer_free(lx);
	cf_sim_layer_free(ly);
}

static void test_cka_invariance(gsl_rng *r)
{
	const int N = 30, p = 5, q = 8;
	double *X = rand_matrix(r, N, p), *Z = rand_matrix(r, N, q), *Q = orthogonal(r, p);
	double *XQ = matmul(X, Q, N, p, p), Xs[30 * 5];
	double base = cka_of(X, N, p, Z, q, CF_SIM_CKA_BIASED);

	for (int i = 0; i < N * p; i++)
		Xs[i] = 2.5 * X[i];
	is_double(base, ref_cka_biased(X, N, p, Z, q), 1e-12,
		  "biased CKA equals explicit HKH reference (random 30x5 vs 30x8)");
	ok(base > 0.05 && base < 0.95, "random layers: CKA %.4f strictly between 0 and 1", base);
	is_double(cka_of(XQ, N, p, Z, q, CF_SIM_CKA_BIASED), base, 1e-12,
		  "CKA invariant to an orthogonal transform of the features");
	is_double(cka_of(Xs, N, p, Z, q, CF_SIM_CKA_BIASED), base, 1e-12,
		  "CKA invariant to isotropic scaling");
	is_double(cka_of(X, N, p, XQ, p, CF_SIM_CKA_BIASED), 1.0, 1e-12, "CKA(X, XQ) = 1");
	is_double(cka_of(Z, N, q, X, p, CF_SIM_CKA_BIASED), base, 1e-13, "CKA symmetric");
	{
		/* Gram path (layer API) agrees with the feature-space form */
		cf_sim_matrix a = cf_sim_matrix_f64(X, N, p), b = cf_sim_matrix_f64(Z, N, q);
		cf_sim_options o = cf_sim_options_default();
		cf_sim_layer *la, *lb;
		double v = 0;
		cf_sim_layer_new(&a, &o, &la, NULL, NULL);
		cf_sim_layer_new(&b, &o, &lb, NULL, NULL);
		cf_sim_layer_compare(la, lb, &v, NULL);
		is_double(v, base, 1e-12, "Gram form = feature-space form");
		cf_sim_layer_free(la);
		cf_sim_layer_free(lb);
	}
	{
		/* a wide float32 layer (F > N, several dsyrk blocks) */
		const int n = 8, F = (1 << 20) / 8 + 5;
		float *W = malloc((size_t)n * F * sizeof *W);
		double *Wd = malloc((size_t)n * F * sizeof *Wd);
		for (int64_t i = 0; i < (int64_t)n * F; i++)
			Wd[i] = W[i] = (float)(gsl_ran_gaussian(r, 1.0) + 0.3);
		double *Zs = rand_matrix(r, n, 3), v = 0;
		cf_sim_matrix a = cf_sim_matrix_f32(W, n, F), b = cf_sim_matrix_f64(Zs, n, 3);
		cf_sim_cka(&a, &b, CF_SIM_CKA_BIASED, &v, NULL);
		is_double(v, ref_cka_biased(Wd, n, F, Zs, 3), 1e-10,
			  "wide float32 layer (8 x 131077, 2 column blocks) matches direct CKA");
		free(W), free(Wd), free(Zs);
	}
	free(X), free(Z), free(Q), free(XQ);
}

static void test_cka_debiased(gsl_rng *r)
{
	const int N = 12, p = 5, q = 20;
	double *X = rand_matrix(r, N, p), *Y = rand_matrix(r, N, q);
	double d = cka_of(X, N, p, Y, q, CF_SIM_CKA_DEBIASED), b;

	is_double(d, ref_cka_debiased(X, N, p, Y, q), 1e-12,
		  "debiased CKA equals direct HSIC_1 formula (12x5 vs 12x20)");
	is_double(cka_of(Y, N, q, X, p, CF_SIM_CKA_DEBIASED), d, 1e-13, "debiased CKA symmetric");
	is_double(cka_of(X, N, p, X, p, CF_SIM_CKA_DEBIASED), 1.0, 1e-13, "debiased CKA(X,X) = 1");
	b = cka_of(X, N, p, Y, q, CF_SIM_CKA_BIASED);
	ok(fabs(d) < b, "independent random layers: |debiased| %.4f < biased %.4f", d, b);
	{
		/* a dependent pair: Y2 = X·A + noise, and an offset on every feature */
		double *A = rand_matrix(r, p, 4), *Y2 = matmul(X, A, N, p, 4), Xo[12 * 5];
		for (int i = 0; i < N * 4; i++)
			Y2[i] += 0.3 * gsl_ran_gaussian(r, 1.0);
		for (int i = 0; i < N * p; i++)
			Xo[i] = X[i] + 4.0 + (i % p);
		double d2 = cka_of(X, N, p, Y2, 4, CF_SIM_CKA_DEBIASED);
		is_double(d2, ref_cka_debiased(X, N, p, Y2, 4), 1e-12,
			  "debiased CKA of a dependent pair equals the direct formula");
		is_double(cka_of(Xo, N, p, Y2, 4, CF_SIM_CKA_DEBIASED), d2, 1e-12,
			  "debiased CKA invariant to per-feature offsets");
		free(A), free(Y2);
	}
	{
		cf_sim_matrix a = cf_sim_matrix_f64(X, 3, p), c = cf_sim_matrix_f64(Y, 3, q);
		cf_error err;
		double v;
		int rc = cf_sim_cka(&a, &c, CF_SIM_CKA_DEBIASED, &v, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "at least 4 samples"),
		   "debiased CKA with N = 3 rejected: %s", err.msg);
	}
	free(X), free(Y);
}

/* Independent CCA: tr(P_X P_Y)/min(p,q), P = X (XᵀX)⁻¹ Xᵀ by Cholesky. */
static double *projector(const double *X, int N, int p)
{
	gsl_matrix *G = gsl_matrix_calloc((size_t)p, (size_t)p);
	double *P = calloc((size_t)(N * N), sizeof *P);
	for (int a = 0; a < p; a++)
		for (int b = 0; b < p; b++)
			for (int i = 0; i < N; i++)
				G->data[a * p + b] += X[i * p + a] * X[i * p + b];
	gsl_linalg_cholesky_decomp1(G);
	gsl_linalg_cholesky_invert(G);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			for (int a = 0; a < p; a++)
				for (int b = 0; b < p; b++)
					P[i * N + j] += X[i * p + a] * gsl_matrix_get(G, (size_t)a, (size_t)b) *
							X[j * p + b];
	gsl_matrix_free(G);
	return P;
}

static double cca_of(const double *X, int N, int p, const double *Y, int q, int centre)
{
	cf_sim_matrix a = cf_sim_matrix_f64(X, N, p), b = cf_sim_matrix_f64(Y, N, q);
	double v = NAN;
	cf_error err = { 0, "" };
	if (cf_sim_cca(&a, &b, centre, &v, NULL, &err))
		tap_diag("cca failed: %s", err.msg);
	return v;
}

static void test_cca(gsl_rng *r)
{
	double E12[6 * 2] = { 0 }, E34[6 * 2] = { 0 }, Ep[6 * 2] = { 0 };
	for (int i = 0; i < 2; i++) {
		E12[i * 2 + i] = 1;
		E34[(i + 2) * 2 + i] = 1;
	}
	Ep[0 * 2 + 0] = 1; /* [e1, (e2 + e3)/√2] */
	Ep[1 * 2 + 1] = Ep[2 * 2 + 1] = 1 / sqrt(2.0);
	is_double(cca_of(E12, 6, 2, E34, 2, 0), 0.0, 1e-15, "CCA of orthogonal subspaces = 0");
	is_double(cca_of(E12, 6, 2, Ep, 2, 0), 0.75, 1e-14,
		  "CCA [e1,e2] vs [e1,(e2+e3)/sqrt2]: correlations 1, 1/sqrt2 -> 0.75");
	{
		const int N = 20, p = 3;
		double *X = rand_matrix(r, N, p), *R = rand_matrix(r, p, p);
		double *Y = matmul(X, R, N, p, p), *Z = rand_matrix(r, N, 4);
		is_double(cca_of(X, N, p, Y, p, 0), 1.0, 1e-12, "CCA of identical subspaces (Y = XR) = 1");
		for (int i = 0; i < N * p; i++)
			Y[i] += 5.0;
		double unc = cca_of(X, N, p, Y, p, 0), cen = cca_of(X, N, p, Y, p, 1);
		is_double(cen, 1.0, 1e-12, "centred CCA of XR + 5 = 1");
		ok(unc < 0.999, "uncentred CCA of XR + 5 < 1 (%.6f): the reference's default differs",
		   unc);
		double *PX = projector(X, N, p), *PZ = projector(Z, N, 4), tr = 0;
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++)
				tr += PX[i * N + j] * PZ[j * N + i];
		is_double(cca_of(X, N, p, Z, 4, 0), tr / 3.0, 1e-12,
			  "CCA = tr(P_X P_Y)/min(p,q) (projection matrices, 20x3 vs 20x4)");
		free(X), free(R), free(Y), free(Z), free(PX), free(PZ);
	}
	{
		/* rank-deficient: [e1, e1, e2] spans the same plane as [e1, e2] */
		double D[6 * 3] = { 0 };
		cf_sim_matrix d = cf_sim_matrix_f64(D, 6, 3);
		cf_sim_options o = cf_sim_options_default();
		cf_sim_layer *l = NULL;
		D[0 * 3 + 0] = D[0 * 3 + 1] = D[1 * 3 + 2] = 1;
		o.metric = CF_SIM_CCA;
		cf_sim_layer_new(&d, &o, &l, NULL, NULL);
		ok(l && cf_sim_layer_rank(l) == 2, "rank-deficient layer: rank 2 of 3 features");
		is_double(cca_of(D, 6, 3, E12, 2, 0), 1.0, 1e-14,
			  "CCA over the existing canonical correlations = 1");
		cf_sim_layer_free(l);
	}
	{
		double W[4 * 5] = { 0 };
		cf_sim_matrix a = cf_sim_matrix_f64(W, 4, 5), b = cf_sim_matrix_f64(E12, 4, 2);
		cf_error err;
		double v;
		W[0] = 1;
		int rc = cf_sim_cca(&a, &b, 0, &v, NULL, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "F = 5 features but only N = 4 samples"),
		   "CCA with more features than samples rejected: %s", err.msg);
	}
}

/* The CCA as it was computed with GSL's one-call QRPT (orthonormal basis of
 * rank r from Q e_k, then ||Qx' Qy||^2 / min(rx, ry)): the stoppable QR
 * must give the same bits. */
static double *gsl_basis(const double *X, int N, int F, int *rank)
{
	gsl_matrix *A = gsl_matrix_alloc((size_t)N, (size_t)F);
	gsl_vector *tau = gsl_vector_alloc((size_t)F), *norm = gsl_vector_alloc((size_t)F);
	gsl_vector *v = gsl_vector_alloc((size_t)N);
	gsl_permutation *perm = gsl_permutation_alloc((size_t)F);
	int signum, r = 0;
	double tol, *Q;
	memcpy(A->data, X, (size_t)(N * F) * sizeof *X);
	gsl_linalg_QRPT_decomp(A, tau, perm, &signum, norm);
	tol = fabs(gsl_matrix_get(A, 0, 0)) * (double)(N > F ? N : F) * 2.220446049250313e-16;
	while (r < F && fabs(gsl_matrix_get(A, (size_t)r, (size_t)r)) > tol)
		r++;
	Q = malloc((size_t)(N * r) * sizeof *Q);
	for (int k = 0; k < r; k++) {
		gsl_vector_set_basis(v, (size_t)k);
		gsl_linalg_QR_Qvec(A, tau, v);
		for (int i = 0; i < N; i++)
			Q[i * r + k] = gsl_vector_get(v, (size_t)i);
	}
	gsl_matrix_free(A), gsl_vector_free(tau), gsl_vector_free(norm), gsl_vector_free(v);
	gsl_permutation_free(perm);
	*rank = r;
	return Q;
}

static int stop_after(void *ud, const char *what, double fraction)
{
	int *left = ud;
	(void)what;
	(void)fraction;
	return --*left < 0;
}

static void test_cca_stoppable(gsl_rng *r)
{
	const int N = 90, F = 40, G = 30;
	double *X = rand_matrix(r, N, F), *Y = rand_matrix(r, N, G), *Qx, *Qy, fr = 0, v = -1;
	int rx, ry, left;
	cf_sim_matrix a = cf_sim_matrix_f64(X, N, F), b = cf_sim_matrix_f64(Y, N, G);
	cf_progress p = { stop_after, &left };
	cf_error err = { 0, "" };

	for (int i = 0; i < N; i++) /* a repeated column: rank 39, pivoting matters */
		X[i * F + 7] = X[i * F + 3];
	Qx = gsl_basis(X, N, F, &rx);
	Qy = gsl_basis(Y, N, G, &ry);
	for (int i = 0; i < rx; i++)
		for (int j = 0; j < ry; j++) {
			double g = 0;
			for (int k = 0; k < N; k++)
				g += Qx[k * rx + i] * Qy[k * ry + j];
			fr += g * g;
		}
	left = 1000000;
	ok(cf_sim_cca(&a, &b, 0, &v, &p, &err) == CF_OK && rx == 39 && ry == G,
	   "CCA with progress on 90x40 (rank %d) vs 90x30", rx);
	is_double(v, fr / (rx < ry ? rx : ry), 1e-13,
		  "CCA from the column-by-column QR agrees with GSL's QRPT");
	ok(1000000 - left >= F + G, "progress is reported per QR column (%d calls)", 1000000 - left);
	left = 5;
	v = -1;
	ok(cf_sim_cca(&a, &b, 0, &v, &p, &err) == CF_ESTOPPED && v == -1 &&
		   strstr(err.msg, "stopped in the QR factorisation at column 6 of 40"),
	   "a stop request ends the QR at the next column: %s", err.msg);
	left = F + 3;
	ok(cf_sim_cca(&a, &b, 0, &v, &p, &err) == CF_ESTOPPED && strstr(err.msg, "basis at column 4"),
	   "and the basis at the next column: %s", err.msg);
	free(X), free(Y), free(Qx), free(Qy);
}

static int stop_at_second(void *ud, const char *what, double fraction)
{
	int *calls = ud;
	(void)what;
	(void)fraction;
	return ++*calls >= 2;
}

static void test_cost_matrix(gsl_rng *r)
{
	const int N = 25;
	int widths0[3] = { 6, 40, 3 }, widths1[2] = { 4, 10 };
	double *a[3], *b[2], C[6], want;
	cf_sim_matrix xs[3], ys[2];
	cf_sim_options o = cf_sim_options_default();
	cf_error err = { 0, "" };
	int worst_ok = 1;

	for (int i = 0; i < 3; i++) {
		a[i] = rand_matrix(r, N, widths0[i]);
		xs[i] = cf_sim_matrix_f64(a[i], N, widths0[i]);
	}
	for (int j = 0; j < 2; j++) {
		b[j] = rand_matrix(r, N, widths1[j]);
		ys[j] = cf_sim_matrix_f64(b[j], N, widths1[j]);
	}
	for (int e = 0; e < 2; e++) {
		o.estimator = e ? CF_SIM_CKA_DEBIASED : CF_SIM_CKA_BIASED;
		ok(cf_sim_cost_matrix(xs, 3, ys, 2, &o, C, NULL, &err) == CF_OK,
		   "%s CKA cost matrix 3x2 (%s)", cf_sim_estimator_name(o.estimator), err.msg);
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 2; j++) {
				want = 1 - (e ? ref_cka_debiased(a[i], N, widths0[i], b[j], widths1[j])
					      : ref_cka_biased(a[i], N, widths0[i], b[j], widths1[j]));
				worst_ok &= fabs(C[i * 2 + j] - want) < 1e-12;
			}
		ok(worst_ok, "%s cost matrix entries equal 1 - direct CKA",
		   cf_sim_estimator_name(o.estimator));
	}
	o = cf_sim_options_default();
	o.metric = CF_SIM_CCA;
	{
		int rc = cf_sim_cost_matrix(xs, 3, ys, 2, &o, C, NULL, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "model 0 layer 2: CCA needs at least as many "
					     "samples as features: the layer has F = 40"),
		   "CCA on a 40-feature layer with 25 samples rejected: %s", err.msg);
		cf_sim_matrix two[2] = { xs[0], xs[2] };
		cf_error_clear(&err);
		ok(cf_sim_cost_matrix(two, 2, ys, 2, &o, C, NULL, &err) == CF_OK,
		   "CCA cost matrix runs (%s)", err.msg);
		is_double(C[0 * 2 + 1], 1 - cca_of(a[0], N, 6, b[1], 10, 0), 1e-12,
			  "CCA cost matrix entry (1,2) = 1 - CCA");
		is_double(C[1 * 2 + 0], 1 - cca_of(a[2], N, 3, b[0], 4, 0), 1e-12,
			  "CCA cost matrix entry (2,1) = 1 - CCA");
	}
	{
		/* model 0 layer 2 constant: named in the error */
		double *cst = malloc((size_t)(N * 7) * sizeof *cst);
		for (int i = 0; i < N * 7; i++)
			cst[i] = 0.25 * (i % 7);
		xs[1] = cf_sim_matrix_f64(cst, N, 7);
		o = cf_sim_options_default();
		C[0] = -1;
		int rc = cf_sim_cost_matrix(xs, 3, ys, 2, &o, C, NULL, &err);
		ok(rc == CF_EFAILED && strstr(err.msg, "model 0 layer 2: CKA is undefined"),
		   "constant layer rejected: %s", err.msg);
		ok(C[0] == -1, "C untouched on error");
		xs[1] = cf_sim_matrix_f64(a[1], N - 1, widths0[1]);
		rc = cf_sim_cost_matrix(xs, 3, ys, 2, &o, C, NULL, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "model 0 layer 2 has 24 samples"),
		   "sample count mismatch rejected: %s", err.msg);
		xs[1] = cf_sim_matrix_f64(a[1], N, widths0[1]);
		free(cst);
	}
	{
		int calls = 0;
		cf_progress pr = { stop_at_second, &calls };
		int rc = cf_sim_cost_matrix(xs, 3, ys, 2, &o, C, &pr, &err);
		ok(rc == CF_ESTOPPED && calls == 2, "stop request honoured: %s", err.msg);
	}
	{
		double nanX[25 * 6];
		memcpy(nanX, a[0], sizeof nanX);
		nanX[7] = NAN;
		xs[0] = cf_sim_matrix_f64(nanX, N, 6);
		int rc = cf_sim_cost_matrix(xs, 3, ys, 2, &o, C, NULL, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "model 0 layer 1: activation (sample 2, feature 2)"),
		   "NaN activation rejected: %s", err.msg);
	}
	for (int i = 0; i < 3; i++)
		free(a[i]);
	for (int j = 0; j < 2; j++)
		free(b[j]);
}

static void test_scalars_and_names(void)
{
	double x[2] = { 3, 5 }, y[1] = { 5 }, C[2], bad[1] = { NAN };
	cf_error err;
	cf_sim_metric mt;
	cf_sim_cka_estimator est;

	is_double(cf_sim_euclidean(3, 5), 4, 0, "euclidean (3 - 5)^2 = 4");
	ok(cf_sim_euclidean_costs(x, 2, y, 1, C, NULL) == CF_OK && C[0] == 4 && C[1] == 0,
	   "euclidean cost matrix [4; 0]");
	ok(cf_sim_euclidean_costs(x, 2, bad, 1, C, &err) == CF_EINVAL &&
	   strstr(err.msg, "model 1 layer 1"), "non-finite representation: %s", err.msg);
	ok(cf_sim_metric_parse("cca", &mt, NULL) == CF_OK && mt == CF_SIM_CCA &&
	   cf_sim_estimator_parse("debiased", &est, NULL) == CF_OK && est == CF_SIM_CKA_DEBIASED,
	   "metric and estimator names parse");
	ok(cf_sim_metric_parse("cosine", &mt, &err) == CF_EINVAL && strstr(err.msg, "cka or cca"),
	   "unknown metric: %s", err.msg);
}

int main(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, 2024);
	test_cka_example();
	test_cka_invariance(r);
	test_cka_debiased(r);
	test_cca(r);
	test_cca_stoppable(r);
	test_cost_matrix(r);
	test_scalars_and_names();
	gsl_rng_free(r);
	return tap_done();
}
