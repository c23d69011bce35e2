/* test_repair.c — the options beyond the published fusion: REPAIR (each
 * repaired neuron's mean and std equal the interpolated targets; the
 * classifier and residual conv2/shortcut layers are left alone; biases
 * added to a bias-free network change nothing), the aligned model (equal
 * to the fused network at step 0), and the width-aware incoming map (a
 * network transported onto a copy of itself with every neuron split in
 * two computes its own function only with the option on). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "acts.h"
#include "fusion.h"
#include "net.h"
#include "repair.h"
#include "session.h"
#include "fixtures.h"
#include "tap.h"

static gsl_rng *rng;

/* Fuse net0 onto net1 (acts mode, exact OT) with options; NULL on error. */
static cf_fusion *fuse(cf_net *n0, cf_net *n1, const cf_acts_sample *s, double step,
		       int width_aware, cf_activations **a0, cf_activations **a1)
{
	cf_fusion_params p;
	cf_fusion *f = NULL;
	cf_error e = { 0, "" };

	cf_fusion_params_default(&p);
	p.step = step;
	p.width_aware = width_aware;
	if (cf_acts_record(n0, s, NULL, a0, &e) || cf_acts_record(n1, s, NULL, a1, &e) ||
	    cf_fusion_alloc(n0, n1, *a0, *a1, &p, &f, &e) || cf_fusion_run(f, NULL, &e)) {
		tap_diag("fusion failed: %s", e.msg);
		cf_fusion_free(f);
		return NULL;
	}
	return f;
}

static void test_add_biases(void)
{
	cf_net *a = fx_net("mlp 10-8-6-4 nobias", rng), *b = NULL, *bn = NULL, *c = NULL;
	cf_acts_sample *s = a ? fx_sample(a, 50, rng) : NULL;
	cf_error e = { 0, "" };
	int all = 1;

	ok(a && cf_net_add_biases(a, &b, &e) == CF_OK, "add biases to mlp 10-8-6-4 nobias (%s)",
	   e.msg);
	if (!b)
		goto out;
	for (int l = 0; l < cf_net_nwlayers(b); l++) {
		const cf_net_wlayer *w = cf_net_wlayer_at(b, l);
		const float *v = w->bias >= 0 ? cf_net_param_at(b, w->bias)->t.data : NULL;
		all &= v != NULL;
		for (int j = 0; v && j < w->out; j++)
			all &= v[j] == 0.0f;
	}
	ok(all, "every layer has a bias, and it is zero");
	ok(fx_out_diff(a, b, s->x, s->N) == 0.0, "the biased network computes the same logits exactly");
	ok(cf_net_add_biases(b, &c, &e) == CF_OK && fx_out_diff(b, c, s->x, s->N) == 0.0,
	   "a network with every bias gives a copy");
	bn = fx_net("vgg 4 M 6 M classes 3 in 1x8x8 bn", rng);
	cf_net_free(c);
	c = NULL;
	ok(bn && cf_net_add_biases(bn, &c, &e) == CF_EINVAL && strstr(e.msg, "BatchNorm"),
	   "a BatchNorm network is refused: %s", e.msg);
out:
	cf_net_free(a);
	cf_net_free(b);
	cf_net_free(c);
	cf_net_free(bn);
	cf_acts_sample_free(s);
}

/* The statistics of one layer of a recording, neuron by neuron. */
static void stats(const cf_activations *r, int l, int64_t oc, double *m, double *sd)
{
	int64_t N = r->N, hw = r->a[l]->size / (N * oc);
	for (int64_t c = 0; c < oc; c++) {
		double s = 0, ss = 0;
		for (int64_t n = 0; n < N; n++)
			for (int64_t k = 0; k < hw; k++)
				s += r->a[l]->data[(n * oc + c) * hw + k];
		m[c] = s / (double)(N * hw);
		for (int64_t n = 0; n < N; n++)
			for (int64_t k = 0; k < hw; k++) {
				double v = r->a[l]->data[(n * oc + c) * hw + k] - m[c];
				ss += v * v;
			}
		sd[c] = sqrt(ss / (double)(N * hw));
	}
}

/* Fuse d0 onto d1, repair, and check every repaired layer's statistics
 * against targets computed here from the endpoints' own recordings. */
