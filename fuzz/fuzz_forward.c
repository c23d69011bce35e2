/* fuzz_forward.c — parsed architectures built and run: a network from any
 * accepted text (under the small limits of fuzz.h, a memory cap) runs a
 * forward and a backward pass on two samples without touching memory it
 * does not own; its logits are finite for finite parameters and input. */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	gsl_rng *r;
	float *x, *logits, *dl;
	int64_t in, k, N = 2;

	fuzz_small_limits();
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cf_net_create_str(text, &net, &err)) {
		free(text);
		FUZZ_CHECK(net == NULL && err.msg[0], "failed without a message");
		return 0;
	}
	free(text);
	r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, 1);
	cf_net_init(net, r);
	in = cf_net_input_size(net);
	k = cf_net_nclasses(net);
	x = malloc(sizeof *x * (size_t)(in * N));
	logits = malloc(sizeof *logits * (size_t)(k * N));
	dl = malloc(sizeof *dl * (size_t)(k * N));
	if (x && logits && dl) {
		for (int64_t i = 0; i < in * N; i++)
			x[i] = (float)(gsl_rng_uniform(r) - 0.5);
		for (int64_t i = 0; i < k * N; i++)
			dl[i] = (float)(gsl_rng_uniform(r) - 0.5);
		if (cf_net_forward(net, x, N, CF_NET_TRAIN, NULL, logits, &err) == CF_OK) {
			for (int64_t i = 0; i < k * N; i++)
				FUZZ_CHECK(isfinite(logits[i]), "logit %lld is %g", (long long)i, logits[i]);
			cf_net_zero_grad(net);
			FUZZ_CHECK(cf_net_backward(net, dl, &err) == CF_OK, "backward: %s", err.msg);
			FUZZ_CHECK(cf_net_forward(net, x, N, CF_NET_EVAL, NULL, logits, &err) == CF_OK,
				   "eval forward: %s", err.msg);
		}
	}
	free(x);
	free(logits);
	free(dl);
	gsl_rng_free(r);
	cf_net_free(net);
	return 0;
}
