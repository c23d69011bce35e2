/* test_pt.c — PyTorch checkpoints without PyTorch: the small files in
 * tests/data/pt (written by Debian's python3-torch 1.13 through
 * tests/pt_checkpoints.py fixtures) read to their known values in both
 * formats, with wrappers, views, shared storages and other dtypes; the
 * architecture inferred from them; hostile pickles built here refused with
 * a message naming what was refused; every truncation of a file refused;
 * and .pt files written by clafuse read back bit for bit. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "model.h"
#include "pickle.h"
#include "pt.h"
#include "tap.h"
#include "zip.h"

static char dir[512];

static unsigned char *slurp(const char *name, size_t *len)
{
	char path[700];
	FILE *fp;
	unsigned char *b;
	long n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(fp = fopen(path, "rb")))
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, fp) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return b;
}

static cf_st_file *read_pt(const char *name, cf_error *err)
{
	size_t len = 0;
	unsigned char *b = slurp(name, &len);
	cf_st_file *f = NULL;
	if (!b) {
		snprintf(err->msg, sizeof err->msg, "cannot read %s", name);
		return NULL;
	}
	cf_pt_read_mem(b, len, name, &f, err);
	free(b);
	return f;
}

/* The known values of tests/data/pt/mlp*.pt (pt_checkpoints.py fixtures). */
static float want(const char *name, int64_t i)
{
	static const float b1[] = {0.5f, -0.25f, 0.125f, 2.0f}, b2[] = {1.0f, 0.0f, -1.0f};
	if (!strcmp(name, "fc1.weight"))
		return (float)i / 8 - 1;
	if (!strcmp(name, "fc1.bias"))
		return b1[i];
	if (!strcmp(name, "fc2.weight"))
		return (float)i / 4 - 1.5f;
	return b2[i];
}

static void known_values(const char *file, const char *fmt, const char *wdtype, const char *bdtype)
{
	cf_error err = {0};
	cf_st_file *f = read_pt(file, &err);
	static const char *names[] = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};
	static const int64_t sizes[] = {24, 4, 12, 3};
	int good = f && f->n == 4;

	for (int k = 0; good && k < 4; k++) {
		const cf_st_tensor *t = cf_st_find(f, names[k]);
		if (!t || t->size != sizes[k]) {
			good = 0;
			break;
		}
		for (int64_t i = 0; i < t->size; i++)
			good &= t->data[i] == want(names[k], i);
		if (strstr(names[k], "weight") && wdtype)
			good &= !strcmp(t->dtype, wdtype);
		if (strstr(names[k], "bias") && bdtype)
			good &= !strcmp(t->dtype, bdtype);
	}
	ok(good, "%s: the four tensors with their exact values%s%s", file, f ? "" : ": ", f ? "" : err.msg);
	ok(f && cf_st_meta(f, CF_PT_FORMAT_KEY) && !strcmp(cf_st_meta(f, CF_PT_FORMAT_KEY), fmt),
	   "%s: format %s", file, fmt);
	cf_st_free(f);
}

static void test_fixtures(void)
{
	cf_error err = {0};
	cf_st_file *f;
	const cf_st_tensor *t;

	known_values("mlp.pt", "zip", "F32", "F32");
	known_values("mlp_legacy.pth", "legacy", "F32", "F32");
	/* transposed view, two biases in one storage at offsets 0 and 4, F16 */
	known_values("mlp_views.pt", "zip", NULL, "F32");
	known_values("mlp_bf16_legacy.pt", "legacy", "BF16", "F64");
	known_values("mlp_deflate.pt", "zip", "F32", "F32");

	f = read_pt("mlp_views.pt", &err);
	t = f ? cf_st_find(f, "fc2.weight") : NULL;
	ok(t && !strcmp(t->dtype, "F16"), "mlp_views.pt: the DataParallel prefix module. is gone and fc2.weight is F16");
	cf_st_free(f);

	f = read_pt("mlp_legacy.pth", &err);
	ok(f && cf_st_meta(f, "torch.test_accuracy") && !strcmp(cf_st_meta(f, "torch.test_accuracy"), "0.875") &&
	   !strcmp(cf_st_meta(f, "torch.epoch"), "12") && !strcmp(cf_st_meta(f, CF_PT_WRAPPER_KEY), "model_state_dict"),
	   "mlp_legacy.pth: the wrapper's test_accuracy 0.875 and epoch 12 are metadata");
	cf_st_free(f);
}

