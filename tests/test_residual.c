/* test_residual.c — residual-consistent plans (fusion.residual_tied).
 *
 * Model 0 transported onto model 1 of the same widths (fusion step 0,
 * exact OT, so every plan is a permutation) must compute model 0's
 * function, its logits reordered by the output layer's plan.  For MLPs and
 * VGGs it does with or without the option; for a ResNet only with it: a
 * block's conv2 with a plan of its own adds its channels to a stream kept
 * in another order.  With BatchNorm, both models are folded first, as the
 * session does, and compared with the unfolded model 0 in eval mode.
 * Also: the stream segments of a ResNet and of a unit list with pooling
 * between blocks, the option changing nothing where there is no residual
 * stream, the error for a block that adds the network input, and the
 * session parameter.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "acts.h"
#include "fold.h"
#include "fusion.h"
#include "net.h"
#include "residual.h"
#include "session.h"
#include "fixtures.h"
#include "tap.h"

static gsl_rng *rng;

/* A network for desc, BN randomised and folded when it has BN. */
static cf_net *make(const char *desc, cf_net **unfolded)
{
	cf_net *n = fx_net(desc, rng), *f = NULL;
	cf_error e = { 0, "" };
	*unfolded = n;
	if (!n || !cf_net_has_bn(n))
		return n;
	fx_randomize_bn(n, rng);
	if (cf_net_fold_bn(n, &f, &e)) {
		tap_diag("fold: %s", e.msg);
		return NULL;
	}
	return f;
}

/* Fuse (step 0, option `tied`) model 0 onto model 1 built from desc;
 * *f gets the fusion (NULL on error, with a diagnostic). */
static int fuse(cf_net *n0, cf_net *n1, const cf_acts_sample *s, int tied, cf_fusion **f,
		cf_error *e)
{
	cf_fusion_params p;
	cf_activations *a0 = NULL, *a1 = NULL;
	int rc;

	cf_fusion_params_default(&p);
	p.step = 0.0;
	p.residual_tied = tied;
	*f = NULL;
	rc = cf_acts_record(n0, s, NULL, &a0, e);
	if (!rc)
		rc = cf_acts_record(n1, s, NULL, &a1, e);
	if (!rc)
		rc = cf_fusion_alloc(n0, n1, a0, a1, &p, f, e);
	if (!rc)
		rc = cf_fusion_run(*f, NULL, e);
	/* the fusion borrows the recordings only while it runs a layer */
	cf_activations_free(a0);
	cf_activations_free(a1);
	return rc;
}

/* Largest |fused logit − model-0 logit mapped by the output plan| over the
 * samples, relative to the largest |logit|; INFINITY on failure. */
static double step0_diff(cf_fusion *f, cf_net *ref0, const cf_acts_sample *s)
{
	int L = cf_fusion_nlayers(f), k = cf_net_nclasses(ref0);
	const cf_fusion_layer *y = cf_fusion_layer_at(f, L - 1);
	float *z0 = malloc(sizeof *z0 * (size_t)(s->N * k)), *zf = malloc(sizeof *zf * (size_t)(s->N * k));
	double d = 0, sc = 0;
	cf_error e;

	if (!y->Tc || cf_net_forward(ref0, s->x, s->N, CF_NET_EVAL, NULL, z0, &e) ||
	    cf_net_forward(cf_fusion_net(f), s->x, s->N, CF_NET_EVAL, NULL, zf, &e))
		d = INFINITY;
	for (int64_t i = 0; i < s->N && isfinite(d); i++)
		for (int j = 0; j < k; j++) {
			double t = 0;
			for (int c = 0; c < k; c++)
				t += (double)y->Tc[c * k + j] * z0[i * k + c];
			d = fmax(d, fabs(zf[i * k + j] - t));
			sc = fmax(sc, fabs(t));
		}
	free(z0);
	free(zf);
	return sc > 0 ? d / sc : d;
}

/* Transport desc's model 0 onto model 1 (same description, other weights)
 * at step 0 and return step0_diff; -1 when something fails. */
