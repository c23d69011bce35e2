/* test_fold.c — folding BatchNorm into the preceding convolutions: the
 * folded network computes the eval-mode function of the original (VGG with
 * and without biases, a ResNet with projection shortcuts, a unit list) for
 * random weights and random BN parameters and running statistics; the
 * folded architecture prints and parses back; it survives a safetensors
 * round trip; block conv biases get correct gradients; a BN that follows no
 * conv is refused with its position; a session folds BN models and fuses
 * them (two depths, and a model with itself). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "fold.h"
#include "model.h"
#include "net.h"
#include "ops.h"
#include "session.h"
#include "fixtures.h"
#include "tap.h"

#define FILE_F "test_fold.safetensors"

static gsl_rng *rng;

/* Random weights and biases, and BN parameters and running statistics far
 * from the identity (γ of either sign, σ² in [0.2, 2.2]), so a fold that
 * forgot any of them cannot pass. */
static cf_net *mk(const char *desc)
{
	cf_net *n = fx_net(desc, rng);
	for (int i = 0; n && i < cf_net_nparams(n); i++) {
		cf_net_param *p = cf_net_param_at(n, i);
		for (int64_t j = 0; j < p->t.size; j++) {
			float *v = &p->t.data[j];
			switch (p->kind) {
			case CF_PARAM_BIAS: *v = (float)gsl_ran_gaussian(rng, 0.3); break;
			case CF_PARAM_BN_WEIGHT:
				*v = (float)((0.5 + gsl_rng_uniform(rng)) * (gsl_rng_uniform(rng) < 0.2 ? -1 : 1));
				break;
			case CF_PARAM_BN_BIAS: *v = (float)gsl_ran_gaussian(rng, 0.5); break;
			case CF_PARAM_BN_MEAN: *v = (float)gsl_ran_gaussian(rng, 0.5); break;
			case CF_PARAM_BN_VAR: *v = (float)(0.2 + 2 * gsl_rng_uniform(rng)); break;
			default: break;
			}
		}
	}
	return n;
}

static float *rand_input(const cf_net *n, int64_t N)
{
	int64_t d = cf_net_input_size(n);
	float *x = malloc(sizeof *x * (size_t)(N * d));
	for (int64_t i = 0; i < N * d; i++)
		x[i] = (float)gsl_ran_gaussian(rng, 1.0);
	return x;
}

/* Max |logit difference| / max |logit of a| in eval mode; INFINITY on error. */
static double logit_diff(cf_net *a, cf_net *b, const float *x, int64_t N)
{
	int k = cf_net_nclasses(a);
	float *ya = malloc(sizeof *ya * (size_t)(N * k)), *yb = malloc(sizeof *yb * (size_t)(N * k));
	double d = 0, sc = 0;
	cf_error e = { 0, "" };
	if (cf_net_nclasses(b) != k || cf_net_forward(a, x, N, CF_NET_EVAL, NULL, ya, &e) ||
	    cf_net_forward(b, x, N, CF_NET_EVAL, NULL, yb, &e))
		d = INFINITY;
	for (int64_t i = 0; i < N * k && isfinite(d); i++) {
		d = fmax(d, fabs(ya[i] - yb[i]));
		sc = fmax(sc, fabs(ya[i]));
	}
	free(ya);
	free(yb);
	return sc > 0 ? d / sc : d;
}

static int count_bn(cf_net *n)
{
	int c = 0;
	for (int i = 0; i < cf_net_nparams(n); i++)
		c += cf_net_param_at(n, i)->kind >= CF_PARAM_BN_WEIGHT;
	return c;
}

/* The original with every BN set to the identity map: the folded network
 * must be far from it, or the BN statistics played no part. */
