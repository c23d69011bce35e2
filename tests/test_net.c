/* test_net.c — the network engine: forward passes of small hand-built
 * networks against values worked out by hand, what is recorded per weight
 * layer (pre-activations; a block's conv2 records conv2 (+BN) + shortcut),
 * backward passes against central finite differences (MLP, VGG with BN,
 * ResNet with and without BN, with a projection block), PyTorch's default
 * initialisation bounds, workspace reuse across batch sizes, and a
 * forward run again from a changed layer (what REPAIR uses) against a whole
 * forward, bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "net.h"
#include "ops.h"
#include "fixtures.h"
#include "tap.h"

static void set(cf_net *net, const char *name, const float *v)
{
	const cf_net_param *p = cf_net_param_find(net, name);
	if (!p) {
		tap_diag("no parameter %s", name);
		return;
	}
	memcpy(p->t.data, v, sizeof(float) * (size_t)p->t.size);
}

static int close_to(const float *got, const float *want, int n, double tol)
{
	for (int i = 0; i < n; i++)
		if (fabs(got[i] - want[i]) > tol * (1 + fabs(want[i]))) {
			tap_diag("element %d: got %.9g want %.9g", i, got[i], want[i]);
			return 0;
		}
	return 1;
}

static void test_forward_mlp(void)
{
	cf_net *net = fx_build("mlp 2-2-1");
	cf_activations *rec = NULL;
	cf_error err = { 0, "" };
	static const float W1[] = { 1, -1, 2, 0.5f }, b1[] = { 0.5f, -1 }, W2[] = { 1, -2 }, b2[] = { 0.25f };
	static const float x[] = { 1, 2, -1, 0 };
	float logits[2];
	if (!net)
		return;
	set(net, "fc1.weight", W1);
	set(net, "fc1.bias", b1);
	set(net, "fc2.weight", W2);
	set(net, "fc2.bias", b2);
	cf_activations_alloc(net, 2, &rec, &err);
	ok(cf_net_forward(net, x, 2, CF_NET_EVAL, rec, logits, &err) == CF_OK, "mlp forward runs");
	/* sample 0: z1 = (1-2+0.5, 2+1-1) = (-0.5, 2), relu (0, 2), out 0-4+0.25
	 * sample 1: z1 = (-1+0.5, -2-1) = (-0.5, -3), relu 0, out 0.25 */
	{
		static const float want_logits[] = { -3.75f, 0.25f }, want_z1[] = { -0.5f, 2, -0.5f, -3 };
		ok(close_to(logits, want_logits, 2, 1e-6), "mlp logits by hand (-3.75, 0.25)");
		ok(close_to(rec->a[0]->data, want_z1, 4, 1e-6) && rec->a[0]->ndim == 2 &&
		   rec->a[0]->shape[1] == 2, "mlp records fc1 pre-activations (N×2)");
		ok(close_to(rec->a[1]->data, want_logits, 2, 1e-6), "mlp records the logits for fc2");
	}
	cf_activations_free(rec);
	cf_net_free(net);
}

static void test_forward_cnn(void)
{
	cf_net *net = fx_build("net in 1x3x3: conv 1 k2 nobias, relu, maxpool 2, flatten, linear 1 nobias");
	cf_activations *rec = NULL;
	cf_error err = { 0, "" };
	static const float K[] = { 1, 0, 0, 1 }, W[] = { 0.5f };
	static const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	float logit;
	if (!net)
		return;
	set(net, "layers.0.weight", K);
	set(net, "layers.4.weight", W);
	cf_activations_alloc(net, 1, &rec, &err);
	cf_net_forward(net, x, 1, CF_NET_EVAL, rec, &logit, &err);
	/* conv: x[i][j] + x[i+1][j+1] = (6 8; 12 14); pool 14; linear 7 */
	{
		static const float want_conv[] = { 6, 8, 12, 14 };
		ok(close_to(rec->a[0]->data, want_conv, 4, 1e-6) && rec->a[0]->ndim == 4 &&
		   rec->a[0]->shape[2] == 2, "conv 2x2 output by hand, recorded N×1×2×2");
		is_double(logit, 7.0, 1e-6, "conv→relu→maxpool→linear gives 7");
	}
	cf_activations_free(rec);
	cf_net_free(net);
}