static double transported(const char *desc, int tied)
{
	cf_net *u0 = NULL, *u1 = NULL, *n0 = make(desc, &u0), *n1 = make(desc, &u1);
	cf_acts_sample *s = n0 ? fx_sample(n0, 60, rng) : NULL;
	cf_fusion *f = NULL;
	cf_error e = { 0, "" };
	double d = -1;

	if (n0 && n1 && !fuse(n0, n1, s, tied, &f, &e))
		d = step0_diff(f, u0, s);
	else
		tap_diag("%s: %s", desc, e.msg);
	cf_fusion_free(f);
	if (n0 != u0)
		cf_net_free(n0);
	if (n1 != u1)
		cf_net_free(n1);
	cf_net_free(u0);
	cf_net_free(u1);
	cf_acts_sample_free(s);
	return d;
}

static void test_step0(void)
{
	static const struct {
		const char *desc, *what;
		int resnet;
	} cases[] = {
		{ "mlp 12-9-7-5", "MLP", 0 },
		{ "vgg 5 M 6 M classes 4 in 2x8x8", "VGG", 0 },
		{ "vgg 5 M 6 M classes 4 in 2x8x8 bn", "VGG with BN", 0 },
		{ "resnet 2,2 width 4 classes 5 in 3x8x8 nobn", "ResNet", 1 },
		{ "resnet 2,2 width 4 classes 5 in 3x8x8", "ResNet with BN", 1 },
		{ "resnet 1,2 width 5 classes 4 in 2x8x8 nobn convbias", "ResNet with conv biases", 1 },
		{ "net in 3x8x8 : conv 4 p1, relu, block 4, maxpool 2, block 4, block 6 s 2, gap, "
		  "linear 3", "blocks with pooling between them", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double on = transported(cases[i].desc, 1), off = transported(cases[i].desc, 0);
		ok(on >= 0 && on < 1e-5, "%s, tied plans: step 0 computes the transported model 0 "
		   "(%.1e)", cases[i].what, on);
		if (cases[i].resnet)
			ok(off > 0.05, "%s, a plan per layer: it does not (%.2f)", cases[i].what, off);
		else
			ok(off >= 0 && off < 1e-5, "%s, a plan per layer: it does too (%.1e)",
			   cases[i].what, off);
	}
}

static void test_heads(void)
{
	/* stem, b1.conv1, b1.conv2, b2.c1, b2.c2, b3.c1, b3.c2, b3.shortcut,
	 * b4.c1, b4.c2, fc */
	static const int want[] = { 0, 1, 0, 3, 0, 5, 6, 6, 8, 6, 10 };
	cf_net *n = fx_net("resnet 2,2 width 4 in 3x8x8", rng);
	cf_net *m = fx_net("net in 3x8x8 : conv 4 p1, relu, block 4, maxpool 2, block 4, gap, "
			   "linear 3", rng);
	int head[16], same = 1;

	if (!n || !m || cf_net_nwlayers(n) != 11 || cf_net_nwlayers(m) != 6) {
		ok(0, "segment networks build");
		goto out;
	}
	cf_residual_heads(n, head);
	for (int l = 0; l < 11; l++)
		same &= head[l] == want[l];
	ok(same, "resnet 2,2: the stem and both identity blocks' conv2 form one segment; the "
	   "projection block's conv2, shortcut and the next conv2 another");
	cf_residual_heads(m, head);
	ok(head[2] == 0 && head[4] == 0 && head[1] == 1 && head[3] == 3 && head[5] == 5,
	   "a max-pool between blocks keeps their segment");
out:
	cf_net_free(n);
	cf_net_free(m);
}

/* Without a residual stream the option changes no weight; a block that
 * adds the network input itself cannot be tied. */
static void test_no_stream_and_errors(void)
{
	cf_net *u0, *u1, *n0 = make("vgg 5 M 6 M classes 4 in 2x8x8", &u0);
	cf_net *n1 = make("vgg 6 M 7 M classes 4 in 2x8x8", &u1);
	cf_net *b0 = fx_net("net in 3x6x6 : block 3, gap, linear 3", rng);
	cf_net *b1 = fx_net("net in 3x6x6 : block 3, gap, linear 3", rng);
	cf_acts_sample *s = n0 ? fx_sample(n0, 40, rng) : NULL, *sb = b0 ? fx_sample(b0, 20, rng) : NULL;
	cf_fusion *f = NULL, *g = NULL;
	cf_error e = { 0, "" };
	int same = 1;

	if (!s || !sb || !n1 || !b1 || fuse(n0, n1, s, 1, &f, &e) || fuse(n0, n1, s, 0, &g, &e)) {
		ok(0, "VGG fusions (%s)", e.msg);
	} else {
		const cf_net *x = cf_fusion_net(f), *y = cf_fusion_net(g);
		for (int i = 0; i < cf_net_nparams((cf_net *)x); i++) {
			const cf_net_param *p = cf_net_param_at((cf_net *)x, i);
			same &= !memcmp(p->t.data, cf_net_param_at((cf_net *)y, i)->t.data,
					sizeof(float) * (size_t)p->t.size);
		}
		ok(same, "VGG 5-6 onto 6-7: the option leaves every fused weight as it was");
	}
	cf_fusion_free(f);
	cf_fusion_free(g);
	f = NULL;
	ok(b1 && fuse(b0, b1, sb, 1, &f, &e) == CF_EINVAL && strstr(e.msg, "network input") &&
	   strstr(e.msg, "layer 2"), "a block adding the network input: %s", e.msg);
	cf_fusion_free(f);
	f = NULL;
	e.msg[0] = '\0';
	ok(b1 && fuse(b0, b1, sb, 0, &f, &e) == CF_OK, "the same untied fuses (%s)", e.msg);
	cf_fusion_free(f);
	cf_net_free(n0);
	cf_net_free(n1);
	cf_net_free(b0);
	cf_net_free(b1);
	cf_acts_sample_free(s);
	cf_acts_sample_free(sb);
}

/* The session: off by default, global only; on, the layers of a stream
 * share the plan of its first layer. */
static void test_session(void)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	const cf_fusion_layer *c2 = NULL;

	if (cf_session_new(&s, &e)) {
		ok(0, "session: %s", e.msg);
		return;
	}
	cf_session_add_model(s, fx_net("resnet 1,1 width 4 classes 4 in 1x6x6", rng), "A", &e);
	cf_session_add_model(s, fx_net("resnet 1,1 width 4 classes 4 in 1x6x6", rng), "B", &e);
	cf_session_set_data(s, fx_data(200, 1, 6, 6, 4, 1), fx_data(100, 1, 6, 6, 4, 2), &e);
	ok(cf_session_get_num(s, "fusion.residual_tied") == 0,
	   "session: fusion.residual_tied is off by default");
	ok(cf_session_set(s, "fusion.residual_tied", "1", &e) == CF_OK &&
	   cf_session_set(s, "fusion.step", "0", &e) == CF_OK &&
	   cf_session_run(s, CF_STEP_FUSE, &e) == CF_OK && (c2 = cf_session_fusion_layer(s, 2)),
	   "session: fused with tied plans (%s)", e.msg);
	if (c2) {
		ok(c2->tied_to == 0 && cf_session_fusion_layer(s, 4)->tied_to == -1 &&
		   cf_session_fusion_layer(s, 5)->tied_to == 4 &&
		   !memcmp(c2->Tc, cf_session_fusion_layer(s, 0)->Tc, sizeof(float) * (size_t)(4 * 4)),
		   "session: block 1's conv2 uses the stem's plan, the projection's shortcut its "
		   "conv2's");
	}
	ok(cf_session_set_layer(s, 2, "fusion.residual_tied", "0", &e) == CF_EINVAL,
	   "session: not a per-layer parameter: %s", e.msg);
	cf_session_free(s);
}

int main(void)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 11);
	test_heads();
	test_step0();
	test_no_stream_and_errors();
	test_session();
	gsl_rng_free(rng);
	return tap_done();
}