static double identity_bn_diff(cf_net *orig, cf_net *folded, const float *x, int64_t N)
{
	cf_net *c = NULL;
	cf_error e = { 0, "" };
	double d;
	if (cf_net_copy(orig, &c, &e))
		return 0;
	for (int i = 0; i < cf_net_nparams(c); i++) {
		cf_net_param *p = cf_net_param_at(c, i);
		float v = p->kind == CF_PARAM_BN_WEIGHT ? 1.0f : p->kind == CF_PARAM_BN_VAR ? 1.0f - 1e-5f : 0.0f;
		if (p->kind >= CF_PARAM_BN_WEIGHT)
			for (int64_t j = 0; j < p->t.size; j++)
				p->t.data[j] = v;
	}
	d = logit_diff(folded, c, x, N);
	cf_net_free(c);
	return d;
}

/* Save the folded net, load it back: same description, same logits. */
static void file_round_trip(cf_net *f, const float *x, int64_t N, const char *what)
{
	cf_net *back = NULL;
	cf_error e = { 0, "" };
	char *d1, *d2;
	if (cf_model_save(f, FILE_F, NULL, NULL, 0, &e) || cf_model_load(FILE_F, NULL, &back, &e)) {
		ok(0, "%s: safetensors round trip: %s", what, e.msg);
		return;
	}
	d1 = cf_arch_print(cf_net_arch(f));
	d2 = cf_arch_print(cf_net_arch(back));
	ok(d1 && d2 && !strcmp(d1, d2) && logit_diff(f, back, x, N) == 0,
	   "%s: safetensors round trip keeps the description and the logits", what);
	free(d1);
	free(d2);
	cf_net_free(back);
	remove(FILE_F);
}

static void check_fold(const char *desc, const char *want, int64_t N)
{
	cf_net *n = mk(desc), *f = NULL;
	cf_error e = { 0, "" };
	float *x;
	char *printed = NULL;
	cf_arch *back = NULL;
	double d;
	int rc;

	if (!n) {
		ok(0, "%s: build", desc);
		return;
	}
	x = rand_input(n, N);
	rc = cf_net_fold_bn(n, &f, &e);
	ok(rc == 0 && f && count_bn(n) > 0 && count_bn(f) == 0 && !cf_net_has_bn(f),
	   "%s: folded, no BN left (%s)", desc, rc ? e.msg : "ok");
	if (rc) {
		free(x);
		cf_net_free(n);
		return;
	}
	d = logit_diff(n, f, x, N);
	ok(d <= 1e-4, "%s: folded logits = eval-mode logits (max rel diff %.2g)", desc, d);
	d = identity_bn_diff(n, f, x, N);
	ok(d > 1e-2, "%s: the BN statistics matter (diff to identity BN %.2g)", desc, d);
	printed = cf_arch_print(cf_net_arch(f));
	ok(printed && !strcmp(printed, want), "%s: folds to \"%s\"", desc, printed ? printed : "?");
	ok(printed && cf_arch_parse(printed, &back, &e) == 0 && cf_arch_equal(back, cf_net_arch(f)),
	   "%s: the folded description parses back equal", desc);
	file_round_trip(f, x, N, desc);
	cf_arch_free(back);
	free(printed);
	free(x);
	cf_net_free(f);
	cf_net_free(n);
}

static void test_folds(void)
{
	check_fold("vgg 8 M 16 M classes 10 in 1x12x12 bn", "vgg 8 M 16 M classes 10 in 1x12x12", 16);
	check_fold("vgg 8 M 16 M classes 10 in 1x12x12 bn nobias",
		   "vgg 8 M 16 M classes 10 in 1x12x12", 16);
	check_fold("resnet 1,1 width 8 classes 10 in 3x16x16",
		   "resnet 1,1 width 8 classes 10 in 3x16x16 nobn convbias", 8);
	check_fold("resnet 1,1 width 8 classes 10 in 3x16x16 nobias",
		   "resnet 1,1 width 8 classes 10 in 3x16x16 nobn nobias convbias", 8);
	check_fold("net in 3x8x8: conv 6 k3 p1 nobias, bn, relu, conv 6 k3 p1, bn, relu, "
		   "block 8 s2, block 8 mid 4, maxpool 2, flatten, linear 10",
		   "net in 3x8x8: conv 6 k3 p1, relu, conv 6 k3 p1, relu, block 8 s2 nobn bias, "
		   "block 8 mid 4 nobn bias, maxpool 2, flatten, linear 10", 8);
}

