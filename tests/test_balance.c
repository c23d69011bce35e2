/* test_balance.c — structural alignment maps (ALGORITHM.md §9), balancing
 * by adding identities (widths and exact function preservation for MLP,
 * VGG and ResNet) and by merging (§4.2 worked example), on randomly
 * initialised networks built from descriptions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "acts.h"
#include "balance.h"
#include "cla.h"
#include "net.h"
#include "fixtures.h"
#include "tap.h"

static gsl_rng *rng;

static cf_net *mk(const char *desc) { return fx_net(desc, rng); }

static float *randx(int64_t n)
{
	float *x = malloc(sizeof *x * (size_t)n);
	for (int64_t i = 0; i < n; i++)
		x[i] = (float)gsl_ran_gaussian(rng, 1.0);
	return x;
}

/* max |f(x) − g(x)| over N random inputs, relative to max |f(x)|. */
static double out_diff(cf_net *a, cf_net *b, int64_t N)
{
	float *x = randx(N * cf_net_input_size(a));
	double d = fx_out_diff(a, b, x, N);
	free(x);
	return d;
}

/* Unit map by per-stage alignment with the neuron measure (s = 2, f = 1). */
static int unit_map(cf_net *n0, cf_net *n1, int *umap, cf_error *e)
{
	int g0[64], g1[64], ng0 = cf_acts_unit_groups(n0, g0, 64), ng1 = cf_acts_unit_groups(n1, g1, 64);
	int m = cf_acts_hidden_units(n0), n = cf_acts_hidden_units(n1), rc;
	double *C = malloc(sizeof *C * (size_t)(m * n));
	cf_acts_cost_opts o = { CF_MEASURE_NEURON, CF_LMETRIC_EUCLIDEAN, 0, 1 };
	cf_cla_params p = cf_cla_params_default();
	rc = cf_acts_unit_costs(n0, NULL, n1, NULL, &o, C, NULL, e);
	if (!rc)
		rc = cf_cla_align_stages(C, g0, ng0, g1, ng1, &p, umap, e);
	free(C);
	return rc;
}

static int layers_of(cf_net *n, int *layers)
{
	int u, nh = cf_acts_hidden_units(n);
	for (u = 0; u < nh; u++)
		layers[u] = cf_net_unit_at(n, u)->wl_n;
	return nh;
}

static void widths(cf_net *n, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = 0;
	for (int u = 0; u < cf_net_nunits(n) - 1 && k + 12 < len; u++)
		k += (size_t)snprintf(buf + k, len - k, "%s%d", u ? "-" : "", cf_net_unit_at(n, u)->width);
}