static void test_inference(void)
{
	char path[700];
	cf_error err = {0};
	cf_net *net = NULL;
	char *d;
	float x[6] = {1, -2, 0.5f, 3, 0, -1}, logits[3];
	double h[4], y[3];
	int same = 1;

	snprintf(path, sizeof path, "%s/mlp.pt", dir);
	ok(!cf_model_load(path, NULL, &net, &err), "mlp.pt loads with no architecture given (%s)", err.msg);
	d = net ? cf_arch_print(cf_net_arch(net)) : NULL;
	ok(d && !strcmp(d, "mlp 6-4-3"), "mlp.pt is inferred as 'mlp 6-4-3' (%s)", d ? d : "-");
	free(d);
	/* The forward pass by hand from the known values. */
	for (int i = 0; i < 4; i++) {
		h[i] = want("fc1.bias", i);
		for (int j = 0; j < 6; j++)
			h[i] += want("fc1.weight", i * 6 + j) * x[j];
		h[i] = h[i] > 0 ? h[i] : 0;
	}
	for (int i = 0; i < 3; i++) {
		y[i] = want("fc2.bias", i);
		for (int j = 0; j < 4; j++)
			y[i] += want("fc2.weight", i * 4 + j) * h[j];
	}
	if (net && !cf_net_forward(net, x, 1, CF_NET_EVAL, NULL, logits, &err)) {
		for (int i = 0; i < 3; i++)
			same &= fabs(logits[i] - y[i]) < 1e-5;
	} else {
		same = 0;
	}
	ok(same, "mlp.pt computes the logits worked out by hand (%.4f %.4f %.4f)", y[0], y[1], y[2]);
	cf_net_free(net);
	net = NULL;

	snprintf(path, sizeof path, "%s/resnet_tv.pt", dir);
	ok(!cf_model_load(path, NULL, &net, &err), "torchvision-named ResNet loads (%s)", err.msg);
	d = net ? cf_arch_print(cf_net_arch(net)) : NULL;
	ok(d && !strcmp(d, "resnet 1,1 width 2 classes 10 in 1x28x28"), "... inferred as %s", d ? d : "-");
	free(d);
	{
		cf_st_file *f = NULL;
		const cf_net_param *p = net ? cf_net_param_find(net, "layer2.0.shortcut.1.running_var") : NULL;
		const cf_net_param *q = net ? cf_net_param_find(net, "linear.weight") : NULL;
		const cf_st_tensor *a, *b;
		cf_model_read(path, &f, &err);
		a = f ? cf_st_find(f, "layer2.0.downsample.1.running_var") : NULL;
		b = f ? cf_st_find(f, "fc.weight") : NULL;
		ok(p && q && a && b && !memcmp(p->t.data, a->data, 4 * (size_t)a->size) &&
		   !memcmp(q->t.data, b->data, 4 * (size_t)b->size),
		   "downsample.* fills shortcut.*, fc fills linear");
		cf_st_free(f);
	}
	cf_net_free(net);
	net = NULL;
	ok(!cf_model_load(path, "resnet 1,1 width 2 classes 10 in 1x8x8", &net, &err),
	   "... and with a description given, torchvision's names still fill it (%s)", err.msg);
	cf_net_free(net);
	net = NULL;

	snprintf(path, sizeof path, "%s/vgg_bn_legacy.pth", dir);
	ok(cf_model_load(path, NULL, &net, &err) == CF_EFORMAT && strstr(err.msg, "classifier takes 48 inputs") &&
	   strstr(err.msg, "in 1xHxW"),
	   "a VGG whose input size the weights cannot tell asks for it: %s", err.msg);
	ok(!cf_model_load(path, "in 1x8x8", &net, &err), "... and loads with \"in 1x8x8\" (%s)", err.msg);
	d = net ? cf_arch_print(cf_net_arch(net)) : NULL;
	ok(d && !strcmp(d, "vgg 2 M 3 classes 10 in 1x8x8 bn"), "... as %s", d ? d : "-");
	free(d);
	cf_net_free(net);
}

/* ---- hostile and malformed files ------------------------------------- */

typedef struct pk {
	unsigned char b[4096];
	size_t n;
} pk;

static void raw(pk *p, const void *s, size_t n)
{
	memcpy(p->b + p->n, s, n);
	p->n += n;
}

/* A string literal, embedded NULs included. */
#define RAW(p, lit) raw((p), (lit), sizeof(lit) - 1)

static void str(pk *p, const char *s)
{
	unsigned char h[5] = {'X', (unsigned char)strlen(s), 0, 0, 0};
	raw(p, h, 5);
	raw(p, s, strlen(s));
}

static void i32(pk *p, int64_t v)
{
	unsigned char h[5] = {'J', (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};
	raw(p, h, 5);
}

static void i64(pk *p, int64_t v)
{
	unsigned char h[10] = {0x8a, 8};
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)((uint64_t)v >> (8 * i));
	raw(p, h, 10);
}

/* {"w": _rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel),
 *  offset, size, stride, False, OrderedDict())} as torch writes it. */
