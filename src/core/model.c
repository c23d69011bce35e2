/* model.c — saving and loading networks as safetensors or PyTorch
 * checkpoints (see model.h).
 *
 * Loading is read → describe → parse → build → fill.  The file is read
 * whole and recognised by its content (a torch.save file begins like a zip
 * archive or a pickle; anything else is taken as safetensors); the
 * description comes from the caller, the file's metadata, or inference
 * from the state dict.  Fill checks the whole state dict before touching
 * the network, so a bad file leaves nothing half-loaded.
 */
#define _POSIX_C_SOURCE 200809L
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"
#include "infile.h"
#include "norm.h"
#include "pt.h"
#include "st.h"

int cf_model_is_pt_name(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;
	return dot && !strchr(dot, '/') && (!strcmp(dot, ".pt") || !strcmp(dot, ".pth"));
}

int cf_model_save(const cf_net *net, const char *path, const char *const *meta_key,
		  const char *const *meta_val, size_t nmeta, cf_error *err)
{
	int n = cf_net_nparams(net), rc;
	size_t nkeys = 1;
	cf_st_out *ts = calloc((size_t)n + 1, sizeof *ts);
	const char **keys = calloc(nmeta + 2, sizeof *keys);
	const char **vals = calloc(nmeta + 2, sizeof *vals);
	char *desc = cf_arch_print(cf_net_arch(net)), norm[160];

	if (!ts || !keys || !vals || !desc) {
		rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const cf_net_param *p = cf_net_param_at((cf_net *)net, i);
		ts[i].name = p->name;
		ts[i].ndim = p->t.ndim;
		ts[i].shape = p->t.shape;
		ts[i].data = p->t.data;
	}
	keys[0] = CF_MODEL_ARCH_KEY;
	vals[0] = desc;
	if (cf_net_norm(net)) {
		keys[nkeys] = CF_NORM_META_KEY;
		vals[nkeys++] = cf_norm_print(cf_net_norm(net), norm, sizeof norm);
	}
	for (size_t k = 0; k < nmeta; k++) {
		if (!meta_key[k] || !meta_val[k] || !strcmp(meta_key[k], CF_MODEL_ARCH_KEY) ||
		    !strcmp(meta_key[k], CF_NORM_META_KEY)) {
			rc = cf_error_set(err, CF_EINVAL,
					  "%s: metadata entry %zu must be a key other than %s and %s with a value",
					  path, k, CF_MODEL_ARCH_KEY, CF_NORM_META_KEY);
			goto out;
		}
		keys[nkeys] = meta_key[k];
		vals[nkeys++] = meta_val[k];
	}
	if (cf_model_is_pt_name(path))
		rc = cf_pt_write(path, ts, (size_t)n, keys, vals, nkeys, err);
	else
		rc = cf_st_write(path, ts, (size_t)n, keys, vals, nkeys, err);
out:
	free(ts);
	free(keys);
	free(vals);
	free(desc);
	return rc;
}

static int is_count(const char *name)
{
	size_t n = strlen(name), k = strlen("num_batches_tracked");
	return n >= k && !strcmp(name + n - k, "num_batches_tracked");
}

int cf_model_fill(cf_net *net, const cf_st_file *f, const char *what, cf_error *err)
{
	int n = cf_net_nparams(net);
	char want[64], got[64];

	/* Check everything first. */
	for (int i = 0; i < n; i++) {
		const cf_net_param *p = cf_net_param_at(net, i);
		const cf_st_tensor *t = cf_st_find(f, p->name);
		int same = 1;
		if (!t) {
			if (p->kind == CF_PARAM_BN_COUNT)
				continue;
			return cf_error_set(err, CF_EFORMAT,
					    "%s: tensor %s (shape %s) is missing: the architecture needs it",
					    what, p->name, cf_tensor_shape_str(p->t.ndim, p->t.shape, want, sizeof want));
		}
		if (p->kind == CF_PARAM_BN_COUNT) {
			same = t->size == 1;
		} else if (t->ndim != p->t.ndim) {
			same = 0;
		} else {
			for (int d = 0; d < t->ndim; d++)
				if (t->shape[d] != p->t.shape[d])
					same = 0;
		}
		if (!same)
			return cf_error_set(err, CF_EFORMAT, "%s: tensor %s has shape %s, expected %s", what,
					    p->name, cf_tensor_shape_str(t->ndim, t->shape, got, sizeof got),
					    cf_tensor_shape_str(p->t.ndim, p->t.shape, want, sizeof want));
	}
	for (size_t k = 0; k < f->n; k++)
		if (!cf_net_param_find(net, f->t[k].name))
			return cf_error_set(err, CF_EFORMAT,
					    "%s: unexpected tensor %s (shape %s): the architecture has no such parameter",
					    what, f->t[k].name,
					    cf_tensor_shape_str(f->t[k].ndim, f->t[k].shape, got, sizeof got));
	for (int i = 0; i < n; i++) {
		cf_net_param *p = cf_net_param_at(net, i);
		const cf_st_tensor *t = cf_st_find(f, p->name);
		if (t)
			memcpy(p->t.data, t->data, sizeof(float) * (size_t)p->t.size);
		else if (is_count(p->name))
			p->t.data[0] = 0.0f;
	}
	return CF_OK;
}