static void check_repair(const char *d0, const char *d1, double step, unsigned which,
			 const char *what)
{
	cf_net *n0 = fx_net(d0, rng), *n1 = fx_net(d1, rng), *al = NULL, *fz = NULL;
	cf_acts_sample *s = n1 ? fx_sample(n1, 300, rng) : NULL;
	cf_activations *a0 = NULL, *a1 = NULL, *ra = NULL, *r1 = NULL, *rf = NULL, *rb = NULL;
	cf_fusion *f = n0 && n1 ? fuse(n0, n1, s, step, 0, &a0, &a1) : NULL;
	cf_repair_report rep;
	cf_error e = { 0, "" };
	double worst = 0, before = 0, steps[16];
	int L, nrep = 0, skipped_ok = 1;

	ok(f != NULL, "%s: fused", what);
	if (!f)
		goto out;
	L = cf_net_nwlayers(n1);
	if (cf_fusion_aligned_net(f, &al, &e) || cf_net_add_biases(cf_fusion_net(f), &fz, &e)) {
		ok(0, "%s: aligned model and biases: %s", what, e.msg);
		goto out;
	}
	cf_acts_record(fz, s, NULL, &rb, &e);
	for (int l = 0; l < L && l < 16; l++)
		steps[l] = step;
	ok(L <= 16 && cf_repair_net(fz, al, n1, steps, which, s, NULL, &rep, &e) == CF_OK, "%s: repaired (%s)", what,
	   e.msg);
	if (cf_acts_record(al, s, NULL, &ra, &e) || cf_acts_record(n1, s, NULL, &r1, &e) ||
	    cf_acts_record(fz, s, NULL, &rf, &e)) {
		ok(0, "%s: recordings: %s", what, e.msg);
		goto report;
	}
	for (int l = 0; l < L; l++) {
		const cf_net_wlayer *w = cf_net_wlayer_at(fz, l);
		int64_t oc = w->oc;
		double *m = malloc(sizeof *m * (size_t)(8 * oc));
		double *ma = m + oc, *sa = m + 2 * oc, *m1 = m + 3 * oc, *s1 = m + 4 * oc,
		       *sd = m + 5 * oc, *mb = m + 6 * oc, *sb = m + 7 * oc;
		int expect = l < L - 1 ? (which & CF_REPAIR_HIDDEN) &&
				 (w->role == CF_WL_PLAIN || w->role == CF_WL_CONV1)
				       : (which & CF_REPAIR_LOGITS) && w->role == CF_WL_PLAIN;
		stats(ra, l, oc, ma, sa);
		stats(r1, l, oc, m1, s1);
		stats(rf, l, oc, m, sd);
		stats(rb, l, oc, mb, sb);
		if (rep.repaired[l] != expect)
			skipped_ok = 0;
		for (int64_t c = 0; c < oc; c++) {
			double tm = (1 - step) * ma[c] + step * m1[c];
			double ts = (1 - step) * sa[c] + step * s1[c];
			if (expect) {
				worst = fmax(worst, fmax(fabs(m[c] - tm), fabs(sd[c] - ts)) / ts);
				before = fmax(before, fmax(fabs(mb[c] - tm), fabs(sb[c] - ts)) / ts);
			}
		}
		free(m);
		nrep += expect;
	}
	ok(nrep > 0 && skipped_ok, "%s: %d layers repaired, exactly the selected ones outside "
	   "residual sums", what, nrep);
	ok(worst < 1e-4 && before > 1e-2,
	   "%s: every repaired neuron's mean and std equal the targets (worst %.2e relative to "
	   "the target std; %.2e before)", what, worst, before);
	{
		double rmax = 0;
		for (int l = 0; l < L; l++)
			rmax = fmax(rmax, rep.max_err[l]);
		ok(fabs(rmax - worst) <= 1e-6 + 0.1 * worst, "%s: the report's error %.2e agrees",
		   what, rmax);
	}
report:
	cf_repair_report_free(&rep);
out:
	cf_activations_free(a0);
	cf_activations_free(a1);
	cf_activations_free(ra);
	cf_activations_free(r1);
	cf_activations_free(rf);
	cf_activations_free(rb);
	cf_fusion_free(f);
	cf_net_free(n0);
	cf_net_free(n1);
	cf_net_free(al);
	cf_net_free(fz);
	cf_acts_sample_free(s);
}

