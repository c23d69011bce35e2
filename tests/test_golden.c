/* test_golden.c — fused models compared bit for bit with checked-in ones.
 *
 * Small trained models and a small data set live in tests/data/golden/
 * (make_data.py, make_models.sh).  Each case below fuses some of them with
 * the session and some parameters, and compares the fused model with
 * tests/data/golden/fused_<case>.safetensors: the same architecture, the
 * same tensors, every float equal to the last bit.  Refactoring must leave
 * these files alone; a deliberate change of the numbers regenerates them:
 *
 *     CF_GOLDEN_WRITE=1 _build/tests/test_golden
 *
 * Floating-point sums depend on the BLAS kernels, so each golden file
 * records the kernels it was made with (clafuse.blas); on other kernels a
 * mismatch is reported as a skip, not a failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "model.h"
#include "ops.h"
#include "session.h"
#include "st.h"
#include "tap.h"

#ifdef CF_HAVE_OPENBLAS
void openblas_set_num_threads(int n);
#endif

#define MAXSET 12

typedef struct golden_case {
	const char *name;
	const char *models[4];      /* NULL-terminated file names in the golden folder */
	const char *set[MAXSET];    /* NULL-terminated "name=value" */
	const char *layer_set;      /* "L:name=value" override, or NULL */
} golden_case;

static const golden_case cases[] = {
	{ "mlp_default", { "mlp_a", "mlp_b" }, { NULL }, NULL },
	{ "mlp_options", { "mlp_a", "mlp_b" },
	  { "cla.measure=activation", "cla.metric=cka", "balance.method=merge",
	    "balance.relu_approx=majority", "ground.metric=cosine", "ground.norm=max",
	    "ot.solver=sinkhorn-log", "ot.reg=0.05", "ot.marginals=l2", "fusion.step=0.3", NULL },
	  "2:ot.solver=exact" },
	{ "mlp_weights", { "mlp_a", "mlp_b" },
	  { "fusion.mode=wts", "ground.normalize_wts=1", "cla.method=chain", "ot.solver=unbalanced",
	    "ot.reg=0.05", "ot.reg_m=1", "ground.metric=sqeuclidean", "fusion.output_plan=0",
	    "fusion.correction=0", "data.samples=150", "data.seed=5", NULL },
	  NULL },
	{ "mlp_three", { "mlp_a", "mlp_b", "mlp_c" }, { NULL }, NULL },
	{ "mlp_many", { "mlp_a", "mlp_b", "mlp_c" }, { "fusion.multi=many-to-one", NULL }, NULL },
	{ "vgg", { "vgg_a", "vgg_b" }, { "ot.solver=emd", NULL }, NULL },
	{ "resnet_bn", { "res_a", "res_b" }, { "ot.solver=sinkhorn", "ot.reg=0.1", NULL }, NULL },
};

static char dir[4096];

/* Run one case; the fused model (a copy) into *out. */
static int fuse_case(const golden_case *c, cf_net **out, cf_error *e)
{
	cf_session *s = NULL;
	char path[4200], spec[17000];
	int rc;

	if ((rc = cf_session_new(&s, e)))
		return rc;
	for (int i = 0; !rc && c->set[i]; i++) {
		char name[64];
		const char *eq = strchr(c->set[i], '=');
		snprintf(name, sizeof name, "%.*s", (int)(eq - c->set[i]), c->set[i]);
		rc = cf_session_set(s, name, eq + 1, e);
	}
	for (int i = 0; !rc && c->models[i]; i++) {
		snprintf(path, sizeof path, "%s/%s.safetensors", dir, c->models[i]);
		rc = cf_session_load_model(s, path, e);
	}
	snprintf(spec, sizeof spec, "idx:%s/train-images.idx,%s/train-labels.idx,"
		 "%s/test-images.idx,%s/test-labels.idx", dir, dir, dir, dir);
	if (!rc)
		rc = cf_session_load_data(s, spec, e);
	if (!rc && c->layer_set) {
		char name[64];
		int L = atoi(c->layer_set);
		const char *colon = strchr(c->layer_set, ':'), *eq = strchr(c->layer_set, '=');
		snprintf(name, sizeof name, "%.*s", (int)(eq - colon - 1), colon + 1);
		rc = cf_session_run(s, CF_STEP_BALANCE, e);
		if (!rc)
			rc = cf_session_set_layer(s, L, name, eq + 1, e);
	}
	if (!rc)
		rc = cf_session_run(s, CF_STEP_FUSE, e);
	if (!rc)
		rc = cf_net_copy(cf_session_fused(s), out, e);
	cf_session_free(s);
	return rc;
}

