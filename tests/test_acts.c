/* test_acts.c — the activation sample and the unit costs of cross-layer
 * alignment (acts.c): samples drawn from a hand-made data set (given
 * indices, seeded draws that extend each other), recordings of a tiny
 * network with hand-set weights (also in batches of 1000, and stopped),
 * the neuron-major view, the unit groups of an MLP, a VGG and a ResNet,
 * and unit costs worked out by hand for every measure and metric; then
 * the error paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "acts.h"
#include "ground.h"
#include "net.h"
#include "fixtures.h"
#include "tap.h"

static void set1(cf_net *net, const char *name, float v)
{
	const cf_net_param *p = cf_net_param_find(net, name);
	if (!p || p->t.size != 1) {
		tap_diag("no scalar parameter %s", name);
		return;
	}
	p->t.data[0] = v;
}

/* "mlp 1-1-1-1" computing fc1 = s·x, fc2 = relu(fc1), fc3 = fc2: the
 * recordings are s·x and relu(s·x), so the costs below follow by hand. */
static cf_net *line_net(float s)
{
	cf_net *net = fx_build("mlp 1-1-1-1");
	if (!net)
		return NULL;
	set1(net, "fc1.weight", s);
	set1(net, "fc1.bias", 0);
	set1(net, "fc2.weight", 1);
	set1(net, "fc2.bias", 0);
	set1(net, "fc3.weight", 1);
	set1(net, "fc3.bias", 0);
	return net;
}

/* n samples of 1×1×2 values (10·i, 10·i + 1), labels i mod 2. */
static cf_dataset *hand_data(int64_t n)
{
	cf_dataset *d = calloc(1, sizeof *d);
	strcpy(d->name, "hand");
	d->n = n;
	d->c = d->h = 1;
	d->w = 2;
	d->nclasses = 2;
	d->x = malloc(sizeof *d->x * (size_t)(2 * n));
	d->y = malloc(sizeof *d->y * (size_t)n);
	for (int64_t i = 0; i < n; i++) {
		d->x[2 * i] = (float)(10 * i);
		d->x[2 * i + 1] = (float)(10 * i + 1);
		d->y[i] = (int32_t)(i % 2);
	}
	return d;
}

static int rows_match(const cf_acts_sample *s, const cf_dataset *d)
{
	for (int64_t i = 0; i < s->N; i++)
		if (s->x[2 * i] != d->x[2 * s->idx[i]] || s->x[2 * i + 1] != d->x[2 * s->idx[i] + 1])
			return 0;
	return 1;
}

