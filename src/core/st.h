/* st.h — safetensors files: read and write named tensors with metadata.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON (jansson
 * parses it: the header is untrusted input), then the data buffer.  The
 * reader validates exactly as the reference implementation does (sizes,
 * contiguity, full coverage, overflow) and converts F32, F16, BF16, F64 and
 * integer tensors to float32 on load, remembering the stored dtype.  The
 * writer stores F32, orders tensors by name, pads the header with spaces
 * to a multiple of 8, and writes atomically (temp file + rename).
 */
#ifndef CF_ST_H
#define CF_ST_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CF_ST_MAXDIM 8

typedef struct cf_st_tensor {
	char *name;
	char dtype[8];              /* dtype as stored in the file, e.g. "F16" */
	int ndim;                   /* 0 for a scalar */
	int64_t shape[CF_ST_MAXDIM];
	int64_t size;               /* number of elements */
	float *data;                /* converted to float32, owned */
} cf_st_tensor;

typedef struct cf_st_file {
	size_t n;                   /* tensors, in file order of data offsets */
	cf_st_tensor *t;
	size_t nmeta;               /* __metadata__ entries */
	char **meta_key, **meta_val;
} cf_st_file;

/* Read a whole file.  On error *out is NULL and err names the file, the
 * tensor or field and what was expected. */
int cf_st_read(const char *path, cf_st_file **out, cf_error *err);

/* The same from a memory buffer (`what` names it in messages). */
int cf_st_read_mem(const unsigned char *buf, size_t len, const char *what,
		   cf_st_file **out, cf_error *err);

void cf_st_free(cf_st_file *f);

/* Convert n little-endian values of a supported dtype ("F32", "F16",
 * "BF16", "F64", integers, "BOOL") at p to float32; -1 for other dtypes.
 * Other readers of tensor data (PyTorch checkpoints) share it. */
int cf_st_decode(const char *dtype, const unsigned char *p, int64_t n, float *out);

/* Lookups; NULL when absent. */
const cf_st_tensor *cf_st_find(const cf_st_file *f, const char *name);
const char *cf_st_meta(const cf_st_file *f, const char *key);

/* A tensor to write: name, shape and float32 data (not copied). */
typedef struct cf_st_out {
	const char *name;
	int ndim;
	const int64_t *shape;
	const float *data;
} cf_st_out;

/* Write tensors as F32 plus string metadata (may be nmeta = 0) atomically.
 * Duplicate or empty names are an error. */
int cf_st_write(const char *path, const cf_st_out *ts, size_t n,
		const char *const *meta_key, const char *const *meta_val,
		size_t nmeta, cf_error *err);

#endif