static void tensor_dict(pk *p, const char *key, int64_t numel, int64_t offset, int nd,
			const int64_t *size, const int64_t *stride, int big)
{
	RAW(p, "\x80\x02}(");
	str(p, "w");
	RAW(p, "ctorch._utils\n_rebuild_tensor_v2\n((");
	str(p, "storage");
	RAW(p, "ctorch\nFloatStorage\n");
	str(p, key);
	str(p, "cpu");
	i32(p, numel);
	RAW(p, "tQ");
	i32(p, offset);
	RAW(p, "(");
	for (int d = 0; d < nd; d++)
		big ? i64(p, size[d]) : i32(p, size[d]);
	RAW(p, "t(");
	for (int d = 0; d < nd; d++)
		i32(p, stride[d]);
	RAW(p, "t\x89" "ccollections\nOrderedDict\n)RtRu.");
}

static float six[6] = {1, 2, 3, 4, 5, 6};

/* data.pkl p plus storage "0" of `bytes` bytes, zipped; read it. */
static int read_zipped(const pk *p, size_t bytes, cf_st_file **f, cf_error *err)
{
	cf_zip_in in[3] = {{"a/data.pkl", p->b, p->n}, {"a/data/0", (const unsigned char *)six, bytes},
			   {"a/version", (const unsigned char *)"3\n", 2}};
	unsigned char *z;
	size_t zl;
	int rc;
	if (cf_zip_build(in, 3, &z, &zl, err))
		return -1;
	rc = cf_pt_read_mem(z, zl, "t.pt", f, err);
	free(z);
	return rc;
}

static void refused(const char *what, const pk *p, size_t bytes, const char *msg)
{
	cf_st_file *f = (cf_st_file *)1;
	cf_error err = {0};
	int rc = read_zipped(p, bytes, &f, &err);
	ok(rc == CF_EFORMAT && !f && strstr(err.msg, msg) && !strchr(err.msg, '\n'),
	   "refuses %s: %s", what, err.msg);
	cf_st_free(f == (cf_st_file *)1 ? NULL : f);
}

/* Tensor records whose view, storage or key is wrong. */
static const int64_t s6[] = {6}, st1[] = {1}, st0[] = {0}, st11[] = {1, 1};
static const int64_t huge[] = {(int64_t)1 << 40, (int64_t)1 << 40}, many[] = {(int64_t)1 << 30};
static const struct bad_view {
	const char *what, *key;
	int64_t numel, offset;
	int nd;
	const int64_t *size, *stride;
	int big; /* sizes as 8-byte integers */
	const char *msg;
} bad_views[] = {
	{"a view past the end of its storage", "0", 6, 1, 1, s6, st1, 0,
	 "reaches element 6 of storage 0"},
	{"a storage shorter than its reference", "0", 8, 0, 1, s6, st1, 0,
	 "has 24 bytes, its reference says 8 elements"},
	{"a storage that is not in the file", "7", 6, 0, 1, s6, st1, 0, "storage 7 is not in the file"},
	{"a storage key with a path", "../0", 6, 0, 1, s6, st1, 0, "must be a plain name"},
	{"an absurd shape (2^40 x 2^40)", "0", 6, 0, 2, huge, st11, 1, "overflows"},
	{"2^30 elements over a 6-element storage (stride 0)", "0", 6, 0, 1, many, st0, 0,
	 "out of proportion"},
};

/* Pickles a state dict never contains (embedded NULs included). */
#define PICKLE(lit) lit, sizeof(lit) - 1
static const struct bad_pickle {
	const char *what, *bytes;
	size_t n;
	const char *msg;
} bad_pickles[] = {
	{"builtins.eval", PICKLE("\x80\x02" "cbuiltins\neval\n"), "refused global builtins.eval"},
	{"posix.system by STACK_GLOBAL", PICKLE("\x80\x04\x8c\x05posix\x8c\x06system\x93"),
	 "refused global posix.system"},
	{"REDUCE on a storage type", PICKLE("\x80\x02" "ctorch\nFloatStorage\n)R."), "refused REDUCE"},
	{"REDUCE on a string", PICKLE("\x80\x02" "}(X\x01\x00\x00\x00w(X\x01\x00\x00\x00x)Rtu."),
	 "refused REDUCE"},
	{"INST (an opcode a state dict never needs)", PICKLE("\x80\x02(ios\nsystem\nX\x04\x00\x00\x00true."),
	 "refused opcode 'i'"},
	{"a memo lookup of nothing", PICKLE("\x80\x02h\x05."), "memo lookup"},
	{"a memo entry 6 million in a 10-byte stream (a 100 MB array)",
	 PICKLE("\x80\x02K\x06r\x26\x01\x60\x00."),
	 "memo index 6291750 beyond what a 10-byte stream can number"},
	{"POP on an empty stack", PICKLE("\x80\x02" "0."), "stack is empty"},
	{"a list where the state dict should be", PICKLE("\x80\x02]X\x01\x00\x00\x00x."), "holds no dict"},
};

