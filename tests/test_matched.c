/* test_matched.c — two matched neurons (matched.h): the correlation, the
 * match by the plan's largest entry, each neuron's values read from the
 * recordings (a conv channel averaged over positions), the session's
 * wrapper on a real fusion, and the errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "acts.h"
#include "matched.h"
#include "session.h"
#include "fixtures.h"
#include "tap.h"

static void test_pearson(void)
{
	double x[4] = {1, 2, 3, 4}, up[4] = {2, 4, 6, 8.5}, down[4] = {4, 3, 2, 1}, flat[4] = {5, 5, 5, 5};
	double r = cf_pearson(x, up, 4);
	/* by hand: Sxy = 10.75, Sxx = 5, Syy = 23.1875 */
	ok(fabs(r - 10.75 / sqrt(5 * 23.1875)) < 1e-15, "pearson of a near line: %.6f", r);
	ok(fabs(cf_pearson(x, down, 4) + 1) < 1e-15, "a falling line: -1");
	ok(isnan(cf_pearson(x, flat, 4)) && isnan(cf_pearson(x, up, 1)), "no spread or one point: NaN");
}

static void test_direct(gsl_rng *rng)
{
	cf_net *net = fx_net("net in 2x5x5: conv 3 k3 p1, relu, flatten, linear 10", rng);
	cf_net *mlp = fx_net("mlp 8-3-2", rng);
	cf_acts_sample *smp;
	cf_activations *a = NULL;
	cf_error e = {0, ""};
	double plan[9] = {0, 0, 0.3, 0.3, 0, 0, 0.01, 0.3, 0.02}, x1[20], x0[20], want[20];
	int64_t i = -1, hw = 25;
	double corr;
	int good = 1;

	if (!net) {
		ok(0, "conv net builds");
		return;
	}
	smp = fx_sample(net, 20, rng);
	ok(cf_acts_record(net, smp, NULL, &a, &e) == 0, "recordings of a conv net on 20 samples");
	/* column 0's largest entry is row 1: channel 0 of model 1 ↔ channel 1 */
	ok(cf_matched_neurons(plan, 3, 3, a, a, 0, 0, x1, x0, &i, &corr, &e) == 0 && i == 1,
	   "column 0 is matched to row 1 (its largest entry)");
	for (int s = 0; s < 20; s++) {
		double sum = 0;
		for (int64_t q = 0; q < hw; q++)
			sum += a->a[0]->data[(s * 3 + 1) * hw + q];
		want[s] = sum / hw;
		good &= fabs(x0[s] - want[s]) < 1e-12;
	}
	ok(good, "model 0's values: channel 1's mean over its 5x5 positions, per sample");
	ok(fabs(corr - cf_pearson(x1, want, 20)) < 1e-15 && fabs(corr) <= 1,
	   "corr = pearson(channel 0, channel 1) = %.4f", corr);
	ok(cf_matched_neurons(plan, 3, 3, a, a, 0, 1, x1, x0, &i, &corr, &e) == 0 && i == 2,
	   "column 1 to row 2");
	ok(cf_matched_neurons(plan, 3, 3, a, a, 0, 2, x1, x0, &i, &corr, &e) == 0 && i == 0 &&
	   cf_matched_neurons(plan, 3, 3, a, a, 0, 0, x1, x1, &i, &corr, &e) == 0,
	   "column 2 to row 0");
	{
		/* a neuron against itself: identity plan, correlation 1 */
		double id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
		cf_matched_neurons(id, 3, 3, a, a, 0, 2, x1, x0, &i, &corr, &e);
		ok(i == 2 && fabs(corr - 1) < 1e-12 && !memcmp(x1, x0, sizeof x1),
		   "identity plan, same recordings: the neuron itself, correlation 1 (%.15f)", corr);
	}
	ok(cf_matched_neurons(plan, 3, 3, a, a, 0, 3, x1, x0, &i, &corr, &e) == CF_EINVAL &&
	   strstr(e.msg, "out of range 0..2"), "j out of range: %s", e.msg);
	ok(cf_matched_neurons(plan, 3, 4, a, a, 0, 0, x1, x0, &i, &corr, &e) == CF_EINVAL &&
	   strstr(e.msg, "3x4"), "a plan that does not fit: %s", e.msg);
	ok(cf_matched_neurons(plan, 3, 3, a, a, 5, 0, x1, x0, &i, &corr, &e) == CF_EINVAL,
	   "a layer out of range: %s", e.msg);
	cf_activations_free(a);
	cf_acts_sample_free(smp);
	cf_net_free(net);
	cf_net_free(mlp);
}

static void test_session(gsl_rng *rng)
{
	cf_session *s = NULL;
	cf_error e = {0, ""};
	double *x1, *x0, corr;
	int64_t i, N, best = 0;
	const cf_fusion_layer *y;

	cf_session_new(&s, &e);
	ok(cf_session_matched_samples(s) == 0, "no samples before a run");
	ok(cf_session_matched(s, 0, NULL, 0, NULL, NULL, &i, &corr, &e) == CF_EINVAL &&
	   strstr(e.msg, "no plan"), "no fusion yet: %s", e.msg);
	cf_session_add_model(s, fx_net("mlp 16-40-30-20-10", rng), "A", &e);
	cf_session_add_model(s, fx_net("mlp 16-30-10", rng), "B", &e);
	cf_session_set_data(s, fx_data(400, 1, 4, 4, 10, 1), fx_data(100, 1, 4, 4, 10, 2), &e);
	cf_session_set(s, "data.samples", "150", &e);
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == 0, "the pair fused");
	N = cf_session_matched_samples(s);
	ok(N == 150, "150 activation samples (%lld)", (long long)N);
	x1 = calloc((size_t)N, sizeof *x1);
	x0 = calloc((size_t)N, sizeof *x0);
	y = cf_session_fusion_layer(s, 1);
	for (int64_t r = 1; r < y->n0; r++)
		if (y->plan[r * y->n1 + 7] > y->plan[best * y->n1 + 7])
			best = r;
	i = -1;
	int rc = cf_session_matched(s, 1, NULL, 7, x1, x0, &i, &corr, &e);
	ok(rc == 0 && i == best, "layer 2, neuron 7 of model 1: matched to neuron %lld of model 0 "
	   "(corr %.3f)", (long long)i, corr);
	ok(fabs(corr - cf_pearson(x1, x0, N)) < 1e-15 && fabs(corr) <= 1 && x1[0] != x1[1],
	   "the correlation of the values it returns");
	free(x1);
	free(x0);
	cf_session_free(s);
}

int main(void)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 11);
	test_pearson();
	test_direct(rng);
	test_session(rng);
	gsl_rng_free(rng);
	return tap_done();
}