static int same_ints(const int *a, const int *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static void test_mlp(void)
{
	cf_net *a = mk("mlp 20-400-200-100-50-25-10 nobias"), *b = mk("mlp 20-400-200-100-10 nobias");
	cf_net *b2 = NULL, *a2 = NULL;
	int umap[3], want[3] = { 1, 2, 5 };
	char w[128];
	cf_error e = { 0, "" };

	int rc = unit_map(a, b, umap, &e);
	ok(rc == 0 && same_ints(umap, want, 3),
	   "MLP 400-200-100-50-25 vs 400-200-100 (neuron, s=2, f=1) -> [%d,%d,%d]", umap[0], umap[1],
	   umap[2]);
	ok(cf_balance_add(a, b, umap, &b2, &e) == 0, "add balances the MLP");
	if (b2) {
		widths(b2, w, sizeof w);
		ok(!strcmp(w, "400-200-200-200-100"), "add -> widths %s", w);
		ok(cf_net_nwlayers(b2) == cf_net_nwlayers(a), "balanced model has model 0's depth");
		{
			double d = out_diff(b, b2, 64);
			ok(d == 0.0, "MLP balanced by add computes the same outputs (max rel diff %g)", d);
		}
	}
	cf_net_free(b2);
	b2 = NULL;
	{
		int chainmap[3] = { 1, 2, 3 };
		ok(cf_balance_add(a, b, chainmap, &b2, &e) == 0, "add with A=[1,2,3]");
		if (b2) {
			widths(b2, w, sizeof w);
			ok(!strcmp(w, "400-200-100-100-100"), "A=[1,2,3] -> widths %s", w);
		}
		cf_net_free(b2);
	}

	/* merge: W5·(D4W4·(D3W3)) from model 0's own pre-activations */
	{
		int64_t N = 50;
		cf_acts_sample smp = { N, NULL, 20, 1, 1, randx(N * 20) };
		cf_activations *acts = NULL;
		ok(cf_acts_record(a, &smp, NULL, &acts, &e) == 0, "record model 0 on 50 samples");
		ok(cf_balance_merge(a, acts, b, umap, CF_RELU_SUM, &a2, &e) == 0, "merge");
		if (a2) {
			const float *W3 = cf_net_param_at(a, 2)->t.data, *W4 = cf_net_param_at(a, 3)->t.data;
			const float *W5 = cf_net_param_at(a, 4)->t.data;
			const float *Wm = cf_net_param_at(a2, 2)->t.data;
			double d3[100], d4[50], maxd = 0, maxw = 0;
			widths(a2, w, sizeof w);
			ok(!strcmp(w, "400-200-25"), "merge -> widths %s", w);
			cf_relu_approx_mask(acts->a[2]->data, N, 100, CF_RELU_SUM, d3, &e);
			cf_relu_approx_mask(acts->a[3]->data, N, 50, CF_RELU_SUM, d4, &e);
			/* reference product in double: W5 · D4 W4 · D3 W3 (25 × 200) */
			for (int i = 0; i < 25; i++)
				for (int j = 0; j < 200; j++) {
					double s = 0;
					for (int k = 0; k < 50; k++) {
						double t = 0;
						for (int q = 0; q < 100; q++)
							t += (double)W4[k * 100 + q] * d3[q] * W3[q * 200 + j];
						s += (double)W5[i * 50 + k] * d4[k] * t;
					}
					maxd = fmax(maxd, fabs(s - Wm[i * 200 + j]));
					maxw = fmax(maxw, fabs(s));
				}
			ok(maxd <= 1e-6 * maxw, "merged weight = W5*D4W4*D3W3 (max diff %.3g, scale %.3g)",
			   maxd, maxw);
			ok(!memcmp(cf_net_param_at(a2, 0)->t.data, cf_net_param_at(a, 0)->t.data,
				   sizeof(float) * 400 * 20) &&
				   !memcmp(cf_net_param_at(a2, 3)->t.data, cf_net_param_at(a, 5)->t.data,
					   sizeof(float) * 250),
			   "matched layers (W1, output W6) are kept as they are");
		}
		cf_net_free(a2);
		a2 = NULL;
		/* avg masks are fractions; merge with them too */
		ok(cf_balance_merge(a, acts, b, umap, CF_RELU_AVG, &a2, &e) == 0, "merge with avg");
		cf_net_free(a2);
		a2 = NULL;
		{
			cf_activations *ab = NULL;
			cf_acts_record(b, &smp, NULL, &ab, &e);
			ok(cf_balance_merge(a, ab, b, umap, CF_RELU_SUM, &a2, &e) == CF_EINVAL && !a2,
			   "merge with another model's recording is refused: %s", e.msg);
			cf_activations_free(ab);
		}
		cf_activations_free(acts);
		free(smp.x);
	}
	/* bad map */
	{
		int bad[3] = { 1, 3, 3 };
		cf_net *x = NULL;
		ok(cf_balance_add(a, b, bad, &x, &e) == CF_EINVAL && !x,
		   "non-increasing map refused: %s", e.msg);
	}
	cf_net_free(a);
	cf_net_free(b);
}

static void test_vgg(void)
{
	/* VGG13_doub and VGG11_half with every width divided by 8 */
	cf_net *a = mk("vgg 8 16 M 32 32 M 64 64 M 128 128 M 128 64 M classes 10 in 3x32x32 nobias");
	cf_net *b = mk("vgg 8 M 8 M 16 16 M 32 32 M 32 64 M classes 10 in 3x32x32 nobias");
	cf_net *b2 = NULL;
	int umap[8], want[8] = { 1, 3, 5, 6, 7, 8, 9, 10 }, l0[16], l1[16], wmap[8], nl;
	char w[160];
	cf_error e = { 0, "" };

	int rc = unit_map(a, b, umap, &e);
	ok(rc == 0 && same_ints(umap, want, 8),
	   "VGG13_doub <- VGG11_half -> [%d,%d,%d,%d,%d,%d,%d,%d]", umap[0], umap[1], umap[2],
	   umap[3], umap[4], umap[5], umap[6], umap[7]);
	layers_of(a, l0);
	layers_of(b, l1);
	ok(cf_cla_map_expand(umap, 8, l0, 10, l1, wmap, &nl, &e) == 0 && nl == 8 &&
		   same_ints(wmap, want, 8), "weight-layer map is the same for VGG");
	ok(cf_balance_add(a, b, umap, &b2, &e) == 0, "add balances the VGG");
	if (b2) {
		widths(b2, w, sizeof w);
		ok(!strcmp(w, "8-8-8-8-16-16-32-32-32-64"), "VGG11_half -> VGG13_student widths (%s)", w);
		double d = out_diff(b, b2, 8);
		ok(d == 0.0, "VGG balanced by add computes the same outputs (max rel diff %g)", d);
	}
	cf_net_free(b2);
	cf_net_free(a);
	cf_net_free(b);
}

static void test_resnet(void)
{
	cf_net *a = mk("resnet 3,4,6,3 width 4 nobn nobias in 3x16x16");
	cf_net *b = mk("resnet 2,2,2,2 width 4 nobn nobias in 3x16x16");
	cf_net *b2 = NULL;
	int umap[9], wmap[40], l0[20], l1[20], nl = 0, m0, n1;
	int want[20] = { 1, 2, 3, 6, 7, 8, 9, 10, 15, 16, 17, 18, 19, 28, 29, 30, 31, 32, 35, 36 };
	int uwant[9] = { 1, 2, 4, 5, 8, 9, 14, 15, 17 };
	cf_error e = { 0, "" };

	int rc = unit_map(a, b, umap, &e);
	ok(rc == 0 && same_ints(umap, uwant, 9),
	   "ResNet34 <- ResNet18 unit map (stem, blocks per stage) [%d,%d,%d,%d,%d,%d,%d,%d,%d]",
	   umap[0], umap[1], umap[2], umap[3], umap[4], umap[5], umap[6], umap[7], umap[8]);
	m0 = layers_of(a, l0);
	n1 = layers_of(b, l1);
	rc = cf_cla_map_expand(umap, n1, l0, m0, l1, wmap, &nl, &e);
	ok(rc == 0 && nl == 20 && same_ints(wmap, want, 20),
	   "ResNet34 <- ResNet18 -> the 20-entry weight-layer map (%d entries, ..., %d)", nl,
	   nl ? wmap[nl - 1] : 0);
	ok(cf_balance_add(a, b, umap, &b2, &e) == 0, "add balances the ResNet");
	if (b2) {
		int zero_ok = 1;
		const cf_arch *ar = cf_net_arch(b2);
		ok(cf_net_nwlayers(b2) == 37 && ar->blocks[0] == 3 && ar->blocks[2] == 6,
		   "balanced ResNet18 has ResNet34's 37 weight layers");
		/* the inserted blocks (hidden layers 4-5, 11-14, 20-27, 33-34) are zero */
		for (int l = 0; l < 37; l++) {
			int ins = (l >= 3 && l <= 4) || (l >= 10 && l <= 13) || (l >= 19 && l <= 26) ||
				  (l >= 32 && l <= 33);
			const cf_net_param *p = cf_net_param_at(b2, cf_net_wlayer_at(b2, l)->weight);
			double mx = 0;
			for (int64_t i = 0; i < p->t.size; i++)
				mx = fmax(mx, fabs(p->t.data[i]));
			if (ins != (mx == 0))
				zero_ok = 0;
		}
		ok(zero_ok, "exactly the inserted blocks (hidden 4-5, 11-14, 20-27, 33-34) are zero");
		double d = out_diff(b, b2, 4);
		ok(d == 0.0, "ResNet balanced by add computes the same outputs (max rel diff %g)", d);
	}
	cf_net_free(b2);
	/* s = 1 would pair a 2-conv block with a 3-layer downsampling block */
	{
		int bad[9] = { 1, 2, 3, 4, 5, 8, 9, 14, 15 };
		ok(cf_cla_map_expand(bad, n1, l0, m0, l1, wmap, &nl, &e) == CF_EINVAL,
		   "mismatched block structures are refused: %s", e.msg);
	}
	cf_net_free(a);
	cf_net_free(b);
}

static void test_errors(void)
{
	cf_net *a = mk("vgg 8 M 8 M classes 10 in 1x8x8 nobias"), *b = mk("mlp 64-10-10 nobias");
	int umap[1] = { 1 }, g[8];
	double C[4];
	cf_acts_cost_opts o = { CF_MEASURE_NEURON, CF_LMETRIC_EUCLIDEAN, 0, 1 };
	cf_acts_cost_opts bad = { CF_MEASURE_NEURON, CF_LMETRIC_CKA, 0, 1 };
	cf_error e = { 0, "" };
	cf_net *x = NULL;

	ok(cf_acts_unit_groups(a, g, 8) == 2 && g[0] == 1 && g[1] == 1, "VGG 8 M 8 M: two stages of one conv");
	ok(cf_acts_unit_costs(a, NULL, b, NULL, &o, C, NULL, &e) == CF_EINVAL &&
		   strstr(e.msg, "stages"), "different numbers of stages: %s", e.msg);
	ok(cf_acts_unit_costs(a, NULL, a, NULL, &bad, C, NULL, &e) == CF_EINVAL,
	   "neuron measure with cka metric refused: %s", e.msg);
	ok(cf_balance_add(a, b, umap, &x, &e) == CF_EINVAL && !x, "add across families refused: %s",
	   e.msg);
	cf_net_free(a);
	cf_net_free(b);
}

int main(void)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 7);
	test_mlp();
	test_vgg();
	test_resnet();
	test_errors();
	gsl_rng_free(rng);
	return tap_done();
}