static void test_hostile(void)
{
	pk p;
	cf_st_file *f = NULL;
	cf_error err = {0};
	static const int64_t s23[] = {2, 3}, st31[] = {3, 1};

	memset(&p, 0, sizeof p);
	tensor_dict(&p, "0", 6, 0, 2, s23, st31, 0);
	ok(!read_zipped(&p, 24, &f, &err) && f && f->n == 1 && f->t[0].data[5] == 6.0f,
	   "the hand-built checkpoint itself is accepted (%s)", err.msg);
	cf_st_free(f);

	for (size_t k = 0; k < sizeof bad_views / sizeof *bad_views; k++) {
		const struct bad_view *v = &bad_views[k];
		memset(&p, 0, sizeof p);
		tensor_dict(&p, v->key, v->numel, v->offset, v->nd, v->size, v->stride, v->big);
		refused(v->what, &p, 24, v->msg);
	}
	for (size_t k = 0; k < sizeof bad_pickles / sizeof *bad_pickles; k++) {
		memset(&p, 0, sizeof p);
		raw(&p, bad_pickles[k].bytes, bad_pickles[k].n);
		refused(bad_pickles[k].what, &p, 24, bad_pickles[k].msg);
	}

	{
		char path[700];
		snprintf(path, sizeof path, "%s/evil_system.pt", dir);
		ok(cf_model_load(path, NULL, &(cf_net *){NULL}, &err) == CF_EFORMAT &&
		   strstr(err.msg, "refused global os.system"), "evil_system.pt: %s", err.msg);
	}
}

/* Every prefix of a good file is refused with a message, none crashes. */
static void test_truncations(const char *name)
{
	size_t len = 0, bad = 0;
	unsigned char *b = slurp(name, &len);
	for (size_t n = 0; b && n < len; n++) {
		unsigned char *c = malloc(n ? n : 1);
		cf_st_file *f = NULL;
		cf_error err = {0};
		memcpy(c, b, n);
		if (cf_pt_read_mem(c, n, name, &f, &err) == CF_OK || f || !err.msg[0])
			bad++;
		cf_st_free(f);
		free(c);
	}
	ok(b && !bad, "%s: each of its %zu truncations is refused with a message", name, len);
	free(b);
}

static void test_write(void)
{
	char path[64], path2[64];
	cf_net *a = NULL, *b = NULL;
	cf_error err = {0};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int same = 1;
	const char *desc = "resnet 1,1 width 4 classes 3 in 1x8x8 nobias";

	snprintf(path, sizeof path, "/tmp/test_pt_%d.pt", (int)getpid());
	snprintf(path2, sizeof path2, "/tmp/test_pt_%d.pth", (int)getpid());
	cf_net_create_str(desc, &a, &err);
	cf_net_init(a, r);
	ok(!cf_model_save(a, path, NULL, NULL, 0, &err), "a network saves as .pt (%s)", err.msg);
	ok(!cf_model_load(path, NULL, &b, &err), "... and loads back (%s)", err.msg);
	for (int i = 0; b && i < cf_net_nparams(a); i++) {
		const cf_net_param *p = cf_net_param_at(a, i), *q = cf_net_param_find(b, p->name);
		same &= q && !memcmp(p->t.data, q->t.data, sizeof(float) * (size_t)p->t.size);
	}
	ok(b && same && cf_arch_equal(cf_net_arch(a), cf_net_arch(b)),
	   "... with its architecture (from the metadata) and every value bit for bit");
	cf_net_free(b);
	b = NULL;
	{
		const char *k[] = {"clafuse.parents"}, *v[] = {"a.pt b.pt"};
		cf_st_file *f = NULL;
		cf_model_save(a, path2, k, v, 1, &err);
		cf_model_read(path2, &f, &err);
		ok(f && cf_st_meta(f, "clafuse.parents") && !strcmp(cf_st_meta(f, "clafuse.parents"), "a.pt b.pt"),
		   ".pth too, with extra metadata");
		cf_st_free(f);
	}
	unlink(path);
	unlink(path2);
	cf_net_free(a);
	gsl_rng_free(r);
}

int main(void)
{
	const char *src = getenv("top_srcdir");
	snprintf(dir, sizeof dir, "%s/tests/data/pt", src ? src : ".");
	test_fixtures();
	test_inference();
	test_hostile();
	test_truncations("mlp.pt");
	test_truncations("mlp_legacy.pth");
	test_truncations("vgg_bn_legacy.pth");
	test_write();
	tap_done();
	return 0;
}