static void test_aligned_is_step0(void)
{
	cf_net *n0 = fx_net("mlp 8-6-5-4", rng), *n1 = fx_net("mlp 8-9-7-4", rng), *al = NULL;
	cf_acts_sample *s = n1 ? fx_sample(n1, 100, rng) : NULL;
	cf_activations *a0 = NULL, *a1 = NULL, *b0 = NULL, *b1 = NULL;
	cf_fusion *f = fuse(n0, n1, s, 0.0, 0, &a0, &a1), *g = fuse(n0, n1, s, 0.5, 0, &b0, &b1);
	cf_error e = { 0, "" };

	ok(f && g && cf_fusion_aligned_net(g, &al, &e) == CF_OK, "aligned model of a fusion (%s)",
	   e.msg);
	if (al)
		ok(fx_out_diff(al, cf_fusion_net(f), s->x, s->N) == 0.0,
		   "the aligned model is the fused network at step 0, exactly (biases too)");
	cf_fusion_free(f);
	cf_fusion_free(g);
	cf_activations_free(a0);
	cf_activations_free(a1);
	cf_activations_free(b0);
	cf_activations_free(b1);
	cf_net_free(n0);
	cf_net_free(n1);
	cf_net_free(al);
	cf_acts_sample_free(s);
}

/* net1 = net0 with every hidden neuron split in two (the copy's incoming
 * weights repeated, its outgoing weights halved): the same function. */
static cf_net *split_copy(const cf_net *n0, const char *desc1)
{
	cf_net *n1 = fx_net(desc1, rng);
	int L = cf_net_nwlayers(n0);
	for (int l = 0; n1 && l < L; l++) {
		const cf_net_wlayer *w0 = cf_net_wlayer_at(n0, l), *w1 = cf_net_wlayer_at(n1, l);
		const float *W0 = cf_net_param_at((cf_net *)n0, w0->weight)->t.data;
		const float *b0 = cf_net_param_at((cf_net *)n0, w0->bias)->t.data;
		float *W1 = cf_net_param_at(n1, w1->weight)->t.data;
		float *b1 = cf_net_param_at(n1, w1->bias)->t.data;
		int split_out = l < L - 1, split_in = l > 0;
		for (int j = 0; j < w1->out; j++) {
			int j0 = split_out ? j / 2 : j;
			for (int k = 0; k < w1->in; k++) {
				int k0 = split_in ? k / 2 : k;
				W1[j * w1->in + k] = W0[j0 * w0->in + k0] * (split_in ? 0.5f : 1.0f);
			}
			b1[j] = b0[j0];
		}
	}
	return n1;
}

static void test_width_aware(void)
{
	cf_net *n0 = fx_net("mlp 6-4-3-3", rng), *n1 = n0 ? split_copy(n0, "mlp 6-8-6-3") : NULL;
	cf_acts_sample *s = n0 ? fx_sample(n0, 200, rng) : NULL;
	cf_activations *a0 = NULL, *a1 = NULL, *b0 = NULL, *b1 = NULL;
	cf_fusion *plain = NULL, *wa = NULL;
	double dsplit, dplain, dwa;

	if (!n1) {
		ok(0, "split copy");
		return;
	}
	dsplit = fx_out_diff(n0, n1, s->x, s->N);
	ok(dsplit < 1e-5, "the split copy computes the same function (%.1e)", dsplit);
	plain = fuse(n0, n1, s, 0.0, 0, &a0, &a1);
	wa = fuse(n0, n1, s, 0.0, 1, &b0, &b1);
	if (plain && wa) {
		dplain = fx_out_diff(n0, cf_fusion_net(plain), s->x, s->N);
		dwa = fx_out_diff(n0, cf_fusion_net(wa), s->x, s->N);
		ok(dwa < 1e-5, "width-aware: model 0 transported onto its split copy computes "
		   "model 0's function (%.1e)", dwa);
		ok(dplain > 0.1, "without the option its inputs count twice (%.2f)", dplain);
	}
	cf_fusion_free(plain);
	cf_fusion_free(wa);
	cf_activations_free(a0);
	cf_activations_free(a1);
	cf_activations_free(b0);
	cf_activations_free(b1);
	cf_net_free(n0);
	cf_net_free(n1);
	cf_acts_sample_free(s);
}