static void test_forward_block(void)
{
	cf_net *net = fx_build("net in 1x2x2: block 1 nobn, gap, linear 1 nobias");
	cf_activations *rec = NULL;
	cf_error err = { 0, "" };
	float c1[9] = { 0 }, c2[9] = { 0 }, W[] = { 1 };
	static const float x[] = { 1, -2, 3, -4 };
	float logit;
	if (!net)
		return;
	c1[4] = 1; /* centre taps: conv1 = identity, conv2 = 2× */
	c2[4] = 2;
	set(net, "layers.0.conv1.weight", c1);
	set(net, "layers.0.conv2.weight", c2);
	set(net, "layers.2.weight", W);
	cf_activations_alloc(net, 1, &rec, &err);
	cf_net_forward(net, x, 1, CF_NET_EVAL, rec, &logit, &err);
	/* a1 = x; h = (1 0 3 0); a2 = (2 0 6 0); z = a2 + x = (3 -2 9 -4);
	 * y = (3 0 9 0); gap 3; linear 3 */
	{
		static const float want_z[] = { 3, -2, 9, -4 };
		ok(cf_net_nwlayers(net) == 3 && close_to(rec->a[0]->data, x, 4, 1e-6),
		   "block conv1 records its own output");
		ok(close_to(rec->a[1]->data, want_z, 4, 1e-6),
		   "block conv2 records conv2 + identity shortcut (3 -2 9 -4), before the ReLU");
		is_double(logit, 3.0, 1e-6, "block → gap → linear gives 3");
	}
	{
		static const float want_a2[] = { 2, 0, 6, 0 };
		rec->branches = 1;
		cf_net_forward(net, x, 1, CF_NET_EVAL, rec, NULL, &err);
		ok(close_to(rec->a[1]->data, want_a2, 4, 1e-6) && close_to(rec->a[0]->data, x, 4, 1e-6),
		   "recording the branches: block conv2 records its own output (2 0 6 0), conv1 "
		   "the same as before");
	}
	cf_activations_free(rec);
	cf_net_free(net);

	/* Projection block with BN, eval mode: conv2 = 0 so its BN gives beta2,
	 * and the record is beta2 + BN3(shortcut); the shortcut records a3. */
	net = fx_build("net in 1x4x4: block 2 s2, gap, linear 2");
	if (!net)
		return;
	{
		gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
		float zero[2 * 2 * 9] = { 0 }, beta2[2] = { 0.5f, -0.25f }, x2[16];
		const float s = 1.0f / sqrtf(1.0f + 1e-5f);
		int good = 1;
		cf_net_init(net, r);
		set(net, "layers.0.conv2.weight", zero);
		set(net, "layers.0.bn2.bias", beta2);
		for (int i = 0; i < 16; i++)
			x2[i] = (float)(gsl_rng_uniform(r) - 0.5);
		cf_activations_alloc(net, 1, &rec, &err);
		cf_net_forward(net, x2, 1, CF_NET_EVAL, rec, NULL, &err);
		ok(cf_net_nwlayers(net) == 4 && cf_net_wlayer_at(net, 2)->role == CF_WL_SHORTCUT &&
		   rec->a[2]->shape[1] == 2 && rec->a[2]->shape[2] == 2,
		   "projection block: shortcut is the third weight layer, 2×2×2 output");
		for (int c = 0; c < 2; c++)
			for (int k = 0; k < 4; k++) {
				float sc = rec->a[2]->data[c * 4 + k];
				float want = beta2[c] + sc * s;
				if (fabsf(rec->a[1]->data[c * 4 + k] - want) > 1e-6f)
					good = 0;
			}
		/* shortcut = 1x1 stride-2 conv of x: channel c at (i,j) is w_c·x[2i][2j] */
		{
			const cf_net_param *ws = cf_net_param_find(net, "layers.0.shortcut.0.weight");
			if (fabsf(rec->a[2]->data[4 + 3] - ws->t.data[1] * x2[2 * 4 + 2]) > 1e-6f)
				good = 0;
		}
		ok(good, "projection block: conv2 record = BN2(conv2) + BN3(shortcut), shortcut record pre-BN");
		{
			cf_activations *br = NULL;
			float sc[8];
			memcpy(sc, rec->a[2]->data, sizeof sc);
			good = !cf_activations_alloc(net, 1, &br, &err);
			if (good) {
				br->branches = 1;
				cf_net_forward(net, x2, 1, CF_NET_EVAL, br, NULL, &err);
			}
			for (int c = 0; good && c < 2; c++)
				for (int k = 0; k < 4; k++)
					if (fabsf(br->a[1]->data[c * 4 + k] - beta2[c]) > 1e-6f ||
					    fabsf(br->a[2]->data[c * 4 + k] - sc[c * 4 + k] * s) > 1e-6f)
						good = 0;
			ok(good, "recording the branches: conv2 records BN2(conv2) = beta2, the "
			   "shortcut BN3(shortcut), the two terms of the sum");
			cf_activations_free(br);
		}
		gsl_rng_free(r);
	}
	cf_activations_free(rec);
	cf_net_free(net);
}

