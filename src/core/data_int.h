/* data_int.h — internals shared by the data module's files (data.c,
 * data_idx.c, data_cifar.c); not part of the public API.
 *
 * Reading goes through zlib so that .gz and plain files share one path;
 * normalisation of byte pixels goes through per-channel lookup tables.
 */
#ifndef CF_DATA_INT_H
#define CF_DATA_INT_H

#include <stdint.h>

#include <zlib.h>

#include "data.h"

/* A file opened for reading, inflated when it is gzip data (several
 * members allowed, nothing after them). */
typedef struct cf_zin cf_zin;

/* Open; NULL (err set, CF_EIO) on failure. */
cf_zin *cf_data_gzopen(const char *path, cf_error *err);
void cf_data_gzclose(cf_zin *g);

/* Up to n bytes; the count read, or -1 with err set on a read error,
 * corrupt or truncated gzip data, or garbage after it. */
int64_t cf_data_gzread(cf_zin *g, const char *path, void *buf, int64_t n, cf_error *err);

/* Exactly n bytes (from a header) into a new *out, then end of file: a
 * short read or trailing data is CF_EFORMAT. */
int cf_data_read_exact(cf_zin *g, const char *path, int64_t n, unsigned char **out,
		       cf_error *err);

/* The whole (decompressed) file into a new *out of *len bytes. */
int cf_data_read_all(const char *path, unsigned char **out, int64_t *len, cf_error *err);

/* Per-channel mean and population std of byte/255 over n samples of c
 * channels of hw bytes (C x H x W); a constant channel gets std 1. */
void cf_data_byte_stats(const unsigned char *px, int64_t n, int c, int64_t hw,
			float *mean, float *std);

/* mean finite and std positive for each of c channels (either may be NULL). */
int cf_data_check_norm(const char *name, int c, const float *mean, const float *std,
		       cf_error *err);

/* lut[ch][b] = (b/255 - mean[ch]) / std[ch]. */
void cf_data_lut(int c, const float *mean, const float *std, float lut[CF_DATA_MAXCH][256]);

/* x = lut applied to n samples of c channels of hw bytes. */
void cf_data_apply_lut(const unsigned char *px, int64_t n, int c, int64_t hw,
		       float lut[CF_DATA_MAXCH][256], float *x);

/* An empty data set of n samples of c x h x w (x, y allocated). */
cf_dataset *cf_data_alloc(const char *name, int64_t n, int c, int h, int w, cf_error *err);

/* "idx:..." specs (the part after "idx:" in `list`), see cf_data_load. */
int cf_data_load_idx_spec(const char *spec, const char *list, int train, const float *mean,
			  const float *std, cf_dataset **out, cf_error *err);

#endif
