/* test_norm.c — input normalisation statements: the accepted forms, the
 * refusals, printing that reads back, and the round trip through a model
 * file's metadata (TAP). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "net.h"
#include "norm.h"
#include "st.h"
#include "tap.h"

static int refused(const char *text, const char *needle)
{
	cf_norm n;
	cf_error e = {0};
	int rc = cf_norm_parse(text, "--norm", &n, &e);
	if (rc != CF_EINVAL || !strstr(e.msg, needle)) {
		printf("# '%s': rc %d, '%s'\n", text, rc, e.msg);
		return 0;
	}
	return 1;
}

int main(void)
{
	cf_norm n, m;
	cf_error e = {0};
	char buf[200], path[64];
	cf_net *net = NULL, *back = NULL;

	int rc = cf_norm_parse("0.1307,0.3081", "--norm", &n, &e);
	ok(rc == CF_OK && n.c == 1 && n.mean[0] == 0.1307f && n.std[0] == 0.3081f,
	   "MEAN,STD: one channel (%g, %g)", n.mean[0], n.std[0]);
	ok(!strcmp(cf_norm_print(&n, buf, sizeof buf), "0.1307/0.3081"), "printed as '%s'", buf);
	ok(cf_norm_parse(buf, "x", &m, &e) == CF_OK && cf_norm_equal(&n, &m),
	   "the printed text reads back as the same statement");
	ok(cf_norm_parse("0.4914,0.4822,0.4465/0.2023,0.1994,0.201", "--norm", &n, &e) == CF_OK &&
		   n.c == 3 && n.mean[2] == 0.4465f && n.std[1] == 0.1994f,
	   "per channel: 3 means / 3 stds");
	ok(!strcmp(cf_norm_print(&n, buf, sizeof buf), "0.4914,0.4822,0.4465/0.2023,0.1994,0.201"),
	   "per channel printed as '%s'", buf);
	ok(!cf_norm_equal(&n, &m), "statements of different channels differ");
	cf_norm_parse("0.1307/0.3082", "x", &n, &e);
	ok(!cf_norm_equal(&n, &m), "a different std differs");

	ok(refused("", "empty"), "empty text refused");
	ok(refused("0.5", "expected MEAN,STD"), "one number refused");
	ok(refused("0.5,0.2,0.1", "expected MEAN,STD"), "three numbers without / refused");
	ok(refused("0.5,0.4/0.2", "as many stds as means"), "2 means / 1 std refused");
	ok(refused("0.1,0.1,0.1,0.1,0.1/1,1,1,1,1", "at most 4"), "5 channels refused");
	ok(refused("0.5,x", "'0.5,x'"), "a non-number refused, quoted");
	ok(refused("0.5,0", "std of channel 0 is 0"), "std 0 refused");
	ok(refused("0.5/-1", "positive"), "negative std refused");
	ok(refused("nan/1", "finite"), "NaN mean refused");
	ok(refused("0.5,/0.2", "expected"), "an empty field refused");

	/* through a model file */
	snprintf(path, sizeof path, "/tmp/test_norm_%ld.safetensors", (long)getpid());
	if (cf_net_create_str("mlp 784-16-10", &net, &e)) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	cf_norm_parse("0.1307,0.3081", "x", &n, &e);
	ok(!cf_net_norm(net), "a new network states no normalisation");
	cf_net_set_norm(net, &n);
	ok(cf_net_norm(net) && cf_norm_equal(cf_net_norm(net), &n), "a network takes a statement");
	ok(cf_model_save(net, path, NULL, NULL, 0, &e) == CF_OK, "saved");
	ok(cf_model_load(path, NULL, &back, &e) == CF_OK && cf_net_norm(back) &&
		   cf_norm_equal(cf_net_norm(back), &n),
	   "the loaded model states the same normalisation");
	{
		cf_st_file *f = NULL;
		ok(cf_st_read(path, &f, &e) == CF_OK &&
			   !strcmp(cf_st_meta(f, CF_NORM_META_KEY) ? cf_st_meta(f, CF_NORM_META_KEY) : "",
				   "0.1307/0.3081"),
		   "metadata " CF_NORM_META_KEY " = 0.1307/0.3081");
		cf_st_free(f);
	}
	{
		const char *k[] = {CF_NORM_META_KEY}, *v[] = {"1/1"};
		ok(cf_model_save(net, path, k, v, 1, &e) == CF_EINVAL, "an extra " CF_NORM_META_KEY
		   " entry is refused (the network's own is written)");
	}
	cf_net_free(back);
	back = NULL;
	cf_net_set_norm(net, NULL);
	cf_model_save(net, path, NULL, NULL, 0, &e);
	ok(cf_model_load(path, NULL, &back, &e) == CF_OK && !cf_net_norm(back),
	   "a model saved without a statement loads without one");
	cf_net_free(back);
	back = NULL;
	{
		/* a hand-made file whose statement is bad: the error names file and key */
		cf_st_out t[8];
		const char *k[] = {"clafuse.arch", CF_NORM_META_KEY}, *v[] = {"mlp 784-16-10", "0.5/0"};
		int np = cf_net_nparams(net);
		for (int i = 0; i < np && i < 8; i++) {
			const cf_net_param *p = cf_net_param_at(net, i);
			t[i].name = p->name;
			t[i].ndim = p->t.ndim;
			t[i].shape = p->t.shape;
			t[i].data = p->t.data;
		}
		cf_st_write(path, t, (size_t)np, k, v, 2, &e);
		ok(cf_model_load(path, NULL, &back, &e) == CF_EINVAL && strstr(e.msg, path) &&
			   strstr(e.msg, CF_NORM_META_KEY) && !back,
		   "a bad statement in a file: refused, naming file and key (%s)", e.msg);
	}
	unlink(path);
	cf_net_free(net);
	return tap_done();
}
