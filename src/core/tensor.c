/* tensor.c — float32 tensors (see tensor.h).  The struct and its data are
 * one allocation, so an owning tensor is freed with a single free(). */
#include "tensor.h"

#include "bigmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cf_tensor *cf_tensor_alloc(int ndim, const int64_t *shape)
{
	cf_tensor *t;
	int64_t size = 1;

	if (ndim < 0 || ndim > CF_TENSOR_MAXDIM)
		return NULL;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 0 || (shape[i] > 0 && size > INT64_MAX / 4 / shape[i]))
			return NULL;
		size *= shape[i];
	}
	t = cf_big_alloc(sizeof *t + (size_t)size * sizeof(float) + sizeof(float), 1);
	if (!t)
		return NULL;
	t->ndim = ndim;
	for (int i = 0; i < ndim; i++)
		t->shape[i] = shape[i];
	t->size = size;
	t->data = (float *)(t + 1);
	return t;
}

cf_tensor *cf_tensor_alloc4(int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
	int64_t s[4] = { d0, d1, d2, d3 };
	return cf_tensor_alloc(ndim, s);
}

void cf_tensor_free(cf_tensor *t)
{
	free(t);
}

cf_tensor cf_tensor_view(int ndim, const int64_t *shape, float *data)
{
	cf_tensor v;
	memset(&v, 0, sizeof v);
	v.ndim = ndim < 0 ? 0 : ndim > CF_TENSOR_MAXDIM ? CF_TENSOR_MAXDIM : ndim;
	v.size = 1;
	for (int i = 0; i < v.ndim; i++) {
		v.shape[i] = shape[i];
		v.size *= shape[i];
	}
	v.data = data;
	return v;
}

int cf_tensor_same_shape(const cf_tensor *a, const cf_tensor *b)
{
	if (a->ndim != b->ndim)
		return 0;
	for (int i = 0; i < a->ndim; i++)
		if (a->shape[i] != b->shape[i])
			return 0;
	return 1;
}

const char *cf_tensor_shape_str(int ndim, const int64_t *shape, char *buf, int len)
{
	int pos = 0;

	if (len <= 0)
		return buf;
	buf[0] = '\0';
	if (ndim == 0) {
		snprintf(buf, (size_t)len, "scalar");
		return buf;
	}
	for (int i = 0; i < ndim && pos < len; i++)
		pos += snprintf(buf + pos, (size_t)(len - pos), "%s%lld", i ? "x" : "",
				(long long)shape[i]);
	return buf;
}