/* Loss = cross-entropy of the logits; gradients by backward vs central
 * differences on a sample of each trainable tensor. */
static void check_grad(const char *desc, int64_t N, unsigned long seed)
{
	cf_net *net = fx_build(desc);
	cf_error err = { 0, "" };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int64_t insz;
	int k, bad = 0, checked = 0;
	float *x, *dl;
	int32_t *y;
	double worst = 0;
	(void)worst;

	if (!net) {
		ok(0, "gradient check %s: build", desc);
		gsl_rng_free(r);
		return;
	}
	gsl_rng_set(r, seed);
	cf_net_init(net, r);
	/* Move BN affine parameters off 1/0 so their gradients are tested too. */
	for (int i = 0; i < cf_net_nparams(net); i++) {
		cf_net_param *p = cf_net_param_at(net, i);
		if (p->kind == CF_PARAM_BN_WEIGHT || p->kind == CF_PARAM_BN_BIAS)
			for (int64_t j = 0; j < p->t.size; j++)
				p->t.data[j] += (float)(0.5 * (gsl_rng_uniform(r) - 0.5));
	}
	insz = cf_net_input_size(net);
	k = cf_net_nclasses(net);
	x = malloc(sizeof *x * (size_t)(N * insz));
	y = malloc(sizeof *y * (size_t)N);
	dl = malloc(sizeof *dl * (size_t)(N * k));
	for (int64_t i = 0; i < N * insz; i++)
		x[i] = (float)(2 * gsl_rng_uniform(r) - 1);
	for (int64_t i = 0; i < N; i++)
		y[i] = (int32_t)gsl_rng_uniform_int(r, (unsigned long)k);

	cf_net_zero_grad(net);
	cf_net_forward(net, x, N, CF_NET_TRAIN, NULL, NULL, &err);
	cf_softmax_xent(cf_net_logits(net), y, N, k, dl);
	if (cf_net_backward(net, dl, &err))
		tap_diag("backward: %s", err.msg);

	for (int i = 0; i < cf_net_nparams(net); i++) {
		cf_net_param *p = cf_net_param_at(net, i);
		if (!p->grad)
			continue;
		int tbad = 0;
		for (int s = 0; s < 12; s++) {
			int64_t j = (int64_t)gsl_rng_uniform_int(r, (unsigned long)p->t.size);
			float w0 = p->t.data[j];
			static const float hs[3] = { 1e-3f, 3e-4f, 1e-4f };
			double an = p->grad[j], e = 1e9, fdbest = 0;
			/* A ReLU or max-pool kink within h of the point spoils one
			 * step size but rarely all three; take the best. */
			for (int q = 0; q < 3; q++) {
				double lp, lm, fd, eq;
				p->t.data[j] = w0 + hs[q];
				cf_net_forward(net, x, N, CF_NET_TRAIN, NULL, NULL, &err);
				lp = cf_softmax_xent(cf_net_logits(net), y, N, k, NULL);
				p->t.data[j] = w0 - hs[q];
				cf_net_forward(net, x, N, CF_NET_TRAIN, NULL, NULL, &err);
				lm = cf_softmax_xent(cf_net_logits(net), y, N, k, NULL);
				p->t.data[j] = w0;
				fd = (lp - lm) / (2 * hs[q]);
				eq = fabs(fd - an) / (fabs(fd) + fabs(an) + 2e-2);
				if (eq < e) {
					e = eq;
					fdbest = fd;
				}
			}
			if (e > worst)
				worst = e;
			if (e > 1e-2) {
				bad++;
				tbad++;
				tap_diag("%s[%lld]: backward %.6g, differences %.6g", p->name, (long long)j, an, fdbest);
			}
			checked++;
		}
		if (tbad > 3)
			bad = checked + 1000; /* a whole tensor wrong is a bug, not a kink */
	}
	ok(bad * 30 <= checked, "gradients of %s match finite differences (%d checked, %d off by a kink)",
	   desc, checked, bad);
	free(x);
	free(y);
	free(dl);
	gsl_rng_free(r);
	cf_net_free(net);
}

