/* test_limits.c — sizes from input: the overflow-checked helpers, the
 * limits and their CLAFUSE_LIMITS syntax, and the hostile architecture
 * texts of share/doc/reliability.md, each refused with a message naming
 * the unit and the limit before anything large is allocated.  Raising a
 * limit lets a network past it; a network just inside builds and runs. */
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "checked.h"
#include "limit.h"
#include "model.h"
#include "net.h"
#include "st.h"
#include "tap.h"

#define FILE_M "test_limits.safetensors"

static void refused(const char *desc, const char *want1, const char *want2)
{
	cf_arch *a = NULL;
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	int rc = cf_arch_parse(desc, &a, &err);
	char shown[80];
	snprintf(shown, sizeof shown, "%.60s%s", desc, strlen(desc) > 60 ? "..." : "");
	ok(rc == CF_EINVAL && !a && strstr(err.msg, want1) && strstr(err.msg, want2) &&
	   !strchr(err.msg, '\n') && !strstr(err.msg, "-1") && !strstr(err.msg, "18446744"),
	   "\"%s\" refused: %s", shown, err.msg);
	/* the network builder checks the same (it is reached with hand-built
	 * architectures too) */
	rc = cf_net_create_str(desc, &net, &err);
	ok(rc == CF_EINVAL && !net, "\"%s\" builds no network", shown);
	cf_arch_free(a);
}

static void builds(const char *desc)
{
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	ok(cf_net_create_str(desc, &net, &err) == CF_OK, "\"%s\" builds %s", desc, err.msg);
	cf_net_free(net);
}

static void helpers(void)
{
	int64_t r;
	size_t z;
	ok(!cf_mul3(1000, 1000, 1000, &r) && r == 1000000000, "cf_mul3 exact");
	ok(cf_mul3(999999999, 999999999, 999999999, &r), "cf_mul3 overflow detected");
	ok(cf_mul(INT64_MAX / 2 + 1, 2, &r), "cf_mul overflow at 2^63");
	ok(cf_add(INT64_MAX, 1, &r) && !cf_add(INT64_MAX - 1, 1, &r) && r == INT64_MAX, "cf_add");
	r = 5;
	ok(!cf_muladd(&r, 3, 4) && r == 17 && cf_muladd(&r, INT64_MAX, 2), "cf_muladd");
	ok(cf_bytes(-1, 4, &z) && cf_bytes(INT64_MAX, 4, &z) && !cf_bytes(10, 4, &z) && z == 40,
	   "cf_bytes refuses negative and wrapping counts");
}

static void parsing(void)
{
	cf_limits l;
	cf_error err = { 0, "" };
	cf_limits_default(&l);
	ok(cf_limits_parse("params=5,width=7", &l, &err) == CF_OK && l.params == 5 && l.width == 7 &&
	   l.units == cf_limits_get()->units, "CLAFUSE_LIMITS sets the named limits only");
	ok(cf_limits_parse("", &l, &err) == CF_OK && l.params == 5, "an empty spec changes nothing");
	ok(cf_limits_parse("foo=1", &l, &err) == CF_EINVAL && strstr(err.msg, "'foo=1'") &&
	   strstr(err.msg, "activations"), "unknown name: %s", err.msg);
	ok(cf_limits_parse("units=0", &l, &err) == CF_EINVAL && strstr(err.msg, "units must be an integer from 1 to"),
	   "zero refused: %s", err.msg);
	ok(cf_limits_parse("units=99999999999999999999999", &l, &err) == CF_EINVAL &&
	   cf_limits_parse("width=-3", &l, &err) == CF_EINVAL &&
	   cf_limits_parse("width=3x", &l, &err) == CF_EINVAL &&
	   cf_limits_parse("width", &l, &err) == CF_EINVAL, "out of range, signs, junk and missing values refused");
	ok(l.params == 5 && l.width == 7, "a refused spec leaves the limits as they were");
}

/* Defect 1: a model file whose conv output is 2^64 values (wrapped to 0 in
 * the old size check) must be refused at load, not crash in im2col. */