static void test_sample(void)
{
	cf_dataset *d = hand_data(6);
	cf_acts_sample *s = NULL, *s3 = NULL, *s6 = NULL, *again = NULL;
	cf_error err = { 0, "" };
	static const int64_t given[] = { 4, 0, 4 };
	int distinct = 1;

	ok(cf_acts_sample_draw(d, 99, 0, given, 3, &s, &err) == CF_OK && s->N == 3 &&
	   s->idx[0] == 4 && s->idx[1] == 0 && s->idx[2] == 4, "given indices (4, 0, 4): N = 3, duplicates kept, N argument ignored");
	ok(s && s->c == 1 && s->h == 1 && s->w == 2 && s->x[0] == 40 && s->x[1] == 41 &&
	   s->x[2] == 0 && s->x[3] == 1 && s->x[4] == 40 && s->x[5] == 41,
	   "their inputs are copied in order: (40 41) (0 1) (40 41)");
	cf_acts_sample_free(s);

	ok(cf_acts_sample_draw(d, 3, 7, NULL, 0, &s3, &err) == CF_OK && s3->N == 3, "seeded draw of 3 of 6");
	ok(cf_acts_sample_draw(d, 6, 7, NULL, 0, &s6, &err) == CF_OK && s6->N == 6, "seeded draw of all 6");
	ok(cf_acts_sample_draw(d, 3, 7, NULL, 0, &again, &err) == CF_OK, "the same draw again");
	if (s3 && s6 && again) {
		int seen[6] = { 0 };
		for (int i = 0; i < 6; i++) {
			if (s6->idx[i] < 0 || s6->idx[i] >= 6 || seen[s6->idx[i]]++)
				distinct = 0;
		}
		ok(distinct, "all 6 drawn: a permutation of 0..5 (%lld %lld %lld %lld %lld %lld)",
		   (long long)s6->idx[0], (long long)s6->idx[1], (long long)s6->idx[2],
		   (long long)s6->idx[3], (long long)s6->idx[4], (long long)s6->idx[5]);
		ok(memcmp(s3->idx, s6->idx, 3 * sizeof *s3->idx) == 0,
		   "the larger draw extends the smaller one (same first 3)");
		ok(memcmp(s3->idx, again->idx, 3 * sizeof *s3->idx) == 0 && rows_match(again, d),
		   "same seed, same samples; the inputs are the drawn rows");
		ok(rows_match(s3, d) && rows_match(s6, d), "every drawn row is copied from the data set");
	}
	cf_acts_sample_free(s3);
	cf_acts_sample_free(s6);
	cf_acts_sample_free(again);
	{
		cf_acts_sample *other = NULL;
		int differ = 0;
		cf_acts_sample_draw(d, 6, 8, NULL, 0, &other, &err);
		cf_acts_sample_draw(d, 6, 7, NULL, 0, &s6, &err);
		for (int i = 0; other && s6 && i < 6; i++)
			differ |= other->idx[i] != s6->idx[i];
		ok(differ, "another seed, another order");
		cf_acts_sample_free(other);
		cf_acts_sample_free(s6);
	}

	/* errors */
	s = NULL;
	ok(cf_acts_sample_draw(d, 0, 1, NULL, 0, &s, &err) == CF_EINVAL && !s &&
	   strstr(err.msg, "0 samples requested, data set hand has 6"), "N = 0 -> error: %s", err.msg);
	ok(cf_acts_sample_draw(d, 7, 1, NULL, 0, &s, &err) == CF_EINVAL && !s &&
	   strstr(err.msg, "7 samples requested"), "N = 7 > 6 -> error: %s", err.msg);
	{
		static const int64_t bad[] = { 1, 6 }, neg[] = { -1 };
		ok(cf_acts_sample_draw(d, 1, 1, bad, 2, &s, &err) == CF_EINVAL && !s &&
		   strstr(err.msg, "index 6 (entry 2)"), "index 6 of 6 -> error: %s", err.msg);
		ok(cf_acts_sample_draw(d, 1, 1, neg, 1, &s, &err) == CF_EINVAL && !s &&
		   strstr(err.msg, "index -1 (entry 1)"), "index -1 -> error: %s", err.msg);
		ok(cf_acts_sample_draw(d, 1, 1, bad, 0, &s, &err) == CF_EINVAL && !s &&
		   strstr(err.msg, "index list is empty"), "empty index list -> error: %s", err.msg);
	}
	d->n = 0;
	ok(cf_acts_sample_draw(d, 1, 1, NULL, 0, &s, &err) == CF_EINVAL && !s &&
	   strstr(err.msg, "data set is empty"), "empty data set -> error: %s", err.msg);
	ok(cf_acts_sample_draw(NULL, 1, 1, NULL, 0, &s, &err) == CF_EINVAL && !s,
	   "no data set -> error: %s", err.msg);
	d->n = 6;
	cf_dataset_free(d);
}

/* A sample of N inputs x_i = i/1000 − 1 (exact in float for the checks). */
static cf_acts_sample *line_sample(int64_t N)
{
	cf_acts_sample *s = calloc(1, sizeof *s);
	s->N = N;
	s->c = s->h = s->w = 1;
	s->x = malloc(sizeof *s->x * (size_t)N);
	for (int64_t i = 0; i < N; i++)
		s->x[i] = (float)i / 1000.0f - 1.0f;
	return s;
}

static int calls, stop_at;
static double last_fraction;
static int count_progress(void *ud, const char *what, double fraction)
{
	(void)ud;
	(void)what;
	last_fraction = fraction;
	return ++calls == stop_at;
}