static void test_init(void)
{
	cf_net *net = fx_build("net in 3x6x6: conv 8 k3, bn, relu, flatten, linear 100, relu, linear 5");
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	const cf_net_param *w, *b;
	double bound, mx = 0, sum = 0, sq = 0;
	int inside = 1;
	if (!net)
		return;
	gsl_rng_set(r, 42);
	cf_net_init(net, r);
	w = cf_net_param_find(net, "layers.4.weight"); /* 100 × 512 */
	bound = 1.0 / sqrt(8.0 * 4 * 4);
	for (int64_t i = 0; i < w->t.size; i++) {
		double v = w->t.data[i];
		if (fabs(v) > bound)
			inside = 0;
		if (fabs(v) > mx)
			mx = fabs(v);
		sum += v;
		sq += v * v;
	}
	ok(inside && mx > 0.99 * bound, "linear 128->100 weights in ±1/sqrt(128), max |w| %.4f of %.4f",
	   mx, bound);
	is_double(sq / (double)w->t.size, bound * bound / 3, 0.05 * bound * bound / 3,
		  "weight variance is bound²/3");
	is_double(sum / (double)w->t.size, 0, 0.01 * bound, "weight mean is 0");
	w = cf_net_param_find(net, "layers.0.weight");
	b = cf_net_param_find(net, "layers.0.bias");
	bound = 1.0 / sqrt(27.0);
	inside = 1;
	for (int64_t i = 0; i < w->t.size; i++)
		inside &= fabs(w->t.data[i]) <= bound;
	for (int64_t i = 0; i < b->t.size; i++)
		inside &= fabs(b->t.data[i]) <= bound && b->t.data[i] != 0;
	ok(inside, "conv 3->8 k3: weight and bias in ±1/sqrt(27)");
	ok(cf_net_param_find(net, "layers.1.weight")->t.data[7] == 1 &&
	   cf_net_param_find(net, "layers.1.bias")->t.data[7] == 0 &&
	   cf_net_param_find(net, "layers.1.running_var")->t.data[3] == 1 &&
	   cf_net_param_find(net, "layers.1.running_mean")->t.data[3] == 0,
	   "BN: weight 1, bias 0, running mean 0, var 1");
	/* Same seed, same weights. */
	{
		cf_net *again = fx_build("net in 3x6x6: conv 8 k3, bn, relu, flatten, linear 100, relu, linear 5");
		gsl_rng_set(r, 42);
		cf_net_init(again, r);
		ok(memcmp(cf_net_train_values(net), cf_net_train_values(again),
			  sizeof(float) * (size_t)cf_net_ntrainable(net)) == 0,
		   "initialisation is reproducible from the seed");
		cf_net_free(again);
	}
	gsl_rng_free(r);
	cf_net_free(net);
}

/* Batch results do not depend on the batch they are in, and the workspace
 * survives a shrink and a grow. */