/* The input normalisation the file states (CF_NORM_META_KEY), if any. */
static int read_norm(cf_net *net, const cf_st_file *f, const char *path, cf_error *err)
{
	const char *text = cf_st_meta(f, CF_NORM_META_KEY);
	cf_norm n;
	int rc;

	if (!text)
		return CF_OK;
	if ((rc = cf_norm_parse(text, "metadata " CF_NORM_META_KEY, &n, err)))
		return cf_error_prefix(err, rc, "%s", path);
	cf_net_set_norm(net, &n);
	return CF_OK;
}

int cf_model_read(const char *path, cf_st_file **out, cf_error *err)
{
	unsigned char *buf;
	size_t size;
	int rc;

	*out = NULL;
	if ((rc = cf_infile_read_all(path, &buf, &size, err)))
		return rc;
	if (cf_pt_sniff(buf, size))
		rc = cf_pt_read_mem(buf, size, path, out, err);
	else
		rc = cf_st_read_mem(buf, size, path, out, err);
	free(buf);
	return rc;
}

/* "in CxHxW" alone: not a description but the input shape for inference. */
static int input_hint(const char *arch, int *c, int *h, int *w)
{
	int n = 0;
	if (!arch || sscanf(arch, " in %dx%dx%d %n", c, h, w, &n) != 3 || arch[n] != '\0')
		return 0;
	return *c > 0 && *h > 0 && *w > 0;
}

int cf_model_load(const char *path, const char *arch, cf_net **out, cf_error *err)
{
	cf_st_file *f = NULL;
	cf_arch *a = NULL;
	cf_net *net = NULL;
	char *inferred = NULL;
	const char *desc;
	int rc, c = 0, h = 0, w = 0;

	*out = NULL;
	if ((rc = cf_model_read(path, &f, err)))
		return rc;
	if (input_hint(arch, &c, &h, &w))
		arch = NULL;
	desc = arch ? arch : cf_st_meta(f, CF_MODEL_ARCH_KEY);
	if (!desc) {
		if ((rc = cf_infer_arch(f, c, h, w, path, &inferred, err))) {
			cf_st_free(f);
			return rc;
		}
		desc = inferred;
	}
	if ((rc = cf_arch_parse(desc, &a, err)) == CF_OK && arch && !cf_st_meta(f, CF_MODEL_ARCH_KEY)) {
		/* A description given for a file from elsewhere: its tensors may
		 * carry another naming of the same modules (torchvision's
		 * downsample and fc, an nn.Sequential's indices), which
		 * inference maps to ours; when it cannot, the names stay and
		 * filling says what does not match. */
		cf_error ignored = {0, ""};
		char *d = NULL;
		if (!cf_infer_arch(f, a->c, a->h, a->w, path, &d, &ignored))
			free(d);
	}
	if (rc) {
		cf_error_prefix(err, rc, "%s%s", path,
				arch ? "" : inferred ? " (inferred architecture)" : " (metadata " CF_MODEL_ARCH_KEY ")");
		cf_st_free(f);
		free(inferred);
		return rc;
	}
	free(inferred);
	rc = cf_net_create(a, &net, err);
	cf_arch_free(a);
	if (!rc)
		rc = cf_model_fill(net, f, path, err);
	if (!rc)
		rc = read_norm(net, f, path, err);
	cf_st_free(f);
	if (rc) {
		cf_net_free(net);
		return rc;
	}
	*out = net;
	return CF_OK;
}
