/* test_hybrid.c — hybrid networks (hybrid.h) and the session's per-layer
 * hybrids (eval.hybrids): on a small fusion of two models of different
 * depths, the hybrid taking every layer from the aligned parent computes
 * what the aligned parent computes and scores its accuracy; taking none
 * gives the fused model and its accuracy; each one-layer hybrid scores
 * what the session reports for that layer; mismatched shapes are refused;
 * with eval.hybrids off nothing is computed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "hybrid.h"
#include "session.h"
#include "train.h"
#include "fixtures.h"
#include "tap.h"

static gsl_rng *rng;

static double acc_of(cf_net *n, const cf_dataset *d)
{
	double a = NAN;
	cf_error e;
	if (cf_evaluate(n, d, 100, &a, NULL, NULL, &e))
		tap_diag("evaluate: %s", e.msg);
	return a;
}

int main(void)
{
	cf_session *s = NULL;
	cf_error e = {0, ""};
	cf_dataset *test;
	cf_net *fused, *aligned = NULL, *h = NULL, *other;
	const cf_session_metrics *met;
	const double *hyb;
	unsigned char take[8] = {0};
	int n, L, differ = 0, ok_each = 1;

	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 7);
	cf_session_new(&s, &e);
	cf_session_add_model(s, fx_net("mlp 16-40-30-20-10", rng), "A", &e);
	cf_session_add_model(s, fx_net("mlp 16-30-10", rng), "B", &e);
	test = fx_data(600, 1, 4, 4, 10, 2);
	ok(cf_session_set_data(s, fx_data(400, 1, 4, 4, 10, 1), test, &e) == 0, "data set");
	ok(cf_session_run_all(s, &e) == 0, "the whole pipeline runs (%s)", e.msg);
	fused = cf_session_fused(s);
	met = cf_session_metrics_get(s);
	hyb = cf_session_hybrids(s, &n);
	L = fused ? cf_net_nwlayers(fused) : 0;
	ok(hyb && n == L && L == 4, "eval.hybrids (on by default): one accuracy per fusion layer "
	   "(%d of %d)", n, L);
	ok(cf_session_aligned(s, &aligned, &e) == 0 && aligned, "the aligned parent");
	if (!hyb || !aligned || L != 4)
		return tap_done();
	ok(isfinite(met->aligned_acc) && met->aligned_acc == acc_of(aligned, test),
	   "aligned model 0's accuracy %.4f is its evaluation's", met->aligned_acc);

	/* every layer from the aligned parent: the aligned parent itself */
	memset(take, 1, sizeof take);
	ok(cf_net_hybrid(fused, aligned, take, &h, &e) == 0, "hybrid with every layer replaced");
	{
		cf_acts_sample *x = fx_sample(fused, 50, rng);
		ok(fx_out_diff(h, aligned, x->x, 50) == 0, "computes exactly what the aligned parent does");
		cf_acts_sample_free(x);
	}
	ok(acc_of(h, test) == met->aligned_acc, "and scores the aligned parent's accuracy %.4f",
	   met->aligned_acc);
	cf_net_free(h);
	/* no layer: the fused model */
	memset(take, 0, sizeof take);
	ok(cf_net_hybrid(fused, aligned, take, &h, &e) == 0 && acc_of(h, test) == met->fused_acc,
	   "hybrid with no layer replaced scores the fused accuracy %.4f", met->fused_acc);
	cf_net_free(h);
	/* each layer alone: what the session reports */
	for (int l = 0; l < L; l++) {
		double a;
		take[l] = 1;
		cf_net_hybrid(fused, aligned, take, &h, &e);
		a = acc_of(h, test);
		tap_diag("layer %d from the aligned parent: %.4f (fused %.4f, aligned %.4f)", l + 1,
			 a, met->fused_acc, met->aligned_acc);
		ok_each &= a == hyb[l];
		differ += a != met->fused_acc;
		take[l] = 0;
		cf_net_free(h);
	}
	ok(ok_each, "each one-layer hybrid scores what cf_session_hybrids reports");
	ok(differ > 0, "and replacing a layer changes the accuracy (%d of %d layers)", differ, L);
	ok(met->aligned_acc != met->fused_acc, "the aligned parent and the fused model differ "
	   "(%.4f vs %.4f)", met->aligned_acc, met->fused_acc);

	/* shapes must agree */
	other = fx_net("mlp 16-30-30-20-10", rng);
	take[1] = 1;
	ok(cf_net_hybrid(fused, other, take, &h, &e) == CF_EINVAL && !h && strstr(e.msg, "layer 3 (fc3) is 30x30, the donor's 20x30"),
	   "a donor of another shape is refused: %s", e.msg);
	cf_net_free(other);
	cf_net_free(aligned);

	/* off: nothing computed */
	ok(cf_session_set(s, "eval.hybrids", "0", &e) == 0 &&
	   cf_session_run(s, CF_STEP_EVAL, &e) == 0, "eval.hybrids = 0, evaluation again");
	hyb = cf_session_hybrids(s, &n);
	met = cf_session_metrics_get(s);
	ok(!hyb && n == 0 && isnan(met->aligned_acc), "no hybrids, no aligned accuracy");
	cf_session_free(s);
	gsl_rng_free(rng);
	return tap_done();
}
