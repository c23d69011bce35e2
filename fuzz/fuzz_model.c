/* fuzz_model.c — a model file from a stranger: safetensors bytes → the
 * architecture in its metadata → a network filled with its tensors → one
 * forward pass.  Everything is refused with a message or runs; nothing
 * reads or writes outside its buffers (the small limits of fuzz.h cap
 * the memory a file can ask for). */
#include "fuzz.h"

#include <string.h>

#include "model.h"
#include "net.h"
#include "st.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_st_file *f = NULL;
	cf_arch *a = NULL;
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	const char *desc;

	fuzz_small_limits();
	if (cf_st_read_mem(data, size, "fuzz", &f, &err)) {
		FUZZ_CHECK(f == NULL && err.msg[0], "failed without a message");
		return 0;
	}
	desc = cf_st_meta(f, CF_MODEL_ARCH_KEY);
	if (desc && cf_arch_parse(desc, &a, &err) == CF_OK &&
	    cf_net_create(a, &net, &err) == CF_OK && cf_model_fill(net, f, "fuzz", &err) == CF_OK) {
		int64_t in = cf_net_input_size(net), k = cf_net_nclasses(net);
		float *x = calloc((size_t)in, sizeof *x), *logits = malloc(sizeof *logits * (size_t)k);
		if (x && logits)
			cf_net_forward(net, x, 1, CF_NET_EVAL, NULL, logits, &err);
		free(x);
		free(logits);
	}
	cf_net_free(net);
	cf_arch_free(a);
	cf_st_free(f);
	return 0;
}
