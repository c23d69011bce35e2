/* test_model.c — model files: save/load round trips (same description,
 * bit-identical outputs) for an MLP, a VGG with BN and a ResNet; files
 * without our metadata loaded with an explicit description; and every
 * state-dict mismatch (missing, extra, wrong shape) named in the message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "model.h"
#include "st.h"
#include "tap.h"

#define FILE_A "test_model_a.safetensors"
#define FILE_B "test_model_b.safetensors"

static void round_trip(const char *desc, unsigned long seed)
{
	cf_net *net = NULL, *back = NULL;
	cf_error err = { 0, "" };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int64_t insz;
	int k;
	float *x, *y1, *y2;
	char *d1, *d2;
	static const char *keys[] = { "clafuse.parents" }, *vals[] = { "a.safetensors,b.safetensors" };

	gsl_rng_set(r, seed);
	if (cf_net_create_str(desc, &net, &err)) {
		ok(0, "%s: %s", desc, err.msg);
		gsl_rng_free(r);
		return;
	}
	cf_net_init(net, r);
	insz = cf_net_input_size(net);
	k = cf_net_nclasses(net);
	x = malloc(sizeof *x * (size_t)(4 * insz));
	y1 = malloc(sizeof *y1 * (size_t)(4 * k));
	y2 = malloc(sizeof *y2 * (size_t)(4 * k));
	for (int64_t i = 0; i < 4 * insz; i++)
		x[i] = (float)gsl_rng_uniform(r);
	/* Train-mode passes give BN non-trivial running statistics to save. */
	cf_net_forward(net, x, 4, CF_NET_TRAIN, NULL, NULL, &err);
	cf_net_forward(net, x, 4, CF_NET_EVAL, NULL, y1, &err);
	ok(cf_model_save(net, FILE_A, keys, vals, 1, &err) == CF_OK, "%s: saved", desc);
	if (!ok(cf_model_load(FILE_A, NULL, &back, &err) == CF_OK, "%s: loaded back", desc)) {
		tap_diag("%s", err.msg);
	} else {
		cf_net_forward(back, x, 4, CF_NET_EVAL, NULL, y2, &err);
		d1 = cf_arch_print(cf_net_arch(net));
		d2 = cf_arch_print(cf_net_arch(back));
		ok(!strcmp(d1, d2) && memcmp(y1, y2, sizeof *y1 * (size_t)(4 * k)) == 0,
		   "%s: same description and bit-identical outputs", desc);
		free(d1);
		free(d2);
		cf_net_free(back);
	}
	{
		cf_st_file *f = NULL;
		ok(cf_st_read(FILE_A, &f, &err) == CF_OK &&
		   !strcmp(cf_st_meta(f, "clafuse.parents"), vals[0]) &&
		   cf_st_meta(f, CF_MODEL_ARCH_KEY) && f->n == (size_t)cf_net_nparams(net),
		   "%s: metadata and every state-dict entry in the file", desc);
		cf_st_free(f);
	}
	free(x);
	free(y1);
	free(y2);
	gsl_rng_free(r);
	cf_net_free(net);
}

/* Write the state dict of `desc` with tensor `drop` left out, `reshape`
 * given a wrong shape, and `extra` added; no metadata. */
static void write_variant(const char *desc, const char *drop, const char *reshape, const char *extra)
{
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	cf_st_out ts[64];
	size_t n = 0;
	static int64_t bad_shape[2] = { 3, 7 };
	static float junk[21];

	cf_net_create_str(desc, &net, &err);
	for (int i = 0; i < cf_net_nparams(net) && n < 63; i++) {
		const cf_net_param *p = cf_net_param_at(net, i);
		if (drop && !strcmp(p->name, drop))
			continue;
		ts[n].name = p->name;
		ts[n].ndim = p->t.ndim;
		ts[n].shape = p->t.shape;
		ts[n].data = p->t.data;
		if (reshape && !strcmp(p->name, reshape)) {
			ts[n].ndim = 2;
			ts[n].shape = bad_shape;
			ts[n].data = junk;
		}
		n++;
	}
	if (extra) {
		ts[n].name = extra;
		ts[n].ndim = 2;
		ts[n].shape = bad_shape;
		ts[n].data = junk;
		n++;
	}
	if (cf_st_write(FILE_B, ts, n, NULL, NULL, 0, &err))
		tap_diag("writing %s: %s", FILE_B, err.msg);
	cf_net_free(net);
}

