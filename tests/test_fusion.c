/* test_fusion.c — layer-wise OT fusion: the OT worked example of
 * ALGORITHM.md §5.5 through the correction and the outgoing alignment, a
 * network fused with itself (MLP, VGG with a flatten after 2x2 maps,
 * ResNet with projection shortcuts) and with a permuted copy of itself,
 * stepping and rewinding, the baselines and the error paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "acts.h"
#include "fusion.h"
#include "net.h"
#include "fixtures.h"
#include "tap.h"

static gsl_rng *rng;

static cf_net *mk(const char *desc) { return fx_net(desc, rng); }

static void set_w(cf_net *n, int l, const float *v)
{
	cf_net_param *p = cf_net_param_at(n, cf_net_wlayer_at(n, l)->weight);
	memcpy(p->t.data, v, sizeof(float) * (size_t)p->t.size);
}

/* §5.5: μ = 1/3, ν = 1/2, M = [[0,1],[1,0],[.4,.6]] from weight rows
 * (0,0), (1,0), (.4,0) vs (0,0), (1,0) under the Euclidean metric. */
static void test_worked_example(void)
{
	cf_net *a = mk("mlp 2-3-2 nobias"), *b = mk("mlp 2-2-2 nobias");
	float W0[6] = { 0, 0, 1, 0, 0.4f, 0 }, W1[4] = { 0, 0, 1, 0 };
	float V0[6] = { 1, 2, 3, 4, 5, 6 }, V1[4] = { 1, 1, 1, 1 };
	cf_fusion_params p;
	cf_fusion *f = NULL;
	cf_error e = { 0, "" };
	const cf_fusion_layer *y;
	double c = 1.0 / (1.0 + 2e-7); /* 1/2 / (1/2 + 1e-7) */

	set_w(a, 0, W0);
	set_w(b, 0, W1);
	set_w(a, 1, V0);
	set_w(b, 1, V1);
	cf_fusion_params_default(&p);
	p.mode = CF_FUSION_WTS;
	ok(cf_fusion_alloc(a, b, NULL, NULL, &p, &f, &e) == 0, "fusion of 2-3-2 and 2-2-2 (wts)");
	if (!f)
		return;
	ok(cf_fusion_step(f, NULL, &e) == 0 && cf_fusion_cursor(f) == 1, "step fuses layer 1");
	y = cf_fusion_layer_at(f, 0);
	is_double(y->M[4], 0.4, 1e-7, "M[3][1] = 0.4");
	is_double(y->ot.cost, 1.0 / 6, 1e-12, "plan cost 1/6");
	ok(fabs(y->plan[0] - 1.0 / 3) < 1e-12 && fabs(y->plan[3] - 1.0 / 3) < 1e-12 &&
		   fabs(y->plan[4] - 1.0 / 6) < 1e-12 && fabs(y->plan[5] - 1.0 / 6) < 1e-12 &&
		   y->plan[1] == 0 && y->plan[2] == 0,
	   "T = [[1/3,0],[0,1/3],[1/6,1/6]]");
	is_double(y->Tc[0], 2.0 / 3 * c, 1e-7, "T~[1][1] = 2/3 (1-2e-7)");
	is_double(y->Tc[4], 1.0 / 3 * c, 1e-7, "T~[3][1] = 1/3 (1-2e-7)");
	is_double(y->Tc[1], 0.0, 0, "T~[1][2] = 0");
	/* model-1 neuron 1 receives 2/3 row1 + 1/3 row3 of W0 */
	is_double(y->w0t[0], (2.0 / 3 * 0 + 1.0 / 3 * 0.4) * c, 1e-7, "neuron 1 <- 2/3 row1 + 1/3 row3");
	is_double(y->w0t[2], (2.0 / 3 * 1 + 1.0 / 3 * 0.4) * c, 1e-7, "neuron 2 <- 2/3 row2 + 1/3 row3");
	{
		const float *wf = cf_net_param_at(cf_fusion_net(f), 0)->t.data;
		is_double(wf[2], 0.5 * ((2.0 / 3 + 0.4 / 3) * c + 1.0), 1e-7, "W_F = (T~'W0 + W1)/2");
	}
	is_double(y->trace_ratio, (2.0 / 3 + 2.0 / 3) / 2, 1e-6, "trace ratio of T~ = 2/3");
	ok(cf_fusion_step(f, NULL, &e) == 0 && cf_fusion_done(f), "step fuses the output layer");
	y = cf_fusion_layer_at(f, 1);
	ok(y->tin && y->tin_rows == 3 && y->tin_cols == 2, "output layer's incoming map is layer 1's T~");
	{
		/* Ŵ0 = V0 · T~ ; output row 1 of Ŵ0 = (1·2/3 + 3·1/3, 2·2/3 + 3·1/3) c */
		double h00 = (1 * 2.0 / 3 + 3 * 1.0 / 3) * c, h01 = (2 * 2.0 / 3 + 3 * 1.0 / 3) * c;
		double h10 = (4 * 2.0 / 3 + 6 * 1.0 / 3) * c, h11 = (5 * 2.0 / 3 + 6 * 1.0 / 3) * c;
		/* output plan: M from weight rows (h00,h01),(h10,h11) vs (1,1),(1,1): ties.
		 * whatever the plan, the columns of T~ sum to ~1: check the average */
		const float *wf = cf_net_param_at(cf_fusion_net(f), 1)->t.data;
		double col0 = y->Tc[0] + y->Tc[2];
		is_double(col0, 1.0 / (1.0 + 2e-7), 1e-6, "output T~ column sums to ~1");
		is_double(wf[0], 0.5 * (y->Tc[0] * h00 + y->Tc[2] * h10) + 0.5, 1e-6,
			  "output fused weight = (T~'(V0 T~prev) + V1)/2");
		(void)h01;
		(void)h11;
	}
	/* rewinding to layer 2 keeps layer 1 and re-solves layer 2 only */
	{
		const double *plan1 = cf_fusion_layer_at(f, 0)->plan;
		cf_fusion_rewind(f, 1);
		ok(cf_fusion_cursor(f) == 1 && cf_fusion_layer_at(f, 0)->plan == plan1 &&
			   !cf_fusion_layer_at(f, 1)->done, "rewind(2) keeps layer 1's plan");
		p.solver = CF_OT_SINKHORN_LOG;
		p.reg = 0.05;
		ok(cf_fusion_set_params(f, 1, &p, &e) == 0 && cf_fusion_run(f, NULL, &e) == 0,
		   "layer 2 re-fused with its own solver");
		ok(cf_fusion_layer_at(f, 1)->ot.kind == CF_OT_SINKHORN_LOG &&
			   cf_fusion_layer_at(f, 0)->ot.kind != CF_OT_SINKHORN_LOG,
		   "layer 2 used sinkhorn-log, layer 1 kept the exact plan");
		p.step = 1.5;
		ok(cf_fusion_set_params(f, 0, &p, &e) == CF_EINVAL, "step 1.5 refused: %s", e.msg);
	}
	cf_fusion_free(f);
	cf_net_free(a);
	cf_net_free(b);
}