/* Compare every tensor of got with the golden file's; a one-line account
 * of the first difference into why. */
static int same_bits(cf_net *got, cf_net *want, char *why, size_t len)
{
	char *dg = cf_arch_print(cf_net_arch(got)), *dw = cf_arch_print(cf_net_arch(want));
	int same = dg && dw && !strcmp(dg, dw);

	if (!same)
		snprintf(why, len, "architecture '%s', golden '%s'", dg ? dg : "?", dw ? dw : "?");
	free(dg);
	free(dw);
	if (!same)
		return 0;
	if (cf_net_nparams(got) != cf_net_nparams(want)) {
		snprintf(why, len, "%d tensors, golden %d", cf_net_nparams(got), cf_net_nparams(want));
		return 0;
	}
	for (int i = 0; i < cf_net_nparams(got); i++) {
		const cf_net_param *a = cf_net_param_at(got, i), *b = cf_net_param_at(want, i);
		int64_t ndiff = 0;
		double worst = 0;
		if (strcmp(a->name, b->name) || a->t.size != b->t.size) {
			snprintf(why, len, "tensor %d is %s (%lld values), golden %s (%lld)", i, a->name,
				 (long long)a->t.size, b->name, (long long)b->t.size);
			return 0;
		}
		for (int64_t k = 0; k < a->t.size; k++)
			if (memcmp(&a->t.data[k], &b->t.data[k], sizeof(float))) {
				double d = (double)a->t.data[k] - (double)b->t.data[k];
				ndiff++;
				if (d < 0)
					d = -d;
				if (d > worst)
					worst = d;
			}
		if (ndiff) {
			snprintf(why, len, "%s: %lld of %lld values differ, by up to %.3g", a->name,
				 (long long)ndiff, (long long)a->t.size, worst);
			return 0;
		}
	}
	return 1;
}

static void check_case(const golden_case *c, int write)
{
	char path[4200], why[512], blas[128];
	cf_error e = { 0, "" };
	cf_net *got = NULL, *want = NULL;
	cf_st_file *f = NULL;
	const char *made_with;

	snprintf(path, sizeof path, "%s/fused_%s.safetensors", dir, c->name);
	snprintf(blas, sizeof blas, "%s %s", CF_BLAS_NAME, cf_ops_blas_core());
	if (fuse_case(c, &got, &e)) {
		ok(0, "%s: fusion runs (%s)", c->name, e.msg);
		return;
	}
	if (write) {
		const char *key = "clafuse.blas", *val = blas;
		int rc = cf_model_save(got, path, &key, &val, 1, &e);
		ok(rc == 0, "%s: wrote %s (%s)", c->name, path, rc ? e.msg : blas);
		cf_net_free(got);
		return;
	}
	if (cf_model_load(path, NULL, &want, &e) || cf_st_read(path, &f, &e)) {
		ok(0, "%s: golden file readable (%s)", c->name, e.msg);
		cf_net_free(got);
		cf_net_free(want);
		return;
	}
	made_with = cf_st_meta(f, "clafuse.blas");
	if (same_bits(got, want, why, sizeof why))
		ok(1, "%s: fused model bit-identical to the golden file", c->name);
	else if (made_with && strcmp(made_with, blas))
		tap_skip("%s differs (%s), but the golden file was made with %s and this is %s",
			 c->name, why, made_with, blas);
	else
		ok(0, "%s: fused model bit-identical to the golden file (%s)", c->name, why);
	cf_st_free(f);
	cf_net_free(got);
	cf_net_free(want);
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	int write = getenv("CF_GOLDEN_WRITE") && !strcmp(getenv("CF_GOLDEN_WRITE"), "1");

#ifdef CF_HAVE_OPENBLAS
	openblas_set_num_threads(1);
#endif
	snprintf(dir, sizeof dir, "%s/tests/data/golden", top ? top : ".");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_case(&cases[i], write);
	return tap_done();
}
