/* hybrid.c — hybrid networks and their per-layer accuracies (hybrid.h). */
#include "hybrid.h"

#include <stdlib.h>
#include <string.h>

#include "train.h"

int cf_net_hybrid(const cf_net *base, const cf_net *donor, const unsigned char *take,
		  cf_net **out, cf_error *err)
{
	int L = cf_net_nwlayers(base), rc;
	cf_net *h;

	*out = NULL;
	if (cf_net_nwlayers(donor) != L)
		return cf_error_set(err, CF_EINVAL, "hybrid: %d weight layers against the donor's %d",
				    L, cf_net_nwlayers(donor));
	for (int l = 0; l < L; l++) {
		const cf_net_wlayer *a = cf_net_wlayer_at(base, l), *b = cf_net_wlayer_at(donor, l);
		if (a->conv != b->conv || a->out != b->out || a->in != b->in || a->kh != b->kh ||
		    a->kw != b->kw)
			return cf_error_set(err, CF_EINVAL, "hybrid: layer %d (%s) is %dx%d, the "
					    "donor's %dx%d", l + 1, a->name, a->out, a->in, b->out,
					    b->in);
		if (take[l] && a->bias < 0 && b->bias >= 0)
			return cf_error_set(err, CF_EINVAL, "hybrid: layer %d (%s) has no bias for "
					    "the donor's", l + 1, a->name);
	}
	if ((rc = cf_net_copy(base, &h, err)))
		return rc;
	for (int l = 0; l < L; l++) {
		const cf_net_wlayer *a = cf_net_wlayer_at(h, l), *b = cf_net_wlayer_at(donor, l);
		cf_tensor *w = &cf_net_param_at(h, a->weight)->t;
		if (!take[l])
			continue;
		memcpy(w->data, cf_net_param_at((cf_net *)donor, b->weight)->t.data,
		       sizeof(float) * (size_t)w->size);
		if (a->bias >= 0) {
			cf_tensor *bi = &cf_net_param_at(h, a->bias)->t;
			if (b->bias >= 0)
				memcpy(bi->data, cf_net_param_at((cf_net *)donor, b->bias)->t.data,
				       sizeof(float) * (size_t)bi->size);
			else
				memset(bi->data, 0, sizeof(float) * (size_t)bi->size);
		}
	}
	*out = h;
	return CF_OK;
}

int cf_hybrid_accuracies(const cf_net *base, const cf_net *donor, const cf_dataset *test,
			 int batch, double *acc, const cf_progress *prog, cf_error *err)
{
	int L = cf_net_nwlayers(base), rc = CF_OK;
	unsigned char *take = calloc((size_t)L + 1, 1);

	if (!take)
		return cf_error_set(err, CF_ENOMEM, "hybrid: out of memory");
	for (int l = 0; l < L && !rc; l++) {
		cf_net *h;
		take[l] = 1;
		if (!(rc = cf_net_hybrid(base, donor, take, &h, err))) {
			rc = cf_evaluate(h, test, batch, &acc[l], NULL, prog, err);
			cf_net_free(h);
			if (rc)
				cf_error_prefix(err, rc, "hybrid with layer %d", l + 1);
		}
		take[l] = 0;
	}
	free(take);
	return rc;
}