static void test_batches(void)
{
	cf_net *net = fx_build("net in 2x6x6: conv 4 k3 p1, bn, relu, block 6 s2, avgpool 3, flatten, linear 3");
	cf_error err = { 0, "" };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	float x[7 * 72], all[7 * 3], part[7 * 3];
	if (!net)
		return;
	cf_net_init(net, r);
	for (int i = 0; i < 7 * 72; i++)
		x[i] = (float)gsl_rng_uniform(r);
	cf_net_forward(net, x, 7, CF_NET_EVAL, NULL, all, &err);
	cf_net_forward(net, x, 3, CF_NET_EVAL, NULL, part, &err);
	cf_net_forward(net, x + 3 * 72, 4, CF_NET_EVAL, NULL, part + 9, &err);
	ok(close_to(part, all, 21, 1e-5), "eval outputs of 7 samples = outputs of 3 + 4");
	{
		cf_activations *rec = NULL;
		ok(cf_activations_alloc(net, 5, &rec, &err) == CF_OK &&
		   cf_net_forward(net, x, 7, CF_NET_EVAL, rec, NULL, &err) == CF_EINVAL &&
		   strstr(err.msg, "hold 5 samples") != NULL,
		   "recording buffers of the wrong size are refused: %s", err.msg);
		cf_activations_free(rec);
	}
	{
		cf_net *fresh = fx_build("mlp 4-2");
		ok(cf_net_backward(fresh, part, &err) == CF_EINVAL, "backward without forward: %s", err.msg);
		cf_net_free(fresh);
	}
	cf_net_forward(net, x, 3, CF_NET_EVAL, NULL, NULL, &err);
	ok(cf_net_backward(net, part, &err) == CF_EINVAL && strstr(err.msg, "TRAIN"),
	   "backward after an EVAL forward of a BN net is refused");
	/* Train-mode forward updates running statistics and the batch counter. */
	cf_net_forward(net, x, 7, CF_NET_TRAIN, NULL, NULL, &err);
	ok(cf_net_param_find(net, "layers.1.num_batches_tracked")->t.data[0] == 1 &&
	   cf_net_param_find(net, "layers.1.running_mean")->t.data[0] != 0,
	   "TRAIN forward updates BN running mean and num_batches_tracked");
	{
		cf_net *copy = NULL;
		float c1[21];
		cf_net_copy(net, &copy, &err);
		cf_net_forward(copy, x, 7, CF_NET_EVAL, NULL, c1, &err);
		cf_net_forward(net, x, 7, CF_NET_EVAL, NULL, all, &err);
		ok(memcmp(c1, all, sizeof c1) == 0, "a copied network computes the same outputs");
		cf_net_free(copy);
	}
	gsl_rng_free(r);
	cf_net_free(net);
}

/* Change every parameter of weight layer l (a multiple of itself plus a
 * shift, so the outputs change), run the forward again from l and compare
 * the recording and logits with a whole forward of a copy, bit for bit. */
static void check_again(const char *desc, int l, int64_t N, int branches, unsigned long seed)
{
	cf_net *net = fx_build(desc), *copy = NULL;
	cf_error err = { 0, "" };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cf_activations *rec = NULL, *want = NULL;
	int c, h, w, same = 1, changed = 0;
	float *x = NULL, *before = NULL;
	if (!net || !r) {
		ok(0, "%s: built", desc);
		goto done;
	}
	gsl_rng_set(r, seed);
	cf_net_init(net, r);
	cf_net_input_shape(net, &c, &h, &w);
	x = malloc(sizeof *x * (size_t)(N * c * h * w));
	for (int64_t i = 0; x && i < N * c * h * w; i++)
		x[i] = (float)gsl_rng_uniform(r) - 0.5f;
	if (!x || cf_activations_alloc(net, N, &rec, &err) ||
	    cf_activations_alloc(net, N, &want, &err) ||
	    !(rec->branches = want->branches = branches, 1) ||
	    cf_net_forward(net, x, N, CF_NET_EVAL, rec, NULL, &err)) {
		ok(0, "%s: first forward: %s", desc, err.msg);
		goto done;
	}
	const cf_net_wlayer *wl = cf_net_wlayer_at(net, l);
	float *W = cf_net_param_at(net, wl->weight)->t.data;
	if (!(before = malloc(sizeof *before * (size_t)rec->a[l]->size)))
		goto done;
	memcpy(before, rec->a[l]->data, sizeof *before * (size_t)rec->a[l]->size);
	for (int64_t i = 0; i < cf_net_param_at(net, wl->weight)->t.size; i++)
		W[i] = 1.5f * W[i] + 0.01f;
	if (cf_net_forward_again(net, l, rec, &err) || cf_net_copy(net, &copy, &err) ||
	    cf_net_forward(copy, x, N, CF_NET_EVAL, want, NULL, &err)) {
		ok(0, "%s: forward again from layer %d: %s", desc, l + 1, err.msg);
		goto done;
	}
	for (int k = 0; k < rec->n; k++)
		same &= memcmp(rec->a[k]->data, want->a[k]->data,
			       sizeof(float) * (size_t)rec->a[k]->size) == 0;
	same &= memcmp(cf_net_logits(net), cf_net_logits(copy),
		       sizeof(float) * (size_t)(N * cf_net_nclasses(net))) == 0;
	/* the change reached the recording of layer l */
	changed = memcmp(before, rec->a[l]->data, sizeof *before * (size_t)rec->a[l]->size) != 0;
	ok(same && changed, "%s: forward again from layer %d (%s) = a whole forward, bit for bit%s",
	   desc, l + 1, wl->name, branches ? " (recording the branches)" : "");
done:
	free(x);
	free(before);
	cf_activations_free(rec);
	cf_activations_free(want);
	cf_net_free(copy);
	cf_net_free(net);
	if (r)
		gsl_rng_free(r);
}