static void load_error(const char *arch, const char *want, const char *what)
{
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	int rc = cf_model_load(FILE_B, arch, &net, &err);
	ok(rc != CF_OK && net == NULL && strstr(err.msg, want) != NULL, "%s: %s", what, err.msg);
	if (!strstr(err.msg, want))
		tap_diag("wanted \"%s\"", want);
}

int main(void)
{
	const char *vgg = "vgg 4 M 8 classes 5 in 3x8x8 bn";
	cf_net *net = NULL;
	cf_error err = { 0, "" };

	round_trip("mlp 784-40-20-10 nobias in 1x28x28", 1);
	round_trip(vgg, 2);
	round_trip("resnet 1,1 width 4 classes 3 in 3x8x8", 3);
	round_trip("net in 2x6x6: conv 3 k3 p1, relu, block 5 s2 nobn, gap, linear 4", 4);

	/* A PyTorch-written file: no metadata, all tensors present. */
	write_variant(vgg, NULL, NULL, NULL);
	/* Without metadata the architecture is inferred; the input size of a
	 * conv net is the one thing the weights cannot tell (3 channels: 32x32
	 * is assumed, which this classifier's size does not fit). */
	load_error(NULL, "give the input shape (--arch \"in 3xHxW\")", "no clafuse.arch, input size not 32x32");
	{
		cf_net *want = NULL;
		cf_net_create_str(vgg, &want, &err);
		ok(cf_model_load(FILE_B, "in 3x8x8", &net, &err) == CF_OK && want &&
		   cf_arch_equal(cf_net_arch(net), cf_net_arch(want)),
		   "no clafuse.arch: inferred as %s from names and shapes with the input shape given (%s)", vgg,
		   err.msg);
		cf_net_free(want);
		cf_net_free(net);
		net = NULL;
	}
	ok(cf_model_load(FILE_B, vgg, &net, &err) == CF_OK, "explicit description loads a file without metadata");
	cf_net_free(net);
	load_error("vgg 4 M 9 classes 5 in 3x8x8 bn", "tensor features.4.weight has shape 8x4x3x3, expected 9x4x3x3",
		   "a different architecture");
	load_error("vgg 4 M Q", FILE_B ": architecture: column 9", "a bad explicit description");

	/* num_batches_tracked may be absent. */
	write_variant(vgg, "features.1.num_batches_tracked", NULL, NULL);
	ok(cf_model_load(FILE_B, vgg, &net, &err) == CF_OK, "a missing num_batches_tracked is accepted");
	cf_net_free(net);

	write_variant(vgg, "features.1.running_var", NULL, NULL);
	load_error(vgg, FILE_B ": tensor features.1.running_var (shape 4) is missing", "missing BN buffer");
	write_variant(vgg, "classifier.weight", NULL, NULL);
	load_error(vgg, "tensor classifier.weight (shape 5x128) is missing", "missing weight");
	write_variant(vgg, NULL, "features.0.bias", NULL);
	load_error(vgg, "tensor features.0.bias has shape 3x7, expected 4", "wrong shape");
	write_variant(vgg, NULL, NULL, "features.9.weight");
	load_error(vgg, "unexpected tensor features.9.weight (shape 3x7)", "extra tensor");

	load_error(NULL, "cannot infer the architecture: features.9 follows", "no metadata and an extra tensor");
	{
		cf_net *m = NULL;
		ok(cf_model_load("does-not-exist.safetensors", NULL, &m, &err) != CF_OK && m == NULL &&
		   strstr(err.msg, "does-not-exist.safetensors"), "a missing file: %s", err.msg);
	}
	{
		static const char *keys[] = { CF_MODEL_ARCH_KEY }, *vals[] = { "mlp 2-2" };
		cf_net_create_str("mlp 3-2", &net, &err);
		ok(cf_model_save(net, FILE_B, keys, vals, 1, &err) == CF_EINVAL,
		   "saving refuses a second clafuse.arch: %s", err.msg);
		cf_net_free(net);
	}
	remove(FILE_A);
	remove(FILE_B);
	return tap_done();
}