static void test_record(void)
{
	cf_net *net = line_net(-2);
	cf_acts_sample *s = line_sample(2500);
	cf_activations *a = NULL;
	cf_error err = { 0, "" };
	cf_progress prog = { count_progress, NULL };
	int exact = 1;

	if (!net)
		return;
	calls = 0;
	stop_at = 0;
	ok(cf_acts_record(net, s, &prog, &a, &err) == CF_OK && a && a->n == 3 && a->N == 2500,
	   "2500 samples recorded in batches: 3 weight layers, N = 2500");
	ok(calls == 3 && last_fraction == 1.0, "progress after each of the 3 batches (%d calls, last %g)",
	   calls, last_fraction);
	for (int64_t i = 0; a && i < 2500; i++) {
		float z = -2.0f * s->x[i], r = z > 0 ? z : 0;
		if (a->a[0]->data[i] != z || a->a[1]->data[i] != r || a->a[2]->data[i] != r) {
			tap_diag("sample %lld: got %g %g %g, want %g %g %g", (long long)i, a->a[0]->data[i],
				 a->a[1]->data[i], a->a[2]->data[i], z, r, r);
			exact = 0;
			break;
		}
	}
	ok(exact, "every sample's fc1 = -2x, fc2 = fc3 = relu(-2x), the last batch (1500..2499) too");
	ok(a && cf_acts_width(a, 0) == 1 && cf_acts_neuron_features(a, 0) == 2500,
	   "width 1, 2500 features per neuron");
	cf_activations_free(a);

	calls = 0;
	stop_at = 2;
	a = NULL;
	ok(cf_acts_record(net, s, &prog, &a, &err) == CF_ESTOPPED && !a &&
	   strstr(err.msg, "stopped"), "stopped after the second batch: CF_ESTOPPED, no recording (%s)",
	   err.msg);

	cf_acts_sample_free(s);
	s = line_sample(3);
	s->w = 2;   /* claims 1×1×2 inputs; the net takes 1×1×1 */
	ok(cf_acts_record(net, s, NULL, &a, &err) == CF_EINVAL && !a &&
	   strstr(err.msg, "the samples are 1x1x2 but the model takes 1x1x1"),
	   "shape mismatch -> error: %s", err.msg);
	cf_acts_sample_free(s);
	cf_net_free(net);
}

static void test_neuron_major(void)
{
	cf_net *net = fx_build("net in 1x3x3: conv 2 k2, relu, flatten, linear 2");
	cf_activations *a = NULL;
	cf_error err = { 0, "" };
	float out[16];
	int good = 1;

	if (!net || cf_activations_alloc(net, 2, &a, &err))
		return;
	/* a[0] is N×C×H×W = 2×2×2×2; value = its flat index */
	for (int i = 0; i < 16; i++)
		a->a[0]->data[i] = (float)i;
	ok(cf_acts_width(a, 0) == 2 && cf_acts_neuron_features(a, 0) == 8,
	   "conv layer: width 2, H·W·N = 8 values per neuron");
	cf_acts_neuron_major(a, 0, out);
	/* out[c][p·N + s] = a[s][c][p] = s·8 + c·4 + p */
	for (int c = 0; c < 2; c++)
		for (int p = 0; p < 4; p++)
			for (int s = 0; s < 2; s++)
				if (out[c * 8 + p * 2 + s] != (float)(s * 8 + c * 4 + p))
					good = 0;
	ok(good, "neuron-major: row 0 = 0 8 1 9 2 10 3 11 (sample fastest), got %g %g %g %g %g %g %g %g",
	   out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7]);
	cf_activations_free(a);
	cf_net_free(net);
}

static void test_units(void)
{
	cf_net *mlp = fx_build("mlp 4-3-2-2");
	cf_net *vgg = fx_build("vgg 4 M 8 8 M classes 3 in 1x8x8");
	cf_net *res = fx_build("resnet 1,1 width 4 classes 3 in 3x8x8 nobn");
	int g[8], ng;

	if (!mlp || !vgg || !res)
		return;
	ng = cf_acts_unit_groups(mlp, g, 8);
	ok(cf_acts_hidden_units(mlp) == 2 && ng == 1 && g[0] == 2,
	   "mlp 4-3-2-2: 2 hidden units in one group (%d groups)", ng);
	ng = cf_acts_unit_groups(vgg, g, 8);
	ok(cf_acts_hidden_units(vgg) == 3 && ng == 2 && g[0] == 1 && g[1] == 2,
	   "vgg 4 M 8 8 M: 3 hidden convs, groups of 1 and 2 between the pools");
	ng = cf_acts_unit_groups(res, g, 8);
	ok(cf_acts_hidden_units(res) == 3 && ng == 3 && g[0] == 1 && g[1] == 1 && g[2] == 1,
	   "resnet 1,1: stem, then one group per stage (%d groups)", ng);
	ok(cf_acts_unit_groups(vgg, g, 1) == -1, "more groups than room -> -1");
	/* weight layers: stem 0, block 1 = conv 1, 2; block 2 = conv 3, 4 and
	 * its projection 5 (stride 2, channels double), classifier 6 */
	ok(cf_acts_unit_layer(res, 0) == 0 && cf_acts_unit_layer(res, 1) == 2 &&
	   cf_acts_unit_layer(res, 2) == 5,
	   "a unit's layer: stem 0, block conv2 2, the projecting block's shortcut 5 (%d %d %d)",
	   cf_acts_unit_layer(res, 0), cf_acts_unit_layer(res, 1), cf_acts_unit_layer(res, 2));
	ok(strcmp(cf_acts_measure_name(CF_MEASURE_NEURON), "neuron") == 0 &&
	   strcmp(cf_acts_metric_name(CF_LMETRIC_WD), "wd") == 0 &&
	   strcmp(cf_acts_metric_name(9), "?") == 0, "measure and metric names");
	cf_net_free(mlp);
	cf_net_free(vgg);
	cf_net_free(res);
}

