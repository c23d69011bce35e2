/* test_relu_approx.c — the ReLU approximations of §4.2 (sum, majority, avg)
 * on a hand-made pre-activation matrix, the equality edges, and errors. */
#include <math.h>
#include <string.h>

#include "relu_approx.h"
#include "tap.h"

int main(void)
{
	/* N = 4 samples × 5 neurons.  Per neuron: sum, #positive:
	 * n1: 1 2 3 -10 → sum -4, 3/4 positive
	 * n2: -1 -1 -1 5 → sum 2, 1/4 positive
	 * n3: 1 -1 1 -1 → sum 0 (≥ 0 → 1), 2/4 positive (≥ 0.5 → 1)
	 * n4: 0 0 0 0   → sum 0, 0/4 (0 is not > 0)
	 * n5: -1 0 2 -3 → sum -2, 1/4 */
	static const float Z[4 * 5] = {
		1, -1, 1, 0, -1,
		2, -1, -1, 0, 0,
		3, -1, 1, 0, 2,
		-10, 5, -1, 0, -3,
	};
	static const double want_sum[5] = { 0, 1, 1, 1, 0 };
	static const double want_maj[5] = { 1, 0, 1, 0, 0 };
	static const double want_avg[5] = { 0.75, 0.25, 0.5, 0.0, 0.25 };
	double d[5];
	cf_error err;
	cf_relu_approx a;
	float bad[2] = { 1, NAN };

	ok(cf_relu_approx_mask(Z, 4, 5, CF_RELU_SUM, d, NULL) == CF_OK &&
	   memcmp(d, want_sum, sizeof d) == 0, "sum: d = [0,1,1,1,0] (sum >= 0, ties at 0 kept)");
	ok(cf_relu_approx_mask(Z, 4, 5, CF_RELU_MAJORITY, d, NULL) == CF_OK &&
	   memcmp(d, want_maj, sizeof d) == 0,
	   "majority: d = [1,0,1,0,0] (exactly half positive counts)");
	ok(cf_relu_approx_mask(Z, 4, 5, CF_RELU_AVG, d, NULL) == CF_OK &&
	   memcmp(d, want_avg, sizeof d) == 0, "avg: d = [.75,.25,.5,0,.25]");
	{
		/* in float32, 1e8 − 1 rounds to 1e8 and the sum would be 0 (→ 1) */
		float z[3] = { 1e8f, -1.0f, -1e8f };
		ok(cf_relu_approx_mask(z, 3, 1, CF_RELU_SUM, d, NULL) == CF_OK && d[0] == 0.0,
		   "sum accumulated in double: 1e8 - 1 - 1e8 < 0 -> 0");
	}
	ok(cf_relu_approx_mask(bad, 2, 1, CF_RELU_AVG, d, &err) == CF_EINVAL &&
	   strstr(err.msg, "sample 2, neuron 1"), "NaN rejected: %s", err.msg);
	ok(cf_relu_approx_mask(Z, 0, 5, CF_RELU_SUM, d, &err) == CF_EINVAL, "N = 0 rejected: %s",
	   err.msg);
	ok(cf_relu_approx_parse("majority", &a, NULL) == CF_OK && a == CF_RELU_MAJORITY &&
	   strcmp(cf_relu_approx_name(a), "majority") == 0, "names round-trip");
	ok(cf_relu_approx_parse("mean", &a, &err) == CF_EINVAL &&
	   strstr(err.msg, "sum, majority or avg"), "unknown name: %s", err.msg);
	return tap_done();
}