/* Fuse a network with an exact copy of itself: the result is the network. */
static void self_fusion(const char *desc, const char *what, int64_t N)
{
	cf_net *a = mk(desc), *b = NULL;
	cf_acts_sample *s = a ? fx_sample(a, N, rng) : NULL;
	cf_activations *aa = NULL, *ab = NULL;
	cf_fusion_params p;
	cf_fusion *f = NULL;
	cf_error e = { 0, "" };
	int rc;

	if (!a) {
		ok(0, "%s: build", what);
		return;
	}
	cf_net_copy(a, &b, &e);
	cf_acts_record(a, s, NULL, &aa, &e);
	cf_acts_record(b, s, NULL, &ab, &e);
	cf_fusion_params_default(&p);
	rc = cf_fusion_alloc(a, b, aa, ab, &p, &f, &e);
	if (!rc)
		rc = cf_fusion_run(f, NULL, &e);
	ok(rc == 0, "%s: fused with itself (%s)", what, rc ? e.msg : "ok");
	if (!rc) {
		double tr = 1, d;
		for (int l = 0; l < cf_fusion_nlayers(f); l++)
			tr = fmin(tr, cf_fusion_layer_at(f, l)->trace_ratio);
		d = fx_out_diff(a, cf_fusion_net(f), s->x, s->N);
		ok(tr > 0.9999, "%s: every plan is the identity matching (min trace ratio %.7f)", what, tr);
		ok(d < 1e-5, "%s: fused outputs equal the network's (max rel diff %.2g)", what, d);
	}
	cf_fusion_free(f);
	cf_activations_free(aa);
	cf_activations_free(ab);
	cf_acts_sample_free(s);
	cf_net_free(a);
	cf_net_free(b);
}

/* Model 0 = a copy of the network with hidden neurons permuted: fusion
 * must undo the permutation. */