static void test_again_refused(void)
{
	cf_net *net = fx_build("mlp 4-3-2");
	cf_error err = { 0, "" };
	float x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	cf_activations *rec = NULL;
	if (!net)
		return;
	ok(cf_net_forward_again(net, 0, NULL, &err) == CF_EINVAL && strstr(err.msg, "no whole"),
	   "forward again without a forward before it is refused: %s", err.msg);
	cf_net_forward(net, x, 2, CF_NET_TRAIN, NULL, NULL, &err);
	ok(cf_net_forward_again(net, 0, NULL, &err) == CF_EINVAL,
	   "forward again after a TRAIN forward is refused: %s", err.msg);
	cf_net_forward(net, x, 2, CF_NET_EVAL, NULL, NULL, &err);
	ok(cf_net_forward_again(net, 2, NULL, &err) == CF_EINVAL && strstr(err.msg, "out of range"),
	   "forward again from a layer out of range is refused: %s", err.msg);
	cf_activations_alloc(net, 3, &rec, &err);
	ok(cf_net_forward_again(net, 0, rec, &err) == CF_EINVAL && strstr(err.msg, "hold 3"),
	   "forward again into a recording of another size is refused: %s", err.msg);
	cf_activations_free(rec);
	cf_net_free(net);
}

int main(void)
{
	test_forward_mlp();
	test_forward_cnn();
	test_forward_block();
	check_grad("mlp 6-5-4-3", 4, 1);
	check_grad("mlp 6-5-3 nobias in 1x2x3", 3, 2);
	check_grad("vgg 4 M 6 classes 3 in 2x6x6 bn", 4, 3);
	check_grad("vgg 4 M 6 M classes 3 in 2x8x8", 3, 4);
	check_grad("resnet 1,1 width 3 classes 3 in 2x6x6", 4, 5);
	check_grad("resnet 1,2 width 3 classes 4 in 2x6x6 nobn nobias", 3, 6);
	check_grad("net in 2x7x7: conv 3 k3x2 s2 p1, relu, avgpool 2 s1, block 4 mid 2 nobn, gap, linear 3", 3, 7);
	check_grad("net in 3x5x5: conv 4 k3 p1 nobias, bn, relu, block 4, maxpool 2, flatten, linear 3", 4, 8);
	test_init();
	test_batches();
	check_again("mlp 6-5-4-3", 1, 5, 0, 11);
	check_again("mlp 6-5-4-3", 0, 5, 0, 12);
	check_again("vgg 4 M 6 M classes 3 in 2x8x8 bn", 1, 4, 0, 13);
	check_again("resnet 1,1 width 3 classes 3 in 2x6x6", 2, 3, 0, 14);
	check_again("resnet 1,1 width 3 classes 3 in 2x6x6", 3, 3, 0, 15);
	check_again("resnet 1,2 width 3 classes 4 in 2x6x6 nobn", 5, 3, 0, 16);
	check_again("resnet 1,1 width 3 classes 3 in 2x6x6", 2, 3, 1, 17);
	check_again("resnet 1,1 width 3 classes 3 in 2x6x6", 5, 3, 1, 18);
	check_again("resnet 1,2 width 3 classes 4 in 2x6x6 nobn", 4, 3, 1, 19);
	test_again_refused();
	return tap_done();
}