static void test_errors(void)
{
	cf_net *n0 = fx_net("mlp 6-5-3 nobias", rng), *n1 = fx_net("mlp 6-5-3 nobias", rng);
	cf_net *n2 = fx_net("mlp 6-5-4-3", rng);
	cf_acts_sample *s = n1 ? fx_sample(n1, 20, rng) : NULL;
	cf_error e = { 0, "" };
	double half[3] = { 0.5, 0.5, 0.5 }, bad[3] = { 0.5, 1.5, 0.5 };

	ok(cf_repair_net(n0, n0, n1, half, CF_REPAIR_HIDDEN, s, NULL, NULL, &e) == CF_EINVAL &&
	   strstr(e.msg, "no bias"), "a fused layer without a bias is refused: %s", e.msg);
	ok(cf_repair_net(n0, n2, n1, half, CF_REPAIR_HIDDEN, s, NULL, NULL, &e) == CF_EINVAL &&
	   strstr(e.msg, "weight layers"), "networks of different depths: %s", e.msg);
	ok(cf_repair_net(n2, n2, n2, bad, CF_REPAIR_HIDDEN, s, NULL, NULL, &e) == CF_EINVAL,
	   "a step outside [0, 1]: %s", e.msg);
	ok(cf_repair_net(n2, n2, n2, half, 0, s, NULL, NULL, &e) == CF_EINVAL &&
	   strstr(e.msg, "nothing to repair"), "nothing selected: %s", e.msg);
	cf_net_free(n0);
	cf_net_free(n1);
	cf_net_free(n2);
	cf_acts_sample_free(s);
}

/* The session's options: off by default; fusion.repair gives a repaired
 * fused model with biases whose report says every hidden layer matches
 * its targets; width_aware changes the fused weights; three models and
 * repair are refused. */
static void test_session(void)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	cf_net *plain = NULL;
	const cf_repair_report *rep;
	double worst = 0;
	int nrep = 0;

	if (cf_session_new(&s, &e)) {
		ok(0, "session: %s", e.msg);
		return;
	}
	cf_session_add_model(s, fx_net("mlp 16-40-30-20-12-10 nobias", rng), "A", &e);
	cf_session_add_model(s, fx_net("mlp 16-40-30-10 nobias", rng), "B", &e);
	cf_session_set_data(s, fx_data(400, 1, 4, 4, 10, 1), fx_data(300, 1, 4, 4, 10, 2), &e);
	ok(cf_session_get_num(s, "fusion.repair") == 0 && cf_session_get_num(s, "fusion.width_aware") == 0,
	   "session: fusion.repair and fusion.width_aware are off by default");
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == CF_OK && !cf_session_repair_report(s),
	   "session: fused without repair (%s)", e.msg);
	cf_net_copy(cf_session_fused(s), &plain, &e);
	ok(cf_session_set(s, "fusion.repair", "1", &e) == CF_OK &&
	   cf_session_state(s, CF_STEP_FUSE) == CF_STATE_STALE &&
	   cf_session_state(s, CF_STEP_BALANCE) == CF_STATE_FRESH,
	   "session: fusion.repair marks the fusion stale, not the balancing");
	cf_session_set(s, "fusion.repair_samples", "300", &e);
	ok(cf_session_run(s, CF_STEP_EVAL, &e) == CF_OK && (rep = cf_session_repair_report(s)),
	   "session: fused and repaired (%s)", e.msg);
	if (rep) {
		for (int l = 0; l < rep->n; l++)
			if (rep->repaired[l]) {
				nrep++;
				worst = fmax(worst, rep->max_err[l]);
			}
		ok(nrep == rep->n - 1 && worst < 1e-4,
		   "session: %d of %d layers repaired, worst deviation %.1e", nrep, rep->n, worst);
		ok(cf_net_wlayer_at(cf_session_fused(s), 0)->bias >= 0 && plain &&
		   cf_net_wlayer_at(plain, 0)->bias < 0, "session: the repaired model gained biases");
	}
	ok(cf_session_set(s, "fusion.repair", "0", &e) == CF_OK &&
	   cf_session_run(s, CF_STEP_FUSE, &e) == CF_OK && !cf_session_repair_report(s) &&
	   cf_net_wlayer_at(cf_session_fused(s), 0)->bias < 0,
	   "session: switched off again, the plain fused model is back");
	ok(cf_session_get_num(s, "fusion.repair_logits") == 0 &&
	   cf_session_set(s, "fusion.repair_logits", "1", &e) == CF_OK &&
	   cf_session_run(s, CF_STEP_FUSE, &e) == CF_OK && (rep = cf_session_repair_report(s)),
	   "session: fusion.repair_logits alone, off by default (%s)", e.msg);
	if (rep) {
		const cf_net_wlayer *w1 = cf_net_wlayer_at(plain, 0);
		int same1 = !memcmp(cf_net_param_at((cf_net *)cf_session_fused(s), w1->weight)->t.data,
				    cf_net_param_at(plain, w1->weight)->t.data,
				    sizeof(float) * (size_t)cf_net_param_at(plain, w1->weight)->t.size);
		nrep = 0;
		for (int l = 0; l < rep->n; l++)
			nrep += rep->repaired[l];
		ok(nrep == 1 && rep->repaired[rep->n - 1] && rep->max_err[rep->n - 1] < 1e-4 && same1,
		   "session: only the classifier repaired (to %.1e), layer 1 as fused",
		   rep->max_err[rep->n - 1]);
	}
	cf_session_set(s, "fusion.repair_logits", "0", &e);
	ok(cf_session_set_layer(s, 3, "fusion.width_aware", "1", &e) == CF_OK &&
	   cf_session_run(s, CF_STEP_FUSE, &e) == CF_OK,
	   "session: fusion.width_aware for layer 3 (%s)", e.msg);
	{
		const cf_net_wlayer *w2 = cf_net_wlayer_at(plain, 1), *w3 = cf_net_wlayer_at(plain, 2);
		const cf_net *f = cf_session_fused(s);
		int same2 = !memcmp(cf_net_param_at((cf_net *)f, w2->weight)->t.data,
				    cf_net_param_at(plain, w2->weight)->t.data,
				    sizeof(float) * (size_t)cf_net_param_at(plain, w2->weight)->t.size);
		int same3 = !memcmp(cf_net_param_at((cf_net *)f, w3->weight)->t.data,
				    cf_net_param_at(plain, w3->weight)->t.data,
				    sizeof(float) * (size_t)cf_net_param_at(plain, w3->weight)->t.size);
		ok(same2 && !same3, "session: layer 2 unchanged, layer 3's weights changed");
	}
	cf_session_add_model(s, fx_net("mlp 16-30-10 nobias", rng), "C", &e);
	cf_session_set(s, "fusion.repair_logits", "1", &e);
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == CF_EINVAL && strstr(e.msg, "repair_logits works on two"),
	   "session: three models with repair of the logits refused: %s", e.msg);
	cf_session_set(s, "fusion.repair", "1", &e);
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == CF_EINVAL && strstr(e.msg, "two models"),
	   "session: three models with repair refused: %s", e.msg);
	cf_net_free(plain);
	cf_session_free(s);
}