static void model_file(void)
{
	static float w[64 * 16 * 16], b[64], lw[10 * 64], lb[10];
	static const int64_t ws[4] = { 64, 1, 16, 16 }, bs[1] = { 64 }, lws[2] = { 10, 64 }, lbs[1] = { 10 };
	cf_st_out ts[4] = {
		{ "layers.0.weight", 4, ws, w }, { "layers.0.bias", 1, bs, b },
		{ "layers.3.weight", 2, lws, lw }, { "layers.3.bias", 1, lbs, lb },
	};
	const char *key = CF_MODEL_ARCH_KEY;
	const char *val = "net in 1x28x28: conv 64 k16 s2 p536870905, maxpool 268435456, flatten, linear 10";
	cf_error err = { 0, "" };
	cf_net *net = NULL;
	int rc;
	if (cf_st_write(FILE_M, ts, 4, &key, &val, 1, &err))
		tap_diag("writing: %s", err.msg);
	rc = cf_model_load(FILE_M, NULL, &net, &err);
	ok(rc == CF_EINVAL && !net && strstr(err.msg, FILE_M) && strstr(err.msg, "unit 1") &&
	   strstr(err.msg, "activations="), "model with a 2^64-value conv output refused: %s", err.msg);
	remove(FILE_M);
}

static void raising(void)
{
	cf_limits saved = *cf_limits_get(), l = saved;
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	float x[4] = { 1, 2, 3, 4 }, logits[3];

	refused("mlp 4-2000000-3", "width=1048576", "unit 1 \"linear 2000000\"");
	l.width = 2000000;
	cf_limits_set(&l);
	ok(cf_net_create_str("mlp 4-2000000-3", &net, &err) == CF_OK,
	   "with width=2000000 the same network builds %s", err.msg);
	ok(net && cf_net_forward(net, x, 1, CF_NET_EVAL, NULL, logits, &err) == CF_OK,
	   "and runs a forward pass");
	cf_net_free(net);
	l.params = 1000;
	cf_limits_set(&l);
	refused("mlp 30-30-3", "params=1000", "unit 3");
	builds("mlp 30-29-3");  /* 30·29 + 29 + 29·3 + 3 = 989 values */
	cf_limits_set(&saved);
}

int main(void)
{
	helpers();
	parsing();
	/* defect 1 and 2: wrapping sizes */
	refused("net in 1x28x28: conv 64 k16 s2 p536870905, maxpool 268435456, flatten, linear 10",
		"unit 1 \"conv 64 k16 s2 p536870905\"", "activations=");
	refused("net in 999999999x999999999x999999999: linear 10", "input 999999999×999999999×999999999",
		"activations=");
	refused("net in 1x999999999x1: conv 1 k1 p999999999, flatten, linear 10", "input 1×999999999×1",
		"activations=");
	refused("net in 1x9x1: conv 1 k1 p999999999, flatten, linear 10", "unit 1", "activations=");
	refused("net in 1x4x4: conv 1 k999999999x3, flatten, linear 10", "needs at least 999999999×3", "unit 1");
	/* defect 3: denial of service through the text */
	refused("resnet 3000000", "3000000 residual blocks", "blocks=1000");
	refused("resnet 999999999 width 1 in 1x2x2", "999999999 residual blocks", "blocks=");
	refused("mlp 784-100000000-10", "unit 1 \"linear 100000000\"", "width=");
	refused("resnet 1,1 width 999999999", "width", "CLAFUSE_LIMITS=width=N");
	refused("mlp 784-1000000-1000000-10", "params=", "unit 3");
	refused("net in 3x1000x1000: conv 1000 p1, conv 1000 p1, linear 10", "activations=", "unit 1");
	{
		size_t n = 3000000;
		char *big = malloc(4 + 2 * n + 1);
		memcpy(big, "vgg ", 4);
		for (size_t i = 0; i < n; i++)
			memcpy(big + 4 + 2 * i, "1 ", 2);
		big[4 + 2 * n] = '\0';
		refused(big, "words", "units=10000");
		free(big);
	}
	{
		char big[200000];
		int n = 0;
		n += snprintf(big, sizeof big, "net in 4: ");
		for (int i = 0; i < 10001; i++)
			n += snprintf(big + n, sizeof big - (size_t)n, "relu, ");
		snprintf(big + n, sizeof big - (size_t)n, "linear 2");
		refused(big, "units=10000", "architecture");
	}
	/* what real networks need stays inside the defaults */
	builds("vgg16 in 3x224x224");
	builds("resnet34 in 3x224x224");
	model_file();
	raising();
	return tap_done();
}