static int near(double got, double want, double tol)
{
	if (fabs(got - want) <= tol)
		return 1;
	tap_diag("got %.12g, want %.12g", got, want);
	return 0;
}

static void test_costs_structural(void)
{
	cf_net *a = fx_build("mlp 4-3-2-2"), *b = fx_build("mlp 4-2-2-2-2");
	cf_net *v0 = fx_build("vgg 4 M 8 8 M classes 3 in 1x8x8"), *v1 = fx_build("vgg 4 M 8 8 M classes 3 in 1x8x8");
	cf_acts_cost_opts o = { CF_MEASURE_INDEX, CF_LMETRIC_EUCLIDEAN, 0, 0 };
	cf_error err = { 0, "" };
	double C[9];

	if (!a || !b || !v0 || !v1)
		return;
	/* units 1, 2 vs 1, 2, 3: (u − v)² */
	ok(cf_acts_unit_costs(a, NULL, b, NULL, &o, C, NULL, &err) == CF_OK && C[0] == 0 &&
	   C[1] == 1 && C[2] == 4 && C[3] == 1 && C[4] == 0 && C[5] == 1,
	   "index costs (u - v)^2 = [[0 1 4] [1 0 1]]");
	/* widths 3, 2 vs 2, 2, 2 */
	o.measure = CF_MEASURE_NEURON;
	ok(cf_acts_unit_costs(a, NULL, b, NULL, &o, C, NULL, &err) == CF_OK && C[0] == 1 &&
	   C[1] == 1 && C[2] == 1 && C[3] == 0 && C[4] == 0 && C[5] == 0,
	   "neuron costs (width difference)^2 = [[1 1 1] [0 0 0]]");
	/* groups {1}, {2, 3}: pairs across groups are not compared */
	o.measure = CF_MEASURE_INDEX;
	ok(cf_acts_unit_costs(v0, NULL, v1, NULL, &o, C, NULL, &err) == CF_OK && C[0] == 0 &&
	   isnan(C[1]) && isnan(C[2]) && isnan(C[3]) && C[4] == 0 && C[5] == 1 && isnan(C[6]) &&
	   C[7] == 1 && C[8] == 0, "vgg: costs within a stage, NaN across stages");

	/* errors */
	o.metric = CF_LMETRIC_CKA;
	ok(cf_acts_unit_costs(a, NULL, b, NULL, &o, C, NULL, &err) == CF_EINVAL &&
	   strstr(err.msg, "measure 'index' does not go with metric 'cka'"), "index with cka -> error: %s",
	   err.msg);
	o.measure = CF_MEASURE_ACTIVATION;
	ok(cf_acts_unit_costs(a, NULL, b, NULL, &o, C, NULL, &err) == CF_EINVAL &&
	   strstr(err.msg, "needs recordings"), "activation without recordings -> error: %s", err.msg);
	o.metric = CF_LMETRIC_EUCLIDEAN;
	ok(cf_acts_unit_costs(a, NULL, b, NULL, &o, C, NULL, &err) == CF_EINVAL &&
	   strstr(err.msg, "does not go with"), "activation with euclidean -> error: %s", err.msg);
	o.measure = 3;
	ok(cf_acts_unit_costs(a, NULL, b, NULL, &o, C, NULL, &err) == CF_EINVAL &&
	   strstr(err.msg, "unknown measure or metric"), "measure 3 -> error: %s", err.msg);
	o.measure = CF_MEASURE_INDEX;
	ok(cf_acts_unit_costs(a, NULL, v1, NULL, &o, C, NULL, &err) == CF_EINVAL &&
	   strstr(err.msg, "model 0 has 1 stages of units, model 1 has 2"),
	   "an MLP against a VGG -> error: %s", err.msg);
	cf_net_free(a);
	cf_net_free(b);
	cf_net_free(v0);
	cf_net_free(v1);
}