/* PyTorch names of the biases a folded ResNet gains; vgg's zero classifier bias. */
static void test_names(void)
{
	static const char *names[] = { "conv1.bias", "layer1.0.conv1.bias", "layer1.0.conv2.bias",
				       "layer2.0.conv1.bias", "layer2.0.shortcut.0.bias" };
	cf_net *n = mk("resnet 1,1 width 8 classes 10 in 3x16x16"), *f = NULL;
	cf_error e = { 0, "" };
	int all = 1;

	if (n && !cf_net_fold_bn(n, &f, &e)) {
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!cf_net_param_find(f, names[i])) {
				tap_diag("missing %s", names[i]);
				all = 0;
			}
		ok(all && !cf_net_param_find(f, "bn1.weight") && !cf_net_param_find(f, "layer1.0.bn1.weight"),
		   "folded ResNet: conv biases with PyTorch names, no BN entries");
		ok(cf_net_nwlayers(f) == cf_net_nwlayers(n), "folded ResNet: same weight layers (%d)",
		   cf_net_nwlayers(f));
	} else {
		ok(0, "folded ResNet: %s", e.msg);
	}
	cf_net_free(f);
	cf_net_free(n);
	n = mk("vgg 8 M classes 10 in 1x4x4 bn nobias");
	f = NULL;
	if (n && !cf_net_fold_bn(n, &f, &e)) {
		const cf_net_param *b = cf_net_param_find(f, "classifier.bias");
		int zero = b != NULL;
		for (int64_t j = 0; b && j < b->t.size; j++)
			zero &= b->t.data[j] == 0.0f;
		ok(zero, "vgg bn nobias: the classifier gets a zero bias");
	} else {
		ok(0, "vgg bn nobias: %s", e.msg);
	}
	cf_net_free(f);
	cf_net_free(n);
}

/* The new grammar: block "bias", resnet "convbias", and their printing. */
static void test_grammar(void)
{
	static const char *round[] = {
		"net in 2x6x6: block 4 s2 bias, gap, linear 3",
		"net in 2x6x6: block 4 mid 3 nobn bias, gap, linear 3",
		"resnet 2,1 width 4 classes 10 in 3x8x8 convbias",
		"resnet 1,1 width 4 classes 10 in 3x8x8 nobn convbias",
	};
	cf_arch *a = NULL, *b = NULL;
	cf_error e = { 0, "" };

	for (size_t i = 0; i < sizeof round / sizeof round[0]; i++) {
		char *p = NULL;
		int good = !cf_arch_parse(round[i], &a, &e) && (p = cf_arch_print(a)) &&
			   !strcmp(p, round[i]) && !cf_arch_parse(p, &b, &e) && cf_arch_equal(a, b);
		ok(good, "\"%s\" prints as itself and parses back equal (%s)", round[i], p ? p : e.msg);
		free(p);
		cf_arch_free(a);
		cf_arch_free(b);
		a = b = NULL;
	}
	if (!cf_arch_parse("resnet 1,1 width 4 in 3x8x8 convbias", &a, &e) &&
	    !cf_arch_parse("resnet 1,1 width 4 in 3x8x8", &b, &e)) {
		cf_arch *c = cf_arch_copy(a);
		ok(a->unit[0].bias == 1 && a->unit[3].kind == CF_UNIT_BLOCK && a->unit[3].bias == 1 &&
			   b->unit[0].bias == 0 && !cf_arch_equal(a, b) && c && cf_arch_equal(a, c),
		   "convbias: stem and block biases; equal/copy see them");
		cf_arch_free(c);
	} else {
		ok(0, "convbias parse: %s", e.msg);
	}
	cf_arch_free(a);
	cf_arch_free(b);
}