int main(void)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 7);
	test_add_biases();
	test_aligned_is_step0();
	check_repair("mlp 12-6-5-4 nobias", "mlp 12-10-8-4 nobias", 0.5, CF_REPAIR_HIDDEN,
		     "MLP 6-5 onto 10-8");
	check_repair("mlp 12-10-8-4", "mlp 12-10-8-4", 0.3, CF_REPAIR_HIDDEN,
		     "MLP with biases, s = 0.3");
	check_repair("vgg 4 M 6 M classes 3 in 1x8x8 nobias", "vgg 6 M 8 M classes 3 in 1x8x8 nobias",
		     0.5, CF_REPAIR_HIDDEN, "VGG");
	check_repair("resnet 1,1 width 4 nobn nobias in 3x8x8", "resnet 1,1 width 4 nobn nobias in 3x8x8",
		     0.5, CF_REPAIR_HIDDEN, "ResNet");
	/* fusion.repair_logits: the classifier alone, and after the hidden layers */
	check_repair("mlp 12-6-5-4 nobias", "mlp 12-10-8-4 nobias", 0.5, CF_REPAIR_LOGITS,
		     "MLP, logits only");
	check_repair("mlp 12-6-5-4 nobias", "mlp 12-10-8-4 nobias", 0.4,
		     CF_REPAIR_HIDDEN | CF_REPAIR_LOGITS, "MLP, hidden layers and logits, s = 0.4");
	check_repair("vgg 4 M 6 M classes 3 in 1x8x8 nobias", "vgg 6 M 8 M classes 3 in 1x8x8 nobias",
		     0.5, CF_REPAIR_HIDDEN | CF_REPAIR_LOGITS, "VGG, hidden layers and logits");
	check_repair("resnet 1,1 width 4 nobn nobias in 3x8x8", "resnet 1,1 width 4 nobn nobias in 3x8x8",
		     0.5, CF_REPAIR_HIDDEN | CF_REPAIR_LOGITS, "ResNet, hidden layers and logits");
	test_width_aware();
	test_errors();
	test_session();
	gsl_rng_free(rng);
	return tap_done();
}