static void permuted_fusion(void)
{
	cf_net *b = mk("mlp 12-16-8-5 nobias"), *a = NULL;
	cf_acts_sample *s = fx_sample(b, 64, rng);
	cf_activations *aa = NULL, *ab = NULL;
	cf_fusion_params p;
	cf_fusion *f = NULL;
	cf_error e = { 0, "" };
	int perm1[16], perm2[8], rc;
	float *W;

	cf_net_copy(b, &a, &e);
	for (int i = 0; i < 16; i++)
		perm1[i] = (i * 5 + 3) % 16;
	for (int i = 0; i < 8; i++)
		perm2[i] = (i * 3 + 1) % 8;
	/* layer 1 rows, layer 2 rows and columns, layer 3 columns */
	W = cf_net_param_at(a, 0)->t.data;
	for (int i = 0; i < 16; i++)
		memcpy(W + i * 12, cf_net_param_at(b, 0)->t.data + perm1[i] * 12, sizeof(float) * 12);
	W = cf_net_param_at(a, 1)->t.data;
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 16; j++)
			W[i * 16 + j] = cf_net_param_at(b, 1)->t.data[perm2[i] * 16 + perm1[j]];
	W = cf_net_param_at(a, 2)->t.data;
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 8; j++)
			W[i * 8 + j] = cf_net_param_at(b, 2)->t.data[i * 8 + perm2[j]];
	ok(fx_out_diff(a, b, s->x, s->N) < 1e-6, "permuted copy computes the same function");
	cf_acts_record(a, s, NULL, &aa, &e);
	cf_acts_record(b, s, NULL, &ab, &e);
	cf_fusion_params_default(&p);
	rc = cf_fusion_alloc(a, b, aa, ab, &p, &f, &e);
	if (!rc)
		rc = cf_fusion_run(f, NULL, &e);
	ok(rc == 0, "permuted MLP fused onto the original");
	if (!rc) {
		const cf_fusion_layer *y = cf_fusion_layer_at(f, 0);
		int found = 1;
		for (int i = 0; i < 16; i++)
			if (!(y->plan[i * 16 + perm1[i]] > 0.06))
				found = 0;
		ok(found, "the plan of layer 1 is the inverse permutation");
		ok(fx_out_diff(b, cf_fusion_net(f), s->x, s->N) < 1e-5, "fusion undoes the permutation");
	}
	/* weight-based ground costs find the same permutation */
	cf_fusion_free(f);
	f = NULL;
	p.mode = CF_FUSION_WTS;
	rc = cf_fusion_alloc(a, b, NULL, NULL, &p, &f, &e);
	if (!rc)
		rc = cf_fusion_run(f, NULL, &e);
	ok(rc == 0 && fx_out_diff(b, cf_fusion_net(f), s->x, s->N) < 1e-5, "wts mode undoes the permutation too");
	cf_fusion_free(f);
	cf_activations_free(aa);
	cf_activations_free(ab);
	cf_acts_sample_free(s);
	cf_net_free(a);
	cf_net_free(b);
}

static void baselines_and_errors(void)
{
	cf_net *a = mk("mlp 6-5-3 nobias"), *b = mk("mlp 6-5-3 nobias"), *c = mk("mlp 6-4-3 nobias");
	cf_net *avg = NULL, *x = NULL;
	const cf_net *ab[2] = { a, b }, *ac[2] = { a, c };
	cf_fusion *f = NULL;
	cf_fusion_params p;
	cf_error e = { 0, "" };
	cf_net *d2 = mk("mlp 6-5-5-3 nobias");

	ok(cf_fusion_average(ab, NULL, 2, &avg, &e) == 0, "plain averaging of two MLPs");
	if (avg) {
		float w = cf_net_param_at(avg, 0)->t.data[7];
		is_double(w, 0.5 * (cf_net_param_at(a, 0)->t.data[7] + cf_net_param_at(b, 0)->t.data[7]),
			  1e-7, "averaged weight");
	}
	ok(cf_fusion_average(ac, NULL, 2, &x, &e) == CF_EINVAL && !x,
	   "averaging different shapes refused: %s", e.msg);
	cf_fusion_params_default(&p);
	ok(cf_fusion_alloc(d2, a, NULL, NULL, &p, &f, &e) == CF_EINVAL && !f,
	   "different depths refused: %s", e.msg);
	ok(cf_fusion_alloc(a, b, NULL, NULL, &p, &f, &e) == CF_EINVAL && !f,
	   "acts mode without recordings refused: %s", e.msg);
	{
		/* ensemble of logits: two models that each get one of two samples right */
		cf_dataset d;
		int32_t y[2] = { 0, 1 };
		float l1[4] = { 2, 0, 2, 0 }, l2[4] = { 0, 1, 0, 3 };
		const float *ls[2] = { l1, l2 };
		memset(&d, 0, sizeof d);
		d.n = 2;
		d.y = y;
		d.nclasses = 2;
		is_double(cf_fusion_ensemble_accuracy(ls, NULL, 1, 2, &d), 0.5, 0, "one model: 1/2 right");
		is_double(cf_fusion_ensemble_accuracy(ls, NULL, 2, 2, &d), 1.0, 0,
			  "ensemble of log-probabilities gets both samples right");
		{
			double w[2] = { 0.1, 0.9 };
			is_double(cf_fusion_ensemble_accuracy(ls, w, 2, 2, &d), 0.5, 0, "weights 0.1/0.9: sample 1 follows model 2 (wrong)");
		}
	}
	cf_net_free(avg);
	cf_net_free(a);
	cf_net_free(b);
	cf_net_free(c);
	cf_net_free(d2);
}

int main(void)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 11);
	test_worked_example();
	self_fusion("mlp 20-40-30-20-10 nobias", "MLP", 100);
	self_fusion("mlp 20-40-30-10", "MLP with biases", 100);
	self_fusion("vgg 6 M 8 8 M classes 10 in 1x8x8 nobias", "VGG with a flatten of 2x2 maps", 40);
	self_fusion("resnet 2,2 width 4 nobn nobias in 3x8x8", "ResNet with projection shortcuts", 20);
	permuted_fusion();
	baselines_and_errors();
	gsl_rng_free(rng);
	return tap_done();
}
