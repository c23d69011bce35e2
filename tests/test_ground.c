/* test_ground.c — ground costs: hand-computed values, GEMM vs direct form,
 * zero vectors under cosine, float32 input, normalisations, bad input. */
#include <math.h>
#include <string.h>

#include "ground.h"
#include "tap.h"

int main(void)
{
	/* X = {(0,0), (1,2)}, Y = {(3,4), (1,0), (0,0)} */
	double X[4] = {0, 0, 1, 2}, Y[6] = {3, 4, 1, 0, 0, 0}, M[6], D[6];
	double sq[6] = {25, 1, 0, 8, 4, 5};
	float Xf[4] = {0, 0, 1, 2}, Yf[6] = {3, 4, 1, 0, 0, 0};
	cf_error err = {0};
	double dv, worst = 0;

	ok(cf_ground_cost(X, 2, Y, 3, 2, CF_GROUND_SQEUCLIDEAN, 0, M, &err) == CF_OK, "sqeuclidean by GEMM");
	for (int k = 0; k < 6; k++)
		worst = fmax(worst, fabs(M[k] - sq[k]));
	ok(worst < 1e-12, "sqeuclidean matches hand values (max dev %.2g)", worst);
	cf_ground_cost(X, 2, Y, 3, 2, CF_GROUND_SQEUCLIDEAN, 1, D, &err);
	ok(!memcmp(D, sq, sizeof sq), "direct form is exact");
	cf_ground_cost(X, 2, Y, 3, 2, CF_GROUND_EUCLIDEAN, 1, D, &err);
	is_double(D[0], 5, 0, "euclidean (0,0)-(3,4) = 5");
	is_double(D[3], sqrt(8), 1e-15, "euclidean (1,2)-(3,4) = sqrt 8");
	ok(D[2] == 0, "euclidean of identical points is exactly 0");
	cf_ground_cost(X, 2, Y, 3, 2, CF_GROUND_COSINE, 0, M, &err);
	ok(M[2] == 0, "cosine: zero vs zero vector = 0");
	ok(M[0] == 1 && M[1] == 1, "cosine: zero vs non-zero vector = 1 (no NaN)");
	is_double(M[3], 1 - 11 / (sqrt(5) * 5), 1e-15, "cosine (1,2)-(3,4)");
	is_double(M[4], 1 - 1 / sqrt(5), 1e-15, "cosine (1,2)-(1,0)");
	ok(cf_ground_cost_f(Xf, 2, Yf, 3, 2, CF_GROUND_SQEUCLIDEAN, 0, M, &err) == CF_OK &&
	   fabs(M[0] - 25) < 1e-12 && fabs(M[3] - 8) < 1e-12, "float32 input");
	/* cancellation: identical large vectors give 0, not a negative number */
	{
		double P[3] = {1e8 + 0.1, 3e8 + 0.7, -2e8}, Q[1];
		cf_ground_cost(P, 1, P, 1, 3, CF_GROUND_EUCLIDEAN, 0, Q, &err);
		ok(Q[0] >= 0 && isfinite(Q[0]), "GEMM form clamps cancellation at 0 (got %g)", Q[0]);
	}
	/* normalisations on {25,1,0,8,4,5} */
	memcpy(M, sq, sizeof sq);
	cf_ground_normalize(M, 6, CF_GROUND_NORM_MAX, &dv, &err);
	ok(dv == 25 && M[0] == 1 && M[1] == 1.0 / 25, "max normalisation");
	memcpy(M, sq, sizeof sq);
	cf_ground_normalize(M, 6, CF_GROUND_NORM_MEDIAN, &dv, &err);
	ok(dv == 4, "lower median of {0,1,4,5,8,25} is 4 (got %g)", dv);
	{
		/* the median on its own (as the OT regularisation scale uses it):
		 * duplicates, odd and even counts, input left as it was */
		double v[7] = {3, -1, 3, 9, 0, 3, 7}, med = 0;
		ok(cf_ground_median(v, 7, &med) == CF_OK && med == 3 && v[0] == 3 && v[1] == -1 &&
		   v[6] == 7, "median of {3,-1,3,9,0,3,7} is 3, input unchanged (got %g)", med);
		ok(cf_ground_median(v + 3, 4, &med) == CF_OK && med == 3,
		   "lower median of {9,0,3,7} is 3 (got %g)", med);
		ok(cf_ground_median(v + 1, 1, &med) == CF_OK && med == -1, "median of one entry");
	}
	memcpy(M, sq, sizeof sq);
	cf_ground_normalize(M, 6, CF_GROUND_NORM_MEAN, &dv, &err);
	is_double(dv, 43.0 / 6, 1e-15, "mean normalisation divisor");
	memcpy(M, sq, sizeof sq);
	cf_ground_normalize(M, 6, CF_GROUND_NORM_LOG1P, &dv, &err);
	is_double(M[0], log(26.0), 1e-15, "log1p normalisation");
	memset(M, 0, sizeof M);
	ok(cf_ground_normalize(M, 6, CF_GROUND_NORM_MAX, &dv, &err) == CF_OK && dv == 1 && M[0] == 0,
	   "all-zero matrix stays zero under max normalisation (no NaN)");
	/* bad input */
	X[1] = NAN;
	ok(cf_ground_cost(X, 2, Y, 3, 2, CF_GROUND_SQEUCLIDEAN, 0, M, &err) == CF_EINVAL,
	   "NaN input -> %s", err.msg);
	X[1] = 0;
	ok(cf_ground_cost(X, 0, Y, 3, 2, CF_GROUND_SQEUCLIDEAN, 0, M, &err) == CF_EINVAL,
	   "empty input -> %s", err.msg);
	ok(cf_ground_cost(X, 2, Y, 3, 2, (cf_ground_metric)9, 0, M, &err) == CF_EINVAL,
	   "unknown metric -> %s", err.msg);
	M[0] = -1;
	ok(cf_ground_normalize(M, 6, CF_GROUND_NORM_LOG1P, &dv, &err) == CF_EINVAL,
	   "log1p of a negative cost -> %s", err.msg);
	M[0] = INFINITY;
	ok(cf_ground_normalize(M, 6, CF_GROUND_NORM_MAX, &dv, &err) == CF_EINVAL,
	   "infinite cost in normalise -> %s", err.msg);
	ok(cf_ground_metric_parse("cosine") == CF_GROUND_COSINE && cf_ground_norm_parse("median") ==
	   CF_GROUND_NORM_MEDIAN && cf_ground_norm_parse("x") == -1, "names parse");
	return tap_done();
}
