/* tensor.h — a small float32 tensor: up to 4 dimensions, row-major.
 *
 * The network engine keeps its parameters in one contiguous arena and hands
 * out *views* (a cf_tensor whose data points into memory it does not own);
 * cf_tensor_alloc makes an owning tensor on the heap.  Only owning tensors
 * may be passed to cf_tensor_free; views are plain values.
 */
#ifndef CF_TENSOR_H
#define CF_TENSOR_H

#include <stdint.h>

#define CF_TENSOR_MAXDIM 4

typedef struct cf_tensor {
	int ndim;                        /* 0 (scalar) .. 4 */
	int64_t shape[CF_TENSOR_MAXDIM];
	int64_t size;                    /* product of the shape (1 for a scalar) */
	float *data;
} cf_tensor;

/* A zero-filled tensor of the given shape; NULL when ndim is out of range,
 * a dimension is negative, or memory runs out.  Free with cf_tensor_free. */
cf_tensor *cf_tensor_alloc(int ndim, const int64_t *shape);
/* Shorthand for up to 4 dimensions: cf_tensor_alloc4(2, rows, cols, 0, 0). */
cf_tensor *cf_tensor_alloc4(int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3);
void cf_tensor_free(cf_tensor *t);
/* A non-owning view of `data` with the given shape. */
cf_tensor cf_tensor_view(int ndim, const int64_t *shape, float *data);
/* Nonzero when a and b have the same shape. */
int cf_tensor_same_shape(const cf_tensor *a, const cf_tensor *b);
/* Write the shape as "64x3x3x3" ("scalar" for ndim 0) into buf. */
const char *cf_tensor_shape_str(int ndim, const int64_t *shape, char *buf, int len);

#endif