/* Backward of blocks with conv biases against central differences (the
 * pattern of test_net.c): cross-entropy loss, a sample of every tensor. */
static void check_grad(const char *desc, int64_t N)
{
	cf_net *net = mk(desc);
	cf_error err = { 0, "" };
	int k, bad = 0, checked = 0, nbias = 0;
	float *x, *dl;
	int32_t *y;

	if (!net) {
		ok(0, "gradient check %s: build", desc);
		return;
	}
	k = cf_net_nclasses(net);
	x = rand_input(net, N);
	y = malloc(sizeof *y * (size_t)N);
	dl = malloc(sizeof *dl * (size_t)(N * k));
	for (int64_t i = 0; i < N; i++)
		y[i] = (int32_t)gsl_rng_uniform_int(rng, (unsigned long)k);
	cf_net_zero_grad(net);
	cf_net_forward(net, x, N, CF_NET_TRAIN, NULL, NULL, &err);
	cf_softmax_xent(cf_net_logits(net), y, N, k, dl);
	if (cf_net_backward(net, dl, &err))
		tap_diag("backward: %s", err.msg);
	for (int i = 0; i < cf_net_nparams(net); i++) {
		cf_net_param *p = cf_net_param_at(net, i);
		int tbad = 0;
		if (!p->grad)
			continue;
		nbias += p->kind == CF_PARAM_BIAS && strstr(p->name, ".conv") != NULL;
		for (int s = 0; s < 12; s++) {
			int64_t j = (int64_t)gsl_rng_uniform_int(rng, (unsigned long)p->t.size);
			float w0 = p->t.data[j];
			static const float hs[3] = { 1e-3f, 3e-4f, 1e-4f };
			double an = p->grad[j], e = 1e9;
			/* a ReLU kink within h spoils one step size, rarely all three */
			for (int q = 0; q < 3; q++) {
				double lp, lm, fd;
				p->t.data[j] = w0 + hs[q];
				cf_net_forward(net, x, N, CF_NET_TRAIN, NULL, NULL, &err);
				lp = cf_softmax_xent(cf_net_logits(net), y, N, k, NULL);
				p->t.data[j] = w0 - hs[q];
				cf_net_forward(net, x, N, CF_NET_TRAIN, NULL, NULL, &err);
				lm = cf_softmax_xent(cf_net_logits(net), y, N, k, NULL);
				p->t.data[j] = w0;
				fd = (lp - lm) / (2 * hs[q]);
				e = fmin(e, fabs(fd - an) / (fabs(fd) + fabs(an) + 2e-2));
			}
			if (e > 1e-2) {
				bad++;
				tbad++;
				tap_diag("%s[%lld]: backward %.6g", p->name, (long long)j, an);
			}
			checked++;
		}
		if (tbad > 3)
			bad = checked + 1000; /* a whole tensor wrong is a bug, not a kink */
	}
	ok(nbias >= 2 && bad * 30 <= checked,
	   "gradients of %s (%d block conv biases) match finite differences (%d checked, %d off)",
	   desc, nbias, checked, bad);
	free(x);
	free(y);
	free(dl);
	cf_net_free(net);
}

