/* fuzz_pt.c — a PyTorch checkpoint from a stranger: torch.save bytes (zip
 * or legacy) → the restricted unpickler → a state dict → the architecture
 * inferred from its names and shapes → a network filled with it → one
 * forward pass.  Everything is refused with a one-line message or runs;
 * nothing is executed, and nothing reads or writes outside its buffers. */
#include "fuzz.h"

#include <string.h>

#include "infer.h"
#include "model.h"
#include "net.h"
#include "pt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_st_file *f = NULL;
	cf_arch *a = NULL;
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	char *desc = NULL;

	fuzz_small_limits();
	if (cf_pt_read_mem(data, size, "fuzz", &f, &err)) {
		FUZZ_CHECK(f == NULL && err.msg[0] && !strchr(err.msg, '\n'), "message \"%s\"", err.msg);
		return 0;
	}
	if (cf_infer_arch(f, 0, 0, 0, "fuzz", &desc, &err)) {
		FUZZ_CHECK(desc == NULL && err.msg[0] && !strchr(err.msg, '\n'), "message \"%s\"", err.msg);
	} else if (cf_arch_parse(desc, &a, &err) == CF_OK && cf_net_create(a, &net, &err) == CF_OK &&
		   cf_model_fill(net, f, "fuzz", &err) == CF_OK) {
		int64_t in = cf_net_input_size(net), k = cf_net_nclasses(net);
		float *x = calloc((size_t)in, sizeof *x), *logits = malloc(sizeof *logits * (size_t)k);
		if (x && logits)
			cf_net_forward(net, x, 1, CF_NET_EVAL, NULL, logits, &err);
		free(x);
		free(logits);
	}
	free(desc);
	cf_net_free(net);
	cf_arch_free(a);
	cf_st_free(f);
	return 0;
}