/* Two "mlp 1-1-1-1" on x = (−1, 0, 1, 2): model 0 records x and relu(x) =
 * (0 0 1 2), model 1 records −x and relu(−x) = (1 0 0 0).  For one-neuron
 * layers linear CKA is the squared correlation of the centred vectors, so
 * the costs 1 − corr² are [[0, 1 − 0.6], [1 − 49/55, 1 − 3/11]]; CCA
 * (uncentred, as the reference) is the squared cosine of the raw vectors,
 * [[0, 1 − 1/6], [1 − 25/30, 1 − 0]]; the exact OT cost between two
 * one-point clouds is their ground distance, squared [[24, 9], [21, 6]]. */
static void test_costs_activation(void)
{
	cf_net *n0 = line_net(1), *n1 = line_net(-1);
	cf_acts_sample *s = line_sample(4);
	cf_activations *a0 = NULL, *a1 = NULL;
	cf_acts_cost_opts o = { CF_MEASURE_ACTIVATION, CF_LMETRIC_CKA, 0, CF_GROUND_SQEUCLIDEAN };
	cf_error err = { 0, "" };
	double C[4];
	int rc;
	static const float x[] = { -1, 0, 1, 2 };

	if (!n0 || !n1)
		return;
	memcpy(s->x, x, sizeof x);
	if (cf_acts_record(n0, s, NULL, &a0, &err) || cf_acts_record(n1, s, NULL, &a1, &err)) {
		tap_diag("recording: %s", err.msg);
		goto out;
	}
	rc = cf_acts_unit_costs(n0, a0, n1, a1, &o, C, NULL, &err);
	ok(rc == CF_OK && near(C[0], 0, 1e-9) && near(C[1], 0.4, 1e-9) &&
	   near(C[2], 6.0 / 55, 1e-9) && near(C[3], 8.0 / 11, 1e-9),
	   "cka costs by hand [[0 0.4] [6/55 8/11]] (%.6f %.6f %.6f %.6f)", C[0], C[1], C[2], C[3]);
	o.metric = CF_LMETRIC_CCA;
	rc = cf_acts_unit_costs(n0, a0, n1, a1, &o, C, NULL, &err);
	ok(rc == CF_OK && near(C[0], 0, 1e-9) && near(C[1], 5.0 / 6, 1e-9) &&
	   near(C[2], 1.0 / 6, 1e-9) && near(C[3], 1, 1e-9),
	   "cca costs by hand [[0 5/6] [1/6 1]] (%.6f %.6f %.6f %.6f)", C[0], C[1], C[2], C[3]);
	o.metric = CF_LMETRIC_WD;
	rc = cf_acts_unit_costs(n0, a0, n1, a1, &o, C, NULL, &err);
	ok(rc == CF_OK && C[0] == 24 && C[1] == 9 && C[2] == 21 && C[3] == 6,
	   "wd costs, squared euclidean: [[24 9] [21 6]] (%g %g %g %g)", C[0], C[1], C[2], C[3]);
	o.ground_metric = CF_GROUND_EUCLIDEAN;
	rc = cf_acts_unit_costs(n0, a0, n1, a1, &o, C, NULL, &err);
	ok(rc == CF_OK && near(C[0], sqrt(24), 1e-12) && near(C[1], 3, 1e-12) &&
	   near(C[2], sqrt(21), 1e-12) && near(C[3], sqrt(6), 1e-12),
	   "wd costs, euclidean: their square roots (%.6f %g %.6f %.6f)", C[0], C[1], C[2], C[3]);
	{
		/* a recording of 3 samples against one of 4: the neuron clouds
		 * live in spaces of different dimension */
		cf_net *c = fx_build("net in 1x1x1: linear 1, relu, linear 1, relu, linear 1");
		cf_activations *ac = NULL;
		cf_acts_sample *s2 = line_sample(3);
		if (c && !cf_acts_record(c, s2, NULL, &ac, &err)) {
			ok(cf_acts_unit_costs(n0, a0, c, ac, &o, C, NULL, &err) == CF_EINVAL &&
			   strstr(err.msg, "4 and 3 values per neuron") &&
			   strstr(err.msg, "model-0 unit 1 vs model-1 unit 1"),
			   "wd on recordings of different samples -> error: %s", err.msg);
		}
		cf_activations_free(ac);
		cf_acts_sample_free(s2);
		cf_net_free(c);
	}
out:
	cf_activations_free(a0);
	cf_activations_free(a1);
	cf_acts_sample_free(s);
	cf_net_free(n0);
	cf_net_free(n1);
}

int main(void)
{
	test_sample();
	test_record();
	test_neuron_major();
	test_units();
	test_costs_structural();
	test_costs_activation();
	return tap_done();
}