static void test_errors(void)
{
	cf_net *n = mk("net in 1x8x8: conv 4 p1, maxpool 2, bn, relu, flatten, linear 10"), *f = NULL;
	cf_error e = { 0, "" };
	int rc = n ? cf_net_fold_bn(n, &f, &e) : -1;
	ok(rc == CF_EINVAL && !f && strstr(e.msg, "unit 3") && strstr(e.msg, "maxpool"),
	   "a BN after a pool is refused: %s", e.msg);
	cf_net_free(n);
	n = mk("net in 1x8x8: bn, conv 4 p1, flatten, linear 10");
	rc = n ? cf_net_fold_bn(n, &f, &e) : -1;
	ok(rc == CF_EINVAL && !f && strstr(e.msg, "unit 1") && strstr(e.msg, "first"),
	   "a BN as the first unit is refused: %s", e.msg);
	cf_net_free(n);
	n = mk("mlp 16-8-10");
	rc = n ? cf_net_fold_bn(n, &f, &e) : -1;
	if (!rc) {
		float *x = rand_input(n, 4);
		ok(cf_arch_equal(cf_net_arch(n), cf_net_arch(f)) && logit_diff(n, f, x, 4) == 0,
		   "a network without BN folds to a plain copy");
		free(x);
	} else {
		ok(0, "fold of a BN-free MLP: %s", e.msg);
	}
	cf_net_free(f);
	cf_net_free(n);
}

static cf_session *bn_session(cf_net *a, cf_net *b)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	if (cf_session_new(&s, &e) || cf_session_add_model(s, a, "A", &e) ||
	    cf_session_add_model(s, b, "B", &e) ||
	    cf_session_set_data(s, fx_data(120, 3, 8, 8, 10, 1), fx_data(60, 3, 8, 8, 10, 2), &e) ||
	    cf_session_set(s, "data.samples", "40", &e)) {
		tap_diag("session: %s", e.msg);
		cf_session_free(s);
		return NULL;
	}
	return s;
}

static void test_session_fold(void)
{
	cf_error e = { 0, "" };
	cf_session *s = bn_session(mk("resnet 2,1 width 8 classes 10 in 3x8x8"),
				   mk("resnet 1,1 width 8 classes 10 in 3x8x8"));
	int rc = s ? cf_session_run_all(s, &e) : -1;
	ok(rc == 0 && cf_session_fused(s) && cf_session_metrics_get(s)->have,
	   "two BN ResNets of depths 2,1 and 1,1: every step to the fused model (%s)",
	   rc ? e.msg : "ok");
	ok(s && cf_session_model_folded(s, 0) && cf_session_model_folded(s, 1) &&
		   cf_session_balanced_rebuilt(s) == 1,
	   "both folded, the shallower one balanced");
	cf_session_free(s);

	/* a folded model fused with itself gives the folded model's logits,
	 * which are the original's in eval mode */
	{
		cf_net *orig = mk("resnet 1,1 width 8 classes 10 in 3x8x8"), *copy = NULL, *keep = NULL;
		float *x = rand_input(orig, 16);
		cf_net_copy(orig, &copy, &e);
		cf_net_copy(orig, &keep, &e); /* the session frees orig once folded */
		s = bn_session(orig, copy);
		rc = s ? cf_session_run(s, CF_STEP_FUSE, &e) : -1;
		ok(rc == 0 && cf_session_fused(s), "self-fusion of a folded ResNet (%s)", rc ? e.msg : "ok");
		if (!rc) {
			double d1 = logit_diff(cf_session_model(s, 0), cf_session_fused(s), x, 16);
			double d2 = logit_diff(keep, cf_session_fused(s), x, 16);
			ok(d1 <= 1e-4 && d2 <= 1e-4,
			   "self-fusion: fused logits = folded logits (%.2g) = BN eval logits (%.2g)", d1, d2);
		}
		cf_session_free(s);
		cf_net_free(keep);
		free(x);
	}
}

int main(void)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 11);
	test_grammar();
	test_folds();
	test_names();
	test_errors();
	check_grad("net in 2x6x6: conv 3 k3 p1, relu, block 4 s2 nobn bias, gap, linear 3", 3);
	check_grad("net in 3x5x5: block 3 mid 2 nobn bias, relu, block 5 nobn bias, gap, linear 3", 3);
	test_session_fold();
	gsl_rng_free(rng);
	return tap_done();
}
